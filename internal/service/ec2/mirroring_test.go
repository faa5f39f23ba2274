package ec2

import (
	"testing"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

func TestTrafficMirroring(t *testing.T) {
	f := newFixture(t, "us-east-1")
	vpc := must(f.CreateVpc(f.ctx, &ec2api.CreateVpcRequest{CidrBlock: ptr.To("10.40.0.0/16")})).Vpc.VpcId
	sub := must(f.CreateSubnet(f.ctx, &ec2api.CreateSubnetRequest{VpcId: vpc, CidrBlock: ptr.To("10.40.1.0/24")})).Subnet.SubnetId
	eni := func() *string {
		return must(f.CreateNetworkInterface(f.ctx, &ec2api.CreateNetworkInterfaceRequest{SubnetId: sub})).NetworkInterface.NetworkInterfaceId
	}
	src, dst := eni(), eni()
	flt := must(f.CreateTrafficMirrorFilter(f.ctx, &ec2api.CreateTrafficMirrorFilterRequest{Description: ptr.To("web")})).TrafficMirrorFilter.TrafficMirrorFilterId
	rule := func(n int32, dir string, proto *int32, ports *ec2api.TrafficMirrorPortRangeRequest, srcCIDR string) (*ec2api.TrafficMirrorFilterRule, error) {
		out, err := f.CreateTrafficMirrorFilterRule(f.ctx, &ec2api.CreateTrafficMirrorFilterRuleRequest{TrafficMirrorFilterId: flt, TrafficDirection: ptr.To(dir), RuleNumber: ptr.To(n),
			RuleAction: ptr.To("accept"), Protocol: proto, DestinationPortRange: ports, SourceCidrBlock: ptr.To(srcCIDR), DestinationCidrBlock: ptr.To("0.0.0.0/0")})
		if err != nil {
			return nil, err
		}
		return out.TrafficMirrorFilterRule, nil
	}
	r1 := must(rule(100, "ingress", ptr.To(int32(6)), &ec2api.TrafficMirrorPortRangeRequest{FromPort: ptr.To(int32(443)), ToPort: ptr.To(int32(443))}, "10.0.0.0/8"))
	must(rule(10, "ingress", nil, nil, "0.0.0.0/0"))
	must(rule(100, "egress", nil, nil, "0.0.0.0/0"))
	rerrs := []struct {
		name  string
		n     int32
		proto *int32
		ports *ec2api.TrafficMirrorPortRangeRequest
		src   string
	}{
		{"duplicate number", 100, nil, nil, "0.0.0.0/0"},
		{"number out of range", 40000, nil, nil, "0.0.0.0/0"},
		{"ports without TCP or UDP", 5, ptr.To(int32(1)), &ec2api.TrafficMirrorPortRangeRequest{FromPort: ptr.To(int32(1)), ToPort: ptr.To(int32(2))}, "0.0.0.0/0"},
		{"reversed ports", 6, ptr.To(int32(17)), &ec2api.TrafficMirrorPortRangeRequest{FromPort: ptr.To(int32(9)), ToPort: ptr.To(int32(2))}, "0.0.0.0/0"},
		{"bad CIDR", 7, nil, nil, "10.0.0.0/40"},
		{"mixed families", 8, nil, nil, "::/0"},
		{"protocol out of range", 9, ptr.To(int32(300)), nil, "0.0.0.0/0"},
	}
	for _, c := range rerrs {
		t.Run(c.name, func(t *testing.T) {
			_, err := rule(c.n, "ingress", c.proto, c.ports, c.src)
			wantErr(t, err, "InvalidParameterValue", "")
		})
	}
	got := must(f.DescribeTrafficMirrorFilters(f.ctx, &ec2api.DescribeTrafficMirrorFiltersRequest{TrafficMirrorFilterIds: []string{*flt}})).TrafficMirrorFilters[0]
	if len(got.IngressFilterRules) != 2 || ptr.Deref(got.IngressFilterRules[0].RuleNumber) != 10 || len(got.EgressFilterRules) != 1 {
		t.Fatalf("filter rules %+v / %+v", got.IngressFilterRules, got.EgressFilterRules)
	}
	mod := must(f.ModifyTrafficMirrorFilterRule(f.ctx, &ec2api.ModifyTrafficMirrorFilterRuleRequest{TrafficMirrorFilterRuleId: r1.TrafficMirrorFilterRuleId,
		TrafficDirection: ptr.To("egress"), RuleNumber: ptr.To(int32(200)), RemoveFields: []string{"destination-port-range"}})).TrafficMirrorFilterRule
	if ptr.Deref(mod.TrafficDirection) != "egress" || mod.DestinationPortRange != nil {
		t.Fatalf("modified rule %+v", mod)
	}
	byDir := must(f.DescribeTrafficMirrorFilterRules(f.ctx, &ec2api.DescribeTrafficMirrorFilterRulesRequest{TrafficMirrorFilterId: flt,
		Filters: []ec2api.Filter{{Name: ptr.To("traffic-direction"), Values: []string{"egress"}}}})).TrafficMirrorFilterRules
	if len(byDir) != 2 {
		t.Fatalf("egress rules %+v", byDir)
	}
	must(f.ModifyTrafficMirrorFilterNetworkServices(f.ctx, &ec2api.ModifyTrafficMirrorFilterNetworkServicesRequest{TrafficMirrorFilterId: flt, AddNetworkServices: []string{"amazon-dns"}}))

	tgt := must(f.CreateTrafficMirrorTarget(f.ctx, &ec2api.CreateTrafficMirrorTargetRequest{NetworkInterfaceId: dst})).TrafficMirrorTarget
	if ptr.Deref(tgt.Type) != "network-interface" {
		t.Fatalf("target %+v", tgt)
	}
	terrs := []struct {
		name string
		in   ec2api.CreateTrafficMirrorTargetRequest
		code string
	}{
		{"none", ec2api.CreateTrafficMirrorTargetRequest{}, "InvalidParameterCombination"},
		{"two", ec2api.CreateTrafficMirrorTargetRequest{NetworkInterfaceId: dst, GatewayLoadBalancerEndpointId: ptr.To("vpce-0123456789abcdef0")}, "InvalidParameterCombination"},
		{"malformed NLB", ec2api.CreateTrafficMirrorTargetRequest{NetworkLoadBalancerArn: ptr.To("arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/x/0123456789abcdef")}, "InvalidNetworkLoadBalancerArn.Malformed"},
		{"unknown interface", ec2api.CreateTrafficMirrorTargetRequest{NetworkInterfaceId: ptr.To("eni-0123456789abcdef0")}, "InvalidNetworkInterfaceID.NotFound"},
	}
	for _, c := range terrs {
		t.Run(c.name, func(t *testing.T) {
			_, err := f.CreateTrafficMirrorTarget(f.ctx, &c.in)
			wantErr(t, err, c.code, "")
		})
	}
	must(f.CreateTrafficMirrorTarget(f.ctx, &ec2api.CreateTrafficMirrorTargetRequest{NetworkLoadBalancerArn: ptr.To("arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/sink/0123456789abcdef")}))

	session := func(n int32, source *string) (*ec2api.TrafficMirrorSession, error) {
		out, err := f.CreateTrafficMirrorSession(f.ctx, &ec2api.CreateTrafficMirrorSessionRequest{NetworkInterfaceId: source, TrafficMirrorTargetId: tgt.TrafficMirrorTargetId,
			TrafficMirrorFilterId: flt, SessionNumber: ptr.To(n)})
		if err != nil {
			return nil, err
		}
		return out.TrafficMirrorSession, nil
	}
	s1 := must(session(1, src))
	if v := ptr.Deref(s1.VirtualNetworkId); v < 0 || v > 16777215 {
		t.Errorf("virtual network id %d", v)
	}
	_, err := session(1, src)
	wantErr(t, err, "InvalidParameterValue", "")
	_, err = session(2, dst)
	wantErr(t, err, "InvalidParameterValue", "")
	must(session(2, src))
	must(session(3, src))
	_, err = session(4, src)
	wantErr(t, err, "TrafficMirrorSessionLimitExceeded", "")
	m := must(f.ModifyTrafficMirrorSession(f.ctx, &ec2api.ModifyTrafficMirrorSessionRequest{TrafficMirrorSessionId: s1.TrafficMirrorSessionId, PacketLength: ptr.To(int32(128)), Description: ptr.To("x")})).TrafficMirrorSession
	if ptr.Deref(m.PacketLength) != 128 {
		t.Fatalf("modified session %+v", m)
	}
	bySrc := must(f.DescribeTrafficMirrorSessions(f.ctx, &ec2api.DescribeTrafficMirrorSessionsRequest{Filters: []ec2api.Filter{{Name: ptr.To("packet-length"), Values: []string{"128"}}}})).TrafficMirrorSessions
	if len(bySrc) != 1 {
		t.Fatalf("sessions by packet length %+v", bySrc)
	}
	_, err = f.DeleteTrafficMirrorFilter(f.ctx, &ec2api.DeleteTrafficMirrorFilterRequest{TrafficMirrorFilterId: flt})
	wantErr(t, err, "DependencyViolation", "")
	_, err = f.DeleteTrafficMirrorTarget(f.ctx, &ec2api.DeleteTrafficMirrorTargetRequest{TrafficMirrorTargetId: tgt.TrafficMirrorTargetId})
	wantErr(t, err, "DependencyViolation", "")
	for _, v := range must(f.DescribeTrafficMirrorSessions(f.ctx, &ec2api.DescribeTrafficMirrorSessionsRequest{})).TrafficMirrorSessions {
		must(f.DeleteTrafficMirrorSession(f.ctx, &ec2api.DeleteTrafficMirrorSessionRequest{TrafficMirrorSessionId: v.TrafficMirrorSessionId}))
	}
	must(f.DeleteTrafficMirrorFilterRule(f.ctx, &ec2api.DeleteTrafficMirrorFilterRuleRequest{TrafficMirrorFilterRuleId: r1.TrafficMirrorFilterRuleId}))
	_, err = f.DeleteTrafficMirrorFilterRule(f.ctx, &ec2api.DeleteTrafficMirrorFilterRuleRequest{TrafficMirrorFilterRuleId: r1.TrafficMirrorFilterRuleId})
	wantErr(t, err, "InvalidTrafficMirrorFilterRuleNotFound", "")
	must(f.DeleteTrafficMirrorFilter(f.ctx, &ec2api.DeleteTrafficMirrorFilterRequest{TrafficMirrorFilterId: flt}))
	must(f.DeleteTrafficMirrorTarget(f.ctx, &ec2api.DeleteTrafficMirrorTargetRequest{TrafficMirrorTargetId: tgt.TrafficMirrorTargetId}))
	_, err = f.DescribeTrafficMirrorFilters(f.ctx, &ec2api.DescribeTrafficMirrorFiltersRequest{TrafficMirrorFilterIds: []string{*flt}})
	wantErr(t, err, "InvalidTrafficMirrorFilterNotFound", "")
	// Tags through CreateTags.
	tmf := must(f.CreateTrafficMirrorFilter(f.ctx, &ec2api.CreateTrafficMirrorFilterRequest{})).TrafficMirrorFilter.TrafficMirrorFilterId
	must(f.CreateTags(f.ctx, &ec2api.CreateTagsRequest{Resources: []string{*tmf}, Tags: []ec2api.Tag{{Key: ptr.To("k"), Value: ptr.To("v")}}}))
	if got := must(f.DescribeTrafficMirrorFilters(f.ctx, &ec2api.DescribeTrafficMirrorFiltersRequest{Filters: []ec2api.Filter{{Name: ptr.To("tag:k"), Values: []string{"v"}}}})).TrafficMirrorFilters; len(got) != 1 {
		t.Fatalf("tagged filters %+v", got)
	}
}
