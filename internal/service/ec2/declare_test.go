package ec2

import (
	"testing"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/kit/kittest"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// TestResourceARNs: calls on an existing resource are checked on it, by
// the type its id names (images in no account); descriptions and
// creations on "*".
func TestResourceARNs(t *testing.T) {

	kittest.Resources(t, kit.Authz{Resources: resources}, "ec2", []kittest.Case{
		{Op: "TerminateInstances", In: &ec2api.TerminateInstancesRequest{InstanceIds: []string{"i-0abc"}}, Resource: "arn:aws:ec2:us-east-1:123456789012:instance/i-0abc"},
		{Op: "AssociateRouteTable", In: &ec2api.AssociateRouteTableRequest{RouteTableId: ptr.To("rtb-1"), SubnetId: ptr.To("subnet-1")}, Resource: "arn:aws:ec2:us-east-1:123456789012:route-table/rtb-1"},
		{Op: "DeregisterImage", In: &ec2api.DeregisterImageRequest{ImageId: ptr.To("ami-1")}, Resource: "arn:aws:ec2:us-east-1::image/ami-1"},
		{Op: "DescribeInstances", In: &ec2api.DescribeInstancesRequest{InstanceIds: []string{"i-0abc"}}, Resource: "*"},
		{Op: "CreateSubnet", In: &ec2api.CreateSubnetRequest{VpcId: ptr.To("vpc-1")}, Resource: "*"},
	})
}
