package route53

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	route53api "github.com/niwa-cloud/niwa/internal/api/route53"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Traffic policy instances as record sets. Route 53 turns an instance into
// record sets at the instance's name that answer as the policy's rules
// say; niwa does the same: an endpoint of type "value" becomes records, a
// rule becomes one record set per item with the rule's routing policy
// (weighted, failover, latency, geolocation, geoproximity, multivalue),
// and an item that refers to another rule becomes an alias to that rule's
// record sets at a hidden name under the instance's name
// (tp-<rule>-<n>.<name>), as Route 53 nests its own. Every record set
// carries the instance's id in TrafficPolicyInstanceId, so Update and
// Delete find them again. Endpoints of the other types (load balancers,
// CloudFront, S3 websites, Elastic Beanstalk) become aliases to their
// value's DNS name, which niwa resolves when it knows the name.

// ruleDoc is one rule of a traffic policy document (format 2015-10-01).
type ruleDoc struct {
	RuleType  string
	Primary   *ruleItem
	Secondary *ruleItem
	Items     []ruleItem
	// Latency rules list Regions, geolocation rules Locations,
	// geoproximity rules GeoproximityLocations.
	Regions               []ruleItem
	Locations             []ruleItem
	GeoproximityLocations []ruleItem
}

type ruleItem struct {
	EndpointReference    string
	RuleReference        string
	EvaluateTargetHealth *bool
	HealthCheck          string
	Weight               json.RawMessage
	Region               string
	Continent            string
	Country              string
	Subdivision          string
	IsDefault            bool
	Latitude             json.RawMessage
	Longitude            json.RawMessage
	Bias                 json.RawMessage
}

type endpointDoc struct {
	Type, Value string
}

type expandDoc struct {
	RecordType    string
	StartRule     string
	StartEndpoint string
	Endpoints     map[string]endpointDoc
	Rules         map[string]ruleDoc
}

// expander builds an instance's record sets.
type expander struct {
	doc     expandDoc
	zoneID  string
	ttl     int64
	inst    string
	out     []route53api.ResourceRecordSet
	seen    map[string]int
	visited int
}

// maxPolicyDepth bounds the nesting of rules (Route 53 allows a tree of
// limited size; a cycle in a document would otherwise never end).
const maxPolicyDepth = 32

// expandPolicy returns the record sets of an instance of doc at name.
func expandPolicy(doc, zoneID, name string, ttl int64, inst string) ([]route53api.ResourceRecordSet, error) {
	e := &expander{zoneID: zoneID, ttl: ttl, inst: inst, seen: map[string]int{}}
	if err := json.Unmarshal([]byte(doc), &e.doc); err != nil {
		return nil, badDocument("The traffic policy document is not valid JSON: %v", err)
	}
	var err error
	if e.doc.StartEndpoint != "" {
		err = e.endpoint(name, e.doc.StartEndpoint, route53api.ResourceRecordSet{})
	} else {
		err = e.rule(name, e.doc.StartRule, 0)
	}
	return e.out, err
}

// endpoint adds the record set of endpoint ref at name, with base's
// routing fields.
func (e *expander) endpoint(name, ref string, base route53api.ResourceRecordSet) error {
	ep, ok := e.doc.Endpoints[ref]
	if !ok {
		return badDocument("Endpoint %s is not defined in Endpoints.", ref)
	}
	rs := base
	rs.Name, rs.Type, rs.TrafficPolicyInstanceId = ptr.To(name), ptr.To(e.doc.RecordType), ptr.To(e.inst)
	if ep.Type == "value" {
		rs.TTL = ptr.To(e.ttl)
		rs.ResourceRecords = []route53api.ResourceRecord{{Value: ptr.To(ep.Value)}}
	} else {
		rs.AliasTarget = &route53api.AliasTarget{HostedZoneId: ptr.To(e.zoneID), DNSName: ptr.To(ep.Value), EvaluateTargetHealth: ptr.To(false)}
	}
	e.out = append(e.out, rs)
	return nil
}

// target adds what item points at, at name, with base's routing fields:
// an endpoint's records, or an alias to a nested rule's hidden name.
func (e *expander) target(name string, it ruleItem, base route53api.ResourceRecordSet, depth int) error {
	if it.HealthCheck != "" {
		base.HealthCheckId = ptr.To(it.HealthCheck)
	}
	switch {
	case it.EndpointReference != "":
		return e.endpoint(name, it.EndpointReference, base)
	case it.RuleReference != "":
		label := strings.ToLower(strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
				return r
			}
			return '-'
		}, it.RuleReference))
		e.seen[label]++
		hidden := fmt.Sprintf("tp-%s-%d.%s", label, e.seen[label], name)
		rs := base
		rs.Name, rs.Type, rs.TrafficPolicyInstanceId = ptr.To(name), ptr.To(e.doc.RecordType), ptr.To(e.inst)
		rs.AliasTarget = &route53api.AliasTarget{HostedZoneId: ptr.To(e.zoneID), DNSName: ptr.To(hidden),
			EvaluateTargetHealth: ptr.To(it.EvaluateTargetHealth == nil || *it.EvaluateTargetHealth)}
		e.out = append(e.out, rs)
		return e.rule(hidden, it.RuleReference, depth+1)
	}
	return badDocument("Each rule item must have an EndpointReference or a RuleReference.")
}

func number(raw json.RawMessage) (float64, bool) {
	s := strings.Trim(string(raw), `"`)
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

// rule adds the record sets of rule ref at name.
func (e *expander) rule(name, ref string, depth int) error {
	if depth > maxPolicyDepth {
		return badDocument("The traffic policy document nests rules more than %d deep (or in a cycle).", maxPolicyDepth)
	}
	if e.visited++; e.visited > 1000 {
		return badDocument("The traffic policy document describes more than 1000 rule references.")
	}
	r, ok := e.doc.Rules[ref]
	if !ok {
		return badDocument("Rule %s is not defined in Rules.", ref)
	}
	id := func(i int) *string { return ptr.To(fmt.Sprintf("%s-%d", ref, i+1)) }
	switch r.RuleType {
	case "failover":
		if r.Primary == nil || r.Secondary == nil {
			return badDocument("Failover rule %s must have a Primary and a Secondary.", ref)
		}
		if err := e.target(name, *r.Primary, route53api.ResourceRecordSet{SetIdentifier: ptr.To(ref + "-Primary"), Failover: ptr.To("PRIMARY")}, depth); err != nil {
			return err
		}
		return e.target(name, *r.Secondary, route53api.ResourceRecordSet{SetIdentifier: ptr.To(ref + "-Secondary"), Failover: ptr.To("SECONDARY")}, depth)
	case "weighted":
		for i, it := range r.Items {
			w, ok := number(it.Weight)
			if !ok || w < 0 || w > 255 {
				return badDocument("Weighted rule %s has an item without a Weight of 0 to 255.", ref)
			}
			if err := e.target(name, it, route53api.ResourceRecordSet{SetIdentifier: id(i), Weight: ptr.To(int64(w))}, depth); err != nil {
				return err
			}
		}
	case "latency":
		for i, it := range r.Regions {
			if err := e.target(name, it, route53api.ResourceRecordSet{SetIdentifier: id(i), Region: ptr.To(it.Region)}, depth); err != nil {
				return err
			}
		}
	case "geo":
		for i, it := range r.Locations {
			g := &route53api.GeoLocation{}
			switch {
			case it.IsDefault:
				g.CountryCode = ptr.To("*")
			case it.Continent != "":
				g.ContinentCode = ptr.To(it.Continent)
			default:
				g.CountryCode = ptr.To(it.Country)
				if it.Subdivision != "" {
					g.SubdivisionCode = ptr.To(it.Subdivision)
				}
			}
			if err := e.target(name, it, route53api.ResourceRecordSet{SetIdentifier: id(i), GeoLocation: g}, depth); err != nil {
				return err
			}
		}
	case "geoproximity":
		for i, it := range r.GeoproximityLocations {
			g := &route53api.GeoProximityLocation{}
			if it.Region != "" {
				g.AWSRegion = ptr.To(strings.TrimPrefix(it.Region, "aws:route53:"))
			} else {
				lat, ok1 := number(it.Latitude)
				lon, ok2 := number(it.Longitude)
				if !ok1 || !ok2 {
					return badDocument("Geoproximity rule %s has a location without a Region or Latitude and Longitude.", ref)
				}
				g.Coordinates = &route53api.Coordinates{Latitude: ptr.To(strconv.FormatFloat(lat, 'f', 2, 64)), Longitude: ptr.To(strconv.FormatFloat(lon, 'f', 2, 64))}
			}
			if b, ok := number(it.Bias); ok {
				g.Bias = ptr.To(int32(b))
			}
			if err := e.target(name, it, route53api.ResourceRecordSet{SetIdentifier: id(i), GeoProximityLocation: g}, depth); err != nil {
				return err
			}
		}
	case "multivalue":
		for i, it := range r.Items {
			if it.RuleReference != "" {
				return badDocument("Multivalue rule %s may refer to endpoints only.", ref)
			}
			if err := e.target(name, it, route53api.ResourceRecordSet{SetIdentifier: id(i), MultiValueAnswer: ptr.To(true)}, depth); err != nil {
				return err
			}
		}
	default:
		return badDocument("Rule %s has an unsupported RuleType %q.", ref, r.RuleType)
	}
	return nil
}

// applyInstance replaces the record sets of instance inst (none for a new
// one) in zone z with those of policy p, keeping the zone's record count.
// Record sets of the same name and type that the instance does not own
// make it fail, as Route 53 refuses to overwrite them.
func (s *Route53) applyInstance(tx storage.Tx, sc storage.Scope, z zoneRec, inst policyInstanceRec, doc string) error {
	var sets []route53api.ResourceRecordSet
	if doc != "" {
		var err error
		if sets, err = expandPolicy(doc, z.ID, inst.Name, inst.TTL, inst.ID); err != nil {
			return err
		}
	}
	// Remove what the instance had.
	var old [][]string
	err := rrsets.List(tx, sc, []string{z.ID}, storage.ListOptions{}, func(k []string, rs route53api.ResourceRecordSet) bool {
		if ptr.Deref(rs.TrafficPolicyInstanceId) == inst.ID {
			old = append(old, setKey(z.ID, rs))
		}
		return true
	})
	if err != nil {
		return err
	}
	count := z.RecordCount
	for _, k := range old {
		if err := rrsets.Delete(tx, sc, k...); err != nil {
			return err
		}
		count--
	}
	for _, rs := range sets {
		n, err := normalize("CREATE", rs, z.Name)
		if err != nil {
			return err
		}
		key := setKey(z.ID, n)
		if o, exists, err := rrsets.Get(tx, sc, key...); err != nil {
			return err
		} else if exists {
			return route53api.ErrInvalidChangeBatch.New("[Tried to create resource record set %s but it already exists]", describe(o))
		}
		if err := rrsets.Put(tx, sc, n, key...); err != nil {
			return err
		}
		count++
	}
	if count > maxRRSetsPerZone && count > z.RecordCount {
		return changeBatch("[Exceeded limit MAX_RRSETS_BY_ZONE for zone: %s]", z.ID)
	}
	z.RecordCount = count
	return zones.Put(tx, sc, z, z.ID)
}
