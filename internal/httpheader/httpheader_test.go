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

// TestGetMatchesNetHTTP: Get with a canonical name answers what
// http.Header.Get does, for present, absent, empty and multi-valued
// headers.
func TestGetMatchesNetHTTP(t *testing.T) {
	h := http.Header{"X-Amz-Target": {"DynamoDB_20120810.GetItem"}, "Expect": {""}, "Origin": {"a", "b"}, "x-lower": {"v"}}
	for _, name := range []string{"X-Amz-Target", "Expect", "Origin", "Content-Type", "X-Lower"} {
		if got, want := Get(h, name), h.Get(name); got != want {
			t.Errorf("Get(%q) = %q, http.Header.Get %q", name, got, want)
		}
	}
}
