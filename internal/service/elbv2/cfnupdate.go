package elbv2

import (
	"reflect"
	"sort"
	"strconv"
	"strings"

	elbv2api "github.com/niwa-cloud/niwa/internal/api/elbv2"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/request"
)

// In-place updates: what AWS's resource reference marks "No
// interruption" goes through the service's Set*/Modify* operations; the
// rest is in each type's Replace.

// changed reports whether the template changed property name.
func changed(r kit.ResourceRequest, name string) bool {
	return !reflect.DeepEqual(r.Properties[name], r.OldProperties[name])
}

// cfnKeyValues reads [{Key, Value}] attributes.
func cfnKeyValues(props map[string]any, name string) map[string]string {
	return kit.PropTags(map[string]any{"Tags": props[name]})
}

// cfnAttributeChanges are the attributes to set: every one the template
// gives (a removed one keeps its value, as on AWS).
func cfnAttributeChanges(r kit.ResourceRequest, name string) (keys []string, values map[string]string) {
	values = cfnKeyValues(r.Properties, name)
	for k := range values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys, values
}

func (s *ELBv2) cfnLBAttributes(ctx *request.Context, arn string, props map[string]any) error {
	keys, values := cfnAttributeChanges(kit.ResourceRequest{Properties: props}, "LoadBalancerAttributes")
	if len(keys) == 0 {
		return nil
	}
	in := &elbv2api.ModifyLoadBalancerAttributesInput{LoadBalancerArn: &arn}
	for _, k := range keys {
		k, v := k, values[k]
		in.Attributes = append(in.Attributes, elbv2api.LoadBalancerAttribute{Key: &k, Value: &v})
	}
	_, err := s.ModifyLoadBalancerAttributes(ctx, in)
	return err
}

func (s *ELBv2) cfnTGAttributes(ctx *request.Context, arn string, props map[string]any) error {
	keys, values := cfnAttributeChanges(kit.ResourceRequest{Properties: props}, "TargetGroupAttributes")
	if len(keys) == 0 {
		return nil
	}
	in := &elbv2api.ModifyTargetGroupAttributesInput{TargetGroupArn: &arn}
	for _, k := range keys {
		k, v := k, values[k]
		in.Attributes = append(in.Attributes, elbv2api.TargetGroupAttribute{Key: &k, Value: &v})
	}
	_, err := s.ModifyTargetGroupAttributes(ctx, in)
	return err
}

// cfnUpdateTags applies the Tags property's changes to arn.
func (s *ELBv2) cfnUpdateTags(ctx *request.Context, arn string, r kit.ResourceRequest) error {
	old, cur := kit.PropTags(r.OldProperties), kit.PropTags(r.Properties)
	var add []elbv2api.Tag
	var drop []string
	for k, v := range cur {
		if ov, ok := old[k]; !ok || ov != v {
			k, v := k, v
			add = append(add, elbv2api.Tag{Key: &k, Value: &v})
		}
	}
	for k := range old {
		if _, ok := cur[k]; !ok {
			drop = append(drop, k)
		}
	}
	if len(drop) > 0 {
		sort.Strings(drop)
		if _, err := s.RemoveTags(ctx, &elbv2api.RemoveTagsInput{ResourceArns: []string{arn}, TagKeys: drop}); err != nil {
			return err
		}
	}
	if len(add) > 0 {
		if _, err := s.AddTags(ctx, &elbv2api.AddTagsInput{ResourceArns: []string{arn}, Tags: add}); err != nil {
			return err
		}
	}
	return nil
}

func (s *ELBv2) cfnUpdateLoadBalancer(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	arn := r.PhysicalID
	if changed(r, "SecurityGroups") {
		if _, err := s.SetSecurityGroups(ctx, &elbv2api.SetSecurityGroupsInput{LoadBalancerArn: &arn,
			SecurityGroups: kit.PropList(r.Properties, "SecurityGroups")}); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	if changed(r, "Subnets") || changed(r, "SubnetMappings") {
		in := &elbv2api.SetSubnetsInput{}
		if err := cfnDecode(map[string]any{"Subnets": r.Properties["Subnets"], "SubnetMappings": r.Properties["SubnetMappings"]}, in); err != nil {
			return kit.ResourceResult{}, err
		}
		in.LoadBalancerArn = &arn
		if _, err := s.SetSubnets(ctx, in); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	if changed(r, "IpAddressType") {
		t := r.Str("IpAddressType")
		if t == "" {
			t = "ipv4"
		}
		if _, err := s.SetIpAddressType(ctx, &elbv2api.SetIpAddressTypeInput{LoadBalancerArn: &arn, IpAddressType: &t}); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	if changed(r, "LoadBalancerAttributes") {
		if err := s.cfnLBAttributes(ctx, arn, r.Properties); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	if err := s.cfnUpdateTags(ctx, arn, r); err != nil {
		return kit.ResourceResult{}, err
	}
	out, err := s.DescribeLoadBalancers(ctx, &elbv2api.DescribeLoadBalancersInput{LoadBalancerArns: []string{arn}})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return cfnLBResult(out.LoadBalancers[0]), nil
}

// cfnTargets reads Targets ([{Id, Port, AvailabilityZone}]).
func cfnTargets(props map[string]any) ([]elbv2api.TargetDescription, error) {
	reg := &elbv2api.RegisterTargetsInput{}
	if err := cfnDecode(map[string]any{"Targets": props["Targets"]}, reg); err != nil {
		return nil, err
	}
	return reg.Targets, nil
}

func cfnTargetKey(t elbv2api.TargetDescription) string {
	k := cfnDeref(t.Id) + "/" + cfnDeref(t.AvailabilityZone)
	if t.Port != nil {
		k += "/" + strconv.Itoa(int(*t.Port))
	}
	return k
}

func (s *ELBv2) cfnUpdateTargetGroup(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	arn := r.PhysicalID
	mod := &elbv2api.ModifyTargetGroupInput{}
	props := map[string]any{}
	for k, v := range r.Properties {
		if strings.HasPrefix(k, "HealthCheck") || strings.HasSuffix(k, "ThresholdCount") || k == "Matcher" {
			props[k] = v
		}
	}
	if err := cfnDecode(props, mod); err != nil {
		return kit.ResourceResult{}, err
	}
	if len(props) > 0 {
		mod.TargetGroupArn = &arn
		if _, err := s.ModifyTargetGroup(ctx, mod); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	if changed(r, "TargetGroupAttributes") {
		if err := s.cfnTGAttributes(ctx, arn, r.Properties); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	if changed(r, "Targets") {
		old, err := cfnTargets(r.OldProperties)
		if err != nil {
			return kit.ResourceResult{}, err
		}
		cur, err := cfnTargets(r.Properties)
		if err != nil {
			return kit.ResourceResult{}, err
		}
		keep := map[string]bool{}
		for _, t := range cur {
			keep[cfnTargetKey(t)] = true
		}
		var drop []elbv2api.TargetDescription
		for _, t := range old {
			if !keep[cfnTargetKey(t)] {
				drop = append(drop, t)
			}
		}
		if len(drop) > 0 {
			if _, err := s.DeregisterTargets(ctx, &elbv2api.DeregisterTargetsInput{TargetGroupArn: &arn, Targets: drop}); err != nil {
				return kit.ResourceResult{}, err
			}
		}
		if len(cur) > 0 {
			if _, err := s.RegisterTargets(ctx, &elbv2api.RegisterTargetsInput{TargetGroupArn: &arn, Targets: cur}); err != nil {
				return kit.ResourceResult{}, err
			}
		}
	}
	if err := s.cfnUpdateTags(ctx, arn, r); err != nil {
		return kit.ResourceResult{}, err
	}
	out, err := s.DescribeTargetGroups(ctx, &elbv2api.DescribeTargetGroupsInput{TargetGroupArns: []string{arn}})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return cfnTGResult(out.TargetGroups[0]), nil
}

func (s *ELBv2) cfnUpdateRule(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	if changed(r, "Actions") || changed(r, "Conditions") {
		in := &elbv2api.ModifyRuleInput{}
		if err := cfnDecode(map[string]any{"Actions": r.Properties["Actions"], "Conditions": r.Properties["Conditions"]}, in); err != nil {
			return kit.ResourceResult{}, err
		}
		in.RuleArn = &r.PhysicalID
		if _, err := s.ModifyRule(ctx, in); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	if changed(r, "Priority") {
		pair := elbv2api.RulePriorityPair{}
		if err := cfnDecode(map[string]any{"Priority": r.Properties["Priority"]}, &pair); err != nil {
			return kit.ResourceResult{}, err
		}
		pair.RuleArn = &r.PhysicalID
		if _, err := s.SetRulePriorities(ctx, &elbv2api.SetRulePrioritiesInput{RulePriorities: []elbv2api.RulePriorityPair{pair}}); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	return kit.ResourceResult{PhysicalID: r.PhysicalID, Attributes: map[string]any{"RuleArn": r.PhysicalID, "IsDefault": false}}, nil
}

// AWS::ElasticLoadBalancingV2::ListenerCertificate adds certificates to
// a listener's certificate list (not its default certificate).

func cfnCertificates(props map[string]any) []elbv2api.Certificate {
	l, _ := props["Certificates"].([]any)
	var out []elbv2api.Certificate
	for _, e := range l {
		m, _ := e.(map[string]any)
		if a := kit.PropStr(m, "CertificateArn"); a != "" {
			out = append(out, elbv2api.Certificate{CertificateArn: &a})
		}
	}
	return out
}

func (s *ELBv2) cfnAddListenerCertificates(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	listener, certs := r.Str("ListenerArn"), cfnCertificates(r.Properties)
	if _, err := s.AddListenerCertificates(ctx, &elbv2api.AddListenerCertificatesInput{ListenerArn: &listener, Certificates: certs}); err != nil {
		return kit.ResourceResult{}, err
	}
	id := listener
	if len(certs) > 0 {
		id += "|" + *certs[0].CertificateArn
	}
	return kit.ResourceResult{PhysicalID: id}, nil
}

func (s *ELBv2) cfnUpdateListenerCertificates(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	listener := r.Str("ListenerArn")
	cur := cfnCertificates(r.Properties)
	keep := map[string]bool{}
	for _, c := range cur {
		keep[*c.CertificateArn] = true
	}
	var drop []elbv2api.Certificate
	for _, c := range cfnCertificates(r.OldProperties) {
		if !keep[*c.CertificateArn] {
			drop = append(drop, c)
		}
	}
	if len(cur) > 0 {
		if _, err := s.AddListenerCertificates(ctx, &elbv2api.AddListenerCertificatesInput{ListenerArn: &listener, Certificates: cur}); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	if len(drop) > 0 {
		if _, err := s.RemoveListenerCertificates(ctx, &elbv2api.RemoveListenerCertificatesInput{ListenerArn: &listener, Certificates: drop}); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	return kit.ResourceResult{PhysicalID: r.PhysicalID}, nil
}

func (s *ELBv2) cfnRemoveListenerCertificates(ctx *request.Context, r kit.ResourceRequest) error {
	listener, first, _ := strings.Cut(r.PhysicalID, "|")
	certs := cfnCertificates(r.Properties)
	if len(certs) == 0 && first != "" {
		certs = []elbv2api.Certificate{{CertificateArn: &first}}
	}
	if len(certs) == 0 {
		return nil
	}
	_, err := s.RemoveListenerCertificates(ctx, &elbv2api.RemoveListenerCertificatesInput{ListenerArn: &listener, Certificates: certs})
	if elbv2api.ErrListenerNotFoundException.Is(err) {
		return nil
	}
	return err
}
