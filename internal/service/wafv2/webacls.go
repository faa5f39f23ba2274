package wafv2

import (
	wafv2api "github.com/niwa-cloud/niwa/internal/api/wafv2"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// maxWebACLCapacity is AWS's ceiling on a web ACL's WCUs.
const maxWebACLCapacity = 5000

// validate compiles rules as they would be evaluated, refusing what
// niwa cannot evaluate and references that do not exist.
func (w *WAF) validate(ctx *request.Context, scope, name string, acl *wafv2api.WebACL, group *wafv2api.RuleGroup) error {
	if err := checkScope(ctx, scope); err != nil {
		return err
	}
	return w.store.View(func(tx storage.Tx) error {
		c := &compiler{tx: tx, sc: scopeOf(ctx), scope: scope, namespace: "awswaf:" + ctx.Account + ":webacl:" + name + ":"}
		if acl != nil {
			_, err := c.acl(acl)
			return err
		}
		c.depth = 1
		c.namespace = "awswaf:" + ctx.Account + ":rulegroup:" + name + ":"
		_, err := c.rules(group.Rules)
		return err
	})
}

// CreateWebACL creates a web ACL.
func (w *WAF) CreateWebACL(ctx *request.Context, in *wafv2api.CreateWebACLRequest) (*wafv2api.CreateWebACLResponse, error) {
	if err := refuseBotControl(in.CaptchaConfig, in.ChallengeConfig); err != nil {
		return nil, err
	}
	scope, name := ptr.Deref(in.Scope), ptr.Deref(in.Name)
	acl := &wafv2api.WebACL{Name: in.Name, DefaultAction: in.DefaultAction, Description: in.Description, Rules: in.Rules,
		VisibilityConfig: in.VisibilityConfig, CustomResponseBodies: in.CustomResponseBodies, TokenDomains: in.TokenDomains,
		AssociationConfig: in.AssociationConfig, ManagedByFirewallManager: ptr.To(false),
		LabelNamespace: ptr.To("awswaf:" + ctx.Account + ":webacl:" + name + ":")}
	if acl.Rules == nil {
		acl.Rules = []wafv2api.Rule{}
	}
	if err := w.validate(ctx, scope, name, acl, nil); err != nil {
		return nil, err
	}
	cap, err := w.capacityOf(ctx, in.Rules)
	if err != nil {
		return nil, err
	}
	if cap > maxWebACLCapacity {
		return nil, wafv2api.ErrWAFLimitsExceededException.New("AWS WAF couldn’t perform the operation because you exceeded your resource limit. For example, the maximum number of WebACL objects that you can create for an AWS account. For more information, see Limits in the AWS WAF Developer Guide.")
	}
	acl.Capacity = ptr.To(cap)
	e, err := w.create(ctx, kindWebACL, scope, name, in.Tags, func(e *entity) error {
		acl.Id, acl.ARN = ptr.To(e.ID), ptr.To(e.ARN)
		e.WebACL = acl
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &wafv2api.CreateWebACLResponse{Summary: &wafv2api.WebACLSummary{Name: in.Name, Id: ptr.To(e.ID), Description: in.Description,
		LockToken: ptr.To(e.LockToken), ARN: ptr.To(e.ARN)}}, nil
}

func refuseBotControl(c *wafv2api.CaptchaConfig, ch *wafv2api.ChallengeConfig) error {
	if c != nil || ch != nil {
		return invalid("CHALLENGE_CONFIG", "CaptchaConfig/ChallengeConfig", reasonCaptcha)
	}
	return nil
}

// GetWebACL returns a web ACL and its lock token.
func (w *WAF) GetWebACL(ctx *request.Context, in *wafv2api.GetWebACLRequest) (*wafv2api.GetWebACLResponse, error) {
	e, err := w.get(ctx, kindWebACL, ptr.Deref(in.Scope), ptr.Deref(in.Name), ptr.Deref(in.Id))
	if err != nil {
		return nil, err
	}
	return &wafv2api.GetWebACLResponse{WebACL: e.WebACL, LockToken: ptr.To(e.LockToken)}, nil
}

// UpdateWebACL replaces a web ACL's rules, default action and settings.
func (w *WAF) UpdateWebACL(ctx *request.Context, in *wafv2api.UpdateWebACLRequest) (*wafv2api.UpdateWebACLResponse, error) {
	if err := refuseBotControl(in.CaptchaConfig, in.ChallengeConfig); err != nil {
		return nil, err
	}
	scope, name := ptr.Deref(in.Scope), ptr.Deref(in.Name)
	probe := &wafv2api.WebACL{DefaultAction: in.DefaultAction, Rules: in.Rules, CustomResponseBodies: in.CustomResponseBodies}
	if err := w.validate(ctx, scope, name, probe, nil); err != nil {
		return nil, err
	}
	cap, err := w.capacityOf(ctx, in.Rules)
	if err != nil {
		return nil, err
	}
	next, err := w.update(ctx, kindWebACL, scope, name, ptr.Deref(in.Id), ptr.Deref(in.LockToken), func(e *entity) error {
		a := e.WebACL
		a.DefaultAction, a.Description, a.Rules, a.VisibilityConfig = in.DefaultAction, in.Description, in.Rules, in.VisibilityConfig
		a.CustomResponseBodies, a.TokenDomains, a.AssociationConfig = in.CustomResponseBodies, in.TokenDomains, in.AssociationConfig
		if a.Rules == nil {
			a.Rules = []wafv2api.Rule{}
		}
		a.Capacity = ptr.To(cap)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &wafv2api.UpdateWebACLResponse{NextLockToken: &next}, nil
}

// DeleteWebACL deletes a web ACL that no resource is associated with.
func (w *WAF) DeleteWebACL(ctx *request.Context, in *wafv2api.DeleteWebACLRequest) (*wafv2api.DeleteWebACLResponse, error) {
	err := w.remove(ctx, kindWebACL, ptr.Deref(in.Scope), ptr.Deref(in.Name), ptr.Deref(in.Id), ptr.Deref(in.LockToken), func(tx storage.Tx, sc storage.Scope, e entity) error {
		used := false
		err := associations.List(tx, sc, nil, storage.ListOptions{}, func(_ []string, acl string) bool {
			used = acl == e.ARN
			return !used
		})
		if err != nil {
			return err
		}
		if used {
			return associated()
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &wafv2api.DeleteWebACLResponse{}, nil
}

// ListWebACLs lists a scope's web ACLs.
func (w *WAF) ListWebACLs(ctx *request.Context, in *wafv2api.ListWebACLsRequest) (*wafv2api.ListWebACLsResponse, error) {
	es, next, err := w.list(ctx, kindWebACL, ptr.Deref(in.Scope), ptr.Deref(in.NextMarker), ptr.Deref(in.Limit))
	if err != nil {
		return nil, err
	}
	out := &wafv2api.ListWebACLsResponse{NextMarker: next, WebACLs: []wafv2api.WebACLSummary{}}
	for _, e := range es {
		out.WebACLs = append(out.WebACLs, wafv2api.WebACLSummary{Name: ptr.To(e.Name), Id: ptr.To(e.ID), Description: e.WebACL.Description,
			LockToken: ptr.To(e.LockToken), ARN: ptr.To(e.ARN)})
	}
	return out, nil
}

// CreateRuleGroup creates a rule group whose rules fit its capacity.
func (w *WAF) CreateRuleGroup(ctx *request.Context, in *wafv2api.CreateRuleGroupRequest) (*wafv2api.CreateRuleGroupResponse, error) {
	scope, name := ptr.Deref(in.Scope), ptr.Deref(in.Name)
	g := &wafv2api.RuleGroup{Name: in.Name, Capacity: in.Capacity, Description: in.Description, Rules: in.Rules,
		VisibilityConfig: in.VisibilityConfig, CustomResponseBodies: in.CustomResponseBodies,
		LabelNamespace: ptr.To("awswaf:" + ctx.Account + ":rulegroup:" + name + ":")}
	if g.Rules == nil {
		g.Rules = []wafv2api.Rule{}
	}
	if err := w.validate(ctx, scope, name, nil, g); err != nil {
		return nil, err
	}
	if err := w.fits(ctx, in.Rules, ptr.Deref(in.Capacity)); err != nil {
		return nil, err
	}
	e, err := w.create(ctx, kindRuleGroup, scope, name, in.Tags, func(e *entity) error {
		g.Id, g.ARN = ptr.To(e.ID), ptr.To(e.ARN)
		e.RuleGroup = g
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &wafv2api.CreateRuleGroupResponse{Summary: &wafv2api.RuleGroupSummary{Name: in.Name, Id: ptr.To(e.ID), Description: in.Description,
		LockToken: ptr.To(e.LockToken), ARN: ptr.To(e.ARN)}}, nil
}

// fits refuses rules whose WCUs exceed a rule group's capacity.
func (w *WAF) fits(ctx *request.Context, rules []wafv2api.Rule, capacity int64) error {
	need, err := w.capacityOf(ctx, rules)
	if err != nil {
		return err
	}
	if need > capacity {
		return wafv2api.ErrWAFLimitsExceededException.New("AWS WAF couldn’t perform the operation because you exceeded your resource limit. The rules need %d WCUs, more than the rule group's capacity of %d.", need, capacity)
	}
	return nil
}

// GetRuleGroup returns a rule group by name and id, or by ARN.
func (w *WAF) GetRuleGroup(ctx *request.Context, in *wafv2api.GetRuleGroupRequest) (*wafv2api.GetRuleGroupResponse, error) {
	if a := ptr.Deref(in.ARN); a != "" {
		var e entity
		err := w.store.View(func(tx storage.Tx) error {
			var ok bool
			var err error
			e, ok, err = entityByARN(tx, scopeOf(ctx), a)
			if err == nil && (!ok || e.RuleGroup == nil) {
				err = nonexistent()
			}
			return err
		})
		if err != nil {
			return nil, err
		}
		return &wafv2api.GetRuleGroupResponse{RuleGroup: e.RuleGroup, LockToken: ptr.To(e.LockToken)}, nil
	}
	e, err := w.get(ctx, kindRuleGroup, ptr.Deref(in.Scope), ptr.Deref(in.Name), ptr.Deref(in.Id))
	if err != nil {
		return nil, err
	}
	return &wafv2api.GetRuleGroupResponse{RuleGroup: e.RuleGroup, LockToken: ptr.To(e.LockToken)}, nil
}

// UpdateRuleGroup replaces a rule group's rules (its capacity is fixed).
func (w *WAF) UpdateRuleGroup(ctx *request.Context, in *wafv2api.UpdateRuleGroupRequest) (*wafv2api.UpdateRuleGroupResponse, error) {
	scope, name := ptr.Deref(in.Scope), ptr.Deref(in.Name)
	if err := w.validate(ctx, scope, name, nil, &wafv2api.RuleGroup{Rules: in.Rules}); err != nil {
		return nil, err
	}
	cur, err := w.get(ctx, kindRuleGroup, scope, name, ptr.Deref(in.Id))
	if err != nil {
		return nil, err
	}
	if err := w.fits(ctx, in.Rules, ptr.Deref(cur.RuleGroup.Capacity)); err != nil {
		return nil, err
	}
	next, err := w.update(ctx, kindRuleGroup, scope, name, ptr.Deref(in.Id), ptr.Deref(in.LockToken), func(e *entity) error {
		g := e.RuleGroup
		g.Description, g.Rules, g.VisibilityConfig, g.CustomResponseBodies = in.Description, in.Rules, in.VisibilityConfig, in.CustomResponseBodies
		if g.Rules == nil {
			g.Rules = []wafv2api.Rule{}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &wafv2api.UpdateRuleGroupResponse{NextLockToken: &next}, nil
}

// DeleteRuleGroup deletes a rule group no web ACL refers to.
func (w *WAF) DeleteRuleGroup(ctx *request.Context, in *wafv2api.DeleteRuleGroupRequest) (*wafv2api.DeleteRuleGroupResponse, error) {
	err := w.remove(ctx, kindRuleGroup, ptr.Deref(in.Scope), ptr.Deref(in.Name), ptr.Deref(in.Id), ptr.Deref(in.LockToken), w.referenced)
	if err != nil {
		return nil, err
	}
	return &wafv2api.DeleteRuleGroupResponse{}, nil
}

// ListRuleGroups lists a scope's rule groups.
func (w *WAF) ListRuleGroups(ctx *request.Context, in *wafv2api.ListRuleGroupsRequest) (*wafv2api.ListRuleGroupsResponse, error) {
	es, next, err := w.list(ctx, kindRuleGroup, ptr.Deref(in.Scope), ptr.Deref(in.NextMarker), ptr.Deref(in.Limit))
	if err != nil {
		return nil, err
	}
	out := &wafv2api.ListRuleGroupsResponse{NextMarker: next, RuleGroups: []wafv2api.RuleGroupSummary{}}
	for _, e := range es {
		out.RuleGroups = append(out.RuleGroups, wafv2api.RuleGroupSummary{Name: ptr.To(e.Name), Id: ptr.To(e.ID), Description: e.RuleGroup.Description,
			LockToken: ptr.To(e.LockToken), ARN: ptr.To(e.ARN)})
	}
	return out, nil
}
