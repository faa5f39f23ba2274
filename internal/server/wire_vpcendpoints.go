package server

import (
	"github.com/niwa-cloud/niwa/internal/authz"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/service/ec2"
)

// vpcEndpointsOf is EC2 as the authorizer asks it for VPC endpoints (nil
// when EC2 is not wired).
func vpcEndpointsOf(d *deps) authz.VPCEndpoints {
	if d.ec2 == nil {
		return nil
	}
	return ec2Endpoints{d.ec2}
}

// ec2Endpoints adapts EC2's VPCEndpointFor to authz.VPCEndpoints.
type ec2Endpoints struct{ ec2 *ec2.EC2 }

func (e ec2Endpoints) EndpointFor(ctx *request.Context, account, region, vpcID string, subnetIDs []string, serviceName string) (authz.Endpoint, bool, error) {
	id, policy, ok := e.ec2.VPCEndpointFor(ctx, account, region, vpcID, subnetIDs, serviceName)
	return authz.Endpoint{ID: id, Policy: policy}, ok, nil
}
