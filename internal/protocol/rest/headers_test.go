package rest

import (
	"strings"
	"testing"
)

// hasPrefixASCIIFold must answer what
// strings.HasPrefix(strings.ToLower(k), prefix) would.
func TestHeaderLookupMatchesNetHTTP(t *testing.T) {
	for _, k := range []string{"X-Amz-Meta-Color", "x-amz-meta-", "X-Amz", "Ünicode-Key", "", "X-AMZ-META-A"} {
		for _, prefix := range []string{"x-amz-meta-", "", "ü", "x"} {
			if got, want := hasPrefixASCIIFold(k, prefix), strings.HasPrefix(strings.ToLower(k), prefix); got != want {
				t.Errorf("hasPrefixASCIIFold(%q, %q) = %v, want %v", k, prefix, got, want)
			}
		}
	}
}
