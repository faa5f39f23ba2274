// Package route answers the one question VPC routing asks: from a route
// table, where does traffic to an address go? Evaluate is the single
// implementation, used by EC2's /_niwa/ec2/route endpoint and by whatever
// simulates egress (Lambda in a VPC, instance commands, endpoint-aware
// policies), so every consumer sees the same answer.
//
// Precedence, from "How route priority works" in the Amazon VPC User Guide
// and the Site-to-Site VPN route priority page:
//
//  1. Longest prefix match, except that the local route beats any
//     propagated route that overlaps it, however specific.
//  2. For equal prefixes: the local route, then static routes (internet
//     and NAT gateways, peering, ENIs, instances, gateway endpoints, a VGW
//     named explicitly), then prefix-list routes, then propagated routes.
//  3. Among propagated (virtual private gateway) routes with equal
//     prefixes: PathOrder (Direct Connect BGP, VPN static, VPN BGP).
//
// A matching route in the blackhole state drops the traffic: AWS does not
// fall back to a less specific route.
package route

import (
	"fmt"
	"net/netip"
)

// Kind is where a route in a table came from.
type Kind int

// Kinds in precedence order for equal prefixes.
const (
	Local Kind = iota
	Static
	PrefixList
	Propagated
)

func (k Kind) String() string {
	switch k {
	case Local:
		return "local"
	case Static:
		return "static"
	case PrefixList:
		return "prefix-list"
	case Propagated:
		return "propagated"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Source is how a virtual private gateway learned a propagated route.
type Source int

// Sources of propagated routes.
const (
	SourceNone Source = iota
	// VPNStatic is a static route of a Site-to-Site VPN connection
	// (CreateVpnConnectionRoute).
	VPNStatic
	// DirectConnect is a BGP route learned over Direct Connect.
	DirectConnect
	// VPNBGP is a BGP route learned over a dynamic VPN connection.
	VPNBGP
)

func (s Source) String() string {
	switch s {
	case VPNStatic:
		return "vpn-static"
	case DirectConnect:
		return "direct-connect"
	case VPNBGP:
		return "vpn-bgp"
	}
	return ""
}

// PathOrder is the preference among propagated routes with the same
// destination, first preferred, as the VPC User Guide's "How route
// priority works" lists it: Direct Connect BGP routes, then VPN static
// routes, then VPN BGP routes. (The S16 seed, written from an older
// reading of the VGW documentation, puts static VPN routes before
// Direct Connect; AWS's current documentation is the spec.)
func PathOrder() []Source { return []Source{DirectConnect, VPNStatic, VPNBGP} }

func sourceRank(s Source) int {
	order := PathOrder()
	for i, o := range order {
		if o == s {
			return i
		}
	}
	return len(order)
}

// Route is one route of a table as the evaluator sees it.
type Route struct {
	// Destination is the CIDR; invalid for prefix-list routes.
	Destination netip.Prefix
	// PrefixListID and PrefixListCIDRs describe a prefix-list route
	// (gateway endpoints, managed prefix lists).
	PrefixListID    string
	PrefixListCIDRs []netip.Prefix
	// Target is "local" or the target's id (igw-, nat-, vgw-, pcx-,
	// eni-, i-, vpce-, tgw-...).
	Target string
	Kind   Kind
	// Source qualifies propagated routes.
	Source Source
	// Via names what a propagated route came through (vpn-..., dxvif-...).
	Via string
	// Blackhole is true when the target no longer exists or is detached.
	Blackhole bool
}

// Result is the decision for one destination.
type Result struct {
	// Found is false when no route matches: the traffic is dropped.
	Found bool
	// Route is the winning route.
	Route Route
	// Matched is the CIDR that matched (for prefix-list routes, the
	// list entry).
	Matched netip.Prefix
	// Blackhole is true when the winning route is a blackhole: the
	// traffic is dropped.
	Blackhole bool
	// Reason explains the choice in words, for the inspection endpoint.
	Reason string
}

type candidate struct {
	r       Route
	matched netip.Prefix
}

// Evaluate picks the route traffic to dst takes from routes.
func Evaluate(routes []Route, dst netip.Addr) Result {
	dst = dst.Unmap()
	var cands []candidate
	hasLocal := false
	for _, r := range routes {
		m, ok := match(r, dst)
		if !ok {
			continue
		}
		if r.Kind == Local {
			hasLocal = true
		}
		cands = append(cands, candidate{r: r, matched: m})
	}
	if hasLocal {
		// The local route wins over every overlapping propagated route,
		// even a more specific one.
		kept := cands[:0]
		for _, c := range cands {
			if c.r.Kind != Propagated {
				kept = append(kept, c)
			}
		}
		cands = kept
	}
	if len(cands) == 0 {
		return Result{Reason: fmt.Sprintf("no route in the table matches %s", dst)}
	}
	best := cands[0]
	for _, c := range cands[1:] {
		if better(c, best) {
			best = c
		}
	}
	res := Result{Found: true, Route: best.r, Matched: best.matched, Blackhole: best.r.Blackhole}
	res.Reason = reason(best, len(cands))
	return res
}

func better(a, b candidate) bool {
	if a.matched.Bits() != b.matched.Bits() {
		return a.matched.Bits() > b.matched.Bits()
	}
	if a.r.Kind != b.r.Kind {
		return a.r.Kind < b.r.Kind
	}
	if a.r.Kind == Propagated {
		return sourceRank(a.r.Source) < sourceRank(b.r.Source)
	}
	return false
}

func match(r Route, dst netip.Addr) (netip.Prefix, bool) {
	if r.PrefixListID != "" {
		var best netip.Prefix
		found := false
		for _, p := range r.PrefixListCIDRs {
			if p.Contains(dst) && (!found || p.Bits() > best.Bits()) {
				best, found = p, true
			}
		}
		return best, found
	}
	if !r.Destination.IsValid() || !r.Destination.Contains(dst) {
		return netip.Prefix{}, false
	}
	return r.Destination, true
}

func reason(c candidate, n int) string {
	s := fmt.Sprintf("longest prefix %s, %s route", c.matched, c.r.Kind)
	if c.r.Kind == Propagated && c.r.Source != SourceNone {
		s += " (" + c.r.Source.String() + ")"
	}
	if c.r.PrefixListID != "" {
		s += " via prefix list " + c.r.PrefixListID
	}
	if n > 1 {
		s += fmt.Sprintf(", chosen among %d matching routes", n)
	}
	if c.r.Blackhole {
		s += "; the route is a blackhole, so the traffic is dropped"
	}
	return s
}
