package ses

import (
	"net/http/httptest"
	"regexp"
	"testing"

	sesapi "github.com/niwa-cloud/niwa/internal/api/ses"
	sesv2api "github.com/niwa-cloud/niwa/internal/api/sesv2"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// TestCustomVerificationEmail: a template (v1) mails its content from
// its verified sender with the link appended; the link verifies the
// address and redirects to the success URL; v2 reads the same template
// and refuses a missing one; an unverified sender is refused.
func TestCustomVerificationEmail(t *testing.T) {
	r := newReceiving(t)
	ctx, v1, v2 := r.h.Ctx(), r.v1, NewV2(r.c)
	mk := func(name, from string) error {
		_, err := v1.CreateCustomVerificationEmailTemplate(ctx, &sesapi.CreateCustomVerificationEmailTemplateRequest{TemplateName: ptr.To(name),
			FromEmailAddress: ptr.To(from), TemplateSubject: ptr.To("Please confirm"), TemplateContent: ptr.To("<h1>Welcome</h1>"),
			SuccessRedirectionURL: ptr.To("https://app.example.org/ok"), FailureRedirectionURL: ptr.To("https://app.example.org/fail")})
		return err
	}
	if err := mk("welcome", "hello@example.org"); err != nil {
		t.Fatal(err)
	}
	if err := mk("welcome", "hello@example.org"); awserr.As(err).Code.Code != "CustomVerificationEmailTemplateAlreadyExists" {
		t.Fatal(err)
	}
	if err := mk("stranger", "who@unverified.test"); err != nil {
		t.Fatal(err)
	}
	if _, err := v1.SendCustomVerificationEmail(ctx, &sesapi.SendCustomVerificationEmailRequest{EmailAddress: ptr.To("new@else.test"), TemplateName: ptr.To("stranger")}); awserr.As(err).Code.Code != "FromEmailAddressNotVerified" {
		t.Fatal(err)
	}
	out, err := v1.SendCustomVerificationEmail(ctx, &sesapi.SendCustomVerificationEmailRequest{EmailAddress: ptr.To("new@else.test"), TemplateName: ptr.To("welcome")})
	if err != nil {
		t.Fatal(err)
	}
	m, _ := r.c.Outbox(*out.MessageId)
	if len(m) != 1 || m[0].Source != "hello@example.org" || m[0].Subject != "Please confirm" {
		t.Fatalf("%+v", m)
	}
	tok := regexp.MustCompile(`token=([0-9a-f]+)`).FindStringSubmatch(m[0].Body.HTML)
	if tok == nil || !regexp.MustCompile(`^<h1>Welcome</h1>`).MatchString(m[0].Body.HTML) {
		t.Fatal(m[0].Body.HTML)
	}
	rec := httptest.NewRecorder()
	r.c.HTTP().ServeHTTP(rec, httptest.NewRequest("GET", VerifyPath+"?token="+tok[1], nil))
	if rec.Code != 302 || rec.Header().Get("Location") != "https://app.example.org/ok" {
		t.Fatalf("%d %v", rec.Code, rec.Header())
	}
	if ok, err := r.c.verified(r.h.Account, "us-east-1", "new@else.test"); err != nil || !ok {
		t.Fatal("not verified by the link", err)
	}
	g, err := v2.GetCustomVerificationEmailTemplate(ctx, &sesv2api.GetCustomVerificationEmailTemplateRequest{TemplateName: ptr.To("welcome")})
	if err != nil || *g.TemplateContent != "<h1>Welcome</h1>" {
		t.Fatal(g, err)
	}
	if _, err := v2.UpdateCustomVerificationEmailTemplate(ctx, &sesv2api.UpdateCustomVerificationEmailTemplateRequest{TemplateName: ptr.To("welcome"), TemplateSubject: ptr.To("Confirm!")}); err != nil {
		t.Fatal(err)
	}
	l, err := v1.ListCustomVerificationEmailTemplates(ctx, &sesapi.ListCustomVerificationEmailTemplatesRequest{MaxResults: ptr.To(int32(1))})
	if err != nil || len(l.CustomVerificationEmailTemplates) != 1 || *l.CustomVerificationEmailTemplates[0].TemplateName != "stranger" || l.NextToken == nil {
		t.Fatal(l, err)
	}
	if _, err := v2.DeleteCustomVerificationEmailTemplate(ctx, &sesv2api.DeleteCustomVerificationEmailTemplateRequest{TemplateName: ptr.To("nope")}); awserr.As(err).Code.Code != "NotFoundException" {
		t.Fatal(err)
	}
}
