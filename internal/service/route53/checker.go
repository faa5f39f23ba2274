package route53

import (
	"bytes"
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
	"sync"
	"time"

	mdns "github.com/miekg/dns"

	route53api "github.com/niwa-cloud/niwa/internal/api/route53"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Health checks that check. niwa plays Route 53's health checkers: every
// CheckTick on the injected clock it probes each endpoint health check
// whose RequestInterval (10 or 30 s) has passed since its last probe,
// against the real endpoint (IPAddress or FullyQualifiedDomainName, Port,
// ResourcePath), and turns the results into a status the way one checker
// does: FailureThreshold consecutive failures make a healthy check
// unhealthy, as many consecutive successes make it healthy again. A new
// check is healthy until the probes say otherwise, as Route 53's are.
//
// The clock drives the schedule; the probes themselves are network I/O
// bounded by Route 53's own timeouts (connect in 4 s and first byte 2 s
// after for HTTP/HTTPS, connect in 10 s for TCP), at most probeWorkers at
// a time, and a round that is still running when the next tick comes is
// not started twice, so a slow endpoint never piles up goroutines.

// CheckTick is how often the checker looks for due health checks: the
// shortest RequestInterval Route 53 allows.
const CheckTick = 10 * time.Second

// Route 53's probe timeouts.
const (
	httpConnectTimeout = 4 * time.Second
	httpFirstByte      = 2 * time.Second
	tcpConnectTimeout  = 10 * time.Second
	// searchWindow is how much of the body STR_MATCH checks search.
	searchWindow = 5120
	// probeWorkers bounds the probes in flight.
	probeWorkers = 16
)

// checkerRegions are the health-checker regions GetHealthCheckStatus
// reports observations from when a check names no Regions; niwa's one
// probe stands for all of them.
var checkerRegions = []string{"us-east-1", "us-west-1", "us-west-2", "eu-west-1", "ap-southeast-1", "ap-southeast-2", "ap-northeast-1", "sa-east-1"}

// hcStatus is what the checkers last saw of one health check.
type hcStatus struct {
	// Healthy is the endpoint's status by the failure threshold, before
	// Inverted and Disabled apply.
	Healthy bool
	// Streak counts consecutive probe results that disagree with Healthy.
	Streak  int32
	Checked time.Time
	Report  string
	// The last failed probe, for GetHealthCheckLastFailureReason.
	FailedAt     time.Time
	FailedReport string
}

var (
	hcStatuses = storage.NewTable[hcStatus]("health-check-status")
	// hcIndex lists every account's health checks for the checker,
	// keyed (account, id), in the empty scope.
	hcIndex = storage.NewTable[bool]("health-check-index")
)

// StartHealthChecks runs the checker every CheckTick on the service's
// clock until StopHealthChecks, from when there is a health check (at
// once if one is stored, else from the first CreateHealthCheck): an idle
// niwa with none is not woken every CheckTick.
func (s *Route53) StartHealthChecks() {
	var some bool
	_ = s.store.View(func(tx storage.Tx) error {
		return hcIndex.List(tx, indexScope, nil, storage.ListOptions{}, func([]string, bool) bool {
			some = true
			return false
		})
	})
	s.checkMu.Lock()
	defer s.checkMu.Unlock()
	s.checkStarted = true
	if some {
		s.armChecks()
	}
}

// wakeHealthChecks arms the started checker for a health check just made.
func (s *Route53) wakeHealthChecks() {
	s.checkMu.Lock()
	defer s.checkMu.Unlock()
	if s.checkStarted {
		s.armChecks()
	}
}

// armChecks sets the timer of the next round unless it is set or the
// checker stopped; s.checkMu is held.
func (s *Route53) armChecks() {
	if s.checkStopped || s.checkArmed {
		return
	}
	s.checkArmed = true
	s.checkTimer = s.clock.AfterFunc(CheckTick, func() {
		s.tick()
		s.checkMu.Lock()
		defer s.checkMu.Unlock()
		s.checkArmed = false
		s.armChecks()
	})
}

// StopHealthChecks stops the checker.
func (s *Route53) StopHealthChecks() {
	s.checkMu.Lock()
	defer s.checkMu.Unlock()
	s.checkStopped = true
	if s.checkTimer != nil {
		s.checkTimer.Stop()
	}
}

// tick starts a round unless one is still running.
func (s *Route53) tick() {
	s.checkMu.Lock()
	if s.checkRunning {
		s.checkMu.Unlock()
		return
	}
	s.checkRunning = true
	s.checkMu.Unlock()
	go func() {
		defer func() {
			s.checkMu.Lock()
			s.checkRunning = false
			s.checkMu.Unlock()
		}()
		_ = s.ProbeDue(context.Background())
	}()
}

type dueCheck struct {
	account string
	rec     healthCheckRec
	result  probeResult
}

// ProbeDue probes, now, every health check whose interval has passed on
// the clock and records the results; it returns when they are recorded.
func (s *Route53) ProbeDue(ctx context.Context) error {
	now := s.clock.Now()
	var due []*dueCheck
	err := s.store.View(func(tx storage.Tx) error {
		var keys [][]string
		if err := hcIndex.List(tx, indexScope, nil, storage.ListOptions{}, func(k []string, _ bool) bool {
			keys = append(keys, k)
			return true
		}); err != nil {
			return err
		}
		for _, k := range keys {
			account, id := k[0], k[1]
			sc := storage.Global(account)
			h, ok, err := healthChecks.Get(tx, sc, id)
			if err != nil {
				return err
			}
			if !ok || !probed(h.Config) || ptr.Deref(h.Config.Disabled) {
				continue
			}
			st, seen, err := hcStatuses.Get(tx, sc, id)
			if err != nil {
				return err
			}
			interval := time.Duration(ptr.Deref(h.Config.RequestInterval)) * time.Second
			if seen && now.Sub(st.Checked) < interval {
				continue
			}
			due = append(due, &dueCheck{account: account, rec: h})
		}
		return nil
	})
	if err != nil || len(due) == 0 {
		return err
	}
	sem := make(chan struct{}, probeWorkers)
	var wg sync.WaitGroup
	for _, d := range due {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			d.result = probe(ctx, d.rec.Config, s.lookup)
		}()
	}
	wg.Wait()
	return s.store.Update(func(tx storage.Tx) error {
		for _, d := range due {
			sc := storage.Global(d.account)
			h, ok, err := healthChecks.Get(tx, sc, d.rec.ID)
			if err != nil {
				return err
			}
			if !ok {
				continue // deleted while probing
			}
			st, seen, err := hcStatuses.Get(tx, sc, h.ID)
			if err != nil {
				return err
			}
			if !seen {
				st.Healthy = true
			}
			st = st.observe(d.result, now, ptr.Deref(h.Config.FailureThreshold))
			if err := hcStatuses.Put(tx, sc, st, h.ID); err != nil {
				return err
			}
		}
		return nil
	})
}

// observe folds one probe result into the status.
func (st hcStatus) observe(r probeResult, now time.Time, threshold int32) hcStatus {
	if threshold < 1 {
		threshold = 1
	}
	st.Checked, st.Report = now, r.report
	if !r.ok {
		st.FailedAt, st.FailedReport = now, r.report
	}
	if r.ok == st.Healthy {
		st.Streak = 0
		return st
	}
	st.Streak++
	if st.Streak >= threshold {
		st.Healthy, st.Streak = r.ok, 0
	}
	return st
}

// probed reports whether a check's type is one niwa probes.
func probed(c route53api.HealthCheckConfig) bool {
	switch ptr.Deref(c.Type) {
	case "HTTP", "HTTPS", "HTTP_STR_MATCH", "HTTPS_STR_MATCH", "TCP":
		return true
	}
	return false
}

type probeResult struct {
	ok     bool
	report string
}

const unreachable = ". The endpoint or the internet connection is down, or requests are being blocked by your firewall. See https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-router-firewall-rules.html"

// lookup resolves a health check's domain name in niwa's own zones
// first (as the public DNS that Route 53's checkers use would, for a zone
// niwa serves); "" sends the name to the system resolver.
func (s *Route53) lookup(name string) string {
	m, err := s.resolver.Answer(mdns.Question{Name: mdns.Fqdn(name), Qtype: mdns.TypeA, Qclass: mdns.ClassINET}, "")
	if err != nil || m.Rcode != mdns.RcodeSuccess {
		return ""
	}
	for _, rr := range m.Answer {
		if a, ok := rr.(*mdns.A); ok {
			return a.A.String()
		}
	}
	return ""
}

// probe checks one endpoint once; lookup (may be nil) resolves a domain
// name before the system resolver does.
func probe(ctx context.Context, c route53api.HealthCheckConfig, lookup ...func(string) string) probeResult {
	host := ptr.Deref(c.IPAddress)
	if host == "" {
		host = ptr.Deref(c.FullyQualifiedDomainName)
		for _, l := range lookup {
			if ip := l(host); ip != "" {
				host = ip
			}
		}
	}
	addr := net.JoinHostPort(host, strconv.Itoa(int(ptr.Deref(c.Port))))
	typ := ptr.Deref(c.Type)
	if typ == "TCP" {
		d := net.Dialer{Timeout: tcpConnectTimeout}
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return probeResult{report: "Failure: " + connFailure(err)}
		}
		_ = conn.Close()
		return probeResult{ok: true, report: "Success: TCP connection established"}
	}
	tlsCheck := typ == "HTTPS" || typ == "HTTPS_STR_MATCH"
	scheme := "http"
	// Route 53 does not validate the endpoint's certificate.
	tlsConf := &tls.Config{InsecureSkipVerify: true} //nolint:gosec // Route 53's health checkers accept any certificate
	if tlsCheck {
		scheme = "https"
		if ptr.Deref(c.EnableSNI) && c.FullyQualifiedDomainName != nil {
			tlsConf.ServerName = *c.FullyQualifiedDomainName
		}
	}
	tr := &http.Transport{
		DialContext:           (&net.Dialer{Timeout: httpConnectTimeout}).DialContext,
		TLSClientConfig:       tlsConf,
		TLSHandshakeTimeout:   httpConnectTimeout,
		ResponseHeaderTimeout: httpFirstByte,
		DisableKeepAlives:     true,
		Proxy:                 nil,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{
		Transport: tr,
		// Route 53 judges the first response: a redirect (3xx) is healthy.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		// Bounds the body read too.
		Timeout: httpConnectTimeout + 2*httpFirstByte,
	}
	path := ptr.Deref(c.ResourcePath)
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, scheme+"://"+addr+path, nil)
	if err != nil {
		return probeResult{report: "Failure: " + err.Error()}
	}
	if c.FullyQualifiedDomainName != nil {
		req.Host = *c.FullyQualifiedDomainName
		if p := ptr.Deref(c.Port); p != 80 && p != 443 {
			req.Host = net.JoinHostPort(*c.FullyQualifiedDomainName, strconv.Itoa(int(p)))
		}
	}
	req.Header.Set("User-Agent", "Amazon-Route53-Health-Check-Service (ref niwa; report http://amzn.to/1vsZADi)")
	resp, err := client.Do(req)
	if err != nil {
		return probeResult{report: "Failure: " + connFailure(err)}
	}
	defer func() { _ = resp.Body.Close() }()
	code := fmt.Sprintf("HTTP Status Code %d, %s", resp.StatusCode, http.StatusText(resp.StatusCode))
	if resp.StatusCode < 200 || resp.StatusCode >= 400 {
		return probeResult{report: "Failure: " + code}
	}
	if typ == "HTTP_STR_MATCH" || typ == "HTTPS_STR_MATCH" {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, searchWindow))
		if !bytes.Contains(body, []byte(ptr.Deref(c.SearchString))) {
			return probeResult{report: fmt.Sprintf("Failure: %s. Failed to find the specified string in the first %d bytes of the response body.", code, searchWindow)}
		}
	}
	return probeResult{ok: true, report: "Success: " + code}
}

// connFailure words a connection error the way Route 53's checkers do.
func connFailure(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
		return "Connection timed out" + unreachable
	case strings.Contains(err.Error(), "connection refused"):
		return "Connection refused" + unreachable
	case strings.Contains(err.Error(), "no such host"):
		return "Failed to resolve the domain name"
	}
	return "Connection failed: " + err.Error()
}

// healthy is a health check's status as routing sees it: Disabled is
// always healthy, CALCULATED counts healthy children, CLOUDWATCH_METRIC
// (niwa has no alarm state to read) takes InsufficientDataHealthStatus,
// and Inverted flips the result.
func healthy(tx storage.Tx, sc storage.Scope, id string, depth int) (bool, error) {
	h, ok, err := healthChecks.Get(tx, sc, id)
	if err != nil || !ok {
		return true, err
	}
	c := h.Config
	if ptr.Deref(c.Disabled) {
		return true, nil
	}
	var up bool
	switch ptr.Deref(c.Type) {
	case "CALCULATED":
		n := int32(0)
		if depth < 2 {
			for _, child := range c.ChildHealthChecks {
				ok, err := healthy(tx, sc, child, depth+1)
				if err != nil {
					return false, err
				}
				if ok {
					n++
				}
			}
		}
		up = n >= ptr.Deref(c.HealthThreshold)
	case "CLOUDWATCH_METRIC", "RECOVERY_CONTROL":
		up = ptr.Deref(c.InsufficientDataHealthStatus) != "Unhealthy"
	default:
		st, seen, err := hcStatuses.Get(tx, sc, id)
		if err != nil {
			return false, err
		}
		if !seen {
			// Route 53 considers a new health check healthy until
			// there is enough data, whatever Inverted says.
			return true, nil
		}
		up = st.Healthy
	}
	if ptr.Deref(c.Inverted) {
		up = !up
	}
	return up, nil
}
