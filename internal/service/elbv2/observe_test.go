package elbv2

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	elbv2api "github.com/niwa-cloud/niwa/internal/api/elbv2"
	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/objects"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/servicetest"
)

// fakeObjects is a bucket that allows only the log delivery principal.
type fakeObjects struct {
	mu   sync.Mutex
	puts map[string][]byte
}

func (f *fakeObjects) CheckObjectAccess(_ context.Context, bucket, _ string, p objects.Principal, _ ...string) (string, string, error) {
	if bucket != "logs" {
		return "", "", objects.ErrNoSuchBucket
	}
	if p.Service != logPrincipal {
		return "", "", objects.ErrAccessDenied
	}
	return "us-east-1", "000000000000", nil
}

func (f *fakeObjects) PutServiceObject(_ context.Context, bucket, key string, body []byte, p objects.Principal) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.puts[bucket+"/"+key] = body
	return nil
}

func (f *fakeObjects) ListServiceObjects(context.Context, string, string, objects.Principal) ([]objects.Object, error) {
	return nil, nil
}

func (f *fakeObjects) OpenServiceObject(context.Context, string, string, objects.Principal) (io.ReadCloser, int64, error) {
	return nil, 0, objects.ErrNoSuchKey
}

// TestMetricsAndAccessLogs: requests publish CloudWatch metrics once
// their minute is over, health
// rounds the host counts, and access logs reach the bucket every five
// minutes of clock time in ALB's format.
func TestMetricsAndAccessLogs(t *testing.T) {
	h := servicetest.New(t, "elbv2")
	bus := events.New()
	var mu sync.Mutex
	got := map[string]float64{}
	bus.HandleMetrics(func(account, region string, ms []events.Metric) {
		mu.Lock()
		defer mu.Unlock()
		for _, m := range ms {
			if _, ok := m.Dimensions["TargetGroup"]; !ok {
				got[m.Namespace+" "+m.Name] += m.Value
			} else if m.Name == "HealthyHostCount" {
				got["healthy"] = m.Value
			}
		}
	})
	objs := &fakeObjects{puts: map[string][]byte{}}
	s := New(Options{Store: h.Store(), Clock: h.Clock, Bus: bus, Objects: objs})
	t.Cleanup(func() { _ = s.Close() })
	ctx := h.Ctx()
	a := newTarget(t, "A")
	alb := mustLB(t, s, h, "web")
	tg := mustTG(t, s, h, "tg")
	if _, err := s.RegisterTargets(ctx, &elbv2api.RegisterTargetsInput{TargetGroupArn: tg.TargetGroupArn, Targets: []elbv2api.TargetDescription{{Id: ptr.To("127.0.0.1"), Port: ptr.To(a.port())}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateListener(ctx, &elbv2api.CreateListenerInput{LoadBalancerArn: alb.LoadBalancerArn, Port: ptr.To(int32(80)), Protocol: ptr.To("HTTP"), DefaultActions: forward(*tg.TargetGroupArn)}); err != nil {
		t.Fatal(err)
	}
	attr := func(k, v string) error {
		_, err := s.ModifyLoadBalancerAttributes(ctx, &elbv2api.ModifyLoadBalancerAttributesInput{LoadBalancerArn: alb.LoadBalancerArn,
			Attributes: []elbv2api.LoadBalancerAttribute{{Key: ptr.To("access_logs.s3.enabled"), Value: ptr.To("true")}, {Key: ptr.To(k), Value: ptr.To(v)}}})
		return err
	}
	if err := attr("access_logs.s3.bucket", "missing"); code(err) != "InvalidConfigurationRequest" {
		t.Fatalf("missing bucket: %v", err)
	}
	if err := attr("access_logs.s3.bucket", "logs"); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		h.Clock.Advance(5 * time.Second)
		s.RunHealthChecks()
	}
	for range 3 {
		r := httptest.NewRequest("GET", "/x?y=1", nil)
		r.Host = *alb.DNSName
		s.dataPlane().ServeHTTP(httptest.NewRecorder(), r)
	}
	// The requests' metrics are summed per minute and published once
	// the minute is over (the next round after it).
	mu.Lock()
	if got["AWS/ApplicationELB RequestCount"] != 0 || got["healthy"] != 1 {
		t.Errorf("metrics before the minute ended: %v", got)
	}
	mu.Unlock()
	h.Clock.Advance(time.Minute)
	s.RunHealthChecks()
	mu.Lock()
	if got["AWS/ApplicationELB RequestCount"] != 3 || got["AWS/ApplicationELB HTTPCode_Target_2XX_Count"] != 3 || got["healthy"] != 1 {
		t.Errorf("metrics: %v", got)
	}
	mu.Unlock()
	h.Clock.Advance(5 * time.Minute)
	s.RunHealthChecks()
	if len(objs.puts) != 1 {
		t.Fatalf("deliveries: %v", objs.puts)
	}
	for key, body := range objs.puts {
		if want := "logs/AWSLogs/" + h.Account + "/elasticloadbalancing/us-east-1/2026/05/01/" + h.Account + "_elasticloadbalancing_us-east-1_app.web."; !strings.HasPrefix(key, want) {
			t.Errorf("key %s", key)
		}
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		text, _ := io.ReadAll(zr)
		lines := strings.Split(strings.TrimSpace(string(text)), "\n")
		if len(lines) != 3 || !strings.HasPrefix(lines[0], "http 2026-05-01T12:00:10") || !strings.Contains(lines[0], ` 200 200 `) ||
			!strings.Contains(lines[0], `"GET http://`+*alb.DNSName+`/x?y=1 HTTP/1.1"`) || !strings.Contains(lines[0], *tg.TargetGroupArn) {
			t.Errorf("log lines:\n%s", text)
		}
	}
}
