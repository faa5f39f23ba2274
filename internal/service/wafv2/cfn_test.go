package wafv2

import (
	"testing"

	wafapi "github.com/niwa-cloud/niwa/internal/api/wafv2"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/servicetest"
)

// TestCloudFormationProviders: an IP set and a web ACL whose rules use it
// and a byte match given as text (as templates write SearchString), then
// an update and the removal.
func TestCloudFormationProviders(t *testing.T) {
	h := servicetest.New(t, "wafv2")
	w := regional(h)
	ctx := h.Ctx()
	p := w.cfnResources()
	set, err := p["AWS::WAFv2::IPSet"].Create(ctx, kit.ResourceRequest{LogicalID: "Set", StackName: "s", Properties: map[string]any{
		"Scope": "REGIONAL", "IPAddressVersion": "IPV4", "Addresses": []any{"10.0.0.0/8"}}})
	if err != nil {
		t.Fatal(err)
	}
	vis := map[string]any{"SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": "m"}
	props := map[string]any{"Scope": "REGIONAL", "DefaultAction": map[string]any{"Allow": map[string]any{}}, "VisibilityConfig": vis,
		"Rules": []any{
			map[string]any{"Name": "ips", "Priority": 1, "Action": map[string]any{"Block": map[string]any{}}, "VisibilityConfig": vis,
				"Statement": map[string]any{"IPSetReferenceStatement": map[string]any{"Arn": set.Attributes["Arn"]}}},
			map[string]any{"Name": "bad", "Priority": 2, "Action": map[string]any{"Block": map[string]any{}}, "VisibilityConfig": vis,
				"Statement": map[string]any{"ByteMatchStatement": map[string]any{"SearchString": "/admin", "FieldToMatch": map[string]any{"UriPath": map[string]any{}},
					"PositionalConstraint": "STARTS_WITH", "TextTransformations": []any{map[string]any{"Priority": 0, "Type": "NONE"}}}}},
		}}
	acl, err := p["AWS::WAFv2::WebACL"].Create(ctx, kit.ResourceRequest{LogicalID: "Acl", StackName: "s", Properties: props})
	if err != nil {
		t.Fatal(err)
	}
	name, id, scope := cfnID(acl.PhysicalID)
	got, err := w.GetWebACL(ctx, &wafapi.GetWebACLRequest{Name: &name, Id: &id, Scope: &scope})
	if err != nil || len(got.WebACL.Rules) != 2 || string(got.WebACL.Rules[1].Statement.ByteMatchStatement.SearchString) != "/admin" {
		t.Fatalf("web acl %+v %v", got, err)
	}
	if acl.Attributes["Arn"] != *got.WebACL.ARN || acl.Attributes["Capacity"] == nil {
		t.Fatalf("attributes %v", acl.Attributes)
	}
	upd := map[string]any{"Scope": "REGIONAL", "DefaultAction": map[string]any{"Block": map[string]any{}}, "VisibilityConfig": vis}
	if _, err := p["AWS::WAFv2::WebACL"].Update(ctx, kit.ResourceRequest{PhysicalID: acl.PhysicalID, Properties: upd, OldProperties: props}); err != nil {
		t.Fatal(err)
	}
	if got, _ = w.GetWebACL(ctx, &wafapi.GetWebACLRequest{Name: &name, Id: &id, Scope: &scope}); len(got.WebACL.Rules) != 0 || got.WebACL.DefaultAction.Block == nil {
		t.Fatalf("after update %+v", got.WebACL)
	}
	for _, d := range []struct{ typ, id string }{{"WebACL", acl.PhysicalID}, {"IPSet", set.PhysicalID}, {"WebACL", acl.PhysicalID}} {
		if err := p["AWS::WAFv2::"+d.typ].Delete(ctx, kit.ResourceRequest{PhysicalID: d.id}); err != nil {
			t.Fatalf("delete %s: %v", d.typ, err)
		}
	}
}
