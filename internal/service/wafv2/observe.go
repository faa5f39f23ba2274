package wafv2

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	wafv2api "github.com/niwa-cloud/niwa/internal/api/wafv2"
	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
	"github.com/niwa-cloud/niwa/internal/waf"
)

const (
	// maxSamples is how many requests AWS keeps per rule metric name.
	maxSamples = 500
	// sampleWindow is how far back AWS keeps samples (3 hours).
	sampleWindow = 3 * time.Hour
	// maxSampleKeys bounds the sampled (web ACL, metric) pairs (those of
	// deleted web ACLs linger until reset); a new pair past it drops
	// another pair's samples.
	maxSampleKeys = 1000
	// maxSamplesAll bounds every sample together (memory: a niwa with
	// many busy rules keeps fewer than 500 each); the longest list loses
	// its oldest first.
	maxSamplesAll = 20000
	// maxSampleHeaders is how many header bytes a sample keeps.
	maxSampleHeaders = 8 << 10
)

// sampleKey names one sample: a web ACL and a metric name (a rule's,
// or the web ACL's own for its default action).
type sampleKey struct{ acl, metric string }

// samples keeps the requests web ACLs saw, per metric name, for
// GetSampledRequests. A cache, as on AWS: reset and restart lose it.
type samples struct {
	mu    sync.Mutex
	m     map[sampleKey][]wafv2api.SampledHTTPRequest
	total int
}

func (s *samples) add(k sampleKey, r wafv2api.SampledHTTPRequest) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[sampleKey][]wafv2api.SampledHTTPRequest{}
	}
	l, ok := s.m[k]
	if !ok && len(s.m) >= maxSampleKeys {
		for old, ol := range s.m {
			s.total -= len(ol)
			delete(s.m, old)
			break
		}
	}
	if len(l) >= maxSamples {
		s.total -= len(l) - maxSamples + 1
		l = append(l[:0:0], l[len(l)-maxSamples+1:]...)
	}
	s.m[k] = append(l, r)
	s.total++
	if s.total > maxSamplesAll {
		var longest sampleKey
		for key, kl := range s.m {
			if len(kl) > len(s.m[longest]) {
				longest = key
			}
		}
		s.m[longest] = append(s.m[longest][:0:0], s.m[longest][1:]...)
		s.total--
	}
}

// between is the samples of k stamped in [start, end], oldest first.
func (s *samples) between(k sampleKey, start, end time.Time) []wafv2api.SampledHTTPRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []wafv2api.SampledHTTPRequest
	for _, r := range s.m[k] {
		if t := ptr.Deref(r.Timestamp); !t.Before(start) && !t.After(end) {
			out = append(out, r)
		}
	}
	return out
}

func (s *samples) reset() {
	s.mu.Lock()
	s.m, s.total = nil, 0
	s.mu.Unlock()
}

// observe records what a web ACL decided on a request: a sample per
// matched rule (and for the default action) whose VisibilityConfig asks
// for one, and AWS/WAFV2 metrics where it asks for them. status is the
// response code a Block sent (0 for Allow and Count).
func (w *WAF) observe(sc storage.Scope, acl *waf.ACL, r *http.Request, req *waf.Request, d waf.Decision, status int) {
	now := w.clock.Now()
	av := acl.Visibility
	region := sc.Region
	if strings.Contains(acl.ARN, ":global/") {
		region = "" // CLOUDFRONT metrics have no Region dimension, as AWS
	}
	var ms []events.Metric
	metric := func(name, rule string) {
		dims := map[string]string{"WebACL": av.Metric, "Rule": rule}
		if region != "" {
			dims["Region"] = region
		}
		ms = append(ms, events.Metric{Namespace: "AWS/WAFV2", Name: name, Dimensions: dims, Value: 1, Unit: "Count", Time: now})
	}
	terminated := false
	for _, rl := range d.Matched {
		terminal := rl.Action.Kind != waf.Count
		terminated = terminated || terminal
		if av.Sampled && rl.Visibility.Sampled {
			code := 0
			if terminal {
				code = status
			}
			w.samples.add(sampleKey{acl.ARN, rl.Visibility.Metric}, sampled(r, req, rl.Action, rl.Within, d.Labels, code, now))
		}
		if av.Metrics && rl.Visibility.Metrics {
			metric(metricName(rl.Action.Kind), rl.Visibility.Metric)
		}
	}
	if !terminated && av.Sampled {
		w.samples.add(sampleKey{acl.ARN, av.Metric}, sampled(r, req, d.Action, "", d.Labels, status, now))
	}
	if av.Metrics {
		metric(metricName(d.Action.Kind), "ALL")
	}
	w.bus.PublishMetrics(sc.Account, sc.Region, ms...)
}

func metricName(kind string) string {
	switch kind {
	case waf.Block:
		return "BlockedRequests"
	case waf.Count:
		return "CountedRequests"
	}
	return "AllowedRequests"
}

func sampled(r *http.Request, req *waf.Request, act waf.Action, within string, labels []string, status int, now time.Time) wafv2api.SampledHTTPRequest {
	hr := &wafv2api.HTTPRequest{URI: ptr.To(req.Path), Method: ptr.To(req.Method), HTTPVersion: ptr.To(r.Proto), Headers: []wafv2api.HTTPHeader{}}
	if req.ClientIP.IsValid() {
		hr.ClientIP = ptr.To(req.ClientIP.String())
	}
	if req.Country != "" {
		hr.Country = ptr.To(req.Country)
	}
	names := make([]string, 0, len(req.Header))
	for n := range req.Header {
		names = append(names, n)
	}
	sort.Strings(names)
	size := 0
	header := func(n, v string) {
		if size += len(n) + len(v); size <= maxSampleHeaders {
			hr.Headers = append(hr.Headers, wafv2api.HTTPHeader{Name: ptr.To(n), Value: ptr.To(v)})
		}
	}
	if r.Host != "" {
		header("Host", r.Host)
	}
	for _, n := range names {
		for _, v := range req.Header[n] {
			header(n, v)
		}
	}
	out := wafv2api.SampledHTTPRequest{Request: hr, Weight: ptr.To(int64(1)), Timestamp: ptr.To(now), Action: ptr.To(act.Kind)}
	if within != "" {
		out.RuleNameWithinRuleGroup = ptr.To(within)
	}
	if act.Kind != waf.Block {
		for _, h := range act.Insert {
			out.RequestHeadersInserted = append(out.RequestHeadersInserted, wafv2api.HTTPHeader{Name: ptr.To("x-amzn-waf-" + h[0]), Value: ptr.To(h[1])})
		}
	}
	if status != 0 {
		out.ResponseCodeSent = ptr.To(int32(status))
	}
	for _, l := range labels {
		out.Labels = append(out.Labels, wafv2api.Label{Name: ptr.To(l)})
	}
	return out
}

// GetSampledRequests answers the sample niwa kept of the requests a
// rule (or, by the web ACL's metric name, its default action) saw in a
// time window of the last 3 hours, at most MaxItems of them.
func (w *WAF) GetSampledRequests(ctx *request.Context, in *wafv2api.GetSampledRequestsRequest) (*wafv2api.GetSampledRequestsResponse, error) {
	aclARN, metric := ptr.Deref(in.WebAclArn), ptr.Deref(in.RuleMetricName)
	max := ptr.Deref(in.MaxItems)
	if max < 1 || max > maxSamples {
		return nil, invalid("MAX_ITEMS", strconv.FormatInt(max, 10), "The value must be between 1 and 500.")
	}
	if in.TimeWindow == nil || in.TimeWindow.StartTime == nil || in.TimeWindow.EndTime == nil {
		return nil, invalid("TIME_WINDOW", "null", "A required field is missing.")
	}
	now := w.clock.Now()
	start, end := *in.TimeWindow.StartTime, *in.TimeWindow.EndTime
	if end.Before(start) {
		return nil, invalid("TIME_WINDOW", start.UTC().Format(time.RFC3339), "The end time must be after the start time.")
	}
	if start.Before(now.Add(-sampleWindow)) {
		return nil, invalid("TIME_WINDOW", start.UTC().Format(time.RFC3339), "The time window must be within the previous 3 hours.")
	}
	sc := scopeOf(ctx)
	err := w.store.View(func(tx storage.Tx) error {
		e, ok, err := entityByARN(tx, sc, aclARN)
		if err != nil {
			return err
		}
		if !ok || e.Kind != kindWebACL {
			return nonexistent()
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if end.After(now) && !now.Before(start) {
		end = now // the window actually searched ends now, as AWS answers
	}
	all := w.samples.between(sampleKey{aclARN, metric}, start, end)
	out := &wafv2api.GetSampledRequestsResponse{PopulationSize: ptr.To(int64(len(all))),
		TimeWindow: &wafv2api.TimeWindow{StartTime: ptr.To(start), EndTime: ptr.To(end)}, SampledRequests: []wafv2api.SampledHTTPRequest{}}
	if int64(len(all)) > max {
		all = all[int64(len(all))-max:] // the newest
	}
	out.SampledRequests = append(out.SampledRequests, all...)
	return out, nil
}

// GetRateBasedStatementManagedKeys lists the addresses a rate-based
// rule of a web ACL is limiting now: those over its limit in its window
// of niwa's clock (a rule group's rule by RuleGroupRuleName).
func (w *WAF) GetRateBasedStatementManagedKeys(ctx *request.Context, in *wafv2api.GetRateBasedStatementManagedKeysRequest) (*wafv2api.GetRateBasedStatementManagedKeysResponse, error) {
	e, err := w.get(ctx, kindWebACL, ptr.Deref(in.Scope), ptr.Deref(in.WebACLName), ptr.Deref(in.WebACLId))
	if err != nil {
		return nil, err
	}
	var acl *waf.ACL
	if err := w.store.View(func(tx storage.Tx) error { return w.compileARN(tx, scopeOf(ctx), e.ARN, &acl) }); err != nil {
		return nil, err
	}
	name, within := ptr.Deref(in.RuleName), ptr.Deref(in.RuleGroupRuleName)
	var rule *waf.Rule
	for i, rl := range acl.Rules {
		if within == "" && rl.Within == "" && rl.Name == name || within != "" && rl.Within == within {
			rule = &acl.Rules[i]
			break
		}
	}
	if rule == nil {
		return nil, nonexistent()
	}
	if _, ok := rule.Statement.(waf.RateBased); !ok {
		return nil, invalid("RULE", name, "The rule is not a rate-based rule.")
	}
	v4 := &wafv2api.RateBasedStatementManagedKeysIPSet{IPAddressVersion: ptr.To("IPV4"), Addresses: []string{}}
	v6 := &wafv2api.RateBasedStatementManagedKeysIPSet{IPAddressVersion: ptr.To("IPV6"), Addresses: []string{}}
	for _, a := range w.rates.Limited(acl.ARN, *rule, w.clock.Now()) {
		if a.Is4() {
			v4.Addresses = append(v4.Addresses, a.String()+"/32")
		} else {
			v6.Addresses = append(v6.Addresses, a.String()+"/128")
		}
	}
	return &wafv2api.GetRateBasedStatementManagedKeysResponse{ManagedKeysIPV4: v4, ManagedKeysIPV6: v6}, nil
}
