package apigatewayv2

import (
	"strings"
	"testing"

	apigatewayv2api "github.com/niwa-cloud/niwa/internal/api/apigatewayv2"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/kit/kittest"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
)

// TestCloudFormationMoreProviders: each type is created, read back
// through the API, updated in place, deleted (twice: already gone is no
// error) and then answers NotFound.
func TestCloudFormationMoreProviders(t *testing.T) {
	e := newEnv(t)
	ctx := e.h.Ctx()
	p := e.s.cfnResources()
	http := e.api(nil)
	ws := must[*apigatewayv2api.CreateApiResponse](t)(e.s.CreateApi(ctx, &apigatewayv2api.CreateApiRequest{Name: ptr.To("ws"),
		ProtocolType: ptr.To("WEBSOCKET"), RouteSelectionExpression: ptr.To("$request.body.action")}))
	wsID := *ws.ApiId
	integ := e.integration(wsID, apigatewayv2api.CreateIntegrationRequest{IntegrationType: ptr.To("MOCK")})
	e.route(wsID, "$default", integ, nil)
	routes := must[*apigatewayv2api.GetRoutesResponse](t)(e.s.GetRoutes(ctx, &apigatewayv2api.GetRoutesRequest{ApiId: &wsID}))
	route := *routes.Items[0].RouteId
	cert := "arn:aws:acm:us-east-1:000000000000:certificate/abc"
	if _, err := e.s.CreateDomainName(ctx, &apigatewayv2api.CreateDomainNameRequest{DomainName: ptr.To("map.example.com"),
		DomainNameConfigurations: []apigatewayv2api.DomainNameConfiguration{{CertificateArn: &cert}}}); err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		typ        string
		props, upd map[string]any
		// check reads the resource back through the API; updated says
		// whether the update's values are expected.
		check func(ctx *request.Context, res kit.ResourceResult, updated bool) error
	}{
		{"AWS::ApiGatewayV2::DomainName",
			map[string]any{"DomainName": "api.example.com", "DomainNameConfigurations": []any{map[string]any{"CertificateArn": cert}},
				"Tags": map[string]any{"team": "a"}},
			map[string]any{"DomainName": "api.example.com", "DomainNameConfigurations": []any{map[string]any{"CertificateArn": cert + "2"}},
				"Tags": map[string]any{"team": "b"}},
			func(ctx *request.Context, res kit.ResourceResult, updated bool) error {
				d, err := e.s.GetDomainName(ctx, &apigatewayv2api.GetDomainNameRequest{DomainName: &res.PhysicalID})
				if err != nil {
					return err
				}
				if res.PhysicalID != "api.example.com" || !strings.HasPrefix(res.Attributes["RegionalDomainName"].(string), "d-") ||
					res.Attributes["RegionalHostedZoneId"] == "" || !strings.HasSuffix(res.Attributes["DomainNameArn"].(string), "::/domainnames/api.example.com") ||
					(*d.DomainNameConfigurations[0].CertificateArn == cert+"2") != updated || (d.Tags["team"] == "b") != updated {
					t.Errorf("domain %+v %v", d, res.Attributes)
				}
				return nil
			}},
		{"AWS::ApiGatewayV2::ApiMapping",
			map[string]any{"DomainName": "map.example.com", "ApiId": http, "Stage": "$default", "ApiMappingKey": "v1"},
			map[string]any{"DomainName": "map.example.com", "ApiId": http, "Stage": "$default", "ApiMappingKey": "v2"},
			func(ctx *request.Context, res kit.ResourceResult, updated bool) error {
				m, err := e.s.GetApiMapping(ctx, &apigatewayv2api.GetApiMappingRequest{DomainName: ptr.To("map.example.com"), ApiMappingId: &res.PhysicalID})
				if err == nil && (res.Attributes["ApiMappingId"] != res.PhysicalID || (*m.ApiMappingKey == "v2") != updated) {
					t.Errorf("mapping %+v", m)
				}
				return err
			}},
		{"AWS::ApiGatewayV2::Model",
			map[string]any{"ApiId": wsID, "Name": "Msg", "ContentType": "application/json", "Schema": map[string]any{"type": "object"}},
			map[string]any{"ApiId": wsID, "Name": "Msg", "ContentType": "application/json", "Schema": map[string]any{"type": "string"}},
			func(ctx *request.Context, res kit.ResourceResult, updated bool) error {
				m, err := e.s.GetModel(ctx, &apigatewayv2api.GetModelRequest{ApiId: &wsID, ModelId: &res.PhysicalID})
				if err == nil && (res.Attributes["ModelId"] != res.PhysicalID || strings.Contains(*m.Schema, "string") != updated) {
					t.Errorf("model %+v", m)
				}
				return err
			}},
		{"AWS::ApiGatewayV2::RouteResponse",
			map[string]any{"ApiId": wsID, "RouteId": route, "RouteResponseKey": "$default"},
			map[string]any{"ApiId": wsID, "RouteId": route, "RouteResponseKey": "$default", "ModelSelectionExpression": "$request.body.action"},
			func(ctx *request.Context, res kit.ResourceResult, updated bool) error {
				r, err := e.s.GetRouteResponse(ctx, &apigatewayv2api.GetRouteResponseRequest{ApiId: &wsID, RouteId: &route, RouteResponseId: &res.PhysicalID})
				if err == nil && (res.Attributes["RouteResponseId"] != res.PhysicalID || (ptr.Deref(r.ModelSelectionExpression) != "") != updated) {
					t.Errorf("route response %+v", r)
				}
				return err
			}},
		{"AWS::ApiGatewayV2::IntegrationResponse",
			map[string]any{"ApiId": wsID, "IntegrationId": integ, "IntegrationResponseKey": "/200/"},
			map[string]any{"ApiId": wsID, "IntegrationId": integ, "IntegrationResponseKey": "/200/", "TemplateSelectionExpression": "\\$default"},
			func(ctx *request.Context, res kit.ResourceResult, updated bool) error {
				r, err := e.s.GetIntegrationResponse(ctx, &apigatewayv2api.GetIntegrationResponseRequest{ApiId: &wsID, IntegrationId: &integ,
					IntegrationResponseId: &res.PhysicalID})
				if err == nil && (res.Attributes["IntegrationResponseId"] != res.PhysicalID || (ptr.Deref(r.TemplateSelectionExpression) != "") != updated) {
					t.Errorf("integration response %+v", r)
				}
				return err
			}},
	} {
		t.Run(c.typ, func(t *testing.T) {
			kittest.Lifecycle(t, ctx, p[c.typ], c.props, c.upd,
				func(res kit.ResourceResult, updated bool) error { return c.check(ctx, res, updated) },
				func(err error) bool { return apigatewayv2api.ErrNotFoundException.Is(err) })
		})
	}
}
