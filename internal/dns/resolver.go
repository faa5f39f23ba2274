// Package dns is niwa's authoritative DNS server for Route53 hosted zones.
//
// The Resolver turns one question into an authoritative answer from a
// Source (the Route53 service's stored zones): exact and wildcard names,
// CNAME chasing inside the zones niwa serves, alias records, routing
// policies, NXDOMAIN versus NODATA with the zone's SOA in the authority
// section, and TTLs exactly as stored (a TTL of 0 stays 0). The Server
// puts a Resolver on UDP and TCP with EDNS0 and truncation. The same
// Resolver answers Route53's TestDNSAnswer, so the API and the wire never
// disagree.
//
// # Private zones
//
// A private hosted zone answers only queries that come "from" one of its
// VPCs. A query says which VPC it comes from with an EDNS0 local option
// (code VPCOption, 65001) whose data is the VPC id in ASCII
// ("vpc-0abc..."); code running inside niwa's VPC model adds it, and so
// can a test (see VPCQuery). A query without the option comes from the
// host running niwa and sees the Server's View: by default every zone,
// public and private (ViewAll); --dns-view narrows it to public zones
// only, as a resolver outside AWS sees them, or to one VPC's view.
package dns

import (
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"strings"

	mdns "github.com/miekg/dns"
)

// VPCOption is the EDNS0 local option code that carries the VPC id a
// query comes from.
const VPCOption = 65001

// maxChase bounds CNAME and alias chains (loops included).
const maxChase = 8

// aliasTTL is the TTL of answers for aliases to AWS endpoints (S3 website
// endpoints, CloudFront, ELB, API Gateway): Route53 uses the target
// resource's TTL, which is 60 seconds for these.
const aliasTTL = 60

// vpcNameTTL is the TTL of answers for instances' private DNS names, as
// the Route 53 Resolver gives them.
const vpcNameTTL = 60

// Zone is a hosted zone as the resolver sees it.
type Zone struct {
	Account string
	ID      string
	// Name is the apex, lower case, with the trailing dot.
	Name string
}

// Alias is an alias record's target.
type Alias struct {
	DNSName      string
	HostedZoneID string
}

// RRSet is one stored record set.
type RRSet struct {
	// Name is the owner, lower case with the trailing dot; a wildcard is
	// "*.parent.".
	Name string
	Type string
	TTL  uint32
	// Values are the records' data in zone-file presentation, as Route53
	// stores them (TXT values quoted).
	Values []string
	Alias  *Alias

	// Routing policy; zero values for a simple record set.
	SetIdentifier string
	Weight        *int64
	Region        string
	Failover      string // PRIMARY or SECONDARY
	MultiValue    bool
	// GeoDefault marks a geolocation record set for the default location
	// ("*").
	GeoDefault bool
	Geo        bool
	// The geolocation record set's location ("" where not given).
	GeoContinent, GeoCountry, GeoSubdivision string
	// Proximity is a geoproximity record set's location.
	Proximity *Proximity

	// CidrLocation is an IP-based record set's location ("*" for the
	// default) and CidrBlocks the location's blocks in its collection.
	CidrLocation string
	CidrBlocks   []netip.Prefix

	// Unhealthy marks a record set whose health check is unhealthy now.
	Unhealthy bool
	// EvaluateTargetHealth makes an alias record set as healthy as its
	// target.
	EvaluateTargetHealth bool
}

// Proximity is a geoproximity record set's location: an AWS Region or
// coordinates, and the bias (-99..99) that grows or shrinks its area.
type Proximity struct {
	Region   string
	Lat, Lon float64
	Bias     int32
}

// Source is where the resolver reads zones and records.
type Source interface {
	// Zone returns the most specific zone containing name that is visible
	// from vpc ("" means from outside every VPC: public zones only;
	// AllVPCs means every private zone is visible, see ViewAll()).
	Zone(name, vpc string) (Zone, bool, error)
	// RRSets returns every record set named exactly name in z.
	RRSets(z Zone, name string) ([]RRSet, error)
	// HasDescendants reports whether z holds records strictly below name,
	// which makes name an empty non-terminal (NODATA, not NXDOMAIN).
	HasDescendants(z Zone, name string) (bool, error)
}

// Resolver answers questions from a Source.
type Resolver struct {
	Source Source
	// Self returns niwa's own address: aliases to AWS endpoints (an S3
	// website endpoint, ...) resolve to it, so fetching the name reaches
	// niwa.
	Self func() net.IP
	// Region is niwa's region, which latency-based record sets are
	// compared with when Client names no region.
	Region string
	// Client is where the askers are, for latency, geolocation and
	// geoproximity routing; zero means at Region.
	Client Client
	// Rand returns a number in [0, n) for weighted routing; nil is
	// math/rand. Tests make it deterministic.
	Rand func(n int64) int64
	// Endpoints reports whether a name outside every hosted zone is one
	// niwa hands out for a resource it serves itself (a load balancer's
	// DNS name); such names answer A (or AAAA) with Self. nil: none.
	Endpoints func(name string) (bool, error)
	// EachEndpoint lists every name Endpoints owns, until fn returns
	// false: EndpointHosts answers them for hosts files. nil: none.
	EachEndpoint func(fn func(name string) bool) error
	// VPCNames answers the names a VPC's resolver answers itself,
	// outside every hosted zone: instances' private DNS names
	// (ip-10-0-1-5.ec2.internal). It returns name's addresses as asked
	// from vpc (a VPC id, or AllVPCs for any VPC), none when it is not
	// one; queries from outside every VPC never ask it. nil: none.
	VPCNames func(name, vpc string) ([]netip.Addr, error)
	// Logged, when set, is told of every query a zone answered (Route 53
	// query logging); the server calls it after answering.
	Logged func(QueryLog)

	// from is the asker's address for IP-based routing, set per query
	// by AnswerFrom on a copy of the resolver.
	from netip.Addr
}

// AnswerFrom is Answer for a query from the address from (the query's
// source or its EDNS0 client subnet), which IP-based (CIDR) routing
// matches against the record sets' CIDR blocks.
func (r *Resolver) AnswerFrom(q mdns.Question, vpc string, from netip.Addr) (*mdns.Msg, error) {
	m, _, _, err := r.answerFrom(q, vpc, from)
	return m, err
}

// answerFrom is AnswerFrom that also returns the zone that answered (ok
// false: none did).
func (r *Resolver) answerFrom(q mdns.Question, vpc string, from netip.Addr) (*mdns.Msg, Zone, bool, error) {
	c := *r
	c.from = from
	return c.answer(q, vpc)
}

// QueryLog is one query a hosted zone answered, as Route 53 query logging
// records it.
type QueryLog struct {
	Zone Zone
	// Name is the name as asked (without the trailing dot), Type its
	// type's mnemonic, Rcode the response code's ("NOERROR").
	Name, Type, Rcode string
	// Protocol is "UDP" or "TCP".
	Protocol string
	// Resolver is the asker's address; Subnet the EDNS0 client subnet
	// (invalid when the query has none).
	Resolver netip.Addr
	Subnet   netip.Prefix
}

// ClientSubnet is the address of a query's EDNS0 client subnet option,
// or the zero Addr.
func ClientSubnet(m *mdns.Msg) netip.Addr {
	opt := m.IsEdns0()
	if opt == nil {
		return netip.Addr{}
	}
	for _, o := range opt.Option {
		if e, ok := o.(*mdns.EDNS0_SUBNET); ok {
			if a, ok := netip.AddrFromSlice(e.Address); ok {
				return a.Unmap()
			}
		}
	}
	return netip.Addr{}
}

func (r *Resolver) client() Client {
	if r.Client.Region != "" || r.Client.Continent != "" {
		return r.Client
	}
	name := r.Region
	if name == "" {
		name = DefaultClientRegion
	}
	c, err := ClientIn(name)
	if err != nil {
		c, _ = ClientIn(DefaultClientRegion)
		c.Region = name
	}
	return c
}

func (r *Resolver) intn(n int64) int64 {
	if r.Rand != nil {
		if v := r.Rand(n); v >= 0 && v < n {
			return v
		}
		return 0
	}
	return rand.Int64N(n)
}

// Answer resolves q as asked from vpc and returns the response (without
// the header fields a server copies from the query). Rcode REFUSED means
// no zone niwa serves (and the asker may see) contains the name.
func (r *Resolver) Answer(q mdns.Question, vpc string) (*mdns.Msg, error) {
	m, _, _, err := r.answer(q, vpc)
	return m, err
}

func (r *Resolver) answer(q mdns.Question, vpc string) (*mdns.Msg, Zone, bool, error) {
	m := new(mdns.Msg)
	m.Authoritative = true
	name := strings.ToLower(mdns.Fqdn(q.Name))
	z, ok, err := r.Source.Zone(name, vpc)
	if err != nil {
		return nil, Zone{}, false, err
	}
	if !ok && r.VPCNames != nil && vpc != "" {
		addrs, err := r.VPCNames(name, vpc)
		if err != nil {
			return nil, Zone{}, false, err
		}
		if len(addrs) > 0 {
			// NOERROR, and no data for a type the name has none of.
			for _, a := range addrs {
				var rr mdns.RR
				hdr := mdns.RR_Header{Name: mdns.Fqdn(q.Name), Class: mdns.ClassINET, Ttl: vpcNameTTL}
				switch {
				case a.Is4() && (q.Qtype == mdns.TypeA || q.Qtype == mdns.TypeANY):
					hdr.Rrtype = mdns.TypeA
					rr = &mdns.A{Hdr: hdr, A: a.AsSlice()}
				case a.Is6() && (q.Qtype == mdns.TypeAAAA || q.Qtype == mdns.TypeANY):
					hdr.Rrtype = mdns.TypeAAAA
					rr = &mdns.AAAA{Hdr: hdr, AAAA: a.AsSlice()}
				}
				if rr != nil {
					m.Answer = append(m.Answer, rr)
				}
			}
			return m, Zone{}, false, nil
		}
	}
	if !ok {
		if r.Endpoints != nil {
			owned, err := r.Endpoints(name)
			if err != nil {
				return nil, Zone{}, false, err
			}
			if owned {
				// An endpoint niwa serves: its own address, as an alias
				// to an AWS endpoint answers.
				m.Answer = r.self(mdns.Fqdn(q.Name), q.Qtype)
				return m, Zone{}, false, nil
			}
		}
		m.Rcode = mdns.RcodeRefused
		m.Authoritative = false
		return m, Zone{}, false, nil
	}
	ans, rcode, err := r.resolve(z, q.Name, name, q.Qtype, vpc, 0)
	if err != nil {
		return nil, z, true, err
	}
	m.Answer = ans
	m.Rcode = rcode
	if rcode == mdns.RcodeNameError || len(ans) == 0 || (rcode == mdns.RcodeSuccess && onlyChain(ans, q.Qtype)) {
		// Negative answer (NXDOMAIN, NODATA, or a chain that ends in
		// one): the SOA of the zone that answered last, for negative
		// caching (RFC 2308).
		soaZone, inNiwa := z, true
		if len(ans) > 0 {
			// A chain that leaves niwa's zones is not a negative
			// answer of ours: the asker's resolver goes on.
			soaZone, inNiwa, err = r.Source.Zone(strings.ToLower(chainEnd(ans)), vpc)
			if err != nil {
				return nil, z, true, err
			}
		}
		if inNiwa {
			soa, err := r.soa(soaZone)
			if err != nil {
				return nil, z, true, err
			}
			if soa != nil {
				m.Ns = []mdns.RR{soa}
			}
		}
	}
	return m, z, true, nil
}

// onlyChain reports whether ans holds only CNAMEs though qtype asked for
// something else (the chain ended without an answer).
func onlyChain(ans []mdns.RR, qtype uint16) bool {
	if qtype == mdns.TypeCNAME || qtype == mdns.TypeANY {
		return false
	}
	for _, rr := range ans {
		if rr.Header().Rrtype != mdns.TypeCNAME {
			return false
		}
	}
	return true
}

func chainEnd(ans []mdns.RR) string {
	last := ans[len(ans)-1]
	if c, ok := last.(*mdns.CNAME); ok {
		return c.Target
	}
	return last.Header().Name
}

func (r *Resolver) soa(z Zone) (mdns.RR, error) {
	sets, err := r.Source.RRSets(z, z.Name)
	if err != nil {
		return nil, err
	}
	for _, s := range sets {
		if s.Type == "SOA" && len(s.Values) > 0 {
			return toRR(z.Name, "SOA", s.TTL, s.Values[0])
		}
	}
	return nil, nil
}

// resolve answers (owner, qtype) inside z. owner keeps the asker's case
// for the answer's owner names; name is its lower-case form.
func (r *Resolver) resolve(z Zone, owner, name string, qtype uint16, vpc string, depth int) ([]mdns.RR, int, error) {
	if depth > maxChase {
		return nil, mdns.RcodeServerFailure, nil
	}
	sets, err := r.Source.RRSets(z, name)
	if err != nil {
		return nil, 0, err
	}
	if len(sets) == 0 {
		below, err := r.Source.HasDescendants(z, name)
		if err != nil {
			return nil, 0, err
		}
		if below || name == z.Name {
			return nil, mdns.RcodeSuccess, nil // empty non-terminal: NODATA
		}
		sets, err = r.wildcard(z, name)
		if err != nil {
			return nil, 0, err
		}
		if len(sets) == 0 {
			return nil, mdns.RcodeNameError, nil
		}
	}
	qt := mdns.TypeToString[qtype]
	var cname []RRSet
	var match []RRSet
	var all []RRSet
	for _, s := range sets {
		switch {
		case s.Type == "CNAME":
			cname = append(cname, s)
		}
		if s.Type == qt {
			match = append(match, s)
		}
		all = append(all, s)
	}
	if qtype == mdns.TypeANY {
		var out []mdns.RR
		for _, s := range all {
			rrs, err := r.records(z, owner, s, mdns.StringToType[s.Type], vpc, depth)
			if err != nil {
				return nil, 0, err
			}
			out = append(out, rrs...)
		}
		return out, mdns.RcodeSuccess, nil
	}
	if len(match) == 0 && len(cname) > 0 {
		chosen := r.choose(cname, r.healthFunc(mdns.TypeCNAME, vpc, depth))
		var out []mdns.RR
		for _, s := range chosen {
			rrs, err := r.records(z, owner, s, mdns.TypeCNAME, vpc, depth)
			if err != nil {
				return nil, 0, err
			}
			out = append(out, rrs...)
		}
		if len(out) == 0 {
			return nil, mdns.RcodeSuccess, nil
		}
		target := out[len(out)-1].(*mdns.CNAME).Target
		tz, ok, err := r.Source.Zone(strings.ToLower(target), vpc)
		if err != nil {
			return nil, 0, err
		}
		if !ok {
			return out, mdns.RcodeSuccess, nil // outside niwa: the asker's resolver goes on
		}
		more, rcode, err := r.resolve(tz, target, strings.ToLower(target), qtype, vpc, depth+1)
		if err != nil {
			return nil, 0, err
		}
		return append(out, more...), rcode, nil
	}
	var out []mdns.RR
	for _, s := range r.choose(match, r.healthFunc(qtype, vpc, depth)) {
		rrs, err := r.records(z, owner, s, qtype, vpc, depth)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, rrs...)
	}
	return out, mdns.RcodeSuccess, nil
}

// wildcard finds the record sets of the wildcard that covers name: the
// "*" child of the closest existing ancestor (RFC 4592, simplified to
// stop at the first ancestor that exists).
func (r *Resolver) wildcard(z Zone, name string) ([]RRSet, error) {
	for p := parent(name); p != "" && mdns.IsSubDomain(z.Name, p); p = parent(p) {
		sets, err := r.Source.RRSets(z, "*."+p)
		if err != nil {
			return nil, err
		}
		if len(sets) > 0 {
			return sets, nil
		}
		here, err := r.Source.RRSets(z, p)
		if err != nil {
			return nil, err
		}
		if len(here) > 0 {
			return nil, nil
		}
	}
	return nil, nil
}

func parent(name string) string {
	i := strings.IndexByte(name, '.')
	if i < 0 || i == len(name)-1 {
		return ""
	}
	return name[i+1:]
}

// choose applies the routing policy of same-type record sets, leaving
// out record sets whose health check is unhealthy (and aliases with
// EvaluateTargetHealth whose target is): failover answers the healthy
// primary, else the healthy secondary, else the primary; multivalue up to
// eight healthy record sets; weighted one healthy record set in
// proportion to the weights (weight 0 only when every healthy one is 0);
// latency the healthy record set whose region is nearest the client's;
// geolocation the most specific healthy match of the client's
// subdivision, country, continent, then the default; geoproximity the
// healthy record set nearest the client by biased distance. Where every
// candidate is unhealthy, Route 53 treats them all as healthy (failover
// aside), and so does niwa.
func (r *Resolver) choose(sets []RRSet, healthy func(RRSet) bool) []RRSet {
	if len(sets) == 0 {
		return sets
	}
	first := sets[0]
	if first.SetIdentifier == "" && len(sets) == 1 {
		return sets
	}
	up := make([]RRSet, 0, len(sets))
	for _, s := range sets {
		if healthy(s) {
			up = append(up, s)
		}
	}
	candidates := up
	if len(candidates) == 0 {
		candidates = sets
	}
	c := r.client()
	switch {
	case first.Failover != "":
		var primary, secondary *RRSet
		for i := range sets {
			switch sets[i].Failover {
			case "PRIMARY":
				primary = &sets[i]
			case "SECONDARY":
				secondary = &sets[i]
			}
		}
		switch {
		case primary != nil && healthy(*primary):
			return []RRSet{*primary}
		case secondary != nil && healthy(*secondary):
			return []RRSet{*secondary}
		case primary != nil:
			return []RRSet{*primary}
		}
		return []RRSet{*secondary}
	case first.MultiValue:
		if len(candidates) > 8 {
			candidates = candidates[:8]
		}
		return candidates
	case first.Weight != nil:
		var total int64
		for _, s := range candidates {
			total += ptrWeight(s)
		}
		if total == 0 {
			return []RRSet{candidates[r.intn(int64(len(candidates)))]}
		}
		n := r.intn(total)
		for _, s := range candidates {
			w := ptrWeight(s)
			if n < w {
				return []RRSet{s}
			}
			n -= w
		}
	case first.Region != "":
		best, bestD := -1, 0.0
		for i, s := range candidates {
			d := 1e9 // a region niwa cannot place is farthest
			if s.Region == c.Region {
				d = -1
			} else if loc, ok := regions[s.Region]; ok {
				d = distance(c.Lat, c.Lon, loc.lat, loc.lon)
			}
			if best < 0 || d < bestD {
				best, bestD = i, d
			}
		}
		return []RRSet{candidates[best]}
	case first.Geo:
		// Most specific first; an unhealthy match falls back to the
		// larger area.
		for _, match := range []func(RRSet) bool{
			func(s RRSet) bool {
				return s.GeoSubdivision != "" && s.GeoSubdivision == c.Subdivision && s.GeoCountry == c.Country
			},
			func(s RRSet) bool { return s.GeoSubdivision == "" && s.GeoCountry != "" && s.GeoCountry == c.Country },
			func(s RRSet) bool { return s.GeoContinent != "" && s.GeoContinent == c.Continent },
			func(s RRSet) bool { return s.GeoDefault },
		} {
			var unhealthy *RRSet
			for i, s := range sets {
				if !match(s) {
					continue
				}
				if healthy(s) {
					return []RRSet{s}
				}
				if unhealthy == nil {
					unhealthy = &sets[i]
				}
			}
			if unhealthy != nil && len(up) == 0 {
				return []RRSet{*unhealthy}
			}
		}
		// No record set covers the client's location: no answer.
		return nil
	case first.CidrLocation != "":
		// The most specific block holding the asker's address, else
		// the default location.
		best, bits := -1, -1
		var def *RRSet
		for i, s := range candidates {
			if s.CidrLocation == "*" && def == nil {
				def = &candidates[i]
			}
			for _, p := range s.CidrBlocks {
				if r.from.IsValid() && p.Contains(r.from) && p.Bits() > bits {
					best, bits = i, p.Bits()
				}
			}
		}
		if best >= 0 {
			return []RRSet{candidates[best]}
		}
		if def != nil {
			return []RRSet{*def}
		}
		return nil
	case first.Proximity != nil:
		best, bestD := -1, 0.0
		for i, s := range candidates {
			p := s.Proximity
			if p == nil {
				continue
			}
			lat, lon := p.Lat, p.Lon
			if p.Region != "" {
				loc, ok := regions[p.Region]
				if !ok {
					continue
				}
				lat, lon = loc.lat, loc.lon
			}
			// Route 53's biased distance: actual distance * (1 - bias/100).
			d := distance(c.Lat, c.Lon, lat, lon) * (1 - float64(p.Bias)/100)
			if best < 0 || d < bestD {
				best, bestD = i, d
			}
		}
		if best >= 0 {
			return []RRSet{candidates[best]}
		}
	}
	return candidates[:1]
}

func ptrWeight(s RRSet) int64 {
	if s.Weight == nil {
		return 0
	}
	return *s.Weight
}

// healthFunc returns how choose learns a record set's health: its own
// health check, and for an alias with EvaluateTargetHealth the health of
// the target's record sets when niwa serves the target.
func (r *Resolver) healthFunc(qtype uint16, vpc string, depth int) func(RRSet) bool {
	return func(s RRSet) bool {
		if s.Unhealthy {
			return false
		}
		if s.Alias == nil || !s.EvaluateTargetHealth || depth >= maxChase {
			return true
		}
		ok, err := r.targetHealthy(strings.ToLower(mdns.Fqdn(s.Alias.DNSName)), qtype, vpc, depth+1)
		return err == nil && ok
	}
}

// targetHealthy reports whether an alias target in niwa's zones has a
// healthy record set of the type (targets outside are AWS endpoints niwa
// serves itself: healthy).
func (r *Resolver) targetHealthy(target string, qtype uint16, vpc string, depth int) (bool, error) {
	tz, ok, err := r.Source.Zone(target, vpc)
	if err != nil || !ok {
		return true, err
	}
	sets, err := r.Source.RRSets(tz, target)
	if err != nil {
		return false, err
	}
	qt := mdns.TypeToString[qtype]
	h := r.healthFunc(qtype, vpc, depth)
	for _, s := range sets {
		if (s.Type == qt || s.Type == "CNAME") && h(s) {
			return true, nil
		}
	}
	return false, nil
}

// records turns one record set into answer records for owner.
func (r *Resolver) records(z Zone, owner string, s RRSet, qtype uint16, vpc string, depth int) ([]mdns.RR, error) {
	if s.Alias != nil {
		return r.alias(z, owner, s, qtype, vpc, depth)
	}
	out := make([]mdns.RR, 0, len(s.Values))
	for _, v := range s.Values {
		rr, err := toRR(owner, s.Type, s.TTL, v)
		if err != nil {
			// A value Route53 accepted but the zone-file parser does
			// not: skip it rather than fail the whole answer.
			continue
		}
		out = append(out, rr)
	}
	return out, nil
}

// alias resolves an alias record set: a target in a zone niwa serves is
// resolved there (with the target's TTLs, as Route53 does); any other
// target is an AWS endpoint that niwa itself serves (S3 website
// endpoints, and later CloudFront, ELB and API Gateway), so an A query
// answers niwa's own address.
func (r *Resolver) alias(z Zone, owner string, s RRSet, qtype uint16, vpc string, depth int) ([]mdns.RR, error) {
	target := strings.ToLower(mdns.Fqdn(s.Alias.DNSName))
	if tz, ok, err := r.Source.Zone(target, vpc); err != nil {
		return nil, err
	} else if ok {
		rrs, _, err := r.resolve(tz, target, target, qtype, vpc, depth+1)
		if err != nil {
			return nil, err
		}
		out := make([]mdns.RR, 0, len(rrs))
		for _, rr := range rrs {
			if rr.Header().Rrtype != qtype {
				continue
			}
			c := mdns.Copy(rr)
			c.Header().Name = owner
			out = append(out, c)
		}
		return out, nil
	}
	return r.self(owner, qtype), nil
}

// self answers owner with niwa's own address (A or AAAA as qtype asks,
// nothing for other types).
func (r *Resolver) self(owner string, qtype uint16) []mdns.RR {
	ip := net.IPv4(127, 0, 0, 1)
	if r.Self != nil {
		if self := r.Self(); self != nil {
			ip = self
		}
	}
	switch qtype {
	case mdns.TypeA:
		if v4 := ip.To4(); v4 != nil {
			return []mdns.RR{&mdns.A{Hdr: mdns.RR_Header{Name: owner, Rrtype: mdns.TypeA, Class: mdns.ClassINET, Ttl: aliasTTL}, A: v4}}
		}
	case mdns.TypeAAAA:
		if ip.To4() == nil {
			return []mdns.RR{&mdns.AAAA{Hdr: mdns.RR_Header{Name: owner, Rrtype: mdns.TypeAAAA, Class: mdns.ClassINET, Ttl: aliasTTL}, AAAA: ip}}
		}
	}
	return nil
}

// toRR parses one record from its zone-file presentation.
func toRR(owner, typ string, ttl uint32, value string) (mdns.RR, error) {
	rr, err := mdns.NewRR(fmt.Sprintf("%s %d IN %s %s", mdns.Fqdn(owner), ttl, typ, value))
	if err != nil {
		return nil, err
	}
	if rr == nil {
		return nil, fmt.Errorf("dns: empty record %s %s", typ, value)
	}
	// NewRR applies $TTL defaults only when the TTL is absent; make sure
	// an explicit 0 stays 0.
	rr.Header().Ttl = ttl
	return rr, nil
}

// ValidValue reports whether value parses as the data of a typ record,
// for the Route53 API's checks.
func ValidValue(typ, value string) error {
	_, err := toRR("x.invalid.", typ, 0, value)
	return err
}
