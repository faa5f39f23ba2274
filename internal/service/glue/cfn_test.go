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
