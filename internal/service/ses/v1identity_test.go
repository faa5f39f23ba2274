package ses

import (
	"net/netip"
	"strings"
	"testing"

	sesapi "github.com/niwa-cloud/niwa/internal/api/ses"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// TestIdentityAttributesV1: policies, MAIL FROM, notification topics and
// DKIM switches are kept per identity and read back; an unknown
// identity is refused; a paused account cannot send.
func TestIdentityAttributesV1(t *testing.T) {
	r := newReceiving(t)
	ctx, v1 := r.h.Ctx(), r.v1
	id := ptr.To("example.org")
	if _, err := v1.PutIdentityPolicy(ctx, &sesapi.PutIdentityPolicyRequest{Identity: id, PolicyName: ptr.To("p"), Policy: ptr.To(`{"Version":"2012-10-17","Statement":[]}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := v1.PutIdentityPolicy(ctx, &sesapi.PutIdentityPolicyRequest{Identity: id, PolicyName: ptr.To("bad"), Policy: ptr.To(`{`)}); awserr.As(err).Code.Code != "InvalidPolicy" {
		t.Fatal("bad policy:", err)
	}
	if _, err := v1.PutIdentityPolicy(ctx, &sesapi.PutIdentityPolicyRequest{Identity: ptr.To("nope.org"), PolicyName: ptr.To("p"), Policy: ptr.To(`{}`)}); awserr.As(err).Code.Code != "InvalidParameterValue" {
		t.Fatal("unknown identity:", err)
	}
	ls, err := v1.ListIdentityPolicies(ctx, &sesapi.ListIdentityPoliciesRequest{Identity: id})
	if err != nil || strings.Join(ls.PolicyNames, ",") != "p" {
		t.Fatal(ls, err)
	}
	gp, err := v1.GetIdentityPolicies(ctx, &sesapi.GetIdentityPoliciesRequest{Identity: id, PolicyNames: []string{"p", "q"}})
	if err != nil || len(gp.Policies) != 1 || !strings.Contains(gp.Policies["p"], "2012-10-17") {
		t.Fatal(gp, err)
	}
	if _, err := v1.DeleteIdentityPolicy(ctx, &sesapi.DeleteIdentityPolicyRequest{Identity: id, PolicyName: ptr.To("p")}); err != nil {
		t.Fatal(err)
	}
	if ls, _ := v1.ListIdentityPolicies(ctx, &sesapi.ListIdentityPoliciesRequest{Identity: id}); len(ls.PolicyNames) != 0 {
		t.Fatal(ls)
	}
	if _, err := v1.SetIdentityMailFromDomain(ctx, &sesapi.SetIdentityMailFromDomainRequest{Identity: id, MailFromDomain: ptr.To("bounce.example.org")}); err != nil {
		t.Fatal(err)
	}
	mf, err := v1.GetIdentityMailFromDomainAttributes(ctx, &sesapi.GetIdentityMailFromDomainAttributesRequest{Identities: []string{"example.org", "nope.org"}})
	if a := mf.MailFromDomainAttributes["example.org"]; err != nil || len(mf.MailFromDomainAttributes) != 1 || ptr.Deref(a.MailFromDomain) != "bounce.example.org" ||
		ptr.Deref(a.MailFromDomainStatus) != "Pending" || ptr.Deref(a.BehaviorOnMXFailure) != "UseDefaultValue" {
		t.Fatal(mf, err)
	}
	if _, err := v1.SetIdentityFeedbackForwardingEnabled(ctx, &sesapi.SetIdentityFeedbackForwardingEnabledRequest{Identity: id, ForwardingEnabled: ptr.To(false)}); awserr.As(err).Code.Code != "InvalidParameterValue" {
		t.Fatal("forwarding off without topics:", err)
	}
	for _, typ := range []string{"Bounce", "Complaint"} {
		if _, err := v1.SetIdentityNotificationTopic(ctx, &sesapi.SetIdentityNotificationTopicRequest{Identity: id, NotificationType: ptr.To(typ), SnsTopic: ptr.To("arn:aws:sns:us-east-1:1:" + typ)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := v1.SetIdentityFeedbackForwardingEnabled(ctx, &sesapi.SetIdentityFeedbackForwardingEnabledRequest{Identity: id, ForwardingEnabled: ptr.To(false)}); err != nil {
		t.Fatal(err)
	}
	if _, err := v1.SetIdentityHeadersInNotificationsEnabled(ctx, &sesapi.SetIdentityHeadersInNotificationsEnabledRequest{Identity: id, NotificationType: ptr.To("Bounce"), Enabled: ptr.To(true)}); err != nil {
		t.Fatal(err)
	}
	na, err := v1.GetIdentityNotificationAttributes(ctx, &sesapi.GetIdentityNotificationAttributesRequest{Identities: []string{"example.org"}})
	if a := na.NotificationAttributes["example.org"]; err != nil || ptr.Deref(a.BounceTopic) != "arn:aws:sns:us-east-1:1:Bounce" || ptr.Deref(a.ForwardingEnabled) ||
		!ptr.Deref(a.HeadersInBounceNotificationsEnabled) || ptr.Deref(a.HeadersInComplaintNotificationsEnabled) {
		t.Fatal(na, err)
	}
	if _, err := v1.SetIdentityDkimEnabled(ctx, &sesapi.SetIdentityDkimEnabledRequest{Identity: id, DkimEnabled: ptr.To(false)}); err != nil {
		t.Fatal(err)
	}
	dk, err := v1.GetIdentityDkimAttributes(ctx, &sesapi.GetIdentityDkimAttributesRequest{Identities: []string{"example.org"}})
	if err != nil || ptr.Deref(dk.DkimAttributes["example.org"].DkimEnabled) {
		t.Fatal(dk, err)
	}
	if _, err := v1.UpdateAccountSendingEnabled(ctx, &sesapi.UpdateAccountSendingEnabledRequest{Enabled: ptr.To(false)}); err != nil {
		t.Fatal(err)
	}
	en, _ := v1.GetAccountSendingEnabled(ctx, &sesapi.GetAccountSendingEnabledInput{})
	_, err = v1.SendRawEmail(ctx, &sesapi.SendRawEmailRequest{RawMessage: &sesapi.RawMessage{Data: []byte("From: a@example.org\r\nTo: b@example.org\r\nSubject: s\r\n\r\nx\r\n")}})
	if ptr.Deref(en.Enabled) || awserr.As(err).Code.Code != "AccountSendingPausedException" {
		t.Fatal("paused account sent:", err)
	}
}

// TestReceiptRuleSetOrdering: clone, reorder and position rules.
func TestReceiptRuleSetOrdering(t *testing.T) {
	r := newReceiving(t)
	ctx, v1 := r.h.Ctx(), r.v1
	for _, n := range []string{"a", "b", "c"} {
		r := sesapi.ReceiptRule{Name: ptr.To(n)}
		after := map[string]string{"b": "a", "c": "b"}[n]
		if _, err := v1.CreateReceiptRule(ctx, &sesapi.CreateReceiptRuleRequest{RuleSetName: ptr.To("rs"), After: nonEmpty(after), Rule: &r}); err != nil {
			t.Fatal(err)
		}
	}
	names := func(set string) string {
		d, err := v1.DescribeReceiptRuleSet(ctx, &sesapi.DescribeReceiptRuleSetRequest{RuleSetName: ptr.To(set)})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range d.Rules {
			out = append(out, *r.Name)
		}
		return strings.Join(out, ",")
	}
	for _, tc := range []struct {
		name string
		call func() error
		want string
		code string
	}{
		{"position first", func() error {
			_, err := v1.SetReceiptRulePosition(ctx, &sesapi.SetReceiptRulePositionRequest{RuleSetName: ptr.To("rs"), RuleName: ptr.To("c")})
			return err
		}, "c,a,b", ""},
		{"position after", func() error {
			_, err := v1.SetReceiptRulePosition(ctx, &sesapi.SetReceiptRulePositionRequest{RuleSetName: ptr.To("rs"), RuleName: ptr.To("c"), After: ptr.To("b")})
			return err
		}, "a,b,c", ""},
		{"position after missing", func() error {
			_, err := v1.SetReceiptRulePosition(ctx, &sesapi.SetReceiptRulePositionRequest{RuleSetName: ptr.To("rs"), RuleName: ptr.To("c"), After: ptr.To("zz")})
			return err
		}, "a,b,c", "RuleDoesNotExist"},
		{"reorder", func() error {
			_, err := v1.ReorderReceiptRuleSet(ctx, &sesapi.ReorderReceiptRuleSetRequest{RuleSetName: ptr.To("rs"), RuleNames: []string{"b", "c", "a"}})
			return err
		}, "b,c,a", ""},
		{"reorder partial", func() error {
			_, err := v1.ReorderReceiptRuleSet(ctx, &sesapi.ReorderReceiptRuleSetRequest{RuleSetName: ptr.To("rs"), RuleNames: []string{"a"}})
			return err
		}, "b,c,a", "InvalidParameterValue"},
	} {
		err := tc.call()
		if awserr.As(err).Code.Code != tc.code && !(tc.code == "" && err == nil) {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := names("rs"); got != tc.want {
			t.Fatalf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
	if _, err := v1.CloneReceiptRuleSet(ctx, &sesapi.CloneReceiptRuleSetRequest{RuleSetName: ptr.To("copy"), OriginalRuleSetName: ptr.To("rs")}); err != nil {
		t.Fatal(err)
	}
	if names("copy") != "b,c,a" {
		t.Fatal(names("copy"))
	}
	if _, err := v1.CloneReceiptRuleSet(ctx, &sesapi.CloneReceiptRuleSetRequest{RuleSetName: ptr.To("copy"), OriginalRuleSetName: ptr.To("rs")}); awserr.As(err).Code.Code != "AlreadyExists" {
		t.Fatal(err)
	}
}

// TestReceiptFilters: filters are kept; Block covers an address unless
// an Allow filter covers it too; a bad CIDR is refused.
func TestReceiptFilters(t *testing.T) {
	r := newReceiving(t)
	ctx, v1 := r.h.Ctx(), r.v1
	mk := func(name, policy, cidr string) error {
		_, err := v1.CreateReceiptFilter(ctx, &sesapi.CreateReceiptFilterRequest{Filter: &sesapi.ReceiptFilter{Name: ptr.To(name), IpFilter: &sesapi.ReceiptIpFilter{Policy: ptr.To(policy), Cidr: ptr.To(cidr)}}})
		return err
	}
	if err := mk("block-lo", "Block", "127.0.0.0/8"); err != nil {
		t.Fatal(err)
	}
	if err := mk("allow-one", "Allow", "127.0.0.9"); err != nil {
		t.Fatal(err)
	}
	if err := mk("bad", "Block", "300.1.1.1/8"); awserr.As(err).Code.Code != "InvalidParameterValue" {
		t.Fatal(err)
	}
	if err := mk("block-lo", "Block", "10.0.0.0/8"); awserr.As(err).Code.Code != "AlreadyExists" {
		t.Fatal(err)
	}
	ls, err := v1.ListReceiptFilters(ctx, &sesapi.ListReceiptFiltersRequest{})
	if err != nil || len(ls.Filters) != 2 {
		t.Fatal(ls, err)
	}
	for ip, want := range map[string]bool{"127.0.0.1": true, "127.0.0.9": false, "10.1.1.1": false} {
		if got := r.c.blockedBy(r.h.Account, "us-east-1", netip.MustParseAddr(ip)); got != want {
			t.Fatalf("%s blocked=%v", ip, got)
		}
	}
	if _, err := v1.DeleteReceiptFilter(ctx, &sesapi.DeleteReceiptFilterRequest{FilterName: ptr.To("block-lo")}); err != nil {
		t.Fatal(err)
	}
	if r.c.blockedBy(r.h.Account, "us-east-1", netip.MustParseAddr("127.0.0.1")) {
		t.Fatal("deleted filter still blocks")
	}
}

// FuzzParseFilterCIDR: any filter address either parses to an IPv4
// prefix that contains its own address, or is refused; never a panic.
func FuzzParseFilterCIDR(f *testing.F) {
	for _, s := range []string{"10.0.0.0/8", "127.0.0.1", "::1", "1.2.3.4/33", "", "300.1.1.1", "0.0.0.0/0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, ok := parseFilterCIDR(s)
		if ok && (!p.Addr().Is4() || !p.Contains(p.Addr())) {
			t.Fatalf("%q -> %v", s, p)
		}
	})
}
