package ec2

import (
	"net/netip"
	"testing"
	"time"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

func TestDefaultVPC(t *testing.T) {
	f := newFixture(t, "us-east-1")
	vpcsOut := must(f.DescribeVpcs(f.ctx, &ec2api.DescribeVpcsRequest{Filters: []ec2api.Filter{{Name: ptr.To("is-default"), Values: []string{"true"}}}}))
	if len(vpcsOut.Vpcs) != 1 || ptr.Deref(vpcsOut.Vpcs[0].CidrBlock) != "172.31.0.0/16" {
		t.Fatalf("default VPC: %+v", vpcsOut.Vpcs)
	}
	v := vpcsOut.Vpcs[0]
	subs := must(f.DescribeSubnets(f.ctx, &ec2api.DescribeSubnetsRequest{Filters: []ec2api.Filter{{Name: ptr.To("default-for-az"), Values: []string{"true"}}}}))
	if len(subs.Subnets) != 6 {
		t.Fatalf("%d default subnets in us-east-1, want 6", len(subs.Subnets))
	}
	for _, sn := range subs.Subnets {
		if !ptr.Deref(sn.MapPublicIpOnLaunch) || ptr.Deref(sn.AvailableIpAddressCount) != 4091 {
			t.Fatalf("default subnet %+v", sn)
		}
	}
	dopt := must(f.DescribeDhcpOptions(f.ctx, &ec2api.DescribeDhcpOptionsRequest{DhcpOptionsIds: []string{ptr.Deref(v.DhcpOptionsId)}}))
	conf := map[string]string{}
	for _, c := range dopt.DhcpOptions[0].DhcpConfigurations {
		conf[ptr.Deref(c.Key)] = ptr.Deref(c.Values[0].Value)
	}
	if conf["domain-name"] != "ec2.internal" || conf["domain-name-servers"] != "AmazonProvidedDNS" {
		t.Fatalf("default DHCP options %v", conf)
	}
	attr := must(f.DescribeVpcAttribute(f.ctx, &ec2api.DescribeVpcAttributeRequest{VpcId: v.VpcId, Attribute: ptr.To("enableDnsHostnames")}))
	if !ptr.Deref(attr.EnableDnsHostnames.Value) {
		t.Fatal("default VPC has DNS hostnames on")
	}
	d := must(f.RouteFor(testAccount, "us-east-1", ptr.Deref(subs.Subnets[0].SubnetId), netip.MustParseAddr("1.1.1.1")))
	if d.TargetType != "internet-gateway" || !d.MainRouteTable {
		t.Fatalf("default subnet route %+v", d)
	}
	sg := must(f.DescribeSecurityGroups(f.ctx, &ec2api.DescribeSecurityGroupsRequest{GroupNames: []string{"default"}}))
	if len(sg.SecurityGroups) != 1 || ptr.Deref(sg.SecurityGroups[0].VpcId) != ptr.Deref(v.VpcId) {
		t.Fatalf("default security group %+v", sg.SecurityGroups)
	}
}

func TestVPCAndSubnetValidation(t *testing.T) {
	f := newFixture(t, "ap-northeast-1")
	for _, c := range []struct{ cidr, code, msg string }{
		{"10.0.0.0/8", "InvalidVpc.Range", "The CIDR '10.0.0.0/8' is invalid."},
		{"10.0.0.0/29", "InvalidVpc.Range", "The CIDR '10.0.0.0/29' is invalid."},
		{"10.0.0.1/24", "InvalidParameterValue", "Value (10.0.0.1/24) for parameter cidrBlock is invalid. This is not a valid CIDR block."},
		{"banana", "InvalidParameterValue", ""},
	} {
		_, err := f.CreateVpc(f.ctx, &ec2api.CreateVpcRequest{CidrBlock: ptr.To(c.cidr)})
		wantErr(t, err, c.code, c.msg)
	}
	v := must(f.CreateVpc(f.ctx, &ec2api.CreateVpcRequest{CidrBlock: ptr.To("10.0.0.0/25")})).Vpc
	if len(ptr.Deref(v.VpcId)) != 21 {
		t.Fatalf("vpc id %s", ptr.Deref(v.VpcId))
	}
	sub := must(f.CreateSubnet(f.ctx, &ec2api.CreateSubnetRequest{VpcId: v.VpcId, CidrBlock: ptr.To("10.0.0.0/28"), AvailabilityZone: ptr.To("ap-northeast-1a")})).Subnet
	if ptr.Deref(sub.AvailableIpAddressCount) != 11 {
		t.Fatalf("a /28 has 11 usable addresses, got %d", ptr.Deref(sub.AvailableIpAddressCount))
	}
	for _, c := range []struct{ cidr, code, msg string }{
		{"10.0.0.0/27", "InvalidSubnet.Conflict", "The CIDR '10.0.0.0/27' conflicts with another subnet"},
		{"10.0.0.8/29", "InvalidSubnet.Range", "The CIDR '10.0.0.8/29' is invalid."},
		{"10.0.1.0/28", "InvalidSubnet.Range", "The CIDR '10.0.1.0/28' is invalid."},
	} {
		_, err := f.CreateSubnet(f.ctx, &ec2api.CreateSubnetRequest{VpcId: v.VpcId, CidrBlock: ptr.To(c.cidr)})
		wantErr(t, err, c.code, c.msg)
	}
	_, err := f.CreateSubnet(f.ctx, &ec2api.CreateSubnetRequest{VpcId: v.VpcId, CidrBlock: ptr.To("10.0.0.16/28"), AvailabilityZone: ptr.To("ap-northeast-1b")})
	wantErr(t, err, "InvalidParameterValue", "")
	// A secondary CIDR makes room for more subnets.
	must(f.AssociateVpcCidrBlock(f.ctx, &ec2api.AssociateVpcCidrBlockRequest{VpcId: v.VpcId, CidrBlock: ptr.To("10.1.0.0/16")}))
	must(f.CreateSubnet(f.ctx, &ec2api.CreateSubnetRequest{VpcId: v.VpcId, CidrBlock: ptr.To("10.1.0.0/24")}))
	_, err = f.DeleteVpc(f.ctx, &ec2api.DeleteVpcRequest{VpcId: v.VpcId})
	wantErr(t, err, "DependencyViolation", "The vpc '"+ptr.Deref(v.VpcId)+"' has dependencies and cannot be deleted.")
	_, err = f.DescribeVpcs(f.ctx, &ec2api.DescribeVpcsRequest{VpcIds: []string{"vpc-0123456789abcdef0"}})
	wantErr(t, err, "InvalidVpcID.NotFound", "The vpc ID 'vpc-0123456789abcdef0' does not exist")
}

// TestS19BuildOut is the VPC half of scenario S19: a /25 VPC, four /28
// subnets in two zones, two Elastic IPs, an internet gateway, a NAT
// gateway per public subnet and a route table per subnet.
func TestS19BuildOut(t *testing.T) {
	f := newFixture(t, "ap-northeast-1")
	vpc := ptr.Deref(must(f.CreateVpc(f.ctx, &ec2api.CreateVpcRequest{CidrBlock: ptr.To("10.0.0.0/25")})).Vpc.VpcId)
	subnet := func(cidr, az string) string {
		return ptr.Deref(must(f.CreateSubnet(f.ctx, &ec2api.CreateSubnetRequest{VpcId: ptr.To(vpc), CidrBlock: ptr.To(cidr), AvailabilityZone: ptr.To(az)})).Subnet.SubnetId)
	}
	pub1, pub2 := subnet("10.0.0.0/28", "ap-northeast-1a"), subnet("10.0.0.16/28", "ap-northeast-1c")
	priv1, priv2 := subnet("10.0.0.32/28", "ap-northeast-1a"), subnet("10.0.0.64/28", "ap-northeast-1c")
	eip1 := must(f.AllocateAddress(f.ctx, &ec2api.AllocateAddressRequest{Domain: ptr.To("vpc")}))
	eip2 := must(f.AllocateAddress(f.ctx, &ec2api.AllocateAddressRequest{Domain: ptr.To("vpc")}))
	igw := ptr.Deref(must(f.CreateInternetGateway(f.ctx, &ec2api.CreateInternetGatewayRequest{})).InternetGateway.InternetGatewayId)
	must(f.AttachInternetGateway(f.ctx, &ec2api.AttachInternetGatewayRequest{InternetGatewayId: ptr.To(igw), VpcId: ptr.To(vpc)}))
	_, err := f.AttachInternetGateway(f.ctx, &ec2api.AttachInternetGatewayRequest{InternetGatewayId: ptr.To(igw), VpcId: ptr.To(vpc)})
	wantErr(t, err, "Resource.AlreadyAssociated", "")
	nat1 := must(f.CreateNatGateway(f.ctx, &ec2api.CreateNatGatewayRequest{SubnetId: ptr.To(pub1), AllocationId: eip1.AllocationId})).NatGateway
	nat2 := must(f.CreateNatGateway(f.ctx, &ec2api.CreateNatGatewayRequest{SubnetId: ptr.To(pub2), AllocationId: eip2.AllocationId})).NatGateway
	if ptr.Deref(nat1.State) != "pending" || ptr.Deref(nat1.NatGatewayAddresses[0].PublicIp) != ptr.Deref(eip1.PublicIp) {
		t.Fatalf("nat %+v", nat1)
	}
	f.clock.Advance(2 * time.Second)
	nats := must(f.DescribeNatGateways(f.ctx, &ec2api.DescribeNatGatewaysRequest{Filter: []ec2api.Filter{{Name: ptr.To("vpc-id"), Values: []string{vpc}}, {Name: ptr.To("state"), Values: []string{"available"}}}}))
	if len(nats.NatGateways) != 2 {
		t.Fatalf("%d available NAT gateways", len(nats.NatGateways))
	}
	table := func(sub string, dst *ec2api.CreateRouteRequest) string {
		rt := ptr.Deref(must(f.CreateRouteTable(f.ctx, &ec2api.CreateRouteTableRequest{VpcId: ptr.To(vpc)})).RouteTable.RouteTableId)
		if dst != nil {
			dst.RouteTableId = ptr.To(rt)
			dst.DestinationCidrBlock = ptr.To("0.0.0.0/0")
			must(f.CreateRoute(f.ctx, dst))
		}
		must(f.AssociateRouteTable(f.ctx, &ec2api.AssociateRouteTableRequest{RouteTableId: ptr.To(rt), SubnetId: ptr.To(sub)}))
		return rt
	}
	table(pub1, &ec2api.CreateRouteRequest{GatewayId: ptr.To(igw)})
	table(pub2, &ec2api.CreateRouteRequest{GatewayId: ptr.To(igw)})
	table(priv1, &ec2api.CreateRouteRequest{NatGatewayId: nat1.NatGatewayId})
	rt4 := table(priv2, &ec2api.CreateRouteRequest{NatGatewayId: nat2.NatGatewayId})
	_, err = f.CreateRoute(f.ctx, &ec2api.CreateRouteRequest{RouteTableId: ptr.To(rt4), DestinationCidrBlock: ptr.To("0.0.0.0/0"), GatewayId: ptr.To(igw)})
	wantErr(t, err, "RouteAlreadyExists", "The route identified by 0.0.0.0/0 already exists.")

	// Public subnets lost one address each to their NAT gateway.
	subs := must(f.DescribeSubnets(f.ctx, &ec2api.DescribeSubnetsRequest{SubnetIds: []string{pub1}}))
	if ptr.Deref(subs.Subnets[0].AvailableIpAddressCount) != 10 {
		t.Fatalf("public subnet addresses %d", ptr.Deref(subs.Subnets[0].AvailableIpAddressCount))
	}
	for _, c := range []struct {
		sub, dst, target, publicIP string
	}{
		{priv1, "93.184.216.34", ptr.Deref(nat1.NatGatewayId), ptr.Deref(eip1.PublicIp)},
		{priv2, "93.184.216.34", ptr.Deref(nat2.NatGatewayId), ptr.Deref(eip2.PublicIp)},
		{pub1, "93.184.216.34", igw, ""},
		{priv1, "10.0.0.70", "local", ""},
	} {
		d := must(f.RouteFor(testAccount, "ap-northeast-1", c.sub, netip.MustParseAddr(c.dst)))
		if d.Target != c.target || d.PublicIP != c.publicIP || d.Blackhole {
			t.Errorf("route from %s to %s: %+v", c.sub, c.dst, d)
		}
	}
	// A private subnet without a NAT route has no way out.
	must(f.DeleteRoute(f.ctx, &ec2api.DeleteRouteRequest{RouteTableId: ptr.To(rt4), DestinationCidrBlock: ptr.To("0.0.0.0/0")}))
	if d := must(f.RouteFor(testAccount, "ap-northeast-1", priv2, netip.MustParseAddr("93.184.216.34"))); d.Found {
		t.Fatalf("no NAT route, yet %+v", d)
	}
	// Deleting the NAT gateway makes its routes blackholes.
	must(f.DeleteNatGateway(f.ctx, &ec2api.DeleteNatGatewayRequest{NatGatewayId: nat1.NatGatewayId}))
	f.clock.Advance(2 * time.Second)
	if d := must(f.RouteFor(testAccount, "ap-northeast-1", priv1, netip.MustParseAddr("93.184.216.34"))); !d.Blackhole {
		t.Fatalf("deleted NAT: %+v", d)
	}
	_, err = f.ReleaseAddress(f.ctx, &ec2api.ReleaseAddressRequest{AllocationId: eip2.AllocationId})
	wantErr(t, err, "InvalidIPAddress.InUse", "")
	must(f.ReleaseAddress(f.ctx, &ec2api.ReleaseAddressRequest{AllocationId: eip1.AllocationId}))
}

func TestGatewayEndpointAndVGWPropagation(t *testing.T) {
	f := newFixture(t, "ap-northeast-1")
	vpc := ptr.Deref(must(f.CreateVpc(f.ctx, &ec2api.CreateVpcRequest{CidrBlock: ptr.To("10.0.0.0/16")})).Vpc.VpcId)
	sub := ptr.Deref(must(f.CreateSubnet(f.ctx, &ec2api.CreateSubnetRequest{VpcId: ptr.To(vpc), CidrBlock: ptr.To("10.0.1.0/24")})).Subnet.SubnetId)
	rt := ptr.Deref(must(f.CreateRouteTable(f.ctx, &ec2api.CreateRouteTableRequest{VpcId: ptr.To(vpc)})).RouteTable.RouteTableId)
	must(f.AssociateRouteTable(f.ctx, &ec2api.AssociateRouteTableRequest{RouteTableId: ptr.To(rt), SubnetId: ptr.To(sub)}))
	ep := must(f.CreateVpcEndpoint(f.ctx, &ec2api.CreateVpcEndpointRequest{VpcId: ptr.To(vpc), ServiceName: ptr.To("com.amazonaws.ap-northeast-1.s3"), RouteTableIds: []string{rt}})).VpcEndpoint
	pls := must(f.DescribePrefixLists(f.ctx, &ec2api.DescribePrefixListsRequest{Filters: []ec2api.Filter{{Name: ptr.To("prefix-list-name"), Values: []string{"com.amazonaws.ap-northeast-1.s3"}}}}))
	d := must(f.RouteFor(testAccount, "ap-northeast-1", sub, netip.MustParseAddr(pls.PrefixLists[0].Cidrs[0][:len("52.216.0.0")])))
	if d.Target != ptr.Deref(ep.VpcEndpointId) || d.PrefixListID != ptr.Deref(pls.PrefixLists[0].PrefixListId) || d.Origin != "prefix-list" {
		t.Fatalf("S3 through the gateway endpoint: %+v", d)
	}
	vgw := ptr.Deref(must(f.CreateVpnGateway(f.ctx, &ec2api.CreateVpnGatewayRequest{Type: ptr.To("ipsec.1")})).VpnGateway.VpnGatewayId)
	must(f.AttachVpnGateway(f.ctx, &ec2api.AttachVpnGatewayRequest{VpnGatewayId: ptr.To(vgw), VpcId: ptr.To(vpc)}))
	cgw := ptr.Deref(must(f.CreateCustomerGateway(f.ctx, &ec2api.CreateCustomerGatewayRequest{Type: ptr.To("ipsec.1"), IpAddress: ptr.To("203.0.113.10"), BgpAsn: ptr.To(int32(65000))})).CustomerGateway.CustomerGatewayId)
	vpn := ptr.Deref(must(f.CreateVpnConnection(f.ctx, &ec2api.CreateVpnConnectionRequest{Type: ptr.To("ipsec.1"), CustomerGatewayId: ptr.To(cgw), VpnGatewayId: ptr.To(vgw),
		Options: &ec2api.VpnConnectionOptionsSpecification{StaticRoutesOnly: ptr.To(true)}})).VpnConnection.VpnConnectionId)

	must(f.CreateVpnConnectionRoute(f.ctx, &ec2api.CreateVpnConnectionRouteRequest{VpnConnectionId: ptr.To(vpn), DestinationCidrBlock: ptr.To("192.168.0.0/16")}))
	must(f.EnableVgwRoutePropagation(f.ctx, &ec2api.EnableVgwRoutePropagationRequest{RouteTableId: ptr.To(rt), GatewayId: ptr.To(vgw)}))
	d = must(f.RouteFor(testAccount, "ap-northeast-1", sub, netip.MustParseAddr("192.168.3.3")))
	if d.Target != vgw || d.Origin != "propagated" || d.Source != "vpn-static" || d.Via != vpn {
		t.Fatalf("propagated VPN route: %+v", d)
	}
	tables := must(f.DescribeRouteTables(f.ctx, &ec2api.DescribeRouteTablesRequest{RouteTableIds: []string{rt}}))
	found := false
	for _, r := range tables.RouteTables[0].Routes {
		found = found || (ptr.Deref(r.Origin) == "EnableVgwRoutePropagation" && ptr.Deref(r.DestinationCidrBlock) == "192.168.0.0/16")
	}
	if !found {
		t.Fatalf("propagated route missing: %+v", tables.RouteTables[0].Routes)
	}
	// A static route for the same prefix wins over the propagated one.
	pcxVpc := ptr.Deref(must(f.CreateVpc(f.ctx, &ec2api.CreateVpcRequest{CidrBlock: ptr.To("10.9.0.0/16")})).Vpc.VpcId)
	pcx := ptr.Deref(must(f.CreateVpcPeeringConnection(f.ctx, &ec2api.CreateVpcPeeringConnectionRequest{VpcId: ptr.To(vpc), PeerVpcId: ptr.To(pcxVpc)})).VpcPeeringConnection.VpcPeeringConnectionId)
	must(f.CreateRoute(f.ctx, &ec2api.CreateRouteRequest{RouteTableId: ptr.To(rt), DestinationCidrBlock: ptr.To("192.168.0.0/16"), VpcPeeringConnectionId: ptr.To(pcx)}))
	if d := must(f.RouteFor(testAccount, "ap-northeast-1", sub, netip.MustParseAddr("192.168.3.3"))); !d.Blackhole || d.Target != pcx {
		t.Fatalf("a pending peering is a blackhole static route: %+v", d)
	}
	must(f.AcceptVpcPeeringConnection(f.ctx, &ec2api.AcceptVpcPeeringConnectionRequest{VpcPeeringConnectionId: ptr.To(pcx)}))
	if d := must(f.RouteFor(testAccount, "ap-northeast-1", sub, netip.MustParseAddr("192.168.3.3"))); d.Blackhole || d.Target != pcx || d.Origin != "static" {
		t.Fatalf("static over propagated: %+v", d)
	}
}

func TestSecurityGroupRules(t *testing.T) {
	f := newFixture(t, "ap-northeast-1")
	id := must(f.CreateSecurityGroup(f.ctx, &ec2api.CreateSecurityGroupRequest{GroupName: ptr.To("web"), Description: ptr.To("web servers")})).GroupId
	_, err := f.CreateSecurityGroup(f.ctx, &ec2api.CreateSecurityGroupRequest{GroupName: ptr.To("web"), Description: ptr.To("again")})
	wantErr(t, err, "InvalidGroup.Duplicate", "")
	perm := ec2api.IpPermission{IpProtocol: ptr.To("tcp"), FromPort: ptr.To(int32(22)), ToPort: ptr.To(int32(22)), IpRanges: []ec2api.IpRange{{CidrIp: ptr.To("0.0.0.0/0")}}}
	must(f.AuthorizeSecurityGroupIngress(f.ctx, &ec2api.AuthorizeSecurityGroupIngressRequest{GroupId: id, IpPermissions: []ec2api.IpPermission{perm}}))
	_, err = f.AuthorizeSecurityGroupIngress(f.ctx, &ec2api.AuthorizeSecurityGroupIngressRequest{GroupId: id, IpPermissions: []ec2api.IpPermission{perm}})
	wantErr(t, err, "InvalidPermission.Duplicate", `the specified rule "peer: 0.0.0.0/0, TCP, from port: 22, to port: 22, ALLOW" already exists`)
	must(f.AuthorizeSecurityGroupIngress(f.ctx, &ec2api.AuthorizeSecurityGroupIngressRequest{GroupId: id, IpProtocol: ptr.To("tcp"), FromPort: ptr.To(int32(22)), ToPort: ptr.To(int32(22)), CidrIp: ptr.To("10.0.0.0/8")}))
	_, err = f.AuthorizeSecurityGroupIngress(f.ctx, &ec2api.AuthorizeSecurityGroupIngressRequest{GroupId: id, IpProtocol: ptr.To("tcp"), FromPort: ptr.To(int32(80)), ToPort: ptr.To(int32(70)), CidrIp: ptr.To("10.0.0.0/8")})
	wantErr(t, err, "InvalidParameterValue", "")
	out := must(f.DescribeSecurityGroups(f.ctx, &ec2api.DescribeSecurityGroupsRequest{GroupIds: []string{ptr.Deref(id)}}))
	if p := out.SecurityGroups[0].IpPermissions; len(p) != 1 || len(p[0].IpRanges) != 2 {
		t.Fatalf("merged rules %+v", p)
	}
	byFilter := must(f.DescribeSecurityGroups(f.ctx, &ec2api.DescribeSecurityGroupsRequest{Filters: []ec2api.Filter{{Name: ptr.To("ip-permission.cidr"), Values: []string{"10.0.0.0/8"}}}}))
	if len(byFilter.SecurityGroups) != 1 {
		t.Fatalf("filter by rule cidr: %d groups", len(byFilter.SecurityGroups))
	}
	must(f.RevokeSecurityGroupIngress(f.ctx, &ec2api.RevokeSecurityGroupIngressRequest{GroupId: id, IpPermissions: []ec2api.IpPermission{perm}}))
	_, err = f.RevokeSecurityGroupIngress(f.ctx, &ec2api.RevokeSecurityGroupIngressRequest{GroupId: id, IpPermissions: []ec2api.IpPermission{perm}})
	wantErr(t, err, "InvalidPermission.NotFound", "")
	_, err = f.DeleteSecurityGroup(f.ctx, &ec2api.DeleteSecurityGroupRequest{GroupName: ptr.To("default")})
	wantErr(t, err, "CannotDelete", "")
	must(f.DeleteSecurityGroup(f.ctx, &ec2api.DeleteSecurityGroupRequest{GroupId: id}))
}

func TestImagesCatalog(t *testing.T) {
	f := newFixture(t, "ap-northeast-1")
	out := must(f.DescribeImages(f.ctx, &ec2api.DescribeImagesRequest{Owners: []string{"amazon"}, Filters: []ec2api.Filter{{Name: ptr.To("name"), Values: []string{"Windows_Server-2016-English-Full-Base-*"}}}}))
	if len(out.Images) != 1 || ptr.Deref(out.Images[0].ImageOwnerAlias) != "amazon" || ptr.Deref(out.Images[0].Platform) != "windows" {
		t.Fatalf("Windows Server 2016 Base: %+v", out.Images)
	}
	id := ptr.Deref(out.Images[0].ImageId)
	byID := must(f.DescribeImages(f.ctx, &ec2api.DescribeImagesRequest{ImageIds: []string{id}}))
	if len(byID.Images) != 1 || ptr.Deref(byID.Images[0].ImageOwnerAlias) != "amazon" {
		t.Fatal("by id")
	}
	other := newFixture(t, "us-east-1")
	if o := must(other.DescribeImages(other.ctx, &ec2api.DescribeImagesRequest{Filters: []ec2api.Filter{{Name: ptr.To("name"), Values: []string{ptr.Deref(out.Images[0].Name)}}}})); ptr.Deref(o.Images[0].ImageId) == id {
		t.Fatal("image ids are per region")
	}
	old := must(f.DescribeImages(f.ctx, &ec2api.DescribeImagesRequest{Filters: []ec2api.Filter{{Name: ptr.To("name"), Values: []string{"amzn-ami-hvm-2016*"}}}}))
	if len(old.Images) == 0 {
		t.Fatal("Amazon Linux 2016 is searchable")
	}
	_, err := f.DescribeImages(f.ctx, &ec2api.DescribeImagesRequest{ImageIds: []string{"ami-0123456789abcdef0"}})
	wantErr(t, err, "InvalidAMIID.NotFound", "The image id '[ami-0123456789abcdef0]' does not exist")

	// A user image from an instance.
	res := must(f.RunInstances(f.ctx, &ec2api.RunInstancesRequest{ImageId: ptr.To(id), MinCount: ptr.To(int32(1)), MaxCount: ptr.To(int32(1))}))
	if ptr.Deref(res.Instances[0].Platform) != "windows" || ptr.Deref(res.Instances[0].RootDeviceName) != "/dev/sda1" {
		t.Fatalf("windows instance %+v", res.Instances[0])
	}
	f.expectState(ptr.Deref(res.Instances[0].InstanceId), "pending")
	f.clock.Advance(5 * time.Second)
	f.expectState(ptr.Deref(res.Instances[0].InstanceId), "running")
	ami := must(f.CreateImage(f.ctx, &ec2api.CreateImageRequest{InstanceId: res.Instances[0].InstanceId, Name: ptr.To("my-image")})).ImageId
	self := must(f.DescribeImages(f.ctx, &ec2api.DescribeImagesRequest{Owners: []string{"self"}}))
	if len(self.Images) != 1 || ptr.Deref(self.Images[0].ImageId) != ptr.Deref(ami) || self.Images[0].ImageOwnerAlias != nil {
		t.Fatalf("own images %+v", self.Images)
	}
	must(f.DeregisterImage(f.ctx, &ec2api.DeregisterImageRequest{ImageId: ami}))
}

func TestTags(t *testing.T) {
	f := newFixture(t, "ap-northeast-1")
	v := ptr.Deref(must(f.CreateVpc(f.ctx, &ec2api.CreateVpcRequest{CidrBlock: ptr.To("10.0.0.0/16")})).Vpc.VpcId)
	must(f.CreateTags(f.ctx, &ec2api.CreateTagsRequest{Resources: []string{v}, Tags: []ec2api.Tag{{Key: ptr.To("Name"), Value: ptr.To("main")}, {Key: ptr.To("env"), Value: ptr.To("dev")}}}))
	out := must(f.DescribeVpcs(f.ctx, &ec2api.DescribeVpcsRequest{Filters: []ec2api.Filter{{Name: ptr.To("tag:Name"), Values: []string{"main"}}}}))
	if len(out.Vpcs) != 1 || len(out.Vpcs[0].Tags) != 2 {
		t.Fatalf("tagged vpc %+v", out.Vpcs)
	}
	must(f.DeleteTags(f.ctx, &ec2api.DeleteTagsRequest{Resources: []string{v}, Tags: []ec2api.Tag{{Key: ptr.To("env")}}}))
	tags := must(f.DescribeTags(f.ctx, &ec2api.DescribeTagsRequest{Filters: []ec2api.Filter{{Name: ptr.To("resource-id"), Values: []string{v}}}}))
	if len(tags.Tags) != 1 || ptr.Deref(tags.Tags[0].ResourceType) != "vpc" {
		t.Fatalf("tags %+v", tags.Tags)
	}
	_, err := f.CreateTags(f.ctx, &ec2api.CreateTagsRequest{Resources: []string{"vpc-0123456789abcdef0"}, Tags: []ec2api.Tag{{Key: ptr.To("a"), Value: ptr.To("b")}}})
	wantErr(t, err, "InvalidVpcID.NotFound", "")
}
