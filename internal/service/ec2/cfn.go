package ec2

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/request"
)

// cfnResources are EC2's CloudFormation resource types (the VPC
// building blocks and instances).
func (s *EC2) cfnResources() map[string]kit.ResourceProvider {
	m := map[string]kit.ResourceProvider{
		// Ref is the VPC id; Fn::GetAtt VpcId, CidrBlock, DefaultSecurityGroup, ...
		// Its DNS attributes and tags change in place.
		"AWS::EC2::VPC": {Create: s.cfnCreateVpc, Update: s.cfnUpdateVpc, Delete: s.cfnDeleteVpc, Tags: true,
			Replace: []string{"CidrBlock", "InstanceTenancy", "Ipv4IpamPoolId", "Ipv4NetmaskLength"}},
		// Ref is the subnet id; Fn::GetAtt SubnetId, AvailabilityZone, VpcId, CidrBlock.
		// Its launch attributes (MapPublicIpOnLaunch,
		// AssignIpv6AddressOnCreation, EnableDns64) and tags change in place.
		"AWS::EC2::Subnet": {Create: s.cfnCreateSubnet, Update: s.cfnUpdateSubnet, Delete: s.cfnDeleteSubnet, Tags: true,
			Replace: []string{"AvailabilityZone", "AvailabilityZoneId", "CidrBlock", "VpcId", "Ipv6CidrBlock", "Ipv6Native", "OutpostArn",
				"Ipv4IpamPoolId", "Ipv4NetmaskLength", "Ipv6IpamPoolId", "Ipv6NetmaskLength"}},
		// Ref is the group id (in a VPC); Fn::GetAtt GroupId, VpcId.
		// Its rules and tags change in place; its name, description and VPC
		// replace it.
		"AWS::EC2::SecurityGroup": {Create: s.cfnCreateSecurityGroup, Update: s.cfnUpdateSecurityGroup, Delete: s.cfnDeleteSecurityGroup,
			Replace: []string{"GroupName", "GroupDescription", "VpcId"}, Tags: true},
		// Ref is the gateway id; Fn::GetAtt InternetGatewayId.
		"AWS::EC2::InternetGateway": {Create: s.cfnCreateInternetGateway, Update: s.cfnUpdateTagsOnly, Delete: s.cfnDeleteInternetGateway, Tags: true},
		// Ref is a generated id; it attaches an internet gateway or a
		// VPN gateway.
		"AWS::EC2::VPCGatewayAttachment": {Create: s.cfnAttachGateway, Delete: s.cfnDetachGateway},
		// Ref is the route table id; Fn::GetAtt RouteTableId.
		"AWS::EC2::RouteTable": {Create: s.cfnCreateRouteTable, Update: s.cfnUpdateTagsOnly, Delete: s.cfnDeleteRouteTable, Tags: true,
			Replace: []string{"VpcId"}},
		// Ref is a generated id.
		// Its target changes in place (ReplaceRoute).
		"AWS::EC2::Route": {Create: s.cfnCreateRoute, Update: s.cfnReplaceRoute, Delete: s.cfnDeleteRoute,
			Replace: []string{"RouteTableId", "DestinationCidrBlock", "DestinationIpv6CidrBlock", "DestinationPrefixListId"}},
		// Ref is the association id; Fn::GetAtt Id.
		"AWS::EC2::SubnetRouteTableAssociation": {Create: s.cfnAssociateRouteTable, Delete: s.cfnDisassociateRouteTable},
		// Ref is the instance id; Fn::GetAtt InstanceId, PrivateIp, PublicIp, AvailabilityZone, PrivateDnsName.
		// Its tags and security groups change in place; every other
		// property replaces it (AWS changes some, such as InstanceType,
		// by stopping it, which niwa's provider does not do).
		"AWS::EC2::Instance": {Create: s.cfnRunInstance, Update: s.cfnUpdateInstance, Delete: s.cfnTerminateInstance, Tags: true,
			Replace: []string{"AdditionalInfo", "Affinity", "AvailabilityZone", "BlockDeviceMappings", "CpuOptions", "CreditSpecification",
				"DisableApiTermination", "EbsOptimized", "ElasticGpuSpecifications", "ElasticInferenceAccelerators", "EnclaveOptions",
				"HibernationOptions", "HostId", "HostResourceGroupArn", "IamInstanceProfile", "ImageId", "InstanceInitiatedShutdownBehavior",
				"InstanceType", "Ipv6AddressCount", "Ipv6Addresses", "KernelId", "KeyName", "LaunchTemplate", "LicenseSpecifications",
				"MetadataOptions", "Monitoring", "NetworkInterfaces", "PlacementGroupName", "PrivateDnsNameOptions", "PrivateIpAddress",
				"PropagateTagsToVolumeOnCreation", "RamdiskId", "SecurityGroups", "SourceDestCheck", "SsmAssociations", "SubnetId",
				"Tenancy", "UserData", "Volumes"}},
		// Ref is the public IP; Fn::GetAtt AllocationId, PublicIp.
		// Its tags change in place.
		"AWS::EC2::EIP": {Create: s.cfnAllocateAddress, Update: s.cfnUpdateAddressTags, Delete: s.cfnReleaseAddress, Tags: true,
			Replace: []string{"Domain", "NetworkBorderGroup", "PublicIpv4Pool", "InstanceId"}},
		// Ref is the NAT gateway id; Fn::GetAtt NatGatewayId.
		// Its tags change in place.
		"AWS::EC2::NatGateway": {Create: s.cfnCreateNatGateway, Update: s.cfnUpdateTagsOnly, Delete: s.cfnDeleteNatGateway, Tags: true,
			Replace: []string{"AllocationId", "SubnetId", "ConnectivityType", "PrivateIpAddress", "SecondaryAllocationIds",
				"SecondaryPrivateIpAddresses", "SecondaryPrivateIpAddressCount", "MaxDrainDurationSeconds", "AvailabilityMode",
				"AvailabilityZoneAddresses", "VpcId"}},
		// Ref is the rule's id (sgr-...); Fn::GetAtt Id. Every change
		// makes a new rule.
		"AWS::EC2::SecurityGroupIngress": {Create: s.cfnAuthorizeIngress, Delete: s.cfnRevokeIngress},
		"AWS::EC2::SecurityGroupEgress":  {Create: s.cfnAuthorizeEgress, Delete: s.cfnRevokeEgress},
		// Ref is the key name; Fn::GetAtt KeyPairId, KeyFingerprint. AWS
		// also keeps a created key's private key in SSM Parameter Store
		// (/ec2/keypair/<id>); niwa's EC2 does not write other services.
		"AWS::EC2::KeyPair": {Create: s.cfnCreateKeyPair, Delete: s.cfnDeleteKeyPair, Tags: true},
		// Ref is the launch template id; Fn::GetAtt LaunchTemplateId,
		// DefaultVersionNumber, LatestVersionNumber. A change to
		// LaunchTemplateData makes a new version, the default, as AWS's
		// provider does.
		// Ref is the endpoint id; Fn::GetAtt Id, CreationTimestamp,
		// DnsEntries ("<zone>:<name>"), NetworkInterfaceIds. Its policy,
		// route tables, subnets, security groups and private DNS change
		// in place (ModifyVpcEndpoint).
		"AWS::EC2::VPCEndpoint": {Create: s.cfnCreateVpcEndpoint, Update: s.cfnModifyVpcEndpoint, Delete: s.cfnDeleteVpcEndpoint,
			Replace: []string{"ServiceName", "VpcEndpointType", "VpcId", "IpAddressType"}, Tags: true},
		"AWS::EC2::LaunchTemplate": {Create: s.cfnCreateLaunchTemplate, Update: s.cfnUpdateLaunchTemplate, Delete: s.cfnDeleteLaunchTemplate,
			Replace: []string{"LaunchTemplateName", "TagSpecifications"}},
	}
	for name, p := range s.cfnNetworkResources() {
		m[name] = p
	}
	for name, p := range s.cfnVpnResources() {
		m[name] = p
	}
	for name, p := range s.cfnServiceResources() {
		m[name] = p
	}
	for name, p := range s.cfnFleetResources() {
		m[name] = p
	}
	return m
}

func strp(v string) *string { return &v }

func tagSpecs(resourceType string, props map[string]any) []ec2api.TagSpecification {
	tags := kit.PropTags(props)
	if len(tags) == 0 {
		return nil
	}
	spec := ec2api.TagSpecification{ResourceType: strp(resourceType)}
	for k, v := range tags {
		spec.Tags = append(spec.Tags, ec2api.Tag{Key: strp(k), Value: strp(v)})
	}
	return []ec2api.TagSpecification{spec}
}

// gone reports the errors that mean a resource is already deleted.
func gone(err error) error {
	if e := awserr.As(err); e != nil && strings.Contains(e.Code.Code, "NotFound") {
		return nil
	}
	return err
}

func (s *EC2) cfnCreateVpc(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	in := &ec2api.CreateVpcInput{CidrBlock: strp(r.Str("CidrBlock")), TagSpecifications: tagSpecs("vpc", r.Properties)}
	if t := r.Str("InstanceTenancy"); t != "" {
		in.InstanceTenancy = &t
	}
	out, err := s.CreateVpc(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	id := *out.Vpc.VpcId
	for _, attr := range []string{"EnableDnsSupport", "EnableDnsHostnames"} {
		if !kit.Has(r.Properties, attr) {
			continue
		}
		v := kit.PropBool(r.Properties, attr)
		in := &ec2api.ModifyVpcAttributeInput{VpcId: &id}
		if attr == "EnableDnsSupport" {
			in.EnableDnsSupport = &ec2api.AttributeBooleanValue{Value: &v}
		} else {
			in.EnableDnsHostnames = &ec2api.AttributeBooleanValue{Value: &v}
		}
		if _, err := s.ModifyVpcAttribute(ctx, in); err != nil {
			_, _ = s.DeleteVpc(ctx, &ec2api.DeleteVpcInput{VpcId: &id})
			return kit.ResourceResult{}, err
		}
	}
	attrs := map[string]any{"VpcId": id, "CidrBlock": *out.Vpc.CidrBlock}
	groups, err := s.DescribeSecurityGroups(ctx, &ec2api.DescribeSecurityGroupsInput{Filters: []ec2api.Filter{
		{Name: strp("vpc-id"), Values: []string{id}}, {Name: strp("group-name"), Values: []string{"default"}}}})
	if err == nil && len(groups.SecurityGroups) > 0 {
		attrs["DefaultSecurityGroup"] = *groups.SecurityGroups[0].GroupId
	}
	return kit.ResourceResult{PhysicalID: id, Attributes: attrs}, nil
}

func (s *EC2) cfnDeleteVpc(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteVpc(ctx, &ec2api.DeleteVpcInput{VpcId: &r.PhysicalID})
	return gone(err)
}

func (s *EC2) cfnCreateSubnet(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	in := &ec2api.CreateSubnetInput{VpcId: strp(r.Str("VpcId")), CidrBlock: strp(r.Str("CidrBlock")), TagSpecifications: tagSpecs("subnet", r.Properties)}
	if az := r.Str("AvailabilityZone"); az != "" {
		in.AvailabilityZone = &az
	}
	out, err := s.CreateSubnet(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	sn := out.Subnet
	if kit.PropBool(r.Properties, "MapPublicIpOnLaunch") {
		t := true
		if _, err := s.ModifySubnetAttribute(ctx, &ec2api.ModifySubnetAttributeInput{SubnetId: sn.SubnetId,
			MapPublicIpOnLaunch: &ec2api.AttributeBooleanValue{Value: &t}}); err != nil {
			_, _ = s.DeleteSubnet(ctx, &ec2api.DeleteSubnetInput{SubnetId: sn.SubnetId})
			return kit.ResourceResult{}, err
		}
	}
	return kit.ResourceResult{PhysicalID: *sn.SubnetId, Attributes: map[string]any{"SubnetId": *sn.SubnetId,
		"AvailabilityZone": *sn.AvailabilityZone, "VpcId": *sn.VpcId, "CidrBlock": *sn.CidrBlock}}, nil
}

func (s *EC2) cfnDeleteSubnet(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteSubnet(ctx, &ec2api.DeleteSubnetInput{SubnetId: &r.PhysicalID})
	return gone(err)
}

func (s *EC2) cfnCreateSecurityGroup(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	name := r.Str("GroupName")
	if name == "" {
		name = kit.PhysicalName(r, 255)
	}
	in := &ec2api.CreateSecurityGroupInput{GroupName: &name, Description: strp(r.Str("GroupDescription")),
		TagSpecifications: tagSpecs("security-group", r.Properties)}
	if v := r.Str("VpcId"); v != "" {
		in.VpcId = &v
	}
	out, err := s.CreateSecurityGroup(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	id := *out.GroupId
	fail := func(err error) (kit.ResourceResult, error) {
		_, _ = s.DeleteSecurityGroup(ctx, &ec2api.DeleteSecurityGroupInput{GroupId: &id})
		return kit.ResourceResult{}, err
	}
	ingress, err := sgRules(r.Properties, "SecurityGroupIngress")
	if err != nil {
		return fail(err)
	}
	egress, err := sgRules(r.Properties, "SecurityGroupEgress")
	if err != nil {
		return fail(err)
	}
	if len(ingress) > 0 {
		if _, err := s.AuthorizeSecurityGroupIngress(ctx, &ec2api.AuthorizeSecurityGroupIngressInput{GroupId: &id, IpPermissions: ingress}); err != nil {
			return fail(err)
		}
	}
	if kit.Has(r.Properties, "SecurityGroupEgress") && in.VpcId != nil {
		// A template's egress rules replace the VPC group's default
		// allow-all rule, as AWS's provider does.
		all := "-1"
		if _, err := s.RevokeSecurityGroupEgress(ctx, &ec2api.RevokeSecurityGroupEgressRequest{GroupId: &id, IpPermissions: []ec2api.IpPermission{
			{IpProtocol: &all, IpRanges: []ec2api.IpRange{{CidrIp: strp("0.0.0.0/0")}}}}}); err != nil {
			return fail(err)
		}
		if len(egress) > 0 {
			if _, err := s.AuthorizeSecurityGroupEgress(ctx, &ec2api.AuthorizeSecurityGroupEgressRequest{GroupId: &id, IpPermissions: egress}); err != nil {
				return fail(err)
			}
		}
	}
	return kit.ResourceResult{PhysicalID: id, Attributes: map[string]any{"GroupId": id, "VpcId": r.Str("VpcId")}}, nil
}

// sgRules reads a SecurityGroupIngress or SecurityGroupEgress list (one
// peer per rule: CidrIp, CidrIpv6, a group or a prefix list).
func sgRules(props map[string]any, name string) ([]ec2api.IpPermission, error) {
	rules, _ := props[name].([]any)
	var perms []ec2api.IpPermission
	for _, x := range rules {
		m, ok := x.(map[string]any)
		if !ok {
			continue
		}
		p := ec2api.IpPermission{IpProtocol: strp(kit.PropStr(m, "IpProtocol"))}
		if err := kit.DecodeProp(m, "FromPort", &p.FromPort); err != nil {
			return nil, awserr.ValidationError.New("%s FromPort: %v", name, err)
		}
		if err := kit.DecodeProp(m, "ToPort", &p.ToPort); err != nil {
			return nil, awserr.ValidationError.New("%s ToPort: %v", name, err)
		}
		desc := optStr(kit.PropStr(m, "Description"))
		if c := kit.PropStr(m, "CidrIp"); c != "" {
			p.IpRanges = []ec2api.IpRange{{CidrIp: &c, Description: desc}}
		}
		if c := kit.PropStr(m, "CidrIpv6"); c != "" {
			p.Ipv6Ranges = []ec2api.Ipv6Range{{CidrIpv6: &c, Description: desc}}
		}
		for _, k := range []string{"SourceSecurityGroupId", "DestinationSecurityGroupId"} {
			if g := kit.PropStr(m, k); g != "" {
				p.UserIdGroupPairs = []ec2api.UserIdGroupPair{{GroupId: &g, Description: desc, UserId: optStr(kit.PropStr(m, "SourceSecurityGroupOwnerId"))}}
			}
		}
		if g := kit.PropStr(m, "SourceSecurityGroupName"); g != "" && p.UserIdGroupPairs == nil {
			p.UserIdGroupPairs = []ec2api.UserIdGroupPair{{GroupName: &g, Description: desc}}
		}
		for _, k := range []string{"SourcePrefixListId", "DestinationPrefixListId"} {
			if l := kit.PropStr(m, k); l != "" {
				p.PrefixListIds = []ec2api.PrefixListId{{PrefixListId: &l, Description: desc}}
			}
		}
		perms = append(perms, p)
	}
	return perms, nil
}

// cfnUpdateSecurityGroup changes a group's rules and tags in place:
// rules the template dropped are revoked, new ones authorized.
func (s *EC2) cfnUpdateSecurityGroup(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	id := r.PhysicalID
	for _, dir := range []string{"SecurityGroupIngress", "SecurityGroupEgress"} {
		if kit.PropJSON(r.Properties, dir) == kit.PropJSON(r.OldProperties, dir) {
			continue
		}
		old, err := sgRules(r.OldProperties, dir)
		if err != nil {
			return kit.ResourceResult{}, err
		}
		cur, err := sgRules(r.Properties, dir)
		if err != nil {
			return kit.ResourceResult{}, err
		}
		if dir == "SecurityGroupEgress" && r.Str("VpcId") != "" {
			// No egress list means AWS's default allow-all rule.
			all := ec2api.IpPermission{IpProtocol: strp("-1"), IpRanges: []ec2api.IpRange{{CidrIp: strp("0.0.0.0/0")}}}
			if !kit.Has(r.OldProperties, dir) {
				old = []ec2api.IpPermission{all}
			}
			if !kit.Has(r.Properties, dir) {
				cur = []ec2api.IpPermission{all}
			}
		}
		drop, add := permDiff(old, cur), permDiff(cur, old)
		if len(drop) > 0 {
			if dir == "SecurityGroupIngress" {
				_, err = s.RevokeSecurityGroupIngress(ctx, &ec2api.RevokeSecurityGroupIngressInput{GroupId: &id, IpPermissions: drop})
			} else {
				_, err = s.RevokeSecurityGroupEgress(ctx, &ec2api.RevokeSecurityGroupEgressRequest{GroupId: &id, IpPermissions: drop})
			}
			if gone(err) != nil && !isCode(err, "InvalidPermission.NotFound") {
				return kit.ResourceResult{}, err
			}
		}
		if len(add) > 0 {
			if dir == "SecurityGroupIngress" {
				_, err = s.AuthorizeSecurityGroupIngress(ctx, &ec2api.AuthorizeSecurityGroupIngressInput{GroupId: &id, IpPermissions: add})
			} else {
				_, err = s.AuthorizeSecurityGroupEgress(ctx, &ec2api.AuthorizeSecurityGroupEgressRequest{GroupId: &id, IpPermissions: add})
			}
			if err != nil {
				return kit.ResourceResult{}, err
			}
		}
	}
	if err := s.cfnRetag(ctx, id, r); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: id, Attributes: map[string]any{"GroupId": id, "VpcId": r.Str("VpcId")}}, nil
}

// permDiff returns the rules of a that b does not have.
func permDiff(a, b []ec2api.IpPermission) []ec2api.IpPermission {
	key := func(p ec2api.IpPermission) string {
		b, _ := json.Marshal(p)
		return string(b)
	}
	have := map[string]bool{}
	for _, p := range b {
		have[key(p)] = true
	}
	var out []ec2api.IpPermission
	for _, p := range a {
		if !have[key(p)] {
			out = append(out, p)
		}
	}
	return out
}

func isCode(err error, code string) bool {
	e := awserr.As(err)
	return e != nil && e.Code.Code == code
}

func (s *EC2) cfnDeleteSecurityGroup(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteSecurityGroup(ctx, &ec2api.DeleteSecurityGroupInput{GroupId: &r.PhysicalID})
	return gone(err)
}

func (s *EC2) cfnCreateInternetGateway(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	out, err := s.CreateInternetGateway(ctx, &ec2api.CreateInternetGatewayInput{TagSpecifications: tagSpecs("internet-gateway", r.Properties)})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	id := *out.InternetGateway.InternetGatewayId
	return kit.ResourceResult{PhysicalID: id, Attributes: map[string]any{"InternetGatewayId": id}}, nil
}

func (s *EC2) cfnDeleteInternetGateway(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteInternetGateway(ctx, &ec2api.DeleteInternetGatewayInput{InternetGatewayId: &r.PhysicalID})
	return gone(err)
}

func (s *EC2) cfnAttachGateway(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	igw, vpc := r.Str("InternetGatewayId"), r.Str("VpcId")
	if igw == "" {
		if r.Str("VpnGatewayId") != "" {
			return s.cfnAttachVpnGateway(ctx, r)
		}
		return kit.ResourceResult{}, awserr.ValidationError.New("Properties validation failed for resource %s with message: one of InternetGatewayId or VpnGatewayId is required", r.LogicalID)
	}
	if _, err := s.AttachInternetGateway(ctx, &ec2api.AttachInternetGatewayInput{InternetGatewayId: &igw, VpcId: &vpc}); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: kit.PhysicalName(r, 128)}, nil
}

func (s *EC2) cfnDetachGateway(ctx *request.Context, r kit.ResourceRequest) error {
	igw, vpc := r.Str("InternetGatewayId"), r.Str("VpcId")
	if igw == "" {
		return s.cfnDetachVpnGateway(ctx, r)
	}
	_, err := s.DetachInternetGateway(ctx, &ec2api.DetachInternetGatewayInput{InternetGatewayId: &igw, VpcId: &vpc})
	if e := awserr.As(err); e != nil && strings.Contains(e.Code.Code, "NotAttached") {
		return nil
	}
	return gone(err)
}

func (s *EC2) cfnCreateRouteTable(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	out, err := s.CreateRouteTable(ctx, &ec2api.CreateRouteTableInput{VpcId: strp(r.Str("VpcId")), TagSpecifications: tagSpecs("route-table", r.Properties)})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	id := *out.RouteTable.RouteTableId
	return kit.ResourceResult{PhysicalID: id, Attributes: map[string]any{"RouteTableId": id}}, nil
}

func (s *EC2) cfnDeleteRouteTable(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteRouteTable(ctx, &ec2api.DeleteRouteTableInput{RouteTableId: &r.PhysicalID})
	return gone(err)
}

func (s *EC2) cfnCreateRoute(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	in := &ec2api.CreateRouteInput{RouteTableId: strp(r.Str("RouteTableId"))}
	for _, f := range []struct {
		name string
		out  **string
	}{{"DestinationCidrBlock", &in.DestinationCidrBlock}, {"DestinationIpv6CidrBlock", &in.DestinationIpv6CidrBlock},
		{"GatewayId", &in.GatewayId}, {"InstanceId", &in.InstanceId}, {"NatGatewayId", &in.NatGatewayId},
		{"NetworkInterfaceId", &in.NetworkInterfaceId}, {"VpcPeeringConnectionId", &in.VpcPeeringConnectionId},
		{"VpcEndpointId", &in.VpcEndpointId}, {"TransitGatewayId", &in.TransitGatewayId}} {
		if v := r.Str(f.name); v != "" {
			*f.out = &v
		}
	}
	if _, err := s.CreateRoute(ctx, in); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: kit.PhysicalName(r, 128)}, nil
}

func (s *EC2) cfnDeleteRoute(ctx *request.Context, r kit.ResourceRequest) error {
	in := &ec2api.DeleteRouteInput{RouteTableId: strp(r.Str("RouteTableId"))}
	if v := r.Str("DestinationCidrBlock"); v != "" {
		in.DestinationCidrBlock = &v
	}
	if v := r.Str("DestinationIpv6CidrBlock"); v != "" {
		in.DestinationIpv6CidrBlock = &v
	}
	_, err := s.DeleteRoute(ctx, in)
	return gone(err)
}

func (s *EC2) cfnAssociateRouteTable(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	out, err := s.AssociateRouteTable(ctx, &ec2api.AssociateRouteTableInput{RouteTableId: strp(r.Str("RouteTableId")), SubnetId: strp(r.Str("SubnetId"))})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: *out.AssociationId, Attributes: map[string]any{"Id": *out.AssociationId}}, nil
}

func (s *EC2) cfnDisassociateRouteTable(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DisassociateRouteTable(ctx, &ec2api.DisassociateRouteTableInput{AssociationId: &r.PhysicalID})
	return gone(err)
}

func (s *EC2) cfnRunInstance(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	one := int32(1)
	itype := r.Str("InstanceType")
	if itype == "" {
		itype = "m1.small"
	}
	in := &ec2api.RunInstancesInput{ImageId: strp(r.Str("ImageId")), InstanceType: &itype, MinCount: &one, MaxCount: &one,
		TagSpecifications: tagSpecs("instance", r.Properties)}
	for _, f := range []struct {
		name string
		out  **string
	}{{"SubnetId", &in.SubnetId}, {"KeyName", &in.KeyName}, {"UserData", &in.UserData}, {"PrivateIpAddress", &in.PrivateIpAddress}} {
		if v := r.Str(f.name); v != "" {
			*f.out = &v
		}
	}
	if ids := kit.PropList(r.Properties, "SecurityGroupIds"); len(ids) > 0 {
		in.SecurityGroupIds = ids
	}
	if p := r.Str("IamInstanceProfile"); p != "" {
		if strings.HasPrefix(p, "arn:") {
			in.IamInstanceProfile = &ec2api.IamInstanceProfileSpecification{Arn: &p}
		} else {
			in.IamInstanceProfile = &ec2api.IamInstanceProfileSpecification{Name: &p}
		}
	}
	out, err := s.RunInstances(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	inst := out.Instances[0]
	attrs := map[string]any{"InstanceId": *inst.InstanceId}
	if inst.PrivateIpAddress != nil {
		attrs["PrivateIp"] = *inst.PrivateIpAddress
	}
	if inst.PrivateDnsName != nil {
		attrs["PrivateDnsName"] = *inst.PrivateDnsName
	}
	if inst.PublicIpAddress != nil {
		attrs["PublicIp"] = *inst.PublicIpAddress
	}
	if inst.PublicDnsName != nil {
		attrs["PublicDnsName"] = *inst.PublicDnsName
	}
	if inst.Placement != nil && inst.Placement.AvailabilityZone != nil {
		attrs["AvailabilityZone"] = *inst.Placement.AvailabilityZone
	}
	return kit.ResourceResult{PhysicalID: *inst.InstanceId, Attributes: attrs}, nil
}

// cfnUpdateInstance changes an instance's tags and VPC security groups
// in place.
func (s *EC2) cfnUpdateInstance(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	if g := kit.PropList(r.Properties, "SecurityGroupIds"); kit.PropJSON(r.Properties, "SecurityGroupIds") != kit.PropJSON(r.OldProperties, "SecurityGroupIds") && len(g) > 0 {
		if _, err := s.ModifyInstanceAttribute(ctx, &ec2api.ModifyInstanceAttributeRequest{InstanceId: &r.PhysicalID, Groups: g}); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	if err := s.cfnRetag(ctx, r.PhysicalID, r); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: r.PhysicalID, Attributes: r.Attributes}, nil
}

// cfnTerminateInstance terminates the instance and, as CloudFormation
// does, waits until it is terminated, so that its subnet and security
// groups can go next.
func (s *EC2) cfnTerminateInstance(ctx *request.Context, r kit.ResourceRequest) error {
	if _, err := s.TerminateInstances(ctx, &ec2api.TerminateInstancesInput{InstanceIds: []string{r.PhysicalID}}); err != nil {
		return gone(err)
	}
	deadline := time.After(10 * time.Minute)
	for {
		out, err := s.DescribeInstances(ctx, &ec2api.DescribeInstancesInput{InstanceIds: []string{r.PhysicalID}})
		if err != nil {
			return gone(err)
		}
		if len(out.Reservations) == 0 || len(out.Reservations[0].Instances) == 0 {
			return nil
		}
		if st := out.Reservations[0].Instances[0].State; st != nil && st.Name != nil && *st.Name == "terminated" {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline:
			return awserr.ValidationError.New("instance %s did not terminate", r.PhysicalID)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func optStr(v string) *string {
	if v == "" {
		return nil
	}
	return &v
}

func (s *EC2) cfnAllocateAddress(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	domain := r.Str("Domain")
	if domain == "" {
		domain = "vpc"
	}
	out, err := s.AllocateAddress(ctx, &ec2api.AllocateAddressRequest{Domain: &domain, NetworkBorderGroup: optStr(r.Str("NetworkBorderGroup")),
		PublicIpv4Pool: optStr(r.Str("PublicIpv4Pool")), TagSpecifications: tagSpecs("elastic-ip", r.Properties)})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	if inst := r.Str("InstanceId"); inst != "" {
		if _, err := s.AssociateAddress(ctx, &ec2api.AssociateAddressRequest{AllocationId: out.AllocationId, InstanceId: &inst}); err != nil {
			_, _ = s.ReleaseAddress(ctx, &ec2api.ReleaseAddressRequest{AllocationId: out.AllocationId})
			return kit.ResourceResult{}, err
		}
	}
	return kit.ResourceResult{PhysicalID: *out.PublicIp, Attributes: map[string]any{"AllocationId": *out.AllocationId,
		"PublicIp": *out.PublicIp}}, nil
}

func (s *EC2) cfnReleaseAddress(ctx *request.Context, r kit.ResourceRequest) error {
	id, _ := r.Attributes["AllocationId"].(string)
	_, err := s.ReleaseAddress(ctx, &ec2api.ReleaseAddressRequest{AllocationId: optStr(id)})
	return gone(err)
}

func (s *EC2) cfnCreateNatGateway(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	out, err := s.CreateNatGateway(ctx, &ec2api.CreateNatGatewayRequest{AllocationId: optStr(r.Str("AllocationId")),
		SubnetId: optStr(r.Str("SubnetId")), ConnectivityType: optStr(r.Str("ConnectivityType")),
		PrivateIpAddress: optStr(r.Str("PrivateIpAddress")), TagSpecifications: tagSpecs("natgateway", r.Properties)})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	id := *out.NatGateway.NatGatewayId
	return kit.ResourceResult{PhysicalID: id, Attributes: map[string]any{"NatGatewayId": id}}, nil
}

func (s *EC2) cfnDeleteNatGateway(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteNatGateway(ctx, &ec2api.DeleteNatGatewayRequest{NatGatewayId: &r.PhysicalID})
	return gone(err)
}

// cfnPermission is the one rule an AWS::EC2::SecurityGroupIngress or
// Egress describes; peer names the source (ingress) or destination
// (egress) group and prefix list members.
func cfnPermission(r kit.ResourceRequest, peer, prefixList string) (ec2api.IpPermission, error) {
	m := r.Properties
	p := ec2api.IpPermission{IpProtocol: strp(kit.PropStr(m, "IpProtocol"))}
	if err := kit.DecodeProp(m, "FromPort", &p.FromPort); err != nil {
		return p, awserr.ValidationError.New("Properties validation failed for resource %s with message: #/FromPort: %v", r.LogicalID, err)
	}
	if err := kit.DecodeProp(m, "ToPort", &p.ToPort); err != nil {
		return p, awserr.ValidationError.New("Properties validation failed for resource %s with message: #/ToPort: %v", r.LogicalID, err)
	}
	var desc *string
	if d := kit.PropStr(m, "Description"); d != "" {
		desc = &d
	}
	if c := kit.PropStr(m, "CidrIp"); c != "" {
		p.IpRanges = []ec2api.IpRange{{CidrIp: &c, Description: desc}}
	}
	if c := kit.PropStr(m, "CidrIpv6"); c != "" {
		p.Ipv6Ranges = []ec2api.Ipv6Range{{CidrIpv6: &c, Description: desc}}
	}
	if g := kit.PropStr(m, peer); g != "" {
		p.UserIdGroupPairs = []ec2api.UserIdGroupPair{{GroupId: &g, Description: desc}}
	}
	if pl := kit.PropStr(m, prefixList); pl != "" {
		p.PrefixListIds = []ec2api.PrefixListId{{PrefixListId: &pl, Description: desc}}
	}
	return p, nil
}

func cfnRuleResult(rules []ec2api.SecurityGroupRule, r kit.ResourceRequest) kit.ResourceResult {
	id := ""
	if len(rules) > 0 && rules[0].SecurityGroupRuleId != nil {
		id = *rules[0].SecurityGroupRuleId
	}
	if id == "" {
		id = kit.PhysicalName(r, 128)
	}
	return kit.ResourceResult{PhysicalID: id, Attributes: map[string]any{"Id": id}}
}

func (s *EC2) cfnAuthorizeIngress(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	p, err := cfnPermission(r, "SourceSecurityGroupId", "SourcePrefixListId")
	if err != nil {
		return kit.ResourceResult{}, err
	}
	in := &ec2api.AuthorizeSecurityGroupIngressInput{IpPermissions: []ec2api.IpPermission{p}}
	if g := r.Str("GroupId"); g != "" {
		in.GroupId = &g
	} else if g := r.Str("GroupName"); g != "" {
		in.GroupName = &g
	}
	out, err := s.AuthorizeSecurityGroupIngress(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return cfnRuleResult(out.SecurityGroupRules, r), nil
}

func (s *EC2) cfnRevokeIngress(ctx *request.Context, r kit.ResourceRequest) error {
	p, err := cfnPermission(r, "SourceSecurityGroupId", "SourcePrefixListId")
	if err != nil {
		return err
	}
	in := &ec2api.RevokeSecurityGroupIngressInput{IpPermissions: []ec2api.IpPermission{p}}
	if g := r.Str("GroupId"); g != "" {
		in.GroupId = &g
	} else if g := r.Str("GroupName"); g != "" {
		in.GroupName = &g
	}
	_, err = s.RevokeSecurityGroupIngress(ctx, in)
	return gone(err)
}

func (s *EC2) cfnAuthorizeEgress(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	p, err := cfnPermission(r, "DestinationSecurityGroupId", "DestinationPrefixListId")
	if err != nil {
		return kit.ResourceResult{}, err
	}
	g := r.Str("GroupId")
	out, err := s.AuthorizeSecurityGroupEgress(ctx, &ec2api.AuthorizeSecurityGroupEgressInput{GroupId: &g, IpPermissions: []ec2api.IpPermission{p}})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return cfnRuleResult(out.SecurityGroupRules, r), nil
}

func (s *EC2) cfnRevokeEgress(ctx *request.Context, r kit.ResourceRequest) error {
	p, err := cfnPermission(r, "DestinationSecurityGroupId", "DestinationPrefixListId")
	if err != nil {
		return err
	}
	g := r.Str("GroupId")
	_, err = s.RevokeSecurityGroupEgress(ctx, &ec2api.RevokeSecurityGroupEgressInput{GroupId: &g, IpPermissions: []ec2api.IpPermission{p}})
	return gone(err)
}

// cfnCreateKeyPair imports PublicKeyMaterial when the template gives
// it, else creates a key pair (KeyType, KeyFormat).
func (s *EC2) cfnCreateKeyPair(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	name := r.Str("KeyName")
	if name == "" {
		return kit.ResourceResult{}, awserr.ValidationError.New("Properties validation failed for resource %s with message: #: required key [KeyName] not found", r.LogicalID)
	}
	var id, fingerprint string
	if pub := r.Str("PublicKeyMaterial"); pub != "" {
		out, err := s.ImportKeyPair(ctx, &ec2api.ImportKeyPairInput{KeyName: &name, PublicKeyMaterial: []byte(pub),
			TagSpecifications: tagSpecs("key-pair", r.Properties)})
		if err != nil {
			return kit.ResourceResult{}, err
		}
		id, fingerprint = *out.KeyPairId, *out.KeyFingerprint
	} else {
		in := &ec2api.CreateKeyPairInput{KeyName: &name, TagSpecifications: tagSpecs("key-pair", r.Properties)}
		if v := r.Str("KeyType"); v != "" {
			in.KeyType = &v
		}
		if v := r.Str("KeyFormat"); v != "" {
			in.KeyFormat = &v
		}
		out, err := s.CreateKeyPair(ctx, in)
		if err != nil {
			return kit.ResourceResult{}, err
		}
		id, fingerprint = *out.KeyPairId, *out.KeyFingerprint
	}
	return kit.ResourceResult{PhysicalID: name, Attributes: map[string]any{"KeyPairId": id, "KeyFingerprint": fingerprint}}, nil
}

func (s *EC2) cfnDeleteKeyPair(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteKeyPair(ctx, &ec2api.DeleteKeyPairInput{KeyName: &r.PhysicalID})
	return gone(err)
}

func cfnLaunchTemplateData(r kit.ResourceRequest) (*ec2api.RequestLaunchTemplateData, error) {
	d := &ec2api.RequestLaunchTemplateData{}
	if err := kit.DecodeProp(r.Properties, "LaunchTemplateData", d); err != nil {
		return nil, awserr.ValidationError.New("Properties validation failed for resource %s with message: #/LaunchTemplateData: %v", r.LogicalID, err)
	}
	return d, nil
}

func cfnLaunchTemplateResult(t *ec2api.LaunchTemplate) kit.ResourceResult {
	id := *t.LaunchTemplateId
	attrs := map[string]any{"LaunchTemplateId": id}
	if t.DefaultVersionNumber != nil {
		attrs["DefaultVersionNumber"] = strconv.FormatInt(*t.DefaultVersionNumber, 10)
	}
	if t.LatestVersionNumber != nil {
		attrs["LatestVersionNumber"] = strconv.FormatInt(*t.LatestVersionNumber, 10)
	}
	return kit.ResourceResult{PhysicalID: id, Attributes: attrs}
}

func (s *EC2) cfnCreateLaunchTemplate(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	data, err := cfnLaunchTemplateData(r)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	name := r.Str("LaunchTemplateName")
	if name == "" {
		name = kit.PhysicalName(r, 128)
	}
	in := &ec2api.CreateLaunchTemplateInput{LaunchTemplateName: &name, LaunchTemplateData: data}
	if v := r.Str("VersionDescription"); v != "" {
		in.VersionDescription = &v
	}
	if err := kit.DecodeProp(r.Properties, "TagSpecifications", &in.TagSpecifications); err != nil {
		return kit.ResourceResult{}, awserr.ValidationError.New("Properties validation failed for resource %s with message: #/TagSpecifications: %v", r.LogicalID, err)
	}
	out, err := s.CreateLaunchTemplate(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return cfnLaunchTemplateResult(out.LaunchTemplate), nil
}

func (s *EC2) cfnUpdateLaunchTemplate(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	data, err := cfnLaunchTemplateData(r)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	id := r.PhysicalID
	in := &ec2api.CreateLaunchTemplateVersionInput{LaunchTemplateId: &id, LaunchTemplateData: data}
	if v := r.Str("VersionDescription"); v != "" {
		in.VersionDescription = &v
	}
	v, err := s.CreateLaunchTemplateVersion(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	version := strconv.FormatInt(*v.LaunchTemplateVersion.VersionNumber, 10)
	out, err := s.ModifyLaunchTemplate(ctx, &ec2api.ModifyLaunchTemplateInput{LaunchTemplateId: &id, DefaultVersion: &version})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return cfnLaunchTemplateResult(out.LaunchTemplate), nil
}

func (s *EC2) cfnDeleteLaunchTemplate(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteLaunchTemplate(ctx, &ec2api.DeleteLaunchTemplateInput{LaunchTemplateId: &r.PhysicalID})
	return gone(err)
}

func cfnEndpointResult(e *ec2api.VpcEndpoint) kit.ResourceResult {
	id := *e.VpcEndpointId
	dns := []any{}
	for _, d := range e.DnsEntries {
		dns = append(dns, deref(d.HostedZoneId)+":"+deref(d.DnsName))
	}
	enis := []any{}
	for _, n := range e.NetworkInterfaceIds {
		enis = append(enis, n)
	}
	attrs := map[string]any{"Id": id, "DnsEntries": dns, "NetworkInterfaceIds": enis}
	if e.CreationTimestamp != nil {
		attrs["CreationTimestamp"] = e.CreationTimestamp.UTC().Format(time.RFC3339)
	}
	return kit.ResourceResult{PhysicalID: id, Attributes: attrs}
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func cfnNonEmpty(l []string) []string {
	if len(l) == 0 {
		return nil
	}
	return l
}

func (s *EC2) cfnCreateVpcEndpoint(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	in := &ec2api.CreateVpcEndpointInput{VpcId: strp(r.Str("VpcId")), ServiceName: strp(r.Str("ServiceName")),
		RouteTableIds:     cfnNonEmpty(kit.PropList(r.Properties, "RouteTableIds")),
		SubnetIds:         cfnNonEmpty(kit.PropList(r.Properties, "SubnetIds")),
		SecurityGroupIds:  cfnNonEmpty(kit.PropList(r.Properties, "SecurityGroupIds")),
		TagSpecifications: tagSpecs("vpc-endpoint", r.Properties)}
	if v := r.Str("VpcEndpointType"); v != "" {
		in.VpcEndpointType = &v
	}
	if v := kit.PropJSON(r.Properties, "PolicyDocument"); v != "" {
		in.PolicyDocument = &v
	}
	if kit.Has(r.Properties, "PrivateDnsEnabled") {
		b := kit.PropBool(r.Properties, "PrivateDnsEnabled")
		in.PrivateDnsEnabled = &b
	}
	if v := r.Str("IpAddressType"); v != "" {
		in.IpAddressType = &v
	}
	out, err := s.CreateVpcEndpoint(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return cfnEndpointResult(out.VpcEndpoint), nil
}

// cfnDiff is what to add to had to make want, and what to remove.
func cfnDiff(want, had []string) (add, remove []string) {
	in := func(l []string, v string) bool {
		for _, x := range l {
			if x == v {
				return true
			}
		}
		return false
	}
	for _, v := range want {
		if !in(had, v) {
			add = append(add, v)
		}
	}
	for _, v := range had {
		if !in(want, v) {
			remove = append(remove, v)
		}
	}
	return add, remove
}

func (s *EC2) cfnModifyVpcEndpoint(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	id := r.PhysicalID
	in := &ec2api.ModifyVpcEndpointInput{VpcEndpointId: &id}
	in.AddRouteTableIds, in.RemoveRouteTableIds = cfnDiff(kit.PropList(r.Properties, "RouteTableIds"), kit.PropList(r.OldProperties, "RouteTableIds"))
	in.AddSubnetIds, in.RemoveSubnetIds = cfnDiff(kit.PropList(r.Properties, "SubnetIds"), kit.PropList(r.OldProperties, "SubnetIds"))
	in.AddSecurityGroupIds, in.RemoveSecurityGroupIds = cfnDiff(kit.PropList(r.Properties, "SecurityGroupIds"), kit.PropList(r.OldProperties, "SecurityGroupIds"))
	if v, old := kit.PropJSON(r.Properties, "PolicyDocument"), kit.PropJSON(r.OldProperties, "PolicyDocument"); v != old {
		if v == "" {
			in.ResetPolicy = ptrBool(true)
		} else {
			in.PolicyDocument = &v
		}
	}
	if kit.PropStr(r.Properties, "PrivateDnsEnabled") != kit.PropStr(r.OldProperties, "PrivateDnsEnabled") {
		in.PrivateDnsEnabled = ptrBool(kit.PropBool(r.Properties, "PrivateDnsEnabled"))
	}
	if _, err := s.ModifyVpcEndpoint(ctx, in); err != nil {
		return kit.ResourceResult{}, err
	}
	out, err := s.DescribeVpcEndpoints(ctx, &ec2api.DescribeVpcEndpointsInput{VpcEndpointIds: []string{id}})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	if len(out.VpcEndpoints) != 1 {
		return kit.ResourceResult{}, awserr.ValidationError.New("VPC endpoint %s is gone", id)
	}
	return cfnEndpointResult(&out.VpcEndpoints[0]), nil
}

func ptrBool(b bool) *bool { return &b }

func (s *EC2) cfnDeleteVpcEndpoint(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteVpcEndpoints(ctx, &ec2api.DeleteVpcEndpointsInput{VpcEndpointIds: []string{r.PhysicalID}})
	return gone(err)
}

// cfnUpdateTagsOnly is the Update of types whose only in-place property
// is Tags (every other one is in their Replace).
func (s *EC2) cfnUpdateTagsOnly(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	if err := s.cfnRetag(ctx, r.PhysicalID, r); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: r.PhysicalID, Attributes: r.Attributes}, nil
}

// cfnUpdateAddressTags retags an Elastic IP (tagged by its allocation
// id; its physical id is the address).
func (s *EC2) cfnUpdateAddressTags(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	id, _ := r.Attributes["AllocationId"].(string)
	if err := s.cfnRetag(ctx, id, r); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: r.PhysicalID, Attributes: r.Attributes}, nil
}

func (s *EC2) cfnUpdateVpc(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	id := r.PhysicalID
	for _, attr := range []string{"EnableDnsSupport", "EnableDnsHostnames"} {
		if kit.PropStr(r.Properties, attr) == kit.PropStr(r.OldProperties, attr) {
			continue
		}
		// Absent is AWS's default: DNS support on, hostnames off.
		v := kit.PropBool(r.Properties, attr) || (attr == "EnableDnsSupport" && !kit.Has(r.Properties, attr))
		in := &ec2api.ModifyVpcAttributeInput{VpcId: &id}
		if attr == "EnableDnsSupport" {
			in.EnableDnsSupport = &ec2api.AttributeBooleanValue{Value: &v}
		} else {
			in.EnableDnsHostnames = &ec2api.AttributeBooleanValue{Value: &v}
		}
		if _, err := s.ModifyVpcAttribute(ctx, in); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	return s.cfnUpdateTagsOnly(ctx, r)
}

func (s *EC2) cfnUpdateSubnet(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	id := r.PhysicalID
	for _, attr := range []string{"MapPublicIpOnLaunch", "AssignIpv6AddressOnCreation", "EnableDns64"} {
		if kit.PropStr(r.Properties, attr) == kit.PropStr(r.OldProperties, attr) {
			continue
		}
		v := &ec2api.AttributeBooleanValue{Value: boolp(kit.PropBool(r.Properties, attr))}
		in := &ec2api.ModifySubnetAttributeInput{SubnetId: &id}
		switch attr {
		case "MapPublicIpOnLaunch":
			in.MapPublicIpOnLaunch = v
		case "AssignIpv6AddressOnCreation":
			in.AssignIpv6AddressOnCreation = v
		default:
			in.EnableDns64 = v
		}
		if _, err := s.ModifySubnetAttribute(ctx, in); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	return s.cfnUpdateTagsOnly(ctx, r)
}

func (s *EC2) cfnReplaceRoute(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	in := &ec2api.ReplaceRouteRequest{RouteTableId: strp(r.Str("RouteTableId"))}
	for _, f := range []struct {
		name string
		out  **string
	}{{"DestinationCidrBlock", &in.DestinationCidrBlock}, {"DestinationIpv6CidrBlock", &in.DestinationIpv6CidrBlock},
		{"DestinationPrefixListId", &in.DestinationPrefixListId}, {"GatewayId", &in.GatewayId}, {"InstanceId", &in.InstanceId},
		{"NatGatewayId", &in.NatGatewayId}, {"NetworkInterfaceId", &in.NetworkInterfaceId}, {"VpcPeeringConnectionId", &in.VpcPeeringConnectionId},
		{"VpcEndpointId", &in.VpcEndpointId}, {"TransitGatewayId", &in.TransitGatewayId}, {"EgressOnlyInternetGatewayId", &in.EgressOnlyInternetGatewayId},
		{"CarrierGatewayId", &in.CarrierGatewayId}, {"LocalGatewayId", &in.LocalGatewayId}, {"CoreNetworkArn", &in.CoreNetworkArn}} {
		if v := r.Str(f.name); v != "" {
			*f.out = &v
		}
	}
	if _, err := s.ReplaceRoute(ctx, in); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: r.PhysicalID}, nil
}
