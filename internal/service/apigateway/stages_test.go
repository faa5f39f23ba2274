package apigateway

import (
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	apigatewayapi "github.com/niwa-cloud/niwa/internal/api/apigateway"
	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// fakeLogs records log events by group.
type fakeLogs struct {
	mu     sync.Mutex
	groups map[string][]string
}

func (l *fakeLogs) AppendLogEvents(account, region, group, stream string, evs []LogEvent) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, e := range evs {
		l.groups[account+"/"+region+"/"+group] = append(l.groups[account+"/"+region+"/"+group], e.Message)
	}
	return nil
}

func (e *env) updateStage(api string, ops ...apigatewayapi.PatchOperation) (*apigatewayapi.Stage, error) {
	return e.s.UpdateStage(e.h.Ctx(), &apigatewayapi.UpdateStageRequest{RestApiId: &api, StageName: ptr.To("test"), PatchOperations: ops})
}

// TestStageLogsAndMetrics: access logs need the account's CloudWatch
// role and a format with the request id; each call writes its line (the
// $context variables substituted, "-" for none) and its metrics; INFO
// execution logging writes the execution log group.
func TestStageLogsAndMetrics(t *testing.T) {
	e := newEnv(t)
	logs := &fakeLogs{groups: map[string][]string{}}
	bus := events.New()
	var mu sync.Mutex
	var metrics []events.Metric
	bus.HandleMetrics(func(account, region string, ms []events.Metric) {
		mu.Lock()
		metrics = append(metrics, ms...)
		mu.Unlock()
	})
	e.s.logs, e.s.bus = logs, bus
	b := e.build(mockIntegration, false)
	ctx := e.h.Ctx()
	dest := "arn:aws:logs:us-east-1:" + ctx.Account + ":log-group:access"
	_, err := e.updateStage(b.api, patch("replace", "/accessLogSettings/destinationArn", dest))
	wantCode(t, err, apigatewayapi.ErrBadRequestException, "CloudWatch Logs role ARN must be set")
	must[*apigatewayapi.Account](t)(e.s.UpdateAccount(ctx, &apigatewayapi.UpdateAccountRequest{PatchOperations: ops(patch("replace", "/cloudwatchRoleArn", "arn:aws:iam::"+ctx.Account+":role/cw"))}))
	_, err = e.updateStage(b.api, patch("replace", "/accessLogSettings/format", "$context.status"))
	wantCode(t, err, apigatewayapi.ErrBadRequestException, "$context.requestId")
	_, err = e.updateStage(b.api, patch("replace", "/accessLogSettings/destinationArn", "arn:aws:s3:::b"))
	wantCode(t, err, apigatewayapi.ErrBadRequestException, "ARN")
	st := must[*apigatewayapi.Stage](t)(e.updateStage(b.api, patch("replace", "/accessLogSettings/destinationArn", dest+":*"),
		patch("replace", "/accessLogSettings/format", `$context.requestId $context.httpMethod $context.resourcePath $context.status $context.error.message $context.identity.sourceIp.`),
		patch("replace", "/*/*/logging/loglevel", "INFO"), patch("replace", "/~1items/GET/metrics/enabled", "true")))
	if ptr.Deref(st.MethodSettings["*/*"].LoggingLevel) != "INFO" || !ptr.Deref(st.MethodSettings["items/GET"].MetricsEnabled) {
		t.Fatalf("method settings %+v", st.MethodSettings)
	}
	url := "http://" + b.api + ".execute-api.localhost/test/"
	e.do("GET", url+"items", "", nil)
	e.do("POST", url+"nothing/here", "", nil) // a {proxy+} resource answers
	e.do("GET", url+"items?x=1", "", map[string]string{"X-Forwarded-For": "10.1.2.3"})
	access := logs.groups[ctx.Account+"/us-east-1/access"]
	if len(access) != 3 {
		t.Fatalf("access log %q", access)
	}
	if f := strings.Fields(access[0]); len(f) != 6 || f[1] != "GET" || f[2] != "/items" || f[3] != "200" || f[4] != "-" || f[5] != "192.0.2.1." {
		t.Fatalf("access line %q", access[0])
	}
	if !strings.HasSuffix(access[2], "10.1.2.3.") {
		t.Fatalf("forwarded source %q", access[2])
	}
	exec := logs.groups[ctx.Account+"/"+ctx.Region+"/API-Gateway-Execution-Logs_"+b.api+"/test"]
	if len(exec) == 0 || !strings.Contains(strings.Join(exec, "\n"), "Method completed with status: 200") {
		t.Fatalf("execution log %q", exec)
	}
	counts := map[string]float64{}
	detailed := 0
	for _, m := range metrics {
		if m.Dimensions["Method"] != "" {
			detailed++
			continue
		}
		if m.Namespace != "AWS/ApiGateway" || m.Dimensions["ApiName"] != "a" || m.Dimensions["Stage"] != "test" {
			t.Fatalf("metric %+v", m)
		}
		counts[m.Name] += m.Value
	}
	if counts["Count"] != 3 || counts["4XXError"] != 0 || counts["5XXError"] != 0 || detailed == 0 {
		t.Fatalf("metrics %v (%d detailed)", counts, detailed)
	}
}

// TestStageCache: a GET method's response is cached for its TTL on the
// clock (the query string is not part of the key unless a cache key
// parameter names it); an unauthorized Cache-Control: max-age=0 is
// refused with FAIL_WITH_403 and honoured when the method does not
// require authorization; FlushStageCache empties the cache.
func TestStageCache(t *testing.T) {
	e := newEnv(t)
	calls := 0
	e.fns.reply = func(string, []byte) ([]byte, string) {
		calls++
		return []byte(`{"statusCode": 200, "body": "v` + string(rune('0'+calls)) + `"}`), ""
	}
	b := e.build(func(string) *apigatewayapi.PutIntegrationRequest {
		return &apigatewayapi.PutIntegrationRequest{Type: ptr.To("AWS_PROXY"), IntegrationHttpMethod: ptr.To("POST"),
			Uri: ptr.To("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:f/invocations")}
	}, false)
	_, err := e.updateStage(b.api, patch("replace", "/cacheClusterSize", "3"))
	wantCode(t, err, apigatewayapi.ErrBadRequestException, "cache cluster size")
	st := must[*apigatewayapi.Stage](t)(e.updateStage(b.api, patch("replace", "/cacheClusterEnabled", "true")))
	if ptr.Deref(st.CacheClusterSize) != "0.5" || ptr.Deref(st.CacheClusterStatus) != "AVAILABLE" {
		t.Fatalf("stage %+v", st)
	}
	url := "http://" + b.api + ".execute-api.localhost/test/items"
	get := func(q string, h map[string]string) (int, string) {
		s, body, _ := e.do("GET", url+q, "", h)
		return s, body
	}
	if _, body := get("", nil); body != "v1" {
		t.Fatalf("first: %s", body)
	}
	if _, body := get("?other=1", nil); body != "v1" || calls != 1 {
		t.Fatalf("cached: %s (%d calls)", body, calls)
	}
	if s, body, _ := e.do("POST", url, "", nil); body != "v2" || s != 200 {
		t.Fatalf("POST is not cached by default: %d %s", s, body)
	}
	e.h.Clock.Advance(301 * time.Second)
	if _, body := get("", nil); body != "v3" {
		t.Fatalf("after the TTL: %s", body)
	}
	must[*apigatewayapi.Stage](t)(e.updateStage(b.api, patch("replace", "/*/*/caching/enabled", "true"),
		patch("replace", "/*/*/caching/ttlInSeconds", "60"),
		patch("replace", "/*/*/caching/unauthorizedCacheControlHeaderStrategy", "FAIL_WITH_403")))
	if s, body := get("", map[string]string{"Cache-Control": "max-age=0"}); s != 403 ||
		!strings.Contains(body, "is not authorized to perform: execute-api:InvalidateCache") {
		t.Fatalf("unauthorized invalidation: %d %s", s, body)
	}
	must[*apigatewayapi.Stage](t)(e.updateStage(b.api, patch("replace", "/*/*/caching/requireAuthorizationForCacheControl", "false")))
	if _, body := get("", map[string]string{"Cache-Control": "max-age=0"}); body != "v4" {
		t.Fatalf("invalidated: %s", body)
	}
	if _, body := get("", nil); body != "v4" {
		t.Fatalf("cached again: %s", body)
	}
	must[*apigatewayapi.FlushStageCacheOutput](t)(e.s.FlushStageCache(e.h.Ctx(), &apigatewayapi.FlushStageCacheRequest{RestApiId: &b.api, StageName: ptr.To("test")}))
	if _, body := get("", nil); body != "v5" {
		t.Fatalf("after the flush: %s", body)
	}
}

// TestCanary: a canary deployment takes its percentage of the stage's
// traffic (counted, so exactly), with its variable overrides.
func TestCanary(t *testing.T) {
	e := newEnv(t)
	ctx := e.h.Ctx()
	b := e.build(mockIntegration, false)
	must[*apigatewayapi.IntegrationResponse](t)(e.s.PutIntegrationResponse(ctx, &apigatewayapi.PutIntegrationResponseRequest{RestApiId: &b.api, ResourceId: &b.items, HttpMethod: ptr.To("ANY"), StatusCode: ptr.To("200"),
		ResponseTemplates: map[string]string{"application/json": `canary $stageVariables.color`}}))
	_, err := e.s.CreateDeployment(ctx, &apigatewayapi.CreateDeploymentRequest{RestApiId: &b.api, StageName: ptr.To("nope"),
		CanarySettings: &apigatewayapi.DeploymentCanarySettings{PercentTraffic: ptr.To(25.0)}})
	wantCode(t, err, apigatewayapi.ErrNotFoundException, "")
	must[*apigatewayapi.Deployment](t)(e.s.CreateDeployment(ctx, &apigatewayapi.CreateDeploymentRequest{RestApiId: &b.api, StageName: ptr.To("test"),
		CanarySettings: &apigatewayapi.DeploymentCanarySettings{PercentTraffic: ptr.To(25.0), StageVariableOverrides: map[string]string{"color": "green"}}}))
	st := must[*apigatewayapi.Stage](t)(e.s.GetStage(ctx, &apigatewayapi.GetStageRequest{RestApiId: &b.api, StageName: ptr.To("test")}))
	if st.CanarySettings == nil || ptr.Deref(st.CanarySettings.PercentTraffic) != 25 || ptr.Deref(st.CanarySettings.DeploymentId) == ptr.Deref(st.DeploymentId) {
		t.Fatalf("canary %+v", st.CanarySettings)
	}
	url := "http://" + b.api + ".execute-api.localhost/test/items"
	got := map[string]int{}
	for range 40 {
		_, body, _ := e.do("GET", url, "", nil)
		got[body]++
	}
	if got["canary green"] != 10 || got[`{"resource": "/items", "id": "", "proxy": ""}`] != 30 {
		t.Fatalf("split %v", got)
	}
	// Promotion: the stage takes the canary's deployment.
	must[*apigatewayapi.Stage](t)(e.updateStage(b.api, patch("replace", "/deploymentId", *st.CanarySettings.DeploymentId), patch("remove", "/canarySettings", "")))
	if _, body, _ := e.do("GET", url, "", nil); body != "canary blue" {
		t.Fatalf("promoted: %s", body)
	}
}

// TestMethodThrottling: a stage's throttling method settings are a
// token bucket on niwa's clock (429 Too Many Requests beyond them); 0
// and 0 refuse every call.
func TestMethodThrottling(t *testing.T) {
	e := newEnv(t)
	b := e.build(mockIntegration, false)
	must[*apigatewayapi.Stage](t)(e.updateStage(b.api, patch("replace", "/~1items/GET/throttling/rateLimit", "1"),
		patch("replace", "/~1items/GET/throttling/burstLimit", "2")))
	url := "http://" + b.api + ".execute-api.localhost/test/items"
	var got []int
	for range 3 {
		s, _, _ := e.do("GET", url, "", nil)
		got = append(got, s)
	}
	if s, _, _ := e.do("POST", url, "", nil); s != 200 {
		t.Fatalf("another method is not throttled: %d", s)
	}
	e.h.Clock.Advance(time.Second)
	s, body, _ := e.do("GET", url, "", nil)
	got = append(got, s)
	if fmtInts(got) != "200 200 429 200" {
		t.Fatalf("statuses %v, want 200 200 429 200 (%s)", got, body)
	}
	must[*apigatewayapi.Stage](t)(e.updateStage(b.api, patch("replace", "/*/*/throttling/rateLimit", "0"), patch("replace", "/*/*/throttling/burstLimit", "0")))
	if s, body, _ := e.do("POST", url, "", nil); s != 429 || body != `{"message":"Too Many Requests"}` {
		t.Fatalf("0/0: %d %s", s, body)
	}
}

func fmtInts(v []int) string {
	out := make([]string, len(v))
	for i, n := range v {
		out[i] = strconv.Itoa(n)
	}
	return strings.Join(out, " ")
}
