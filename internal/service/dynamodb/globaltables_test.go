package dynamodb

import (
	"testing"

	dynamodbapi "github.com/niwa-cloud/niwa/internal/api/dynamodb"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
)

func inRegion(ctx *request.Context, region string) *request.Context {
	c := *ctx
	c.Region = region
	return &c
}

func createSimple(t *testing.T, svc *DynamoDB, ctx *request.Context, name string, mod func(*dynamodbapi.CreateTableInput)) {
	t.Helper()
	in := &dynamodbapi.CreateTableInput{
		TableName:            ptr.To(name),
		AttributeDefinitions: []dynamodbapi.AttributeDefinition{{AttributeName: ptr.To("pk"), AttributeType: ptr.To("S")}},
		KeySchema:            []dynamodbapi.KeySchemaElement{{AttributeName: ptr.To("pk"), KeyType: ptr.To("HASH")}},
		BillingMode:          ptr.To("PAY_PER_REQUEST"),
	}
	if mod != nil {
		mod(in)
	}
	if _, err := svc.CreateTable(ctx, in); err != nil {
		t.Fatal(err)
	}
}

func getPK(t *testing.T, svc *DynamoDB, ctx *request.Context, table, pk string) Item {
	t.Helper()
	out, err := svc.GetItem(ctx, &dynamodbapi.GetItemInput{TableName: ptr.To(table), Key: Item{"pk": s(pk)}})
	if err != nil {
		t.Fatal(err)
	}
	return out.Item
}

// TestGlobalTableReplicas (version 2019.11.21): a replica created with
// UpdateTable starts with the table's items, writes in either region reach
// the other, DescribeTable lists the other region, and deleting the
// replica leaves a regular table.
func TestGlobalTableReplicas(t *testing.T) {
	svc, _, ctx := newTestService(t)
	east, west := inRegion(ctx, "us-east-1"), inRegion(ctx, "us-west-2")
	createSimple(t, svc, east, "g", nil)
	if _, err := svc.PutItem(east, &dynamodbapi.PutItemInput{TableName: ptr.To("g"), Item: Item{"pk": s("before"), "v": n("1")}}); err != nil {
		t.Fatal(err)
	}
	up, err := svc.UpdateTable(east, &dynamodbapi.UpdateTableInput{TableName: ptr.To("g"), ReplicaUpdates: []dynamodbapi.ReplicationGroupUpdate{
		{Create: &dynamodbapi.CreateReplicationGroupMemberAction{RegionName: ptr.To("us-west-2")}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	d := up.TableDescription
	if ptr.Deref(d.GlobalTableVersion) != "2019.11.21" || len(d.Replicas) != 1 || *d.Replicas[0].RegionName != "us-west-2" {
		t.Fatalf("description: version %v replicas %+v", d.GlobalTableVersion, d.Replicas)
	}
	if d.StreamSpecification == nil || *d.StreamSpecification.StreamViewType != "NEW_AND_OLD_IMAGES" {
		t.Fatalf("stream not enabled for the global table: %+v", d.StreamSpecification)
	}
	wd, err := svc.DescribeTable(west, &dynamodbapi.DescribeTableInput{TableName: ptr.To("g")})
	if err != nil {
		t.Fatal(err)
	}
	if *wd.Table.TableArn != "arn:aws:dynamodb:us-west-2:"+ctx.Account+":table/g" || len(wd.Table.Replicas) != 1 || *wd.Table.Replicas[0].RegionName != "us-east-1" || *wd.Table.ItemCount != 1 {
		t.Fatalf("replica: %+v", wd.Table)
	}
	if it := getPK(t, svc, west, "g", "before"); it == nil {
		t.Fatal("existing item not copied to the new replica")
	}
	// Writes in either region reach the other.
	if _, err := svc.PutItem(west, &dynamodbapi.PutItemInput{TableName: ptr.To("g"), Item: Item{"pk": s("w"), "v": n("2")}}); err != nil {
		t.Fatal(err)
	}
	if it := getPK(t, svc, east, "g", "w"); it == nil || *it["v"].N != "2" {
		t.Fatalf("west write in east: %v", it)
	}
	if _, err := svc.DeleteItem(east, &dynamodbapi.DeleteItemInput{TableName: ptr.To("g"), Key: Item{"pk": s("before")}}); err != nil {
		t.Fatal(err)
	}
	if it := getPK(t, svc, west, "g", "before"); it != nil {
		t.Fatalf("east delete not replicated: %v", it)
	}
	// A second replica in the same region is refused; so is an unknown one.
	_, err = svc.UpdateTable(east, &dynamodbapi.UpdateTableInput{TableName: ptr.To("g"), ReplicaUpdates: []dynamodbapi.ReplicationGroupUpdate{
		{Create: &dynamodbapi.CreateReplicationGroupMemberAction{RegionName: ptr.To("us-west-2")}},
	}})
	wantErr(t, err, "ValidationException", "Failed to create a the new replica of table with name: 'g' because one or more replicas already existed as tables.")
	_, err = svc.UpdateTable(east, &dynamodbapi.UpdateTableInput{TableName: ptr.To("g"), ReplicaUpdates: []dynamodbapi.ReplicationGroupUpdate{
		{Delete: &dynamodbapi.DeleteReplicationGroupMemberAction{RegionName: ptr.To("eu-west-1")}},
	}})
	wantErr(t, err, "ValidationException", "Replica specified in the Replica Update or Replica Delete action of the request was not found.")

	// Removing the replica deletes that region's table and leaves a
	// regular one.
	up, err = svc.UpdateTable(east, &dynamodbapi.UpdateTableInput{TableName: ptr.To("g"), ReplicaUpdates: []dynamodbapi.ReplicationGroupUpdate{
		{Delete: &dynamodbapi.DeleteReplicationGroupMemberAction{RegionName: ptr.To("us-west-2")}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if up.TableDescription.GlobalTableVersion != nil || len(up.TableDescription.Replicas) != 0 {
		t.Fatalf("after removal: %+v", up.TableDescription)
	}
	if _, err := svc.DescribeTable(west, &dynamodbapi.DescribeTableInput{TableName: ptr.To("g")}); err == nil {
		t.Fatal("removed replica still exists")
	}
	if _, err := svc.PutItem(east, &dynamodbapi.PutItemInput{TableName: ptr.To("g"), Item: Item{"pk": s("after")}}); err != nil {
		t.Fatalf("write after removal: %v", err)
	}
}

// TestGlobalTableRefusals: provisioned tables and streams of another view
// type cannot get replicas; DeleteTable of a replica detaches it.
func TestGlobalTableRefusals(t *testing.T) {
	svc, _, ctx := newTestService(t)
	east, west := inRegion(ctx, "us-east-1"), inRegion(ctx, "eu-west-1")
	createSimple(t, svc, east, "prov", func(in *dynamodbapi.CreateTableInput) {
		in.BillingMode = ptr.To("PROVISIONED")
		in.ProvisionedThroughput = &dynamodbapi.ProvisionedThroughput{ReadCapacityUnits: ptr.To(int64(5)), WriteCapacityUnits: ptr.To(int64(5))}
	})
	addWest := []dynamodbapi.ReplicationGroupUpdate{{Create: &dynamodbapi.CreateReplicationGroupMemberAction{RegionName: ptr.To("eu-west-1")}}}
	_, err := svc.UpdateTable(east, &dynamodbapi.UpdateTableInput{TableName: ptr.To("prov"), ReplicaUpdates: addWest})
	wantErr(t, err, "ValidationException", "Table write capacity should either be Pay-Per-Request or AutoScaled.")

	createSimple(t, svc, east, "keys", func(in *dynamodbapi.CreateTableInput) {
		in.StreamSpecification = &dynamodbapi.StreamSpecification{StreamEnabled: ptr.To(true), StreamViewType: ptr.To("KEYS_ONLY")}
	})
	_, err = svc.UpdateTable(east, &dynamodbapi.UpdateTableInput{TableName: ptr.To("keys"), ReplicaUpdates: addWest})
	wantErr(t, err, "ValidationException", "")

	createSimple(t, svc, east, "g", nil)
	if _, err := svc.UpdateTable(east, &dynamodbapi.UpdateTableInput{TableName: ptr.To("g"), ReplicaUpdates: addWest}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.DeleteTable(west, &dynamodbapi.DeleteTableInput{TableName: ptr.To("g")}); err != nil {
		t.Fatal(err)
	}
	d, err := svc.DescribeTable(east, &dynamodbapi.DescribeTableInput{TableName: ptr.To("g")})
	if err != nil || d.Table.GlobalTableVersion != nil {
		t.Fatalf("east after west's DeleteTable: %v %+v", err, d)
	}
	if _, err := svc.PutItem(east, &dynamodbapi.PutItemInput{TableName: ptr.To("g"), Item: Item{"pk": s("x")}}); err != nil {
		t.Fatalf("write after detach: %v", err)
	}
}

// TestLegacyGlobalTables (version 2017.11.29): CreateGlobalTable over
// same-named empty tables with NEW_AND_OLD_IMAGES streams, then describe,
// list, replicate, update and settings.
func TestLegacyGlobalTables(t *testing.T) {
	svc, _, ctx := newTestService(t)
	regions := []string{"us-east-1", "us-west-2", "eu-west-1"}
	withStream := func(in *dynamodbapi.CreateTableInput) {
		in.StreamSpecification = &dynamodbapi.StreamSpecification{StreamEnabled: ptr.To(true), StreamViewType: ptr.To("NEW_AND_OLD_IMAGES")}
	}
	for _, r := range regions {
		createSimple(t, svc, inRegion(ctx, r), "legacy", withStream)
	}
	createSimple(t, svc, inRegion(ctx, "ap-south-1"), "legacy", nil) // no stream
	group := func(rs ...string) []dynamodbapi.Replica {
		var out []dynamodbapi.Replica
		for _, r := range rs {
			out = append(out, dynamodbapi.Replica{RegionName: ptr.To(r)})
		}
		return out
	}
	_, err := svc.CreateGlobalTable(ctx, &dynamodbapi.CreateGlobalTableInput{GlobalTableName: ptr.To("legacy"), ReplicationGroup: group("us-east-1", "ap-south-1")})
	wantErr(t, err, "ValidationException", "")
	_, err = svc.CreateGlobalTable(ctx, &dynamodbapi.CreateGlobalTableInput{GlobalTableName: ptr.To("legacy"), ReplicationGroup: group("us-east-1", "sa-east-1")})
	wantErr(t, err, "TableNotFoundException", "")

	out, err := svc.CreateGlobalTable(ctx, &dynamodbapi.CreateGlobalTableInput{GlobalTableName: ptr.To("legacy"), ReplicationGroup: group("us-east-1", "us-west-2")})
	if err != nil {
		t.Fatal(err)
	}
	g := out.GlobalTableDescription
	if *g.GlobalTableArn != "arn:aws:dynamodb::"+ctx.Account+":global-table/legacy" || *g.GlobalTableStatus != "ACTIVE" || len(g.ReplicationGroup) != 2 {
		t.Fatalf("created %+v", g)
	}
	_, err = svc.CreateGlobalTable(ctx, &dynamodbapi.CreateGlobalTableInput{GlobalTableName: ptr.To("legacy"), ReplicationGroup: group("eu-west-1")})
	wantErr(t, err, "GlobalTableAlreadyExistsException", "")

	if _, err := svc.PutItem(inRegion(ctx, "us-west-2"), &dynamodbapi.PutItemInput{TableName: ptr.To("legacy"), Item: Item{"pk": s("a")}}); err != nil {
		t.Fatal(err)
	}
	if getPK(t, svc, inRegion(ctx, "us-east-1"), "legacy", "a") == nil {
		t.Fatal("legacy write not replicated")
	}

	// A table that is not empty cannot join.
	if _, err := svc.PutItem(inRegion(ctx, "eu-west-1"), &dynamodbapi.PutItemInput{TableName: ptr.To("legacy"), Item: Item{"pk": s("local")}}); err != nil {
		t.Fatal(err)
	}
	_, err = svc.UpdateGlobalTable(ctx, &dynamodbapi.UpdateGlobalTableInput{GlobalTableName: ptr.To("legacy"), ReplicaUpdates: []dynamodbapi.ReplicaUpdate{{Create: &dynamodbapi.CreateReplicaAction{RegionName: ptr.To("eu-west-1")}}}})
	wantErr(t, err, "ValidationException", "")
	_, err = svc.UpdateGlobalTable(ctx, &dynamodbapi.UpdateGlobalTableInput{GlobalTableName: ptr.To("legacy"), ReplicaUpdates: []dynamodbapi.ReplicaUpdate{{Delete: &dynamodbapi.DeleteReplicaAction{RegionName: ptr.To("eu-west-1")}}}})
	wantErr(t, err, "ReplicaNotFoundException", "")

	list, err := svc.ListGlobalTables(ctx, &dynamodbapi.ListGlobalTablesInput{RegionName: ptr.To("us-west-2")})
	if err != nil || len(list.GlobalTables) != 1 || *list.GlobalTables[0].GlobalTableName != "legacy" {
		t.Fatalf("list: %v %+v", err, list)
	}
	list, _ = svc.ListGlobalTables(ctx, &dynamodbapi.ListGlobalTablesInput{RegionName: ptr.To("eu-west-1")})
	if len(list.GlobalTables) != 0 {
		t.Fatalf("list by other region: %+v", list)
	}
	set, err := svc.UpdateGlobalTableSettings(ctx, &dynamodbapi.UpdateGlobalTableSettingsInput{GlobalTableName: ptr.To("legacy"), GlobalTableBillingMode: ptr.To("PROVISIONED"), GlobalTableProvisionedWriteCapacityUnits: ptr.To(int64(7))})
	if err != nil || len(set.ReplicaSettings) != 2 || *set.ReplicaSettings[0].ReplicaProvisionedWriteCapacityUnits != 7 {
		t.Fatalf("settings: %v %+v", err, set)
	}

	// Removing a region ends replication to it.
	up, err := svc.UpdateGlobalTable(ctx, &dynamodbapi.UpdateGlobalTableInput{GlobalTableName: ptr.To("legacy"), ReplicaUpdates: []dynamodbapi.ReplicaUpdate{{Delete: &dynamodbapi.DeleteReplicaAction{RegionName: ptr.To("us-west-2")}}}})
	if err != nil || len(up.GlobalTableDescription.ReplicationGroup) != 1 {
		t.Fatalf("update: %v %+v", err, up)
	}
	if _, err := svc.PutItem(inRegion(ctx, "us-east-1"), &dynamodbapi.PutItemInput{TableName: ptr.To("legacy"), Item: Item{"pk": s("b")}}); err != nil {
		t.Fatal(err)
	}
	if getPK(t, svc, inRegion(ctx, "us-west-2"), "legacy", "b") != nil {
		t.Fatal("write replicated to a removed region")
	}
	_, err = svc.DescribeGlobalTable(ctx, &dynamodbapi.DescribeGlobalTableInput{GlobalTableName: ptr.To("nope")})
	wantErr(t, err, "GlobalTableNotFoundException", "")
}
