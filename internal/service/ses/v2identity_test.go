package ses

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"testing"

	sesapi "github.com/niwa-cloud/niwa/internal/api/ses"
	sesv2api "github.com/niwa-cloud/niwa/internal/api/sesv2"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/dns"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/servicetest"
)

// TestIdentityAttributesV2: policies (create refuses a duplicate,
// update a missing one), MAIL FROM, feedback and DKIM switches show in
// GetEmailIdentity; an unknown identity is NotFoundException.
func TestIdentityAttributesV2(t *testing.T) {
	r := newReceiving(t)
	ctx, v2 := r.h.Ctx(), NewV2(r.c)
	id := ptr.To("example.org")
	pol := ptr.To(`{"Version":"2012-10-17","Statement":[]}`)
	if _, err := v2.CreateEmailIdentityPolicy(ctx, &sesv2api.CreateEmailIdentityPolicyRequest{EmailIdentity: id, PolicyName: ptr.To("p"), Policy: pol}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		err  error
		code string
	}{
		{"duplicate", func() error {
			_, err := v2.CreateEmailIdentityPolicy(ctx, &sesv2api.CreateEmailIdentityPolicyRequest{EmailIdentity: id, PolicyName: ptr.To("p"), Policy: pol})
			return err
		}(), "AlreadyExistsException"},
		{"update missing", func() error {
			_, err := v2.UpdateEmailIdentityPolicy(ctx, &sesv2api.UpdateEmailIdentityPolicyRequest{EmailIdentity: id, PolicyName: ptr.To("q"), Policy: pol})
			return err
		}(), "NotFoundException"},
		{"bad json", func() error {
			_, err := v2.UpdateEmailIdentityPolicy(ctx, &sesv2api.UpdateEmailIdentityPolicyRequest{EmailIdentity: id, PolicyName: ptr.To("p"), Policy: ptr.To("{")})
			return err
		}(), "BadRequestException"},
		{"unknown identity", func() error {
			_, err := v2.PutEmailIdentityDkimAttributes(ctx, &sesv2api.PutEmailIdentityDkimAttributesRequest{EmailIdentity: ptr.To("nope.org"), SigningEnabled: ptr.To(false)})
			return err
		}(), "NotFoundException"},
	} {
		if awserr.As(tc.err).Code.Code != tc.code {
			t.Fatalf("%s: %v", tc.name, tc.err)
		}
	}
	if _, err := v2.PutEmailIdentityMailFromAttributes(ctx, &sesv2api.PutEmailIdentityMailFromAttributesRequest{EmailIdentity: id, MailFromDomain: ptr.To("mf.example.org"), BehaviorOnMxFailure: ptr.To("REJECT_MESSAGE")}); err != nil {
		t.Fatal(err)
	}
	if _, err := v2.PutEmailIdentityFeedbackAttributes(ctx, &sesv2api.PutEmailIdentityFeedbackAttributesRequest{EmailIdentity: id, EmailForwardingEnabled: ptr.To(false)}); err != nil {
		t.Fatal(err)
	}
	if _, err := v2.PutEmailIdentityDkimAttributes(ctx, &sesv2api.PutEmailIdentityDkimAttributesRequest{EmailIdentity: id, SigningEnabled: ptr.To(false)}); err != nil {
		t.Fatal(err)
	}
	g, err := v2.GetEmailIdentity(ctx, &sesv2api.GetEmailIdentityRequest{EmailIdentity: id})
	if err != nil || g.Policies["p"] == "" || ptr.Deref(g.FeedbackForwardingStatus) || ptr.Deref(g.DkimAttributes.SigningEnabled) ||
		ptr.Deref(g.MailFromAttributes.MailFromDomain) != "mf.example.org" || ptr.Deref(g.MailFromAttributes.BehaviorOnMxFailure) != "REJECT_MESSAGE" {
		t.Fatalf("%+v %v", g, err)
	}
	if _, err := v2.DeleteEmailIdentityPolicy(ctx, &sesv2api.DeleteEmailIdentityPolicyRequest{EmailIdentity: id, PolicyName: ptr.To("p")}); err != nil {
		t.Fatal(err)
	}
	if p, _ := v2.GetEmailIdentityPolicies(ctx, &sesv2api.GetEmailIdentityPoliciesRequest{EmailIdentity: id}); len(p.Policies) != 0 {
		t.Fatal(p)
	}
}

// TestSuppressionList: addresses are kept with their reason, listed by
// reason and in pages, deleted; a message to a suppressed address is
// accepted but not delivered to it (no receipt rule runs for it).
func TestSuppressionList(t *testing.T) {
	r := newReceiving(t)
	ctx, v2 := r.h.Ctx(), NewV2(r.c)
	put := func(addr, reason string) error {
		_, err := v2.PutSuppressedDestination(ctx, &sesv2api.PutSuppressedDestinationRequest{EmailAddress: ptr.To(addr), Reason: ptr.To(reason)})
		return err
	}
	for _, a := range []string{"a@example.org", "b@example.org", "c@example.org"} {
		reason := "BOUNCE"
		if a == "b@example.org" {
			reason = "COMPLAINT"
		}
		if err := put(a, reason); err != nil {
			t.Fatal(err)
		}
	}
	if err := put("x@example.org", "SPAM"); awserr.As(err).Code.Code != "BadRequestException" {
		t.Fatal(err)
	}
	g, err := v2.GetSuppressedDestination(ctx, &sesv2api.GetSuppressedDestinationRequest{EmailAddress: ptr.To("b@example.org")})
	if err != nil || ptr.Deref(g.SuppressedDestination.Reason) != "COMPLAINT" {
		t.Fatal(g, err)
	}
	l, err := v2.ListSuppressedDestinations(ctx, &sesv2api.ListSuppressedDestinationsRequest{Reasons: []string{"BOUNCE"}, PageSize: ptr.To(int32(1))})
	if err != nil || len(l.SuppressedDestinationSummaries) != 1 || ptr.Deref(l.SuppressedDestinationSummaries[0].EmailAddress) != "a@example.org" || l.NextToken == nil {
		t.Fatal(l, err)
	}
	l, err = v2.ListSuppressedDestinations(ctx, &sesv2api.ListSuppressedDestinationsRequest{Reasons: []string{"BOUNCE"}, PageSize: ptr.To(int32(1)), NextToken: l.NextToken})
	if err != nil || len(l.SuppressedDestinationSummaries) != 1 || ptr.Deref(l.SuppressedDestinationSummaries[0].EmailAddress) != "c@example.org" {
		t.Fatal(l, err)
	}
	if _, err := v2.DeleteSuppressedDestination(ctx, &sesv2api.DeleteSuppressedDestinationRequest{EmailAddress: ptr.To("c@example.org")}); err != nil {
		t.Fatal(err)
	}
	if _, err := v2.DeleteSuppressedDestination(ctx, &sesv2api.DeleteSuppressedDestinationRequest{EmailAddress: ptr.To("c@example.org")}); awserr.As(err).Code.Code != "NotFoundException" {
		t.Fatal(err)
	}
	// a@ is suppressed, c@ no longer: only c@ reaches the rule's topic.
	topic := "arn:aws:sns:us-east-1:" + r.h.Account + ":in"
	r.rules(t, sesapi.ReceiptRule{Name: ptr.To("all"), Enabled: ptr.To(true), Actions: []sesapi.ReceiptAction{{SNSAction: &sesapi.SNSAction{TopicArn: ptr.To(topic)}}}})
	for _, to := range []string{"a@example.org", "c@example.org"} {
		raw := "From: me@example.org\r\nTo: " + to + "\r\nSubject: s\r\n\r\nx\r\n"
		if _, err := r.v1.SendRawEmail(ctx, &sesapi.SendRawEmailRequest{RawMessage: &sesapi.RawMessage{Data: []byte(raw)}}); err != nil {
			t.Fatal(err)
		}
	}
	if got := r.delivered(); len(got) != 1 {
		t.Fatalf("deliveries: %+v", got)
	}
	ms, _ := r.c.Outbox("")
	marked := 0
	for _, m := range ms {
		if len(m.Suppressed) == 1 && m.Suppressed[0] == "a@example.org" && m.Destination.ToAddresses[0] == "a@example.org" {
			marked++
		}
	}
	if marked != 1 {
		t.Fatalf("outbox: %+v", ms)
	}
}

// TestBYODKIM: EXTERNAL signing takes a selector and a base64 RSA key;
// the domain verifies once the selector's TXT record is in Route 53; a
// bad key, a bad origin and an address identity are refused.
func TestBYODKIM(t *testing.T) {
	h := servicetest.New(t, "ses")
	zones := fakeZones{}
	c := New(Options{Store: h.Store(), Clock: h.Clock, DNS: zones})
	v2 := NewV2(c)
	ctx := h.Ctx()
	if _, err := v2.CreateEmailIdentity(ctx, &sesv2api.CreateEmailIdentityRequest{EmailIdentity: ptr.To("byo.example.org")}); err != nil {
		t.Fatal(err)
	}
	k, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	good := base64.StdEncoding.EncodeToString(x509.MarshalPKCS1PrivateKey(k))
	put := func(id, origin, key string) (*sesv2api.PutEmailIdentityDkimSigningAttributesResponse, error) {
		return v2.PutEmailIdentityDkimSigningAttributes(ctx, &sesv2api.PutEmailIdentityDkimSigningAttributesRequest{EmailIdentity: ptr.To(id),
			SigningAttributesOrigin: ptr.To(origin), SigningAttributes: &sesv2api.DkimSigningAttributes{DomainSigningSelector: ptr.To("sel"), DomainSigningPrivateKey: ptr.To(key)}})
	}
	for _, tc := range []struct{ id, origin, key, code string }{
		{"byo.example.org", "EXTERNAL", "bm90IGEga2V5", "BadRequestException"},
		{"byo.example.org", "MINE", good, "BadRequestException"},
		{"nope.example.org", "EXTERNAL", good, "NotFoundException"},
	} {
		if _, err := put(tc.id, tc.origin, tc.key); awserr.As(err).Code.Code != tc.code {
			t.Fatalf("%+v: %v", tc, err)
		}
	}
	out, err := put("byo.example.org", "EXTERNAL", good)
	if err != nil || *out.DkimStatus != "PENDING" || out.DkimTokens[0] != "sel" {
		t.Fatal(out, err)
	}
	zones["sel._domainkey.byo.example.org."] = []dns.RRSet{{Type: "TXT", Values: []string{`"v=DKIM1; k=rsa; p=MIGf"`}}}
	g, err := v2.GetEmailIdentity(ctx, &sesv2api.GetEmailIdentityRequest{EmailIdentity: ptr.To("byo.example.org")})
	if err != nil || *g.DkimAttributes.Status != "SUCCESS" || *g.DkimAttributes.SigningAttributesOrigin != "EXTERNAL" || !*g.VerifiedForSendingStatus {
		t.Fatal(g, err)
	}
}
