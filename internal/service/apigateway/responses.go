package apigateway

import (
	"sort"
	"strings"

	apigatewayapi "github.com/niwa-cloud/niwa/internal/api/apigateway"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
)

// Gateway responses: what the data plane answers when it refuses or fails
// a call before or around the integration. Every type has AWS's default
// (Developer Guide, "Gateway response types for API Gateway"); an API may
// customize the status code, headers and body template of any of them,
// DEFAULT_4XX and DEFAULT_5XX standing in for every type of their class
// that is not customized itself.

// defaultStatus is each response type's default status ("" for the
// DEFAULT_4XX and DEFAULT_5XX catch-alls, which have none).
var defaultStatus = map[string]string{
	"ACCESS_DENIED": "403", "API_CONFIGURATION_ERROR": "500", "AUTHORIZER_CONFIGURATION_ERROR": "500",
	"AUTHORIZER_FAILURE": "500", "BAD_REQUEST_PARAMETERS": "400", "BAD_REQUEST_BODY": "400",
	"DEFAULT_4XX": "", "DEFAULT_5XX": "", "EXPIRED_TOKEN": "403", "INTEGRATION_FAILURE": "504",
	"INTEGRATION_TIMEOUT": "504", "INVALID_API_KEY": "403", "INVALID_SIGNATURE": "403",
	"MISSING_AUTHENTICATION_TOKEN": "403", "QUOTA_EXCEEDED": "429", "REQUEST_TOO_LARGE": "413",
	"RESOURCE_NOT_FOUND": "404", "THROTTLED": "429", "UNAUTHORIZED": "401", "UNSUPPORTED_MEDIA_TYPE": "415",
	"WAF_FILTERED": "403",
}

func defaultResponse(typ string) apigatewayapi.GatewayResponse {
	gr := apigatewayapi.GatewayResponse{ResponseType: ptr.To(typ), DefaultResponse: ptr.To(true),
		ResponseParameters: map[string]string{},
		ResponseTemplates:  map[string]string{"application/json": defaultGatewayTemplate}}
	if st := defaultStatus[typ]; st != "" {
		gr.StatusCode = ptr.To(st)
	}
	return gr
}

// customResponse is the customized gateway response for an error: its
// own type's, else its class's catch-all.
func customResponse(custom map[string]apigatewayapi.GatewayResponse, e gatewayError) (apigatewayapi.GatewayResponse, bool) {
	if gr, ok := custom[e.typ]; ok {
		return gr, true
	}
	class := "DEFAULT_4XX"
	if e.status >= 500 {
		class = "DEFAULT_5XX"
	}
	gr, ok := custom[class]
	return gr, ok
}

// responseParameter evaluates a gateway response header mapping: a
// 'literal', or method.request.header|querystring|path.<name>, or
// stageVariables.<name>.
func (c *call) responseParameter(v string) (string, bool) {
	if lit, ok := strings.CutPrefix(v, "'"); ok {
		return strings.TrimSuffix(lit, "'"), true
	}
	if name, ok := strings.CutPrefix(v, "method.request.header."); ok {
		return c.r.Header.Get(name), c.r.Header.Get(name) != ""
	}
	if name, ok := strings.CutPrefix(v, "method.request.querystring."); ok {
		return c.r.URL.Query().Get(name), c.r.URL.Query().Has(name)
	}
	if name, ok := strings.CutPrefix(v, "method.request.path."); ok {
		return c.pathParams[name], c.pathParams[name] != ""
	}
	if name, ok := strings.CutPrefix(v, "stageVariables."); ok {
		val, ok := c.stage.Variables[name]
		return val, ok
	}
	return "", false
}

func checkResponseType(typ string) error {
	if _, ok := defaultStatus[typ]; !ok {
		return apigatewayapi.ErrBadRequestException.New("Invalid response type specified: %s", typ)
	}
	return nil
}

func checkGatewayResponse(gr *apigatewayapi.GatewayResponse) error {
	if st := ptr.Deref(gr.StatusCode); st != "" {
		if len(st) != 3 || st[0] < '1' || st[0] > '5' || strings.Trim(st, "0123456789") != "" {
			return apigatewayapi.ErrBadRequestException.New("Invalid status code specified: %s", st)
		}
	}
	for k, v := range gr.ResponseParameters {
		if !strings.HasPrefix(k, "gatewayresponse.header.") || len(k) == len("gatewayresponse.header.") {
			return apigatewayapi.ErrBadRequestException.New("Invalid mapping expression specified: Validation Result: warnings : [], errors : [Invalid mapping expression specified: %s]", k)
		}
		if !strings.HasPrefix(v, "'") && !strings.HasPrefix(v, "method.request.") && !strings.HasPrefix(v, "stageVariables.") {
			return apigatewayapi.ErrBadRequestException.New("Invalid mapping expression specified: Validation Result: warnings : [], errors : [Invalid mapping expression parameter specified: %s]", v)
		}
	}
	return nil
}

func (s *APIGateway) PutGatewayResponse(ctx *request.Context, in *apigatewayapi.PutGatewayResponseRequest) (*apigatewayapi.GatewayResponse, error) {
	typ := ptr.Deref(in.ResponseType)
	if err := checkResponseType(typ); err != nil {
		return nil, err
	}
	gr := apigatewayapi.GatewayResponse{ResponseType: &typ, StatusCode: in.StatusCode, ResponseParameters: in.ResponseParameters,
		ResponseTemplates: in.ResponseTemplates, DefaultResponse: ptr.To(false)}
	if gr.ResponseParameters == nil {
		gr.ResponseParameters = map[string]string{}
	}
	if gr.ResponseTemplates == nil {
		gr.ResponseTemplates = map[string]string{}
	}
	if err := checkGatewayResponse(&gr); err != nil {
		return nil, err
	}
	err := s.update(ctx, ptr.Deref(in.RestApiId), func(a *restAPI) error {
		if a.GatewayResponses == nil {
			a.GatewayResponses = map[string]apigatewayapi.GatewayResponse{}
		}
		a.GatewayResponses[typ] = gr
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &gr, nil
}

func (s *APIGateway) GetGatewayResponse(ctx *request.Context, in *apigatewayapi.GetGatewayResponseRequest) (*apigatewayapi.GatewayResponse, error) {
	typ := ptr.Deref(in.ResponseType)
	if err := checkResponseType(typ); err != nil {
		return nil, err
	}
	a, err := s.view(ctx, ptr.Deref(in.RestApiId))
	if err != nil {
		return nil, err
	}
	gr, ok := a.GatewayResponses[typ]
	if !ok {
		gr = defaultResponse(typ)
	}
	return &gr, nil
}

func (s *APIGateway) GetGatewayResponses(ctx *request.Context, in *apigatewayapi.GetGatewayResponsesRequest) (*apigatewayapi.GatewayResponses, error) {
	a, err := s.view(ctx, ptr.Deref(in.RestApiId))
	if err != nil {
		return nil, err
	}
	out := &apigatewayapi.GatewayResponses{Items: []apigatewayapi.GatewayResponse{}}
	for typ := range defaultStatus {
		gr, ok := a.GatewayResponses[typ]
		if !ok {
			gr = defaultResponse(typ)
		}
		out.Items = append(out.Items, gr)
	}
	sort.Slice(out.Items, func(i, j int) bool { return *out.Items[i].ResponseType < *out.Items[j].ResponseType })
	return out, nil
}

func (s *APIGateway) UpdateGatewayResponse(ctx *request.Context, in *apigatewayapi.UpdateGatewayResponseRequest) (*apigatewayapi.GatewayResponse, error) {
	typ := ptr.Deref(in.ResponseType)
	if err := checkResponseType(typ); err != nil {
		return nil, err
	}
	var out apigatewayapi.GatewayResponse
	err := s.update(ctx, ptr.Deref(in.RestApiId), func(a *restAPI) error {
		gr, ok := a.GatewayResponses[typ]
		if !ok {
			gr = defaultResponse(typ)
		}
		if err := applyPatch(&gr, in.PatchOperations, patchPaths{"/statusCode", "/responseParameters/*", "/responseTemplates/*"}, nil); err != nil {
			return err
		}
		if err := checkGatewayResponse(&gr); err != nil {
			return err
		}
		gr.DefaultResponse = ptr.To(false)
		if a.GatewayResponses == nil {
			a.GatewayResponses = map[string]apigatewayapi.GatewayResponse{}
		}
		a.GatewayResponses[typ] = gr
		out = gr
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteGatewayResponse returns a type to AWS's default.
func (s *APIGateway) DeleteGatewayResponse(ctx *request.Context, in *apigatewayapi.DeleteGatewayResponseRequest) (*apigatewayapi.DeleteGatewayResponseOutput, error) {
	typ := ptr.Deref(in.ResponseType)
	if err := checkResponseType(typ); err != nil {
		return nil, err
	}
	err := s.update(ctx, ptr.Deref(in.RestApiId), func(a *restAPI) error {
		if _, ok := a.GatewayResponses[typ]; !ok {
			return apigatewayapi.ErrNotFoundException.New("Invalid Gateway Response identifier specified")
		}
		delete(a.GatewayResponses, typ)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &apigatewayapi.DeleteGatewayResponseOutput{}, nil
}
