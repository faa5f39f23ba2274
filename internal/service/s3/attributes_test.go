package s3

import (
	"testing"
)

func TestParseObjectAttributes(t *testing.T) {
	cases := []struct {
		in   []string
		want int
		code string
	}{
		{nil, 0, "InvalidRequest"},
		{[]string{""}, 0, "InvalidRequest"},
		{[]string{" , "}, 0, "InvalidRequest"},
		{[]string{"ETag"}, 1, ""},
		{[]string{"ETag, ObjectSize", "Checksum"}, 3, ""},
		{[]string{"ETag,ETag"}, 1, ""},
		{[]string{"etag"}, 0, "InvalidArgument"},
		{[]string{"ETag,Owner"}, 0, "InvalidArgument"},
	}
	for _, c := range cases {
		got, err := parseObjectAttributes(c.in)
		if codeOf(err) != c.code || len(got) != c.want {
			t.Errorf("%q: %v %v, want %d %q", c.in, got, err, c.want, c.code)
		}
	}
}

func FuzzParseObjectAttributes(f *testing.F) {
	for _, s := range []string{"ETag", "ETag,Checksum,ObjectParts,StorageClass,ObjectSize", "", ",,", "Bad"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseObjectAttributes([]string{s})
		if err == nil && (len(got) == 0 || len(got) > len(objectAttributeNames)) {
			t.Fatalf("%q: %v", s, got)
		}
		for a := range got {
			if !objectAttributeNames[a] {
				t.Fatalf("%q: accepted %q", s, a)
			}
		}
	})
}
