package elb

import (
	"testing"

	elbapi "github.com/niwa-cloud/niwa/internal/api/elb"
	"github.com/niwa-cloud/niwa/internal/kit/kittest"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// TestDeclaredResources: Classic operations are authorized on the load
// balancer's ARN (loadbalancer/<name>).
func TestDeclaredResources(t *testing.T) {
	s := New(Options{})
	kittest.Resources(t, s.Declare().Authz, "elb", []kittest.Case{
		{Op: "RegisterInstancesWithLoadBalancer", In: &elbapi.RegisterEndPointsInput{LoadBalancerName: ptr.To("web")},
			Action: "elasticloadbalancing:RegisterInstancesWithLoadBalancer", Resource: "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/web"},
		{Op: "DescribeLoadBalancers", In: &elbapi.DescribeAccessPointsInput{}, Action: "elasticloadbalancing:DescribeLoadBalancers", Resource: "*"},
	})
}
