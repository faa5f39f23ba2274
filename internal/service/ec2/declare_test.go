package ec2

import (
	"testing"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// TestResourceARNs: calls on an existing resource are checked on it, by
// the type its id names (images in no account); descriptions and
// creations on "*".
func TestResourceARNs(t *testing.T) {
	env := kit.Env{Account: "123456789012", Region: "us-east-1"}
	rules := kit.Authz{Resources: resources}
	for _, tc := range []struct {
		op   string
		in   any
		want string
	}{
		{"TerminateInstances", &ec2api.TerminateInstancesRequest{InstanceIds: []string{"i-0abc"}}, "arn:aws:ec2:us-east-1:123456789012:instance/i-0abc"},
		{"AssociateRouteTable", &ec2api.AssociateRouteTableRequest{RouteTableId: ptr.To("rtb-1"), SubnetId: ptr.To("subnet-1")}, "arn:aws:ec2:us-east-1:123456789012:route-table/rtb-1"},
		{"DeregisterImage", &ec2api.DeregisterImageRequest{ImageId: ptr.To("ami-1")}, "arn:aws:ec2:us-east-1::image/ami-1"},
		{"DescribeInstances", &ec2api.DescribeInstancesRequest{InstanceIds: []string{"i-0abc"}}, "*"},
		{"CreateSubnet", &ec2api.CreateSubnetRequest{VpcId: ptr.To("vpc-1")}, "*"},
	} {
		if got := rules.Checks("ec2", tc.op, tc.in, env)[0].Resource; got != tc.want {
			t.Errorf("%s: %s, want %s", tc.op, got, tc.want)
		}
	}
}
