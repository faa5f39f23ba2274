package dns

import (
	"slices"
	"strings"
	"testing"

	mdns "github.com/miekg/dns"
)

// zoneSpec is one zone of viewSource.
type zoneSpec struct {
	Zone
	vpcs []string // empty: public
	sets map[string][]RRSet
}

// viewSource is a Source over public and private zones with Source.Zone's
// documented visibility: a VPC sees its private zones first, "" sees
// public zones only, AllVPCs every zone (the first listed private zone
// winning, as the oldest does in the Route53 source).
type viewSource []zoneSpec

func (v viewSource) Zone(name, vpc string) (Zone, bool, error) {
	for suffix := name; ; suffix = parent(suffix) {
		var public *zoneSpec
		for i, z := range v {
			if z.Name != suffix {
				continue
			}
			switch {
			case len(z.vpcs) == 0:
				if public == nil {
					public = &v[i]
				}
			case vpc == AllVPCs || slices.Contains(z.vpcs, vpc):
				return z.Zone, true, nil
			}
		}
		if public != nil {
			return public.Zone, true, nil
		}
		if suffix == "" {
			return Zone{}, false, nil
		}
	}
}

func (v viewSource) spec(z Zone) zoneSpec {
	for _, s := range v {
		if s.ID == z.ID {
			return s
		}
	}
	return zoneSpec{}
}

func (v viewSource) RRSets(z Zone, name string) ([]RRSet, error) { return v.spec(z).sets[name], nil }

func (v viewSource) HasDescendants(z Zone, name string) (bool, error) {
	for n := range v.spec(z).sets {
		if strings.HasSuffix(n, "."+name) {
			return true, nil
		}
	}
	return false, nil
}

func a(name, ip string) []RRSet {
	return []RRSet{{Name: name, Type: "A", TTL: 60, Values: []string{ip}}}
}

// TestServerViews: a plain query (no EDNS0 at all) from the host sees
// the server's view; a
// query naming its VPC with VPCOption sees that VPC's view whatever the
// server's view is.
func TestServerViews(t *testing.T) {
	const vpcA, vpcB = "vpc-0aaaaaaaaaaaaaaa1", "vpc-0bbbbbbbbbbbbbbb2"
	src := viewSource{
		{Zone: Zone{ID: "ZPRIVA", Name: "example.internal."}, vpcs: []string{vpcA}, sets: map[string][]RRSet{
			"ip-10-0-1-4.example.internal.": a("ip-10-0-1-4.example.internal.", "10.0.1.4"),
			"both.example.internal.":        a("both.example.internal.", "10.0.1.1"),
		}},
		{Zone: Zone{ID: "ZPRIVB", Name: "example.internal."}, vpcs: []string{vpcB}, sets: map[string][]RRSet{
			"both.example.internal.":  a("both.example.internal.", "10.0.2.2"),
			"onlyb.example.internal.": a("onlyb.example.internal.", "10.0.2.9"),
		}},
		{Zone: Zone{ID: "ZPUB", Name: "example.com."}, sets: map[string][]RRSet{
			"www.example.com.": a("www.example.com.", "203.0.113.1"),
		}},
		{Zone: Zone{ID: "ZPRIVCOM", Name: "example.com."}, vpcs: []string{vpcB}, sets: map[string][]RRSet{
			"www.example.com.": a("www.example.com.", "10.0.2.80"),
		}},
	}
	cases := []struct {
		view View
		vpc  string // VPCOption of the query; "" sends a plain query
		name string
		want string // the A record's address, or an rcode
	}{
		{ViewAll(), "", "ip-10-0-1-4.example.internal.", "10.0.1.4"},
		{ViewAll(), "", "both.example.internal.", "10.0.1.1"}, // the first private zone answers
		{ViewAll(), "", "onlyb.example.internal.", "NXDOMAIN"},
		{ViewAll(), "", "www.example.com.", "10.0.2.80"}, // private over public
		{ViewAll(), "", "nothing.example.org.", "REFUSED"},
		{ViewPublic(), "", "ip-10-0-1-4.example.internal.", "REFUSED"},
		{ViewPublic(), "", "www.example.com.", "203.0.113.1"},
		{ViewVPC(vpcB), "", "ip-10-0-1-4.example.internal.", "NXDOMAIN"},
		{ViewVPC(vpcB), "", "both.example.internal.", "10.0.2.2"},
		{ViewVPC(vpcB), "", "www.example.com.", "10.0.2.80"},
		{ViewVPC(vpcA), "", "www.example.com.", "203.0.113.1"},
		{ViewVPC("vpc-0ccccccccccccccc3"), "", "both.example.internal.", "REFUSED"},
		// From inside a VPC: that VPC's view, never another's.
		{ViewAll(), vpcB, "ip-10-0-1-4.example.internal.", "NXDOMAIN"},
		{ViewAll(), vpcB, "both.example.internal.", "10.0.2.2"},
		{ViewPublic(), vpcA, "ip-10-0-1-4.example.internal.", "10.0.1.4"},
		{ViewVPC(vpcB), vpcA, "both.example.internal.", "10.0.1.1"},
		{ViewAll(), vpcA, "www.example.com.", "203.0.113.1"},
	}
	servers := map[View]string{}
	for _, v := range []View{ViewAll(), ViewPublic(), ViewVPC(vpcA), ViewVPC(vpcB), ViewVPC("vpc-0ccccccccccccccc3")} {
		srv, err := Listen("127.0.0.1:0", &Resolver{Source: src}, nil, WithView(v))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { srv.Close() })
		servers[v] = srv.Addr()
	}
	for _, c := range cases {
		t.Run(c.view.String()+"/"+c.vpc+"/"+c.name, func(t *testing.T) {
			m := new(mdns.Msg)
			m.SetQuestion(c.name, mdns.TypeA)
			if c.vpc != "" {
				VPCQuery(m, c.vpc)
			}
			r, _, err := new(mdns.Client).Exchange(m, servers[c.view])
			if err != nil {
				t.Fatal(err)
			}
			got := mdns.RcodeToString[r.Rcode]
			if r.Rcode == mdns.RcodeSuccess && len(r.Answer) == 1 {
				got = r.Answer[0].(*mdns.A).A.String()
			}
			if got != c.want {
				t.Fatalf("got %s, want %s (answer %v)", got, c.want, r.Answer)
			}
			if c.vpc == "" && r.IsEdns0() != nil {
				t.Fatalf("EDNS0 in the answer to a plain query")
			}
		})
	}
}

func TestParseView(t *testing.T) {
	for _, c := range []struct {
		in, want string // want "" means refused
	}{
		{"all", "all"},
		{"public", "public"},
		{"vpc-0123abcd", "vpc-0123abcd"},
		{"vpc-0123456789abcdef0", "vpc-0123456789abcdef0"},
		{"", ""},
		{"ALL", ""},
		{"private", ""},
		{"vpc-", ""},
		{"vpc-0123ABCD", ""},
		{"vpc-0123abc", ""},
		{"vpc-0123456789abcdef", ""},
		{"vpc-0123abcg", ""},
		{"subnet-0123abcd", ""},
	} {
		v, err := ParseView(c.in)
		switch {
		case c.want == "" && err == nil:
			t.Errorf("%q accepted as %s", c.in, v)
		case c.want != "" && err != nil:
			t.Errorf("%q: %v", c.in, err)
		case c.want != "" && v.String() != c.want:
			t.Errorf("%q: %s", c.in, v)
		}
	}
}

// FuzzParseView: any input is either refused or round-trips.
func FuzzParseView(f *testing.F) {
	for _, s := range []string{"all", "public", "vpc-0123abcd", "vpc-0123456789abcdef0", "", "vpc-"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseView(s)
		if err != nil {
			return
		}
		if v.String() != s {
			t.Fatalf("%q parsed as %s", s, v)
		}
		if back, err := ParseView(v.String()); err != nil || back != v {
			t.Fatalf("%q does not round-trip: %v %v", s, back, err)
		}
	})
}
