package ec2

import (
	"strconv"
	"strings"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/request"
)

// cfnNetworkResources are EC2's CloudFormation types beyond the VPC
// basics in cfn.go: network ACLs, peering, transit gateways, volumes,
// flow logs, DHCP options, prefix lists, network interfaces, placement
// groups, extra CIDR blocks and Elastic IP associations. Each calls the
// API's own handler; the properties named in Replace are those AWS's
// resource reference marks "Update requires: Replacement".
func (s *EC2) cfnNetworkResources() map[string]kit.ResourceProvider {
	tgwAttachment := kit.ResourceProvider{Create: s.cfnCreateTgwAttachment, Update: s.cfnUpdateTgwAttachment,
		Delete: s.cfnDeleteTgwAttachment, Replace: []string{"TransitGatewayId", "VpcId"}, Tags: true}
	return map[string]kit.ResourceProvider{
		// Ref is the ACL id; Fn::GetAtt Id.
		"AWS::EC2::NetworkAcl": {Create: s.cfnCreateNetworkAcl, Delete: s.cfnDeleteNetworkAcl, Tags: true},
		// Ref is a generated id; its rule changes in place
		// (ReplaceNetworkAclEntry); the ACL, number and direction replace it.
		"AWS::EC2::NetworkAclEntry": {Create: s.cfnCreateNetworkAclEntry, Update: s.cfnReplaceNetworkAclEntry,
			Delete: s.cfnDeleteNetworkAclEntry, Replace: []string{"NetworkAclId", "RuleNumber", "Egress"}},
		// Ref is the association id; Fn::GetAtt AssociationId. Deleting
		// it returns the subnet to its VPC's default ACL, as on AWS.
		"AWS::EC2::SubnetNetworkAclAssociation": {Create: s.cfnAssociateNetworkAcl, Delete: s.cfnDisassociateNetworkAcl},
		// Ref is the peering connection id; Fn::GetAtt Id. A peering
		// within the account and region is accepted, as CloudFormation does.
		"AWS::EC2::VPCPeeringConnection": {Create: s.cfnCreateVpcPeering, Delete: s.cfnDeleteVpcPeering, Tags: true},
		// Ref is the transit gateway id; Fn::GetAtt Id, TransitGatewayArn.
		"AWS::EC2::TransitGateway": {Create: s.cfnCreateTransitGateway, Update: s.cfnModifyTransitGateway,
			Delete: s.cfnDeleteTransitGateway, Replace: []string{"MulticastSupport"}, Tags: true},
		// Ref is the attachment id; Fn::GetAtt Id. Its subnets and
		// options change in place (ModifyTransitGatewayVpcAttachment).
		"AWS::EC2::TransitGatewayAttachment":    tgwAttachment,
		"AWS::EC2::TransitGatewayVpcAttachment": tgwAttachment,
		// Ref is the route table id; Fn::GetAtt TransitGatewayRouteTableId.
		"AWS::EC2::TransitGatewayRouteTable": {Create: s.cfnCreateTgwRouteTable, Delete: s.cfnDeleteTgwRouteTable, Tags: true},
		// Ref is a generated id; every change replaces the route.
		"AWS::EC2::TransitGatewayRoute": {Create: s.cfnCreateTgwRoute, Delete: s.cfnDeleteTgwRoute},
		// Ref is a generated id.
		"AWS::EC2::TransitGatewayRouteTableAssociation": {Create: s.cfnAssociateTgwRouteTable, Delete: s.cfnDisassociateTgwRouteTable},
		"AWS::EC2::TransitGatewayRouteTablePropagation": {Create: s.cfnEnableTgwPropagation, Delete: s.cfnDisableTgwPropagation},
		// Ref is the volume id; Fn::GetAtt VolumeId. Size, type, IOPS,
		// throughput and multi-attach change in place (ModifyVolume).
		"AWS::EC2::Volume": {Create: s.cfnCreateVolume, Update: s.cfnModifyVolume, Delete: s.cfnDeleteVolume,
			Replace: []string{"AvailabilityZone", "Encrypted", "KmsKeyId", "SnapshotId", "OutpostArn"}, Tags: true},
		// Ref is a generated id; every change replaces the attachment.
		"AWS::EC2::VolumeAttachment": {Create: s.cfnAttachVolume, Delete: s.cfnDetachVolume},
		// Ref is the flow log id; Fn::GetAtt Id.
		"AWS::EC2::FlowLog": {Create: s.cfnCreateFlowLog, Delete: s.cfnDeleteFlowLog, Tags: true},
		// Ref is the DHCP options id; Fn::GetAtt DhcpOptionsId.
		"AWS::EC2::DHCPOptions": {Create: s.cfnCreateDhcpOptions, Delete: s.cfnDeleteDhcpOptions, Tags: true},
		// Ref is a generated id; deleting it gives the VPC "default" options.
		"AWS::EC2::VPCDHCPOptionsAssociation": {Create: s.cfnAssociateDhcpOptions, Delete: s.cfnDisassociateDhcpOptions},
		// Ref is the gateway id; Fn::GetAtt Id.
		"AWS::EC2::EgressOnlyInternetGateway": {Create: s.cfnCreateEgressOnlyIgw, Delete: s.cfnDeleteEgressOnlyIgw, Tags: true},
		// Ref is the prefix list id; Fn::GetAtt PrefixListId, OwnerId,
		// Version, Arn. Name, entries and MaxEntries change in place
		// (ModifyManagedPrefixList, a new version).
		"AWS::EC2::PrefixList": {Create: s.cfnCreatePrefixList, Update: s.cfnModifyPrefixList, Delete: s.cfnDeletePrefixList,
			Replace: []string{"AddressFamily"}, Tags: true},
		// Ref is the interface id; Fn::GetAtt Id, PrimaryPrivateIpAddress,
		// SecondaryPrivateIpAddresses, VpcId, PrimaryIpv6Address. Its
		// description, groups and source/dest check change in place.
		"AWS::EC2::NetworkInterface": {Create: s.cfnCreateNetworkInterface, Update: s.cfnModifyNetworkInterface,
			Delete: s.cfnDeleteNetworkInterface, Replace: []string{"SubnetId", "PrivateIpAddress", "PrivateIpAddresses",
				"SecondaryPrivateIpAddressCount", "InterfaceType", "Ipv6AddressCount", "Ipv6Addresses"}, Tags: true},
		// Ref is the attachment id; Fn::GetAtt AttachmentId.
		// DeleteOnTermination changes in place.
		"AWS::EC2::NetworkInterfaceAttachment": {Create: s.cfnAttachNetworkInterface, Update: s.cfnModifyNetworkInterfaceAttachment,
			Delete: s.cfnDetachNetworkInterface, Replace: []string{"InstanceId", "NetworkInterfaceId", "DeviceIndex", "EnaSrdSpecification"}},
		// Ref is the group's (generated) name; Fn::GetAtt GroupName.
		"AWS::EC2::PlacementGroup": {Create: s.cfnCreatePlacementGroup, Delete: s.cfnDeletePlacementGroup, Tags: true},
		// Ref is the association id; Fn::GetAtt Id, Ipv6CidrBlock.
		"AWS::EC2::VPCCidrBlock": {Create: s.cfnAssociateVpcCidr, Delete: s.cfnDisassociateVpcCidr},
		// Ref is the association id; Fn::GetAtt Id.
		"AWS::EC2::SubnetCidrBlock": {Create: s.cfnAssociateSubnetCidr, Delete: s.cfnDisassociateSubnetCidr},
		// Ref is the association id; Fn::GetAtt Id.
		"AWS::EC2::EIPAssociation": {Create: s.cfnAssociateEip, Delete: s.cfnDisassociateEip},
	}
}

// propInt32 reads an integer property (number or numeric string); nil
// when absent.
func propInt32(props map[string]any, name string) (*int32, error) {
	if !kit.Has(props, name) {
		return nil, nil
	}
	n, err := strconv.ParseInt(kit.PropStr(props, name), 10, 32)
	if err != nil {
		return nil, awserr.ValidationError.New("Value of property %s must be an integer", name)
	}
	v := int32(n)
	return &v, nil
}

func boolp(v bool) *bool { return &v }

// cfnRetag makes id's tags the template's Tags (an in-place update).
func (s *EC2) cfnRetag(ctx *request.Context, id string, r kit.ResourceRequest) error {
	old, cur := kit.PropTags(r.OldProperties), kit.PropTags(r.Properties)
	var drop, put []ec2api.Tag
	for k := range old {
		if _, ok := cur[k]; !ok {
			drop = append(drop, ec2api.Tag{Key: strp(k)})
		}
	}
	for k, v := range cur {
		if ov, ok := old[k]; !ok || ov != v {
			put = append(put, ec2api.Tag{Key: strp(k), Value: strp(v)})
		}
	}
	if len(drop) > 0 {
		if _, err := s.DeleteTags(ctx, &ec2api.DeleteTagsRequest{Resources: []string{id}, Tags: drop}); err != nil {
			return err
		}
	}
	if len(put) > 0 {
		if _, err := s.CreateTags(ctx, &ec2api.CreateTagsRequest{Resources: []string{id}, Tags: put}); err != nil {
			return err
		}
	}
	return nil
}

// goneOr is gone, also tolerating the error codes that contain any of
// codes (a detached attachment, a released association).
func goneOr(err error, codes ...string) error {
	if e := awserr.As(err); e != nil {
		for _, c := range codes {
			if strings.Contains(e.Code.Code, c) {
				return nil
			}
		}
	}
	return gone(err)
}

func (s *EC2) cfnCreateNetworkAcl(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	out, err := s.CreateNetworkAcl(ctx, &ec2api.CreateNetworkAclRequest{VpcId: strp(r.Str("VpcId")), TagSpecifications: tagSpecs("network-acl", r.Properties)})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	id := *out.NetworkAcl.NetworkAclId
	return kit.ResourceResult{PhysicalID: id, Attributes: map[string]any{"Id": id}}, nil
}

func (s *EC2) cfnDeleteNetworkAcl(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteNetworkAcl(ctx, &ec2api.DeleteNetworkAclRequest{NetworkAclId: &r.PhysicalID})
	return gone(err)
}

// aclEntry reads an AWS::EC2::NetworkAclEntry's properties (Icmp and
// PortRange are the API's IcmpTypeCode and PortRange).
func aclEntry(r kit.ResourceRequest) (*ec2api.CreateNetworkAclEntryRequest, error) {
	num, err := propInt32(r.Properties, "RuleNumber")
	if err != nil {
		return nil, err
	}
	in := &ec2api.CreateNetworkAclEntryRequest{NetworkAclId: strp(r.Str("NetworkAclId")), RuleNumber: num,
		Egress: boolp(kit.PropBool(r.Properties, "Egress")), Protocol: strp(r.Str("Protocol")), RuleAction: strp(r.Str("RuleAction")),
		CidrBlock: optStr(r.Str("CidrBlock")), Ipv6CidrBlock: optStr(r.Str("Ipv6CidrBlock"))}
	if m := kit.PropMap(r.Properties, "Icmp"); m != nil {
		in.IcmpTypeCode = &ec2api.IcmpTypeCode{}
		if in.IcmpTypeCode.Code, err = propInt32(m, "Code"); err != nil {
			return nil, err
		}
		if in.IcmpTypeCode.Type, err = propInt32(m, "Type"); err != nil {
			return nil, err
		}
	}
	if m := kit.PropMap(r.Properties, "PortRange"); m != nil {
		in.PortRange = &ec2api.PortRange{}
		if in.PortRange.From, err = propInt32(m, "From"); err != nil {
			return nil, err
		}
		if in.PortRange.To, err = propInt32(m, "To"); err != nil {
			return nil, err
		}
	}
	return in, nil
}

func (s *EC2) cfnCreateNetworkAclEntry(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	in, err := aclEntry(r)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	if _, err := s.CreateNetworkAclEntry(ctx, in); err != nil {
		return kit.ResourceResult{}, err
	}
	id := kit.PhysicalName(r, 128)
	return kit.ResourceResult{PhysicalID: id, Attributes: map[string]any{"Id": id}}, nil
}

func (s *EC2) cfnReplaceNetworkAclEntry(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	in, err := aclEntry(r)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	if _, err := s.ReplaceNetworkAclEntry(ctx, &ec2api.ReplaceNetworkAclEntryRequest{NetworkAclId: in.NetworkAclId, RuleNumber: in.RuleNumber,
		Egress: in.Egress, Protocol: in.Protocol, RuleAction: in.RuleAction, CidrBlock: in.CidrBlock, Ipv6CidrBlock: in.Ipv6CidrBlock,
		IcmpTypeCode: in.IcmpTypeCode, PortRange: in.PortRange}); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: r.PhysicalID, Attributes: map[string]any{"Id": r.PhysicalID}}, nil
}

func (s *EC2) cfnDeleteNetworkAclEntry(ctx *request.Context, r kit.ResourceRequest) error {
	num, err := propInt32(r.Properties, "RuleNumber")
	if err != nil {
		return err
	}
	_, err = s.DeleteNetworkAclEntry(ctx, &ec2api.DeleteNetworkAclEntryRequest{NetworkAclId: strp(r.Str("NetworkAclId")), RuleNumber: num,
		Egress: boolp(kit.PropBool(r.Properties, "Egress"))})
	return gone(err)
}

// subnetAclAssociation finds the ACL association of subnet (or, with
// subnet "", the association id) and its VPC's default ACL.
func (s *EC2) subnetAclAssociation(ctx *request.Context, subnet, assoc string) (assocID, defaultACL string, err error) {
	out, err := s.DescribeNetworkAcls(ctx, &ec2api.DescribeNetworkAclsRequest{})
	if err != nil {
		return "", "", err
	}
	vpc := ""
	for _, a := range out.NetworkAcls {
		for _, as := range a.Associations {
			if (subnet != "" && deref(as.SubnetId) == subnet) || (assoc != "" && deref(as.NetworkAclAssociationId) == assoc) {
				assocID, vpc = deref(as.NetworkAclAssociationId), deref(a.VpcId)
			}
		}
	}
	for _, a := range out.NetworkAcls {
		if vpc != "" && deref(a.VpcId) == vpc && a.IsDefault != nil && *a.IsDefault {
			defaultACL = deref(a.NetworkAclId)
		}
	}
	return assocID, defaultACL, nil
}

func (s *EC2) cfnAssociateNetworkAcl(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	subnet := r.Str("SubnetId")
	cur, _, err := s.subnetAclAssociation(ctx, subnet, "")
	if err != nil {
		return kit.ResourceResult{}, err
	}
	if cur == "" {
		return kit.ResourceResult{}, errInvalidParameterValue.New("The subnet ID '%s' does not exist", subnet)
	}
	out, err := s.ReplaceNetworkAclAssociation(ctx, &ec2api.ReplaceNetworkAclAssociationRequest{AssociationId: &cur, NetworkAclId: strp(r.Str("NetworkAclId"))})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	id := *out.NewAssociationId
	return kit.ResourceResult{PhysicalID: id, Attributes: map[string]any{"AssociationId": id}}, nil
}

func (s *EC2) cfnDisassociateNetworkAcl(ctx *request.Context, r kit.ResourceRequest) error {
	cur, def, err := s.subnetAclAssociation(ctx, "", r.PhysicalID)
	if err != nil || cur == "" || def == "" {
		return err
	}
	_, err = s.ReplaceNetworkAclAssociation(ctx, &ec2api.ReplaceNetworkAclAssociationRequest{AssociationId: &cur, NetworkAclId: &def})
	return gone(err)
}

func (s *EC2) cfnCreateVpcPeering(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	out, err := s.CreateVpcPeeringConnection(ctx, &ec2api.CreateVpcPeeringConnectionRequest{VpcId: strp(r.Str("VpcId")),
		PeerVpcId: strp(r.Str("PeerVpcId")), PeerOwnerId: optStr(r.Str("PeerOwnerId")), PeerRegion: optStr(r.Str("PeerRegion")),
		TagSpecifications: tagSpecs("vpc-peering-connection", r.Properties)})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	id := *out.VpcPeeringConnection.VpcPeeringConnectionId
	owner, region := r.Str("PeerOwnerId"), r.Str("PeerRegion")
	if (owner == "" || owner == ctx.Account) && (region == "" || region == ctx.Region) {
		if _, err := s.AcceptVpcPeeringConnection(ctx, &ec2api.AcceptVpcPeeringConnectionRequest{VpcPeeringConnectionId: &id}); err != nil {
			_, _ = s.DeleteVpcPeeringConnection(ctx, &ec2api.DeleteVpcPeeringConnectionRequest{VpcPeeringConnectionId: &id})
			return kit.ResourceResult{}, err
		}
	}
	return kit.ResourceResult{PhysicalID: id, Attributes: map[string]any{"Id": id}}, nil
}

func (s *EC2) cfnDeleteVpcPeering(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteVpcPeeringConnection(ctx, &ec2api.DeleteVpcPeeringConnectionRequest{VpcPeeringConnectionId: &r.PhysicalID})
	return gone(err)
}

func (s *EC2) cfnCreateTransitGateway(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	opts := &ec2api.TransitGatewayRequestOptions{AutoAcceptSharedAttachments: optStr(r.Str("AutoAcceptSharedAttachments")),
		DefaultRouteTableAssociation: optStr(r.Str("DefaultRouteTableAssociation")), DefaultRouteTablePropagation: optStr(r.Str("DefaultRouteTablePropagation")),
		VpnEcmpSupport: optStr(r.Str("VpnEcmpSupport")), DnsSupport: optStr(r.Str("DnsSupport")), MulticastSupport: optStr(r.Str("MulticastSupport")),
		SecurityGroupReferencingSupport: optStr(r.Str("SecurityGroupReferencingSupport"))}
	if kit.Has(r.Properties, "TransitGatewayCidrBlocks") {
		opts.TransitGatewayCidrBlocks = kit.PropList(r.Properties, "TransitGatewayCidrBlocks")
	}
	if v := r.Str("AmazonSideAsn"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return kit.ResourceResult{}, awserr.ValidationError.New("Value of property AmazonSideAsn must be an integer")
		}
		opts.AmazonSideAsn = &n
	}
	out, err := s.CreateTransitGateway(ctx, &ec2api.CreateTransitGatewayRequest{Description: optStr(r.Str("Description")), Options: opts,
		TagSpecifications: tagSpecs("transit-gateway", r.Properties)})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	tgw := out.TransitGateway
	return kit.ResourceResult{PhysicalID: *tgw.TransitGatewayId, Attributes: map[string]any{"Id": *tgw.TransitGatewayId,
		"TransitGatewayArn": deref(tgw.TransitGatewayArn)}}, nil
}

func (s *EC2) cfnModifyTransitGateway(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	opts := &ec2api.ModifyTransitGatewayOptions{AutoAcceptSharedAttachments: optStr(r.Str("AutoAcceptSharedAttachments")),
		DefaultRouteTableAssociation: optStr(r.Str("DefaultRouteTableAssociation")), DefaultRouteTablePropagation: optStr(r.Str("DefaultRouteTablePropagation")),
		VpnEcmpSupport: optStr(r.Str("VpnEcmpSupport")), DnsSupport: optStr(r.Str("DnsSupport")),
		SecurityGroupReferencingSupport: optStr(r.Str("SecurityGroupReferencingSupport")),
		AssociationDefaultRouteTableId:  optStr(r.Str("AssociationDefaultRouteTableId")),
		PropagationDefaultRouteTableId:  optStr(r.Str("PropagationDefaultRouteTableId"))}
	if v := r.Str("AmazonSideAsn"); v != "" && v != kit.PropStr(r.OldProperties, "AmazonSideAsn") {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return kit.ResourceResult{}, awserr.ValidationError.New("Value of property AmazonSideAsn must be an integer")
		}
		opts.AmazonSideAsn = &n
	}
	opts.AddTransitGatewayCidrBlocks, opts.RemoveTransitGatewayCidrBlocks = listDiff(kit.PropList(r.OldProperties, "TransitGatewayCidrBlocks"),
		kit.PropList(r.Properties, "TransitGatewayCidrBlocks"))
	desc := r.Str("Description")
	out, err := s.ModifyTransitGateway(ctx, &ec2api.ModifyTransitGatewayRequest{TransitGatewayId: &r.PhysicalID, Description: &desc, Options: opts})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	if err := s.cfnRetag(ctx, r.PhysicalID, r); err != nil {
		return kit.ResourceResult{}, err
	}
	arn := ""
	if out.TransitGateway != nil {
		arn = deref(out.TransitGateway.TransitGatewayArn)
	}
	return kit.ResourceResult{PhysicalID: r.PhysicalID, Attributes: map[string]any{"Id": r.PhysicalID, "TransitGatewayArn": arn}}, nil
}

// listDiff returns what cur adds to old and what it drops.
func listDiff(old, cur []string) (add, remove []string) {
	had := map[string]bool{}
	for _, v := range old {
		had[v] = true
	}
	has := map[string]bool{}
	for _, v := range cur {
		has[v] = true
		if !had[v] {
			add = append(add, v)
		}
	}
	for _, v := range old {
		if !has[v] {
			remove = append(remove, v)
		}
	}
	return add, remove
}

func (s *EC2) cfnDeleteTransitGateway(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteTransitGateway(ctx, &ec2api.DeleteTransitGatewayRequest{TransitGatewayId: &r.PhysicalID})
	return gone(err)
}

func (s *EC2) cfnCreateTgwAttachment(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	in := &ec2api.CreateTransitGatewayVpcAttachmentRequest{TransitGatewayId: strp(r.Str("TransitGatewayId")), VpcId: strp(r.Str("VpcId")),
		SubnetIds: kit.PropList(r.Properties, "SubnetIds"), TagSpecifications: tagSpecs("transit-gateway-attachment", r.Properties)}
	if kit.Has(r.Properties, "Options") {
		in.Options = &ec2api.CreateTransitGatewayVpcAttachmentRequestOptions{}
		if err := kit.DecodeProp(r.Properties, "Options", in.Options); err != nil {
			return kit.ResourceResult{}, awserr.ValidationError.New("Options: %v", err)
		}
	}
	out, err := s.CreateTransitGatewayVpcAttachment(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	id := *out.TransitGatewayVpcAttachment.TransitGatewayAttachmentId
	return kit.ResourceResult{PhysicalID: id, Attributes: map[string]any{"Id": id}}, nil
}

func (s *EC2) cfnUpdateTgwAttachment(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	in := &ec2api.ModifyTransitGatewayVpcAttachmentRequest{TransitGatewayAttachmentId: &r.PhysicalID}
	in.AddSubnetIds, in.RemoveSubnetIds = listDiff(kit.PropList(r.OldProperties, "SubnetIds"), kit.PropList(r.Properties, "SubnetIds"))
	if kit.Has(r.Properties, "Options") {
		in.Options = &ec2api.ModifyTransitGatewayVpcAttachmentRequestOptions{}
		if err := kit.DecodeProp(r.Properties, "Options", in.Options); err != nil {
			return kit.ResourceResult{}, awserr.ValidationError.New("Options: %v", err)
		}
	}
	if len(in.AddSubnetIds)+len(in.RemoveSubnetIds) > 0 || in.Options != nil {
		if _, err := s.ModifyTransitGatewayVpcAttachment(ctx, in); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	if err := s.cfnRetag(ctx, r.PhysicalID, r); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: r.PhysicalID, Attributes: map[string]any{"Id": r.PhysicalID}}, nil
}

func (s *EC2) cfnDeleteTgwAttachment(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteTransitGatewayVpcAttachment(ctx, &ec2api.DeleteTransitGatewayVpcAttachmentRequest{TransitGatewayAttachmentId: &r.PhysicalID})
	return gone(err)
}

func (s *EC2) cfnCreateTgwRouteTable(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	out, err := s.CreateTransitGatewayRouteTable(ctx, &ec2api.CreateTransitGatewayRouteTableRequest{TransitGatewayId: strp(r.Str("TransitGatewayId")),
		TagSpecifications: tagSpecs("transit-gateway-route-table", r.Properties)})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	id := *out.TransitGatewayRouteTable.TransitGatewayRouteTableId
	return kit.ResourceResult{PhysicalID: id, Attributes: map[string]any{"TransitGatewayRouteTableId": id}}, nil
}

func (s *EC2) cfnDeleteTgwRouteTable(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteTransitGatewayRouteTable(ctx, &ec2api.DeleteTransitGatewayRouteTableRequest{TransitGatewayRouteTableId: &r.PhysicalID})
	return gone(err)
}

func (s *EC2) cfnCreateTgwRoute(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	in := &ec2api.CreateTransitGatewayRouteRequest{TransitGatewayRouteTableId: strp(r.Str("TransitGatewayRouteTableId")),
		DestinationCidrBlock: strp(r.Str("DestinationCidrBlock")), TransitGatewayAttachmentId: optStr(r.Str("TransitGatewayAttachmentId"))}
	if kit.PropBool(r.Properties, "Blackhole") {
		in.Blackhole = boolp(true)
	}
	if _, err := s.CreateTransitGatewayRoute(ctx, in); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: kit.PhysicalName(r, 128)}, nil
}

func (s *EC2) cfnDeleteTgwRoute(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteTransitGatewayRoute(ctx, &ec2api.DeleteTransitGatewayRouteRequest{TransitGatewayRouteTableId: strp(r.Str("TransitGatewayRouteTableId")),
		DestinationCidrBlock: strp(r.Str("DestinationCidrBlock"))})
	return gone(err)
}

func (s *EC2) cfnAssociateTgwRouteTable(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	if _, err := s.AssociateTransitGatewayRouteTable(ctx, &ec2api.AssociateTransitGatewayRouteTableRequest{
		TransitGatewayRouteTableId: strp(r.Str("TransitGatewayRouteTableId")), TransitGatewayAttachmentId: strp(r.Str("TransitGatewayAttachmentId"))}); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: kit.PhysicalName(r, 128)}, nil
}

func (s *EC2) cfnDisassociateTgwRouteTable(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DisassociateTransitGatewayRouteTable(ctx, &ec2api.DisassociateTransitGatewayRouteTableRequest{
		TransitGatewayRouteTableId: strp(r.Str("TransitGatewayRouteTableId")), TransitGatewayAttachmentId: strp(r.Str("TransitGatewayAttachmentId"))})
	return goneOr(err, "Association")
}

func (s *EC2) cfnEnableTgwPropagation(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	if _, err := s.EnableTransitGatewayRouteTablePropagation(ctx, &ec2api.EnableTransitGatewayRouteTablePropagationRequest{
		TransitGatewayRouteTableId: strp(r.Str("TransitGatewayRouteTableId")), TransitGatewayAttachmentId: strp(r.Str("TransitGatewayAttachmentId"))}); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: kit.PhysicalName(r, 128)}, nil
}

func (s *EC2) cfnDisableTgwPropagation(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DisableTransitGatewayRouteTablePropagation(ctx, &ec2api.DisableTransitGatewayRouteTablePropagationRequest{
		TransitGatewayRouteTableId: strp(r.Str("TransitGatewayRouteTableId")), TransitGatewayAttachmentId: strp(r.Str("TransitGatewayAttachmentId"))})
	return goneOr(err, "Propagation")
}

func (s *EC2) cfnCreateVolume(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	in := &ec2api.CreateVolumeRequest{AvailabilityZone: strp(r.Str("AvailabilityZone")), KmsKeyId: optStr(r.Str("KmsKeyId")),
		SnapshotId: optStr(r.Str("SnapshotId")), VolumeType: optStr(r.Str("VolumeType")), OutpostArn: optStr(r.Str("OutpostArn")),
		TagSpecifications: tagSpecs("volume", r.Properties)}
	if kit.Has(r.Properties, "Encrypted") {
		in.Encrypted = boolp(kit.PropBool(r.Properties, "Encrypted"))
	}
	if kit.Has(r.Properties, "MultiAttachEnabled") {
		in.MultiAttachEnabled = boolp(kit.PropBool(r.Properties, "MultiAttachEnabled"))
	}
	var err error
	for _, f := range []struct {
		name string
		out  **int32
	}{{"Size", &in.Size}, {"Iops", &in.Iops}, {"Throughput", &in.Throughput}} {
		if *f.out, err = propInt32(r.Properties, f.name); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	out, err := s.CreateVolume(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: *out.VolumeId, Attributes: map[string]any{"VolumeId": *out.VolumeId}}, nil
}

func (s *EC2) cfnModifyVolume(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	in := &ec2api.ModifyVolumeRequest{VolumeId: &r.PhysicalID}
	changed := false
	for _, f := range []struct {
		name string
		out  **int32
	}{{"Size", &in.Size}, {"Iops", &in.Iops}, {"Throughput", &in.Throughput}} {
		if kit.PropStr(r.Properties, f.name) == kit.PropStr(r.OldProperties, f.name) {
			continue
		}
		v, err := propInt32(r.Properties, f.name)
		if err != nil {
			return kit.ResourceResult{}, err
		}
		*f.out, changed = v, changed || v != nil
	}
	if v := r.Str("VolumeType"); v != kit.PropStr(r.OldProperties, "VolumeType") && v != "" {
		in.VolumeType, changed = &v, true
	}
	if kit.PropStr(r.Properties, "MultiAttachEnabled") != kit.PropStr(r.OldProperties, "MultiAttachEnabled") {
		in.MultiAttachEnabled, changed = boolp(kit.PropBool(r.Properties, "MultiAttachEnabled")), true
	}
	if changed {
		if _, err := s.ModifyVolume(ctx, in); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	if err := s.cfnRetag(ctx, r.PhysicalID, r); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: r.PhysicalID, Attributes: map[string]any{"VolumeId": r.PhysicalID}}, nil
}

func (s *EC2) cfnDeleteVolume(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteVolume(ctx, &ec2api.DeleteVolumeRequest{VolumeId: &r.PhysicalID})
	return gone(err)
}

func (s *EC2) cfnAttachVolume(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	if _, err := s.AttachVolume(ctx, &ec2api.AttachVolumeRequest{Device: strp(r.Str("Device")), InstanceId: strp(r.Str("InstanceId")),
		VolumeId: strp(r.Str("VolumeId"))}); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: kit.PhysicalName(r, 128)}, nil
}

func (s *EC2) cfnDetachVolume(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DetachVolume(ctx, &ec2api.DetachVolumeRequest{Device: optStr(r.Str("Device")), InstanceId: optStr(r.Str("InstanceId")),
		VolumeId: strp(r.Str("VolumeId"))})
	return goneOr(err, "IncorrectState")
}

func (s *EC2) cfnCreateFlowLog(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	in := &ec2api.CreateFlowLogsRequest{ResourceIds: []string{r.Str("ResourceId")}, ResourceType: strp(r.Str("ResourceType")),
		TrafficType: optStr(r.Str("TrafficType")), LogDestinationType: optStr(r.Str("LogDestinationType")),
		LogDestination: optStr(r.Str("LogDestination")), LogGroupName: optStr(r.Str("LogGroupName")),
		DeliverLogsPermissionArn: optStr(r.Str("DeliverLogsPermissionArn")), DeliverCrossAccountRole: optStr(r.Str("DeliverCrossAccountRole")),
		LogFormat: optStr(r.Str("LogFormat")), TagSpecifications: tagSpecs("vpc-flow-log", r.Properties)}
	var err error
	if in.MaxAggregationInterval, err = propInt32(r.Properties, "MaxAggregationInterval"); err != nil {
		return kit.ResourceResult{}, err
	}
	if kit.Has(r.Properties, "DestinationOptions") {
		in.DestinationOptions = &ec2api.DestinationOptionsRequest{}
		if err := kit.DecodeProp(r.Properties, "DestinationOptions", in.DestinationOptions); err != nil {
			return kit.ResourceResult{}, awserr.ValidationError.New("DestinationOptions: %v", err)
		}
	}
	out, err := s.CreateFlowLogs(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	if len(out.FlowLogIds) == 0 {
		msg := "the flow log was not created"
		if len(out.Unsuccessful) > 0 && out.Unsuccessful[0].Error != nil {
			msg = deref(out.Unsuccessful[0].Error.Message)
		}
		return kit.ResourceResult{}, errInvalidParameterValue.New("%s", msg)
	}
	id := out.FlowLogIds[0]
	return kit.ResourceResult{PhysicalID: id, Attributes: map[string]any{"Id": id}}, nil
}

func (s *EC2) cfnDeleteFlowLog(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteFlowLogs(ctx, &ec2api.DeleteFlowLogsRequest{FlowLogIds: []string{r.PhysicalID}})
	return gone(err)
}

func (s *EC2) cfnCreateDhcpOptions(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	var conf []ec2api.NewDhcpConfiguration
	add := func(key string, values []string) {
		if len(values) > 0 {
			conf = append(conf, ec2api.NewDhcpConfiguration{Key: strp(key), Values: values})
		}
	}
	one := func(name string) []string {
		if v := r.Str(name); v != "" {
			return []string{v}
		}
		return nil
	}
	add("domain-name", one("DomainName"))
	add("domain-name-servers", kit.PropList(r.Properties, "DomainNameServers"))
	add("ntp-servers", kit.PropList(r.Properties, "NtpServers"))
	add("netbios-name-servers", kit.PropList(r.Properties, "NetbiosNameServers"))
	add("netbios-node-type", one("NetbiosNodeType"))
	add("ipv6-address-preferred-lease-time", one("Ipv6AddressPreferredLeaseTime"))
	out, err := s.CreateDhcpOptions(ctx, &ec2api.CreateDhcpOptionsRequest{DhcpConfigurations: conf, TagSpecifications: tagSpecs("dhcp-options", r.Properties)})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	id := *out.DhcpOptions.DhcpOptionsId
	return kit.ResourceResult{PhysicalID: id, Attributes: map[string]any{"DhcpOptionsId": id}}, nil
}

func (s *EC2) cfnDeleteDhcpOptions(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteDhcpOptions(ctx, &ec2api.DeleteDhcpOptionsRequest{DhcpOptionsId: &r.PhysicalID})
	return gone(err)
}

func (s *EC2) cfnAssociateDhcpOptions(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	if _, err := s.AssociateDhcpOptions(ctx, &ec2api.AssociateDhcpOptionsRequest{DhcpOptionsId: strp(r.Str("DhcpOptionsId")), VpcId: strp(r.Str("VpcId"))}); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: kit.PhysicalName(r, 128)}, nil
}

func (s *EC2) cfnDisassociateDhcpOptions(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.AssociateDhcpOptions(ctx, &ec2api.AssociateDhcpOptionsRequest{DhcpOptionsId: strp("default"), VpcId: strp(r.Str("VpcId"))})
	return gone(err)
}

func (s *EC2) cfnCreateEgressOnlyIgw(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	out, err := s.CreateEgressOnlyInternetGateway(ctx, &ec2api.CreateEgressOnlyInternetGatewayRequest{VpcId: strp(r.Str("VpcId")),
		TagSpecifications: tagSpecs("egress-only-internet-gateway", r.Properties)})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	id := *out.EgressOnlyInternetGateway.EgressOnlyInternetGatewayId
	return kit.ResourceResult{PhysicalID: id, Attributes: map[string]any{"Id": id}}, nil
}

func (s *EC2) cfnDeleteEgressOnlyIgw(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteEgressOnlyInternetGateway(ctx, &ec2api.DeleteEgressOnlyInternetGatewayRequest{EgressOnlyInternetGatewayId: &r.PhysicalID})
	return gone(err)
}

// prefixEntries reads a PrefixList's Entries ([{Cidr, Description}]).
func prefixEntries(props map[string]any) ([]ec2api.AddPrefixListEntry, error) {
	var out []ec2api.AddPrefixListEntry
	if err := kit.DecodeProp(props, "Entries", &out); err != nil {
		return nil, awserr.ValidationError.New("Entries: %v", err)
	}
	return out, nil
}

func prefixListAttrs(l *ec2api.ManagedPrefixList) map[string]any {
	attrs := map[string]any{"PrefixListId": deref(l.PrefixListId), "OwnerId": deref(l.OwnerId), "Arn": deref(l.PrefixListArn)}
	if l.Version != nil {
		attrs["Version"] = *l.Version
	}
	return attrs
}

func (s *EC2) cfnCreatePrefixList(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	entries, err := prefixEntries(r.Properties)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	max, err := propInt32(r.Properties, "MaxEntries")
	if err != nil {
		return kit.ResourceResult{}, err
	}
	if max == nil {
		// AWS's provider makes MaxEntries the number of entries when the
		// template gives none.
		n := int32(len(entries))
		if n == 0 {
			n = 1
		}
		max = &n
	}
	out, err := s.CreateManagedPrefixList(ctx, &ec2api.CreateManagedPrefixListRequest{PrefixListName: strp(r.Str("PrefixListName")),
		AddressFamily: strp(r.Str("AddressFamily")), MaxEntries: max, Entries: entries, TagSpecifications: tagSpecs("prefix-list", r.Properties)})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: *out.PrefixList.PrefixListId, Attributes: prefixListAttrs(out.PrefixList)}, nil
}

func (s *EC2) cfnModifyPrefixList(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	cur, err := s.DescribeManagedPrefixLists(ctx, &ec2api.DescribeManagedPrefixListsRequest{PrefixListIds: []string{r.PhysicalID}})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	if len(cur.PrefixLists) != 1 {
		return kit.ResourceResult{}, errInvalidParameterValue.New("The prefix list ID '%s' does not exist", r.PhysicalID)
	}
	list := cur.PrefixLists[0]
	have, err := s.GetManagedPrefixListEntries(ctx, &ec2api.GetManagedPrefixListEntriesRequest{PrefixListId: &r.PhysicalID})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	want, err := prefixEntries(r.Properties)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	in := &ec2api.ModifyManagedPrefixListRequest{PrefixListId: &r.PhysicalID}
	if n := r.Str("PrefixListName"); n != deref(list.PrefixListName) {
		in.PrefixListName = &n
	}
	if kit.Has(r.Properties, "MaxEntries") {
		max, err := propInt32(r.Properties, "MaxEntries")
		if err != nil {
			return kit.ResourceResult{}, err
		}
		if list.MaxEntries == nil || *max != *list.MaxEntries {
			in.MaxEntries = max
		}
	}
	wanted := map[string]string{}
	for _, e := range want {
		wanted[deref(e.Cidr)] = deref(e.Description)
	}
	for _, e := range have.Entries {
		if d, ok := wanted[deref(e.Cidr)]; !ok || d != deref(e.Description) {
			in.RemoveEntries = append(in.RemoveEntries, ec2api.RemovePrefixListEntry{Cidr: e.Cidr})
		}
	}
	kept := map[string]string{}
	for _, e := range have.Entries {
		kept[deref(e.Cidr)] = deref(e.Description)
	}
	for _, e := range want {
		if d, ok := kept[deref(e.Cidr)]; !ok || d != deref(e.Description) {
			in.AddEntries = append(in.AddEntries, e)
		}
	}
	if len(in.AddEntries)+len(in.RemoveEntries) > 0 {
		in.CurrentVersion = list.Version
	}
	if in.PrefixListName != nil || in.MaxEntries != nil || in.CurrentVersion != nil {
		out, err := s.ModifyManagedPrefixList(ctx, in)
		if err != nil {
			return kit.ResourceResult{}, err
		}
		list = *out.PrefixList
	}
	if err := s.cfnRetag(ctx, r.PhysicalID, r); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: r.PhysicalID, Attributes: prefixListAttrs(&list)}, nil
}

func (s *EC2) cfnDeletePrefixList(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteManagedPrefixList(ctx, &ec2api.DeleteManagedPrefixListRequest{PrefixListId: &r.PhysicalID})
	return gone(err)
}

func (s *EC2) cfnCreateNetworkInterface(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	in := &ec2api.CreateNetworkInterfaceRequest{SubnetId: strp(r.Str("SubnetId")), Description: optStr(r.Str("Description")),
		PrivateIpAddress: optStr(r.Str("PrivateIpAddress")), InterfaceType: optStr(r.Str("InterfaceType")),
		TagSpecifications: tagSpecs("network-interface", r.Properties)}
	if kit.Has(r.Properties, "GroupSet") {
		in.Groups = kit.PropList(r.Properties, "GroupSet")
	}
	var err error
	if in.SecondaryPrivateIpAddressCount, err = propInt32(r.Properties, "SecondaryPrivateIpAddressCount"); err != nil {
		return kit.ResourceResult{}, err
	}
	if in.Ipv6AddressCount, err = propInt32(r.Properties, "Ipv6AddressCount"); err != nil {
		return kit.ResourceResult{}, err
	}
	if err := kit.DecodeProp(r.Properties, "PrivateIpAddresses", &in.PrivateIpAddresses); err != nil {
		return kit.ResourceResult{}, awserr.ValidationError.New("PrivateIpAddresses: %v", err)
	}
	if err := kit.DecodeProp(r.Properties, "Ipv6Addresses", &in.Ipv6Addresses); err != nil {
		return kit.ResourceResult{}, awserr.ValidationError.New("Ipv6Addresses: %v", err)
	}
	out, err := s.CreateNetworkInterface(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	ni := out.NetworkInterface
	id := *ni.NetworkInterfaceId
	if kit.Has(r.Properties, "SourceDestCheck") && !kit.PropBool(r.Properties, "SourceDestCheck") {
		if _, err := s.ModifyNetworkInterfaceAttribute(ctx, &ec2api.ModifyNetworkInterfaceAttributeRequest{NetworkInterfaceId: &id,
			SourceDestCheck: &ec2api.AttributeBooleanValue{Value: boolp(false)}}); err != nil {
			_, _ = s.DeleteNetworkInterface(ctx, &ec2api.DeleteNetworkInterfaceRequest{NetworkInterfaceId: &id})
			return kit.ResourceResult{}, err
		}
	}
	return kit.ResourceResult{PhysicalID: id, Attributes: networkInterfaceAttrs(ni)}, nil
}

func networkInterfaceAttrs(ni *ec2api.NetworkInterface) map[string]any {
	secondary := []any{}
	for _, a := range ni.PrivateIpAddresses {
		if a.Primary == nil || !*a.Primary {
			secondary = append(secondary, deref(a.PrivateIpAddress))
		}
	}
	attrs := map[string]any{"Id": deref(ni.NetworkInterfaceId), "PrimaryPrivateIpAddress": deref(ni.PrivateIpAddress),
		"SecondaryPrivateIpAddresses": secondary, "VpcId": deref(ni.VpcId)}
	for _, a := range ni.Ipv6Addresses {
		if _, ok := attrs["PrimaryIpv6Address"]; !ok {
			attrs["PrimaryIpv6Address"] = deref(a.Ipv6Address)
		}
	}
	return attrs
}

func (s *EC2) cfnModifyNetworkInterface(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	id := r.PhysicalID
	if d := r.Str("Description"); d != kit.PropStr(r.OldProperties, "Description") {
		if _, err := s.ModifyNetworkInterfaceAttribute(ctx, &ec2api.ModifyNetworkInterfaceAttributeRequest{NetworkInterfaceId: &id,
			Description: &ec2api.AttributeValue{Value: &d}}); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	if g := kit.PropList(r.Properties, "GroupSet"); strings.Join(g, ",") != strings.Join(kit.PropList(r.OldProperties, "GroupSet"), ",") && len(g) > 0 {
		if _, err := s.ModifyNetworkInterfaceAttribute(ctx, &ec2api.ModifyNetworkInterfaceAttributeRequest{NetworkInterfaceId: &id, Groups: g}); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	if v := kit.PropStr(r.Properties, "SourceDestCheck"); v != kit.PropStr(r.OldProperties, "SourceDestCheck") {
		if _, err := s.ModifyNetworkInterfaceAttribute(ctx, &ec2api.ModifyNetworkInterfaceAttributeRequest{NetworkInterfaceId: &id,
			SourceDestCheck: &ec2api.AttributeBooleanValue{Value: boolp(v != "false")}}); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	if err := s.cfnRetag(ctx, id, r); err != nil {
		return kit.ResourceResult{}, err
	}
	out, err := s.DescribeNetworkInterfaces(ctx, &ec2api.DescribeNetworkInterfacesRequest{NetworkInterfaceIds: []string{id}})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	if len(out.NetworkInterfaces) != 1 {
		return kit.ResourceResult{PhysicalID: id, Attributes: r.Attributes}, nil
	}
	return kit.ResourceResult{PhysicalID: id, Attributes: networkInterfaceAttrs(&out.NetworkInterfaces[0])}, nil
}

func (s *EC2) cfnDeleteNetworkInterface(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteNetworkInterface(ctx, &ec2api.DeleteNetworkInterfaceRequest{NetworkInterfaceId: &r.PhysicalID})
	return gone(err)
}

func (s *EC2) cfnAttachNetworkInterface(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	idx, err := propInt32(r.Properties, "DeviceIndex")
	if err != nil {
		return kit.ResourceResult{}, err
	}
	out, err := s.AttachNetworkInterface(ctx, &ec2api.AttachNetworkInterfaceRequest{InstanceId: strp(r.Str("InstanceId")),
		NetworkInterfaceId: strp(r.Str("NetworkInterfaceId")), DeviceIndex: idx})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	id := *out.AttachmentId
	// AWS's default for DeleteOnTermination here is true.
	if !kit.Has(r.Properties, "DeleteOnTermination") || kit.PropBool(r.Properties, "DeleteOnTermination") {
		if _, err := s.ModifyNetworkInterfaceAttribute(ctx, &ec2api.ModifyNetworkInterfaceAttributeRequest{NetworkInterfaceId: strp(r.Str("NetworkInterfaceId")),
			Attachment: &ec2api.NetworkInterfaceAttachmentChanges{AttachmentId: &id, DeleteOnTermination: boolp(true)}}); err != nil {
			_, _ = s.DetachNetworkInterface(ctx, &ec2api.DetachNetworkInterfaceRequest{AttachmentId: &id, Force: boolp(true)})
			return kit.ResourceResult{}, err
		}
	}
	return kit.ResourceResult{PhysicalID: id, Attributes: map[string]any{"AttachmentId": id}}, nil
}

func (s *EC2) cfnModifyNetworkInterfaceAttachment(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	del := !kit.Has(r.Properties, "DeleteOnTermination") || kit.PropBool(r.Properties, "DeleteOnTermination")
	if _, err := s.ModifyNetworkInterfaceAttribute(ctx, &ec2api.ModifyNetworkInterfaceAttributeRequest{NetworkInterfaceId: strp(r.Str("NetworkInterfaceId")),
		Attachment: &ec2api.NetworkInterfaceAttachmentChanges{AttachmentId: &r.PhysicalID, DeleteOnTermination: &del}}); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: r.PhysicalID, Attributes: map[string]any{"AttachmentId": r.PhysicalID}}, nil
}

func (s *EC2) cfnDetachNetworkInterface(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DetachNetworkInterface(ctx, &ec2api.DetachNetworkInterfaceRequest{AttachmentId: &r.PhysicalID})
	return gone(err)
}

func (s *EC2) cfnCreatePlacementGroup(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	name := kit.PhysicalName(r, 255)
	in := &ec2api.CreatePlacementGroupRequest{GroupName: &name, Strategy: optStr(r.Str("Strategy")), SpreadLevel: optStr(r.Str("SpreadLevel")),
		TagSpecifications: tagSpecs("placement-group", r.Properties)}
	var err error
	if in.PartitionCount, err = propInt32(r.Properties, "PartitionCount"); err != nil {
		return kit.ResourceResult{}, err
	}
	if _, err := s.CreatePlacementGroup(ctx, in); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: name, Attributes: map[string]any{"GroupName": name}}, nil
}

func (s *EC2) cfnDeletePlacementGroup(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeletePlacementGroup(ctx, &ec2api.DeletePlacementGroupRequest{GroupName: &r.PhysicalID})
	return goneOr(err, "Unknown")
}

func (s *EC2) cfnAssociateVpcCidr(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	in := &ec2api.AssociateVpcCidrBlockRequest{VpcId: strp(r.Str("VpcId")), CidrBlock: optStr(r.Str("CidrBlock")),
		Ipv6CidrBlock: optStr(r.Str("Ipv6CidrBlock")), Ipv6Pool: optStr(r.Str("Ipv6Pool")),
		Ipv6CidrBlockNetworkBorderGroup: optStr(r.Str("Ipv6CidrBlockNetworkBorderGroup")),
		Ipv4IpamPoolId:                  optStr(r.Str("Ipv4IpamPoolId")), Ipv6IpamPoolId: optStr(r.Str("Ipv6IpamPoolId"))}
	if kit.PropBool(r.Properties, "AmazonProvidedIpv6CidrBlock") {
		in.AmazonProvidedIpv6CidrBlock = boolp(true)
	}
	var err error
	if in.Ipv4NetmaskLength, err = propInt32(r.Properties, "Ipv4NetmaskLength"); err != nil {
		return kit.ResourceResult{}, err
	}
	if in.Ipv6NetmaskLength, err = propInt32(r.Properties, "Ipv6NetmaskLength"); err != nil {
		return kit.ResourceResult{}, err
	}
	out, err := s.AssociateVpcCidrBlock(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	attrs := map[string]any{}
	var id string
	if a := out.CidrBlockAssociation; a != nil {
		id = deref(a.AssociationId)
	}
	if a := out.Ipv6CidrBlockAssociation; a != nil {
		id = deref(a.AssociationId)
		attrs["Ipv6CidrBlock"] = deref(a.Ipv6CidrBlock)
	}
	attrs["Id"] = id
	return kit.ResourceResult{PhysicalID: id, Attributes: attrs}, nil
}

func (s *EC2) cfnDisassociateVpcCidr(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DisassociateVpcCidrBlock(ctx, &ec2api.DisassociateVpcCidrBlockRequest{AssociationId: &r.PhysicalID})
	return gone(err)
}

func (s *EC2) cfnAssociateSubnetCidr(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	in := &ec2api.AssociateSubnetCidrBlockRequest{SubnetId: strp(r.Str("SubnetId")), Ipv6CidrBlock: optStr(r.Str("Ipv6CidrBlock")),
		Ipv6IpamPoolId: optStr(r.Str("Ipv6IpamPoolId"))}
	var err error
	if in.Ipv6NetmaskLength, err = propInt32(r.Properties, "Ipv6NetmaskLength"); err != nil {
		return kit.ResourceResult{}, err
	}
	out, err := s.AssociateSubnetCidrBlock(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	id := deref(out.Ipv6CidrBlockAssociation.AssociationId)
	return kit.ResourceResult{PhysicalID: id, Attributes: map[string]any{"Id": id}}, nil
}

func (s *EC2) cfnDisassociateSubnetCidr(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DisassociateSubnetCidrBlock(ctx, &ec2api.DisassociateSubnetCidrBlockRequest{AssociationId: &r.PhysicalID})
	return gone(err)
}

func (s *EC2) cfnAssociateEip(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	out, err := s.AssociateAddress(ctx, &ec2api.AssociateAddressRequest{AllocationId: optStr(r.Str("AllocationId")), PublicIp: optStr(r.Str("EIP")),
		InstanceId: optStr(r.Str("InstanceId")), NetworkInterfaceId: optStr(r.Str("NetworkInterfaceId")),
		PrivateIpAddress: optStr(r.Str("PrivateIpAddress"))})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	id := deref(out.AssociationId)
	if id == "" {
		id = kit.PhysicalName(r, 128)
	}
	return kit.ResourceResult{PhysicalID: id, Attributes: map[string]any{"Id": id}}, nil
}

func (s *EC2) cfnDisassociateEip(ctx *request.Context, r kit.ResourceRequest) error {
	in := &ec2api.DisassociateAddressRequest{}
	if strings.HasPrefix(r.PhysicalID, "eipassoc-") {
		in.AssociationId = &r.PhysicalID
	} else {
		in.PublicIp = optStr(r.Str("EIP"))
	}
	_, err := s.DisassociateAddress(ctx, in)
	return goneOr(err, "AuthFailure")
}
