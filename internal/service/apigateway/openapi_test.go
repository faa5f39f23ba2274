package apigateway

import (
	"encoding/json"
	"strings"
	"testing"

	apigatewayapi "github.com/niwa-cloud/niwa/internal/api/apigateway"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

const petstoreYAML = `
swagger: "2.0"
info:
  title: pets
  version: "1"
x-amazon-apigateway-request-validators:
  all:
    validateRequestBody: true
    validateRequestParameters: true
x-amazon-apigateway-gateway-responses:
  INVALID_API_KEY:
    statusCode: "401"
    responseTemplates:
      application/json: '{"why": "key"}'
securityDefinitions:
  api_key:
    type: apiKey
    name: x-api-key
    in: header
definitions:
  Pet:
    type: object
    required: [name]
    properties:
      name: {type: string}
      owner: {$ref: "#/definitions/Owner"}
  Owner:
    type: object
    properties:
      id: {type: integer}
paths:
  /pets/{id}:
    get:
      parameters:
        - {name: id, in: path, required: true, type: string}
        - {name: q, in: query, required: false, type: string}
      responses:
        "200": {description: ok}
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates:
          application/json: '{"statusCode": 200}'
        responses:
          default:
            statusCode: "200"
            responseTemplates:
              application/json: '{"id": "$input.params(''id'')"}'
  /pets:
    post:
      security: [{api_key: []}]
      x-amazon-apigateway-request-validator: all
      parameters:
        - {in: body, name: Pet, required: true, schema: {$ref: "#/definitions/Pet"}}
      responses:
        "201": {description: created}
      x-amazon-apigateway-integration:
        type: mock
        passthroughBehavior: when_no_match
        requestTemplates:
          application/json: '{"statusCode": 201}'
        responses:
          default:
            statusCode: "201"
`

func TestImportExport(t *testing.T) {
	e := newEnv(t)
	ctx := e.h.Ctx()
	api := must[*apigatewayapi.RestApi](t)(e.s.ImportRestApi(ctx, &apigatewayapi.ImportRestApiRequest{Body: []byte(petstoreYAML)}))
	if *api.Name != "pets" {
		t.Fatalf("name %q", *api.Name)
	}
	res := must[*apigatewayapi.Resources](t)(e.s.GetResources(ctx, &apigatewayapi.GetResourcesRequest{RestApiId: api.Id, Embed: []string{"methods"}}))
	paths := map[string]apigatewayapi.Resource{}
	for _, r := range res.Items {
		paths[*r.Path] = r
	}
	if len(paths) != 3 {
		t.Fatalf("resources %v", paths)
	}
	post := paths["/pets"].ResourceMethods["POST"]
	if !ptr.Deref(post.ApiKeyRequired) || post.RequestModels["application/json"] != "Pet" || post.RequestValidatorId == nil {
		t.Fatalf("POST /pets %+v", post)
	}
	get := paths["/pets/{id}"].ResourceMethods["GET"]
	if !get.RequestParameters["method.request.path.id"] || get.RequestParameters["method.request.querystring.q"] {
		t.Fatalf("GET parameters %v", get.RequestParameters)
	}
	must[*apigatewayapi.Deployment](t)(e.s.CreateDeployment(ctx, &apigatewayapi.CreateDeploymentRequest{RestApiId: api.Id, StageName: ptr.To("v1")}))
	base := "http://" + *api.Id + ".execute-api.localhost/v1"
	if s, b, _ := e.do("GET", base+"/pets/9", "", nil); s != 200 || b != `{"id": "9"}` {
		t.Fatalf("imported GET: %d %s", s, b)
	}
	if s, b, _ := e.do("POST", base+"/pets", `{"name": "x"}`, nil); s != 401 || b != `{"why": "key"}` {
		t.Fatalf("imported gateway response: %d %s", s, b)
	}

	for _, tc := range []struct{ kind, accepts, want string }{
		{"swagger", "application/json", `"swagger": "2.0"`},
		{"oas30", "application/json", `"openapi": "3.0.1"`},
		{"oas30", "application/yaml", `openapi: 3.0.1`},
	} {
		out := must[*apigatewayapi.ExportResponse](t)(e.s.GetExport(ctx, &apigatewayapi.GetExportRequest{RestApiId: api.Id, StageName: ptr.To("v1"),
			ExportType: ptr.To(tc.kind), Accepts: ptr.To(tc.accepts), Parameters: map[string]string{"extensions": "integrations"}}))
		body := string(out.Body)
		if !strings.Contains(body, tc.want) || !strings.Contains(body, "x-amazon-apigateway-integration") || !strings.Contains(body, "/pets/{id}") {
			t.Fatalf("%s %s export:\n%s", tc.kind, tc.accepts, body)
		}
		// The export imports again into an API with the same shape.
		again := must[*apigatewayapi.RestApi](t)(e.s.ImportRestApi(ctx, &apigatewayapi.ImportRestApiRequest{Body: out.Body}))
		r2 := must[*apigatewayapi.Resources](t)(e.s.GetResources(ctx, &apigatewayapi.GetResourcesRequest{RestApiId: again.Id, Embed: []string{"methods"}}))
		if len(r2.Items) != 3 {
			t.Fatalf("%s round trip: %d resources", tc.kind, len(r2.Items))
		}
		for _, r := range r2.Items {
			if *r.Path == "/pets" && r.ResourceMethods["POST"].RequestModels["application/json"] != "Pet" {
				t.Fatalf("%s round trip lost the body model: %+v", tc.kind, r.ResourceMethods["POST"])
			}
		}
	}
	var swagger map[string]any
	out := must[*apigatewayapi.ExportResponse](t)(e.s.GetExport(ctx, &apigatewayapi.GetExportRequest{RestApiId: api.Id, StageName: ptr.To("v1"), ExportType: ptr.To("swagger")}))
	if err := json.Unmarshal(out.Body, &swagger); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out.Body), "x-amazon-apigateway-integration") {
		t.Fatal("integrations exported without extensions=integrations")
	}
	if swagger["basePath"] != "/v1" || swagger["securityDefinitions"] == nil {
		t.Fatalf("swagger %v", swagger)
	}

	// PutRestApi overwrite replaces the tree.
	small := `{"openapi": "3.0.1", "info": {"title": "x"}, "paths": {"/only": {"get": {"responses": {"200": {"description": "ok"}},
	  "x-amazon-apigateway-integration": {"type": "mock", "requestTemplates": {"application/json": "{\"statusCode\": 200}"}, "responses": {"default": {"statusCode": "200"}}}}}}}`
	must[*apigatewayapi.RestApi](t)(e.s.PutRestApi(ctx, &apigatewayapi.PutRestApiRequest{RestApiId: api.Id, Body: []byte(small)}))
	res = must[*apigatewayapi.Resources](t)(e.s.GetResources(ctx, &apigatewayapi.GetResourcesRequest{RestApiId: api.Id}))
	if len(res.Items) != 2 {
		t.Fatalf("after overwrite: %d resources", len(res.Items))
	}
	for _, bad := range []string{`not: [valid`, `{"info": {"title": "x"}}`, `[1, 2]`, `{"swagger": "2.0", "info": {}}`,
		`{"swagger": "2.0", "info": {"title": "t"}, "paths": {"/a": {"get": {"x-amazon-apigateway-integration": {"type": "bogus"}}}}}`} {
		_, err := e.s.ImportRestApi(ctx, &apigatewayapi.ImportRestApiRequest{Body: []byte(bad)})
		wantCode(t, err, apigatewayapi.ErrBadRequestException, "")
	}
	// A JSON array (YAML too) is named for what it is, not "<nil>".
	_, err := e.s.ImportRestApi(ctx, &apigatewayapi.ImportRestApiRequest{Body: []byte(`[[1], 2]`)})
	wantCode(t, err, apigatewayapi.ErrBadRequestException, "Invalid OpenAPI input: the definition must be an object")
	apis := must[*apigatewayapi.RestApis](t)(e.s.GetRestApis(ctx, &apigatewayapi.GetRestApisRequest{}))
	if len(apis.Items) != 4 {
		t.Fatalf("%d APIs: a failed import must leave none behind", len(apis.Items))
	}
}

func FuzzParseDefinition(f *testing.F) {
	f.Add([]byte(petstoreYAML))
	f.Add([]byte(`{"openapi": "3.0.1", "info": {"title": "x"}, "paths": {}}`))
	f.Add([]byte("a: &a [*a]"))
	f.Fuzz(func(t *testing.T, b []byte) {
		doc, err := parseDefinition(b)
		if err == nil && doc == nil {
			t.Fatal("nil definition without an error")
		}
	})
}

func TestTestInvokeMethod(t *testing.T) {
	e := newEnv(t)
	ctx := e.h.Ctx()
	b := e.build(mockIntegration, true)
	// Not deployed, key required: the test invoke runs anyway.
	out := must[*apigatewayapi.TestInvokeMethodResponse](t)(e.s.TestInvokeMethod(ctx, &apigatewayapi.TestInvokeMethodRequest{RestApiId: &b.api, ResourceId: &b.item,
		HttpMethod: ptr.To("ANY"), PathWithQueryString: ptr.To("/items/12?x=1")}))
	if *out.Status != 200 || *out.Body != `{"resource": "/items/{id}", "id": "12", "proxy": ""}` || out.Headers["Content-Type"] != "application/json" {
		t.Fatalf("test invoke %d %s %v", *out.Status, *out.Body, out.Headers)
	}
	_, err := e.s.TestInvokeMethod(ctx, &apigatewayapi.TestInvokeMethodRequest{RestApiId: &b.api, ResourceId: &b.item, HttpMethod: ptr.To("PATCH")})
	wantCode(t, err, apigatewayapi.ErrNotFoundException, "Invalid Method identifier specified")
}

// TestImportPrivateIntegration: an x-amazon-apigateway-integration's
// connectionType, connectionId and cacheKeyParameters are imported and
// exported again.
func TestImportPrivateIntegration(t *testing.T) {
	e := newEnv(t)
	ctx := e.h.Ctx()
	def := `{"openapi": "3.0.1", "info": {"title": "private"}, "paths": {"/p": {"get": {"responses": {"200": {"description": "ok"}},
	  "x-amazon-apigateway-integration": {"type": "http_proxy", "httpMethod": "GET", "uri": "http://nlb.internal:8080/p",
	    "connectionType": "VPC_LINK", "connectionId": "${stageVariables.link}", "cacheKeyParameters": ["method.request.querystring.q"]}}}}}`
	api := must[*apigatewayapi.RestApi](t)(e.s.ImportRestApi(ctx, &apigatewayapi.ImportRestApiRequest{Body: []byte(def)}))
	res := must[*apigatewayapi.Resources](t)(e.s.GetResources(ctx, &apigatewayapi.GetResourcesRequest{RestApiId: api.Id, Embed: []string{"methods"}}))
	var integ *apigatewayapi.Integration
	for _, r := range res.Items {
		if ptr.Deref(r.Path) == "/p" {
			integ = r.ResourceMethods["GET"].MethodIntegration
		}
	}
	if integ == nil || ptr.Deref(integ.ConnectionType) != "VPC_LINK" || ptr.Deref(integ.ConnectionId) != "${stageVariables.link}" ||
		len(integ.CacheKeyParameters) != 1 {
		t.Fatalf("integration %+v", integ)
	}
	must[*apigatewayapi.Deployment](t)(e.s.CreateDeployment(ctx, &apigatewayapi.CreateDeploymentRequest{RestApiId: api.Id, StageName: ptr.To("v1")}))
	out := must[*apigatewayapi.ExportResponse](t)(e.s.GetExport(ctx, &apigatewayapi.GetExportRequest{RestApiId: api.Id, StageName: ptr.To("v1"),
		ExportType: ptr.To("oas30"), Parameters: map[string]string{"extensions": "integrations"}}))
	if b := string(out.Body); !strings.Contains(b, `"connectionType":"VPC_LINK"`) && !strings.Contains(b, `"connectionType": "VPC_LINK"`) {
		t.Fatalf("export %s", b)
	}
}

// TestImportAuthorizers: a security scheme with
// x-amazon-apigateway-authorizer becomes a Lambda authorizer, and the
// operations that name it use it (CUSTOM); a token authorizer's identity
// source defaults to the scheme's header.
func TestImportAuthorizers(t *testing.T) {
	e := newEnv(t)
	ctx := e.h.Ctx()
	uri := "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:auth/invocations"
	def := `{"swagger": "2.0", "info": {"title": "authz"},
	  "securityDefinitions": {"tok": {"type": "apiKey", "name": "Authorization", "in": "header", "x-amazon-apigateway-authtype": "custom",
	    "x-amazon-apigateway-authorizer": {"type": "token", "authorizerUri": "` + uri + `", "authorizerResultTtlInSeconds": 60}}},
	  "paths": {"/me": {"get": {"security": [{"tok": []}], "responses": {"200": {"description": "ok"}},
	    "x-amazon-apigateway-integration": {"type": "mock", "requestTemplates": {"application/json": "{\"statusCode\": 200}"}, "responses": {"default": {"statusCode": "200"}}}}}}}`
	api := must[*apigatewayapi.RestApi](t)(e.s.ImportRestApi(ctx, &apigatewayapi.ImportRestApiRequest{Body: []byte(def)}))
	aus := must[*apigatewayapi.Authorizers](t)(e.s.GetAuthorizers(ctx, &apigatewayapi.GetAuthorizersRequest{RestApiId: api.Id}))
	if len(aus.Items) != 1 || ptr.Deref(aus.Items[0].Type) != "TOKEN" || ptr.Deref(aus.Items[0].IdentitySource) != "method.request.header.Authorization" ||
		ptr.Deref(aus.Items[0].AuthorizerResultTtlInSeconds) != 60 {
		t.Fatalf("authorizers %+v", aus.Items)
	}
	res := must[*apigatewayapi.Resources](t)(e.s.GetResources(ctx, &apigatewayapi.GetResourcesRequest{RestApiId: api.Id, Embed: []string{"methods"}}))
	for _, r := range res.Items {
		if ptr.Deref(r.Path) == "/me" {
			m := r.ResourceMethods["GET"]
			if ptr.Deref(m.AuthorizationType) != "CUSTOM" || ptr.Deref(m.AuthorizerId) != ptr.Deref(aus.Items[0].Id) {
				t.Fatalf("method %+v", m)
			}
		}
	}
	// Exported with extensions, the authorizer comes back as its scheme
	// and imports again.
	must[*apigatewayapi.Deployment](t)(e.s.CreateDeployment(ctx, &apigatewayapi.CreateDeploymentRequest{RestApiId: api.Id, StageName: ptr.To("v1")}))
	out := must[*apigatewayapi.ExportResponse](t)(e.s.GetExport(ctx, &apigatewayapi.GetExportRequest{RestApiId: api.Id, StageName: ptr.To("v1"),
		ExportType: ptr.To("swagger"), Parameters: map[string]string{"extensions": "integrations"}}))
	if !strings.Contains(string(out.Body), "x-amazon-apigateway-authorizer") {
		t.Fatalf("export %s", out.Body)
	}
	again := must[*apigatewayapi.RestApi](t)(e.s.ImportRestApi(ctx, &apigatewayapi.ImportRestApiRequest{Body: out.Body}))
	if got := must[*apigatewayapi.Authorizers](t)(e.s.GetAuthorizers(ctx, &apigatewayapi.GetAuthorizersRequest{RestApiId: again.Id})); len(got.Items) != 1 ||
		ptr.Deref(got.Items[0].IdentitySource) != "method.request.header.Authorization" {
		t.Fatalf("round trip %+v", got.Items)
	}
}
