package lambda

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	lambdaapi "github.com/niwa-cloud/niwa/internal/api/lambda"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/clock"
	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/servicetest"
	"github.com/niwa-cloud/niwa/internal/storage"
)

const role = "arn:aws:iam::000000000000:role/fn"

// memLogs records what the service writes to CloudWatch Logs.
type memLogs struct {
	mu    sync.Mutex
	lines []string
}

func (m *memLogs) AppendLogEvents(_, _, group, _ string, evs []LogEvent) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, e := range evs {
		m.lines = append(m.lines, group+" "+e.Message)
	}
	return nil
}

func (m *memLogs) all() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return strings.Join(m.lines, "\n")
}

type fixture struct {
	l     *Lambda
	h     *servicetest.Harness
	clk   *clock.Fake
	bus   *events.Bus
	logs  *memLogs
	n     int
	close func()
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	return newFixtureAt(t, servicetest.New(t, "lambda", servicetest.InAccount(testAccount)), events.New())
}

// newFixtureAt opens the service over h's storage and clock with bus;
// f.close stops it and closes the storage (also at the end of the test),
// so a test can open a second harness on the same OnDisk directory and
// clock as a restart would.
func newFixtureAt(t *testing.T, h *servicetest.Harness, bus *events.Bus) *fixture {
	t.Helper()
	b := h.Backend
	f := &fixture{h: h, clk: h.Clock, bus: bus, logs: &memLogs{}}
	f.l = New(Options{
		Store: h.Store(), Blobs: b.Blobs(), Clock: f.clk, Bus: f.bus, WorkDir: t.TempDir(), Logs: f.logs,
		IdleTimeout: time.Minute,
		Roles:       func(arn string) (bool, error) { return arn == role, nil },
		Credentials: func(time.Time, string, string, string, time.Duration) (Credentials, error) {
			return Credentials{AccessKeyID: "ASIATEST", SecretAccessKey: "s", SessionToken: "t"}, nil
		},
	})
	var once sync.Once
	f.close = func() { once.Do(func() { f.l.Close(); b.Close() }) }
	t.Cleanup(f.close)
	return f
}

func (f *fixture) ctx() *request.Context {
	f.n++
	ctx := f.h.Ctx()
	ctx.RequestID = "00000000-0000-4000-8000-" + strings.Repeat("0", 11) + string(rune('a'+f.n%26))
	return ctx
}

// testAccount is the account of every fixture's requests.
const testAccount = "000000000000"

func code(err error) string {
	if err == nil {
		return ""
	}
	return awserr.As(err).Code.Code
}

func zipOf(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for n, c := range files {
		w, _ := zw.Create(n)
		w.Write([]byte(c))
	}
	zw.Close()
	return buf.Bytes()
}

const pyCode = `import time, os
def ok(event, context):
    print("got", event.get("v"), os.environ.get("AWS_ACCESS_KEY_ID"), os.environ["TZ"])
    return {"v": event.get("v"), "name": context.function_name, "version": context.function_version}
def boom(event, context):
    raise KeyError("missing")
def slow(event, context):
    print("sleeping")
    time.sleep(30)
`

func needPython(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not installed")
	}
}

func (f *fixture) create(t *testing.T, name, handler string, mod func(*lambdaapi.CreateFunctionRequest)) *lambdaapi.FunctionConfiguration {
	t.Helper()
	in := &lambdaapi.CreateFunctionRequest{
		FunctionName: ptr.To(name), Runtime: ptr.To("python3.12"), Handler: ptr.To(handler), Role: ptr.To(role),
		Code: &lambdaapi.FunctionCode{ZipFile: zipOf(t, map[string]string{"app.py": pyCode})},
	}
	if mod != nil {
		mod(in)
	}
	out, err := f.l.CreateFunction(f.ctx(), in)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestCreateValidation(t *testing.T) {
	f := newFixture(t)
	good := zipOf(t, map[string]string{"app.py": pyCode})
	cases := []struct {
		name string
		in   lambdaapi.CreateFunctionRequest
		code string
		msg  string
	}{
		{"deprecated runtime", lambdaapi.CreateFunctionRequest{FunctionName: ptr.To("a"), Runtime: ptr.To("python2.7"), Handler: ptr.To("app.ok"), Role: ptr.To(role), Code: &lambdaapi.FunctionCode{ZipFile: good}},
			"InvalidParameterValueException", "The runtime parameter of python2.7 is no longer supported"},
		{"no handler", lambdaapi.CreateFunctionRequest{FunctionName: ptr.To("a"), Runtime: ptr.To("python3.12"), Role: ptr.To(role), Code: &lambdaapi.FunctionCode{ZipFile: good}},
			"InvalidParameterValueException", "Runtime and Handler are mandatory"},
		{"unknown role", lambdaapi.CreateFunctionRequest{FunctionName: ptr.To("a"), Runtime: ptr.To("python3.12"), Handler: ptr.To("app.ok"), Role: ptr.To("arn:aws:iam::000000000000:role/nope"), Code: &lambdaapi.FunctionCode{ZipFile: good}},
			"InvalidParameterValueException", "cannot be assumed by Lambda"},
		{"reserved env", lambdaapi.CreateFunctionRequest{FunctionName: ptr.To("a"), Runtime: ptr.To("python3.12"), Handler: ptr.To("app.ok"), Role: ptr.To(role), Code: &lambdaapi.FunctionCode{ZipFile: good},
			Environment: &lambdaapi.Environment{Variables: map[string]string{"AWS_REGION": "x"}}}, "InvalidParameterValueException", "Reserved keys used in this request: AWS_REGION"},
		{"not a zip", lambdaapi.CreateFunctionRequest{FunctionName: ptr.To("a"), Runtime: ptr.To("python3.12"), Handler: ptr.To("app.ok"), Role: ptr.To(role), Code: &lambdaapi.FunctionCode{ZipFile: []byte("nope")}},
			"InvalidParameterValueException", "Could not unzip uploaded file"},
		{"timeout", lambdaapi.CreateFunctionRequest{FunctionName: ptr.To("a"), Runtime: ptr.To("python3.12"), Handler: ptr.To("app.ok"), Role: ptr.To(role), Code: &lambdaapi.FunctionCode{ZipFile: good}, Timeout: func() *int32 { v := int32(901); return &v }()},
			"InvalidParameterValueException", "less than or equal to 900"},
		{"image", lambdaapi.CreateFunctionRequest{FunctionName: ptr.To("a"), PackageType: ptr.To("Image"), Role: ptr.To(role), Code: &lambdaapi.FunctionCode{ImageUri: ptr.To("x")}},
			"InvalidParameterValueException", "container image"},
	}
	for _, c := range cases {
		_, err := f.l.CreateFunction(f.ctx(), &c.in)
		if code(err) != c.code || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	f.create(t, "dup", "app.ok", nil)
	if _, err := f.l.CreateFunction(f.ctx(), &lambdaapi.CreateFunctionRequest{FunctionName: ptr.To("dup"), Runtime: ptr.To("python3.12"), Handler: ptr.To("app.ok"), Role: ptr.To(role), Code: &lambdaapi.FunctionCode{ZipFile: good}}); code(err) != "ResourceConflictException" {
		t.Fatalf("duplicate: %v", err)
	}
}

func TestFunctionLifecycle(t *testing.T) {
	f := newFixture(t)
	created := f.create(t, "life", "app.ok", func(in *lambdaapi.CreateFunctionRequest) { in.Tags = map[string]string{"a": "b"} })
	if *created.State != "Pending" || *created.Version != "$LATEST" || *created.Timeout != 3 || *created.MemorySize != 128 {
		t.Fatalf("created: %+v", created)
	}
	got, err := f.l.GetFunction(f.ctx(), &lambdaapi.GetFunctionRequest{FunctionName: ptr.To("arn:aws:lambda:us-east-1:000000000000:function:life")})
	if err != nil || *got.Configuration.State != "Active" || got.Tags["a"] != "b" {
		t.Fatalf("get: %v %+v", err, got)
	}
	v1, err := f.l.PublishVersion(f.ctx(), &lambdaapi.PublishVersionRequest{FunctionName: ptr.To("life")})
	if err != nil || *v1.Version != "1" || !strings.HasSuffix(*v1.FunctionArn, ":life:1") {
		t.Fatalf("publish: %v %+v", err, v1)
	}
	again, _ := f.l.PublishVersion(f.ctx(), &lambdaapi.PublishVersionRequest{FunctionName: ptr.To("life")})
	if *again.Version != "1" {
		t.Fatalf("unchanged code publishes the same version, got %s", *again.Version)
	}
	upd, err := f.l.UpdateFunctionConfiguration(f.ctx(), &lambdaapi.UpdateFunctionConfigurationRequest{FunctionName: ptr.To("life"), Timeout: func() *int32 { v := int32(10); return &v }()})
	if err != nil || *upd.LastUpdateStatus != "InProgress" || *upd.Timeout != 10 {
		t.Fatalf("update: %v %+v", err, upd)
	}
	if _, err := f.l.UpdateFunctionConfiguration(f.ctx(), &lambdaapi.UpdateFunctionConfigurationRequest{FunctionName: ptr.To("life"), RevisionId: ptr.To("stale")}); code(err) != "PreconditionFailedException" {
		t.Fatalf("stale revision: %v", err)
	}
	v2, _ := f.l.PublishVersion(f.ctx(), &lambdaapi.PublishVersionRequest{FunctionName: ptr.To("life")})
	if *v2.Version != "2" {
		t.Fatalf("v2: %+v", v2)
	}
	a, err := f.l.CreateAlias(f.ctx(), &lambdaapi.CreateAliasRequest{FunctionName: ptr.To("life"), Name: ptr.To("live"), FunctionVersion: ptr.To("1"),
		RoutingConfig: &lambdaapi.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{"2": 0.5}}})
	if err != nil || *a.AliasArn != "arn:aws:lambda:us-east-1:000000000000:function:life:live" {
		t.Fatalf("alias: %v %+v", err, a)
	}
	if _, err := f.l.CreateAlias(f.ctx(), &lambdaapi.CreateAliasRequest{FunctionName: ptr.To("life"), Name: ptr.To("bad"), FunctionVersion: ptr.To("9")}); code(err) != "ResourceNotFoundException" {
		t.Fatalf("alias to a missing version: %v", err)
	}
	cfg, err := f.l.GetFunctionConfiguration(f.ctx(), &lambdaapi.GetFunctionConfigurationRequest{FunctionName: ptr.To("life:live")})
	if err != nil || *cfg.Version != "1" {
		t.Fatalf("by alias: %v %+v", err, cfg)
	}
	if _, err := f.l.DeleteFunction(f.ctx(), &lambdaapi.DeleteFunctionRequest{FunctionName: ptr.To("life"), Qualifier: ptr.To("1")}); code(err) != "ResourceConflictException" {
		t.Fatalf("deleting a version an alias uses: %v", err)
	}
	vs, _ := f.l.ListVersionsByFunction(f.ctx(), &lambdaapi.ListVersionsByFunctionRequest{FunctionName: ptr.To("life"), MaxItems: func() *int32 { v := int32(2); return &v }()})
	if len(vs.Versions) != 2 || *vs.Versions[0].Version != "$LATEST" || vs.NextMarker == nil {
		t.Fatalf("versions page: %+v", vs)
	}
	rest, _ := f.l.ListVersionsByFunction(f.ctx(), &lambdaapi.ListVersionsByFunctionRequest{FunctionName: ptr.To("life"), Marker: vs.NextMarker})
	if len(rest.Versions) != 1 || *rest.Versions[0].Version != "2" {
		t.Fatalf("versions rest: %+v", rest)
	}
	f.create(t, "other", "app.ok", nil)
	list, _ := f.l.ListFunctions(f.ctx(), &lambdaapi.ListFunctionsRequest{MaxItems: func() *int32 { v := int32(1); return &v }()})
	if len(list.Functions) != 1 || list.NextMarker == nil {
		t.Fatalf("list page: %+v", list)
	}
	list2, _ := f.l.ListFunctions(f.ctx(), &lambdaapi.ListFunctionsRequest{Marker: list.NextMarker})
	if len(list2.Functions) != 1 || *list2.Functions[0].FunctionName != "other" {
		t.Fatalf("list rest: %+v", list2)
	}
	if _, err := f.l.DeleteFunction(f.ctx(), &lambdaapi.DeleteFunctionRequest{FunctionName: ptr.To("life")}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.l.GetFunction(f.ctx(), &lambdaapi.GetFunctionRequest{FunctionName: ptr.To("life")}); code(err) != "ResourceNotFoundException" ||
		err.Error() != "ResourceNotFoundException: Function not found: arn:aws:lambda:us-east-1:000000000000:function:life" {
		t.Fatalf("deleted: %v", err)
	}
}

func TestInvokeWarmTimeoutAndIdle(t *testing.T) {
	needPython(t)
	f := newFixture(t)
	f.create(t, "ok", "app.ok", func(in *lambdaapi.CreateFunctionRequest) {
		in.Environment = &lambdaapi.Environment{Variables: map[string]string{"X": "1"}}
	})
	for i := 0; i < 2; i++ {
		out, err := f.l.Invoke(f.ctx(), &lambdaapi.InvocationRequest{FunctionName: ptr.To("ok"), Payload: []byte(`{"v": 42}`), LogType: ptr.To("Tail")})
		if err != nil || out.FunctionError != nil || *out.StatusCode != 200 {
			t.Fatalf("invoke: %v %+v", err, out)
		}
		var r struct {
			V       int
			Name    string
			Version string
		}
		json.Unmarshal(out.Payload, &r)
		if r.V != 42 || r.Name != "ok" || r.Version != "$LATEST" {
			t.Fatalf("payload: %s", out.Payload)
		}
	}
	if n := f.l.exec.Warm(group(storage.Scope{Account: "000000000000", Region: "us-east-1"}, "ok")); n != 1 {
		t.Fatalf("two sequential invocations share one warm environment, have %d", n)
	}
	logs := f.logs.all()
	if strings.Count(logs, "/aws/lambda/ok START RequestId:") != 2 || !strings.Contains(logs, "got 42 ASIATEST :UTC") || strings.Count(logs, "Init Duration") != 1 {
		t.Fatalf("logs:\n%s", logs)
	}
	// The idle timeout (on the clock) stops the environment.
	f.clk.Advance(time.Minute)
	waitFor(t, func() bool {
		return f.l.exec.Warm(group(storage.Scope{Account: "000000000000", Region: "us-east-1"}, "ok")) == 0
	})

	// A timeout, on the clock too, kills the process and answers AWS's error.
	f.create(t, "slow", "app.slow", func(in *lambdaapi.CreateFunctionRequest) { in.Timeout = func() *int32 { v := int32(2); return &v }() })
	done := make(chan *lambdaapi.InvocationResponse)
	before := f.clk.Waiters()
	go func() {
		out, err := f.l.Invoke(f.ctx(), &lambdaapi.InvocationRequest{FunctionName: ptr.To("slow")})
		if err != nil {
			t.Error(err)
		}
		done <- out
	}()
	// Waiters: the init timeout, then the invocation's own timeout.
	waitFor(t, func() bool { return f.clk.Waiters() >= before+2 })
	f.clk.Advance(2 * time.Second)
	out := <-done
	if out == nil || ptr.Deref(out.FunctionError) != "Unhandled" || !strings.Contains(string(out.Payload), `"errorType":"Sandbox.Timedout"`) ||
		!strings.Contains(string(out.Payload), "Task timed out after 2.00 seconds") {
		t.Fatalf("timeout: %+v %s", out, out.Payload)
	}

	// An exception comes back in AWS's error shape.
	f.create(t, "boom", "app.boom", nil)
	out, err := f.l.Invoke(f.ctx(), &lambdaapi.InvocationRequest{FunctionName: ptr.To("boom")})
	if err != nil || ptr.Deref(out.FunctionError) != "Unhandled" {
		t.Fatalf("boom: %v %+v", err, out)
	}
	var e struct {
		ErrorType, ErrorMessage string
		StackTrace              []string
	}
	json.Unmarshal(out.Payload, &e)
	if e.ErrorType != "KeyError" || e.ErrorMessage != "'missing'" || len(e.StackTrace) != 1 {
		t.Fatalf("error shape: %s", out.Payload)
	}
}

// patience bounds every wait on asynchronous work in these tests: long
// enough for real function processes on a loaded 2-core machine, and a
// wait returns as soon as its condition holds.
const patience = 2 * time.Minute

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(patience)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestInvokeRequestChecks(t *testing.T) {
	f := newFixture(t)
	f.create(t, "fn", "app.ok", nil)
	if _, err := f.l.Invoke(f.ctx(), &lambdaapi.InvocationRequest{FunctionName: ptr.To("fn"), Payload: []byte("{not json")}); code(err) != "InvalidRequestContentException" {
		t.Fatalf("bad json: %v", err)
	}
	out, err := f.l.Invoke(f.ctx(), &lambdaapi.InvocationRequest{FunctionName: ptr.To("fn"), InvocationType: ptr.To("DryRun")})
	if err != nil || *out.StatusCode != 204 {
		t.Fatalf("dry run: %v %+v", err, out)
	}
	if _, err := f.l.Invoke(f.ctx(), &lambdaapi.InvocationRequest{FunctionName: ptr.To("nope")}); code(err) != "ResourceNotFoundException" {
		t.Fatalf("missing: %v", err)
	}
	zero := int32(0)
	f.l.PutFunctionConcurrency(f.ctx(), &lambdaapi.PutFunctionConcurrencyRequest{FunctionName: ptr.To("fn"), ReservedConcurrentExecutions: &zero})
	if _, err := f.l.Invoke(f.ctx(), &lambdaapi.InvocationRequest{FunctionName: ptr.To("fn")}); code(err) != "TooManyRequestsException" {
		t.Fatalf("reserved 0: %v", err)
	}
}

// TestBusDeliveryPolicyAndRetries: a service principal invokes a function
// through the bus only with a matching resource-policy statement; a
// failing asynchronous invocation is retried twice on the clock and then
// goes to the dead-letter queue.
func TestBusDeliveryPolicyAndRetries(t *testing.T) {
	needPython(t)
	f := newFixture(t)
	var mu sync.Mutex
	var dlq []events.Message
	f.bus.Handle("sqs", events.HandlerFunc(func(_ context.Context, m events.Message) error {
		mu.Lock()
		dlq = append(dlq, m)
		mu.Unlock()
		return nil
	}))
	f.create(t, "target", "app.boom", func(in *lambdaapi.CreateFunctionRequest) {
		in.DeadLetterConfig = &lambdaapi.DeadLetterConfig{TargetArn: ptr.To("arn:aws:sqs:us-east-1:000000000000:dlq")}
	})
	arn := "arn:aws:lambda:us-east-1:000000000000:function:target"
	rule := "arn:aws:events:us-east-1:000000000000:rule/r1"
	msg := events.Message{TargetARN: arn, Body: `{"detail":{}}`, SourceService: "events.amazonaws.com", SourceARN: rule, SourceAccount: "000000000000"}
	if err := f.l.Deliver(context.Background(), msg); err == nil {
		t.Fatal("delivery without a resource policy must be refused")
	}
	_, err := f.l.AddPermission(f.ctx(), &lambdaapi.AddPermissionRequest{FunctionName: ptr.To("target"), StatementId: ptr.To("ev"),
		Action: ptr.To("lambda:InvokeFunction"), Principal: ptr.To("events.amazonaws.com"), SourceArn: ptr.To(rule)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.l.AddPermission(f.ctx(), &lambdaapi.AddPermissionRequest{FunctionName: ptr.To("target"), StatementId: ptr.To("ev"),
		Action: ptr.To("lambda:InvokeFunction"), Principal: ptr.To("events.amazonaws.com")}); code(err) != "ResourceConflictException" {
		t.Fatalf("duplicate sid: %v", err)
	}
	other := msg
	other.SourceARN = "arn:aws:events:us-east-1:000000000000:rule/other"
	if err := f.l.Deliver(context.Background(), other); err == nil {
		t.Fatal("a rule the policy does not name must be refused")
	}
	pol, _ := f.l.GetPolicy(f.ctx(), &lambdaapi.GetPolicyRequest{FunctionName: ptr.To("target")})
	if !strings.Contains(*pol.Policy, `"ArnLike":{"AWS:SourceArn":"`+rule+`"}`) {
		t.Fatalf("policy: %s", *pol.Policy)
	}
	if err := f.l.Deliver(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	f.l.WaitAsync()
	for i, wait := range []time.Duration{time.Minute, 2 * time.Minute} {
		if n := strings.Count(f.logs.all(), "START RequestId"); n != i+1 {
			t.Fatalf("attempt %d: %d starts", i+1, n)
		}
		waitFor(t, func() bool { return f.clk.Waiters() > 0 })
		f.clk.Advance(wait)
		waitFor(t, func() bool { return strings.Count(f.logs.all(), "START RequestId") == i+2 })
		f.l.WaitAsync()
	}
	mu.Lock()
	defer mu.Unlock()
	if len(dlq) != 1 || dlq[0].Body != msg.Body || dlq[0].Attributes["ErrorMessage"] != "'missing'" {
		t.Fatalf("dead letters: %+v", dlq)
	}
}
