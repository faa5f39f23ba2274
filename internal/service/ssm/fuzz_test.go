package ssm

import (
	"testing"
	"time"
)

// FuzzParsers feeds the parsers of untrusted input: names, references
// with selectors, labels, policy documents and paging tokens. None may
// panic; an accepted name must be one the rules allow.
func FuzzParsers(f *testing.F) {
	for _, s := range []string{"/a/b", "/a/b:3", "/a:label", "arn:aws:ssm:us-east-1:123456789012:parameter/a:1", "::", "/aws/x",
		`[{"Type":"Expiration","Version":"1.0","Attributes":{"Timestamp":"2030-01-01T00:00:00Z"}}]`, "[{}]", "djE6L2E"} {
		f.Add(s)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		if checkName(s) == nil {
			if s == "" || len(s) > maxNameLen || depth(s) > maxDepth {
				t.Fatalf("accepted bad name %q", s)
			}
		}
		parseRef(s, "123456789012", "us-east-1")
		if checkLabel(s) && (s == "" || len(s) > 100) {
			t.Fatalf("accepted bad label %q", s)
		}
		if pols, _, err := parsePolicies(s, now); err == nil && len(pols) > maxPolicies {
			t.Fatalf("accepted %d policies", len(pols))
		}
		decodeToken(s)
	})
}
