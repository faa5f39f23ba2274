package ec2

import (
	"time"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/request"
)

// cfnServiceResources are EC2's endpoint-service (PrivateLink provider
// side), transit gateway peering/Connect/multicast and Reachability
// Analyzer types.
func (s *EC2) cfnServiceResources() map[string]kit.ResourceProvider {
	return map[string]kit.ResourceProvider{
		// Ref is the service id; Fn::GetAtt ServiceId, ServiceName. Its
		// acceptance, load balancers and IP address types change in place.
		"AWS::EC2::VPCEndpointService": {Create: s.cfnCreateEndpointService, Update: s.cfnModifyEndpointService,
			Delete: s.cfnDeleteEndpointService, Tags: true},
		// Ref is a generated id; AllowedPrincipals change in place.
		"AWS::EC2::VPCEndpointServicePermissions": {Create: s.cfnEndpointServicePermissions, Update: s.cfnEndpointServicePermissions,
			Delete: s.cfnClearEndpointServicePermissions, Replace: []string{"ServiceId"}},
		// Ref is the notification id; Fn::GetAtt VPCEndpointConnectionNotificationId.
		// Its topic and events change in place.
		"AWS::EC2::VPCEndpointConnectionNotification": {Create: s.cfnCreateConnectionNotification, Update: s.cfnModifyConnectionNotification,
			Delete: s.cfnDeleteConnectionNotification, Replace: []string{"ServiceId", "VPCEndpointId"}},
		// Ref is the attachment id; Fn::GetAtt TransitGatewayAttachmentId,
		// State, CreationTime.
		"AWS::EC2::TransitGatewayPeeringAttachment": {Create: s.cfnCreateTgwPeering, Delete: s.cfnDeleteTgwPeering, Tags: true},
		// Ref is the Connect attachment's id; Fn::GetAtt
		// TransitGatewayAttachmentId, TransitGatewayId, State, CreationTime.
		"AWS::EC2::TransitGatewayConnect": {Create: s.cfnCreateTgwConnect, Delete: s.cfnDeleteTgwConnect, Tags: true},
		// Ref is the domain id; Fn::GetAtt TransitGatewayMulticastDomainId.
		"AWS::EC2::TransitGatewayMulticastDomain": {Create: s.cfnCreateMulticastDomain, Delete: s.cfnDeleteMulticastDomain, Tags: true},
		// Ref is the path id; Fn::GetAtt NetworkInsightsPathId,
		// NetworkInsightsPathArn, CreatedDate, SourceArn, DestinationArn.
		"AWS::EC2::NetworkInsightsPath": {Create: s.cfnCreateInsightsPath, Delete: s.cfnDeleteInsightsPath, Tags: true},
	}
}

func serviceAttrs(c *ec2api.ServiceConfiguration) map[string]any {
	return map[string]any{"ServiceId": deref(c.ServiceId), "ServiceName": deref(c.ServiceName)}
}

func (s *EC2) cfnCreateEndpointService(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	in := &ec2api.CreateVpcEndpointServiceConfigurationRequest{NetworkLoadBalancerArns: cfnNonEmpty(kit.PropList(r.Properties, "NetworkLoadBalancerArns")),
		GatewayLoadBalancerArns: cfnNonEmpty(kit.PropList(r.Properties, "GatewayLoadBalancerArns")),
		SupportedIpAddressTypes: cfnNonEmpty(kit.PropList(r.Properties, "SupportedIpAddressTypes")),
		TagSpecifications:       tagSpecs("vpc-endpoint-service", r.Properties)}
	if kit.Has(r.Properties, "AcceptanceRequired") {
		in.AcceptanceRequired = boolp(kit.PropBool(r.Properties, "AcceptanceRequired"))
	}
	out, err := s.CreateVpcEndpointServiceConfiguration(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	c := out.ServiceConfiguration
	return kit.ResourceResult{PhysicalID: deref(c.ServiceId), Attributes: serviceAttrs(c)}, nil
}

func (s *EC2) cfnModifyEndpointService(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	in := &ec2api.ModifyVpcEndpointServiceConfigurationRequest{ServiceId: &r.PhysicalID,
		AcceptanceRequired: boolp(kit.PropBool(r.Properties, "AcceptanceRequired"))}
	in.AddNetworkLoadBalancerArns, in.RemoveNetworkLoadBalancerArns = listDiff(kit.PropList(r.OldProperties, "NetworkLoadBalancerArns"),
		kit.PropList(r.Properties, "NetworkLoadBalancerArns"))
	in.AddGatewayLoadBalancerArns, in.RemoveGatewayLoadBalancerArns = listDiff(kit.PropList(r.OldProperties, "GatewayLoadBalancerArns"),
		kit.PropList(r.Properties, "GatewayLoadBalancerArns"))
	in.AddSupportedIpAddressTypes, in.RemoveSupportedIpAddressTypes = listDiff(kit.PropList(r.OldProperties, "SupportedIpAddressTypes"),
		kit.PropList(r.Properties, "SupportedIpAddressTypes"))
	if _, err := s.ModifyVpcEndpointServiceConfiguration(ctx, in); err != nil {
		return kit.ResourceResult{}, err
	}
	if err := s.cfnRetag(ctx, r.PhysicalID, r); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: r.PhysicalID, Attributes: r.Attributes}, nil
}

func (s *EC2) cfnDeleteEndpointService(ctx *request.Context, r kit.ResourceRequest) error {
	out, err := s.DeleteVpcEndpointServiceConfigurations(ctx, &ec2api.DeleteVpcEndpointServiceConfigurationsRequest{ServiceIds: []string{r.PhysicalID}})
	if err != nil {
		return gone(err)
	}
	for _, u := range out.Unsuccessful {
		if u.Error != nil && !isNotFound(deref(u.Error.Code)) {
			return errInvalidParameterValue.New("%s", deref(u.Error.Message))
		}
	}
	return nil
}

func isNotFound(code string) bool {
	return len(code) >= 8 && code[len(code)-8:] == "NotFound"
}

func (s *EC2) cfnEndpointServicePermissions(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	in := &ec2api.ModifyVpcEndpointServicePermissionsRequest{ServiceId: strp(r.Str("ServiceId"))}
	in.AddAllowedPrincipals, in.RemoveAllowedPrincipals = listDiff(kit.PropList(r.OldProperties, "AllowedPrincipals"), kit.PropList(r.Properties, "AllowedPrincipals"))
	if len(in.AddAllowedPrincipals)+len(in.RemoveAllowedPrincipals) > 0 {
		if _, err := s.ModifyVpcEndpointServicePermissions(ctx, in); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	id := r.PhysicalID
	if id == "" {
		id = kit.PhysicalName(r, 128)
	}
	return kit.ResourceResult{PhysicalID: id}, nil
}

func (s *EC2) cfnClearEndpointServicePermissions(ctx *request.Context, r kit.ResourceRequest) error {
	svc := r.Str("ServiceId")
	cur, err := s.DescribeVpcEndpointServicePermissions(ctx, &ec2api.DescribeVpcEndpointServicePermissionsRequest{ServiceId: &svc})
	if err != nil {
		return gone(err)
	}
	// Only the principals still allowed are removed: one already gone is
	// no error for the delete.
	allowed := map[string]bool{}
	for _, p := range cur.AllowedPrincipals {
		allowed[deref(p.Principal)] = true
	}
	var principals []string
	for _, p := range kit.PropList(r.Properties, "AllowedPrincipals") {
		if allowed[p] {
			principals = append(principals, p)
		}
	}
	if len(principals) == 0 {
		return nil
	}
	_, err = s.ModifyVpcEndpointServicePermissions(ctx, &ec2api.ModifyVpcEndpointServicePermissionsRequest{ServiceId: &svc,
		RemoveAllowedPrincipals: principals})
	return gone(err)
}

func (s *EC2) cfnCreateConnectionNotification(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	out, err := s.CreateVpcEndpointConnectionNotification(ctx, &ec2api.CreateVpcEndpointConnectionNotificationRequest{
		ServiceId: optStr(r.Str("ServiceId")), VpcEndpointId: optStr(r.Str("VPCEndpointId")),
		ConnectionNotificationArn: strp(r.Str("ConnectionNotificationArn")), ConnectionEvents: kit.PropList(r.Properties, "ConnectionEvents")})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	id := deref(out.ConnectionNotification.ConnectionNotificationId)
	return kit.ResourceResult{PhysicalID: id, Attributes: map[string]any{"VPCEndpointConnectionNotificationId": id}}, nil
}

func (s *EC2) cfnModifyConnectionNotification(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	if _, err := s.ModifyVpcEndpointConnectionNotification(ctx, &ec2api.ModifyVpcEndpointConnectionNotificationRequest{
		ConnectionNotificationId: &r.PhysicalID, ConnectionNotificationArn: strp(r.Str("ConnectionNotificationArn")),
		ConnectionEvents: kit.PropList(r.Properties, "ConnectionEvents")}); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: r.PhysicalID, Attributes: map[string]any{"VPCEndpointConnectionNotificationId": r.PhysicalID}}, nil
}

func (s *EC2) cfnDeleteConnectionNotification(ctx *request.Context, r kit.ResourceRequest) error {
	out, err := s.DeleteVpcEndpointConnectionNotifications(ctx, &ec2api.DeleteVpcEndpointConnectionNotificationsRequest{
		ConnectionNotificationIds: []string{r.PhysicalID}})
	if err != nil {
		return gone(err)
	}
	for _, u := range out.Unsuccessful {
		// EC2 answers InvalidConnectionNotification for one that does not
		// exist.
		if u.Error == nil {
			continue
		}
		if c := deref(u.Error.Code); !isNotFound(c) && c != "InvalidConnectionNotification" {
			return errInvalidParameterValue.New("%s", deref(u.Error.Message))
		}
	}
	return nil
}

func timeAttr(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func (s *EC2) cfnCreateTgwPeering(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	out, err := s.CreateTransitGatewayPeeringAttachment(ctx, &ec2api.CreateTransitGatewayPeeringAttachmentRequest{
		TransitGatewayId: strp(r.Str("TransitGatewayId")), PeerTransitGatewayId: strp(r.Str("PeerTransitGatewayId")),
		PeerAccountId: strp(r.Str("PeerAccountId")), PeerRegion: strp(r.Str("PeerRegion")),
		TagSpecifications: tagSpecs("transit-gateway-attachment", r.Properties)})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	a := out.TransitGatewayPeeringAttachment
	id := deref(a.TransitGatewayAttachmentId)
	return kit.ResourceResult{PhysicalID: id, Attributes: map[string]any{"TransitGatewayAttachmentId": id, "State": deref(a.State),
		"CreationTime": timeAttr(a.CreationTime)}}, nil
}

func (s *EC2) cfnDeleteTgwPeering(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteTransitGatewayPeeringAttachment(ctx, &ec2api.DeleteTransitGatewayPeeringAttachmentRequest{TransitGatewayAttachmentId: &r.PhysicalID})
	return gone(err)
}

func (s *EC2) cfnCreateTgwConnect(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	in := &ec2api.CreateTransitGatewayConnectRequest{TransportTransitGatewayAttachmentId: strp(r.Str("TransportTransitGatewayAttachmentId")),
		Options: &ec2api.CreateTransitGatewayConnectRequestOptions{}, TagSpecifications: tagSpecs("transit-gateway-attachment", r.Properties)}
	if err := kit.DecodeProp(r.Properties, "Options", in.Options); err != nil {
		return kit.ResourceResult{}, awserr.ValidationError.New("Options: %v", err)
	}
	out, err := s.CreateTransitGatewayConnect(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	c := out.TransitGatewayConnect
	id := deref(c.TransitGatewayAttachmentId)
	return kit.ResourceResult{PhysicalID: id, Attributes: map[string]any{"TransitGatewayAttachmentId": id, "TransitGatewayId": deref(c.TransitGatewayId),
		"State": deref(c.State), "CreationTime": timeAttr(c.CreationTime)}}, nil
}

func (s *EC2) cfnDeleteTgwConnect(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteTransitGatewayConnect(ctx, &ec2api.DeleteTransitGatewayConnectRequest{TransitGatewayAttachmentId: &r.PhysicalID})
	return gone(err)
}

func (s *EC2) cfnCreateMulticastDomain(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	in := &ec2api.CreateTransitGatewayMulticastDomainRequest{TransitGatewayId: strp(r.Str("TransitGatewayId")),
		TagSpecifications: tagSpecs("transit-gateway-multicast-domain", r.Properties)}
	if kit.Has(r.Properties, "Options") {
		in.Options = &ec2api.CreateTransitGatewayMulticastDomainRequestOptions{}
		if err := kit.DecodeProp(r.Properties, "Options", in.Options); err != nil {
			return kit.ResourceResult{}, awserr.ValidationError.New("Options: %v", err)
		}
	}
	out, err := s.CreateTransitGatewayMulticastDomain(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	id := deref(out.TransitGatewayMulticastDomain.TransitGatewayMulticastDomainId)
	return kit.ResourceResult{PhysicalID: id, Attributes: map[string]any{"TransitGatewayMulticastDomainId": id,
		"TransitGatewayMulticastDomainArn": deref(out.TransitGatewayMulticastDomain.TransitGatewayMulticastDomainArn)}}, nil
}

func (s *EC2) cfnDeleteMulticastDomain(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteTransitGatewayMulticastDomain(ctx, &ec2api.DeleteTransitGatewayMulticastDomainRequest{TransitGatewayMulticastDomainId: &r.PhysicalID})
	return gone(err)
}

func (s *EC2) cfnCreateInsightsPath(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	in := &ec2api.CreateNetworkInsightsPathRequest{Source: strp(r.Str("Source")), Destination: optStr(r.Str("Destination")),
		SourceIp: optStr(r.Str("SourceIp")), DestinationIp: optStr(r.Str("DestinationIp")), Protocol: strp(r.Str("Protocol")),
		TagSpecifications: tagSpecs("network-insights-path", r.Properties)}
	var err error
	if in.DestinationPort, err = propInt32(r.Properties, "DestinationPort"); err != nil {
		return kit.ResourceResult{}, err
	}
	if err := kit.DecodeProp(r.Properties, "FilterAtSource", &in.FilterAtSource); err != nil {
		return kit.ResourceResult{}, awserr.ValidationError.New("FilterAtSource: %v", err)
	}
	if err := kit.DecodeProp(r.Properties, "FilterAtDestination", &in.FilterAtDestination); err != nil {
		return kit.ResourceResult{}, awserr.ValidationError.New("FilterAtDestination: %v", err)
	}
	out, err := s.CreateNetworkInsightsPath(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	p := out.NetworkInsightsPath
	id := deref(p.NetworkInsightsPathId)
	return kit.ResourceResult{PhysicalID: id, Attributes: map[string]any{"NetworkInsightsPathId": id, "NetworkInsightsPathArn": deref(p.NetworkInsightsPathArn),
		"CreatedDate": timeAttr(p.CreatedDate), "SourceArn": deref(p.SourceArn), "DestinationArn": deref(p.DestinationArn)}}, nil
}

func (s *EC2) cfnDeleteInsightsPath(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteNetworkInsightsPath(ctx, &ec2api.DeleteNetworkInsightsPathRequest{NetworkInsightsPathId: &r.PhysicalID})
	return gone(err)
}
