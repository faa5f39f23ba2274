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

// TestCloudFormationContactListsFiltersPools: a contact list's topics,
// description and tags change in place; a receipt filter is made and
// removed; a dedicated IP pool's tags change in place and ScalingMode
// replaces it.
func TestCloudFormationContactListsFiltersPools(t *testing.T) {
	h, c := newCore(t, nil)
	ctx := h.Ctx()
	p := c.cfnResourcesV2()
	v2 := NewV2(c)
	topic := func(name, status string) map[string]any {
		return map[string]any{"TopicName": name, "DisplayName": name, "DefaultSubscriptionStatus": status}
	}
	clProps := map[string]any{"ContactListName": "news", "Description": "one", "Topics": []any{topic("weekly", "OPT_IN")},
		"Tags": []any{map[string]any{"Key": "env", "Value": "dev"}}}
	cl, err := p["AWS::SES::ContactList"].Create(ctx, kit.ResourceRequest{LogicalID: "CL", Properties: clProps})
	if err != nil || cl.PhysicalID != "news" {
		t.Fatalf("contact list %+v %v", cl, err)
	}
	clUpd := map[string]any{"ContactListName": "news", "Description": "two",
		"Topics": []any{topic("weekly", "OPT_OUT"), topic("daily", "OPT_IN")}, "Tags": []any{map[string]any{"Key": "team", "Value": "mail"}}}
	if _, err := p["AWS::SES::ContactList"].Update(ctx, kit.ResourceRequest{PhysicalID: cl.PhysicalID, Properties: clUpd, OldProperties: clProps}); err != nil {
		t.Fatal(err)
	}
	got, err := v2.GetContactList(ctx, &sesv2api.GetContactListRequest{ContactListName: ptr.To("news")})
	if err != nil || ptr.Deref(got.Description) != "two" || len(got.Topics) != 2 || len(got.Tags) != 1 || *got.Tags[0].Key != "team" {
		t.Fatalf("contact list %+v %v", got, err)
	}
	for range 2 {
		if err := p["AWS::SES::ContactList"].Delete(ctx, kit.ResourceRequest{PhysicalID: cl.PhysicalID}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := v2.GetContactList(ctx, &sesv2api.GetContactListRequest{ContactListName: ptr.To("news")}); !sesv2api.ErrNotFoundException.Is(err) {
		t.Fatalf("after delete: %v", err)
	}

	fp := c.cfnResourcesV1()["AWS::SES::ReceiptFilter"]
	f, err := fp.Create(ctx, kit.ResourceRequest{LogicalID: "F", StackName: "s", Properties: map[string]any{
		"Filter": map[string]any{"IpFilter": map[string]any{"Cidr": "10.0.0.0/8", "Policy": "Block"}}}})
	if err != nil || !strings.HasPrefix(f.PhysicalID, "s-F-") {
		t.Fatalf("filter %+v %v", f, err)
	}
	if fp.Update != nil {
		t.Fatal("every receipt filter change replaces it")
	}
	v1 := NewV1(c)
	list, err := v1.ListReceiptFilters(ctx, &sesapi.ListReceiptFiltersRequest{})
	if err != nil || len(list.Filters) != 1 || *list.Filters[0].IpFilter.Policy != "Block" {
		t.Fatalf("filters %+v %v", list, err)
	}
	if _, err := fp.Create(ctx, kit.ResourceRequest{LogicalID: "Bad", Properties: map[string]any{
		"Filter": map[string]any{"Name": "bad", "IpFilter": map[string]any{"Cidr": "not-a-cidr", "Policy": "Block"}}}}); err == nil {
		t.Fatal("a filter with a bad CIDR was made")
	}
	if err := fp.Delete(ctx, kit.ResourceRequest{PhysicalID: f.PhysicalID}); err != nil {
		t.Fatal(err)
	}
	if list, _ = v1.ListReceiptFilters(ctx, &sesapi.ListReceiptFiltersRequest{}); len(list.Filters) != 0 {
		t.Fatalf("filters after delete %+v", list.Filters)
	}

	pp := p["AWS::SES::DedicatedIpPool"]
	poolProps := map[string]any{"PoolName": "bulk", "ScalingMode": "STANDARD", "Tags": []any{map[string]any{"Key": "a", "Value": "1"}}}
	pool, err := pp.Create(ctx, kit.ResourceRequest{LogicalID: "P", Properties: poolProps})
	if err != nil || pool.PhysicalID != "bulk" {
		t.Fatalf("pool %+v %v", pool, err)
	}
	if _, err := pp.Update(ctx, kit.ResourceRequest{PhysicalID: "bulk", OldProperties: poolProps,
		Properties: map[string]any{"PoolName": "bulk", "ScalingMode": "STANDARD", "Tags": []any{map[string]any{"Key": "b", "Value": "2"}}}}); err != nil {
		t.Fatal(err)
	}
	tags, err := v2.ListTagsForResource(ctx, &sesv2api.ListTagsForResourceRequest{ResourceArn: ptr.To(sesARN(ctx, "dedicated-ip-pool", "bulk"))})
	if err != nil || len(tags.Tags) != 1 || *tags.Tags[0].Key != "b" {
		t.Fatalf("pool tags %+v %v", tags, err)
	}
	for range 2 {
		if err := pp.Delete(ctx, kit.ResourceRequest{PhysicalID: "bulk"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := v2.GetDedicatedIpPool(ctx, &sesv2api.GetDedicatedIpPoolRequest{PoolName: ptr.To("bulk")}); !sesv2api.ErrNotFoundException.Is(err) {
		t.Fatalf("pool after delete: %v", err)
	}
}

// TestCloudFormationEventDestination: a configuration set's event
// destination from the template's v1 shape (lower camel case event types,
// TopicARN), changed in place, renamed, deleted.
func TestCloudFormationEventDestination(t *testing.T) {
	h, c := newCore(t, nil)
	ctx := h.Ctx()
	v2 := NewV2(c)
	if _, err := v2.CreateConfigurationSet(ctx, &sesv2api.CreateConfigurationSetRequest{ConfigurationSetName: ptr.To("cs")}); err != nil {
		t.Fatal(err)
	}
	p := c.cfnResourcesV2()["AWS::SES::ConfigurationSetEventDestination"]
	topic := "arn:aws:sns:us-east-1:" + h.Account + ":mail-events"
	props := map[string]any{"ConfigurationSetName": "cs", "EventDestination": map[string]any{"Enabled": true,
		"MatchingEventTypes": []any{"send", "renderingFailure", "deliveryDelay"}, "SnsDestination": map[string]any{"TopicARN": topic}}}
	res, err := p.Create(ctx, kit.ResourceRequest{LogicalID: "Dest", StackName: "s", Properties: props})
	if err != nil {
		t.Fatal(err)
	}
	if res.Attributes["Id"] != res.PhysicalID || !strings.HasPrefix(res.PhysicalID, "s-Dest-") {
		t.Fatalf("result %+v", res)
	}
	dests := func() []sesv2api.EventDestination {
		out, err := v2.GetConfigurationSetEventDestinations(ctx, &sesv2api.GetConfigurationSetEventDestinationsRequest{ConfigurationSetName: ptr.To("cs")})
		if err != nil {
			t.Fatal(err)
		}
		return out.EventDestinations
	}
	d := dests()
	if len(d) != 1 || *d[0].Name != res.PhysicalID || strings.Join(d[0].MatchingEventTypes, ",") != "SEND,RENDERING_FAILURE,DELIVERY_DELAY" ||
		*d[0].SnsDestination.TopicArn != topic {
		t.Fatalf("destinations %+v", d)
	}
	upd := map[string]any{"ConfigurationSetName": "cs", "EventDestination": map[string]any{"Enabled": false,
		"MatchingEventTypes": []any{"bounce"}, "CloudWatchDestination": map[string]any{"DimensionConfigurations": []any{
			map[string]any{"DimensionName": "campaign", "DimensionValueSource": "messageTag", "DefaultDimensionValue": "none"}}}}}
	if _, err := p.Update(ctx, kit.ResourceRequest{PhysicalID: res.PhysicalID, Properties: upd, OldProperties: props}); err != nil {
		t.Fatal(err)
	}
	if d = dests(); len(d) != 1 || ptr.Deref(d[0].Enabled) || d[0].MatchingEventTypes[0] != "BOUNCE" || d[0].SnsDestination != nil ||
		*d[0].CloudWatchDestination.DimensionConfigurations[0].DimensionValueSource != "MESSAGE_TAG" {
		t.Fatalf("after update %+v", d)
	}
	renamed := map[string]any{"ConfigurationSetName": "cs", "EventDestination": map[string]any{"Name": "named", "Enabled": true,
		"MatchingEventTypes": []any{"bounce"}, "SnsDestination": map[string]any{"TopicARN": topic}}}
	if _, err := p.Update(ctx, kit.ResourceRequest{PhysicalID: res.PhysicalID, Properties: renamed, OldProperties: upd}); err != nil {
		t.Fatal(err)
	}
	if d = dests(); len(d) != 1 || *d[0].Name != "named" {
		t.Fatalf("after rename %+v", d)
	}
	for range 2 {
		if err := p.Delete(ctx, kit.ResourceRequest{PhysicalID: res.PhysicalID, Properties: renamed}); err != nil {
			t.Fatal(err)
		}
	}
	if d = dests(); len(d) != 0 {
		t.Fatalf("after delete %+v", d)
	}
}

// TestCloudFormationEventDestinationShape: the template's classic names
// become v2's: event types and CloudWatch dimension sources in upper
// snake case, the ARN members matched case-insensitively.
func TestCloudFormationEventDestinationShape(t *testing.T) {
	name, def, err := cfnEventDestination(kit.ResourceRequest{PhysicalID: "gen"}, map[string]any{"ConfigurationSetName": "cs",
		"EventDestination": map[string]any{"MatchingEventTypes": []any{"renderingFailure", "open"},
			"KinesisFirehoseDestination": map[string]any{"IAMRoleARN": "arn:aws:iam::1:role/r", "DeliveryStreamARN": "arn:aws:firehose:us-east-1:1:deliverystream/s"},
			"CloudWatchDestination": map[string]any{"DimensionConfigurations": []any{
				map[string]any{"DimensionName": "campaign", "DimensionValueSource": "messageTag", "DefaultDimensionValue": "none"}}}}})
	if err != nil {
		t.Fatal(err)
	}
	if name != "gen" || strings.Join(def.MatchingEventTypes, ",") != "RENDERING_FAILURE,OPEN" ||
		*def.CloudWatchDestination.DimensionConfigurations[0].DimensionValueSource != "MESSAGE_TAG" ||
		*def.KinesisFirehoseDestination.IamRoleArn != "arn:aws:iam::1:role/r" {
		t.Fatalf("%s %+v", name, def)
	}
}
