package wafv2

import (
	"encoding/json"
	"net/netip"
	"regexp"
	"strconv"
	"strings"

	wafv2api "github.com/niwa-cloud/niwa/internal/api/wafv2"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// checkAddresses refuses addresses that are not CIDR blocks of the
// set's IP version, as AWS does (IP_ADDRESS).
func checkAddresses(version string, list []string) error {
	for _, a := range list {
		p, err := netip.ParsePrefix(a)
		if err != nil || (version == "IPV4") != p.Addr().Is4() {
			return invalid("IP_ADDRESS", a, "Illegal parameter.")
		}
	}
	return nil
}

// CreateIPSet creates an IP set.
func (w *WAF) CreateIPSet(ctx *request.Context, in *wafv2api.CreateIPSetRequest) (*wafv2api.CreateIPSetResponse, error) {
	version := ptr.Deref(in.IPAddressVersion)
	if err := checkAddresses(version, in.Addresses); err != nil {
		return nil, err
	}
	e, err := w.create(ctx, kindIPSet, ptr.Deref(in.Scope), ptr.Deref(in.Name), in.Tags, func(e *entity) error {
		e.IPSet = &wafv2api.IPSet{Name: in.Name, Id: ptr.To(e.ID), ARN: ptr.To(e.ARN), Description: in.Description,
			IPAddressVersion: in.IPAddressVersion, Addresses: append([]string{}, in.Addresses...)}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &wafv2api.CreateIPSetResponse{Summary: &wafv2api.IPSetSummary{Name: in.Name, Id: ptr.To(e.ID),
		Description: in.Description, LockToken: ptr.To(e.LockToken), ARN: ptr.To(e.ARN)}}, nil
}

// GetIPSet returns an IP set and its lock token.
func (w *WAF) GetIPSet(ctx *request.Context, in *wafv2api.GetIPSetRequest) (*wafv2api.GetIPSetResponse, error) {
	e, err := w.get(ctx, kindIPSet, ptr.Deref(in.Scope), ptr.Deref(in.Name), ptr.Deref(in.Id))
	if err != nil {
		return nil, err
	}
	return &wafv2api.GetIPSetResponse{IPSet: e.IPSet, LockToken: ptr.To(e.LockToken)}, nil
}

// UpdateIPSet replaces an IP set's addresses and description.
func (w *WAF) UpdateIPSet(ctx *request.Context, in *wafv2api.UpdateIPSetRequest) (*wafv2api.UpdateIPSetResponse, error) {
	next, err := w.update(ctx, kindIPSet, ptr.Deref(in.Scope), ptr.Deref(in.Name), ptr.Deref(in.Id), ptr.Deref(in.LockToken), func(e *entity) error {
		if err := checkAddresses(ptr.Deref(e.IPSet.IPAddressVersion), in.Addresses); err != nil {
			return err
		}
		e.IPSet.Addresses = append([]string{}, in.Addresses...)
		e.IPSet.Description = in.Description
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &wafv2api.UpdateIPSetResponse{NextLockToken: &next}, nil
}

// DeleteIPSet deletes an IP set no web ACL or rule group refers to.
func (w *WAF) DeleteIPSet(ctx *request.Context, in *wafv2api.DeleteIPSetRequest) (*wafv2api.DeleteIPSetResponse, error) {
	err := w.remove(ctx, kindIPSet, ptr.Deref(in.Scope), ptr.Deref(in.Name), ptr.Deref(in.Id), ptr.Deref(in.LockToken), w.referenced)
	if err != nil {
		return nil, err
	}
	return &wafv2api.DeleteIPSetResponse{}, nil
}

// ListIPSets lists a scope's IP sets.
func (w *WAF) ListIPSets(ctx *request.Context, in *wafv2api.ListIPSetsRequest) (*wafv2api.ListIPSetsResponse, error) {
	es, next, err := w.list(ctx, kindIPSet, ptr.Deref(in.Scope), ptr.Deref(in.NextMarker), ptr.Deref(in.Limit))
	if err != nil {
		return nil, err
	}
	out := &wafv2api.ListIPSetsResponse{NextMarker: next, IPSets: []wafv2api.IPSetSummary{}}
	for _, e := range es {
		out.IPSets = append(out.IPSets, wafv2api.IPSetSummary{Name: ptr.To(e.Name), Id: ptr.To(e.ID), Description: e.IPSet.Description,
			LockToken: ptr.To(e.LockToken), ARN: ptr.To(e.ARN)})
	}
	return out, nil
}

// checkRegexes refuses patterns Go's RE2 cannot compile (AWS WAF's
// regexes are PCRE-like; niwa evaluates them with RE2, docs/waf.md).
func checkRegexes(list []wafv2api.Regex) error {
	for _, r := range list {
		if _, err := regexp.Compile(ptr.Deref(r.RegexString)); err != nil {
			return invalid("REGEX_PATTERN_SET", ptr.Deref(r.RegexString), "The regex is not valid.")
		}
	}
	return nil
}

// CreateRegexPatternSet creates a regex pattern set.
func (w *WAF) CreateRegexPatternSet(ctx *request.Context, in *wafv2api.CreateRegexPatternSetRequest) (*wafv2api.CreateRegexPatternSetResponse, error) {
	if err := checkRegexes(in.RegularExpressionList); err != nil {
		return nil, err
	}
	e, err := w.create(ctx, kindRegex, ptr.Deref(in.Scope), ptr.Deref(in.Name), in.Tags, func(e *entity) error {
		e.Regex = &wafv2api.RegexPatternSet{Name: in.Name, Id: ptr.To(e.ID), ARN: ptr.To(e.ARN), Description: in.Description,
			RegularExpressionList: append([]wafv2api.Regex{}, in.RegularExpressionList...)}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &wafv2api.CreateRegexPatternSetResponse{Summary: &wafv2api.RegexPatternSetSummary{Name: in.Name, Id: ptr.To(e.ID),
		Description: in.Description, LockToken: ptr.To(e.LockToken), ARN: ptr.To(e.ARN)}}, nil
}

// GetRegexPatternSet returns a regex pattern set.
func (w *WAF) GetRegexPatternSet(ctx *request.Context, in *wafv2api.GetRegexPatternSetRequest) (*wafv2api.GetRegexPatternSetResponse, error) {
	e, err := w.get(ctx, kindRegex, ptr.Deref(in.Scope), ptr.Deref(in.Name), ptr.Deref(in.Id))
	if err != nil {
		return nil, err
	}
	return &wafv2api.GetRegexPatternSetResponse{RegexPatternSet: e.Regex, LockToken: ptr.To(e.LockToken)}, nil
}

// UpdateRegexPatternSet replaces a set's patterns.
func (w *WAF) UpdateRegexPatternSet(ctx *request.Context, in *wafv2api.UpdateRegexPatternSetRequest) (*wafv2api.UpdateRegexPatternSetResponse, error) {
	if err := checkRegexes(in.RegularExpressionList); err != nil {
		return nil, err
	}
	next, err := w.update(ctx, kindRegex, ptr.Deref(in.Scope), ptr.Deref(in.Name), ptr.Deref(in.Id), ptr.Deref(in.LockToken), func(e *entity) error {
		e.Regex.RegularExpressionList = append([]wafv2api.Regex{}, in.RegularExpressionList...)
		e.Regex.Description = in.Description
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &wafv2api.UpdateRegexPatternSetResponse{NextLockToken: &next}, nil
}

// DeleteRegexPatternSet deletes an unreferenced regex pattern set.
func (w *WAF) DeleteRegexPatternSet(ctx *request.Context, in *wafv2api.DeleteRegexPatternSetRequest) (*wafv2api.DeleteRegexPatternSetResponse, error) {
	err := w.remove(ctx, kindRegex, ptr.Deref(in.Scope), ptr.Deref(in.Name), ptr.Deref(in.Id), ptr.Deref(in.LockToken), w.referenced)
	if err != nil {
		return nil, err
	}
	return &wafv2api.DeleteRegexPatternSetResponse{}, nil
}

// ListRegexPatternSets lists a scope's regex pattern sets.
func (w *WAF) ListRegexPatternSets(ctx *request.Context, in *wafv2api.ListRegexPatternSetsRequest) (*wafv2api.ListRegexPatternSetsResponse, error) {
	es, next, err := w.list(ctx, kindRegex, ptr.Deref(in.Scope), ptr.Deref(in.NextMarker), ptr.Deref(in.Limit))
	if err != nil {
		return nil, err
	}
	out := &wafv2api.ListRegexPatternSetsResponse{NextMarker: next, RegexPatternSets: []wafv2api.RegexPatternSetSummary{}}
	for _, e := range es {
		out.RegexPatternSets = append(out.RegexPatternSets, wafv2api.RegexPatternSetSummary{Name: ptr.To(e.Name), Id: ptr.To(e.ID),
			Description: e.Regex.Description, LockToken: ptr.To(e.LockToken), ARN: ptr.To(e.ARN)})
	}
	return out, nil
}

// referenced refuses deleting what a web ACL or rule group of the same
// scope refers to (WAFAssociatedItemException, as AWS).
func (w *WAF) referenced(tx storage.Tx, sc storage.Scope, target entity) error {
	found := false
	for _, kind := range []string{kindWebACL, kindRuleGroup} {
		err := entities.List(tx, sc, []string{kind, target.Scope}, storage.ListOptions{}, func(_ []string, e entity) bool {
			var rules []wafv2api.Rule
			if e.WebACL != nil {
				rules = e.WebACL.Rules
			} else if e.RuleGroup != nil {
				rules = e.RuleGroup.Rules
			}
			b, _ := json.Marshal(rules)
			found = strings.Contains(string(b), strconv.Quote(target.ARN))
			return !found
		})
		if err != nil {
			return err
		}
	}
	if found {
		return associated()
	}
	return nil
}

func associated() error {
	return wafv2api.ErrWAFAssociatedItemException.New("AWS WAF couldn’t perform the operation because your resource is being used by another resource or it’s associated with another resource.")
}
