package wafv2

import (
	"fmt"
	"net/http/httptest"
	"net/netip"
	"sort"
	"strings"
	"testing"
	"time"

	wafapi "github.com/niwa-cloud/niwa/internal/api/wafv2"
	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/servicetest"
	"github.com/niwa-cloud/niwa/internal/waf"
)

func seen(sampled, metrics bool, name string) *wafapi.VisibilityConfig {
	return &wafapi.VisibilityConfig{SampledRequestsEnabled: ptr.To(sampled), CloudWatchMetricsEnabled: ptr.To(metrics), MetricName: ptr.To(name)}
}

// observed is a regional web ACL "site" (metric name site-m) on an ALB:
// rule count-admin (Count /admin, metric count-m, sampled, metrics),
// block-bad (Block /bad with 429, metric block-m, sampled, metrics),
// quiet (Block /quiet, metric quiet-m, neither), Allow by default.
func observed(t *testing.T, aclSampled bool) (*WAF, *servicetest.Harness, string, func(path string), *[]string) {
	h := servicetest.New(t, "wafv2")
	bus := events.New()
	var got []string
	bus.HandleMetrics(func(account, region string, ms []events.Metric) {
		for _, m := range ms {
			var dims []string
			for k, v := range m.Dimensions {
				dims = append(dims, k+"="+v)
			}
			sort.Strings(dims)
			got = append(got, fmt.Sprintf("%s/%s %s %s %s %g %s", account, region, m.Namespace, m.Name, strings.Join(dims, ","), m.Value, m.Unit))
		}
	})
	w := New(Options{Store: h.Store(), Clock: h.Clock, Bus: bus})
	ctx := h.Ctx()
	match := func(s string) *wafapi.Statement {
		return &wafapi.Statement{ByteMatchStatement: &wafapi.ByteMatchStatement{SearchString: []byte(s), FieldToMatch: &wafapi.FieldToMatch{UriPath: &wafapi.UriPath{}},
			TextTransformations: []wafapi.TextTransformation{{Priority: ptr.To(int32(0)), Type: ptr.To("NONE")}}, PositionalConstraint: ptr.To("STARTS_WITH")}}
	}
	acl, err := w.CreateWebACL(ctx, &wafapi.CreateWebACLRequest{Name: ptr.To("site"), Scope: ptr.To("REGIONAL"), VisibilityConfig: seen(aclSampled, true, "site-m"),
		DefaultAction: &wafapi.DefaultAction{Allow: &wafapi.AllowAction{}},
		Rules: []wafapi.Rule{
			{Name: ptr.To("count-admin"), Priority: ptr.To(int32(0)), VisibilityConfig: seen(true, true, "count-m"), Statement: match("/admin"),
				Action: &wafapi.RuleAction{Count: &wafapi.CountAction{CustomRequestHandling: &wafapi.CustomRequestHandling{InsertHeaders: []wafapi.CustomHTTPHeader{{Name: ptr.To("seen"), Value: ptr.To("1")}}}}}},
			{Name: ptr.To("block-bad"), Priority: ptr.To(int32(1)), VisibilityConfig: seen(true, true, "block-m"), Statement: match("/bad"),
				Action: &wafapi.RuleAction{Block: &wafapi.BlockAction{CustomResponse: &wafapi.CustomResponse{ResponseCode: ptr.To(int32(429))}}}},
			{Name: ptr.To("quiet"), Priority: ptr.To(int32(2)), VisibilityConfig: seen(false, false, "quiet-m"), Statement: match("/quiet"),
				Action: &wafapi.RuleAction{Block: &wafapi.BlockAction{}}},
		}})
	if err != nil {
		t.Fatal(err)
	}
	alb := "arn:aws:elasticloadbalancing:" + ctx.Region + ":" + ctx.Account + ":loadbalancer/app/site/0123456789abcdef"
	if _, err := w.AssociateWebACL(ctx, &wafapi.AssociateWebACLRequest{WebACLArn: acl.Summary.ARN, ResourceArn: &alb}); err != nil {
		t.Fatal(err)
	}
	send := func(p string) {
		r := httptest.NewRequest("GET", p, nil)
		r.Header.Set("User-Agent", "test")
		w.Inspect(httptest.NewRecorder(), r, ctx.Account, ctx.Region, alb, netip.MustParseAddr("192.0.2.1"))
	}
	return w, h, ptr.Deref(acl.Summary.ARN), send, &got
}

// TestSampledRequests: requests are sampled per rule metric name (and
// the web ACL's for the default action) when both the web ACL and the
// rule ask, read back within a window, newest MaxItems, with AWS's
// refusals of bad windows, MaxItems and unknown web ACLs.
func TestSampledRequests(t *testing.T) {
	w, h, arn, send, _ := observed(t, true)
	ctx := h.Ctx()
	start := h.Clock.Now()
	send("/admin/x") // counted, then allowed by default
	h.Clock.Advance(time.Minute)
	send("/bad")
	send("/quiet")
	send("/")
	window := func(from, to time.Time) *wafapi.TimeWindow {
		return &wafapi.TimeWindow{StartTime: ptr.To(from), EndTime: ptr.To(to)}
	}
	get := func(metric string, tw *wafapi.TimeWindow, max int64) (*wafapi.GetSampledRequestsResponse, error) {
		return w.GetSampledRequests(ctx, &wafapi.GetSampledRequestsRequest{WebAclArn: ptr.To(arn), RuleMetricName: ptr.To(metric), Scope: ptr.To("REGIONAL"), TimeWindow: tw, MaxItems: ptr.To(max)})
	}
	now := h.Clock.Now()
	for _, c := range []struct {
		name, metric string
		from, to     time.Time
		max          int64
		want         string // uri action code inserted within labels; ...
		population   int64
	}{
		{"counted rule", "count-m", start, now, 100, "/admin/x COUNT 0 x-amzn-waf-seen=1", 1},
		{"blocking rule", "block-m", start, now, 100, "/bad BLOCK 429", 1},
		{"rule without sampling", "quiet-m", start, now, 100, "", 0},
		{"default action", "site-m", start, now, 100, "/admin/x ALLOW 0;/ ALLOW 0", 2},
		{"window excludes the first", "site-m", start.Add(30 * time.Second), now, 100, "/ ALLOW 0", 1},
		{"MaxItems keeps the newest", "site-m", start, now, 1, "/ ALLOW 0", 2},
		{"unknown metric", "nope", start, now, 100, "", 0},
	} {
		out, err := get(c.metric, window(c.from, c.to), c.max)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		var got []string
		for _, s := range out.SampledRequests {
			line := fmt.Sprintf("%s %s %d", ptr.Deref(s.Request.URI), ptr.Deref(s.Action), ptr.Deref(s.ResponseCodeSent))
			for _, hd := range s.RequestHeadersInserted {
				line += " " + ptr.Deref(hd.Name) + "=" + ptr.Deref(hd.Value)
			}
			if ptr.Deref(s.Weight) != 1 || ptr.Deref(s.Request.ClientIP) != "192.0.2.1" || ptr.Deref(s.Request.Method) != "GET" || s.Timestamp == nil {
				t.Errorf("%s: sample %+v %+v", c.name, s, s.Request)
			}
			ua := false
			for _, hd := range s.Request.Headers {
				ua = ua || ptr.Deref(hd.Name) == "User-Agent" && ptr.Deref(hd.Value) == "test"
			}
			if !ua {
				t.Errorf("%s: headers %+v", c.name, s.Request.Headers)
			}
			got = append(got, line)
		}
		if strings.Join(got, ";") != c.want || ptr.Deref(out.PopulationSize) != c.population {
			t.Errorf("%s: %q population %d, want %q %d", c.name, got, ptr.Deref(out.PopulationSize), c.want, c.population)
		}
		if !ptr.Deref(out.TimeWindow.StartTime).Equal(c.from) || !ptr.Deref(out.TimeWindow.EndTime).Equal(c.to) {
			t.Errorf("%s: window %+v", c.name, out.TimeWindow)
		}
	}
	// A window ending in the future is answered as ending now.
	out, err := get("site-m", window(start, now.Add(time.Hour)), 10)
	if err != nil || !ptr.Deref(out.TimeWindow.EndTime).Equal(now) {
		t.Fatalf("future end: %v %+v", err, out)
	}
	for _, c := range []struct {
		name     string
		from, to time.Time
		max      int64
		field    string
	}{
		{"older than 3 hours", now.Add(-3*time.Hour - time.Second), now, 10, "TIME_WINDOW"},
		{"end before start", now, now.Add(-time.Second), 10, "TIME_WINDOW"},
		{"MaxItems 0", start, now, 0, "MAX_ITEMS"},
		{"MaxItems 501", start, now, 501, "MAX_ITEMS"},
	} {
		_, err := get("site-m", window(c.from, c.to), c.max)
		if !wafapi.ErrWAFInvalidParameterException.Is(err) || !strings.Contains(err.Error(), c.field) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	if _, err := w.GetSampledRequests(ctx, &wafapi.GetSampledRequestsRequest{WebAclArn: ptr.To(arn + "x"), RuleMetricName: ptr.To("site-m"),
		Scope: ptr.To("REGIONAL"), TimeWindow: window(start, now), MaxItems: ptr.To(int64(1))}); !wafapi.ErrWAFNonexistentItemException.Is(err) {
		t.Fatalf("unknown web ACL: %v", err)
	}
	// Samples age out of the 3-hour window with the clock.
	h.Clock.Advance(3*time.Hour + time.Second)
	out, err = get("site-m", window(h.Clock.Now().Add(-3*time.Hour), h.Clock.Now()), 10)
	if err != nil || len(out.SampledRequests) != 0 {
		t.Fatalf("after 3 hours: %v %+v", err, out)
	}
	// At most 500 per metric name, the oldest dropped.
	for i := 0; i < maxSamples+20; i++ {
		send(fmt.Sprintf("/n%d", i))
	}
	out, err = get("site-m", window(h.Clock.Now().Add(-time.Hour), h.Clock.Now()), 500)
	if err != nil || ptr.Deref(out.PopulationSize) != maxSamples || ptr.Deref(out.SampledRequests[0].Request.URI) != "/n20" {
		t.Fatalf("bound: %v population %d first %s", err, ptr.Deref(out.PopulationSize), ptr.Deref(out.SampledRequests[0].Request.URI))
	}
	if err := w.Reset(); err != nil {
		t.Fatal(err)
	}
	if out, _ = get("site-m", window(h.Clock.Now().Add(-time.Hour), h.Clock.Now()), 500); ptr.Deref(out.PopulationSize) != 0 {
		t.Fatal("reset keeps samples")
	}
}

// TestSampledRequestsOff: a web ACL without SampledRequestsEnabled keeps
// no sample, even of rules that ask for one.
func TestSampledRequestsOff(t *testing.T) {
	w, h, arn, send, _ := observed(t, false)
	start := h.Clock.Now()
	send("/bad")
	send("/")
	for _, m := range []string{"block-m", "site-m"} {
		out, err := w.GetSampledRequests(h.Ctx(), &wafapi.GetSampledRequestsRequest{WebAclArn: ptr.To(arn), RuleMetricName: ptr.To(m), Scope: ptr.To("REGIONAL"),
			TimeWindow: &wafapi.TimeWindow{StartTime: ptr.To(start), EndTime: ptr.To(start)}, MaxItems: ptr.To(int64(10))})
		if err != nil || ptr.Deref(out.PopulationSize) != 0 {
			t.Fatalf("%s: %v %+v", m, err, out)
		}
	}
}

// TestMetrics: AWS/WAFV2 AllowedRequests, BlockedRequests and
// CountedRequests per rule metric name (rules with
// CloudWatchMetricsEnabled) and Rule=ALL, WebACL the web ACL's metric
// name, with the Region.
func TestMetrics(t *testing.T) {
	_, h, _, send, got := observed(t, true)
	where := h.Account + "/" + h.Ctx().Region + " AWS/WAFV2 "
	region := ",Region=" + h.Ctx().Region + ",Rule="
	for _, c := range []struct {
		path string
		want []string
	}{
		{"/", []string{"AllowedRequests" + region + "ALL,WebACL=site-m"}},
		{"/admin", []string{"CountedRequests" + region + "count-m,WebACL=site-m", "AllowedRequests" + region + "ALL,WebACL=site-m"}},
		{"/bad", []string{"BlockedRequests" + region + "block-m,WebACL=site-m", "BlockedRequests" + region + "ALL,WebACL=site-m"}},
		{"/quiet", []string{"BlockedRequests" + region + "ALL,WebACL=site-m"}},
	} {
		*got = nil
		send(c.path)
		var want []string
		for _, m := range c.want {
			name, dims, _ := strings.Cut(m, ",")
			want = append(want, where+name+" "+dims+" 1 Count")
		}
		if strings.Join(*got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s:\n%s\nwant\n%s", c.path, strings.Join(*got, "\n"), strings.Join(want, "\n"))
		}
	}
}

// TestRateBasedManagedKeys: the addresses a rate-based rule limits now,
// IPv4 and IPv6 apart, until its window passes on niwa's clock; unknown
// rules and rules that are not rate-based are refused.
func TestRateBasedManagedKeys(t *testing.T) {
	h := servicetest.New(t, "wafv2")
	w := regional(h)
	ctx := h.Ctx()
	acl, err := w.CreateWebACL(ctx, &wafapi.CreateWebACLRequest{Name: ptr.To("site"), Scope: ptr.To("REGIONAL"), VisibilityConfig: vis(),
		DefaultAction: &wafapi.DefaultAction{Allow: &wafapi.AllowAction{}},
		Rules: []wafapi.Rule{
			{Name: ptr.To("rate"), Priority: ptr.To(int32(0)), VisibilityConfig: vis(), Action: &wafapi.RuleAction{Block: &wafapi.BlockAction{}},
				Statement: &wafapi.Statement{RateBasedStatement: &wafapi.RateBasedStatement{Limit: ptr.To(int64(10)), AggregateKeyType: ptr.To("IP")}}},
			{Name: ptr.To("plain"), Priority: ptr.To(int32(1)), VisibilityConfig: vis(), Action: &wafapi.RuleAction{Count: &wafapi.CountAction{}},
				Statement: &wafapi.Statement{GeoMatchStatement: &wafapi.GeoMatchStatement{CountryCodes: []string{"JP"}}}},
		}})
	if err != nil {
		t.Fatal(err)
	}
	alb := "arn:aws:elasticloadbalancing:" + ctx.Region + ":" + ctx.Account + ":loadbalancer/app/site/0123456789abcdef"
	if _, err := w.AssociateWebACL(ctx, &wafapi.AssociateWebACLRequest{WebACLArn: acl.Summary.ARN, ResourceArn: &alb}); err != nil {
		t.Fatal(err)
	}
	send := func(ip string, n int) {
		for i := 0; i < n; i++ {
			w.Inspect(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil), ctx.Account, ctx.Region, alb, netip.MustParseAddr(ip))
		}
	}
	keys := func(rule string) (string, error) {
		out, err := w.GetRateBasedStatementManagedKeys(ctx, &wafapi.GetRateBasedStatementManagedKeysRequest{Scope: ptr.To("REGIONAL"),
			WebACLName: ptr.To("site"), WebACLId: acl.Summary.Id, RuleName: ptr.To(rule)})
		if err != nil {
			return "", err
		}
		return ptr.Deref(out.ManagedKeysIPV4.IPAddressVersion) + strings.Join(out.ManagedKeysIPV4.Addresses, ",") + " " +
			ptr.Deref(out.ManagedKeysIPV6.IPAddressVersion) + strings.Join(out.ManagedKeysIPV6.Addresses, ","), nil
	}
	send("192.0.2.9", 11)
	send("192.0.2.1", 12)
	send("198.51.100.1", 10) // at the limit, not over it
	send("2001:db8::1", 11)
	for _, c := range []struct {
		name, want string
		advance    time.Duration
	}{
		{"over the limit", "IPV4192.0.2.1/32,192.0.2.9/32 IPV62001:db8::1/128", 0},
		{"window passed", "IPV4 IPV6", 6 * time.Minute},
	} {
		h.Clock.Advance(c.advance)
		got, err := keys("rate")
		if err != nil || got != c.want {
			t.Errorf("%s: %q %v, want %q", c.name, got, err, c.want)
		}
	}
	if _, err := keys("nope"); !wafapi.ErrWAFNonexistentItemException.Is(err) {
		t.Errorf("unknown rule: %v", err)
	}
	if _, err := keys("plain"); !wafapi.ErrWAFInvalidParameterException.Is(err) {
		t.Errorf("not rate-based: %v", err)
	}
}

// TestSamplesBound: samples are bounded per metric name, in number of
// (web ACL, metric) pairs and in all, and a sample's headers in bytes.
func TestSamplesBound(t *testing.T) {
	s := &samples{}
	now := time.Now()
	for i := 0; i < maxSampleKeys+10; i++ {
		for j := 0; j < 30; j++ {
			s.add(sampleKey{"acl", fmt.Sprint(i)}, wafapi.SampledHTTPRequest{Timestamp: ptr.To(now)})
		}
	}
	n := 0
	for _, l := range s.m {
		n += len(l)
	}
	if len(s.m) > maxSampleKeys || n > maxSamplesAll || n != s.total {
		t.Fatalf("%d keys, %d samples (total %d)", len(s.m), n, s.total)
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Big", strings.Repeat("x", 2*maxSampleHeaders))
	r.Header.Set("A", "1")
	got := sampled(r, &waf.Request{Path: "/", Method: "GET", Header: r.Header}, waf.Action{Kind: waf.Allow}, "", nil, 0, now)
	if len(got.Request.Headers) != 2 || ptr.Deref(got.Request.Headers[1].Name) != "A" {
		t.Fatalf("headers %d", len(got.Request.Headers))
	}
}

// TestMetricsCloudFront: a CLOUDFRONT web ACL's metrics are in us-east-1
// with no Region dimension, as AWS.
func TestMetricsCloudFront(t *testing.T) {
	h := servicetest.New(t, "wafv2")
	bus := events.New()
	var got []string
	bus.HandleMetrics(func(account, region string, ms []events.Metric) {
		for _, m := range ms {
			got = append(got, fmt.Sprintf("%s %s %s %d", region, m.Name, m.Dimensions["WebACL"]+"/"+m.Dimensions["Rule"], len(m.Dimensions)))
		}
	})
	w := New(Options{Store: h.Store(), Clock: h.Clock, Bus: bus})
	acl, err := w.CreateWebACL(h.Ctx(), &wafapi.CreateWebACLRequest{Name: ptr.To("edge"), Scope: ptr.To("CLOUDFRONT"), VisibilityConfig: seen(false, true, "edge-m"),
		DefaultAction: &wafapi.DefaultAction{Block: &wafapi.BlockAction{}}})
	if err != nil {
		t.Fatal(err)
	}
	if blocked, err := w.Evaluate(t.Context(), ptr.Deref(acl.Summary.ARN), httptest.NewRequest("GET", "/", nil), nil); err != nil || !blocked {
		t.Fatal(blocked, err)
	}
	if strings.Join(got, ";") != "us-east-1 BlockedRequests edge-m/ALL 2" {
		t.Fatalf("%q", got)
	}
}
