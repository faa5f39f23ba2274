package wafv2

import (
	"encoding/base64"
	"sort"
	"strings"

	wafv2api "github.com/niwa-cloud/niwa/internal/api/wafv2"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/request"
)

// cfnResources are WAF's CloudFormation resource types, made with the
// service's own handlers (the properties are the API's members).
func (w *WAF) cfnResources() map[string]kit.ResourceProvider {
	return map[string]kit.ResourceProvider{
		// Ref is "name|id|scope"; Fn::GetAtt Arn, Id, Capacity, LabelNamespace.
		"AWS::WAFv2::WebACL": {Read: w.cfnReadWebACL, Create: w.cfnCreateWebACL, Update: w.cfnUpdateWebACL, Delete: w.cfnDeleteWebACL,
			Replace: []string{"Name", "Scope"}, Tags: true},
		// Ref is "name|id|scope"; Fn::GetAtt Arn, Id.
		"AWS::WAFv2::IPSet": {Read: w.cfnReadIPSet, Create: w.cfnCreateIPSet, Update: w.cfnUpdateIPSet, Delete: w.cfnDeleteIPSet,
			Replace: []string{"Name", "Scope", "IPAddressVersion"}, Tags: true},
		// Ref is "name|id|scope"; Fn::GetAtt Arn, Id.
		"AWS::WAFv2::RegexPatternSet": {Read: w.cfnReadRegexPatternSet, Create: w.cfnCreateRegexPatternSet, Update: w.cfnUpdateRegexPatternSet,
			Delete: w.cfnDeleteRegexPatternSet, Replace: []string{"Name", "Scope"}, Tags: true},
		// Ref is "name|id|scope"; Fn::GetAtt Arn, Id, LabelNamespace.
		"AWS::WAFv2::RuleGroup": {Read: w.cfnReadRuleGroup, Create: w.cfnCreateRuleGroup, Update: w.cfnUpdateRuleGroup, Delete: w.cfnDeleteRuleGroup,
			Replace: []string{"Name", "Scope", "Capacity"}, Tags: true},
		// Ref is the web ACL's ARN; Fn::GetAtt ManagedByFirewallManager.
		"AWS::WAFv2::LoggingConfiguration": {Create: w.cfnPutLogging, Update: w.cfnPutLogging, Delete: w.cfnDeleteLogging,
			Replace: []string{"ResourceArn"}},
		// Ref is "resourceArn|webAclArn".
		"AWS::WAFv2::WebACLAssociation": {Create: w.cfnAssociate, Delete: w.cfnDisassociate,
			Replace: []string{"ResourceArn", "WebACLArn"}},
	}
}

// cfnBlobs encodes the blob members templates give as text
// (ByteMatchStatement's SearchString) as the API's JSON carries them.
func cfnBlobs(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			if s, ok := e.(string); ok && k == "SearchString" {
				out[k] = base64.StdEncoding.EncodeToString([]byte(s))
				continue
			}
			if k == "SearchStringBase64" { // already the API's form
				out["SearchString"] = e
				continue
			}
			out[k] = cfnBlobs(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = cfnBlobs(x[i])
		}
		return out
	}
	return v
}

// cfnDecode fills an API input from properties of the same names.
func cfnDecode(props map[string]any, in any) error {
	for k, v := range props {
		if k == "Tags" {
			continue
		}
		if err := kit.DecodeProp(map[string]any{"v": map[string]any{k: cfnBlobs(v)}}, "v", in); err != nil {
			return awserr.ValidationError.New("Property %s is not valid: %v", k, err)
		}
	}
	return nil
}

func cfnTags(props map[string]any) []wafv2api.Tag {
	var out []wafv2api.Tag
	for k, v := range kit.PropTags(props) {
		k, v := k, v
		out = append(out, wafv2api.Tag{Key: &k, Value: &v})
	}
	return out
}

func cfnName(r kit.ResourceRequest) *string {
	n := r.Str("Name")
	if n == "" {
		n = kit.PhysicalName(r, 128)
	}
	return &n
}

// cfnID splits a "name|id|scope" physical id.
func cfnID(physical string) (name, id, scope string) {
	parts := strings.Split(physical, "|")
	if len(parts) != 3 {
		return "", "", ""
	}
	return parts[0], parts[1], parts[2]
}

func (w *WAF) cfnWebACLResult(ctx *request.Context, name, id, scope string) (kit.ResourceResult, error) {
	got, err := w.GetWebACL(ctx, &wafv2api.GetWebACLRequest{Name: &name, Id: &id, Scope: &scope})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	attrs := map[string]any{"Arn": *got.WebACL.ARN, "Id": id}
	if got.WebACL.Capacity != nil {
		attrs["Capacity"] = float64(*got.WebACL.Capacity)
	}
	if got.WebACL.LabelNamespace != nil {
		attrs["LabelNamespace"] = *got.WebACL.LabelNamespace
	}
	return kit.ResourceResult{PhysicalID: name + "|" + id + "|" + scope, Attributes: attrs}, nil
}

func (w *WAF) cfnCreateWebACL(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	in := &wafv2api.CreateWebACLRequest{}
	if err := cfnDecode(r.Properties, in); err != nil {
		return kit.ResourceResult{}, err
	}
	in.Name, in.Tags = cfnName(r), cfnTags(r.Properties)
	out, err := w.CreateWebACL(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return w.cfnWebACLResult(ctx, *out.Summary.Name, *out.Summary.Id, *in.Scope)
}

func (w *WAF) cfnUpdateWebACL(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	name, id, scope := cfnID(r.PhysicalID)
	got, err := w.GetWebACL(ctx, &wafv2api.GetWebACLRequest{Name: &name, Id: &id, Scope: &scope})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	in := &wafv2api.UpdateWebACLRequest{}
	if err := cfnDecode(r.Properties, in); err != nil {
		return kit.ResourceResult{}, err
	}
	in.Name, in.Id, in.Scope, in.LockToken = &name, &id, &scope, got.LockToken
	if _, err := w.UpdateWebACL(ctx, in); err != nil {
		return kit.ResourceResult{}, err
	}
	if err := w.cfnRetag(ctx, *got.WebACL.ARN, r); err != nil {
		return kit.ResourceResult{}, err
	}
	return w.cfnWebACLResult(ctx, name, id, scope)
}

func (w *WAF) cfnDeleteWebACL(ctx *request.Context, r kit.ResourceRequest) error {
	name, id, scope := cfnID(r.PhysicalID)
	got, err := w.GetWebACL(ctx, &wafv2api.GetWebACLRequest{Name: &name, Id: &id, Scope: &scope})
	if wafv2api.ErrWAFNonexistentItemException.Is(err) {
		return nil
	}
	if err != nil {
		return err
	}
	_, err = w.DeleteWebACL(ctx, &wafv2api.DeleteWebACLRequest{Name: &name, Id: &id, Scope: &scope, LockToken: got.LockToken})
	if wafv2api.ErrWAFNonexistentItemException.Is(err) {
		return nil
	}
	return err
}

func (w *WAF) cfnCreateIPSet(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	in := &wafv2api.CreateIPSetRequest{}
	if err := cfnDecode(r.Properties, in); err != nil {
		return kit.ResourceResult{}, err
	}
	in.Name, in.Tags = cfnName(r), cfnTags(r.Properties)
	if in.Addresses == nil {
		in.Addresses = []string{}
	}
	out, err := w.CreateIPSet(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	s := out.Summary
	return kit.ResourceResult{PhysicalID: *s.Name + "|" + *s.Id + "|" + *in.Scope, Attributes: map[string]any{"Arn": *s.ARN, "Id": *s.Id}}, nil
}

func (w *WAF) cfnDeleteIPSet(ctx *request.Context, r kit.ResourceRequest) error {
	name, id, scope := cfnID(r.PhysicalID)
	got, err := w.GetIPSet(ctx, &wafv2api.GetIPSetRequest{Name: &name, Id: &id, Scope: &scope})
	if wafv2api.ErrWAFNonexistentItemException.Is(err) {
		return nil
	}
	if err != nil {
		return err
	}
	_, err = w.DeleteIPSet(ctx, &wafv2api.DeleteIPSetRequest{Name: &name, Id: &id, Scope: &scope, LockToken: got.LockToken})
	if wafv2api.ErrWAFNonexistentItemException.Is(err) {
		return nil
	}
	return err
}

func (w *WAF) cfnAssociate(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	res, acl := r.Str("ResourceArn"), r.Str("WebACLArn")
	if _, err := w.AssociateWebACL(ctx, &wafv2api.AssociateWebACLRequest{ResourceArn: &res, WebACLArn: &acl}); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: res + "|" + acl}, nil
}

func (w *WAF) cfnDisassociate(ctx *request.Context, r kit.ResourceRequest) error {
	res := r.Str("ResourceArn")
	_, err := w.DisassociateWebACL(ctx, &wafv2api.DisassociateWebACLRequest{ResourceArn: &res})
	if wafv2api.ErrWAFNonexistentItemException.Is(err) {
		return nil
	}
	return err
}

// cfnGone is a delete's "already gone".
func cfnGone(err error) error {
	if wafv2api.ErrWAFNonexistentItemException.Is(err) {
		return nil
	}
	return err
}

func (w *WAF) cfnUpdateIPSet(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	name, id, scope := cfnID(r.PhysicalID)
	got, err := w.GetIPSet(ctx, &wafv2api.GetIPSetRequest{Name: &name, Id: &id, Scope: &scope})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	in := &wafv2api.UpdateIPSetRequest{}
	if err := cfnDecode(r.Properties, in); err != nil {
		return kit.ResourceResult{}, err
	}
	in.Name, in.Id, in.Scope, in.LockToken = &name, &id, &scope, got.LockToken
	if in.Addresses == nil {
		in.Addresses = []string{}
	}
	if _, err := w.UpdateIPSet(ctx, in); err != nil {
		return kit.ResourceResult{}, err
	}
	if err := w.cfnRetag(ctx, *got.IPSet.ARN, r); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: r.PhysicalID, Attributes: map[string]any{"Arn": *got.IPSet.ARN, "Id": id}}, nil
}

// cfnRegexes reads RegularExpressionList, which templates give as plain
// strings (the API's as [{RegexString}]).
func cfnRegexes(props map[string]any) []wafv2api.Regex {
	out := []wafv2api.Regex{}
	for _, s := range kit.PropList(props, "RegularExpressionList") {
		out = append(out, wafv2api.Regex{RegexString: &s})
	}
	return out
}

func (w *WAF) cfnCreateRegexPatternSet(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	scope, desc := r.Str("Scope"), r.Str("Description")
	in := &wafv2api.CreateRegexPatternSetRequest{Name: cfnName(r), Scope: &scope, RegularExpressionList: cfnRegexes(r.Properties),
		Tags: cfnTags(r.Properties)}
	if desc != "" {
		in.Description = &desc
	}
	out, err := w.CreateRegexPatternSet(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	s := out.Summary
	return kit.ResourceResult{PhysicalID: *s.Name + "|" + *s.Id + "|" + scope, Attributes: map[string]any{"Arn": *s.ARN, "Id": *s.Id}}, nil
}

func (w *WAF) cfnUpdateRegexPatternSet(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	name, id, scope := cfnID(r.PhysicalID)
	got, err := w.GetRegexPatternSet(ctx, &wafv2api.GetRegexPatternSetRequest{Name: &name, Id: &id, Scope: &scope})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	in := &wafv2api.UpdateRegexPatternSetRequest{Name: &name, Id: &id, Scope: &scope, LockToken: got.LockToken,
		RegularExpressionList: cfnRegexes(r.Properties)}
	if desc := r.Str("Description"); desc != "" {
		in.Description = &desc
	}
	if _, err := w.UpdateRegexPatternSet(ctx, in); err != nil {
		return kit.ResourceResult{}, err
	}
	if err := w.cfnRetag(ctx, *got.RegexPatternSet.ARN, r); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: r.PhysicalID, Attributes: map[string]any{"Arn": *got.RegexPatternSet.ARN, "Id": id}}, nil
}

func (w *WAF) cfnDeleteRegexPatternSet(ctx *request.Context, r kit.ResourceRequest) error {
	name, id, scope := cfnID(r.PhysicalID)
	got, err := w.GetRegexPatternSet(ctx, &wafv2api.GetRegexPatternSetRequest{Name: &name, Id: &id, Scope: &scope})
	if err != nil {
		return cfnGone(err)
	}
	_, err = w.DeleteRegexPatternSet(ctx, &wafv2api.DeleteRegexPatternSetRequest{Name: &name, Id: &id, Scope: &scope, LockToken: got.LockToken})
	return cfnGone(err)
}

func (w *WAF) cfnRuleGroupResult(ctx *request.Context, name, id, scope string) (kit.ResourceResult, error) {
	got, err := w.GetRuleGroup(ctx, &wafv2api.GetRuleGroupRequest{Name: &name, Id: &id, Scope: &scope})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	attrs := map[string]any{"Arn": *got.RuleGroup.ARN, "Id": id}
	if got.RuleGroup.LabelNamespace != nil {
		attrs["LabelNamespace"] = *got.RuleGroup.LabelNamespace
	}
	return kit.ResourceResult{PhysicalID: name + "|" + id + "|" + scope, Attributes: attrs}, nil
}

func (w *WAF) cfnCreateRuleGroup(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	in := &wafv2api.CreateRuleGroupRequest{}
	if err := cfnDecode(r.Properties, in); err != nil {
		return kit.ResourceResult{}, err
	}
	in.Name, in.Tags = cfnName(r), cfnTags(r.Properties)
	out, err := w.CreateRuleGroup(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return w.cfnRuleGroupResult(ctx, *out.Summary.Name, *out.Summary.Id, *in.Scope)
}

func (w *WAF) cfnUpdateRuleGroup(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	name, id, scope := cfnID(r.PhysicalID)
	got, err := w.GetRuleGroup(ctx, &wafv2api.GetRuleGroupRequest{Name: &name, Id: &id, Scope: &scope})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	in := &wafv2api.UpdateRuleGroupRequest{}
	if err := cfnDecode(r.Properties, in); err != nil {
		return kit.ResourceResult{}, err
	}
	in.Name, in.Id, in.Scope, in.LockToken = &name, &id, &scope, got.LockToken
	if _, err := w.UpdateRuleGroup(ctx, in); err != nil {
		return kit.ResourceResult{}, err
	}
	if err := w.cfnRetag(ctx, *got.RuleGroup.ARN, r); err != nil {
		return kit.ResourceResult{}, err
	}
	return w.cfnRuleGroupResult(ctx, name, id, scope)
}

func (w *WAF) cfnDeleteRuleGroup(ctx *request.Context, r kit.ResourceRequest) error {
	name, id, scope := cfnID(r.PhysicalID)
	got, err := w.GetRuleGroup(ctx, &wafv2api.GetRuleGroupRequest{Name: &name, Id: &id, Scope: &scope})
	if err != nil {
		return cfnGone(err)
	}
	_, err = w.DeleteRuleGroup(ctx, &wafv2api.DeleteRuleGroupRequest{Name: &name, Id: &id, Scope: &scope, LockToken: got.LockToken})
	return cfnGone(err)
}

// cfnPutLogging creates or replaces a web ACL's logging configuration
// (PutLoggingConfiguration does both).
func (w *WAF) cfnPutLogging(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	lc := &wafv2api.LoggingConfiguration{}
	if err := cfnDecode(r.Properties, lc); err != nil {
		return kit.ResourceResult{}, err
	}
	lc.ManagedByFirewallManager = nil
	out, err := w.PutLoggingConfiguration(ctx, &wafv2api.PutLoggingConfigurationRequest{LoggingConfiguration: lc})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	got := out.LoggingConfiguration
	return kit.ResourceResult{PhysicalID: *got.ResourceArn,
		Attributes: map[string]any{"ManagedByFirewallManager": got.ManagedByFirewallManager != nil && *got.ManagedByFirewallManager}}, nil
}

func (w *WAF) cfnDeleteLogging(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := w.DeleteLoggingConfiguration(ctx, &wafv2api.DeleteLoggingConfigurationRequest{ResourceArn: &r.PhysicalID})
	return cfnGone(err)
}

// cfnRetag applies the Tags property's changes to a resource.
func (w *WAF) cfnRetag(ctx *request.Context, arn string, r kit.ResourceRequest) error {
	old, cur := kit.PropTags(r.OldProperties), kit.PropTags(r.Properties)
	var gone []string
	for k := range old {
		if _, ok := cur[k]; !ok {
			gone = append(gone, k)
		}
	}
	var set []wafv2api.Tag
	for k, v := range cur {
		if ov, ok := old[k]; !ok || ov != v {
			set = append(set, wafv2api.Tag{Key: &k, Value: &v})
		}
	}
	if len(gone) > 0 {
		sort.Strings(gone)
		if _, err := w.UntagResource(ctx, &wafv2api.UntagResourceRequest{ResourceARN: &arn, TagKeys: gone}); err != nil {
			return err
		}
	}
	if len(set) > 0 {
		if _, err := w.TagResource(ctx, &wafv2api.TagResourceRequest{ResourceARN: &arn, Tags: set}); err != nil {
			return err
		}
	}
	return nil
}
