package rest

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

// headerValues and hasPrefixASCIIFold must answer what h.Values and
// strings.HasPrefix(strings.ToLower(k), prefix) would.
func TestHeaderLookupMatchesNetHTTP(t *testing.T) {
	h := http.Header{}
	h.Add("X-Amz-Meta-Color", "blue")
	h.Add("Content-Md5", "abc")
	h.Add("X-Amz-Acl", "private")
	h.Add("X-Amz-Acl", "public-read")
	h["odd key"] = []string{"raw"} // not canonicalizable: looked up as is
	h["Ünicode-Key"] = []string{"u"}
	for _, name := range []string{"x-amz-acl", "X-AMZ-ACL", "Content-MD5", "content-md5", "x-amz-meta-color",
		"missing", "", "odd key", "Ünicode-Key", "x-amz-" + strings.Repeat("a", 120), "9-x", "-a"} {
		if got, want := headerValues(h, name), h.Values(name); !slices.Equal(got, want) {
			t.Errorf("headerValues(%q) = %q, want %q", name, got, want)
		}
	}
	for _, k := range []string{"X-Amz-Meta-Color", "x-amz-meta-", "X-Amz", "Ünicode-Key", "", "X-AMZ-META-A"} {
		for _, prefix := range []string{"x-amz-meta-", "", "ü", "x"} {
			if got, want := hasPrefixASCIIFold(k, prefix), strings.HasPrefix(strings.ToLower(k), prefix); got != want {
				t.Errorf("hasPrefixASCIIFold(%q, %q) = %v, want %v", k, prefix, got, want)
			}
		}
	}
}
