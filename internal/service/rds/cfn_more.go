package rds

import (
	"strconv"
	"strings"

	rdsapi "github.com/niwa-cloud/niwa/internal/api/rds"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
)

// cfnMoreResources are RDS's CloudFormation types beyond instances,
// clusters and their groups (cfn.go): cluster parameter groups, option
// groups, proxies and their target groups and endpoints, and event
// subscriptions.
func (s *RDS) cfnMoreResources() map[string]kit.ResourceProvider {
	return map[string]kit.ResourceProvider{
		// Ref is the group's name. Parameters change in place, as for
		// DBParameterGroup.
		"AWS::RDS::DBClusterParameterGroup": {Create: s.cfnCreateDBClusterParameterGroup, Update: s.cfnUpdateDBClusterParameterGroup,
			Delete: s.cfnDeleteDBClusterParameterGroup, Tags: true,
			Replace: []string{"DBClusterParameterGroupName", "Description", "Family"}},
		// Ref is the option group's name. niwa has no ModifyOptionGroup,
		// so a group with OptionConfigurations is refused and every
		// change replaces the group.
		"AWS::RDS::OptionGroup": {Create: s.cfnCreateOptionGroup, Delete: s.cfnDeleteOptionGroup, Tags: true},
		// Ref is the proxy's name; Fn::GetAtt DBProxyArn, Endpoint, VpcId.
		// Its create completes when the proxy is available.
		// Auth, role, TLS, timeouts, logging and security groups change
		// in place (ModifyDBProxy).
		"AWS::RDS::DBProxy": {Create: s.cfnCreateDBProxy, Update: s.cfnModifyDBProxy, Delete: s.cfnDeleteDBProxy,
			Replace: []string{"DBProxyName", "EngineFamily", "VpcSubnetIds"}, Tags: true},
		// Ref is the target group's ARN; Fn::GetAtt TargetGroupArn. Its
		// targets and pool settings change in place.
		"AWS::RDS::DBProxyTargetGroup": {Create: s.cfnSetProxyTargets, Update: s.cfnSetProxyTargets, Delete: s.cfnClearProxyTargets,
			Replace: []string{"DBProxyName", "TargetGroupName"}},
		// Ref is the endpoint's name; Fn::GetAtt DBProxyEndpointArn,
		// Endpoint, VpcId, IsDefault, TargetRole. Its security groups
		// change in place.
		"AWS::RDS::DBProxyEndpoint": {Create: s.cfnCreateDBProxyEndpoint, Update: s.cfnModifyDBProxyEndpoint, Delete: s.cfnDeleteDBProxyEndpoint,
			Replace: []string{"DBProxyEndpointName", "DBProxyName", "VpcSubnetIds", "TargetRole"}, Tags: true},
		// Ref is the subscription's name. niwa has no
		// ModifyEventSubscription: every change replaces it.
		"AWS::RDS::EventSubscription": {Create: s.cfnCreateEventSubscription, Delete: s.cfnDeleteEventSubscription, Tags: true},
	}
}

func cfnRDSTags(props map[string]any) []rdsapi.Tag {
	var out []rdsapi.Tag
	for k, v := range kit.PropTags(props) {
		out = append(out, rdsapi.Tag{Key: ptr.To(k), Value: ptr.To(v)})
	}
	return out
}

func cfnRequired(r kit.ResourceRequest, names ...string) error {
	var missing []string
	for _, n := range names {
		if !kit.Has(r.Properties, n) {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		return awserr.ValidationError.New("Properties validation failed for resource %s with message: #: required key [%s] not found", r.LogicalID, strings.Join(missing, ", "))
	}
	return nil
}

func cfnInt32(r kit.ResourceRequest, name string) (*int32, error) {
	if !kit.Has(r.Properties, name) {
		return nil, nil
	}
	n, err := strconv.ParseInt(r.Str(name), 10, 32)
	if err != nil {
		return nil, awserr.ValidationError.New("Value of property %s must be an integer", name)
	}
	v := int32(n)
	return &v, nil
}

func cfnBool(r kit.ResourceRequest, name string) *bool {
	if !kit.Has(r.Properties, name) {
		return nil
	}
	return ptr.To(kit.PropBool(r.Properties, name))
}

func optional(v string) *string {
	if v == "" {
		return nil
	}
	return &v
}

func (s *RDS) cfnCreateDBClusterParameterGroup(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	if err := cfnRequired(r, "Description", "Family"); err != nil {
		return kit.ResourceResult{}, err
	}
	name := r.Str("DBClusterParameterGroupName")
	if name == "" {
		name = strings.ToLower(kit.PhysicalName(r, 255))
	}
	out, err := s.CreateDBClusterParameterGroup(ctx, &rdsapi.CreateDBClusterParameterGroupInput{DBClusterParameterGroupName: &name,
		DBParameterGroupFamily: ptr.To(r.Str("Family")), Description: ptr.To(r.Str("Description")), Tags: cfnRDSTags(r.Properties)})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	name = *out.DBClusterParameterGroup.DBClusterParameterGroupName
	if err := s.cfnModifyClusterParameters(ctx, name, r.Properties, nil); err != nil {
		_, _ = s.DeleteDBClusterParameterGroup(ctx, &rdsapi.DeleteDBClusterParameterGroupInput{DBClusterParameterGroupName: &name})
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: name}, nil
}

// cfnModifyClusterParameters sets the parameters props changes from old,
// 20 a call as ModifyDBClusterParameterGroup takes them.
func (s *RDS) cfnModifyClusterParameters(ctx *request.Context, name string, props, old map[string]any) error {
	for _, batch := range cfnParameterBatches(props, old) {
		in := &rdsapi.ModifyDBClusterParameterGroupInput{DBClusterParameterGroupName: &name, Parameters: batch}
		if _, err := s.ModifyDBClusterParameterGroup(ctx, in); err != nil {
			return err
		}
	}
	return nil
}

func (s *RDS) cfnUpdateDBClusterParameterGroup(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	if err := s.cfnModifyClusterParameters(ctx, r.PhysicalID, r.Properties, r.OldProperties); err != nil {
		return kit.ResourceResult{}, err
	}
	if err := s.cfnRetag(ctx, arn(ctx, "cluster-pg", r.PhysicalID), r); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: r.PhysicalID}, nil
}

func (s *RDS) cfnDeleteDBClusterParameterGroup(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteDBClusterParameterGroup(ctx, &rdsapi.DeleteDBClusterParameterGroupInput{DBClusterParameterGroupName: &r.PhysicalID})
	// AWS answers DBParameterGroupNotFound for cluster groups too.
	if rdsapi.ErrDBClusterParameterGroupNotFoundFault.Is(err) || rdsapi.ErrDBParameterGroupNotFoundFault.Is(err) {
		return nil
	}
	return err
}

func (s *RDS) cfnCreateOptionGroup(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	if err := cfnRequired(r, "EngineName", "MajorEngineVersion", "OptionGroupDescription"); err != nil {
		return kit.ResourceResult{}, err
	}
	if l, _ := r.Properties["OptionConfigurations"].([]any); len(l) > 0 {
		return kit.ResourceResult{}, awserr.NotImplemented.New("niwa does not implement RDS.ModifyOptionGroup: an OptionGroup's OptionConfigurations cannot be applied")
	}
	name := r.Str("OptionGroupName")
	if name == "" {
		name = strings.ToLower(kit.PhysicalName(r, 255))
	}
	out, err := s.CreateOptionGroup(ctx, &rdsapi.CreateOptionGroupInput{OptionGroupName: &name, EngineName: ptr.To(r.Str("EngineName")),
		MajorEngineVersion: ptr.To(r.Str("MajorEngineVersion")), OptionGroupDescription: ptr.To(r.Str("OptionGroupDescription")),
		Tags: cfnRDSTags(r.Properties)})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: *out.OptionGroup.OptionGroupName}, nil
}

func (s *RDS) cfnDeleteOptionGroup(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteOptionGroup(ctx, &rdsapi.DeleteOptionGroupInput{OptionGroupName: &r.PhysicalID})
	if rdsapi.ErrOptionGroupNotFoundFault.Is(err) {
		return nil
	}
	return err
}

func proxyAttrs(p *rdsapi.DBProxy) map[string]any {
	return map[string]any{"DBProxyArn": ptr.Deref(p.DBProxyArn), "Endpoint": ptr.Deref(p.Endpoint), "VpcId": ptr.Deref(p.VpcId)}
}

func (s *RDS) cfnCreateDBProxy(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	if err := cfnRequired(r, "DBProxyName", "EngineFamily", "RoleArn", "VpcSubnetIds", "Auth"); err != nil {
		return kit.ResourceResult{}, err
	}
	in := &rdsapi.CreateDBProxyInput{DBProxyName: ptr.To(r.Str("DBProxyName")), EngineFamily: ptr.To(r.Str("EngineFamily")),
		RoleArn: ptr.To(r.Str("RoleArn")), VpcSubnetIds: kit.PropList(r.Properties, "VpcSubnetIds"),
		RequireTLS: cfnBool(r, "RequireTLS"), DebugLogging: cfnBool(r, "DebugLogging"), Tags: cfnRDSTags(r.Properties)}
	if kit.Has(r.Properties, "VpcSecurityGroupIds") {
		in.VpcSecurityGroupIds = kit.PropList(r.Properties, "VpcSecurityGroupIds")
	}
	var err error
	if in.IdleClientTimeout, err = cfnInt32(r, "IdleClientTimeout"); err != nil {
		return kit.ResourceResult{}, err
	}
	if err := kit.DecodeProp(r.Properties, "Auth", &in.Auth); err != nil {
		return kit.ResourceResult{}, awserr.ValidationError.New("Property Auth is not valid: %v", err)
	}
	out, err := s.CreateDBProxy(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	// CloudFormation's create completes once the proxy is available
	// (its targets can be registered then).
	if created := out.DBProxy.CreatedDate; created != nil {
		if wait := created.Add(proxyCreateTime).Sub(ctx.Now()); wait > 0 {
			select {
			case <-ctx.Clock.After(wait):
			case <-ctx.Done():
				return kit.ResourceResult{}, ctx.Err()
			}
		}
	}
	return kit.ResourceResult{PhysicalID: *out.DBProxy.DBProxyName, Attributes: proxyAttrs(out.DBProxy)}, nil
}

func (s *RDS) cfnModifyDBProxy(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	in := &rdsapi.ModifyDBProxyInput{DBProxyName: &r.PhysicalID, RoleArn: optional(r.Str("RoleArn")),
		RequireTLS: ptr.To(kit.PropBool(r.Properties, "RequireTLS")), DebugLogging: ptr.To(kit.PropBool(r.Properties, "DebugLogging"))}
	var err error
	if in.IdleClientTimeout, err = cfnInt32(r, "IdleClientTimeout"); err != nil {
		return kit.ResourceResult{}, err
	}
	if kit.PropJSON(r.Properties, "Auth") != kit.PropJSON(r.OldProperties, "Auth") {
		if err := kit.DecodeProp(r.Properties, "Auth", &in.Auth); err != nil {
			return kit.ResourceResult{}, awserr.ValidationError.New("Property Auth is not valid: %v", err)
		}
	}
	if kit.PropJSON(r.Properties, "VpcSecurityGroupIds") != kit.PropJSON(r.OldProperties, "VpcSecurityGroupIds") {
		in.SecurityGroups = kit.PropList(r.Properties, "VpcSecurityGroupIds")
	}
	out, err := s.ModifyDBProxy(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: r.PhysicalID, Attributes: proxyAttrs(out.DBProxy)}, nil
}

func (s *RDS) cfnDeleteDBProxy(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteDBProxy(ctx, &rdsapi.DeleteDBProxyInput{DBProxyName: &r.PhysicalID})
	if rdsapi.ErrDBProxyNotFoundFault.Is(err) {
		return nil
	}
	return err
}

// cfnSetProxyTargets brings a proxy target group's targets and pool
// settings to the template's: targets it no longer names are
// deregistered, new ones registered.
func (s *RDS) cfnSetProxyTargets(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	if err := cfnRequired(r, "DBProxyName", "TargetGroupName"); err != nil {
		return kit.ResourceResult{}, err
	}
	proxy, group := ptr.To(r.Str("DBProxyName")), ptr.To(r.Str("TargetGroupName"))
	diff := func(name string) (add, drop []string) {
		cur, old := kit.PropList(r.Properties, name), kit.PropList(r.OldProperties, name)
		have := map[string]bool{}
		for _, v := range cur {
			have[v] = true
		}
		had := map[string]bool{}
		for _, v := range old {
			had[v] = true
			if !have[v] {
				drop = append(drop, v)
			}
		}
		for _, v := range cur {
			if !had[v] {
				add = append(add, v)
			}
		}
		return add, drop
	}
	addDB, dropDB := diff("DBInstanceIdentifiers")
	addCluster, dropCluster := diff("DBClusterIdentifiers")
	if len(dropDB)+len(dropCluster) > 0 {
		if _, err := s.DeregisterDBProxyTargets(ctx, &rdsapi.DeregisterDBProxyTargetsInput{DBProxyName: proxy, TargetGroupName: group,
			DBInstanceIdentifiers: dropDB, DBClusterIdentifiers: dropCluster}); err != nil && !rdsapi.ErrDBProxyTargetNotFoundFault.Is(err) {
			return kit.ResourceResult{}, err
		}
	}
	if kit.Has(r.Properties, "ConnectionPoolConfigurationInfo") {
		cfg := &rdsapi.ConnectionPoolConfiguration{}
		if err := kit.DecodeProp(r.Properties, "ConnectionPoolConfigurationInfo", cfg); err != nil {
			return kit.ResourceResult{}, awserr.ValidationError.New("Property ConnectionPoolConfigurationInfo is not valid: %v", err)
		}
		if _, err := s.ModifyDBProxyTargetGroup(ctx, &rdsapi.ModifyDBProxyTargetGroupInput{DBProxyName: proxy, TargetGroupName: group,
			ConnectionPoolConfig: cfg}); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	if len(addDB)+len(addCluster) > 0 {
		if _, err := s.RegisterDBProxyTargets(ctx, &rdsapi.RegisterDBProxyTargetsInput{DBProxyName: proxy, TargetGroupName: group,
			DBInstanceIdentifiers: addDB, DBClusterIdentifiers: addCluster}); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	out, err := s.DescribeDBProxyTargetGroups(ctx, &rdsapi.DescribeDBProxyTargetGroupsInput{DBProxyName: proxy, TargetGroupName: group})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	if len(out.TargetGroups) != 1 {
		return kit.ResourceResult{}, rdsapi.ErrDBProxyTargetGroupNotFoundFault.New("Target group %s of proxy %s was not found.", *group, *proxy)
	}
	arn := ptr.Deref(out.TargetGroups[0].TargetGroupArn)
	return kit.ResourceResult{PhysicalID: arn, Attributes: map[string]any{"TargetGroupArn": arn}}, nil
}

func (s *RDS) cfnClearProxyTargets(ctx *request.Context, r kit.ResourceRequest) error {
	dbs, clusters := kit.PropList(r.Properties, "DBInstanceIdentifiers"), kit.PropList(r.Properties, "DBClusterIdentifiers")
	if len(dbs)+len(clusters) == 0 {
		return nil
	}
	_, err := s.DeregisterDBProxyTargets(ctx, &rdsapi.DeregisterDBProxyTargetsInput{DBProxyName: ptr.To(r.Str("DBProxyName")),
		TargetGroupName: ptr.To(r.Str("TargetGroupName")), DBInstanceIdentifiers: dbs, DBClusterIdentifiers: clusters})
	if rdsapi.ErrDBProxyNotFoundFault.Is(err) || rdsapi.ErrDBProxyTargetNotFoundFault.Is(err) || rdsapi.ErrDBProxyTargetGroupNotFoundFault.Is(err) {
		return nil
	}
	return err
}

func proxyEndpointAttrs(e *rdsapi.DBProxyEndpoint) map[string]any {
	return map[string]any{"DBProxyEndpointArn": ptr.Deref(e.DBProxyEndpointArn), "Endpoint": ptr.Deref(e.Endpoint),
		"VpcId": ptr.Deref(e.VpcId), "IsDefault": strconv.FormatBool(ptr.Deref(e.IsDefault)), "TargetRole": ptr.Deref(e.TargetRole)}
}

func (s *RDS) cfnCreateDBProxyEndpoint(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	if err := cfnRequired(r, "DBProxyEndpointName", "DBProxyName", "VpcSubnetIds"); err != nil {
		return kit.ResourceResult{}, err
	}
	in := &rdsapi.CreateDBProxyEndpointInput{DBProxyEndpointName: ptr.To(r.Str("DBProxyEndpointName")), DBProxyName: ptr.To(r.Str("DBProxyName")),
		VpcSubnetIds: kit.PropList(r.Properties, "VpcSubnetIds"), TargetRole: optional(r.Str("TargetRole")), Tags: cfnRDSTags(r.Properties)}
	if kit.Has(r.Properties, "VpcSecurityGroupIds") {
		in.VpcSecurityGroupIds = kit.PropList(r.Properties, "VpcSecurityGroupIds")
	}
	out, err := s.CreateDBProxyEndpoint(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: *out.DBProxyEndpoint.DBProxyEndpointName, Attributes: proxyEndpointAttrs(out.DBProxyEndpoint)}, nil
}

func (s *RDS) cfnModifyDBProxyEndpoint(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	out, err := s.ModifyDBProxyEndpoint(ctx, &rdsapi.ModifyDBProxyEndpointInput{DBProxyEndpointName: &r.PhysicalID,
		VpcSecurityGroupIds: kit.PropList(r.Properties, "VpcSecurityGroupIds")})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: r.PhysicalID, Attributes: proxyEndpointAttrs(out.DBProxyEndpoint)}, nil
}

func (s *RDS) cfnDeleteDBProxyEndpoint(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteDBProxyEndpoint(ctx, &rdsapi.DeleteDBProxyEndpointInput{DBProxyEndpointName: &r.PhysicalID})
	if rdsapi.ErrDBProxyEndpointNotFoundFault.Is(err) {
		return nil
	}
	return err
}

func (s *RDS) cfnCreateEventSubscription(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	if err := cfnRequired(r, "SnsTopicArn"); err != nil {
		return kit.ResourceResult{}, err
	}
	name := r.Str("SubscriptionName")
	if name == "" {
		name = strings.ToLower(kit.PhysicalName(r, 255))
	}
	in := &rdsapi.CreateEventSubscriptionInput{SubscriptionName: &name, SnsTopicArn: ptr.To(r.Str("SnsTopicArn")),
		SourceType: optional(r.Str("SourceType")), Enabled: cfnBool(r, "Enabled"), Tags: cfnRDSTags(r.Properties)}
	if kit.Has(r.Properties, "EventCategories") {
		in.EventCategories = kit.PropList(r.Properties, "EventCategories")
	}
	if kit.Has(r.Properties, "SourceIds") {
		in.SourceIds = kit.PropList(r.Properties, "SourceIds")
	}
	out, err := s.CreateEventSubscription(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: *out.EventSubscription.CustSubscriptionId}, nil
}

func (s *RDS) cfnDeleteEventSubscription(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteEventSubscription(ctx, &rdsapi.DeleteEventSubscriptionInput{SubscriptionName: &r.PhysicalID})
	if rdsapi.ErrSubscriptionNotFoundFault.Is(err) {
		return nil
	}
	return err
}

// cfnRetag makes the tags of the resource arn names the template's (an
// in-place update): keys the template dropped are removed.
func (s *RDS) cfnRetag(ctx *request.Context, arn string, r kit.ResourceRequest) error {
	old, cur := kit.PropTags(r.OldProperties), kit.PropTags(r.Properties)
	var drop []string
	for k := range old {
		if _, ok := cur[k]; !ok {
			drop = append(drop, k)
		}
	}
	var put []rdsapi.Tag
	for k, v := range cur {
		if ov, ok := old[k]; !ok || ov != v {
			put = append(put, rdsapi.Tag{Key: ptr.To(k), Value: ptr.To(v)})
		}
	}
	if len(drop) > 0 {
		if _, err := s.RemoveTagsFromResource(ctx, &rdsapi.RemoveTagsFromResourceInput{ResourceName: &arn, TagKeys: drop}); err != nil {
			return err
		}
	}
	if len(put) > 0 {
		if _, err := s.AddTagsToResource(ctx, &rdsapi.AddTagsToResourceInput{ResourceName: &arn, Tags: put}); err != nil {
			return err
		}
	}
	return nil
}

// cfnUpdateDBSubnetGroup changes a subnet group's tags in place (niwa
// has no ModifyDBSubnetGroup: its description and subnets replace it).
func (s *RDS) cfnUpdateDBSubnetGroup(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	if err := s.cfnRetag(ctx, arn(ctx, "subgrp", r.PhysicalID), r); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: r.PhysicalID}, nil
}
