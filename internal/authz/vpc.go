package authz

import (
	"github.com/niwa-cloud/niwa/internal/iam"
	"github.com/niwa-cloud/niwa/internal/request"
)

// VPCEndpoints finds the VPC endpoint through which a request from
// inside a VPC reaches a service (EC2 supplies it): a Gateway endpoint
// associated with the route table of one of the subnets, or an
// Interface endpoint in the VPC. ok is false when there is none: the
// request then takes the public path.
type VPCEndpoints interface {
	EndpointFor(ctx *request.Context, account, region, vpcID string, subnetIDs []string, serviceName string) (Endpoint, bool, error)
}

// Endpoint is a VPC endpoint as authorization sees it.
type Endpoint struct {
	ID string
	// Policy is the endpoint policy (JSON), which must allow the request
	// too ("" allows everything).
	Policy string
}

// EndpointServiceName is the VPC endpoint service name of a service in a
// region, com.amazonaws.<region>.<name>: name is the service's own, or
// what it declares (kit.Routing.VPCEndpointService: CloudWatch's is
// "monitoring").
func EndpointServiceName(name, region string) string {
	return "com.amazonaws." + region + "." + name
}

// VPCContext is aws:SourceVpc and aws:SourceVpce of a request that came
// through endpoint vpce of VPC vpc ("" when it did not: neither key is
// present). AWS leaves aws:SourceIp out of such requests (the address
// is private), so callers drop it when these keys are set.
func VPCContext(vpc, vpce string) iam.Context {
	c := iam.Context{}
	if vpce == "" {
		return c
	}
	c.Set("aws:SourceVpc", vpc)
	c.Set("aws:SourceVpce", vpce)
	return c
}
