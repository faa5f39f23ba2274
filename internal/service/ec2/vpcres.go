package ec2

import (
	"fmt"
	"net/netip"
	"strings"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/service/ec2/filter"
	"github.com/niwa-cloud/niwa/internal/service/ec2/route"
	"github.com/niwa-cloud/niwa/internal/storage"
)

var (
	enis = resource[ec2api.NetworkInterface]{table: storage.NewTable[ec2api.NetworkInterface]("eni"), prefix: "eni", typ: "network-interface", noun: "networkInterface", notFound: errENINotFound,
		tags: func(v *ec2api.NetworkInterface) *[]ec2api.Tag { return &v.TagSet }, doc: eniDoc}
	dhcps = resource[ec2api.DhcpOptions]{table: storage.NewTable[ec2api.DhcpOptions]("dhcp"), prefix: "dopt", typ: "dhcp-options", noun: "dhcpOption", notFound: errDhcpNotFound,
		tags: func(v *ec2api.DhcpOptions) *[]ec2api.Tag { return &v.Tags }, doc: dhcpDoc}
	acls = resource[ec2api.NetworkAcl]{table: storage.NewTable[ec2api.NetworkAcl]("acl"), prefix: "acl", typ: "network-acl", noun: "networkAcl", notFound: errACLNotFound,
		tags: func(v *ec2api.NetworkAcl) *[]ec2api.Tag { return &v.Tags }, doc: aclDoc}
	vpcEndpoints = resource[ec2api.VpcEndpoint]{table: storage.NewTable[ec2api.VpcEndpoint]("vpce"), prefix: "vpce", typ: "vpc-endpoint", noun: "vpcEndpoint", notFound: errEndpointNotFound,
		tags: func(v *ec2api.VpcEndpoint) *[]ec2api.Tag { return &v.Tags }, doc: endpointDoc}
	peerings = resource[ec2api.VpcPeeringConnection]{table: storage.NewTable[ec2api.VpcPeeringConnection]("pcx"), prefix: "pcx", typ: "vpc-peering-connection", noun: "vpcPeeringConnection", notFound: errPeeringNotFound,
		tags: func(v *ec2api.VpcPeeringConnection) *[]ec2api.Tag { return &v.Tags }, doc: peeringDoc}
	cgws = resource[ec2api.CustomerGateway]{table: storage.NewTable[ec2api.CustomerGateway]("cgw"), prefix: "cgw", typ: "customer-gateway", noun: "customerGateway", notFound: errCGWNotFound,
		tags: func(v *ec2api.CustomerGateway) *[]ec2api.Tag { return &v.Tags }, doc: func(v *ec2api.CustomerGateway) filter.Doc {
			return filter.New(v.Tags).Add("customer-gateway-id", ptr.Deref(v.CustomerGatewayId)).Add("bgp-asn", ptr.Deref(v.BgpAsn)).Add("ip-address", ptr.Deref(v.IpAddress)).Add("state", ptr.Deref(v.State)).Add("type", ptr.Deref(v.Type))
		}}
	vgws = resource[ec2api.VpnGateway]{table: storage.NewTable[ec2api.VpnGateway]("vgw"), prefix: "vgw", typ: "vpn-gateway", noun: "vpnGateway", notFound: errVGWNotFound,
		tags: func(v *ec2api.VpnGateway) *[]ec2api.Tag { return &v.Tags }, doc: func(v *ec2api.VpnGateway) filter.Doc {
			d := filter.New(v.Tags).Add("vpn-gateway-id", ptr.Deref(v.VpnGatewayId)).Add("state", ptr.Deref(v.State)).Add("type", ptr.Deref(v.Type)).Add("availability-zone", ptr.Deref(v.AvailabilityZone)).
				Add("amazon-side-asn", fmt.Sprint(ptr.Deref(v.AmazonSideAsn))).Add("attachment.state").Add("attachment.vpc-id")
			for _, a := range v.VpcAttachments {
				d.Add("attachment.state", ptr.Deref(a.State)).Add("attachment.vpc-id", ptr.Deref(a.VpcId))
			}
			return d
		}}
	vpns = resource[ec2api.VpnConnection]{table: storage.NewTable[ec2api.VpnConnection]("vpn"), prefix: "vpn", typ: "vpn-connection", noun: "vpnConnection", notFound: errVPNNotFound,
		tags: func(v *ec2api.VpnConnection) *[]ec2api.Tag { return &v.Tags }, doc: func(v *ec2api.VpnConnection) filter.Doc {
			d := filter.New(v.Tags).Add("vpn-connection-id", ptr.Deref(v.VpnConnectionId)).Add("state", ptr.Deref(v.State)).Add("type", ptr.Deref(v.Type)).Add("customer-gateway-id", ptr.Deref(v.CustomerGatewayId)).
				Add("vpn-gateway-id", ptr.Deref(v.VpnGatewayId)).Add("transit-gateway-id", ptr.Deref(v.TransitGatewayId)).Add("route.destination-cidr-block").Add("option.static-routes-only").
				Add("customer-gateway-configuration", ptr.Deref(v.CustomerGatewayConfiguration)).Add("bgp-asn")
			if v.Options != nil {
				d.Add("option.static-routes-only", boolStr(ptr.Deref(v.Options.StaticRoutesOnly)))
			}
			for _, r := range v.Routes {
				d.Add("route.destination-cidr-block", ptr.Deref(r.DestinationCidrBlock))
			}
			return d
		}}
)

func eniDoc(v *ec2api.NetworkInterface) filter.Doc {
	d := filter.New(v.TagSet).Add("network-interface-id", ptr.Deref(v.NetworkInterfaceId)).Add("subnet-id", ptr.Deref(v.SubnetId)).Add("vpc-id", ptr.Deref(v.VpcId)).
		Add("availability-zone", ptr.Deref(v.AvailabilityZone)).Add("description", ptr.Deref(v.Description)).Add("interface-type", ptr.Deref(v.InterfaceType)).
		Add("mac-address", ptr.Deref(v.MacAddress)).Add("owner-id", ptr.Deref(v.OwnerId)).Add("private-ip-address", ptr.Deref(v.PrivateIpAddress)).
		Add("addresses.private-ip-address", ptr.Deref(v.PrivateIpAddress)).Add("private-dns-name", ptr.Deref(v.PrivateDnsName)).Add("status", ptr.Deref(v.Status)).
		Add("requester-managed", boolStr(ptr.Deref(v.RequesterManaged))).Add("source-dest-check", boolStr(ptr.Deref(v.SourceDestCheck))).
		Add("attachment.instance-id").Add("attachment.attachment-id").Add("attachment.status").Add("attachment.device-index").Add("association.public-ip").
		Add("association.allocation-id").Add("association.association-id").Add("group-id").Add("group-name")
	if a := v.Attachment; a != nil {
		d.Add("attachment.instance-id", ptr.Deref(a.InstanceId)).Add("attachment.attachment-id", ptr.Deref(a.AttachmentId)).Add("attachment.status", ptr.Deref(a.Status)).Add("attachment.device-index", fmt.Sprint(ptr.Deref(a.DeviceIndex)))
	}
	if a := v.Association; a != nil {
		d.Add("association.public-ip", ptr.Deref(a.PublicIp)).Add("association.allocation-id", ptr.Deref(a.AllocationId)).Add("association.association-id", ptr.Deref(a.AssociationId))
	}
	for _, g := range v.Groups {
		d.Add("group-id", ptr.Deref(g.GroupId)).Add("group-name", ptr.Deref(g.GroupName))
	}
	d.Add("addresses.primary").Add("addresses.association.public-ip").Add("addresses.association.owner-id").Add("association.ip-owner-id").
		Add("association.public-dns-name").Add("attachment.attach-time").Add("attachment.delete-on-termination").Add("attachment.instance-owner-id").
		Add("attachment.nat-gateway-id").Add("requester-id", ptr.Deref(v.RequesterId))
	for _, a := range v.PrivateIpAddresses {
		d.Add("addresses.private-ip-address", ptr.Deref(a.PrivateIpAddress)).Add("addresses.primary", boolStr(ptr.Deref(a.Primary)))
		if a.Association != nil {
			d.Add("addresses.association.public-ip", ptr.Deref(a.Association.PublicIp)).Add("addresses.association.owner-id", ptr.Deref(a.Association.IpOwnerId))
		}
	}
	if a := v.Association; a != nil {
		d.Add("association.ip-owner-id", ptr.Deref(a.IpOwnerId)).Add("association.public-dns-name", ptr.Deref(a.PublicDnsName))
	}
	if a := v.Attachment; a != nil {
		d.Add("attachment.delete-on-termination", boolStr(ptr.Deref(a.DeleteOnTermination))).Add("attachment.instance-owner-id", ptr.Deref(a.InstanceOwnerId))
		if a.AttachTime != nil {
			d.Add("attachment.attach-time", a.AttachTime.UTC().Format("2006-01-02T15:04:05.000Z"))
		}
		if ptr.Deref(v.InterfaceType) == "nat_gateway" {
			d.Add("attachment.nat-gateway-id", ptr.Deref(a.InstanceId))
		}
	}
	return d
}

func dhcpDoc(v *ec2api.DhcpOptions) filter.Doc {
	d := filter.New(v.Tags).Add("dhcp-options-id", ptr.Deref(v.DhcpOptionsId)).Add("owner-id", ptr.Deref(v.OwnerId)).Add("key").Add("value")
	for _, c := range v.DhcpConfigurations {
		d.Add("key", ptr.Deref(c.Key))
		for _, x := range c.Values {
			d.Add("value", ptr.Deref(x.Value))
		}
	}
	return d
}

func aclDoc(v *ec2api.NetworkAcl) filter.Doc {
	d := filter.New(v.Tags).Add("network-acl-id", ptr.Deref(v.NetworkAclId)).Add("vpc-id", ptr.Deref(v.VpcId)).Add("default", boolStr(ptr.Deref(v.IsDefault))).Add("owner-id", ptr.Deref(v.OwnerId)).
		Add("association.association-id").Add("association.network-acl-id").Add("association.subnet-id").Add("entry.cidr").Add("entry.rule-number").Add("entry.rule-action").Add("entry.protocol").Add("entry.egress")
	d.Add("entry.icmp.code").Add("entry.icmp.type").Add("entry.port-range.from").Add("entry.port-range.to").Add("entry.ipv6-cidr")
	for _, a := range v.Associations {
		d.Add("association.association-id", ptr.Deref(a.NetworkAclAssociationId)).Add("association.network-acl-id", ptr.Deref(a.NetworkAclId)).Add("association.subnet-id", ptr.Deref(a.SubnetId))
	}
	for _, e := range v.Entries {
		d.Add("entry.cidr", ptr.Deref(e.CidrBlock)).Add("entry.rule-number", fmt.Sprint(ptr.Deref(e.RuleNumber))).Add("entry.rule-action", ptr.Deref(e.RuleAction)).Add("entry.protocol", ptr.Deref(e.Protocol)).Add("entry.egress", boolStr(ptr.Deref(e.Egress)))
		d.Add("entry.ipv6-cidr", ptr.Deref(e.Ipv6CidrBlock))
		if c := e.IcmpTypeCode; c != nil {
			d.Add("entry.icmp.code", fmt.Sprint(ptr.Deref(c.Code))).Add("entry.icmp.type", fmt.Sprint(ptr.Deref(c.Type)))
		}
		if r := e.PortRange; r != nil {
			d.Add("entry.port-range.from", fmt.Sprint(ptr.Deref(r.From))).Add("entry.port-range.to", fmt.Sprint(ptr.Deref(r.To)))
		}
	}
	return d
}

func endpointDoc(v *ec2api.VpcEndpoint) filter.Doc {
	return filter.New(v.Tags).Add("vpc-endpoint-id", ptr.Deref(v.VpcEndpointId)).Add("vpc-id", ptr.Deref(v.VpcId)).Add("service-name", ptr.Deref(v.ServiceName)).
		Add("vpc-endpoint-state", ptr.Deref(v.State)).Add("vpc-endpoint-type", ptr.Deref(v.VpcEndpointType)).Add("ip-address-type", ptr.Deref(v.IpAddressType))
}

func peeringDoc(v *ec2api.VpcPeeringConnection) filter.Doc {
	d := filter.New(v.Tags).Add("vpc-peering-connection-id", ptr.Deref(v.VpcPeeringConnectionId)).Add("status-code").Add("status-message").Add("expiration-time").
		Add("accepter-vpc-info.vpc-id").Add("accepter-vpc-info.cidr-block").Add("accepter-vpc-info.owner-id").Add("requester-vpc-info.vpc-id").Add("requester-vpc-info.cidr-block").Add("requester-vpc-info.owner-id")
	if v.Status != nil {
		d.Add("status-code", ptr.Deref(v.Status.Code)).Add("status-message", ptr.Deref(v.Status.Message))
	}
	if a := v.AccepterVpcInfo; a != nil {
		d.Add("accepter-vpc-info.vpc-id", ptr.Deref(a.VpcId)).Add("accepter-vpc-info.cidr-block", ptr.Deref(a.CidrBlock)).Add("accepter-vpc-info.owner-id", ptr.Deref(a.OwnerId))
	}
	if a := v.RequesterVpcInfo; a != nil {
		d.Add("requester-vpc-info.vpc-id", ptr.Deref(a.VpcId)).Add("requester-vpc-info.cidr-block", ptr.Deref(a.CidrBlock)).Add("requester-vpc-info.owner-id", ptr.Deref(a.OwnerId))
	}
	return d
}

// macFor derives a stable MAC address from an interface id.
func macFor(id string) string {
	h := id
	if len(h) > 12 {
		h = h[len(h)-10:]
	}
	for len(h) < 10 {
		h = "0" + h
	}
	return fmt.Sprintf("06:%s:%s:%s:%s:%s", h[0:2], h[2:4], h[4:6], h[6:8], h[8:10])
}

func (s *EC2) newENIRecord(ctx *request.Context, id string, sub ec2api.Subnet, ip, desc, typ string, groups []ec2api.GroupIdentifier) ec2api.NetworkInterface {
	if groups == nil {
		groups = []ec2api.GroupIdentifier{}
	}
	return ec2api.NetworkInterface{
		NetworkInterfaceId: ptr.To(id), SubnetId: sub.SubnetId, VpcId: sub.VpcId, AvailabilityZone: sub.AvailabilityZone, Description: ptr.To(desc),
		InterfaceType: ptr.To(typ), MacAddress: ptr.To(macFor(id)), OwnerId: ptr.To(ctx.Account), PrivateIpAddress: ptr.To(ip), PrivateDnsName: ptr.To(privateDNS(ctx.Region, ip)),
		PrivateIpAddresses: []ec2api.NetworkInterfacePrivateIpAddress{{Primary: ptr.To(true), PrivateIpAddress: ptr.To(ip), PrivateDnsName: ptr.To(privateDNS(ctx.Region, ip))}},
		Groups:             groups, Ipv6Addresses: []ec2api.NetworkInterfaceIpv6Address{}, RequesterManaged: ptr.To(false), SourceDestCheck: ptr.To(true), Status: ptr.To("in-use"), TagSet: []ec2api.Tag{},
	}
}

// resolveGroups turns security group ids into identifiers, checking they
// exist in the VPC.
func (s *EC2) resolveGroups(tx storage.Tx, sc storage.Scope, vpc string, ids []string) ([]ec2api.GroupIdentifier, error) {
	var out []ec2api.GroupIdentifier
	for _, id := range ids {
		g, err := s.groupByRef(tx, sc, id, "")
		if err != nil {
			return nil, err
		}
		if ptr.Deref(g.VpcId) != vpc {
			return nil, errInvalidParameter.New("Security group %s and subnet belong to different networks.", id)
		}
		out = append(out, ec2api.GroupIdentifier{GroupId: g.GroupId, GroupName: g.GroupName})
	}
	return out, nil
}

// CreateNetworkInterface creates an interface in a subnet.
func (s *EC2) CreateNetworkInterface(ctx *request.Context, in *ec2api.CreateNetworkInterfaceRequest) (*ec2api.CreateNetworkInterfaceResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	sc := scope(ctx)
	id := newID("eni")
	var eni ec2api.NetworkInterface
	err := s.store.Update(func(tx storage.Tx) error {
		sub, err := subnets.get(tx, sc, ptr.Deref(in.SubnetId))
		if err != nil {
			return err
		}
		var groups []ec2api.GroupIdentifier
		if len(in.Groups) > 0 {
			if groups, err = s.resolveGroups(tx, sc, ptr.Deref(sub.VpcId), in.Groups); err != nil {
				return err
			}
		} else {
			v, err := vpcs.get(tx, sc, ptr.Deref(sub.VpcId))
			if err != nil {
				return err
			}
			groups = []ec2api.GroupIdentifier{{GroupId: ptr.To(v.DefaultSG), GroupName: ptr.To("default")}}
		}
		ip, err := allocateIP(tx, sc, ptr.Deref(in.SubnetId), primaryWanted(in), id)
		if err != nil {
			return err
		}
		typ := "interface"
		if in.InterfaceType != nil {
			typ = *in.InterfaceType
		}
		eni = s.newENIRecord(ctx, id, sub, ip, ptr.Deref(in.Description), typ, groups)
		eni.Status = ptr.To("available")
		if err := createSecondaryIPs(tx, sc, ctx.Region, &eni, in); err != nil {
			return err
		}
		if t := tagsFor(in.TagSpecifications, "network-interface"); t != nil {
			eni.TagSet = t
		}
		return enis.put(tx, sc, id, eni)
	})
	return answer(&ec2api.CreateNetworkInterfaceResult{NetworkInterface: &eni, ClientToken: in.ClientToken}, err)
}

// DescribeNetworkInterfaces lists interfaces, those of instances, NAT
// gateways and endpoints included.
func (s *EC2) DescribeNetworkInterfaces(ctx *request.Context, in *ec2api.DescribeNetworkInterfacesRequest) (*ec2api.DescribeNetworkInterfacesResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	recs, next, err := describe(s, ctx, enis, page{ids: in.NetworkInterfaceIds, filters: in.Filters, maxResults: in.MaxResults, nextToken: in.NextToken}, nil)
	return answer(&ec2api.DescribeNetworkInterfacesResult{NetworkInterfaces: orEmpty(recs), NextToken: next}, err)
}

// DeleteNetworkInterface deletes a detached interface.
func (s *EC2) DeleteNetworkInterface(ctx *request.Context, in *ec2api.DeleteNetworkInterfaceRequest) (*ec2api.DeleteNetworkInterfaceOutput, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	sc := scope(ctx)
	id := ptr.Deref(in.NetworkInterfaceId)
	err := s.store.Update(func(tx storage.Tx) error {
		e, err := enis.get(tx, sc, id)
		if err != nil {
			return err
		}
		if e.Attachment != nil || ptr.Deref(e.RequesterManaged) {
			return code("InvalidNetworkInterface.InUse").New("Interface: [%s] in use.", id)
		}
		if e.Association != nil && e.Association.AllocationId != nil {
			if a, ok, _ := addresses.table.Get(tx, sc, *e.Association.AllocationId); ok {
				if err := s.disassociateEIP(tx, sc, &a); err != nil {
					return err
				}
			}
		}
		if err := releaseENIIPs(tx, sc, e); err != nil {
			return err
		}
		return enis.table.Delete(tx, sc, id)
	})
	return answer(&ec2api.DeleteNetworkInterfaceOutput{}, err)
}

// AttachNetworkInterface attaches an interface to an instance in the same
// zone.
func (s *EC2) AttachNetworkInterface(ctx *request.Context, in *ec2api.AttachNetworkInterfaceRequest) (*ec2api.AttachNetworkInterfaceResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	sc := scope(ctx)
	att := newID("eni-attach")
	err := s.store.Update(func(tx storage.Tx) error {
		e, err := enis.get(tx, sc, ptr.Deref(in.NetworkInterfaceId))
		if err != nil {
			return err
		}
		inst, err := instances.get(tx, sc, ptr.Deref(in.InstanceId))
		if err != nil {
			return err
		}
		if e.Attachment != nil {
			return code("InvalidNetworkInterface.InUse").New("Interface: [%s] in use.", ptr.Deref(in.NetworkInterfaceId))
		}
		if ptr.Deref(e.AvailabilityZone) != inst.AZ {
			return errInvalidParameterValue.New("The network interface and instance must be in the same availability zone.")
		}
		for _, x := range inst.ExtraENIs {
			if x.DeviceIndex == ptr.Deref(in.DeviceIndex) {
				return code("InvalidParameterValue").New("Instance '%s' already has an interface attached at device index '%d'.", inst.ID, ptr.Deref(in.DeviceIndex))
			}
		}
		if ptr.Deref(in.DeviceIndex) == 0 {
			return code("InvalidParameterValue").New("Instance '%s' already has an interface attached at device index '0'.", inst.ID)
		}
		e.Attachment = &ec2api.NetworkInterfaceAttachment{AttachmentId: ptr.To(att), AttachTime: ptr.To(ctx.Now().UTC()), DeleteOnTermination: ptr.To(false), DeviceIndex: in.DeviceIndex,
			NetworkCardIndex: ptr.To(int32(0)), InstanceId: ptr.To(inst.ID), InstanceOwnerId: ptr.To(ctx.Account), Status: ptr.To("attached")}
		e.Status = ptr.To("in-use")
		inst.ExtraENIs = append(inst.ExtraENIs, extraENI{ID: ptr.Deref(in.NetworkInterfaceId), DeviceIndex: ptr.Deref(in.DeviceIndex)})
		if err := instances.put(tx, sc, inst.ID, inst); err != nil {
			return err
		}
		return enis.put(tx, sc, ptr.Deref(in.NetworkInterfaceId), e)
	})
	return answer(&ec2api.AttachNetworkInterfaceResult{AttachmentId: ptr.To(att), NetworkCardIndex: ptr.To(int32(0))}, err)
}

// DetachNetworkInterface detaches a secondary interface.
func (s *EC2) DetachNetworkInterface(ctx *request.Context, in *ec2api.DetachNetworkInterfaceRequest) (*ec2api.DetachNetworkInterfaceOutput, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	sc := scope(ctx)
	err := s.store.Update(func(tx storage.Tx) error {
		all, err := enis.all(tx, sc)
		if err != nil {
			return err
		}
		for _, e := range all {
			if e.Attachment == nil || ptr.Deref(e.Attachment.AttachmentId) != ptr.Deref(in.AttachmentId) {
				continue
			}
			if ptr.Deref(e.Attachment.DeviceIndex) == 0 {
				return errOperationNotPermitted.New("The network interface at device index 0 cannot be detached.")
			}
			if inst, ok, _ := instances.table.Get(tx, sc, ptr.Deref(e.Attachment.InstanceId)); ok {
				kept := inst.ExtraENIs[:0]
				for _, x := range inst.ExtraENIs {
					if x.ID != ptr.Deref(e.NetworkInterfaceId) {
						kept = append(kept, x)
					}
				}
				inst.ExtraENIs = kept
				if err := instances.put(tx, sc, inst.ID, inst); err != nil {
					return err
				}
			}
			e.Attachment, e.Status = nil, ptr.To("available")
			return enis.put(tx, sc, ptr.Deref(e.NetworkInterfaceId), e)
		}
		return code("InvalidAttachmentID.NotFound").New("The attachment ID '%s' does not exist", ptr.Deref(in.AttachmentId))
	})
	return answer(&ec2api.DetachNetworkInterfaceOutput{}, err)
}

// CreateDhcpOptions creates an options set.
func (s *EC2) CreateDhcpOptions(ctx *request.Context, in *ec2api.CreateDhcpOptionsRequest) (*ec2api.CreateDhcpOptionsResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	valid := map[string]bool{"domain-name": true, "domain-name-servers": true, "ntp-servers": true, "netbios-name-servers": true, "netbios-node-type": true, "ipv6-address-preferred-lease-time": true}
	id := newID("dopt")
	d := ec2api.DhcpOptions{DhcpOptionsId: ptr.To(id), OwnerId: ptr.To(ctx.Account), Tags: tagsFor(in.TagSpecifications, "dhcp-options"), DhcpConfigurations: []ec2api.DhcpConfiguration{}}
	if d.Tags == nil {
		d.Tags = []ec2api.Tag{}
	}
	for _, c := range in.DhcpConfigurations {
		k := ptr.Deref(c.Key)
		if !valid[k] {
			return nil, errInvalidParameterValue.New("Value (%s) for parameter name is invalid. Unknown DHCP option", k)
		}
		vals := []ec2api.AttributeValue{}
		for _, v := range c.Values {
			// The CLI's shorthand may pass "a,b" as one value.
			for _, part := range strings.Split(v, ",") {
				vals = append(vals, ec2api.AttributeValue{Value: ptr.To(strings.TrimSpace(part))})
			}
		}
		d.DhcpConfigurations = append(d.DhcpConfigurations, ec2api.DhcpConfiguration{Key: ptr.To(k), Values: vals})
	}
	if err := s.store.Update(func(tx storage.Tx) error { return dhcps.put(tx, scope(ctx), id, d) }); err != nil {
		return nil, err
	}
	return &ec2api.CreateDhcpOptionsResult{DhcpOptions: &d}, nil
}

// AssociateDhcpOptions sets a VPC's options set ("default" means none).
func (s *EC2) AssociateDhcpOptions(ctx *request.Context, in *ec2api.AssociateDhcpOptionsRequest) (*ec2api.AssociateDhcpOptionsOutput, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	sc := scope(ctx)
	err := s.store.Update(func(tx storage.Tx) error {
		v, err := vpcs.get(tx, sc, ptr.Deref(in.VpcId))
		if err != nil {
			return err
		}
		id := ptr.Deref(in.DhcpOptionsId)
		if id != "default" {
			if _, err := dhcps.get(tx, sc, id); err != nil {
				return err
			}
		}
		v.Vpc.DhcpOptionsId = ptr.To(id)
		return vpcs.put(tx, sc, ptr.Deref(in.VpcId), v)
	})
	return answer(&ec2api.AssociateDhcpOptionsOutput{}, err)
}

// DeleteDhcpOptions deletes an options set no VPC uses.
func (s *EC2) DeleteDhcpOptions(ctx *request.Context, in *ec2api.DeleteDhcpOptionsRequest) (*ec2api.DeleteDhcpOptionsOutput, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	id := ptr.Deref(in.DhcpOptionsId)
	err := remove(s, ctx, dhcps, id, func(tx storage.Tx, sc storage.Scope, _ *ec2api.DhcpOptions) error {
		if n, _ := countWhere(tx, sc, vpcs, func(v *vpcRecord) bool { return ptr.Deref(v.Vpc.DhcpOptionsId) == id }); n > 0 {
			return hasDependencies("dhcpOptions", id)
		}
		return nil
	})
	return answer(&ec2api.DeleteDhcpOptionsOutput{}, err)
}

// DescribeDhcpOptions lists options sets.
func (s *EC2) DescribeDhcpOptions(ctx *request.Context, in *ec2api.DescribeDhcpOptionsRequest) (*ec2api.DescribeDhcpOptionsResult, error) {
	if err := s.ensureDefaults(ctx); err != nil {
		return nil, err
	}
	recs, next, err := describe(s, ctx, dhcps, page{ids: in.DhcpOptionsIds, filters: in.Filters, maxResults: in.MaxResults, nextToken: in.NextToken}, nil)
	return answer(&ec2api.DescribeDhcpOptionsResult{DhcpOptions: orEmpty(recs), NextToken: next}, err)
}

// CreateNetworkAcl creates a deny-all ACL.
func (s *EC2) CreateNetworkAcl(ctx *request.Context, in *ec2api.CreateNetworkAclRequest) (*ec2api.CreateNetworkAclResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	sc := scope(ctx)
	id := newID("acl")
	var acl ec2api.NetworkAcl
	err := s.store.Update(func(tx storage.Tx) error {
		if _, err := vpcs.get(tx, sc, ptr.Deref(in.VpcId)); err != nil {
			return err
		}
		acl = defaultACL(id, ptr.Deref(in.VpcId), ctx.Account, false)
		if t := tagsFor(in.TagSpecifications, "network-acl"); t != nil {
			acl.Tags = t
		}
		return acls.put(tx, sc, id, acl)
	})
	return answer(&ec2api.CreateNetworkAclResult{NetworkAcl: &acl, ClientToken: in.ClientToken}, err)
}

// CreateNetworkAclEntry adds a numbered rule.
func (s *EC2) CreateNetworkAclEntry(ctx *request.Context, in *ec2api.CreateNetworkAclEntryRequest) (*ec2api.CreateNetworkAclEntryOutput, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	n := ptr.Deref(in.RuleNumber)
	if n < 1 || n > 32766 {
		return nil, errInvalidParameterValue.New("Invalid value '%d' for ruleNumber. Must be between 1 and 32766.", n)
	}
	if in.CidrBlock != nil {
		if _, err := netip.ParsePrefix(*in.CidrBlock); err != nil {
			return nil, errInvalidParameterValue.New("Value (%s) for parameter cidrBlock is invalid. This is not a valid CIDR block.", *in.CidrBlock)
		}
	}
	sc := scope(ctx)
	err := s.store.Update(func(tx storage.Tx) error {
		acl, err := acls.get(tx, sc, ptr.Deref(in.NetworkAclId))
		if err != nil {
			return err
		}
		for _, e := range acl.Entries {
			if ptr.Deref(e.RuleNumber) == n && ptr.Deref(e.Egress) == ptr.Deref(in.Egress) {
				return errACLEntryExists.New("The network acl entry identified by %d already exists.", n)
			}
		}
		acl.Entries = append(acl.Entries, ec2api.NetworkAclEntry{RuleNumber: in.RuleNumber, Egress: ptr.To(ptr.Deref(in.Egress)), Protocol: in.Protocol, RuleAction: in.RuleAction,
			CidrBlock: in.CidrBlock, Ipv6CidrBlock: in.Ipv6CidrBlock, PortRange: in.PortRange, IcmpTypeCode: in.IcmpTypeCode})
		return acls.put(tx, sc, ptr.Deref(in.NetworkAclId), acl)
	})
	return answer(&ec2api.CreateNetworkAclEntryOutput{}, err)
}

// DeleteNetworkAclEntry removes a numbered rule.
func (s *EC2) DeleteNetworkAclEntry(ctx *request.Context, in *ec2api.DeleteNetworkAclEntryRequest) (*ec2api.DeleteNetworkAclEntryOutput, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	err := mutate(s, ctx, acls, ptr.Deref(in.NetworkAclId), func(_ storage.Tx, _ storage.Scope, acl *ec2api.NetworkAcl) error {
		for i, e := range acl.Entries {
			if ptr.Deref(e.RuleNumber) == ptr.Deref(in.RuleNumber) && ptr.Deref(e.Egress) == ptr.Deref(in.Egress) && ptr.Deref(e.RuleNumber) != 32767 {
				acl.Entries = append(acl.Entries[:i], acl.Entries[i+1:]...)
				return nil
			}
		}
		return errACLEntryNotFound.New("The specified rule does not exist in this network acl.")
	})
	return answer(&ec2api.DeleteNetworkAclEntryOutput{}, err)
}

// DeleteNetworkAcl deletes a non-default ACL with no associations.
func (s *EC2) DeleteNetworkAcl(ctx *request.Context, in *ec2api.DeleteNetworkAclRequest) (*ec2api.DeleteNetworkAclOutput, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	id := ptr.Deref(in.NetworkAclId)
	err := remove(s, ctx, acls, id, func(_ storage.Tx, _ storage.Scope, acl *ec2api.NetworkAcl) error {
		if ptr.Deref(acl.IsDefault) {
			return errInvalidParameterValue.New("cannot delete default network ACL %s", id)
		}
		if len(acl.Associations) > 0 {
			return hasDependencies("networkAcl", id)
		}
		return nil
	})
	return answer(&ec2api.DeleteNetworkAclOutput{}, err)
}

// ReplaceNetworkAclAssociation moves a subnet to another ACL.
func (s *EC2) ReplaceNetworkAclAssociation(ctx *request.Context, in *ec2api.ReplaceNetworkAclAssociationRequest) (*ec2api.ReplaceNetworkAclAssociationResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	sc := scope(ctx)
	newAssoc := newID("aclassoc")
	err := s.store.Update(func(tx storage.Tx) error {
		target, err := acls.get(tx, sc, ptr.Deref(in.NetworkAclId))
		if err != nil {
			return err
		}
		all, err := acls.all(tx, sc)
		if err != nil {
			return err
		}
		for _, a := range all {
			for i, as := range a.Associations {
				if ptr.Deref(as.NetworkAclAssociationId) != ptr.Deref(in.AssociationId) {
					continue
				}
				a.Associations = append(a.Associations[:i], a.Associations[i+1:]...)
				if err := acls.put(tx, sc, ptr.Deref(a.NetworkAclId), a); err != nil {
					return err
				}
				if ptr.Deref(a.NetworkAclId) == ptr.Deref(target.NetworkAclId) {
					target = a
				}
				target.Associations = append(target.Associations, ec2api.NetworkAclAssociation{NetworkAclAssociationId: ptr.To(newAssoc), NetworkAclId: target.NetworkAclId, SubnetId: as.SubnetId})
				return acls.put(tx, sc, ptr.Deref(target.NetworkAclId), target)
			}
		}
		return errAssociationNotFound.New("The association ID '%s' does not exist", ptr.Deref(in.AssociationId))
	})
	return answer(&ec2api.ReplaceNetworkAclAssociationResult{NewAssociationId: ptr.To(newAssoc)}, err)
}

// DescribeNetworkAcls lists ACLs.
func (s *EC2) DescribeNetworkAcls(ctx *request.Context, in *ec2api.DescribeNetworkAclsRequest) (*ec2api.DescribeNetworkAclsResult, error) {
	if err := s.ensureDefaults(ctx); err != nil {
		return nil, err
	}
	recs, next, err := describe(s, ctx, acls, page{ids: in.NetworkAclIds, filters: in.Filters, maxResults: in.MaxResults, nextToken: in.NextToken}, nil)
	return answer(&ec2api.DescribeNetworkAclsResult{NetworkAcls: orEmpty(recs), NextToken: next}, err)
}

// prefixList is an AWS-managed prefix list of a gateway endpoint service.
type prefixList struct {
	id, name string
	cidrs    []string
}

// gatewayServices are the services with gateway endpoints (S3 and
// DynamoDB) and their prefix lists. The ids are stable per region so
// route tables and policies can name them; the CIDRs are AWS's published
// ranges for us-east-1, which serve as niwa's stand-in everywhere.
func gatewayServices(regionName string) []prefixList {
	code := region(regionName).code
	return []prefixList{
		{id: "pl-" + fmt.Sprintf("%08x", hash32("s3"+code)), name: "com.amazonaws." + regionName + ".s3", cidrs: []string{"52.216.0.0/15", "3.5.0.0/19", "54.231.0.0/16", "16.182.0.0/16"}},
		{id: "pl-" + fmt.Sprintf("%08x", hash32("dynamodb"+code)), name: "com.amazonaws." + regionName + ".dynamodb", cidrs: []string{"3.218.180.0/22", "52.94.0.0/22", "52.119.224.0/20"}},
	}
}

func hash32(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}

func prefixListByID(regionName, id string) (prefixList, bool) {
	for _, p := range gatewayServices(regionName) {
		if p.id == id {
			return p, true
		}
	}
	return prefixList{}, false
}

// DescribePrefixLists lists the AWS-managed prefix lists.
func (s *EC2) DescribePrefixLists(ctx *request.Context, in *ec2api.DescribePrefixListsRequest) (*ec2api.DescribePrefixListsResult, error) {
	doc := func(p prefixList) filter.Doc {
		return filter.New(nil).Add("prefix-list-id", p.id).Add("prefix-list-name", p.name)
	}
	if err := filter.Validate(in.Filters, doc(prefixList{})); err != nil {
		return nil, err
	}
	out := &ec2api.DescribePrefixListsResult{PrefixLists: []ec2api.PrefixList{}}
	for _, p := range gatewayServices(ctx.Region) {
		if len(in.PrefixListIds) > 0 && !contains(in.PrefixListIds, p.id) {
			continue
		}
		if filter.Match(in.Filters, doc(p)) {
			out.PrefixLists = append(out.PrefixLists, ec2api.PrefixList{PrefixListId: ptr.To(p.id), PrefixListName: ptr.To(p.name), Cidrs: p.cidrs})
		}
	}
	return out, nil
}

// CreateVpcEndpoint creates a gateway endpoint (its prefix list is routed
// from the named route tables) or an interface endpoint (an interface in
// each named subnet).
func (s *EC2) CreateVpcEndpoint(ctx *request.Context, in *ec2api.CreateVpcEndpointRequest) (*ec2api.CreateVpcEndpointResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	typ := "Gateway"
	if in.VpcEndpointType != nil {
		typ = *in.VpcEndpointType
	}
	name := ptr.Deref(in.ServiceName)
	svc := strings.TrimPrefix(name, "com.amazonaws."+ctx.Region+".")
	// A provider's endpoint service (com.amazonaws.vpce.<region>.vpce-svc-…)
	// is looked up inside the transaction (connectEndpoint).
	custom := strings.HasPrefix(name, "com.amazonaws.vpce."+ctx.Region+".")
	if !custom && (svc == name || !contains(interfaceServices(), svc)) {
		return nil, errServiceNotFound.New("The Vpc Endpoint Service '%s' does not exist", name)
	}
	sc := scope(ctx)
	id := newID("vpce")
	policy := ptr.Deref(in.PolicyDocument)
	if policy == "" {
		policy = `{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`
	}
	var ep ec2api.VpcEndpoint
	err := s.store.Update(func(tx storage.Tx) error {
		if _, err := vpcs.get(tx, sc, ptr.Deref(in.VpcId)); err != nil {
			return err
		}
		tags := tagsFor(in.TagSpecifications, "vpc-endpoint")
		if tags == nil {
			tags = []ec2api.Tag{}
		}
		ep = ec2api.VpcEndpoint{VpcEndpointId: ptr.To(id), VpcEndpointType: ptr.To(typ), VpcId: in.VpcId, ServiceName: in.ServiceName, State: ptr.To("available"), PolicyDocument: ptr.To(policy),
			RouteTableIds: []string{}, SubnetIds: []string{}, Groups: []ec2api.SecurityGroupIdentifier{}, NetworkInterfaceIds: []string{}, DnsEntries: []ec2api.DnsEntry{},
			PrivateDnsEnabled: ptr.To(false), RequesterManaged: ptr.To(false), CreationTimestamp: ptr.To(ctx.Now().UTC()), Tags: tags, OwnerId: ptr.To(ctx.Account), IpAddressType: ptr.To("ipv4")}
		switch {
		case custom && typ == "Gateway":
			return errServiceNotFound.New("The Vpc Endpoint Service '%s' does not support Gateway endpoints", name)
		case typ == "Gateway":
			pl, ok := s.prefixListFor(ctx.Region, name)
			if !ok {
				return errServiceNotFound.New("The Vpc Endpoint Service '%s' does not support Gateway endpoints", name)
			}
			for _, rtID := range in.RouteTableIds {
				if err := addEndpointRoute(tx, sc, rtID, ptr.Deref(in.VpcId), id, pl.id); err != nil {
					return err
				}
				ep.RouteTableIds = append(ep.RouteTableIds, rtID)
			}
		case typ == "Interface" || (custom && typ == "GatewayLoadBalancer"):
			ep.PrivateDnsEnabled = ptr.To(in.PrivateDnsEnabled == nil || *in.PrivateDnsEnabled)
			var groups []ec2api.GroupIdentifier
			for _, sub := range in.SubnetIds {
				sn, err := subnets.get(tx, sc, sub)
				if err != nil {
					return err
				}
				if groups == nil {
					if len(in.SecurityGroupIds) > 0 {
						if groups, err = s.resolveGroups(tx, sc, ptr.Deref(in.VpcId), in.SecurityGroupIds); err != nil {
							return err
						}
					} else {
						v, _ := vpcs.get(tx, sc, ptr.Deref(in.VpcId))
						groups = []ec2api.GroupIdentifier{{GroupId: ptr.To(v.DefaultSG), GroupName: ptr.To("default")}}
					}
				}
				eniID := newID("eni")
				ip, err := allocateIP(tx, sc, sub, "", eniID)
				if err != nil {
					return err
				}
				eni := s.newENIRecord(ctx, eniID, sn, ip, "VPC Endpoint Interface "+id, "vpc_endpoint", groups)
				eni.RequesterManaged = ptr.To(true)
				if err := enis.put(tx, sc, eniID, eni); err != nil {
					return err
				}
				ep.SubnetIds = append(ep.SubnetIds, sub)
				ep.NetworkInterfaceIds = append(ep.NetworkInterfaceIds, eniID)
			}
			for _, g := range groups {
				ep.Groups = append(ep.Groups, ec2api.SecurityGroupIdentifier{GroupId: g.GroupId, GroupName: g.GroupName})
			}
			ep.DnsEntries = []ec2api.DnsEntry{{DnsName: ptr.To(id + "." + svc + "." + ctx.Region + ".vpce.amazonaws.com"), HostedZoneId: ptr.To("Z7HUB22UULQXV")}}
			if custom {
				if err := connectEndpoint(tx, ctx, &ep); err != nil {
					return err
				}
			}
		default:
			return errInvalidParameterValue.New("Value (%s) for parameter vpcEndpointType is invalid.", typ)
		}
		return vpcEndpoints.put(tx, sc, id, ep)
	})
	return answer(&ec2api.CreateVpcEndpointResult{VpcEndpoint: &ep, ClientToken: in.ClientToken}, err)
}

func (s *EC2) prefixListFor(regionName, service string) (prefixList, bool) {
	for _, p := range gatewayServices(regionName) {
		if p.name == service {
			return p, true
		}
	}
	return prefixList{}, false
}

func addEndpointRoute(tx storage.Tx, sc storage.Scope, rtID, vpc, vpce, pl string) error {
	rt, err := routeTables.get(tx, sc, rtID)
	if err != nil {
		return err
	}
	if ptr.Deref(rt.VpcId) != vpc {
		return errInvalidParameterValue.New("route table %s and vpc endpoint belong to different networks", rtID)
	}
	for _, r := range rt.Routes {
		if ptr.Deref(r.DestinationPrefixListId) == pl {
			return errRouteExists.New("route table %s already has a route with destination-prefix-list-id %s", rtID, pl)
		}
	}
	rt.Routes = append(rt.Routes, ec2api.Route{DestinationPrefixListId: ptr.To(pl), GatewayId: ptr.To(vpce), Origin: ptr.To("CreateRoute"), State: ptr.To("active")})
	return routeTables.put(tx, sc, rtID, rt)
}

func removeEndpointRoute(tx storage.Tx, sc storage.Scope, rtID, vpce string) error {
	rt, ok, err := routeTables.table.Get(tx, sc, rtID)
	if err != nil || !ok {
		return err
	}
	kept := rt.Routes[:0]
	for _, r := range rt.Routes {
		if ptr.Deref(r.GatewayId) != vpce {
			kept = append(kept, r)
		}
	}
	rt.Routes = kept
	return routeTables.put(tx, sc, rtID, rt)
}

// ModifyVpcEndpoint changes route tables, policy and subnets of an
// endpoint.
func (s *EC2) ModifyVpcEndpoint(ctx *request.Context, in *ec2api.ModifyVpcEndpointRequest) (*ec2api.ModifyVpcEndpointResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	sc := scope(ctx)
	err := s.store.Update(func(tx storage.Tx) error {
		ep, err := vpcEndpoints.get(tx, sc, ptr.Deref(in.VpcEndpointId))
		if err != nil {
			return err
		}
		if pl, ok := s.prefixListFor(ctx.Region, ptr.Deref(ep.ServiceName)); ok && ptr.Deref(ep.VpcEndpointType) == "Gateway" {
			for _, rt := range in.AddRouteTableIds {
				if err := addEndpointRoute(tx, sc, rt, ptr.Deref(ep.VpcId), ptr.Deref(ep.VpcEndpointId), pl.id); err != nil {
					return err
				}
				ep.RouteTableIds = append(ep.RouteTableIds, rt)
			}
		}
		for _, rt := range in.RemoveRouteTableIds {
			if err := removeEndpointRoute(tx, sc, rt, ptr.Deref(ep.VpcEndpointId)); err != nil {
				return err
			}
			kept := ep.RouteTableIds[:0]
			for _, x := range ep.RouteTableIds {
				if x != rt {
					kept = append(kept, x)
				}
			}
			ep.RouteTableIds = kept
		}
		if in.PolicyDocument != nil {
			ep.PolicyDocument = in.PolicyDocument
		}
		if ptr.Deref(in.ResetPolicy) {
			ep.PolicyDocument = ptr.To(`{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`)
		}
		if in.PrivateDnsEnabled != nil {
			ep.PrivateDnsEnabled = in.PrivateDnsEnabled
		}
		return vpcEndpoints.put(tx, sc, ptr.Deref(ep.VpcEndpointId), ep)
	})
	return answer(&ec2api.ModifyVpcEndpointResult{Return: ptr.To(true)}, err)
}

// DeleteVpcEndpoints deletes endpoints, their routes and interfaces;
// unknown ids are reported as unsuccessful items, as EC2 does.
func (s *EC2) DeleteVpcEndpoints(ctx *request.Context, in *ec2api.DeleteVpcEndpointsRequest) (*ec2api.DeleteVpcEndpointsResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	sc := scope(ctx)
	out := &ec2api.DeleteVpcEndpointsResult{Unsuccessful: []ec2api.UnsuccessfulItem{}}
	err := s.store.Update(func(tx storage.Tx) error {
		for _, id := range in.VpcEndpointIds {
			ep, ok, err := vpcEndpoints.table.Get(tx, sc, id)
			if err != nil {
				return err
			}
			if !ok {
				out.Unsuccessful = append(out.Unsuccessful, ec2api.UnsuccessfulItem{ResourceId: ptr.To(id), Error: &ec2api.UnsuccessfulItemError{
					Code: ptr.To("InvalidVpcEndpoint.NotFound"), Message: ptr.To(fmt.Sprintf("The Vpc Endpoint Id '%s' does not exist", id))}})
				continue
			}
			for _, rt := range ep.RouteTableIds {
				if err := removeEndpointRoute(tx, sc, rt, id); err != nil {
					return err
				}
			}
			for _, e := range ep.NetworkInterfaceIds {
				if eni, ok, _ := enis.table.Get(tx, sc, e); ok {
					if err := releaseIP(tx, sc, ptr.Deref(eni.SubnetId), ptr.Deref(eni.PrivateIpAddress)); err != nil {
						return err
					}
				}
				if err := enis.table.Delete(tx, sc, e); err != nil {
					return err
				}
			}
			if err := disconnectEndpoint(tx, ctx.Region, ep); err != nil {
				return err
			}
			if err := vpcEndpoints.table.Delete(tx, sc, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DescribeVpcEndpoints lists endpoints.
func (s *EC2) DescribeVpcEndpoints(ctx *request.Context, in *ec2api.DescribeVpcEndpointsRequest) (*ec2api.DescribeVpcEndpointsResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	recs, next, err := describe(s, ctx, vpcEndpoints, page{ids: in.VpcEndpointIds, filters: in.Filters, maxResults: in.MaxResults, nextToken: in.NextToken}, nil)
	return answer(&ec2api.DescribeVpcEndpointsResult{VpcEndpoints: orEmpty(recs), NextToken: next}, err)
}

func peerInfo(v vpcRecord, regionName string) *ec2api.VpcPeeringConnectionVpcInfo {
	info := &ec2api.VpcPeeringConnectionVpcInfo{VpcId: v.Vpc.VpcId, CidrBlock: v.Vpc.CidrBlock, OwnerId: v.Vpc.OwnerId, Region: ptr.To(regionName), CidrBlockSet: []ec2api.CidrBlock{}}
	for _, a := range v.Vpc.CidrBlockAssociationSet {
		info.CidrBlockSet = append(info.CidrBlockSet, ec2api.CidrBlock{CidrBlock: a.CidrBlock})
	}
	return info
}

// CreateVpcPeeringConnection requests peering between two VPCs of the
// account and region (pending-acceptance until accepted).
func (s *EC2) CreateVpcPeeringConnection(ctx *request.Context, in *ec2api.CreateVpcPeeringConnectionRequest) (*ec2api.CreateVpcPeeringConnectionResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	sc := scope(ctx)
	id := newID("pcx")
	var p ec2api.VpcPeeringConnection
	err := s.store.Update(func(tx storage.Tx) error {
		req, err := vpcs.get(tx, sc, ptr.Deref(in.VpcId))
		if err != nil {
			return err
		}
		acc, err := vpcs.get(tx, sc, ptr.Deref(in.PeerVpcId))
		if err != nil {
			return err
		}
		for _, a := range req.Vpc.CidrBlockAssociationSet {
			for _, b := range acc.Vpc.CidrBlockAssociationSet {
				if overlaps(netip.MustParsePrefix(ptr.Deref(a.CidrBlock)), netip.MustParsePrefix(ptr.Deref(b.CidrBlock))) {
					return code("InvalidVpcPeeringConnection.CidrOverlap").New("Overlapping CIDR blocks: %s and %s", ptr.Deref(a.CidrBlock), ptr.Deref(b.CidrBlock))
				}
			}
		}
		tags := tagsFor(in.TagSpecifications, "vpc-peering-connection")
		if tags == nil {
			tags = []ec2api.Tag{}
		}
		p = ec2api.VpcPeeringConnection{VpcPeeringConnectionId: ptr.To(id), RequesterVpcInfo: peerInfo(req, ctx.Region), AccepterVpcInfo: peerInfo(acc, ctx.Region), Tags: tags,
			Status:         &ec2api.VpcPeeringConnectionStateReason{Code: ptr.To("pending-acceptance"), Message: ptr.To("Pending Acceptance by " + ctx.Account)},
			ExpirationTime: ptr.To(ctx.Now().UTC().AddDate(0, 0, 7))}
		return peerings.put(tx, sc, id, p)
	})
	if err != nil {
		return nil, err
	}
	out := p
	out.Status = &ec2api.VpcPeeringConnectionStateReason{Code: ptr.To("initiating-request"), Message: ptr.To("Initiating Request to " + ctx.Account)}
	return &ec2api.CreateVpcPeeringConnectionResult{VpcPeeringConnection: &out}, nil
}

// AcceptVpcPeeringConnection activates a pending peering.
func (s *EC2) AcceptVpcPeeringConnection(ctx *request.Context, in *ec2api.AcceptVpcPeeringConnectionRequest) (*ec2api.AcceptVpcPeeringConnectionResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	sc := scope(ctx)
	var p ec2api.VpcPeeringConnection
	err := s.store.Update(func(tx storage.Tx) error {
		var err error
		p, err = peerings.get(tx, sc, ptr.Deref(in.VpcPeeringConnectionId))
		if err != nil {
			return err
		}
		if ptr.Deref(p.Status.Code) != "pending-acceptance" {
			return code("InvalidStateTransition").New("Invalid state transition for %s, attempted to transition from %s to active", ptr.Deref(p.VpcPeeringConnectionId), ptr.Deref(p.Status.Code))
		}
		p.Status = &ec2api.VpcPeeringConnectionStateReason{Code: ptr.To("active"), Message: ptr.To("Active")}
		p.ExpirationTime = nil
		return peerings.put(tx, sc, ptr.Deref(p.VpcPeeringConnectionId), p)
	})
	return answer(&ec2api.AcceptVpcPeeringConnectionResult{VpcPeeringConnection: &p}, err)
}

// DeleteVpcPeeringConnection marks a peering deleted.
func (s *EC2) DeleteVpcPeeringConnection(ctx *request.Context, in *ec2api.DeleteVpcPeeringConnectionRequest) (*ec2api.DeleteVpcPeeringConnectionResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	err := mutate(s, ctx, peerings, ptr.Deref(in.VpcPeeringConnectionId), func(_ storage.Tx, _ storage.Scope, p *ec2api.VpcPeeringConnection) error {
		p.Status = &ec2api.VpcPeeringConnectionStateReason{Code: ptr.To("deleted"), Message: ptr.To("Deleted by " + ctx.Account)}
		return nil
	})
	return answer(&ec2api.DeleteVpcPeeringConnectionResult{Return: ptr.To(true)}, err)
}

// DescribeVpcPeeringConnections lists peerings.
func (s *EC2) DescribeVpcPeeringConnections(ctx *request.Context, in *ec2api.DescribeVpcPeeringConnectionsRequest) (*ec2api.DescribeVpcPeeringConnectionsResult, error) {
	recs, next, err := describe(s, ctx, peerings, page{ids: in.VpcPeeringConnectionIds, filters: in.Filters, maxResults: in.MaxResults, nextToken: in.NextToken}, nil)
	return answer(&ec2api.DescribeVpcPeeringConnectionsResult{VpcPeeringConnections: orEmpty(recs), NextToken: next}, err)
}

// CreateCustomerGateway records a customer gateway.
func (s *EC2) CreateCustomerGateway(ctx *request.Context, in *ec2api.CreateCustomerGatewayRequest) (*ec2api.CreateCustomerGatewayResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	ip := ptr.Deref(in.IpAddress)
	if ip == "" {
		ip = ptr.Deref(in.PublicIp)
	}
	if _, err := netip.ParseAddr(ip); err != nil {
		return nil, errInvalidParameterValue.New("The customer gateway IP address '%s' is invalid.", ip)
	}
	asn := int64(65000)
	if in.BgpAsn != nil {
		asn = int64(*in.BgpAsn)
	}
	if in.BgpAsnExtended != nil {
		asn = *in.BgpAsnExtended
	}
	id := newID("cgw")
	tags := tagsFor(in.TagSpecifications, "customer-gateway")
	if tags == nil {
		tags = []ec2api.Tag{}
	}
	g := ec2api.CustomerGateway{CustomerGatewayId: ptr.To(id), BgpAsn: ptr.To(fmt.Sprint(asn)), IpAddress: ptr.To(ip), State: ptr.To("available"), Type: ptr.To(ptr.Deref(in.Type)), DeviceName: in.DeviceName, Tags: tags}
	if err := s.store.Update(func(tx storage.Tx) error { return cgws.put(tx, scope(ctx), id, g) }); err != nil {
		return nil, err
	}
	return &ec2api.CreateCustomerGatewayResult{CustomerGateway: &g}, nil
}

// DeleteCustomerGateway marks a customer gateway deleted.
func (s *EC2) DeleteCustomerGateway(ctx *request.Context, in *ec2api.DeleteCustomerGatewayRequest) (*ec2api.DeleteCustomerGatewayOutput, error) {
	err := mutate(s, ctx, cgws, ptr.Deref(in.CustomerGatewayId), func(_ storage.Tx, _ storage.Scope, g *ec2api.CustomerGateway) error {
		g.State = ptr.To("deleted")
		return nil
	})
	return answer(&ec2api.DeleteCustomerGatewayOutput{}, err)
}

// DescribeCustomerGateways lists customer gateways.
func (s *EC2) DescribeCustomerGateways(ctx *request.Context, in *ec2api.DescribeCustomerGatewaysRequest) (*ec2api.DescribeCustomerGatewaysResult, error) {
	recs, _, err := describe(s, ctx, cgws, page{ids: in.CustomerGatewayIds, filters: in.Filters}, nil)
	return answer(&ec2api.DescribeCustomerGatewaysResult{CustomerGateways: orEmpty(recs)}, err)
}

// CreateVpnGateway creates a virtual private gateway.
func (s *EC2) CreateVpnGateway(ctx *request.Context, in *ec2api.CreateVpnGatewayRequest) (*ec2api.CreateVpnGatewayResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	asn := int64(64512)
	if in.AmazonSideAsn != nil {
		asn = *in.AmazonSideAsn
	}
	id := newID("vgw")
	tags := tagsFor(in.TagSpecifications, "vpn-gateway")
	if tags == nil {
		tags = []ec2api.Tag{}
	}
	g := ec2api.VpnGateway{VpnGatewayId: ptr.To(id), State: ptr.To("available"), Type: ptr.To("ipsec.1"), AmazonSideAsn: ptr.To(asn), VpcAttachments: []ec2api.VpcAttachment{}, Tags: tags, AvailabilityZone: in.AvailabilityZone}
	if err := s.store.Update(func(tx storage.Tx) error { return vgws.put(tx, scope(ctx), id, g) }); err != nil {
		return nil, err
	}
	return &ec2api.CreateVpnGatewayResult{VpnGateway: &g}, nil
}

// AttachVpnGateway attaches a VGW to a VPC.
func (s *EC2) AttachVpnGateway(ctx *request.Context, in *ec2api.AttachVpnGatewayRequest) (*ec2api.AttachVpnGatewayResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	sc := scope(ctx)
	err := s.store.Update(func(tx storage.Tx) error {
		g, err := vgws.get(tx, sc, ptr.Deref(in.VpnGatewayId))
		if err != nil {
			return err
		}
		if _, err := vpcs.get(tx, sc, ptr.Deref(in.VpcId)); err != nil {
			return err
		}
		for _, a := range g.VpcAttachments {
			if ptr.Deref(a.State) == "attached" {
				return errAlreadyAssociated.New("resource %s is already attached to network %s", ptr.Deref(in.VpnGatewayId), ptr.Deref(a.VpcId))
			}
		}
		g.VpcAttachments = []ec2api.VpcAttachment{{VpcId: in.VpcId, State: ptr.To("attached")}}
		return vgws.put(tx, sc, ptr.Deref(in.VpnGatewayId), g)
	})
	return answer(&ec2api.AttachVpnGatewayResult{VpcAttachment: &ec2api.VpcAttachment{VpcId: in.VpcId, State: ptr.To("attaching")}}, err)
}

// DetachVpnGateway detaches it.
func (s *EC2) DetachVpnGateway(ctx *request.Context, in *ec2api.DetachVpnGatewayRequest) (*ec2api.DetachVpnGatewayOutput, error) {
	err := mutate(s, ctx, vgws, ptr.Deref(in.VpnGatewayId), func(_ storage.Tx, _ storage.Scope, g *ec2api.VpnGateway) error {
		for i, a := range g.VpcAttachments {
			if ptr.Deref(a.VpcId) == ptr.Deref(in.VpcId) && ptr.Deref(a.State) == "attached" {
				g.VpcAttachments[i].State = ptr.To("detached")
				return nil
			}
		}
		return errGatewayNotAttached.New("resource %s is not attached to network %s", ptr.Deref(in.VpnGatewayId), ptr.Deref(in.VpcId))
	})
	return answer(&ec2api.DetachVpnGatewayOutput{}, err)
}

// DeleteVpnGateway deletes a detached VGW.
func (s *EC2) DeleteVpnGateway(ctx *request.Context, in *ec2api.DeleteVpnGatewayRequest) (*ec2api.DeleteVpnGatewayOutput, error) {
	err := mutate(s, ctx, vgws, ptr.Deref(in.VpnGatewayId), func(_ storage.Tx, _ storage.Scope, g *ec2api.VpnGateway) error {
		for _, a := range g.VpcAttachments {
			if ptr.Deref(a.State) == "attached" {
				return errIncorrectState.New("The VPN gateway '%s' is in use.", ptr.Deref(in.VpnGatewayId))
			}
		}
		g.State = ptr.To("deleted")
		return nil
	})
	return answer(&ec2api.DeleteVpnGatewayOutput{}, err)
}

// DescribeVpnGateways lists VGWs.
func (s *EC2) DescribeVpnGateways(ctx *request.Context, in *ec2api.DescribeVpnGatewaysRequest) (*ec2api.DescribeVpnGatewaysResult, error) {
	recs, _, err := describe(s, ctx, vgws, page{ids: in.VpnGatewayIds, filters: in.Filters}, nil)
	return answer(&ec2api.DescribeVpnGatewaysResult{VpnGateways: orEmpty(recs)}, err)
}

// CreateVpnConnection connects a customer gateway to a VGW.
func (s *EC2) CreateVpnConnection(ctx *request.Context, in *ec2api.CreateVpnConnectionRequest) (*ec2api.CreateVpnConnectionResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	sc := scope(ctx)
	id := newID("vpn")
	var c ec2api.VpnConnection
	err := s.store.Update(func(tx storage.Tx) error {
		if _, err := cgws.get(tx, sc, ptr.Deref(in.CustomerGatewayId)); err != nil {
			return err
		}
		if in.VpnGatewayId != nil {
			if _, err := vgws.get(tx, sc, *in.VpnGatewayId); err != nil {
				return err
			}
		}
		static := in.Options != nil && ptr.Deref(in.Options.StaticRoutesOnly)
		tags := tagsFor(in.TagSpecifications, "vpn-connection")
		if tags == nil {
			tags = []ec2api.Tag{}
		}
		c = ec2api.VpnConnection{VpnConnectionId: ptr.To(id), CustomerGatewayId: in.CustomerGatewayId, VpnGatewayId: in.VpnGatewayId, TransitGatewayId: in.TransitGatewayId,
			Type: ptr.To(ptr.Deref(in.Type)), State: ptr.To("available"), Category: ptr.To("VPN"), Routes: []ec2api.VpnStaticRoute{}, Tags: tags, VgwTelemetry: []ec2api.VgwTelemetry{},
			Options: &ec2api.VpnConnectionOptions{StaticRoutesOnly: ptr.To(static), EnableAcceleration: ptr.To(false), LocalIpv4NetworkCidr: ptr.To("0.0.0.0/0"), RemoteIpv4NetworkCidr: ptr.To("0.0.0.0/0")}}
		return vpns.put(tx, sc, id, c)
	})
	return answer(&ec2api.CreateVpnConnectionResult{VpnConnection: &c}, err)
}

// DeleteVpnConnection marks a connection deleted; its routes stop
// propagating.
func (s *EC2) DeleteVpnConnection(ctx *request.Context, in *ec2api.DeleteVpnConnectionRequest) (*ec2api.DeleteVpnConnectionOutput, error) {
	err := mutate(s, ctx, vpns, ptr.Deref(in.VpnConnectionId), func(_ storage.Tx, _ storage.Scope, c *ec2api.VpnConnection) error {
		c.State = ptr.To("deleted")
		return nil
	})
	return answer(&ec2api.DeleteVpnConnectionOutput{}, err)
}

// DescribeVpnConnections lists VPN connections.
func (s *EC2) DescribeVpnConnections(ctx *request.Context, in *ec2api.DescribeVpnConnectionsRequest) (*ec2api.DescribeVpnConnectionsResult, error) {
	recs, _, err := describe(s, ctx, vpns, page{ids: in.VpnConnectionIds, filters: in.Filters}, nil)
	return answer(&ec2api.DescribeVpnConnectionsResult{VpnConnections: orEmpty(recs)}, err)
}

// CreateVpnConnectionRoute adds a static route to a static VPN.
func (s *EC2) CreateVpnConnectionRoute(ctx *request.Context, in *ec2api.CreateVpnConnectionRouteRequest) (*ec2api.CreateVpnConnectionRouteOutput, error) {
	p, err := netip.ParsePrefix(ptr.Deref(in.DestinationCidrBlock))
	if err != nil || !p.Addr().Is4() {
		return nil, errInvalidParameterValue.New("Value (%s) for parameter destinationCidrBlock is invalid. This is not a valid CIDR block.", ptr.Deref(in.DestinationCidrBlock))
	}
	sc := scope(ctx)
	err = s.store.Update(func(tx storage.Tx) error {
		c, err := vpns.get(tx, sc, ptr.Deref(in.VpnConnectionId))
		if err != nil {
			return err
		}
		if c.Options == nil || !ptr.Deref(c.Options.StaticRoutesOnly) {
			return errInvalidParameterValue.New("Static routes can only be added to VPN connections with static routing (StaticRoutesOnly).")
		}
		for _, r := range c.Routes {
			if ptr.Deref(r.DestinationCidrBlock) == p.Masked().String() {
				return errRouteExists.New("The route identified by %s already exists.", p.Masked())
			}
		}
		c.Routes = append(c.Routes, ec2api.VpnStaticRoute{DestinationCidrBlock: ptr.To(p.Masked().String()), Source: ptr.To("Static"), State: ptr.To("available")})
		return vpns.put(tx, sc, ptr.Deref(in.VpnConnectionId), c)
	})
	return answer(&ec2api.CreateVpnConnectionRouteOutput{}, err)
}

// DeleteVpnConnectionRoute removes one.
func (s *EC2) DeleteVpnConnectionRoute(ctx *request.Context, in *ec2api.DeleteVpnConnectionRouteRequest) (*ec2api.DeleteVpnConnectionRouteOutput, error) {
	err := mutate(s, ctx, vpns, ptr.Deref(in.VpnConnectionId), func(_ storage.Tx, _ storage.Scope, c *ec2api.VpnConnection) error {
		for i, r := range c.Routes {
			if ptr.Deref(r.DestinationCidrBlock) == ptr.Deref(in.DestinationCidrBlock) {
				c.Routes = append(c.Routes[:i], c.Routes[i+1:]...)
				return nil
			}
		}
		return errRouteNotFound.New("The route identified by %s does not exist.", ptr.Deref(in.DestinationCidrBlock))
	})
	return answer(&ec2api.DeleteVpnConnectionRouteOutput{}, err)
}

// vgwPath is a route a VGW knows.
type vgwPath struct {
	cidr   string
	via    string
	source route.Source
}

// vgwPaths are the routes a VGW propagates: the static routes of its
// live VPN connections and the routes announced to it over BGP (dynamic
// VPN connections, Direct Connect virtual interfaces).
func vgwPaths(tx storage.Tx, sc storage.Scope, vgw string) []vgwPath {
	all, err := vpns.all(tx, sc)
	if err != nil {
		return nil
	}
	var out []vgwPath
	for _, c := range all {
		if ptr.Deref(c.VpnGatewayId) != vgw || ptr.Deref(c.State) == "deleted" {
			continue
		}
		for _, r := range c.Routes {
			out = append(out, vgwPath{cidr: ptr.Deref(r.DestinationCidrBlock), via: ptr.Deref(c.VpnConnectionId), source: route.VPNStatic})
		}
	}
	return append(out, advertisedPaths(tx, sc, vgw)...)
}
