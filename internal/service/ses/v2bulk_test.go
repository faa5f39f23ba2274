package ses

import (
	"testing"

	sesapi "github.com/niwa-cloud/niwa/internal/api/ses"
	sesv2api "github.com/niwa-cloud/niwa/internal/api/sesv2"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// TestSendBulkEmailV2: each entry is rendered with its replacement data
// and sent; an unverified recipient (sandbox) gets MESSAGE_REJECTED; a
// paused account gets ACCOUNT_SENDING_PAUSED per entry, and v2 SendEmail
// SendingPausedException.
func TestSendBulkEmailV2(t *testing.T) {
	h, c := newCore(t, nil)
	v1, v2 := NewV1(c), NewV2(c)
	ctx := h.Ctx()
	for _, a := range []string{"from@example.com", "ok@example.com"} {
		if _, err := v1.VerifyEmailIdentity(ctx, &sesapi.VerifyEmailIdentityRequest{EmailAddress: ptr.To(a)}); err != nil {
			t.Fatal(err)
		}
	}
	verifyAll(t, c)
	if _, err := v2.CreateEmailTemplate(ctx, &sesv2api.CreateEmailTemplateRequest{TemplateName: ptr.To("t"),
		TemplateContent: &sesv2api.EmailTemplateContent{Subject: ptr.To("Hi {{name}}"), Text: ptr.To("Hello {{name}} from {{team}}")}}); err != nil {
		t.Fatal(err)
	}
	entry := func(to, name string) sesv2api.BulkEmailEntry {
		return sesv2api.BulkEmailEntry{Destination: &sesv2api.Destination{ToAddresses: []string{to}},
			ReplacementEmailContent: &sesv2api.ReplacementEmailContent{ReplacementTemplate: &sesv2api.ReplacementTemplate{ReplacementTemplateData: ptr.To(`{"name":"` + name + `"}`)}}}
	}
	req := &sesv2api.SendBulkEmailRequest{FromEmailAddress: ptr.To("from@example.com"),
		DefaultContent:   &sesv2api.BulkEmailContent{Template: &sesv2api.Template{TemplateName: ptr.To("t"), TemplateData: ptr.To(`{"name":"x","team":"niwa"}`)}},
		BulkEmailEntries: []sesv2api.BulkEmailEntry{entry("ok@example.com", "Ann"), entry("stranger@example.com", "Bob")}}
	out, err := v2.SendBulkEmail(ctx, req)
	if err != nil || len(out.BulkEmailEntryResults) != 2 || *out.BulkEmailEntryResults[0].Status != "SUCCESS" || *out.BulkEmailEntryResults[1].Status != "MESSAGE_REJECTED" {
		t.Fatalf("%+v %v", out, err)
	}
	m, err := c.Outbox(*out.BulkEmailEntryResults[0].MessageId)
	if err != nil || len(m) != 1 || m[0].Subject != "Hi Ann" || m[0].Body.Text != "Hello Ann from niwa" || m[0].Via != "v2 SendBulkEmail" {
		t.Fatalf("%+v %v", m, err)
	}
	if _, err := v2.PutAccountSendingAttributes(ctx, &sesv2api.PutAccountSendingAttributesRequest{SendingEnabled: ptr.To(false)}); err != nil {
		t.Fatal(err)
	}
	out, err = v2.SendBulkEmail(ctx, req)
	if err != nil || *out.BulkEmailEntryResults[0].Status != "ACCOUNT_SENDING_PAUSED" {
		t.Fatalf("%+v %v", out, err)
	}
	_, err = v2.SendEmail(ctx, &sesv2api.SendEmailRequest{FromEmailAddress: ptr.To("from@example.com"), Destination: &sesv2api.Destination{ToAddresses: []string{"ok@example.com"}},
		Content: &sesv2api.EmailContent{Simple: &sesv2api.Message{Subject: &sesv2api.Content{Data: ptr.To("s")}, Body: &sesv2api.Body{Text: &sesv2api.Content{Data: ptr.To("b")}}}}})
	if awserr.As(err).Code.Code != "SendingPausedException" {
		t.Fatal(err)
	}
	acc, _ := v2.GetAccount(ctx, &sesv2api.GetAccountRequest{})
	if ptr.Deref(acc.SendingEnabled) {
		t.Fatal("GetAccount: sending enabled while paused")
	}
	req.DefaultContent.Template.TemplateName = ptr.To("missing")
	if _, err := v2.SendBulkEmail(ctx, req); awserr.As(err).Code.Code != "NotFoundException" {
		t.Fatal(err)
	}
}
