package rds

import (
	"sort"
	"strings"

	rdsapi "github.com/niwa-cloud/niwa/internal/api/rds"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
)

// cfnResources are RDS's CloudFormation resource types, made with the
// service's own handlers (the properties are mostly the API's members).
func (s *RDS) cfnResources() map[string]kit.ResourceProvider {
	m := map[string]kit.ResourceProvider{
		// Ref is the instance identifier; Fn::GetAtt Endpoint.Address,
		// Endpoint.Port, DBInstanceArn, DbiResourceId. AWS's replacement
		// properties replace it; the others change in place
		// (cfn_update.go).
		"AWS::RDS::DBInstance": {Create: s.cfnCreateDBInstance, Update: s.cfnUpdateDBInstance, Delete: s.cfnDeleteDBInstance,
			Tags: true, Replace: instanceReplace},
		// Ref is the group's name.
		// Its tags change in place; its description and subnets replace it
		// (AWS changes them in place with ModifyDBSubnetGroup, which niwa
		// does not implement).
		"AWS::RDS::DBSubnetGroup": {Create: s.cfnCreateDBSubnetGroup, Update: s.cfnUpdateDBSubnetGroup, Delete: s.cfnDeleteDBSubnetGroup, Tags: true,
			Replace: []string{"DBSubnetGroupName", "DBSubnetGroupDescription", "SubnetIds"}},
		// Ref is the group's name. Parameters change in place (20 at a
		// time, as ModifyDBParameterGroup takes them); a parameter the
		// template no longer sets keeps its value (niwa does not
		// implement ResetDBParameterGroup).
		// Ref is the cluster identifier; Fn::GetAtt Endpoint.Address,
		// Endpoint.Port, ReadEndpoint.Address, DBClusterArn,
		// DBClusterResourceId. AWS's replacement properties replace it;
		// the others change in place (cfn_update.go).
		"AWS::RDS::DBCluster": {Create: s.cfnCreateDBCluster, Update: s.cfnUpdateDBCluster, Delete: s.cfnDeleteDBCluster,
			Tags: true, Replace: clusterReplace},
		"AWS::RDS::DBParameterGroup": {Create: s.cfnCreateDBParameterGroup, Update: s.cfnUpdateDBParameterGroup,
			Delete: s.cfnDeleteDBParameterGroup, Tags: true,
			Replace: []string{"DBParameterGroupName", "Description", "Family"}},
	}
	for name, p := range s.cfnMoreResources() {
		m[name] = p
	}
	return m
}

// cfnDecodeProps fills an API input from the properties of the same
// names (numbers given as text are converted).
func cfnDecodeProps(props map[string]any, in any) error {
	for k := range props {
		if err := kit.DecodeProp(map[string]any{"v": map[string]any{k: props[k]}}, "v", in); err != nil {
			return awserr.ValidationError.New("Property %s is not valid: %v", k, err)
		}
	}
	return nil
}

func (s *RDS) cfnCreateDBInstance(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	props := map[string]any{}
	for k, v := range r.Properties {
		switch k {
		case "VPCSecurityGroups":
			props["VpcSecurityGroupIds"] = v
		case "Tags", "DBSecurityGroups", "DeletionProtection":
		default:
			props[k] = v
		}
	}
	in := &rdsapi.CreateDBInstanceInput{}
	if err := cfnDecodeProps(props, in); err != nil {
		return kit.ResourceResult{}, err
	}
	if in.DBInstanceIdentifier == nil {
		id := strings.ToLower(kit.PhysicalName(r, 63))
		in.DBInstanceIdentifier = &id
	}
	for k, v := range kit.PropTags(r.Properties) {
		k, v := k, v
		in.Tags = append(in.Tags, rdsapi.Tag{Key: &k, Value: &v})
	}
	out, err := s.CreateDBInstance(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	attrs, err := s.cfnInstanceAttrs(ctx, *out.DBInstance.DBInstanceIdentifier)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: *out.DBInstance.DBInstanceIdentifier, Attributes: attrs}, nil
}

func (s *RDS) cfnDeleteDBInstance(ctx *request.Context, r kit.ResourceRequest) error {
	skip := true
	_, err := s.DeleteDBInstance(ctx, &rdsapi.DeleteDBInstanceInput{DBInstanceIdentifier: &r.PhysicalID, SkipFinalSnapshot: &skip})
	if err != nil && rdsapi.ErrDBInstanceNotFoundFault.Is(err) {
		return nil
	}
	return err
}

func (s *RDS) cfnCreateDBSubnetGroup(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	name := r.Str("DBSubnetGroupName")
	if name == "" {
		name = strings.ToLower(kit.PhysicalName(r, 255))
	}
	desc := r.Str("DBSubnetGroupDescription")
	in := &rdsapi.CreateDBSubnetGroupInput{DBSubnetGroupName: &name, DBSubnetGroupDescription: &desc,
		SubnetIds: kit.PropList(r.Properties, "SubnetIds")}
	for k, v := range kit.PropTags(r.Properties) {
		k, v := k, v
		in.Tags = append(in.Tags, rdsapi.Tag{Key: &k, Value: &v})
	}
	if _, err := s.CreateDBSubnetGroup(ctx, in); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: name}, nil
}

func (s *RDS) cfnDeleteDBSubnetGroup(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteDBSubnetGroup(ctx, &rdsapi.DeleteDBSubnetGroupInput{DBSubnetGroupName: &r.PhysicalID})
	if err != nil && rdsapi.ErrDBSubnetGroupNotFoundFault.Is(err) {
		return nil
	}
	return err
}

func (s *RDS) cfnCreateDBParameterGroup(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	if !kit.Has(r.Properties, "Description") || !kit.Has(r.Properties, "Family") {
		return kit.ResourceResult{}, awserr.ValidationError.New("Properties validation failed for resource %s with message: #: required key [Description, Family] not found", r.LogicalID)
	}
	name := r.Str("DBParameterGroupName")
	if name == "" {
		name = strings.ToLower(kit.PhysicalName(r, 255))
	}
	desc, fam := r.Str("Description"), r.Str("Family")
	in := &rdsapi.CreateDBParameterGroupInput{DBParameterGroupName: &name, DBParameterGroupFamily: &fam, Description: &desc}
	for k, v := range kit.PropTags(r.Properties) {
		k, v := k, v
		in.Tags = append(in.Tags, rdsapi.Tag{Key: &k, Value: &v})
	}
	out, err := s.CreateDBParameterGroup(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	name = *out.DBParameterGroup.DBParameterGroupName
	if err := s.cfnModifyParameters(ctx, name, r.Properties, nil); err != nil {
		// A group the stack cannot finish is not left behind.
		_, _ = s.DeleteDBParameterGroup(ctx, &rdsapi.DeleteDBParameterGroupInput{DBParameterGroupName: &name})
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: name, Attributes: map[string]any{"DBParameterGroupName": name}}, nil
}

// cfnModifyParameters sets the parameters of props that old does not
// set to the same value, at most 20 per call.
func (s *RDS) cfnModifyParameters(ctx *request.Context, name string, props, old map[string]any) error {
	for _, batch := range cfnParameterBatches(props, old) {
		if _, err := s.ModifyDBParameterGroup(ctx, &rdsapi.ModifyDBParameterGroupInput{DBParameterGroupName: &name, Parameters: batch}); err != nil {
			return err
		}
	}
	return nil
}

// cfnParameterBatches is what a parameter group's update sets: the
// parameters the template adds or changes, in name order, in batches of
// the 20 one Modify call takes.
func cfnParameterBatches(props, old map[string]any) [][]rdsapi.Parameter {
	want, had := kit.PropMap(props, "Parameters"), kit.PropMap(old, "Parameters")
	keys := make([]string, 0, len(want))
	for k := range want {
		if !kit.Has(had, k) || kit.PropStr(had, k) != kit.PropStr(want, k) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var batches [][]rdsapi.Parameter
	for len(keys) > 0 {
		n := min(len(keys), 20)
		var batch []rdsapi.Parameter
		for _, k := range keys[:n] {
			batch = append(batch, rdsapi.Parameter{ParameterName: ptr.To(k), ParameterValue: ptr.To(kit.PropStr(want, k)), ApplyMethod: ptr.To("pending-reboot")})
		}
		batches = append(batches, batch)
		keys = keys[n:]
	}
	return batches
}

func (s *RDS) cfnUpdateDBParameterGroup(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	if err := s.cfnModifyParameters(ctx, r.PhysicalID, r.Properties, r.OldProperties); err != nil {
		return kit.ResourceResult{}, err
	}
	if err := s.cfnRetag(ctx, arn(ctx, "pg", r.PhysicalID), r); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: r.PhysicalID, Attributes: map[string]any{"DBParameterGroupName": r.PhysicalID}}, nil
}

func (s *RDS) cfnDeleteDBParameterGroup(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteDBParameterGroup(ctx, &rdsapi.DeleteDBParameterGroupInput{DBParameterGroupName: &r.PhysicalID})
	if err != nil && rdsapi.ErrDBParameterGroupNotFoundFault.Is(err) {
		return nil
	}
	return err
}

func (s *RDS) cfnCreateDBCluster(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	props := map[string]any{}
	for k, v := range r.Properties {
		if k != "Tags" {
			props[k] = v
		}
	}
	in := &rdsapi.CreateDBClusterInput{}
	if err := cfnDecodeProps(props, in); err != nil {
		return kit.ResourceResult{}, err
	}
	if in.DBClusterIdentifier == nil {
		id := strings.ToLower(kit.PhysicalName(r, 63))
		in.DBClusterIdentifier = &id
	}
	for k, v := range kit.PropTags(r.Properties) {
		k, v := k, v
		in.Tags = append(in.Tags, rdsapi.Tag{Key: &k, Value: &v})
	}
	out, err := s.CreateDBCluster(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: *out.DBCluster.DBClusterIdentifier, Attributes: cfnClusterAttrs(*out.DBCluster)}, nil
}

func (s *RDS) cfnDeleteDBCluster(ctx *request.Context, r kit.ResourceRequest) error {
	skip := true
	_, err := s.DeleteDBCluster(ctx, &rdsapi.DeleteDBClusterInput{DBClusterIdentifier: &r.PhysicalID, SkipFinalSnapshot: &skip})
	if err != nil && rdsapi.ErrDBClusterNotFoundFault.Is(err) {
		return nil
	}
	return err
}
