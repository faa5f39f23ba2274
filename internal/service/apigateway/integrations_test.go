package apigateway

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	apigatewayapi "github.com/niwa-cloud/niwa/internal/api/apigateway"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// TestHTTPIntegration: a non-proxy HTTP integration sends only what its
// mappings say (a header from the query string, a static header, a
// path parameter into the URI, a context value) and its template's
// body; the backend's status selects the integration response, whose
// template and header mappings make the method response.
func TestHTTPIntegration(t *testing.T) {
	var got struct {
		path, query, body string
		header            http.Header
	}
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got.path, got.query, got.body, got.header = r.URL.Path, r.URL.RawQuery, string(b), r.Header
		w.Header().Set("X-Trace", "t-1")
		if strings.Contains(r.URL.Path, "missing") {
			w.WriteHeader(404)
			_, _ = io.WriteString(w, `{"error":"no such pet"}`)
			return
		}
		_, _ = io.WriteString(w, `{"pet":{"name":"rex"}}`)
	}))
	defer backend.Close()
	e := newEnv(t)
	ctx := e.h.Ctx()
	b := e.build(func(r string) *apigatewayapi.PutIntegrationRequest {
		return &apigatewayapi.PutIntegrationRequest{Type: ptr.To("HTTP"), IntegrationHttpMethod: ptr.To("POST"), Uri: ptr.To(backend.URL + "/pets/{petId}"),
			RequestParameters: map[string]string{
				"integration.request.path.petId":        "method.request.path.id",
				"integration.request.header.X-Q":        "method.request.querystring.q",
				"integration.request.header.X-Static":   "'fixed'",
				"integration.request.querystring.stage": "context.stage",
				"integration.request.querystring.color": "stageVariables.color",
			},
			RequestTemplates: map[string]string{"application/json": `{"wrapped": $input.json('$')}`}}
	}, false)
	must[*apigatewayapi.MethodResponse](t)(e.s.PutMethodResponse(ctx, &apigatewayapi.PutMethodResponseRequest{RestApiId: &b.api, ResourceId: &b.item, HttpMethod: ptr.To("ANY"), StatusCode: ptr.To("404")}))
	must[*apigatewayapi.IntegrationResponse](t)(e.s.PutIntegrationResponse(ctx, &apigatewayapi.PutIntegrationResponseRequest{RestApiId: &b.api, ResourceId: &b.item, HttpMethod: ptr.To("ANY"), StatusCode: ptr.To("200"),
		ResponseParameters: map[string]string{"method.response.header.X-Trace": "integration.response.header.X-Trace", "method.response.header.X-Name": "integration.response.body.pet.name"},
		ResponseTemplates:  map[string]string{"application/json": `{"name": $input.json('$.pet.name')}`}}))
	must[*apigatewayapi.IntegrationResponse](t)(e.s.PutIntegrationResponse(ctx, &apigatewayapi.PutIntegrationResponseRequest{RestApiId: &b.api, ResourceId: &b.item, HttpMethod: ptr.To("ANY"), StatusCode: ptr.To("404"),
		SelectionPattern: ptr.To("4\\d{2}"), ResponseTemplates: map[string]string{"application/json": `{"missing": true}`}}))
	must[*apigatewayapi.Deployment](t)(e.s.CreateDeployment(ctx, &apigatewayapi.CreateDeploymentRequest{RestApiId: &b.api, StageName: ptr.To("test"), Variables: map[string]string{"color": "blue"}}))

	url := "http://" + b.api + ".execute-api.localhost/test/items/"
	status, body, h := e.do("PUT", url+"7?q=hello&dropped=1", `{"a":1}`, map[string]string{"Content-Type": "application/json", "X-Dropped": "1"})
	if status != 200 || body != `{"name": "rex"}` || h.Get("X-Trace") != "t-1" || h.Get("X-Name") != "rex" {
		t.Fatalf("200: %d %s %v", status, body, h)
	}
	if got.path != "/pets/7" || got.query != "color=blue&stage=test" || got.body != `{"wrapped": {"a":1}}` ||
		got.header.Get("X-Q") != "hello" || got.header.Get("X-Static") != "fixed" || got.header.Get("X-Dropped") != "" {
		t.Fatalf("backend request: %+v", got)
	}
	if status, body, _ := e.do("GET", url+"missing", ``, nil); status != 404 || body != `{"missing": true}` {
		t.Fatalf("404: %d %s", status, body)
	}
}

// TestPassthroughBehavior: with templates for other types, NEVER and
// WHEN_NO_TEMPLATES answer 415; WHEN_NO_MATCH passes the body through.
func TestPassthroughBehavior(t *testing.T) {
	var body string
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		body = string(b)
	}))
	defer backend.Close()
	for _, tc := range []struct {
		behavior string
		status   int
	}{{"NEVER", 415}, {"WHEN_NO_TEMPLATES", 415}, {"WHEN_NO_MATCH", 200}} {
		e := newEnv(t)
		b := e.build(func(string) *apigatewayapi.PutIntegrationRequest {
			return &apigatewayapi.PutIntegrationRequest{Type: ptr.To("HTTP"), IntegrationHttpMethod: ptr.To("POST"), Uri: ptr.To(backend.URL),
				PassthroughBehavior: ptr.To(tc.behavior), RequestTemplates: map[string]string{"application/xml": "<x/>"}}
		}, false)
		status, out, _ := e.do("POST", "http://"+b.api+".execute-api.localhost/test/items", "plain", map[string]string{"Content-Type": "text/plain"})
		if status != tc.status {
			t.Fatalf("%s: %d %s", tc.behavior, status, out)
		}
		if tc.status == 415 && out != `{"message":"Unsupported Media Type"}` {
			t.Fatalf("%s: %s", tc.behavior, out)
		}
		if tc.status == 200 && body != "plain" {
			t.Fatalf("%s passed %q", tc.behavior, body)
		}
	}
}

// fakePermissions is a function policy: the source ARNs it allows.
type fakePermissions struct {
	allowed map[string]bool
	asked   []string
}

func (p *fakePermissions) AllowsInvoke(_ context.Context, fn, src, acct string) (bool, error) {
	p.asked = append(p.asked, src)
	return p.allowed[src], nil
}

// TestFunctionPolicyCheck: without a function policy statement for the
// method's source ARN API Gateway does not invoke the function: 500
// Internal server error and the configuration error in the execution
// log; with one it does.
func TestFunctionPolicyCheck(t *testing.T) {
	e := newEnv(t)
	perms := &fakePermissions{allowed: map[string]bool{}}
	e.s.perms = perms
	e.fns.reply = func(string, []byte) ([]byte, string) {
		return []byte(`{"statusCode": 200, "body": "hi"}`), ""
	}
	b := e.build(func(string) *apigatewayapi.PutIntegrationRequest {
		return &apigatewayapi.PutIntegrationRequest{Type: ptr.To("AWS_PROXY"), IntegrationHttpMethod: ptr.To("POST"),
			Uri: ptr.To("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:f/invocations")}
	}, false)
	url := "http://" + b.api + ".execute-api.localhost/test/items/3"
	status, body, _ := e.do("GET", url, "", nil)
	if status != 500 || body != `{"message": "Internal server error"}` || len(e.fns.payloads) != 0 {
		t.Fatalf("without permission: %d %s (%d invocations)", status, body, len(e.fns.payloads))
	}
	src := "arn:aws:execute-api:us-east-1:" + e.h.Ctx().Account + ":" + b.api + "/test/GET/items/{id}"
	if len(perms.asked) != 1 || perms.asked[0] != src {
		t.Fatalf("asked for %v, want %s", perms.asked, src)
	}
	perms.allowed[src] = true
	if status, body, _ := e.do("GET", url, "", nil); status != 200 || body != "hi" {
		t.Fatalf("with permission: %d %s", status, body)
	}
}

func TestParseServiceURI(t *testing.T) {
	for _, tc := range []struct {
		uri  string
		want serviceURI
		ok   bool
	}{
		{"arn:aws:apigateway:us-east-1:sqs:path/000000000000/q", serviceURI{region: "us-east-1", service: "sqs", path: "/000000000000/q"}, true},
		{"arn:aws:apigateway:us-east-1:dynamodb:action/PutItem", serviceURI{region: "us-east-1", service: "dynamodb", action: "PutItem"}, true},
		{"arn:aws:apigateway:eu-west-1:bucket.s3:path/key", serviceURI{region: "eu-west-1", subdomain: "bucket", service: "s3", path: "/key"}, true},
		{"arn:aws:apigateway:us-east-1:sqs:query/x", serviceURI{}, false},
		{"arn:aws:apigateway:us-east-1:sqs:action/A&b", serviceURI{}, false},
		{"arn:aws:lambda:us-east-1:sqs:path/x", serviceURI{}, false},
		{"nonsense", serviceURI{}, false},
	} {
		got, ok := parseServiceURI(tc.uri)
		if ok != tc.ok || got != tc.want {
			t.Errorf("%s: %+v %v", tc.uri, got, ok)
		}
	}
}

func FuzzParseServiceURI(f *testing.F) {
	f.Add("arn:aws:apigateway:us-east-1:sqs:path/000000000000/q")
	f.Add("arn:aws:apigateway:us-east-1:dynamodb:action/PutItem")
	f.Fuzz(func(t *testing.T, uri string) {
		u, ok := parseServiceURI(uri)
		if ok && (u.service == "" || (u.action == "") == (u.path == "")) {
			t.Fatalf("%q: %+v", uri, u)
		}
	})
}

func TestMappingSources(t *testing.T) {
	e := newEnv(t)
	b := e.build(mockIntegration, false)
	req := e.request("POST", "http://"+b.api+".execute-api.localhost/test/items/5?m=1&m=2", `{"a":{"b":"c"}}`, map[string]string{"H": "v"})
	c := &call{r: req, pathParams: map[string]string{"id": "5"}, body: []byte(`{"a":{"b":"c"}}`),
		stage: apigatewayapi.Stage{StageName: ptr.To("test"), Variables: map[string]string{"v": "1"}}}
	for src, want := range map[string]string{
		"'lit'": "lit", "method.request.path.id": "5", "method.request.querystring.m": "2",
		"method.request.multivaluequerystring.m": "1,2", "method.request.header.H": "v", "method.request.body.a.b": "c",
		"method.request.body.a": `{"b":"c"}`, "stageVariables.v": "1", "context.stage": "test",
	} {
		vs, ok := c.mappingSource(src)
		if !ok || strings.Join(vs, ",") != want {
			t.Errorf("%s: %v %v, want %s", src, vs, ok, want)
		}
	}
	if _, ok := c.mappingSource("method.request.querystring.nope"); ok {
		t.Error("an absent parameter resolved")
	}
}

// TestIntegrationTimeout: a backend slower than the integration's
// timeoutInMillis is 504 Endpoint request timed out.
func TestIntegrationTimeout(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // never answers before the caller gives up
	}))
	defer backend.Close()
	for _, typ := range []string{"HTTP", "HTTP_PROXY"} {
		e := newEnv(t)
		b := e.build(func(string) *apigatewayapi.PutIntegrationRequest {
			return &apigatewayapi.PutIntegrationRequest{Type: ptr.To(typ), IntegrationHttpMethod: ptr.To("GET"), Uri: ptr.To(backend.URL),
				TimeoutInMillis: ptr.To(int32(50))}
		}, false)
		status, body, _ := e.do("GET", "http://"+b.api+".execute-api.localhost/test/items", "", nil)
		if status != 504 || body != `{"message":"Endpoint request timed out"}` {
			t.Fatalf("%s: %d %s", typ, status, body)
		}
	}
}

func FuzzAccessLogLine(f *testing.F) {
	f.Add("$context.requestId $context.status. $context.nope $context.identity.sourceIp")
	f.Add("$context.$context..")
	f.Fuzz(func(t *testing.T, format string) {
		out := accessLogLine(format, map[string]string{"requestId": "r", "status": "200", "identity.sourceIp": "1.2.3.4", "empty": ""})
		if !strings.Contains(format, "$context.") && out != format {
			t.Fatalf("%q became %q", format, out)
		}
	})
}

func FuzzStagePaths(f *testing.F) {
	f.Add("/~1items/GET/caching/enabled", "arn:aws:logs:us-east-1:000000000000:log-group:g:*")
	f.Add("/*/*/logging/loglevel", "arn:aws:logs::::log-group:")
	f.Fuzz(func(t *testing.T, path, arn string) {
		if key, setting, ok := methodSettingPath(path); ok && (key == "" || !strings.Contains(setting, "/")) {
			t.Fatalf("%q: %q %q", path, key, setting)
		}
		if sc, group, ok := logGroupARN(arn); ok && (group == "" || sc.Account == "" || sc.Region == "") {
			t.Fatalf("%q: %+v %q", arn, sc, group)
		}
	})
}

func TestPutIntegrationChecks(t *testing.T) {
	e := newEnv(t)
	ctx := e.h.Ctx()
	b := e.build(mockIntegration, false)
	fn := "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:f/invocations"
	for _, tc := range []struct {
		typ, uri, conn, id string
		timeout            int32
		msg                string
	}{
		{"HTTP", "ftp://x/", "", "", 0, "Invalid HTTP endpoint specified for URI"},
		{"HTTP_PROXY", "not a url", "", "", 0, "Invalid HTTP endpoint specified for URI"},
		{"AWS", "arn:aws:apigateway:us-east-1:sqs:queue/x", "", "", 0, "must contain path or action"},
		{"AWS_PROXY", "arn:aws:apigateway:us-east-1:sqs:path/x", "", "", 0, "only supports Lambda"},
		{"HTTP", "http://x/", "VPC_LINK", "", 0, "Connection Id must be set"},
		{"AWS", fn, "VPC_LINK", "abc", 0, "VPC_LINK connections are for HTTP"},
		{"HTTP", "http://x/", "CARRIER_PIGEON", "", 0, "Invalid connection type"},
		{"HTTP", "http://x/", "", "", 30000, "Timeout"},
		{"HTTP", "https://x:8443/a", "", "", 0, ""},
		{"AWS", "arn:aws:apigateway:us-east-1:dynamodb:action/Query", "", "", 0, ""},
		{"AWS", fn, "", "", 0, ""},
	} {
		in := &apigatewayapi.PutIntegrationRequest{RestApiId: &b.api, ResourceId: &b.items, HttpMethod: ptr.To("ANY"), Type: ptr.To(tc.typ),
			Uri: ptr.To(tc.uri), IntegrationHttpMethod: ptr.To("POST")}
		if tc.conn != "" {
			in.ConnectionType = ptr.To(tc.conn)
		}
		if tc.id != "" {
			in.ConnectionId = ptr.To(tc.id)
		}
		if tc.timeout != 0 {
			in.TimeoutInMillis = ptr.To(tc.timeout)
		}
		_, err := e.s.PutIntegration(ctx, in)
		if tc.msg == "" {
			if err != nil {
				t.Errorf("%s %s: %v", tc.typ, tc.uri, err)
			}
			continue
		}
		wantCode(t, err, apigatewayapi.ErrBadRequestException, tc.msg)
	}
}

// fakeServices records service integration requests and answers them.
type fakeServices struct {
	got    []ServiceRequest
	answer ServiceResponse
	err    error
}

func (f *fakeServices) Call(_ context.Context, req ServiceRequest) (ServiceResponse, error) {
	f.got = append(f.got, req)
	return f.answer, f.err
}

// TestLambdaWithCredentials: a Lambda integration with credentials calls
// Lambda's Invoke API as the role (through Services), not as API
// Gateway (no function policy check); a role API Gateway may not assume
// is a configuration error (500).
func TestLambdaWithCredentials(t *testing.T) {
	e := newEnv(t)
	perms := &fakePermissions{allowed: map[string]bool{}}
	svcs := &fakeServices{answer: ServiceResponse{Status: 200, Header: http.Header{}, Body: []byte(`{"statusCode": 201, "body": "as role"}`)}}
	e.s.perms, e.s.services = perms, svcs
	fn := "arn:aws:lambda:us-east-1:000000000000:function:f"
	b := e.build(func(string) *apigatewayapi.PutIntegrationRequest {
		return &apigatewayapi.PutIntegrationRequest{Type: ptr.To("AWS_PROXY"), IntegrationHttpMethod: ptr.To("POST"),
			Uri: ptr.To("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/" + fn + "/invocations"), Credentials: ptr.To("arn:aws:iam::000000000000:role/r")}
	}, false)
	url := "http://" + b.api + ".execute-api.localhost/test/items"
	if s, body, _ := e.do("GET", url, "", nil); s != 201 || body != "as role" {
		t.Fatalf("as the role: %d %s", s, body)
	}
	if len(perms.asked) != 0 || len(svcs.got) != 1 {
		t.Fatalf("asked %v, calls %d", perms.asked, len(svcs.got))
	}
	got := svcs.got[0]
	if got.Service != "lambda" || got.Role != "arn:aws:iam::000000000000:role/r" || got.Method != "POST" ||
		got.Path != "/2015-03-31/functions/"+fn+"/invocations" || !strings.Contains(string(got.Body), `"httpMethod":"GET"`) {
		t.Fatalf("request %+v", got)
	}
	svcs.err = fmt.Errorf("%w: API Gateway does not have permission to assume the provided role", ErrConfiguration)
	if s, body, _ := e.do("GET", url, "", nil); s != 500 || body != `{"message": "Internal server error"}` {
		t.Fatalf("unassumable role: %d %s", s, body)
	}
}
