package dns

import (
	"net"
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
