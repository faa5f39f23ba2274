package route53

import (
	"strings"

	route53api "github.com/niwa-cloud/niwa/internal/api/route53"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/request"
)

// cfnResources are Route 53's CloudFormation resource types, made with
// the service's own handlers.
func (s *Route53) cfnResources() map[string]kit.ResourceProvider {
	return map[string]kit.ResourceProvider{
		// Ref is the zone id (Z...); Fn::GetAtt Id, NameServers.
		"AWS::Route53::HostedZone": {Create: s.cfnCreateZone, Update: s.cfnUpdateZone, Delete: s.cfnDeleteZone,
			Replace: []string{"Name"}},
		// Ref is the health check id; Fn::GetAtt HealthCheckId.
		"AWS::Route53::HealthCheck": {Read: s.cfnReadHealthCheck, Create: s.cfnCreateHealthCheck, Update: s.cfnUpdateHealthCheck, Delete: s.cfnDeleteHealthCheck,
			Replace: []string{"HealthCheckConfig.Type", "HealthCheckConfig.MeasureLatency", "HealthCheckConfig.RequestInterval"}},
		// Ref is "zoneid|name".
		"AWS::Route53::KeySigningKey": {Create: s.cfnCreateKSK, Update: s.cfnUpdateKSK, Delete: s.cfnDeleteKSK,
			Replace: []string{"HostedZoneId", "Name", "KeyManagementServiceArn"}},
		// Ref is the hosted zone id.
		"AWS::Route53::DNSSEC": {Create: s.cfnEnableDNSSEC, Delete: s.cfnDisableDNSSEC},
		// Ref is the collection id; Fn::GetAtt Arn, Id.
		"AWS::Route53::CidrCollection": {Create: s.cfnCreateCidrCollection, Update: s.cfnUpdateCidrCollection,
			Delete: s.cfnDeleteCidrCollection, Replace: []string{"Name"}},
		// Ref is the record's name.
		"AWS::Route53::RecordSet": {Create: s.cfnCreateRecordSet, Update: s.cfnUpdateRecordSet, Delete: s.cfnDeleteRecordSet,
			Replace: []string{"HostedZoneId", "HostedZoneName", "Name", "Type", "SetIdentifier"}},
		// Ref is a generated name.
		"AWS::Route53::RecordSetGroup": {Create: s.cfnCreateRecordSetGroup, Update: s.cfnUpdateRecordSetGroup,
			Delete: s.cfnDeleteRecordSetGroup, Replace: []string{"HostedZoneId", "HostedZoneName"}},
	}
}

func r53str(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func cfnFQDN(name string) string {
	if !strings.HasSuffix(name, ".") {
		return name + "."
	}
	return name
}

func (s *Route53) cfnZoneResult(ctx *request.Context, id string) (kit.ResourceResult, error) {
	out, err := s.GetHostedZone(ctx, &route53api.GetHostedZoneInput{Id: &id})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	var ns []any
	if out.DelegationSet != nil {
		for _, n := range out.DelegationSet.NameServers {
			ns = append(ns, n)
		}
	}
	return kit.ResourceResult{PhysicalID: id, Attributes: map[string]any{"Id": id, "NameServers": ns}}, nil
}

func (s *Route53) cfnCreateZone(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	in := &route53api.CreateHostedZoneInput{Name: r53str(r.Str("Name")), CallerReference: r53str(awsid.UUID())}
	if c := kit.PropMap(r.Properties, "HostedZoneConfig"); c != nil {
		in.HostedZoneConfig = &route53api.HostedZoneConfig{Comment: r53str(kit.PropStr(c, "Comment"))}
	}
	vpcs, _ := r.Properties["VPCs"].([]any)
	if len(vpcs) > 0 {
		v, _ := vpcs[0].(map[string]any)
		in.VPC = &route53api.VPC{VPCId: r53str(kit.PropStr(v, "VPCId")), VPCRegion: r53str(kit.PropStr(v, "VPCRegion"))}
		priv := true
		if in.HostedZoneConfig == nil {
			in.HostedZoneConfig = &route53api.HostedZoneConfig{}
		}
		in.HostedZoneConfig.PrivateZone = &priv
	}
	out, err := s.CreateHostedZone(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	id := strings.TrimPrefix(*out.HostedZone.Id, "/hostedzone/")
	if err := s.cfnZoneExtras(ctx, id, r, len(vpcs)); err != nil {
		// The zone goes with what failed, leaving nothing behind.
		_ = s.cfnDropQueryLogging(ctx, id)
		_, _ = s.DeleteHostedZone(ctx, &route53api.DeleteHostedZoneInput{Id: &id})
		return kit.ResourceResult{}, err
	}
	return s.cfnZoneResult(ctx, id)
}

// cfnZoneExtras gives a new zone its tags, further VPCs (the first came
// with CreateHostedZone) and query logging.
func (s *Route53) cfnZoneExtras(ctx *request.Context, id string, r kit.ResourceRequest, vpcs int) error {
	if tags := kit.PropList(r.Properties, "HostedZoneTags"); len(tags) > 0 || kit.Has(r.Properties, "HostedZoneTags") {
		var add []route53api.Tag
		for k, v := range kit.PropTags(map[string]any{"Tags": r.Properties["HostedZoneTags"]}) {
			add = append(add, route53api.Tag{Key: r53str(k), Value: r53str(v)})
		}
		if len(add) > 0 {
			kind := "hostedzone"
			if _, err := s.ChangeTagsForResource(ctx, &route53api.ChangeTagsForResourceInput{ResourceType: &kind, ResourceId: &id,
				AddTags: add}); err != nil {
				return err
			}
		}
	}
	for _, v := range cfnVPCs(r.Properties)[min(1, vpcs):] {
		if _, err := s.AssociateVPCWithHostedZone(ctx, &route53api.AssociateVPCWithHostedZoneInput{HostedZoneId: &id, VPC: &v}); err != nil {
			return err
		}
	}
	if arn := kit.PropStr(kit.PropMap(r.Properties, "QueryLoggingConfig"), "CloudWatchLogsLogGroupArn"); arn != "" {
		if _, err := s.CreateQueryLoggingConfig(ctx, &route53api.CreateQueryLoggingConfigInput{HostedZoneId: &id, CloudWatchLogsLogGroupArn: &arn}); err != nil {
			return err
		}
	}
	return nil
}

func (s *Route53) cfnUpdateZone(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	c := kit.PropStr(kit.PropMap(r.Properties, "HostedZoneConfig"), "Comment")
	if c != kit.PropStr(kit.PropMap(r.OldProperties, "HostedZoneConfig"), "Comment") {
		if _, err := s.UpdateHostedZoneComment(ctx, &route53api.UpdateHostedZoneCommentInput{Id: &r.PhysicalID, Comment: &c}); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	if err := s.cfnUpdateZoneTags(ctx, r); err != nil {
		return kit.ResourceResult{}, err
	}
	if err := s.cfnUpdateZoneVPCs(ctx, r); err != nil {
		return kit.ResourceResult{}, err
	}
	oldLog := kit.PropStr(kit.PropMap(r.OldProperties, "QueryLoggingConfig"), "CloudWatchLogsLogGroupArn")
	if arn := kit.PropStr(kit.PropMap(r.Properties, "QueryLoggingConfig"), "CloudWatchLogsLogGroupArn"); arn != oldLog {
		if err := s.cfnDropQueryLogging(ctx, r.PhysicalID); err != nil {
			return kit.ResourceResult{}, err
		}
		if arn != "" {
			if _, err := s.CreateQueryLoggingConfig(ctx, &route53api.CreateQueryLoggingConfigInput{HostedZoneId: &r.PhysicalID, CloudWatchLogsLogGroupArn: &arn}); err != nil {
				return kit.ResourceResult{}, err
			}
		}
	}
	return s.cfnZoneResult(ctx, r.PhysicalID)
}

func (s *Route53) cfnDeleteZone(ctx *request.Context, r kit.ResourceRequest) error {
	// CloudFormation removes the zone's query logging first (it is part
	// of the resource).
	if err := s.cfnDropQueryLogging(ctx, r.PhysicalID); err != nil && !route53api.ErrNoSuchHostedZone.Is(err) {
		return err
	}
	_, err := s.DeleteHostedZone(ctx, &route53api.DeleteHostedZoneInput{Id: &r.PhysicalID})
	if route53api.ErrNoSuchHostedZone.Is(err) {
		return nil
	}
	return err
}

// zoneID is the zone a record set names, by id or by name.
func (s *Route53) cfnZoneID(ctx *request.Context, props map[string]any) (string, error) {
	if id := kit.PropStr(props, "HostedZoneId"); id != "" {
		return strings.TrimPrefix(id, "/hostedzone/"), nil
	}
	name := cfnFQDN(kit.PropStr(props, "HostedZoneName"))
	out, err := s.ListHostedZonesByName(ctx, &route53api.ListHostedZonesByNameInput{DNSName: &name})
	if err != nil {
		return "", err
	}
	var found []string
	for _, z := range out.HostedZones {
		if z.Name != nil && strings.EqualFold(cfnFQDN(*z.Name), name) {
			found = append(found, strings.TrimPrefix(*z.Id, "/hostedzone/"))
		}
	}
	switch len(found) {
	case 0:
		return "", route53api.ErrInvalidInput.New("No hosted zones named %s found", name)
	case 1:
		return found[0], nil
	}
	return "", route53api.ErrInvalidInput.New("Found more than one hosted zone named %s", name)
}

// recordSet is a template record set as the API's.
func cfnRecordSet(p map[string]any) (route53api.ResourceRecordSet, error) {
	rs := route53api.ResourceRecordSet{Name: r53str(cfnFQDN(kit.PropStr(p, "Name"))), Type: r53str(kit.PropStr(p, "Type")),
		SetIdentifier: r53str(kit.PropStr(p, "SetIdentifier")), Region: r53str(kit.PropStr(p, "Region")),
		Failover: r53str(kit.PropStr(p, "Failover")), HealthCheckId: r53str(kit.PropStr(p, "HealthCheckId"))}
	for _, v := range kit.PropList(p, "ResourceRecords") {
		rs.ResourceRecords = append(rs.ResourceRecords, route53api.ResourceRecord{Value: r53str(v)})
	}
	for name, dst := range map[string]**int64{"TTL": &rs.TTL, "Weight": &rs.Weight} {
		if kit.Has(p, name) {
			var n int64
			if err := kit.DecodeProp(p, name, &n); err != nil {
				return rs, route53api.ErrInvalidInput.New("Invalid %s: %s", name, kit.PropStr(p, name))
			}
			*dst = &n
		}
	}
	if kit.Has(p, "MultiValueAnswer") {
		b := kit.PropBool(p, "MultiValueAnswer")
		rs.MultiValueAnswer = &b
	}
	if a := kit.PropMap(p, "AliasTarget"); a != nil {
		ev := kit.PropBool(a, "EvaluateTargetHealth")
		rs.AliasTarget = &route53api.AliasTarget{DNSName: r53str(kit.PropStr(a, "DNSName")),
			HostedZoneId: r53str(kit.PropStr(a, "HostedZoneId")), EvaluateTargetHealth: &ev}
	}
	if g := kit.PropMap(p, "GeoLocation"); g != nil {
		rs.GeoLocation = &route53api.GeoLocation{ContinentCode: r53str(kit.PropStr(g, "ContinentCode")),
			CountryCode: r53str(kit.PropStr(g, "CountryCode")), SubdivisionCode: r53str(kit.PropStr(g, "SubdivisionCode"))}
	}
	// IP-based and geoproximity routing: the template's members are the
	// API's.
	for name, dst := range map[string]any{"CidrRoutingConfig": &rs.CidrRoutingConfig, "GeoProximityLocation": &rs.GeoProximityLocation} {
		if err := kit.DecodeProp(p, name, dst); err != nil {
			return rs, route53api.ErrInvalidInput.New("Invalid %s: %v", name, err)
		}
	}
	return rs, nil
}

func (s *Route53) cfnChangeSets(ctx *request.Context, zone string, changes []route53api.Change) error {
	if len(changes) == 0 {
		return nil
	}
	_, err := s.ChangeResourceRecordSets(ctx, &route53api.ChangeResourceRecordSetsInput{HostedZoneId: &zone,
		ChangeBatch: &route53api.ChangeBatch{Changes: changes}})
	return err
}

func cfnChange(action string, rs route53api.ResourceRecordSet) route53api.Change {
	rs2 := rs
	return route53api.Change{Action: &action, ResourceRecordSet: &rs2}
}

func (s *Route53) cfnCreateRecordSet(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	zone, err := s.cfnZoneID(ctx, r.Properties)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	rs, err := cfnRecordSet(r.Properties)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	if err := s.cfnChangeSets(ctx, zone, []route53api.Change{cfnChange("CREATE", rs)}); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: strings.TrimSuffix(*rs.Name, ".")}, nil
}

func (s *Route53) cfnUpdateRecordSet(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	zone, err := s.cfnZoneID(ctx, r.Properties)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	rs, err := cfnRecordSet(r.Properties)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	if err := s.cfnChangeSets(ctx, zone, []route53api.Change{cfnChange("UPSERT", rs)}); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: r.PhysicalID}, nil
}

func (s *Route53) cfnDeleteRecordSet(ctx *request.Context, r kit.ResourceRequest) error {
	return s.cfnDeleteSets(ctx, r.Properties, func(p map[string]any) ([]route53api.ResourceRecordSet, error) {
		rs, err := cfnRecordSet(p)
		return []route53api.ResourceRecordSet{rs}, err
	})
}

// ignoreGone treats a record or zone already gone as deleted.
func cfnGone(err error) error {
	if err == nil || route53api.ErrNoSuchHostedZone.Is(err) {
		return nil
	}
	if route53api.ErrInvalidChangeBatch.Is(err) && strings.Contains(err.Error(), "not found") {
		return nil
	}
	return err
}

func cfnGroupSets(props map[string]any) ([]route53api.ResourceRecordSet, error) {
	l, _ := props["RecordSets"].([]any)
	var out []route53api.ResourceRecordSet
	for _, x := range l {
		m, _ := x.(map[string]any)
		rs, err := cfnRecordSet(m)
		if err != nil {
			return nil, err
		}
		out = append(out, rs)
	}
	return out, nil
}

func (s *Route53) cfnCreateRecordSetGroup(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	zone, err := s.cfnZoneID(ctx, r.Properties)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	sets, err := cfnGroupSets(r.Properties)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	var changes []route53api.Change
	for _, rs := range sets {
		changes = append(changes, cfnChange("CREATE", rs))
	}
	if err := s.cfnChangeSets(ctx, zone, changes); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: kit.PhysicalName(r, 128)}, nil
}

func cfnSetKey(rs route53api.ResourceRecordSet) string {
	k := strings.ToLower(*rs.Name) + " " + *rs.Type
	if rs.SetIdentifier != nil {
		k += " " + *rs.SetIdentifier
	}
	return k
}

func (s *Route53) cfnUpdateRecordSetGroup(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	zone, err := s.cfnZoneID(ctx, r.Properties)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	sets, err := cfnGroupSets(r.Properties)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	old, err := cfnGroupSets(r.OldProperties)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	keep := map[string]bool{}
	var changes []route53api.Change
	for _, rs := range sets {
		keep[cfnSetKey(rs)] = true
		changes = append(changes, cfnChange("UPSERT", rs))
	}
	for _, rs := range old {
		if !keep[cfnSetKey(rs)] {
			changes = append(changes, cfnChange("DELETE", rs))
		}
	}
	if err := s.cfnChangeSets(ctx, zone, changes); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: r.PhysicalID}, nil
}

func (s *Route53) cfnDeleteRecordSetGroup(ctx *request.Context, r kit.ResourceRequest) error {
	return s.cfnDeleteSets(ctx, r.Properties, cfnGroupSets)
}

// cfnDeleteSets deletes the record sets of a resource's properties (a
// record set or zone already gone is deleted).
func (s *Route53) cfnDeleteSets(ctx *request.Context, props map[string]any, setsOf func(map[string]any) ([]route53api.ResourceRecordSet, error)) error {
	zone, err := s.cfnZoneID(ctx, props)
	if err != nil {
		return cfnGone(err)
	}
	sets, err := setsOf(props)
	if err != nil {
		return err
	}
	for _, rs := range sets {
		if err := cfnGone(s.cfnChangeSets(ctx, zone, []route53api.Change{cfnChange("DELETE", rs)})); err != nil {
			return err
		}
	}
	return nil
}
