// Package waf evaluates AWS WAF (wafv2) web ACLs against HTTP requests.
// The wafv2 service compiles its stored web ACLs into an ACL; a data
// plane (the Application Load Balancer today; API Gateway stages and
// CloudFront distributions through the same hook) asks Evaluate before
// it routes a request and answers Block itself with Respond.
//
// The engine knows nothing of storage: an ACL is a value built from the
// API's shapes, and rate-based statements count in a Rates the caller
// keeps (one per niwa, dropped on reset), on the time it is given (the
// platform clock), so tests move time instead of sleeping.
package waf

import (
	"net/http"
	"net/netip"
	"sort"
	"sync"
	"time"
)

// Action kinds, as the API names them.
const (
	Allow = "ALLOW"
	Block = "BLOCK"
	Count = "COUNT"
)

// Action is what a rule or the default action does.
type Action struct {
	Kind string
	// Status, Headers and BodyKey are a Block's custom response;
	// Status 0 is AWS's default 403 page.
	Status  int
	Headers [][2]string
	BodyKey string
	// Insert are the headers an Allow or Count adds to the request
	// (CustomRequestHandling), prefixed x-amzn-waf- as AWS does.
	Insert [][2]string
}

// Body is a custom response body.
type Body struct {
	ContentType string // TEXT_PLAIN, TEXT_HTML, APPLICATION_JSON
	Content     string
}

// Rule is one rule of an ACL.
type Rule struct {
	Name      string
	Priority  int
	Statement Statement
	Action    Action
	// Labels are added to the request when the rule matches, already
	// qualified with the ACL's namespace.
	Labels []string
	// Visibility is the rule's VisibilityConfig (a rule group's rules
	// report under the referring rule's); Within is the rule's name
	// inside its rule group, "" for a rule of the ACL itself.
	Visibility Visibility
	Within     string
}

// Visibility is what a web ACL or rule asks AWS to record of the
// requests it sees: a sample (GetSampledRequests) and CloudWatch
// metrics, under Metric.
type Visibility struct {
	Metric  string
	Sampled bool
	Metrics bool
}

// ACL is a compiled web ACL.
type ACL struct {
	ARN     string
	Default Action
	Rules   []Rule
	Bodies  map[string]Body
	// Visibility is the web ACL's own, that of its default action and
	// of its totals.
	Visibility Visibility
}

// Request is what statements inspect.
type Request struct {
	Method   string
	Path     string
	RawQuery string
	Header   http.Header
	// Body is the inspected prefix of the body (AWS inspects the first
	// 8 KiB behind an ALB).
	Body []byte
	// ClientIP is the connection's peer address.
	ClientIP netip.Addr
	// Country is the ISO 3166 country of the client, from niwa's
	// configurable client location (docs/waf.md); "" matches no
	// GeoMatch.
	Country string
}

// Decision is the outcome of an evaluation.
type Decision struct {
	Action Action
	// Rule is the terminating rule's name; "" for the default action.
	Rule string
	// Labels are every label the matching rules added.
	Labels []string
	// Counted are the rules that matched with Count.
	Counted []string
	// Matched are the rules that matched, in evaluation order: the
	// counting ones, then the terminating one (none for the default
	// action).
	Matched []Rule
}

// eval is the state of one evaluation.
type eval struct {
	req    *Request
	now    time.Time
	rates  *Rates
	acl    string
	rule   string
	labels []string
}

// Statement is one match condition.
type Statement interface {
	match(e *eval) bool
}

// Evaluate runs the rules by priority: the first matching Allow or
// Block ends evaluation, a Count adds its labels and goes on; with no
// terminating match the default action applies. Rate-based statements
// count each request they see in rates at now.
func (a *ACL) Evaluate(r *Request, now time.Time, rates *Rates) Decision {
	rules := append([]Rule(nil), a.Rules...)
	sort.SliceStable(rules, func(i, j int) bool { return rules[i].Priority < rules[j].Priority })
	e := &eval{req: r, now: now, rates: rates, acl: a.ARN}
	var d Decision
	for _, rl := range rules {
		e.rule = rl.Name
		if rl.Statement == nil || !rl.Statement.match(e) {
			continue
		}
		e.labels = append(e.labels, rl.Labels...)
		if rl.Action.Kind == Count {
			d.Counted = append(d.Counted, rl.Name)
			d.Matched = append(d.Matched, rl)
			continue
		}
		d.Matched = append(d.Matched, rl)
		d.Action, d.Rule, d.Labels = rl.Action, rl.Name, e.labels
		return d
	}
	d.Action, d.Labels = a.Default, e.labels
	return d
}

// Rates holds the request counts of rate-based statements. It is a
// cache: losing it (reset, restart) starts every window again, as a
// rule update does on AWS.
type Rates struct {
	mu sync.Mutex
	// counts[key][unix second] is how many requests key made then.
	counts map[string]map[int64]int64
}

// maxRateKeys bounds the memory of Rates; the oldest keys go first.
const maxRateKeys = 10000

// hit counts one request of key at now and returns how many key made
// in the window ending now.
func (r *Rates) hit(key string, now time.Time, window time.Duration) int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.counts == nil {
		r.counts = map[string]map[int64]int64{}
	}
	start := now.Add(-window).Unix()
	m := r.counts[key]
	if m == nil {
		if len(r.counts) >= maxRateKeys {
			r.pruneLocked(start)
		}
		m = map[int64]int64{}
		r.counts[key] = m
	}
	m[now.Unix()]++
	var n int64
	for sec, c := range m {
		if sec <= start {
			delete(m, sec)
			continue
		}
		n += c
	}
	return n
}

func (r *Rates) pruneLocked(start int64) {
	for k, m := range r.counts {
		for sec := range m {
			if sec <= start {
				delete(m, sec)
			}
		}
		if len(m) == 0 {
			delete(r.counts, k)
		}
	}
	for k := range r.counts {
		if len(r.counts) < maxRateKeys {
			break
		}
		delete(r.counts, k)
	}
}

// Reset forgets every count.
func (r *Rates) Reset() {
	r.mu.Lock()
	r.counts = nil
	r.mu.Unlock()
}
