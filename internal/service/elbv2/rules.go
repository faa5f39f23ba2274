package elbv2

import (
	"net/netip"
	"strconv"
	"strings"

	elbv2api "github.com/niwa-cloud/niwa/internal/api/elbv2"
	"github.com/niwa-cloud/niwa/internal/iam"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// conditionValues are a condition's values, from its config or from the
// older Values member.
func conditionValues(c elbv2api.RuleCondition) []string {
	switch ptr.Deref(c.Field) {
	case "host-header":
		if c.HostHeaderConfig != nil {
			return c.HostHeaderConfig.Values
		}
	case "path-pattern":
		if c.PathPatternConfig != nil {
			return c.PathPatternConfig.Values
		}
	case "http-header":
		if c.HttpHeaderConfig != nil {
			return c.HttpHeaderConfig.Values
		}
	case "http-request-method":
		if c.HttpRequestMethodConfig != nil {
			return c.HttpRequestMethodConfig.Values
		}
	case "source-ip":
		if c.SourceIpConfig != nil {
			return c.SourceIpConfig.Values
		}
	}
	return c.Values
}

// checkConditions validates rule conditions (ALB's limits: at most 5
// values in all, each at most 128 characters).
func checkConditions(cs []elbv2api.RuleCondition) error {
	total := 0
	for _, c := range cs {
		f := ptr.Deref(c.Field)
		vals := conditionValues(c)
		switch f {
		case "host-header", "path-pattern", "http-request-method":
			if len(vals) == 0 {
				return validationError("A condition value must be specified for field '%s'", f)
			}
		case "http-header":
			if c.HttpHeaderConfig == nil || ptr.Deref(c.HttpHeaderConfig.HttpHeaderName) == "" || len(vals) == 0 {
				return validationError("An HTTP header name and values must be specified for 'http-header' conditions")
			}
		case "query-string":
			if c.QueryStringConfig == nil || len(c.QueryStringConfig.Values) == 0 {
				return validationError("Query string key/value pairs must be specified for 'query-string' conditions")
			}
			total += len(c.QueryStringConfig.Values)
			continue
		case "source-ip":
			for _, v := range vals {
				if _, err := netip.ParsePrefix(v); err != nil {
					return validationError("The source IP '%s' is not a valid CIDR block", v)
				}
			}
		default:
			return validationError("Condition field '%s' must be one of '[http-header, http-request-method, host-header, path-pattern, query-string, source-ip]'", f)
		}
		for _, v := range vals {
			if len(v) > 128 {
				return validationError("Condition value '%s' must be at most 128 characters", v)
			}
		}
		total += len(vals)
	}
	if total > 5 {
		return validationError("A rule can only have '5' condition values")
	}
	return nil
}

// CreateRule adds a rule to a listener at a priority no other rule has.
func (s *ELBv2) CreateRule(ctx *request.Context, in *elbv2api.CreateRuleInput) (*elbv2api.CreateRuleOutput, error) {
	prio := int(ptr.Deref(in.Priority))
	if prio < 1 || prio > 50000 {
		return nil, validationError("Priority must be between 1 and 50000")
	}
	if len(in.Conditions) == 0 {
		return nil, validationError("At least one condition must be specified")
	}
	if err := checkConditions(in.Conditions); err != nil {
		return nil, err
	}
	var out ruleRec
	err := s.store.Update(func(tx storage.Tx) error {
		sc := scope(ctx)
		l, err := findListener(tx, sc, ptr.Deref(in.ListenerArn))
		if err != nil {
			return err
		}
		lbr, err := getLB(tx, sc, l.LB)
		if err != nil {
			return err
		}
		if lbr.Type != "application" {
			return validationError("Rules are supported only by Application Load Balancers")
		}
		rs, err := listRules(tx, sc, l.ARN)
		if err != nil {
			return err
		}
		n := 0
		for _, r := range rs {
			if r.Priority == prio {
				return elbv2api.ErrPriorityInUseException.New("Priority '%d' is currently in use", prio)
			}
			if r.Priority != 0 {
				n++
			}
		}
		if n >= maxRulesPerLB {
			return elbv2api.ErrTooManyRulesException.New("You've reached the limit on the number of rules per load balancer")
		}
		if err := checkActions(tx, sc, lbr, l.Protocol, in.Actions, false); err != nil {
			return err
		}
		out = ruleRec{ARN: ruleARN(l.ARN), Listener: l.ARN, Priority: prio, Conditions: in.Conditions, Actions: in.Actions, Tags: in.Tags}
		return rules.Put(tx, sc, out, l.ARN, out.ARN)
	})
	if err != nil {
		return nil, err
	}
	return &elbv2api.CreateRuleOutput{Rules: []elbv2api.Rule{ruleOut(out)}}, nil
}

func ruleOut(r ruleRec) elbv2api.Rule {
	prio := "default"
	if r.Priority != 0 {
		prio = strconv.Itoa(r.Priority)
	}
	conds := r.Conditions
	if conds == nil {
		conds = []elbv2api.RuleCondition{}
	}
	// AWS answers both the Values member and the config for host-header
	// and path-pattern conditions given either way.
	out := make([]elbv2api.RuleCondition, 0, len(conds))
	for _, c := range conds {
		vals := conditionValues(c)
		switch ptr.Deref(c.Field) {
		case "host-header":
			c.Values, c.HostHeaderConfig = vals, &elbv2api.HostHeaderConditionConfig{Values: vals}
		case "path-pattern":
			c.Values, c.PathPatternConfig = vals, &elbv2api.PathPatternConditionConfig{Values: vals}
		}
		out = append(out, c)
	}
	return elbv2api.Rule{RuleArn: ptr.To(r.ARN), Priority: ptr.To(prio), Conditions: out, Actions: r.Actions, IsDefault: ptr.To(r.Priority == 0)}
}

func findRule(tx storage.Tx, sc storage.Scope, arn string) (ruleRec, error) {
	l, ok := ruleListener(arn)
	if !ok {
		return ruleRec{}, ruleNotFound()
	}
	r, found, err := rules.Get(tx, sc, l, arn)
	if err != nil {
		return r, err
	}
	if !found {
		return r, ruleNotFound()
	}
	return r, nil
}

// DescribeRules lists a listener's rules in priority order, or the
// rules named.
func (s *ELBv2) DescribeRules(ctx *request.Context, in *elbv2api.DescribeRulesInput) (*elbv2api.DescribeRulesOutput, error) {
	la := ptr.Deref(in.ListenerArn)
	if la == "" && len(in.RuleArns) == 0 {
		return nil, validationError("You must specify either listener ARN or rule ARNs")
	}
	var all []ruleRec
	err := s.store.View(func(tx storage.Tx) error {
		sc := scope(ctx)
		if la != "" {
			if _, err := findListener(tx, sc, la); err != nil {
				return err
			}
			var err error
			all, err = listRules(tx, sc, la)
			return err
		}
		for _, a := range in.RuleArns {
			r, err := findRule(tx, sc, a)
			if err != nil {
				return err
			}
			all = append(all, r)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	pg, next, err := page(all, in.Marker, in.PageSize)
	if err != nil {
		return nil, err
	}
	out := &elbv2api.DescribeRulesOutput{NextMarker: next, Rules: []elbv2api.Rule{}}
	for _, r := range pg {
		out.Rules = append(out.Rules, ruleOut(r))
	}
	return out, nil
}

// ModifyRule replaces a rule's conditions or actions (the default rule's
// actions only).
func (s *ELBv2) ModifyRule(ctx *request.Context, in *elbv2api.ModifyRuleInput) (*elbv2api.ModifyRuleOutput, error) {
	if in.Conditions != nil {
		if err := checkConditions(in.Conditions); err != nil {
			return nil, err
		}
	}
	var out ruleRec
	err := s.store.Update(func(tx storage.Tx) error {
		sc := scope(ctx)
		r, err := findRule(tx, sc, ptr.Deref(in.RuleArn))
		if err != nil {
			return err
		}
		l, err := findListener(tx, sc, r.Listener)
		if err != nil {
			return err
		}
		if in.Conditions != nil {
			if r.Priority == 0 {
				return elbv2api.ErrOperationNotPermittedException.New("Conditions cannot be modified for the default rule")
			}
			r.Conditions = in.Conditions
		}
		if in.Actions != nil {
			lbr, err := getLB(tx, sc, l.LB)
			if err != nil {
				return err
			}
			if err := checkActions(tx, sc, lbr, l.Protocol, in.Actions, r.Priority == 0); err != nil {
				return err
			}
			r.Actions = in.Actions
			if r.Priority == 0 {
				l.Default = in.Actions
				if err := listeners.Put(tx, sc, l, l.LB, l.ARN); err != nil {
					return err
				}
			}
		}
		out = r
		return rules.Put(tx, sc, r, r.Listener, r.ARN)
	})
	if err != nil {
		return nil, err
	}
	return &elbv2api.ModifyRuleOutput{Rules: []elbv2api.Rule{ruleOut(out)}}, nil
}

// DeleteRule deletes a rule; the default rule goes only with its listener.
func (s *ELBv2) DeleteRule(ctx *request.Context, in *elbv2api.DeleteRuleInput) (*elbv2api.DeleteRuleOutput, error) {
	err := s.store.Update(func(tx storage.Tx) error {
		r, err := findRule(tx, scope(ctx), ptr.Deref(in.RuleArn))
		if err != nil {
			return err
		}
		if r.Priority == 0 {
			return elbv2api.ErrOperationNotPermittedException.New("Default rule '%s' cannot be deleted", r.ARN)
		}
		return rules.Delete(tx, scope(ctx), r.Listener, r.ARN)
	})
	if err != nil {
		return nil, err
	}
	return &elbv2api.DeleteRuleOutput{}, nil
}

// SetRulePriorities changes the priorities of rules of one listener,
// all at once.
func (s *ELBv2) SetRulePriorities(ctx *request.Context, in *elbv2api.SetRulePrioritiesInput) (*elbv2api.SetRulePrioritiesOutput, error) {
	var changed []ruleRec
	err := s.store.Update(func(tx storage.Tx) error {
		sc := scope(ctx)
		listener := ""
		want := map[string]int{}
		seen := map[int]bool{}
		for _, p := range in.RulePriorities {
			prio := int(ptr.Deref(p.Priority))
			if prio < 1 || prio > 50000 {
				return validationError("Priority must be between 1 and 50000")
			}
			if seen[prio] {
				return elbv2api.ErrPriorityInUseException.New("Priority '%d' is currently in use", prio)
			}
			seen[prio] = true
			r, err := findRule(tx, sc, ptr.Deref(p.RuleArn))
			if err != nil {
				return err
			}
			if r.Priority == 0 {
				return elbv2api.ErrOperationNotPermittedException.New("Default rule '%s' cannot have its priority changed", r.ARN)
			}
			if listener != "" && r.Listener != listener {
				return validationError("Rules must all belong to the same listener")
			}
			listener = r.Listener
			want[r.ARN] = prio
		}
		rs, err := listRules(tx, sc, listener)
		if err != nil {
			return err
		}
		for _, r := range rs {
			if _, moving := want[r.ARN]; !moving && r.Priority != 0 && seen[r.Priority] {
				return elbv2api.ErrPriorityInUseException.New("Priority '%d' is currently in use", r.Priority)
			}
		}
		for _, r := range rs {
			if p, ok := want[r.ARN]; ok {
				r.Priority = p
				if err := rules.Put(tx, sc, r, r.Listener, r.ARN); err != nil {
					return err
				}
				changed = append(changed, r)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := &elbv2api.SetRulePrioritiesOutput{Rules: []elbv2api.Rule{}}
	for _, r := range changed {
		out.Rules = append(out.Rules, ruleOut(r))
	}
	return out, nil
}

// matchRule reports whether a request matches all of a rule's conditions.
func matchRule(conds []elbv2api.RuleCondition, q reqInfo) bool {
	for _, c := range conds {
		if !matchCondition(c, q) {
			return false
		}
	}
	return true
}

func matchCondition(c elbv2api.RuleCondition, q reqInfo) bool {
	vals := conditionValues(c)
	any := func(f func(string) bool) bool {
		for _, v := range vals {
			if f(v) {
				return true
			}
		}
		return false
	}
	switch ptr.Deref(c.Field) {
	case "host-header":
		return any(func(v string) bool { return iam.Glob(strings.ToLower(v), strings.ToLower(q.host)) })
	case "path-pattern":
		return any(func(v string) bool { return iam.Glob(v, q.path) })
	case "http-header":
		name := ptr.Deref(c.HttpHeaderConfig.HttpHeaderName)
		got := q.header.Values(name)
		return any(func(v string) bool {
			for _, g := range got {
				if iam.Glob(strings.ToLower(v), strings.ToLower(g)) {
					return true
				}
			}
			return false
		})
	case "http-request-method":
		return any(func(v string) bool { return v == q.method })
	case "query-string":
		for _, kv := range c.QueryStringConfig.Values {
			k, v := ptr.Deref(kv.Key), strings.ToLower(ptr.Deref(kv.Value))
			for qk, qvs := range q.query {
				if k != "" && !iam.Glob(strings.ToLower(k), strings.ToLower(qk)) {
					continue
				}
				for _, qv := range qvs {
					if iam.Glob(v, strings.ToLower(qv)) {
						return true
					}
				}
			}
		}
		return false
	case "source-ip":
		return any(func(v string) bool {
			p, err := netip.ParsePrefix(v)
			return err == nil && q.source.IsValid() && p.Contains(q.source)
		})
	}
	return false
}
