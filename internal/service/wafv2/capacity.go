package wafv2

import (
	wafv2api "github.com/niwa-cloud/niwa/internal/api/wafv2"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// CheckCapacity returns the web ACL capacity units (WCUs) rules need,
// by AWS's published costs per statement
// (https://docs.aws.amazon.com/waf/latest/developerguide/aws-waf-capacity-units.html).
func (w *WAF) CheckCapacity(ctx *request.Context, in *wafv2api.CheckCapacityRequest) (*wafv2api.CheckCapacityResponse, error) {
	scope := ptr.Deref(in.Scope)
	if err := w.validate(ctx, scope, "capacity", &wafv2api.WebACL{DefaultAction: &wafv2api.DefaultAction{Allow: &wafv2api.AllowAction{}}, Rules: in.Rules}, nil); err != nil {
		return nil, err
	}
	n, err := w.capacityOf(ctx, in.Rules)
	if err != nil {
		return nil, err
	}
	return &wafv2api.CheckCapacityResponse{Capacity: &n}, nil
}

// capacityOf sums the rules' WCUs; a rule group reference costs the
// group's declared capacity.
func (w *WAF) capacityOf(ctx *request.Context, rules []wafv2api.Rule) (int64, error) {
	var total int64
	err := w.store.View(func(tx storage.Tx) error {
		for _, r := range rules {
			if ref := ptr.Deref(r.Statement).RuleGroupReferenceStatement; ref != nil {
				e, ok, err := entityByARN(tx, scopeOf(ctx), ptr.Deref(ref.ARN))
				if err != nil {
					return err
				}
				if ok && e.RuleGroup != nil {
					total += ptr.Deref(e.RuleGroup.Capacity)
				}
				continue
			}
			total += statementWCU(r.Statement)
		}
		return nil
	})
	return total, err
}

func transformsWCU(ts []wafv2api.TextTransformation) int64 {
	var n int64
	for _, t := range ts {
		if ptr.Deref(t.Type) != "NONE" {
			n += 10
		}
	}
	return n
}

func fieldWCU(f *wafv2api.FieldToMatch) int64 {
	if f != nil && f.AllQueryArguments != nil {
		return 10
	}
	return 0
}

func statementWCU(s *wafv2api.Statement) int64 {
	if s == nil {
		return 0
	}
	switch {
	case s.ByteMatchStatement != nil:
		b := s.ByteMatchStatement
		n := int64(2)
		if p := ptr.Deref(b.PositionalConstraint); p == "CONTAINS" || p == "CONTAINS_WORD" {
			n = 10
		}
		return n + transformsWCU(b.TextTransformations) + fieldWCU(b.FieldToMatch)
	case s.RegexMatchStatement != nil:
		return 3 + transformsWCU(s.RegexMatchStatement.TextTransformations) + fieldWCU(s.RegexMatchStatement.FieldToMatch)
	case s.RegexPatternSetReferenceStatement != nil:
		m := s.RegexPatternSetReferenceStatement
		return 25 + transformsWCU(m.TextTransformations) + fieldWCU(m.FieldToMatch)
	case s.SizeConstraintStatement != nil:
		m := s.SizeConstraintStatement
		return 1 + transformsWCU(m.TextTransformations) + fieldWCU(m.FieldToMatch)
	case s.IPSetReferenceStatement != nil, s.GeoMatchStatement != nil, s.LabelMatchStatement != nil:
		return 1
	case s.RateBasedStatement != nil:
		return 2 + statementWCU(s.RateBasedStatement.ScopeDownStatement)
	case s.AndStatement != nil:
		var n int64
		for i := range s.AndStatement.Statements {
			n += statementWCU(&s.AndStatement.Statements[i])
		}
		return n
	case s.OrStatement != nil:
		var n int64
		for i := range s.OrStatement.Statements {
			n += statementWCU(&s.OrStatement.Statements[i])
		}
		return n
	case s.NotStatement != nil:
		return statementWCU(s.NotStatement.Statement)
	}
	return 0
}
