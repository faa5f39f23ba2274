package server

import (
	"errors"
	"strings"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/authz"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/service/ec2"
)

// Resource tag lookups (authz.ResourceTagger) for the services that keep
// tags: each reads the tags through the service's own read-only listing
// operation, in the account and region the ARN names, so authz never
// reaches into a service. A resource the service does not know (an
// AWS error from the listing) has no tags: the handler answers the
// request's own NotFound after authorization.

// tagLookup adapts a function to authz.ResourceTagger.
type tagLookup func(ctx *request.Context, arn string) (map[string]string, bool, error)

func (f tagLookup) ResourceTags(ctx *request.Context, arn string) (map[string]string, bool, error) {
	return f(ctx, arn)
}

// arnScope is ctx moved to the account and region of arn, with the ARN's
// resource part.
func arnScope(ctx *request.Context, arn string) (*request.Context, string, bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return nil, "", false
	}
	c := *ctx
	if parts[4] != "" {
		c.Account = parts[4]
	}
	if parts[3] != "" {
		c.Region = parts[3]
	}
	return &c, parts[5], true
}

// tagMap turns a service's list of tags into a map.
func tagMap[T any](list []T, kv func(T) (*string, *string)) map[string]string {
	m := make(map[string]string, len(list))
	for _, t := range list {
		k, v := kv(t)
		m[ptr.Deref(k)] = ptr.Deref(v)
	}
	return m
}

// notFound turns a service's AWS error into "no such resource".
func notFound(err error) (map[string]string, bool, error) {
	var ae *awserr.Error
	if errors.As(err, &ae) {
		return nil, false, nil
	}
	return nil, false, err
}

// vpcEndpointsOf is EC2 as the authorizer asks it for VPC endpoints (nil
// when EC2 is not wired).
func vpcEndpointsOf(d *deps) authz.VPCEndpoints {
	if d.ec2 == nil {
		return nil
	}
	return ec2Endpoints{d.ec2}
}

// ec2Endpoints finds a VPC's endpoint for a service through EC2's own
// describe operations.
type ec2Endpoints struct{ ec2 *ec2.EC2 }

func (e ec2Endpoints) EndpointFor(ctx *request.Context, account, region, vpcID string, subnetIDs []string, serviceName string) (authz.Endpoint, bool, error) {
	c := *ctx
	c.Account, c.Region = account, region
	filter := func(name string, values ...string) ec2api.Filter { return ec2api.Filter{Name: &name, Values: values} }
	eps, err := e.ec2.DescribeVpcEndpoints(&c, &ec2api.DescribeVpcEndpointsRequest{Filters: []ec2api.Filter{
		filter("vpc-id", vpcID), filter("service-name", serviceName), filter("vpc-endpoint-state", "available")}})
	if err != nil || len(eps.VpcEndpoints) == 0 {
		return authz.Endpoint{}, false, nil
	}
	// The route tables the subnets use: their explicit association, else
	// the VPC's main route table.
	rts, err := e.ec2.DescribeRouteTables(&c, &ec2api.DescribeRouteTablesRequest{Filters: []ec2api.Filter{filter("vpc-id", vpcID)}})
	if err != nil {
		return authz.Endpoint{}, false, nil
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
	for _, s := range subnetIDs {
		if rt, ok := explicit[s]; ok {
			used[rt] = true
		} else if main != "" {
			used[main] = true
		}
	}
	for _, ep := range eps.VpcEndpoints {
		if ptr.Deref(ep.VpcEndpointType) == "Gateway" {
			for _, rt := range ep.RouteTableIds {
				if used[rt] {
					return authz.Endpoint{ID: ptr.Deref(ep.VpcEndpointId), Policy: ptr.Deref(ep.PolicyDocument)}, true, nil
				}
			}
		}
	}
	for _, ep := range eps.VpcEndpoints {
		if t := ptr.Deref(ep.VpcEndpointType); t == "Interface" || t == "GatewayLoadBalancer" {
			return authz.Endpoint{ID: ptr.Deref(ep.VpcEndpointId), Policy: ptr.Deref(ep.PolicyDocument)}, true, nil
		}
	}
	return authz.Endpoint{}, false, nil
}
