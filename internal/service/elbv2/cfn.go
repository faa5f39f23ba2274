package elbv2

import (
	"encoding/json"
	"strings"

	elbv2api "github.com/niwa-cloud/niwa/internal/api/elbv2"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/request"
)

// cfnResources are ELBv2's CloudFormation resource types, made with the
// service's own handlers (the properties are the API's members).
func (s *ELBv2) cfnResources() map[string]kit.ResourceProvider {
	return map[string]kit.ResourceProvider{
		// Ref is the ARN; Fn::GetAtt DNSName, CanonicalHostedZoneID,
		// LoadBalancerArn, LoadBalancerFullName, LoadBalancerName, SecurityGroups.
		"AWS::ElasticLoadBalancingV2::LoadBalancer": {Create: s.cfnCreateLoadBalancer, Update: s.cfnUpdateLoadBalancer,
			Delete: s.cfnDeleteLoadBalancer, Replace: []string{"Name", "Scheme", "Type"}, Tags: true},
		// Ref is the ARN; Fn::GetAtt TargetGroupArn, TargetGroupFullName,
		// TargetGroupName, LoadBalancerArns.
		"AWS::ElasticLoadBalancingV2::TargetGroup": {Create: s.cfnCreateTargetGroup, Update: s.cfnUpdateTargetGroup,
			Delete: s.cfnDeleteTargetGroup, Tags: true,
			Replace: []string{"Name", "Port", "Protocol", "ProtocolVersion", "TargetType", "VpcId", "IpAddressType"}},
		// Ref is the ARN; Fn::GetAtt ListenerArn.
		"AWS::ElasticLoadBalancingV2::Listener": {Create: s.cfnCreateListener, Update: s.cfnModifyListener,
			Delete: s.cfnDeleteListener, Replace: []string{"LoadBalancerArn"}},
		// Ref is the ARN; Fn::GetAtt RuleArn, IsDefault.
		"AWS::ElasticLoadBalancingV2::ListenerRule": {Create: s.cfnCreateRule, Update: s.cfnUpdateRule, Delete: s.cfnDeleteRule,
			Replace: []string{"ListenerArn"}},
		// Ref is "listenerArn|certificateArn" (the first certificate).
		"AWS::ElasticLoadBalancingV2::ListenerCertificate": {Create: s.cfnAddListenerCertificates,
			Update: s.cfnUpdateListenerCertificates, Delete: s.cfnRemoveListenerCertificates, Replace: []string{"ListenerArn"}},
	}
}

// cfnDecode fills an API input from properties of the same names;
// properties the input does not take are left out.
func cfnDecode(props map[string]any, in any) error {
	for k, v := range props {
		b, err := json.Marshal(map[string]any{k: v})
		if err != nil {
			return err
		}
		if err := json.Unmarshal(b, in); err != nil {
			// Numbers given as strings ("80") are converted, as
			// CloudFormation does.
			if kit.DecodeProp(map[string]any{"v": map[string]any{k: v}}, "v", in) != nil {
				return awserr.ValidationError.New("Property %s is not valid: %v", k, err)
			}
		}
	}
	return nil
}

func cfnName(r kit.ResourceRequest, prop string) *string {
	n := r.Str(prop)
	if n == "" {
		n = strings.ToLower(kit.PhysicalName(r, 32))
		n = strings.Trim(strings.ReplaceAll(n, "_", "-"), "-")
	}
	return &n
}

func (s *ELBv2) cfnCreateLoadBalancer(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	in := &elbv2api.CreateLoadBalancerInput{}
	if err := cfnDecode(r.Properties, in); err != nil {
		return kit.ResourceResult{}, err
	}
	in.Name = cfnName(r, "Name")
	out, err := s.CreateLoadBalancer(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	lb := out.LoadBalancers[0]
	if err := s.cfnLBAttributes(ctx, *lb.LoadBalancerArn, r.Properties); err != nil {
		_, _ = s.DeleteLoadBalancer(ctx, &elbv2api.DeleteLoadBalancerInput{LoadBalancerArn: lb.LoadBalancerArn})
		return kit.ResourceResult{}, err
	}
	return cfnLBResult(lb), nil
}

func cfnLBResult(lb elbv2api.LoadBalancer) kit.ResourceResult {
	arn := *lb.LoadBalancerArn
	full := arn[strings.Index(arn, ":loadbalancer/")+len(":loadbalancer/"):]
	sgs := []any{}
	for _, g := range lb.SecurityGroups {
		sgs = append(sgs, g)
	}
	return kit.ResourceResult{PhysicalID: arn, Attributes: map[string]any{"LoadBalancerArn": arn, "DNSName": cfnDeref(lb.DNSName),
		"CanonicalHostedZoneID": cfnDeref(lb.CanonicalHostedZoneId), "LoadBalancerName": cfnDeref(lb.LoadBalancerName),
		"LoadBalancerFullName": full, "SecurityGroups": sgs}}
}

func cfnDeref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func (s *ELBv2) cfnDeleteLoadBalancer(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteLoadBalancer(ctx, &elbv2api.DeleteLoadBalancerInput{LoadBalancerArn: &r.PhysicalID})
	if err != nil && elbv2api.ErrLoadBalancerNotFoundException.Is(err) {
		return nil
	}
	return err
}

func (s *ELBv2) cfnCreateTargetGroup(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	in := &elbv2api.CreateTargetGroupInput{}
	props := map[string]any{}
	for k, v := range r.Properties {
		if k != "Targets" && k != "TargetGroupAttributes" {
			props[k] = v
		}
	}
	if err := cfnDecode(props, in); err != nil {
		return kit.ResourceResult{}, err
	}
	in.Name = cfnName(r, "Name")
	out, err := s.CreateTargetGroup(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	tg := out.TargetGroups[0]
	arn := *tg.TargetGroupArn
	if kit.Has(r.Properties, "Targets") {
		reg := &elbv2api.RegisterTargetsInput{}
		if err := cfnDecode(map[string]any{"Targets": r.Properties["Targets"]}, reg); err != nil {
			return kit.ResourceResult{}, err
		}
		reg.TargetGroupArn = &arn
		if len(reg.Targets) > 0 {
			if _, err := s.RegisterTargets(ctx, reg); err != nil {
				_, _ = s.DeleteTargetGroup(ctx, &elbv2api.DeleteTargetGroupInput{TargetGroupArn: &arn})
				return kit.ResourceResult{}, err
			}
		}
	}
	if err := s.cfnTGAttributes(ctx, arn, r.Properties); err != nil {
		_, _ = s.DeleteTargetGroup(ctx, &elbv2api.DeleteTargetGroupInput{TargetGroupArn: &arn})
		return kit.ResourceResult{}, err
	}
	return cfnTGResult(tg), nil
}

func cfnTGResult(tg elbv2api.TargetGroup) kit.ResourceResult {
	arn := *tg.TargetGroupArn
	full := arn[strings.Index(arn, ":targetgroup/")+1:]
	lbs := []any{}
	for _, l := range tg.LoadBalancerArns {
		lbs = append(lbs, l)
	}
	return kit.ResourceResult{PhysicalID: arn, Attributes: map[string]any{"TargetGroupArn": arn, "TargetGroupName": cfnDeref(tg.TargetGroupName),
		"TargetGroupFullName": full, "LoadBalancerArns": lbs}}
}

func (s *ELBv2) cfnDeleteTargetGroup(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteTargetGroup(ctx, &elbv2api.DeleteTargetGroupInput{TargetGroupArn: &r.PhysicalID})
	if err != nil && elbv2api.ErrTargetGroupNotFoundException.Is(err) {
		return nil
	}
	return err
}

func (s *ELBv2) cfnCreateListener(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	in := &elbv2api.CreateListenerInput{}
	if err := cfnDecode(r.Properties, in); err != nil {
		return kit.ResourceResult{}, err
	}
	out, err := s.CreateListener(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	arn := *out.Listeners[0].ListenerArn
	return kit.ResourceResult{PhysicalID: arn, Attributes: map[string]any{"ListenerArn": arn}}, nil
}

func (s *ELBv2) cfnModifyListener(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	in := &elbv2api.ModifyListenerInput{}
	props := map[string]any{}
	for k, v := range r.Properties {
		if k != "LoadBalancerArn" {
			props[k] = v
		}
	}
	if err := cfnDecode(props, in); err != nil {
		return kit.ResourceResult{}, err
	}
	in.ListenerArn = &r.PhysicalID
	if _, err := s.ModifyListener(ctx, in); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: r.PhysicalID, Attributes: map[string]any{"ListenerArn": r.PhysicalID}}, nil
}

func (s *ELBv2) cfnDeleteListener(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteListener(ctx, &elbv2api.DeleteListenerInput{ListenerArn: &r.PhysicalID})
	if err != nil && elbv2api.ErrListenerNotFoundException.Is(err) {
		return nil
	}
	return err
}

func (s *ELBv2) cfnCreateRule(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	in := &elbv2api.CreateRuleInput{}
	if err := cfnDecode(r.Properties, in); err != nil {
		return kit.ResourceResult{}, err
	}
	out, err := s.CreateRule(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	arn := *out.Rules[0].RuleArn
	return kit.ResourceResult{PhysicalID: arn, Attributes: map[string]any{"RuleArn": arn, "IsDefault": false}}, nil
}

func (s *ELBv2) cfnDeleteRule(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteRule(ctx, &elbv2api.DeleteRuleInput{RuleArn: &r.PhysicalID})
	if err != nil && elbv2api.ErrRuleNotFoundException.Is(err) {
		return nil
	}
	return err
}
