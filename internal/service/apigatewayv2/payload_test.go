package apigatewayv2

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	apigatewayv2api "github.com/niwa-cloud/niwa/internal/api/apigatewayv2"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestPayloadGolden: the events a function gets, as AWS documents them
// (Developer Guide, "Create AWS Lambda proxy integrations for HTTP
// APIs"): payload 2.0 and 1.0 for the same request, and a 2.0 Lambda
// authorizer's event. The request id, random on each call, is replaced
// by REQUEST-ID, the API's by API-ID.
func TestPayloadGolden(t *testing.T) {
	e := newEnv(t)
	const authFn = "arn:aws:lambda:us-east-1:000000000000:function:auth"
	e.fns.set(testFn, returns(`{"statusCode":200,"body":"ok"}`))
	e.fns.set(authFn, returns(`{"isAuthorized":true,"context":{"tenant":"t1","level":3}}`))
	api := e.api(nil)
	must[*apigatewayv2api.UpdateStageResponse](t)(e.s.UpdateStage(e.h.Ctx(), &apigatewayv2api.UpdateStageRequest{ApiId: &api,
		StageName: ptr.To("$default"), StageVariables: map[string]string{"env": "test"}}))
	au := must[*apigatewayv2api.CreateAuthorizerResponse](t)(e.s.CreateAuthorizer(e.h.Ctx(), &apigatewayv2api.CreateAuthorizerRequest{
		ApiId: &api, Name: ptr.To("a"), AuthorizerType: ptr.To("REQUEST"), IdentitySource: []string{"$request.header.X-Token", "$request.querystring.tag"},
		AuthorizerUri:                  ptr.To("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/" + authFn + "/invocations"),
		AuthorizerPayloadFormatVersion: ptr.To("2.0"), EnableSimpleResponses: ptr.To(true)}))
	e.route(api, "POST /v2/items/{id}", e.lambdaInteg(api, "2.0"), func(r *apigatewayv2api.CreateRouteRequest) {
		r.AuthorizationType, r.AuthorizerId = ptr.To("CUSTOM"), au.AuthorizerId
	})
	e.route(api, "POST /v1/items/{id}", e.lambdaInteg(api, "1.0"), nil)
	hdr := []string{"Content-Type", "application/json", "User-Agent", "curl/8.5.0", "X-Token", "secret",
		"Cookie", "session=abc; theme=dark", "X-Amzn-Trace-Id", "Root=1-67891233-abcdef012345678912345678"}
	for _, v := range []string{"v2", "v1"} {
		w := e.do("POST", host(api)+"/"+v+"/items/42?tag=a&tag=b&q=x%20y", `{"name":"pen"}`, hdr...)
		wantAnswer(t, w, 200, "ok")
	}
	wantAnswer(t, e.do("POST", host(api)+"/v1/items/7", "\x00\x01binary", "Content-Type", "application/octet-stream",
		"X-Amzn-Trace-Id", "Root=1-67891233-abcdef012345678912345678", "User-Agent", "curl/8.5.0"), 200, "ok")
	calls := e.fns.calls(testFn)
	golden(t, "event-2.0.json", api, calls[0])
	golden(t, "event-1.0.json", api, calls[1])
	golden(t, "event-1.0-binary.json", api, calls[2])
	golden(t, "authorizer-2.0.json", api, e.fns.calls(authFn)[0])
}

// golden compares a payload, indented and with its request and API ids
// replaced,
// to testdata/<name> (rewritten with -update).
func golden(t *testing.T, name, api string, payload []byte) {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(payload, &v); err != nil {
		t.Fatal(err)
	}
	if rc, ok := v["requestContext"].(map[string]any); ok {
		id, _ := rc["requestId"].(string)
		if id != "" {
			payload = bytes.ReplaceAll(payload, []byte(id), []byte("REQUEST-ID"))
		}
	}
	payload = bytes.ReplaceAll(payload, []byte(api), []byte("API-ID"))
	var out bytes.Buffer
	if err := json.Indent(&out, payload, "", "  "); err != nil {
		t.Fatal(err)
	}
	out.WriteByte('\n')
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run TestPayloadGolden -update)", err)
	}
	if got := out.String(); got != string(want) {
		t.Errorf("%s differs:\n%s\nwant:\n%s", name, got, want)
	}
}
