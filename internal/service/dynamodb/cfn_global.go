package dynamodb

import (
	"encoding/json"
	"slices"

	dynamodbapi "github.com/niwa-cloud/niwa/internal/api/dynamodb"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
)

// AWS::DynamoDB::GlobalTable is a table in the stack's region with a
// replica in each other region Replicas names (version 2019.11.21, made
// with UpdateTable's ReplicaUpdates, one replica per call as AWS takes
// them). niwa applies every write to all replicas at once (see
// globaltables.go). Ref is the table name; Fn::GetAtt Arn (the stack's
// region's replica), StreamArn, TableId.

// cfnReplicas are the template's replicas by region.
func cfnReplicas(props map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	l, _ := props["Replicas"].([]any)
	for _, x := range l {
		if m, ok := x.(map[string]any); ok {
			out[kit.PropStr(m, "Region")] = m
		}
	}
	return out
}

// cfnGlobalLocal is the template's replica in the stack's region, which
// AWS requires.
func cfnGlobalLocal(ctx *request.Context, r kit.ResourceRequest) (map[string]any, error) {
	local, ok := cfnReplicas(r.Properties)[ctx.Region]
	if !ok {
		return nil, awserr.ValidationError.New("Properties validation failed for resource %s with message: #/Replicas: one replica must be in the stack's region (%s)", r.LogicalID, ctx.Region)
	}
	return local, nil
}

func cfnCapacity(m map[string]any, units, autoScaling string) *int64 {
	if kit.Has(m, units) {
		var n int64
		if kit.DecodeProp(m, units, &n) == nil {
			return &n
		}
	}
	if a := kit.PropMap(m, autoScaling); a != nil {
		for _, k := range []string{"SeedCapacity", "MinCapacity"} {
			var n int64
			if kit.Has(a, k) && kit.DecodeProp(a, k, &n) == nil {
				return &n
			}
		}
	}
	return nil
}

func (s *DynamoDB) cfnCreateGlobalTable(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	local, err := cfnGlobalLocal(ctx, r)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	// The table in the stack's region: the global properties with the
	// local replica's own.
	props := map[string]any{}
	for _, k := range []string{"TableName", "AttributeDefinitions", "KeySchema", "LocalSecondaryIndexes", "GlobalSecondaryIndexes",
		"BillingMode", "StreamSpecification", "SSESpecification", "TimeToLiveSpecification"} {
		if v, ok := r.Properties[k]; ok {
			props[k] = v
		}
	}
	for _, k := range []string{"Tags", "DeletionProtectionEnabled", "TableClass", "PointInTimeRecoverySpecification"} {
		if v, ok := local[k]; ok {
			props[k] = v
		}
	}
	if sse := kit.PropMap(local, "SSESpecification"); sse != nil && kit.PropMap(props, "SSESpecification") != nil {
		spec := map[string]any{}
		for k, v := range kit.PropMap(props, "SSESpecification") {
			spec[k] = v
		}
		spec["KMSMasterKeyId"] = kit.PropStr(sse, "KMSMasterKeyId")
		props["SSESpecification"] = spec
	}
	if kit.PropStr(props, "BillingMode") == "" {
		props["BillingMode"] = "PROVISIONED"
	}
	write := kit.PropMap(r.Properties, "WriteProvisionedThroughputSettings")
	if props["BillingMode"] == "PROVISIONED" {
		w := cfnCapacity(write, "WriteCapacityUnits", "WriteCapacityAutoScalingSettings")
		rd := cfnCapacity(kit.PropMap(local, "ReadProvisionedThroughputSettings"), "ReadCapacityUnits", "ReadCapacityAutoScalingSettings")
		if w == nil || rd == nil {
			return kit.ResourceResult{}, awserr.ValidationError.New("Properties validation failed for resource %s with message: a PROVISIONED global table needs WriteProvisionedThroughputSettings and each replica's ReadProvisionedThroughputSettings", r.LogicalID)
		}
		props["ProvisionedThroughput"] = map[string]any{"ReadCapacityUnits": float64(*rd), "WriteCapacityUnits": float64(*w)}
	}
	// Replicas need a NEW_AND_OLD_IMAGES stream, which AWS's global
	// tables turn on.
	if !kit.Has(props, "StreamSpecification") && len(cfnReplicas(r.Properties)) > 1 {
		props["StreamSpecification"] = map[string]any{"StreamViewType": "NEW_AND_OLD_IMAGES"}
	}
	res, err := s.cfnCreateTable(ctx, kit.ResourceRequest{LogicalID: r.LogicalID, StackName: r.StackName, StackID: r.StackID, Properties: props})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	name := res.PhysicalID
	if a := kit.PropMap(write, "WriteCapacityAutoScalingSettings"); a != nil && props["BillingMode"] == "PROVISIONED" {
		if err := s.cfnWriteAutoScaling(ctx, name, a); err != nil {
			_ = s.cfnDeleteGlobalTable(ctx, kit.ResourceRequest{PhysicalID: name})
			return kit.ResourceResult{}, err
		}
	}
	if err := s.cfnSetReplicas(ctx, name, r.Properties, nil); err != nil {
		_ = s.cfnDeleteGlobalTable(ctx, kit.ResourceRequest{PhysicalID: name})
		return kit.ResourceResult{}, err
	}
	return s.cfnGlobalResult(ctx, name)
}

func (s *DynamoDB) cfnWriteAutoScaling(ctx *request.Context, name string, a map[string]any) error {
	up := &dynamodbapi.AutoScalingSettingsUpdate{}
	var lo, hi int64
	if kit.DecodeProp(a, "MinCapacity", &lo) == nil && kit.Has(a, "MinCapacity") {
		up.MinimumUnits = &lo
	}
	if kit.DecodeProp(a, "MaxCapacity", &hi) == nil && kit.Has(a, "MaxCapacity") {
		up.MaximumUnits = &hi
	}
	if tt := kit.PropMap(a, "TargetTrackingScalingPolicyConfiguration"); tt != nil {
		cfg := &dynamodbapi.AutoScalingTargetTrackingScalingPolicyConfigurationUpdate{}
		if err := kit.DecodeProp(a, "TargetTrackingScalingPolicyConfiguration", cfg); err != nil {
			return awserr.ValidationError.New("Invalid TargetTrackingScalingPolicyConfiguration: %v", err)
		}
		up.ScalingPolicyUpdate = &dynamodbapi.AutoScalingPolicyUpdate{TargetTrackingScalingPolicyConfiguration: cfg}
	}
	_, err := s.UpdateTableReplicaAutoScaling(ctx, &dynamodbapi.UpdateTableReplicaAutoScalingInput{TableName: &name,
		ProvisionedWriteCapacityAutoScalingUpdate: up})
	return err
}

// cfnSetReplicas adds the replicas props names that old does not and
// removes those old names that props does not, one per UpdateTable.
func (s *DynamoDB) cfnSetReplicas(ctx *request.Context, name string, props, old map[string]any) error {
	want, had := cfnReplicas(props), cfnReplicas(old)
	if old == nil {
		had = map[string]map[string]any{ctx.Region: nil}
	}
	var add, drop []string
	for region := range want {
		if _, ok := had[region]; !ok {
			add = append(add, region)
		}
	}
	for region := range had {
		if _, ok := want[region]; !ok && region != ctx.Region {
			drop = append(drop, region)
		}
	}
	slices.Sort(add)
	slices.Sort(drop)
	for _, region := range add {
		c := &dynamodbapi.CreateReplicationGroupMemberAction{RegionName: ptr.To(region)}
		if tc := kit.PropStr(want[region], "TableClass"); tc != "" {
			c.TableClassOverride = &tc
		}
		if k := kit.PropStr(kit.PropMap(want[region], "SSESpecification"), "KMSMasterKeyId"); k != "" {
			c.KMSMasterKeyId = &k
		}
		if _, err := s.UpdateTable(ctx, &dynamodbapi.UpdateTableInput{TableName: &name,
			ReplicaUpdates: []dynamodbapi.ReplicationGroupUpdate{{Create: c}}}); err != nil {
			return err
		}
	}
	for _, region := range drop {
		if _, err := s.UpdateTable(ctx, &dynamodbapi.UpdateTableInput{TableName: &name,
			ReplicaUpdates: []dynamodbapi.ReplicationGroupUpdate{{Delete: &dynamodbapi.DeleteReplicationGroupMemberAction{RegionName: ptr.To(region)}}}}); err != nil && !dynamodbapi.ErrResourceNotFoundException.Is(err) {
			return err
		}
	}
	return nil
}

func (s *DynamoDB) cfnGlobalResult(ctx *request.Context, name string) (kit.ResourceResult, error) {
	d, err := s.DescribeTable(ctx, &dynamodbapi.DescribeTableInput{TableName: &name})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	res := cfnTableResult(d.Table)
	res.Attributes["TableId"] = ptr.Deref(d.Table.TableId)
	return res, nil
}

// cfnUpdateGlobalTable changes the replica set and what the Table
// provider changes in place on the stack's region's replica.
func (s *DynamoDB) cfnUpdateGlobalTable(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	local, err := cfnGlobalLocal(ctx, r)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	oldLocal := cfnReplicas(r.OldProperties)[ctx.Region]
	changed := func(p string) bool {
		a, _ := json.Marshal(r.Properties[p])
		b, _ := json.Marshal(r.OldProperties[p])
		return string(a) != string(b)
	}
	billing := func(props map[string]any) string {
		if b := kit.PropStr(props, "BillingMode"); b != "" {
			return b
		}
		return "PROVISIONED"
	}
	if changed("GlobalSecondaryIndexes") || billing(r.Properties) != billing(r.OldProperties) || changed("WriteProvisionedThroughputSettings") {
		return kit.ResourceResult{}, awserr.ValidationError.New("niwa does not change a global table's GlobalSecondaryIndexes, BillingMode or write capacity in place yet; replace the table (change TableName)")
	}
	// The local replica's own settings, as a Table's properties.
	props, old := map[string]any{}, map[string]any{}
	for _, k := range []string{"Tags", "DeletionProtectionEnabled", "PointInTimeRecoverySpecification"} {
		if v, ok := local[k]; ok {
			props[k] = v
		}
		if v, ok := oldLocal[k]; ok {
			old[k] = v
		}
	}
	for _, k := range []string{"TimeToLiveSpecification"} {
		if v, ok := r.Properties[k]; ok {
			props[k] = v
		}
		if v, ok := r.OldProperties[k]; ok {
			old[k] = v
		}
	}
	if _, err := s.cfnUpdateTable(ctx, kit.ResourceRequest{LogicalID: r.LogicalID, PhysicalID: r.PhysicalID, Properties: props, OldProperties: old}); err != nil {
		return kit.ResourceResult{}, err
	}
	if err := s.cfnSetReplicas(ctx, r.PhysicalID, r.Properties, r.OldProperties); err != nil {
		return kit.ResourceResult{}, err
	}
	return s.cfnGlobalResult(ctx, r.PhysicalID)
}

// cfnDeleteGlobalTable deletes every replica: the other regions' first
// (UpdateTable), then the stack's region's table.
func (s *DynamoDB) cfnDeleteGlobalTable(ctx *request.Context, r kit.ResourceRequest) error {
	name := r.PhysicalID
	d, err := s.DescribeTable(ctx, &dynamodbapi.DescribeTableInput{TableName: &name})
	if dynamodbapi.ErrResourceNotFoundException.Is(err) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, rep := range d.Table.Replicas {
		region := ptr.Deref(rep.RegionName)
		if region == "" || region == ctx.Region {
			continue
		}
		if _, err := s.UpdateTable(ctx, &dynamodbapi.UpdateTableInput{TableName: &name,
			ReplicaUpdates: []dynamodbapi.ReplicationGroupUpdate{{Delete: &dynamodbapi.DeleteReplicationGroupMemberAction{RegionName: ptr.To(region)}}}}); err != nil && !dynamodbapi.ErrResourceNotFoundException.Is(err) {
			return err
		}
	}
	return s.cfnDeleteTable(ctx, r)
}
