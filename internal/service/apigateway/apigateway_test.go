package apigateway

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	apigatewayapi "github.com/niwa-cloud/niwa/internal/api/apigateway"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/servicetest"
)

// fakeFunctions answers invocations with a fixed reply, recording the
// payloads.
type fakeFunctions struct {
	reply    func(fn string, payload []byte) ([]byte, string)
	payloads [][]byte
}

func (f *fakeFunctions) Invoke(_ context.Context, fn string, payload []byte) ([]byte, string, error) {
	f.payloads = append(f.payloads, payload)
	out, fe := f.reply(fn, payload)
	return out, fe, nil
}

type env struct {
	t   *testing.T
	h   *servicetest.Harness
	s   *APIGateway
	fns *fakeFunctions
}

func newEnv(t *testing.T) *env {
	h := servicetest.New(t, "apigateway")
	fns := &fakeFunctions{reply: func(string, []byte) ([]byte, string) { return []byte(`{}`), "" }}
	return &env{t: t, h: h, s: New(Options{Store: h.Store(), Clock: h.Clock, Functions: fns}), fns: fns}
}

func must[T any](t *testing.T) func(v T, err error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func wantCode(t *testing.T, err error, code awserr.Code, msg string) {
	t.Helper()
	if !code.Is(err) {
		t.Fatalf("error %v, want %s", err, code.Code)
	}
	if msg != "" && !strings.Contains(err.Error(), msg) {
		t.Fatalf("error %q, want message %q", err, msg)
	}
}

var idRE = regexp.MustCompile(`^[a-z0-9]{10}$`)

func TestControlPlane(t *testing.T) {
	e := newEnv(t)
	ctx := e.h.Ctx()
	api := must[*apigatewayapi.RestApi](t)(e.s.CreateRestApi(ctx, &apigatewayapi.CreateRestApiRequest{Name: ptr.To("pets")}))
	if !idRE.MatchString(*api.Id) || !idRE.MatchString(*api.RootResourceId) {
		t.Fatalf("ids %q %q are not 10 lowercase alphanumerics", *api.Id, *api.RootResourceId)
	}
	_, err := e.s.GetRestApi(ctx, &apigatewayapi.GetRestApiRequest{RestApiId: ptr.To("nope000000")})
	wantCode(t, err, apigatewayapi.ErrNotFoundException, "Invalid REST API identifier specified")

	upd := must[*apigatewayapi.RestApi](t)(e.s.UpdateRestApi(ctx, &apigatewayapi.UpdateRestApiRequest{RestApiId: api.Id,
		PatchOperations: []apigatewayapi.PatchOperation{{Op: ptr.To("replace"), Path: ptr.To("/name"), Value: ptr.To("animals")}}}))
	if *upd.Name != "animals" {
		t.Fatalf("name %q after patch", *upd.Name)
	}
	_, err = e.s.UpdateRestApi(ctx, &apigatewayapi.UpdateRestApiRequest{RestApiId: api.Id,
		PatchOperations: []apigatewayapi.PatchOperation{{Op: ptr.To("replace"), Path: ptr.To("/bogus"), Value: ptr.To("x")}}})
	wantCode(t, err, apigatewayapi.ErrBadRequestException, "")

	pets := must[*apigatewayapi.Resource](t)(e.s.CreateResource(ctx, &apigatewayapi.CreateResourceRequest{RestApiId: api.Id, ParentId: api.RootResourceId, PathPart: ptr.To("pets")}))
	if *pets.Path != "/pets" {
		t.Fatalf("path %q", *pets.Path)
	}
	_, err = e.s.CreateResource(ctx, &apigatewayapi.CreateResourceRequest{RestApiId: api.Id, ParentId: api.RootResourceId, PathPart: ptr.To("pets")})
	wantCode(t, err, apigatewayapi.ErrConflictException, "")
	pet := must[*apigatewayapi.Resource](t)(e.s.CreateResource(ctx, &apigatewayapi.CreateResourceRequest{RestApiId: api.Id, ParentId: pets.Id, PathPart: ptr.To("{id}")}))
	if *pet.Path != "/pets/{id}" {
		t.Fatalf("path %q", *pet.Path)
	}
	_, err = e.s.CreateResource(ctx, &apigatewayapi.CreateResourceRequest{RestApiId: api.Id, ParentId: pets.Id, PathPart: ptr.To("{other}")})
	wantCode(t, err, apigatewayapi.ErrBadRequestException, "variable path part")
	_, err = e.s.CreateResource(ctx, &apigatewayapi.CreateResourceRequest{RestApiId: api.Id, ParentId: pets.Id, PathPart: ptr.To("a b")})
	wantCode(t, err, apigatewayapi.ErrBadRequestException, "")

	_, err = e.s.CreateDeployment(ctx, &apigatewayapi.CreateDeploymentRequest{RestApiId: api.Id})
	wantCode(t, err, apigatewayapi.ErrBadRequestException, "doesn't contain any methods")

	must[*apigatewayapi.Method](t)(e.s.PutMethod(ctx, &apigatewayapi.PutMethodRequest{RestApiId: api.Id, ResourceId: pet.Id, HttpMethod: ptr.To("GET"), AuthorizationType: ptr.To("NONE"),
		RequestParameters: map[string]bool{"method.request.querystring.q": false}}))
	_, err = e.s.PutMethod(ctx, &apigatewayapi.PutMethodRequest{RestApiId: api.Id, ResourceId: pet.Id, HttpMethod: ptr.To("GET"), AuthorizationType: ptr.To("NONE")})
	wantCode(t, err, apigatewayapi.ErrConflictException, "")
	_, err = e.s.GetIntegration(ctx, &apigatewayapi.GetIntegrationRequest{RestApiId: api.Id, ResourceId: pet.Id, HttpMethod: ptr.To("GET")})
	wantCode(t, err, apigatewayapi.ErrNotFoundException, "")
	_, err = e.s.CreateDeployment(ctx, &apigatewayapi.CreateDeploymentRequest{RestApiId: api.Id})
	wantCode(t, err, apigatewayapi.ErrBadRequestException, "No integration defined for method")
	_, err = e.s.PutIntegration(ctx, &apigatewayapi.PutIntegrationRequest{RestApiId: api.Id, ResourceId: pet.Id, HttpMethod: ptr.To("GET"), Type: ptr.To("AWS_PROXY"),
		IntegrationHttpMethod: ptr.To("POST"), Uri: ptr.To("arn:aws:apigateway:us-east-1:s3:path/bucket")})
	wantCode(t, err, apigatewayapi.ErrBadRequestException, "")
	must[*apigatewayapi.Integration](t)(e.s.PutIntegration(ctx, &apigatewayapi.PutIntegrationRequest{RestApiId: api.Id, ResourceId: pet.Id, HttpMethod: ptr.To("GET"), Type: ptr.To("MOCK"),
		RequestTemplates: map[string]string{"application/json": `{"statusCode": 200}`}}))
	_, err = e.s.PutIntegrationResponse(ctx, &apigatewayapi.PutIntegrationResponseRequest{RestApiId: api.Id, ResourceId: pet.Id, HttpMethod: ptr.To("GET"), StatusCode: ptr.To("200")})
	wantCode(t, err, apigatewayapi.ErrNotFoundException, "Invalid Response status code specified")

	dep := must[*apigatewayapi.Deployment](t)(e.s.CreateDeployment(ctx, &apigatewayapi.CreateDeploymentRequest{RestApiId: api.Id, StageName: ptr.To("dev"), Variables: map[string]string{"v": "1"}}))
	st := must[*apigatewayapi.Stage](t)(e.s.GetStage(ctx, &apigatewayapi.GetStageRequest{RestApiId: api.Id, StageName: ptr.To("dev")}))
	if *st.DeploymentId != *dep.Id || st.Variables["v"] != "1" {
		t.Fatalf("stage %+v", st)
	}
	_, err = e.s.CreateStage(ctx, &apigatewayapi.CreateStageRequest{RestApiId: api.Id, StageName: ptr.To("dev"), DeploymentId: dep.Id})
	wantCode(t, err, apigatewayapi.ErrConflictException, "")
	_, err = e.s.CreateStage(ctx, &apigatewayapi.CreateStageRequest{RestApiId: api.Id, StageName: ptr.To("prod"), DeploymentId: ptr.To("nothere000")})
	wantCode(t, err, apigatewayapi.ErrNotFoundException, "Invalid Deployment identifier specified")

	res := must[*apigatewayapi.Resources](t)(e.s.GetResources(ctx, &apigatewayapi.GetResourcesRequest{RestApiId: api.Id}))
	if len(res.Items) != 3 {
		t.Fatalf("%d resources", len(res.Items))
	}
	must[*apigatewayapi.DeleteResourceOutput](t)(e.s.DeleteResource(ctx, &apigatewayapi.DeleteResourceRequest{RestApiId: api.Id, ResourceId: pets.Id}))
	res = must[*apigatewayapi.Resources](t)(e.s.GetResources(ctx, &apigatewayapi.GetResourcesRequest{RestApiId: api.Id}))
	if len(res.Items) != 1 {
		t.Fatalf("%d resources after deleting /pets (its child goes too)", len(res.Items))
	}

	key := must[*apigatewayapi.ApiKey](t)(e.s.CreateApiKey(ctx, &apigatewayapi.CreateApiKeyRequest{Name: ptr.To("k"), Enabled: ptr.To(true)}))
	got := must[*apigatewayapi.ApiKey](t)(e.s.GetApiKey(ctx, &apigatewayapi.GetApiKeyRequest{ApiKey: key.Id}))
	if got.Value != nil {
		t.Fatal("value shown without includeValue")
	}
	got = must[*apigatewayapi.ApiKey](t)(e.s.GetApiKey(ctx, &apigatewayapi.GetApiKeyRequest{ApiKey: key.Id, IncludeValue: ptr.To(true)}))
	if len(ptr.Deref(got.Value)) != 40 {
		t.Fatalf("value %q", ptr.Deref(got.Value))
	}
	_, err = e.s.CreateUsagePlan(ctx, &apigatewayapi.CreateUsagePlanRequest{Name: ptr.To("p"),
		ApiStages: []apigatewayapi.ApiStage{{ApiId: api.Id, Stage: ptr.To("nostage")}}})
	wantCode(t, err, apigatewayapi.ErrNotFoundException, "")

	must[*apigatewayapi.DeleteRestApiOutput](t)(e.s.DeleteRestApi(ctx, &apigatewayapi.DeleteRestApiRequest{RestApiId: api.Id}))
	_, err = e.s.DeleteRestApi(ctx, &apigatewayapi.DeleteRestApiRequest{RestApiId: api.Id})
	wantCode(t, err, apigatewayapi.ErrNotFoundException, "Invalid REST API identifier specified")
}

// api builds /, /items/{id}, /files/{proxy+} and a GET on each with the
// given integration, deployed to stage "test".
type built struct {
	api, items, item, files, root string
}

func (e *env) build(integ func(resource string) *apigatewayapi.PutIntegrationRequest, keyRequired bool) built {
	t, ctx := e.t, e.h.Ctx()
	api := must[*apigatewayapi.RestApi](t)(e.s.CreateRestApi(ctx, &apigatewayapi.CreateRestApiRequest{Name: ptr.To("a")}))
	b := built{api: *api.Id, root: *api.RootResourceId}
	mk := func(parent, part string) string {
		r := must[*apigatewayapi.Resource](t)(e.s.CreateResource(ctx, &apigatewayapi.CreateResourceRequest{RestApiId: api.Id, ParentId: &parent, PathPart: &part}))
		return *r.Id
	}
	b.items = mk(b.root, "items")
	b.item = mk(b.items, "{id}")
	b.files = mk(b.root, "{proxy+}")
	for _, r := range []string{b.items, b.item, b.files} {
		must[*apigatewayapi.Method](t)(e.s.PutMethod(ctx, &apigatewayapi.PutMethodRequest{RestApiId: api.Id, ResourceId: ptr.To(r), HttpMethod: ptr.To("ANY"), AuthorizationType: ptr.To("NONE"), ApiKeyRequired: &keyRequired}))
		in := integ(r)
		in.RestApiId, in.ResourceId, in.HttpMethod = api.Id, ptr.To(r), ptr.To("ANY")
		must[*apigatewayapi.Integration](t)(e.s.PutIntegration(ctx, in))
		must[*apigatewayapi.MethodResponse](t)(e.s.PutMethodResponse(ctx, &apigatewayapi.PutMethodResponseRequest{RestApiId: api.Id, ResourceId: ptr.To(r), HttpMethod: ptr.To("ANY"), StatusCode: ptr.To("200")}))
		must[*apigatewayapi.IntegrationResponse](t)(e.s.PutIntegrationResponse(ctx, &apigatewayapi.PutIntegrationResponseRequest{RestApiId: api.Id, ResourceId: ptr.To(r), HttpMethod: ptr.To("ANY"), StatusCode: ptr.To("200"),
			ResponseTemplates: map[string]string{"application/json": `{"resource": "$context.resourcePath", "id": "$input.params('id')", "proxy": "$input.params('proxy')"}`}}))
	}
	must[*apigatewayapi.Deployment](t)(e.s.CreateDeployment(ctx, &apigatewayapi.CreateDeploymentRequest{RestApiId: api.Id, StageName: ptr.To("test"), Variables: map[string]string{"color": "blue"}}))
	return b
}

// redeploy deploys the API to its "test" stage again.
func (e *env) redeploy(api string) {
	e.t.Helper()
	must[*apigatewayapi.Deployment](e.t)(e.s.CreateDeployment(e.h.Ctx(), &apigatewayapi.CreateDeploymentRequest{RestApiId: &api, StageName: ptr.To("test")}))
}

func (e *env) do(method, url string, body string, header map[string]string) (int, string, http.Header) {
	e.t.Helper()
	return e.serveReq(e.request(method, url, body, header))
}

func (e *env) request(method, url string, body string, header map[string]string) *http.Request {
	e.t.Helper()
	req := httptest.NewRequest(method, url, strings.NewReader(body))
	for k, v := range header {
		req.Header.Set(k, v)
	}
	if !isInvoke(req) {
		e.t.Fatalf("%s is not an invoke", url)
	}
	return req
}

func replaceAll(s string, oldnew ...string) string {
	return strings.NewReplacer(oldnew...).Replace(s)
}

func (e *env) serveReq(req *http.Request) (int, string, http.Header) {
	w := httptest.NewRecorder()
	e.s.invokeHandler().ServeHTTP(w, req)
	b, _ := io.ReadAll(w.Result().Body)
	return w.Code, string(b), w.Result().Header
}

func mockIntegration(string) *apigatewayapi.PutIntegrationRequest {
	return &apigatewayapi.PutIntegrationRequest{Type: ptr.To("MOCK"), RequestTemplates: map[string]string{"application/json": `{"statusCode": 200}`}}
}

func TestInvokeMatching(t *testing.T) {
	e := newEnv(t)
	b := e.build(mockIntegration, false)
	host := "http://" + b.api + ".execute-api.localhost:4566"
	pathStyle := "http://localhost:4566/restapis/" + b.api + "/test/_user_request_"
	for _, tc := range []struct {
		url, method string
		status      int
		body        string
	}{
		{host + "/test/items", "GET", 200, `{"resource": "/items", "id": "", "proxy": ""}`},
		{host + "/test/items/7", "DELETE", 200, `{"resource": "/items/{id}", "id": "7", "proxy": ""}`},
		{host + "/test/a/b/c", "POST", 200, `{"resource": "/{proxy+}", "id": "", "proxy": "a/b/c"}`},
		{host + "/test/items/7/more", "GET", 200, `{"resource": "/{proxy+}", "id": "", "proxy": "items/7/more"}`},
		{pathStyle + "/items/9", "GET", 200, `{"resource": "/items/{id}", "id": "9", "proxy": ""}`},
		{host + "/test/", "GET", 403, `{"message":"Missing Authentication Token"}`},
		{host + "/nostage/items", "GET", 403, `{"message":"Forbidden"}`},
		{"http://zzzzzzzzzz.execute-api.localhost/test/items", "GET", 403, `{"message":"Forbidden"}`},
	} {
		status, body, _ := e.do(tc.method, tc.url, "", nil)
		if status != tc.status || body != tc.body {
			t.Errorf("%s %s: %d %s, want %d %s", tc.method, tc.url, status, body, tc.status, tc.body)
		}
	}
}

func TestInvokeMockSelectsStatus(t *testing.T) {
	e := newEnv(t)
	ctx := e.h.Ctx()
	api := must[*apigatewayapi.RestApi](t)(e.s.CreateRestApi(ctx, &apigatewayapi.CreateRestApiRequest{Name: ptr.To("m")}))
	r, m := api.RootResourceId, ptr.To("GET")
	must[*apigatewayapi.Method](t)(e.s.PutMethod(ctx, &apigatewayapi.PutMethodRequest{RestApiId: api.Id, ResourceId: r, HttpMethod: m, AuthorizationType: ptr.To("NONE")}))
	must[*apigatewayapi.Integration](t)(e.s.PutIntegration(ctx, &apigatewayapi.PutIntegrationRequest{RestApiId: api.Id, ResourceId: r, HttpMethod: m, Type: ptr.To("MOCK"),
		RequestTemplates: map[string]string{"application/json": `#if($input.params('fail') == "yes"){"statusCode": 500}#else{"statusCode": 200}#end`}}))
	for _, code := range []string{"200", "500"} {
		must[*apigatewayapi.MethodResponse](t)(e.s.PutMethodResponse(ctx, &apigatewayapi.PutMethodResponseRequest{RestApiId: api.Id, ResourceId: r, HttpMethod: m, StatusCode: ptr.To(code)}))
	}
	must[*apigatewayapi.IntegrationResponse](t)(e.s.PutIntegrationResponse(ctx, &apigatewayapi.PutIntegrationResponseRequest{RestApiId: api.Id, ResourceId: r, HttpMethod: m, StatusCode: ptr.To("200"),
		ResponseTemplates: map[string]string{"application/json": `{"ok": true, "stage": "$context.stage"}`}}))
	must[*apigatewayapi.IntegrationResponse](t)(e.s.PutIntegrationResponse(ctx, &apigatewayapi.PutIntegrationResponseRequest{RestApiId: api.Id, ResourceId: r, HttpMethod: m, StatusCode: ptr.To("500"), SelectionPattern: ptr.To(`5\d{2}`),
		ResponseTemplates: map[string]string{"application/json": `{"ok": false}`}}))
	must[*apigatewayapi.Deployment](t)(e.s.CreateDeployment(ctx, &apigatewayapi.CreateDeploymentRequest{RestApiId: api.Id, StageName: ptr.To("v1")}))
	base := "http://" + *api.Id + ".execute-api.localhost/v1/"
	if s, b, _ := e.do("GET", base, "", nil); s != 200 || b != `{"ok": true, "stage": "v1"}` {
		t.Errorf("got %d %s", s, b)
	}
	if s, b, _ := e.do("GET", base+"?fail=yes", "", nil); s != 500 || b != `{"ok": false}` {
		t.Errorf("got %d %s", s, b)
	}
	if s, _, _ := e.do("POST", base, "", nil); s != 403 {
		t.Errorf("POST on a GET-only resource: %d", s)
	}
}

// keyed builds a key-protected API with a usage plan, returning the
// invoke URL and the key's value.
func (e *env) keyed(throttle *apigatewayapi.ThrottleSettings, quota *apigatewayapi.QuotaSettings) (string, string, string) {
	t, ctx := e.t, e.h.Ctx()
	b := e.build(mockIntegration, true)
	key := must[*apigatewayapi.ApiKey](t)(e.s.CreateApiKey(ctx, &apigatewayapi.CreateApiKeyRequest{Name: ptr.To("k"), Enabled: ptr.To(true), Value: ptr.To("abcdefghijklmnopqrstuvwxyz")}))
	plan := must[*apigatewayapi.UsagePlan](t)(e.s.CreateUsagePlan(ctx, &apigatewayapi.CreateUsagePlanRequest{Name: ptr.To("p"),
		ApiStages: []apigatewayapi.ApiStage{{ApiId: &b.api, Stage: ptr.To("test")}}, Throttle: throttle, Quota: quota}))
	must[*apigatewayapi.UsagePlanKey](t)(e.s.CreateUsagePlanKey(ctx, &apigatewayapi.CreateUsagePlanKeyRequest{UsagePlanId: plan.Id, KeyId: key.Id, KeyType: ptr.To("API_KEY")}))
	return "http://" + b.api + ".execute-api.localhost/test/items", *key.Value, *key.Id
}

func TestInvokeAPIKeys(t *testing.T) {
	e := newEnv(t)
	url, value, _ := e.keyed(nil, nil)
	// A key in no plan for this stage.
	must[*apigatewayapi.ApiKey](t)(e.s.CreateApiKey(e.h.Ctx(), &apigatewayapi.CreateApiKeyRequest{Name: ptr.To("loose"), Enabled: ptr.To(true), Value: ptr.To("zyxwvutsrqponmlkjihgfedcba")}))
	for _, tc := range []struct {
		key    string
		status int
		body   string
	}{
		{"", 403, `{"message":"Forbidden"}`},
		{"wrong-key-wrong-key-wrong", 403, `{"message":"Forbidden"}`},
		{"zyxwvutsrqponmlkjihgfedcba", 403, `{"message":"Forbidden"}`},
		{value, 200, `{"resource": "/items", "id": "", "proxy": ""}`},
	} {
		h := map[string]string{}
		if tc.key != "" {
			h["x-api-key"] = tc.key
		}
		if s, b, _ := e.do("GET", url, "", h); s != tc.status || b != tc.body {
			t.Errorf("key %q: %d %s, want %d %s", tc.key, s, b, tc.status, tc.body)
		}
	}
}

func TestInvokeThrottleAndQuota(t *testing.T) {
	e := newEnv(t)
	url, value, _ := e.keyed(&apigatewayapi.ThrottleSettings{RateLimit: ptr.To(1.0), BurstLimit: ptr.To(int32(2))},
		&apigatewayapi.QuotaSettings{Limit: ptr.To(int32(4)), Period: ptr.To("DAY")})
	h := map[string]string{"x-api-key": value}
	var got []int
	var bodies []string
	step := func() {
		s, b, _ := e.do("GET", url, "", h)
		got = append(got, s)
		bodies = append(bodies, b)
	}
	step()
	step()
	step() // burst of 2 used up in the same instant
	e.h.Clock.Advance(time.Second)
	step()
	e.h.Clock.Advance(time.Second)
	step()
	e.h.Clock.Advance(time.Second)
	step() // the fifth allowed request: over the daily quota of 4
	want := []int{200, 200, 429, 200, 200, 429}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("statuses %v, want %v (%v)", got, want, bodies)
		}
	}
	if bodies[2] != `{"message":"Too Many Requests"}` || bodies[5] != `{"message":"Limit Exceeded"}` {
		t.Fatalf("bodies %q", bodies)
	}
	e.h.Clock.Advance(24 * time.Hour)
	if s, _, _ := e.do("GET", url, "", h); s != 200 {
		t.Fatalf("next day: %d", s)
	}
}

func TestInvokeLambdaProxy(t *testing.T) {
	e := newEnv(t)
	fn := "arn:aws:lambda:us-east-1:000000000000:function:f"
	uri := "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/" + fn + "/invocations"
	b := e.build(func(string) *apigatewayapi.PutIntegrationRequest {
		return &apigatewayapi.PutIntegrationRequest{Type: ptr.To("AWS_PROXY"), IntegrationHttpMethod: ptr.To("POST"), Uri: &uri}
	}, false)
	url := "http://" + b.api + ".execute-api.localhost/test/items/5?q=1&q=2"
	for _, tc := range []struct {
		reply  string
		fnErr  string
		status int
		body   string
	}{
		{`{"statusCode": 201, "headers": {"X-A": "b"}, "body": "made"}`, "", 201, "made"},
		{`{"statusCode": 200, "body": "aGk=", "isBase64Encoded": true}`, "", 200, "hi"},
		{`{"body": "no status"}`, "", 502, `{"message": "Internal server error"}`},
		{`not json`, "", 502, `{"message": "Internal server error"}`},
		{`{"errorMessage": "boom"}`, "Unhandled", 502, `{"message": "Internal server error"}`},
	} {
		e.fns.reply = func(got string, _ []byte) ([]byte, string) {
			if got != fn {
				t.Errorf("invoked %s", got)
			}
			return []byte(tc.reply), tc.fnErr
		}
		s, body, hdr := e.do("POST", url, `{"x":1}`, map[string]string{"Content-Type": "application/json", "X-Forwarded-For": "198.51.100.2"})
		if s != tc.status || body != tc.body {
			t.Errorf("reply %s: %d %s, want %d %s", tc.reply, s, body, tc.status, tc.body)
		}
		if s == 201 && hdr.Get("X-A") != "b" {
			t.Errorf("header X-A %q", hdr.Get("X-A"))
		}
	}
	var ev map[string]any
	if err := json.Unmarshal(e.fns.payloads[0], &ev); err != nil {
		t.Fatal(err)
	}
	rc := ev["requestContext"].(map[string]any)
	checks := map[string]any{
		"resource": "/items/{id}", "path": "/items/5", "httpMethod": "POST", "body": `{"x":1}`, "isBase64Encoded": false,
	}
	for k, v := range checks {
		if ev[k] != v {
			t.Errorf("%s = %v, want %v", k, ev[k], v)
		}
	}
	if ev["pathParameters"].(map[string]any)["id"] != "5" || ev["queryStringParameters"].(map[string]any)["q"] != "2" ||
		len(ev["multiValueQueryStringParameters"].(map[string]any)["q"].([]any)) != 2 || ev["stageVariables"].(map[string]any)["color"] != "blue" {
		t.Errorf("event %s", e.fns.payloads[0])
	}
	if rc["stage"] != "test" || rc["identity"].(map[string]any)["sourceIp"] != "198.51.100.2" || rc["requestId"] == "" || rc["path"] != "/test/items/5" {
		t.Errorf("requestContext %v", rc)
	}
}

func TestInvokeLambdaCustom(t *testing.T) {
	e := newEnv(t)
	ctx := e.h.Ctx()
	fn := "arn:aws:lambda:us-east-1:000000000000:function:f"
	uri := "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/" + fn + "/invocations"
	api := must[*apigatewayapi.RestApi](t)(e.s.CreateRestApi(ctx, &apigatewayapi.CreateRestApiRequest{Name: ptr.To("s18")}))
	r, m := api.RootResourceId, ptr.To("GET")
	must[*apigatewayapi.Method](t)(e.s.PutMethod(ctx, &apigatewayapi.PutMethodRequest{RestApiId: api.Id, ResourceId: r, HttpMethod: m, AuthorizationType: ptr.To("NONE"),
		RequestParameters: map[string]bool{"method.request.querystring.key": true}}))
	must[*apigatewayapi.Integration](t)(e.s.PutIntegration(ctx, &apigatewayapi.PutIntegrationRequest{RestApiId: api.Id, ResourceId: r, HttpMethod: m, Type: ptr.To("AWS"),
		IntegrationHttpMethod: ptr.To("POST"), Uri: &uri,
		RequestTemplates: map[string]string{"application/json": `{"key": "$input.params('key')", "sourceIp": "$context.identity.sourceIp"}`}}))
	for _, code := range []string{"200", "400"} {
		must[*apigatewayapi.MethodResponse](t)(e.s.PutMethodResponse(ctx, &apigatewayapi.PutMethodResponseRequest{RestApiId: api.Id, ResourceId: r, HttpMethod: m, StatusCode: ptr.To(code)}))
	}
	must[*apigatewayapi.IntegrationResponse](t)(e.s.PutIntegrationResponse(ctx, &apigatewayapi.PutIntegrationResponseRequest{RestApiId: api.Id, ResourceId: r, HttpMethod: m, StatusCode: ptr.To("200")}))
	must[*apigatewayapi.IntegrationResponse](t)(e.s.PutIntegrationResponse(ctx, &apigatewayapi.PutIntegrationResponseRequest{RestApiId: api.Id, ResourceId: r, HttpMethod: m, StatusCode: ptr.To("400"),
		SelectionPattern: ptr.To(".*not found.*"), ResponseTemplates: map[string]string{"application/json": `{"error": "$input.path('$.errorMessage')"}`}}))
	must[*apigatewayapi.Deployment](t)(e.s.CreateDeployment(ctx, &apigatewayapi.CreateDeploymentRequest{RestApiId: api.Id, StageName: ptr.To("prod")}))
	e.fns.reply = func(_ string, payload []byte) ([]byte, string) {
		var in struct{ Key string }
		_ = json.Unmarshal(payload, &in)
		if in.Key == "missing" {
			return []byte(`{"errorMessage": "row not found", "errorType": "Exception"}`), "Unhandled"
		}
		return []byte(`{"row": "` + in.Key + `"}`), ""
	}
	url := "http://" + *api.Id + ".execute-api.localhost/prod?key=k7"
	req := httptest.NewRequest("GET", url, nil)
	req.RemoteAddr = "203.0.113.9:5555"
	w := httptest.NewRecorder()
	e.s.invokeHandler().ServeHTTP(w, req)
	if w.Code != 200 || w.Body.String() != `{"row": "k7"}` {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	if got := string(e.fns.payloads[0]); got != `{"key": "k7", "sourceIp": "203.0.113.9"}` {
		t.Fatalf("payload %s", got)
	}
	if s, b, _ := e.do("GET", "http://"+*api.Id+".execute-api.localhost/prod?key=missing", "", nil); s != 400 || b != `{"error": "row not found"}` {
		t.Fatalf("error selection: %d %s", s, b)
	}
}

func TestResetRefillsBuckets(t *testing.T) {
	e := newEnv(t)
	url, value, _ := e.keyed(&apigatewayapi.ThrottleSettings{RateLimit: ptr.To(1.0), BurstLimit: ptr.To(int32(1))}, nil)
	h := map[string]string{"x-api-key": value}
	if s, _, _ := e.do("GET", url, "", h); s != 200 {
		t.Fatalf("first: %d", s)
	}
	if s, _, _ := e.do("GET", url, "", h); s != 429 {
		t.Fatalf("second in the same instant: %d", s)
	}
	if err := e.s.Reset(); err != nil {
		t.Fatal(err)
	}
	if s, _, _ := e.do("GET", url, "", h); s != 200 {
		t.Fatalf("after reset: %d", s)
	}
}

func TestStageVariablesAndKeyLists(t *testing.T) {
	e := newEnv(t)
	ctx := e.h.Ctx()
	url, value, keyID := e.keyed(nil, nil)
	api := strings.TrimSuffix(strings.TrimPrefix(url, "http://"), ".execute-api.localhost/test/items")
	st := must[*apigatewayapi.Stage](t)(e.s.UpdateStage(ctx, &apigatewayapi.UpdateStageRequest{RestApiId: &api, StageName: ptr.To("test"),
		PatchOperations: []apigatewayapi.PatchOperation{
			{Op: ptr.To("replace"), Path: ptr.To("/variables/color"), Value: ptr.To("red")},
			{Op: ptr.To("add"), Path: ptr.To("/variables/size"), Value: ptr.To("L")},
		}}))
	if st.Variables["color"] != "red" || st.Variables["size"] != "L" {
		t.Fatalf("variables %v", st.Variables)
	}
	_, err := e.s.UpdateStage(ctx, &apigatewayapi.UpdateStageRequest{RestApiId: &api, StageName: ptr.To("nope"),
		PatchOperations: []apigatewayapi.PatchOperation{{Op: ptr.To("replace"), Path: ptr.To("/description"), Value: ptr.To("d")}}})
	wantCode(t, err, apigatewayapi.ErrNotFoundException, "Invalid Stage identifier specified")

	ps := must[*apigatewayapi.UsagePlans](t)(e.s.GetUsagePlans(ctx, &apigatewayapi.GetUsagePlansRequest{KeyId: &keyID}))
	if len(ps.Items) != 1 {
		t.Fatalf("%d plans for the key", len(ps.Items))
	}
	ks := must[*apigatewayapi.UsagePlanKeys](t)(e.s.GetUsagePlanKeys(ctx, &apigatewayapi.GetUsagePlanKeysRequest{UsagePlanId: ps.Items[0].Id}))
	if len(ks.Items) != 1 || *ks.Items[0].Id != keyID {
		t.Fatalf("plan keys %+v", ks.Items)
	}
	must[*apigatewayapi.DeleteApiKeyOutput](t)(e.s.DeleteApiKey(ctx, &apigatewayapi.DeleteApiKeyRequest{ApiKey: &keyID}))
	if s, b, _ := e.do("GET", url, "", map[string]string{"x-api-key": value}); s != 403 {
		t.Fatalf("deleted key: %d %s", s, b)
	}
	ks = must[*apigatewayapi.UsagePlanKeys](t)(e.s.GetUsagePlanKeys(ctx, &apigatewayapi.GetUsagePlanKeysRequest{UsagePlanId: ps.Items[0].Id}))
	if len(ks.Items) != 0 {
		t.Fatalf("plan keys after deleting the key %+v", ks.Items)
	}
}

func TestInvokeHTTPProxy(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Backend", "yes")
		w.WriteHeader(202)
		_, _ = io.WriteString(w, r.Method+" "+r.URL.Path+"?"+r.URL.RawQuery+" "+string(b)+" key="+r.Header.Get("X-Api-Key"))
	}))
	defer backend.Close()
	e := newEnv(t)
	b := e.build(func(string) *apigatewayapi.PutIntegrationRequest {
		return &apigatewayapi.PutIntegrationRequest{Type: ptr.To("HTTP_PROXY"), IntegrationHttpMethod: ptr.To("ANY"), Uri: ptr.To(backend.URL + "/up/{proxy}")}
	}, false)
	s, body, h := e.do("PUT", "http://"+b.api+".execute-api.localhost/test/x/y?a=1", "hello", nil)
	if s != 202 || h.Get("X-Backend") != "yes" || body != "PUT /up/x/y?a=1 hello key=" {
		t.Fatalf("%d %v %s", s, h, body)
	}
}
