package lb

import (
	"context"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/niwa-cloud/niwa/internal/clock"
)

func TestObserve(t *testing.T) {
	hc := HealthCheck{Healthy: 2, Unhealthy: 3}
	ok, bad := Result{OK: true}, Result{Reason: ReasonTimeout, Description: DescTimeout}
	cases := []struct {
		name    string
		results []Result
		state   string
		reason  string
	}{
		{"registered", nil, StateInitial, ReasonRegistrationInProgress},
		{"one success stays initial", []Result{ok}, StateInitial, ReasonInitialHealthChecking},
		{"threshold successes", []Result{ok, ok}, StateHealthy, ""},
		{"failures below threshold stay initial", []Result{bad, bad}, StateInitial, ReasonInitialHealthChecking},
		{"threshold failures", []Result{bad, bad, bad}, StateUnhealthy, ReasonTimeout},
		{"healthy tolerates fewer failures", []Result{ok, ok, bad, bad}, StateHealthy, ""},
		{"healthy then unhealthy", []Result{ok, ok, bad, bad, bad}, StateUnhealthy, ReasonTimeout},
		{"recovers", []Result{bad, bad, bad, ok, ok}, StateHealthy, ""},
		{"streak broken", []Result{bad, bad, ok, bad, bad}, StateInitial, ReasonInitialHealthChecking},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := Registered()
			for _, r := range c.results {
				h = h.Observe(r, hc)
			}
			if h.State != c.state || h.Reason != c.reason {
				t.Fatalf("got %s/%s, want %s/%s", h.State, h.Reason, c.state, c.reason)
			}
		})
	}
}

func TestEligibleFailOpen(t *testing.T) {
	cs := []Candidate{{Key: "a", Addr: "x:1", State: StateUnhealthy}, {Key: "b", Addr: "x:2", State: StateUnhealthy}, {Key: "c", Addr: "x:3", State: StateDraining}}
	if got := Eligible(cs, true); len(got) != 2 {
		t.Fatalf("fail open: %v", got)
	}
	if got := Eligible(cs, false); len(got) != 0 {
		t.Fatalf("classic: %v", got)
	}
	cs[0].State = StateHealthy
	for _, open := range []bool{true, false} {
		if got := Eligible(cs, open); len(got) != 1 || got[0].Key != "a" {
			t.Fatalf("healthy only (%v): %v", open, got)
		}
	}
}

func TestMatchCode(t *testing.T) {
	cases := []struct {
		m    string
		code int
		want bool
	}{{"", 200, true}, {"", 204, false}, {"200-299", 204, true}, {"200,202", 202, true}, {"200,202", 201, false}, {"200-399", 404, false}}
	for _, c := range cases {
		if got := MatchCode(c.m, c.code); got != c.want {
			t.Errorf("MatchCode(%q, %d) = %v", c.m, c.code, got)
		}
	}
	if ValidMatcher("200-700", 200, 599) || !ValidMatcher("200,301-302", 200, 499) {
		t.Fatal("ValidMatcher")
	}
}

func TestRounds(t *testing.T) {
	t0 := time.Unix(1000, 0)
	if Rounds(time.Time{}, t0, 5*time.Second, 3) != 1 || Rounds(t0, t0.Add(4*time.Second), 5*time.Second, 3) != 0 ||
		Rounds(t0, t0.Add(10*time.Second), 5*time.Second, 3) != 2 || Rounds(t0, t0.Add(time.Hour), 5*time.Second, 3) != 3 {
		t.Fatal("Rounds")
	}
}

func TestProbe(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/ok" || r.UserAgent() != UserAgent {
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	defer srv.Close()
	addr := srv.Listener.Addr().String()
	if r := Probe(context.Background(), HealthCheck{Protocol: "HTTP", Path: "/ok", Timeout: 5 * time.Second}, addr); !r.OK {
		t.Fatalf("ok: %+v", r)
	}
	r := Probe(context.Background(), HealthCheck{Protocol: "HTTP", Path: "/missing", Timeout: 5 * time.Second}, addr)
	if r.OK || r.Reason != ReasonResponseCodeMismatch || r.Description != "Health checks failed with these codes: [404]" {
		t.Fatalf("mismatch: %+v", r)
	}
	if r := Probe(context.Background(), HealthCheck{Protocol: "TCP", Timeout: 5 * time.Second}, addr); !r.OK {
		t.Fatalf("tcp: %+v", r)
	}
	srv.Close()
	if r := Probe(context.Background(), HealthCheck{Protocol: "HTTP", Path: "/ok", Timeout: 5 * time.Second}, addr); r.OK || r.Reason != ReasonFailedHealthChecks {
		t.Fatalf("closed: %+v", r)
	}
}

func TestAddHeaders(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "10.1.2.3:5555"
	h := http.Header{"X-Forwarded-For": {"1.1.1.1"}}
	AddHeaders(h, r, Front{Proto: "http", Port: 80, Now: time.Unix(0x5f000000, 0)})
	if h.Get("X-Forwarded-For") != "1.1.1.1, 10.1.2.3" || h.Get("X-Forwarded-Proto") != "http" || h.Get("X-Forwarded-Port") != "80" ||
		len(h.Get("X-Amzn-Trace-Id")) != len("Root=1-5f000000-")+24 {
		t.Fatalf("%v", h)
	}
}

func FuzzMatchCode(f *testing.F) {
	for _, s := range []string{"200", "200-299", "200,202", "-", ",", "999999999999999999999"} {
		f.Add(s, 200)
	}
	f.Fuzz(func(t *testing.T, m string, code int) {
		_ = MatchCode(m, code)
		_ = ValidMatcher(m, 200, 599)
	})
}

// TestTickerStartsOnce: a stopped ticker arms no timer (an idle niwa is
// not woken); Start arms one, a second Start no second one (rounds would
// run twice per tick), each round re-arms it, and Stop ends it.
func TestTickerStartsOnce(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	var rounds atomic.Int32
	tk := NewTicker(clk, 5*time.Second, func(time.Time) { rounds.Add(1) })
	if n := clk.Waiters(); n != 0 {
		t.Fatalf("before Start: %d timers", n)
	}
	tk.Start()
	tk.Start()
	if n := clk.Waiters(); n != 1 {
		t.Fatalf("started twice: %d timers, want 1", n)
	}
	for want := int32(1); want <= 3; want++ {
		clk.Advance(5 * time.Second)
		for deadline := time.Now().Add(10 * time.Second); rounds.Load() < want || clk.Waiters() != 1; {
			if time.Now().After(deadline) {
				t.Fatalf("tick %d: %d rounds, %d timers", want, rounds.Load(), clk.Waiters())
			}
			runtime.Gosched()
		}
	}
	if got := rounds.Load(); got != 3 {
		t.Fatalf("%d rounds after 3 ticks, want 3", got)
	}
	tk.Stop()
	tk.Start()
	if n := clk.Waiters(); n != 0 {
		t.Fatalf("stopped, then started: %d timers", n)
	}
}
