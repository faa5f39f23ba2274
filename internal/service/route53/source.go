package route53

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	route53api "github.com/niwa-cloud/niwa/internal/api/route53"
	"github.com/niwa-cloud/niwa/internal/dns"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Source lets internal/dns read the stored zones.
type Source struct {
	store storage.Store
}

var _ dns.Source = (*Source)(nil)

// Zone finds the most specific zone containing name. From inside a VPC a
// private zone associated with it wins over a public zone of the same
// name, as the Route53 Resolver does; from outside only public zones
// answer. With dns.AllVPCs every private zone is visible and wins over a
// public zone of the same name; of several private zones of one name
// (associated with different VPCs, or in different accounts) the one
// created first answers, ties broken by account and zone id, so that
// creating a zone never changes which zone the host sees.
func (s *Source) Zone(name, vpc string) (dns.Zone, bool, error) {
	var found dns.Zone
	var ok bool
	err := s.store.View(func(tx storage.Tx) error {
		for suffix := name; ; {
			var public, private *indexRec
			var privates []indexRec
			err := zoneIndex.List(tx, indexScope, []string{suffix}, storage.ListOptions{}, func(_ []string, ix indexRec) bool {
				switch {
				case ix.Private && vpc == dns.AllVPCs:
					privates = append(privates, ix)
				case ix.Private && vpc != "" && slices.Contains(ix.VPCs, vpc) && private == nil:
					private = &ix
				case !ix.Private && public == nil:
					public = &ix
				}
				return private == nil
			})
			if err != nil {
				return err
			}
			if len(privates) > 0 {
				first, err := firstCreated(tx, privates)
				if err != nil {
					return err
				}
				private = &first
			}
			if ix := private; ix != nil || public != nil {
				if ix == nil {
					ix = public
				}
				found, ok = dns.Zone{Account: ix.Account, ID: ix.ID, Name: suffix}, true
				return nil
			}
			if suffix == "." {
				return nil
			}
			i := strings.IndexByte(suffix, '.')
			suffix = suffix[i+1:]
			if suffix == "" {
				suffix = "."
			}
		}
	})
	return found, ok, err
}

// firstCreated picks, of private zones of one name, the one created
// first. The index lists them by account and id, so a stable sort on the
// creation time breaks ties by account and id.
func firstCreated(tx storage.Tx, ixs []indexRec) (indexRec, error) {
	if len(ixs) == 1 {
		return ixs[0], nil
	}
	created := make([]time.Time, len(ixs))
	for i, ix := range ixs {
		z, found, err := zones.Get(tx, storage.Global(ix.Account), ix.ID)
		if err != nil {
			return indexRec{}, err
		}
		if found {
			created[i] = z.Created
		}
	}
	best := 0
	for i := 1; i < len(ixs); i++ {
		if created[i].Before(created[best]) {
			best = i
		}
	}
	return ixs[best], nil
}

// RRSets reads every record set named name in z.
func (s *Source) RRSets(z dns.Zone, name string) ([]dns.RRSet, error) {
	var out []dns.RRSet
	err := s.store.View(func(tx storage.Tx) error {
		sc := storage.Global(z.Account)
		var sets []route53api.ResourceRecordSet
		if err := rrsets.List(tx, sc, []string{z.ID, reverse(name)}, storage.ListOptions{}, func(_ []string, rs route53api.ResourceRecordSet) bool {
			sets = append(sets, rs)
			return true
		}); err != nil {
			return err
		}
		for _, rs := range sets {
			d := toDNS(rs)
			if c := rs.CidrRoutingConfig; c != nil {
				d.CidrLocation = ptr.Deref(c.LocationName)
				col, ok, err := cidrCollections.Get(tx, sc, ptr.Deref(c.CollectionId))
				if err != nil {
					return err
				}
				if ok {
					for _, b := range col.Locations[d.CidrLocation] {
						if p, err := netip.ParsePrefix(b); err == nil {
							d.CidrBlocks = append(d.CidrBlocks, p)
						}
					}
				}
			}
			if id := ptr.Deref(rs.HealthCheckId); id != "" {
				up, err := healthy(tx, sc, id, 0)
				if err != nil {
					return err
				}
				d.Unhealthy = !up
			}
			out = append(out, d)
		}
		return nil
	})
	return out, err
}

// HasDescendants reports whether any record set lies strictly below name.
func (s *Source) HasDescendants(z dns.Zone, name string) (bool, error) {
	found := false
	err := s.store.View(func(tx storage.Tx) error {
		return rrsets.List(tx, storage.Global(z.Account), []string{z.ID}, storage.ListOptions{Partial: reverse(name) + ".", Limit: 1}, func([]string, route53api.ResourceRecordSet) bool {
			found = true
			return false
		})
	})
	return found, err
}

func toDNS(rs route53api.ResourceRecordSet) dns.RRSet {
	out := dns.RRSet{
		Name: ptr.Deref(rs.Name), Type: ptr.Deref(rs.Type), SetIdentifier: ptr.Deref(rs.SetIdentifier),
		Weight: rs.Weight, Region: ptr.Deref(rs.Region), Failover: ptr.Deref(rs.Failover),
		MultiValue: rs.MultiValueAnswer != nil && *rs.MultiValueAnswer,
		Geo:        rs.GeoLocation != nil,
	}
	if g := rs.GeoLocation; g != nil {
		out.GeoDefault = ptr.Deref(g.CountryCode) == "*"
		out.GeoContinent, out.GeoSubdivision = ptr.Deref(g.ContinentCode), ptr.Deref(g.SubdivisionCode)
		if !out.GeoDefault {
			out.GeoCountry = ptr.Deref(g.CountryCode)
		}
	}
	if g := rs.GeoProximityLocation; g != nil {
		p := &dns.Proximity{Region: ptr.Deref(g.AWSRegion), Bias: ptr.Deref(g.Bias)}
		if g.Coordinates != nil {
			p.Lat, _ = strconv.ParseFloat(ptr.Deref(g.Coordinates.Latitude), 64)
			p.Lon, _ = strconv.ParseFloat(ptr.Deref(g.Coordinates.Longitude), 64)
		}
		out.Proximity = p
	}
	if rs.TTL != nil {
		out.TTL = uint32(*rs.TTL)
	}
	if rs.AliasTarget != nil {
		out.Alias = &dns.Alias{DNSName: ptr.Deref(rs.AliasTarget.DNSName), HostedZoneID: ptr.Deref(rs.AliasTarget.HostedZoneId)}
		out.EvaluateTargetHealth = ptr.Deref(rs.AliasTarget.EvaluateTargetHealth)
	}
	for _, r := range rs.ResourceRecords {
		out.Values = append(out.Values, ptr.Deref(r.Value))
	}
	return out
}

var _ dns.Lister = (*Source)(nil)

// PrivateZones lists the private zones associated with vpc (every
// private zone for dns.AllVPCs), in name order.
func (s *Source) PrivateZones(vpc string) ([]dns.Zone, error) {
	var out []dns.Zone
	err := s.store.View(func(tx storage.Tx) error {
		return zoneIndex.List(tx, indexScope, nil, storage.ListOptions{}, func(k []string, ix indexRec) bool {
			if ix.Private && (vpc == dns.AllVPCs || slices.Contains(ix.VPCs, vpc)) {
				out = append(out, dns.Zone{Account: ix.Account, ID: ix.ID, Name: k[0]})
			}
			return true
		})
	})
	return out, err
}

// Names lists the owner names of z's record sets, each once.
func (s *Source) Names(z dns.Zone) ([]string, error) {
	var out []string
	err := s.store.View(func(tx storage.Tx) error {
		return rrsets.List(tx, storage.Global(z.Account), []string{z.ID}, storage.ListOptions{}, func(_ []string, rs route53api.ResourceRecordSet) bool {
			n := strings.ToLower(ptr.Deref(rs.Name))
			if len(out) == 0 || out[len(out)-1] != n {
				out = append(out, n)
			}
			return true
		})
	})
	return out, err
}
