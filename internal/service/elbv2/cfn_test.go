package elbv2

import (
	"slices"
	"strings"
	"testing"

	elbv2api "github.com/niwa-cloud/niwa/internal/api/elbv2"
	"github.com/niwa-cloud/niwa/internal/kit"
)

// TestCloudFormationProviders: a load balancer, a target group, a
// listener forwarding to it and a rule, from template properties (ports
// as text, as templates often give them).
func TestCloudFormationProviders(t *testing.T) {
	s, h := newTest(t)
	ctx := h.Ctx()
	p := s.cfnResources()
	lb, err := p["AWS::ElasticLoadBalancingV2::LoadBalancer"].Create(ctx, kit.ResourceRequest{LogicalID: "LB", StackName: "web",
		Properties: map[string]any{"Subnets": []any{"subnet-a", "subnet-b"}, "Scheme": "internet-facing"}})
	if err != nil {
		t.Fatal(err)
	}
	if lb.Attributes["DNSName"] == "" || lb.Attributes["LoadBalancerFullName"] == "" {
		t.Fatalf("load balancer %+v", lb)
	}
	tg, err := p["AWS::ElasticLoadBalancingV2::TargetGroup"].Create(ctx, kit.ResourceRequest{LogicalID: "TG", StackName: "web",
		Properties: map[string]any{"Port": "80", "Protocol": "HTTP", "VpcId": "vpc-1", "TargetType": "ip",
			"Targets": []any{map[string]any{"Id": "10.0.0.5", "Port": 8080}}}})
	if err != nil {
		t.Fatal(err)
	}
	l, err := p["AWS::ElasticLoadBalancingV2::Listener"].Create(ctx, kit.ResourceRequest{LogicalID: "L", Properties: map[string]any{
		"LoadBalancerArn": lb.PhysicalID, "Port": 80, "Protocol": "HTTP",
		"DefaultActions": []any{map[string]any{"Type": "forward", "TargetGroupArn": tg.PhysicalID}}}})
	if err != nil {
		t.Fatal(err)
	}
	rule, err := p["AWS::ElasticLoadBalancingV2::ListenerRule"].Create(ctx, kit.ResourceRequest{LogicalID: "R", Properties: map[string]any{
		"ListenerArn": l.PhysicalID, "Priority": 10,
		"Conditions": []any{map[string]any{"Field": "path-pattern", "Values": []any{"/api/*"}}},
		"Actions":    []any{map[string]any{"Type": "fixed-response", "FixedResponseConfig": map[string]any{"StatusCode": "404"}}}}})
	if err != nil {
		t.Fatal(err)
	}
	th, err := s.DescribeTargetHealth(ctx, &elbv2api.DescribeTargetHealthInput{TargetGroupArn: &tg.PhysicalID})
	if err != nil || len(th.TargetHealthDescriptions) != 1 {
		t.Fatalf("targets %+v %v", th, err)
	}
	for _, d := range []struct{ typ, id string }{{"ListenerRule", rule.PhysicalID}, {"Listener", l.PhysicalID},
		{"TargetGroup", tg.PhysicalID}, {"LoadBalancer", lb.PhysicalID}, {"LoadBalancer", lb.PhysicalID}} {
		if err := p["AWS::ElasticLoadBalancingV2::"+d.typ].Delete(ctx, kit.ResourceRequest{PhysicalID: d.id}); err != nil {
			t.Fatalf("delete %s: %v", d.typ, err)
		}
	}
}

// TestCloudFormationUpdatesInPlace: what AWS changes without replacement
// — a load balancer's security groups, attributes and tags, a target
// group's health check, attributes and targets, a rule's actions and
// priority — goes through the Set/Modify operations; ListenerCertificate
// adds and removes certificates of a listener's list.
func TestCloudFormationUpdatesInPlace(t *testing.T) {
	s, h := newTest(t)
	ctx := h.Ctx()
	p := s.cfnResources()
	lbType := p["AWS::ElasticLoadBalancingV2::LoadBalancer"]
	lbProps := map[string]any{"Name": "web", "Subnets": []any{"subnet-a", "subnet-b"}, "SecurityGroups": []any{"sg-1"},
		"LoadBalancerAttributes": []any{map[string]any{"Key": "idle_timeout.timeout_seconds", "Value": "30"}},
		"Tags":                   []any{map[string]any{"Key": "env", "Value": "dev"}}}
	lb, err := lbType.Create(ctx, kit.ResourceRequest{LogicalID: "LB", Properties: lbProps})
	if err != nil {
		t.Fatal(err)
	}
	lbAttr := func(key string) string {
		out, err := s.DescribeLoadBalancerAttributes(ctx, &elbv2api.DescribeLoadBalancerAttributesInput{LoadBalancerArn: &lb.PhysicalID})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range out.Attributes {
			if *a.Key == key {
				return *a.Value
			}
		}
		return ""
	}
	if lbAttr("idle_timeout.timeout_seconds") != "30" {
		t.Fatal("LoadBalancerAttributes not set on create")
	}
	// An attribute the API refuses fails the create and leaves no load
	// balancer behind.
	if _, err := lbType.Create(ctx, kit.ResourceRequest{LogicalID: "Bad", Properties: map[string]any{"Name": "bad", "Subnets": []any{"subnet-a", "subnet-b"},
		"LoadBalancerAttributes": []any{map[string]any{"Key": "no.such.attribute", "Value": "1"}}}}); err == nil {
		t.Fatal("an unknown attribute was accepted")
	}
	if _, err := s.DescribeLoadBalancers(ctx, &elbv2api.DescribeLoadBalancersInput{Names: []string{"bad"}}); !elbv2api.ErrLoadBalancerNotFoundException.Is(err) {
		t.Fatalf("the failed load balancer is left: %v", err)
	}
	lbUpd := map[string]any{"Name": "web", "Subnets": []any{"subnet-a", "subnet-b"}, "SecurityGroups": []any{"sg-2", "sg-3"},
		"LoadBalancerAttributes": []any{map[string]any{"Key": "idle_timeout.timeout_seconds", "Value": "120"}},
		"Tags":                   []any{map[string]any{"Key": "team", "Value": "web"}}}
	up, err := lbType.Update(ctx, kit.ResourceRequest{PhysicalID: lb.PhysicalID, Properties: lbUpd, OldProperties: lbProps})
	if err != nil {
		t.Fatal(err)
	}
	if sgs := up.Attributes["SecurityGroups"].([]any); len(sgs) != 2 || sgs[0] != "sg-2" || lbAttr("idle_timeout.timeout_seconds") != "120" {
		t.Fatalf("after update %v", up.Attributes)
	}
	tags, err := s.DescribeTags(ctx, &elbv2api.DescribeTagsInput{ResourceArns: []string{lb.PhysicalID}})
	if err != nil || len(tags.TagDescriptions[0].Tags) != 1 || *tags.TagDescriptions[0].Tags[0].Key != "team" {
		t.Fatalf("tags %+v %v", tags, err)
	}
	if !slices.Contains(lbType.Replace, "Scheme") || slices.Contains(lbType.Replace, "SecurityGroups") {
		t.Fatalf("load balancer Replace %v", lbType.Replace)
	}

	tgType := p["AWS::ElasticLoadBalancingV2::TargetGroup"]
	target := func(ip string) map[string]any { return map[string]any{"Id": ip, "Port": 8080} }
	tgProps := map[string]any{"Port": 80, "Protocol": "HTTP", "VpcId": "vpc-1", "TargetType": "ip", "HealthCheckPath": "/",
		"TargetGroupAttributes": []any{map[string]any{"Key": "deregistration_delay.timeout_seconds", "Value": "10"}},
		"Targets":               []any{target("10.0.0.5"), target("10.0.0.6")}}
	tg, err := tgType.Create(ctx, kit.ResourceRequest{LogicalID: "TG", StackName: "web", Properties: tgProps})
	if err != nil {
		t.Fatal(err)
	}
	tgUpd := map[string]any{"Port": 80, "Protocol": "HTTP", "VpcId": "vpc-1", "TargetType": "ip", "HealthCheckPath": "/healthz",
		"Matcher":               map[string]any{"HttpCode": "200-299"},
		"TargetGroupAttributes": []any{map[string]any{"Key": "deregistration_delay.timeout_seconds", "Value": "5"}},
		"Targets":               []any{target("10.0.0.6"), target("10.0.0.7")}}
	if _, err := tgType.Update(ctx, kit.ResourceRequest{PhysicalID: tg.PhysicalID, Properties: tgUpd, OldProperties: tgProps}); err != nil {
		t.Fatal(err)
	}
	gotTG, err := s.DescribeTargetGroups(ctx, &elbv2api.DescribeTargetGroupsInput{TargetGroupArns: []string{tg.PhysicalID}})
	if err != nil || *gotTG.TargetGroups[0].HealthCheckPath != "/healthz" || *gotTG.TargetGroups[0].Matcher.HttpCode != "200-299" {
		t.Fatalf("target group %+v %v", gotTG, err)
	}
	tga, err := s.DescribeTargetGroupAttributes(ctx, &elbv2api.DescribeTargetGroupAttributesInput{TargetGroupArn: &tg.PhysicalID})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range tga.Attributes {
		if *a.Key == "deregistration_delay.timeout_seconds" && *a.Value != "5" {
			t.Fatalf("deregistration delay %s", *a.Value)
		}
	}
	th, err := s.DescribeTargetHealth(ctx, &elbv2api.DescribeTargetHealthInput{TargetGroupArn: &tg.PhysicalID})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, d := range th.TargetHealthDescriptions {
		if d.TargetHealth == nil || d.TargetHealth.State == nil || *d.TargetHealth.State != "draining" {
			ids = append(ids, *d.Target.Id)
		}
	}
	slices.Sort(ids)
	if strings.Join(ids, ",") != "10.0.0.6,10.0.0.7" {
		t.Fatalf("targets %v", ids)
	}

	cert := func(n string) string { return "arn:aws:acm:us-east-1:" + h.Account + ":certificate/" + n }
	l, err := p["AWS::ElasticLoadBalancingV2::Listener"].Create(ctx, kit.ResourceRequest{LogicalID: "L", Properties: map[string]any{
		"LoadBalancerArn": lb.PhysicalID, "Port": 443, "Protocol": "HTTPS", "Certificates": []any{map[string]any{"CertificateArn": cert("default")}},
		"DefaultActions": []any{map[string]any{"Type": "forward", "TargetGroupArn": tg.PhysicalID}}}})
	if err != nil {
		t.Fatal(err)
	}
	ruleType := p["AWS::ElasticLoadBalancingV2::ListenerRule"]
	ruleProps := map[string]any{"ListenerArn": l.PhysicalID, "Priority": 10,
		"Conditions": []any{map[string]any{"Field": "path-pattern", "Values": []any{"/api/*"}}},
		"Actions":    []any{map[string]any{"Type": "fixed-response", "FixedResponseConfig": map[string]any{"StatusCode": "404"}}}}
	rule, err := ruleType.Create(ctx, kit.ResourceRequest{LogicalID: "R", Properties: ruleProps})
	if err != nil {
		t.Fatal(err)
	}
	ruleUpd := map[string]any{"ListenerArn": l.PhysicalID, "Priority": "20",
		"Conditions": []any{map[string]any{"Field": "path-pattern", "Values": []any{"/v2/*"}}},
		"Actions":    []any{map[string]any{"Type": "forward", "TargetGroupArn": tg.PhysicalID}}}
	if _, err := ruleType.Update(ctx, kit.ResourceRequest{PhysicalID: rule.PhysicalID, Properties: ruleUpd, OldProperties: ruleProps}); err != nil {
		t.Fatal(err)
	}
	rules, err := s.DescribeRules(ctx, &elbv2api.DescribeRulesInput{RuleArns: []string{rule.PhysicalID}})
	if err != nil || *rules.Rules[0].Priority != "20" || *rules.Rules[0].Actions[0].Type != "forward" || rules.Rules[0].Conditions[0].Values[0] != "/v2/*" {
		t.Fatalf("rule %+v %v", rules, err)
	}

	lcType := p["AWS::ElasticLoadBalancingV2::ListenerCertificate"]
	lcProps := map[string]any{"ListenerArn": l.PhysicalID, "Certificates": []any{map[string]any{"CertificateArn": cert("a")}}}
	lc, err := lcType.Create(ctx, kit.ResourceRequest{LogicalID: "LC", Properties: lcProps})
	if err != nil {
		t.Fatal(err)
	}
	listed := func() []string {
		out, err := s.DescribeListenerCertificates(ctx, &elbv2api.DescribeListenerCertificatesInput{ListenerArn: &l.PhysicalID})
		if err != nil {
			t.Fatal(err)
		}
		var arns []string
		for _, c := range out.Certificates {
			if c.IsDefault == nil || !*c.IsDefault {
				arns = append(arns, *c.CertificateArn)
			}
		}
		return arns
	}
	if got := listed(); len(got) != 1 || got[0] != cert("a") {
		t.Fatalf("certificates %v", got)
	}
	lcUpd := map[string]any{"ListenerArn": l.PhysicalID, "Certificates": []any{map[string]any{"CertificateArn": cert("b")}}}
	if _, err := lcType.Update(ctx, kit.ResourceRequest{PhysicalID: lc.PhysicalID, Properties: lcUpd, OldProperties: lcProps}); err != nil {
		t.Fatal(err)
	}
	if got := listed(); len(got) != 1 || got[0] != cert("b") {
		t.Fatalf("certificates after update %v", got)
	}
	if _, err := lcType.Create(ctx, kit.ResourceRequest{LogicalID: "Bad", Properties: map[string]any{"ListenerArn": l.PhysicalID,
		"Certificates": []any{map[string]any{"CertificateArn": "not-an-arn"}}}}); !elbv2api.ErrCertificateNotFoundException.Is(err) {
		t.Fatalf("bad certificate: %v", err)
	}
	if err := lcType.Delete(ctx, kit.ResourceRequest{PhysicalID: lc.PhysicalID, Properties: lcUpd}); err != nil {
		t.Fatal(err)
	}
	if got := listed(); len(got) != 0 {
		t.Fatalf("certificates after delete %v", got)
	}
	for _, d := range []struct{ typ, id string }{{"ListenerRule", rule.PhysicalID}, {"Listener", l.PhysicalID},
		{"ListenerCertificate", lc.PhysicalID}, {"TargetGroup", tg.PhysicalID}, {"LoadBalancer", lb.PhysicalID}} {
		if err := p["AWS::ElasticLoadBalancingV2::"+d.typ].Delete(ctx, kit.ResourceRequest{PhysicalID: d.id}); err != nil {
			t.Fatalf("delete %s: %v", d.typ, err)
		}
	}
}
