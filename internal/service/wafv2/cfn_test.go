package wafv2

import (
	"slices"
	"strings"
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

// TestCloudFormationSetsGroupsLogging: an IP set's addresses change in
// place; a regex pattern set (plain strings in the template) and a rule
// group using it are created, updated in place and deleted; a web ACL's
// logging configuration is put, changed and removed.
func TestCloudFormationSetsGroupsLogging(t *testing.T) {
	h := servicetest.New(t, "wafv2")
	w := regional(h)
	ctx := h.Ctx()
	p := w.cfnResources()
	vis := map[string]any{"SampledRequestsEnabled": false, "CloudWatchMetricsEnabled": false, "MetricName": "m"}

	// IPSet: Addresses update in place, IPAddressVersion replaces.
	setProps := map[string]any{"Name": "ips", "Scope": "REGIONAL", "IPAddressVersion": "IPV4", "Addresses": []any{"10.0.0.0/8"},
		"Tags": []any{map[string]any{"Key": "env", "Value": "dev"}, map[string]any{"Key": "old", "Value": "x"}}}
	set, err := p["AWS::WAFv2::IPSet"].Create(ctx, kit.ResourceRequest{LogicalID: "Set", Properties: setProps})
	if err != nil {
		t.Fatal(err)
	}
	up, err := p["AWS::WAFv2::IPSet"].Update(ctx, kit.ResourceRequest{PhysicalID: set.PhysicalID, OldProperties: setProps,
		Properties: map[string]any{"Name": "ips", "Scope": "REGIONAL", "IPAddressVersion": "IPV4", "Addresses": []any{"192.0.2.0/24", "198.51.100.0/24"},
			"Tags": []any{map[string]any{"Key": "env", "Value": "prod"}}}})
	if err != nil || up.PhysicalID != set.PhysicalID || up.Attributes["Arn"] != set.Attributes["Arn"] {
		t.Fatalf("update %+v %v", up, err)
	}
	name, id, scope := cfnID(set.PhysicalID)
	gotSet, err := w.GetIPSet(ctx, &wafapi.GetIPSetRequest{Name: &name, Id: &id, Scope: &scope})
	if err != nil || len(gotSet.IPSet.Addresses) != 2 {
		t.Fatalf("ip set %+v %v", gotSet, err)
	}
	arn := set.Attributes["Arn"].(string)
	tags, err := w.ListTagsForResource(ctx, &wafapi.ListTagsForResourceRequest{ResourceARN: &arn})
	if err != nil || len(tags.TagInfoForResource.TagList) != 1 || *tags.TagInfoForResource.TagList[0].Value != "prod" {
		t.Fatalf("tags after update %+v %v", tags, err)
	}
	if !slices.Contains(p["AWS::WAFv2::IPSet"].Replace, "IPAddressVersion") {
		t.Fatal("IPAddressVersion must replace the set")
	}

	// RegexPatternSet.
	rp := p["AWS::WAFv2::RegexPatternSet"]
	rxProps := map[string]any{"Scope": "REGIONAL", "RegularExpressionList": []any{"^/admin", "^/debug"}, "Description": "one"}
	rx, err := rp.Create(ctx, kit.ResourceRequest{LogicalID: "Rx", StackName: "stk", Properties: rxProps})
	if err != nil {
		t.Fatal(err)
	}
	rname, rid, rscope := cfnID(rx.PhysicalID)
	if !strings.HasPrefix(rname, "stk-Rx-") || rx.Attributes["Id"] != rid || !strings.Contains(rx.Attributes["Arn"].(string), ":regional/regexpatternset/") {
		t.Fatalf("regex pattern set %s %v", rx.PhysicalID, rx.Attributes)
	}
	if _, err := rp.Update(ctx, kit.ResourceRequest{PhysicalID: rx.PhysicalID, OldProperties: rxProps,
		Properties: map[string]any{"Scope": "REGIONAL", "RegularExpressionList": []any{"^/private"}, "Description": "two"}}); err != nil {
		t.Fatal(err)
	}
	gotRx, err := w.GetRegexPatternSet(ctx, &wafapi.GetRegexPatternSetRequest{Name: &rname, Id: &rid, Scope: &rscope})
	if err != nil || len(gotRx.RegexPatternSet.RegularExpressionList) != 1 || *gotRx.RegexPatternSet.RegularExpressionList[0].RegexString != "^/private" ||
		*gotRx.RegexPatternSet.Description != "two" {
		t.Fatalf("regex pattern set %+v %v", gotRx, err)
	}

	// RuleGroup referencing both sets.
	gp := p["AWS::WAFv2::RuleGroup"]
	rule := func(name string, prio int, stmt map[string]any) map[string]any {
		return map[string]any{"Name": name, "Priority": prio, "Action": map[string]any{"Block": map[string]any{}}, "VisibilityConfig": vis, "Statement": stmt}
	}
	gProps := map[string]any{"Name": "group", "Scope": "REGIONAL", "Capacity": 100, "VisibilityConfig": vis, "Rules": []any{
		rule("rx", 1, map[string]any{"RegexPatternSetReferenceStatement": map[string]any{"Arn": rx.Attributes["Arn"],
			"FieldToMatch": map[string]any{"UriPath": map[string]any{}}, "TextTransformations": []any{map[string]any{"Priority": 0, "Type": "NONE"}}}}),
		rule("ips", 2, map[string]any{"IPSetReferenceStatement": map[string]any{"Arn": set.Attributes["Arn"]}}),
	}}
	g, err := gp.Create(ctx, kit.ResourceRequest{LogicalID: "G", Properties: gProps})
	if err != nil {
		t.Fatal(err)
	}
	if g.Attributes["LabelNamespace"] == nil || g.Attributes["Arn"] == nil {
		t.Fatalf("rule group attributes %v", g.Attributes)
	}
	gname, gid, gscope := cfnID(g.PhysicalID)
	gUpd := map[string]any{"Name": "group", "Scope": "REGIONAL", "Capacity": 100, "VisibilityConfig": vis, "Description": "fewer", "Rules": []any{
		rule("ips", 2, map[string]any{"IPSetReferenceStatement": map[string]any{"Arn": set.Attributes["Arn"]}})}}
	if _, err := gp.Update(ctx, kit.ResourceRequest{PhysicalID: g.PhysicalID, OldProperties: gProps, Properties: gUpd}); err != nil {
		t.Fatal(err)
	}
	gotG, err := w.GetRuleGroup(ctx, &wafapi.GetRuleGroupRequest{Name: &gname, Id: &gid, Scope: &gscope})
	if err != nil || len(gotG.RuleGroup.Rules) != 1 || *gotG.RuleGroup.Capacity != 100 || *gotG.RuleGroup.Description != "fewer" {
		t.Fatalf("rule group %+v %v", gotG, err)
	}
	if !slices.Contains(gp.Replace, "Capacity") {
		t.Fatal("Capacity must replace the rule group")
	}

	// LoggingConfiguration on a web ACL.
	acl, err := p["AWS::WAFv2::WebACL"].Create(ctx, kit.ResourceRequest{LogicalID: "Acl", StackName: "s", Properties: map[string]any{
		"Scope": "REGIONAL", "DefaultAction": map[string]any{"Allow": map[string]any{}}, "VisibilityConfig": vis}})
	if err != nil {
		t.Fatal(err)
	}
	lp := p["AWS::WAFv2::LoggingConfiguration"]
	dest := "arn:aws:logs:us-east-1:" + h.Account + ":log-group:aws-waf-logs-site"
	lg, err := lp.Create(ctx, kit.ResourceRequest{LogicalID: "Log", Properties: map[string]any{"ResourceArn": acl.Attributes["Arn"],
		"LogDestinationConfigs": []any{dest}, "RedactedFields": []any{map[string]any{"SingleHeader": map[string]any{"Name": "authorization"}}}}})
	if err != nil {
		t.Fatal(err)
	}
	if lg.PhysicalID != acl.Attributes["Arn"] || lg.Attributes["ManagedByFirewallManager"] != false {
		t.Fatalf("logging %+v", lg)
	}
	if _, err := lp.Update(ctx, kit.ResourceRequest{PhysicalID: lg.PhysicalID, Properties: map[string]any{"ResourceArn": acl.Attributes["Arn"],
		"LogDestinationConfigs": []any{dest}}}); err != nil {
		t.Fatal(err)
	}
	gotL, err := w.GetLoggingConfiguration(ctx, &wafapi.GetLoggingConfigurationRequest{ResourceArn: &lg.PhysicalID})
	if err != nil || len(gotL.LoggingConfiguration.RedactedFields) != 0 || gotL.LoggingConfiguration.LogDestinationConfigs[0] != dest {
		t.Fatalf("logging %+v %v", gotL, err)
	}
	// A destination not named aws-waf-logs-* is the API's refusal.
	if _, err := lp.Create(ctx, kit.ResourceRequest{LogicalID: "Bad", Properties: map[string]any{"ResourceArn": acl.Attributes["Arn"],
		"LogDestinationConfigs": []any{"arn:aws:logs:us-east-1:" + h.Account + ":log-group:other"}}}); !wafapi.ErrWAFInvalidParameterException.Is(err) {
		t.Fatalf("bad destination: %v", err)
	}

	// Deletes, each twice.
	for _, d := range []struct{ typ, id string }{{"LoggingConfiguration", lg.PhysicalID}, {"RuleGroup", g.PhysicalID},
		{"RegexPatternSet", rx.PhysicalID}, {"IPSet", set.PhysicalID}} {
		for range 2 {
			if err := p["AWS::WAFv2::"+d.typ].Delete(ctx, kit.ResourceRequest{PhysicalID: d.id}); err != nil {
				t.Fatalf("delete %s: %v", d.typ, err)
			}
		}
	}
	if _, err := w.GetLoggingConfiguration(ctx, &wafapi.GetLoggingConfigurationRequest{ResourceArn: &lg.PhysicalID}); !wafapi.ErrWAFNonexistentItemException.Is(err) {
		t.Fatalf("logging after delete: %v", err)
	}
	if _, err := w.GetRuleGroup(ctx, &wafapi.GetRuleGroupRequest{Name: &gname, Id: &gid, Scope: &gscope}); !wafapi.ErrWAFNonexistentItemException.Is(err) {
		t.Fatalf("rule group after delete: %v", err)
	}
}
