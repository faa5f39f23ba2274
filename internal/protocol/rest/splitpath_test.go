package rest

import (
	"slices"
	"strings"
	"testing"
)

// TestSplitPath pins the path splitter the router and the label reader
// share to strings.Split's segments (what it was), and checks that a
// path split into a caller's array allocates nothing.
func TestSplitPath(t *testing.T) {
	for _, p := range []string{"", "/", "/b", "/b/", "/b/k", "/b//k", "//", "/b/a%2Fb/c/", "b/k", "/a/b/c/d/e/f/g/h/i/j"} {
		var want []string
		if q := strings.TrimPrefix(p, "/"); q != "" {
			want = strings.Split(q, "/")
		}
		if got := splitPath(p); !slices.Equal(got, want) {
			t.Errorf("splitPath(%q) = %q, want %q", p, got, want)
		}
	}
	if n := testing.AllocsPerRun(100, func() {
		var buf [8]string
		if len(appendSplitPath(buf[:0], "/bucket/some/key")) != 3 {
			t.Fatal("wrong split")
		}
	}); n != 0 {
		t.Errorf("appendSplitPath into an array allocated %v times, want 0", n)
	}
}

// TestJoinSegments: a greedy label's value is strings.Join of the
// segments it spans, taken from the path without a copy, and from a
// copy when the segments are not one path's.
func TestJoinSegments(t *testing.T) {
	for _, p := range []string{"/b", "/b/", "/b/k", "/b//k", "//", "/b/a%2Fb/c/", "b/k", "/a/b/c/d/e/f/g/h/i/j", "/b/k//", "/b//", "/b/x/"} {
		segs := splitPath(p)
		for i := range segs {
			if got, want := joinSegments(segs[i:]), strings.Join(segs[i:], "/"); got != want {
				t.Errorf("joinSegments(%q[%d:]) = %q, want %q", p, i, got, want)
			}
		}
	}
	apart := []string{strings.Repeat("a", 3), "b", strings.Repeat("c", 2)} // three strings
	if got := joinSegments(apart); got != "aaa/b/cc" {
		t.Errorf("joinSegments(%q) = %q", apart, got)
	}
	if n := testing.AllocsPerRun(100, func() {
		var buf [8]string
		if joinSegments(appendSplitPath(buf[:0], "/bucket/some/long/key")[1:]) != "some/long/key" {
			t.Fatal("wrong join")
		}
	}); n != 0 {
		t.Errorf("joinSegments allocated %v times, want 0", n)
	}
}
