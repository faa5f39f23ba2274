package gateway

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/niwa-cloud/niwa/internal/kit"
)

const form = "application/x-www-form-urlencoded; charset=utf-8"

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// queryError is the query protocol's error document.
type queryError struct {
	Error struct {
		Type, Code, Message string
	}
	RequestID string `xml:"RequestId"`
}

func TestCORSPreflight(t *testing.T) {
	tg := newTestGateway(t)
	for _, path := range []string{"/", "/bucket/key", "/2015-03-31/functions/f/invocations"} {
		w := tg.do(newRequest("OPTIONS", path, "",
			"Origin", "https://app.example",
			"Access-Control-Request-Method", "PUT",
			"Access-Control-Request-Headers", "authorization,x-amz-date,x-amz-target,content-type"))
		if w.Code != http.StatusOK {
			t.Fatalf("%s: preflight status %d", path, w.Code)
		}
		h := w.Header()
		for k, want := range map[string]string{
			"Access-Control-Allow-Origin":      "https://app.example",
			"Access-Control-Allow-Headers":     "authorization,x-amz-date,x-amz-target,content-type",
			"Access-Control-Allow-Credentials": "true",
		} {
			if got := h.Get(k); got != want {
				t.Errorf("%s: %s = %q, want %q", path, k, got, want)
			}
		}
		if m := h.Get("Access-Control-Allow-Methods"); !strings.Contains(m, "PUT") || !strings.Contains(m, "POST") {
			t.Errorf("%s: Access-Control-Allow-Methods %q", path, m)
		}
		if w.Body.Len() != 0 {
			t.Errorf("%s: preflight body %q", path, w.Body.String())
		}
	}
	// OPTIONS without Access-Control-Request-Method is not a preflight: it
	// reaches the service (S3 answers it).
	w := tg.do(newRequest("OPTIONS", "/bucket/key", "", "Origin", "https://app.example"))
	if w.Header().Get("X-Amz-Request-Id") == "" {
		t.Errorf("plain OPTIONS did not reach S3: %d %v", w.Code, w.Header())
	}
}

// TestCORSActualRequest: a browser's request gets its origin allowed and
// the request-id headers exposed, on success and on error.
func TestCORSActualRequest(t *testing.T) {
	tg := newTestGateway(t)
	for name, r := range map[string]*http.Request{
		"query ok": newRequest("POST", "/", "Action=GetCallerIdentity&Version=2011-06-15", "Content-Type", form, "Origin", "https://app.example"),
		"json error": newRequest("POST", "/", "{}", "X-Amz-Target", "DynamoDB_20120810.ListTables",
			"Authorization", sigV4("dynamodb"), "Origin", "https://app.example"),
		"s3 error": newRequest("GET", "/", "", "Origin", "https://app.example"),
	} {
		w := tg.do(r)
		h := w.Header()
		if got := h.Get("Access-Control-Allow-Origin"); got != "https://app.example" {
			t.Errorf("%s: Access-Control-Allow-Origin %q", name, got)
		}
		exposed := strings.ToLower(h.Get("Access-Control-Expose-Headers"))
		for _, want := range []string{"x-amzn-requestid", "x-amz-request-id", "x-amz-id-2", "etag"} {
			if !strings.Contains(exposed, want) {
				t.Errorf("%s: %s not exposed: %q", name, want, exposed)
			}
		}
	}
	// No Origin, no CORS headers.
	w := tg.do(newRequest("POST", "/", "Action=GetCallerIdentity&Version=2011-06-15", "Content-Type", form))
	if got := w.Header().Get("Access-Control-Allow-Origin"); got != "" {
		t.Errorf("request without Origin got Access-Control-Allow-Origin %q", got)
	}
}

func TestHealth(t *testing.T) {
	tg := newTestGateway(t)
	tg.clock.Advance(90 * time.Second)
	w := tg.do(newRequest("GET", "/_niwa/health", ""))
	if w.Code != 200 || w.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("health: %d %s", w.Code, w.Header().Get("Content-Type"))
	}
	var h struct {
		Status, Version, Uptime string
		Services                map[string]struct {
			State, Protocol         string
			Operations, Implemented int
		}
	}
	if err := json.Unmarshal(w.Body.Bytes(), &h); err != nil {
		t.Fatalf("health body %s: %v", w.Body, err)
	}
	if h.Status != "running" || h.Version != "v-test" {
		t.Errorf("status %q version %q", h.Status, h.Version)
	}
	if h.Uptime != "1m30s" {
		t.Errorf("uptime %q, want 1m30s on the injected clock", h.Uptime)
	}
	sts := h.Services["sts"]
	if sts.State != "running" || sts.Protocol != "query" || sts.Implemented != 2 || sts.Operations < 8 {
		t.Errorf("sts %+v", sts)
	}
	ddb := h.Services["dynamodb"]
	if ddb.State != "available" || ddb.Protocol != "json" || ddb.Implemented != 0 || ddb.Operations == 0 {
		t.Errorf("dynamodb %+v", ddb)
	}
	if len(h.Services) != len(tg.Services()) {
		t.Errorf("health lists %d services, gateway serves %d", len(h.Services), len(tg.Services()))
	}
}

func TestReset(t *testing.T) {
	tg := newTestGateway(t)
	w := tg.do(newRequest("POST", "/_niwa/reset", ""))
	if w.Code != 200 {
		t.Fatalf("reset: %d %s", w.Code, w.Body)
	}
	var body struct{ Reset bool }
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || !body.Reset {
		t.Fatalf("reset body %s", w.Body)
	}
	if tg.resets != 1 || tg.sqs.count() != 1 {
		t.Fatalf("storage reset %d times, Resetter %d times; want 1 and 1", tg.resets, tg.sqs.count())
	}
	if err := tg.Reset(); err != nil || tg.resets != 2 || tg.sqs.count() != 2 {
		t.Fatalf("Gateway.Reset: %v; storage %d, Resetter %d", err, tg.resets, tg.sqs.count())
	}

	for _, m := range []string{"GET", "PUT", "DELETE"} {
		w := tg.do(newRequest(m, "/_niwa/reset", ""))
		if w.Code != http.StatusMethodNotAllowed || w.Header().Get("Allow") != "POST" {
			t.Errorf("%s /_niwa/reset: %d Allow=%q", m, w.Code, w.Header().Get("Allow"))
		}
	}
	if tg.resets != 2 {
		t.Fatalf("a refused reset reset anyway")
	}

	tg.cfg.Reset = func() error { return errors.New("disk on fire") }
	w = tg.do(newRequest("POST", "/_niwa/reset", ""))
	if w.Code != 500 || !strings.Contains(w.Body.String(), "disk on fire") {
		t.Fatalf("failing reset: %d %s", w.Code, w.Body)
	}
}

// TestInternalPathOnABucketHost: on a bucket's virtual host, /_niwa/... is
// an object key, not niwa's endpoint.
func TestInternalPathOnABucketHost(t *testing.T) {
	tg := newTestGateway(t)
	r := newRequest("POST", "/_niwa/reset", "")
	r.Host = "bucket.s3.localhost:4566"
	w := tg.do(r)
	if tg.resets != 0 || w.Header().Get("X-Amz-Request-Id") == "" {
		t.Fatalf("POST /_niwa/reset on a bucket host: %d resets, %d %s", tg.resets, w.Code, w.Body)
	}
	r = newRequest("GET", "/_niwa/health", "")
	r.Host = "bucket.s3.localhost:4566"
	if w := tg.do(r); !strings.Contains(w.Body.String(), "S3.GetObject") {
		t.Fatalf("GET /_niwa/health on a bucket host: %d %s", w.Code, w.Body)
	}
	// On niwa's own host (any port) it is the endpoint.
	r = newRequest("GET", "/_niwa/health", "")
	r.Host = "localhost:4566"
	if w := tg.do(r); w.Code != 200 || !strings.Contains(w.Body.String(), `"services"`) {
		t.Fatalf("health on localhost: %d %s", w.Code, w.Body)
	}
}

func TestUnknownInternalEndpoint(t *testing.T) {
	tg := newTestGateway(t)
	for _, p := range []string{"/_niwa/x", "/_niwa/", "/_niwa/health/more"} {
		w := tg.do(newRequest("GET", p, ""))
		if w.Code != 404 {
			t.Errorf("GET %s: %d %s", p, w.Code, w.Body)
		}
	}
}

// TestRequestIDs: every protocol carries the request id where its clients
// look for it.
func TestRequestIDs(t *testing.T) {
	tg := newTestGateway(t)

	// query success and error: x-amzn-RequestId, and the same id in the body.
	w := tg.do(newRequest("POST", "/", "Action=GetCallerIdentity&Version=2011-06-15", "Content-Type", form))
	id := w.Header().Get("X-Amzn-Requestid")
	if w.Code != 200 || !uuidRE.MatchString(id) || !strings.Contains(w.Body.String(), "<RequestId>"+id+"</RequestId>") {
		t.Fatalf("query ok: %d id %q body %s", w.Code, id, w.Body)
	}
	w = tg.do(newRequest("POST", "/", "Action=Bogus&Version=2011-06-15", "Content-Type", form))
	var qe queryError
	if err := xml.Unmarshal(w.Body.Bytes(), &qe); err != nil {
		t.Fatalf("query error body %s: %v", w.Body, err)
	}
	id2 := w.Header().Get("X-Amzn-Requestid")
	if w.Code != 400 || qe.Error.Code != "InvalidAction" || !uuidRE.MatchString(id2) || qe.RequestID != id2 {
		t.Fatalf("query error: %d header id %q body %+v", w.Code, id2, qe)
	}
	if id == id2 {
		t.Fatalf("two requests share the request id %s", id)
	}

	// json: x-amzn-RequestId.
	w = tg.do(newRequest("POST", "/", "{}", "X-Amz-Target", "DynamoDB_20120810.ListTables", "Authorization", sigV4("dynamodb")))
	if !uuidRE.MatchString(w.Header().Get("X-Amzn-Requestid")) {
		t.Fatalf("json: headers %v", w.Header())
	}

	// rest-json: x-amzn-RequestId.
	w = tg.do(newRequest("GET", "/2015-03-31/functions/", "", "Authorization", sigV4("lambda")))
	if !uuidRE.MatchString(w.Header().Get("X-Amzn-Requestid")) {
		t.Fatalf("rest-json: headers %v", w.Header())
	}

	// S3: x-amz-request-id and x-amz-id-2, also on errors, and the same
	// ids in the error body.
	for _, r := range []*http.Request{
		newRequest("GET", "/", ""), // NotImplemented ListBuckets
		newRequest("GET", "/bucket?list-type=2", "", "Authorization", sigV4("s3")), // NotImplemented ListObjectsV2
	} {
		w = tg.do(r)
		h := w.Header()
		rid, hid := h.Get("X-Amz-Request-Id"), h.Get("X-Amz-Id-2")
		if rid == "" || hid == "" || h.Get("X-Amzn-Requestid") != "" {
			t.Fatalf("s3 %s: headers %v", r.URL, h)
		}
		var e struct{ Code, RequestId, HostId string }
		if err := xml.Unmarshal(w.Body.Bytes(), &e); err != nil {
			t.Fatalf("s3 error body %s: %v", w.Body, err)
		}
		if e.RequestId != rid || e.HostId != hid {
			t.Fatalf("s3 body ids %q/%q, headers %q/%q", e.RequestId, e.HostId, rid, hid)
		}
	}
}

// TestNotImplementedAfterValidation: a malformed request to an operation
// niwa lacks is answered as AWS would (ValidationException), a well-formed
// one with NotImplemented naming the operation.
func TestNotImplementedAfterValidation(t *testing.T) {
	tg := newTestGateway(t)
	ddb := func(body string) (int, map[string]string) {
		w := tg.do(newRequest("POST", "/", body, "X-Amz-Target", "DynamoDB_20120810.DescribeTable",
			"Content-Type", "application/x-amz-json-1.0", "Authorization", sigV4("dynamodb")))
		var out map[string]string
		if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
			t.Fatalf("body %s: %v", w.Body, err)
		}
		return w.Code, out
	}
	code, body := ddb("{}")
	if code != 400 || body["__type"] != "ValidationException" ||
		body["message"] != "1 validation error detected: Value null at 'tableName' failed to satisfy constraint: Member must not be null" {
		t.Fatalf("missing TableName: %d %v", code, body)
	}
	code, body = ddb(`{"TableName":"t"}`)
	if code != 501 || body["__type"] != "NotImplemented" || body["message"] != "niwa does not implement DynamoDB.DescribeTable yet" {
		t.Fatalf("valid DescribeTable: %d %v", code, body)
	}
	// A reason the service declares (kit.Declaration.NotImplemented)
	// is told to the client.
	tg.byName["dynamodb"].NotImplemented = kit.Reasons{}.Add("tables are described elsewhere", "DescribeTable")
	code, body = ddb(`{"TableName":"t"}`)
	if code != 501 || body["__type"] != "NotImplemented" || body["message"] != "niwa does not implement DynamoDB.DescribeTable: tables are described elsewhere" {
		t.Fatalf("DescribeTable with a declared reason: %d %v", code, body)
	}
}

// TestPanicIsInternalFailure: a handler that panics answers an AWS-shaped
// InternalFailure with the request id, not a bare text/plain 500.
func TestPanicIsInternalFailure(t *testing.T) {
	tg := newTestGateway(t)
	w := tg.do(newRequest("POST", "/", "Action=GetSessionToken&Version=2011-06-15", "Content-Type", form))
	var qe queryError
	if err := xml.Unmarshal(w.Body.Bytes(), &qe); err != nil {
		t.Fatalf("body %q: %v", w.Body, err)
	}
	if w.Code != 500 || qe.Error.Code != "InternalFailure" || qe.Error.Type != "Receiver" ||
		qe.RequestID == "" || qe.RequestID != w.Header().Get("X-Amzn-Requestid") {
		t.Fatalf("panic: %d %+v headers %v", w.Code, qe, w.Header())
	}
	var line struct{ Msg, Operation, Panic, Stack string }
	for _, l := range strings.Split(tg.logs.String(), "\n") {
		if strings.Contains(l, `"msg":"panic"`) {
			json.Unmarshal([]byte(l), &line)
		}
	}
	if line.Panic != "boom" || line.Operation != "GetSessionToken" || !strings.Contains(line.Stack, "GetSessionToken") {
		t.Fatalf("panic log %+v in\n%s", line, tg.logs)
	}
	// The server goes on serving.
	if w := tg.do(newRequest("POST", "/", "Action=GetCallerIdentity&Version=2011-06-15", "Content-Type", form)); w.Code != 200 {
		t.Fatalf("after panic: %d", w.Code)
	}
}

// TestAbortHandlerPanicPropagates: http.ErrAbortHandler is net/http's way
// to abort a response and must reach net/http, not become an error body.
func TestAbortHandlerPanicPropagates(t *testing.T) {
	tg := newTestGateway(t)
	tg.services[0].boundOps()["GetSessionToken"] = abortBinding()
	defer func() {
		if p := recover(); p != http.ErrAbortHandler {
			t.Fatalf("recovered %v, want http.ErrAbortHandler", p)
		}
	}()
	tg.do(newRequest("POST", "/", "Action=GetSessionToken&Version=2011-06-15", "Content-Type", form))
	t.Fatal("ServeHTTP returned normally")
}

// TestLogLinePerRequest: exactly one "request" line per request, with
// service, operation, status, duration and request id.
func TestLogLinePerRequest(t *testing.T) {
	tg := newTestGateway(t)
	w := tg.do(newRequest("POST", "/", "Action=GetCallerIdentity&Version=2011-06-15", "Content-Type", form))
	id := w.Header().Get("X-Amzn-Requestid")
	w2 := tg.do(newRequest("POST", "/", "{}", "X-Amz-Target", "DynamoDB_20120810.ListTables", "Authorization", sigV4("dynamodb")))
	id2 := w2.Header().Get("X-Amzn-Requestid")

	lines := map[string][]map[string]any{}
	for _, l := range strings.Split(strings.TrimSpace(tg.logs.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		if m["msg"] == "request" {
			rid, _ := m["request_id"].(string)
			lines[rid] = append(lines[rid], m)
		}
	}
	for rid, want := range map[string][3]any{
		id:  {"sts", "GetCallerIdentity", float64(200)},
		id2: {"dynamodb", "ListTables", float64(501)},
	} {
		ls := lines[rid]
		if len(ls) != 1 {
			t.Fatalf("request %s: %d log lines, want 1:\n%s", rid, len(ls), tg.logs)
		}
		m := ls[0]
		if m["service"] != want[0] || m["operation"] != want[1] || m["status"] != want[2] {
			t.Errorf("request %s: logged %v, want %v", rid, m, want)
		}
		if _, ok := m["duration"].(float64); !ok {
			t.Errorf("request %s: duration %v", rid, m["duration"])
		}
	}
}
