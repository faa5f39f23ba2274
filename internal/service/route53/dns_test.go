package route53

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	mdns "github.com/miekg/dns"

	route53api "github.com/niwa-cloud/niwa/internal/api/route53"
	"github.com/niwa-cloud/niwa/internal/dns"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// dnsFixture serves the fixture's zones on an ephemeral port.
func dnsFixture(t *testing.T, opts ...dns.Option) (*fixture, string) {
	f := newFixture(t)
	f.resolver.Self = func() net.IP { return net.IPv4(127, 0, 0, 9) }
	return f, f.listen(t, opts...)
}

// listen serves f's zones on another ephemeral port, e.g. with another
// view.
func (f *fixture) listen(t *testing.T, opts ...dns.Option) string {
	srv, err := dns.Listen("127.0.0.1:0", f.Resolver(), nil, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv.Addr()
}

func query(t *testing.T, addr, net_, name string, qtype uint16, edit ...func(*mdns.Msg)) *mdns.Msg {
	t.Helper()
	m := new(mdns.Msg)
	m.SetQuestion(name, qtype)
	for _, e := range edit {
		e(m)
	}
	c := &mdns.Client{Net: net_}
	r, _, err := c.Exchange(m, addr)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func answers(m *mdns.Msg) string {
	var out []string
	for _, rr := range m.Answer {
		out = append(out, strings.ReplaceAll(rr.String(), "\t", " "))
	}
	return strings.Join(out, "|")
}

func TestDNSServer(t *testing.T) {
	f, addr := dnsFixture(t)
	z := f.zone("example.com", nil)
	alias := func(name, target, zoneID string) *route53api.ResourceRecordSet {
		return &route53api.ResourceRecordSet{Name: ptr.To(name), Type: ptr.To("A"), AliasTarget: &route53api.AliasTarget{DNSName: ptr.To(target), HostedZoneId: ptr.To(zoneID), EvaluateTargetHealth: ptr.To(false)}}
	}
	if err := f.change(z,
		ch("CREATE", rrset("ttl0.example.com", "A", 0, "10.0.0.1")),
		ch("CREATE", rrset("www.example.com", "CNAME", 300, "ttl0.example.com")),
		ch("CREATE", rrset("ext.example.com", "CNAME", 300, "elsewhere.example.net")),
		ch("CREATE", rrset("a.b.example.com", "TXT", 60, `"deep"`)),
		ch("CREATE", rrset("*.wild.example.com", "A", 30, "10.9.9.9")),
		ch("CREATE", rrset("example.com", "MX", 3600, "10 mail.example.com.")),
		ch("CREATE", rrset("_sip._tcp.example.com", "SRV", 60, "1 2 5060 sip.example.com.")),
		ch("CREATE", rrset("v6.example.com", "AAAA", 60, "2001:db8::1")),
		ch("CREATE", alias("apex-alias.example.com", "ttl0.example.com", "x")),
		ch("CREATE", alias("site.example.com", "s3-website-us-east-1.amazonaws.com", "Z3AQBSTGFYJSTF")),
	); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		qtype uint16
		rcode int
		want  string
		soa   bool
	}{
		{"ttl0.example.com.", mdns.TypeA, mdns.RcodeSuccess, "ttl0.example.com. 0 IN A 10.0.0.1", false},
		{"TTL0.Example.com.", mdns.TypeA, mdns.RcodeSuccess, "TTL0.Example.com. 0 IN A 10.0.0.1", false},
		{"www.example.com.", mdns.TypeA, mdns.RcodeSuccess, "www.example.com. 300 IN CNAME ttl0.example.com.|ttl0.example.com. 0 IN A 10.0.0.1", false},
		{"ext.example.com.", mdns.TypeA, mdns.RcodeSuccess, "ext.example.com. 300 IN CNAME elsewhere.example.net.", false},
		{"nope.example.com.", mdns.TypeA, mdns.RcodeNameError, "", true},
		{"ttl0.example.com.", mdns.TypeMX, mdns.RcodeSuccess, "", true},
		{"b.example.com.", mdns.TypeA, mdns.RcodeSuccess, "", true}, // empty non-terminal
		{"x.wild.example.com.", mdns.TypeA, mdns.RcodeSuccess, "x.wild.example.com. 30 IN A 10.9.9.9", false},
		{"example.com.", mdns.TypeMX, mdns.RcodeSuccess, "example.com. 3600 IN MX 10 mail.example.com.", false},
		{"_sip._tcp.example.com.", mdns.TypeSRV, mdns.RcodeSuccess, "_sip._tcp.example.com. 60 IN SRV 1 2 5060 sip.example.com.", false},
		{"v6.example.com.", mdns.TypeAAAA, mdns.RcodeSuccess, "v6.example.com. 60 IN AAAA 2001:db8::1", false},
		{"apex-alias.example.com.", mdns.TypeA, mdns.RcodeSuccess, "apex-alias.example.com. 0 IN A 10.0.0.1", false},
		{"site.example.com.", mdns.TypeA, mdns.RcodeSuccess, "site.example.com. 60 IN A 127.0.0.9", false},
		{"www.example.org.", mdns.TypeA, mdns.RcodeRefused, "", false},
	} {
		t.Run(fmt.Sprintf("%s %s", c.name, mdns.TypeToString[c.qtype]), func(t *testing.T) {
			for _, proto := range []string{"udp", "tcp"} {
				r := query(t, addr, proto, c.name, c.qtype)
				if r.Rcode != c.rcode || answers(r) != c.want {
					t.Fatalf("%s: rcode %s answers %q; want %s %q", proto, mdns.RcodeToString[r.Rcode], answers(r), mdns.RcodeToString[c.rcode], c.want)
				}
				if c.rcode != mdns.RcodeRefused && !r.Authoritative {
					t.Fatalf("%s: not authoritative", proto)
				}
				if hasSOA := len(r.Ns) == 1 && r.Ns[0].Header().Rrtype == mdns.TypeSOA; hasSOA != c.soa {
					t.Fatalf("%s: authority %v", proto, r.Ns)
				}
			}
		})
	}
	// An UPSERT is visible on the next query.
	if err := f.change(z, ch("UPSERT", rrset("ttl0.example.com", "A", 0, "10.0.0.2"))); err != nil {
		t.Fatal(err)
	}
	if got := answers(query(t, addr, "udp", "ttl0.example.com.", mdns.TypeA)); got != "ttl0.example.com. 0 IN A 10.0.0.2" {
		t.Fatalf("after UPSERT: %q", got)
	}
	// EDNS0: the answer carries an OPT record.
	r := query(t, addr, "udp", "ttl0.example.com.", mdns.TypeA, func(m *mdns.Msg) { m.SetEdns0(4096, false) })
	if r.IsEdns0() == nil {
		t.Fatal("no OPT in the answer to an EDNS0 query")
	}
}

// TestDNSTruncation: an answer larger than 512 bytes is truncated over
// UDP (TC set) and complete over TCP; with EDNS0 it fits.
func TestDNSTruncation(t *testing.T) {
	f, addr := dnsFixture(t)
	z := f.zone("example.com", nil)
	var values []string
	for i := range 40 {
		values = append(values, fmt.Sprintf(`"record number %02d with some padding to make it long"`, i))
	}
	if err := f.change(z, ch("CREATE", rrset("big.example.com", "TXT", 0, values...))); err != nil {
		t.Fatal(err)
	}
	udp := query(t, addr, "udp", "big.example.com.", mdns.TypeTXT)
	if !udp.Truncated || len(udp.Answer) >= 40 {
		t.Fatalf("udp: truncated %v with %d answers", udp.Truncated, len(udp.Answer))
	}
	tcp := query(t, addr, "tcp", "big.example.com.", mdns.TypeTXT)
	if tcp.Truncated || len(tcp.Answer) != 40 {
		t.Fatalf("tcp: truncated %v with %d answers", tcp.Truncated, len(tcp.Answer))
	}
	edns := query(t, addr, "udp", "big.example.com.", mdns.TypeTXT, func(m *mdns.Msg) { m.SetEdns0(4096, false) })
	if edns.Truncated || len(edns.Answer) != 40 {
		t.Fatalf("edns: truncated %v with %d answers", edns.Truncated, len(edns.Answer))
	}
}

// TestDNSPrivateZone: a private zone answers queries marked with one of
// its VPCs, where it shadows a public zone of the same name; a plain query
// from the host sees every zone by default (the private zone shadowing
// the public one), public zones only with the public view, and one VPC's
// zones with a VPC view.
func TestDNSPrivateZone(t *testing.T) {
	f, addr := dnsFixture(t, dns.WithView(dns.ViewPublic()))
	all := f.listen(t) // the default view
	vpc2 := f.listen(t, dns.WithView(dns.ViewVPC("vpc-22222222")))
	pub := f.zone("example.com", nil)
	priv, err := f.CreateHostedZone(f.ctx, &route53api.CreateHostedZoneInput{Name: ptr.To("example.com"), CallerReference: ptr.To("private"),
		VPC: &route53api.VPC{VPCId: ptr.To("vpc-11111111"), VPCRegion: ptr.To("us-east-1")}})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.change(pub, ch("CREATE", rrset("host.example.com", "A", 60, "203.0.113.1"))); err != nil {
		t.Fatal(err)
	}
	if err := f.change(*priv.HostedZone.Id, ch("CREATE", rrset("host.example.com", "A", 60, "10.0.1.4"))); err != nil {
		t.Fatal(err)
	}
	rev, err := f.CreateHostedZone(f.ctx, &route53api.CreateHostedZoneInput{Name: ptr.To("10.in-addr.arpa"), CallerReference: ptr.To("reverse"),
		VPC: &route53api.VPC{VPCId: ptr.To("vpc-11111111"), VPCRegion: ptr.To("us-east-1")}})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.change(*rev.HostedZone.Id, ch("UPSERT", rrset("4.1.0.10.in-addr.arpa", "PTR", 60, "host.example.com"))); err != nil {
		t.Fatal(err)
	}
	inVPC := func(vpc string) func(*mdns.Msg) { return func(m *mdns.Msg) { dns.VPCQuery(m, vpc) } }
	if got := answers(query(t, addr, "udp", "host.example.com.", mdns.TypeA)); got != "host.example.com. 60 IN A 203.0.113.1" {
		t.Fatalf("outside: %q", got)
	}
	if got := answers(query(t, addr, "udp", "host.example.com.", mdns.TypeA, inVPC("vpc-11111111"))); got != "host.example.com. 60 IN A 10.0.1.4" {
		t.Fatalf("inside: %q", got)
	}
	if got := answers(query(t, addr, "udp", "host.example.com.", mdns.TypeA, inVPC("vpc-22222222"))); got != "host.example.com. 60 IN A 203.0.113.1" {
		t.Fatalf("other vpc: %q", got)
	}
	if got := answers(query(t, addr, "udp", "4.1.0.10.in-addr.arpa.", mdns.TypePTR, inVPC("vpc-11111111"))); got != "4.1.0.10.in-addr.arpa. 60 IN PTR host.example.com." {
		t.Fatalf("ptr inside: %q", got)
	}
	// The reverse zone is private only: outside the VPC niwa serves no
	// zone for the name.
	if r := query(t, addr, "udp", "4.1.0.10.in-addr.arpa.", mdns.TypePTR); r.Rcode != mdns.RcodeRefused {
		t.Fatalf("ptr outside: %s", mdns.RcodeToString[r.Rcode])
	}
	// The host's default view: every private zone, with no EDNS0 option.
	if got := answers(query(t, all, "udp", "host.example.com.", mdns.TypeA)); got != "host.example.com. 60 IN A 10.0.1.4" {
		t.Fatalf("host, all: %q", got)
	}
	if got := answers(query(t, all, "tcp", "4.1.0.10.in-addr.arpa.", mdns.TypePTR)); got != "4.1.0.10.in-addr.arpa. 60 IN PTR host.example.com." {
		t.Fatalf("ptr host, all: %q", got)
	}
	// A VPC view: that VPC's zones only (here none: the public zone).
	if got := answers(query(t, vpc2, "udp", "host.example.com.", mdns.TypeA)); got != "host.example.com. 60 IN A 203.0.113.1" {
		t.Fatalf("host, vpc-22222222 view: %q", got)
	}
	// Inside a VPC, the server's view does not matter.
	if got := answers(query(t, all, "udp", "host.example.com.", mdns.TypeA, inVPC("vpc-22222222"))); got != "host.example.com. 60 IN A 203.0.113.1" {
		t.Fatalf("other vpc, all view: %q", got)
	}
	if got := answers(query(t, vpc2, "udp", "host.example.com.", mdns.TypeA, inVPC("vpc-11111111"))); got != "host.example.com. 60 IN A 10.0.1.4" {
		t.Fatalf("vpc, other vpc's view: %q", got)
	}

	// A second private example.com, in another VPC, created later: the
	// host's default view keeps answering from the first one; its own
	// VPC sees it.
	f.clock.Advance(time.Minute)
	later, err := f.CreateHostedZone(f.ctx, &route53api.CreateHostedZoneInput{Name: ptr.To("example.com"), CallerReference: ptr.To("private-2"),
		VPC: &route53api.VPC{VPCId: ptr.To("vpc-22222222"), VPCRegion: ptr.To("us-east-1")}})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.change(*later.HostedZone.Id, ch("CREATE", rrset("host.example.com", "A", 60, "10.0.2.4"))); err != nil {
		t.Fatal(err)
	}
	if got := answers(query(t, all, "udp", "host.example.com.", mdns.TypeA)); got != "host.example.com. 60 IN A 10.0.1.4" {
		t.Fatalf("two private zones, all: %q", got)
	}
	if got := answers(query(t, vpc2, "udp", "host.example.com.", mdns.TypeA)); got != "host.example.com. 60 IN A 10.0.2.4" {
		t.Fatalf("two private zones, vpc-22222222 view: %q", got)
	}
	if got := answers(query(t, addr, "udp", "host.example.com.", mdns.TypeA)); got != "host.example.com. 60 IN A 203.0.113.1" {
		t.Fatalf("two private zones, public view: %q", got)
	}
}

func TestDNSRoutingPolicies(t *testing.T) {
	f, addr := dnsFixture(t)
	z := f.zone("example.com", nil)
	set := func(id string, mod func(*route53api.ResourceRecordSet), value string) route53api.Change {
		rs := rrset("p.example.com", "A", 10, value)
		rs.SetIdentifier = ptr.To(id)
		mod(rs)
		return ch("CREATE", rs)
	}
	if err := f.change(z,
		set("primary", func(rs *route53api.ResourceRecordSet) { rs.Failover = ptr.To("PRIMARY") }, "10.0.0.1"),
		set("secondary", func(rs *route53api.ResourceRecordSet) { rs.Failover = ptr.To("SECONDARY") }, "10.0.0.2"),
	); err != nil {
		t.Fatal(err)
	}
	if got := answers(query(t, addr, "udp", "p.example.com.", mdns.TypeA)); got != "p.example.com. 10 IN A 10.0.0.1" {
		t.Fatalf("failover: %q", got)
	}
	w := func(id string, weight int64, v string) route53api.Change {
		rs := rrset("w.example.com", "A", 10, v)
		rs.SetIdentifier, rs.Weight = ptr.To(id), ptr.To(weight)
		return ch("CREATE", rs)
	}
	if err := f.change(z, w("zero", 0, "10.0.0.1"), w("all", 5, "10.0.0.2")); err != nil {
		t.Fatal(err)
	}
	for range 10 {
		if got := answers(query(t, addr, "udp", "w.example.com.", mdns.TypeA)); got != "w.example.com. 10 IN A 10.0.0.2" {
			t.Fatalf("weighted: %q", got)
		}
	}
}
