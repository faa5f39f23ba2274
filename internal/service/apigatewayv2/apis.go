package apigatewayv2

import (
	"net/url"
	"strings"

	apigatewayv2api "github.com/niwa-cloud/niwa/internal/api/apigatewayv2"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// maxTags is API Gateway's limit of tags on a resource.
const maxTags = 50

// apiEndpoint is the API's invoke URL on niwa: its id as a subdomain of
// execute-api.localhost on niwa's port (AWS's
// https://<id>.execute-api.<region>.amazonaws.com).
func (s *APIGatewayV2) apiEndpoint(id, protocol string) string {
	scheme, port := "http", "4566"
	if u, err := url.Parse(s.endpoint()); err == nil && u.Host != "" {
		if u.Port() != "" {
			port = u.Port()
		}
		if u.Scheme == "https" {
			scheme = "https"
		}
	}
	if protocol == "WEBSOCKET" {
		scheme = map[string]string{"http": "ws", "https": "wss"}[scheme]
	}
	return scheme + "://" + id + ".execute-api.localhost:" + port
}

func (s *APIGatewayV2) CreateApi(ctx *request.Context, in *apigatewayv2api.CreateApiRequest) (*apigatewayv2api.CreateApiResponse, error) {
	proto := ptr.Deref(in.ProtocolType)
	now := ctx.Now().UTC()
	id := newID(10)
	a := httpAPI{}
	a.init()
	a.Api = apigatewayv2api.Api{ApiId: &id, Name: in.Name, ProtocolType: in.ProtocolType, CreatedDate: &now,
		Description: in.Description, Version: in.Version, DisableSchemaValidation: in.DisableSchemaValidation,
		DisableExecuteApiEndpoint: in.DisableExecuteApiEndpoint, Tags: in.Tags,
		ApiEndpoint:               ptr.To(s.apiEndpoint(id, proto)),
		ApiKeySelectionExpression: ptr.To("$request.header.x-api-key")}
	if len(in.Tags) > maxTags {
		return nil, badRequest("Too many tags: a resource can have at most %d tags", maxTags)
	}
	if in.ApiKeySelectionExpression != nil {
		if e := *in.ApiKeySelectionExpression; e != "$request.header.x-api-key" && e != "$context.authorizer.usageIdentifierKey" {
			return nil, badRequest("Invalid API Key Selection Expression: %s. Supported expressions are $request.header.x-api-key and $context.authorizer.usageIdentifierKey", e)
		}
		a.Api.ApiKeySelectionExpression = in.ApiKeySelectionExpression
	}
	switch proto {
	case "HTTP":
		if in.RouteSelectionExpression != nil && *in.RouteSelectionExpression != "${request.method} ${request.path}" {
			return nil, badRequest("Unsupported Route Selection Expression for HTTP Api: %s", *in.RouteSelectionExpression)
		}
		a.Api.RouteSelectionExpression = ptr.To("${request.method} ${request.path}")
		if in.CorsConfiguration != nil {
			if err := checkCors(in.CorsConfiguration); err != nil {
				return nil, err
			}
			a.Api.CorsConfiguration = in.CorsConfiguration
		}
	case "WEBSOCKET":
		if in.RouteSelectionExpression == nil {
			return nil, badRequest("RouteSelectionExpression is required for WEBSOCKET APIs")
		}
		if in.Target != nil || in.RouteKey != nil || in.CredentialsArn != nil {
			return nil, badRequest("Quick create is only supported for HTTP APIs")
		}
		if in.CorsConfiguration != nil {
			return nil, badRequest("CORS configuration is only supported for HTTP APIs")
		}
		a.Api.RouteSelectionExpression = in.RouteSelectionExpression
	}
	if in.Target == nil && (in.RouteKey != nil || in.CredentialsArn != nil) {
		return nil, badRequest("RouteKey and CredentialsArn are only supported with Target (quick create)")
	}
	if in.Target != nil {
		if err := s.quickCreate(ctx, &a, ptr.Deref(in.Target), in.RouteKey, in.CredentialsArn); err != nil {
			return nil, err
		}
	}
	err := s.store.Update(func(tx storage.Tx) error {
		if err := apis.Put(tx, scope(ctx), a, id); err != nil {
			return err
		}
		return index.Put(tx, storage.Scope{}, location{Account: ctx.Account, Region: ctx.Region}, id)
	})
	if err != nil {
		return nil, err
	}
	return convert[apigatewayv2api.CreateApiResponse](a.Api), nil
}

// quickCreate adds what a quick-created API has: an integration for the
// target (a Lambda function by ARN, payload 2.0, or an HTTP URL), one
// route (the route key, $default when none) and the $default stage with
// auto-deploy, all managed by API Gateway.
func (s *APIGatewayV2) quickCreate(ctx *request.Context, a *httpAPI, target string, key, creds *string) error {
	integ := apigatewayv2api.Integration{IntegrationId: ptr.To(newID(7)), ApiGatewayManaged: ptr.To(true),
		ConnectionType: ptr.To("INTERNET"), CredentialsArn: creds, TimeoutInMillis: ptr.To(int32(30000))}
	switch {
	case strings.HasPrefix(target, "arn:aws:lambda:"):
		integ.IntegrationType, integ.IntegrationMethod = ptr.To("AWS_PROXY"), ptr.To("POST")
		integ.IntegrationUri, integ.PayloadFormatVersion = &target, ptr.To("2.0")
	case strings.HasPrefix(target, "http://") || strings.HasPrefix(target, "https://"):
		integ.IntegrationType, integ.IntegrationMethod = ptr.To("HTTP_PROXY"), ptr.To("ANY")
		integ.IntegrationUri, integ.PayloadFormatVersion = &target, ptr.To("1.0")
	default:
		return badRequest("Invalid target: %s. A target is a Lambda function ARN or an HTTP URL", target)
	}
	rk := defaultRoute
	if key != nil {
		rk = *key
	}
	if _, err := parseRouteKey(rk); err != nil {
		return badRequest("Invalid route key: %s", err)
	}
	route := apigatewayv2api.Route{RouteId: ptr.To(newID(7)), RouteKey: &rk, ApiGatewayManaged: ptr.To(true),
		AuthorizationType: ptr.To("NONE"), ApiKeyRequired: ptr.To(false),
		Target: ptr.To("integrations/" + *integ.IntegrationId)}
	a.Integrations[*integ.IntegrationId] = integ
	a.Routes[*route.RouteId] = route
	now := ctx.Now().UTC()
	a.Stages[defaultRoute] = apigatewayv2api.Stage{StageName: ptr.To(defaultRoute), AutoDeploy: ptr.To(true),
		ApiGatewayManaged: ptr.To(true), CreatedDate: &now, LastUpdatedDate: &now,
		DefaultRouteSettings: &apigatewayv2api.RouteSettings{DetailedMetricsEnabled: ptr.To(false)},
		RouteSettings:        map[string]apigatewayv2api.RouteSettings{}, StageVariables: map[string]string{},
		Tags: map[string]string{}}
	s.autoDeploy(ctx, a)
	return nil
}

func (s *APIGatewayV2) GetApi(ctx *request.Context, in *apigatewayv2api.GetApiRequest) (*apigatewayv2api.GetApiResponse, error) {
	a, err := s.view(ctx, ptr.Deref(in.ApiId))
	if err != nil {
		return nil, err
	}
	return convert[apigatewayv2api.GetApiResponse](a.Api), nil
}

func (s *APIGatewayV2) GetApis(ctx *request.Context, in *apigatewayv2api.GetApisRequest) (*apigatewayv2api.GetApisResponse, error) {
	items, next, err := listRecords(s, ctx, apis, func(a httpAPI) apigatewayv2api.Api { return a.Api }, in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	return &apigatewayv2api.GetApisResponse{Items: items, NextToken: next}, nil
}

func (s *APIGatewayV2) UpdateApi(ctx *request.Context, in *apigatewayv2api.UpdateApiRequest) (*apigatewayv2api.UpdateApiResponse, error) {
	var out apigatewayv2api.Api
	deploys := in.CorsConfiguration != nil || in.Target != nil || in.RouteKey != nil || in.CredentialsArn != nil
	err := s.update(ctx, ptr.Deref(in.ApiId), deploys, func(a *httpAPI) error {
		if in.CorsConfiguration != nil {
			if !a.isHTTP() {
				return badRequest("CORS configuration is only supported for HTTP APIs")
			}
			if err := checkCors(in.CorsConfiguration); err != nil {
				return err
			}
		}
		if in.RouteSelectionExpression != nil && a.isHTTP() && *in.RouteSelectionExpression != "${request.method} ${request.path}" {
			return badRequest("Unsupported Route Selection Expression for HTTP Api: %s", *in.RouteSelectionExpression)
		}
		if in.Target != nil || in.RouteKey != nil || in.CredentialsArn != nil {
			if err := quickUpdate(a, in); err != nil {
				return err
			}
		}
		id := a.Api.ApiId
		fill(&a.Api, in)
		a.Api.ApiId = id
		out = a.Api
		return nil
	})
	if err != nil {
		return nil, err
	}
	return convert[apigatewayv2api.UpdateApiResponse](out), nil
}

func (s *APIGatewayV2) DeleteApi(ctx *request.Context, in *apigatewayv2api.DeleteApiRequest) (*apigatewayv2api.DeleteApiOutput, error) {
	id := ptr.Deref(in.ApiId)
	err := s.store.Update(func(tx storage.Tx) error {
		if _, err := s.load(tx, ctx, id); err != nil {
			return err
		}
		var mapped []string
		err := domains.List(tx, scope(ctx), nil, storage.ListOptions{}, func(_ []string, d domainRecord) bool {
			for _, m := range d.Mappings {
				if ptr.Deref(m.ApiId) == id {
					mapped = append(mapped, ptr.Deref(d.Domain.DomainName))
					break
				}
			}
			return true
		})
		if err != nil {
			return err
		}
		if len(mapped) > 0 {
			return badRequest("Cannot delete API %s: it is mapped to the domain names %s; delete the API mappings first", id, strings.Join(mapped, ", "))
		}
		if err := apis.Delete(tx, scope(ctx), id); err != nil {
			return err
		}
		return index.Delete(tx, storage.Scope{}, id)
	})
	if err != nil {
		return nil, err
	}
	return &apigatewayv2api.DeleteApiOutput{}, nil
}

func (s *APIGatewayV2) DeleteCorsConfiguration(ctx *request.Context, in *apigatewayv2api.DeleteCorsConfigurationRequest) (*apigatewayv2api.DeleteCorsConfigurationOutput, error) {
	err := s.update(ctx, ptr.Deref(in.ApiId), true, func(a *httpAPI) error {
		a.Api.CorsConfiguration = nil
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &apigatewayv2api.DeleteCorsConfigurationOutput{}, nil
}

// checkCors refuses what API Gateway refuses in a CORS configuration.
func checkCors(c *apigatewayv2api.Cors) error {
	if ptr.Deref(c.AllowCredentials) {
		for _, o := range c.AllowOrigins {
			if o == "*" {
				return badRequest("allow-credentials is not supported when allow-origins contains *")
			}
		}
	}
	if m := c.MaxAge; m != nil && (*m < -1 || *m > 86400) {
		return badRequest("MaxAge must be between -1 and 86400 seconds")
	}
	for _, m := range c.AllowMethods {
		if m != "*" && !routeMethods[strings.ToUpper(m)] {
			return badRequest("Invalid method in AllowMethods: %s", m)
		}
	}
	return nil
}

// quickUpdate changes a quick-created API's managed integration and
// route: "you can update a quick-created target, but you can't remove it
// from an API" (CreateApi's Target in the API reference).
func quickUpdate(a *httpAPI, in *apigatewayv2api.UpdateApiRequest) error {
	var integ *apigatewayv2api.Integration
	for _, i := range a.Integrations {
		if ptr.Deref(i.ApiGatewayManaged) {
			integ = &i
			break
		}
	}
	var route *apigatewayv2api.Route
	for _, r := range a.Routes {
		if ptr.Deref(r.ApiGatewayManaged) {
			route = &r
			break
		}
	}
	if integ == nil || route == nil {
		return badRequest("Target, RouteKey and CredentialsArn can only be updated on an API made by quick create")
	}
	if t := in.Target; t != nil {
		switch {
		case strings.HasPrefix(*t, "arn:aws:lambda:"):
			integ.IntegrationType, integ.IntegrationMethod, integ.PayloadFormatVersion = ptr.To("AWS_PROXY"), ptr.To("POST"), ptr.To("2.0")
		case strings.HasPrefix(*t, "http://") || strings.HasPrefix(*t, "https://"):
			integ.IntegrationType, integ.IntegrationMethod, integ.PayloadFormatVersion = ptr.To("HTTP_PROXY"), ptr.To("ANY"), ptr.To("1.0")
		default:
			return badRequest("Invalid target: %s. A target is a Lambda function ARN or an HTTP URL", *t)
		}
		integ.IntegrationUri = t
	}
	if in.CredentialsArn != nil {
		integ.CredentialsArn = in.CredentialsArn
	}
	if k := in.RouteKey; k != nil {
		if _, err := parseRouteKey(*k); err != nil {
			return badRequest("Invalid route key: %s", err)
		}
		for id, r := range a.Routes {
			if id != ptr.Deref(route.RouteId) && ptr.Deref(r.RouteKey) == *k {
				return conflict("Route with key %s already exists for this API", *k)
			}
		}
		route.RouteKey = k
	}
	a.Integrations[ptr.Deref(integ.IntegrationId)] = *integ
	a.Routes[ptr.Deref(route.RouteId)] = *route
	return nil
}
