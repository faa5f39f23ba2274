package dns

import (
	"net"
	"net/netip"
	"strings"
	"testing"

	mdns "github.com/miekg/dns"
)

func w(n int64) *int64 { return &n }

// rec is one routed A record set for the routing tests.
func rec(id, ip string, mod func(*RRSet)) RRSet {
	s := RRSet{Name: "r.test.", Type: "A", TTL: 60, Values: []string{ip}, SetIdentifier: id}
	mod(&s)
	return s
}

func ips(t *testing.T, r *Resolver, name string) string {
	t.Helper()
	m, err := r.Answer(mdns.Question{Name: name, Qtype: mdns.TypeA, Qclass: mdns.ClassINET}, "")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, rr := range m.Answer {
		out = append(out, rr.(*mdns.A).A.String())
	}
	return strings.Join(out, ",")
}

// TestRoutingPolicies: each policy as Route 53 applies it, with health.
func TestRoutingPolicies(t *testing.T) {
	weighted := func(weight int64, unhealthy bool) func(*RRSet) {
		return func(s *RRSet) { s.Weight, s.Unhealthy = w(weight), unhealthy }
	}
	latency := func(region string, unhealthy bool) func(*RRSet) {
		return func(s *RRSet) { s.Region, s.Unhealthy = region, unhealthy }
	}
	geo := func(continent, country, sub string, unhealthy bool) func(*RRSet) {
		return func(s *RRSet) {
			s.Geo, s.Unhealthy = true, unhealthy
			s.GeoContinent, s.GeoCountry, s.GeoSubdivision = continent, country, sub
			s.GeoDefault = continent == "" && country == ""
		}
	}
	prox := func(region string, lat, lon float64, bias int32) func(*RRSet) {
		return func(s *RRSet) { s.Proximity = &Proximity{Region: region, Lat: lat, Lon: lon, Bias: bias} }
	}
	mv := func(unhealthy bool) func(*RRSet) {
		return func(s *RRSet) { s.MultiValue, s.Unhealthy = true, unhealthy }
	}
	fo := func(role string, unhealthy bool) func(*RRSet) {
		return func(s *RRSet) { s.Failover, s.Unhealthy = role, unhealthy }
	}
	client := func(region, loc string) Client {
		c, err := ClientIn(region)
		if err != nil {
			t.Fatal(err)
		}
		if loc != "" {
			if c, err = ParseLocation(c, loc); err != nil {
				t.Fatal(err)
			}
		}
		return c
	}
	for _, c := range []struct {
		name   string
		sets   []RRSet
		client Client
		rand   int64 // what the injected randomness returns
		want   string
	}{
		{"failover primary healthy", []RRSet{rec("p", "1.0.0.1", fo("PRIMARY", false)), rec("s", "1.0.0.2", fo("SECONDARY", false))}, Client{}, 0, "1.0.0.1"},
		{"failover primary unhealthy", []RRSet{rec("p", "1.0.0.1", fo("PRIMARY", true)), rec("s", "1.0.0.2", fo("SECONDARY", false))}, Client{}, 0, "1.0.0.2"},
		{"failover both unhealthy answers primary", []RRSet{rec("p", "1.0.0.1", fo("PRIMARY", true)), rec("s", "1.0.0.2", fo("SECONDARY", true))}, Client{}, 0, "1.0.0.1"},
		{"weighted first share", []RRSet{rec("a", "1.0.0.1", weighted(1, false)), rec("b", "1.0.0.2", weighted(3, false))}, Client{}, 0, "1.0.0.1"},
		{"weighted second share", []RRSet{rec("a", "1.0.0.1", weighted(1, false)), rec("b", "1.0.0.2", weighted(3, false))}, Client{}, 1, "1.0.0.2"},
		{"weighted zero never with others", []RRSet{rec("a", "1.0.0.1", weighted(0, false)), rec("b", "1.0.0.2", weighted(3, false))}, Client{}, 0, "1.0.0.2"},
		{"weighted unhealthy skipped", []RRSet{rec("a", "1.0.0.1", weighted(5, true)), rec("b", "1.0.0.2", weighted(1, false))}, Client{}, 0, "1.0.0.2"},
		{"weighted all zero", []RRSet{rec("a", "1.0.0.1", weighted(0, false)), rec("b", "1.0.0.2", weighted(0, false))}, Client{}, 1, "1.0.0.2"},
		{"weighted zero when the others are unhealthy", []RRSet{rec("a", "1.0.0.1", weighted(0, false)), rec("b", "1.0.0.2", weighted(3, true))}, Client{}, 0, "1.0.0.1"},
		{"weighted all unhealthy count as healthy", []RRSet{rec("a", "1.0.0.1", weighted(1, true)), rec("b", "1.0.0.2", weighted(1, true))}, Client{}, 1, "1.0.0.2"},
		{"multivalue healthy only", []RRSet{rec("a", "1.0.0.1", mv(false)), rec("b", "1.0.0.2", mv(true)), rec("c", "1.0.0.3", mv(false))}, Client{}, 0, "1.0.0.1,1.0.0.3"},
		{"latency own region", []RRSet{rec("a", "1.0.0.1", latency("eu-west-1", false)), rec("b", "1.0.0.2", latency("us-east-1", false))}, client("us-east-1", ""), 0, "1.0.0.2"},
		{"latency nearest", []RRSet{rec("a", "1.0.0.1", latency("eu-west-1", false)), rec("b", "1.0.0.2", latency("ap-northeast-1", false))}, client("eu-central-1", ""), 0, "1.0.0.1"},
		{"latency nearest healthy", []RRSet{rec("a", "1.0.0.1", latency("eu-west-1", true)), rec("b", "1.0.0.2", latency("ap-northeast-1", false))}, client("eu-central-1", ""), 0, "1.0.0.2"},
		{"geo subdivision", []RRSet{rec("us", "1.0.0.1", geo("", "US", "", false)), rec("wa", "1.0.0.2", geo("", "US", "WA", false)), rec("d", "1.0.0.9", geo("", "", "", false))}, client("us-west-2", "NA/US/WA"), 0, "1.0.0.2"},
		{"geo country", []RRSet{rec("us", "1.0.0.1", geo("", "US", "", false)), rec("wa", "1.0.0.2", geo("", "US", "WA", false)), rec("d", "1.0.0.9", geo("", "", "", false))}, client("us-east-1", "NA/US/VA"), 0, "1.0.0.1"},
		{"geo continent", []RRSet{rec("eu", "1.0.0.3", geo("EU", "", "", false)), rec("d", "1.0.0.9", geo("", "", "", false))}, client("us-east-1", "EU/DE"), 0, "1.0.0.3"},
		{"geo unhealthy falls back", []RRSet{rec("de", "1.0.0.4", geo("", "DE", "", true)), rec("eu", "1.0.0.3", geo("EU", "", "", false))}, client("us-east-1", "EU/DE"), 0, "1.0.0.3"},
		{"geo default", []RRSet{rec("eu", "1.0.0.3", geo("EU", "", "", false)), rec("d", "1.0.0.9", geo("", "", "", false))}, client("us-east-1", "AS/JP"), 0, "1.0.0.9"},
		{"geo no match no answer", []RRSet{rec("eu", "1.0.0.3", geo("EU", "", "", false))}, client("us-east-1", "AS/JP"), 0, ""},
		{"geoproximity nearest", []RRSet{rec("a", "1.0.0.1", prox("us-east-1", 0, 0, 0)), rec("b", "1.0.0.2", prox("eu-west-1", 0, 0, 0))}, client("us-east-1", "EU/FR@48.9,2.4"), 0, "1.0.0.2"},
		{"geoproximity bias", []RRSet{rec("a", "1.0.0.1", prox("us-east-1", 0, 0, 90)), rec("b", "1.0.0.2", prox("eu-west-1", 0, 0, 0))}, client("us-east-1", "EU/FR@48.9,2.4"), 0, "1.0.0.1"},
		{"geoproximity coordinates", []RRSet{rec("a", "1.0.0.1", prox("", 35.7, 139.7, 0)), rec("b", "1.0.0.2", prox("eu-west-1", 0, 0, 0))}, client("ap-northeast-1", ""), 0, "1.0.0.1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := mapSource{zone: Zone{ID: "Z1", Name: "test."}, sets: map[string][]RRSet{"r.test.": c.sets}}
			r := &Resolver{Source: src, Client: c.client, Rand: func(int64) int64 { return c.rand }}
			if got := ips(t, r, "r.test."); got != c.want {
				t.Fatalf("got %q, want %q", got, c.want)
			}
		})
	}
}

// TestMultivalueAtMostEight: nine healthy record sets answer eight.
func TestMultivalueAtMostEight(t *testing.T) {
	var sets []RRSet
	for i := range 9 {
		sets = append(sets, rec(string(rune('a'+i)), "1.0.0."+string(rune('1'+i)), func(s *RRSet) { s.MultiValue = true }))
	}
	r := &Resolver{Source: mapSource{zone: Zone{ID: "Z1", Name: "test."}, sets: map[string][]RRSet{"r.test.": sets}}}
	if got := strings.Count(ips(t, r, "r.test."), ",") + 1; got != 8 {
		t.Fatalf("%d records", got)
	}
}

func TestParseLocation(t *testing.T) {
	base, _ := ClientIn("us-east-1")
	for _, c := range []struct {
		in, err string
		want    Client
	}{
		{"EU/DE", "", Client{Region: "us-east-1", Continent: "EU", Country: "DE", Lat: base.Lat, Lon: base.Lon}},
		{"na/us/wa@47.6,-122.3", "", Client{Region: "us-east-1", Continent: "NA", Country: "US", Subdivision: "WA", Lat: 47.6, Lon: -122.3}},
		{"XX", "continent must be", Client{}},
		{"EU/DEU", "country must be", Client{}},
		{"EU/DE@91,0", "coordinates must be", Client{}},
		{"", "want CONTINENT", Client{}},
	} {
		got, err := ParseLocation(base, c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Fatalf("%q: err %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Fatalf("%q: %+v %v", c.in, got, err)
		}
	}
	if _, err := ClientIn("mars-1"); err == nil {
		t.Fatal("unknown region accepted")
	}
}

func FuzzParseLocation(f *testing.F) {
	for _, s := range []string{"EU/DE", "NA/US/WA@47.6,-122.3", "@", "//", "EU@x,y"} {
		f.Add(s)
	}
	base, _ := ClientIn("us-east-1")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseLocation(base, s)
		if err == nil && (c.Lat < -90 || c.Lat > 90 || c.Lon < -180 || c.Lon > 180 || !validContinent(c.Continent)) {
			t.Fatalf("%q accepted as %+v", s, c)
		}
	})
}

// TestCidrRouting: the most specific block holding the asker's address
// wins, else the default ("*") location, else no answer; the address is
// the query's EDNS0 client subnet when it has one.
func TestCidrRouting(t *testing.T) {
	cidr := func(loc string, blocks ...string) func(*RRSet) {
		return func(s *RRSet) {
			s.CidrLocation = loc
			for _, b := range blocks {
				s.CidrBlocks = append(s.CidrBlocks, netip.MustParsePrefix(b))
			}
		}
	}
	sets := []RRSet{
		rec("wide", "1.0.0.1", cidr("wide", "10.0.0.0/8")),
		rec("narrow", "1.0.0.2", cidr("narrow", "10.1.0.0/16")),
		rec("default", "1.0.0.9", cidr("*")),
	}
	r := &Resolver{Source: mapSource{zone: Zone{ID: "Z1", Name: "test."}, sets: map[string][]RRSet{"r.test.": sets, "nodef.test.": sets[:2]}}}
	for _, c := range []struct{ name, from, want string }{
		{"r.test.", "10.1.2.3", "1.0.0.2"},
		{"r.test.", "10.9.9.9", "1.0.0.1"},
		{"r.test.", "192.0.2.1", "1.0.0.9"},
		{"r.test.", "", "1.0.0.9"},
		{"nodef.test.", "192.0.2.1", ""},
	} {
		var from netip.Addr
		if c.from != "" {
			from = netip.MustParseAddr(c.from)
		}
		m, err := r.AnswerFrom(mdns.Question{Name: c.name, Qtype: mdns.TypeA, Qclass: mdns.ClassINET}, "", from)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, rr := range m.Answer {
			got = append(got, rr.(*mdns.A).A.String())
		}
		if strings.Join(got, ",") != c.want {
			t.Fatalf("%s from %s: %v, want %s", c.name, c.from, got, c.want)
		}
	}
	q := new(mdns.Msg)
	q.SetQuestion("r.test.", mdns.TypeA)
	q.SetEdns0(1232, false)
	q.IsEdns0().Option = append(q.IsEdns0().Option, &mdns.EDNS0_SUBNET{Code: mdns.EDNS0SUBNET, Family: 1, SourceNetmask: 24, Address: net.ParseIP("10.1.2.0").To4()})
	if got := ClientSubnet(q); got != netip.MustParseAddr("10.1.2.0") {
		t.Fatalf("client subnet %v", got)
	}
	resp := (&Server{resolver: r}).Handle(q, true)
	if len(resp.Answer) != 1 || resp.Answer[0].(*mdns.A).A.String() != "1.0.0.2" {
		t.Fatalf("server with a client subnet: %v", resp.Answer)
	}
}
