package wafv2

import (
	"testing"

	wafapi "github.com/niwa-cloud/niwa/internal/api/wafv2"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/kit/kittest"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// TestResourceARNs: entity operations are checked on the entity's ARN
// (regional/ or global/ by scope, * for the id of a new one), tag calls
// on the ARN they name, associations on the web ACL and the resource.
func TestResourceARNs(t *testing.T) {
	const prefix = "arn:aws:wafv2:us-east-1:123456789012:"
	kittest.Resources(t, kit.Authz{Resources: resources}, "wafv2", []kittest.Case{
		{Op: "CreateIPSet", In: &wafapi.CreateIPSetRequest{Name: ptr.To("s"), Scope: ptr.To("REGIONAL")}, Resource: prefix + "regional/ipset/s/*"},
		{Op: "GetWebACL", In: &wafapi.GetWebACLRequest{Name: ptr.To("a"), Scope: ptr.To("CLOUDFRONT"), Id: ptr.To("i")}, Resource: prefix + "global/webacl/a/i"},
		{Op: "DeleteRuleGroup", In: &wafapi.DeleteRuleGroupRequest{Name: ptr.To("g"), Scope: ptr.To("REGIONAL"), Id: ptr.To("i")}, Resource: prefix + "regional/rulegroup/g/i"},
		{Op: "UpdateRegexPatternSet", In: &wafapi.UpdateRegexPatternSetRequest{Name: ptr.To("r"), Scope: ptr.To("REGIONAL"), Id: ptr.To("i")}, Resource: prefix + "regional/regexpatternset/r/i"},
		{Op: "TagResource", In: &wafapi.TagResourceRequest{ResourceARN: ptr.To(prefix + "regional/ipset/s/i")}, Resource: prefix + "regional/ipset/s/i"},
		{Op: "GetRateBasedStatementManagedKeys", In: &wafapi.GetRateBasedStatementManagedKeysRequest{WebACLName: ptr.To("a"), Scope: ptr.To("REGIONAL"), WebACLId: ptr.To("i"), RuleName: ptr.To("r")},
			Resource: prefix + "regional/webacl/a/i"},
		{Op: "GetSampledRequests", In: &wafapi.GetSampledRequestsRequest{WebAclArn: ptr.To(prefix + "regional/webacl/a/i")}, Resource: prefix + "regional/webacl/a/i"},
		{Op: "ListWebACLs", In: &wafapi.ListWebACLsRequest{Scope: ptr.To("REGIONAL")}, Resource: "*"},
	})
}
