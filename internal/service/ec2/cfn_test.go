package ec2

import (
	"testing"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/kit"
)

// TestCloudFormationEIPAndNatGateway: an Elastic IP and a NAT gateway
// using it, made and removed through the providers as a stack would.
func TestCloudFormationEIPAndNatGateway(t *testing.T) {
	f := newFixture(t, "us-east-1")
	p := f.cfnResources()
	vpc, err := p["AWS::EC2::VPC"].Create(f.ctx, kit.ResourceRequest{LogicalID: "V", Properties: map[string]any{"CidrBlock": "10.0.0.0/16"}})
	if err != nil {
		t.Fatal(err)
	}
	subnet, err := p["AWS::EC2::Subnet"].Create(f.ctx, kit.ResourceRequest{LogicalID: "S", Properties: map[string]any{
		"VpcId": vpc.PhysicalID, "CidrBlock": "10.0.1.0/24"}})
	if err != nil {
		t.Fatal(err)
	}
	eip, err := p["AWS::EC2::EIP"].Create(f.ctx, kit.ResourceRequest{LogicalID: "E", Properties: map[string]any{"Domain": "vpc",
		"Tags": []any{map[string]any{"Key": "team", "Value": "a"}}}})
	if err != nil {
		t.Fatal(err)
	}
	alloc, _ := eip.Attributes["AllocationId"].(string)
	if eip.PhysicalID == "" || eip.Attributes["PublicIp"] != eip.PhysicalID || alloc == "" {
		t.Fatalf("eip %+v", eip)
	}
	nat, err := p["AWS::EC2::NatGateway"].Create(f.ctx, kit.ResourceRequest{LogicalID: "N", Properties: map[string]any{
		"AllocationId": alloc, "SubnetId": subnet.PhysicalID}})
	if err != nil {
		t.Fatal(err)
	}
	if nat.Attributes["NatGatewayId"] != nat.PhysicalID {
		t.Fatalf("nat %+v", nat)
	}
	if err := p["AWS::EC2::NatGateway"].Delete(f.ctx, kit.ResourceRequest{PhysicalID: nat.PhysicalID}); err != nil {
		t.Fatal(err)
	}
	if err := p["AWS::EC2::EIP"].Delete(f.ctx, kit.ResourceRequest{PhysicalID: eip.PhysicalID, Attributes: eip.Attributes}); err != nil {
		t.Fatal(err)
	}
	out, err := f.DescribeAddresses(f.ctx, &ec2api.DescribeAddressesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range out.Addresses {
		if a.AllocationId != nil && *a.AllocationId == alloc {
			t.Fatal("the address survived its release")
		}
	}
}
