package apigatewayv2

import (
	apigatewayv2api "github.com/niwa-cloud/niwa/internal/api/apigatewayv2"
	"github.com/niwa-cloud/niwa/internal/kit"
)

// Build makes the service from what the platform gives it (without
// Lambda, logs or signatures: internal/server wires those).
func Build(d kit.Deps) (kit.Declaration, error) {
	return New(Options{Store: d.Store, Clock: d.Clock, Log: d.Log}).Declare(), nil
}

// Declare is API Gateway V2 as the platform sees it: each control-plane
// operation is authorized as AWS does, apigateway:<HTTP verb> (GET,
// POST, PUT, PATCH, DELETE) on the ARN of the path it calls without the
// /v2 prefix (arn:aws:apigateway:<region>::/apis/<id>/...; Service
// Authorization Reference, "Amazon API Gateway Management V2"), and the
// invoke URLs of HTTP APIs are a raw route answered by the data plane
// (invoke.go).
func (s *APIGatewayV2) Declare() kit.Declaration {
	return kit.Declaration{
		Impl:      s,
		Namespace: "apigateway",
		Authz:     kit.PathAuthz(apigatewayv2api.Spec().Model, "/v2", pathARN),
		Audit:     kit.Audit{ReadOnly: kit.Set("ExportApi")},
		Tags:      kit.TagLookup(s.resourceTags),
		Routes: []kit.Route{
			{Name: "apigatewayv2-invoke", Match: s.isInvoke, Handler: s.invokeHandler()},
		},
		Names:     s.OwnsName,
		EachName:  s.EachName,
		Resources: s.cfnResources(), // CloudFormation (cfn.go)
		Reset:     s.Reset,
		Close:     s.Close,
		NotImplemented: kit.Reasons{}.Add("VPC links reach private load balancers and Cloud Map services through "+
			"AWS-managed network interfaces; niwa's HTTP proxy integrations call the target's URL directly",
			"CreateVpcLink", "GetVpcLink", "GetVpcLinks", "UpdateVpcLink", "DeleteVpcLink"),
	}
}

// pathARN is the ARN of an API Gateway path: arn:aws:apigateway:<region>::<path>.
func pathARN(env kit.Env, path string) string {
	return "arn:aws:apigateway:" + env.Region + "::" + path
}

func isNotFound(err error) bool { return apigatewayv2api.ErrNotFoundException.Is(err) }
