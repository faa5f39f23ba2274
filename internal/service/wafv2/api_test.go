package wafv2

import (
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	wafapi "github.com/niwa-cloud/niwa/internal/api/wafv2"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/servicetest"
)

func vis() *wafapi.VisibilityConfig {
	return &wafapi.VisibilityConfig{SampledRequestsEnabled: ptr.To(false), CloudWatchMetricsEnabled: ptr.To(false), MetricName: ptr.To("m")}
}

func regional(h *servicetest.Harness) *WAF {
	return New(Options{Store: h.Store(), Clock: h.Clock})
}

// TestAPIErrors: AWS's error codes (and WAFInvalidParameterException's
// field, parameter and reason members) for the refusals of the API.
func TestAPIErrors(t *testing.T) {
	h := servicetest.New(t, "wafv2")
	w := regional(h)
	ctx := h.Ctx()
	west := *ctx
	west.Region = "eu-west-1"
	set, err := w.CreateIPSet(ctx, &wafapi.CreateIPSetRequest{Name: ptr.To("s"), Scope: ptr.To("REGIONAL"), IPAddressVersion: ptr.To("IPV4"), Addresses: []string{"10.0.0.0/8"}})
	if err != nil {
		t.Fatal(err)
	}
	ipRef := &wafapi.Statement{IPSetReferenceStatement: &wafapi.IPSetReferenceStatement{ARN: set.Summary.ARN}}
	rule := func(name string, p int32, st *wafapi.Statement, a *wafapi.RuleAction) wafapi.Rule {
		return wafapi.Rule{Name: ptr.To(name), Priority: ptr.To(p), Statement: st, Action: a, VisibilityConfig: vis()}
	}
	block := &wafapi.RuleAction{Block: &wafapi.BlockAction{}}
	acl := func(name string, rules ...wafapi.Rule) error {
		_, err := w.CreateWebACL(ctx, &wafapi.CreateWebACLRequest{Name: ptr.To(name), Scope: ptr.To("REGIONAL"),
			DefaultAction: &wafapi.DefaultAction{Allow: &wafapi.AllowAction{}}, Rules: rules, VisibilityConfig: vis()})
		return err
	}
	tests := []struct {
		name  string
		err   error
		code  awserr.Code
		field string
	}{
		{"CLOUDFRONT outside us-east-1", func() error {
			_, err := w.ListWebACLs(&west, &wafapi.ListWebACLsRequest{Scope: ptr.To("CLOUDFRONT")})
			return err
		}(), wafapi.ErrWAFInvalidParameterException, "SCOPE_VALUE"},
		{"duplicate name", func() error {
			_, err := w.CreateIPSet(ctx, &wafapi.CreateIPSetRequest{Name: ptr.To("s"), Scope: ptr.To("REGIONAL"), IPAddressVersion: ptr.To("IPV4"), Addresses: []string{}})
			return err
		}(), wafapi.ErrWAFDuplicateItemException, ""},
		{"bad CIDR", func() error {
			_, err := w.CreateIPSet(ctx, &wafapi.CreateIPSetRequest{Name: ptr.To("x"), Scope: ptr.To("REGIONAL"), IPAddressVersion: ptr.To("IPV4"), Addresses: []string{"10.0.0.1"}})
			return err
		}(), wafapi.ErrWAFInvalidParameterException, "IP_ADDRESS"},
		{"missing set", func() error {
			_, err := w.GetIPSet(ctx, &wafapi.GetIPSetRequest{Name: ptr.To("s"), Scope: ptr.To("REGIONAL"), Id: ptr.To("nope")})
			return err
		}(), wafapi.ErrWAFNonexistentItemException, ""},
		{"stale lock token", func() error {
			_, err := w.UpdateIPSet(ctx, &wafapi.UpdateIPSetRequest{Name: ptr.To("s"), Scope: ptr.To("REGIONAL"), Id: set.Summary.Id, Addresses: []string{}, LockToken: ptr.To("old")})
			return err
		}(), wafapi.ErrWAFOptimisticLockException, ""},
		{"managed rule group", acl("m", wafapi.Rule{Name: ptr.To("m"), Priority: ptr.To(int32(0)), VisibilityConfig: vis(),
			OverrideAction: &wafapi.OverrideAction{None: &wafapi.NoneAction{}},
			Statement:      &wafapi.Statement{ManagedRuleGroupStatement: &wafapi.ManagedRuleGroupStatement{VendorName: ptr.To("AWS"), Name: ptr.To("AWSManagedRulesCommonRuleSet")}}}),
			wafapi.ErrWAFInvalidParameterException, "MANAGED_RULE_SET_STATEMENT"},
		{"captcha", acl("c", rule("c", 0, ipRef, &wafapi.RuleAction{Captcha: &wafapi.CaptchaAction{}})), wafapi.ErrWAFInvalidParameterException, "RULE_ACTION"},
		{"sqli", acl("q", rule("q", 0, &wafapi.Statement{SqliMatchStatement: &wafapi.SqliMatchStatement{}}, block)), wafapi.ErrWAFInvalidParameterException, "STATEMENT"},
		{"dangling IP set", acl("d", rule("d", 0, &wafapi.Statement{IPSetReferenceStatement: &wafapi.IPSetReferenceStatement{ARN: ptr.To(strings.Replace(*set.Summary.ARN, "/s/", "/gone/", 1))}}, block)),
			wafapi.ErrWAFNonexistentItemException, ""},
		{"log destination not aws-waf-logs-", func() error {
			a := arnOf(ctx, "REGIONAL", kindWebACL, "any", "id")
			_, err := w.PutLoggingConfiguration(ctx, &wafapi.PutLoggingConfigurationRequest{LoggingConfiguration: &wafapi.LoggingConfiguration{
				ResourceArn: &a, LogDestinationConfigs: []string{"arn:aws:logs:us-east-1:" + ctx.Account + ":log-group:app"}}})
			return err
		}(), wafapi.ErrWAFInvalidParameterException, "LOG_DESTINATION"},
		{"duplicate priority", acl("p", rule("a", 0, ipRef, block), rule("b", 0, ipRef, block)), wafapi.ErrWAFDuplicateItemException, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !tc.code.Is(tc.err) {
				t.Fatalf("got %v, want %s", tc.err, tc.code.Code)
			}
			if tc.field != "" && !strings.Contains(tc.err.Error(), "field: "+tc.field) {
				t.Fatalf("%v does not name field %s", tc.err, tc.field)
			}
		})
	}
}

// TestLifecycle: lock tokens rotate, an IP set in use and a web ACL
// associated with a load balancer cannot be deleted, capacity is
// counted, and Inspect blocks by the association until it is removed.
func TestLifecycle(t *testing.T) {
	h := servicetest.New(t, "wafv2")
	w := regional(h)
	ctx := h.Ctx()
	set, err := w.CreateIPSet(ctx, &wafapi.CreateIPSetRequest{Name: ptr.To("bad"), Scope: ptr.To("REGIONAL"), IPAddressVersion: ptr.To("IPV4"), Addresses: []string{"203.0.113.0/24"}})
	if err != nil {
		t.Fatal(err)
	}
	rules := []wafapi.Rule{{Name: ptr.To("deny-bad"), Priority: ptr.To(int32(1)), VisibilityConfig: vis(),
		Action:    &wafapi.RuleAction{Block: &wafapi.BlockAction{CustomResponse: &wafapi.CustomResponse{ResponseCode: ptr.To(int32(429)), CustomResponseBodyKey: ptr.To("slow")}}},
		Statement: &wafapi.Statement{IPSetReferenceStatement: &wafapi.IPSetReferenceStatement{ARN: set.Summary.ARN}}}}
	capOut, err := w.CheckCapacity(ctx, &wafapi.CheckCapacityRequest{Scope: ptr.To("REGIONAL"), Rules: rules})
	if err != nil || ptr.Deref(capOut.Capacity) != 1 {
		t.Fatalf("capacity %v %v", capOut, err)
	}
	acl, err := w.CreateWebACL(ctx, &wafapi.CreateWebACLRequest{Name: ptr.To("front"), Scope: ptr.To("REGIONAL"), VisibilityConfig: vis(),
		DefaultAction: &wafapi.DefaultAction{Allow: &wafapi.AllowAction{}}, Rules: rules,
		CustomResponseBodies: map[string]wafapi.CustomResponseBody{"slow": {ContentType: ptr.To("TEXT_PLAIN"), Content: ptr.To("slow down")}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.DeleteIPSet(ctx, &wafapi.DeleteIPSetRequest{Name: ptr.To("bad"), Scope: ptr.To("REGIONAL"), Id: set.Summary.Id, LockToken: set.Summary.LockToken}); !wafapi.ErrWAFAssociatedItemException.Is(err) {
		t.Fatalf("delete IP set in use: %v", err)
	}
	alb := "arn:aws:elasticloadbalancing:" + ctx.Region + ":" + ctx.Account + ":loadbalancer/app/web/0123456789abcdef"
	if _, err := w.AssociateWebACL(ctx, &wafapi.AssociateWebACLRequest{WebACLArn: acl.Summary.ARN, ResourceArn: ptr.To("arn:aws:s3:::bucket")}); !wafapi.ErrWAFInvalidParameterException.Is(err) {
		t.Fatalf("associate a bucket: %v", err)
	}
	if _, err := w.AssociateWebACL(ctx, &wafapi.AssociateWebACLRequest{WebACLArn: acl.Summary.ARN, ResourceArn: &alb}); err != nil {
		t.Fatal(err)
	}
	inspect := func(ip string) (bool, int, string) {
		rec := httptest.NewRecorder()
		blocked := w.Inspect(rec, httptest.NewRequest("GET", "/", nil), ctx.Account, ctx.Region, alb, netip.MustParseAddr(ip))
		return blocked, rec.Code, rec.Body.String()
	}
	if b, code, body := inspect("203.0.113.5"); !b || code != 429 || body != "slow down" {
		t.Fatalf("blocked client: %v %d %q", b, code, body)
	}
	if b, _, _ := inspect("192.0.2.1"); b {
		t.Fatal("other client blocked")
	}
	g, err := w.GetWebACL(ctx, &wafapi.GetWebACLRequest{Name: ptr.To("front"), Scope: ptr.To("REGIONAL"), Id: acl.Summary.Id})
	if err != nil || ptr.Deref(g.WebACL.Capacity) != 1 || ptr.Deref(g.LockToken) != ptr.Deref(acl.Summary.LockToken) {
		t.Fatalf("get: %+v %v", g, err)
	}
	if _, err := w.DeleteWebACL(ctx, &wafapi.DeleteWebACLRequest{Name: ptr.To("front"), Scope: ptr.To("REGIONAL"), Id: acl.Summary.Id, LockToken: g.LockToken}); !wafapi.ErrWAFAssociatedItemException.Is(err) {
		t.Fatalf("delete associated ACL: %v", err)
	}
	up, err := w.UpdateWebACL(ctx, &wafapi.UpdateWebACLRequest{Name: ptr.To("front"), Scope: ptr.To("REGIONAL"), Id: acl.Summary.Id, LockToken: g.LockToken,
		DefaultAction: &wafapi.DefaultAction{Block: &wafapi.BlockAction{}}, VisibilityConfig: vis()})
	if err != nil || ptr.Deref(up.NextLockToken) == ptr.Deref(g.LockToken) {
		t.Fatalf("update: %v %v", up, err)
	}
	if b, code, body := inspect("192.0.2.1"); !b || code != 403 || !strings.Contains(body, "403 Forbidden") {
		t.Fatalf("default Block: %v %d %q", b, code, body)
	}
	if _, err := w.DisassociateWebACL(ctx, &wafapi.DisassociateWebACLRequest{ResourceArn: &alb}); err != nil {
		t.Fatal(err)
	}
	if b, _, _ := inspect("192.0.2.1"); b {
		t.Fatal("blocked after disassociation")
	}
	if _, err := w.DeleteWebACL(ctx, &wafapi.DeleteWebACLRequest{Name: ptr.To("front"), Scope: ptr.To("REGIONAL"), Id: acl.Summary.Id, LockToken: up.NextLockToken}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.DeleteIPSet(ctx, &wafapi.DeleteIPSetRequest{Name: ptr.To("bad"), Scope: ptr.To("REGIONAL"), Id: set.Summary.Id, LockToken: set.Summary.LockToken}); err != nil {
		t.Fatal(err)
	}
}

// TestRuleGroupCapacity: a rule group refuses rules beyond its declared
// capacity; a web ACL referencing it costs that capacity.
func TestRuleGroupCapacity(t *testing.T) {
	h := servicetest.New(t, "wafv2")
	w := regional(h)
	ctx := h.Ctx()
	contains := wafapi.Rule{Name: ptr.To("c"), Priority: ptr.To(int32(0)), VisibilityConfig: vis(), Action: &wafapi.RuleAction{Block: &wafapi.BlockAction{}},
		Statement: &wafapi.Statement{ByteMatchStatement: &wafapi.ByteMatchStatement{SearchString: []byte("x"), PositionalConstraint: ptr.To("CONTAINS"),
			FieldToMatch: &wafapi.FieldToMatch{UriPath: &wafapi.UriPath{}}, TextTransformations: []wafapi.TextTransformation{{Priority: ptr.To(int32(0)), Type: ptr.To("NONE")}}}}}
	if _, err := w.CreateRuleGroup(ctx, &wafapi.CreateRuleGroupRequest{Name: ptr.To("small"), Scope: ptr.To("REGIONAL"), Capacity: ptr.To(int64(5)),
		Rules: []wafapi.Rule{contains}, VisibilityConfig: vis()}); !wafapi.ErrWAFLimitsExceededException.Is(err) {
		t.Fatalf("over capacity: %v", err)
	}
	g, err := w.CreateRuleGroup(ctx, &wafapi.CreateRuleGroupRequest{Name: ptr.To("big"), Scope: ptr.To("REGIONAL"), Capacity: ptr.To(int64(50)),
		Rules: []wafapi.Rule{contains}, VisibilityConfig: vis()})
	if err != nil {
		t.Fatal(err)
	}
	out, err := w.CheckCapacity(ctx, &wafapi.CheckCapacityRequest{Scope: ptr.To("REGIONAL"), Rules: []wafapi.Rule{{Name: ptr.To("g"), Priority: ptr.To(int32(0)),
		VisibilityConfig: vis(), OverrideAction: &wafapi.OverrideAction{None: &wafapi.NoneAction{}},
		Statement: &wafapi.Statement{RuleGroupReferenceStatement: &wafapi.RuleGroupReferenceStatement{ARN: g.Summary.ARN}}}}})
	if err != nil || ptr.Deref(out.Capacity) != 50 {
		t.Fatalf("capacity %v %v", out, err)
	}
}

// TestInspectCompiled: statements compiled from the API — a regex
// pattern set on the path, a label from a Count rule matched later, and a
// rate-based rule whose 5-minute window moves with the injected clock.
func TestInspectCompiled(t *testing.T) {
	h := servicetest.New(t, "wafv2")
	w := regional(h)
	ctx := h.Ctx()
	rx, err := w.CreateRegexPatternSet(ctx, &wafapi.CreateRegexPatternSetRequest{Name: ptr.To("admin"), Scope: ptr.To("REGIONAL"),
		RegularExpressionList: []wafapi.Regex{{RegexString: ptr.To(`^/(admin|wp-admin)/`)}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.CreateRegexPatternSet(ctx, &wafapi.CreateRegexPatternSetRequest{Name: ptr.To("bad"), Scope: ptr.To("REGIONAL"),
		RegularExpressionList: []wafapi.Regex{{RegexString: ptr.To(`(a`)}}}); !wafapi.ErrWAFInvalidParameterException.Is(err) {
		t.Fatalf("bad regex: %v", err)
	}
	path := &wafapi.FieldToMatch{UriPath: &wafapi.UriPath{}}
	none := []wafapi.TextTransformation{{Priority: ptr.To(int32(0)), Type: ptr.To("NONE")}}
	rules := []wafapi.Rule{
		{Name: ptr.To("tag-admin"), Priority: ptr.To(int32(0)), VisibilityConfig: vis(), Action: &wafapi.RuleAction{Count: &wafapi.CountAction{}},
			RuleLabels: []wafapi.Label{{Name: ptr.To("admin")}},
			Statement:  &wafapi.Statement{RegexPatternSetReferenceStatement: &wafapi.RegexPatternSetReferenceStatement{ARN: rx.Summary.ARN, FieldToMatch: path, TextTransformations: none}}},
		{Name: ptr.To("block-admin"), Priority: ptr.To(int32(1)), VisibilityConfig: vis(), Action: &wafapi.RuleAction{Block: &wafapi.BlockAction{}},
			Statement: &wafapi.Statement{LabelMatchStatement: &wafapi.LabelMatchStatement{Scope: ptr.To("LABEL"), Key: ptr.To("admin")}}},
		{Name: ptr.To("rate"), Priority: ptr.To(int32(2)), VisibilityConfig: vis(), Action: &wafapi.RuleAction{Block: &wafapi.BlockAction{}},
			Statement: &wafapi.Statement{RateBasedStatement: &wafapi.RateBasedStatement{Limit: ptr.To(int64(10)), AggregateKeyType: ptr.To("IP")}}},
	}
	acl, err := w.CreateWebACL(ctx, &wafapi.CreateWebACLRequest{Name: ptr.To("site"), Scope: ptr.To("REGIONAL"), VisibilityConfig: vis(),
		DefaultAction: &wafapi.DefaultAction{Allow: &wafapi.AllowAction{}}, Rules: rules})
	if err != nil {
		t.Fatal(err)
	}
	alb := "arn:aws:elasticloadbalancing:" + ctx.Region + ":" + ctx.Account + ":loadbalancer/app/site/0123456789abcdef"
	if _, err := w.AssociateWebACL(ctx, &wafapi.AssociateWebACLRequest{WebACLArn: acl.Summary.ARN, ResourceArn: &alb}); err != nil {
		t.Fatal(err)
	}
	blocked := func(p string) bool {
		return w.Inspect(httptest.NewRecorder(), httptest.NewRequest("GET", p, nil), ctx.Account, ctx.Region, alb, netip.MustParseAddr("192.0.2.1"))
	}
	if !blocked("/wp-admin/x") {
		t.Fatal("admin path allowed")
	}
	var got []bool
	for i := 0; i < 11; i++ {
		got = append(got, blocked("/"))
	}
	if got[9] || !got[10] {
		t.Fatalf("rate limit of 10: %v", got)
	}
	h.Clock.Advance(6 * time.Minute)
	if blocked("/") {
		t.Fatal("still limited after the window")
	}
}

// TestLogging: a web ACL's logging configuration is stored, listed by
// scope and deleted; a missing one is WAFNonexistentItemException.
func TestLogging(t *testing.T) {
	h := servicetest.New(t, "wafv2")
	w := regional(h)
	ctx := h.Ctx()
	acl, err := w.CreateWebACL(ctx, &wafapi.CreateWebACLRequest{Name: ptr.To("a"), Scope: ptr.To("REGIONAL"), VisibilityConfig: vis(),
		DefaultAction: &wafapi.DefaultAction{Allow: &wafapi.AllowAction{}}})
	if err != nil {
		t.Fatal(err)
	}
	dest := "arn:aws:logs:" + ctx.Region + ":" + ctx.Account + ":log-group:aws-waf-logs-app"
	if _, err := w.PutLoggingConfiguration(ctx, &wafapi.PutLoggingConfigurationRequest{LoggingConfiguration: &wafapi.LoggingConfiguration{
		ResourceArn: acl.Summary.ARN, LogDestinationConfigs: []string{dest}}}); err != nil {
		t.Fatal(err)
	}
	got, err := w.GetLoggingConfiguration(ctx, &wafapi.GetLoggingConfigurationRequest{ResourceArn: acl.Summary.ARN})
	if err != nil || got.LoggingConfiguration.LogDestinationConfigs[0] != dest || ptr.Deref(got.LoggingConfiguration.LogType) != "WAF_LOGS" {
		t.Fatalf("get: %+v %v", got, err)
	}
	list, err := w.ListLoggingConfigurations(ctx, &wafapi.ListLoggingConfigurationsRequest{Scope: ptr.To("REGIONAL")})
	if err != nil || len(list.LoggingConfigurations) != 1 {
		t.Fatalf("list: %+v %v", list, err)
	}
	if _, err := w.DeleteLoggingConfiguration(ctx, &wafapi.DeleteLoggingConfigurationRequest{ResourceArn: acl.Summary.ARN}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.GetLoggingConfiguration(ctx, &wafapi.GetLoggingConfigurationRequest{ResourceArn: acl.Summary.ARN}); !wafapi.ErrWAFNonexistentItemException.Is(err) {
		t.Fatalf("after delete: %v", err)
	}
}
