package apigatewayv2

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	apigatewayv2api "github.com/niwa-cloud/niwa/internal/api/apigatewayv2"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/servicetest"
)

const testFn = "arn:aws:lambda:us-east-1:000000000000:function:fn"

// fakeFunctions answers Lambda invocations with a function of the
// payload, recording each payload by function.
type fakeFunctions struct {
	mu       sync.Mutex
	payloads map[string][][]byte
	answer   map[string]func(payload []byte) ([]byte, string, error)
}

func (f *fakeFunctions) Invoke(ctx context.Context, fn string, payload []byte) ([]byte, string, error) {
	f.mu.Lock()
	if f.payloads == nil {
		f.payloads = map[string][][]byte{}
	}
	f.payloads[fn] = append(f.payloads[fn], payload)
	a := f.answer[fn]
	f.mu.Unlock()
	if a == nil {
		return nil, "", errors.New("no such function")
	}
	return a(payload)
}

func (f *fakeFunctions) calls(fn string) [][]byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.payloads[fn]
}

func (f *fakeFunctions) set(fn string, a func([]byte) ([]byte, string, error)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.answer == nil {
		f.answer = map[string]func([]byte) ([]byte, string, error){}
	}
	f.answer[fn] = a
}

func returns(out string) func([]byte) ([]byte, string, error) {
	return func([]byte) ([]byte, string, error) { return []byte(out), "", nil }
}

type fakeLogs struct {
	mu    sync.Mutex
	lines map[string][]string
}

func (l *fakeLogs) AppendLogEvents(account, region, group, stream string, lines []LogLine) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lines == nil {
		l.lines = map[string][]string{}
	}
	for _, ln := range lines {
		l.lines[account+"/"+region+"/"+group+"/"+stream] = append(l.lines[account+"/"+region+"/"+group+"/"+stream], ln.Message)
	}
	return nil
}

type env struct {
	t    testing.TB
	h    *servicetest.Harness
	s    *APIGatewayV2
	fns  *fakeFunctions
	logs *fakeLogs
}

func newEnv(t testing.TB) *env {
	h := servicetest.New(t, "apigatewayv2")
	e := &env{t: t, h: h, fns: &fakeFunctions{}, logs: &fakeLogs{}}
	e.s = New(Options{Store: h.Store(), Clock: h.Clock, Functions: e.fns, Logs: e.logs})
	return e
}

func must[T any](t testing.TB) func(v T, err error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// quick makes an HTTP API by quick create over target.
func (e *env) quick(target string, routeKey *string) string {
	out := must[*apigatewayv2api.CreateApiResponse](e.t)(e.s.CreateApi(e.h.Ctx(), &apigatewayv2api.CreateApiRequest{
		Name: ptr.To("q"), ProtocolType: ptr.To("HTTP"), Target: &target, RouteKey: routeKey}))
	return *out.ApiId
}

// api makes an empty HTTP API with a $default auto-deploy stage.
func (e *env) api(cors *apigatewayv2api.Cors) string {
	out := must[*apigatewayv2api.CreateApiResponse](e.t)(e.s.CreateApi(e.h.Ctx(), &apigatewayv2api.CreateApiRequest{
		Name: ptr.To("a"), ProtocolType: ptr.To("HTTP"), CorsConfiguration: cors}))
	must[*apigatewayv2api.CreateStageResponse](e.t)(e.s.CreateStage(e.h.Ctx(), &apigatewayv2api.CreateStageRequest{
		ApiId: out.ApiId, StageName: ptr.To("$default"), AutoDeploy: ptr.To(true)}))
	return *out.ApiId
}

func (e *env) integration(api string, in apigatewayv2api.CreateIntegrationRequest) string {
	in.ApiId = &api
	out := must[*apigatewayv2api.CreateIntegrationResult](e.t)(e.s.CreateIntegration(e.h.Ctx(), &in))
	return *out.IntegrationId
}

func (e *env) route(api, key, integ string, mod func(*apigatewayv2api.CreateRouteRequest)) string {
	in := &apigatewayv2api.CreateRouteRequest{ApiId: &api, RouteKey: &key, Target: ptr.To("integrations/" + integ)}
	if mod != nil {
		mod(in)
	}
	out := must[*apigatewayv2api.CreateRouteResult](e.t)(e.s.CreateRoute(e.h.Ctx(), in))
	return *out.RouteId
}

// lambdaInteg is an AWS_PROXY integration of testFn with the version.
func (e *env) lambdaInteg(api, version string) string {
	return e.integration(api, apigatewayv2api.CreateIntegrationRequest{IntegrationType: ptr.To("AWS_PROXY"),
		IntegrationUri: ptr.To(testFn), PayloadFormatVersion: &version})
}

// do invokes the data plane through the declared route.
func (e *env) do(method, target string, body string, hdr ...string) *httptest.ResponseRecorder {
	e.t.Helper()
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	route := e.s.Declare().Routes[0]
	if !route.Match(r) {
		e.t.Fatalf("%s %s is not an invoke", method, target)
	}
	w := httptest.NewRecorder()
	route.Handler.ServeHTTP(w, r)
	return w
}

func host(api string) string { return "http://" + api + ".execute-api.localhost:4566" }

func wantAnswer(t *testing.T, w *httptest.ResponseRecorder, status int, body string) {
	t.Helper()
	if w.Code != status || w.Body.String() != body {
		t.Fatalf("got %d %s, want %d %s", w.Code, w.Body.String(), status, body)
	}
}

// TestQuickCreateLambda: a quick-created API has one $default route to a
// payload 2.0 integration, served at once by its auto-deployed $default
// stage; the function's structured answer becomes the response.
func TestQuickCreateLambda(t *testing.T) {
	e := newEnv(t)
	e.fns.set(testFn, returns(`{"statusCode":201,"headers":{"x-a":"b","content-type":"text/plain"},"cookies":["c=1","d=2"],"body":"aGk=","isBase64Encoded":true}`))
	api := e.quick(testFn, nil)
	routes := must[*apigatewayv2api.GetRoutesResponse](t)(e.s.GetRoutes(e.h.Ctx(), &apigatewayv2api.GetRoutesRequest{ApiId: &api}))
	if len(routes.Items) != 1 || *routes.Items[0].RouteKey != "$default" || !*routes.Items[0].ApiGatewayManaged {
		t.Fatalf("routes %+v", routes.Items)
	}
	st := must[*apigatewayv2api.GetStageResponse](t)(e.s.GetStage(e.h.Ctx(), &apigatewayv2api.GetStageRequest{ApiId: &api, StageName: ptr.To("$default")}))
	if !*st.AutoDeploy || st.DeploymentId == nil {
		t.Fatalf("stage %+v", st)
	}
	w := e.do("GET", host(api)+"/hello/world?x=1&x=2&y=", "", "Cookie", "a=1; b=2")
	wantAnswer(t, w, 201, "hi")
	if w.Header().Get("X-A") != "b" || strings.Join(w.Header().Values("Set-Cookie"), "|") != "c=1|d=2" || w.Header().Get("Apigw-Requestid") == "" {
		t.Fatalf("headers %v", w.Header())
	}
	var ev map[string]any
	if err := json.Unmarshal(e.fns.calls(testFn)[0], &ev); err != nil {
		t.Fatal(err)
	}
	rc := ev["requestContext"].(map[string]any)
	if ev["version"] != "2.0" || ev["routeKey"] != "$default" || ev["rawPath"] != "/hello/world" || ev["rawQueryString"] != "x=1&x=2&y=" ||
		rc["http"].(map[string]any)["method"] != "GET" || rc["stage"] != "$default" || rc["apiId"] != api {
		t.Fatalf("event %v", ev)
	}
	if q := ev["queryStringParameters"].(map[string]any); q["x"] != "1,2" || q["y"] != "" {
		t.Fatalf("query %v", q)
	}
	if c := ev["cookies"].([]any); len(c) != 2 || c[0] != "a=1" || c[1] != "b=2" {
		t.Fatalf("cookies %v", c)
	}
	if _, has := ev["headers"].(map[string]any)["cookie"]; has {
		t.Fatal("the cookie header stays in headers")
	}
}

// TestLambdaAnswers: how each payload version reads what a function
// returns.
func TestLambdaAnswers(t *testing.T) {
	e := newEnv(t)
	api := e.api(nil)
	e.route(api, "GET /v2", e.lambdaInteg(api, "2.0"), nil)
	e.route(api, "GET /v1", e.lambdaInteg(api, "1.0"), nil)
	for _, tc := range []struct {
		path, out, fnErr string
		status           int
		body, ctype      string
	}{
		{"/v2", `"hello"`, "", 200, `"hello"`, "application/json"},
		{"/v2", `{"a":1}`, "", 200, `{"a":1}`, "application/json"},
		{"/v2", `[1,2]`, "", 200, `[1,2]`, "application/json"},
		{"/v2", `{"statusCode":404,"body":"nope"}`, "", 404, "nope", "application/json"},
		{"/v2", `not json`, "", 500, `{"message":"Internal Server Error"}`, "application/json"},
		{"/v2", `{"errorMessage":"boom"}`, "Unhandled", 500, `{"message":"Internal Server Error"}`, "application/json"},
		{"/v2", `{"statusCode":"x"}`, "", 500, `{"message":"Internal Server Error"}`, "application/json"},
		{"/v1", `{"statusCode":200,"body":"ok","multiValueHeaders":{"x-m":["a","b"]}}`, "", 200, "ok", ""},
		{"/v1", `{"a":1}`, "", 500, `{"message":"Internal Server Error"}`, "application/json"},
		{"/v1", `"hello"`, "", 500, `{"message":"Internal Server Error"}`, "application/json"},
	} {
		out, fnErr := tc.out, tc.fnErr
		e.fns.set(testFn, func([]byte) ([]byte, string, error) { return []byte(out), fnErr, nil })
		w := e.do("GET", host(api)+tc.path, "")
		if w.Code != tc.status || w.Body.String() != tc.body || w.Header().Get("Content-Type") != tc.ctype {
			t.Errorf("%s %s: got %d %q %q, want %d %q %q", tc.path, tc.out, w.Code, w.Body.String(), w.Header().Get("Content-Type"), tc.status, tc.body, tc.ctype)
		}
	}
	e.fns.set(testFn, returns(`{"statusCode":200,"body":"ok","multiValueHeaders":{"x-m":["a","b"]}}`))
	if w := e.do("GET", host(api)+"/v1", ""); strings.Join(w.Header().Values("X-M"), ",") != "a,b" {
		t.Errorf("1.0 multiValueHeaders: %v", w.Header())
	}
	// A function that does not answer within the integration's timeout.
	e.fns.set(testFn, func([]byte) ([]byte, string, error) { return nil, "", context.DeadlineExceeded })
	wantAnswer(t, e.do("GET", host(api)+"/v2", ""), 503, `{"message":"Service Unavailable"}`)
}

// TestNotFound: no route, an unknown stage, an unknown API.
func TestNotFound(t *testing.T) {
	e := newEnv(t)
	e.fns.set(testFn, returns(`"x"`))
	api := e.api(nil)
	e.route(api, "GET /items", e.lambdaInteg(api, "2.0"), nil)
	wantAnswer(t, e.do("GET", host(api)+"/items", ""), 200, `"x"`)
	wantAnswer(t, e.do("GET", host(api)+"/other", ""), 404, `{"message":"Not Found"}`)
	wantAnswer(t, e.do("POST", host(api)+"/items", ""), 404, `{"message":"Not Found"}`)
	wantAnswer(t, e.do("GET", "http://localhost:4566/restapis/"+api+"/nostage/_user_request_/items", ""), 404, `{"message":"Not Found"}`)
	wantAnswer(t, e.do("GET", "http://localhost:4566/restapis/"+api+"/$default/_user_request_/items", ""), 200, `"x"`)
	w := e.do("GET", host("zzzzzzzzzz")+"/items", "")
	wantAnswer(t, w, 403, `{"message":"Forbidden"}`)
	if w.Header().Get("X-Amzn-Errortype") != "ForbiddenException" {
		t.Errorf("unknown API: %v", w.Header())
	}
}

// TestStagesAndDeployments: a named stage is the path's first segment
// and serves its deployment; changes reach an auto-deploy stage at once
// and a manual one only with a new deployment.
func TestStagesAndDeployments(t *testing.T) {
	e := newEnv(t)
	e.fns.set(testFn, returns(`"x"`))
	api := e.api(nil)
	integ := e.lambdaInteg(api, "2.0")
	e.route(api, "GET /a", integ, nil)
	dep := must[*apigatewayv2api.CreateDeploymentResponse](t)(e.s.CreateDeployment(e.h.Ctx(), &apigatewayv2api.CreateDeploymentRequest{ApiId: &api}))
	must[*apigatewayv2api.CreateStageResponse](t)(e.s.CreateStage(e.h.Ctx(), &apigatewayv2api.CreateStageRequest{ApiId: &api,
		StageName: ptr.To("prod"), DeploymentId: dep.DeploymentId, StageVariables: map[string]string{"v": "1"}}))
	wantAnswer(t, e.do("GET", host(api)+"/prod/a", ""), 200, `"x"`)
	var ev map[string]any
	calls := e.fns.calls(testFn)
	_ = json.Unmarshal(calls[len(calls)-1], &ev)
	if ev["rawPath"] != "/prod/a" || ev["requestContext"].(map[string]any)["stage"] != "prod" || ev["stageVariables"].(map[string]any)["v"] != "1" {
		t.Fatalf("event %v", ev)
	}
	e.route(api, "GET /b", integ, nil)
	wantAnswer(t, e.do("GET", host(api)+"/b", ""), 200, `"x"`)
	wantAnswer(t, e.do("GET", host(api)+"/prod/b", ""), 404, `{"message":"Not Found"}`)
	if _, err := e.s.CreateDeployment(e.h.Ctx(), &apigatewayv2api.CreateDeploymentRequest{ApiId: &api, StageName: ptr.To("$default")}); !apigatewayv2api.ErrBadRequestException.Is(err) {
		t.Fatalf("deploying to an auto-deploy stage: %v", err)
	}
	must[*apigatewayv2api.CreateDeploymentResponse](t)(e.s.CreateDeployment(e.h.Ctx(), &apigatewayv2api.CreateDeploymentRequest{ApiId: &api, StageName: ptr.To("prod")}))
	wantAnswer(t, e.do("GET", host(api)+"/prod/b", ""), 200, `"x"`)
	if _, err := e.s.DeleteDeployment(e.h.Ctx(), &apigatewayv2api.DeleteDeploymentRequest{ApiId: &api, DeploymentId: dep.DeploymentId}); err != nil {
		t.Fatalf("an unused deployment: %v", err)
	}
}

// TestHTTPProxy: the request reaches the URL with the route's path
// variables, the parameter mappings apply, and the answer's mapping for
// its status code too; a backend slower than the timeout is 503.
func TestHTTPProxy(t *testing.T) {
	type seen struct {
		method, path, query string
		hdr                 http.Header
		body                string
	}
	got := make(chan seen, 4)
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			<-r.Context().Done()
			return
		}
		b, _ := io.ReadAll(r.Body)
		got <- seen{r.Method, r.URL.Path, r.URL.RawQuery, r.Header, string(b)}
		w.Header().Set("X-Backend", "be")
		w.WriteHeader(200)
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	defer backend.Close()
	e := newEnv(t)
	api := e.api(nil)
	integ := e.integration(api, apigatewayv2api.CreateIntegrationRequest{IntegrationType: ptr.To("HTTP_PROXY"),
		IntegrationMethod: ptr.To("ANY"), IntegrationUri: ptr.To(backend.URL + "/base/{id}"),
		RequestParameters: map[string]string{
			"append:header.x-user":      "$request.path.id",
			"overwrite:querystring.q":   "fixed",
			"remove:header.x-drop":      "''",
			"append:querystring.source": "$context.routeKey",
		},
		ResponseParameters: map[string]map[string]string{"200": {
			"overwrite:statuscode": "202",
			"append:header.x-from": "$response.header.X-Backend",
		}}})
	e.route(api, "POST /users/{id}", integ, nil)
	w := e.do("POST", host(api)+"/users/42?q=mine&k=v", `{"a":1}`, "X-Drop", "secret", "Content-Type", "application/json")
	wantAnswer(t, w, 202, `{"ok":true}`)
	if w.Header().Get("X-From") != "be" {
		t.Errorf("response mapping: %v", w.Header())
	}
	s := <-got
	if s.method != "POST" || s.path != "/base/42" || s.body != `{"a":1}` || s.hdr.Get("X-User") != "42" || s.hdr.Get("X-Drop") != "" {
		t.Fatalf("backend saw %+v", s)
	}
	if !strings.Contains(s.query, "q=fixed") || strings.Contains(s.query, "mine") || !strings.Contains(s.query, "k=v") || !strings.Contains(s.query, "source=POST") {
		t.Fatalf("backend query %q", s.query)
	}
	// overwrite:path and the $default route's whole path.
	integ2 := e.integration(api, apigatewayv2api.CreateIntegrationRequest{IntegrationType: ptr.To("HTTP_PROXY"),
		IntegrationMethod: ptr.To("GET"), IntegrationUri: ptr.To(backend.URL + "/root"),
		RequestParameters: map[string]string{"overwrite:path": "/moved/$request.path.n"}})
	e.route(api, "GET /move/{n}", integ2, nil)
	wantAnswer(t, e.do("GET", host(api)+"/move/7", ""), 200, `{"ok":true}`)
	if s := <-got; s.path != "/moved/7" {
		t.Fatalf("overwrite:path: %+v", s)
	}
	integ3 := e.integration(api, apigatewayv2api.CreateIntegrationRequest{IntegrationType: ptr.To("HTTP_PROXY"),
		IntegrationMethod: ptr.To("ANY"), IntegrationUri: ptr.To(backend.URL + "/root")})
	e.route(api, "$default", integ3, nil)
	wantAnswer(t, e.do("GET", host(api)+"/deep/path", ""), 200, `{"ok":true}`)
	if s := <-got; s.path != "/root/deep/path" {
		t.Fatalf("$default: %+v", s)
	}
	slow := e.integration(api, apigatewayv2api.CreateIntegrationRequest{IntegrationType: ptr.To("HTTP_PROXY"),
		IntegrationMethod: ptr.To("GET"), IntegrationUri: ptr.To(backend.URL + "/slow"), TimeoutInMillis: ptr.To(int32(50))})
	e.route(api, "GET /slow", slow, nil)
	wantAnswer(t, e.do("GET", host(api)+"/slow", ""), 503, `{"message":"Service Unavailable"}`)
	// Bad mappings are refused when the integration is made.
	_, err := e.s.CreateIntegration(e.h.Ctx(), &apigatewayv2api.CreateIntegrationRequest{ApiId: &api, IntegrationType: ptr.To("HTTP_PROXY"),
		IntegrationMethod: ptr.To("GET"), IntegrationUri: ptr.To(backend.URL), RequestParameters: map[string]string{"replace:header.x": "1"}})
	if !apigatewayv2api.ErrBadRequestException.Is(err) {
		t.Fatalf("bad mapping key: %v", err)
	}
}

// TestCORS: API Gateway answers preflights itself and adds the
// configured headers to answers for allowed origins.
func TestCORS(t *testing.T) {
	e := newEnv(t)
	e.fns.set(testFn, returns(`{"statusCode":200,"headers":{"access-control-allow-origin":"https://evil.example"},"body":"x"}`))
	api := e.api(&apigatewayv2api.Cors{AllowOrigins: []string{"https://app.example"}, AllowMethods: []string{"GET", "POST"},
		AllowHeaders: []string{"authorization", "content-type"}, ExposeHeaders: []string{"x-total"}, MaxAge: ptr.To(int32(300)), AllowCredentials: ptr.To(true)})
	e.route(api, "GET /items", e.lambdaInteg(api, "2.0"), nil)
	w := e.do("OPTIONS", host(api)+"/items", "", "Origin", "https://app.example", "Access-Control-Request-Method", "POST",
		"Access-Control-Request-Headers", "Authorization")
	if w.Code != 204 || w.Header().Get("Access-Control-Allow-Origin") != "https://app.example" ||
		w.Header().Get("Access-Control-Allow-Methods") != "GET,POST" || w.Header().Get("Access-Control-Allow-Headers") != "authorization,content-type" ||
		w.Header().Get("Access-Control-Max-Age") != "300" || w.Header().Get("Access-Control-Allow-Credentials") != "true" {
		t.Fatalf("preflight: %d %v", w.Code, w.Header())
	}
	if len(e.fns.calls(testFn)) != 0 {
		t.Fatal("the preflight reached the function")
	}
	w = e.do("OPTIONS", host(api)+"/items", "", "Origin", "https://other.example", "Access-Control-Request-Method", "GET")
	if w.Code != 204 || w.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("preflight of another origin: %d %v", w.Code, w.Header())
	}
	w = e.do("GET", host(api)+"/items", "", "Origin", "https://app.example")
	if w.Code != 200 || w.Header().Get("Access-Control-Allow-Origin") != "https://app.example" || w.Header().Get("Access-Control-Expose-Headers") != "x-total" {
		t.Fatalf("simple request: %d %v", w.Code, w.Header())
	}
	// Without CORS configuration a preflight is routed like any request.
	api2 := e.api(nil)
	e.route(api2, "GET /items", e.lambdaInteg(api2, "2.0"), nil)
	wantAnswer(t, e.do("OPTIONS", host(api2)+"/items", "", "Origin", "https://app.example", "Access-Control-Request-Method", "GET"), 404, `{"message":"Not Found"}`)
}

// TestLambdaAuthorizer: simple responses allow or deny; answers are
// cached by identity source for the TTL on the clock; a missing
// identity source is 401 without calling the authorizer.
func TestLambdaAuthorizer(t *testing.T) {
	e := newEnv(t)
	const authFn = "arn:aws:lambda:us-east-1:000000000000:function:auth"
	e.fns.set(testFn, returns(`"in"`))
	e.fns.set(authFn, func(p []byte) ([]byte, string, error) {
		var ev struct {
			IdentitySource []string `json:"identitySource"`
			RouteArn       string   `json:"routeArn"`
		}
		_ = json.Unmarshal(p, &ev)
		ok := len(ev.IdentitySource) == 1 && ev.IdentitySource[0] == "good"
		return []byte(`{"isAuthorized":` + map[bool]string{true: "true", false: "false"}[ok] + `,"context":{"user":"u1"}}`), "", nil
	})
	api := e.api(nil)
	au := must[*apigatewayv2api.CreateAuthorizerResponse](t)(e.s.CreateAuthorizer(e.h.Ctx(), &apigatewayv2api.CreateAuthorizerRequest{
		ApiId: &api, Name: ptr.To("a"), AuthorizerType: ptr.To("REQUEST"), IdentitySource: []string{"$request.header.X-Token"},
		AuthorizerUri:                  ptr.To("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/" + authFn + "/invocations"),
		AuthorizerPayloadFormatVersion: ptr.To("2.0"), EnableSimpleResponses: ptr.To(true), AuthorizerResultTtlInSeconds: ptr.To(int32(60))}))
	e.route(api, "GET /secret", e.lambdaInteg(api, "2.0"), func(r *apigatewayv2api.CreateRouteRequest) {
		r.AuthorizationType, r.AuthorizerId = ptr.To("CUSTOM"), au.AuthorizerId
	})
	wantAnswer(t, e.do("GET", host(api)+"/secret", ""), 401, `{"message":"Unauthorized"}`)
	if n := len(e.fns.calls(authFn)); n != 0 {
		t.Fatalf("authorizer called %d times without its identity source", n)
	}
	wantAnswer(t, e.do("GET", host(api)+"/secret", "", "X-Token", "bad"), 403, `{"message":"Forbidden"}`)
	wantAnswer(t, e.do("GET", host(api)+"/secret", "", "X-Token", "good"), 200, `"in"`)
	wantAnswer(t, e.do("GET", host(api)+"/secret", "", "X-Token", "good"), 200, `"in"`)
	if n := len(e.fns.calls(authFn)); n != 2 {
		t.Fatalf("authorizer called %d times, want 2 (one cached answer)", n)
	}
	var ev map[string]any
	calls := e.fns.calls(testFn)
	_ = json.Unmarshal(calls[len(calls)-1], &ev)
	if l := ev["requestContext"].(map[string]any)["authorizer"].(map[string]any)["lambda"].(map[string]any); l["user"] != "u1" {
		t.Fatalf("authorizer context %v", l)
	}
	e.h.Clock.Advance(61 * time.Second)
	wantAnswer(t, e.do("GET", host(api)+"/secret", "", "X-Token", "good"), 200, `"in"`)
	if n := len(e.fns.calls(authFn)); n != 3 {
		t.Fatalf("authorizer called %d times after the TTL, want 3", n)
	}
	if _, err := e.s.DeleteAuthorizer(e.h.Ctx(), &apigatewayv2api.DeleteAuthorizerRequest{ApiId: &api, AuthorizerId: au.AuthorizerId}); !apigatewayv2api.ErrConflictException.Is(err) {
		t.Fatalf("deleting an authorizer in use: %v", err)
	}
}

// TestThrottle: the stage's default route settings limit calls on the
// clock: a burst, then the rate.
func TestThrottle(t *testing.T) {
	e := newEnv(t)
	e.fns.set(testFn, returns(`"x"`))
	api := e.api(nil)
	e.route(api, "GET /t", e.lambdaInteg(api, "2.0"), nil)
	must[*apigatewayv2api.UpdateStageResponse](t)(e.s.UpdateStage(e.h.Ctx(), &apigatewayv2api.UpdateStageRequest{ApiId: &api, StageName: ptr.To("$default"),
		DefaultRouteSettings: &apigatewayv2api.RouteSettings{ThrottlingBurstLimit: ptr.To(int32(2)), ThrottlingRateLimit: ptr.To(1.0)}}))
	wantAnswer(t, e.do("GET", host(api)+"/t", ""), 200, `"x"`)
	wantAnswer(t, e.do("GET", host(api)+"/t", ""), 200, `"x"`)
	wantAnswer(t, e.do("GET", host(api)+"/t", ""), 429, `{"message":"Too Many Requests"}`)
	e.h.Clock.Advance(time.Second)
	wantAnswer(t, e.do("GET", host(api)+"/t", ""), 200, `"x"`)
	wantAnswer(t, e.do("GET", host(api)+"/t", ""), 429, `{"message":"Too Many Requests"}`)
}

// TestAccessLog: a stage's access log settings write one line per call
// in its format to the log group.
func TestAccessLog(t *testing.T) {
	e := newEnv(t)
	e.fns.set(testFn, returns(`"x"`))
	api := e.api(nil)
	e.route(api, "GET /l", e.lambdaInteg(api, "2.0"), nil)
	must[*apigatewayv2api.UpdateStageResponse](t)(e.s.UpdateStage(e.h.Ctx(), &apigatewayv2api.UpdateStageRequest{ApiId: &api, StageName: ptr.To("$default"),
		AccessLogSettings: &apigatewayv2api.AccessLogSettings{DestinationArn: ptr.To("arn:aws:logs:us-east-1:000000000000:log-group:access"),
			Format: ptr.To(`{"route":"$context.routeKey","status":"$context.status","ip":"$context.identity.sourceIp","err":"$context.authorizer.error"}`)}}))
	e.do("GET", host(api)+"/l", "")
	e.do("GET", host(api)+"/missing", "")
	lines := e.logs.lines["000000000000/us-east-1/access/"+api+"_$default"]
	want := []string{`{"route":"GET /l","status":"200","ip":"192.0.2.1","err":"-"}`, `{"route":"-","status":"404","ip":"192.0.2.1","err":"-"}`}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Fatalf("access log %q, want %q", lines, want)
	}
}

// TestControlPlaneRefusals: what API Gateway refuses.
func TestControlPlaneRefusals(t *testing.T) {
	e := newEnv(t)
	api := e.api(nil)
	integ := e.lambdaInteg(api, "2.0")
	e.route(api, "GET /a", integ, nil)
	for name, err := range map[string]error{
		"duplicate route key": second(e.s.CreateRoute(e.h.Ctx(), &apigatewayv2api.CreateRouteRequest{ApiId: &api, RouteKey: ptr.To("GET /a")})),
		"bad route key":       second(e.s.CreateRoute(e.h.Ctx(), &apigatewayv2api.CreateRouteRequest{ApiId: &api, RouteKey: ptr.To("GET /{x+}/y")})),
		"unknown target": second(e.s.CreateRoute(e.h.Ctx(), &apigatewayv2api.CreateRouteRequest{ApiId: &api, RouteKey: ptr.To("GET /b"),
			Target: ptr.To("integrations/nope")})),
		"JWT without authorizer": second(e.s.CreateRoute(e.h.Ctx(), &apigatewayv2api.CreateRouteRequest{ApiId: &api, RouteKey: ptr.To("GET /c"),
			AuthorizationType: ptr.To("JWT")})),
		"lambda without payload version": second(e.s.CreateIntegration(e.h.Ctx(), &apigatewayv2api.CreateIntegrationRequest{ApiId: &api,
			IntegrationType: ptr.To("AWS_PROXY"), IntegrationUri: ptr.To(testFn)})),
		"MOCK on HTTP": second(e.s.CreateIntegration(e.h.Ctx(), &apigatewayv2api.CreateIntegrationRequest{ApiId: &api,
			IntegrationType: ptr.To("MOCK")})),
		"timeout": second(e.s.CreateIntegration(e.h.Ctx(), &apigatewayv2api.CreateIntegrationRequest{ApiId: &api,
			IntegrationType: ptr.To("AWS_PROXY"), IntegrationUri: ptr.To(testFn), PayloadFormatVersion: ptr.To("2.0"), TimeoutInMillis: ptr.To(int32(30001))})),
		"integration in use": second(e.s.DeleteIntegration(e.h.Ctx(), &apigatewayv2api.DeleteIntegrationRequest{ApiId: &api, IntegrationId: &integ})),
		"JWT without issuer": second(e.s.CreateAuthorizer(e.h.Ctx(), &apigatewayv2api.CreateAuthorizerRequest{ApiId: &api, Name: ptr.To("j"),
			AuthorizerType: ptr.To("JWT"), IdentitySource: []string{"$request.header.Authorization"}})),
		"credentials with wildcard origin": second(e.s.UpdateApi(e.h.Ctx(), &apigatewayv2api.UpdateApiRequest{ApiId: &api,
			CorsConfiguration: &apigatewayv2api.Cors{AllowOrigins: []string{"*"}, AllowCredentials: ptr.To(true)}})),
		"duplicate stage": second(e.s.CreateStage(e.h.Ctx(), &apigatewayv2api.CreateStageRequest{ApiId: &api, StageName: ptr.To("$default")})),
		"websocket without selection expression": second(e.s.CreateApi(e.h.Ctx(), &apigatewayv2api.CreateApiRequest{Name: ptr.To("w"),
			ProtocolType: ptr.To("WEBSOCKET")})),
	} {
		if !apigatewayv2api.ErrBadRequestException.Is(err) && !apigatewayv2api.ErrConflictException.Is(err) {
			t.Errorf("%s: %v, want BadRequest or Conflict", name, err)
		}
	}
	if _, err := e.s.GetApi(e.h.Ctx(), &apigatewayv2api.GetApiRequest{ApiId: ptr.To("nope")}); !apigatewayv2api.ErrNotFoundException.Is(err) {
		t.Errorf("unknown API: %v", err)
	}
}

func second[T any](_ T, err error) error { return err }

// TestWebSocketControlPlane: WebSocket APIs keep routes ($connect,
// $disconnect, $default, custom keys), route and integration responses.
func TestWebSocketControlPlane(t *testing.T) {
	e := newEnv(t)
	out := must[*apigatewayv2api.CreateApiResponse](t)(e.s.CreateApi(e.h.Ctx(), &apigatewayv2api.CreateApiRequest{Name: ptr.To("ws"),
		ProtocolType: ptr.To("WEBSOCKET"), RouteSelectionExpression: ptr.To("$request.body.action")}))
	api := *out.ApiId
	if !strings.HasPrefix(*out.ApiEndpoint, "ws://"+api+".execute-api.localhost") {
		t.Fatalf("endpoint %s", *out.ApiEndpoint)
	}
	integ := e.integration(api, apigatewayv2api.CreateIntegrationRequest{IntegrationType: ptr.To("MOCK")})
	for _, k := range []string{"$connect", "$disconnect", "$default", "sendmessage"} {
		e.route(api, k, integ, nil)
	}
	routes := must[*apigatewayv2api.GetRoutesResponse](t)(e.s.GetRoutes(e.h.Ctx(), &apigatewayv2api.GetRoutesRequest{ApiId: &api}))
	if len(routes.Items) != 4 {
		t.Fatalf("routes %+v", routes.Items)
	}
	rr := must[*apigatewayv2api.CreateRouteResponseResponse](t)(e.s.CreateRouteResponse(e.h.Ctx(), &apigatewayv2api.CreateRouteResponseRequest{
		ApiId: &api, RouteId: routes.Items[0].RouteId, RouteResponseKey: ptr.To("$default")}))
	if _, err := e.s.GetRouteResponse(e.h.Ctx(), &apigatewayv2api.GetRouteResponseRequest{ApiId: &api, RouteId: routes.Items[0].RouteId, RouteResponseId: rr.RouteResponseId}); err != nil {
		t.Fatal(err)
	}
	ir := must[*apigatewayv2api.CreateIntegrationResponseResponse](t)(e.s.CreateIntegrationResponse(e.h.Ctx(), &apigatewayv2api.CreateIntegrationResponseRequest{
		ApiId: &api, IntegrationId: &integ, IntegrationResponseKey: ptr.To("/200/")}))
	if ir.IntegrationResponseId == nil {
		t.Fatal("no integration response id")
	}
}

// TestTags: APIs and stages carry tags by ARN.
func TestTags(t *testing.T) {
	e := newEnv(t)
	api := e.api(nil)
	arn := "arn:aws:apigateway:us-east-1::/apis/" + api
	for _, a := range []string{arn, arn + "/stages/$default"} {
		if _, err := e.s.TagResource(e.h.Ctx(), &apigatewayv2api.TagResourceRequest{ResourceArn: &a, Tags: map[string]string{"k": "v", "x": "y"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.UntagResource(e.h.Ctx(), &apigatewayv2api.UntagResourceRequest{ResourceArn: &a, TagKeys: []string{"x"}}); err != nil {
			t.Fatal(err)
		}
		tags := must[*apigatewayv2api.GetTagsResponse](t)(e.s.GetTags(e.h.Ctx(), &apigatewayv2api.GetTagsRequest{ResourceArn: &a}))
		if len(tags.Tags) != 1 || tags.Tags["k"] != "v" {
			t.Fatalf("%s: %v", a, tags.Tags)
		}
	}
	if tags, found, err := e.s.resourceTags(e.h.Ctx(), arn); err != nil || !found || tags["k"] != "v" {
		t.Fatalf("resourceTags %v %v %v", tags, found, err)
	}
	if _, found, err := e.s.resourceTags(e.h.Ctx(), "arn:aws:apigateway:us-east-1::/apis/nope"); err != nil || found {
		t.Fatalf("unknown API's tags: %v %v", found, err)
	}
}

// TestCustomDomain: an API mapping routes a custom domain's path prefix
// to an API's stage.
func TestCustomDomain(t *testing.T) {
	e := newEnv(t)
	e.fns.set(testFn, returns(`"d"`))
	api := e.api(nil)
	e.route(api, "GET /items", e.lambdaInteg(api, "2.0"), nil)
	must[*apigatewayv2api.CreateDomainNameResponse](t)(e.s.CreateDomainName(e.h.Ctx(), &apigatewayv2api.CreateDomainNameRequest{DomainName: ptr.To("api.example.com"),
		DomainNameConfigurations: []apigatewayv2api.DomainNameConfiguration{{CertificateArn: ptr.To("arn:aws:acm:us-east-1:000000000000:certificate/abc")}}}))
	must[*apigatewayv2api.CreateApiMappingResponse](t)(e.s.CreateApiMapping(e.h.Ctx(), &apigatewayv2api.CreateApiMappingRequest{
		DomainName: ptr.To("api.example.com"), ApiId: &api, Stage: ptr.To("$default"), ApiMappingKey: ptr.To("v1")}))
	wantAnswer(t, e.do("GET", "http://api.example.com:4566/v1/items", ""), 200, `"d"`)
	wantAnswer(t, e.do("GET", "http://api.example.com:4566/v2/items", ""), 403, `{"message":"Forbidden"}`)
	if _, err := e.s.DeleteApi(e.h.Ctx(), &apigatewayv2api.DeleteApiRequest{ApiId: &api}); !apigatewayv2api.ErrBadRequestException.Is(err) {
		t.Fatalf("deleting a mapped API: %v", err)
	}
}

type fakeSigs struct{ ok bool }

func (f fakeSigs) Verify(r *http.Request) (string, string, error) {
	if !f.ok {
		return "", "", errors.New("The request signature we calculated does not match the signature you provided.")
	}
	return "arn:aws:iam::000000000000:user/alice", "000000000000", nil
}

// TestIAMRoute: an AWS_IAM route refuses unsigned and badly signed
// requests (403) and names a verified caller in the event.
func TestIAMRoute(t *testing.T) {
	e := newEnv(t)
	e.fns.set(testFn, returns(`"iam"`))
	api := e.api(nil)
	e.route(api, "GET /iam", e.lambdaInteg(api, "2.0"), func(r *apigatewayv2api.CreateRouteRequest) { r.AuthorizationType = ptr.To("AWS_IAM") })
	signed := "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20260501/us-east-1/execute-api/aws4_request, SignedHeaders=host, Signature=abc"
	wantAnswer(t, e.do("GET", host(api)+"/iam", ""), 403, `{"message":"Forbidden"}`)
	e.s.sigs = fakeSigs{ok: false}
	wantAnswer(t, e.do("GET", host(api)+"/iam", "", "Authorization", signed), 403, `{"message":"Forbidden"}`)
	e.s.sigs = fakeSigs{ok: true}
	wantAnswer(t, e.do("GET", host(api)+"/iam", "", "Authorization", signed), 200, `"iam"`)
	var ev map[string]any
	_ = json.Unmarshal(e.fns.calls(testFn)[0], &ev)
	iam := ev["requestContext"].(map[string]any)["authorizer"].(map[string]any)["iam"].(map[string]any)
	if iam["userArn"] != "arn:aws:iam::000000000000:user/alice" || iam["accessKey"] != "AKIAEXAMPLE" || iam["userId"] != "alice" {
		t.Fatalf("iam %v", iam)
	}
}

// TestLambdaAuthorizerPolicy: a payload 1.0 authorizer answers an IAM
// policy, evaluated for execute-api:Invoke on the route's ARN; its
// context reaches a 1.0 integration's requestContext.authorizer.
func TestLambdaAuthorizerPolicy(t *testing.T) {
	e := newEnv(t)
	const authFn = "arn:aws:lambda:us-east-1:000000000000:function:policy"
	e.fns.set(testFn, returns(`{"statusCode":200,"body":"in"}`))
	e.fns.set(authFn, func(p []byte) ([]byte, string, error) {
		var ev struct {
			Type, MethodArn, IdentitySource string
		}
		_ = json.Unmarshal(p, &ev)
		switch ev.IdentitySource {
		case "fail":
			return []byte(`{"errorMessage":"Unauthorized"}`), "Unhandled", nil
		case "broken":
			return []byte(`{"principalId":"x"}`), "", nil
		}
		effect := "Deny"
		if ev.IdentitySource == "good" && ev.Type == "REQUEST" {
			effect = "Allow"
		}
		// Allows only GET on /open/*, whatever the stage.
		return []byte(`{"principalId":"p1","context":{"team":"a"},"policyDocument":{"Version":"2012-10-17","Statement":[{"Effect":"` + effect +
			`","Action":"execute-api:Invoke","Resource":"arn:aws:execute-api:*:*:*/*/GET/open/*"}]}}`), "", nil
	})
	api := e.api(nil)
	au := must[*apigatewayv2api.CreateAuthorizerResponse](t)(e.s.CreateAuthorizer(e.h.Ctx(), &apigatewayv2api.CreateAuthorizerRequest{
		ApiId: &api, Name: ptr.To("p"), AuthorizerType: ptr.To("REQUEST"), IdentitySource: []string{"$request.header.X-Token"},
		AuthorizerUri:                  ptr.To("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/" + authFn + "/invocations"),
		AuthorizerPayloadFormatVersion: ptr.To("1.0")}))
	integ := e.lambdaInteg(api, "1.0")
	for _, k := range []string{"GET /open/{x}", "POST /open/{x}"} {
		e.route(api, k, integ, func(r *apigatewayv2api.CreateRouteRequest) {
			r.AuthorizationType, r.AuthorizerId = ptr.To("CUSTOM"), au.AuthorizerId
		})
	}
	wantAnswer(t, e.do("GET", host(api)+"/open/1", "", "X-Token", "good"), 200, "in")
	var ev map[string]any
	_ = json.Unmarshal(e.fns.calls(testFn)[0], &ev)
	if a := ev["requestContext"].(map[string]any)["authorizer"].(map[string]any); a["team"] != "a" || a["principalId"] != "p1" {
		t.Fatalf("1.0 authorizer context %v", a)
	}
	wantAnswer(t, e.do("POST", host(api)+"/open/1", "", "X-Token", "good"), 403, `{"message":"Forbidden"}`)
	wantAnswer(t, e.do("GET", host(api)+"/open/1", "", "X-Token", "bad"), 403, `{"message":"Forbidden"}`)
	wantAnswer(t, e.do("GET", host(api)+"/open/1", "", "X-Token", "fail"), 401, `{"message":"Unauthorized"}`)
	wantAnswer(t, e.do("GET", host(api)+"/open/1", "", "X-Token", "broken"), 500, `{"message":"Internal Server Error"}`)
}
