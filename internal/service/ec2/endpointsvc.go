package ec2

import (
	"fmt"
	"slices"
	"strings"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/lazyre"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/service/ec2/filter"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Endpoint services (PrivateLink) at API level. A provider publishes
// Network (or Gateway) Load Balancers as a service; consumers in any of
// niwa's accounts of the region that its permissions allow create
// interface endpoints to it, which wait in pendingAcceptance until the
// provider accepts them when acceptance is required. The load balancers'
// ARNs are checked for shape only (elbv2 is another service), and no
// traffic flows through the endpoint to them.

// endpointService is a provider's service configuration and permissions.
type endpointService struct {
	Config     ec2api.ServiceConfiguration
	Principals []ec2api.AllowedPrincipal
}

// endpointServiceOwner indexes services by region and id, outside any
// account, so a consumer's CreateVpcEndpoint finds the provider.
type endpointServiceOwner struct{ Account string }

var (
	endpointServices = resource[endpointService]{table: storage.NewTable[endpointService]("vpcesvc"), prefix: "vpce-svc", typ: "vpc-endpoint-service",
		noun: "vpcEndpointService", notFound: code("InvalidVpcEndpointServiceId.NotFound"), tags: func(v *endpointService) *[]ec2api.Tag { return &v.Config.Tags },
		doc: func(v *endpointService) filter.Doc {
			c := &v.Config
			return filter.New(c.Tags).Add("service-name", ptr.Deref(c.ServiceName)).Add("service-id", ptr.Deref(c.ServiceId)).Add("service-state", ptr.Deref(c.ServiceState)).
				Add("supported-ip-address-types", c.SupportedIpAddressTypes...)
		}}
	endpointServiceIndex = storage.NewTable[endpointServiceOwner]("vpcesvcidx")
	// endpointConnections are a service's connections, in the provider's
	// scope, keyed (service id, endpoint id).
	endpointConnections = storage.NewTable[ec2api.VpcEndpointConnection]("vpcesvcconn")
	connNotifications   = resource[ec2api.ConnectionNotification]{table: storage.NewTable[ec2api.ConnectionNotification]("vpcenotify"), prefix: "vpce-nfn",
		typ: "vpc-endpoint-connection-notification", noun: "connectionNotification", notFound: code("InvalidConnectionNotification"),
		tags: func(*ec2api.ConnectionNotification) *[]ec2api.Tag { return &[]ec2api.Tag{} },
		doc: func(v *ec2api.ConnectionNotification) filter.Doc {
			return filter.New(nil).Add("connection-notification-arn", ptr.Deref(v.ConnectionNotificationArn)).Add("connection-notification-id", ptr.Deref(v.ConnectionNotificationId)).
				Add("connection-notification-state", ptr.Deref(v.ConnectionNotificationState)).Add("connection-notification-type", ptr.Deref(v.ConnectionNotificationType)).
				Add("service-id", ptr.Deref(v.ServiceId)).Add("vpc-endpoint-id", ptr.Deref(v.VpcEndpointId))
		}}
)

var (
	lbARN        = lazyre.New(`^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:loadbalancer/(net|gwy)/[A-Za-z0-9-]{1,32}/[0-9a-f]{16}$`)
	principalARN = lazyre.New(`^(\*|arn:aws[a-z-]*:iam::\d{12}:(root|user/.+|role/.+)|arn:aws[a-z-]*:organizations::\d{12}:(organization|ou)/.+|[a-z0-9.-]+\.amazonaws\.com)$`)
)

func checkLBs(arns []string, kind, param string) error {
	for _, a := range arns {
		m := lbARN.FindStringSubmatch(a)
		if m == nil || m[1] != kind {
			return code("InvalidParameter").New("Value (%s) for parameter %s is invalid.", a, param)
		}
	}
	return nil
}

// CreateVpcEndpointServiceConfiguration publishes load balancers as an
// endpoint service.
func (s *EC2) CreateVpcEndpointServiceConfiguration(ctx *request.Context, in *ec2api.CreateVpcEndpointServiceConfigurationRequest) (*ec2api.CreateVpcEndpointServiceConfigurationResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	nlb, gwlb := len(in.NetworkLoadBalancerArns) > 0, len(in.GatewayLoadBalancerArns) > 0
	if nlb == gwlb {
		return nil, errInvalidParameterCombo.New("Specify either NetworkLoadBalancerArns or GatewayLoadBalancerArns, but not both.")
	}
	if err := checkLBs(in.NetworkLoadBalancerArns, "net", "NetworkLoadBalancerArns"); err != nil {
		return nil, err
	}
	if err := checkLBs(in.GatewayLoadBalancerArns, "gwy", "GatewayLoadBalancerArns"); err != nil {
		return nil, err
	}
	ipTypes := in.SupportedIpAddressTypes
	if len(ipTypes) == 0 {
		ipTypes = []string{"ipv4"}
	}
	for _, t := range ipTypes {
		if t != "ipv4" && t != "ipv6" {
			return nil, errInvalidParameterValue.New("Value (%s) for parameter SupportedIpAddressTypes is invalid. Valid values are ipv4, ipv6.", t)
		}
	}
	id := newID("vpce-svc")
	typ := "Interface"
	if gwlb {
		typ = "GatewayLoadBalancer"
	}
	var zs []string
	for _, z := range zones(ctx.Region) {
		zs = append(zs, z.Name)
	}
	c := ec2api.ServiceConfiguration{ServiceId: ptr.To(id), ServiceName: ptr.To("com.amazonaws.vpce." + ctx.Region + "." + id), ServiceState: ptr.To("Available"),
		ServiceType: []ec2api.ServiceTypeDetail{{ServiceType: ptr.To(typ)}}, AvailabilityZones: zs, AcceptanceRequired: ptr.To(ptr.Deref(in.AcceptanceRequired)),
		ManagesVpcEndpoints: ptr.To(false), NetworkLoadBalancerArns: in.NetworkLoadBalancerArns, GatewayLoadBalancerArns: in.GatewayLoadBalancerArns,
		SupportedIpAddressTypes: ipTypes, BaseEndpointDnsNames: []string{id + "." + ctx.Region + ".vpce.amazonaws.com"}, PayerResponsibility: ptr.To("ServiceOwner"),
		Tags: nonNilTags(tagsFor(in.TagSpecifications, "vpc-endpoint-service"))}
	setPrivateDNS(&c, in.PrivateDnsName)
	err := s.store.Update(func(tx storage.Tx) error {
		if err := endpointServiceIndex.Put(tx, storage.Scope{}, endpointServiceOwner{Account: ctx.Account}, ctx.Region, id); err != nil {
			return err
		}
		return endpointServices.put(tx, scope(ctx), id, endpointService{Config: c})
	})
	return answer(&ec2api.CreateVpcEndpointServiceConfigurationResult{ServiceConfiguration: &c, ClientToken: in.ClientToken}, err)
}

// setPrivateDNS sets a service's private DNS name, pending the domain
// ownership check AWS makes through a TXT record.
func setPrivateDNS(c *ec2api.ServiceConfiguration, name *string) {
	if name == nil {
		c.PrivateDnsName, c.PrivateDnsNameConfiguration = nil, nil
		return
	}
	c.PrivateDnsName = ptr.To(*name)
	c.PrivateDnsNameConfiguration = &ec2api.PrivateDnsNameConfiguration{State: ptr.To("pendingVerification"), Type: ptr.To("TXT"),
		Name: ptr.To("_" + strings.ToLower(awsidHex(ptr.Deref(c.ServiceId))[:8])), Value: ptr.To("vpce:" + awsidHex(*name+ptr.Deref(c.ServiceId)))}
}

// awsidHex is a stable hex digest of s (FNV-1a), for names derived from
// ids.
func awsidHex(s string) string {
	var h uint64 = 14695981039346656037
	for _, c := range []byte(s) {
		h = (h ^ uint64(c)) * 1099511628211
	}
	return fmt.Sprintf("%016x%016x", h, h*1099511628211)
}

// DescribeVpcEndpointServiceConfigurations lists the provider's services.
func (s *EC2) DescribeVpcEndpointServiceConfigurations(ctx *request.Context, in *ec2api.DescribeVpcEndpointServiceConfigurationsRequest) (*ec2api.DescribeVpcEndpointServiceConfigurationsResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	list, next, err := describeAs(s, ctx, endpointServices, page{ids: in.ServiceIds, filters: in.Filters, maxResults: in.MaxResults, nextToken: in.NextToken},
		nil, func(v *endpointService) ec2api.ServiceConfiguration { return v.Config })
	return answer(&ec2api.DescribeVpcEndpointServiceConfigurationsResult{ServiceConfigurations: list, NextToken: next}, err)
}

// addRemove adds and removes values of a list, keeping its order.
func addRemove(list, add, remove []string) []string {
	for _, a := range add {
		if !slices.Contains(list, a) {
			list = append(list, a)
		}
	}
	return slices.DeleteFunc(list, func(v string) bool { return slices.Contains(remove, v) })
}

// ModifyVpcEndpointServiceConfiguration changes a service's load
// balancers, acceptance, private DNS name and address types.
func (s *EC2) ModifyVpcEndpointServiceConfiguration(ctx *request.Context, in *ec2api.ModifyVpcEndpointServiceConfigurationRequest) (*ec2api.ModifyVpcEndpointServiceConfigurationResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	if err := checkLBs(in.AddNetworkLoadBalancerArns, "net", "AddNetworkLoadBalancerArns"); err != nil {
		return nil, err
	}
	if err := checkLBs(in.AddGatewayLoadBalancerArns, "gwy", "AddGatewayLoadBalancerArns"); err != nil {
		return nil, err
	}
	if in.PrivateDnsName != nil && ptr.Deref(in.RemovePrivateDnsName) {
		return nil, errInvalidParameterCombo.New("You cannot specify both PrivateDnsName and RemovePrivateDnsName.")
	}
	err := mutate(s, ctx, endpointServices, ptr.Deref(in.ServiceId), func(_ storage.Tx, _ storage.Scope, v *endpointService) error {
		c := &v.Config
		nlbs := addRemove(c.NetworkLoadBalancerArns, in.AddNetworkLoadBalancerArns, in.RemoveNetworkLoadBalancerArns)
		gwlbs := addRemove(c.GatewayLoadBalancerArns, in.AddGatewayLoadBalancerArns, in.RemoveGatewayLoadBalancerArns)
		if len(nlbs) > 0 && len(gwlbs) > 0 || len(nlbs)+len(gwlbs) == 0 {
			return errInvalidParameterValue.New("An endpoint service needs at least one load balancer, all Network or all Gateway Load Balancers.")
		}
		types := addRemove(c.SupportedIpAddressTypes, in.AddSupportedIpAddressTypes, in.RemoveSupportedIpAddressTypes)
		if len(types) == 0 {
			return errInvalidParameterValue.New("An endpoint service needs at least one supported IP address type.")
		}
		for _, t := range types {
			if t != "ipv4" && t != "ipv6" {
				return errInvalidParameterValue.New("Value (%s) for parameter SupportedIpAddressTypes is invalid. Valid values are ipv4, ipv6.", t)
			}
		}
		c.NetworkLoadBalancerArns, c.GatewayLoadBalancerArns, c.SupportedIpAddressTypes = nlbs, gwlbs, types
		if in.AcceptanceRequired != nil {
			c.AcceptanceRequired = ptr.To(*in.AcceptanceRequired)
		}
		if in.PrivateDnsName != nil || ptr.Deref(in.RemovePrivateDnsName) {
			setPrivateDNS(c, in.PrivateDnsName)
		}
		return nil
	})
	return answer(&ec2api.ModifyVpcEndpointServiceConfigurationResult{Return: ptr.To(true)}, err)
}

// ModifyVpcEndpointServicePayerResponsibility: only ServiceOwner is valid.
func (s *EC2) ModifyVpcEndpointServicePayerResponsibility(ctx *request.Context, in *ec2api.ModifyVpcEndpointServicePayerResponsibilityRequest) (*ec2api.ModifyVpcEndpointServicePayerResponsibilityResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	err := mutate(s, ctx, endpointServices, ptr.Deref(in.ServiceId), func(_ storage.Tx, _ storage.Scope, v *endpointService) error {
		v.Config.PayerResponsibility = ptr.To(ptr.Deref(in.PayerResponsibility))
		return nil
	})
	return answer(&ec2api.ModifyVpcEndpointServicePayerResponsibilityResult{ReturnValue: ptr.To(true)}, err)
}

func unsuccessful(id, c, msg string) ec2api.UnsuccessfulItem {
	return ec2api.UnsuccessfulItem{ResourceId: ptr.To(id), Error: &ec2api.UnsuccessfulItemError{Code: ptr.To(c), Message: ptr.To(msg)}}
}

// connectionsOf lists a service's connections.
func connectionsOf(tx storage.Tx, sc storage.Scope, svc string) ([]ec2api.VpcEndpointConnection, error) {
	var out []ec2api.VpcEndpointConnection
	err := endpointConnections.List(tx, sc, []string{svc}, storage.ListOptions{}, func(_ []string, c ec2api.VpcEndpointConnection) bool {
		out = append(out, c)
		return true
	})
	return out, err
}

// DeleteVpcEndpointServiceConfigurations deletes services no endpoint is
// connected to; the others are unsuccessful items.
func (s *EC2) DeleteVpcEndpointServiceConfigurations(ctx *request.Context, in *ec2api.DeleteVpcEndpointServiceConfigurationsRequest) (*ec2api.DeleteVpcEndpointServiceConfigurationsResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	out := &ec2api.DeleteVpcEndpointServiceConfigurationsResult{Unsuccessful: []ec2api.UnsuccessfulItem{}}
	err := s.store.Update(func(tx storage.Tx) error {
		sc := scope(ctx)
		for _, id := range in.ServiceIds {
			if _, ok, err := endpointServices.table.Get(tx, sc, id); err != nil {
				return err
			} else if !ok {
				out.Unsuccessful = append(out.Unsuccessful, unsuccessful(id, "InvalidVpcEndpointService.NotFound", fmt.Sprintf("The Vpc Endpoint Service Id '%s' does not exist", id)))
				continue
			}
			conns, err := connectionsOf(tx, sc, id)
			if err != nil {
				return err
			}
			if slices.ContainsFunc(conns, func(c ec2api.VpcEndpointConnection) bool {
				st := ptr.Deref(c.VpcEndpointState)
				return st == "available" || st == "pendingAcceptance" || st == "pending"
			}) {
				out.Unsuccessful = append(out.Unsuccessful, unsuccessful(id, "ExistingVpcEndpointConnections", fmt.Sprintf("Service %s has existing active VPC Endpoint connections", id)))
				continue
			}
			for _, c := range conns {
				if err := endpointConnections.Delete(tx, sc, id, ptr.Deref(c.VpcEndpointId)); err != nil {
					return err
				}
			}
			if err := endpointServiceIndex.Delete(tx, storage.Scope{}, ctx.Region, id); err != nil {
				return err
			}
			if err := endpointServices.table.Delete(tx, sc, id); err != nil {
				return err
			}
		}
		return nil
	})
	return answer(out, err)
}

// principalType classifies an allowed principal as EC2 does.
func principalType(p string) string {
	switch {
	case p == "*":
		return "All"
	case strings.HasSuffix(p, ":root"):
		return "Account"
	case strings.Contains(p, ":user/"):
		return "User"
	case strings.Contains(p, ":role/"):
		return "Role"
	case strings.Contains(p, ":organizations:"):
		return "OrganizationUnit"
	}
	return "Service"
}

// ModifyVpcEndpointServicePermissions adds and removes the principals
// allowed to connect.
func (s *EC2) ModifyVpcEndpointServicePermissions(ctx *request.Context, in *ec2api.ModifyVpcEndpointServicePermissionsRequest) (*ec2api.ModifyVpcEndpointServicePermissionsResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	for _, p := range append(append([]string{}, in.AddAllowedPrincipals...), in.RemoveAllowedPrincipals...) {
		if !principalARN.MatchString(p) {
			return nil, errInvalidParameterValue.New("The principal '%s' is invalid. Specify an ARN of an account root, user or role, or '*'.", p)
		}
	}
	out := &ec2api.ModifyVpcEndpointServicePermissionsResult{AddedPrincipals: []ec2api.AddedPrincipal{}, ReturnValue: ptr.To(true)}
	err := mutate(s, ctx, endpointServices, ptr.Deref(in.ServiceId), func(_ storage.Tx, _ storage.Scope, v *endpointService) error {
		has := func(p string) bool {
			return slices.ContainsFunc(v.Principals, func(a ec2api.AllowedPrincipal) bool { return ptr.Deref(a.Principal) == p })
		}
		for _, p := range in.RemoveAllowedPrincipals {
			if !has(p) {
				return errInvalidParameterValue.New("The principal '%s' is not allowed on %s.", p, ptr.Deref(in.ServiceId))
			}
		}
		v.Principals = slices.DeleteFunc(v.Principals, func(a ec2api.AllowedPrincipal) bool {
			return slices.Contains(in.RemoveAllowedPrincipals, ptr.Deref(a.Principal))
		})
		for _, p := range in.AddAllowedPrincipals {
			if has(p) {
				continue
			}
			a := ec2api.AllowedPrincipal{Principal: ptr.To(p), PrincipalType: ptr.To(principalType(p)), ServicePermissionId: ptr.To(newID("vpce-svc-perm")),
				ServiceId: in.ServiceId, Tags: []ec2api.Tag{}}
			v.Principals = append(v.Principals, a)
			out.AddedPrincipals = append(out.AddedPrincipals, ec2api.AddedPrincipal{Principal: a.Principal, PrincipalType: a.PrincipalType,
				ServicePermissionId: a.ServicePermissionId, ServiceId: a.ServiceId})
		}
		return nil
	})
	return answer(out, err)
}

// DescribeVpcEndpointServicePermissions lists the allowed principals.
func (s *EC2) DescribeVpcEndpointServicePermissions(ctx *request.Context, in *ec2api.DescribeVpcEndpointServicePermissionsRequest) (*ec2api.DescribeVpcEndpointServicePermissionsResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	doc := func(a *ec2api.AllowedPrincipal) filter.Doc {
		return filter.New(nil).Add("principal", ptr.Deref(a.Principal)).Add("principal-type", ptr.Deref(a.PrincipalType))
	}
	items, next, err := describeMembers(s, ctx, endpointServices, ptr.Deref(in.ServiceId), func(v endpointService) []ec2api.AllowedPrincipal { return v.Principals },
		in.Filters, doc, in.MaxResults, in.NextToken)
	return answer(&ec2api.DescribeVpcEndpointServicePermissionsResult{AllowedPrincipals: items, NextToken: next}, err)
}

// allows reports whether a principal of account may connect: the
// provider itself, or a principal the permissions name ("*", the
// account's root, or any of its users and roles).
func (v *endpointService) allows(provider, account string) bool {
	if account == provider {
		return true
	}
	return slices.ContainsFunc(v.Principals, func(a ec2api.AllowedPrincipal) bool {
		p := ptr.Deref(a.Principal)
		return p == "*" || strings.Contains(p, ":iam::"+account+":")
	})
}

// connectEndpoint connects a consumer's new interface endpoint to a
// provider's service: the service must exist in the region and allow the
// consumer; the endpoint waits for acceptance when the service says so.
func connectEndpoint(tx storage.Tx, ctx *request.Context, ep *ec2api.VpcEndpoint) error {
	name := ptr.Deref(ep.ServiceName)
	id := strings.TrimPrefix(name, "com.amazonaws.vpce."+ctx.Region+".")
	notFound := errServiceNotFound.New("The Vpc Endpoint Service '%s' does not exist", name)
	owner, ok, err := endpointServiceIndex.Get(tx, storage.Scope{}, ctx.Region, id)
	if err != nil {
		return err
	}
	if !ok {
		return notFound
	}
	psc := storage.Scope{Account: owner.Account, Region: ctx.Region}
	svc, ok, err := endpointServices.table.Get(tx, psc, id)
	if err != nil {
		return err
	}
	if !ok || !svc.allows(owner.Account, ctx.Account) {
		return notFound
	}
	if ptr.Deref(svc.Config.ServiceType[0].ServiceType) != ptr.Deref(ep.VpcEndpointType) {
		return code("InvalidVpcEndpointType").New("The Vpc Endpoint Service '%s' does not support %s endpoints.", name, ptr.Deref(ep.VpcEndpointType))
	}
	ep.State = ptr.To("available")
	if ptr.Deref(svc.Config.AcceptanceRequired) {
		ep.State = ptr.To("pendingAcceptance")
	}
	ep.PrivateDnsEnabled = ptr.To(false)
	ep.DnsEntries = []ec2api.DnsEntry{{DnsName: ptr.To(ptr.Deref(ep.VpcEndpointId) + "-" + id + "." + ctx.Region + ".vpce.amazonaws.com"), HostedZoneId: ptr.To("Z7HUB22UULQXV")}}
	conn := ec2api.VpcEndpointConnection{ServiceId: ptr.To(id), VpcEndpointId: ep.VpcEndpointId, VpcEndpointOwner: ptr.To(ctx.Account), VpcEndpointState: ep.State,
		CreationTimestamp: ep.CreationTimestamp, DnsEntries: ep.DnsEntries, NetworkLoadBalancerArns: svc.Config.NetworkLoadBalancerArns,
		GatewayLoadBalancerArns: svc.Config.GatewayLoadBalancerArns, IpAddressType: ptr.To("ipv4"), VpcEndpointConnectionId: ptr.To(newID("vpce-con")), Tags: []ec2api.Tag{}}
	return endpointConnections.Put(tx, psc, conn, id, ptr.Deref(ep.VpcEndpointId))
}

// disconnectEndpoint marks a deleted consumer endpoint's connection
// deleted on the provider's side.
func disconnectEndpoint(tx storage.Tx, region string, ep ec2api.VpcEndpoint) error {
	name := ptr.Deref(ep.ServiceName)
	id, ok := strings.CutPrefix(name, "com.amazonaws.vpce."+region+".")
	if !ok {
		return nil
	}
	owner, ok, err := endpointServiceIndex.Get(tx, storage.Scope{}, region, id)
	if err != nil || !ok {
		return err
	}
	psc := storage.Scope{Account: owner.Account, Region: region}
	c, ok, err := endpointConnections.Get(tx, psc, id, ptr.Deref(ep.VpcEndpointId))
	if err != nil || !ok {
		return err
	}
	c.VpcEndpointState = ptr.To("deleted")
	return endpointConnections.Put(tx, psc, c, id, ptr.Deref(ep.VpcEndpointId))
}

// settleConnections accepts or rejects pending connections of a service,
// and moves the consumers' endpoints along.
func (s *EC2) settleConnections(ctx *request.Context, svc string, ids []string, state string) ([]ec2api.UnsuccessfulItem, error) {
	out := []ec2api.UnsuccessfulItem{}
	err := s.store.Update(func(tx storage.Tx) error {
		sc := scope(ctx)
		if _, err := endpointServices.get(tx, sc, svc); err != nil {
			return err
		}
		for _, id := range ids {
			c, ok, err := endpointConnections.Get(tx, sc, svc, id)
			if err != nil {
				return err
			}
			if !ok {
				out = append(out, unsuccessful(id, "InvalidVpcEndpoint.NotFound", fmt.Sprintf("The Vpc Endpoint Id '%s' does not exist", id)))
				continue
			}
			if st := ptr.Deref(c.VpcEndpointState); st != "pendingAcceptance" && !(state == "rejected" && st == "available") {
				out = append(out, unsuccessful(id, "InvalidVpcEndpointState", fmt.Sprintf("Vpc Endpoint %s is in state %s.", id, st)))
				continue
			}
			c.VpcEndpointState = ptr.To(state)
			if err := endpointConnections.Put(tx, sc, c, svc, id); err != nil {
				return err
			}
			csc := storage.Scope{Account: ptr.Deref(c.VpcEndpointOwner), Region: ctx.Region}
			if ep, ok, err := vpcEndpoints.table.Get(tx, csc, id); err != nil {
				return err
			} else if ok {
				ep.State = ptr.To(state)
				if err := vpcEndpoints.put(tx, csc, id, ep); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return out, err
}

// AcceptVpcEndpointConnections accepts pending endpoints.
func (s *EC2) AcceptVpcEndpointConnections(ctx *request.Context, in *ec2api.AcceptVpcEndpointConnectionsRequest) (*ec2api.AcceptVpcEndpointConnectionsResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	items, err := s.settleConnections(ctx, ptr.Deref(in.ServiceId), in.VpcEndpointIds, "available")
	return answer(&ec2api.AcceptVpcEndpointConnectionsResult{Unsuccessful: items}, err)
}

// RejectVpcEndpointConnections rejects pending (or available) endpoints.
func (s *EC2) RejectVpcEndpointConnections(ctx *request.Context, in *ec2api.RejectVpcEndpointConnectionsRequest) (*ec2api.RejectVpcEndpointConnectionsResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	items, err := s.settleConnections(ctx, ptr.Deref(in.ServiceId), in.VpcEndpointIds, "rejected")
	return answer(&ec2api.RejectVpcEndpointConnectionsResult{Unsuccessful: items}, err)
}

var connectionEvents = []string{"Accept", "Connect", "Delete", "Reject"}

// CreateVpcEndpointConnectionNotification stores a notification for a
// service or an endpoint. niwa keeps it and answers for it; it does not
// publish the notifications to the topic.
func (s *EC2) CreateVpcEndpointConnectionNotification(ctx *request.Context, in *ec2api.CreateVpcEndpointConnectionNotificationRequest) (*ec2api.CreateVpcEndpointConnectionNotificationResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	if (in.ServiceId == nil) == (in.VpcEndpointId == nil) {
		return nil, errInvalidParameterCombo.New("Specify either ServiceId or VpcEndpointId, but not both.")
	}
	if err := checkNotification(ptr.Deref(in.ConnectionNotificationArn), in.ConnectionEvents); err != nil {
		return nil, err
	}
	id := newID("vpce-nfn")
	n := ec2api.ConnectionNotification{ConnectionNotificationId: ptr.To(id), ServiceId: in.ServiceId, VpcEndpointId: in.VpcEndpointId, ConnectionNotificationType: ptr.To("Topic"),
		ConnectionNotificationArn: in.ConnectionNotificationArn, ConnectionEvents: in.ConnectionEvents, ConnectionNotificationState: ptr.To("Enabled")}
	err := s.store.Update(func(tx storage.Tx) error {
		sc := scope(ctx)
		if in.ServiceId != nil {
			if _, err := endpointServices.get(tx, sc, *in.ServiceId); err != nil {
				return err
			}
		} else if ep, err := vpcEndpoints.get(tx, sc, *in.VpcEndpointId); err != nil {
			return err
		} else if ptr.Deref(ep.VpcEndpointType) != "Interface" {
			return errInvalidParameterValue.New("Connection notifications can be created for interface endpoints only.")
		}
		return connNotifications.put(tx, sc, id, n)
	})
	return answer(&ec2api.CreateVpcEndpointConnectionNotificationResult{ConnectionNotification: &n, ClientToken: in.ClientToken}, err)
}

var snsARN = lazyre.New(`^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$`)

func checkNotification(arn string, events []string) error {
	if arn != "" && !snsARN.MatchString(arn) {
		return errInvalidParameterValue.New("Value (%s) for parameter ConnectionNotificationArn is invalid. It must be the ARN of an SNS topic.", arn)
	}
	for _, e := range events {
		if !slices.Contains(connectionEvents, e) {
			return errInvalidParameterValue.New("Value (%s) for parameter ConnectionEvents is invalid. Valid values are Accept, Connect, Delete, Reject.", e)
		}
	}
	return nil
}

// ModifyVpcEndpointConnectionNotification changes its topic or events.
func (s *EC2) ModifyVpcEndpointConnectionNotification(ctx *request.Context, in *ec2api.ModifyVpcEndpointConnectionNotificationRequest) (*ec2api.ModifyVpcEndpointConnectionNotificationResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	if err := checkNotification(ptr.Deref(in.ConnectionNotificationArn), in.ConnectionEvents); err != nil {
		return nil, err
	}
	err := mutate(s, ctx, connNotifications, ptr.Deref(in.ConnectionNotificationId), func(_ storage.Tx, _ storage.Scope, n *ec2api.ConnectionNotification) error {
		if in.ConnectionNotificationArn != nil {
			n.ConnectionNotificationArn = ptr.To(*in.ConnectionNotificationArn)
		}
		if len(in.ConnectionEvents) > 0 {
			n.ConnectionEvents = in.ConnectionEvents
		}
		return nil
	})
	return answer(&ec2api.ModifyVpcEndpointConnectionNotificationResult{ReturnValue: ptr.To(true)}, err)
}

// DescribeVpcEndpointConnectionNotifications lists notifications.
func (s *EC2) DescribeVpcEndpointConnectionNotifications(ctx *request.Context, in *ec2api.DescribeVpcEndpointConnectionNotificationsRequest) (*ec2api.DescribeVpcEndpointConnectionNotificationsResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	var ids []string
	if in.ConnectionNotificationId != nil {
		ids = []string{*in.ConnectionNotificationId}
	}
	recs, next, err := describe(s, ctx, connNotifications, page{ids: ids, filters: in.Filters, maxResults: in.MaxResults, nextToken: in.NextToken}, nil)
	return answer(&ec2api.DescribeVpcEndpointConnectionNotificationsResult{ConnectionNotificationSet: orEmpty(recs), NextToken: next}, err)
}

// DeleteVpcEndpointConnectionNotifications deletes notifications.
func (s *EC2) DeleteVpcEndpointConnectionNotifications(ctx *request.Context, in *ec2api.DeleteVpcEndpointConnectionNotificationsRequest) (*ec2api.DeleteVpcEndpointConnectionNotificationsResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	out := &ec2api.DeleteVpcEndpointConnectionNotificationsResult{Unsuccessful: []ec2api.UnsuccessfulItem{}}
	err := s.store.Update(func(tx storage.Tx) error {
		for _, id := range in.ConnectionNotificationIds {
			gone, err := connNotifications.table.DeleteExisting(tx, scope(ctx), id)
			if err != nil {
				return err
			}
			if !gone {
				out.Unsuccessful = append(out.Unsuccessful, unsuccessful(id, "InvalidConnectionNotification", fmt.Sprintf("The connection notification '%s' does not exist", id)))
			}
		}
		return nil
	})
	return answer(out, err)
}

// visibleEndpointServices are the providers' services of the region the
// caller may connect to (its own included), as DescribeVpcEndpointServices
// lists them after AWS's.
func (s *EC2) visibleEndpointServices(ctx *request.Context) ([]ec2api.ServiceDetail, error) {
	var out []ec2api.ServiceDetail
	err := s.store.View(func(tx storage.Tx) error {
		var owners []struct{ id, account string }
		err := endpointServiceIndex.List(tx, storage.Scope{}, []string{ctx.Region}, storage.ListOptions{}, func(k []string, o endpointServiceOwner) bool {
			owners = append(owners, struct{ id, account string }{k[len(k)-1], o.Account})
			return true
		})
		if err != nil {
			return err
		}
		for _, o := range owners {
			v, ok, err := endpointServices.table.Get(tx, storage.Scope{Account: o.account, Region: ctx.Region}, o.id)
			if err != nil {
				return err
			}
			if !ok || !v.allows(o.account, ctx.Account) {
				continue
			}
			c := v.Config
			d := ec2api.ServiceDetail{ServiceName: c.ServiceName, ServiceId: c.ServiceId, ServiceType: c.ServiceType, AvailabilityZones: c.AvailabilityZones,
				Owner: ptr.To(o.account), BaseEndpointDnsNames: c.BaseEndpointDnsNames, PrivateDnsName: c.PrivateDnsName, VpcEndpointPolicySupported: ptr.To(false),
				AcceptanceRequired: c.AcceptanceRequired, ManagesVpcEndpoints: ptr.To(false), PayerResponsibility: c.PayerResponsibility, Tags: c.Tags,
				SupportedIpAddressTypes: c.SupportedIpAddressTypes, PrivateDnsNames: []ec2api.PrivateDnsDetails{}}
			if c.PrivateDnsNameConfiguration != nil {
				d.PrivateDnsNameVerificationState = c.PrivateDnsNameConfiguration.State
				d.PrivateDnsNames = []ec2api.PrivateDnsDetails{{PrivateDnsName: c.PrivateDnsName}}
			}
			out = append(out, d)
		}
		return nil
	})
	return out, err
}
