package athena

import (
	"testing"

	athenaapi "github.com/niwa-cloud/niwa/internal/api/athena"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/servicetest"
)

// TestCloudFormationWorkGroupAndNamedQuery: a workgroup made, read back,
// updated (configuration member removed, tags, state) and deleted, and a
// named query in it made and deleted, through the providers.
func TestCloudFormationWorkGroupAndNamedQuery(t *testing.T) {
	h := servicetest.New(t, "athena")
	a := New(h.Store(), h.Clock, Options{})
	t.Cleanup(func() { _ = a.Close() })
	ctx := h.Ctx()
	p := a.cfnResources()
	wg := kit.ResourceRequest{LogicalID: "WG", StackName: "s", Properties: map[string]any{"Name": "analytics",
		"Description": "team", "Tags": []any{map[string]any{"Key": "team", "Value": "bi"}},
		"WorkGroupConfiguration": map[string]any{"BytesScannedCutoffPerQuery": "10000000",
			"ResultConfiguration": map[string]any{"OutputLocation": "s3://results/athena/"}}}}
	res, err := p["AWS::Athena::WorkGroup"].Create(ctx, wg)
	if err != nil {
		t.Fatal(err)
	}
	if res.PhysicalID != "analytics" || res.Attributes["CreationTime"] == nil ||
		res.Attributes["WorkGroupConfiguration.EngineVersion.EffectiveEngineVersion"] == nil {
		t.Fatalf("created %+v", res)
	}
	live, err := p["AWS::Athena::WorkGroup"].Read(ctx, kit.ResourceRequest{PhysicalID: "analytics"})
	cfg, _ := live["WorkGroupConfiguration"].(map[string]any)
	if err != nil || cfg["BytesScannedCutoffPerQuery"] != 1e7 || live["Description"] != "team" {
		t.Fatalf("read %v %v", live, err)
	}
	q := kit.ResourceRequest{LogicalID: "Q", StackName: "s", Properties: map[string]any{"Database": "default",
		"QueryString": "SELECT 1", "WorkGroup": "analytics"}}
	qr, err := p["AWS::Athena::NamedQuery"].Create(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	got, err := a.GetNamedQuery(ctx, &athenaapi.GetNamedQueryInput{NamedQueryId: &qr.PhysicalID})
	if err != nil || *got.NamedQuery.QueryString != "SELECT 1" || *got.NamedQuery.WorkGroup != "analytics" || qr.Attributes["NamedQueryId"] != qr.PhysicalID {
		t.Fatalf("named query %+v %v", got, err)
	}
	up := wg
	up.PhysicalID, up.OldProperties = "analytics", wg.Properties
	up.Properties = map[string]any{"Name": "analytics", "State": "DISABLED", "Tags": []any{map[string]any{"Key": "env", "Value": "prod"}},
		"WorkGroupConfiguration": map[string]any{"ResultConfiguration": map[string]any{"OutputLocation": "s3://results/v2/"}}}
	if _, err := p["AWS::Athena::WorkGroup"].Update(ctx, up); err != nil {
		t.Fatal(err)
	}
	out, err := a.GetWorkGroup(ctx, &athenaapi.GetWorkGroupInput{WorkGroup: &up.PhysicalID})
	if err != nil || *out.WorkGroup.State != "DISABLED" || out.WorkGroup.Configuration.BytesScannedCutoffPerQuery != nil ||
		*out.WorkGroup.Configuration.ResultConfiguration.OutputLocation != "s3://results/v2/" {
		t.Fatalf("after update %+v %v", out, err)
	}
	arn := kit.ARN("athena", ctx.Region, ctx.Account, "workgroup/analytics")
	tags, err := a.ListTagsForResource(ctx, &athenaapi.ListTagsForResourceInput{ResourceARN: &arn})
	if err != nil || len(tags.Tags) != 1 || *tags.Tags[0].Key != "env" {
		t.Fatalf("tags %+v %v", tags, err)
	}
	if err := p["AWS::Athena::NamedQuery"].Delete(ctx, kit.ResourceRequest{PhysicalID: qr.PhysicalID}); err != nil {
		t.Fatal(err)
	}
	if err := p["AWS::Athena::NamedQuery"].Delete(ctx, kit.ResourceRequest{PhysicalID: qr.PhysicalID}); err != nil {
		t.Fatalf("second delete: %v", err)
	}
	if err := p["AWS::Athena::WorkGroup"].Delete(ctx, up); err != nil {
		t.Fatal(err)
	}
	if _, err := p["AWS::Athena::WorkGroup"].Read(ctx, up); err != kit.ErrResourceGone {
		t.Fatalf("read after delete: %v", err)
	}
	if err := p["AWS::Athena::WorkGroup"].Delete(ctx, up); err != nil {
		t.Fatalf("second delete: %v", err)
	}
	// A named query in a missing workgroup is the API's error.
	if _, err := p["AWS::Athena::NamedQuery"].Create(ctx, q); !athenaapi.ErrInvalidRequestException.Is(err) {
		t.Fatalf("named query in a deleted workgroup: %v", err)
	}
}

// TestCloudFormationPreparedStatement: a prepared statement in a
// workgroup, its query changed in place, and deleted (twice is no error).
func TestCloudFormationPreparedStatement(t *testing.T) {
	h := servicetest.New(t, "athena")
	a := New(h.Store(), h.Clock, Options{})
	t.Cleanup(func() { _ = a.Close() })
	ctx := h.Ctx()
	p := a.cfnResources()["AWS::Athena::PreparedStatement"]
	for _, name := range []string{"StatementName", "WorkGroup"} {
		found := false
		for _, r := range p.Replace {
			found = found || r == name
		}
		if !found {
			t.Errorf("a change of %s should replace the statement", name)
		}
	}
	r := kit.ResourceRequest{LogicalID: "PS", StackName: "s", Properties: map[string]any{"StatementName": "by_id", "WorkGroup": "primary",
		"QueryStatement": "SELECT * FROM t WHERE id = ?", "Description": "one"}}
	res, err := p.Create(ctx, r)
	if err != nil || res.PhysicalID != "by_id" {
		t.Fatalf("created %+v %v", res, err)
	}
	r.PhysicalID, r.OldProperties = res.PhysicalID, r.Properties
	r.Properties = map[string]any{"StatementName": "by_id", "WorkGroup": "primary", "QueryStatement": "SELECT * FROM t WHERE name = ?", "Description": "two"}
	if _, err := p.Update(ctx, r); err != nil {
		t.Fatal(err)
	}
	got, err := a.GetPreparedStatement(ctx, &athenaapi.GetPreparedStatementInput{StatementName: &r.PhysicalID, WorkGroup: ptrTo("primary")})
	if err != nil || *got.PreparedStatement.QueryStatement != "SELECT * FROM t WHERE name = ?" || *got.PreparedStatement.Description != "two" {
		t.Fatalf("after update %+v %v", got, err)
	}
	for i := 0; i < 2; i++ {
		if err := p.Delete(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.GetPreparedStatement(ctx, &athenaapi.GetPreparedStatementInput{StatementName: &r.PhysicalID, WorkGroup: ptrTo("primary")}); err == nil {
		t.Fatal("the statement survived its delete")
	}
}

func ptrTo(s string) *string { return &s }
