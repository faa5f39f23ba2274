package ec2

import (
	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
)

// VPCEndpointFor finds the endpoint through which code in subnetIDs of
// vpcID (account, region) reaches serviceName (com.amazonaws.<region>.<svc>):
// a gateway endpoint on a route table the subnets use (their explicit
// association, else the VPC's main table), else an interface endpoint.
// It reads through EC2's own describe operations; ok is false when there
// is none (or the VPC is unknown).
func (s *EC2) VPCEndpointFor(ctx *request.Context, account, region, vpcID string, subnetIDs []string, serviceName string) (id, policy string, ok bool) {
	c := *ctx
	c.Account, c.Region = account, region
	filter := func(name string, values ...string) ec2api.Filter { return ec2api.Filter{Name: &name, Values: values} }
	eps, err := s.DescribeVpcEndpoints(&c, &ec2api.DescribeVpcEndpointsRequest{Filters: []ec2api.Filter{
		filter("vpc-id", vpcID), filter("service-name", serviceName), filter("vpc-endpoint-state", "available")}})
	if err != nil || len(eps.VpcEndpoints) == 0 {
		return "", "", false
	}
	// The route tables the subnets use: their explicit association, else
	// the VPC's main route table.
	rts, err := s.DescribeRouteTables(&c, &ec2api.DescribeRouteTablesRequest{Filters: []ec2api.Filter{filter("vpc-id", vpcID)}})
	if err != nil {
		return "", "", false
	}
	explicit, main := map[string]string{}, ""
	for _, rt := range rts.RouteTables {
		for _, as := range rt.Associations {
			switch {
			case as.Main != nil && *as.Main:
				main = ptr.Deref(rt.RouteTableId)
			case as.SubnetId != nil:
				explicit[*as.SubnetId] = ptr.Deref(rt.RouteTableId)
			}
		}
	}
	used := map[string]bool{}
	for _, sn := range subnetIDs {
		if rt, ok := explicit[sn]; ok {
			used[rt] = true
		} else if main != "" {
			used[main] = true
		}
	}
	for _, ep := range eps.VpcEndpoints {
		if ptr.Deref(ep.VpcEndpointType) == "Gateway" {
			for _, rt := range ep.RouteTableIds {
				if used[rt] {
					return ptr.Deref(ep.VpcEndpointId), ptr.Deref(ep.PolicyDocument), true
				}
			}
		}
	}
	for _, ep := range eps.VpcEndpoints {
		// An interface endpoint carries the service's requests only when
		// its private DNS name answers for the service's own host name.
		if t := ptr.Deref(ep.VpcEndpointType); (t == "Interface" && ptr.Deref(ep.PrivateDnsEnabled)) || t == "GatewayLoadBalancer" {
			return ptr.Deref(ep.VpcEndpointId), ptr.Deref(ep.PolicyDocument), true
		}
	}
	return "", "", false
}
