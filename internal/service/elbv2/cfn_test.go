package elbv2

import (
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
