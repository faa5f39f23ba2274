package apigateway

import (
	"testing"

	apigatewayapi "github.com/niwa-cloud/niwa/internal/api/apigateway"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

func TestGatewayResponses(t *testing.T) {
	e := newEnv(t)
	ctx := e.h.Ctx()
	b := e.build(mockIntegration, true)
	api := &b.api
	all := must[*apigatewayapi.GatewayResponses](t)(e.s.GetGatewayResponses(ctx, &apigatewayapi.GetGatewayResponsesRequest{RestApiId: api}))
	if len(all.Items) != len(defaultStatus) {
		t.Fatalf("%d gateway responses", len(all.Items))
	}
	for _, gr := range all.Items {
		if !*gr.DefaultResponse || gr.ResponseTemplates["application/json"] != `{"message":$context.error.messageString}` {
			t.Fatalf("default %+v", gr)
		}
		if st := ptr.Deref(gr.StatusCode); st != defaultStatus[*gr.ResponseType] {
			t.Fatalf("%s status %q", *gr.ResponseType, st)
		}
	}
	_, err := e.s.PutGatewayResponse(ctx, &apigatewayapi.PutGatewayResponseRequest{RestApiId: api, ResponseType: ptr.To("NOPE")})
	wantCode(t, err, apigatewayapi.ErrBadRequestException, "")
	_, err = e.s.PutGatewayResponse(ctx, &apigatewayapi.PutGatewayResponseRequest{RestApiId: api, ResponseType: ptr.To("THROTTLED"), StatusCode: ptr.To("99")})
	wantCode(t, err, apigatewayapi.ErrBadRequestException, "status code")
	_, err = e.s.PutGatewayResponse(ctx, &apigatewayapi.PutGatewayResponseRequest{RestApiId: api, ResponseType: ptr.To("THROTTLED"), ResponseParameters: map[string]string{"x": "'y'"}})
	wantCode(t, err, apigatewayapi.ErrBadRequestException, "mapping expression")

	url := "http://" + b.api + ".execute-api.localhost/test/items"
	for _, tc := range []struct {
		name   string
		setup  func()
		method string
		header map[string]string
		status int
		body   string
		hdr    string
	}{
		{"default invalid key", func() {}, "GET", nil, 403, `{"message":"Forbidden"}`, ""},
		{"custom INVALID_API_KEY", func() {
			must[*apigatewayapi.GatewayResponse](t)(e.s.PutGatewayResponse(ctx, &apigatewayapi.PutGatewayResponseRequest{RestApiId: api, ResponseType: ptr.To("INVALID_API_KEY"),
				StatusCode: ptr.To("401"), ResponseParameters: map[string]string{"gatewayresponse.header.X-Why": "method.request.header.X-Probe", "gatewayresponse.header.X-Static": "'yes'"},
				ResponseTemplates: map[string]string{"application/json": `{"error": "$context.error.responseType", "msg": $context.error.messageString, "stage": "$context.stage"}`}}))
		}, "GET", map[string]string{"X-Probe": "p1"}, 401, `{"error": "INVALID_API_KEY", "msg": "Forbidden", "stage": "test"}`, "p1"},
		{"DEFAULT_4XX covers the rest", func() {
			must[*apigatewayapi.GatewayResponse](t)(e.s.UpdateGatewayResponse(ctx, &apigatewayapi.UpdateGatewayResponseRequest{RestApiId: api, ResponseType: ptr.To("DEFAULT_4XX"),
				PatchOperations: ops(patch("add", "/responseTemplates/application~1json", `{"oops": $context.error.messageString}`))}))
		}, "GET", nil, 401, `{"error": "INVALID_API_KEY", "msg": "Forbidden", "stage": "test"}`, ""},
		{"DEFAULT_4XX on missing token", func() {}, "PUT", nil, 403, `{"oops": "Missing Authentication Token"}`, ""},
		{"deleted returns to default", func() {
			must[*apigatewayapi.DeleteGatewayResponseOutput](t)(e.s.DeleteGatewayResponse(ctx, &apigatewayapi.DeleteGatewayResponseRequest{RestApiId: api, ResponseType: ptr.To("INVALID_API_KEY")}))
		}, "GET", nil, 403, `{"oops": "Forbidden"}`, ""},
	} {
		tc.setup()
		e.redeploy(b.api)
		u := url
		if tc.method == "PUT" {
			u = "http://" + b.api + ".execute-api.localhost/test/"
		}
		s, body, h := e.do(tc.method, u, "", tc.header)
		if s != tc.status || body != tc.body {
			t.Errorf("%s: %d %s, want %d %s", tc.name, s, body, tc.status, tc.body)
		}
		if tc.hdr != "" && (h.Get("X-Why") != tc.hdr || h.Get("X-Static") != "yes") {
			t.Errorf("%s: headers %v", tc.name, h)
		}
	}
	// Without a deployment the stage keeps the responses it was deployed
	// with.
	must[*apigatewayapi.GatewayResponse](t)(e.s.PutGatewayResponse(ctx, &apigatewayapi.PutGatewayResponseRequest{RestApiId: api, ResponseType: ptr.To("INVALID_API_KEY"),
		StatusCode: ptr.To("418")}))
	if s, body, _ := e.do("GET", url, "", nil); s != 403 || body != `{"oops": "Forbidden"}` {
		t.Errorf("undeployed change served: %d %s", s, body)
	}
	gr := must[*apigatewayapi.GatewayResponse](t)(e.s.GetGatewayResponse(ctx, &apigatewayapi.GetGatewayResponseRequest{RestApiId: api, ResponseType: ptr.To("DEFAULT_4XX")}))
	if *gr.DefaultResponse {
		t.Fatal("customized DEFAULT_4XX reported as default")
	}
	_, err = e.s.DeleteGatewayResponse(ctx, &apigatewayapi.DeleteGatewayResponseRequest{RestApiId: api, ResponseType: ptr.To("THROTTLED")})
	wantCode(t, err, apigatewayapi.ErrNotFoundException, "")
}
