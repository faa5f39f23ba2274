package rds

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"

	rdsapi "github.com/niwa-cloud/niwa/internal/api/rds"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// instanceReplace are the AWS::RDS::DBInstance properties whose change
// needs a new instance ("Update requires: Replacement" in AWS's
// CloudFormation reference, the create-only properties of the
// resource's schema). Engine is conditional on AWS (a change within
// the engine's family, or of its case, is in place); niwa replaces on
// any change of Engine, as for a different engine: a version upgrade is
// EngineVersion's.
var instanceReplace = []string{
	"CharacterSetName", "CustomIAMInstanceProfile", "DBClusterIdentifier", "DBClusterSnapshotIdentifier",
	"DBInstanceIdentifier", "DBName", "DBSnapshotIdentifier", "DBSubnetGroupName", "DBSystemId", "Engine",
	"KmsKeyId", "MasterUsername", "NcharCharacterSetName", "Port", "RestoreTime", "SourceDBClusterIdentifier",
	"SourceDBInstanceAutomatedBackupsArn", "SourceDBInstanceIdentifier", "SourceDbiResourceId", "SourceRegion",
	"StorageEncrypted", "Timezone", "UseLatestRestorableTime",
}

// clusterReplace are AWS::RDS::DBCluster's replacement properties
// (Engine and MasterUsername are conditional on AWS, for a global
// cluster's secondary; niwa has no global clusters).
var clusterReplace = []string{
	"AvailabilityZones", "ClusterScalabilityType", "DBClusterIdentifier", "DBSubnetGroupName", "DBSystemId",
	"DatabaseName", "Engine", "EngineMode", "KmsKeyId", "MasterUsername", "PubliclyAccessible", "RestoreToTime",
	"RestoreType", "SnapshotIdentifier", "SourceDBClusterIdentifier", "SourceRegion", "StorageEncrypted",
	"UseLatestRestorableTime",
}

// instanceInPlace are the DBInstance properties niwa changes in place:
// the ModifyDBInstance member each one sets, and the value a property
// the template drops goes back to ("" when dropping it is refused).
// AllowMajorVersionUpgrade only permits an upgrade; DeletionProtection
// and DBSecurityGroups are not applied by the stack, as at create.
var instanceInPlace = map[string]inPlace{
	"AllocatedStorage":                {member: "AllocatedStorage"},
	"AllowMajorVersionUpgrade":        {member: "AllowMajorVersionUpgrade", unset: false},
	"BackupRetentionPeriod":           {member: "BackupRetentionPeriod", unset: 1.0},
	"DBInstanceClass":                 {member: "DBInstanceClass"},
	"DBParameterGroupName":            {member: "DBParameterGroupName"},
	"EnableIAMDatabaseAuthentication": {member: "EnableIAMDatabaseAuthentication", unset: false},
	"MasterUserPassword":              {member: "MasterUserPassword"},
	"PubliclyAccessible":              {member: "PubliclyAccessible", unset: false},
	"VPCSecurityGroups":               {member: "VpcSecurityGroupIds"},
	"DeletionProtection":              {},
	"DBSecurityGroups":                {},
}

// clusterInPlace are the DBCluster properties niwa changes in place
// with ModifyDBCluster.
var clusterInPlace = map[string]inPlace{
	"BackupRetentionPeriod":            {member: "BackupRetentionPeriod", unset: 1.0},
	"CopyTagsToSnapshot":               {member: "CopyTagsToSnapshot", unset: false},
	"DBClusterParameterGroupName":      {member: "DBClusterParameterGroupName"},
	"DeletionProtection":               {member: "DeletionProtection", unset: false},
	"EnableHttpEndpoint":               {member: "EnableHttpEndpoint", unset: false},
	"EnableIAMDatabaseAuthentication":  {member: "EnableIAMDatabaseAuthentication", unset: false},
	"MasterUserPassword":               {member: "MasterUserPassword"},
	"ServerlessV2ScalingConfiguration": {member: "ServerlessV2ScalingConfiguration"},
	"VpcSecurityGroupIds":              {member: "VpcSecurityGroupIds"},
}

// inPlace is how one property changes in place: member is the Modify
// input's member ("" for a property the stack does not apply); unset is
// the value when the template drops the property (nil: refused).
type inPlace struct {
	member string
	unset  any
}

// cfnChanged are the top-level properties whose values differ between
// old and cur, sorted. A scalar given as text or as a number or boolean
// ("20" and 20, "true" and true) is the same value, as CloudFormation
// passes them to the API.
func cfnChanged(old, cur map[string]any) []string {
	keys := map[string]bool{}
	for k := range old {
		keys[k] = true
	}
	for k := range cur {
		keys[k] = true
	}
	var out []string
	for k := range keys {
		if scalar(old[k]) && scalar(cur[k]) && kit.PropStr(old, k) == kit.PropStr(cur, k) {
			continue
		}
		a, _ := json.Marshal(old[k])
		b, _ := json.Marshal(cur[k])
		if string(a) != string(b) {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// cfnModifyPlan turns the changed properties of an in-place update into
// the Modify input's members (by member name, JSON values), refusing a
// property niwa cannot change in place with an error naming it. Tags are
// not part of the plan: they change through the tag operations.
func cfnModifyPlan(typ, op string, table map[string]inPlace, old, cur map[string]any) (map[string]any, error) {
	members := map[string]any{}
	var refused, dropped []string
	for _, k := range cfnChanged(old, cur) {
		if k == "Tags" {
			continue
		}
		p, ok := table[k]
		switch {
		case !ok:
			refused = append(refused, k)
		case p.member == "":
		case !kit.Has(cur, k) && p.unset == nil:
			dropped = append(dropped, k)
		case !kit.Has(cur, k):
			members[p.member] = p.unset
		default:
			members[p.member] = cur[k]
		}
	}
	if len(refused) > 0 {
		return nil, awserr.NotImplemented.New("niwa does not update %s %s in place (its %s does not change %s): remove the change from the template, or rename the resource to replace it",
			typ, plural("property", refused), op, strings.Join(refused, ", "))
	}
	if len(dropped) > 0 {
		return nil, awserr.NotImplemented.New("niwa does not reset %s %s to the default when the template drops %s: give %s a value",
			typ, plural("property", dropped), plural("it", dropped), strings.Join(dropped, ", "))
	}
	return members, nil
}

func scalar(v any) bool {
	switch v.(type) {
	case string, bool, float64, int:
		return true
	}
	return false
}

func plural(word string, l []string) string {
	if len(l) == 1 {
		return word
	}
	switch word {
	case "property":
		return "properties"
	case "it":
		return "them"
	}
	return word + "s"
}

// cfnUpdateDBInstance applies a template's changes to an instance in
// place: ModifyDBInstance with ApplyImmediately for its settings, the tag
// operations for its tags. The identifier, endpoint and data stay.
func (s *RDS) cfnUpdateDBInstance(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	members, err := cfnModifyPlan("AWS::RDS::DBInstance", "ModifyDBInstance", instanceInPlace, r.OldProperties, r.Properties)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	if len(members) > 0 {
		in := &rdsapi.ModifyDBInstanceInput{}
		if err := cfnDecodeProps(members, in); err != nil {
			return kit.ResourceResult{}, err
		}
		in.DBInstanceIdentifier, in.ApplyImmediately = &r.PhysicalID, ptr.To(true)
		if _, err := s.ModifyDBInstance(ctx, in); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	if err := s.cfnRetag(ctx, arn(ctx, "db", r.PhysicalID), r); err != nil {
		return kit.ResourceResult{}, err
	}
	attrs, err := s.cfnInstanceAttrs(ctx, r.PhysicalID)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: r.PhysicalID, Attributes: attrs}, nil
}

// cfnInstanceAttrs are an instance's Fn::GetAtt attributes. The
// endpoint is the instance's from its creation, though
// DescribeDBInstances shows it only once the instance is available.
func (s *RDS) cfnInstanceAttrs(ctx *request.Context, id string) (map[string]any, error) {
	var rec instanceRec
	if err := s.store.Update(func(tx storage.Tx) error {
		var err error
		rec, err = s.load(tx, ctx, id)
		return err
	}); err != nil {
		return nil, err
	}
	return map[string]any{"DBInstanceArn": rec.ARN, "DbiResourceId": rec.ResourceID,
		"Endpoint.Address": rec.Address, "Endpoint.Port": strconv.Itoa(int(rec.Port))}, nil
}

// cfnUpdateDBCluster applies a template's changes to a cluster in place
// with ModifyDBCluster (ApplyImmediately) and the tag operations.
func (s *RDS) cfnUpdateDBCluster(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	members, err := cfnModifyPlan("AWS::RDS::DBCluster", "ModifyDBCluster", clusterInPlace, r.OldProperties, r.Properties)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	if len(members) > 0 {
		in := &rdsapi.ModifyDBClusterInput{}
		if err := cfnDecodeProps(members, in); err != nil {
			return kit.ResourceResult{}, err
		}
		in.DBClusterIdentifier, in.ApplyImmediately = &r.PhysicalID, ptr.To(true)
		if _, err := s.ModifyDBCluster(ctx, in); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	if err := s.cfnRetag(ctx, arn(ctx, "cluster", r.PhysicalID), r); err != nil {
		return kit.ResourceResult{}, err
	}
	out, err := s.DescribeDBClusters(ctx, &rdsapi.DescribeDBClustersInput{DBClusterIdentifier: &r.PhysicalID})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	if len(out.DBClusters) == 0 {
		return kit.ResourceResult{}, rdsapi.ErrDBClusterNotFoundFault.New("DBCluster %s not found.", r.PhysicalID)
	}
	return kit.ResourceResult{PhysicalID: r.PhysicalID, Attributes: cfnClusterAttrs(out.DBClusters[0])}, nil
}

// cfnClusterAttrs are a cluster's Fn::GetAtt attributes.
func cfnClusterAttrs(c rdsapi.DBCluster) map[string]any {
	attrs := map[string]any{}
	for k, v := range map[string]*string{"Endpoint.Address": c.Endpoint, "ReadEndpoint.Address": c.ReaderEndpoint,
		"DBClusterArn": c.DBClusterArn, "DBClusterResourceId": c.DbClusterResourceId} {
		if v != nil {
			attrs[k] = *v
		}
	}
	if c.Port != nil {
		attrs["Endpoint.Port"] = strconv.Itoa(int(*c.Port))
	}
	return attrs
}
