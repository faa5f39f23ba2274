package route53

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	mdns "github.com/miekg/dns"

	route53api "github.com/niwa-cloud/niwa/internal/api/route53"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// endpoint is an HTTP(S) server whose answer a test changes.
type endpoint struct {
	srv    *httptest.Server
	mu     sync.Mutex
	status int
	body   string
	hits   atomic.Int32
	host   atomic.Value // last Host header
	path   atomic.Value
}

func newEndpoint(t *testing.T, tls bool) *endpoint {
	e := &endpoint{status: 200, body: "ok"}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.hits.Add(1)
		e.host.Store(r.Host)
		e.path.Store(r.URL.Path)
		e.mu.Lock()
		status, body := e.status, e.body
		e.mu.Unlock()
		if status >= 300 && status < 400 {
			w.Header().Set("Location", "/elsewhere")
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	})
	if tls {
		e.srv = httptest.NewTLSServer(h)
	} else {
		e.srv = httptest.NewServer(h)
	}
	t.Cleanup(e.srv.Close)
	return e
}

func (e *endpoint) set(status int, body string) {
	e.mu.Lock()
	e.status, e.body = status, body
	e.mu.Unlock()
}

func (e *endpoint) port() int32 {
	_, p, _ := net.SplitHostPort(e.srv.Listener.Addr().String())
	n, _ := strconv.Atoi(p)
	return int32(n)
}

func (f *fixture) healthCheck(ref string, c route53api.HealthCheckConfig) string {
	f.t.Helper()
	out, err := f.CreateHealthCheck(f.ctx, &route53api.CreateHealthCheckInput{CallerReference: ptr.To(ref), HealthCheckConfig: &c})
	if err != nil {
		f.t.Fatal(err)
	}
	return *out.HealthCheck.Id
}

// probeAfter moves the clock and runs the probes that are due, as the
// checker's tick does.
func (f *fixture) probeAfter(d time.Duration) {
	f.t.Helper()
	f.clock.Advance(d)
	if err := f.ProbeDue(context.Background()); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) healthy(id string) bool {
	f.t.Helper()
	var up bool
	err := f.store.View(func(tx storage.Tx) error {
		var err error
		up, err = healthy(tx, scope(f.ctx), id, 0)
		return err
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return up
}

func (f *fixture) status(id string) string {
	f.t.Helper()
	out, err := f.GetHealthCheckStatus(f.ctx, &route53api.GetHealthCheckStatusInput{HealthCheckId: ptr.To(id)})
	if err != nil {
		f.t.Fatal(err)
	}
	return *out.HealthCheckObservations[0].StatusReport.Status
}

// TestHealthCheckProbes: each endpoint type against a live server, with
// the threshold, SearchString in the first 5120 bytes, Inverted and
// Disabled.
func TestHealthCheckProbes(t *testing.T) {
	long := strings.Repeat("x", 5120)
	for _, c := range []struct {
		name       string
		tls        bool
		cfg        route53api.HealthCheckConfig
		status     int
		body       string
		wantUp     bool
		wantReport string
	}{
		{"http 200", false, route53api.HealthCheckConfig{Type: ptr.To("HTTP"), ResourcePath: ptr.To("/health")}, 200, "", true, "Success: HTTP Status Code 200, OK"},
		{"http 302 is healthy", false, route53api.HealthCheckConfig{Type: ptr.To("HTTP")}, 302, "", true, "Success: HTTP Status Code 302, Found"},
		{"http 500", false, route53api.HealthCheckConfig{Type: ptr.To("HTTP")}, 500, "", false, "Failure: HTTP Status Code 500, Internal Server Error"},
		{"http 404", false, route53api.HealthCheckConfig{Type: ptr.To("HTTP")}, 404, "", false, "Failure: HTTP Status Code 404, Not Found"},
		{"https self-signed", true, route53api.HealthCheckConfig{Type: ptr.To("HTTPS")}, 200, "", true, "Success: HTTP Status Code 200, OK"},
		{"https 503", true, route53api.HealthCheckConfig{Type: ptr.To("HTTPS")}, 503, "", false, "Failure: HTTP Status Code 503, Service Unavailable"},
		{"string found", false, route53api.HealthCheckConfig{Type: ptr.To("HTTP_STR_MATCH"), SearchString: ptr.To("READY")}, 200, "status: READY", true, "Success: HTTP Status Code 200, OK"},
		{"string missing", false, route53api.HealthCheckConfig{Type: ptr.To("HTTP_STR_MATCH"), SearchString: ptr.To("READY")}, 200, "status: DOWN", false,
			"Failure: HTTP Status Code 200, OK. Failed to find the specified string in the first 5120 bytes of the response body."},
		{"string past 5120 bytes", false, route53api.HealthCheckConfig{Type: ptr.To("HTTP_STR_MATCH"), SearchString: ptr.To("READY")}, 200, long + "READY", false,
			"Failure: HTTP Status Code 200, OK. Failed to find the specified string in the first 5120 bytes of the response body."},
		{"https string", true, route53api.HealthCheckConfig{Type: ptr.To("HTTPS_STR_MATCH"), SearchString: ptr.To("READY")}, 200, "READY", true, "Success: HTTP Status Code 200, OK"},
		{"tcp", false, route53api.HealthCheckConfig{Type: ptr.To("TCP")}, 500, "", true, "Success: TCP connection established"},
		{"inverted failure is healthy", false, route53api.HealthCheckConfig{Type: ptr.To("HTTP"), Inverted: ptr.To(true)}, 500, "", true, "Failure: HTTP Status Code 500, Internal Server Error"},
		{"inverted success is unhealthy", false, route53api.HealthCheckConfig{Type: ptr.To("HTTP"), Inverted: ptr.To(true)}, 200, "", false, "Success: HTTP Status Code 200, OK"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			e := newEndpoint(t, c.tls)
			e.set(c.status, c.body)
			cfg := c.cfg
			cfg.IPAddress, cfg.Port, cfg.FailureThreshold, cfg.RequestInterval = ptr.To("127.0.0.1"), ptr.To(e.port()), ptr.To(int32(1)), ptr.To(int32(10))
			id := f.healthCheck("ref", cfg)
			f.probeAfter(10 * time.Second)
			if got := f.status(id); got != c.wantReport {
				t.Fatalf("status report %q, want %q", got, c.wantReport)
			}
			if got := f.healthy(id); got != c.wantUp {
				t.Fatalf("healthy %v, want %v", got, c.wantUp)
			}
			if p, _ := e.path.Load().(string); c.cfg.ResourcePath != nil && p != *c.cfg.ResourcePath {
				t.Fatalf("path %q", p)
			}
		})
	}
}

// TestHealthCheckThresholdAndSchedule: a 30-second check is probed only
// every 30 seconds of the clock; FailureThreshold consecutive failures
// make it unhealthy and as many successes healthy again; a stopped
// endpoint fails with a connection error; Disabled is healthy and not
// probed.
func TestHealthCheckThresholdAndSchedule(t *testing.T) {
	f := newFixture(t)
	e := newEndpoint(t, false)
	id := f.healthCheck("ref", route53api.HealthCheckConfig{Type: ptr.To("HTTP"), FullyQualifiedDomainName: ptr.To("app.example.com"), IPAddress: ptr.To("127.0.0.1"), Port: ptr.To(e.port()), FailureThreshold: ptr.To(int32(2))})
	if got := f.status(id); !strings.HasPrefix(got, "Unknown:") {
		t.Fatalf("before the first probe: %q", got)
	}
	f.probeAfter(10 * time.Second)
	if e.hits.Load() != 1 {
		t.Fatalf("first probe: %d hits", e.hits.Load())
	}
	if h, _ := e.host.Load().(string); h != "app.example.com:"+strconv.Itoa(int(e.port())) {
		t.Fatalf("Host header %q", h)
	}
	f.probeAfter(10 * time.Second)
	f.probeAfter(10 * time.Second)
	if e.hits.Load() != 1 {
		t.Fatalf("probed before RequestInterval: %d hits", e.hits.Load())
	}
	e.set(500, "")
	f.probeAfter(10 * time.Second)
	if e.hits.Load() != 2 || !f.healthy(id) {
		t.Fatalf("one failure of two: hits %d healthy %v", e.hits.Load(), f.healthy(id))
	}
	f.probeAfter(30 * time.Second)
	if f.healthy(id) {
		t.Fatal("two failures: still healthy")
	}
	last, err := f.GetHealthCheckLastFailureReason(f.ctx, &route53api.GetHealthCheckLastFailureReasonInput{HealthCheckId: ptr.To(id)})
	if err != nil || len(last.HealthCheckObservations) != len(checkerRegions) || *last.HealthCheckObservations[0].StatusReport.Status != "Failure: HTTP Status Code 500, Internal Server Error" {
		t.Fatalf("last failure %+v %v", last, err)
	}
	e.set(200, "")
	f.probeAfter(30 * time.Second)
	if f.healthy(id) {
		t.Fatal("one success of two: healthy already")
	}
	f.probeAfter(30 * time.Second)
	if !f.healthy(id) {
		t.Fatal("two successes: still unhealthy")
	}
	e.srv.Close()
	f.probeAfter(30 * time.Second)
	if got := f.status(id); !strings.HasPrefix(got, "Failure: Connection refused") {
		t.Fatalf("stopped endpoint: %q", got)
	}
	f.probeAfter(30 * time.Second)
	if f.healthy(id) {
		t.Fatal("stopped endpoint: healthy")
	}
	if _, err := f.UpdateHealthCheck(f.ctx, &route53api.UpdateHealthCheckInput{HealthCheckId: ptr.To(id), Disabled: ptr.To(true)}); err != nil {
		t.Fatal(err)
	}
	if !f.healthy(id) {
		t.Fatal("disabled: unhealthy")
	}
}

// TestHealthCheckTimeout: an endpoint that accepts but never answers
// fails after Route 53's two seconds to the first byte, not never.
func TestHealthCheckTimeout(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close() // held open, silent
		}
	}()
	_, p, _ := net.SplitHostPort(l.Addr().String())
	port, _ := strconv.Atoi(p)
	r := probe(context.Background(), route53api.HealthCheckConfig{Type: ptr.To("HTTP"), IPAddress: ptr.To("127.0.0.1"), Port: ptr.To(int32(port)), ResourcePath: ptr.To("/")})
	if r.ok || !strings.HasPrefix(r.report, "Failure: Connection timed out") {
		t.Fatalf("silent endpoint: %+v", r)
	}
}

// TestHealthCheckTicker: the checker started on the clock probes when
// the clock moves, with no call from the test.
func TestHealthCheckTicker(t *testing.T) {
	f := newFixture(t)
	e := newEndpoint(t, false)
	e.set(500, "")
	id := f.healthCheck("ref", route53api.HealthCheckConfig{Type: ptr.To("HTTP"), IPAddress: ptr.To("127.0.0.1"), Port: ptr.To(e.port()), FailureThreshold: ptr.To(int32(1)), RequestInterval: ptr.To(int32(10))})
	f.StartHealthChecks()
	t.Cleanup(f.StopHealthChecks)
	f.clock.Advance(CheckTick)
	deadline := time.Now().Add(60 * time.Second)
	for f.healthy(id) {
		if time.Now().After(deadline) {
			t.Fatal("the ticker never probed")
		}
		time.Sleep(10 * time.Millisecond) // polling a condition, not waiting for time to pass
	}
}

// TestHealthCheckTickerWaitsForACheck: started with no health check the
// checker sets no timer (an idle niwa is not woken every CheckTick); the
// first CreateHealthCheck arms it, and it probes when the clock moves.
func TestHealthCheckTickerWaitsForACheck(t *testing.T) {
	f := newFixture(t)
	before := f.clock.Waiters()
	f.StartHealthChecks()
	t.Cleanup(f.StopHealthChecks)
	if n := f.clock.Waiters(); n != before {
		t.Fatalf("started with no health check: %d timers, want %d", n, before)
	}
	e := newEndpoint(t, false)
	e.set(500, "")
	id := f.healthCheck("ref", route53api.HealthCheckConfig{Type: ptr.To("HTTP"), IPAddress: ptr.To("127.0.0.1"), Port: ptr.To(e.port()), FailureThreshold: ptr.To(int32(1)), RequestInterval: ptr.To(int32(10))})
	f.healthCheck("ref2", route53api.HealthCheckConfig{Type: ptr.To("TCP"), IPAddress: ptr.To("192.0.2.1"), Port: ptr.To(int32(80)), Disabled: ptr.To(true)})
	if n := f.clock.Waiters(); n != before+1 {
		t.Fatalf("after two CreateHealthCheck: %d timers, want %d", n, before+1)
	}
	f.clock.Advance(CheckTick)
	deadline := time.Now().Add(60 * time.Second)
	for f.healthy(id) {
		if time.Now().After(deadline) {
			t.Fatal("the ticker never probed")
		}
		time.Sleep(10 * time.Millisecond) // polling a condition, not waiting for time to pass
	}
}

// TestHealthCheckValidationAndInUse: AWS's refusals.
func TestHealthCheckValidationAndInUse(t *testing.T) {
	f := newFixture(t)
	for _, c := range []struct {
		cfg  route53api.HealthCheckConfig
		want string
	}{
		{route53api.HealthCheckConfig{Type: ptr.To("HTTP"), IPAddress: ptr.To("192.0.2.1"), RequestInterval: ptr.To(int32(20))}, "Invalid parameter : RequestInterval must be either 10 or 30 seconds"},
		{route53api.HealthCheckConfig{Type: ptr.To("HTTP_STR_MATCH"), IPAddress: ptr.To("192.0.2.1")}, "Invalid parameter : SearchString is required for health checks of type HTTP_STR_MATCH"},
		{route53api.HealthCheckConfig{Type: ptr.To("HTTP"), IPAddress: ptr.To("not-an-ip")}, "Invalid parameter : Invalid IP address: not-an-ip"},
		{route53api.HealthCheckConfig{Type: ptr.To("HTTP"), IPAddress: ptr.To("192.0.2.1"), FailureThreshold: ptr.To(int32(11))}, "Invalid parameter : FailureThreshold must be between 1 and 10"},
		{route53api.HealthCheckConfig{Type: ptr.To("CLOUDWATCH_METRIC")}, "Invalid parameter : AlarmIdentifier is required for health checks of type CLOUDWATCH_METRIC"},
	} {
		_, err := f.CreateHealthCheck(f.ctx, &route53api.CreateHealthCheckInput{CallerReference: ptr.To(c.want), HealthCheckConfig: &c.cfg})
		wantErr(t, err, "InvalidInput", c.want)
	}
	id := f.healthCheck("used", route53api.HealthCheckConfig{Type: ptr.To("TCP"), IPAddress: ptr.To("192.0.2.1"), Port: ptr.To(int32(80))})
	calc := f.healthCheck("calc", route53api.HealthCheckConfig{Type: ptr.To("CALCULATED"), ChildHealthChecks: []string{id}, HealthThreshold: ptr.To(int32(1))})
	_, err := f.DeleteHealthCheck(f.ctx, &route53api.DeleteHealthCheckInput{HealthCheckId: ptr.To(id)})
	wantErr(t, err, "HealthCheckInUse", "The health check with id "+id+" cannot be deleted because it is a child of a calculated health check.")
	if _, err := f.DeleteHealthCheck(f.ctx, &route53api.DeleteHealthCheckInput{HealthCheckId: ptr.To(calc)}); err != nil {
		t.Fatal(err)
	}
	z := f.zone("example.com", nil)
	rs := rrset("a.example.com", "A", 60, "192.0.2.1")
	rs.SetIdentifier, rs.Failover, rs.HealthCheckId = ptr.To("p"), ptr.To("PRIMARY"), ptr.To(id)
	if err := f.change(z, ch("CREATE", rs)); err != nil {
		t.Fatal(err)
	}
	_, err = f.DeleteHealthCheck(f.ctx, &route53api.DeleteHealthCheckInput{HealthCheckId: ptr.To(id)})
	wantErr(t, err, "HealthCheckInUse", "The health check with id "+id+" cannot be deleted because it is referenced by a resource record set.")
	if err := f.change(z, ch("DELETE", rs)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.DeleteHealthCheck(f.ctx, &route53api.DeleteHealthCheckInput{HealthCheckId: ptr.To(id)}); err != nil {
		t.Fatal(err)
	}
	_, err = f.CreateHealthCheck(f.ctx, &route53api.CreateHealthCheckInput{CallerReference: ptr.To("used"), HealthCheckConfig: &route53api.HealthCheckConfig{Type: ptr.To("TCP"), IPAddress: ptr.To("192.0.2.1"), Port: ptr.To(int32(80))}})
	wantErr(t, err, "HealthCheckAlreadyExists", "A health check has already been created with the specified caller reference.")
}

// TestFailoverFollowsHealth: the DNS answer moves to the secondary when
// the primary's endpoint fails its health check and back when it
// recovers; a CALCULATED check and an alias with EvaluateTargetHealth
// follow their children and target.
func TestFailoverFollowsHealth(t *testing.T) {
	f := newFixture(t)
	e := newEndpoint(t, false)
	id := f.healthCheck("p", route53api.HealthCheckConfig{Type: ptr.To("HTTP"), IPAddress: ptr.To("127.0.0.1"), Port: ptr.To(e.port()), FailureThreshold: ptr.To(int32(1)), RequestInterval: ptr.To(int32(10))})
	calc := f.healthCheck("c", route53api.HealthCheckConfig{Type: ptr.To("CALCULATED"), ChildHealthChecks: []string{id}, HealthThreshold: ptr.To(int32(1))})
	z := f.zone("example.com", nil)
	set := func(name, sid, failover, hc, v string) route53api.Change {
		rs := rrset(name, "A", 60, v)
		rs.SetIdentifier, rs.Failover = ptr.To(sid), ptr.To(failover)
		if hc != "" {
			rs.HealthCheckId = ptr.To(hc)
		}
		return ch("CREATE", rs)
	}
	alias := func(name, sid, failover, target string) route53api.Change {
		return ch("CREATE", &route53api.ResourceRecordSet{Name: ptr.To(name), Type: ptr.To("A"), SetIdentifier: ptr.To(sid), Failover: ptr.To(failover),
			AliasTarget: &route53api.AliasTarget{DNSName: ptr.To(target), HostedZoneId: ptr.To(bareID(z)), EvaluateTargetHealth: ptr.To(true)}})
	}
	if err := f.change(z,
		set("app.example.com", "primary", "PRIMARY", id, "192.0.2.1"),
		set("app.example.com", "secondary", "SECONDARY", "", "192.0.2.2"),
		set("calc.example.com", "primary", "PRIMARY", calc, "192.0.2.3"),
		set("calc.example.com", "secondary", "SECONDARY", "", "192.0.2.4"),
		set("target.example.com", "only", "PRIMARY", id, "192.0.2.5"),
		alias("alias.example.com", "primary", "PRIMARY", "target.example.com"),
		set("alias.example.com", "secondary", "SECONDARY", "", "192.0.2.6"),
	); err != nil {
		t.Fatal(err)
	}
	want := func(name, ip string) {
		t.Helper()
		got := answers(f.resolve(name, mdns.TypeA, ""))
		if !strings.HasSuffix(got, "IN A "+ip) {
			t.Fatalf("%s: %q, want %s", name, got, ip)
		}
	}
	f.probeAfter(10 * time.Second)
	want("app.example.com.", "192.0.2.1")
	want("calc.example.com.", "192.0.2.3")
	want("alias.example.com.", "192.0.2.5")
	e.set(503, "")
	f.probeAfter(10 * time.Second)
	want("app.example.com.", "192.0.2.2")
	want("calc.example.com.", "192.0.2.4")
	want("alias.example.com.", "192.0.2.6")
	e.set(200, "")
	f.probeAfter(10 * time.Second)
	want("app.example.com.", "192.0.2.1")
}

// TestHealthCheckFQDNInNiwaZones: a check by domain name whose name is in
// one of niwa's zones probes the address niwa answers for it, with the
// name in the Host header.
func TestHealthCheckFQDNInNiwaZones(t *testing.T) {
	f := newFixture(t)
	e := newEndpoint(t, false)
	z := f.zone("svc.test", nil)
	if err := f.change(z, ch("CREATE", rrset("api.svc.test", "A", 60, "127.0.0.1"))); err != nil {
		t.Fatal(err)
	}
	id := f.healthCheck("fqdn", route53api.HealthCheckConfig{Type: ptr.To("HTTP"), FullyQualifiedDomainName: ptr.To("api.svc.test"), Port: ptr.To(e.port()), RequestInterval: ptr.To(int32(10))})
	f.probeAfter(10 * time.Second)
	if got := f.status(id); got != "Success: HTTP Status Code 200, OK" {
		t.Fatalf("status %q", got)
	}
	if h, _ := e.host.Load().(string); h != "api.svc.test:"+strconv.Itoa(int(e.port())) {
		t.Fatalf("Host header %q", h)
	}
}
