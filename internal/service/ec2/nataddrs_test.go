package ec2

import (
	"testing"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

func TestNatGatewayAddresses(t *testing.T) {
	f := newFixture(t, "us-east-1")
	vpc := must(f.CreateVpc(f.ctx, &ec2api.CreateVpcRequest{CidrBlock: ptr.To("10.3.0.0/16")})).Vpc.VpcId
	sub := must(f.CreateSubnet(f.ctx, &ec2api.CreateSubnetRequest{VpcId: vpc, CidrBlock: ptr.To("10.3.1.0/24")})).Subnet.SubnetId
	eip := func() *string {
		return must(f.AllocateAddress(f.ctx, &ec2api.AllocateAddressRequest{Domain: ptr.To("vpc")})).AllocationId
	}
	e1, e2, e3 := eip(), eip(), eip()
	pub := must(f.CreateNatGateway(f.ctx, &ec2api.CreateNatGatewayRequest{SubnetId: sub, AllocationId: e1, SecondaryAllocationIds: []string{*e2}})).NatGateway
	if len(pub.NatGatewayAddresses) != 2 || ptr.Deref(pub.NatGatewayAddresses[1].AllocationId) != *e2 || ptr.Deref(pub.NatGatewayAddresses[1].IsPrimary) {
		t.Fatalf("created with %+v", pub.NatGatewayAddresses)
	}
	priv := must(f.CreateNatGateway(f.ctx, &ec2api.CreateNatGatewayRequest{SubnetId: sub, ConnectivityType: ptr.To("private")})).NatGateway

	as := must(f.AssignPrivateNatGatewayAddress(f.ctx, &ec2api.AssignPrivateNatGatewayAddressRequest{NatGatewayId: priv.NatGatewayId, PrivateIpAddresses: []string{"10.3.1.50"}}))
	if len(as.NatGatewayAddresses) != 1 || ptr.Deref(as.NatGatewayAddresses[0].PrivateIp) != "10.3.1.50" || ptr.Deref(as.NatGatewayAddresses[0].Status) != "assigning" {
		t.Fatalf("assigned %+v", as.NatGatewayAddresses)
	}
	desc := func(id *string) ec2api.NatGateway {
		return must(f.DescribeNatGateways(f.ctx, &ec2api.DescribeNatGatewaysRequest{NatGatewayIds: []string{*id}})).NatGateways[0]
	}
	if a := desc(priv.NatGatewayId).NatGatewayAddresses; len(a) != 2 || ptr.Deref(a[1].Status) != "succeeded" {
		t.Fatalf("described %+v", a)
	}
	// The address is taken in the subnet: an interface cannot have it.
	_, err := f.CreateNetworkInterface(f.ctx, &ec2api.CreateNetworkInterfaceRequest{SubnetId: sub, PrivateIpAddress: ptr.To("10.3.1.50")})
	wantErr(t, err, "InvalidIPAddress.InUse", "")

	errs := []struct {
		name string
		call func() error
		code string
	}{
		{"count and addresses", func() error {
			_, err := f.AssignPrivateNatGatewayAddress(f.ctx, &ec2api.AssignPrivateNatGatewayAddressRequest{NatGatewayId: priv.NatGatewayId, PrivateIpAddresses: []string{"10.3.1.51"}, PrivateIpAddressCount: ptr.To(int32(1))})
			return err
		}, "InvalidParameterCombination"},
		{"over the private address quota", func() error {
			_, err := f.AssignPrivateNatGatewayAddress(f.ctx, &ec2api.AssignPrivateNatGatewayAddressRequest{NatGatewayId: priv.NatGatewayId, PrivateIpAddressCount: ptr.To(int32(7))})
			return err
		}, "PrivateIpAddressLimitExceeded"},
		{"EIP on a private gateway", func() error {
			_, err := f.AssociateNatGatewayAddress(f.ctx, &ec2api.AssociateNatGatewayAddressRequest{NatGatewayId: priv.NatGatewayId, AllocationIds: []string{*e3}})
			return err
		}, "InvalidParameterValue"},
		{"over the EIP quota", func() error {
			_, err := f.AssociateNatGatewayAddress(f.ctx, &ec2api.AssociateNatGatewayAddressRequest{NatGatewayId: pub.NatGatewayId, AllocationIds: []string{*e3}})
			return err
		}, "AddressLimitExceeded"},
		{"primary EIP", func() error {
			_, err := f.DisassociateNatGatewayAddress(f.ctx, &ec2api.DisassociateNatGatewayAddressRequest{NatGatewayId: pub.NatGatewayId, AssociationIds: []string{ptr.Deref(pub.NatGatewayAddresses[0].AssociationId)}})
			return err
		}, "InvalidParameterValue"},
		{"unassign while associated", func() error {
			_, err := f.UnassignPrivateNatGatewayAddress(f.ctx, &ec2api.UnassignPrivateNatGatewayAddressRequest{NatGatewayId: pub.NatGatewayId, PrivateIpAddresses: []string{ptr.Deref(pub.NatGatewayAddresses[1].PrivateIp)}})
			return err
		}, "InvalidParameterValue"},
		{"unassign primary", func() error {
			_, err := f.UnassignPrivateNatGatewayAddress(f.ctx, &ec2api.UnassignPrivateNatGatewayAddressRequest{NatGatewayId: priv.NatGatewayId, PrivateIpAddresses: []string{ptr.Deref(priv.NatGatewayAddresses[0].PrivateIp)}})
			return err
		}, "InvalidParameterValue"},
		{"unknown gateway", func() error {
			_, err := f.AssignPrivateNatGatewayAddress(f.ctx, &ec2api.AssignPrivateNatGatewayAddressRequest{NatGatewayId: ptr.To("nat-0123456789abcdef0"), PrivateIpAddressCount: ptr.To(int32(1))})
			return err
		}, "NatGatewayNotFound"},
	}
	for _, c := range errs {
		t.Run(c.name, func(t *testing.T) { wantErr(t, c.call(), c.code, "") })
	}

	// Disassociate the secondary EIP, then release its private address.
	second := pub.NatGatewayAddresses[1]
	must(f.DisassociateNatGatewayAddress(f.ctx, &ec2api.DisassociateNatGatewayAddressRequest{NatGatewayId: pub.NatGatewayId, AssociationIds: []string{*second.AssociationId}}))
	if a := must(f.DescribeAddresses(f.ctx, &ec2api.DescribeAddressesRequest{AllocationIds: []string{*e2}})).Addresses[0]; a.AssociationId != nil {
		t.Errorf("EIP still associated: %+v", a)
	}
	must(f.AssociateNatGatewayAddress(f.ctx, &ec2api.AssociateNatGatewayAddressRequest{NatGatewayId: pub.NatGatewayId, AllocationIds: []string{*e3}}))
	must(f.UnassignPrivateNatGatewayAddress(f.ctx, &ec2api.UnassignPrivateNatGatewayAddressRequest{NatGatewayId: pub.NatGatewayId, PrivateIpAddresses: []string{*second.PrivateIp}}))
	got := desc(pub.NatGatewayId).NatGatewayAddresses
	if len(got) != 2 || ptr.Deref(got[1].AllocationId) != *e3 {
		t.Fatalf("after changes %+v", got)
	}
	// The freed address can be used again.
	must(f.CreateNetworkInterface(f.ctx, &ec2api.CreateNetworkInterfaceRequest{SubnetId: sub, PrivateIpAddress: second.PrivateIp}))
}
