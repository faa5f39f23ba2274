package apigatewayv2

import (
	"net/url"
	"strings"

	apigatewayv2api "github.com/niwa-cloud/niwa/internal/api/apigatewayv2"
	"github.com/niwa-cloud/niwa/internal/lazyre"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
)

// requestParamKey is an HTTP API's parameter mapping key
// (Developer Guide, "Transforming API requests and responses").
var requestParamKey = lazyre.New(`^(append|overwrite|remove):(header|querystring)\.[A-Za-z0-9!#$%&'*+.^_` + "`" + `|~-]+$|^overwrite:path$`)

// responseParamKey maps a response: headers and the status code.
var responseParamKey = lazyre.New(`^(append|overwrite|remove):header\.[A-Za-z0-9!#$%&'*+.^_` + "`" + `|~-]+$|^overwrite:statuscode$`)

// checkIntegration refuses what API Gateway refuses in an integration.
func checkIntegration(a *httpAPI, i *apigatewayv2api.Integration) error {
	typ := ptr.Deref(i.IntegrationType)
	uri := ptr.Deref(i.IntegrationUri)
	if a.isHTTP() {
		switch typ {
		case "AWS_PROXY":
			if ptr.Deref(i.IntegrationSubtype) != "" {
				return badRequest("AWS service integrations (IntegrationSubtype %s) are not supported by niwa: "+
					"integrate a Lambda function or an HTTP endpoint instead", *i.IntegrationSubtype)
			}
			if !strings.HasPrefix(uri, "arn:") {
				return badRequest("Invalid integration URI specified: %s. A Lambda integration's URI is the function's ARN", uri)
			}
			if i.PayloadFormatVersion == nil {
				return badRequest("PayloadFormatVersion is required for AWS_PROXY integrations of HTTP APIs")
			}
		case "HTTP_PROXY":
			if ptr.Deref(i.ConnectionType) == "VPC_LINK" {
				return badRequest("Private integrations (VPC_LINK) are not supported by niwa: integrate the target's URL directly")
			}
			if u, err := url.Parse(uri); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return badRequest("Invalid integration URI specified: %s. An HTTP integration's URI is a full http(s) URL", uri)
			}
			if i.IntegrationMethod == nil {
				return badRequest("IntegrationMethod is required for HTTP_PROXY integrations")
			}
			if i.PayloadFormatVersion != nil && *i.PayloadFormatVersion != "1.0" {
				return badRequest("HTTP_PROXY integrations only support payload format version 1.0")
			}
		default:
			return badRequest("Unsupported integration type %s for HTTP APIs: AWS_PROXY or HTTP_PROXY", typ)
		}
		if v := ptr.Deref(i.PayloadFormatVersion); v != "" && v != "1.0" && v != "2.0" {
			return badRequest("Invalid PayloadFormatVersion %s: 1.0 or 2.0", v)
		}
		if t := i.TimeoutInMillis; t != nil && (*t < 50 || *t > 30000) {
			return badRequest("Timeout must be between 50 milliseconds and 30 seconds")
		}
		for k := range i.RequestParameters {
			if !requestParamKey.MatchString(k) {
				return badRequest("Invalid mapping expression specified: %s", k)
			}
		}
		for status, params := range i.ResponseParameters {
			if len(status) != 3 || status[0] < '2' || status[0] > '5' {
				return badRequest("Invalid response status code specified: %s", status)
			}
			for k := range params {
				if !responseParamKey.MatchString(k) {
					return badRequest("Invalid mapping expression specified: %s", k)
				}
			}
		}
		return nil
	}
	switch typ {
	case "AWS", "AWS_PROXY", "HTTP", "HTTP_PROXY", "MOCK":
	default:
		return badRequest("Unsupported integration type %s for WebSocket APIs", typ)
	}
	if t := i.TimeoutInMillis; t != nil && (*t < 50 || *t > 29000) {
		return badRequest("Timeout must be between 50 milliseconds and 29 seconds")
	}
	return nil
}

func (s *APIGatewayV2) CreateIntegration(ctx *request.Context, in *apigatewayv2api.CreateIntegrationRequest) (*apigatewayv2api.CreateIntegrationResult, error) {
	i := *convert[apigatewayv2api.Integration](in)
	i.IntegrationId = ptr.To(newID(7))
	if in.TlsConfig != nil {
		i.TlsConfig = &apigatewayv2api.TlsConfig{ServerNameToVerify: in.TlsConfig.ServerNameToVerify}
	}
	if i.ConnectionType == nil {
		i.ConnectionType = ptr.To("INTERNET")
	}
	err := s.update(ctx, ptr.Deref(in.ApiId), true, func(a *httpAPI) error {
		if i.TimeoutInMillis == nil {
			i.TimeoutInMillis = ptr.To(int32(29000))
			if a.isHTTP() {
				i.TimeoutInMillis = ptr.To(int32(30000))
			}
		}
		if a.isHTTP() && ptr.Deref(i.IntegrationType) == "HTTP_PROXY" && i.PayloadFormatVersion == nil {
			i.PayloadFormatVersion = ptr.To("1.0")
		}
		if err := checkIntegration(a, &i); err != nil {
			return err
		}
		a.Integrations[*i.IntegrationId] = i
		return nil
	})
	if err != nil {
		return nil, err
	}
	return convert[apigatewayv2api.CreateIntegrationResult](i), nil
}

func (s *APIGatewayV2) GetIntegration(ctx *request.Context, in *apigatewayv2api.GetIntegrationRequest) (*apigatewayv2api.GetIntegrationResult, error) {
	i, err := integrationMembers.get(s, ctx, ptr.Deref(in.ApiId), "", ptr.Deref(in.IntegrationId))
	if err != nil {
		return nil, err
	}
	return convert[apigatewayv2api.GetIntegrationResult](i), nil
}

func (s *APIGatewayV2) GetIntegrations(ctx *request.Context, in *apigatewayv2api.GetIntegrationsRequest) (*apigatewayv2api.GetIntegrationsResponse, error) {
	items, next, err := integrationMembers.list(s, ctx, ptr.Deref(in.ApiId), "", in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	return &apigatewayv2api.GetIntegrationsResponse{Items: items, NextToken: next}, nil
}

func (s *APIGatewayV2) UpdateIntegration(ctx *request.Context, in *apigatewayv2api.UpdateIntegrationRequest) (*apigatewayv2api.UpdateIntegrationResult, error) {
	out, err := integrationMembers.edit(s, ctx, ptr.Deref(in.ApiId), "", ptr.Deref(in.IntegrationId), func(a *httpAPI, i *apigatewayv2api.Integration) error {
		if ptr.Deref(i.ApiGatewayManaged) {
			return badRequest("Cannot update an integration managed by API Gateway: update the API's Target instead")
		}
		fill(i, in)
		if in.TlsConfig != nil {
			i.TlsConfig = &apigatewayv2api.TlsConfig{ServerNameToVerify: in.TlsConfig.ServerNameToVerify}
		}
		return checkIntegration(a, i)
	})
	if err != nil {
		return nil, err
	}
	return convert[apigatewayv2api.UpdateIntegrationResult](out), nil
}

func (s *APIGatewayV2) DeleteIntegration(ctx *request.Context, in *apigatewayv2api.DeleteIntegrationRequest) (*apigatewayv2api.DeleteIntegrationOutput, error) {
	id := ptr.Deref(in.IntegrationId)
	err := integrationMembers.remove(s, ctx, ptr.Deref(in.ApiId), "", id, func(a *httpAPI, i apigatewayv2api.Integration) error {
		if ptr.Deref(i.ApiGatewayManaged) {
			return badRequest("Cannot delete an integration managed by API Gateway")
		}
		for _, r := range a.Routes {
			if ptr.Deref(r.Target) == "integrations/"+id {
				return conflict("Cannot delete integration %s: it is the target of route %s", id, ptr.Deref(r.RouteKey))
			}
		}
		delete(a.IntegrationResponses, id)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &apigatewayv2api.DeleteIntegrationOutput{}, nil
}

// Integration responses (WebSocket APIs).

func (s *APIGatewayV2) CreateIntegrationResponse(ctx *request.Context, in *apigatewayv2api.CreateIntegrationResponseRequest) (*apigatewayv2api.CreateIntegrationResponseResponse, error) {
	ir := *convert[apigatewayv2api.IntegrationResponse](in)
	ir.IntegrationResponseId = ptr.To(newID(6))
	err := s.update(ctx, ptr.Deref(in.ApiId), true, func(a *httpAPI) error {
		iid := ptr.Deref(in.IntegrationId)
		if _, ok := a.Integrations[iid]; !ok {
			return notFound("Integration", iid, ctx)
		}
		if a.isHTTP() {
			return badRequest("Integration responses are only supported for WebSocket APIs")
		}
		for _, other := range a.IntegrationResponses[iid] {
			if ptr.Deref(other.IntegrationResponseKey) == ptr.Deref(ir.IntegrationResponseKey) {
				return conflict("IntegrationResponse with key %s already exists for this Integration", ptr.Deref(ir.IntegrationResponseKey))
			}
		}
		if a.IntegrationResponses[iid] == nil {
			a.IntegrationResponses[iid] = map[string]apigatewayv2api.IntegrationResponse{}
		}
		a.IntegrationResponses[iid][*ir.IntegrationResponseId] = ir
		return nil
	})
	if err != nil {
		return nil, err
	}
	return convert[apigatewayv2api.CreateIntegrationResponseResponse](ir), nil
}

func (s *APIGatewayV2) GetIntegrationResponse(ctx *request.Context, in *apigatewayv2api.GetIntegrationResponseRequest) (*apigatewayv2api.GetIntegrationResponseResponse, error) {
	ir, err := integrationResponseMembers.get(s, ctx, ptr.Deref(in.ApiId), ptr.Deref(in.IntegrationId), ptr.Deref(in.IntegrationResponseId))
	if err != nil {
		return nil, err
	}
	return convert[apigatewayv2api.GetIntegrationResponseResponse](ir), nil
}

func (s *APIGatewayV2) GetIntegrationResponses(ctx *request.Context, in *apigatewayv2api.GetIntegrationResponsesRequest) (*apigatewayv2api.GetIntegrationResponsesResponse, error) {
	items, next, err := integrationResponseMembers.list(s, ctx, ptr.Deref(in.ApiId), ptr.Deref(in.IntegrationId), in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	return &apigatewayv2api.GetIntegrationResponsesResponse{Items: items, NextToken: next}, nil
}

func (s *APIGatewayV2) UpdateIntegrationResponse(ctx *request.Context, in *apigatewayv2api.UpdateIntegrationResponseRequest) (*apigatewayv2api.UpdateIntegrationResponseResponse, error) {
	out, err := integrationResponseMembers.edit(s, ctx, ptr.Deref(in.ApiId), ptr.Deref(in.IntegrationId), ptr.Deref(in.IntegrationResponseId), func(_ *httpAPI, ir *apigatewayv2api.IntegrationResponse) error {
		fill(ir, in)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return convert[apigatewayv2api.UpdateIntegrationResponseResponse](out), nil
}

func (s *APIGatewayV2) DeleteIntegrationResponse(ctx *request.Context, in *apigatewayv2api.DeleteIntegrationResponseRequest) (*apigatewayv2api.DeleteIntegrationResponseOutput, error) {
	if err := integrationResponseMembers.remove(s, ctx, ptr.Deref(in.ApiId), ptr.Deref(in.IntegrationId), ptr.Deref(in.IntegrationResponseId), nil); err != nil {
		return nil, err
	}
	return &apigatewayv2api.DeleteIntegrationResponseOutput{}, nil
}
