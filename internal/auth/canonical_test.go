package auth

import (
	"testing"
)

// The allocation-free fast paths answer what the general ones do.
func TestCanonicalFastPaths(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "/"}, {"/", "/"}, {"/a", "/a"}, {"/a/", "/a/"}, {"/a./b", "/a./b"},
		{"//a//b/", "/a/b/"}, {"/a/./b", "/a/b"}, {"/a/../b", "/b"}, {"/.hidden", "/.hidden"},
		{"/..", "/"}, {"a/b", "/a/b"}, {"/a/b/..", "/a"},
	} {
		if got := normalizePath(tc.in); got != tc.want {
			t.Errorf("normalizePath(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	for _, tc := range []struct {
		in    string
		slash bool
		want  string
	}{
		{"/a-b_c.d~e/F9", false, "/a-b_c.d~e/F9"}, {"/a b", false, "/a%20b"}, {"a/b", true, "a%2Fb"},
		{"", true, ""}, {"é", true, "%C3%A9"},
	} {
		if got := uriEncode(tc.in, tc.slash); got != tc.want {
			t.Errorf("uriEncode(%q, %v) = %q, want %q", tc.in, tc.slash, got, tc.want)
		}
	}
	if !equalSignature([]byte("ab"), "ab") || equalSignature([]byte("ab"), "aB") || equalSignature([]byte("ab"), "abc") {
		t.Error("equalSignature")
	}
}
