package apigateway

import (
	"strings"
	"testing"

	apigatewayapi "github.com/niwa-cloud/niwa/internal/api/apigateway"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

const petSchema = `{"$schema": "http://json-schema.org/draft-04/schema#", "type": "object", "required": ["name", "price"],
 "properties": {"name": {"type": "string", "minLength": 1}, "price": {"type": "number", "minimum": 0},
  "owner": {"$ref": "https://apigateway.amazonaws.com/restapis/API/models/Owner"}}}`

func TestModelsAndValidators(t *testing.T) {
	e := newEnv(t)
	ctx := e.h.Ctx()
	b := e.build(mockIntegration, false)
	api := &b.api
	models := must[*apigatewayapi.Models](t)(e.s.GetModels(ctx, &apigatewayapi.GetModelsRequest{RestApiId: api}))
	if len(models.Items) != 2 || *models.Items[0].Name != "Empty" || *models.Items[1].Name != "Error" {
		t.Fatalf("default models %+v", models.Items)
	}
	_, err := e.s.CreateModel(ctx, &apigatewayapi.CreateModelRequest{RestApiId: api, Name: ptr.To("Bad"), ContentType: ptr.To("application/json"), Schema: ptr.To(`{"type": 7}`)})
	wantCode(t, err, apigatewayapi.ErrBadRequestException, "Invalid model specified")
	_, err = e.s.CreateModel(ctx, &apigatewayapi.CreateModelRequest{RestApiId: api, Name: ptr.To("Bad"), ContentType: ptr.To("application/json"), Schema: ptr.To(`{"$ref": "http://example.com/x"}`)})
	wantCode(t, err, apigatewayapi.ErrBadRequestException, "Invalid model specified")
	_, err = e.s.CreateModel(ctx, &apigatewayapi.CreateModelRequest{RestApiId: api, Name: ptr.To("has space"), ContentType: ptr.To("application/json"), Schema: ptr.To(`{}`)})
	wantCode(t, err, apigatewayapi.ErrBadRequestException, "alphanumeric")
	must[*apigatewayapi.ModelShape](t)(e.s.CreateModel(ctx, &apigatewayapi.CreateModelRequest{RestApiId: api, Name: ptr.To("Owner"), ContentType: ptr.To("application/json"),
		Schema: ptr.To(`{"type": "object", "required": ["id"], "properties": {"id": {"type": "integer"}}}`)}))
	must[*apigatewayapi.ModelShape](t)(e.s.CreateModel(ctx, &apigatewayapi.CreateModelRequest{RestApiId: api, Name: ptr.To("Pet"), ContentType: ptr.To("application/json"),
		Schema: ptr.To(strings.Replace(petSchema, "API", b.api, 1))}))
	_, err = e.s.CreateModel(ctx, &apigatewayapi.CreateModelRequest{RestApiId: api, Name: ptr.To("Pet"), ContentType: ptr.To("application/json"), Schema: ptr.To(`{}`)})
	wantCode(t, err, apigatewayapi.ErrConflictException, "")
	tmpl := must[*apigatewayapi.Template](t)(e.s.GetModelTemplate(ctx, &apigatewayapi.GetModelTemplateRequest{RestApiId: api, ModelName: ptr.To("Pet")}))
	if !strings.Contains(*tmpl.Value, `"price" : $inputRoot.price`) || !strings.Contains(*tmpl.Value, `"name" : "$inputRoot.name"`) {
		t.Fatalf("template %s", *tmpl.Value)
	}

	all := must[*apigatewayapi.RequestValidator](t)(e.s.CreateRequestValidator(ctx, &apigatewayapi.CreateRequestValidatorRequest{RestApiId: api, Name: ptr.To("all"),
		ValidateRequestBody: ptr.To(true), ValidateRequestParameters: ptr.To(true)}))
	_, err = e.s.CreateRequestValidator(ctx, &apigatewayapi.CreateRequestValidatorRequest{RestApiId: api, Name: ptr.To("all")})
	wantCode(t, err, apigatewayapi.ErrConflictException, "")
	_, err = e.s.UpdateMethod(ctx, &apigatewayapi.UpdateMethodRequest{RestApiId: api, ResourceId: &b.item, HttpMethod: ptr.To("ANY"),
		PatchOperations: ops(patch("replace", "/requestValidatorId", "nothere"))})
	wantCode(t, err, apigatewayapi.ErrBadRequestException, "Request Validator")
	_, err = e.s.UpdateMethod(ctx, &apigatewayapi.UpdateMethodRequest{RestApiId: api, ResourceId: &b.item, HttpMethod: ptr.To("ANY"),
		PatchOperations: ops(patch("add", "/requestModels/application~1json", "Nope"))})
	wantCode(t, err, apigatewayapi.ErrBadRequestException, "Invalid model identifier")
	must[*apigatewayapi.Method](t)(e.s.UpdateMethod(ctx, &apigatewayapi.UpdateMethodRequest{RestApiId: api, ResourceId: &b.item, HttpMethod: ptr.To("ANY"),
		PatchOperations: ops(patch("replace", "/requestValidatorId", *all.Id), patch("add", "/requestModels/application~1json", "Pet"),
			patch("add", "/requestParameters/method.request.querystring.q", "true"), patch("add", "/requestParameters/method.request.header.X-Trace", "true"),
			patch("add", "/requestParameters/method.request.querystring.opt", "false"))}))
	_, err = e.s.DeleteModel(ctx, &apigatewayapi.DeleteModelRequest{RestApiId: api, ModelName: ptr.To("Pet")})
	wantCode(t, err, apigatewayapi.ErrConflictException, "")
	must[*apigatewayapi.Deployment](t)(e.s.CreateDeployment(ctx, &apigatewayapi.CreateDeploymentRequest{RestApiId: api, StageName: ptr.To("test")}))

	url := "http://" + b.api + ".execute-api.localhost/test/items/1"
	hdr := map[string]string{"X-Trace": "t", "Content-Type": "application/json"}
	for _, tc := range []struct {
		name, query, body string
		header            map[string]string
		status            int
		resp              string
	}{
		{"valid", "?q=1", `{"name": "rex", "price": 3, "owner": {"id": 4}}`, hdr, 200, ""},
		{"missing both", "", `{"name": "rex", "price": 3}`, map[string]string{}, 400, `{"message":"Missing required request parameters: [X-Trace, q]"}`},
		{"missing query", "", `{"name": "rex", "price": 3}`, hdr, 400, `{"message":"Missing required request parameters: [q]"}`},
		{"empty query value present", "?q=", `{"name": "rex", "price": 3}`, hdr, 200, ""},
		{"missing required property", "?q=1", `{"name": "rex"}`, hdr, 400, `{"message":"Invalid request body"}`},
		{"wrong type", "?q=1", `{"name": "rex", "price": "3"}`, hdr, 400, `{"message":"Invalid request body"}`},
		{"referenced model", "?q=1", `{"name": "rex", "price": 3, "owner": {"id": "x"}}`, hdr, 400, `{"message":"Invalid request body"}`},
		{"not json", "?q=1", `{"name": `, hdr, 400, `{"message":"Invalid request body"}`},
		{"no model for the type", "?q=1", `anything`, map[string]string{"X-Trace": "t", "Content-Type": "text/plain"}, 200, ""},
	} {
		s, body, h := e.do("POST", url+tc.query, tc.body, tc.header)
		if s != tc.status || tc.resp != "" && body != tc.resp {
			t.Errorf("%s: %d %s, want %d %s", tc.name, s, body, tc.status, tc.resp)
		}
		if s == 400 && h.Get("x-amzn-ErrorType") != "BadRequestException" {
			t.Errorf("%s: error type %q", tc.name, h.Get("x-amzn-ErrorType"))
		}
	}
	// $context.error.validationErrorString lists what failed, in AWS's
	// words: the object's own keywords first, then its members by name
	// (depth first), only while nothing has failed.
	must[*apigatewayapi.GatewayResponse](t)(e.s.PutGatewayResponse(ctx, &apigatewayapi.PutGatewayResponseRequest{RestApiId: api, ResponseType: ptr.To("BAD_REQUEST_BODY"),
		StatusCode: ptr.To("400"), ResponseTemplates: map[string]string{"application/json": `$context.error.validationErrorString`}}))
	e.redeploy(*api)
	for _, tc := range []struct{ body, want string }{
		{`{"name": "rex"}`, `[object has missing required properties ([\"price\"])]`},
		{`{"price": "3"}`, `[object has missing required properties ([\"name\"])]`},
		{`{"name": "", "price": "3"}`, `[string \"\" is too short (length: 0, required minimum: 1), instance type (string) does not match any allowed primitive type (allowed: [\"integer\",\"number\"])]`},
		{`{"name": "rex", "price": -1, "owner": {"id": 1.5}}`, `[instance type (number) does not match any allowed primitive type (allowed: [\"integer\"]), numeric instance is lower than the required minimum (minimum: 0, found: -1)]`},
		{`[]`, `[instance type (array) does not match any allowed primitive type (allowed: [\"object\"])]`},
		{`{"name": `, ``},
	} {
		if s, body, _ := e.do("POST", url+"?q=1", tc.body, hdr); s != 400 || body != tc.want {
			t.Errorf("%s: %d %s, want 400 %s", tc.body, s, body, tc.want)
		}
	}
	must[*apigatewayapi.RequestValidator](t)(e.s.UpdateRequestValidator(ctx, &apigatewayapi.UpdateRequestValidatorRequest{RestApiId: api, RequestValidatorId: all.Id,
		PatchOperations: ops(patch("replace", "/validateRequestBody", "false"))}))
	// The stage serves its deployment's validators: the change needs a
	// deployment, as on AWS.
	if s, body, _ := e.do("POST", url+"?q=1", `{"name": "rex"}`, hdr); s != 400 {
		t.Errorf("body validation off, not deployed: %d %s", s, body)
	}
	e.redeploy(*api)
	if s, body, _ := e.do("POST", url+"?q=1", `{"name": "rex"}`, hdr); s != 200 {
		t.Errorf("body validation off: %d %s", s, body)
	}
	must[*apigatewayapi.ModelShape](t)(e.s.UpdateModel(ctx, &apigatewayapi.UpdateModelRequest{RestApiId: api, ModelName: ptr.To("Owner"),
		PatchOperations: ops(patch("replace", "/description", "owners"))}))
	_, err = e.s.UpdateModel(ctx, &apigatewayapi.UpdateModelRequest{RestApiId: api, ModelName: ptr.To("Owner"),
		PatchOperations: ops(patch("replace", "/schema", `{"type": "nonsense"}`))})
	wantCode(t, err, apigatewayapi.ErrBadRequestException, "")
	must[*apigatewayapi.DeleteRequestValidatorOutput](t)(e.s.DeleteRequestValidator(ctx, &apigatewayapi.DeleteRequestValidatorRequest{RestApiId: api, RequestValidatorId: all.Id}))
	_, err = e.s.GetRequestValidator(ctx, &apigatewayapi.GetRequestValidatorRequest{RestApiId: api, RequestValidatorId: all.Id})
	wantCode(t, err, apigatewayapi.ErrNotFoundException, "")
}
