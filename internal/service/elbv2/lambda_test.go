package elbv2

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	elbv2api "github.com/niwa-cloud/niwa/internal/api/elbv2"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/servicetest"
)

// fakeFunctions answers like a function that echoes its event.
type fakeFunctions struct{ events []albEvent }

func (f *fakeFunctions) Invoke(_ context.Context, fn string, payload []byte) ([]byte, string, error) {
	var ev albEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		return nil, "", err
	}
	f.events = append(f.events, ev)
	if ev.Path == "/boom" {
		return []byte(`{"errorMessage":"boom"}`), "Unhandled", nil
	}
	out, _ := json.Marshal(map[string]any{"statusCode": 201, "headers": map[string]string{"X-Fn": fn}, "body": "aGk=", "isBase64Encoded": true,
		"multiValueHeaders": map[string][]string{"Set-Cookie": {"a=1", "b=2"}}})
	return out, "", nil
}

// TestLambdaTarget: a Lambda target gets ALB's event (multi-value when
// enabled) and its response shape becomes the HTTP response.
func TestLambdaTarget(t *testing.T) {
	h := servicetest.New(t, "elbv2")
	fns := &fakeFunctions{}
	s := New(Options{Store: h.Store(), Clock: h.Clock, Functions: fns})
	t.Cleanup(func() { _ = s.Close() })
	ctx := h.Ctx()
	alb := mustLB(t, s, h, "web")
	tg, err := s.CreateTargetGroup(ctx, &elbv2api.CreateTargetGroupInput{Name: ptr.To("fn"), TargetType: ptr.To("lambda")})
	if err != nil {
		t.Fatal(err)
	}
	arn := tg.TargetGroups[0].TargetGroupArn
	if *tg.TargetGroups[0].HealthCheckEnabled {
		t.Fatal("lambda health checks are off by default")
	}
	fn := "arn:aws:lambda:us-east-1:000000000000:function:f"
	if _, err := s.RegisterTargets(ctx, &elbv2api.RegisterTargetsInput{TargetGroupArn: arn, Targets: []elbv2api.TargetDescription{{Id: ptr.To(fn)}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateListener(ctx, &elbv2api.CreateListenerInput{LoadBalancerArn: alb.LoadBalancerArn, Port: ptr.To(int32(80)), Protocol: ptr.To("HTTP"), DefaultActions: forward(*arn)}); err != nil {
		t.Fatal(err)
	}
	call := func(path string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("POST", path, strings.NewReader("body"))
		r.Host = *alb.DNSName
		r.Header.Add("X-Multi", "1")
		r.Header.Add("X-Multi", "2")
		w := httptest.NewRecorder()
		s.dataPlane().ServeHTTP(w, r)
		return w
	}
	w := call("/p?a=1&a=2")
	if w.Code != 201 || w.Body.String() != "hi" || w.Header().Get("X-Fn") != fn || len(w.Header().Values("Set-Cookie")) != 2 {
		t.Fatalf("%d %q %v", w.Code, w.Body.String(), w.Header())
	}
	ev := fns.events[0]
	if ev.HTTPMethod != "POST" || ev.Path != "/p" || ev.Body != "body" || ev.Headers["x-multi"] != "2" || ev.QueryStringParameters["a"] != "2" ||
		ev.RequestContext["elb"]["targetGroupArn"] != *arn || ev.Headers["x-forwarded-proto"] != "http" {
		t.Fatalf("event: %+v", ev)
	}
	if _, err := s.ModifyTargetGroupAttributes(ctx, &elbv2api.ModifyTargetGroupAttributesInput{TargetGroupArn: arn,
		Attributes: []elbv2api.TargetGroupAttribute{{Key: ptr.To("lambda.multi_value_headers.enabled"), Value: ptr.To("true")}}}); err != nil {
		t.Fatal(err)
	}
	call("/p?a=1&a=2")
	ev = fns.events[1]
	if len(ev.MultiValueHeaders["x-multi"]) != 2 || len(ev.MultiValueQueryStringParameters["a"]) != 2 || ev.Headers != nil {
		t.Fatalf("multi-value event: %+v", ev)
	}
	if w := call("/boom"); w.Code != 502 {
		t.Fatalf("function error: %d", w.Code)
	}
}
