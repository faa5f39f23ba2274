package dns

import (
	"net/netip"
	"slices"
	"sort"
	"strings"

	mdns "github.com/miekg/dns"
)

// Hosts: code niwa runs inside a VPC (a Lambda function, an instance's
// processes) resolves names with the machine's libc resolver, which
// never asks niwa's DNS server. What that code must see of the VPC's
// resolver is written down instead, as a hosts file (internal/proc):
// every name of the private zones associated with the VPC, with the
// addresses the Resolver answers for it at the time. The Resolver makes
// the answer, so the hosts file and `dig` never disagree.

// Lister lists the names a VPC's private zones hold.
type Lister interface {
	// PrivateZones lists the private zones associated with vpc (a VPC
	// id; AllVPCs: every private zone).
	PrivateZones(vpc string) ([]Zone, error)
	// Names lists the owner names of z's record sets, lower case with
	// the trailing dot.
	Names(z Zone) ([]string, error)
}

// HostEntry is a name and the addresses a resolver answers for it.
type HostEntry struct {
	// Name is lower case, without the trailing dot.
	Name  string
	Addrs []netip.Addr
}

// Hosts lists what a client inside vpc resolves through the private
// zones associated with it: each owner name (its own A/AAAA records,
// the end of a CNAME chain inside niwa's zones, an alias's target) with
// the A and AAAA addresses Answer gives it now, sorted by name. Names
// that answer no address (TXT or MX only, a CNAME leaving niwa's zones)
// and wildcard owners (a hosts file cannot express them) are left out;
// a name with routing policies holds what Answer chose at this call.
func (r *Resolver) Hosts(l Lister, vpc string) ([]HostEntry, error) {
	zs, err := l.PrivateZones(vpc)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []HostEntry
	for _, z := range zs {
		names, err := l.Names(z)
		if err != nil {
			return nil, err
		}
		for _, n := range names {
			if seen[n] || strings.HasPrefix(n, "*.") {
				continue
			}
			seen[n] = true
			addrs, err := r.addrs(n, vpc)
			if err != nil {
				return nil, err
			}
			if len(addrs) > 0 {
				out = append(out, HostEntry{Name: strings.TrimSuffix(n, "."), Addrs: addrs})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// addrs is the A and AAAA addresses Answer gives name (lower case,
// fully qualified) asked from vpc.
func (r *Resolver) addrs(name, vpc string) ([]netip.Addr, error) {
	var out []netip.Addr
	for _, t := range []uint16{mdns.TypeA, mdns.TypeAAAA} {
		m, err := r.Answer(mdns.Question{Name: name, Qtype: t, Qclass: mdns.ClassINET}, vpc)
		if err != nil {
			return nil, err
		}
		if m.Rcode == mdns.RcodeSuccess {
			out = append(out, rrAddrs(m.Answer)...)
		}
	}
	return out, nil
}

// rrAddrs is the addresses of the A and AAAA records in rrs.
func rrAddrs(rrs []mdns.RR) []netip.Addr {
	var out []netip.Addr
	for _, rr := range rrs {
		switch v := rr.(type) {
		case *mdns.A:
			if a, ok := netip.AddrFromSlice(v.A.To4()); ok {
				out = append(out, a)
			}
		case *mdns.AAAA:
			if a, ok := netip.AddrFromSlice(v.AAAA); ok {
				out = append(out, a)
			}
		}
	}
	return out
}

// EndpointHosts lists the names services hand out for what niwa serves
// itself (EachEndpoint: load balancers, execute-api hosts, CloudFront
// domains, database endpoints) with the addresses niwa's DNS answers
// for them as asked from outside every VPC, as AWS's public DNS answers
// them everywhere, sorted by name. A name no hosted zone holds answers
// niwa's own address without a lookup per record type; one a public
// zone holds (a user's zone shadowing it) answers what the zone says.
func (r *Resolver) EndpointHosts() ([]HostEntry, error) {
	if r.EachEndpoint == nil {
		return nil, nil
	}
	var names []string
	if err := r.EachEndpoint(func(n string) bool {
		names = append(names, strings.ToLower(mdns.Fqdn(n)))
		return true
	}); err != nil {
		return nil, err
	}
	sort.Strings(names)
	names = slices.Compact(names)
	// What Answer gives an owned name outside every zone.
	self := append(rrAddrs(r.self(".", mdns.TypeA)), rrAddrs(r.self(".", mdns.TypeAAAA))...)
	out := make([]HostEntry, 0, len(names))
	for _, n := range names {
		addrs := slices.Clone(self)
		if _, inZone, err := r.Source.Zone(n, ""); err != nil {
			return nil, err
		} else if inZone {
			if addrs, err = r.addrs(n, ""); err != nil {
				return nil, err
			}
		}
		if len(addrs) > 0 {
			out = append(out, HostEntry{Name: strings.TrimSuffix(n, "."), Addrs: addrs})
		}
	}
	return out, nil
}
