package apigateway

import (
	"testing"

	apigatewayapi "github.com/niwa-cloud/niwa/internal/api/apigateway"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

func patch(op, path, value string) apigatewayapi.PatchOperation {
	p := apigatewayapi.PatchOperation{Op: &op, Path: &path}
	if value != "" {
		p.Value = &value
	}
	return p
}

func ops(p ...apigatewayapi.PatchOperation) []apigatewayapi.PatchOperation { return p }

// TestApplyPatch: the generic patcher sets scalars from their string
// values, adds and removes map entries (with ~1 for a "/" in a key) and
// refuses paths not listed and values that do not parse.
func TestApplyPatch(t *testing.T) {
	for _, tc := range []struct {
		name  string
		ops   []apigatewayapi.PatchOperation
		check func(i apigatewayapi.Integration) bool
		fail  bool
	}{
		{"string", ops(patch("replace", "/uri", "http://x")), func(i apigatewayapi.Integration) bool { return ptr.Deref(i.Uri) == "http://x" }, false},
		{"int", ops(patch("replace", "/timeoutInMillis", "1500")), func(i apigatewayapi.Integration) bool { return ptr.Deref(i.TimeoutInMillis) == 1500 }, false},
		{"bad int", ops(patch("replace", "/timeoutInMillis", "soon")), nil, true},
		{"map add escaped", ops(patch("add", "/requestTemplates/application~1json", `{"a":1}`)), func(i apigatewayapi.Integration) bool { return i.RequestTemplates["application/json"] == `{"a":1}` }, false},
		{"map remove", ops(patch("add", "/requestTemplates/text~1plain", "x"), patch("remove", "/requestTemplates/text~1plain", "")), func(i apigatewayapi.Integration) bool {
			_, ok := i.RequestTemplates["text/plain"]
			return !ok
		}, false},
		{"remove scalar", ops(patch("remove", "/uri", "")), func(i apigatewayapi.Integration) bool { return i.Uri == nil }, false},
		{"unlisted path", ops(patch("replace", "/type", "MOCK")), nil, true},
		{"deep unlisted", ops(patch("replace", "/requestTemplates/a/b", "x")), nil, true},
		{"bad op", ops(patch("frobnicate", "/uri", "x")), nil, true},
		{"move unsupported", ops(patch("move", "/uri", "x")), nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			i := apigatewayapi.Integration{Uri: ptr.To("http://old")}
			err := applyPatch(&i, tc.ops, integrationPaths, nil)
			if tc.fail {
				wantCode(t, err, apigatewayapi.ErrBadRequestException, "")
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tc.check(i) {
				t.Fatalf("after patch: %+v", i)
			}
		})
	}
}

// TestUpdates: each Update/Get/Delete on the parts of an API changes
// what a later Get and the data plane see.
func TestUpdates(t *testing.T) {
	e := newEnv(t)
	ctx := e.h.Ctx()
	b := e.build(mockIntegration, false)
	api, item, get := ptr.To(b.api), ptr.To(b.item), ptr.To("ANY")

	// Resource rename moves the subtree's paths.
	r := must[*apigatewayapi.Resource](t)(e.s.UpdateResource(ctx, &apigatewayapi.UpdateResourceRequest{RestApiId: api, ResourceId: ptr.To(b.items),
		PatchOperations: ops(patch("replace", "/pathPart", "things"))}))
	if *r.Path != "/things" {
		t.Fatalf("path %q", *r.Path)
	}
	child := must[*apigatewayapi.Resource](t)(e.s.GetResource(ctx, &apigatewayapi.GetResourceRequest{RestApiId: api, ResourceId: item}))
	if *child.Path != "/things/{id}" {
		t.Fatalf("child path %q", *child.Path)
	}
	_, err := e.s.UpdateResource(ctx, &apigatewayapi.UpdateResourceRequest{RestApiId: api, ResourceId: ptr.To(b.items),
		PatchOperations: ops(patch("replace", "/parentId", b.item))})
	wantCode(t, err, apigatewayapi.ErrBadRequestException, "under itself")

	m := must[*apigatewayapi.Method](t)(e.s.UpdateMethod(ctx, &apigatewayapi.UpdateMethodRequest{RestApiId: api, ResourceId: item, HttpMethod: get,
		PatchOperations: ops(patch("replace", "/apiKeyRequired", "true"), patch("add", "/requestParameters/method.request.querystring.q", "true"))}))
	if !ptr.Deref(m.ApiKeyRequired) || !m.RequestParameters["method.request.querystring.q"] {
		t.Fatalf("method %+v", m)
	}
	_, err = e.s.UpdateMethod(ctx, &apigatewayapi.UpdateMethodRequest{RestApiId: api, ResourceId: item, HttpMethod: get,
		PatchOperations: ops(patch("replace", "/authorizationType", "BOGUS"))})
	wantCode(t, err, apigatewayapi.ErrBadRequestException, "Invalid authorization type")

	integ := must[*apigatewayapi.Integration](t)(e.s.UpdateIntegration(ctx, &apigatewayapi.UpdateIntegrationRequest{RestApiId: api, ResourceId: item, HttpMethod: get,
		PatchOperations: ops(patch("replace", "/timeoutInMillis", "1000"))}))
	if *integ.TimeoutInMillis != 1000 {
		t.Fatalf("timeout %d", *integ.TimeoutInMillis)
	}
	_, err = e.s.UpdateIntegration(ctx, &apigatewayapi.UpdateIntegrationRequest{RestApiId: api, ResourceId: item, HttpMethod: get,
		PatchOperations: ops(patch("replace", "/timeoutInMillis", "40000"))})
	wantCode(t, err, apigatewayapi.ErrBadRequestException, "Timeout")

	ir := must[*apigatewayapi.IntegrationResponse](t)(e.s.UpdateIntegrationResponse(ctx, &apigatewayapi.UpdateIntegrationResponseRequest{RestApiId: api, ResourceId: item, HttpMethod: get, StatusCode: ptr.To("200"),
		PatchOperations: ops(patch("replace", "/responseTemplates/application~1json", `{"patched": "$input.params('id')"}`))}))
	if ir.ResponseTemplates["application/json"] != `{"patched": "$input.params('id')"}` {
		t.Fatalf("templates %v", ir.ResponseTemplates)
	}
	mr := must[*apigatewayapi.MethodResponse](t)(e.s.UpdateMethodResponse(ctx, &apigatewayapi.UpdateMethodResponseRequest{RestApiId: api, ResourceId: item, HttpMethod: get, StatusCode: ptr.To("200"),
		PatchOperations: ops(patch("add", "/responseParameters/method.response.header.X-A", "false"))}))
	if v, ok := mr.ResponseParameters["method.response.header.X-A"]; !ok || v {
		t.Fatalf("response parameters %v", mr.ResponseParameters)
	}
	must[*apigatewayapi.MethodResponse](t)(e.s.GetMethodResponse(ctx, &apigatewayapi.GetMethodResponseRequest{RestApiId: api, ResourceId: item, HttpMethod: get, StatusCode: ptr.To("200")}))
	_, err = e.s.GetMethodResponse(ctx, &apigatewayapi.GetMethodResponseRequest{RestApiId: api, ResourceId: item, HttpMethod: get, StatusCode: ptr.To("404")})
	wantCode(t, err, apigatewayapi.ErrNotFoundException, "Invalid Response status code specified")

	// A new deployment serves the patched tree; the old one cannot be
	// deleted while the stage points at it.
	old := must[*apigatewayapi.Stage](t)(e.s.GetStage(ctx, &apigatewayapi.GetStageRequest{RestApiId: api, StageName: ptr.To("test")}))
	_, err = e.s.DeleteDeployment(ctx, &apigatewayapi.DeleteDeploymentRequest{RestApiId: api, DeploymentId: old.DeploymentId})
	wantCode(t, err, apigatewayapi.ErrBadRequestException, "Active stages")
	d := must[*apigatewayapi.Deployment](t)(e.s.CreateDeployment(ctx, &apigatewayapi.CreateDeploymentRequest{RestApiId: api, StageName: ptr.To("test")}))
	must[*apigatewayapi.DeleteDeploymentOutput](t)(e.s.DeleteDeployment(ctx, &apigatewayapi.DeleteDeploymentRequest{RestApiId: api, DeploymentId: old.DeploymentId}))
	_, err = e.s.GetDeployment(ctx, &apigatewayapi.GetDeploymentRequest{RestApiId: api, DeploymentId: old.DeploymentId})
	wantCode(t, err, apigatewayapi.ErrNotFoundException, "Invalid Deployment identifier specified")
	ud := must[*apigatewayapi.Deployment](t)(e.s.UpdateDeployment(ctx, &apigatewayapi.UpdateDeploymentRequest{RestApiId: api, DeploymentId: d.Id,
		PatchOperations: ops(patch("replace", "/description", "second"))}))
	if ptr.Deref(ud.Description) != "second" {
		t.Fatalf("description %q", ptr.Deref(ud.Description))
	}
	if s, body, _ := e.do("GET", "http://"+b.api+".execute-api.localhost/test/things/5", "", nil); s != 403 || body != `{"message":"Forbidden"}` {
		t.Fatalf("key now required: %d %s", s, body)
	}
	must[*apigatewayapi.Method](t)(e.s.UpdateMethod(ctx, &apigatewayapi.UpdateMethodRequest{RestApiId: api, ResourceId: item, HttpMethod: get,
		PatchOperations: ops(patch("replace", "/apiKeyRequired", "false"))}))
	must[*apigatewayapi.Deployment](t)(e.s.CreateDeployment(ctx, &apigatewayapi.CreateDeploymentRequest{RestApiId: api, StageName: ptr.To("test")}))
	if s, body, _ := e.do("GET", "http://"+b.api+".execute-api.localhost/test/things/5", "", nil); s != 200 || body != `{"patched": "5"}` {
		t.Fatalf("patched template: %d %s", s, body)
	}

	must[*apigatewayapi.DeleteIntegrationResponseOutput](t)(e.s.DeleteIntegrationResponse(ctx, &apigatewayapi.DeleteIntegrationResponseRequest{RestApiId: api, ResourceId: item, HttpMethod: get, StatusCode: ptr.To("200")}))
	_, err = e.s.GetIntegrationResponse(ctx, &apigatewayapi.GetIntegrationResponseRequest{RestApiId: api, ResourceId: item, HttpMethod: get, StatusCode: ptr.To("200")})
	wantCode(t, err, apigatewayapi.ErrNotFoundException, "")
	must[*apigatewayapi.DeleteMethodResponseOutput](t)(e.s.DeleteMethodResponse(ctx, &apigatewayapi.DeleteMethodResponseRequest{RestApiId: api, ResourceId: item, HttpMethod: get, StatusCode: ptr.To("200")}))
	must[*apigatewayapi.DeleteIntegrationOutput](t)(e.s.DeleteIntegration(ctx, &apigatewayapi.DeleteIntegrationRequest{RestApiId: api, ResourceId: item, HttpMethod: get}))
	_, err = e.s.GetIntegration(ctx, &apigatewayapi.GetIntegrationRequest{RestApiId: api, ResourceId: item, HttpMethod: get})
	wantCode(t, err, apigatewayapi.ErrNotFoundException, "")

	must[*apigatewayapi.FlushStageCacheOutput](t)(e.s.FlushStageCache(ctx, &apigatewayapi.FlushStageCacheRequest{RestApiId: api, StageName: ptr.To("test")}))
	_, err = e.s.FlushStageCache(ctx, &apigatewayapi.FlushStageCacheRequest{RestApiId: api, StageName: ptr.To("nope")})
	wantCode(t, err, apigatewayapi.ErrNotFoundException, "")

	acct := must[*apigatewayapi.Account](t)(e.s.UpdateAccount(ctx, &apigatewayapi.UpdateAccountRequest{PatchOperations: ops(patch("replace", "/cloudwatchRoleArn", "arn:aws:iam::000000000000:role/logs"))}))
	if got := must[*apigatewayapi.Account](t)(e.s.GetAccount(ctx, &apigatewayapi.GetAccountRequest{})); ptr.Deref(got.CloudwatchRoleArn) != ptr.Deref(acct.CloudwatchRoleArn) || got.CloudwatchRoleArn == nil {
		t.Fatalf("account %+v", got)
	}
}
