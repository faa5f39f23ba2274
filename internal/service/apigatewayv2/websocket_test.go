package apigatewayv2

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	apigatewayv2api "github.com/niwa-cloud/niwa/internal/api/apigatewayv2"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// TestWebSocketDataPlane: $connect may refuse a client; messages are
// routed by the route selection expression (to $default otherwise),
// two-way routes answer, the @connections API sends to and ends a
// connection, and $disconnect runs when it ends.
func TestWebSocketDataPlane(t *testing.T) {
	e := newEnv(t)
	e.s.sigs = fakeSigs{ok: true}
	events := make(chan map[string]any, 16)
	e.fns.set(testFn, func(p []byte) ([]byte, string, error) {
		var ev map[string]any
		_ = json.Unmarshal(p, &ev)
		events <- ev
		rc := ev["requestContext"].(map[string]any)
		if rc["eventType"] == "CONNECT" {
			if q, _ := ev["queryStringParameters"].(map[string]any); q["deny"] == "1" {
				return []byte(`{"statusCode":403}`), "", nil
			}
		}
		return []byte(`{"statusCode":200,"body":"echo:` + rc["routeKey"].(string) + `"}`), "", nil
	})
	out := must[*apigatewayv2api.CreateApiResponse](t)(e.s.CreateApi(e.h.Ctx(), &apigatewayv2api.CreateApiRequest{Name: ptr.To("ws"),
		ProtocolType: ptr.To("WEBSOCKET"), RouteSelectionExpression: ptr.To("$request.body.action")}))
	api := *out.ApiId
	integ := e.integration(api, apigatewayv2api.CreateIntegrationRequest{IntegrationType: ptr.To("AWS_PROXY"), IntegrationUri: ptr.To(testFn)})
	for _, k := range []string{"$connect", "$disconnect", "$default"} {
		e.route(api, k, integ, nil)
	}
	e.route(api, "send", integ, func(r *apigatewayv2api.CreateRouteRequest) { r.RouteResponseSelectionExpression = ptr.To("$default") })
	must[*apigatewayv2api.CreateStageResponse](t)(e.s.CreateStage(e.h.Ctx(), &apigatewayv2api.CreateStageRequest{ApiId: &api,
		StageName: ptr.To("prod"), AutoDeploy: ptr.To(true)}))

	route := e.s.Declare().Routes[0]
	srv := httptest.NewServer(route.Handler)
	defer srv.Close()
	defer func() { _ = e.s.Close() }()
	base := "ws" + strings.TrimPrefix(srv.URL, "http") + "/restapis/" + api + "/prod/_user_request_"
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	if _, resp, err := websocket.Dial(ctx, base+"/?deny=1", nil); err == nil || resp == nil || resp.StatusCode != 403 {
		t.Fatalf("$connect refusing: %v %v", err, resp)
	}
	<-events
	conn, _, err := websocket.Dial(ctx, base+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.CloseNow() }()
	connect := <-events
	id := connect["requestContext"].(map[string]any)["connectionId"].(string)
	if connect["requestContext"].(map[string]any)["eventType"] != "CONNECT" || id == "" {
		t.Fatalf("connect event %v", connect)
	}
	// A two-way route answers; the $default route (one-way) does not.
	if err := conn.Write(ctx, websocket.MessageText, []byte(`{"action":"send","text":"hi"}`)); err != nil {
		t.Fatal(err)
	}
	_, msg, err := conn.Read(ctx)
	if err != nil || string(msg) != "echo:send" {
		t.Fatalf("two-way answer %q %v", msg, err)
	}
	if ev := <-events; ev["body"] != `{"action":"send","text":"hi"}` || ev["requestContext"].(map[string]any)["eventType"] != "MESSAGE" {
		t.Fatalf("message event %v", ev)
	}
	if err := conn.Write(ctx, websocket.MessageText, []byte(`not json`)); err != nil {
		t.Fatal(err)
	}
	if ev := <-events; ev["requestContext"].(map[string]any)["routeKey"] != "$default" {
		t.Fatalf("default event %v", ev)
	}
	// The backend posts to the connection through @connections.
	manage := func(method, body string) *httptest.ResponseRecorder {
		return e.do(method, "http://localhost:4566/restapis/"+api+"/prod/_user_request_/@connections/"+id, body,
			"Authorization", "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20260501/us-east-1/execute-api/aws4_request, SignedHeaders=host, Signature=abc")
	}
	if w := manage("POST", "pushed"); w.Code != 200 {
		t.Fatalf("PostToConnection: %d %s", w.Code, w.Body.String())
	}
	if _, msg, err := conn.Read(ctx); err != nil || string(msg) != "pushed" {
		t.Fatalf("pushed message %q %v", msg, err)
	}
	if w := manage("GET", ""); w.Code != 200 || !strings.Contains(w.Body.String(), `"connectedAt"`) {
		t.Fatalf("GetConnection: %d %s", w.Code, w.Body.String())
	}
	if w := e.do("POST", "http://localhost:4566/restapis/"+api+"/prod/_user_request_/@connections/nope", "x", "Authorization", "AWS4-HMAC-SHA256 x"); w.Code != 410 || w.Header().Get("X-Amzn-Errortype") != "GoneException" {
		t.Fatalf("unknown connection: %d %v", w.Code, w.Header())
	}
	if w := manage("DELETE", ""); w.Code != 204 {
		t.Fatalf("DeleteConnection: %d", w.Code)
	}
	if _, _, err := conn.Read(ctx); err == nil {
		t.Fatal("the connection is still open after DeleteConnection")
	}
	if ev := <-events; ev["requestContext"].(map[string]any)["eventType"] != "DISCONNECT" {
		t.Fatalf("disconnect event %v", ev)
	}
	// A plain request to the API's URL is not a connection.
	wantAnswer(t, e.do("GET", host(api)+"/prod", ""), 426, `{"message":"Upgrade Required"}`)
	if resp, err := http.Get(srv.URL + "/restapis/" + api + "/prod/_user_request_/"); err != nil || resp.StatusCode != 426 {
		t.Fatalf("plain GET: %v %v", resp, err)
	} else {
		_ = resp.Body.Close()
	}
}
