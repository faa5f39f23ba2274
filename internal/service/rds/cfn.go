package rds

import (
	"strconv"
	"strings"

	rdsapi "github.com/niwa-cloud/niwa/internal/api/rds"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// cfnResources are RDS's CloudFormation resource types, made with the
// service's own handlers (the properties are mostly the API's members).
func (s *RDS) cfnResources() map[string]kit.ResourceProvider {
	return map[string]kit.ResourceProvider{
		// Ref is the instance identifier; Fn::GetAtt Endpoint.Address,
		// Endpoint.Port, DBInstanceArn, DbiResourceId.
		"AWS::RDS::DBInstance": {Create: s.cfnCreateDBInstance, Delete: s.cfnDeleteDBInstance, Tags: true},
		// Ref is the group's name.
		"AWS::RDS::DBSubnetGroup": {Create: s.cfnCreateDBSubnetGroup, Delete: s.cfnDeleteDBSubnetGroup, Tags: true},
	}
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
	db := out.DBInstance
	attrs := map[string]any{}
	if db.DBInstanceArn != nil {
		attrs["DBInstanceArn"] = *db.DBInstanceArn
	}
	if db.DbiResourceId != nil {
		attrs["DbiResourceId"] = *db.DbiResourceId
	}
	// The endpoint is the instance's from its creation, though
	// DescribeDBInstances shows it only once the instance is available.
	var rec instanceRec
	if err := s.store.Update(func(tx storage.Tx) error {
		var err error
		rec, err = s.load(tx, ctx, *in.DBInstanceIdentifier)
		return err
	}); err != nil {
		return kit.ResourceResult{}, err
	}
	attrs["Endpoint.Address"] = rec.Address
	attrs["Endpoint.Port"] = strconv.Itoa(int(rec.Port))
	return kit.ResourceResult{PhysicalID: *in.DBInstanceIdentifier, Attributes: attrs}, nil
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
