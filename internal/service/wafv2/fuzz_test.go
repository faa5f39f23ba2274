package wafv2

import (
	"strings"
	"testing"
)

// FuzzParseARN: any string is either refused or splits into a scope and
// an id taken from it; never a panic.
func FuzzParseARN(f *testing.F) {
	f.Add("arn:aws:wafv2:us-east-1:123456789012:global/webacl/edge/0f1e2d3c")
	f.Add("arn:aws:wafv2:::regional/ipset//")
	f.Add("arn:aws:s3:::b")
	f.Fuzz(func(t *testing.T, arn string) {
		sc, kind, id, ok := parseARN(arn)
		if ok && (!strings.HasSuffix(arn, "/"+id) || !strings.Contains(arn, ":"+sc.Account+":"+kind+"/")) {
			t.Fatalf("%q parsed as %v %q %q", arn, sc, kind, id)
		}
	})
}
