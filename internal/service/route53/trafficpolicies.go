package route53

import (
	"encoding/json"
	"fmt"
	"strconv"

	route53api "github.com/niwa-cloud/niwa/internal/api/route53"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Traffic policies: versioned JSON documents (format 2015-10-01) checked
// for their structure, and traffic policy instances that name a policy
// version, a zone, a name and a TTL. An instance is "Applied" at once and
// its record sets are in the zone (tpexpand.go), so the DNS server answers
// them like any other.

type trafficPolicyRec struct {
	ID       string
	Version  int32
	Name     string
	Type     string
	Document string
	Comment  *string
}

type policyInstanceRec struct {
	ID            string
	ZoneID        string
	Name          string
	TTL           int64
	PolicyID      string
	PolicyVersion int32
	PolicyType    string
}

var (
	trafficPolicies = storage.NewTable[trafficPolicyRec]("traffic-policies")
	policyInstances = storage.NewTable[policyInstanceRec]("traffic-policy-instances")
)

// Route 53's quotas.
const maxPolicyVersions = 1000

func versionKey(v int32) string { return fmt.Sprintf("%010d", v) }

func tpOut(p trafficPolicyRec) *route53api.TrafficPolicy {
	return &route53api.TrafficPolicy{Id: ptr.To(p.ID), Version: ptr.To(p.Version), Name: ptr.To(p.Name), Type: ptr.To(p.Type), Document: ptr.To(p.Document), Comment: p.Comment}
}

func tpiOut(i policyInstanceRec) *route53api.TrafficPolicyInstance {
	return &route53api.TrafficPolicyInstance{Id: ptr.To(i.ID), HostedZoneId: ptr.To(i.ZoneID), Name: ptr.To(outName(i.Name)), TTL: ptr.To(i.TTL),
		State: ptr.To("Applied"), Message: ptr.To(""), TrafficPolicyId: ptr.To(i.PolicyID), TrafficPolicyVersion: ptr.To(i.PolicyVersion), TrafficPolicyType: ptr.To(i.PolicyType)}
}

func badDocument(format string, args ...any) error {
	return route53api.ErrInvalidTrafficPolicyDocument.New(format, args...)
}

// policyDocument is the part of a traffic policy document niwa checks.
type policyDocument struct {
	AWSPolicyFormatVersion string
	RecordType             string
	StartRule              string
	StartEndpoint          string
	Endpoints              map[string]struct {
		Type  string
		Value string
	}
	Rules map[string]json.RawMessage
}

// checkDocument validates a document and returns its record type.
func checkDocument(doc string) (string, error) {
	var d policyDocument
	if err := json.Unmarshal([]byte(doc), &d); err != nil {
		return "", badDocument("The traffic policy document is not valid JSON: %v", err)
	}
	if d.AWSPolicyFormatVersion != "2015-10-01" {
		return "", badDocument("AWSPolicyFormatVersion must be 2015-10-01.")
	}
	switch d.RecordType {
	case "A", "AAAA", "CAA", "CNAME", "MX", "NAPTR", "PTR", "SPF", "SRV", "TXT":
	default:
		return "", badDocument("RecordType %q is not supported.", d.RecordType)
	}
	if (d.StartRule == "") == (d.StartEndpoint == "") {
		return "", badDocument("Exactly one of StartRule and StartEndpoint must be specified.")
	}
	if _, ok := d.Rules[d.StartRule]; d.StartRule != "" && !ok {
		return "", badDocument("StartRule %s is not defined in Rules.", d.StartRule)
	}
	if _, ok := d.Endpoints[d.StartEndpoint]; d.StartEndpoint != "" && !ok {
		return "", badDocument("StartEndpoint %s is not defined in Endpoints.", d.StartEndpoint)
	}
	for name, e := range d.Endpoints {
		switch e.Type {
		case "value", "cloudfront", "elastic-load-balancer", "application-load-balancer", "network-load-balancer", "elastic-beanstalk", "s3-website":
		default:
			return "", badDocument("Endpoint %s has an unsupported Type %q.", name, e.Type)
		}
		if e.Value == "" {
			return "", badDocument("Endpoint %s has no Value.", name)
		}
	}
	for name, raw := range d.Rules {
		var r struct{ RuleType string }
		if err := json.Unmarshal(raw, &r); err != nil {
			return "", badDocument("Rule %s is not valid: %v", name, err)
		}
		switch r.RuleType {
		case "failover", "geo", "latency", "geoproximity", "multivalue", "weighted":
		default:
			return "", badDocument("Rule %s has an unsupported RuleType %q.", name, r.RuleType)
		}
	}
	return d.RecordType, nil
}

func noSuchPolicy(id string, v int32) error {
	return route53api.ErrNoSuchTrafficPolicy.New("No traffic policy found with ID %s and version %d", id, v)
}

// CreateTrafficPolicy stores version 1 of a new policy.
func (s *Route53) CreateTrafficPolicy(ctx *request.Context, in *route53api.CreateTrafficPolicyInput) (*route53api.CreateTrafficPolicyOutput, error) {
	typ, err := checkDocument(ptr.Deref(in.Document))
	if err != nil {
		return nil, err
	}
	sc := scope(ctx)
	p := trafficPolicyRec{ID: awsid.UUID(), Version: 1, Name: ptr.Deref(in.Name), Type: typ, Document: ptr.Deref(in.Document), Comment: in.Comment}
	err = s.store.Update(func(tx storage.Tx) error {
		names := map[string]bool{}
		if err := trafficPolicies.List(tx, sc, nil, storage.ListOptions{}, func(k []string, o trafficPolicyRec) bool {
			names[o.ID] = true
			if o.Name == p.Name {
				err = route53api.ErrTrafficPolicyAlreadyExists.New("A traffic policy with the name %s already exists.", p.Name)
				return false
			}
			return true
		}); err != nil {
			return err
		}
		if err != nil {
			return err
		}
		if len(names) >= maxTrafficPolicies {
			return route53api.ErrTooManyTrafficPolicies.New("You've created the maximum number of traffic policies (%d) that can be created for the current account.", maxTrafficPolicies)
		}
		return trafficPolicies.Put(tx, sc, p, p.ID, versionKey(p.Version))
	})
	if err != nil {
		return nil, err
	}
	return &route53api.CreateTrafficPolicyOutput{TrafficPolicy: tpOut(p), Location: ptr.To("https://route53.amazonaws.com/2013-04-01/trafficpolicy/" + p.ID + "/1")}, nil
}

// policyVersions reads every version of a policy, oldest first.
func policyVersions(tx storage.Tx, sc storage.Scope, id string) ([]trafficPolicyRec, error) {
	var out []trafficPolicyRec
	err := trafficPolicies.List(tx, sc, []string{id}, storage.ListOptions{}, func(_ []string, p trafficPolicyRec) bool {
		out = append(out, p)
		return true
	})
	return out, err
}

// CreateTrafficPolicyVersion adds a version (same record type).
func (s *Route53) CreateTrafficPolicyVersion(ctx *request.Context, in *route53api.CreateTrafficPolicyVersionInput) (*route53api.CreateTrafficPolicyVersionOutput, error) {
	typ, err := checkDocument(ptr.Deref(in.Document))
	if err != nil {
		return nil, err
	}
	sc := scope(ctx)
	id := ptr.Deref(in.Id)
	var p trafficPolicyRec
	err = s.store.Update(func(tx storage.Tx) error {
		all, err := policyVersions(tx, sc, id)
		if err != nil {
			return err
		}
		if len(all) == 0 {
			return route53api.ErrNoSuchTrafficPolicy.New("No traffic policy found with ID %s", id)
		}
		last := all[len(all)-1]
		if last.Type != typ {
			return badDocument("The RecordType of a new version (%s) must match the traffic policy's (%s).", typ, last.Type)
		}
		if last.Version >= maxPolicyVersions {
			return route53api.ErrTooManyTrafficPolicyVersionsForCurrentPolicy.New("This traffic policy has the maximum number of versions (%d).", maxPolicyVersions)
		}
		p = trafficPolicyRec{ID: id, Version: last.Version + 1, Name: last.Name, Type: typ, Document: ptr.Deref(in.Document), Comment: in.Comment}
		return trafficPolicies.Put(tx, sc, p, p.ID, versionKey(p.Version))
	})
	if err != nil {
		return nil, err
	}
	return &route53api.CreateTrafficPolicyVersionOutput{TrafficPolicy: tpOut(p),
		Location: ptr.To(fmt.Sprintf("https://route53.amazonaws.com/2013-04-01/trafficpolicy/%s/%d", p.ID, p.Version))}, nil
}

func (s *Route53) getPolicy(ctx *request.Context, id string, v int32) (trafficPolicyRec, error) {
	var p trafficPolicyRec
	var ok bool
	err := s.store.View(func(tx storage.Tx) error {
		var err error
		p, ok, err = trafficPolicies.Get(tx, scope(ctx), id, versionKey(v))
		return err
	})
	if err == nil && !ok {
		err = noSuchPolicy(id, v)
	}
	return p, err
}

// GetTrafficPolicy returns one version.
func (s *Route53) GetTrafficPolicy(ctx *request.Context, in *route53api.GetTrafficPolicyInput) (*route53api.GetTrafficPolicyOutput, error) {
	p, err := s.getPolicy(ctx, ptr.Deref(in.Id), ptr.Deref(in.Version))
	if err != nil {
		return nil, err
	}
	return &route53api.GetTrafficPolicyOutput{TrafficPolicy: tpOut(p)}, nil
}

// UpdateTrafficPolicyComment changes one version's comment.
func (s *Route53) UpdateTrafficPolicyComment(ctx *request.Context, in *route53api.UpdateTrafficPolicyCommentInput) (*route53api.UpdateTrafficPolicyCommentOutput, error) {
	id, v := ptr.Deref(in.Id), ptr.Deref(in.Version)
	var p trafficPolicyRec
	err := s.store.Update(func(tx storage.Tx) error {
		var ok bool
		var err error
		if p, ok, err = trafficPolicies.Get(tx, scope(ctx), id, versionKey(v)); err != nil {
			return err
		} else if !ok {
			return noSuchPolicy(id, v)
		}
		p.Comment = in.Comment
		return trafficPolicies.Put(tx, scope(ctx), p, id, versionKey(v))
	})
	if err != nil {
		return nil, err
	}
	return &route53api.UpdateTrafficPolicyCommentOutput{TrafficPolicy: tpOut(p)}, nil
}

// DeleteTrafficPolicy deletes a version no instance uses.
func (s *Route53) DeleteTrafficPolicy(ctx *request.Context, in *route53api.DeleteTrafficPolicyInput) (*route53api.DeleteTrafficPolicyOutput, error) {
	id, v := ptr.Deref(in.Id), ptr.Deref(in.Version)
	sc := scope(ctx)
	err := s.store.Update(func(tx storage.Tx) error {
		if _, ok, err := trafficPolicies.Get(tx, sc, id, versionKey(v)); err != nil {
			return err
		} else if !ok {
			return noSuchPolicy(id, v)
		}
		used := false
		if err := policyInstances.List(tx, sc, nil, storage.ListOptions{}, func(_ []string, i policyInstanceRec) bool {
			used = i.PolicyID == id && i.PolicyVersion == v
			return !used
		}); err != nil {
			return err
		}
		if used {
			return route53api.ErrTrafficPolicyInUse.New("One or more traffic policy instances were created by using the specified traffic policy.")
		}
		return trafficPolicies.Delete(tx, sc, id, versionKey(v))
	})
	if err != nil {
		return nil, err
	}
	return &route53api.DeleteTrafficPolicyOutput{}, nil
}

// ListTrafficPolicies summarizes each policy (its latest version).
func (s *Route53) ListTrafficPolicies(ctx *request.Context, in *route53api.ListTrafficPoliciesInput) (*route53api.ListTrafficPoliciesOutput, error) {
	max, err := maxItems(in.MaxItems, 100)
	if err != nil {
		return nil, err
	}
	out := &route53api.ListTrafficPoliciesOutput{TrafficPolicySummaries: []route53api.TrafficPolicySummary{}, MaxItems: ptr.To(strconv.Itoa(max)), IsTruncated: ptr.To(false)}
	var sums []route53api.TrafficPolicySummary
	err = s.store.View(func(tx storage.Tx) error {
		return trafficPolicies.List(tx, scope(ctx), nil, storage.ListOptions{}, func(_ []string, p trafficPolicyRec) bool {
			if n := len(sums); n > 0 && *sums[n-1].Id == p.ID {
				sums[n-1].LatestVersion = ptr.To(p.Version)
				*sums[n-1].TrafficPolicyCount++
				return true
			}
			sums = append(sums, route53api.TrafficPolicySummary{Id: ptr.To(p.ID), Name: ptr.To(p.Name), Type: ptr.To(p.Type), LatestVersion: ptr.To(p.Version), TrafficPolicyCount: ptr.To(int32(1))})
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	for _, sum := range sums {
		if in.TrafficPolicyIdMarker != nil && *sum.Id < *in.TrafficPolicyIdMarker {
			continue
		}
		if len(out.TrafficPolicySummaries) == max {
			out.IsTruncated, out.TrafficPolicyIdMarker = ptr.To(true), sum.Id
			break
		}
		out.TrafficPolicySummaries = append(out.TrafficPolicySummaries, sum)
	}
	return out, nil
}

// ListTrafficPolicyVersions lists a policy's versions.
func (s *Route53) ListTrafficPolicyVersions(ctx *request.Context, in *route53api.ListTrafficPolicyVersionsInput) (*route53api.ListTrafficPolicyVersionsOutput, error) {
	max, err := maxItems(in.MaxItems, 100)
	if err != nil {
		return nil, err
	}
	id := ptr.Deref(in.Id)
	var all []trafficPolicyRec
	err = s.store.View(func(tx storage.Tx) error {
		var err error
		all, err = policyVersions(tx, scope(ctx), id)
		return err
	})
	if err != nil {
		return nil, err
	}
	if len(all) == 0 {
		return nil, route53api.ErrNoSuchTrafficPolicy.New("No traffic policy found with ID %s", id)
	}
	start := int32(0)
	if in.TrafficPolicyVersionMarker != nil {
		n, err := strconv.Atoi(*in.TrafficPolicyVersionMarker)
		if err != nil {
			return nil, invalidInput("Invalid TrafficPolicyVersionMarker: %s", *in.TrafficPolicyVersionMarker)
		}
		start = int32(n)
	}
	out := &route53api.ListTrafficPolicyVersionsOutput{TrafficPolicies: []route53api.TrafficPolicy{}, MaxItems: ptr.To(strconv.Itoa(max)), IsTruncated: ptr.To(false)}
	for _, p := range all {
		if p.Version < start {
			continue
		}
		if len(out.TrafficPolicies) == max {
			out.IsTruncated, out.TrafficPolicyVersionMarker = ptr.To(true), ptr.To(strconv.Itoa(int(p.Version)))
			break
		}
		out.TrafficPolicies = append(out.TrafficPolicies, *tpOut(p))
	}
	return out, nil
}

// Instances.

// CreateTrafficPolicyInstance records an instance of a policy version
// at a name of a zone.
func (s *Route53) CreateTrafficPolicyInstance(ctx *request.Context, in *route53api.CreateTrafficPolicyInstanceInput) (*route53api.CreateTrafficPolicyInstanceOutput, error) {
	sc := scope(ctx)
	var inst policyInstanceRec
	err := s.store.Update(func(tx storage.Tx) error {
		z, err := getZone(tx, sc, ptr.Deref(in.HostedZoneId))
		if err != nil {
			return err
		}
		name := normName(ptr.Deref(in.Name))
		if !inZone(name, z.Name) {
			return invalidInput("The name %s is not in hosted zone %s.", outName(name), outName(z.Name))
		}
		p, ok, err := trafficPolicies.Get(tx, sc, ptr.Deref(in.TrafficPolicyId), versionKey(ptr.Deref(in.TrafficPolicyVersion)))
		if err != nil {
			return err
		}
		if !ok {
			return noSuchPolicy(ptr.Deref(in.TrafficPolicyId), ptr.Deref(in.TrafficPolicyVersion))
		}
		n, exists := 0, false
		if err := policyInstances.List(tx, sc, nil, storage.ListOptions{}, func(_ []string, o policyInstanceRec) bool {
			n++
			exists = exists || (o.ZoneID == z.ID && o.Name == name && o.PolicyType == p.Type)
			return true
		}); err != nil {
			return err
		}
		if exists {
			return route53api.ErrTrafficPolicyInstanceAlreadyExists.New("There is already a traffic policy instance with the name %s and type %s.", outName(name), p.Type)
		}
		if n >= maxPolicyInstances {
			return route53api.ErrTooManyTrafficPolicyInstances.New("You've created the maximum number of traffic policy instances (%d) that can be created for the current account.", maxPolicyInstances)
		}
		inst = policyInstanceRec{ID: awsid.UUID(), ZoneID: z.ID, Name: name, TTL: ptr.Deref(in.TTL), PolicyID: p.ID, PolicyVersion: p.Version, PolicyType: p.Type}
		if err := s.applyInstance(tx, sc, z, inst, p.Document); err != nil {
			return err
		}
		return policyInstances.Put(tx, sc, inst, inst.ID)
	})
	if err != nil {
		return nil, err
	}
	return &route53api.CreateTrafficPolicyInstanceOutput{TrafficPolicyInstance: tpiOut(inst), Location: ptr.To("https://route53.amazonaws.com/2013-04-01/trafficpolicyinstance/" + inst.ID)}, nil
}

func noSuchInstance(id string) error {
	return route53api.ErrNoSuchTrafficPolicyInstance.New("No traffic policy instance found with ID %s", id)
}

// GetTrafficPolicyInstance returns one instance.
func (s *Route53) GetTrafficPolicyInstance(ctx *request.Context, in *route53api.GetTrafficPolicyInstanceInput) (*route53api.GetTrafficPolicyInstanceOutput, error) {
	var inst policyInstanceRec
	var ok bool
	err := s.store.View(func(tx storage.Tx) error {
		var err error
		inst, ok, err = policyInstances.Get(tx, scope(ctx), ptr.Deref(in.Id))
		return err
	})
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, noSuchInstance(ptr.Deref(in.Id))
	}
	return &route53api.GetTrafficPolicyInstanceOutput{TrafficPolicyInstance: tpiOut(inst)}, nil
}

// UpdateTrafficPolicyInstance moves an instance to another policy version
// (of the same record type) and TTL.
func (s *Route53) UpdateTrafficPolicyInstance(ctx *request.Context, in *route53api.UpdateTrafficPolicyInstanceInput) (*route53api.UpdateTrafficPolicyInstanceOutput, error) {
	sc := scope(ctx)
	var inst policyInstanceRec
	err := s.store.Update(func(tx storage.Tx) error {
		var ok bool
		var err error
		if inst, ok, err = policyInstances.Get(tx, sc, ptr.Deref(in.Id)); err != nil {
			return err
		} else if !ok {
			return noSuchInstance(ptr.Deref(in.Id))
		}
		p, ok, err := trafficPolicies.Get(tx, sc, ptr.Deref(in.TrafficPolicyId), versionKey(ptr.Deref(in.TrafficPolicyVersion)))
		if err != nil {
			return err
		}
		if !ok {
			return noSuchPolicy(ptr.Deref(in.TrafficPolicyId), ptr.Deref(in.TrafficPolicyVersion))
		}
		if p.Type != inst.PolicyType {
			return route53api.ErrConflictingTypes.New("You tried to update a traffic policy instance by using a traffic policy version that has a different DNS type than the current type for the instance.")
		}
		inst.PolicyID, inst.PolicyVersion, inst.TTL = p.ID, p.Version, ptr.Deref(in.TTL)
		z, err := getZone(tx, sc, inst.ZoneID)
		if err != nil {
			return err
		}
		if err := s.applyInstance(tx, sc, z, inst, p.Document); err != nil {
			return err
		}
		return policyInstances.Put(tx, sc, inst, inst.ID)
	})
	if err != nil {
		return nil, err
	}
	return &route53api.UpdateTrafficPolicyInstanceOutput{TrafficPolicyInstance: tpiOut(inst)}, nil
}

// DeleteTrafficPolicyInstance deletes an instance.
func (s *Route53) DeleteTrafficPolicyInstance(ctx *request.Context, in *route53api.DeleteTrafficPolicyInstanceInput) (*route53api.DeleteTrafficPolicyInstanceOutput, error) {
	sc := scope(ctx)
	err := s.store.Update(func(tx storage.Tx) error {
		inst, ok, err := policyInstances.Get(tx, sc, ptr.Deref(in.Id))
		if err != nil {
			return err
		}
		if !ok {
			return noSuchInstance(ptr.Deref(in.Id))
		}
		// The instance's record sets go with it (its zone may be gone).
		if z, err := getZone(tx, sc, inst.ZoneID); err == nil {
			if err := s.applyInstance(tx, sc, z, inst, ""); err != nil {
				return err
			}
		}
		return policyInstances.Delete(tx, sc, inst.ID)
	})
	if err != nil {
		return nil, err
	}
	return &route53api.DeleteTrafficPolicyInstanceOutput{}, nil
}

// GetTrafficPolicyInstanceCount counts the account's instances.
func (s *Route53) GetTrafficPolicyInstanceCount(ctx *request.Context, _ *route53api.GetTrafficPolicyInstanceCountInput) (*route53api.GetTrafficPolicyInstanceCountOutput, error) {
	var n int32
	err := s.store.View(func(tx storage.Tx) error {
		return policyInstances.List(tx, scope(ctx), nil, storage.ListOptions{}, func([]string, policyInstanceRec) bool { n++; return true })
	})
	if err != nil {
		return nil, err
	}
	return &route53api.GetTrafficPolicyInstanceCountOutput{TrafficPolicyInstanceCount: &n}, nil
}

// instancesWhere lists instances matching keep, ordered by zone, name and
// type as Route 53 pages them; markers are the zone id, name and type to
// start at.
func (s *Route53) instancesWhere(ctx *request.Context, maxRaw, zoneMarker, nameMarker, typeMarker *string, keep func(policyInstanceRec) bool) ([]route53api.TrafficPolicyInstance, *policyInstanceRec, int, error) {
	max, err := maxItems(maxRaw, 100)
	if err != nil {
		return nil, nil, 0, err
	}
	var all []policyInstanceRec
	err = s.store.View(func(tx storage.Tx) error {
		return policyInstances.List(tx, scope(ctx), nil, storage.ListOptions{}, func(_ []string, i policyInstanceRec) bool {
			if keep(i) {
				all = append(all, i)
			}
			return true
		})
	})
	if err != nil {
		return nil, nil, 0, err
	}
	key := func(i policyInstanceRec) string { return i.ZoneID + "\x00" + i.Name + "\x00" + i.PolicyType }
	sortInstances(all, key)
	start := ptr.Deref(zoneMarker) + "\x00" + normMarker(nameMarker) + "\x00" + ptr.Deref(typeMarker)
	out := []route53api.TrafficPolicyInstance{}
	for _, i := range all {
		if (zoneMarker != nil || nameMarker != nil) && key(i) < start {
			continue
		}
		if len(out) == max {
			return out, &i, max, nil
		}
		out = append(out, *tpiOut(i))
	}
	return out, nil, max, nil
}

func normMarker(p *string) string {
	if p == nil {
		return ""
	}
	return normName(*p)
}

func sortInstances(all []policyInstanceRec, key func(policyInstanceRec) string) {
	for i := 1; i < len(all); i++ {
		for j := i; j > 0 && key(all[j]) < key(all[j-1]); j-- {
			all[j], all[j-1] = all[j-1], all[j]
		}
	}
}

// ListTrafficPolicyInstances lists the account's instances.
func (s *Route53) ListTrafficPolicyInstances(ctx *request.Context, in *route53api.ListTrafficPolicyInstancesInput) (*route53api.ListTrafficPolicyInstancesOutput, error) {
	list, next, max, err := s.instancesWhere(ctx, in.MaxItems, in.HostedZoneIdMarker, in.TrafficPolicyInstanceNameMarker, in.TrafficPolicyInstanceTypeMarker, func(policyInstanceRec) bool { return true })
	if err != nil {
		return nil, err
	}
	out := &route53api.ListTrafficPolicyInstancesOutput{TrafficPolicyInstances: list, MaxItems: ptr.To(strconv.Itoa(max)), IsTruncated: ptr.To(next != nil)}
	if next != nil {
		out.HostedZoneIdMarker, out.TrafficPolicyInstanceNameMarker, out.TrafficPolicyInstanceTypeMarker = ptr.To(next.ZoneID), ptr.To(outName(next.Name)), ptr.To(next.PolicyType)
	}
	return out, nil
}

// ListTrafficPolicyInstancesByHostedZone lists one zone's instances.
func (s *Route53) ListTrafficPolicyInstancesByHostedZone(ctx *request.Context, in *route53api.ListTrafficPolicyInstancesByHostedZoneInput) (*route53api.ListTrafficPolicyInstancesByHostedZoneOutput, error) {
	var zoneID string
	err := s.store.View(func(tx storage.Tx) error {
		z, err := getZone(tx, scope(ctx), ptr.Deref(in.HostedZoneId))
		zoneID = z.ID
		return err
	})
	if err != nil {
		return nil, err
	}
	var zm *string
	if in.TrafficPolicyInstanceNameMarker != nil {
		zm = &zoneID
	}
	list, next, max, err := s.instancesWhere(ctx, in.MaxItems, zm, in.TrafficPolicyInstanceNameMarker, in.TrafficPolicyInstanceTypeMarker, func(i policyInstanceRec) bool { return i.ZoneID == zoneID })
	if err != nil {
		return nil, err
	}
	out := &route53api.ListTrafficPolicyInstancesByHostedZoneOutput{TrafficPolicyInstances: list, MaxItems: ptr.To(strconv.Itoa(max)), IsTruncated: ptr.To(next != nil)}
	if next != nil {
		out.TrafficPolicyInstanceNameMarker, out.TrafficPolicyInstanceTypeMarker = ptr.To(outName(next.Name)), ptr.To(next.PolicyType)
	}
	return out, nil
}

// ListTrafficPolicyInstancesByPolicy lists the instances of one policy
// version.
func (s *Route53) ListTrafficPolicyInstancesByPolicy(ctx *request.Context, in *route53api.ListTrafficPolicyInstancesByPolicyInput) (*route53api.ListTrafficPolicyInstancesByPolicyOutput, error) {
	id, v := ptr.Deref(in.TrafficPolicyId), ptr.Deref(in.TrafficPolicyVersion)
	if _, err := s.getPolicy(ctx, id, v); err != nil {
		return nil, err
	}
	list, next, max, err := s.instancesWhere(ctx, in.MaxItems, in.HostedZoneIdMarker, in.TrafficPolicyInstanceNameMarker, in.TrafficPolicyInstanceTypeMarker, func(i policyInstanceRec) bool { return i.PolicyID == id && i.PolicyVersion == v })
	if err != nil {
		return nil, err
	}
	out := &route53api.ListTrafficPolicyInstancesByPolicyOutput{TrafficPolicyInstances: list, MaxItems: ptr.To(strconv.Itoa(max)), IsTruncated: ptr.To(next != nil)}
	if next != nil {
		out.HostedZoneIdMarker, out.TrafficPolicyInstanceNameMarker, out.TrafficPolicyInstanceTypeMarker = ptr.To(next.ZoneID), ptr.To(outName(next.Name)), ptr.To(next.PolicyType)
	}
	return out, nil
}
