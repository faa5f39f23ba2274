package ec2

import (
	"slices"
	"strings"
	"testing"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/kit"
)

// cfnStack drives providers the way a stack does: create, update (the
// old properties kept), delete.
type cfnStack struct {
	t *testing.T
	f *fixture
	p map[string]kit.ResourceProvider
}

func newCfnStack(t *testing.T) *cfnStack {
	f := newFixture(t, "us-east-1")
	return &cfnStack{t: t, f: f, p: f.cfnResources()}
}

func (c *cfnStack) create(typ, logical string, props map[string]any) (kit.ResourceRequest, kit.ResourceResult) {
	c.t.Helper()
	r := kit.ResourceRequest{LogicalID: logical, StackName: "s", Properties: props}
	res, err := c.p[typ].Create(c.f.ctx, r)
	if err != nil {
		c.t.Fatalf("create %s: %v", typ, err)
	}
	r.PhysicalID, r.Attributes = res.PhysicalID, res.Attributes
	return r, res
}

func (c *cfnStack) update(typ string, r *kit.ResourceRequest, props map[string]any) kit.ResourceResult {
	c.t.Helper()
	for _, name := range c.p[typ].Replace {
		if kit.PropStr(props, name) != kit.PropStr(r.Properties, name) || kit.PropJSON(props, name) != kit.PropJSON(r.Properties, name) {
			c.t.Fatalf("%s: %s changes only by replacement", typ, name)
		}
	}
	r.OldProperties, r.Properties = r.Properties, props
	res, err := c.p[typ].Update(c.f.ctx, *r)
	if err != nil {
		c.t.Fatalf("update %s: %v", typ, err)
	}
	r.Attributes = res.Attributes
	return res
}

// remove deletes r twice: the second time it is already gone, which is
// no error.
func (c *cfnStack) remove(typ string, r kit.ResourceRequest) {
	c.t.Helper()
	for i := 0; i < 2; i++ {
		if err := c.p[typ].Delete(c.f.ctx, r); err != nil {
			c.t.Fatalf("delete %s (%d): %v", typ, i, err)
		}
	}
}

func (c *cfnStack) replaces(typ string, props ...string) {
	c.t.Helper()
	for _, p := range props {
		if !slices.Contains(c.p[typ].Replace, p) {
			c.t.Errorf("%s: a change of %s should replace it (AWS: Update requires: Replacement)", typ, p)
		}
	}
}

func (c *cfnStack) vpcAndSubnet() (vpc, subnet string) {
	v, _ := c.create("AWS::EC2::VPC", "V", map[string]any{"CidrBlock": "10.0.0.0/16"})
	s, _ := c.create("AWS::EC2::Subnet", "S", map[string]any{"VpcId": v.PhysicalID, "CidrBlock": "10.0.1.0/24", "AvailabilityZone": "us-east-1a"})
	return v.PhysicalID, s.PhysicalID
}

// TestCloudFormationNetworkAcl: an ACL, an entry changed in place by
// ReplaceNetworkAclEntry, and a subnet association that gives the subnet
// back to the VPC's default ACL when deleted.
func TestCloudFormationNetworkAcl(t *testing.T) {
	c := newCfnStack(t)
	vpc, subnet := c.vpcAndSubnet()
	acl, res := c.create("AWS::EC2::NetworkAcl", "A", map[string]any{"VpcId": vpc, "Tags": []any{map[string]any{"Key": "k", "Value": "v"}}})
	if !strings.HasPrefix(acl.PhysicalID, "acl-") || res.Attributes["Id"] != acl.PhysicalID {
		t.Fatalf("acl %+v", res)
	}
	c.replaces("AWS::EC2::NetworkAclEntry", "NetworkAclId", "RuleNumber", "Egress")
	entry, _ := c.create("AWS::EC2::NetworkAclEntry", "E", map[string]any{"NetworkAclId": acl.PhysicalID, "RuleNumber": "100",
		"Protocol": "6", "RuleAction": "allow", "CidrBlock": "10.0.0.0/8", "PortRange": map[string]any{"From": 443, "To": "443"}})
	c.update("AWS::EC2::NetworkAclEntry", &entry, map[string]any{"NetworkAclId": acl.PhysicalID, "RuleNumber": "100",
		"Protocol": "6", "RuleAction": "deny", "CidrBlock": "10.0.0.0/8", "PortRange": map[string]any{"From": 443, "To": "443"}})
	describe := func() ec2api.NetworkAcl {
		out, err := c.f.DescribeNetworkAcls(c.f.ctx, &ec2api.DescribeNetworkAclsRequest{NetworkAclIds: []string{acl.PhysicalID}})
		if err != nil || len(out.NetworkAcls) != 1 {
			t.Fatalf("describe %+v %v", out, err)
		}
		return out.NetworkAcls[0]
	}
	found := false
	for _, e := range describe().Entries {
		if e.RuleNumber != nil && *e.RuleNumber == 100 {
			found = deref(e.RuleAction) == "deny" && *e.PortRange.From == 443
		}
	}
	if !found {
		t.Fatalf("entry after update %+v", describe().Entries)
	}
	assoc, res := c.create("AWS::EC2::SubnetNetworkAclAssociation", "SA", map[string]any{"SubnetId": subnet, "NetworkAclId": acl.PhysicalID})
	if res.Attributes["AssociationId"] != assoc.PhysicalID || len(describe().Associations) != 1 {
		t.Fatalf("association %+v %+v", res, describe())
	}
	c.remove("AWS::EC2::SubnetNetworkAclAssociation", assoc)
	if len(describe().Associations) != 0 {
		t.Fatalf("the subnet stayed on the ACL: %+v", describe().Associations)
	}
	c.remove("AWS::EC2::NetworkAclEntry", entry)
	for _, e := range describe().Entries {
		if e.RuleNumber != nil && *e.RuleNumber == 100 {
			t.Fatal("the entry survived its delete")
		}
	}
	c.remove("AWS::EC2::NetworkAcl", acl)
}

// TestCloudFormationPeeringAndTransitGateway: a peering between two VPCs
// of the account is active; a transit gateway's description changes in
// place; its VPC attachment gains a subnet in place; a route table, a
// route, an association and a propagation are made and removed.
func TestCloudFormationPeeringAndTransitGateway(t *testing.T) {
	c := newCfnStack(t)
	vpc, subnet := c.vpcAndSubnet()
	other, _ := c.create("AWS::EC2::VPC", "V2", map[string]any{"CidrBlock": "10.1.0.0/16"})
	peer, res := c.create("AWS::EC2::VPCPeeringConnection", "P", map[string]any{"VpcId": vpc, "PeerVpcId": other.PhysicalID})
	if !strings.HasPrefix(peer.PhysicalID, "pcx-") || res.Attributes["Id"] != peer.PhysicalID {
		t.Fatalf("peering %+v", res)
	}
	pcx, err := c.f.DescribeVpcPeeringConnections(c.f.ctx, &ec2api.DescribeVpcPeeringConnectionsRequest{VpcPeeringConnectionIds: []string{peer.PhysicalID}})
	if err != nil || len(pcx.VpcPeeringConnections) != 1 || deref(pcx.VpcPeeringConnections[0].Status.Code) != "active" {
		t.Fatalf("peering %+v %v", pcx, err)
	}
	c.remove("AWS::EC2::VPCPeeringConnection", peer)

	c.replaces("AWS::EC2::TransitGateway", "MulticastSupport")
	tgw, res := c.create("AWS::EC2::TransitGateway", "T", map[string]any{"Description": "one", "AmazonSideAsn": 64512})
	if !strings.HasPrefix(tgw.PhysicalID, "tgw-") || !strings.HasSuffix(res.Attributes["TransitGatewayArn"].(string), tgw.PhysicalID) {
		t.Fatalf("tgw %+v", res)
	}
	c.update("AWS::EC2::TransitGateway", &tgw, map[string]any{"Description": "two", "AmazonSideAsn": 64512})
	tgws, err := c.f.DescribeTransitGateways(c.f.ctx, &ec2api.DescribeTransitGatewaysRequest{TransitGatewayIds: []string{tgw.PhysicalID}})
	if err != nil || len(tgws.TransitGateways) != 1 || deref(tgws.TransitGateways[0].Description) != "two" {
		t.Fatalf("tgw after update %+v %v", tgws, err)
	}
	second, _ := c.create("AWS::EC2::Subnet", "S2", map[string]any{"VpcId": vpc, "CidrBlock": "10.0.2.0/24", "AvailabilityZone": "us-east-1b"})
	c.replaces("AWS::EC2::TransitGatewayAttachment", "TransitGatewayId", "VpcId")
	att, res := c.create("AWS::EC2::TransitGatewayAttachment", "TA", map[string]any{"TransitGatewayId": tgw.PhysicalID, "VpcId": vpc,
		"SubnetIds": []any{subnet}})
	if !strings.HasPrefix(att.PhysicalID, "tgw-attach-") || res.Attributes["Id"] != att.PhysicalID {
		t.Fatalf("attachment %+v", res)
	}
	c.update("AWS::EC2::TransitGatewayAttachment", &att, map[string]any{"TransitGatewayId": tgw.PhysicalID, "VpcId": vpc,
		"SubnetIds": []any{subnet, second.PhysicalID}})
	atts, err := c.f.DescribeTransitGatewayVpcAttachments(c.f.ctx, &ec2api.DescribeTransitGatewayVpcAttachmentsRequest{TransitGatewayAttachmentIds: []string{att.PhysicalID}})
	if err != nil || len(atts.TransitGatewayVpcAttachments) != 1 || len(atts.TransitGatewayVpcAttachments[0].SubnetIds) != 2 {
		t.Fatalf("attachment after update %+v %v", atts, err)
	}
	rt, res := c.create("AWS::EC2::TransitGatewayRouteTable", "RT", map[string]any{"TransitGatewayId": tgw.PhysicalID})
	if res.Attributes["TransitGatewayRouteTableId"] != rt.PhysicalID {
		t.Fatalf("route table %+v", res)
	}
	route, _ := c.create("AWS::EC2::TransitGatewayRoute", "R", map[string]any{"TransitGatewayRouteTableId": rt.PhysicalID,
		"DestinationCidrBlock": "192.168.0.0/16", "Blackhole": true})
	routes, err := c.f.SearchTransitGatewayRoutes(c.f.ctx, &ec2api.SearchTransitGatewayRoutesRequest{TransitGatewayRouteTableId: &rt.PhysicalID,
		Filters: []ec2api.Filter{{Name: strp("type"), Values: []string{"static"}}}})
	if err != nil || len(routes.Routes) != 1 || deref(routes.Routes[0].State) != "blackhole" {
		t.Fatalf("routes %+v %v", routes, err)
	}
	c.remove("AWS::EC2::TransitGatewayRoute", route)
	// The attachment is on the gateway's default route table; a stack
	// moves it by removing that association first.
	def := deref(tgws.TransitGateways[0].Options.AssociationDefaultRouteTableId)
	if def != "" {
		if _, err := c.f.DisassociateTransitGatewayRouteTable(c.f.ctx, &ec2api.DisassociateTransitGatewayRouteTableRequest{
			TransitGatewayRouteTableId: &def, TransitGatewayAttachmentId: &att.PhysicalID}); err != nil {
			t.Fatal(err)
		}
	}
	link := map[string]any{"TransitGatewayRouteTableId": rt.PhysicalID, "TransitGatewayAttachmentId": att.PhysicalID}
	assoc, _ := c.create("AWS::EC2::TransitGatewayRouteTableAssociation", "RA", link)
	prop, _ := c.create("AWS::EC2::TransitGatewayRouteTablePropagation", "RP", link)
	c.remove("AWS::EC2::TransitGatewayRouteTablePropagation", prop)
	c.remove("AWS::EC2::TransitGatewayRouteTableAssociation", assoc)
	c.remove("AWS::EC2::TransitGatewayAttachment", att)
	c.remove("AWS::EC2::TransitGatewayRouteTable", rt)
	c.remove("AWS::EC2::TransitGateway", tgw)
}

// TestCloudFormationVolumeAndInterfaces: a volume grows in place and is
// attached to an instance; a network interface changes its description
// in place and is attached; an Elastic IP is associated with it.
func TestCloudFormationVolumeAndInterfaces(t *testing.T) {
	c := newCfnStack(t)
	vpc, subnet := c.vpcAndSubnet()
	c.replaces("AWS::EC2::Volume", "AvailabilityZone", "Encrypted", "KmsKeyId", "SnapshotId")
	vol, res := c.create("AWS::EC2::Volume", "Vol", map[string]any{"AvailabilityZone": "us-east-1a", "Size": "8", "VolumeType": "gp3"})
	if !strings.HasPrefix(vol.PhysicalID, "vol-") || res.Attributes["VolumeId"] != vol.PhysicalID {
		t.Fatalf("volume %+v", res)
	}
	c.update("AWS::EC2::Volume", &vol, map[string]any{"AvailabilityZone": "us-east-1a", "Size": 16, "VolumeType": "gp3",
		"Tags": []any{map[string]any{"Key": "team", "Value": "db"}}})
	vols, err := c.f.DescribeVolumes(c.f.ctx, &ec2api.DescribeVolumesRequest{VolumeIds: []string{vol.PhysicalID}})
	if err != nil || len(vols.Volumes) != 1 || *vols.Volumes[0].Size != 16 || len(vols.Volumes[0].Tags) != 1 {
		t.Fatalf("volume after update %+v %v", vols, err)
	}
	inst, _ := c.create("AWS::EC2::Instance", "I", map[string]any{"ImageId": amazonLinux("us-east-1"), "InstanceType": "t3.micro", "SubnetId": subnet})
	va, _ := c.create("AWS::EC2::VolumeAttachment", "VA", map[string]any{"VolumeId": vol.PhysicalID, "InstanceId": inst.PhysicalID, "Device": "/dev/sdf"})
	vols, _ = c.f.DescribeVolumes(c.f.ctx, &ec2api.DescribeVolumesRequest{VolumeIds: []string{vol.PhysicalID}})
	if len(vols.Volumes[0].Attachments) != 1 {
		t.Fatalf("attachment %+v", vols.Volumes[0])
	}
	c.remove("AWS::EC2::VolumeAttachment", va)
	vols, _ = c.f.DescribeVolumes(c.f.ctx, &ec2api.DescribeVolumesRequest{VolumeIds: []string{vol.PhysicalID}})
	if st := deref(vols.Volumes[0].State); len(vols.Volumes[0].Attachments) != 0 && st != "available" {
		t.Fatalf("volume after detach %+v", vols.Volumes[0])
	}

	sg, _ := c.create("AWS::EC2::SecurityGroup", "G", map[string]any{"GroupDescription": "eni", "VpcId": vpc})
	eni, res := c.create("AWS::EC2::NetworkInterface", "N", map[string]any{"SubnetId": subnet, "Description": "one",
		"GroupSet": []any{sg.PhysicalID}, "SourceDestCheck": false})
	if !strings.HasPrefix(eni.PhysicalID, "eni-") || res.Attributes["VpcId"] != vpc || res.Attributes["PrimaryPrivateIpAddress"] == "" {
		t.Fatalf("eni %+v", res)
	}
	c.update("AWS::EC2::NetworkInterface", &eni, map[string]any{"SubnetId": subnet, "Description": "two",
		"GroupSet": []any{sg.PhysicalID}, "SourceDestCheck": false})
	enis, err := c.f.DescribeNetworkInterfaces(c.f.ctx, &ec2api.DescribeNetworkInterfacesRequest{NetworkInterfaceIds: []string{eni.PhysicalID}})
	if err != nil || len(enis.NetworkInterfaces) != 1 || deref(enis.NetworkInterfaces[0].Description) != "two" || *enis.NetworkInterfaces[0].SourceDestCheck {
		t.Fatalf("eni after update %+v %v", enis, err)
	}
	eip, _ := c.create("AWS::EC2::EIP", "E", map[string]any{"Domain": "vpc"})
	ea, res := c.create("AWS::EC2::EIPAssociation", "EA", map[string]any{"AllocationId": eip.Attributes["AllocationId"], "NetworkInterfaceId": eni.PhysicalID})
	if !strings.HasPrefix(ea.PhysicalID, "eipassoc-") || res.Attributes["Id"] != ea.PhysicalID {
		t.Fatalf("eip association %+v", res)
	}
	c.remove("AWS::EC2::EIPAssociation", ea)
	addrs, err := c.f.DescribeAddresses(c.f.ctx, &ec2api.DescribeAddressesRequest{PublicIps: []string{eip.PhysicalID}})
	if err != nil || len(addrs.Addresses) != 1 || addrs.Addresses[0].AssociationId != nil {
		t.Fatalf("address after disassociation %+v %v", addrs, err)
	}
	att, res := c.create("AWS::EC2::NetworkInterfaceAttachment", "NA", map[string]any{"InstanceId": inst.PhysicalID,
		"NetworkInterfaceId": eni.PhysicalID, "DeviceIndex": "1"})
	if !strings.HasPrefix(att.PhysicalID, "eni-attach-") || res.Attributes["AttachmentId"] != att.PhysicalID {
		t.Fatalf("eni attachment %+v", res)
	}
	c.remove("AWS::EC2::NetworkInterfaceAttachment", att)
	c.remove("AWS::EC2::NetworkInterface", eni)
}

// TestCloudFormationVPCExtras: DHCP options and their association, an
// egress-only gateway, a flow log, a prefix list edited in place, a
// placement group and extra CIDR blocks.
func TestCloudFormationVPCExtras(t *testing.T) {
	c := newCfnStack(t)
	vpc, subnet := c.vpcAndSubnet()
	dhcp, res := c.create("AWS::EC2::DHCPOptions", "D", map[string]any{"DomainName": "corp.example", "DomainNameServers": []any{"AmazonProvidedDNS"}})
	if res.Attributes["DhcpOptionsId"] != dhcp.PhysicalID {
		t.Fatalf("dhcp %+v", res)
	}
	dassoc, _ := c.create("AWS::EC2::VPCDHCPOptionsAssociation", "DA", map[string]any{"VpcId": vpc, "DhcpOptionsId": dhcp.PhysicalID})
	vpcOptions := func() string {
		out, err := c.f.DescribeVpcs(c.f.ctx, &ec2api.DescribeVpcsInput{VpcIds: []string{vpc}})
		if err != nil || len(out.Vpcs) != 1 {
			t.Fatalf("vpc %+v %v", out, err)
		}
		return deref(out.Vpcs[0].DhcpOptionsId)
	}
	if vpcOptions() != dhcp.PhysicalID {
		t.Fatalf("vpc options %s", vpcOptions())
	}
	c.remove("AWS::EC2::VPCDHCPOptionsAssociation", dassoc)
	if vpcOptions() == dhcp.PhysicalID {
		t.Fatal("the VPC kept the options after the association's delete")
	}
	c.remove("AWS::EC2::DHCPOptions", dhcp)

	eigw, res := c.create("AWS::EC2::EgressOnlyInternetGateway", "EG", map[string]any{"VpcId": vpc})
	if !strings.HasPrefix(eigw.PhysicalID, "eigw-") || res.Attributes["Id"] != eigw.PhysicalID {
		t.Fatalf("egress-only gateway %+v", res)
	}
	c.remove("AWS::EC2::EgressOnlyInternetGateway", eigw)

	fl, res := c.create("AWS::EC2::FlowLog", "FL", map[string]any{"ResourceId": vpc, "ResourceType": "VPC", "TrafficType": "ALL",
		"LogDestinationType": "s3", "LogDestination": "arn:aws:s3:::flow-logs"})
	if !strings.HasPrefix(fl.PhysicalID, "fl-") || res.Attributes["Id"] != fl.PhysicalID {
		t.Fatalf("flow log %+v", res)
	}
	c.remove("AWS::EC2::FlowLog", fl)

	c.replaces("AWS::EC2::PrefixList", "AddressFamily")
	pl, res := c.create("AWS::EC2::PrefixList", "PL", map[string]any{"PrefixListName": "offices", "AddressFamily": "IPv4", "MaxEntries": 5,
		"Entries": []any{map[string]any{"Cidr": "10.1.0.0/16", "Description": "a"}}})
	if !strings.HasPrefix(pl.PhysicalID, "pl-") || res.Attributes["PrefixListId"] != pl.PhysicalID || !strings.Contains(res.Attributes["Arn"].(string), pl.PhysicalID) {
		t.Fatalf("prefix list %+v", res)
	}
	res = c.update("AWS::EC2::PrefixList", &pl, map[string]any{"PrefixListName": "branches", "AddressFamily": "IPv4", "MaxEntries": 5,
		"Entries": []any{map[string]any{"Cidr": "10.2.0.0/16", "Description": "b"}, map[string]any{"Cidr": "10.3.0.0/16"}}})
	entries, err := c.f.GetManagedPrefixListEntries(c.f.ctx, &ec2api.GetManagedPrefixListEntriesRequest{PrefixListId: &pl.PhysicalID})
	if err != nil || len(entries.Entries) != 2 || res.Attributes["Version"] != int64(2) {
		t.Fatalf("prefix list after update %+v %+v %v", res, entries, err)
	}
	c.remove("AWS::EC2::PrefixList", pl)

	pg, res := c.create("AWS::EC2::PlacementGroup", "PG", map[string]any{"Strategy": "spread"})
	if !strings.HasPrefix(pg.PhysicalID, "s-PG-") || res.Attributes["GroupName"] != pg.PhysicalID {
		t.Fatalf("placement group %+v", res)
	}
	c.remove("AWS::EC2::PlacementGroup", pg)

	cidr, res := c.create("AWS::EC2::VPCCidrBlock", "C4", map[string]any{"VpcId": vpc, "CidrBlock": "10.9.0.0/16"})
	if !strings.HasPrefix(cidr.PhysicalID, "vpc-cidr-assoc-") || res.Attributes["Id"] != cidr.PhysicalID {
		t.Fatalf("vpc cidr %+v", res)
	}
	c.remove("AWS::EC2::VPCCidrBlock", cidr)
	v6, res := c.create("AWS::EC2::VPCCidrBlock", "C6", map[string]any{"VpcId": vpc, "AmazonProvidedIpv6CidrBlock": true})
	block, _ := res.Attributes["Ipv6CidrBlock"].(string)
	if !strings.HasSuffix(block, "/56") {
		t.Fatalf("vpc ipv6 cidr %+v", res)
	}
	sub6, res := c.create("AWS::EC2::SubnetCidrBlock", "SC", map[string]any{"SubnetId": subnet,
		"Ipv6CidrBlock": strings.TrimSuffix(block, "/56") + "/64"})
	if !strings.HasPrefix(sub6.PhysicalID, "subnet-cidr-assoc-") || res.Attributes["Id"] != sub6.PhysicalID {
		t.Fatalf("subnet cidr %+v", res)
	}
	c.remove("AWS::EC2::SubnetCidrBlock", sub6)
	c.remove("AWS::EC2::VPCCidrBlock", v6)
}

// TestCloudFormationSecurityGroupRules: a group's inline egress rules
// replace the default allow-all rule; an update changes its ingress and
// egress in place (the same group id), and dropping the egress list
// brings the default rule back.
func TestCloudFormationSecurityGroupRules(t *testing.T) {
	c := newCfnStack(t)
	vpc, _ := c.vpcAndSubnet()
	c.replaces("AWS::EC2::SecurityGroup", "GroupName", "GroupDescription", "VpcId")
	rule := func(port int, cidr string) map[string]any {
		return map[string]any{"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "CidrIp": cidr, "Description": "d"}
	}
	sg, _ := c.create("AWS::EC2::SecurityGroup", "G", map[string]any{"GroupDescription": "web", "VpcId": vpc,
		"SecurityGroupIngress": []any{rule(443, "0.0.0.0/0")}, "SecurityGroupEgress": []any{rule(5432, "10.0.0.0/16")}})
	perms := func() (ingress, egress []ec2api.IpPermission) {
		out, err := c.f.DescribeSecurityGroups(c.f.ctx, &ec2api.DescribeSecurityGroupsInput{GroupIds: []string{sg.PhysicalID}})
		if err != nil || len(out.SecurityGroups) != 1 {
			t.Fatalf("describe %+v %v", out, err)
		}
		return out.SecurityGroups[0].IpPermissions, out.SecurityGroups[0].IpPermissionsEgress
	}
	in, out := perms()
	if len(in) != 1 || *in[0].FromPort != 443 || deref(in[0].IpRanges[0].Description) != "d" || len(out) != 1 || *out[0].FromPort != 5432 {
		t.Fatalf("rules %+v %+v", in, out)
	}
	res := c.update("AWS::EC2::SecurityGroup", &sg, map[string]any{"GroupDescription": "web", "VpcId": vpc,
		"SecurityGroupIngress": []any{rule(80, "0.0.0.0/0")}, "SecurityGroupEgress": []any{rule(5432, "10.0.0.0/16")}})
	if res.PhysicalID != sg.PhysicalID {
		t.Fatalf("update answered %+v", res)
	}
	if in, out = perms(); len(in) != 1 || *in[0].FromPort != 80 || len(out) != 1 {
		t.Fatalf("rules after update %+v %+v", in, out)
	}
	c.update("AWS::EC2::SecurityGroup", &sg, map[string]any{"GroupDescription": "web", "VpcId": vpc,
		"SecurityGroupIngress": []any{rule(80, "0.0.0.0/0")}})
	if _, out = perms(); len(out) != 1 || deref(out[0].IpProtocol) != "-1" {
		t.Fatalf("egress after dropping the list %+v", out)
	}
	c.remove("AWS::EC2::SecurityGroup", sg)
}

// TestCloudFormationVPNAndMirroring: a site-to-site VPN (customer
// gateway, VPN gateway attached by a VPCGatewayAttachment, connection,
// static route, route propagation moved between route tables in place),
// a capacity reservation grown in place, and a traffic mirror filter,
// rule, target and session.
func TestCloudFormationVPNAndMirroring(t *testing.T) {
	c := newCfnStack(t)
	vpc, subnet := c.vpcAndSubnet()
	cgw, res := c.create("AWS::EC2::CustomerGateway", "CGW", map[string]any{"Type": "ipsec.1", "BgpAsn": 65000, "IpAddress": "203.0.113.10"})
	if !strings.HasPrefix(cgw.PhysicalID, "cgw-") || res.Attributes["CustomerGatewayId"] != cgw.PhysicalID {
		t.Fatalf("customer gateway %+v", res)
	}
	vgw, res := c.create("AWS::EC2::VPNGateway", "VGW", map[string]any{"Type": "ipsec.1", "AmazonSideAsn": 64512})
	if !strings.HasPrefix(vgw.PhysicalID, "vgw-") || res.Attributes["VPNGatewayId"] != vgw.PhysicalID {
		t.Fatalf("vpn gateway %+v", res)
	}
	att, _ := c.create("AWS::EC2::VPCGatewayAttachment", "Att", map[string]any{"VpcId": vpc, "VpnGatewayId": vgw.PhysicalID})
	gws, err := c.f.DescribeVpnGateways(c.f.ctx, &ec2api.DescribeVpnGatewaysRequest{VpnGatewayIds: []string{vgw.PhysicalID}})
	if err != nil || len(gws.VpnGateways) != 1 || len(gws.VpnGateways[0].VpcAttachments) != 1 || deref(gws.VpnGateways[0].VpcAttachments[0].VpcId) != vpc {
		t.Fatalf("attachment %+v %v", gws, err)
	}
	vpn, res := c.create("AWS::EC2::VPNConnection", "VPN", map[string]any{"Type": "ipsec.1", "CustomerGatewayId": cgw.PhysicalID,
		"VpnGatewayId": vgw.PhysicalID, "StaticRoutesOnly": true})
	if !strings.HasPrefix(vpn.PhysicalID, "vpn-") || res.Attributes["VpnConnectionId"] != vpn.PhysicalID {
		t.Fatalf("vpn connection %+v", res)
	}
	route, _ := c.create("AWS::EC2::VPNConnectionRoute", "R", map[string]any{"VpnConnectionId": vpn.PhysicalID, "DestinationCidrBlock": "192.168.0.0/16"})
	conns, err := c.f.DescribeVpnConnections(c.f.ctx, &ec2api.DescribeVpnConnectionsRequest{VpnConnectionIds: []string{vpn.PhysicalID}})
	if err != nil || len(conns.VpnConnections) != 1 || len(conns.VpnConnections[0].Routes) != 1 {
		t.Fatalf("vpn routes %+v %v", conns, err)
	}
	c.remove("AWS::EC2::VPNConnectionRoute", route)
	rt1, _ := c.create("AWS::EC2::RouteTable", "RT1", map[string]any{"VpcId": vpc})
	rt2, _ := c.create("AWS::EC2::RouteTable", "RT2", map[string]any{"VpcId": vpc})
	prop, _ := c.create("AWS::EC2::VPNGatewayRoutePropagation", "Prop", map[string]any{"VpnGatewayId": vgw.PhysicalID, "RouteTableIds": []any{rt1.PhysicalID}})
	propagates := func(rt string) bool {
		out, err := c.f.DescribeRouteTables(c.f.ctx, &ec2api.DescribeRouteTablesInput{RouteTableIds: []string{rt}})
		if err != nil || len(out.RouteTables) != 1 {
			t.Fatalf("route table %+v %v", out, err)
		}
		return len(out.RouteTables[0].PropagatingVgws) == 1
	}
	if !propagates(rt1.PhysicalID) || propagates(rt2.PhysicalID) {
		t.Fatal("propagation not on the first table only")
	}
	c.update("AWS::EC2::VPNGatewayRoutePropagation", &prop, map[string]any{"VpnGatewayId": vgw.PhysicalID, "RouteTableIds": []any{rt2.PhysicalID}})
	if propagates(rt1.PhysicalID) || !propagates(rt2.PhysicalID) {
		t.Fatal("propagation did not move to the second table")
	}
	c.remove("AWS::EC2::VPNGatewayRoutePropagation", prop)
	c.remove("AWS::EC2::VPNConnection", vpn)
	c.remove("AWS::EC2::VPCGatewayAttachment", att)
	c.remove("AWS::EC2::VPNGateway", vgw)
	c.remove("AWS::EC2::CustomerGateway", cgw)

	c.replaces("AWS::EC2::CapacityReservation", "InstanceType", "AvailabilityZone", "InstancePlatform")
	cr, res := c.create("AWS::EC2::CapacityReservation", "CR", map[string]any{"InstanceType": "t3.micro", "InstancePlatform": "Linux/UNIX",
		"AvailabilityZone": "us-east-1a", "InstanceCount": 1})
	if !strings.HasPrefix(cr.PhysicalID, "cr-") || res.Attributes["TotalInstanceCount"] != "1" || res.Attributes["InstanceType"] != "t3.micro" {
		t.Fatalf("capacity reservation %+v", res)
	}
	res = c.update("AWS::EC2::CapacityReservation", &cr, map[string]any{"InstanceType": "t3.micro", "InstancePlatform": "Linux/UNIX",
		"AvailabilityZone": "us-east-1a", "InstanceCount": 3})
	if res.Attributes["TotalInstanceCount"] != "3" {
		t.Fatalf("capacity reservation after update %+v", res)
	}
	c.remove("AWS::EC2::CapacityReservation", cr)

	eni, _ := c.create("AWS::EC2::NetworkInterface", "Src", map[string]any{"SubnetId": subnet})
	dst, _ := c.create("AWS::EC2::NetworkInterface", "Dst", map[string]any{"SubnetId": subnet})
	filter, _ := c.create("AWS::EC2::TrafficMirrorFilter", "F", map[string]any{"Description": "f", "NetworkServices": []any{"amazon-dns"}})
	c.update("AWS::EC2::TrafficMirrorFilter", &filter, map[string]any{"Description": "f"})
	filters, err := c.f.DescribeTrafficMirrorFilters(c.f.ctx, &ec2api.DescribeTrafficMirrorFiltersRequest{TrafficMirrorFilterIds: []string{filter.PhysicalID}})
	if err != nil || len(filters.TrafficMirrorFilters) != 1 || len(filters.TrafficMirrorFilters[0].NetworkServices) != 0 {
		t.Fatalf("filter after update %+v %v", filters, err)
	}
	rule, _ := c.create("AWS::EC2::TrafficMirrorFilterRule", "FR", map[string]any{"TrafficMirrorFilterId": filter.PhysicalID,
		"TrafficDirection": "ingress", "RuleNumber": 10, "RuleAction": "accept", "Protocol": 6, "SourceCidrBlock": "0.0.0.0/0",
		"DestinationCidrBlock": "0.0.0.0/0", "DestinationPortRange": map[string]any{"FromPort": 443, "ToPort": 443}})
	if !strings.HasPrefix(rule.PhysicalID, "tmfr-") {
		t.Fatalf("filter rule %+v", rule)
	}
	target, _ := c.create("AWS::EC2::TrafficMirrorTarget", "T", map[string]any{"NetworkInterfaceId": dst.PhysicalID})
	session, _ := c.create("AWS::EC2::TrafficMirrorSession", "S", map[string]any{"NetworkInterfaceId": eni.PhysicalID,
		"TrafficMirrorTargetId": target.PhysicalID, "TrafficMirrorFilterId": filter.PhysicalID, "SessionNumber": 1})
	if !strings.HasPrefix(session.PhysicalID, "tms-") || !strings.HasPrefix(target.PhysicalID, "tmt-") {
		t.Fatalf("session %+v target %+v", session, target)
	}
	c.remove("AWS::EC2::TrafficMirrorSession", session)
	c.remove("AWS::EC2::TrafficMirrorTarget", target)
	c.remove("AWS::EC2::TrafficMirrorFilterRule", rule)
	c.remove("AWS::EC2::TrafficMirrorFilter", filter)
}

// TestCloudFormationInstanceUpdate: an instance's tags and security
// groups change in place (the same instance id); its image or type
// replace it.
func TestCloudFormationInstanceUpdate(t *testing.T) {
	c := newCfnStack(t)
	vpc, subnet := c.vpcAndSubnet()
	c.replaces("AWS::EC2::Instance", "ImageId", "InstanceType", "SubnetId", "UserData", "KeyName")
	a, _ := c.create("AWS::EC2::SecurityGroup", "A", map[string]any{"GroupDescription": "a", "VpcId": vpc})
	b, _ := c.create("AWS::EC2::SecurityGroup", "B", map[string]any{"GroupDescription": "b", "VpcId": vpc})
	props := func(sg, tag string) map[string]any {
		return map[string]any{"ImageId": amazonLinux("us-east-1"), "InstanceType": "t3.micro", "SubnetId": subnet,
			"SecurityGroupIds": []any{sg}, "Tags": []any{map[string]any{"Key": "Name", "Value": tag}}}
	}
	inst, _ := c.create("AWS::EC2::Instance", "I", props(a.PhysicalID, "one"))
	c.update("AWS::EC2::Instance", &inst, props(b.PhysicalID, "two"))
	out, err := c.f.DescribeInstances(c.f.ctx, &ec2api.DescribeInstancesInput{InstanceIds: []string{inst.PhysicalID}})
	if err != nil || len(out.Reservations) != 1 {
		t.Fatalf("describe %+v %v", out, err)
	}
	i := out.Reservations[0].Instances[0]
	if len(i.SecurityGroups) != 1 || deref(i.SecurityGroups[0].GroupId) != b.PhysicalID || len(i.Tags) != 1 || deref(i.Tags[0].Value) != "two" {
		t.Fatalf("instance after update groups %+v tags %+v", i.SecurityGroups, i.Tags)
	}
}

// TestCloudFormationEndpointServiceAndPeering: an endpoint service whose
// acceptance changes in place, its permissions moved between principals,
// a connection notification; a transit gateway peering, a Connect
// attachment and a multicast domain; a Reachability Analyzer path.
func TestCloudFormationEndpointServiceAndPeering(t *testing.T) {
	c := newCfnStack(t)
	vpc, subnet := c.vpcAndSubnet()
	nlb := "arn:aws:elasticloadbalancing:us-east-1:" + testAccount + ":loadbalancer/net/api/0123456789abcdef"
	svc, res := c.create("AWS::EC2::VPCEndpointService", "Svc", map[string]any{"NetworkLoadBalancerArns": []any{nlb}, "AcceptanceRequired": true})
	if !strings.HasPrefix(svc.PhysicalID, "vpce-svc-") || res.Attributes["ServiceId"] != svc.PhysicalID ||
		!strings.HasSuffix(res.Attributes["ServiceName"].(string), svc.PhysicalID) {
		t.Fatalf("endpoint service %+v", res)
	}
	c.update("AWS::EC2::VPCEndpointService", &svc, map[string]any{"NetworkLoadBalancerArns": []any{nlb}, "AcceptanceRequired": false})
	svcs, err := c.f.DescribeVpcEndpointServiceConfigurations(c.f.ctx, &ec2api.DescribeVpcEndpointServiceConfigurationsRequest{ServiceIds: []string{svc.PhysicalID}})
	if err != nil || len(svcs.ServiceConfigurations) != 1 || *svcs.ServiceConfigurations[0].AcceptanceRequired {
		t.Fatalf("endpoint service after update %+v %v", svcs, err)
	}
	a, b := "arn:aws:iam::111111111111:root", "arn:aws:iam::222222222222:root"
	perms, _ := c.create("AWS::EC2::VPCEndpointServicePermissions", "Perm", map[string]any{"ServiceId": svc.PhysicalID, "AllowedPrincipals": []any{a}})
	c.update("AWS::EC2::VPCEndpointServicePermissions", &perms, map[string]any{"ServiceId": svc.PhysicalID, "AllowedPrincipals": []any{b}})
	allowed, err := c.f.DescribeVpcEndpointServicePermissions(c.f.ctx, &ec2api.DescribeVpcEndpointServicePermissionsRequest{ServiceId: &svc.PhysicalID})
	if err != nil || len(allowed.AllowedPrincipals) != 1 || deref(allowed.AllowedPrincipals[0].Principal) != b {
		t.Fatalf("permissions %+v %v", allowed, err)
	}
	c.remove("AWS::EC2::VPCEndpointServicePermissions", perms)
	note, res := c.create("AWS::EC2::VPCEndpointConnectionNotification", "N", map[string]any{"ServiceId": svc.PhysicalID,
		"ConnectionNotificationArn": "arn:aws:sns:us-east-1:" + testAccount + ":endpoints", "ConnectionEvents": []any{"Accept"}})
	if !strings.HasPrefix(note.PhysicalID, "vpce-nfn-") || res.Attributes["VPCEndpointConnectionNotificationId"] != note.PhysicalID {
		t.Fatalf("notification %+v", res)
	}
	c.update("AWS::EC2::VPCEndpointConnectionNotification", &note, map[string]any{"ServiceId": svc.PhysicalID,
		"ConnectionNotificationArn": "arn:aws:sns:us-east-1:" + testAccount + ":endpoints", "ConnectionEvents": []any{"Accept", "Reject"}})
	c.remove("AWS::EC2::VPCEndpointConnectionNotification", note)
	c.remove("AWS::EC2::VPCEndpointService", svc)

	t1, _ := c.create("AWS::EC2::TransitGateway", "T1", map[string]any{"MulticastSupport": "enable"})
	t2, _ := c.create("AWS::EC2::TransitGateway", "T2", map[string]any{})
	peer, res := c.create("AWS::EC2::TransitGatewayPeeringAttachment", "P", map[string]any{"TransitGatewayId": t1.PhysicalID,
		"PeerTransitGatewayId": t2.PhysicalID, "PeerAccountId": testAccount, "PeerRegion": "us-east-1"})
	if !strings.HasPrefix(peer.PhysicalID, "tgw-attach-") || res.Attributes["TransitGatewayAttachmentId"] != peer.PhysicalID {
		t.Fatalf("peering %+v", res)
	}
	c.remove("AWS::EC2::TransitGatewayPeeringAttachment", peer)
	transport, _ := c.create("AWS::EC2::TransitGatewayAttachment", "VA", map[string]any{"TransitGatewayId": t1.PhysicalID, "VpcId": vpc,
		"SubnetIds": []any{subnet}})
	conn, res := c.create("AWS::EC2::TransitGatewayConnect", "C", map[string]any{"TransportTransitGatewayAttachmentId": transport.PhysicalID,
		"Options": map[string]any{"Protocol": "gre"}})
	if !strings.HasPrefix(conn.PhysicalID, "tgw-attach-") || res.Attributes["TransitGatewayId"] != t1.PhysicalID {
		t.Fatalf("connect %+v", res)
	}
	c.remove("AWS::EC2::TransitGatewayConnect", conn)
	dom, res := c.create("AWS::EC2::TransitGatewayMulticastDomain", "M", map[string]any{"TransitGatewayId": t1.PhysicalID,
		"Options": map[string]any{"Igmpv2Support": "enable"}})
	if !strings.HasPrefix(dom.PhysicalID, "tgw-mcast-domain-") || res.Attributes["TransitGatewayMulticastDomainId"] != dom.PhysicalID {
		t.Fatalf("multicast domain %+v", res)
	}
	c.remove("AWS::EC2::TransitGatewayMulticastDomain", dom)

	src, _ := c.create("AWS::EC2::NetworkInterface", "Src", map[string]any{"SubnetId": subnet})
	dst, _ := c.create("AWS::EC2::NetworkInterface", "Dst", map[string]any{"SubnetId": subnet})
	path, res := c.create("AWS::EC2::NetworkInsightsPath", "Path", map[string]any{"Source": src.PhysicalID, "Destination": dst.PhysicalID,
		"Protocol": "tcp", "DestinationPort": 443})
	if !strings.HasPrefix(path.PhysicalID, "nip-") || !strings.HasSuffix(res.Attributes["NetworkInsightsPathArn"].(string), path.PhysicalID) ||
		!strings.HasSuffix(res.Attributes["SourceArn"].(string), src.PhysicalID) {
		t.Fatalf("insights path %+v", res)
	}
	c.remove("AWS::EC2::NetworkInsightsPath", path)
}

// TestCloudFormationVPCBasicsInPlace: a VPC's DNS attributes, a subnet's
// public-IP mapping and the tags of a VPC, subnet, route table, internet
// gateway, NAT gateway and Elastic IP change in place (same ids); a
// route's target moves with ReplaceRoute.
func TestCloudFormationVPCBasicsInPlace(t *testing.T) {
	c := newCfnStack(t)
	tags := []any{map[string]any{"Key": "env", "Value": "prod"}}
	vpc, _ := c.create("AWS::EC2::VPC", "V", map[string]any{"CidrBlock": "10.0.0.0/16"})
	c.replaces("AWS::EC2::VPC", "CidrBlock")
	c.update("AWS::EC2::VPC", &vpc, map[string]any{"CidrBlock": "10.0.0.0/16", "EnableDnsHostnames": true, "Tags": tags})
	attr, err := c.f.DescribeVpcAttribute(c.f.ctx, &ec2api.DescribeVpcAttributeRequest{VpcId: &vpc.PhysicalID, Attribute: strp("enableDnsHostnames")})
	if err != nil || !*attr.EnableDnsHostnames.Value {
		t.Fatalf("dns hostnames %+v %v", attr, err)
	}
	sub, _ := c.create("AWS::EC2::Subnet", "S", map[string]any{"VpcId": vpc.PhysicalID, "CidrBlock": "10.0.1.0/24"})
	c.replaces("AWS::EC2::Subnet", "CidrBlock", "VpcId", "AvailabilityZone")
	c.update("AWS::EC2::Subnet", &sub, map[string]any{"VpcId": vpc.PhysicalID, "CidrBlock": "10.0.1.0/24", "MapPublicIpOnLaunch": true, "Tags": tags})
	subs, err := c.f.DescribeSubnets(c.f.ctx, &ec2api.DescribeSubnetsInput{SubnetIds: []string{sub.PhysicalID}})
	if err != nil || !*subs.Subnets[0].MapPublicIpOnLaunch || len(subs.Subnets[0].Tags) != 1 {
		t.Fatalf("subnet after update %+v %v", subs, err)
	}
	igw, _ := c.create("AWS::EC2::InternetGateway", "G", map[string]any{})
	c.update("AWS::EC2::InternetGateway", &igw, map[string]any{"Tags": tags})
	c.create("AWS::EC2::VPCGatewayAttachment", "GA", map[string]any{"VpcId": vpc.PhysicalID, "InternetGatewayId": igw.PhysicalID})
	rt, _ := c.create("AWS::EC2::RouteTable", "RT", map[string]any{"VpcId": vpc.PhysicalID})
	c.update("AWS::EC2::RouteTable", &rt, map[string]any{"VpcId": vpc.PhysicalID, "Tags": tags})
	eip, _ := c.create("AWS::EC2::EIP", "E", map[string]any{"Domain": "vpc"})
	c.update("AWS::EC2::EIP", &eip, map[string]any{"Domain": "vpc", "Tags": tags})
	nat, _ := c.create("AWS::EC2::NatGateway", "N", map[string]any{"SubnetId": sub.PhysicalID, "AllocationId": eip.Attributes["AllocationId"]})
	c.update("AWS::EC2::NatGateway", &nat, map[string]any{"SubnetId": sub.PhysicalID, "AllocationId": eip.Attributes["AllocationId"], "Tags": tags})
	for _, id := range []string{vpc.PhysicalID, sub.PhysicalID, igw.PhysicalID, rt.PhysicalID, eip.Attributes["AllocationId"].(string), nat.PhysicalID} {
		out, err := c.f.DescribeTags(c.f.ctx, &ec2api.DescribeTagsRequest{Filters: []ec2api.Filter{{Name: strp("resource-id"), Values: []string{id}}}})
		if err != nil || len(out.Tags) != 1 || deref(out.Tags[0].Value) != "prod" {
			t.Fatalf("tags of %s: %+v %v", id, out, err)
		}
	}
	route, _ := c.create("AWS::EC2::Route", "R", map[string]any{"RouteTableId": rt.PhysicalID, "DestinationCidrBlock": "0.0.0.0/0", "GatewayId": igw.PhysicalID})
	c.update("AWS::EC2::Route", &route, map[string]any{"RouteTableId": rt.PhysicalID, "DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": nat.PhysicalID})
	rts, err := c.f.DescribeRouteTables(c.f.ctx, &ec2api.DescribeRouteTablesInput{RouteTableIds: []string{rt.PhysicalID}})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range rts.RouteTables[0].Routes {
		if deref(r.DestinationCidrBlock) == "0.0.0.0/0" {
			found = deref(r.NatGatewayId) == nat.PhysicalID && r.GatewayId == nil
		}
	}
	if !found {
		t.Fatalf("routes after update %+v", rts.RouteTables[0].Routes)
	}
}

// TestCloudFormationFleets: an EC2 fleet from the template's CreateFleet
// shape, its target capacity changed in place, deleted with its
// instances; a spot fleet whose target capacity changes in place and
// whose other changes are refused by name; cancelled on delete.
func TestCloudFormationFleets(t *testing.T) {
	c := newCfnStack(t)
	lt := fleetTemplate(t, c.f)
	capacity := func(n int) map[string]any {
		return map[string]any{"LaunchTemplateConfigs": []any{map[string]any{"LaunchTemplateSpecification": map[string]any{
			"LaunchTemplateId": lt, "Version": "$Latest"}}}, "TargetCapacitySpecification": map[string]any{
			"TotalTargetCapacity": n, "DefaultTargetCapacityType": "on-demand"}}
	}
	c.replaces("AWS::EC2::EC2Fleet", "LaunchTemplateConfigs", "Type")
	fleet, res := c.create("AWS::EC2::EC2Fleet", "F", capacity(1))
	if !strings.HasPrefix(fleet.PhysicalID, "fleet-") || res.Attributes["FleetId"] != fleet.PhysicalID {
		t.Fatalf("fleet %+v", res)
	}
	c.update("AWS::EC2::EC2Fleet", &fleet, capacity(2))
	fleets, err := c.f.DescribeFleets(c.f.ctx, &ec2api.DescribeFleetsRequest{FleetIds: []string{fleet.PhysicalID}})
	if err != nil || len(fleets.Fleets) != 1 || *fleets.Fleets[0].TargetCapacitySpecification.TotalTargetCapacity != 2 {
		t.Fatalf("fleet after update %+v %v", fleets, err)
	}
	c.remove("AWS::EC2::EC2Fleet", fleet)

	spot := func(n int, itype string) map[string]any {
		return map[string]any{"SpotFleetRequestConfigData": map[string]any{"IamFleetRole": "arn:aws:iam::" + testAccount + ":role/fleet",
			"TargetCapacity": n, "LaunchSpecifications": []any{map[string]any{"ImageId": "ami-12345678", "InstanceType": itype}}}}
	}
	sf, res := c.create("AWS::EC2::SpotFleet", "S", spot(2, "t3.micro"))
	if !strings.HasPrefix(sf.PhysicalID, "sfr-") || res.Attributes["Id"] != sf.PhysicalID {
		t.Fatalf("spot fleet %+v", res)
	}
	c.update("AWS::EC2::SpotFleet", &sf, spot(3, "t3.micro"))
	reqs, err := c.f.DescribeSpotFleetRequests(c.f.ctx, &ec2api.DescribeSpotFleetRequestsRequest{SpotFleetRequestIds: []string{sf.PhysicalID}})
	if err != nil || len(reqs.SpotFleetRequestConfigs) != 1 || *reqs.SpotFleetRequestConfigs[0].SpotFleetRequestConfig.TargetCapacity != 3 {
		t.Fatalf("spot fleet after update %+v %v", reqs, err)
	}
	bad := sf
	bad.OldProperties, bad.Properties = sf.Properties, spot(3, "m5.large")
	if _, err := c.p["AWS::EC2::SpotFleet"].Update(c.f.ctx, bad); err == nil || !strings.Contains(err.Error(), "LaunchSpecifications") {
		t.Fatalf("a new launch specification in place: %v", err)
	}
	c.remove("AWS::EC2::SpotFleet", sf)
}
