package elb

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	elbapi "github.com/niwa-cloud/niwa/internal/api/elb"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/servicetest"
)

// addrs resolves instances to test servers.
type addrs map[string]string

func (a addrs) Dial(_ context.Context, _, _, id string, _ int) (string, error) {
	if v, ok := a[id]; ok {
		return v, nil
	}
	return "", errors.New("not running")
}

func code(err error) string {
	var e *awserr.Error
	if errors.As(err, &e) {
		return e.Code.Code
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

// TestClassicRoutesToNoUnhealthyInstance: a Classic load balancer sends
// requests only to InService instances and answers 503 when none is.
func TestClassicRoutesToNoUnhealthyInstance(t *testing.T) {
	h := servicetest.New(t, "elb")
	var broken [2]atomic.Bool
	a := make(addrs)
	for i, name := range []string{"A", "B"} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/health" && broken[i].Load() {
				w.WriteHeader(http.StatusInternalServerError)
				return
			}
			_, _ = io.WriteString(w, name)
		}))
		t.Cleanup(srv.Close)
		a["i-"+name] = srv.Listener.Addr().String()
	}
	bus := events.New()
	var mu sync.Mutex
	sums := map[string]float64{}
	bus.HandleMetrics(func(_, _ string, ms []events.Metric) {
		mu.Lock()
		defer mu.Unlock()
		for _, m := range ms {
			if m.Namespace == "AWS/ELB" && m.Stats != nil {
				sums[m.Name] += m.Stats.Sum
				sums[m.Name+" samples"] += m.Stats.SampleCount
			}
		}
	})
	s := New(Options{Store: h.Store(), Clock: h.Clock, Instances: a, Bus: bus})
	t.Cleanup(func() { _ = s.Close() })
	ctx := h.Ctx()
	out, err := s.CreateLoadBalancer(ctx, &elbapi.CreateAccessPointInput{LoadBalancerName: ptr.To("web"), AvailabilityZones: []string{"us-east-1a"},
		Listeners: []elbapi.Listener{{Protocol: ptr.To("http"), LoadBalancerPort: ptr.To(int32(80)), InstancePort: ptr.To(int32(80))}}})
	if err != nil {
		t.Fatal(err)
	}
	dns := *out.DNSName
	if _, err := s.ConfigureHealthCheck(ctx, &elbapi.ConfigureHealthCheckInput{LoadBalancerName: ptr.To("web"), HealthCheck: &elbapi.HealthCheck{
		Target: ptr.To("HTTP:80/health"), Interval: ptr.To(int32(5)), Timeout: ptr.To(int32(2)), HealthyThreshold: ptr.To(int32(2)), UnhealthyThreshold: ptr.To(int32(2))}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RegisterInstancesWithLoadBalancer(ctx, &elbapi.RegisterEndPointsInput{LoadBalancerName: ptr.To("web"),
		Instances: []elbapi.Instance{{InstanceId: ptr.To("i-A")}, {InstanceId: ptr.To("i-B")}}}); err != nil {
		t.Fatal(err)
	}
	states := func() map[string]string {
		out, err := s.DescribeInstanceHealth(ctx, &elbapi.DescribeEndPointStateInput{LoadBalancerName: ptr.To("web")})
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		for _, st := range out.InstanceStates {
			m[*st.InstanceId] = *st.State + "/" + *st.ReasonCode + "/" + *st.Description
		}
		return m
	}
	serve := func() (map[string]int, int) {
		seen, status := map[string]int{}, 0
		for range 4 {
			r := httptest.NewRequest("GET", "/", nil)
			r.Host = dns
			w := httptest.NewRecorder()
			s.serveHost(w, r)
			seen[w.Body.String()]++
			status = w.Code
		}
		return seen, status
	}
	step := func() { h.Clock.Advance(5 * time.Second); s.RunHealthChecks() }
	if st := states(); st["i-A"] != "OutOfService/ELB/"+descRegistering {
		t.Fatalf("registered: %v", st)
	}
	if _, status := serve(); status != 503 {
		t.Fatalf("nothing in service yet: %d", status)
	}
	step()
	step()
	if st := states(); st["i-A"] != "InService/N/A/N/A" || st["i-B"] != "InService/N/A/N/A" {
		t.Fatalf("healthy: %v", st)
	}
	if seen, _ := serve(); seen["A"] != 2 || seen["B"] != 2 {
		t.Fatalf("balanced: %v", seen)
	}
	broken[0].Store(true)
	broken[1].Store(true)
	step()
	step()
	if st := states(); st["i-A"] != "OutOfService/Instance/"+descFailed {
		t.Fatalf("broken: %v", st)
	}
	if _, status := serve(); status != 503 {
		t.Fatalf("all unhealthy: %d", status)
	}
	broken[1].Store(false)
	step()
	step()
	if seen, _ := serve(); seen["B"] != 4 {
		t.Fatalf("one healed: %v", seen)
	}
	// The 16 requests' metrics reach CloudWatch summed, once their
	// minute is over.
	mu.Lock()
	if len(sums) != 0 {
		t.Errorf("metrics before the minute ended: %v", sums)
	}
	mu.Unlock()
	h.Clock.Advance(time.Minute)
	s.RunHealthChecks()
	mu.Lock()
	defer mu.Unlock()
	if sums["RequestCount"] != 16 || sums["RequestCount samples"] != 16 || sums["HTTPCode_Backend_2XX"] != 8 || sums["HTTPCode_ELB_5XX"] != 8 ||
		sums["Latency samples"] != 8 {
		t.Errorf("metrics: %v", sums)
	}
}

func TestClassicErrors(t *testing.T) {
	h := servicetest.New(t, "elb")
	s := New(Options{Store: h.Store(), Clock: h.Clock})
	t.Cleanup(func() { _ = s.Close() })
	ctx := h.Ctx()
	l := []elbapi.Listener{{Protocol: ptr.To("HTTP"), LoadBalancerPort: ptr.To(int32(80)), InstancePort: ptr.To(int32(80))}}
	if _, err := s.CreateLoadBalancer(ctx, &elbapi.CreateAccessPointInput{LoadBalancerName: ptr.To("web"), AvailabilityZones: []string{"us-east-1a"}, Listeners: l}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		err  error
		want string
	}{
		{"not found", func() error {
			_, err := s.DescribeLoadBalancers(ctx, &elbapi.DescribeAccessPointsInput{LoadBalancerNames: []string{"nope"}})
			return err
		}(), "LoadBalancerNotFound"},
		{"udp", func() error {
			_, err := s.CreateLoadBalancer(ctx, &elbapi.CreateAccessPointInput{LoadBalancerName: ptr.To("u"), AvailabilityZones: []string{"a"},
				Listeners: []elbapi.Listener{{Protocol: ptr.To("UDP"), LoadBalancerPort: ptr.To(int32(53)), InstancePort: ptr.To(int32(53))}}})
			return err
		}(), "UnsupportedProtocol"},
		{"duplicate", func() error {
			_, err := s.CreateLoadBalancer(ctx, &elbapi.CreateAccessPointInput{LoadBalancerName: ptr.To("web"), AvailabilityZones: []string{"us-east-1a"},
				Listeners: []elbapi.Listener{{Protocol: ptr.To("TCP"), LoadBalancerPort: ptr.To(int32(81)), InstancePort: ptr.To(int32(80))}}})
			return err
		}(), "DuplicateLoadBalancerName"},
		{"bad health target", func() error {
			_, err := s.ConfigureHealthCheck(ctx, &elbapi.ConfigureHealthCheckInput{LoadBalancerName: ptr.To("web"), HealthCheck: &elbapi.HealthCheck{
				Target: ptr.To("HTTP:80"), Interval: ptr.To(int32(5)), Timeout: ptr.To(int32(2)), HealthyThreshold: ptr.To(int32(2)), UnhealthyThreshold: ptr.To(int32(2))}})
			return err
		}(), "ValidationError"},
		{"deregister unknown", func() error {
			_, err := s.DeregisterInstancesFromLoadBalancer(ctx, &elbapi.DeregisterEndPointsInput{LoadBalancerName: ptr.To("web"), Instances: []elbapi.Instance{{InstanceId: ptr.To("i-x")}}})
			return err
		}(), "InvalidInstance"},
	}
	for _, c := range cases {
		if got := code(c.err); got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
}

func FuzzParseTarget(f *testing.F) {
	for _, s := range []string{"HTTP:80/index.html", "TCP:22", "SSL:443", "HTTPS:443/", ":", "HTTP:0/x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, port, _, err := parseTarget(s)
		if err == nil && (port < 1 || port > 65535 || p == "") {
			t.Fatalf("%q: %s %d", s, p, port)
		}
	})
}
