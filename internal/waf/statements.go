package waf

import (
	"net/netip"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Field kinds (FieldToMatch members).
const (
	FieldSingleHeader   = "SingleHeader"
	FieldSingleQueryArg = "SingleQueryArgument"
	FieldAllQueryArgs   = "AllQueryArguments"
	FieldUriPath        = "UriPath"
	FieldQueryString    = "QueryString"
	FieldBody           = "Body"
	FieldMethod         = "Method"
)

// Field is the part of the request a statement inspects.
type Field struct {
	Kind string
	Name string // the header or query argument of Single*
}

// values are the field's values in r; a missing single header or
// argument has none (and matches nothing but a size constraint, which
// sees it as empty).
func (f Field) values(r *Request) []string {
	switch f.Kind {
	case FieldSingleHeader:
		if vs := r.Header.Values(f.Name); len(vs) > 0 {
			return []string{strings.Join(vs, ",")}
		}
		return nil
	case FieldSingleQueryArg:
		q, _ := url.ParseQuery(r.RawQuery)
		for k, vs := range q {
			if strings.EqualFold(k, f.Name) {
				return vs
			}
		}
		return nil
	case FieldAllQueryArgs:
		q, _ := url.ParseQuery(r.RawQuery)
		var out []string
		for _, vs := range q {
			out = append(out, vs...)
		}
		return out
	case FieldUriPath:
		return []string{r.Path}
	case FieldQueryString:
		return []string{r.RawQuery}
	case FieldBody:
		return []string{string(r.Body)}
	case FieldMethod:
		return []string{r.Method}
	}
	return nil
}

// Transform is one text transformation, applied in priority order.
type Transform string

// transform applies ts to s.
func transform(s string, ts []Transform) string {
	for _, t := range ts {
		s = Apply(t, s)
	}
	return s
}

// inspected are f's values of r after ts.
func inspected(r *Request, f Field, ts []Transform) []string {
	vs := f.values(r)
	for i, v := range vs {
		vs[i] = transform(v, ts)
	}
	return vs
}

// ByteMatch is a ByteMatchStatement.
type ByteMatch struct {
	Field      Field
	Transforms []Transform
	Search     string
	// Position: EXACTLY, STARTS_WITH, ENDS_WITH, CONTAINS, CONTAINS_WORD.
	Position string
}

func (b ByteMatch) match(e *eval) bool {
	for _, v := range inspected(e.req, b.Field, b.Transforms) {
		if bytesMatch(v, b.Search, b.Position) {
			return true
		}
	}
	return false
}

func bytesMatch(v, s, pos string) bool {
	switch pos {
	case "EXACTLY":
		return v == s
	case "STARTS_WITH":
		return strings.HasPrefix(v, s)
	case "ENDS_WITH":
		return strings.HasSuffix(v, s)
	case "CONTAINS":
		return strings.Contains(v, s)
	case "CONTAINS_WORD":
		// s bounded by non-word characters (or the ends) on both sides.
		for i := 0; ; {
			j := strings.Index(v[i:], s)
			if j < 0 || s == "" {
				return false
			}
			j += i
			end := j + len(s)
			if (j == 0 || !isWord(v[j-1])) && (end == len(v) || !isWord(v[end])) {
				return true
			}
			i = j + 1
		}
	}
	return false
}

func isWord(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// RegexMatch is a RegexMatchStatement or a RegexPatternSetReference
// (any of Patterns).
type RegexMatch struct {
	Field      Field
	Transforms []Transform
	Patterns   []*regexp.Regexp
}

func (m RegexMatch) match(e *eval) bool {
	for _, v := range inspected(e.req, m.Field, m.Transforms) {
		for _, p := range m.Patterns {
			if p.MatchString(v) {
				return true
			}
		}
	}
	return false
}

// SizeConstraint is a SizeConstraintStatement.
type SizeConstraint struct {
	Field      Field
	Transforms []Transform
	Op         string // EQ NE LE LT GE GT
	Size       int64
}

func (c SizeConstraint) match(e *eval) bool {
	vs := inspected(e.req, c.Field, c.Transforms)
	if len(vs) == 0 {
		vs = []string{""}
	}
	for _, v := range vs {
		n := int64(len(v))
		var ok bool
		switch c.Op {
		case "EQ":
			ok = n == c.Size
		case "NE":
			ok = n != c.Size
		case "LE":
			ok = n <= c.Size
		case "LT":
			ok = n < c.Size
		case "GE":
			ok = n >= c.Size
		case "GT":
			ok = n > c.Size
		}
		if ok {
			return true
		}
	}
	return false
}

// Forwarded says to take the client address from a header.
type Forwarded struct {
	Header string
	// Fallback (MATCH or NO_MATCH) is the result when the header is
	// missing or not an address.
	Fallback string
	// Position (FIRST, LAST, ANY) picks among a comma-separated list
	// (IP set statements only; others use the first).
	Position string
}

// addresses are the client addresses a statement sees; ok false means
// the fallback applies.
func addresses(r *Request, f *Forwarded) ([]netip.Addr, bool) {
	if f == nil {
		return []netip.Addr{r.ClientIP}, r.ClientIP.IsValid()
	}
	h := r.Header.Get(f.Header)
	if h == "" {
		return nil, false
	}
	parts := strings.Split(h, ",")
	switch f.Position {
	case "LAST":
		parts = parts[len(parts)-1:]
	case "ANY":
	default:
		parts = parts[:1]
	}
	var out []netip.Addr
	for _, p := range parts {
		a, err := netip.ParseAddr(strings.TrimSpace(p))
		if err != nil {
			return nil, false
		}
		out = append(out, a.Unmap())
	}
	return out, true
}

// IPSet is an IPSetReferenceStatement with its set's addresses.
type IPSet struct {
	Prefixes  []netip.Prefix
	Forwarded *Forwarded
}

func (s IPSet) match(e *eval) bool {
	as, ok := addresses(e.req, s.Forwarded)
	if !ok {
		return s.Forwarded != nil && s.Forwarded.Fallback == "MATCH"
	}
	for _, a := range as {
		for _, p := range s.Prefixes {
			if p.Contains(a.Unmap()) {
				return true
			}
		}
	}
	return false
}

// GeoMatch is a GeoMatchStatement: the request's country (Request's
// Country; a forwarded address has none in niwa, so the fallback
// applies) among Countries.
type GeoMatch struct {
	Countries []string
	Forwarded *Forwarded
}

func (g GeoMatch) match(e *eval) bool {
	if g.Forwarded != nil {
		return g.Forwarded.Fallback == "MATCH"
	}
	for _, c := range g.Countries {
		if c == e.req.Country && c != "" {
			return true
		}
	}
	return false
}

// LabelMatch is a LabelMatchStatement against the labels earlier rules
// added.
type LabelMatch struct {
	Scope string // LABEL or NAMESPACE
	Key   string
}

func (l LabelMatch) match(e *eval) bool {
	for _, lb := range e.labels {
		if l.Scope == "NAMESPACE" {
			k := strings.TrimSuffix(l.Key, ":") + ":"
			if strings.HasPrefix(lb, k) || strings.Contains(lb, ":"+k) {
				return true
			}
			continue
		}
		if lb == l.Key || strings.HasSuffix(lb, ":"+l.Key) {
			return true
		}
	}
	return false
}

// RateBased is a RateBasedStatement: it matches while the request's key
// sent more than Limit requests (that ScopeDown matched) in the trailing
// Window (300 s unless set, as AWS).
type RateBased struct {
	Limit     int64
	Window    time.Duration
	Key       string // IP, FORWARDED_IP or CONSTANT
	Forwarded *Forwarded
	ScopeDown Statement
}

func (rb RateBased) match(e *eval) bool {
	if rb.ScopeDown != nil && !rb.ScopeDown.match(e) {
		return false
	}
	key := rateKey(e.acl, e.rule)
	switch rb.Key {
	case "CONSTANT":
	case "FORWARDED_IP":
		as, ok := addresses(e.req, rb.Forwarded)
		if !ok {
			return rb.Forwarded != nil && rb.Forwarded.Fallback == "MATCH"
		}
		key += as[0].String()
	default:
		key += e.req.ClientIP.String()
	}
	if e.rates == nil {
		return false
	}
	return e.rates.hit(key, e.now, rb.window()) > rb.Limit
}

func (rb RateBased) window() time.Duration {
	if rb.Window <= 0 {
		return 5 * time.Minute
	}
	return rb.Window
}

// rateKey prefixes the aggregation keys of a rate-based rule of an ACL.
func rateKey(acl, rule string) string { return acl + "#" + rule + "|" }

// Limited is the addresses rule rl of acl is rate limiting at now: the
// IP or forwarded-IP keys over its limit in its window (none for a
// CONSTANT key or a rule that is not rate-based), sorted.
func (r *Rates) Limited(acl string, rl Rule, now time.Time) []netip.Addr {
	rb, ok := rl.Statement.(RateBased)
	if !ok || rb.Key == "CONSTANT" {
		return nil
	}
	prefix := rateKey(acl, rl.Name)
	start := now.Add(-rb.window()).Unix()
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []netip.Addr
	for k, m := range r.counts {
		ip, ok := strings.CutPrefix(k, prefix)
		if !ok {
			continue
		}
		var n int64
		for sec, c := range m {
			if sec > start && sec <= now.Unix() {
				n += c
			}
		}
		if a, err := netip.ParseAddr(ip); err == nil && n > rb.Limit {
			out = append(out, a)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Less(out[j]) })
	return out
}

// And matches when all its statements do.
type And []Statement

func (a And) match(e *eval) bool {
	for _, s := range a {
		if !s.match(e) {
			return false
		}
	}
	return true
}

// Or matches when any of its statements does.
type Or []Statement

func (o Or) match(e *eval) bool {
	for _, s := range o {
		if s.match(e) {
			return true
		}
	}
	return false
}

// Not inverts its statement.
type Not struct{ Statement Statement }

func (n Not) match(e *eval) bool { return !n.Statement.match(e) }

// Match is a statement that always answers M (for tests and refused
// parts compiled away).
type Match bool

func (m Match) match(*eval) bool { return bool(m) }

// ParseAddresses parses an IP set's CIDR list (AWS requires the
// prefix length; a bare address is refused by the caller).
func ParseAddresses(list []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(list))
	for _, s := range list {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, err
		}
		out = append(out, p.Masked())
	}
	return out, nil
}
