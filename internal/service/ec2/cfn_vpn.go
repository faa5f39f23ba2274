package ec2

import (
	"strconv"
	"time"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/request"
)

// cfnVpnResources are EC2's site-to-site VPN, capacity reservation and
// traffic mirroring types.
func (s *EC2) cfnVpnResources() map[string]kit.ResourceProvider {
	return map[string]kit.ResourceProvider{
		// Ref is the customer gateway id; Fn::GetAtt CustomerGatewayId.
		"AWS::EC2::CustomerGateway": {Create: s.cfnCreateCustomerGateway, Delete: s.cfnDeleteCustomerGateway, Tags: true},
		// Ref is the gateway id; Fn::GetAtt VPNGatewayId.
		"AWS::EC2::VPNGateway": {Create: s.cfnCreateVpnGateway, Delete: s.cfnDeleteVpnGateway, Tags: true},
		// Ref is the connection id; Fn::GetAtt VpnConnectionId.
		"AWS::EC2::VPNConnection": {Create: s.cfnCreateVpnConnection, Delete: s.cfnDeleteVpnConnection, Tags: true},
		// Ref is a generated id.
		"AWS::EC2::VPNConnectionRoute": {Create: s.cfnCreateVpnConnectionRoute, Delete: s.cfnDeleteVpnConnectionRoute},
		// Ref is a generated id; its RouteTableIds change in place.
		"AWS::EC2::VPNGatewayRoutePropagation": {Create: s.cfnVgwPropagation, Update: s.cfnVgwPropagation, Delete: s.cfnStopVgwPropagation,
			Replace: []string{"VpnGatewayId"}},
		// Ref is the reservation id; Fn::GetAtt Id, AvailabilityZone,
		// InstanceType, Tenancy, TotalInstanceCount,
		// AvailableInstanceCount. InstanceCount, EndDate and EndDateType
		// change in place (ModifyCapacityReservation); delete cancels it.
		"AWS::EC2::CapacityReservation": {Create: s.cfnCreateCapacityReservation, Update: s.cfnModifyCapacityReservation,
			Delete: s.cfnCancelCapacityReservation, Replace: []string{"AvailabilityZone", "AvailabilityZoneId", "InstanceType",
				"InstancePlatform", "Tenancy", "EbsOptimized", "EphemeralStorage", "InstanceMatchCriteria", "TagSpecifications",
				"OutPostArn", "PlacementGroupArn"}},
		// Ref is the filter id; Fn::GetAtt Id. NetworkServices change in
		// place.
		"AWS::EC2::TrafficMirrorFilter": {Create: s.cfnCreateMirrorFilter, Update: s.cfnModifyMirrorFilter, Delete: s.cfnDeleteMirrorFilter,
			Replace: []string{"Description"}, Tags: true},
		// Ref is the rule id; Fn::GetAtt Id. Every change replaces it.
		"AWS::EC2::TrafficMirrorFilterRule": {Create: s.cfnCreateMirrorFilterRule, Delete: s.cfnDeleteMirrorFilterRule, Tags: true},
		// Ref is the target id; Fn::GetAtt Id.
		"AWS::EC2::TrafficMirrorTarget": {Create: s.cfnCreateMirrorTarget, Delete: s.cfnDeleteMirrorTarget, Tags: true},
		// Ref is the session id; Fn::GetAtt Id. Every change replaces it.
		"AWS::EC2::TrafficMirrorSession": {Create: s.cfnCreateMirrorSession, Delete: s.cfnDeleteMirrorSession, Tags: true},
	}
}

func propInt64(props map[string]any, name string) (*int64, error) {
	if !kit.Has(props, name) {
		return nil, nil
	}
	n, err := strconv.ParseInt(kit.PropStr(props, name), 10, 64)
	if err != nil {
		return nil, awserr.ValidationError.New("Value of property %s must be an integer", name)
	}
	return &n, nil
}

func (s *EC2) cfnCreateCustomerGateway(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	in := &ec2api.CreateCustomerGatewayRequest{Type: strp(r.Str("Type")), IpAddress: optStr(r.Str("IpAddress")),
		DeviceName: optStr(r.Str("DeviceName")), CertificateArn: optStr(r.Str("CertificateArn")), TagSpecifications: tagSpecs("customer-gateway", r.Properties)}
	var err error
	if in.BgpAsn, err = propInt32(r.Properties, "BgpAsn"); err != nil {
		return kit.ResourceResult{}, err
	}
	if in.BgpAsnExtended, err = propInt64(r.Properties, "BgpAsnExtended"); err != nil {
		return kit.ResourceResult{}, err
	}
	out, err := s.CreateCustomerGateway(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	id := deref(out.CustomerGateway.CustomerGatewayId)
	return kit.ResourceResult{PhysicalID: id, Attributes: map[string]any{"CustomerGatewayId": id}}, nil
}

func (s *EC2) cfnDeleteCustomerGateway(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteCustomerGateway(ctx, &ec2api.DeleteCustomerGatewayRequest{CustomerGatewayId: &r.PhysicalID})
	return gone(err)
}

func (s *EC2) cfnCreateVpnGateway(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	in := &ec2api.CreateVpnGatewayRequest{Type: strp(r.Str("Type")), TagSpecifications: tagSpecs("vpn-gateway", r.Properties)}
	var err error
	if in.AmazonSideAsn, err = propInt64(r.Properties, "AmazonSideAsn"); err != nil {
		return kit.ResourceResult{}, err
	}
	out, err := s.CreateVpnGateway(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	id := deref(out.VpnGateway.VpnGatewayId)
	return kit.ResourceResult{PhysicalID: id, Attributes: map[string]any{"VPNGatewayId": id}}, nil
}

func (s *EC2) cfnDeleteVpnGateway(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteVpnGateway(ctx, &ec2api.DeleteVpnGatewayRequest{VpnGatewayId: &r.PhysicalID})
	return gone(err)
}

func (s *EC2) cfnCreateVpnConnection(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	in := &ec2api.CreateVpnConnectionRequest{CustomerGatewayId: strp(r.Str("CustomerGatewayId")), Type: strp(r.Str("Type")),
		VpnGatewayId: optStr(r.Str("VpnGatewayId")), TransitGatewayId: optStr(r.Str("TransitGatewayId")),
		TagSpecifications: tagSpecs("vpn-connection", r.Properties)}
	if kit.Has(r.Properties, "StaticRoutesOnly") || kit.Has(r.Properties, "VpnTunnelOptionsSpecifications") {
		in.Options = &ec2api.VpnConnectionOptionsSpecification{}
		if kit.Has(r.Properties, "StaticRoutesOnly") {
			in.Options.StaticRoutesOnly = boolp(kit.PropBool(r.Properties, "StaticRoutesOnly"))
		}
		if err := kit.DecodeProp(r.Properties, "VpnTunnelOptionsSpecifications", &in.Options.TunnelOptions); err != nil {
			return kit.ResourceResult{}, awserr.ValidationError.New("VpnTunnelOptionsSpecifications: %v", err)
		}
	}
	out, err := s.CreateVpnConnection(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	id := deref(out.VpnConnection.VpnConnectionId)
	return kit.ResourceResult{PhysicalID: id, Attributes: map[string]any{"VpnConnectionId": id}}, nil
}

func (s *EC2) cfnDeleteVpnConnection(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteVpnConnection(ctx, &ec2api.DeleteVpnConnectionRequest{VpnConnectionId: &r.PhysicalID})
	return gone(err)
}

func (s *EC2) cfnCreateVpnConnectionRoute(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	if _, err := s.CreateVpnConnectionRoute(ctx, &ec2api.CreateVpnConnectionRouteRequest{DestinationCidrBlock: strp(r.Str("DestinationCidrBlock")),
		VpnConnectionId: strp(r.Str("VpnConnectionId"))}); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: kit.PhysicalName(r, 128)}, nil
}

func (s *EC2) cfnDeleteVpnConnectionRoute(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteVpnConnectionRoute(ctx, &ec2api.DeleteVpnConnectionRouteRequest{DestinationCidrBlock: strp(r.Str("DestinationCidrBlock")),
		VpnConnectionId: strp(r.Str("VpnConnectionId"))})
	return gone(err)
}

// cfnVgwPropagation makes the gateway's routes propagate to the
// template's route tables, and stops it for those it no longer lists.
func (s *EC2) cfnVgwPropagation(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	gw := r.Str("VpnGatewayId")
	add, drop := listDiff(kit.PropList(r.OldProperties, "RouteTableIds"), kit.PropList(r.Properties, "RouteTableIds"))
	for _, rt := range drop {
		if _, err := s.DisableVgwRoutePropagation(ctx, &ec2api.DisableVgwRoutePropagationRequest{GatewayId: &gw, RouteTableId: strp(rt)}); gone(err) != nil {
			return kit.ResourceResult{}, err
		}
	}
	for _, rt := range add {
		if _, err := s.EnableVgwRoutePropagation(ctx, &ec2api.EnableVgwRoutePropagationRequest{GatewayId: &gw, RouteTableId: strp(rt)}); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	id := r.PhysicalID
	if id == "" {
		id = kit.PhysicalName(r, 128)
	}
	return kit.ResourceResult{PhysicalID: id}, nil
}

func (s *EC2) cfnStopVgwPropagation(ctx *request.Context, r kit.ResourceRequest) error {
	gw := r.Str("VpnGatewayId")
	for _, rt := range kit.PropList(r.Properties, "RouteTableIds") {
		if _, err := s.DisableVgwRoutePropagation(ctx, &ec2api.DisableVgwRoutePropagationRequest{GatewayId: &gw, RouteTableId: strp(rt)}); gone(err) != nil {
			return err
		}
	}
	return nil
}

func (s *EC2) cfnAttachVpnGateway(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	if _, err := s.AttachVpnGateway(ctx, &ec2api.AttachVpnGatewayRequest{VpnGatewayId: strp(r.Str("VpnGatewayId")), VpcId: strp(r.Str("VpcId"))}); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: kit.PhysicalName(r, 128)}, nil
}

func (s *EC2) cfnDetachVpnGateway(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DetachVpnGateway(ctx, &ec2api.DetachVpnGatewayRequest{VpnGatewayId: strp(r.Str("VpnGatewayId")), VpcId: strp(r.Str("VpcId"))})
	return goneOr(err, "NotAttached", "IncorrectState")
}

func capacityAttrs(c *ec2api.CapacityReservation) map[string]any {
	attrs := map[string]any{"Id": deref(c.CapacityReservationId), "AvailabilityZone": deref(c.AvailabilityZone),
		"InstanceType": deref(c.InstanceType), "Tenancy": deref(c.Tenancy)}
	if c.TotalInstanceCount != nil {
		attrs["TotalInstanceCount"] = strconv.Itoa(int(*c.TotalInstanceCount))
	}
	if c.AvailableInstanceCount != nil {
		attrs["AvailableInstanceCount"] = strconv.Itoa(int(*c.AvailableInstanceCount))
	}
	return attrs
}

func propTime(props map[string]any, name string) (*time.Time, error) {
	v := kit.PropStr(props, name)
	if v == "" {
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return nil, awserr.ValidationError.New("Value of property %s must be a timestamp (%s)", name, time.RFC3339)
	}
	return &t, nil
}

func (s *EC2) cfnCreateCapacityReservation(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	in := &ec2api.CreateCapacityReservationRequest{InstanceType: strp(r.Str("InstanceType")), InstancePlatform: strp(r.Str("InstancePlatform")),
		AvailabilityZone: optStr(r.Str("AvailabilityZone")), AvailabilityZoneId: optStr(r.Str("AvailabilityZoneId")), Tenancy: optStr(r.Str("Tenancy")),
		EndDateType: optStr(r.Str("EndDateType")), InstanceMatchCriteria: optStr(r.Str("InstanceMatchCriteria")),
		OutpostArn: optStr(r.Str("OutPostArn")), PlacementGroupArn: optStr(r.Str("PlacementGroupArn"))}
	for _, b := range []struct {
		name string
		out  **bool
	}{{"EbsOptimized", &in.EbsOptimized}, {"EphemeralStorage", &in.EphemeralStorage}} {
		if kit.Has(r.Properties, b.name) {
			*b.out = boolp(kit.PropBool(r.Properties, b.name))
		}
	}
	var err error
	if in.InstanceCount, err = propInt32(r.Properties, "InstanceCount"); err != nil {
		return kit.ResourceResult{}, err
	}
	if in.EndDate, err = propTime(r.Properties, "EndDate"); err != nil {
		return kit.ResourceResult{}, err
	}
	if err := kit.DecodeProp(r.Properties, "TagSpecifications", &in.TagSpecifications); err != nil {
		return kit.ResourceResult{}, awserr.ValidationError.New("TagSpecifications: %v", err)
	}
	out, err := s.CreateCapacityReservation(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	c := out.CapacityReservation
	return kit.ResourceResult{PhysicalID: deref(c.CapacityReservationId), Attributes: capacityAttrs(c)}, nil
}

func (s *EC2) cfnModifyCapacityReservation(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	in := &ec2api.ModifyCapacityReservationRequest{CapacityReservationId: &r.PhysicalID, EndDateType: optStr(r.Str("EndDateType"))}
	var err error
	if in.InstanceCount, err = propInt32(r.Properties, "InstanceCount"); err != nil {
		return kit.ResourceResult{}, err
	}
	if in.EndDate, err = propTime(r.Properties, "EndDate"); err != nil {
		return kit.ResourceResult{}, err
	}
	if _, err := s.ModifyCapacityReservation(ctx, in); err != nil {
		return kit.ResourceResult{}, err
	}
	out, err := s.DescribeCapacityReservations(ctx, &ec2api.DescribeCapacityReservationsRequest{CapacityReservationIds: []string{r.PhysicalID}})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	if len(out.CapacityReservations) != 1 {
		return kit.ResourceResult{PhysicalID: r.PhysicalID, Attributes: r.Attributes}, nil
	}
	return kit.ResourceResult{PhysicalID: r.PhysicalID, Attributes: capacityAttrs(&out.CapacityReservations[0])}, nil
}

func (s *EC2) cfnCancelCapacityReservation(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.CancelCapacityReservation(ctx, &ec2api.CancelCapacityReservationRequest{CapacityReservationId: &r.PhysicalID})
	return goneOr(err, "IncorrectState")
}

func (s *EC2) cfnCreateMirrorFilter(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	out, err := s.CreateTrafficMirrorFilter(ctx, &ec2api.CreateTrafficMirrorFilterRequest{Description: optStr(r.Str("Description")),
		TagSpecifications: tagSpecs("traffic-mirror-filter", r.Properties)})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	id := deref(out.TrafficMirrorFilter.TrafficMirrorFilterId)
	if services := kit.PropList(r.Properties, "NetworkServices"); len(services) > 0 {
		if _, err := s.ModifyTrafficMirrorFilterNetworkServices(ctx, &ec2api.ModifyTrafficMirrorFilterNetworkServicesRequest{
			TrafficMirrorFilterId: &id, AddNetworkServices: services}); err != nil {
			_, _ = s.DeleteTrafficMirrorFilter(ctx, &ec2api.DeleteTrafficMirrorFilterRequest{TrafficMirrorFilterId: &id})
			return kit.ResourceResult{}, err
		}
	}
	return kit.ResourceResult{PhysicalID: id, Attributes: map[string]any{"Id": id}}, nil
}

func (s *EC2) cfnModifyMirrorFilter(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	add, drop := listDiff(kit.PropList(r.OldProperties, "NetworkServices"), kit.PropList(r.Properties, "NetworkServices"))
	if len(add)+len(drop) > 0 {
		if _, err := s.ModifyTrafficMirrorFilterNetworkServices(ctx, &ec2api.ModifyTrafficMirrorFilterNetworkServicesRequest{
			TrafficMirrorFilterId: &r.PhysicalID, AddNetworkServices: add, RemoveNetworkServices: drop}); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	if err := s.cfnRetag(ctx, r.PhysicalID, r); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: r.PhysicalID, Attributes: map[string]any{"Id": r.PhysicalID}}, nil
}

func (s *EC2) cfnDeleteMirrorFilter(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteTrafficMirrorFilter(ctx, &ec2api.DeleteTrafficMirrorFilterRequest{TrafficMirrorFilterId: &r.PhysicalID})
	return gone(err)
}

func mirrorPorts(props map[string]any, name string) (*ec2api.TrafficMirrorPortRangeRequest, error) {
	m := kit.PropMap(props, name)
	if m == nil {
		return nil, nil
	}
	from, err := propInt32(m, "FromPort")
	if err != nil {
		return nil, err
	}
	to, err := propInt32(m, "ToPort")
	if err != nil {
		return nil, err
	}
	return &ec2api.TrafficMirrorPortRangeRequest{FromPort: from, ToPort: to}, nil
}

func (s *EC2) cfnCreateMirrorFilterRule(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	in := &ec2api.CreateTrafficMirrorFilterRuleRequest{TrafficMirrorFilterId: strp(r.Str("TrafficMirrorFilterId")),
		TrafficDirection: strp(r.Str("TrafficDirection")), RuleAction: strp(r.Str("RuleAction")),
		DestinationCidrBlock: strp(r.Str("DestinationCidrBlock")), SourceCidrBlock: strp(r.Str("SourceCidrBlock")),
		Description: optStr(r.Str("Description")), TagSpecifications: tagSpecs("traffic-mirror-filter-rule", r.Properties)}
	var err error
	if in.RuleNumber, err = propInt32(r.Properties, "RuleNumber"); err != nil {
		return kit.ResourceResult{}, err
	}
	if in.Protocol, err = propInt32(r.Properties, "Protocol"); err != nil {
		return kit.ResourceResult{}, err
	}
	if in.DestinationPortRange, err = mirrorPorts(r.Properties, "DestinationPortRange"); err != nil {
		return kit.ResourceResult{}, err
	}
	if in.SourcePortRange, err = mirrorPorts(r.Properties, "SourcePortRange"); err != nil {
		return kit.ResourceResult{}, err
	}
	out, err := s.CreateTrafficMirrorFilterRule(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	id := deref(out.TrafficMirrorFilterRule.TrafficMirrorFilterRuleId)
	return kit.ResourceResult{PhysicalID: id, Attributes: map[string]any{"Id": id}}, nil
}

func (s *EC2) cfnDeleteMirrorFilterRule(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteTrafficMirrorFilterRule(ctx, &ec2api.DeleteTrafficMirrorFilterRuleRequest{TrafficMirrorFilterRuleId: &r.PhysicalID})
	return gone(err)
}

func (s *EC2) cfnCreateMirrorTarget(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	out, err := s.CreateTrafficMirrorTarget(ctx, &ec2api.CreateTrafficMirrorTargetRequest{NetworkInterfaceId: optStr(r.Str("NetworkInterfaceId")),
		NetworkLoadBalancerArn: optStr(r.Str("NetworkLoadBalancerArn")), GatewayLoadBalancerEndpointId: optStr(r.Str("GatewayLoadBalancerEndpointId")),
		Description: optStr(r.Str("Description")), TagSpecifications: tagSpecs("traffic-mirror-target", r.Properties)})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	id := deref(out.TrafficMirrorTarget.TrafficMirrorTargetId)
	return kit.ResourceResult{PhysicalID: id, Attributes: map[string]any{"Id": id}}, nil
}

func (s *EC2) cfnDeleteMirrorTarget(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteTrafficMirrorTarget(ctx, &ec2api.DeleteTrafficMirrorTargetRequest{TrafficMirrorTargetId: &r.PhysicalID})
	// EC2's code for a missing target is InvalidTrafficMirrorTargetNoFound.
	return goneOr(err, "NoFound")
}

func (s *EC2) cfnCreateMirrorSession(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	in := &ec2api.CreateTrafficMirrorSessionRequest{NetworkInterfaceId: strp(r.Str("NetworkInterfaceId")),
		TrafficMirrorTargetId: strp(r.Str("TrafficMirrorTargetId")), TrafficMirrorFilterId: strp(r.Str("TrafficMirrorFilterId")),
		Description: optStr(r.Str("Description")), TagSpecifications: tagSpecs("traffic-mirror-session", r.Properties)}
	var err error
	for _, f := range []struct {
		name string
		out  **int32
	}{{"SessionNumber", &in.SessionNumber}, {"PacketLength", &in.PacketLength}, {"VirtualNetworkId", &in.VirtualNetworkId}} {
		if *f.out, err = propInt32(r.Properties, f.name); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	out, err := s.CreateTrafficMirrorSession(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	id := deref(out.TrafficMirrorSession.TrafficMirrorSessionId)
	return kit.ResourceResult{PhysicalID: id, Attributes: map[string]any{"Id": id}}, nil
}

func (s *EC2) cfnDeleteMirrorSession(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteTrafficMirrorSession(ctx, &ec2api.DeleteTrafficMirrorSessionRequest{TrafficMirrorSessionId: &r.PhysicalID})
	return gone(err)
}
