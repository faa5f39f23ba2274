package ec2

import (
	"testing"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

func TestEndpointServices(t *testing.T) {
	f := newFixture(t, "us-east-1")
	consumer := *f.ctx
	consumer.Account = "210987654321"
	const nlb = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/api/0123456789abcdef"

	errs := []struct {
		name string
		in   ec2api.CreateVpcEndpointServiceConfigurationRequest
		code string
	}{
		{"no load balancer", ec2api.CreateVpcEndpointServiceConfigurationRequest{}, "InvalidParameterCombination"},
		{"application load balancer", ec2api.CreateVpcEndpointServiceConfigurationRequest{NetworkLoadBalancerArns: []string{"arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/api/0123456789abcdef"}}, "InvalidParameter"},
		{"bad address type", ec2api.CreateVpcEndpointServiceConfigurationRequest{NetworkLoadBalancerArns: []string{nlb}, SupportedIpAddressTypes: []string{"ipx"}}, "InvalidParameterValue"},
	}
	for _, c := range errs {
		t.Run(c.name, func(t *testing.T) {
			_, err := f.CreateVpcEndpointServiceConfiguration(f.ctx, &c.in)
			wantErr(t, err, c.code, "")
		})
	}
	svc := must(f.CreateVpcEndpointServiceConfiguration(f.ctx, &ec2api.CreateVpcEndpointServiceConfigurationRequest{NetworkLoadBalancerArns: []string{nlb},
		AcceptanceRequired: ptr.To(true), PrivateDnsName: ptr.To("api.example.com")})).ServiceConfiguration
	id, name := ptr.Deref(svc.ServiceId), ptr.Deref(svc.ServiceName)
	if name != "com.amazonaws.vpce.us-east-1."+id || ptr.Deref(svc.ServiceState) != "Available" || ptr.Deref(svc.PrivateDnsNameConfiguration.State) != "pendingVerification" {
		t.Fatalf("service %+v", svc)
	}

	// The consumer does not see the service until it is allowed.
	vpc := must(f.CreateVpc(&consumer, &ec2api.CreateVpcRequest{CidrBlock: ptr.To("10.80.0.0/16")})).Vpc.VpcId
	sub := must(f.CreateSubnet(&consumer, &ec2api.CreateSubnetRequest{VpcId: vpc, CidrBlock: ptr.To("10.80.1.0/24")})).Subnet.SubnetId
	endpoint := func() (*ec2api.VpcEndpoint, error) {
		out, err := f.CreateVpcEndpoint(&consumer, &ec2api.CreateVpcEndpointRequest{VpcId: vpc, ServiceName: ptr.To(name), VpcEndpointType: ptr.To("Interface"), SubnetIds: []string{*sub}})
		if err != nil {
			return nil, err
		}
		return out.VpcEndpoint, nil
	}
	_, err := f.DescribeVpcEndpointServices(&consumer, &ec2api.DescribeVpcEndpointServicesRequest{ServiceNames: []string{name}})
	wantErr(t, err, "InvalidServiceName", "")
	_, err = endpoint()
	wantErr(t, err, "InvalidServiceName", "")
	added := must(f.ModifyVpcEndpointServicePermissions(f.ctx, &ec2api.ModifyVpcEndpointServicePermissionsRequest{ServiceId: ptr.To(id), AddAllowedPrincipals: []string{"arn:aws:iam::210987654321:root"}}))
	if len(added.AddedPrincipals) != 1 || ptr.Deref(added.AddedPrincipals[0].PrincipalType) != "Account" {
		t.Fatalf("added %+v", added.AddedPrincipals)
	}
	_, err = f.ModifyVpcEndpointServicePermissions(f.ctx, &ec2api.ModifyVpcEndpointServicePermissionsRequest{ServiceId: ptr.To(id), AddAllowedPrincipals: []string{"someone"}})
	wantErr(t, err, "InvalidParameterValue", "")
	if d := must(f.DescribeVpcEndpointServices(&consumer, &ec2api.DescribeVpcEndpointServicesRequest{ServiceNames: []string{name}})).ServiceDetails; len(d) != 1 || ptr.Deref(d[0].Owner) != testAccount {
		t.Fatalf("consumer sees %+v", d)
	}
	ep := must(endpoint())
	if ptr.Deref(ep.State) != "pendingAcceptance" || len(ep.NetworkInterfaceIds) != 1 {
		t.Fatalf("endpoint %+v", ep)
	}
	conns := must(f.DescribeVpcEndpointConnections(f.ctx, &ec2api.DescribeVpcEndpointConnectionsRequest{Filters: []ec2api.Filter{{Name: ptr.To("vpc-endpoint-state"), Values: []string{"pendingAcceptance"}}}})).VpcEndpointConnections
	if len(conns) != 1 || ptr.Deref(conns[0].VpcEndpointOwner) != "210987654321" || ptr.Deref(conns[0].VpcEndpointId) != ptr.Deref(ep.VpcEndpointId) {
		t.Fatalf("connections %+v", conns)
	}
	acc := must(f.AcceptVpcEndpointConnections(f.ctx, &ec2api.AcceptVpcEndpointConnectionsRequest{ServiceId: ptr.To(id), VpcEndpointIds: []string{*ep.VpcEndpointId, "vpce-0123456789abcdef0"}}))
	if len(acc.Unsuccessful) != 1 || ptr.Deref(acc.Unsuccessful[0].ResourceId) != "vpce-0123456789abcdef0" {
		t.Fatalf("accept %+v", acc.Unsuccessful)
	}
	if st := ptr.Deref(must(f.DescribeVpcEndpoints(&consumer, &ec2api.DescribeVpcEndpointsRequest{VpcEndpointIds: []string{*ep.VpcEndpointId}})).VpcEndpoints[0].State); st != "available" {
		t.Fatalf("consumer's endpoint after accept: %s", st)
	}
	del := must(f.DeleteVpcEndpointServiceConfigurations(f.ctx, &ec2api.DeleteVpcEndpointServiceConfigurationsRequest{ServiceIds: []string{id}}))
	if len(del.Unsuccessful) != 1 || ptr.Deref(del.Unsuccessful[0].Error.Code) != "ExistingVpcEndpointConnections" {
		t.Fatalf("delete with a connection %+v", del.Unsuccessful)
	}

	// Notifications and configuration changes.
	n := must(f.CreateVpcEndpointConnectionNotification(f.ctx, &ec2api.CreateVpcEndpointConnectionNotificationRequest{ServiceId: ptr.To(id),
		ConnectionNotificationArn: ptr.To("arn:aws:sns:us-east-1:123456789012:endpoints"), ConnectionEvents: []string{"Connect", "Accept"}})).ConnectionNotification
	_, err = f.CreateVpcEndpointConnectionNotification(f.ctx, &ec2api.CreateVpcEndpointConnectionNotificationRequest{ServiceId: ptr.To(id),
		ConnectionNotificationArn: ptr.To("arn:aws:sns:us-east-1:123456789012:endpoints"), ConnectionEvents: []string{"Explode"}})
	wantErr(t, err, "InvalidParameterValue", "")
	must(f.ModifyVpcEndpointConnectionNotification(f.ctx, &ec2api.ModifyVpcEndpointConnectionNotificationRequest{ConnectionNotificationId: n.ConnectionNotificationId, ConnectionEvents: []string{"Reject"}}))
	ns := must(f.DescribeVpcEndpointConnectionNotifications(f.ctx, &ec2api.DescribeVpcEndpointConnectionNotificationsRequest{})).ConnectionNotificationSet
	if len(ns) != 1 || len(ns[0].ConnectionEvents) != 1 || ns[0].ConnectionEvents[0] != "Reject" {
		t.Fatalf("notifications %+v", ns)
	}
	must(f.ModifyVpcEndpointServiceConfiguration(f.ctx, &ec2api.ModifyVpcEndpointServiceConfigurationRequest{ServiceId: ptr.To(id), AcceptanceRequired: ptr.To(false), RemovePrivateDnsName: ptr.To(true)}))
	_, err = f.ModifyVpcEndpointServiceConfiguration(f.ctx, &ec2api.ModifyVpcEndpointServiceConfigurationRequest{ServiceId: ptr.To(id), RemoveNetworkLoadBalancerArns: []string{nlb}})
	wantErr(t, err, "InvalidParameterValue", "")
	cfg := must(f.DescribeVpcEndpointServiceConfigurations(f.ctx, &ec2api.DescribeVpcEndpointServiceConfigurationsRequest{ServiceIds: []string{id}})).ServiceConfigurations[0]
	if ptr.Deref(cfg.AcceptanceRequired) || cfg.PrivateDnsName != nil {
		t.Fatalf("modified configuration %+v", cfg)
	}
	// A second endpoint is available at once; rejecting it moves the
	// consumer's endpoint too. Deleting the endpoints frees the service.
	ep2 := must(endpoint())
	if ptr.Deref(ep2.State) != "available" {
		t.Fatalf("second endpoint %+v", ep2)
	}
	must(f.RejectVpcEndpointConnections(f.ctx, &ec2api.RejectVpcEndpointConnectionsRequest{ServiceId: ptr.To(id), VpcEndpointIds: []string{*ep2.VpcEndpointId}}))
	if st := ptr.Deref(must(f.DescribeVpcEndpoints(&consumer, &ec2api.DescribeVpcEndpointsRequest{VpcEndpointIds: []string{*ep2.VpcEndpointId}})).VpcEndpoints[0].State); st != "rejected" {
		t.Fatalf("rejected endpoint: %s", st)
	}
	must(f.DeleteVpcEndpoints(&consumer, &ec2api.DeleteVpcEndpointsRequest{VpcEndpointIds: []string{*ep.VpcEndpointId, *ep2.VpcEndpointId}}))
	must(f.DeleteVpcEndpointConnectionNotifications(f.ctx, &ec2api.DeleteVpcEndpointConnectionNotificationsRequest{ConnectionNotificationIds: []string{*n.ConnectionNotificationId}}))
	if del := must(f.DeleteVpcEndpointServiceConfigurations(f.ctx, &ec2api.DeleteVpcEndpointServiceConfigurationsRequest{ServiceIds: []string{id}})); len(del.Unsuccessful) != 0 {
		t.Fatalf("delete %+v", del.Unsuccessful)
	}
	_, err = f.DescribeVpcEndpointServices(f.ctx, &ec2api.DescribeVpcEndpointServicesRequest{ServiceNames: []string{name}})
	wantErr(t, err, "InvalidServiceName", "")
}
