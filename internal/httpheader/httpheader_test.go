package httpheader

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

// Values must answer what h.Values would, for canonicalizable names in
// any case and for names net/http leaves as they are.
func TestValuesMatchesNetHTTP(t *testing.T) {
	h := http.Header{}
	h.Add("X-Amz-Meta-Color", "blue")
	h.Add("Content-Md5", "abc")
	h.Add("X-Amz-Acl", "private")
	h.Add("X-Amz-Acl", "public-read")
	h.Add("X-Amz-Date", "x")
	h["odd key"] = []string{"raw"} // not canonicalizable: looked up as is
	h["Ünicode-Key"] = []string{"u"}
	for _, name := range []string{"x-amz-acl", "X-AMZ-ACL", "Content-MD5", "content-md5", "x-amz-meta-color",
		"x-amz-date", "X-AMZ-DATE", "missing", "", "odd key", "Ünicode-Key", "x-amz-" + strings.Repeat("a", 120), "9-x", "-a"} {
		if got, want := Values(h, name), h.Values(name); !slices.Equal(got, want) {
			t.Errorf("Values(%q) = %q, want %q", name, got, want)
		}
	}
}
