package elbv2

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	elbv2api "github.com/niwa-cloud/niwa/internal/api/elbv2"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/iam"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/servicetest"
)

func newTest(t *testing.T) (*ELBv2, *servicetest.Harness) {
	t.Helper()
	h := servicetest.New(t, "elbv2")
	s := New(Options{Store: h.Store(), Clock: h.Clock})
	t.Cleanup(func() { _ = s.Close() })
	return s, h
}

func code(err error) string {
	var e *awserr.Error
	if errors.As(err, &e) {
		return e.Code.Code
	}
	if err != nil {
		return "other: " + err.Error()
	}
	return ""
}

func mustLB(t *testing.T, s *ELBv2, h *servicetest.Harness, name string) elbv2api.LoadBalancer {
	t.Helper()
	out, err := s.CreateLoadBalancer(h.Ctx(), &elbv2api.CreateLoadBalancerInput{Name: ptr.To(name), Subnets: []string{"subnet-a", "subnet-b"}})
	if err != nil {
		t.Fatal(err)
	}
	return out.LoadBalancers[0]
}

func mustTG(t *testing.T, s *ELBv2, h *servicetest.Harness, name string) elbv2api.TargetGroup {
	t.Helper()
	out, err := s.CreateTargetGroup(h.Ctx(), &elbv2api.CreateTargetGroupInput{Name: ptr.To(name), Protocol: ptr.To("HTTP"), Port: ptr.To(int32(80)),
		VpcId: ptr.To("vpc-1"), TargetType: ptr.To("ip"), HealthCheckPath: ptr.To("/health"), HealthCheckIntervalSeconds: ptr.To(int32(5)),
		HealthCheckTimeoutSeconds: ptr.To(int32(2)), HealthyThresholdCount: ptr.To(int32(2)), UnhealthyThresholdCount: ptr.To(int32(2))})
	if err != nil {
		t.Fatal(err)
	}
	return out.TargetGroups[0]
}

func forward(tg string) []elbv2api.Action {
	return []elbv2api.Action{{Type: ptr.To("forward"), TargetGroupArn: ptr.To(tg)}}
}

// TestAPIErrors: refusals and AWS's error codes.
func TestAPIErrors(t *testing.T) {
	s, h := newTest(t)
	ctx := h.Ctx()
	alb := mustLB(t, s, h, "web")
	tg := mustTG(t, s, h, "tg")
	lis, err := s.CreateListener(ctx, &elbv2api.CreateListenerInput{LoadBalancerArn: alb.LoadBalancerArn, Port: ptr.To(int32(80)), Protocol: ptr.To("HTTP"), DefaultActions: forward(*tg.TargetGroupArn)})
	if err != nil {
		t.Fatal(err)
	}
	listener := lis.Listeners[0].ListenerArn
	if _, err := s.CreateRule(ctx, &elbv2api.CreateRuleInput{ListenerArn: listener, Priority: ptr.To(int32(5)),
		Conditions: []elbv2api.RuleCondition{{Field: ptr.To("path-pattern"), Values: []string{"/a*"}}}, Actions: forward(*tg.TargetGroupArn)}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		call func() error
		want string
	}{
		{"gateway refused", func() error {
			_, err := s.CreateLoadBalancer(ctx, &elbv2api.CreateLoadBalancerInput{Name: ptr.To("gw"), Type: ptr.To("gateway"), Subnets: []string{"s"}})
			return err
		}, "ValidationError"},
		{"ALB needs two zones", func() error {
			_, err := s.CreateLoadBalancer(ctx, &elbv2api.CreateLoadBalancerInput{Name: ptr.To("one"), Subnets: []string{"s"}})
			return err
		}, "ValidationError"},
		{"bad name", func() error {
			_, err := s.CreateLoadBalancer(ctx, &elbv2api.CreateLoadBalancerInput{Name: ptr.To("-bad"), Subnets: []string{"a", "b"}})
			return err
		}, "ValidationError"},
		{"same name other settings", func() error {
			_, err := s.CreateLoadBalancer(ctx, &elbv2api.CreateLoadBalancerInput{Name: ptr.To("web"), Scheme: ptr.To("internal"), Subnets: []string{"a", "b"}})
			return err
		}, "DuplicateLoadBalancerName"},
		{"same name same settings", func() error {
			out, err := s.CreateLoadBalancer(ctx, &elbv2api.CreateLoadBalancerInput{Name: ptr.To("web"), Subnets: []string{"a", "b"}})
			if err == nil && *out.LoadBalancers[0].LoadBalancerArn != *alb.LoadBalancerArn {
				return errors.New("a second load balancer")
			}
			return err
		}, ""},
		{"unknown lb", func() error {
			_, err := s.DescribeLoadBalancers(ctx, &elbv2api.DescribeLoadBalancersInput{Names: []string{"nope"}})
			return err
		}, "LoadBalancerNotFound"},
		{"udp refused", func() error {
			_, err := s.CreateListener(ctx, &elbv2api.CreateListenerInput{LoadBalancerArn: alb.LoadBalancerArn, Port: ptr.To(int32(53)), Protocol: ptr.To("UDP"), DefaultActions: forward(*tg.TargetGroupArn)})
			return err
		}, "UnsupportedProtocol"},
		{"https needs a certificate", func() error {
			_, err := s.CreateListener(ctx, &elbv2api.CreateListenerInput{LoadBalancerArn: alb.LoadBalancerArn, Port: ptr.To(int32(443)), Protocol: ptr.To("HTTPS"), DefaultActions: forward(*tg.TargetGroupArn)})
			return err
		}, "ValidationError"},
		{"unknown ssl policy", func() error {
			_, err := s.CreateListener(ctx, &elbv2api.CreateListenerInput{LoadBalancerArn: alb.LoadBalancerArn, Port: ptr.To(int32(443)), Protocol: ptr.To("HTTPS"), SslPolicy: ptr.To("Nope"),
				Certificates: []elbv2api.Certificate{{CertificateArn: ptr.To("arn:aws:acm:us-east-1:000000000000:certificate/x")}}, DefaultActions: forward(*tg.TargetGroupArn)})
			return err
		}, "SSLPolicyNotFound"},
		{"duplicate port", func() error {
			_, err := s.CreateListener(ctx, &elbv2api.CreateListenerInput{LoadBalancerArn: alb.LoadBalancerArn, Port: ptr.To(int32(80)), Protocol: ptr.To("HTTPS"),
				Certificates: []elbv2api.Certificate{{CertificateArn: ptr.To("arn:aws:acm:us-east-1:000000000000:certificate/x")}}, DefaultActions: forward(*tg.TargetGroupArn)})
			return err
		}, "DuplicateListener"},
		{"authenticate refused", func() error {
			_, err := s.CreateRule(ctx, &elbv2api.CreateRuleInput{ListenerArn: listener, Priority: ptr.To(int32(9)),
				Conditions: []elbv2api.RuleCondition{{Field: ptr.To("path-pattern"), Values: []string{"/x"}}},
				Actions:    []elbv2api.Action{{Type: ptr.To("authenticate-oidc"), Order: ptr.To(int32(1))}, forward(*tg.TargetGroupArn)[0]}})
			return err
		}, "InvalidLoadBalancerAction"},
		{"priority in use", func() error {
			_, err := s.CreateRule(ctx, &elbv2api.CreateRuleInput{ListenerArn: listener, Priority: ptr.To(int32(5)),
				Conditions: []elbv2api.RuleCondition{{Field: ptr.To("path-pattern"), Values: []string{"/b"}}}, Actions: forward(*tg.TargetGroupArn)})
			return err
		}, "PriorityInUse"},
		{"unknown condition", func() error {
			_, err := s.CreateRule(ctx, &elbv2api.CreateRuleInput{ListenerArn: listener, Priority: ptr.To(int32(6)),
				Conditions: []elbv2api.RuleCondition{{Field: ptr.To("cookie"), Values: []string{"x"}}}, Actions: forward(*tg.TargetGroupArn)})
			return err
		}, "ValidationError"},
		{"forward to unknown group", func() error {
			_, err := s.CreateRule(ctx, &elbv2api.CreateRuleInput{ListenerArn: listener, Priority: ptr.To(int32(7)),
				Conditions: []elbv2api.RuleCondition{{Field: ptr.To("path-pattern"), Values: []string{"/c"}}}, Actions: forward("arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/x/0")})
			return err
		}, "TargetGroupNotFound"},
		{"group in use", func() error {
			_, err := s.DeleteTargetGroup(ctx, &elbv2api.DeleteTargetGroupInput{TargetGroupArn: tg.TargetGroupArn})
			return err
		}, "ResourceInUse"},
		{"timeout not below interval", func() error {
			_, err := s.ModifyTargetGroup(ctx, &elbv2api.ModifyTargetGroupInput{TargetGroupArn: tg.TargetGroupArn, HealthCheckTimeoutSeconds: ptr.To(int32(10))})
			return err
		}, "ValidationError"},
		{"unknown attribute", func() error {
			_, err := s.ModifyLoadBalancerAttributes(ctx, &elbv2api.ModifyLoadBalancerAttributesInput{LoadBalancerArn: alb.LoadBalancerArn,
				Attributes: []elbv2api.LoadBalancerAttribute{{Key: ptr.To("nope"), Value: ptr.To("1")}}})
			return err
		}, "ValidationError"},
		{"invalid ip target", func() error {
			_, err := s.RegisterTargets(ctx, &elbv2api.RegisterTargetsInput{TargetGroupArn: tg.TargetGroupArn, Targets: []elbv2api.TargetDescription{{Id: ptr.To("i-123")}}})
			return err
		}, "InvalidTarget"},
		{"default rule stays", func() error {
			rs, err := s.DescribeRules(ctx, &elbv2api.DescribeRulesInput{ListenerArn: listener})
			if err != nil {
				return err
			}
			last := rs.Rules[len(rs.Rules)-1]
			if !*last.IsDefault || *last.Priority != "default" {
				return errors.New("default rule not last")
			}
			_, err = s.DeleteRule(ctx, &elbv2api.DeleteRuleInput{RuleArn: last.RuleArn})
			return err
		}, "OperationNotPermitted"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := code(c.call()); got != c.want {
				t.Fatalf("got %q, want %q", got, c.want)
			}
		})
	}
}

// TestDeletionProtection: DeleteLoadBalancer is refused while it is on.
func TestDeletionProtection(t *testing.T) {
	s, h := newTest(t)
	alb := mustLB(t, s, h, "p")
	if _, err := s.ModifyLoadBalancerAttributes(h.Ctx(), &elbv2api.ModifyLoadBalancerAttributesInput{LoadBalancerArn: alb.LoadBalancerArn,
		Attributes: []elbv2api.LoadBalancerAttribute{{Key: ptr.To("deletion_protection.enabled"), Value: ptr.To("true")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DeleteLoadBalancer(h.Ctx(), &elbv2api.DeleteLoadBalancerInput{LoadBalancerArn: alb.LoadBalancerArn}); code(err) != "OperationNotPermitted" {
		t.Fatalf("delete: %v", err)
	}
	if !strings.HasSuffix(*alb.DNSName, ".us-east-1.elb.localhost") || *alb.CanonicalHostedZoneId != "Z35SXDOTRQ7X7K" {
		t.Fatalf("%s %s", *alb.DNSName, *alb.CanonicalHostedZoneId)
	}
}

// target is a local HTTP server whose health path can be broken.
type target struct {
	srv    *httptest.Server
	broken atomic.Bool
	body   string
}

func newTarget(t *testing.T, body string) *target {
	tg := &target{body: body}
	tg.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/health" && tg.broken.Load() {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		_, _ = io.WriteString(w, tg.body+" "+r.Header.Get("X-Forwarded-Proto")+" "+r.Header.Get("X-Forwarded-Port"))
	}))
	t.Cleanup(tg.srv.Close)
	return tg
}

func (tg *target) port() int32 {
	a := tg.srv.Listener.Addr().String()
	i := strings.LastIndexByte(a, ':')
	var p int32
	for _, c := range a[i+1:] {
		p = p*10 + int32(c-'0')
	}
	return p
}

// TestFailOpen: an ALB routes only to healthy targets and, when none is,
// to all of them; the states and reasons follow the probes on the clock.
func TestFailOpen(t *testing.T) {
	s, h := newTest(t)
	ctx := h.Ctx()
	a, b := newTarget(t, "A"), newTarget(t, "B")
	alb := mustLB(t, s, h, "web")
	tg := mustTG(t, s, h, "tg")
	if _, err := s.RegisterTargets(ctx, &elbv2api.RegisterTargetsInput{TargetGroupArn: tg.TargetGroupArn, Targets: []elbv2api.TargetDescription{
		{Id: ptr.To("127.0.0.1"), Port: ptr.To(a.port())}, {Id: ptr.To("127.0.0.1"), Port: ptr.To(b.port())}}}); err != nil {
		t.Fatal(err)
	}
	states := func() map[int32]string {
		out, err := s.DescribeTargetHealth(ctx, &elbv2api.DescribeTargetHealthInput{TargetGroupArn: tg.TargetGroupArn})
		if err != nil {
			t.Fatal(err)
		}
		m := map[int32]string{}
		for _, d := range out.TargetHealthDescriptions {
			m[*d.Target.Port] = *d.TargetHealth.State + "/" + ptr.Deref(d.TargetHealth.Reason)
		}
		return m
	}
	if st := states(); st[a.port()] != "unused/Target.NotInUse" {
		t.Fatalf("before a listener: %v", st)
	}
	if _, err := s.CreateListener(ctx, &elbv2api.CreateListenerInput{LoadBalancerArn: alb.LoadBalancerArn, Port: ptr.To(int32(80)), Protocol: ptr.To("HTTP"), DefaultActions: forward(*tg.TargetGroupArn)}); err != nil {
		t.Fatal(err)
	}
	if st := states(); st[a.port()] != "initial/Elb.RegistrationInProgress" {
		t.Fatalf("registered: %v", st)
	}
	step := func() {
		h.Clock.Advance(5 * time.Second)
		s.RunHealthChecks()
	}
	serve := func() (map[string]int, int) {
		seen, status := map[string]int{}, 0
		for range 6 {
			r := httptest.NewRequest("GET", "/", nil)
			r.Host = *alb.DNSName
			w := httptest.NewRecorder()
			s.dataPlane().ServeHTTP(w, r)
			seen[w.Body.String()]++
			status = w.Code
		}
		return seen, status
	}
	step()
	if st := states(); st[a.port()] != "initial/Elb.InitialHealthChecking" {
		t.Fatalf("one check: %v", st)
	}
	step()
	if st := states(); st[a.port()] != "healthy/" || st[b.port()] != "healthy/" {
		t.Fatalf("two checks: %v", st)
	}
	if seen, _ := serve(); seen["A http 80"] != 3 || seen["B http 80"] != 3 {
		t.Fatalf("balanced: %v", seen)
	}
	a.broken.Store(true)
	b.broken.Store(true)
	step()
	step()
	if st := states(); st[a.port()] != "unhealthy/Target.ResponseCodeMismatch" || st[b.port()] != "unhealthy/Target.ResponseCodeMismatch" {
		t.Fatalf("broken: %v", st)
	}
	if seen, _ := serve(); seen["A http 80"] == 0 || seen["B http 80"] == 0 {
		t.Fatalf("fail open: %v", seen)
	}
	a.broken.Store(false)
	step()
	step()
	if seen, _ := serve(); seen["A http 80"] != 6 {
		t.Fatalf("healed one: %v", seen)
	}
	// A jump of the clock runs the missed checks at once.
	b.broken.Store(false)
	h.Clock.Advance(time.Hour)
	s.RunHealthChecks()
	if st := states(); st[b.port()] != "healthy/" {
		t.Fatalf("after a jump: %v", st)
	}
	// Deregistration drains for the delay, then the target is gone.
	if _, err := s.DeregisterTargets(ctx, &elbv2api.DeregisterTargetsInput{TargetGroupArn: tg.TargetGroupArn, Targets: []elbv2api.TargetDescription{{Id: ptr.To("127.0.0.1"), Port: ptr.To(b.port())}}}); err != nil {
		t.Fatal(err)
	}
	if st := states(); st[b.port()] != "draining/Target.DeregistrationInProgress" {
		t.Fatalf("draining: %v", st)
	}
	if seen, _ := serve(); seen["A http 80"] != 6 {
		t.Fatalf("draining target served: %v", seen)
	}
	h.Clock.Advance(301 * time.Second)
	s.RunHealthChecks()
	if st := states(); len(st) != 1 {
		t.Fatalf("drained: %v", st)
	}
}

// TestRules: path rules, fixed responses and redirects.
func TestRules(t *testing.T) {
	s, h := newTest(t)
	ctx := h.Ctx()
	a := newTarget(t, "A")
	alb := mustLB(t, s, h, "web")
	tg := mustTG(t, s, h, "tg")
	tg2, err := s.CreateTargetGroup(ctx, &elbv2api.CreateTargetGroupInput{Name: ptr.To("hc-off"), Protocol: ptr.To("HTTP"), Port: ptr.To(a.port()), VpcId: ptr.To("vpc-1"), TargetType: ptr.To("ip"), HealthCheckEnabled: ptr.To(false)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.RegisterTargets(ctx, &elbv2api.RegisterTargetsInput{TargetGroupArn: tg2.TargetGroups[0].TargetGroupArn, Targets: []elbv2api.TargetDescription{{Id: ptr.To("127.0.0.1")}}}); err != nil {
		t.Fatal(err)
	}
	lis, err := s.CreateListener(ctx, &elbv2api.CreateListenerInput{LoadBalancerArn: alb.LoadBalancerArn, Port: ptr.To(int32(80)), Protocol: ptr.To("HTTP"),
		DefaultActions: []elbv2api.Action{{Type: ptr.To("fixed-response"), FixedResponseConfig: &elbv2api.FixedResponseActionConfig{StatusCode: ptr.To("404"), MessageBody: ptr.To("no route")}}}})
	if err != nil {
		t.Fatal(err)
	}
	l := lis.Listeners[0].ListenerArn
	rule := func(prio int32, cond elbv2api.RuleCondition, act elbv2api.Action) {
		t.Helper()
		if _, err := s.CreateRule(ctx, &elbv2api.CreateRuleInput{ListenerArn: l, Priority: ptr.To(prio), Conditions: []elbv2api.RuleCondition{cond}, Actions: []elbv2api.Action{act}}); err != nil {
			t.Fatal(err)
		}
	}
	rule(1, elbv2api.RuleCondition{Field: ptr.To("path-pattern"), PathPatternConfig: &elbv2api.PathPatternConditionConfig{Values: []string{"/app/*"}}}, forward(*tg2.TargetGroups[0].TargetGroupArn)[0])
	rule(2, elbv2api.RuleCondition{Field: ptr.To("http-header"), HttpHeaderConfig: &elbv2api.HttpHeaderConditionConfig{HttpHeaderName: ptr.To("X-Go"), Values: []string{"yes"}}},
		elbv2api.Action{Type: ptr.To("redirect"), RedirectConfig: &elbv2api.RedirectActionConfig{StatusCode: ptr.To("HTTP_301"), Protocol: ptr.To("HTTPS"), Port: ptr.To("443"), Path: ptr.To("/new/#{path}")}})
	rule(3, elbv2api.RuleCondition{Field: ptr.To("query-string"), QueryStringConfig: &elbv2api.QueryStringConditionConfig{Values: []elbv2api.QueryStringKeyValuePair{{Key: ptr.To("v"), Value: ptr.To("t*")}}}},
		elbv2api.Action{Type: ptr.To("fixed-response"), FixedResponseConfig: &elbv2api.FixedResponseActionConfig{StatusCode: ptr.To("200"), MessageBody: ptr.To("query"), ContentType: ptr.To("text/plain")}})
	rule(4, elbv2api.RuleCondition{Field: ptr.To("source-ip"), SourceIpConfig: &elbv2api.SourceIpConditionConfig{Values: []string{"198.51.100.0/24"}}},
		elbv2api.Action{Type: ptr.To("fixed-response"), FixedResponseConfig: &elbv2api.FixedResponseActionConfig{StatusCode: ptr.To("403"), MessageBody: ptr.To("source")}})
	_ = tg
	cases := []struct {
		path, header, remote string
		status               int
		body, location       string
	}{
		{"/app/x", "", "", 200, "A http 80", ""},
		{"/other", "", "", 404, "no route", ""},
		{"/old/page?q=1", "yes", "", 301, "", "https://" + *alb.DNSName + "/new/old/page?q=1"},
		{"/x?v=two", "", "", 200, "query", ""},
		{"/x", "", "198.51.100.7:1234", 403, "source", ""},
	}
	for _, c := range cases {
		r := httptest.NewRequest("GET", c.path, nil)
		r.Host = *alb.DNSName
		if c.header != "" {
			r.Header.Set("X-Go", c.header)
		}
		if c.remote != "" {
			r.RemoteAddr = c.remote
		}
		w := httptest.NewRecorder()
		s.dataPlane().ServeHTTP(w, r)
		if w.Code != c.status || c.body != "" && w.Body.String() != c.body || w.Header().Get("Location") != c.location {
			t.Errorf("%s: %d %q %q", c.path, w.Code, w.Body.String(), w.Header().Get("Location"))
		}
	}
	// SetRulePriorities moves the query rule ahead of the path rule.
	rs, err := s.DescribeRules(ctx, &elbv2api.DescribeRulesInput{ListenerArn: l})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetRulePriorities(ctx, &elbv2api.SetRulePrioritiesInput{RulePriorities: []elbv2api.RulePriorityPair{{RuleArn: rs.Rules[2].RuleArn, Priority: ptr.To(int32(1))}}}); code(err) != "PriorityInUse" {
		t.Fatalf("taken priority: %v", err)
	}
}

func TestWildcard(t *testing.T) {
	cases := []struct {
		p, s string
		want bool
	}{{"/app/*", "/app/x/y", true}, {"/app/*", "/ap", false}, {"*.example.com", "a.example.com", true}, {"?", "ab", false}, {"a?c", "abc", true}, {"*", "", true}}
	for _, c := range cases {
		if got := iam.Glob(c.p, c.s); got != c.want {
			t.Errorf("iam.Glob(%q, %q) = %v", c.p, c.s, got)
		}
	}
}

func FuzzWildcard(f *testing.F) {
	f.Add("/a*b?", "/axxb1")
	f.Fuzz(func(t *testing.T, p, s string) { _ = iam.Glob(p, s) })
}

// TestListenerPorts: a listener gets a port of its own that serves it;
// deleting the listener (or a reset) closes it.
func TestListenerPorts(t *testing.T) {
	s, h := newTest(t)
	ctx := h.Ctx()
	alb := mustLB(t, s, h, "web")
	lis, err := s.CreateListener(ctx, &elbv2api.CreateListenerInput{LoadBalancerArn: alb.LoadBalancerArn, Port: ptr.To(int32(8080)), Protocol: ptr.To("HTTP"),
		DefaultActions: []elbv2api.Action{{Type: ptr.To("fixed-response"), FixedResponseConfig: &elbv2api.FixedResponseActionConfig{StatusCode: ptr.To("200"), MessageBody: ptr.To("own port")}}}})
	if err != nil {
		t.Fatal(err)
	}
	arn := *lis.Listeners[0].ListenerArn
	addr := s.ports.Addr(arn)
	if addr == "" {
		t.Fatal("no port")
	}
	resp, err := http.Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if string(body) != "own port" {
		t.Fatalf("%q", body)
	}
	w := httptest.NewRecorder()
	s.dataPlane().ServeHTTP(w, httptest.NewRequest("GET", ListenersPath, nil))
	if !strings.Contains(w.Body.String(), `"Address":"`+addr+`"`) || !strings.Contains(w.Body.String(), `"Port":8080`) {
		t.Fatalf("listing: %s", w.Body.String())
	}
	if err := s.Reset(); err != nil || s.ports.Addr(arn) != "" {
		t.Fatalf("reset: %v", err)
	}
	if _, err := http.Get("http://" + addr + "/"); err == nil {
		t.Fatal("port still open after reset")
	}
}
