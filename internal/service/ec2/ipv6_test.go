package ec2

import (
	"net/netip"
	"testing"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

func TestIPv6(t *testing.T) {
	f := newFixture(t, "us-east-1")
	v := must(f.CreateVpc(f.ctx, &ec2api.CreateVpcRequest{CidrBlock: ptr.To("10.6.0.0/16")})).Vpc
	vpc := v.VpcId
	a := must(f.AssociateVpcCidrBlock(f.ctx, &ec2api.AssociateVpcCidrBlockRequest{VpcId: vpc, AmazonProvidedIpv6CidrBlock: ptr.To(true)})).Ipv6CidrBlockAssociation
	block, err := netip.ParsePrefix(ptr.Deref(a.Ipv6CidrBlock))
	if err != nil || block.Bits() != 56 || !niwaIPv6Pool.Contains(block.Addr()) || ptr.Deref(a.Ipv6CidrBlockState.State) != "associating" {
		t.Fatalf("associated %+v", a)
	}
	_, err = f.AssociateVpcCidrBlock(f.ctx, &ec2api.AssociateVpcCidrBlockRequest{VpcId: vpc, AmazonProvidedIpv6CidrBlock: ptr.To(true)})
	wantErr(t, err, "CidrLimitExceeded", "")
	dv := must(f.DescribeVpcs(f.ctx, &ec2api.DescribeVpcsRequest{Filters: []ec2api.Filter{{Name: ptr.To("ipv6-cidr-block-association.ipv6-cidr-block"), Values: []string{block.String()}}}}))
	if len(dv.Vpcs) != 1 || ptr.Deref(dv.Vpcs[0].Ipv6CidrBlockAssociationSet[0].Ipv6CidrBlockState.State) != "associated" {
		t.Fatalf("described %+v", dv.Vpcs)
	}
	// CreateVpc with the flag gets a different /56.
	v2 := must(f.CreateVpc(f.ctx, &ec2api.CreateVpcRequest{CidrBlock: ptr.To("10.7.0.0/16"), AmazonProvidedIpv6CidrBlock: ptr.To(true)})).Vpc
	if len(v2.Ipv6CidrBlockAssociationSet) != 1 || ptr.Deref(v2.Ipv6CidrBlockAssociationSet[0].Ipv6CidrBlock) == block.String() {
		t.Errorf("create-vpc with IPv6: %+v", v2.Ipv6CidrBlockAssociationSet)
	}

	sub64 := netip.PrefixFrom(block.Addr(), 64).String()
	sn := must(f.CreateSubnet(f.ctx, &ec2api.CreateSubnetRequest{VpcId: vpc, CidrBlock: ptr.To("10.6.1.0/24"), Ipv6CidrBlock: ptr.To(sub64)})).Subnet
	if len(sn.Ipv6CidrBlockAssociationSet) != 1 || ptr.Deref(sn.Ipv6CidrBlockAssociationSet[0].Ipv6CidrBlock) != sub64 {
		t.Fatalf("subnet with IPv6: %+v", sn.Ipv6CidrBlockAssociationSet)
	}
	sn2 := must(f.CreateSubnet(f.ctx, &ec2api.CreateSubnetRequest{VpcId: vpc, CidrBlock: ptr.To("10.6.2.0/24")})).Subnet
	b := block.Addr().As16()
	b[7] = 1
	second := netip.PrefixFrom(netip.AddrFrom16(b), 64).String()
	sa := must(f.AssociateSubnetCidrBlock(f.ctx, &ec2api.AssociateSubnetCidrBlockRequest{SubnetId: sn2.SubnetId, Ipv6CidrBlock: ptr.To(second)})).Ipv6CidrBlockAssociation

	sn3 := must(f.CreateSubnet(f.ctx, &ec2api.CreateSubnetRequest{VpcId: vpc, CidrBlock: ptr.To("10.6.3.0/24")})).Subnet
	errs := []struct {
		name, subnet, cidr, code, msg string
	}{
		{"outside the VPC", ptr.Deref(sn3.SubnetId), "2001:db8::/64", "InvalidSubnet.Range", "The CIDR '2001:db8::/64' is invalid."},
		{"not /64", ptr.Deref(sn3.SubnetId), netip.PrefixFrom(block.Addr(), 60).String(), "InvalidSubnet.Range", ""},
		{"malformed", ptr.Deref(sn3.SubnetId), "not-a-cidr", "InvalidParameterValue", "Value (not-a-cidr) for parameter ipv6CidrBlock is invalid. This is not a valid IPv6 CIDR block."},
		{"already has one", ptr.Deref(sn2.SubnetId), sub64, "CidrLimitExceeded", ""},
	}
	for _, c := range errs {
		t.Run(c.name, func(t *testing.T) {
			_, err := f.AssociateSubnetCidrBlock(f.ctx, &ec2api.AssociateSubnetCidrBlockRequest{SubnetId: ptr.To(c.subnet), Ipv6CidrBlock: ptr.To(c.cidr)})
			wantErr(t, err, c.code, c.msg)
		})
	}
	_, err = f.AssociateSubnetCidrBlock(f.ctx, &ec2api.AssociateSubnetCidrBlockRequest{SubnetId: sn3.SubnetId, Ipv6CidrBlock: ptr.To(sub64)})
	wantErr(t, err, "InvalidSubnet.Conflict", "")

	// The VPC block cannot go while subnets hold IPv6 blocks.
	_, err = f.DisassociateVpcCidrBlock(f.ctx, &ec2api.DisassociateVpcCidrBlockRequest{AssociationId: a.AssociationId})
	wantErr(t, err, "DependencyViolation", "")

	// Egress-only gateway and a ::/0 route to it.
	eigw := must(f.CreateEgressOnlyInternetGateway(f.ctx, &ec2api.CreateEgressOnlyInternetGatewayRequest{VpcId: vpc})).EgressOnlyInternetGateway
	rt := must(f.CreateRouteTable(f.ctx, &ec2api.CreateRouteTableRequest{VpcId: vpc})).RouteTable
	must(f.CreateRoute(f.ctx, &ec2api.CreateRouteRequest{RouteTableId: rt.RouteTableId, DestinationIpv6CidrBlock: ptr.To("::/0"), EgressOnlyInternetGatewayId: eigw.EgressOnlyInternetGatewayId}))
	routeState := func() (string, bool) {
		out := must(f.DescribeRouteTables(f.ctx, &ec2api.DescribeRouteTablesRequest{RouteTableIds: []string{*rt.RouteTableId}}))
		local := false
		state := ""
		for _, r := range out.RouteTables[0].Routes {
			if ptr.Deref(r.DestinationIpv6CidrBlock) == "::/0" {
				state = ptr.Deref(r.State)
			}
			local = local || (ptr.Deref(r.DestinationIpv6CidrBlock) == block.String() && ptr.Deref(r.GatewayId) == "local")
		}
		return state, local
	}
	if st, local := routeState(); st != "active" || !local {
		t.Errorf("::/0 route %q, local IPv6 route %v", st, local)
	}
	_, err = f.CreateRoute(f.ctx, &ec2api.CreateRouteRequest{RouteTableId: rt.RouteTableId, DestinationIpv6CidrBlock: ptr.To("2001:db8::/32"), EgressOnlyInternetGatewayId: ptr.To("eigw-0123456789abcdef0")})
	wantErr(t, err, "InvalidGatewayID.NotFound", "The eigw ID 'eigw-0123456789abcdef0' does not exist")
	if d := must(f.DescribeEgressOnlyInternetGateways(f.ctx, &ec2api.DescribeEgressOnlyInternetGatewaysRequest{})); len(d.EgressOnlyInternetGateways) != 1 {
		t.Errorf("described eigws %+v", d.EgressOnlyInternetGateways)
	}
	must(f.DeleteEgressOnlyInternetGateway(f.ctx, &ec2api.DeleteEgressOnlyInternetGatewayRequest{EgressOnlyInternetGatewayId: eigw.EgressOnlyInternetGatewayId}))
	if st, _ := routeState(); st != "blackhole" {
		t.Errorf("route after eigw deleted: %s", st)
	}

	// Disassociate subnet blocks, then the VPC's.
	must(f.DisassociateSubnetCidrBlock(f.ctx, &ec2api.DisassociateSubnetCidrBlockRequest{AssociationId: sa.AssociationId}))
	must(f.DisassociateSubnetCidrBlock(f.ctx, &ec2api.DisassociateSubnetCidrBlockRequest{AssociationId: sn.Ipv6CidrBlockAssociationSet[0].AssociationId}))
	_, err = f.DisassociateSubnetCidrBlock(f.ctx, &ec2api.DisassociateSubnetCidrBlockRequest{AssociationId: sa.AssociationId})
	wantErr(t, err, "InvalidSubnetCidrBlockAssociationID.NotFound", "")
	d := must(f.DisassociateVpcCidrBlock(f.ctx, &ec2api.DisassociateVpcCidrBlockRequest{AssociationId: a.AssociationId}))
	if d.Ipv6CidrBlockAssociation == nil || ptr.Deref(d.Ipv6CidrBlockAssociation.Ipv6CidrBlockState.State) != "disassociating" {
		t.Errorf("disassociate VPC IPv6: %+v", d)
	}
	if _, local := routeState(); local {
		t.Errorf("local IPv6 route left after disassociation")
	}
}

func TestIPv6Addresses(t *testing.T) {
	f := newFixture(t, "ap-northeast-1")
	vpc := must(f.CreateVpc(f.ctx, &ec2api.CreateVpcRequest{CidrBlock: ptr.To("10.9.0.0/16"), AmazonProvidedIpv6CidrBlock: ptr.To(true)})).Vpc
	block := netip.MustParsePrefix(ptr.Deref(vpc.Ipv6CidrBlockAssociationSet[0].Ipv6CidrBlock))
	sub64 := netip.PrefixFrom(block.Addr(), 64)
	plain := must(f.CreateSubnet(f.ctx, &ec2api.CreateSubnetRequest{VpcId: vpc.VpcId, CidrBlock: ptr.To("10.9.2.0/24")})).Subnet
	sub := must(f.CreateSubnet(f.ctx, &ec2api.CreateSubnetRequest{VpcId: vpc.VpcId, CidrBlock: ptr.To("10.9.1.0/24"), Ipv6CidrBlock: ptr.To(sub64.String())})).Subnet
	r := must(f.RunInstances(f.ctx, &ec2api.RunInstancesRequest{ImageId: ptr.To(amazonLinux("ap-northeast-1")), MinCount: ptr.To(int32(1)), MaxCount: ptr.To(int32(1)),
		SubnetId: sub.SubnetId, Ipv6AddressCount: ptr.To(int32(2))}))
	ni := r.Instances[0].NetworkInterfaces[0]
	if len(ni.Ipv6Addresses) != 2 {
		t.Fatalf("instance IPv6 addresses %+v", ni.Ipv6Addresses)
	}
	for _, a := range ni.Ipv6Addresses {
		if ip := netip.MustParseAddr(ptr.Deref(a.Ipv6Address)); !sub64.Contains(ip) {
			t.Errorf("%s outside %s", ip, sub64)
		}
	}
	explicit := netip.AddrFrom16(func() [16]byte { b := sub64.Addr().As16(); b[15] = 9; return b }()).String()
	as := must(f.AssignIpv6Addresses(f.ctx, &ec2api.AssignIpv6AddressesRequest{NetworkInterfaceId: ni.NetworkInterfaceId, Ipv6AddressCount: ptr.To(int32(1)), Ipv6Addresses: []string{explicit}}))
	if len(as.AssignedIpv6Addresses) != 2 || as.AssignedIpv6Addresses[0] != explicit {
		t.Errorf("assigned %v", as.AssignedIpv6Addresses)
	}
	e := must(f.DescribeNetworkInterfaces(f.ctx, &ec2api.DescribeNetworkInterfacesRequest{NetworkInterfaceIds: []string{*ni.NetworkInterfaceId}})).NetworkInterfaces[0]
	if len(e.Ipv6Addresses) != 4 {
		t.Errorf("interface has %d IPv6 addresses", len(e.Ipv6Addresses))
	}
	_, err := f.AssignIpv6Addresses(f.ctx, &ec2api.AssignIpv6AddressesRequest{NetworkInterfaceId: ni.NetworkInterfaceId, Ipv6Addresses: []string{explicit}})
	wantErr(t, err, "InvalidIPAddress.InUse", "")
	must(f.UnassignIpv6Addresses(f.ctx, &ec2api.UnassignIpv6AddressesRequest{NetworkInterfaceId: ni.NetworkInterfaceId, Ipv6Addresses: []string{explicit}}))
	_, err = f.UnassignIpv6Addresses(f.ctx, &ec2api.UnassignIpv6AddressesRequest{NetworkInterfaceId: ni.NetworkInterfaceId, Ipv6Addresses: []string{explicit}})
	wantErr(t, err, "InvalidParameterValue", "")
	_, err = f.RunInstances(f.ctx, &ec2api.RunInstancesRequest{ImageId: ptr.To(amazonLinux("ap-northeast-1")), MinCount: ptr.To(int32(1)), MaxCount: ptr.To(int32(1)),
		SubnetId: plain.SubnetId, Ipv6AddressCount: ptr.To(int32(1))})
	wantErr(t, err, "InvalidParameterValue", "")
}
