// Package lb is the data-plane engine the load balancer services share
// (ELBv2's application and network load balancers, Classic ELB): health
// probes against real targets and the state each target is in because
// of them, the choice of a target for a request (with AWS's fail-open
// rules), the HTTP proxy with the headers a load balancer adds, TCP
// pass-through, the ports each listener gets on the machine, and the
// ticker that runs health-check rounds on the injected clock.
//
// The services keep their resources and the targets' health in their
// stores; lb holds no state of its own beyond open listeners and
// round-robin counters, which are rebuilt from the stores.
package lb

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// Target health states and reason codes, as ELBv2's DescribeTargetHealth
// reports them (TargetHealth.State, .Reason).
const (
	StateInitial     = "initial"
	StateHealthy     = "healthy"
	StateUnhealthy   = "unhealthy"
	StateUnused      = "unused"
	StateDraining    = "draining"
	StateUnavailable = "unavailable"

	ReasonRegistrationInProgress   = "Elb.RegistrationInProgress"
	ReasonInitialHealthChecking    = "Elb.InitialHealthChecking"
	ReasonResponseCodeMismatch     = "Target.ResponseCodeMismatch"
	ReasonTimeout                  = "Target.Timeout"
	ReasonFailedHealthChecks       = "Target.FailedHealthChecks"
	ReasonNotInUse                 = "Target.NotInUse"
	ReasonDeregistrationInProgress = "Target.DeregistrationInProgress"
	ReasonNotRegistered            = "Target.NotRegistered"
	ReasonHealthCheckDisabled      = "Target.HealthCheckDisabled"
	ReasonInvalidState             = "Target.InvalidState"
)

// Descriptions AWS gives with the reasons.
const (
	DescRegistrationInProgress   = "Target registration is in progress"
	DescInitialHealthChecking    = "Initial health checks in progress"
	DescTimeout                  = "Request timed out"
	DescFailedHealthChecks       = "Health checks failed"
	DescNotInUse                 = "Target group is not configured to receive traffic from the load balancer"
	DescDeregistrationInProgress = "Target deregistration is in progress"
	DescHealthCheckDisabled      = "Health checks are disabled"
)

// HealthCheck is how one target group (or Classic load balancer) checks
// its targets.
type HealthCheck struct {
	// Protocol is HTTP, HTTPS, TCP or (Classic) SSL.
	Protocol string
	// Path is the HTTP(S) request path, with any query.
	Path string
	// Matcher is the HTTP codes a healthy target answers ("200",
	// "200-299", "200,202"); empty means 200.
	Matcher   string
	Timeout   time.Duration
	Healthy   int
	Unhealthy int
}

// Result is one probe's outcome.
type Result struct {
	OK bool
	// Reason and Description say why a failed probe failed.
	Reason, Description string
	// Code is the HTTP status a mismatching target answered.
	Code int
}

// UserAgent is the agent ELB's health checker sends.
const UserAgent = "ELB-HealthChecker/2.0"

// Probe checks the target at addr (host:port) once, now. Its own
// network I/O is bounded by hc.Timeout (wall time: it waits on a real
// socket).
func Probe(ctx context.Context, hc HealthCheck, addr string) Result {
	timeout := hc.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	switch strings.ToUpper(hc.Protocol) {
	case "TCP", "SSL", "TLS", "UDP", "TCP_UDP":
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return failure(err)
		}
		_ = c.Close()
		return Result{OK: true}
	}
	scheme := "http"
	if strings.EqualFold(hc.Protocol, "HTTPS") {
		scheme = "https"
	}
	path := hc.Path
	if path == "" || path[0] != '/' {
		path = "/" + path
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, scheme+"://"+addr+path, nil)
	if err != nil {
		return Result{Reason: ReasonFailedHealthChecks, Description: DescFailedHealthChecks}
	}
	req.Header.Set("User-Agent", UserAgent)
	req.Header.Set("Connection", "close")
	client := &http.Client{
		// Health checks do not follow redirects: a 301 is the code
		// the matcher sees.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport: &http.Transport{
			// ELB does not validate target certificates.
			TLSClientConfig:   &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // as ELB's checker does
			DisableKeepAlives: true,
			Proxy:             nil,
		},
	}
	resp, err := client.Do(req)
	if err != nil {
		return failure(err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	if MatchCode(hc.Matcher, resp.StatusCode) {
		return Result{OK: true}
	}
	return Result{Reason: ReasonResponseCodeMismatch,
		Description: fmt.Sprintf("Health checks failed with these codes: [%d]", resp.StatusCode), Code: resp.StatusCode}
}

func failure(err error) Result {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
		return Result{Reason: ReasonTimeout, Description: DescTimeout}
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return Result{Reason: ReasonTimeout, Description: DescTimeout}
	}
	return Result{Reason: ReasonFailedHealthChecks, Description: DescFailedHealthChecks}
}

// MatchCode reports whether code satisfies an ELBv2 matcher: a code,
// a list ("200,202") or a range ("200-299"); empty means 200.
func MatchCode(matcher string, code int) bool {
	if strings.TrimSpace(matcher) == "" {
		return code == 200
	}
	for _, part := range strings.Split(matcher, ",") {
		part = strings.TrimSpace(part)
		if lo, hi, ok := strings.Cut(part, "-"); ok {
			l, err1 := strconv.Atoi(strings.TrimSpace(lo))
			h, err2 := strconv.Atoi(strings.TrimSpace(hi))
			if err1 == nil && err2 == nil && code >= l && code <= h {
				return true
			}
			continue
		}
		if n, err := strconv.Atoi(part); err == nil && n == code {
			return true
		}
	}
	return false
}

// ValidMatcher reports whether an HTTP matcher is well formed with codes
// in [lo, hi] (200-499 for ALB, 200-599 for NLB/GWLB HTTP checks).
func ValidMatcher(matcher string, lo, hi int) bool {
	if matcher == "" {
		return false
	}
	in := func(s string) bool {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		return err == nil && n >= lo && n <= hi
	}
	for _, part := range strings.Split(matcher, ",") {
		if a, b, ok := strings.Cut(part, "-"); ok {
			if !in(a) || !in(b) {
				return false
			}
			continue
		}
		if !in(part) {
			return false
		}
	}
	return true
}

// Health is what the checker knows of one target: its state and the
// consecutive results that move it.
type Health struct {
	State       string `json:"state"`
	Reason      string `json:"reason,omitempty"`
	Description string `json:"description,omitempty"`
	// Good and Bad count consecutive successful and failed probes.
	Good int `json:"good,omitempty"`
	Bad  int `json:"bad,omitempty"`
	// LastCode is the HTTP code of the last failed probe, if any.
	LastCode int `json:"lastCode,omitempty"`
}

// Registered is the health of a target just registered: initial, with
// registration in progress until its first probe.
func Registered() Health {
	return Health{State: StateInitial, Reason: ReasonRegistrationInProgress, Description: DescRegistrationInProgress}
}

// Observe moves h by one probe result: HealthyThreshold consecutive
// successes make a target healthy, UnhealthyThreshold consecutive
// failures make it unhealthy; an initial target stays initial (initial
// health checks in progress) until one of the two is reached.
func (h Health) Observe(r Result, hc HealthCheck) Health {
	healthyN, unhealthyN := max(hc.Healthy, 1), max(hc.Unhealthy, 1)
	if h.State == "" {
		h = Registered()
	}
	if r.OK {
		h.Good++
		h.Bad = 0
		if h.State != StateHealthy && h.Good >= healthyN {
			return Health{State: StateHealthy, Good: h.Good}
		}
	} else {
		h.Bad++
		h.Good = 0
		h.LastCode = r.Code
		if h.State == StateUnhealthy || h.Bad >= unhealthyN && h.State != StateUnhealthy {
			h.State, h.Reason, h.Description = StateUnhealthy, r.Reason, r.Description
			return h
		}
	}
	if h.State == StateInitial {
		h.Reason, h.Description = ReasonInitialHealthChecking, DescInitialHealthChecking
	}
	return h
}
