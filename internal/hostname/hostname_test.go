package hostname

import "testing"

func TestTrimSuffix(t *testing.T) {
	for _, c := range []struct {
		host, suffix, rest string
		ok                 bool
	}{
		{"bucket.s3.localhost", "localhost", "bucket.s3", true},
		{"bucket.s3.localhost.localstack.cloud", "localhost", "bucket.s3", true},
		{"bucket.s3.us-east-1.localhost.localstack.cloud", "localhost", "bucket.s3.us-east-1", true},
		{"bucket.s3.example.test", "Example.Test", "bucket.s3", true},
		{"bucket.s3.localhost.localstack.cloud", "example.test", "bucket.s3", true},
		// The configured suffix is tried first.
		{"bucket.s3.localhost.localstack.cloud", "localstack.cloud", "bucket.s3.localhost", true},
		{"localhost.localstack.cloud", "localhost", "", false},
		{"bucket.s3.localstack.cloud", "localhost", "", false},
		{"bucket.s3.notlocalhost", "localhost", "", false},
		{"bucket.s3.localhost.localstack.cloud.evil", "localhost", "", false},
		{"", "localhost", "", false},
		{"x.localhost.localstack.cloud", "", "x", true},
	} {
		rest, ok := TrimSuffix(c.host, c.suffix)
		if rest != c.rest || ok != c.ok {
			t.Errorf("TrimSuffix(%q, %q) = %q, %v; want %q, %v", c.host, c.suffix, rest, ok, c.rest, c.ok)
		}
	}
}

func TestUnder(t *testing.T) {
	for _, c := range []struct {
		host, suffix string
		want         bool
	}{
		{"localhost", "localhost", true},
		{"localhost.localstack.cloud", "localhost", true},
		{"site.s3-website.us-east-1.localhost.localstack.cloud", "localhost", true},
		{"www.example.com", "localhost", false},
		{"localstack.cloud", "localhost", false},
		{"", "", false},
	} {
		if got := Under(c.host, c.suffix); got != c.want {
			t.Errorf("Under(%q, %q) = %v, want %v", c.host, c.suffix, got, c.want)
		}
	}
}

func FuzzTrimSuffix(f *testing.F) {
	f.Add("bucket.s3.localhost.localstack.cloud", "localhost")
	f.Add("a.b", "")
	f.Fuzz(func(t *testing.T, host, suffix string) {
		rest, ok := TrimSuffix(host, suffix)
		if !ok {
			if rest != "" {
				t.Fatalf("no match but rest %q", rest)
			}
			return
		}
		if len(rest) >= len(host) || host[:len(rest)] != rest || host[len(rest)] != '.' {
			t.Fatalf("TrimSuffix(%q, %q) = %q is not a proper prefix before a dot", host, suffix, rest)
		}
	})
}
