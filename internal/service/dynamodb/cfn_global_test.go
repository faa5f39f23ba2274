package dynamodb

import (
	"strings"
	"testing"

	dynamodbapi "github.com/niwa-cloud/niwa/internal/api/dynamodb"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
)

// TestCloudFormationGlobalTable: a GlobalTable makes the table in the
// stack's region and a replica in each other region it names (a write
// in one is read in the other); an update adds and removes replicas and
// retags the local one in place; deletion removes every replica.
func TestCloudFormationGlobalTable(t *testing.T) {
	svc, _, ctx := newTestService(t)
	east, west, eu := inRegion(ctx, "us-east-1"), inRegion(ctx, "us-west-2"), inRegion(ctx, "eu-west-1")
	p := svc.cfnResources()["AWS::DynamoDB::GlobalTable"]
	base := func(replicas ...any) map[string]any {
		return map[string]any{"TableName": "g", "BillingMode": "PAY_PER_REQUEST",
			"AttributeDefinitions": []any{map[string]any{"AttributeName": "pk", "AttributeType": "S"}},
			"KeySchema":            []any{map[string]any{"AttributeName": "pk", "KeyType": "HASH"}},
			"StreamSpecification":  map[string]any{"StreamViewType": "NEW_AND_OLD_IMAGES"}, "Replicas": replicas}
	}
	if _, err := p.Create(east, kit.ResourceRequest{LogicalID: "G", Properties: base(map[string]any{"Region": "us-west-2"})}); err == nil ||
		!strings.Contains(err.Error(), "stack's region") {
		t.Fatalf("no replica in the stack's region: %v", err)
	}
	props := base(map[string]any{"Region": "us-east-1", "Tags": []any{map[string]any{"Key": "team", "Value": "a"}}},
		map[string]any{"Region": "us-west-2"})
	res, err := p.Create(east, kit.ResourceRequest{LogicalID: "G", Properties: props})
	if err != nil {
		t.Fatal(err)
	}
	if res.PhysicalID != "g" || res.Attributes["Arn"] != "arn:aws:dynamodb:us-east-1:"+ctx.Account+":table/g" ||
		res.Attributes["TableId"] == "" || res.Attributes["StreamArn"] == nil {
		t.Fatalf("result %+v", res)
	}
	if _, err := svc.PutItem(east, &dynamodbapi.PutItemInput{TableName: ptr.To("g"), Item: map[string]dynamodbapi.AttributeValue{"pk": {S: ptr.To("k")}}}); err != nil {
		t.Fatal(err)
	}
	got, err := svc.GetItem(west, &dynamodbapi.GetItemInput{TableName: ptr.To("g"), Key: map[string]dynamodbapi.AttributeValue{"pk": {S: ptr.To("k")}}})
	if err != nil || got.Item == nil {
		t.Fatalf("replicated item %+v %v", got, err)
	}
	wd, err := svc.DescribeTable(west, &dynamodbapi.DescribeTableInput{TableName: ptr.To("g")})
	if err != nil || ptr.Deref(wd.Table.GlobalTableVersion) != "2019.11.21" {
		t.Fatalf("west replica %+v %v", wd, err)
	}

	newProps := base(map[string]any{"Region": "us-east-1", "Tags": []any{map[string]any{"Key": "team", "Value": "b"}}},
		map[string]any{"Region": "eu-west-1"})
	if _, err := p.Update(east, kit.ResourceRequest{LogicalID: "G", PhysicalID: "g", Properties: newProps, OldProperties: props}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.DescribeTable(west, &dynamodbapi.DescribeTableInput{TableName: ptr.To("g")}); !dynamodbapi.ErrResourceNotFoundException.Is(err) {
		t.Fatalf("dropped replica: %v", err)
	}
	got, err = svc.GetItem(eu, &dynamodbapi.GetItemInput{TableName: ptr.To("g"), Key: map[string]dynamodbapi.AttributeValue{"pk": {S: ptr.To("k")}}})
	if err != nil || got.Item == nil {
		t.Fatalf("new replica's item %+v %v", got, err)
	}
	tags, err := svc.ListTagsOfResource(east, &dynamodbapi.ListTagsOfResourceInput{ResourceArn: ptr.To(res.Attributes["Arn"].(string))})
	if err != nil || len(tags.Tags) != 1 || *tags.Tags[0].Value != "b" {
		t.Fatalf("tags %+v %v", tags, err)
	}

	for i := 0; i < 2; i++ {
		if err := p.Delete(east, kit.ResourceRequest{PhysicalID: "g", Properties: newProps}); err != nil {
			t.Fatalf("delete %d: %v", i, err)
		}
	}
	for _, rctx := range []*request.Context{east, eu} {
		if _, err := svc.DescribeTable(rctx, &dynamodbapi.DescribeTableInput{TableName: ptr.To("g")}); !dynamodbapi.ErrResourceNotFoundException.Is(err) {
			t.Fatalf("%s after delete: %v", rctx.Region, err)
		}
	}
}

// TestCloudFormationGlobalTableProvisioned: a PROVISIONED global table
// takes its write capacity from WriteProvisionedThroughputSettings (auto
// scaled, which replicas need) and its read capacity from the replica's
// ReadProvisionedThroughputSettings.
func TestCloudFormationGlobalTableProvisioned(t *testing.T) {
	svc, _, ctx := newTestService(t)
	east, west := inRegion(ctx, "us-east-1"), inRegion(ctx, "us-west-2")
	p := svc.cfnResources()["AWS::DynamoDB::GlobalTable"]
	props := map[string]any{"TableName": "p",
		"AttributeDefinitions": []any{map[string]any{"AttributeName": "pk", "AttributeType": "S"}},
		"KeySchema":            []any{map[string]any{"AttributeName": "pk", "KeyType": "HASH"}},
		"WriteProvisionedThroughputSettings": map[string]any{"WriteCapacityAutoScalingSettings": map[string]any{
			"MinCapacity": 5, "MaxCapacity": 20, "TargetTrackingScalingPolicyConfiguration": map[string]any{"TargetValue": 70}}},
		"Replicas": []any{
			map[string]any{"Region": "us-east-1", "ReadProvisionedThroughputSettings": map[string]any{"ReadCapacityUnits": 7}},
			map[string]any{"Region": "us-west-2", "ReadProvisionedThroughputSettings": map[string]any{"ReadCapacityUnits": 7}}}}
	if _, err := p.Create(east, kit.ResourceRequest{LogicalID: "P", Properties: props}); err != nil {
		t.Fatal(err)
	}
	d, err := svc.DescribeTable(east, &dynamodbapi.DescribeTableInput{TableName: ptr.To("p")})
	if err != nil || *d.Table.ProvisionedThroughput.ReadCapacityUnits != 7 || *d.Table.ProvisionedThroughput.WriteCapacityUnits != 5 {
		t.Fatalf("table %+v %v", d, err)
	}
	if _, err := svc.DescribeTable(west, &dynamodbapi.DescribeTableInput{TableName: ptr.To("p")}); err != nil {
		t.Fatalf("replica: %v", err)
	}
	delete(props, "WriteProvisionedThroughputSettings")
	props["TableName"] = "q"
	if _, err := p.Create(east, kit.ResourceRequest{LogicalID: "Q", Properties: props}); err == nil || !strings.Contains(err.Error(), "WriteProvisionedThroughputSettings") {
		t.Fatalf("PROVISIONED without write settings: %v", err)
	}
	if _, err := svc.DescribeTable(east, &dynamodbapi.DescribeTableInput{TableName: ptr.To("q")}); !dynamodbapi.ErrResourceNotFoundException.Is(err) {
		t.Fatalf("refused table was made: %v", err)
	}
}

// TestCloudFormationGlobalTableRefusedChange: a change AWS makes in
// place that niwa does not (BillingMode) is refused with a reason and
// leaves the table as it was; naming the default explicitly is no change.
func TestCloudFormationGlobalTableRefusedChange(t *testing.T) {
	svc, _, ctx := newTestService(t)
	east := inRegion(ctx, "us-east-1")
	p := svc.cfnResources()["AWS::DynamoDB::GlobalTable"]
	props := map[string]any{"TableName": "r",
		"AttributeDefinitions":               []any{map[string]any{"AttributeName": "pk", "AttributeType": "S"}},
		"KeySchema":                          []any{map[string]any{"AttributeName": "pk", "KeyType": "HASH"}},
		"WriteProvisionedThroughputSettings": map[string]any{"WriteCapacityAutoScalingSettings": map[string]any{"MinCapacity": 1, "MaxCapacity": 2}},
		"Replicas":                           []any{map[string]any{"Region": "us-east-1", "ReadProvisionedThroughputSettings": map[string]any{"ReadCapacityUnits": 1}}}}
	if _, err := p.Create(east, kit.ResourceRequest{LogicalID: "R", Properties: props}); err != nil {
		t.Fatal(err)
	}
	same := map[string]any{"BillingMode": "PROVISIONED"}
	for k, v := range props {
		same[k] = v
	}
	if _, err := p.Update(east, kit.ResourceRequest{LogicalID: "R", PhysicalID: "r", Properties: same, OldProperties: props}); err != nil {
		t.Fatalf("explicit default: %v", err)
	}
	onDemand := map[string]any{}
	for k, v := range props {
		onDemand[k] = v
	}
	onDemand["BillingMode"] = "PAY_PER_REQUEST"
	if _, err := p.Update(east, kit.ResourceRequest{LogicalID: "R", PhysicalID: "r", Properties: onDemand, OldProperties: same}); err == nil ||
		!strings.Contains(err.Error(), "BillingMode") {
		t.Fatalf("billing change: %v", err)
	}
	d, err := svc.DescribeTable(east, &dynamodbapi.DescribeTableInput{TableName: ptr.To("r")})
	if err != nil || d.Table.BillingModeSummary != nil && ptr.Deref(d.Table.BillingModeSummary.BillingMode) == "PAY_PER_REQUEST" {
		t.Fatalf("table %+v %v", d, err)
	}
}
