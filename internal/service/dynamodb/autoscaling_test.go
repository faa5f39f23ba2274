package dynamodb

import (
	"testing"

	dynamodbapi "github.com/niwa-cloud/niwa/internal/api/dynamodb"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

func scalingUpdate(min, max int64, target float64) *dynamodbapi.AutoScalingSettingsUpdate {
	return &dynamodbapi.AutoScalingSettingsUpdate{MinimumUnits: ptr.To(min), MaximumUnits: ptr.To(max),
		ScalingPolicyUpdate: &dynamodbapi.AutoScalingPolicyUpdate{
			TargetTrackingScalingPolicyConfiguration: &dynamodbapi.AutoScalingTargetTrackingScalingPolicyConfigurationUpdate{TargetValue: ptr.To(target)}}}
}

// TestReplicaAutoScaling: a provisioned table gets write auto scaling with
// UpdateTableReplicaAutoScaling, which lets it take a replica (AWS: "Table
// write capacity should either be Pay-Per-Request or AutoScaled"); write
// settings apply to every replica, read settings to the one named, and
// DescribeTableReplicaAutoScaling in either region reports both replicas.
// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateTableReplicaAutoScaling.html
func TestReplicaAutoScaling(t *testing.T) {
	svc, _, ctx := newTestService(t)
	east, west := inRegion(ctx, "us-east-1"), inRegion(ctx, "us-west-2")
	createSimple(t, svc, east, "p", func(in *dynamodbapi.CreateTableInput) {
		in.BillingMode = nil
		in.ProvisionedThroughput = &dynamodbapi.ProvisionedThroughput{ReadCapacityUnits: ptr.To(int64(5)), WriteCapacityUnits: ptr.To(int64(5))}
	})
	// A table without replicas is its own only replica, with auto
	// scaling off.
	d, err := svc.DescribeTableReplicaAutoScaling(east, &dynamodbapi.DescribeTableReplicaAutoScalingInput{TableName: ptr.To("p")})
	if err != nil {
		t.Fatal(err)
	}
	td := d.TableAutoScalingDescription
	if *td.TableName != "p" || len(td.Replicas) != 1 || *td.Replicas[0].RegionName != "us-east-1" ||
		!*td.Replicas[0].ReplicaProvisionedWriteCapacityAutoScalingSettings.AutoScalingDisabled {
		t.Fatalf("before: %+v", td)
	}
	replica := []dynamodbapi.ReplicationGroupUpdate{{Create: &dynamodbapi.CreateReplicationGroupMemberAction{RegionName: ptr.To("us-west-2")}}}
	_, err = svc.UpdateTable(east, &dynamodbapi.UpdateTableInput{TableName: ptr.To("p"), ReplicaUpdates: replica})
	wantErr(t, err, "ValidationException", "Table write capacity should either be Pay-Per-Request or AutoScaled.")

	if _, err := svc.UpdateTableReplicaAutoScaling(east, &dynamodbapi.UpdateTableReplicaAutoScalingInput{
		TableName: ptr.To("p"), ProvisionedWriteCapacityAutoScalingUpdate: scalingUpdate(5, 50, 70),
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.UpdateTable(east, &dynamodbapi.UpdateTableInput{TableName: ptr.To("p"), ReplicaUpdates: replica}); err != nil {
		t.Fatalf("replica of an auto scaled table: %v", err)
	}
	u, err := svc.UpdateTableReplicaAutoScaling(east, &dynamodbapi.UpdateTableReplicaAutoScalingInput{
		TableName:      ptr.To("p"),
		ReplicaUpdates: []dynamodbapi.ReplicaAutoScalingUpdate{{RegionName: ptr.To("us-west-2"), ReplicaProvisionedReadCapacityAutoScalingUpdate: scalingUpdate(2, 20, 40)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(u.TableAutoScalingDescription.Replicas); n != 2 {
		t.Fatalf("replicas after update: %d", n)
	}
	d, err = svc.DescribeTableReplicaAutoScaling(west, &dynamodbapi.DescribeTableReplicaAutoScalingInput{TableName: ptr.To("arn:aws:dynamodb:us-west-2:" + ctx.Account + ":table/p")})
	if err != nil {
		t.Fatal(err)
	}
	byRegion := map[string]dynamodbapi.ReplicaAutoScalingDescription{}
	for _, r := range d.TableAutoScalingDescription.Replicas {
		byRegion[*r.RegionName] = r
	}
	for _, r := range []string{"us-east-1", "us-west-2"} {
		w := byRegion[r].ReplicaProvisionedWriteCapacityAutoScalingSettings
		if w == nil || *w.AutoScalingDisabled || *w.MinimumUnits != 5 || *w.MaximumUnits != 50 || len(w.ScalingPolicies) != 1 ||
			*w.ScalingPolicies[0].TargetTrackingScalingPolicyConfiguration.TargetValue != 70 ||
			*w.AutoScalingRoleArn != "arn:aws:iam::"+ctx.Account+":"+scalingRole {
			t.Fatalf("%s write settings: %+v", r, w)
		}
	}
	if rd := byRegion["us-west-2"].ReplicaProvisionedReadCapacityAutoScalingSettings; rd == nil || *rd.MaximumUnits != 20 {
		t.Fatalf("west read settings: %+v", rd)
	}
	if rd := byRegion["us-east-1"].ReplicaProvisionedReadCapacityAutoScalingSettings; rd == nil || !*rd.AutoScalingDisabled {
		t.Fatalf("east read settings changed: %+v", rd)
	}
}

// TestReplicaAutoScalingRefusals: AWS's errors for unknown tables,
// on-demand tables, unknown replicas and indexes, and bounds.
func TestReplicaAutoScalingRefusals(t *testing.T) {
	svc, _, ctx := newTestService(t)
	createSimple(t, svc, ctx, "od", nil)
	createSimple(t, svc, ctx, "p", func(in *dynamodbapi.CreateTableInput) {
		in.BillingMode = nil
		in.ProvisionedThroughput = &dynamodbapi.ProvisionedThroughput{ReadCapacityUnits: ptr.To(int64(5)), WriteCapacityUnits: ptr.To(int64(5))}
	})
	_, err := svc.DescribeTableReplicaAutoScaling(ctx, &dynamodbapi.DescribeTableReplicaAutoScalingInput{TableName: ptr.To("nope")})
	wantErr(t, err, "ResourceNotFoundException", "")
	cases := []struct {
		name, code, msg string
		in              dynamodbapi.UpdateTableReplicaAutoScalingInput
	}{
		{"unknown table", "ResourceNotFoundException", "", dynamodbapi.UpdateTableReplicaAutoScalingInput{TableName: ptr.To("nope")}},
		{"on-demand", "ValidationException", "AutoScaling is not available for tables with PAY_PER_REQUEST billing mode",
			dynamodbapi.UpdateTableReplicaAutoScalingInput{TableName: ptr.To("od"), ProvisionedWriteCapacityAutoScalingUpdate: scalingUpdate(1, 2, 50)}},
		{"unknown replica", "ReplicaNotFoundException", "Replica not found in region eu-west-1", dynamodbapi.UpdateTableReplicaAutoScalingInput{TableName: ptr.To("p"),
			ReplicaUpdates: []dynamodbapi.ReplicaAutoScalingUpdate{{RegionName: ptr.To("eu-west-1")}}}},
		{"unknown index", "IndexNotFoundException", "", dynamodbapi.UpdateTableReplicaAutoScalingInput{TableName: ptr.To("p"),
			GlobalSecondaryIndexUpdates: []dynamodbapi.GlobalSecondaryIndexAutoScalingUpdate{{IndexName: ptr.To("ix")}}}},
		{"min above max", "ValidationException", "", dynamodbapi.UpdateTableReplicaAutoScalingInput{TableName: ptr.To("p"), ProvisionedWriteCapacityAutoScalingUpdate: scalingUpdate(10, 5, 50)}},
		{"zero units", "ValidationException", "", dynamodbapi.UpdateTableReplicaAutoScalingInput{TableName: ptr.To("p"), ProvisionedWriteCapacityAutoScalingUpdate: scalingUpdate(0, 5, 50)}},
		{"target out of range", "ValidationException", "One or more parameter values were invalid: TargetValue must be between 20 and 90",
			dynamodbapi.UpdateTableReplicaAutoScalingInput{TableName: ptr.To("p"), ProvisionedWriteCapacityAutoScalingUpdate: scalingUpdate(1, 5, 95)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := svc.UpdateTableReplicaAutoScaling(ctx, &c.in)
			wantErr(t, err, c.code, c.msg)
		})
	}
	// Nothing refused was stored.
	d, err := svc.DescribeTableReplicaAutoScaling(ctx, &dynamodbapi.DescribeTableReplicaAutoScalingInput{TableName: ptr.To("p")})
	if err != nil {
		t.Fatal(err)
	}
	if w := d.TableAutoScalingDescription.Replicas[0].ReplicaProvisionedWriteCapacityAutoScalingSettings; !*w.AutoScalingDisabled {
		t.Fatalf("refused update stored: %+v", w)
	}
}
