package ses

import (
	"strings"
	"testing"

	sesapi "github.com/niwa-cloud/niwa/internal/api/ses"
	sesv2api "github.com/niwa-cloud/niwa/internal/api/sesv2"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// TestCloudFormationReceiptRulesAndTemplates: a rule set, a rule in it
// and a template made, read back, updated and deleted through the
// providers.
func TestCloudFormationReceiptRulesAndTemplates(t *testing.T) {
	h, c := newCore(t, nil)
	ctx := h.Ctx()
	p := c.cfnResourcesV1()
	set, err := p["AWS::SES::ReceiptRuleSet"].Create(ctx, kit.ResourceRequest{LogicalID: "Set", StackName: "s", Properties: map[string]any{}})
	if err != nil || !strings.HasPrefix(set.PhysicalID, "s-Set-") {
		t.Fatalf("rule set %+v %v", set, err)
	}
	rr := kit.ResourceRequest{LogicalID: "Rule", StackName: "s", Properties: map[string]any{"RuleSetName": set.PhysicalID,
		"Rule": map[string]any{"Name": "tag", "Enabled": "true", "Recipients": []any{"in@example.com"},
			"Actions": []any{map[string]any{"AddHeaderAction": map[string]any{"HeaderName": "X-Stack", "HeaderValue": "s"}}}}}}
	rule, err := p["AWS::SES::ReceiptRule"].Create(ctx, rr)
	if err != nil || rule.PhysicalID != "tag" {
		t.Fatalf("rule %+v %v", rule, err)
	}
	rr.PhysicalID, rr.OldProperties = rule.PhysicalID, rr.Properties
	rr.Properties = map[string]any{"RuleSetName": set.PhysicalID, "Rule": map[string]any{"Name": "tag", "Enabled": false,
		"Recipients": []any{"other@example.com"}, "Actions": []any{map[string]any{"StopAction": map[string]any{"Scope": "RuleSet"}}}}}
	if _, err := p["AWS::SES::ReceiptRule"].Update(ctx, rr); err != nil {
		t.Fatal(err)
	}
	got, err := NewV1(c).DescribeReceiptRule(ctx, &sesapi.DescribeReceiptRuleRequest{RuleSetName: &set.PhysicalID, RuleName: ptr.To("tag")})
	if err != nil || ptr.Deref(got.Rule.Enabled) || got.Rule.Recipients[0] != "other@example.com" || got.Rule.Actions[0].StopAction == nil {
		t.Fatalf("rule after update %+v %v", got, err)
	}
	if live, err := p["AWS::SES::ReceiptRule"].Read(ctx, rr); err != nil || live["Rule"].(map[string]any)["Enabled"] != false {
		t.Fatalf("rule read %v %v", live, err)
	}
	if err := p["AWS::SES::ReceiptRule"].Delete(ctx, rr); err != nil {
		t.Fatal(err)
	}
	if _, err := p["AWS::SES::ReceiptRule"].Read(ctx, rr); err != kit.ErrResourceGone {
		t.Fatalf("rule read after delete: %v", err)
	}
	if err := p["AWS::SES::ReceiptRuleSet"].Delete(ctx, kit.ResourceRequest{PhysicalID: set.PhysicalID}); err != nil {
		t.Fatal(err)
	}

	tr := kit.ResourceRequest{LogicalID: "Welcome", StackName: "s", Properties: map[string]any{"Template": map[string]any{
		"TemplateName": "welcome", "SubjectPart": "Hi {{name}}", "TextPart": "Hello {{name}}"}}}
	tpl, err := p["AWS::SES::Template"].Create(ctx, tr)
	if err != nil || tpl.PhysicalID != "welcome" || tpl.Attributes["Id"] != "welcome" {
		t.Fatalf("template %+v %v", tpl, err)
	}
	tr.PhysicalID, tr.OldProperties = tpl.PhysicalID, tr.Properties
	tr.Properties = map[string]any{"Template": map[string]any{"TemplateName": "welcome", "SubjectPart": "Welcome {{name}}", "HtmlPart": "<p>Hi</p>"}}
	if _, err := p["AWS::SES::Template"].Update(ctx, tr); err != nil {
		t.Fatal(err)
	}
	live, err := p["AWS::SES::Template"].Read(ctx, tr)
	if err != nil || live["Template"].(map[string]any)["SubjectPart"] != "Welcome {{name}}" {
		t.Fatalf("template read %v %v", live, err)
	}
	if err := p["AWS::SES::Template"].Delete(ctx, tr); err != nil {
		t.Fatal(err)
	}
	if err := p["AWS::SES::Template"].Delete(ctx, tr); err != nil {
		t.Fatalf("second delete: %v", err)
	}
}

// TestCloudFormationIdentityAndConfigurationSet: a configuration set and
// a domain identity using it made through the providers; the identity's
// Easy DKIM records are its Fn::GetAtt attributes.
func TestCloudFormationIdentityAndConfigurationSet(t *testing.T) {
	h, c := newCore(t, nil)
	ctx := h.Ctx()
	p := c.cfnResourcesV2()
	cs, err := p["AWS::SES::ConfigurationSet"].Create(ctx, kit.ResourceRequest{LogicalID: "CS", StackName: "s", Properties: map[string]any{
		"Name": "transactional", "SendingOptions": map[string]any{"SendingEnabled": true}}})
	if err != nil {
		t.Fatal(err)
	}
	csr := kit.ResourceRequest{LogicalID: "CS", StackName: "s", PhysicalID: cs.PhysicalID, OldProperties: map[string]any{
		"Name": "transactional", "SendingOptions": map[string]any{"SendingEnabled": true}},
		Properties: map[string]any{"Name": "transactional", "SendingOptions": map[string]any{"SendingEnabled": "false"},
			"ReputationOptions": map[string]any{"ReputationMetricsEnabled": true}}}
	if _, err := p["AWS::SES::ConfigurationSet"].Update(ctx, csr); err != nil {
		t.Fatal(err)
	}
	got, err := NewV2(c).GetConfigurationSet(ctx, &sesv2api.GetConfigurationSetRequest{ConfigurationSetName: ptr.To("transactional")})
	if err != nil || ptr.Deref(got.SendingOptions.SendingEnabled) || !ptr.Deref(got.ReputationOptions.ReputationMetricsEnabled) {
		t.Fatalf("configuration set after update %+v %v", got, err)
	}
	ir := kit.ResourceRequest{LogicalID: "Domain", StackName: "s", Properties: map[string]any{"EmailIdentity": "example.com",
		"ConfigurationSetAttributes": map[string]any{"ConfigurationSetName": cs.PhysicalID},
		"FeedbackAttributes":         map[string]any{"EmailForwardingEnabled": false}}}
	id, err := p["AWS::SES::EmailIdentity"].Create(ctx, ir)
	if err != nil {
		t.Fatal(err)
	}
	name, _ := id.Attributes["DkimDNSTokenName1"].(string)
	value, _ := id.Attributes["DkimDNSTokenValue3"].(string)
	if id.PhysicalID != "example.com" || !strings.HasSuffix(name, "._domainkey.example.com") || !strings.HasSuffix(value, ".dkim.amazonses.com") {
		t.Fatalf("identity %+v", id)
	}
	ir.PhysicalID = id.PhysicalID
	live, err := p["AWS::SES::EmailIdentity"].Read(ctx, ir)
	if err != nil || kit.PropMap(live, "FeedbackAttributes")["EmailForwardingEnabled"] != false ||
		kit.PropMap(live, "ConfigurationSetAttributes")["ConfigurationSetName"] != "transactional" {
		t.Fatalf("identity read %v %v", live, err)
	}
	ir.OldProperties = ir.Properties
	ir.Properties = map[string]any{"EmailIdentity": "example.com", "DkimAttributes": map[string]any{"SigningEnabled": false}}
	if _, err := p["AWS::SES::EmailIdentity"].Update(ctx, ir); err != nil {
		t.Fatal(err)
	}
	out, err := NewV2(c).GetEmailIdentity(ctx, &sesv2api.GetEmailIdentityRequest{EmailIdentity: ptr.To("example.com")})
	if err != nil || ptr.Deref(out.DkimAttributes.SigningEnabled) || !ptr.Deref(out.FeedbackForwardingStatus) || ptr.Deref(out.ConfigurationSetName) != "" {
		t.Fatalf("identity after update %+v %v", out, err)
	}
	if err := p["AWS::SES::EmailIdentity"].Delete(ctx, ir); err != nil {
		t.Fatal(err)
	}
	if _, err := p["AWS::SES::EmailIdentity"].Read(ctx, ir); err != kit.ErrResourceGone {
		t.Fatalf("identity read after delete: %v", err)
	}
	if err := p["AWS::SES::ConfigurationSet"].Delete(ctx, kit.ResourceRequest{PhysicalID: cs.PhysicalID}); err != nil {
		t.Fatal(err)
	}
	if err := p["AWS::SES::ConfigurationSet"].Delete(ctx, kit.ResourceRequest{PhysicalID: cs.PhysicalID}); err != nil {
		t.Fatalf("second delete: %v", err)
	}
}
