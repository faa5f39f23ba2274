package apigatewayv2

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"

	apigatewayv2api "github.com/niwa-cloud/niwa/internal/api/apigatewayv2"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

const petstore = `
openapi: "3.0.1"
info:
  title: pets
  version: "1.0"
x-amazon-apigateway-cors:
  allowOrigins: ["https://app.example"]
  allowMethods: ["GET"]
components:
  securitySchemes:
    jwt:
      type: oauth2
      flows: {}
      x-amazon-apigateway-authorizer:
        type: jwt
        identitySource: "$request.header.Authorization"
        jwtConfiguration:
          issuer: https://issuer.example
          audience: [pets]
paths:
  /pets/{id}:
    get:
      security:
        - jwt: [pets:read]
      x-amazon-apigateway-integration:
        type: aws_proxy
        uri: arn:aws:lambda:us-east-1:000000000000:function:fn
        payloadFormatVersion: "2.0"
  /pets:
    x-amazon-apigateway-any-method:
      x-amazon-apigateway-integration:
        type: aws_proxy
        uri: arn:aws:lambda:us-east-1:000000000000:function:fn
        payloadFormatVersion: "2.0"
  /$default:
    x-amazon-apigateway-any-method:
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: ANY
        uri: https://backend.example
        timeoutInMillis: 5000
`

// TestOpenAPI: an OpenAPI 3 definition imports as routes, shared
// integrations, a JWT authorizer and CORS; the export imports again to
// the same routes; reimport replaces them.
func TestOpenAPI(t *testing.T) {
	e := newEnv(t)
	e.fns.set(testFn, returns(`"pets"`))
	out := must[*apigatewayv2api.ImportApiResponse](t)(e.s.ImportApi(e.h.Ctx(), &apigatewayv2api.ImportApiRequest{Body: ptr.To(petstore)}))
	api := *out.ApiId
	if *out.Name != "pets" || out.CorsConfiguration == nil || out.CorsConfiguration.AllowOrigins[0] != "https://app.example" {
		t.Fatalf("imported %+v", out)
	}
	keys := func(id string) string {
		routes := must[*apigatewayv2api.GetRoutesResponse](t)(e.s.GetRoutes(e.h.Ctx(), &apigatewayv2api.GetRoutesRequest{ApiId: &id}))
		var ks []string
		for _, r := range routes.Items {
			k := *r.RouteKey + " " + *r.AuthorizationType
			if len(r.AuthorizationScopes) > 0 {
				k += " " + strings.Join(r.AuthorizationScopes, ",")
			}
			ks = append(ks, k)
		}
		sort.Strings(ks)
		return strings.Join(ks, "|")
	}
	want := "$default NONE|ANY /pets NONE|GET /pets/{id} JWT pets:read"
	if got := keys(api); got != want {
		t.Fatalf("routes %s, want %s", got, want)
	}
	integs := must[*apigatewayv2api.GetIntegrationsResponse](t)(e.s.GetIntegrations(e.h.Ctx(), &apigatewayv2api.GetIntegrationsRequest{ApiId: &api}))
	if len(integs.Items) != 2 {
		t.Fatalf("%d integrations, want 2 (the identical Lambda ones shared)", len(integs.Items))
	}
	must[*apigatewayv2api.CreateStageResponse](t)(e.s.CreateStage(e.h.Ctx(), &apigatewayv2api.CreateStageRequest{ApiId: &api, StageName: ptr.To("$default"), AutoDeploy: ptr.To(true)}))
	wantAnswer(t, e.do("POST", host(api)+"/pets", ""), 200, `"pets"`)
	wantAnswer(t, e.do("GET", host(api)+"/pets/1", ""), 401, `{"message":"Unauthorized"}`)

	for _, format := range []string{"JSON", "YAML"} {
		exp := must[*apigatewayv2api.ExportApiResponse](t)(e.s.ExportApi(e.h.Ctx(), &apigatewayv2api.ExportApiRequest{ApiId: &api,
			Specification: ptr.To("OAS30"), OutputType: ptr.To(format), StageName: ptr.To("$default")}))
		if format == "JSON" {
			var doc map[string]any
			if err := json.Unmarshal(exp.Body, &doc); err != nil || doc["openapi"] != "3.0.1" {
				t.Fatalf("export %s: %v", exp.Body, err)
			}
		}
		again := must[*apigatewayv2api.ImportApiResponse](t)(e.s.ImportApi(e.h.Ctx(), &apigatewayv2api.ImportApiRequest{Body: ptr.To(string(exp.Body))}))
		if got := keys(*again.ApiId); got != want {
			t.Fatalf("%s export imports as %s, want %s\n%s", format, got, want, exp.Body)
		}
	}
	must[*apigatewayv2api.ReimportApiResponse](t)(e.s.ReimportApi(e.h.Ctx(), &apigatewayv2api.ReimportApiRequest{ApiId: &api, Body: ptr.To(`{"openapi":"3.0.1","info":{"title":"v2"},
		"paths":{"/only":{"get":{"x-amazon-apigateway-integration":{"type":"aws_proxy","uri":"` + testFn + `","payloadFormatVersion":"2.0"}}}}}`)}))
	if got := keys(api); got != "GET /only NONE" {
		t.Fatalf("after reimport: %s", got)
	}
	wantAnswer(t, e.do("GET", host(api)+"/only", ""), 200, `"pets"`)
	wantAnswer(t, e.do("POST", host(api)+"/pets", ""), 404, `{"message":"Not Found"}`)
	for name, body := range map[string]string{"swagger 2": `{"swagger":"2.0","info":{"title":"x"}}`, "not a document": `[1`,
		"bad integration": `{"openapi":"3.0.1","info":{"title":"x"},"paths":{"/a":{"get":{"x-amazon-apigateway-integration":{"type":"mock"}}}}}`} {
		if _, err := e.s.ImportApi(e.h.Ctx(), &apigatewayv2api.ImportApiRequest{Body: ptr.To(body)}); !apigatewayv2api.ErrBadRequestException.Is(err) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// FuzzImportApi: any definition imports or is refused with
// BadRequestException, never a panic.
func FuzzImportApi(f *testing.F) {
	f.Add(petstore)
	f.Add(`{"openapi":"3.0.1","info":{"title":"x"},"paths":{"/a":{"get":{}}}}`)
	e := newEnv(f)
	f.Fuzz(func(t *testing.T, body string) {
		_, err := e.s.ImportApi(e.h.Ctx(), &apigatewayv2api.ImportApiRequest{Body: &body})
		if err != nil && !apigatewayv2api.ErrBadRequestException.Is(err) && !apigatewayv2api.ErrConflictException.Is(err) {
			t.Fatalf("%v", err)
		}
	})
}
