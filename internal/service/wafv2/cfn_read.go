package wafv2

import (
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
