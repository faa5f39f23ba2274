package dns

import (
	"strings"
	"testing"

	mdns "github.com/miekg/dns"
)

// mapSource is a Source over one in-memory zone.
type mapSource struct {
	zone Zone
	sets map[string][]RRSet
}

func (m mapSource) Zone(name, vpc string) (Zone, bool, error) {
	if mdns.IsSubDomain(m.zone.Name, name) {
		return m.zone, true, nil
	}
	return Zone{}, false, nil
}

func (m mapSource) RRSets(z Zone, name string) ([]RRSet, error) { return m.sets[name], nil }

func (m mapSource) HasDescendants(z Zone, name string) (bool, error) {
	for n := range m.sets {
		if strings.HasSuffix(n, "."+name) {
			return true, nil
		}
	}
	return false, nil
}

func newTestServer() *Server {
	src := mapSource{zone: Zone{ID: "Z1", Name: "loop.test."}, sets: map[string][]RRSet{
		"loop.test.":   {{Name: "loop.test.", Type: "SOA", TTL: 900, Values: []string{"ns. host. 1 7200 900 1209600 86400"}}},
		"a.loop.test.": {{Name: "a.loop.test.", Type: "CNAME", TTL: 5, Values: []string{"b.loop.test."}}},
		"b.loop.test.": {{Name: "b.loop.test.", Type: "CNAME", TTL: 5, Values: []string{"a.loop.test."}}},
	}}
	return &Server{resolver: &Resolver{Source: src}}
}

// TestCNAMELoop: a CNAME loop ends in SERVFAIL instead of recursing
// forever.
func TestCNAMELoop(t *testing.T) {
	s := newTestServer()
	m := new(mdns.Msg)
	m.SetQuestion("a.loop.test.", mdns.TypeA)
	r := s.Handle(m, true)
	if r.Rcode != mdns.RcodeServerFailure {
		t.Fatalf("rcode %s", mdns.RcodeToString[r.Rcode])
	}
}

func TestProtocolErrors(t *testing.T) {
	s := newTestServer()
	m := new(mdns.Msg)
	m.SetQuestion("a.loop.test.", mdns.TypeA)
	m.SetEdns0(1232, false)
	m.IsEdns0().SetVersion(1)
	if r := s.Handle(m, true); r.Rcode != mdns.RcodeBadVers {
		t.Fatalf("EDNS version 1: %s", mdns.RcodeToString[r.Rcode])
	}
	m = new(mdns.Msg)
	m.SetQuestion("a.loop.test.", mdns.TypeA)
	m.Opcode = mdns.OpcodeUpdate
	if r := s.Handle(m, true); r.Rcode != mdns.RcodeNotImplemented {
		t.Fatalf("UPDATE: %s", mdns.RcodeToString[r.Rcode])
	}
	m = new(mdns.Msg)
	m.Id = 7
	if r := s.Handle(m, true); r.Rcode != mdns.RcodeFormatError || r.Id != 7 {
		t.Fatalf("no question: %s", mdns.RcodeToString[r.Rcode])
	}
}

func TestVPCOption(t *testing.T) {
	m := new(mdns.Msg)
	m.SetQuestion("x.", mdns.TypeA)
	if VPCOf(m) != "" {
		t.Fatal("vpc without option")
	}
	VPCQuery(m, "vpc-12345678")
	packed, err := m.Pack()
	if err != nil {
		t.Fatal(err)
	}
	var back mdns.Msg
	if err := back.Unpack(packed); err != nil {
		t.Fatal(err)
	}
	if VPCOf(&back) != "vpc-12345678" {
		t.Fatalf("vpc %q", VPCOf(&back))
	}
}

func TestValidValue(t *testing.T) {
	for _, c := range []struct {
		typ, value string
		ok         bool
	}{
		{"MX", "10 mail.example.com.", true},
		{"MX", "mail.example.com.", false},
		{"SRV", "1 2 5060 sip.example.com.", true},
		{"CAA", `0 issue "amazon.com"`, true},
		{"TXT", `"hello world"`, true},
	} {
		if err := ValidValue(c.typ, c.value); (err == nil) != c.ok {
			t.Errorf("%s %q: %v", c.typ, c.value, err)
		}
	}
}
