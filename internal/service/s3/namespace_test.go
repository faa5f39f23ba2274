package s3

import "testing"

func TestAccountRegionalName(t *testing.T) {
	for _, c := range []struct {
		name, account, region string
		ok                    bool
	}{
		{"logs-111122223333-us-west-2-an", "111122223333", "us-west-2", true},
		{"a-b-111122223333-us-gov-west-1-an", "111122223333", "us-gov-west-1", true},
		{"x-000000000000-ap-southeast-1-an", "000000000000", "ap-southeast-1", true},
		{"111122223333-us-west-2-an", "", "", false}, // no prefix
		{"logs-11112222333-us-west-2-an", "", "", false},
		{"logs-111122223333-us-west-2", "", "", false},
		{"logs-111122223333-west-2-an", "", "", false},
		{"plain-bucket", "", "", false},
		{"-an", "", "", false},
	} {
		a, r, ok := accountRegionalName(c.name)
		if a != c.account || r != c.region || ok != c.ok {
			t.Errorf("%s: %q %q %v", c.name, a, r, ok)
		}
	}
}

func FuzzAccountRegionalName(f *testing.F) {
	for _, s := range []string{"logs-111122223333-us-west-2-an", "-an", "a--an", "x-1-2-3-an"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		a, r, ok := accountRegionalName(name)
		if ok && (len(a) != 12 || r == "" || name[len(name)-len("-"+a+"-"+r+"-an"):] != "-"+a+"-"+r+"-an") {
			t.Fatalf("%q: %q %q", name, a, r)
		}
	})
}
