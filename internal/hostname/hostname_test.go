package hostname

import (
	"net"
	"strings"
	"testing"
)

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

// TestS3Bucket: the bucket of a virtual-host-style API host, as both the
// gateway and S3's form uploads read it (they had drifted apart when each
// had its own copy).
func TestS3Bucket(t *testing.T) {
	for _, c := range []struct{ host, suffix, want string }{
		{"b.s3.localhost:4566", "localhost", "b"},
		{"B.S3.LOCALHOST", "localhost", "b"},
		{"b.s3-us-west-2.localhost", "localhost", "b"},
		{"b.s3.us-west-2.localhost", "localhost", "b"},
		{"my.b.s3.us-east-1.localhost.localstack.cloud", "localhost", "my.b"},
		{"a.s3.b.s3.us-east-1.niwa.test", "niwa.test", "a.s3.b"},
		{"b.s3.localhost.localstack.cloud:4566", "niwa.test", "b"},
		{"b.s3.localhost.localstack.cloud", "", "b"},
		// Not a bucket's API host.
		{"s3.localhost.localstack.cloud:4566", "localhost", ""},
		{".s3.localhost", "localhost", ""},
		{"b.s3-website-us-east-1.localhost", "localhost", ""},
		{"b.s3-website.us-east-1.localhost.localstack.cloud:4566", "localhost", ""},
		{"b.s3.dualstack.us-east-1.localhost", "localhost", ""},
		{"b.sqs.us-east-1.localhost", "localhost", ""},
		{"b.s3.example.com", "localhost", ""},
		{"b.s3.localhost.evil", "localhost", ""},
		{"localhost:4566", "localhost", ""},
		{"[::1]:4566", "localhost", ""},
		{"", "localhost", ""},
	} {
		if got := S3Bucket(c.host, c.suffix); got != c.want {
			t.Errorf("S3Bucket(%q, %q) = %q, want %q", c.host, c.suffix, got, c.want)
		}
	}
}

func TestS3WebsiteBucket(t *testing.T) {
	for _, c := range []struct{ host, suffix, want string }{
		{"b.s3-website-us-east-1.localhost:4566", "localhost", "b"},
		{"www.example.com.s3-website.ap-northeast-1.localhost", "localhost", "www.example.com"},
		{"B.S3-WEBSITE-EU-WEST-1.LOCALHOST", "localhost", "b"},
		// LocalStack's domain is accepted beside the suffix.
		{"b.s3-website.us-east-1.localhost.localstack.cloud:4566", "localhost", "b"},
		{"b.s3-website-eu-west-1.localhost.localstack.cloud", "localhost", "b"},
		// Not a website endpoint.
		{"b.s3.localhost:4566", "localhost", ""},
		{"b.s3.localhost.localstack.cloud:4566", "localhost", ""},
		{"b.s3-website-us-east-1.example.com", "localhost", ""},
		{"s3-website.us-east-1.localhost", "localhost", ""},
	} {
		if got := S3WebsiteBucket(c.host, c.suffix); got != c.want {
			t.Errorf("S3WebsiteBucket(%q, %q) = %q, want %q", c.host, c.suffix, got, c.want)
		}
	}
}

// FuzzS3Bucket: whatever the host, a bucket read from it is a leading run
// of its labels (lowercased, port removed), and no host is both an API host and a
// website host.
func FuzzS3Bucket(f *testing.F) {
	f.Add("b.s3.localhost:4566", "localhost")
	f.Add("a.s3.b.s3-website.us-east-1.localhost.localstack.cloud", "")
	f.Add("[::1]:4566", "localhost")
	f.Fuzz(func(t *testing.T, host, suffix string) {
		api, web := S3Bucket(host, suffix), S3WebsiteBucket(host, suffix)
		if api != "" && web != "" {
			t.Fatalf("%q is both the API host of %q and the website of %q", host, api, web)
		}
		bare := bareHost(host)
		for _, b := range []string{api, web} {
			if b != "" && !strings.HasPrefix(bare, b+".") {
				t.Fatalf("bucket %q is not a run of labels of %q", b, host)
			}
		}
	})
}

// TestIsIP pins IsIP to net.ParseIP, which the matchers called before.
func TestIsIP(t *testing.T) {
	for _, h := range []string{
		"127.0.0.1", "10.0.0.256", "1.2.3", "01.2.3.4", "::1", "fe80::1", "fe80::1%eth0",
		"::ffff:1.2.3.4", "2001:db8::", "[::1]", "localhost", "example.com", "", "1.2.3.4.",
		"0x7f.0.0.1", " 1.2.3.4",
	} {
		if got, want := IsIP(h), net.ParseIP(h) != nil; got != want {
			t.Errorf("IsIP(%q) = %v, net.ParseIP says %v", h, got, want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { IsIP("127.0.0.1") }); n != 0 {
		t.Errorf("IsIP allocated %v times, want 0", n)
	}
}
