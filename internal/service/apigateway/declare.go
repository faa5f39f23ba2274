package apigateway

import (
	apigatewayapi "github.com/niwa-cloud/niwa/internal/api/apigateway"
	"github.com/niwa-cloud/niwa/internal/kit"
)

// Declare is API Gateway as the platform sees it: each control-plane
// operation is authorized as AWS does, apigateway:<HTTP verb> (GET, POST,
// PUT, PATCH, DELETE) on the ARN of the path it calls
// (arn:aws:apigateway:<region>::/restapis/<id>/...; Service
// Authorization Reference, "Amazon API Gateway Management"), and its
// invoke URLs are raw routes answered by the data plane (invoke.go).
func (s *APIGateway) Declare() kit.Declaration {
	return kit.Declaration{
		Impl:      s,
		Namespace: "apigateway",
		Authz:     kit.PathAuthz(apigatewayapi.Spec().Model, "", pathARN),
		Routes: []kit.Route{
			{Name: "apigateway-invoke", Match: s.isInvoke, Handler: s.invokeHandler()},
		},
		Reset:     s.Reset,
		Names:     s.OwnsName,
		EachName:  s.EachName,
		Resources: s.cfnResources(),
		NotImplemented: kit.Reasons{}.Add("SDK generation runs AWS's code generators (Java, JavaScript, "+
			"Android, iOS, Ruby) over the API; niwa does not ship them, and clients call a stage's invoke URL directly",
			"GetSdk", "GetSdkType", "GetSdkTypes"),
	}
}

// pathARN is the ARN of an API Gateway path: arn:aws:apigateway:<region>::<path>.
func pathARN(env kit.Env, path string) string {
	return "arn:aws:apigateway:" + env.Region + "::" + path
}
