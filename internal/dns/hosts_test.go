package dns

import (
	"strings"

	"fmt"
	mdns "github.com/miekg/dns"
	"net/netip"
	"slices"
	"sort"
	"testing"
)

// PrivateZones and Names make viewSource a Lister.
func (v viewSource) PrivateZones(vpc string) ([]Zone, error) {
	var out []Zone
	for _, z := range v {
		if len(z.vpcs) > 0 && (vpc == AllVPCs || slices.Contains(z.vpcs, vpc)) {
			out = append(out, z.Zone)
		}
	}
	return out, nil
}

func (v viewSource) Names(z Zone) ([]string, error) {
	var out []string
	for n := range v.spec(z).sets {
		out = append(out, n)
	}
	sort.Strings(out)
	return out, nil
}

// TestHosts: a VPC's hosts entries are the names of the private zones
// associated with it, with what the resolver answers (A and AAAA, a
// CNAME chased to its A, an A alias to its target's A only); another VPC's
// zones, public zones, wildcards and names without addresses are not
// there.
func TestHosts(t *testing.T) {
	const vpcA, vpcB = "vpc-0aaaaaaaaaaaaaaa1", "vpc-0bbbbbbbbbbbbbbb2"
	src := viewSource{
		{Zone: Zone{ID: "ZA", Name: "corp.internal."}, vpcs: []string{vpcA}, sets: map[string][]RRSet{
			"corp.internal.":     {{Name: "corp.internal.", Type: "SOA", TTL: 900, Values: []string{"ns. admin. 1 7200 900 1209600 86400"}}},
			"db.corp.internal.":  {{Name: "db.corp.internal.", Type: "A", TTL: 60, Values: []string{"10.0.1.5", "10.0.1.6"}}, {Name: "db.corp.internal.", Type: "AAAA", TTL: 60, Values: []string{"fd00::5"}}},
			"www.corp.internal.": {{Name: "www.corp.internal.", Type: "CNAME", TTL: 60, Values: []string{"db.corp.internal."}}},
			"api.corp.internal.": {{Name: "api.corp.internal.", Type: "A", Alias: &Alias{DNSName: "db.corp.internal.", HostedZoneID: "ZA"}}},
			"txt.corp.internal.": {{Name: "txt.corp.internal.", Type: "TXT", TTL: 60, Values: []string{`"x"`}}},
			"*.corp.internal.":   a("*.corp.internal.", "10.0.9.9"),
			"out.corp.internal.": {{Name: "out.corp.internal.", Type: "CNAME", TTL: 60, Values: []string{"example.com."}}},
		}},
		{Zone: Zone{ID: "ZB", Name: "other.internal."}, vpcs: []string{vpcB}, sets: map[string][]RRSet{
			"secret.other.internal.": a("secret.other.internal.", "10.1.0.1"),
		}},
		{Zone: Zone{ID: "ZP", Name: "example.com."}, sets: map[string][]RRSet{
			"www.example.com.": a("www.example.com.", "192.0.2.1"),
		}},
	}
	r := &Resolver{Source: src}
	got, err := r.Hosts(src, vpcA)
	if err != nil {
		t.Fatal(err)
	}
	five, six, v6 := netip.MustParseAddr("10.0.1.5"), netip.MustParseAddr("10.0.1.6"), netip.MustParseAddr("fd00::5")
	want := []HostEntry{
		{"api.corp.internal", []netip.Addr{five, six}}, // an A alias answers A only
		{"db.corp.internal", []netip.Addr{five, six, v6}},
		{"www.corp.internal", []netip.Addr{five, six, v6}},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("vpc A:\n got %v\nwant %v", got, want)
	}
	got, _ = r.Hosts(src, vpcB)
	if fmt.Sprint(got) != fmt.Sprint([]HostEntry{{"secret.other.internal", []netip.Addr{netip.MustParseAddr("10.1.0.1")}}}) {
		t.Fatalf("vpc B: %v", got)
	}
	if got, _ = r.Hosts(src, "vpc-0ccccccccccccccc3"); len(got) != 0 {
		t.Fatalf("a VPC without private zones: %v", got)
	}
	if got, _ = r.Hosts(src, AllVPCs); len(got) != 4 {
		t.Fatalf("every VPC: %v", got)
	}
}

// TestVPCNames: a VPC's resolver answers its instances' private DNS
// names (A, NODATA for AAAA); a query from outside every VPC does not
// get them, and another VPC's instance is not answered.
func TestVPCNames(t *testing.T) {
	const vpcA = "vpc-0aaaaaaaaaaaaaaa1"
	r := &Resolver{Source: viewSource{}, VPCNames: func(name, vpc string) ([]netip.Addr, error) {
		if name == "ip-10-0-1-5.ec2.internal." && (vpc == vpcA || vpc == AllVPCs) {
			return []netip.Addr{netip.MustParseAddr("10.0.1.5")}, nil
		}
		return nil, nil
	}}
	for _, c := range []struct {
		vpc   string
		qtype uint16
		rcode int
		want  string
	}{
		{vpcA, mdns.TypeA, mdns.RcodeSuccess, "ip-10-0-1-5.ec2.internal.\t60\tin\ta\t10.0.1.5"},
		{AllVPCs, mdns.TypeA, mdns.RcodeSuccess, "ip-10-0-1-5.ec2.internal.\t60\tin\ta\t10.0.1.5"},
		{vpcA, mdns.TypeAAAA, mdns.RcodeSuccess, ""},
		{"vpc-0bbbbbbbbbbbbbbb2", mdns.TypeA, mdns.RcodeRefused, ""},
		{"", mdns.TypeA, mdns.RcodeRefused, ""},
	} {
		m, err := r.Answer(mdns.Question{Name: "IP-10-0-1-5.ec2.internal.", Qtype: c.qtype, Qclass: mdns.ClassINET}, c.vpc)
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		for _, rr := range m.Answer {
			got = strings.ToLower(rr.String())
		}
		if m.Rcode != c.rcode || got != c.want {
			t.Errorf("%s %s: rcode %d %q, want %d %q", c.vpc, mdns.TypeToString[c.qtype], m.Rcode, got, c.rcode, c.want)
		}
	}
}
