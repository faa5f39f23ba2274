package elb

import (
	"strings"
	"testing"

	elbapi "github.com/niwa-cloud/niwa/internal/api/elb"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/servicetest"
)

// TestCloudFormationLoadBalancer: a Classic load balancer made with a
// health check, instances and attributes, read back, updated (a
// listener replaced, an instance swapped, tags) and deleted through the
// provider.
func TestCloudFormationLoadBalancer(t *testing.T) {
	h := servicetest.New(t, "elb")
	s := New(Options{Store: h.Store(), Clock: h.Clock})
	t.Cleanup(func() { _ = s.Close() })
	ctx := h.Ctx()
	p := s.cfnResources()["AWS::ElasticLoadBalancing::LoadBalancer"]
	r := kit.ResourceRequest{LogicalID: "Web", StackName: "stack", Properties: map[string]any{
		"AvailabilityZones": []any{"us-east-1a"}, "Instances": []any{"i-1", "i-2"}, "CrossZone": "true",
		"Listeners":                []any{map[string]any{"Protocol": "HTTP", "LoadBalancerPort": "80", "InstancePort": "8080"}},
		"HealthCheck":              map[string]any{"Target": "HTTP:8080/health", "Interval": "10", "Timeout": "5", "HealthyThreshold": "2", "UnhealthyThreshold": "3"},
		"ConnectionDrainingPolicy": map[string]any{"Enabled": true, "Timeout": 60},
		"Tags":                     []any{map[string]any{"Key": "team", "Value": "web"}}}}
	res, err := p.Create(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(res.PhysicalID, "stack-Web-") || len(res.PhysicalID) > 32 ||
		!strings.HasSuffix(res.Attributes["DNSName"].(string), DNSSuffix) || res.Attributes["CanonicalHostedZoneNameID"] == "" ||
		res.Attributes["SourceSecurityGroup.GroupName"] != "amazon-elb-sg" {
		t.Fatalf("created %+v", res)
	}
	live, err := p.Read(ctx, kit.ResourceRequest{PhysicalID: res.PhysicalID})
	if err != nil || len(live["Instances"].([]any)) != 2 || live["HealthCheck"].(map[string]any)["Target"] != "HTTP:8080/health" {
		t.Fatalf("read %v %v", live, err)
	}
	attrs, err := s.DescribeLoadBalancerAttributes(ctx, &elbapi.DescribeLoadBalancerAttributesInput{LoadBalancerName: &res.PhysicalID})
	if err != nil || !*attrs.LoadBalancerAttributes.CrossZoneLoadBalancing.Enabled || *attrs.LoadBalancerAttributes.ConnectionDraining.Timeout != 60 {
		t.Fatalf("attributes %+v %v", attrs, err)
	}
	up := r
	up.PhysicalID, up.OldProperties = res.PhysicalID, r.Properties
	up.Properties = map[string]any{"AvailabilityZones": []any{"us-east-1a"}, "Instances": []any{"i-2", "i-3"},
		"Listeners": []any{map[string]any{"Protocol": "TCP", "LoadBalancerPort": "80", "InstancePort": "9090"}},
		"Tags":      []any{map[string]any{"Key": "env", "Value": "prod"}}}
	if _, err := p.Update(ctx, up); err != nil {
		t.Fatal(err)
	}
	out, err := s.DescribeLoadBalancers(ctx, &elbapi.DescribeAccessPointsInput{LoadBalancerNames: []string{res.PhysicalID}})
	if err != nil {
		t.Fatal(err)
	}
	d := out.LoadBalancerDescriptions[0]
	if len(d.ListenerDescriptions) != 1 || *d.ListenerDescriptions[0].Listener.Protocol != "TCP" || *d.ListenerDescriptions[0].Listener.InstancePort != 9090 ||
		len(d.Instances) != 2 || (*d.Instances[0].InstanceId != "i-3" && *d.Instances[1].InstanceId != "i-3") {
		t.Fatalf("after update %+v", d)
	}
	attrs, err = s.DescribeLoadBalancerAttributes(ctx, &elbapi.DescribeLoadBalancerAttributesInput{LoadBalancerName: &res.PhysicalID})
	if err != nil || *attrs.LoadBalancerAttributes.CrossZoneLoadBalancing.Enabled || *attrs.LoadBalancerAttributes.ConnectionDraining.Enabled {
		t.Fatalf("attributes after update %+v %v", attrs, err)
	}
	tags, err := s.DescribeTags(ctx, &elbapi.DescribeTagsInput{LoadBalancerNames: []string{res.PhysicalID}})
	if err != nil || len(tags.TagDescriptions[0].Tags) != 1 || *tags.TagDescriptions[0].Tags[0].Key != "env" {
		t.Fatalf("tags %+v %v", tags, err)
	}
	if err := p.Delete(ctx, up); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Read(ctx, up); err != kit.ErrResourceGone {
		t.Fatalf("read after delete: %v", err)
	}
	// The API's checks are the provider's, and a failed create leaves
	// nothing behind.
	bad := kit.ResourceRequest{LogicalID: "Bad", StackName: "stack", Properties: map[string]any{"LoadBalancerName": "bad",
		"AvailabilityZones": []any{"us-east-1a"}, "Listeners": []any{map[string]any{"Protocol": "HTTP", "LoadBalancerPort": 80, "InstancePort": 80}},
		"HealthCheck": map[string]any{"Target": "HTTP:80/", "Interval": 1, "Timeout": 5, "HealthyThreshold": 2, "UnhealthyThreshold": 2}}}
	if _, err := p.Create(ctx, bad); err == nil {
		t.Fatal("a bad health check was taken")
	}
	if _, err := s.DescribeLoadBalancers(ctx, &elbapi.DescribeAccessPointsInput{LoadBalancerNames: []string{"bad"}}); !elbapi.ErrAccessPointNotFoundException.Is(err) {
		t.Fatalf("failed create left %v", err)
	}
}
