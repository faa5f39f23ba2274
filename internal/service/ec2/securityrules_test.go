package ec2

import (
	"testing"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

func TestSecurityGroupRulesAPI(t *testing.T) {
	f := newFixture(t, "us-east-1")
	vpc := must(f.CreateVpc(f.ctx, &ec2api.CreateVpcRequest{CidrBlock: ptr.To("10.1.0.0/16")})).Vpc.VpcId
	g := must(f.CreateSecurityGroup(f.ctx, &ec2api.CreateSecurityGroupRequest{GroupName: ptr.To("web"), Description: ptr.To("web"), VpcId: vpc})).GroupId
	auth := must(f.AuthorizeSecurityGroupIngress(f.ctx, &ec2api.AuthorizeSecurityGroupIngressRequest{GroupId: g, IpPermissions: []ec2api.IpPermission{
		{IpProtocol: ptr.To("tcp"), FromPort: ptr.To(int32(443)), ToPort: ptr.To(int32(443)), IpRanges: []ec2api.IpRange{{CidrIp: ptr.To("10.0.0.0/8"), Description: ptr.To("https")}, {CidrIp: ptr.To("192.168.0.0/16")}}}}}))
	if len(auth.SecurityGroupRules) != 2 {
		t.Fatalf("authorize answered %d rules", len(auth.SecurityGroupRules))
	}
	r0 := ptr.Deref(auth.SecurityGroupRules[0].SecurityGroupRuleId)
	if ptr.Deref(auth.SecurityGroupRules[0].Description) != "https" || ptr.Deref(auth.SecurityGroupRules[0].CidrIpv4) != "10.0.0.0/8" {
		t.Errorf("rule 0 = %+v", auth.SecurityGroupRules[0])
	}

	byGroup := func() map[string]ec2api.SecurityGroupRule {
		out := must(f.DescribeSecurityGroupRules(f.ctx, &ec2api.DescribeSecurityGroupRulesRequest{Filters: []ec2api.Filter{{Name: ptr.To("group-id"), Values: []string{*g}}}}))
		m := map[string]ec2api.SecurityGroupRule{}
		for _, r := range out.SecurityGroupRules {
			m[ptr.Deref(r.SecurityGroupRuleId)] = r
		}
		return m
	}
	rules := byGroup()
	if len(rules) != 3 { // two ingress and the default allow-all egress
		t.Fatalf("described %d rules: %v", len(rules), rules)
	}
	if _, ok := rules[r0]; !ok {
		t.Fatalf("authorize id %s not described (ids stable): %v", r0, rules)
	}
	one := must(f.DescribeSecurityGroupRules(f.ctx, &ec2api.DescribeSecurityGroupRulesRequest{SecurityGroupRuleIds: []string{r0}}))
	if len(one.SecurityGroupRules) != 1 {
		t.Errorf("by id: %d", len(one.SecurityGroupRules))
	}
	flt := must(f.DescribeSecurityGroupRules(f.ctx, &ec2api.DescribeSecurityGroupRulesRequest{Filters: []ec2api.Filter{{Name: ptr.To("security-group-rule-id"), Values: []string{r0}}}}))
	if len(flt.SecurityGroupRules) != 1 {
		t.Errorf("by filter: %d", len(flt.SecurityGroupRules))
	}

	must(f.ModifySecurityGroupRules(f.ctx, &ec2api.ModifySecurityGroupRulesRequest{GroupId: g, SecurityGroupRules: []ec2api.SecurityGroupRuleUpdate{{SecurityGroupRuleId: ptr.To(r0),
		SecurityGroupRule: &ec2api.SecurityGroupRuleRequest{IpProtocol: ptr.To("tcp"), FromPort: ptr.To(int32(8443)), ToPort: ptr.To(int32(8443)), CidrIpv4: ptr.To("10.0.0.0/8"), Description: ptr.To("alt")}}}}))
	if r := byGroup()[r0]; ptr.Deref(r.FromPort) != 8443 || ptr.Deref(r.Description) != "alt" {
		t.Errorf("after modify: %+v", r)
	}
	// A restarted niwa describes the same ids.
	f.EC2 = f.start()
	if _, ok := byGroup()[r0]; !ok {
		t.Errorf("modified rule lost its id after restart")
	}

	must(f.UpdateSecurityGroupRuleDescriptionsIngress(f.ctx, &ec2api.UpdateSecurityGroupRuleDescriptionsIngressRequest{GroupId: g,
		SecurityGroupRuleDescriptions: []ec2api.SecurityGroupRuleDescription{{SecurityGroupRuleId: ptr.To(r0), Description: ptr.To("by id")}}}))
	if r := byGroup()[r0]; ptr.Deref(r.Description) != "by id" {
		t.Errorf("description by id: %+v", r)
	}
	must(f.UpdateSecurityGroupRuleDescriptionsIngress(f.ctx, &ec2api.UpdateSecurityGroupRuleDescriptionsIngressRequest{GroupId: g, IpPermissions: []ec2api.IpPermission{
		{IpProtocol: ptr.To("tcp"), FromPort: ptr.To(int32(443)), ToPort: ptr.To(int32(443)), IpRanges: []ec2api.IpRange{{CidrIp: ptr.To("192.168.0.0/16"), Description: ptr.To("lan")}}}}}))
	sg := must(f.DescribeSecurityGroups(f.ctx, &ec2api.DescribeSecurityGroupsRequest{GroupIds: []string{*g}})).SecurityGroups[0]
	found := false
	for _, p := range sg.IpPermissions {
		for _, r := range p.IpRanges {
			found = found || (ptr.Deref(r.CidrIp) == "192.168.0.0/16" && ptr.Deref(r.Description) == "lan")
		}
	}
	if !found {
		t.Errorf("description by permission not shown: %+v", sg.IpPermissions)
	}
	var egressID string
	for id, r := range byGroup() {
		if ptr.Deref(r.IsEgress) {
			egressID = id
		}
	}
	must(f.UpdateSecurityGroupRuleDescriptionsEgress(f.ctx, &ec2api.UpdateSecurityGroupRuleDescriptionsEgressRequest{GroupId: g,
		SecurityGroupRuleDescriptions: []ec2api.SecurityGroupRuleDescription{{SecurityGroupRuleId: ptr.To(egressID), Description: ptr.To("out")}}}))

	must(f.RevokeSecurityGroupIngress(f.ctx, &ec2api.RevokeSecurityGroupIngressRequest{GroupId: g, SecurityGroupRuleIds: []string{r0}}))
	if _, ok := byGroup()[r0]; ok || len(byGroup()) != 2 {
		t.Errorf("revoke by id left %v", byGroup())
	}

	errs := []struct {
		name      string
		call      func() error
		code, msg string
	}{
		{"unknown id", func() error {
			_, err := f.DescribeSecurityGroupRules(f.ctx, &ec2api.DescribeSecurityGroupRulesRequest{SecurityGroupRuleIds: []string{r0}})
			return err
		}, "InvalidSecurityGroupRuleId.NotFound", "The security group rule ID '" + r0 + "' does not exist"},
		{"malformed id", func() error {
			_, err := f.DescribeSecurityGroupRules(f.ctx, &ec2api.DescribeSecurityGroupRulesRequest{SecurityGroupRuleIds: []string{"rule-1"}})
			return err
		}, "InvalidSecurityGroupRuleId.Malformed", `Invalid id: "rule-1" (expecting "sgr-...")`},
		{"bad filter", func() error {
			_, err := f.DescribeSecurityGroupRules(f.ctx, &ec2api.DescribeSecurityGroupRulesRequest{Filters: []ec2api.Filter{{Name: ptr.To("vpc-id"), Values: []string{"x"}}}})
			return err
		}, "InvalidParameterValue", "The filter 'vpc-id' is invalid"},
		{"egress id as ingress", func() error {
			_, err := f.UpdateSecurityGroupRuleDescriptionsIngress(f.ctx, &ec2api.UpdateSecurityGroupRuleDescriptionsIngressRequest{GroupId: g,
				SecurityGroupRuleDescriptions: []ec2api.SecurityGroupRuleDescription{{SecurityGroupRuleId: ptr.To(egressID), Description: ptr.To("x")}}})
			return err
		}, "InvalidSecurityGroupRuleId.NotFound", ""},
		{"modify unknown", func() error {
			_, err := f.ModifySecurityGroupRules(f.ctx, &ec2api.ModifySecurityGroupRulesRequest{GroupId: g, SecurityGroupRules: []ec2api.SecurityGroupRuleUpdate{{SecurityGroupRuleId: ptr.To(r0),
				SecurityGroupRule: &ec2api.SecurityGroupRuleRequest{IpProtocol: ptr.To("-1"), CidrIpv4: ptr.To("0.0.0.0/0")}}}})
			return err
		}, "InvalidSecurityGroupRuleId.NotFound", ""},
	}
	for _, c := range errs {
		t.Run(c.name, func(t *testing.T) { wantErr(t, c.call(), c.code, c.msg) })
	}
}
