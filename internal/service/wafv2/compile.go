package wafv2

import (
	"regexp"
	"sort"
	"strings"
	"time"

	wafv2api "github.com/niwa-cloud/niwa/internal/api/wafv2"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/storage"
	"github.com/niwa-cloud/niwa/internal/waf"
)

// Reasons for what is refused in a rule, said to the client in a
// WAFInvalidParameterException (and listed in docs/waf.md).
const (
	reasonManaged   = "niwa does not ship AWS Managed Rules or Marketplace rule groups; write the rules as your own rule group."
	reasonCaptcha   = "niwa does not serve CAPTCHA puzzles or silent challenges; use Block or Count."
	reasonStatement = "niwa does not evaluate this statement type (SQL injection, XSS, ASN and JSON body matching need AWS's detection sets)."
	reasonField     = "niwa does not inspect this part of the request (JSON body, all headers, cookies, header order, JA3/JA4 fingerprints)."
	reasonTransform = "niwa does not apply this text transformation."
)

// compiler turns the API's rules into the engine's, reading referenced
// sets and rule groups in tx; it is also the validation of Create and
// Update (a rule niwa could not evaluate is refused then, not ignored).
type compiler struct {
	tx storage.Tx
	sc storage.Scope
	// scope is the web ACL's (REGIONAL or CLOUDFRONT); references to the
	// other scope are refused, as AWS does.
	scope string
	// namespace prefixes rule labels: awswaf:<account>:webacl:<name>:
	namespace string
	// depth bounds nesting of rule group references (AWS allows none
	// inside a rule group).
	depth int
}

func (c *compiler) acl(a *wafv2api.WebACL) (*waf.ACL, error) {
	out := &waf.ACL{ARN: ptr.Deref(a.ARN), Bodies: bodies(a.CustomResponseBodies), Visibility: visibility(a.VisibilityConfig)}
	def, err := c.defaultAction(a.DefaultAction)
	if err != nil {
		return nil, err
	}
	out.Default = def
	if out.Rules, err = c.rules(a.Rules); err != nil {
		return nil, err
	}
	return out, nil
}

func visibility(v *wafv2api.VisibilityConfig) waf.Visibility {
	if v == nil {
		return waf.Visibility{}
	}
	return waf.Visibility{Metric: ptr.Deref(v.MetricName), Sampled: ptr.Deref(v.SampledRequestsEnabled), Metrics: ptr.Deref(v.CloudWatchMetricsEnabled)}
}

func bodies(m map[string]wafv2api.CustomResponseBody) map[string]waf.Body {
	out := map[string]waf.Body{}
	for k, b := range m {
		out[k] = waf.Body{ContentType: ptr.Deref(b.ContentType), Content: ptr.Deref(b.Content)}
	}
	return out
}

func (c *compiler) defaultAction(d *wafv2api.DefaultAction) (waf.Action, error) {
	switch {
	case d == nil:
		return waf.Action{}, invalid("DEFAULT_ACTION", "null", "A required field is missing.")
	case d.Block != nil:
		return blockAction(d.Block), nil
	case d.Allow != nil:
		return waf.Action{Kind: waf.Allow, Insert: inserted(d.Allow.CustomRequestHandling)}, nil
	}
	return waf.Action{}, invalid("DEFAULT_ACTION", "{}", "The action must have exactly one of Allow or Block.")
}

func blockAction(b *wafv2api.BlockAction) waf.Action {
	a := waf.Action{Kind: waf.Block}
	if r := b.CustomResponse; r != nil {
		a.Status = int(ptr.Deref(r.ResponseCode))
		a.BodyKey = ptr.Deref(r.CustomResponseBodyKey)
		for _, h := range r.ResponseHeaders {
			a.Headers = append(a.Headers, [2]string{ptr.Deref(h.Name), ptr.Deref(h.Value)})
		}
	}
	return a
}

func inserted(h *wafv2api.CustomRequestHandling) [][2]string {
	if h == nil {
		return nil
	}
	var out [][2]string
	for _, x := range h.InsertHeaders {
		out = append(out, [2]string{ptr.Deref(x.Name), ptr.Deref(x.Value)})
	}
	return out
}

func (c *compiler) rules(rs []wafv2api.Rule) ([]waf.Rule, error) {
	seen := map[string]bool{}
	prio := map[int32]bool{}
	var out []waf.Rule
	for _, r := range rs {
		name := ptr.Deref(r.Name)
		if seen[name] || prio[ptr.Deref(r.Priority)] {
			return nil, duplicate()
		}
		seen[name], prio[ptr.Deref(r.Priority)] = true, true
		if r.Statement == nil {
			return nil, invalid("STATEMENT", "null", "A required field is missing.")
		}
		if r.Statement.RuleGroupReferenceStatement != nil {
			group, err := c.ruleGroup(r)
			if err != nil {
				return nil, err
			}
			out = append(out, group...)
			continue
		}
		if r.Statement.ManagedRuleGroupStatement != nil {
			return nil, invalid("MANAGED_RULE_SET_STATEMENT", "ManagedRuleGroupStatement", reasonManaged)
		}
		st, err := c.statement(r.Statement)
		if err != nil {
			return nil, err
		}
		act, err := c.ruleAction(r.Action)
		if err != nil {
			return nil, err
		}
		rule := waf.Rule{Name: name, Priority: int(ptr.Deref(r.Priority)), Statement: st, Action: act, Visibility: visibility(r.VisibilityConfig)}
		for _, l := range r.RuleLabels {
			rule.Labels = append(rule.Labels, c.namespace+ptr.Deref(l.Name))
		}
		out = append(out, rule)
	}
	return out, nil
}

func (c *compiler) ruleAction(a *wafv2api.RuleAction) (waf.Action, error) {
	switch {
	case a == nil:
		return waf.Action{}, invalid("RULE_ACTION", "null", "A required field is missing.")
	case a.Captcha != nil || a.Challenge != nil:
		return waf.Action{}, invalid("RULE_ACTION", "Captcha/Challenge", reasonCaptcha)
	case a.Block != nil:
		return blockAction(a.Block), nil
	case a.Allow != nil:
		return waf.Action{Kind: waf.Allow, Insert: inserted(a.Allow.CustomRequestHandling)}, nil
	case a.Count != nil:
		return waf.Action{Kind: waf.Count, Insert: inserted(a.Count.CustomRequestHandling)}, nil
	}
	return waf.Action{}, invalid("RULE_ACTION", "{}", "The action must have exactly one of Allow, Block or Count.")
}

// ruleGroup inlines a referenced rule group's rules at the referring
// rule's priority (their own priorities order them inside it).
func (c *compiler) ruleGroup(r wafv2api.Rule) ([]waf.Rule, error) {
	ref := r.Statement.RuleGroupReferenceStatement
	if c.depth > 0 {
		return nil, invalid("RULE_GROUP_REFERENCE_STATEMENT", ptr.Deref(ref.ARN), "A rule group cannot reference another rule group.")
	}
	e, ok, err := entityByARN(c.tx, c.sc, ptr.Deref(ref.ARN))
	if err != nil {
		return nil, err
	}
	if !ok || e.RuleGroup == nil || e.Scope != c.scope {
		return nil, nonexistent()
	}
	sub := *c
	sub.depth++
	sub.namespace = "awswaf:" + c.sc.Account + ":rulegroup:" + e.Name + ":"
	rules, err := sub.rules(e.RuleGroup.Rules)
	if err != nil {
		return nil, err
	}
	excluded := map[string]bool{}
	for _, x := range ref.ExcludedRules {
		excluded[ptr.Deref(x.Name)] = true
	}
	overrides := map[string]*wafv2api.RuleAction{}
	for _, o := range ref.RuleActionOverrides {
		overrides[ptr.Deref(o.Name)] = o.ActionToUse
	}
	countAll := r.OverrideAction != nil && r.OverrideAction.Count != nil
	sort.SliceStable(rules, func(i, j int) bool { return rules[i].Priority < rules[j].Priority })
	base := int(ptr.Deref(r.Priority))
	for i := range rules {
		if o := overrides[rules[i].Name]; o != nil {
			if rules[i].Action, err = c.ruleAction(o); err != nil {
				return nil, err
			}
		}
		// A group's rules are sampled and counted under the referring
		// rule's metric name, with their own name within the group, as
		// AWS reports them.
		rules[i].Within, rules[i].Visibility = rules[i].Name, visibility(r.VisibilityConfig)
		if excluded[rules[i].Name] || countAll {
			rules[i].Action = waf.Action{Kind: waf.Count}
		}
		// Inside the group, in the group's order, at the referring
		// rule's place among the ACL's rules.
		rules[i].Priority = base
		rules[i].Name = ptr.Deref(r.Name) + "/" + rules[i].Name
	}
	return rules, nil
}

func (c *compiler) statement(s *wafv2api.Statement) (waf.Statement, error) {
	switch {
	case s == nil:
		return nil, invalid("STATEMENT", "null", "A required field is missing.")
	case s.ByteMatchStatement != nil:
		b := s.ByteMatchStatement
		f, ts, err := c.field(b.FieldToMatch, b.TextTransformations)
		if err != nil {
			return nil, err
		}
		return waf.ByteMatch{Field: f, Transforms: ts, Search: string(b.SearchString), Position: ptr.Deref(b.PositionalConstraint)}, nil
	case s.RegexMatchStatement != nil:
		m := s.RegexMatchStatement
		f, ts, err := c.field(m.FieldToMatch, m.TextTransformations)
		if err != nil {
			return nil, err
		}
		re, err := regexp.Compile(ptr.Deref(m.RegexString))
		if err != nil {
			return nil, invalid("STATEMENT", ptr.Deref(m.RegexString), "The regex is not valid.")
		}
		return waf.RegexMatch{Field: f, Transforms: ts, Patterns: []*regexp.Regexp{re}}, nil
	case s.RegexPatternSetReferenceStatement != nil:
		m := s.RegexPatternSetReferenceStatement
		f, ts, err := c.field(m.FieldToMatch, m.TextTransformations)
		if err != nil {
			return nil, err
		}
		e, err := c.ref(ptr.Deref(m.ARN), kindRegex)
		if err != nil {
			return nil, err
		}
		var ps []*regexp.Regexp
		for _, r := range e.Regex.RegularExpressionList {
			re, err := regexp.Compile(ptr.Deref(r.RegexString))
			if err != nil {
				return nil, invalid("REGEX_PATTERN_SET", ptr.Deref(r.RegexString), "The regex is not valid.")
			}
			ps = append(ps, re)
		}
		return waf.RegexMatch{Field: f, Transforms: ts, Patterns: ps}, nil
	case s.SizeConstraintStatement != nil:
		m := s.SizeConstraintStatement
		f, ts, err := c.field(m.FieldToMatch, m.TextTransformations)
		if err != nil {
			return nil, err
		}
		return waf.SizeConstraint{Field: f, Transforms: ts, Op: ptr.Deref(m.ComparisonOperator), Size: ptr.Deref(m.Size)}, nil
	case s.IPSetReferenceStatement != nil:
		m := s.IPSetReferenceStatement
		e, err := c.ref(ptr.Deref(m.ARN), kindIPSet)
		if err != nil {
			return nil, err
		}
		ps, err := waf.ParseAddresses(e.IPSet.Addresses)
		if err != nil {
			return nil, invalid("IP_ADDRESS", err.Error(), "Illegal parameter.")
		}
		out := waf.IPSet{Prefixes: ps}
		if f := m.IPSetForwardedIPConfig; f != nil {
			out.Forwarded = &waf.Forwarded{Header: ptr.Deref(f.HeaderName), Fallback: ptr.Deref(f.FallbackBehavior), Position: ptr.Deref(f.Position)}
		}
		return out, nil
	case s.GeoMatchStatement != nil:
		m := s.GeoMatchStatement
		return waf.GeoMatch{Countries: m.CountryCodes, Forwarded: forwarded(m.ForwardedIPConfig)}, nil
	case s.LabelMatchStatement != nil:
		m := s.LabelMatchStatement
		return waf.LabelMatch{Scope: ptr.Deref(m.Scope), Key: ptr.Deref(m.Key)}, nil
	case s.RateBasedStatement != nil:
		m := s.RateBasedStatement
		if len(m.CustomKeys) > 0 {
			return nil, invalid("CUSTOM_KEYS", "CustomKeys", "niwa aggregates rate-based rules by IP, FORWARDED_IP or CONSTANT only.")
		}
		out := waf.RateBased{Limit: ptr.Deref(m.Limit), Key: ptr.Deref(m.AggregateKeyType), Forwarded: forwarded(m.ForwardedIPConfig),
			Window: time.Duration(ptr.Deref(m.EvaluationWindowSec)) * time.Second}
		if m.ScopeDownStatement != nil {
			sd, err := c.statement(m.ScopeDownStatement)
			if err != nil {
				return nil, err
			}
			out.ScopeDown = sd
		}
		return out, nil
	case s.AndStatement != nil:
		return c.list(s.AndStatement.Statements, true)
	case s.OrStatement != nil:
		return c.list(s.OrStatement.Statements, false)
	case s.NotStatement != nil:
		in, err := c.statement(s.NotStatement.Statement)
		if err != nil {
			return nil, err
		}
		return waf.Not{Statement: in}, nil
	case s.ManagedRuleGroupStatement != nil:
		return nil, invalid("MANAGED_RULE_SET_STATEMENT", "ManagedRuleGroupStatement", reasonManaged)
	case s.RuleGroupReferenceStatement != nil:
		return nil, invalid("RULE_GROUP_REFERENCE_STATEMENT", "RuleGroupReferenceStatement", "A rule group reference can only be a rule's top-level statement.")
	}
	return nil, invalid("STATEMENT", "Statement", reasonStatement)
}

func forwarded(f *wafv2api.ForwardedIPConfig) *waf.Forwarded {
	if f == nil {
		return nil
	}
	return &waf.Forwarded{Header: ptr.Deref(f.HeaderName), Fallback: ptr.Deref(f.FallbackBehavior)}
}

func (c *compiler) list(ss []wafv2api.Statement, and bool) (waf.Statement, error) {
	if len(ss) < 2 {
		return nil, invalid("STATEMENT", "Statements", "The list must have at least 2 statements.")
	}
	var out []waf.Statement
	for i := range ss {
		st, err := c.statement(&ss[i])
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	if and {
		return waf.And(out), nil
	}
	return waf.Or(out), nil
}

// ref reads a referenced IP set or regex pattern set of the ACL's scope.
func (c *compiler) ref(arn, kind string) (entity, error) {
	e, ok, err := entityByARN(c.tx, c.sc, arn)
	if err != nil {
		return entity{}, err
	}
	if !ok || e.Kind != kind || e.Scope != c.scope {
		return entity{}, nonexistent()
	}
	return e, nil
}

func (c *compiler) field(f *wafv2api.FieldToMatch, ts []wafv2api.TextTransformation) (waf.Field, []waf.Transform, error) {
	if f == nil {
		return waf.Field{}, nil, invalid("FIELD_TO_MATCH", "null", "A required field is missing.")
	}
	var out waf.Field
	switch {
	case f.SingleHeader != nil:
		out = waf.Field{Kind: waf.FieldSingleHeader, Name: strings.ToLower(ptr.Deref(f.SingleHeader.Name))}
	case f.SingleQueryArgument != nil:
		out = waf.Field{Kind: waf.FieldSingleQueryArg, Name: ptr.Deref(f.SingleQueryArgument.Name)}
	case f.AllQueryArguments != nil:
		out = waf.Field{Kind: waf.FieldAllQueryArgs}
	case f.UriPath != nil:
		out = waf.Field{Kind: waf.FieldUriPath}
	case f.QueryString != nil:
		out = waf.Field{Kind: waf.FieldQueryString}
	case f.Body != nil:
		out = waf.Field{Kind: waf.FieldBody}
	case f.Method != nil:
		out = waf.Field{Kind: waf.FieldMethod}
	default:
		return waf.Field{}, nil, invalid("FIELD_TO_MATCH", "FieldToMatch", reasonField)
	}
	sorted := append([]wafv2api.TextTransformation(nil), ts...)
	sort.SliceStable(sorted, func(i, j int) bool { return ptr.Deref(sorted[i].Priority) < ptr.Deref(sorted[j].Priority) })
	var tt []waf.Transform
	for _, t := range sorted {
		x := waf.Transform(ptr.Deref(t.Type))
		if !waf.Supported(x) {
			return waf.Field{}, nil, invalid("TEXT_TRANSFORMATION", string(x), reasonTransform)
		}
		tt = append(tt, x)
	}
	return out, tt, nil
}
