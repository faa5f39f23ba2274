package wafv2

import (
	"encoding/base64"
	"slices"

	wafv2api "github.com/niwa-cloud/niwa/internal/api/wafv2"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/request"
)

// Drift reads: the properties CloudFormation compares with the template.

func (w *WAF) cfnReadIPSet(ctx *request.Context, r kit.ResourceRequest) (map[string]any, error) {
	name, id, scope := cfnID(r.PhysicalID)
	got, err := w.GetIPSet(ctx, &wafv2api.GetIPSetRequest{Name: &name, Id: &id, Scope: &scope})
	if wafv2api.ErrWAFNonexistentItemException.Is(err) {
		return nil, kit.ErrResourceGone
	}
	if err != nil {
		return nil, err
	}
	live := kit.ShapeProps(got.IPSet, "Name", "Description", "IPAddressVersion")
	live["Scope"] = scope
	live["Addresses"] = inTemplateOrder(kit.PropList(r.Properties, "Addresses"), got.IPSet.Addresses)
	return live, nil
}

func (w *WAF) cfnReadRegexPatternSet(ctx *request.Context, r kit.ResourceRequest) (map[string]any, error) {
	name, id, scope := cfnID(r.PhysicalID)
	got, err := w.GetRegexPatternSet(ctx, &wafv2api.GetRegexPatternSetRequest{Name: &name, Id: &id, Scope: &scope})
	if wafv2api.ErrWAFNonexistentItemException.Is(err) {
		return nil, kit.ErrResourceGone
	}
	if err != nil {
		return nil, err
	}
	live := kit.ShapeProps(got.RegexPatternSet, "Name", "Description")
	live["Scope"] = scope
	var regexes []string
	for _, re := range got.RegexPatternSet.RegularExpressionList {
		if re.RegexString != nil {
			regexes = append(regexes, *re.RegexString)
		}
	}
	live["RegularExpressionList"] = inTemplateOrder(kit.PropList(r.Properties, "RegularExpressionList"), regexes)
	return live, nil
}

// inTemplateOrder is a live list of strings (a set to WAF) in the
// template's order when it holds the same values, sorted otherwise.
func inTemplateOrder(want, live []string) []any {
	a, b := slices.Clone(want), slices.Clone(live)
	slices.Sort(a)
	slices.Sort(b)
	if slices.Equal(a, b) {
		b = want
	}
	out := make([]any, 0, len(b))
	for _, s := range b {
		out = append(out, s)
	}
	return out
}

func (w *WAF) cfnReadRuleGroup(ctx *request.Context, r kit.ResourceRequest) (map[string]any, error) {
	name, id, scope := cfnID(r.PhysicalID)
	got, err := w.GetRuleGroup(ctx, &wafv2api.GetRuleGroupRequest{Name: &name, Id: &id, Scope: &scope})
	if wafv2api.ErrWAFNonexistentItemException.Is(err) {
		return nil, kit.ErrResourceGone
	}
	if err != nil {
		return nil, err
	}
	live := kit.ShapeProps(got.RuleGroup, "Name", "Description", "Capacity", "Rules", "VisibilityConfig", "CustomResponseBodies")
	live["Scope"] = scope
	return cfnLive(live, r.Properties), nil
}

func (w *WAF) cfnReadWebACL(ctx *request.Context, r kit.ResourceRequest) (map[string]any, error) {
	name, id, scope := cfnID(r.PhysicalID)
	got, err := w.GetWebACL(ctx, &wafv2api.GetWebACLRequest{Name: &name, Id: &id, Scope: &scope})
	if wafv2api.ErrWAFNonexistentItemException.Is(err) {
		return nil, kit.ErrResourceGone
	}
	if err != nil {
		return nil, err
	}
	live := kit.ShapeProps(got.WebACL, "Name", "Description", "DefaultAction", "Rules", "VisibilityConfig", "CustomResponseBodies",
		"CaptchaConfig", "ChallengeConfig", "TokenDomains", "AssociationConfig")
	live["Scope"] = scope
	return cfnLive(live, r.Properties), nil
}

// cfnLive puts a rule group's or web ACL's members read back in the
// template's form: blobs (SearchString) as text, or as
// SearchStringBase64 where the template gives that, and only the members
// the template sets.
func cfnLive(live, props map[string]any) map[string]any {
	out := make(map[string]any, len(live))
	for k, v := range live {
		out[k] = kit.Project(cfnTexts(v), props[k])
	}
	return out
}

func cfnTexts(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x)+1)
		for k, e := range x {
			if s, ok := e.(string); ok && k == "SearchString" {
				if b, err := base64.StdEncoding.DecodeString(s); err == nil {
					out[k], out["SearchStringBase64"] = string(b), s
					continue
				}
			}
			out[k] = cfnTexts(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = cfnTexts(x[i])
		}
		return out
	}
	return v
}
