package elbv2

import (
	"testing"

	elbv2api "github.com/niwa-cloud/niwa/internal/api/elbv2"
	"github.com/niwa-cloud/niwa/internal/kit/kittest"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// TestDeclaredResources: actions are elasticloadbalancing:<Operation> on
// the ARN the input names, "*" for account-level calls.
func TestDeclaredResources(t *testing.T) {
	s := New(Options{})
	lb := "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/0123456789abcdef"
	tg := "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/tg/0123456789abcdef"
	kittest.Resources(t, s.Declare().Authz, "elbv2", []kittest.Case{
		{Op: "DeleteLoadBalancer", In: &elbv2api.DeleteLoadBalancerInput{LoadBalancerArn: ptr.To(lb)}, Action: "elasticloadbalancing:DeleteLoadBalancer", Resource: lb},
		{Op: "RegisterTargets", In: &elbv2api.RegisterTargetsInput{TargetGroupArn: ptr.To(tg)}, Action: "elasticloadbalancing:RegisterTargets", Resource: tg},
		{Op: "DescribeLoadBalancers", In: &elbv2api.DescribeLoadBalancersInput{}, Action: "elasticloadbalancing:DescribeLoadBalancers", Resource: "*"},
	})
}
