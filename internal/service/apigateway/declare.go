package apigateway

import (
	"github.com/niwa-cloud/niwa/internal/kit"
)

// Declare is API Gateway as the platform sees it: its control-plane
// operations are authorized as apigateway:<Operation> on "*" for now
// (AWS authorizes apigateway:GET/POST/... on resource paths; not yet
// modelled), and its invoke URLs are raw routes answered by the data
// plane (invoke.go).
func (s *APIGateway) Declare() kit.Declaration {
	return kit.Declaration{
		Impl:      s,
		Namespace: "apigateway",
		Routes: []kit.Route{
			{Name: "apigateway-invoke", Match: isInvoke, Handler: s.invokeHandler()},
		},
	}
}
