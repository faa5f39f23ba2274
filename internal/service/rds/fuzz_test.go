package rds

import (
	"testing"
)

// FuzzIdentifier: the identifier rule never panics, and what it accepts
// is what RDS accepts: a letter first, letters, digits and single
// hyphens, no trailing hyphen, at most 63 characters.
func FuzzIdentifier(f *testing.F) {
	for _, s := range []string{"db1", "a--b", "1abc", "abc-", "", "x", "ä"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !validIdentifier(s) {
			return
		}
		if len(s) > 63 || !(s[0] >= 'a' && s[0] <= 'z' || s[0] >= 'A' && s[0] <= 'Z') || s[len(s)-1] == '-' {
			t.Fatalf("accepted %q", s)
		}
	})
}

// FuzzResolveVersion: any EngineVersion resolves to a listed version or
// is refused, never a panic.
func FuzzResolveVersion(f *testing.F) {
	f.Add("mysql", "8.0")
	f.Add("postgres", "16")
	f.Add("mariadb", "")
	f.Fuzz(func(t *testing.T, engine, v string) {
		got, err := resolveVersion(engine, v)
		if err != nil {
			return
		}
		found := false
		for _, c := range engineVersions[engine] {
			found = found || c == got
		}
		if !found {
			t.Fatalf("resolveVersion(%q, %q) = %q, not listed", engine, v, got)
		}
	})
}
