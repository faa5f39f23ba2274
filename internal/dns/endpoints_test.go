package dns

import (
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"

	mdns "github.com/miekg/dns"
)

// TestEndpoints: a name outside every zone that a service hands out (a
// load balancer's DNS name) answers niwa's address; other names are
// still refused, and zones still win.
func TestEndpoints(t *testing.T) {
	r := &Resolver{Source: mapSource{zone: Zone{ID: "Z1", Name: "zone.test."}, sets: map[string][]RRSet{}},
		Self: func() net.IP { return net.IPv4(10, 0, 0, 9) },
		Endpoints: func(name string) (bool, error) {
			return name == "web-1.us-east-1.elb.localhost." || name == "x.zone.test.", nil
		}}
	cases := []struct {
		name  string
		qtype uint16
		rcode int
		want  string
	}{
		{"web-1.us-east-1.elb.localhost.", mdns.TypeA, mdns.RcodeSuccess, "10.0.0.9"},
		{"WEB-1.us-east-1.elb.localhost", mdns.TypeA, mdns.RcodeSuccess, "10.0.0.9"},
		{"web-1.us-east-1.elb.localhost.", mdns.TypeTXT, mdns.RcodeSuccess, ""},
		{"other.elb.localhost.", mdns.TypeA, mdns.RcodeRefused, ""},
		{"x.zone.test.", mdns.TypeA, mdns.RcodeNameError, ""},
	}
	for _, c := range cases {
		m, err := r.Answer(mdns.Question{Name: c.name, Qtype: c.qtype, Qclass: mdns.ClassINET}, "")
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		if len(m.Answer) == 1 {
			got = m.Answer[0].(*mdns.A).A.String()
		}
		if m.Rcode != c.rcode || got != c.want {
			t.Errorf("%s: rcode %s answer %q", c.name, mdns.RcodeToString[m.Rcode], got)
		}
	}
}

// TestEndpointHosts: the names services list for hosts files get the
// addresses Answer gives them (niwa's own for a name outside every zone,
// the zone's records for one a zone holds, none for one a zone answers
// NXDOMAIN), each once, lower case, sorted, without the trailing dot.
func TestEndpointHosts(t *testing.T) {
	for _, self := range []net.IP{net.IPv4(10, 0, 0, 9), net.ParseIP("fd00::9")} {
		listed := []string{"web-1.us-east-1.elb.localhost", "abcde12345.execute-api.localhost.", "WEB-1.us-east-1.elb.localhost", "x.zone.test", "y.zone.test"}
		r := &Resolver{Source: mapSource{zone: Zone{ID: "Z1", Name: "zone.test."}, sets: map[string][]RRSet{"y.zone.test.": a("y.zone.test.", "192.0.2.7")}},
			Self: func() net.IP { return self },
			Endpoints: func(name string) (bool, error) {
				return slices.Contains(listed, name) || slices.Contains(listed, strings.TrimSuffix(name, ".")), nil
			},
			EachEndpoint: func(fn func(string) bool) error {
				for _, n := range listed {
					if !fn(n) {
						break
					}
				}
				return nil
			}}
		got, err := r.EndpointHosts()
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range got {
			names = append(names, e.Name)
			// The same addresses niwa's DNS answers.
			var want []netip.Addr
			for _, qt := range []uint16{mdns.TypeA, mdns.TypeAAAA} {
				m, err := r.Answer(mdns.Question{Name: e.Name + ".", Qtype: qt, Qclass: mdns.ClassINET}, "")
				if err != nil {
					t.Fatal(err)
				}
				want = append(want, rrAddrs(m.Answer)...)
			}
			if len(want) == 0 || !slices.Equal(e.Addrs, want) {
				t.Errorf("self %s: %s has %v, DNS answers %v", self, e.Name, e.Addrs, want)
			}
		}
		if want := []string{"abcde12345.execute-api.localhost", "web-1.us-east-1.elb.localhost", "y.zone.test"}; !slices.Equal(names, want) {
			t.Errorf("self %s: names %v, want %v", self, names, want)
		}
		if got[1].Addrs[0] != netip.MustParseAddr(self.String()) || got[2].Addrs[0] != netip.MustParseAddr("192.0.2.7") {
			t.Errorf("self %s: %v", self, got)
		}
	}
	if got, err := (&Resolver{Source: mapSource{}}).EndpointHosts(); err != nil || got != nil {
		t.Fatalf("no EachEndpoint: %v %v", got, err)
	}
}
