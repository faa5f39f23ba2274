package wafv2

import (
	"strings"

	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Declare is AWS WAF as the platform sees it: operations on an entity
// are authorized on its ARN (regional/<kind>/<name>/<id>, global/ for
// scope CLOUDFRONT), associations on both the web ACL and the resource.
func (w *WAF) Declare() kit.Declaration {
	return kit.Declaration{
		Impl:      w,
		Namespace: "wafv2",
		Authz:     kit.Authz{Resources: resources},
		Tags:      kit.TagLookup(w.resourceTagsIn),
		Reset:     w.Reset,
		Resources: w.cfnResources(),
		NotImplemented: kit.Reasons{}.
			Add("niwa does not ship AWS Managed Rules or Marketplace rule groups; ListAvailableManagedRuleGroups lists them, and rules that use them are refused",
				"DescribeManagedRuleGroup", "ListAvailableManagedRuleGroupVersions", "DescribeAllManagedProducts", "DescribeManagedProductsByVendor",
				"GetManagedRuleSet", "ListManagedRuleSets", "PutManagedRuleSetVersions", "UpdateManagedRuleSetVersionExpiryDate").
			Add("niwa does not serve CAPTCHA puzzles or challenges, so it has no application integration keys or mobile SDK",
				"CreateAPIKey", "DeleteAPIKey", "GetDecryptedAPIKey", "ListAPIKeys", "GenerateMobileSdkReleaseUrl", "GetMobileSdkRelease", "ListMobileSdkReleases").
			Add("niwa has no Firewall Manager and no cross-account sharing of rule groups",
				"DeleteFirewallManagerRuleGroups", "PutPermissionPolicy", "GetPermissionPolicy", "DeletePermissionPolicy"),
	}
}

func resources(op string, in kit.Input, env kit.Env) []string {
	if a := in.Str("ResourceARN"); a != "" {
		return []string{a}
	}
	var out []string
	if a := in.Str("WebACLArn"); a != "" {
		out = append(out, a)
	}
	if a := in.Str("WebAclArn"); a != "" { // GetSampledRequests spells it so
		out = append(out, a)
	}
	if a := in.Str("ResourceArn"); a != "" {
		out = append(out, a)
	}
	if out != nil {
		return out
	}
	name, scope := in.Str("Name"), in.Str("Scope")
	id := in.Str("Id")
	if name == "" && in.Str("WebACLName") != "" {
		// GetRateBasedStatementManagedKeys names its web ACL so.
		name, id, op = in.Str("WebACLName"), in.Str("WebACLId"), "WebACL"
	}
	if name == "" {
		return nil
	}
	kind := ""
	switch {
	case strings.HasSuffix(op, "WebACL"):
		kind = kindWebACL
	case strings.HasSuffix(op, "IPSet"):
		kind = kindIPSet
	case strings.HasSuffix(op, "RegexPatternSet"):
		kind = kindRegex
	case strings.HasSuffix(op, "RuleGroup"):
		kind = kindRuleGroup
	default:
		return nil
	}
	if id == "" {
		id = "*"
	}
	prefix := "regional"
	if scope == "CLOUDFRONT" {
		prefix = "global"
	}
	return []string{kit.ARN("wafv2", env.Region, env.Account, prefix+"/"+kind+"/"+name+"/"+id)}
}

// Build makes the service from what the platform gives it.
func Build(d kit.Deps) (kit.Declaration, error) {
	return New(Options{Store: d.Store, Clock: d.Clock, Log: d.Log, Bus: d.Bus}).Declare(), nil
}

// resourceTagsIn reads an entity's tags in the ARN's own account and
// region.
func (w *WAF) resourceTagsIn(ctx *request.Context, arn string) (map[string]string, bool, error) {
	c, _, ok := kit.ARNScope(ctx, arn)
	if !ok {
		return nil, false, nil
	}
	var e entity
	err := w.store.View(func(tx storage.Tx) error {
		var err error
		e, ok, err = entityByARN(tx, scopeOf(c), arn)
		return err
	})
	return e.Tags, ok, err
}
