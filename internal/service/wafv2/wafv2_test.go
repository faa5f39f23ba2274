package wafv2

import (
	"context"
	"net"
	"net/http/httptest"
	"testing"

	wafapi "github.com/niwa-cloud/niwa/internal/api/wafv2"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/servicetest"
)

// TestEvaluate: the protected-API web ACL of S18 — allow only callers in
// an IP set AND with a given Authorization header, block by default;
// rules by priority, Count continues, lock tokens guard updates.
func TestEvaluate(t *testing.T) {
	h := servicetest.New(t, "wafv2")
	w := New(Options{Store: h.Store()})
	ctx := h.Ctx()
	set, err := w.CreateIPSet(ctx, &wafapi.CreateIPSetRequest{Name: ptr.To("office"), Scope: ptr.To("CLOUDFRONT"),
		IPAddressVersion: ptr.To("IPV4"), Addresses: []string{"192.0.2.0/24"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = w.CreateIPSet(ctx, &wafapi.CreateIPSetRequest{Name: ptr.To("bad"), Scope: ptr.To("CLOUDFRONT"),
		IPAddressVersion: ptr.To("IPV4"), Addresses: []string{"2001:db8::/32"}})
	if !wafapi.ErrWAFInvalidParameterException.Is(err) {
		t.Fatalf("IPv6 address in an IPV4 set: %v", err)
	}
	header := wafapi.Statement{ByteMatchStatement: &wafapi.ByteMatchStatement{SearchString: []byte("bearer secret"),
		FieldToMatch:         &wafapi.FieldToMatch{SingleHeader: &wafapi.SingleHeader{Name: ptr.To("authorization")}},
		TextTransformations:  []wafapi.TextTransformation{{Priority: ptr.To(int32(0)), Type: ptr.To("LOWERCASE")}},
		PositionalConstraint: ptr.To("EXACTLY")}}
	ipRef := wafapi.Statement{IPSetReferenceStatement: &wafapi.IPSetReferenceStatement{ARN: set.Summary.ARN}}
	acl, err := w.CreateWebACL(ctx, &wafapi.CreateWebACLRequest{Name: ptr.To("api"), Scope: ptr.To("CLOUDFRONT"),
		DefaultAction: &wafapi.DefaultAction{Block: &wafapi.BlockAction{}},
		Rules: []wafapi.Rule{
			{Name: ptr.To("allow-office-with-key"), Priority: ptr.To(int32(1)), Action: &wafapi.RuleAction{Allow: &wafapi.AllowAction{}},
				Statement: &wafapi.Statement{AndStatement: &wafapi.AndStatement{Statements: []wafapi.Statement{ipRef, header}}}},
			{Name: ptr.To("count-all"), Priority: ptr.To(int32(0)), Action: &wafapi.RuleAction{Count: &wafapi.CountAction{}},
				Statement: &wafapi.Statement{NotStatement: &wafapi.NotStatement{Statement: &header}}},
		}})
	if err != nil {
		t.Fatal(err)
	}
	arn := ptr.Deref(acl.Summary.ARN)
	if want := "arn:aws:wafv2:us-east-1:" + h.Account + ":global/webacl/api/"; arn[:len(want)] != want {
		t.Fatalf("ARN %s", arn)
	}
	for _, c := range []struct {
		name, ip, auth string
		blocked        bool
	}{
		{"office with key", "192.0.2.7", "Bearer SECRET", false},
		{"office without key", "192.0.2.7", "", true},
		{"elsewhere with key", "198.51.100.1", "Bearer secret", true},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		if c.auth != "" {
			r.Header.Set("Authorization", c.auth)
		}
		blocked, err := w.Evaluate(context.Background(), arn, r, net.ParseIP(c.ip))
		if err != nil || blocked != c.blocked {
			t.Fatalf("%s: blocked %v err %v, want %v", c.name, blocked, err, c.blocked)
		}
	}
	// Lock tokens.
	_, err = w.UpdateIPSet(ctx, &wafapi.UpdateIPSetRequest{Name: ptr.To("office"), Scope: ptr.To("CLOUDFRONT"), Id: set.Summary.Id,
		Addresses: []string{"198.51.100.0/24"}, LockToken: ptr.To("stale")})
	if !wafapi.ErrWAFOptimisticLockException.Is(err) {
		t.Fatalf("stale lock token: %v", err)
	}
	if _, err := w.UpdateIPSet(ctx, &wafapi.UpdateIPSetRequest{Name: ptr.To("office"), Scope: ptr.To("CLOUDFRONT"), Id: set.Summary.Id,
		Addresses: []string{"198.51.100.0/24"}, LockToken: set.Summary.LockToken}); err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer secret")
	if blocked, _ := w.Evaluate(context.Background(), arn, r, net.ParseIP("198.51.100.1")); blocked {
		t.Fatal("the updated IP set is not used")
	}
	_, err = w.GetWebACL(ctx, &wafapi.GetWebACLRequest{Name: ptr.To("api"), Scope: ptr.To("REGIONAL"), Id: acl.Summary.Id})
	if !wafapi.ErrWAFNonexistentItemException.Is(err) {
		t.Fatalf("other scope: %v", err)
	}
}
