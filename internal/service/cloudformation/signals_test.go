package cloudformation

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	cfnapi "github.com/niwa-cloud/niwa/internal/api/cloudformation"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
)

const signalledThing = `
Resources:
  Server:
    Type: Test::Thing
    CreationPolicy:
      ResourceSignal: {Count: 2, Timeout: PT10M}
    Properties: {Name: server}
`

// resourceStatus waits for a resource to reach a status.
func resourceStatus(t *testing.T, c *CloudFormation, ctx *request.Context, stack, logical, want string) *cfnapi.StackResourceDetail {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		out, err := c.DescribeStackResource(ctx, &cfnapi.DescribeStackResourceInput{StackName: ptr.To(stack), LogicalResourceId: ptr.To(logical)})
		if err == nil && *out.StackResourceDetail.ResourceStatus == want {
			return out.StackResourceDetail
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("%s never reached %s", logical, want)
	return nil
}

// waitStage waits for the stack's status.
func waitStage(t *testing.T, c *CloudFormation, ctx *request.Context, stack, want string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		out, err := c.DescribeStacks(ctx, &cfnapi.DescribeStacksInput{StackName: ptr.To(stack)})
		if err == nil && *out.Stacks[0].StackStatus == want {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("stack %s never reached %s", stack, want)
}

func TestCreationPolicySignals(t *testing.T) {
	c, h, _ := newTestService(t)
	ctx := h.Ctx()
	if _, err := c.CreateStack(ctx, &cfnapi.CreateStackInput{StackName: ptr.To("sig"), TemplateBody: ptr.To(signalledThing)}); err != nil {
		t.Fatal(err)
	}
	resourceStatus(t, c, ctx, "sig", "Server", "CREATE_IN_PROGRESS")
	for _, id := range []string{"i-1", "i-1", "i-2"} { // a repeated id counts once
		if _, err := c.SignalResource(ctx, &cfnapi.SignalResourceInput{StackName: ptr.To("sig"), LogicalResourceId: ptr.To("Server"),
			UniqueId: ptr.To(id), Status: ptr.To("SUCCESS")}); err != nil {
			t.Fatal(err)
		}
	}
	if s := waitStatus(t, c, ctx, "sig"); *s.StackStatus != "CREATE_COMPLETE" {
		t.Fatalf("status %s", *s.StackStatus)
	}
	_, err := c.SignalResource(ctx, &cfnapi.SignalResourceInput{StackName: ptr.To("sig"), LogicalResourceId: ptr.To("Server"),
		UniqueId: ptr.To("late"), Status: ptr.To("SUCCESS")})
	if err == nil || !strings.Contains(err.Error(), "is in CREATE_COMPLETE state and cannot be signaled") {
		t.Fatalf("late signal: %v", err)
	}
}

func TestCreationPolicyFailureAndTimeout(t *testing.T) {
	c, h, f := newTestService(t)
	ctx := h.Ctx()
	if _, err := c.CreateStack(ctx, &cfnapi.CreateStackInput{StackName: ptr.To("bad"), TemplateBody: ptr.To(signalledThing)}); err != nil {
		t.Fatal(err)
	}
	resourceStatus(t, c, ctx, "bad", "Server", "CREATE_IN_PROGRESS")
	if _, err := c.SignalResource(ctx, &cfnapi.SignalResourceInput{StackName: ptr.To("bad"), LogicalResourceId: ptr.To("Server"),
		UniqueId: ptr.To("i-9"), Status: ptr.To("FAILURE")}); err != nil {
		t.Fatal(err)
	}
	if s := waitStatus(t, c, ctx, "bad"); *s.StackStatus != "ROLLBACK_COMPLETE" {
		t.Fatalf("status %s", *s.StackStatus)
	}
	if !contains(events(t, c, ctx, "bad"), "Server CREATE_FAILED Received FAILURE signal with UniqueId i-9") {
		t.Fatalf("events %v", events(t, c, ctx, "bad"))
	}
	if f.liveCount() != 0 {
		t.Fatal("rollback left the resource")
	}

	if _, err := c.CreateStack(ctx, &cfnapi.CreateStackInput{StackName: ptr.To("slow"), TemplateBody: ptr.To(signalledThing)}); err != nil {
		t.Fatal(err)
	}
	resourceStatus(t, c, ctx, "slow", "Server", "CREATE_IN_PROGRESS")
	deadline := time.Now().Add(30 * time.Second)
	for h.Clock.Waiters() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	h.Clock.Advance(10 * time.Minute)
	if s := waitStatus(t, c, ctx, "slow"); *s.StackStatus != "ROLLBACK_COMPLETE" {
		t.Fatalf("status %s", *s.StackStatus)
	}
	if !contains(events(t, c, ctx, "slow"), "Server CREATE_FAILED Failed to receive 2 resource signal(s) within the specified duration") {
		t.Fatalf("events %v", events(t, c, ctx, "slow"))
	}
}

const waitTemplate = `
Resources:
  Handle:
    Type: AWS::CloudFormation::WaitConditionHandle
  Wait:
    Type: AWS::CloudFormation::WaitCondition
    Properties: {Handle: !Ref Handle, Timeout: "300", Count: 1}
Outputs:
  Data: {Value: !GetAtt Wait.Data}
`

func TestWaitConditionHandle(t *testing.T) {
	c, h, _ := newTestService(t)
	ctx := h.Ctx()
	if _, err := c.CreateStack(ctx, &cfnapi.CreateStackInput{StackName: ptr.To("w"), TemplateBody: ptr.To(waitTemplate)}); err != nil {
		t.Fatal(err)
	}
	handle := resourceStatus(t, c, ctx, "w", "Handle", "CREATE_COMPLETE")
	resourceStatus(t, c, ctx, "w", "Wait", "CREATE_IN_PROGRESS")
	u := *handle.PhysicalResourceId
	put := func(u, body string) int {
		rec := httptest.NewRecorder()
		c.serveSignal(rec, httptest.NewRequest(http.MethodPut, u, strings.NewReader(body)))
		return rec.Code
	}
	if code := put(strings.Replace(u, "Signature=", "Signature=x", 1), `{"Status":"SUCCESS","UniqueId":"a","Data":"d","Reason":"r"}`); code != http.StatusForbidden {
		t.Fatalf("forged signature answered %d", code)
	}
	if code := put(u, `{"Status":"SUCCESS","UniqueId":"a","Data":"hello","Reason":"ok"}`); code != http.StatusOK {
		t.Fatalf("signal answered %d", code)
	}
	s := waitStatus(t, c, ctx, "w")
	if *s.StackStatus != "CREATE_COMPLETE" || len(s.Outputs) != 1 || *s.Outputs[0].OutputValue != `{"a":"hello"}` {
		t.Fatalf("stack %s outputs %+v", *s.StackStatus, s.Outputs)
	}
}

func TestRollbackStackAndCancel(t *testing.T) {
	c, h, f := newTestService(t)
	ctx := h.Ctx()
	failing := "Resources:\n  A: {Type: Test::Thing, Properties: {Name: a}}\n  B: {Type: Test::Thing, DependsOn: A, Properties: {Name: b, Fail: true}}\n"
	if _, err := c.CreateStack(ctx, &cfnapi.CreateStackInput{StackName: ptr.To("r"), TemplateBody: ptr.To(failing), DisableRollback: ptr.To(true)}); err != nil {
		t.Fatal(err)
	}
	if s := waitStatus(t, c, ctx, "r"); *s.StackStatus != "CREATE_FAILED" || f.liveCount() != 1 {
		t.Fatalf("status %s live %d", *s.StackStatus, f.liveCount())
	}
	if _, err := c.RollbackStack(ctx, &cfnapi.RollbackStackInput{StackName: ptr.To("r")}); err != nil {
		t.Fatal(err)
	}
	if s := waitStatus(t, c, ctx, "r"); *s.StackStatus != "ROLLBACK_COMPLETE" || f.liveCount() != 0 {
		t.Fatalf("status %s live %d", *s.StackStatus, f.liveCount())
	}
	if _, err := c.RollbackStack(ctx, &cfnapi.RollbackStackInput{StackName: ptr.To("r")}); err == nil {
		t.Fatal("rollback of a ROLLBACK_COMPLETE stack accepted")
	}

	// An update left UPDATE_FAILED goes back to the template before it.
	good := "Resources:\n  A: {Type: Test::Thing, Properties: {Name: a, Size: 1}}\n"
	if _, err := c.CreateStack(ctx, &cfnapi.CreateStackInput{StackName: ptr.To("u"), TemplateBody: ptr.To(good)}); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, c, ctx, "u")
	bad := "Resources:\n  A: {Type: Test::Thing, Properties: {Name: a, Size: 2}}\n  C: {Type: Test::Thing, DependsOn: A, Properties: {Name: c, Fail: true}}\n"
	if _, err := c.UpdateStack(ctx, &cfnapi.UpdateStackInput{StackName: ptr.To("u"), TemplateBody: ptr.To(bad), DisableRollback: ptr.To(true)}); err != nil {
		t.Fatal(err)
	}
	if s := waitStatus(t, c, ctx, "u"); *s.StackStatus != "UPDATE_FAILED" {
		t.Fatalf("status %s", *s.StackStatus)
	}
	if _, err := c.RollbackStack(ctx, &cfnapi.RollbackStackInput{StackName: ptr.To("u")}); err != nil {
		t.Fatal(err)
	}
	waitStage(t, c, ctx, "u", "UPDATE_ROLLBACK_COMPLETE")
	tmpl, err := c.GetTemplate(ctx, &cfnapi.GetTemplateInput{StackName: ptr.To("u")})
	if err != nil || *tmpl.TemplateBody != good {
		t.Fatalf("template after rollback %v %v", tmpl, err)
	}
	f.mu.Lock()
	for _, props := range f.live {
		if props["Name"] == "a" && props["Size"] != 1.0 {
			t.Errorf("A's size is %v after rollback", props["Size"])
		}
	}
	f.mu.Unlock()

	// A cancelled update rolls back.
	waiting := "Resources:\n  A: {Type: Test::Thing, Properties: {Name: a, Size: 1}}\n  S: {Type: Test::Thing, CreationPolicy: {ResourceSignal: {Timeout: PT1H}}, Properties: {Name: s}}\n"
	if _, err := c.UpdateStack(ctx, &cfnapi.UpdateStackInput{StackName: ptr.To("u"), TemplateBody: ptr.To(waiting)}); err != nil {
		t.Fatal(err)
	}
	resourceStatus(t, c, ctx, "u", "S", "CREATE_IN_PROGRESS")
	if _, err := c.CancelUpdateStack(ctx, &cfnapi.CancelUpdateStackInput{StackName: ptr.To("u")}); err != nil {
		t.Fatal(err)
	}
	if s := waitStatus(t, c, ctx, "u"); *s.StackStatus != "UPDATE_ROLLBACK_COMPLETE" {
		t.Fatalf("status %s", *s.StackStatus)
	}
	if _, err := c.CancelUpdateStack(ctx, &cfnapi.CancelUpdateStackInput{StackName: ptr.To("u")}); err == nil {
		t.Fatal("cancel of a finished update accepted")
	}
	if _, err := c.ContinueUpdateRollback(ctx, &cfnapi.ContinueUpdateRollbackInput{StackName: ptr.To("u")}); err == nil {
		t.Fatal("ContinueUpdateRollback outside UPDATE_ROLLBACK_FAILED accepted")
	}
}

func TestISODuration(t *testing.T) {
	for in, want := range map[string]time.Duration{"PT5M": 5 * time.Minute, "PT1H30M": 90 * time.Minute, "PT45S": 45 * time.Second} {
		if got, err := isoDuration(in); err != nil || got != want {
			t.Errorf("%s: %v %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "PT", "5M", "P1D", "PT-1M"} {
		if _, err := isoDuration(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func FuzzISODuration(f *testing.F) {
	for _, s := range []string{"PT5M", "PT1H30M10S", "PT", "P1D", "PT999999999H"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := isoDuration(s)
		if err == nil && d < 0 {
			t.Fatalf("%q: negative duration %v", s, d)
		}
	})
}

func FuzzHandleKey(f *testing.F) {
	f.Add("http://localhost:4566/cloudformation-waitcondition-niwa/arn%3Aaws%3Acloudformation%3Aus-east-1%3A0%3Astack%2Fs%2Fid/H?Signature=x")
	f.Add("/cloudformation-waitcondition-niwa/")
	f.Add("%zz")
	f.Fuzz(func(t *testing.T, u string) {
		if key, ok := handleKey(u); ok && key == "" {
			t.Fatalf("%q: empty key", u)
		}
	})
}
