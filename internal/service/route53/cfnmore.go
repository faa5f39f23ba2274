package route53

import (
	"sort"
	"strings"

	route53api "github.com/niwa-cloud/niwa/internal/api/route53"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
)

// cfnVPCs are a HostedZone's VPCs ([{VPCId, VPCRegion}]).
func cfnVPCs(props map[string]any) []route53api.VPC {
	l, _ := props["VPCs"].([]any)
	out := make([]route53api.VPC, 0, len(l))
	for _, e := range l {
		v, _ := e.(map[string]any)
		out = append(out, route53api.VPC{VPCId: r53str(kit.PropStr(v, "VPCId")), VPCRegion: r53str(kit.PropStr(v, "VPCRegion"))})
	}
	return out
}

func vpcKey(v route53api.VPC) string { return ptr.Deref(v.VPCRegion) + "/" + ptr.Deref(v.VPCId) }

// cfnUpdateZoneVPCs associates the VPCs the template adds before
// disassociating those it drops (a private zone keeps one at least).
func (s *Route53) cfnUpdateZoneVPCs(ctx *request.Context, r kit.ResourceRequest) error {
	old, cur := map[string]route53api.VPC{}, map[string]route53api.VPC{}
	for _, v := range cfnVPCs(r.OldProperties) {
		old[vpcKey(v)] = v
	}
	newList := cfnVPCs(r.Properties)
	for _, v := range newList {
		cur[vpcKey(v)] = v
		if _, ok := old[vpcKey(v)]; !ok {
			if _, err := s.AssociateVPCWithHostedZone(ctx, &route53api.AssociateVPCWithHostedZoneInput{HostedZoneId: &r.PhysicalID, VPC: &v}); err != nil {
				return err
			}
		}
	}
	for k, v := range old {
		if _, ok := cur[k]; !ok {
			if _, err := s.DisassociateVPCFromHostedZone(ctx, &route53api.DisassociateVPCFromHostedZoneInput{HostedZoneId: &r.PhysicalID, VPC: &v}); err != nil {
				return err
			}
		}
	}
	return nil
}

// cfnUpdateZoneTags applies HostedZoneTags' changes.
func (s *Route53) cfnUpdateZoneTags(ctx *request.Context, r kit.ResourceRequest) error {
	old := kit.PropTags(map[string]any{"Tags": r.OldProperties["HostedZoneTags"]})
	cur := kit.PropTags(map[string]any{"Tags": r.Properties["HostedZoneTags"]})
	in := &route53api.ChangeTagsForResourceInput{ResourceType: ptr.To("hostedzone"), ResourceId: &r.PhysicalID}
	for k, v := range cur {
		if ov, ok := old[k]; !ok || ov != v {
			in.AddTags = append(in.AddTags, route53api.Tag{Key: r53str(k), Value: ptr.To(v)})
		}
	}
	for k := range old {
		if _, ok := cur[k]; !ok {
			in.RemoveTagKeys = append(in.RemoveTagKeys, k)
		}
	}
	if len(in.AddTags) == 0 && len(in.RemoveTagKeys) == 0 {
		return nil
	}
	sort.Strings(in.RemoveTagKeys)
	_, err := s.ChangeTagsForResource(ctx, in)
	return err
}

// cfnDropQueryLogging deletes the zone's query logging configuration, if any.
func (s *Route53) cfnDropQueryLogging(ctx *request.Context, zone string) error {
	out, err := s.ListQueryLoggingConfigs(ctx, &route53api.ListQueryLoggingConfigsInput{HostedZoneId: &zone})
	if err != nil {
		return err
	}
	for _, c := range out.QueryLoggingConfigs {
		if _, err := s.DeleteQueryLoggingConfig(ctx, &route53api.DeleteQueryLoggingConfigInput{Id: c.Id}); err != nil &&
			!route53api.ErrNoSuchQueryLoggingConfig.Is(err) {
			return err
		}
	}
	return nil
}

// AWS::Route53::HealthCheck. The template's HealthCheckConfig is the
// API's; Type, MeasureLatency and RequestInterval cannot change after
// creation: their change replaces the health check (the provider's
// Replace paths), so Update never sees one.

func (s *Route53) cfnHealthCheckConfig(r kit.ResourceRequest, props map[string]any) (*route53api.HealthCheckConfig, error) {
	cfg := &route53api.HealthCheckConfig{}
	if !kit.Has(props, "HealthCheckConfig") {
		return nil, awserr.ValidationError.New("Properties validation failed for resource %s with message: #: required key [HealthCheckConfig] not found", r.LogicalID)
	}
	if err := kit.DecodeProp(props, "HealthCheckConfig", cfg); err != nil {
		return nil, awserr.ValidationError.New("Properties validation failed for resource %s with message: #/HealthCheckConfig: %v", r.LogicalID, err)
	}
	return cfg, nil
}

func (s *Route53) cfnHealthCheckTags(ctx *request.Context, id string, old, cur map[string]any) error {
	in := &route53api.ChangeTagsForResourceInput{ResourceType: ptr.To("healthcheck"), ResourceId: &id}
	o := kit.PropTags(map[string]any{"Tags": old["HealthCheckTags"]})
	n := kit.PropTags(map[string]any{"Tags": cur["HealthCheckTags"]})
	for k, v := range n {
		if ov, ok := o[k]; !ok || ov != v {
			in.AddTags = append(in.AddTags, route53api.Tag{Key: r53str(k), Value: ptr.To(v)})
		}
	}
	for k := range o {
		if _, ok := n[k]; !ok {
			in.RemoveTagKeys = append(in.RemoveTagKeys, k)
		}
	}
	if len(in.AddTags) == 0 && len(in.RemoveTagKeys) == 0 {
		return nil
	}
	_, err := s.ChangeTagsForResource(ctx, in)
	return err
}

func (s *Route53) cfnCreateHealthCheck(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	cfg, err := s.cfnHealthCheckConfig(r, r.Properties)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	out, err := s.CreateHealthCheck(ctx, &route53api.CreateHealthCheckInput{CallerReference: ptr.To(awsid.UUID()), HealthCheckConfig: cfg})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	id := *out.HealthCheck.Id
	if err := s.cfnHealthCheckTags(ctx, id, nil, r.Properties); err != nil {
		_, _ = s.DeleteHealthCheck(ctx, &route53api.DeleteHealthCheckInput{HealthCheckId: &id})
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: id, Attributes: map[string]any{"HealthCheckId": id}}, nil
}

func (s *Route53) cfnUpdateHealthCheck(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	cfg, err := s.cfnHealthCheckConfig(r, r.Properties)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	cur, err := s.GetHealthCheck(ctx, &route53api.GetHealthCheckInput{HealthCheckId: &r.PhysicalID})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	was := cur.HealthCheck.HealthCheckConfig
	in := &route53api.UpdateHealthCheckInput{HealthCheckId: &r.PhysicalID, HealthCheckVersion: cur.HealthCheck.HealthCheckVersion,
		IPAddress: cfg.IPAddress, Port: cfg.Port, ResourcePath: cfg.ResourcePath, FullyQualifiedDomainName: cfg.FullyQualifiedDomainName,
		SearchString: cfg.SearchString, FailureThreshold: cfg.FailureThreshold, Inverted: cfg.Inverted, Disabled: cfg.Disabled,
		HealthThreshold: cfg.HealthThreshold, ChildHealthChecks: cfg.ChildHealthChecks, EnableSNI: cfg.EnableSNI, Regions: cfg.Regions,
		AlarmIdentifier: cfg.AlarmIdentifier, InsufficientDataHealthStatus: cfg.InsufficientDataHealthStatus}
	// What the template no longer sets goes back to its default.
	for name, unset := range map[string]bool{"FullyQualifiedDomainName": cfg.FullyQualifiedDomainName == nil && was.FullyQualifiedDomainName != nil,
		"ResourcePath": cfg.ResourcePath == nil && was.ResourcePath != nil, "Regions": cfg.Regions == nil && len(was.Regions) > 0,
		"ChildHealthChecks": cfg.ChildHealthChecks == nil && len(was.ChildHealthChecks) > 0} {
		if unset {
			in.ResetElements = append(in.ResetElements, name)
		}
	}
	sort.Strings(in.ResetElements)
	if _, err := s.UpdateHealthCheck(ctx, in); err != nil {
		return kit.ResourceResult{}, err
	}
	if err := s.cfnHealthCheckTags(ctx, r.PhysicalID, r.OldProperties, r.Properties); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: r.PhysicalID, Attributes: map[string]any{"HealthCheckId": r.PhysicalID}}, nil
}

func (s *Route53) cfnDeleteHealthCheck(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteHealthCheck(ctx, &route53api.DeleteHealthCheckInput{HealthCheckId: &r.PhysicalID})
	if route53api.ErrNoSuchHealthCheck.Is(err) {
		return nil
	}
	return err
}

// AWS::Route53::KeySigningKey: Status changes in place.

func cfnKSKID(physical string) (zone, name string) {
	zone, name, _ = strings.Cut(physical, "|")
	return zone, name
}

func (s *Route53) cfnCreateKSK(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	zone := strings.TrimPrefix(r.Str("HostedZoneId"), "/hostedzone/")
	in := &route53api.CreateKeySigningKeyInput{CallerReference: ptr.To(awsid.UUID()), HostedZoneId: &zone, Name: r53str(r.Str("Name")),
		KeyManagementServiceArn: r53str(r.Str("KeyManagementServiceArn")), Status: r53str(r.Str("Status"))}
	out, err := s.CreateKeySigningKey(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: zone + "|" + *out.KeySigningKey.Name}, nil
}

func (s *Route53) cfnUpdateKSK(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	zone, name := cfnKSKID(r.PhysicalID)
	var err error
	switch st := r.Str("Status"); st {
	case "ACTIVE":
		_, err = s.ActivateKeySigningKey(ctx, &route53api.ActivateKeySigningKeyInput{HostedZoneId: &zone, Name: &name})
	case "INACTIVE":
		_, err = s.DeactivateKeySigningKey(ctx, &route53api.DeactivateKeySigningKeyInput{HostedZoneId: &zone, Name: &name})
	default:
		err = route53api.ErrInvalidKeySigningKeyStatus.New("The key-signing key (KSK) status isn't valid: %s", st)
	}
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: r.PhysicalID}, nil
}

// cfnDeleteKSK deactivates the key, then deletes it, as CloudFormation does.
func (s *Route53) cfnDeleteKSK(ctx *request.Context, r kit.ResourceRequest) error {
	zone, name := cfnKSKID(r.PhysicalID)
	_, err := s.DeactivateKeySigningKey(ctx, &route53api.DeactivateKeySigningKeyInput{HostedZoneId: &zone, Name: &name})
	if route53api.ErrNoSuchKeySigningKey.Is(err) || route53api.ErrNoSuchHostedZone.Is(err) {
		return nil
	}
	if err != nil && !route53api.ErrInvalidKeySigningKeyStatus.Is(err) {
		return err
	}
	_, err = s.DeleteKeySigningKey(ctx, &route53api.DeleteKeySigningKeyInput{HostedZoneId: &zone, Name: &name})
	if route53api.ErrNoSuchKeySigningKey.Is(err) || route53api.ErrNoSuchHostedZone.Is(err) {
		return nil
	}
	return err
}

// AWS::Route53::DNSSEC: signing of one zone; Ref is the zone's id.

func (s *Route53) cfnEnableDNSSEC(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	zone := strings.TrimPrefix(r.Str("HostedZoneId"), "/hostedzone/")
	if _, err := s.EnableHostedZoneDNSSEC(ctx, &route53api.EnableHostedZoneDNSSECInput{HostedZoneId: &zone}); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: zone}, nil
}

func (s *Route53) cfnDisableDNSSEC(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DisableHostedZoneDNSSEC(ctx, &route53api.DisableHostedZoneDNSSECInput{HostedZoneId: &r.PhysicalID})
	if route53api.ErrNoSuchHostedZone.Is(err) {
		return nil
	}
	return err
}

// AWS::Route53::CidrCollection: Locations [{LocationName, CidrList}]
// change in place through ChangeCidrCollection.

func cfnLocations(props map[string]any) map[string][]string {
	out := map[string][]string{}
	l, _ := props["Locations"].([]any)
	for _, e := range l {
		m, _ := e.(map[string]any)
		out[kit.PropStr(m, "LocationName")] = append(out[kit.PropStr(m, "LocationName")], kit.PropList(m, "CidrList")...)
	}
	return out
}

func (s *Route53) cfnChangeCidrs(ctx *request.Context, id string, old, cur map[string][]string) error {
	var changes []route53api.CidrCollectionChange
	names := make([]string, 0, len(cur))
	for n := range cur {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if len(cur[n]) > 0 {
			changes = append(changes, route53api.CidrCollectionChange{LocationName: ptr.To(n), Action: ptr.To("PUT"), CidrList: cur[n]})
		}
	}
	for _, n := range sortedKeys(old) {
		keep := map[string]bool{}
		for _, c := range cur[n] {
			keep[c] = true
		}
		var drop []string
		for _, c := range old[n] {
			if !keep[c] {
				drop = append(drop, c)
			}
		}
		if len(drop) > 0 {
			changes = append(changes, route53api.CidrCollectionChange{LocationName: ptr.To(n), Action: ptr.To("DELETE_IF_EXISTS"), CidrList: drop})
		}
	}
	if len(changes) == 0 {
		return nil
	}
	_, err := s.ChangeCidrCollection(ctx, &route53api.ChangeCidrCollectionInput{Id: &id, Changes: changes})
	return err
}

func sortedKeys(m map[string][]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (s *Route53) cfnCreateCidrCollection(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	out, err := s.CreateCidrCollection(ctx, &route53api.CreateCidrCollectionInput{Name: r53str(r.Str("Name")), CallerReference: ptr.To(awsid.UUID())})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	c := out.Collection
	if err := s.cfnChangeCidrs(ctx, *c.Id, nil, cfnLocations(r.Properties)); err != nil {
		// The collection is made, its locations are not: it goes, so the
		// failed resource leaves nothing behind.
		_, _ = s.DeleteCidrCollection(ctx, &route53api.DeleteCidrCollectionInput{Id: c.Id})
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: *c.Id, Attributes: map[string]any{"Id": *c.Id, "Arn": ptr.Deref(c.Arn)}}, nil
}

func (s *Route53) cfnUpdateCidrCollection(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	if err := s.cfnChangeCidrs(ctx, r.PhysicalID, cfnLocations(r.OldProperties), cfnLocations(r.Properties)); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: r.PhysicalID, Attributes: map[string]any{"Id": r.PhysicalID, "Arn": cidrARN(r.PhysicalID)}}, nil
}

// cfnDeleteCidrCollection empties the collection, then deletes it.
func (s *Route53) cfnDeleteCidrCollection(ctx *request.Context, r kit.ResourceRequest) error {
	blocks := map[string][]string{}
	in := &route53api.ListCidrBlocksInput{CollectionId: &r.PhysicalID}
	for {
		out, err := s.ListCidrBlocks(ctx, in)
		if route53api.ErrNoSuchCidrCollectionException.Is(err) {
			return nil
		}
		if err != nil {
			return err
		}
		for _, b := range out.CidrBlocks {
			blocks[ptr.Deref(b.LocationName)] = append(blocks[ptr.Deref(b.LocationName)], ptr.Deref(b.CidrBlock))
		}
		if out.NextToken == nil {
			break
		}
		in.NextToken = out.NextToken
	}
	if err := s.cfnChangeCidrs(ctx, r.PhysicalID, blocks, nil); err != nil {
		return err
	}
	_, err := s.DeleteCidrCollection(ctx, &route53api.DeleteCidrCollectionInput{Id: &r.PhysicalID})
	if route53api.ErrNoSuchCidrCollectionException.Is(err) {
		return nil
	}
	return err
}

// cfnReadHealthCheck reads a health check back for drift: its
// HealthCheckConfig (the members the template sets) and tags.
func (s *Route53) cfnReadHealthCheck(ctx *request.Context, r kit.ResourceRequest) (map[string]any, error) {
	out, err := s.GetHealthCheck(ctx, &route53api.GetHealthCheckInput{HealthCheckId: &r.PhysicalID})
	if route53api.ErrNoSuchHealthCheck.Is(err) {
		return nil, kit.ErrResourceGone
	}
	if err != nil {
		return nil, err
	}
	live := kit.ShapeProps(out.HealthCheck, "HealthCheckConfig")
	live["HealthCheckConfig"] = kit.Project(live["HealthCheckConfig"], r.Properties["HealthCheckConfig"])
	tags, err := s.ListTagsForResource(ctx, &route53api.ListTagsForResourceInput{ResourceType: ptr.To("healthcheck"), ResourceId: &r.PhysicalID})
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	if tags.ResourceTagSet != nil {
		for _, t := range tags.ResourceTagSet.Tags {
			m[ptr.Deref(t.Key)] = ptr.Deref(t.Value)
		}
	}
	live["HealthCheckTags"] = kit.TagList(m)
	return live, nil
}
