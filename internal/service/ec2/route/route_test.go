package route

import (
	"net/netip"
	"testing"
)

func pfx(s string) netip.Prefix { return netip.MustParsePrefix(s) }

// TestEvaluateS16 holds the precedence cases of scenario S16 and the VPC
// User Guide's "How route priority works" (whose propagated-route order
// is the spec where the seed differs).
func TestEvaluateS16(t *testing.T) {
	local := Route{Destination: pfx("10.0.0.0/16"), Target: "local", Kind: Local}
	cases := []struct {
		name       string
		routes     []Route
		dst        string
		wantTarget string
		wantFound  bool
		wantBH     bool
		wantVia    string
	}{
		{"most specific prefix wins (/32 over /24 over /16)", []Route{
			local,
			{Destination: pfx("172.24.0.0/16"), Target: "vgw-a", Kind: Static},
			{Destination: pfx("172.24.1.0/24"), Target: "pcx-b", Kind: Static},
			{Destination: pfx("172.24.1.1/32"), Target: "eni-c", Kind: Static},
		}, "172.24.1.1", "eni-c", true, false, ""},
		{"/24 when the /32 does not match", []Route{
			local,
			{Destination: pfx("172.24.0.0/16"), Target: "vgw-a", Kind: Static},
			{Destination: pfx("172.24.1.0/24"), Target: "pcx-b", Kind: Static},
			{Destination: pfx("172.24.1.1/32"), Target: "eni-c", Kind: Static},
		}, "172.24.1.2", "pcx-b", true, false, ""},
		{"peering /16 over internet default", []Route{
			local,
			{Destination: pfx("172.31.0.0/16"), Target: "pcx-1", Kind: Static},
			{Destination: pfx("0.0.0.0/0"), Target: "igw-1", Kind: Static},
		}, "172.31.5.5", "pcx-1", true, false, ""},
		{"default route to the internet gateway", []Route{
			local,
			{Destination: pfx("0.0.0.0/0"), Target: "igw-1", Kind: Static},
		}, "8.8.8.8", "igw-1", true, false, ""},
		{"local route for VPC addresses", []Route{
			local,
			{Destination: pfx("0.0.0.0/0"), Target: "nat-1", Kind: Static},
		}, "10.0.3.4", "local", true, false, ""},
		{"static beats propagated for the same prefix", []Route{
			local,
			{Destination: pfx("172.31.0.0/24"), Target: "vgw-1", Kind: Propagated, Source: VPNStatic},
			{Destination: pfx("172.31.0.0/24"), Target: "igw-1", Kind: Static},
		}, "172.31.0.9", "igw-1", true, false, ""},
		{"local beats a more specific propagated route", []Route{
			local,
			{Destination: pfx("10.0.1.0/24"), Target: "vgw-1", Kind: Propagated, Source: VPNStatic},
		}, "10.0.1.7", "local", true, false, ""},
		{"Direct Connect before static VPN before BGP VPN", []Route{
			local,
			{Destination: pfx("192.168.0.0/16"), Target: "vgw-1", Kind: Propagated, Source: VPNBGP, Via: "vpn-bgp"},
			{Destination: pfx("192.168.0.0/16"), Target: "vgw-1", Kind: Propagated, Source: DirectConnect, Via: "dxvif-1"},
			{Destination: pfx("192.168.0.0/16"), Target: "vgw-1", Kind: Propagated, Source: VPNStatic, Via: "vpn-static"},
		}, "192.168.4.4", "vgw-1", true, false, "dxvif-1"},
		{"static VPN before BGP VPN", []Route{
			local,
			{Destination: pfx("192.168.0.0/16"), Target: "vgw-1", Kind: Propagated, Source: VPNBGP, Via: "vpn-bgp"},
			{Destination: pfx("192.168.0.0/16"), Target: "vgw-1", Kind: Propagated, Source: VPNStatic, Via: "vpn-static"},
		}, "192.168.4.4", "vgw-1", true, false, "vpn-static"},
		{"Direct Connect before BGP VPN", []Route{
			local,
			{Destination: pfx("192.168.0.0/16"), Target: "vgw-1", Kind: Propagated, Source: VPNBGP, Via: "vpn-bgp"},
			{Destination: pfx("192.168.0.0/16"), Target: "vgw-1", Kind: Propagated, Source: DirectConnect, Via: "dxvif-1"},
		}, "192.168.4.4", "vgw-1", true, false, "dxvif-1"},
		{"a more specific BGP route beats a less specific static VPN route", []Route{
			local,
			{Destination: pfx("192.168.0.0/16"), Target: "vgw-1", Kind: Propagated, Source: VPNStatic, Via: "vpn-static"},
			{Destination: pfx("192.168.4.0/24"), Target: "vgw-1", Kind: Propagated, Source: VPNBGP, Via: "vpn-bgp"},
		}, "192.168.4.4", "vgw-1", true, false, "vpn-bgp"},
		{"prefix list before propagated, after static", []Route{
			local,
			{PrefixListID: "pl-s3", PrefixListCIDRs: []netip.Prefix{pfx("52.216.0.0/15")}, Target: "vpce-1", Kind: PrefixList},
			{Destination: pfx("52.216.0.0/15"), Target: "vgw-1", Kind: Propagated, Source: VPNStatic},
		}, "52.217.1.1", "vpce-1", true, false, ""},
		{"static before prefix list", []Route{
			local,
			{PrefixListID: "pl-s3", PrefixListCIDRs: []netip.Prefix{pfx("52.216.0.0/15")}, Target: "vpce-1", Kind: PrefixList},
			{Destination: pfx("52.216.0.0/15"), Target: "nat-1", Kind: Static},
		}, "52.217.1.1", "nat-1", true, false, ""},
		{"gateway endpoint prefix list beats the default route", []Route{
			local,
			{Destination: pfx("0.0.0.0/0"), Target: "nat-1", Kind: Static},
			{PrefixListID: "pl-s3", PrefixListCIDRs: []netip.Prefix{pfx("52.216.0.0/15")}, Target: "vpce-1", Kind: PrefixList},
		}, "52.216.9.9", "vpce-1", true, false, ""},
		{"blackhole drops, no fallback to a less specific route", []Route{
			local,
			{Destination: pfx("0.0.0.0/0"), Target: "igw-1", Kind: Static},
			{Destination: pfx("8.8.8.0/24"), Target: "nat-gone", Kind: Static, Blackhole: true},
		}, "8.8.8.8", "nat-gone", true, true, ""},
		{"no route", []Route{local}, "8.8.8.8", "", false, false, ""},
		{"IPv4 routes do not match IPv6", []Route{local, {Destination: pfx("0.0.0.0/0"), Target: "igw-1", Kind: Static}}, "2001:db8::1", "", false, false, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Evaluate(c.routes, netip.MustParseAddr(c.dst))
			if got.Found != c.wantFound || got.Route.Target != c.wantTarget || got.Blackhole != c.wantBH || got.Route.Via != c.wantVia {
				t.Fatalf("Evaluate(%s) = found %v target %q blackhole %v via %q (%s); want found %v target %q blackhole %v via %q",
					c.dst, got.Found, got.Route.Target, got.Blackhole, got.Route.Via, got.Reason, c.wantFound, c.wantTarget, c.wantBH, c.wantVia)
			}
			if got.Found && got.Reason == "" {
				t.Error("no reason given")
			}
		})
	}
}
