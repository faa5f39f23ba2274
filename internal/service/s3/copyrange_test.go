package s3

import (
	"strings"
	"testing"
)

func TestParseCopySourceRange(t *testing.T) {
	cases := []struct {
		v           string
		start, n    int64
		code, inMsg string
	}{
		{"bytes=0-9", 0, 10, "", ""},
		{"bytes=3-3", 3, 1, "", ""},
		{"bytes=0-0", 0, 1, "", ""},
		{"bytes=00-09", 0, 10, "", ""},
		{"bytes=0-10", 0, 0, "InvalidArgument", "Range specified is not valid for source object of size: 10"},
		{"bytes=10-12", 0, 0, "InvalidArgument", "Range specified is not valid for source object of size: 10"},
		{"bytes=5-2", 0, 0, "InvalidArgument", "must be of the form"},
		{"0-2", 0, 0, "InvalidArgument", "must be of the form"},
		{"bytes=0", 0, 0, "InvalidArgument", "must be of the form"},
		{"bytes=-3", 0, 0, "InvalidArgument", "must be of the form"},
		{"bytes=3-", 0, 0, "InvalidArgument", "must be of the form"},
		{"bytes=0-2,4-5", 0, 0, "InvalidArgument", "must be of the form"},
		{"bytes=+1-2", 0, 0, "InvalidArgument", "must be of the form"},
		{"bytes= 1-2", 0, 0, "InvalidArgument", "must be of the form"},
		{"bytes=0-99999999999999999999", 0, 0, "InvalidArgument", "must be of the form"},
		{"", 0, 0, "InvalidArgument", "must be of the form"},
	}
	for _, c := range cases {
		st, n, err := parseCopySourceRange(c.v, 10)
		if codeOf(err) != c.code || (err != nil && !strings.Contains(err.Error(), c.inMsg)) || (err == nil && (st != c.start || n != c.n)) {
			t.Errorf("%q: %d %d %v", c.v, st, n, err)
		}
	}
}

func FuzzParseCopySourceRange(f *testing.F) {
	for _, s := range []string{"bytes=0-9", "bytes=5-2", "bytes=-1", "bytes=0-99999999999999999999", "bytes=1-2,3-4"} {
		f.Add(s, int64(10))
	}
	f.Fuzz(func(t *testing.T, v string, size int64) {
		st, n, err := parseCopySourceRange(v, size)
		if err == nil && (st < 0 || n < 1 || st+n > size) {
			t.Fatalf("%q size %d: accepted %d+%d", v, size, st, n)
		}
	})
}
