package ec2

import (
	"strings"
	"testing"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// FuzzInsideBlocks: any list of inside CIDR blocks of a Connect peer is
// accepted or refused with an AWS error, never a panic; an accepted list
// has its one IPv4 /29 inside 169.254.0.0/16.
func FuzzInsideBlocks(f *testing.F) {
	for _, s := range []string{"169.254.10.0/29", "169.254.10.0/29,fd00::/125", "169.254.1.0/29", "10.0.0.0/29", "", "x", "169.254.10.0/29,169.254.11.0/29"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v4, err := insideBlocks(strings.Split(s, ","))
		if err == nil && (v4.Bits() != 29 || !strings.HasPrefix(v4.String(), "169.254.")) {
			t.Fatalf("accepted %q as %s", s, v4)
		}
	})
}

// FuzzMirrorRule: any traffic mirror rule is accepted or refused, never a
// panic; an accepted rule's numbers are in EC2's ranges.
func FuzzMirrorRule(f *testing.F) {
	f.Add(int32(100), int32(6), int32(443), int32(443), "0.0.0.0/0", "10.0.0.0/8")
	f.Add(int32(0), int32(300), int32(9), int32(2), "::/0", "10.0.0.0/8")
	f.Fuzz(func(t *testing.T, n, proto, from, to int32, src, dst string) {
		r := ec2api.TrafficMirrorFilterRule{}
		in := mirrorRuleInput{direction: ptr.To("ingress"), action: ptr.To("accept"), src: &src, dst: &dst, number: &n, protocol: &proto,
			dstPorts: &ec2api.TrafficMirrorPortRangeRequest{FromPort: &from, ToPort: &to}}
		if err := in.apply(&r); err == nil && (n < 1 || n > 32766 || proto < 0 || proto > 255 || from > to) {
			t.Fatalf("accepted rule %d proto %d ports %d-%d", n, proto, from, to)
		}
	})
}
