package ec2

import (
	"testing"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

func TestCreateDefaultSubnet(t *testing.T) {
	f := newFixture(t, "us-east-2")
	defaults := func() []ec2api.Subnet {
		return must(f.DescribeSubnets(f.ctx, &ec2api.DescribeSubnetsRequest{Filters: []ec2api.Filter{{Name: ptr.To("default-for-az"), Values: []string{"true"}}}})).Subnets
	}
	subs := defaults()
	if len(subs) != 3 {
		t.Fatalf("default subnets %d", len(subs))
	}
	var a ec2api.Subnet
	for _, s := range subs {
		if ptr.Deref(s.AvailabilityZone) == "us-east-2a" {
			a = s
		}
	}
	_, err := f.CreateDefaultSubnet(f.ctx, &ec2api.CreateDefaultSubnetRequest{AvailabilityZone: ptr.To("us-east-2a")})
	wantErr(t, err, "DefaultSubnetAlreadyExistsInAvailabilityZone", "")

	must(f.DeleteSubnet(f.ctx, &ec2api.DeleteSubnetRequest{SubnetId: a.SubnetId}))
	got := must(f.CreateDefaultSubnet(f.ctx, &ec2api.CreateDefaultSubnetRequest{AvailabilityZone: ptr.To("us-east-2a")})).Subnet
	if ptr.Deref(got.CidrBlock) != ptr.Deref(a.CidrBlock) || !ptr.Deref(got.DefaultForAz) || !ptr.Deref(got.MapPublicIpOnLaunch) ||
		ptr.Deref(got.VpcId) != ptr.Deref(a.VpcId) || ptr.Deref(got.AvailableIpAddressCount) != 4091 || ptr.Deref(got.SubnetId) == ptr.Deref(a.SubnetId) {
		t.Fatalf("recreated %+v, deleted %+v", got, a)
	}
	if len(defaults()) != 3 {
		t.Errorf("default subnets after recreation: %d", len(defaults()))
	}
	// The default network ACL takes the new subnet.
	acl := must(f.DescribeNetworkAcls(f.ctx, &ec2api.DescribeNetworkAclsRequest{Filters: []ec2api.Filter{{Name: ptr.To("association.subnet-id"), Values: []string{*got.SubnetId}}}})).NetworkAcls
	if len(acl) != 1 || !ptr.Deref(acl[0].IsDefault) {
		t.Errorf("network ACL of the new default subnet %+v", acl)
	}

	errs := []struct {
		name, az, code string
		ipv6           bool
	}{
		{"unknown zone", "us-east-2z", "InvalidParameterValue", false},
		{"other region's zone", "us-east-1a", "InvalidParameterValue", false},
		{"ipv6 native", "us-east-2b", "InvalidParameterValue", true},
	}
	for _, c := range errs {
		t.Run(c.name, func(t *testing.T) {
			_, err := f.CreateDefaultSubnet(f.ctx, &ec2api.CreateDefaultSubnetRequest{AvailabilityZone: ptr.To(c.az), Ipv6Native: ptr.To(c.ipv6)})
			wantErr(t, err, c.code, "")
		})
	}

	// Without a default VPC there is nothing to add a subnet to.
	for _, s := range defaults() {
		must(f.DeleteSubnet(f.ctx, &ec2api.DeleteSubnetRequest{SubnetId: s.SubnetId}))
	}
	igw := must(f.DescribeInternetGateways(f.ctx, &ec2api.DescribeInternetGatewaysRequest{Filters: []ec2api.Filter{{Name: ptr.To("attachment.vpc-id"), Values: []string{*a.VpcId}}}})).InternetGateways[0]
	must(f.DetachInternetGateway(f.ctx, &ec2api.DetachInternetGatewayRequest{InternetGatewayId: igw.InternetGatewayId, VpcId: a.VpcId}))
	must(f.DeleteVpc(f.ctx, &ec2api.DeleteVpcRequest{VpcId: a.VpcId}))
	_, err = f.CreateDefaultSubnet(f.ctx, &ec2api.CreateDefaultSubnetRequest{AvailabilityZone: ptr.To("us-east-2a")})
	wantErr(t, err, "DefaultVpcDoesNotExist", "")
}
