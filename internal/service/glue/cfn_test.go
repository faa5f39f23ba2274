package glue

import (
	"testing"

	glueapi "github.com/niwa-cloud/niwa/internal/api/glue"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/servicetest"
)

// TestCloudFormationCatalog: a database and a table made, read back,
// updated and deleted through the providers; Ref is each one's name.
func TestCloudFormationCatalog(t *testing.T) {
	h := servicetest.New(t, "glue")
	g := New(h.Store(), h.Clock)
	ctx := h.Ctx()
	p := g.cfnResources()
	dbr := kit.ResourceRequest{LogicalID: "DB", StackName: "s", Properties: map[string]any{"CatalogId": h.Account,
		"DatabaseInput": map[string]any{"Name": "Sales", "Description": "sales data"}}}
	db, err := p["AWS::Glue::Database"].Create(ctx, dbr)
	if err != nil || db.PhysicalID != "sales" {
		t.Fatalf("database %+v %v", db, err)
	}
	tr := kit.ResourceRequest{LogicalID: "Orders", StackName: "s", Properties: map[string]any{"CatalogId": h.Account,
		"DatabaseName": db.PhysicalID, "TableInput": map[string]any{"TableType": "EXTERNAL_TABLE",
			"StorageDescriptor": map[string]any{"Location": "s3://b/orders/", "Columns": []any{map[string]any{"Name": "id", "Type": "string"}}}}}}
	tbl, err := p["AWS::Glue::Table"].Create(ctx, tr)
	if err != nil {
		t.Fatal(err)
	}
	got, err := g.GetTable(ctx, &glueapi.GetTableInput{DatabaseName: ptr.To("sales"), Name: &tbl.PhysicalID})
	if err != nil || *got.Table.StorageDescriptor.Location != "s3://b/orders/" {
		t.Fatalf("table %+v %v", got, err)
	}
	tr.PhysicalID, tr.OldProperties = tbl.PhysicalID, tr.Properties
	tr.Properties = map[string]any{"CatalogId": h.Account, "DatabaseName": "sales", "TableInput": map[string]any{
		"TableType": "EXTERNAL_TABLE", "StorageDescriptor": map[string]any{"Location": "s3://b/orders-v2/",
			"Columns": []any{map[string]any{"Name": "id", "Type": "string"}, map[string]any{"Name": "n", "Type": "int"}}}}}
	if _, err := p["AWS::Glue::Table"].Update(ctx, tr); err != nil {
		t.Fatal(err)
	}
	live, err := p["AWS::Glue::Table"].Read(ctx, tr)
	if err != nil {
		t.Fatal(err)
	}
	in, _ := live["TableInput"].(map[string]any)
	sd, _ := in["StorageDescriptor"].(map[string]any)
	if cols, _ := sd["Columns"].([]any); sd["Location"] != "s3://b/orders-v2/" || len(cols) != 2 {
		t.Fatalf("table after update %v %v", live, err)
	}
	dbr.PhysicalID, dbr.OldProperties = db.PhysicalID, dbr.Properties
	dbr.Properties = map[string]any{"CatalogId": h.Account, "DatabaseInput": map[string]any{"Name": "sales", "Description": "v2"}}
	if _, err := p["AWS::Glue::Database"].Update(ctx, dbr); err != nil {
		t.Fatal(err)
	}
	if live, err := p["AWS::Glue::Database"].Read(ctx, dbr); err != nil || kit.PropMap(live, "DatabaseInput")["Description"] != "v2" {
		t.Fatalf("database after update %v %v", live, err)
	}
	if err := p["AWS::Glue::Table"].Delete(ctx, tr); err != nil {
		t.Fatal(err)
	}
	if _, err := p["AWS::Glue::Table"].Read(ctx, tr); err != kit.ErrResourceGone {
		t.Fatalf("table read after delete: %v", err)
	}
	if err := p["AWS::Glue::Database"].Delete(ctx, dbr); err != nil {
		t.Fatal(err)
	}
	if err := p["AWS::Glue::Database"].Delete(ctx, dbr); err != nil {
		t.Fatalf("second delete: %v", err)
	}
	// The API's errors are the provider's: a table in a missing database.
	if _, err := p["AWS::Glue::Table"].Create(ctx, tr); !glueapi.ErrEntityNotFoundException.Is(err) {
		t.Fatalf("table in a deleted database: %v", err)
	}
}

// TestCloudFormationPartition: a partition of a partitioned table, its
// location and values changed in place, deleted (twice is no error).
func TestCloudFormationPartition(t *testing.T) {
	h := servicetest.New(t, "glue")
	g := New(h.Store(), h.Clock)
	ctx := h.Ctx()
	p := g.cfnResources()
	if _, err := p["AWS::Glue::Database"].Create(ctx, kit.ResourceRequest{LogicalID: "DB", Properties: map[string]any{"CatalogId": h.Account,
		"DatabaseInput": map[string]any{"Name": "logs"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := p["AWS::Glue::Table"].Create(ctx, kit.ResourceRequest{LogicalID: "T", Properties: map[string]any{"CatalogId": h.Account,
		"DatabaseName": "logs", "TableInput": map[string]any{"Name": "events", "TableType": "EXTERNAL_TABLE",
			"PartitionKeys":     []any{map[string]any{"Name": "dt", "Type": "string"}},
			"StorageDescriptor": map[string]any{"Location": "s3://b/events/", "Columns": []any{map[string]any{"Name": "id", "Type": "string"}}}}}}); err != nil {
		t.Fatal(err)
	}
	part := func(dt, loc string) map[string]any {
		return map[string]any{"CatalogId": h.Account, "DatabaseName": "logs", "TableName": "events", "PartitionInput": map[string]any{
			"Values": []any{dt}, "StorageDescriptor": map[string]any{"Location": loc, "Columns": []any{map[string]any{"Name": "id", "Type": "string"}}}}}
	}
	pp := p["AWS::Glue::Partition"]
	r := kit.ResourceRequest{LogicalID: "P", StackName: "s", Properties: part("2024-01-01", "s3://b/events/dt=2024-01-01/")}
	res, err := pp.Create(ctx, r)
	if err != nil || res.PhysicalID == "" {
		t.Fatalf("partition %+v %v", res, err)
	}
	get := func(dt string) (*glueapi.GetPartitionOutput, error) {
		return g.GetPartition(ctx, &glueapi.GetPartitionInput{DatabaseName: ptr.To("logs"), TableName: ptr.To("events"), PartitionValues: []string{dt}})
	}
	if got, err := get("2024-01-01"); err != nil || *got.Partition.StorageDescriptor.Location != "s3://b/events/dt=2024-01-01/" {
		t.Fatalf("partition %+v %v", got, err)
	}
	r.PhysicalID, r.OldProperties, r.Properties = res.PhysicalID, r.Properties, part("2024-01-02", "s3://b/events/dt=2024-01-02/")
	if _, err := pp.Update(ctx, r); err != nil {
		t.Fatal(err)
	}
	if got, err := get("2024-01-02"); err != nil || *got.Partition.StorageDescriptor.Location != "s3://b/events/dt=2024-01-02/" {
		t.Fatalf("partition after update %+v %v", got, err)
	}
	if _, err := get("2024-01-01"); !glueapi.ErrEntityNotFoundException.Is(err) {
		t.Fatalf("the old values still answer: %v", err)
	}
	for i := 0; i < 2; i++ {
		if err := pp.Delete(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := get("2024-01-02"); !glueapi.ErrEntityNotFoundException.Is(err) {
		t.Fatalf("the partition survived its delete: %v", err)
	}
}
