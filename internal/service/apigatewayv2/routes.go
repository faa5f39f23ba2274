package apigatewayv2

import (
	"strings"

	apigatewayv2api "github.com/niwa-cloud/niwa/internal/api/apigatewayv2"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
)

// checkRoute refuses a route API Gateway refuses: a key that does not
// parse (HTTP APIs) or that another route has, a target that is no
// integration of the API, an authorizer that does not fit the
// authorization type.
func checkRoute(a *httpAPI, r apigatewayv2api.Route) error {
	key := ptr.Deref(r.RouteKey)
	if a.isHTTP() {
		if _, err := parseRouteKey(key); err != nil {
			return badRequest("Unable to create route %s: %s", key, err)
		}
	} else if key == "" {
		return badRequest("RouteKey must not be empty")
	}
	for id, other := range a.Routes {
		if id != ptr.Deref(r.RouteId) && ptr.Deref(other.RouteKey) == key {
			return conflict("Route with key %s already exists for this API", key)
		}
	}
	if t := ptr.Deref(r.Target); t != "" {
		integ, ok := strings.CutPrefix(t, "integrations/")
		if _, found := a.Integrations[integ]; !ok || !found {
			return badRequest("Invalid target %s: a target is integrations/<IntegrationId> of an integration of this API", t)
		}
	}
	typ := ptr.Deref(r.AuthorizationType)
	switch typ {
	case "", "NONE", "AWS_IAM":
		if r.AuthorizerId != nil && *r.AuthorizerId != "" {
			return badRequest("AuthorizerId can only be set for authorization type JWT or CUSTOM")
		}
	case "JWT", "CUSTOM":
		au, ok := a.Authorizers[ptr.Deref(r.AuthorizerId)]
		if !ok {
			return badRequest("Invalid authorizer id specified: %s", ptr.Deref(r.AuthorizerId))
		}
		want := map[string]string{"JWT": "JWT", "CUSTOM": "REQUEST"}[typ]
		if ptr.Deref(au.AuthorizerType) != want {
			return badRequest("Authorization type %s needs an authorizer of type %s", typ, want)
		}
	}
	if len(r.AuthorizationScopes) > 0 && typ != "JWT" {
		return badRequest("AuthorizationScopes are only supported for JWT authorizers")
	}
	if !a.isHTTP() && typ == "JWT" {
		return badRequest("JWT authorizers are only supported for HTTP APIs")
	}
	if a.isHTTP() && ptr.Deref(r.ApiKeyRequired) {
		return badRequest("API keys are not supported for HTTP APIs")
	}
	return nil
}

func (s *APIGatewayV2) CreateRoute(ctx *request.Context, in *apigatewayv2api.CreateRouteRequest) (*apigatewayv2api.CreateRouteResult, error) {
	r := *convert[apigatewayv2api.Route](in)
	r.RouteId = ptr.To(newID(7))
	if r.AuthorizationType == nil {
		r.AuthorizationType = ptr.To("NONE")
	}
	if r.ApiKeyRequired == nil {
		r.ApiKeyRequired = ptr.To(false)
	}
	err := s.update(ctx, ptr.Deref(in.ApiId), true, func(a *httpAPI) error {
		if err := checkRoute(a, r); err != nil {
			return err
		}
		a.Routes[*r.RouteId] = r
		return nil
	})
	if err != nil {
		return nil, err
	}
	return convert[apigatewayv2api.CreateRouteResult](r), nil
}

func (s *APIGatewayV2) GetRoute(ctx *request.Context, in *apigatewayv2api.GetRouteRequest) (*apigatewayv2api.GetRouteResult, error) {
	r, err := routeMembers.get(s, ctx, ptr.Deref(in.ApiId), "", ptr.Deref(in.RouteId))
	if err != nil {
		return nil, err
	}
	return convert[apigatewayv2api.GetRouteResult](r), nil
}

func (s *APIGatewayV2) GetRoutes(ctx *request.Context, in *apigatewayv2api.GetRoutesRequest) (*apigatewayv2api.GetRoutesResponse, error) {
	items, next, err := routeMembers.list(s, ctx, ptr.Deref(in.ApiId), "", in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	return &apigatewayv2api.GetRoutesResponse{Items: items, NextToken: next}, nil
}

func (s *APIGatewayV2) UpdateRoute(ctx *request.Context, in *apigatewayv2api.UpdateRouteRequest) (*apigatewayv2api.UpdateRouteResult, error) {
	out, err := routeMembers.edit(s, ctx, ptr.Deref(in.ApiId), "", ptr.Deref(in.RouteId), func(a *httpAPI, r *apigatewayv2api.Route) error {
		if ptr.Deref(r.ApiGatewayManaged) {
			return badRequest("Cannot update a route managed by API Gateway: update the API (its RouteKey or Target) instead")
		}
		fill(r, in)
		// Switching to an authorization type without an authorizer drops
		// the authorizer (and scopes), as the console does.
		if t := ptr.Deref(in.AuthorizationType); (t == "NONE" || t == "AWS_IAM") && in.AuthorizerId == nil {
			r.AuthorizerId, r.AuthorizationScopes = nil, nil
		}
		return checkRoute(a, *r)
	})
	if err != nil {
		return nil, err
	}
	return convert[apigatewayv2api.UpdateRouteResult](out), nil
}

func (s *APIGatewayV2) DeleteRoute(ctx *request.Context, in *apigatewayv2api.DeleteRouteRequest) (*apigatewayv2api.DeleteRouteOutput, error) {
	err := routeMembers.remove(s, ctx, ptr.Deref(in.ApiId), "", ptr.Deref(in.RouteId), func(a *httpAPI, r apigatewayv2api.Route) error {
		if ptr.Deref(r.ApiGatewayManaged) {
			return badRequest("Cannot delete a route managed by API Gateway")
		}
		delete(a.RouteResponses, *r.RouteId)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &apigatewayv2api.DeleteRouteOutput{}, nil
}

func (s *APIGatewayV2) DeleteRouteRequestParameter(ctx *request.Context, in *apigatewayv2api.DeleteRouteRequestParameterRequest) (*apigatewayv2api.DeleteRouteRequestParameterOutput, error) {
	_, err := routeMembers.edit(s, ctx, ptr.Deref(in.ApiId), "", ptr.Deref(in.RouteId), func(_ *httpAPI, r *apigatewayv2api.Route) error {
		key := ptr.Deref(in.RequestParameterKey)
		if _, ok := r.RequestParameters[key]; !ok {
			return notFound("RequestParameter", key, ctx)
		}
		params := clone(r.RequestParameters)
		delete(params, key)
		r.RequestParameters = params
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &apigatewayv2api.DeleteRouteRequestParameterOutput{}, nil
}

// Route responses (WebSocket APIs' two-way routes).

func (s *APIGatewayV2) CreateRouteResponse(ctx *request.Context, in *apigatewayv2api.CreateRouteResponseRequest) (*apigatewayv2api.CreateRouteResponseResponse, error) {
	rr := *convert[apigatewayv2api.RouteResponse](in)
	rr.RouteResponseId = ptr.To(newID(6))
	err := s.update(ctx, ptr.Deref(in.ApiId), true, func(a *httpAPI) error {
		rid := ptr.Deref(in.RouteId)
		if _, ok := a.Routes[rid]; !ok {
			return notFound("Route", rid, ctx)
		}
		if a.isHTTP() {
			return badRequest("Route responses are only supported for WebSocket APIs")
		}
		for _, other := range a.RouteResponses[rid] {
			if ptr.Deref(other.RouteResponseKey) == ptr.Deref(rr.RouteResponseKey) {
				return conflict("RouteResponse with key %s already exists for this Route", ptr.Deref(rr.RouteResponseKey))
			}
		}
		if a.RouteResponses[rid] == nil {
			a.RouteResponses[rid] = map[string]apigatewayv2api.RouteResponse{}
		}
		a.RouteResponses[rid][*rr.RouteResponseId] = rr
		return nil
	})
	if err != nil {
		return nil, err
	}
	return convert[apigatewayv2api.CreateRouteResponseResponse](rr), nil
}

func (s *APIGatewayV2) GetRouteResponse(ctx *request.Context, in *apigatewayv2api.GetRouteResponseRequest) (*apigatewayv2api.GetRouteResponseResponse, error) {
	rr, err := routeResponseMembers.get(s, ctx, ptr.Deref(in.ApiId), ptr.Deref(in.RouteId), ptr.Deref(in.RouteResponseId))
	if err != nil {
		return nil, err
	}
	return convert[apigatewayv2api.GetRouteResponseResponse](rr), nil
}

func (s *APIGatewayV2) GetRouteResponses(ctx *request.Context, in *apigatewayv2api.GetRouteResponsesRequest) (*apigatewayv2api.GetRouteResponsesResponse, error) {
	items, next, err := routeResponseMembers.list(s, ctx, ptr.Deref(in.ApiId), ptr.Deref(in.RouteId), in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	return &apigatewayv2api.GetRouteResponsesResponse{Items: items, NextToken: next}, nil
}

func (s *APIGatewayV2) UpdateRouteResponse(ctx *request.Context, in *apigatewayv2api.UpdateRouteResponseRequest) (*apigatewayv2api.UpdateRouteResponseResponse, error) {
	out, err := routeResponseMembers.edit(s, ctx, ptr.Deref(in.ApiId), ptr.Deref(in.RouteId), ptr.Deref(in.RouteResponseId), func(_ *httpAPI, rr *apigatewayv2api.RouteResponse) error {
		fill(rr, in)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return convert[apigatewayv2api.UpdateRouteResponseResponse](out), nil
}

func (s *APIGatewayV2) DeleteRouteResponse(ctx *request.Context, in *apigatewayv2api.DeleteRouteResponseRequest) (*apigatewayv2api.DeleteRouteResponseOutput, error) {
	if err := routeResponseMembers.remove(s, ctx, ptr.Deref(in.ApiId), ptr.Deref(in.RouteId), ptr.Deref(in.RouteResponseId), nil); err != nil {
		return nil, err
	}
	return &apigatewayv2api.DeleteRouteResponseOutput{}, nil
}
