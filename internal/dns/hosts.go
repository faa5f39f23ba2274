package dns

import (
	"net/netip"
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
			e := HostEntry{Name: strings.TrimSuffix(n, ".")}
			for _, t := range []uint16{mdns.TypeA, mdns.TypeAAAA} {
				m, err := r.Answer(mdns.Question{Name: n, Qtype: t, Qclass: mdns.ClassINET}, vpc)
				if err != nil {
					return nil, err
				}
				if m.Rcode != mdns.RcodeSuccess {
					continue
				}
				for _, rr := range m.Answer {
					switch v := rr.(type) {
					case *mdns.A:
						if a, ok := netip.AddrFromSlice(v.A.To4()); ok {
							e.Addrs = append(e.Addrs, a)
						}
					case *mdns.AAAA:
						if a, ok := netip.AddrFromSlice(v.AAAA); ok {
							e.Addrs = append(e.Addrs, a)
						}
					}
				}
			}
			if len(e.Addrs) > 0 {
				out = append(out, e)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
