package ssm

import (
	"strings"
	"testing"

	ssmapi "github.com/niwa-cloud/niwa/internal/api/ssm"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// TestCloudFormationDocumentAndAssociation: AWS::SSM::Document from its
// Content object (generated name), an update adding a version that
// becomes the default; AWS::SSM::Association on it, its schedule updated
// in place; deleted association first, as CloudFormation orders them,
// and both deletes tolerate a resource already gone.
func TestCloudFormationDocumentAndAssociation(t *testing.T) {
	h, s, _ := runHarness(t)
	ctx, p := h.Ctx(), s.cfnResources()
	content := func(word string) map[string]any {
		return map[string]any{"schemaVersion": "2.2", "description": "d", "mainSteps": []any{map[string]any{"action": "aws:runShellScript",
			"name": "hello", "inputs": map[string]any{"runCommand": []any{"echo " + word}}}}}
	}
	dr := kit.ResourceRequest{LogicalID: "Doc", StackName: "stk", Properties: map[string]any{"DocumentType": "Command", "Content": content("one"),
		"Tags": []any{map[string]any{"Key": "team", "Value": "a"}}}}
	d, err := p["AWS::SSM::Document"].Create(ctx, dr)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(d.PhysicalID, "stk-Doc-") {
		t.Fatalf("document name %q", d.PhysicalID)
	}
	dr.PhysicalID, dr.OldProperties = d.PhysicalID, dr.Properties
	dr.Properties = map[string]any{"DocumentType": "Command", "Content": content("two"), "UpdateMethod": "NewVersion"}
	if _, err := p["AWS::SSM::Document"].Update(ctx, dr); err != nil {
		t.Fatal(err)
	}
	desc, err := s.DescribeDocument(ctx, &ssmapi.DescribeDocumentRequest{Name: &d.PhysicalID})
	if err != nil || ptr.Deref(desc.Document.DefaultVersion) != "2" || ptr.Deref(desc.Document.LatestVersion) != "2" {
		t.Fatalf("document after update %+v %v", desc, err)
	}
	got, err := s.GetDocument(ctx, &ssmapi.GetDocumentRequest{Name: &d.PhysicalID})
	if err != nil || !strings.Contains(ptr.Deref(got.Content), "echo two") {
		t.Fatalf("default content %+v %v", got, err)
	}
	if _, err := p["AWS::SSM::Document"].Create(ctx, kit.ResourceRequest{LogicalID: "Bad", Properties: map[string]any{"Content": "{"}}); !ssmapi.ErrInvalidDocumentContent.Is(err) {
		t.Fatalf("bad content: %v", err)
	}

	ar := kit.ResourceRequest{LogicalID: "Assoc", Properties: map[string]any{"Name": d.PhysicalID, "AssociationName": "hello",
		"Targets": []any{map[string]any{"Key": "tag:Env", "Values": []any{"prod"}}}, "ScheduleExpression": "rate(30 minutes)"}}
	a, err := p["AWS::SSM::Association"].Create(ctx, ar)
	if err != nil || a.PhysicalID == "" || a.Attributes["AssociationId"] != a.PhysicalID {
		t.Fatalf("association %+v %v", a, err)
	}
	ar.PhysicalID, ar.OldProperties = a.PhysicalID, ar.Properties
	ar.Properties = map[string]any{"Name": d.PhysicalID, "AssociationName": "hello",
		"Targets": []any{map[string]any{"Key": "tag:Env", "Values": []any{"prod"}}}, "ScheduleExpression": "rate(1 hour)"}
	if _, err := p["AWS::SSM::Association"].Update(ctx, ar); err != nil {
		t.Fatal(err)
	}
	da, err := s.DescribeAssociation(ctx, &ssmapi.DescribeAssociationRequest{AssociationId: &a.PhysicalID})
	if err != nil || ptr.Deref(da.AssociationDescription.ScheduleExpression) != "rate(1 hour)" {
		t.Fatalf("association after update %+v %v", da, err)
	}
	for i := 0; i < 2; i++ {
		if err := p["AWS::SSM::Association"].Delete(ctx, ar); err != nil {
			t.Fatalf("association delete %d: %v", i, err)
		}
		if err := p["AWS::SSM::Document"].Delete(ctx, dr); err != nil {
			t.Fatalf("document delete %d: %v", i, err)
		}
	}
	if _, err := s.DescribeDocument(ctx, &ssmapi.DescribeDocumentRequest{Name: &d.PhysicalID}); !ssmapi.ErrInvalidDocument.Is(err) {
		t.Fatalf("document after delete: %v", err)
	}
}
