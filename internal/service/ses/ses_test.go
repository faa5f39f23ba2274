package ses

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/smtp"
	"strings"
	"testing"
	"time"

	sesapi "github.com/niwa-cloud/niwa/internal/api/ses"
	sesv2api "github.com/niwa-cloud/niwa/internal/api/sesv2"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/dns"
	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/servicetest"
)

func newCore(t *testing.T, src dns.Source) (*servicetest.Harness, *Core) {
	h := servicetest.New(t, "ses")
	return h, New(Options{Store: h.Store(), Clock: h.Clock, DNS: src})
}

// verifyAll follows every verification link in the outbox.
func verifyAll(t *testing.T, c *Core) {
	t.Helper()
	ms, err := c.Outbox("")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.Via != "Verification" {
			continue
		}
		i := strings.Index(m.Body.Text, VerifyPath+"?token=")
		tok := strings.Fields(m.Body.Text[i+len(VerifyPath+"?token="):])[0]
		rec := httptest.NewRecorder()
		c.HTTP().ServeHTTP(rec, httptest.NewRequest("GET", VerifyPath+"?token="+tok, nil))
		if rec.Code != 200 {
			t.Fatalf("verify link: %d %s", rec.Code, rec.Body)
		}
	}
}

// lastVia is the last outbox message sent through via.
func lastVia(t *testing.T, c *Core, via string) Mail {
	t.Helper()
	ms, err := c.Outbox("")
	if err != nil {
		t.Fatal(err)
	}
	for i := len(ms) - 1; i >= 0; i-- {
		if ms[i].Via == via {
			return ms[i]
		}
	}
	t.Fatalf("no message via %s", via)
	return Mail{}
}

func TestSandboxSendRefusedUntilVerified(t *testing.T) {
	h, c := newCore(t, nil)
	v1, v2 := NewV1(c), NewV2(c)
	ctx := h.Ctx()
	send := func() error {
		_, err := v1.SendEmail(ctx, &sesapi.SendEmailRequest{Source: ptr.To("a@example.com"),
			Destination: &sesapi.Destination{ToAddresses: []string{"b@example.com"}},
			Message:     &sesapi.Message{Subject: &sesapi.Content{Data: ptr.To("hi")}, Body: &sesapi.Body{Text: &sesapi.Content{Data: ptr.To("hello")}}}})
		return err
	}
	err := send()
	if e := awserr.As(err); e.Code.Code != "MessageRejected" || e.Message != "Email address is not verified. The following identities failed the check in region US-EAST-1: a@example.com" {
		t.Fatalf("unverified sender: %v", err)
	}
	if _, err := v1.VerifyEmailIdentity(ctx, &sesapi.VerifyEmailIdentityRequest{EmailAddress: ptr.To("a@example.com")}); err != nil {
		t.Fatal(err)
	}
	// v2 creates the recipient: one store for both APIs.
	if _, err := v2.CreateEmailIdentity(ctx, &sesv2api.CreateEmailIdentityRequest{EmailIdentity: ptr.To("b@example.com")}); err != nil {
		t.Fatal(err)
	}
	if err := send(); err == nil {
		t.Fatal("pending identities must not send")
	}
	verifyAll(t, c)
	// Sandbox: an unverified recipient is refused by name.
	_, err = v1.SendEmail(ctx, &sesapi.SendEmailRequest{Source: ptr.To("a@example.com"),
		Destination: &sesapi.Destination{ToAddresses: []string{"b@example.com", "c@example.com"}}, Message: &sesapi.Message{}})
	if e := awserr.As(err); e.Code.Code != "MessageRejected" || !strings.HasSuffix(e.Message, ": c@example.com") {
		t.Fatalf("unverified recipient: %v", err)
	}
	if err := send(); err != nil {
		t.Fatal(err)
	}
	last := lastVia(t, c, "SendEmail")
	if last.Source != "a@example.com" || last.Subject != "hi" || last.Body.Text != "hello" || !strings.Contains(last.Raw, "Subject: hi") {
		t.Fatalf("outbox: %+v", last)
	}
	// Out of the sandbox, any recipient.
	if _, err := v2.PutAccountDetails(ctx, &sesv2api.PutAccountDetailsRequest{MailType: ptr.To("TRANSACTIONAL"), WebsiteURL: ptr.To("https://x.test"), ProductionAccessEnabled: ptr.To(true)}); err != nil {
		t.Fatal(err)
	}
	out, err := v2.SendEmail(ctx, &sesv2api.SendEmailRequest{FromEmailAddress: ptr.To("a@example.com"),
		Destination: &sesv2api.Destination{ToAddresses: []string{"c@example.com"}},
		Content:     &sesv2api.EmailContent{Simple: &sesv2api.Message{Subject: &sesv2api.Content{Data: ptr.To("v2")}, Body: &sesv2api.Body{Text: &sesv2api.Content{Data: ptr.To("x")}}}}})
	if err != nil || len(*out.MessageId) != 60 {
		t.Fatalf("v2 send: %v %v", out, err)
	}
	q, _ := v1.GetSendQuota(ctx, nil)
	if *q.SentLast24Hours != 2 || *q.Max24HourSend != productionMax24 {
		t.Fatalf("quota %+v", q)
	}
	h.Clock.Advance(25 * 60 * 60 * 1e9)
	if q, _ := v1.GetSendQuota(ctx, nil); *q.SentLast24Hours != 0 {
		t.Fatalf("quota after a day %+v", q)
	}
}

// fakeZones is one zone with record sets.
type fakeZones map[string][]dns.RRSet

func (f fakeZones) Zone(name, vpc string) (dns.Zone, bool, error) {
	return dns.Zone{Name: "example.org."}, strings.HasSuffix(name, "example.org."), nil
}
func (f fakeZones) RRSets(z dns.Zone, name string) ([]dns.RRSet, error) { return f[name], nil }
func (f fakeZones) HasDescendants(dns.Zone, string) (bool, error)       { return false, nil }

func TestDomainVerifiedByDNS(t *testing.T) {
	zones := fakeZones{}
	h, c := newCore(t, zones)
	v1, v2 := NewV1(c), NewV2(c)
	ctx := h.Ctx()
	tok, err := v1.VerifyDomainIdentity(ctx, &sesapi.VerifyDomainIdentityRequest{Domain: ptr.To("example.org")})
	if err != nil {
		t.Fatal(err)
	}
	status := func() string {
		out, err := v1.GetIdentityVerificationAttributes(ctx, &sesapi.GetIdentityVerificationAttributesRequest{Identities: []string{"example.org"}})
		if err != nil {
			t.Fatal(err)
		}
		return *out.VerificationAttributes["example.org"].VerificationStatus
	}
	if s := status(); s != "Pending" {
		t.Fatal(s)
	}
	zones["_amazonses.example.org."] = []dns.RRSet{{Type: "TXT", Values: []string{`"` + *tok.VerificationToken + `"`}}}
	if s := status(); s != "Success" {
		t.Fatal(s)
	}
	// Any address of a verified domain sends.
	if _, err := v2.PutAccountDetails(ctx, &sesv2api.PutAccountDetailsRequest{MailType: ptr.To("MARKETING"), WebsiteURL: ptr.To("https://x"), ProductionAccessEnabled: ptr.To(true)}); err != nil {
		t.Fatal(err)
	}
	raw := "From: me@example.org\r\nTo: you@else.test\r\nSubject: raw\r\nContent-Type: text/plain\r\n\r\nbody\r\n"
	if _, err := v1.SendRawEmail(ctx, &sesapi.SendRawEmailRequest{RawMessage: &sesapi.RawMessage{Data: []byte(raw)}}); err != nil {
		t.Fatal(err)
	}
	// Easy DKIM: the three CNAMEs verify a v2 domain.
	d, err := v2.CreateEmailIdentity(ctx, &sesv2api.CreateEmailIdentityRequest{EmailIdentity: ptr.To("mail.example.org")})
	if err != nil || len(d.DkimAttributes.Tokens) != 3 {
		t.Fatal(d, err)
	}
	for _, tk := range d.DkimAttributes.Tokens {
		zones[tk+"._domainkey.mail.example.org."] = []dns.RRSet{{Type: "CNAME", Values: []string{tk + ".dkim.amazonses.com"}}}
	}
	got, err := v2.GetEmailIdentity(ctx, &sesv2api.GetEmailIdentityRequest{EmailIdentity: ptr.To("mail.example.org")})
	if err != nil || *got.VerificationStatus != "SUCCESS" || !*got.VerifiedForSendingStatus {
		t.Fatal(got, err)
	}
}

func TestTemplates(t *testing.T) {
	h, c := newCore(t, nil)
	v1 := NewV1(c)
	ctx := h.Ctx()
	if _, err := v1.CreateTemplate(ctx, &sesapi.CreateTemplateRequest{Template: &sesapi.Template{TemplateName: ptr.To("t"), SubjectPart: ptr.To("Hi {{name}}"), TextPart: ptr.To("n={{ n }}")}}); err != nil {
		t.Fatal(err)
	}
	out, err := v1.TestRenderTemplate(ctx, &sesapi.TestRenderTemplateRequest{TemplateName: ptr.To("t"), TemplateData: ptr.To(`{"name":"Ann","n":3}`)})
	if err != nil || !strings.Contains(*out.RenderedTemplate, "Subject: Hi Ann") || !strings.Contains(*out.RenderedTemplate, "n=3") {
		t.Fatal(out, err)
	}
	_, err = v1.TestRenderTemplate(ctx, &sesapi.TestRenderTemplateRequest{TemplateName: ptr.To("t"), TemplateData: ptr.To(`{"n":3}`)})
	if e := awserr.As(err); e.Code.Code != "MissingRenderingAttribute" {
		t.Fatal(err)
	}
	// The same store through v2.
	v2 := NewV2(c)
	if _, err := v2.UpdateEmailTemplate(ctx, &sesv2api.UpdateEmailTemplateRequest{TemplateName: ptr.To("t"),
		TemplateContent: &sesv2api.EmailTemplateContent{Subject: ptr.To("Bye {{name}}")}}); err != nil {
		t.Fatal(err)
	}
	r2, err := v2.TestRenderEmailTemplate(ctx, &sesv2api.TestRenderEmailTemplateRequest{TemplateName: ptr.To("t"), TemplateData: ptr.To(`{"name":"Ann"}`)})
	if err != nil || !strings.Contains(*r2.RenderedTemplate, "Subject: Bye Ann") {
		t.Fatal(r2, err)
	}
	if l, err := v2.ListEmailTemplates(ctx, nil); err != nil || len(l.TemplatesMetadata) != 1 {
		t.Fatal(l, err)
	}
	_, err = v1.GetTemplate(ctx, &sesapi.GetTemplateRequest{TemplateName: ptr.To("nope")})
	if e := awserr.As(err); e.Code.Code != "TemplateDoesNotExist" {
		t.Fatal(err)
	}
}

func TestOutboxEndpoint(t *testing.T) {
	h, c := newCore(t, nil)
	if _, err := NewV1(c).VerifyEmailIdentity(h.Ctx(), &sesapi.VerifyEmailIdentityRequest{EmailAddress: ptr.To("a@example.com")}); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	c.HTTP().ServeHTTP(rec, httptest.NewRequest("GET", MessagesPath, nil))
	var got struct{ Messages []Mail }
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || len(got.Messages) != 1 || got.Messages[0].Destination.ToAddresses[0] != "a@example.com" {
		t.Fatal(rec.Body.String(), err)
	}
	// LocalStack's endpoint and sender filter.
	for q, want := range map[string]int{"": 1, "?email=no-reply-aws@amazon.com": 1, "?email=x@y.z": 0} {
		rec = httptest.NewRecorder()
		c.HTTP().ServeHTTP(rec, httptest.NewRequest("GET", LocalStackPath+q, nil))
		got.Messages = nil
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || len(got.Messages) != want {
			t.Fatalf("%s%s: %s %v", LocalStackPath, q, rec.Body, err)
		}
	}
	rec = httptest.NewRecorder()
	c.HTTP().ServeHTTP(rec, httptest.NewRequest("DELETE", MessagesPath, nil))
	if rec.Code != http.StatusNoContent {
		t.Fatal(rec.Code)
	}
	if ms, _ := c.Outbox(""); len(ms) != 0 {
		t.Fatal(ms)
	}
}

// TestSMTPPassword: the vector computed with AWS's published Python
// derivation (ses-smtp-credentials) for the documentation's example key.
func TestSMTPPassword(t *testing.T) {
	if got := SMTPPassword("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "us-east-1"); got != "BLBM/9hSUELfq8Gw+rU1YcBjkOxGbhT2XG763xVLGWL9" {
		t.Fatal(got)
	}
}

func TestSMTPSend(t *testing.T) {
	h, c := newCore(t, nil)
	for _, a := range []string{"a@example.com", "b@example.com"} {
		if _, err := NewV1(c).VerifyEmailIdentity(h.Ctx(), &sesapi.VerifyEmailIdentityRequest{EmailAddress: ptr.To(a)}); err != nil {
			t.Fatal(err)
		}
	}
	srv, err := c.ListenSMTP("127.0.0.1:0", "us-east-1", func(id string) (string, string, bool, error) {
		return "secret", h.Account, id == "AKIDTEST", nil
	})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	host := "127.0.0.1"
	msg := []byte("From: a@example.com\r\nTo: b@example.com\r\nSubject: via smtp\r\n\r\nhello smtp\r\n")
	// net/smtp refuses PLAIN auth over plain TCP except to localhost.
	auth := smtp.PlainAuth("", "AKIDTEST", SMTPPassword("secret", "us-east-1"), host)
	addr := srv.Addr()
	send := func(a smtp.Auth) error {
		cl, err := smtp.Dial(addr)
		if err != nil {
			return err
		}
		defer cl.Close()
		if err := cl.Hello("client"); err != nil {
			return err
		}
		if err := cl.Auth(a); err != nil {
			return err
		}
		if err := cl.Mail("a@example.com"); err != nil {
			return err
		}
		if err := cl.Rcpt("b@example.com"); err != nil {
			return err
		}
		w, err := cl.Data()
		if err != nil {
			return err
		}
		w.Write(msg)
		return w.Close()
	}
	if err := send(smtp.PlainAuth("", "AKIDTEST", "wrong", host)); err == nil || !strings.Contains(err.Error(), "535") {
		t.Fatal("bad password accepted:", err)
	}
	if err := send(auth); err == nil || !strings.Contains(err.Error(), "Message rejected: Email address is not verified") {
		t.Fatal("unverified sender accepted:", err)
	}
	verifyAll(t, c)
	if err := send(auth); err != nil {
		t.Fatal(err)
	}
	if last := lastVia(t, c, "SMTP"); last.Via != "SMTP" || last.Subject != "via smtp" || !bytes.Contains([]byte(last.Raw), []byte("hello smtp")) {
		t.Fatalf("%+v", last)
	}
}

func FuzzSMTPCommand(f *testing.F) {
	for _, s := range []string{"EHLO x", "MAIL FROM:<a@b>", "RCPT TO:<>", "AUTH PLAIN AGEAYg==", "data", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		verb, arg := smtpCommand(line)
		if strings.ContainsAny(verb, " ") {
			t.Fatalf("verb %q", verb)
		}
		pathArg(arg, "FROM:")
		pathArg(arg, "TO:")
	})
}

func FuzzParseMIME(f *testing.F) {
	f.Add([]byte("From: a@b.c\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\nhi\r\n--x--\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) { parseMIME(raw) })
}

// TestConfigurationSetEvents: a send with a configuration set publishes
// SES's Send and Delivery records to its SNS topic (through the bus) and,
// for a v2 EventBridge destination, to the default bus as "Email Sent" /
// "Email Delivered"; an unknown set is refused.
func TestConfigurationSetEvents(t *testing.T) {
	h := servicetest.New(t, "ses")
	bus := events.New()
	var topic []events.Message
	bus.Handle("sns", events.HandlerFunc(func(_ context.Context, m events.Message) error {
		topic = append(topic, m)
		return nil
	}))
	var bridged []events.Event
	cancel := bus.Subscribe(func(e events.Event) { bridged = append(bridged, e) })
	defer cancel()
	c := New(Options{Store: h.Store(), Clock: h.Clock, Bus: bus})
	v1, v2 := NewV1(c), NewV2(c)
	ctx := h.Ctx()
	if err := c.setProduction(h.Account, h.Region, true, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := v1.VerifyEmailIdentity(ctx, &sesapi.VerifyEmailIdentityRequest{EmailAddress: ptr.To("a@example.com")}); err != nil {
		t.Fatal(err)
	}
	verifyAll(t, c)
	send := func(set string) (string, error) {
		out, err := v1.SendEmail(ctx, &sesapi.SendEmailRequest{Source: ptr.To("a@example.com"), ConfigurationSetName: ptr.To(set),
			Destination: &sesapi.Destination{ToAddresses: []string{"z@else.test"}},
			Message:     &sesapi.Message{Subject: &sesapi.Content{Data: ptr.To("s")}, Body: &sesapi.Body{Text: &sesapi.Content{Data: ptr.To("b")}}}})
		if err != nil {
			return "", err
		}
		return *out.MessageId, nil
	}
	if _, err := send("nope"); awserr.As(err).Code.Code != "ConfigurationSetDoesNotExist" || awserr.As(err).Message != "Configuration set <nope> does not exist." {
		t.Fatal(err)
	}
	if _, err := v1.CreateConfigurationSet(ctx, &sesapi.CreateConfigurationSetRequest{ConfigurationSet: &sesapi.ConfigurationSet{Name: ptr.To("cs")}}); err != nil {
		t.Fatal(err)
	}
	topicARN := "arn:aws:sns:us-east-1:" + h.Account + ":ses-events"
	if _, err := v1.CreateConfigurationSetEventDestination(ctx, &sesapi.CreateConfigurationSetEventDestinationRequest{ConfigurationSetName: ptr.To("cs"),
		EventDestination: &sesapi.EventDestination{Name: ptr.To("sns"), Enabled: ptr.To(true), MatchingEventTypes: []string{"send", "delivery"},
			SNSDestination: &sesapi.SNSDestination{TopicARN: ptr.To(topicARN)}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := v2.CreateConfigurationSetEventDestination(ctx, &sesv2api.CreateConfigurationSetEventDestinationRequest{ConfigurationSetName: ptr.To("cs"),
		EventDestinationName: ptr.To("eb"), EventDestination: &sesv2api.EventDestinationDefinition{Enabled: ptr.To(true), MatchingEventTypes: []string{"DELIVERY"},
			EventBridgeDestination: &sesv2api.EventBridgeDestination{EventBusArn: ptr.To("arn:aws:events:us-east-1:" + h.Account + ":event-bus/default")}}}); err != nil {
		t.Fatal(err)
	}
	id, err := send("cs")
	if err != nil {
		t.Fatal(err)
	}
	if len(topic) != 2 || topic[0].TargetARN != topicARN {
		t.Fatalf("sns: %+v", topic)
	}
	var rec struct {
		EventType string
		Mail      struct {
			MessageID   string   `json:"messageId"`
			Destination []string `json:"destination"`
			Tags        map[string][]string
		}
		Delivery struct{ Recipients []string }
	}
	if err := json.Unmarshal([]byte(topic[1].Body), &rec); err != nil || rec.EventType != "Delivery" || rec.Mail.MessageID != id ||
		rec.Delivery.Recipients[0] != "z@else.test" || rec.Mail.Tags["ses:configuration-set"][0] != "cs" {
		t.Fatalf("%s %v", topic[1].Body, err)
	}
	if len(bridged) != 1 || bridged[0].Source != "aws.ses" || bridged[0].DetailType != "Email Delivered" {
		t.Fatalf("eventbridge: %+v", bridged)
	}
}

// TestBulkTemplated: each destination gets the template rendered with its
// replacement data over the defaults; an unverified recipient (sandbox)
// fails only its own status; statistics count what was sent.
func TestBulkTemplated(t *testing.T) {
	h, c := newCore(t, nil)
	v1 := NewV1(c)
	ctx := h.Ctx()
	for _, a := range []string{"a@example.com", "b@example.com"} {
		if _, err := v1.VerifyEmailIdentity(ctx, &sesapi.VerifyEmailIdentityRequest{EmailAddress: ptr.To(a)}); err != nil {
			t.Fatal(err)
		}
	}
	verifyAll(t, c)
	if _, err := v1.CreateTemplate(ctx, &sesapi.CreateTemplateRequest{Template: &sesapi.Template{TemplateName: ptr.To("t"), SubjectPart: ptr.To("{{greet}} {{name}}"), TextPart: ptr.To("x")}}); err != nil {
		t.Fatal(err)
	}
	out, err := v1.SendBulkTemplatedEmail(ctx, &sesapi.SendBulkTemplatedEmailRequest{Source: ptr.To("a@example.com"), Template: ptr.To("t"),
		DefaultTemplateData: ptr.To(`{"greet":"Hi","name":"you"}`),
		Destinations: []sesapi.BulkEmailDestination{
			{Destination: &sesapi.Destination{ToAddresses: []string{"b@example.com"}}, ReplacementTemplateData: ptr.To(`{"name":"Bea"}`)},
			{Destination: &sesapi.Destination{ToAddresses: []string{"nobody@example.com"}}},
		}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Status) != 2 || *out.Status[0].Status != "Success" || *out.Status[1].Status != "MessageRejected" {
		t.Fatalf("%+v", out.Status)
	}
	if m := lastVia(t, c, "SendBulkTemplatedEmail"); m.Subject != "Hi Bea" {
		t.Fatalf("%+v", m)
	}
	st, err := v1.GetSendStatistics(ctx, nil)
	if err != nil || len(st.SendDataPoints) != 1 || *st.SendDataPoints[0].DeliveryAttempts != 1 {
		t.Fatal(st, err)
	}
}

// TestReceiptRules: rule sets and rules at API level (the active set
// cannot be deleted), and mail sent to a verified domain with an active
// rule set goes through its SNS action as SES's "Received" notification
// with the raw message; a stop action ends the set.
func TestReceiptRules(t *testing.T) {
	h := servicetest.New(t, "ses")
	bus := events.New()
	var got []events.Message
	bus.Handle("sns", events.HandlerFunc(func(_ context.Context, m events.Message) error {
		got = append(got, m)
		return nil
	}))
	zones := fakeZones{}
	c := New(Options{Store: h.Store(), Clock: h.Clock, Bus: bus, DNS: zones})
	v1 := NewV1(c)
	ctx := h.Ctx()
	tok, err := v1.VerifyDomainIdentity(ctx, &sesapi.VerifyDomainIdentityRequest{Domain: ptr.To("example.org")})
	if err != nil {
		t.Fatal(err)
	}
	zones["_amazonses.example.org."] = []dns.RRSet{{Type: "TXT", Values: []string{`"` + *tok.VerificationToken + `"`}}}
	if _, err := v1.CreateReceiptRuleSet(ctx, &sesapi.CreateReceiptRuleSetRequest{RuleSetName: ptr.To("rs")}); err != nil {
		t.Fatal(err)
	}
	_, err = v1.CreateReceiptRuleSet(ctx, &sesapi.CreateReceiptRuleSetRequest{RuleSetName: ptr.To("rs")})
	if awserr.As(err).Code.Code != "AlreadyExists" {
		t.Fatal(err)
	}
	topic := "arn:aws:sns:us-east-1:" + h.Account + ":inbound"
	for _, r := range []sesapi.ReceiptRule{
		{Name: ptr.To("stop-admin"), Enabled: ptr.To(true), Recipients: []string{"admin@example.org"}, Actions: []sesapi.ReceiptAction{{StopAction: &sesapi.StopAction{Scope: ptr.To("RuleSet")}}}},
		{Name: ptr.To("all"), Enabled: ptr.To(true), Recipients: []string{"example.org"}, Actions: []sesapi.ReceiptAction{{SNSAction: &sesapi.SNSAction{TopicArn: ptr.To(topic)}}}},
	} {
		after := ""
		if *r.Name == "all" {
			after = "stop-admin"
		}
		if _, err := v1.CreateReceiptRule(ctx, &sesapi.CreateReceiptRuleRequest{RuleSetName: ptr.To("rs"), After: nonEmpty(after), Rule: &r}); err != nil {
			t.Fatal(err)
		}
	}
	d, err := v1.DescribeReceiptRuleSet(ctx, &sesapi.DescribeReceiptRuleSetRequest{RuleSetName: ptr.To("rs")})
	if err != nil || len(d.Rules) != 2 || *d.Rules[1].Name != "all" {
		t.Fatal(d, err)
	}
	send := func(to string) {
		t.Helper()
		raw := "From: me@example.org\r\nTo: " + to + "\r\nSubject: in\r\n\r\nincoming\r\n"
		if _, err := v1.SendRawEmail(ctx, &sesapi.SendRawEmailRequest{RawMessage: &sesapi.RawMessage{Data: []byte(raw)}}); err != nil {
			t.Fatal(err)
		}
	}
	send("info@example.org") // no active set yet
	if len(got) != 0 {
		t.Fatal(got)
	}
	if _, err := v1.SetActiveReceiptRuleSet(ctx, &sesapi.SetActiveReceiptRuleSetRequest{RuleSetName: ptr.To("rs")}); err != nil {
		t.Fatal(err)
	}
	if _, err := v1.DeleteReceiptRuleSet(ctx, &sesapi.DeleteReceiptRuleSetRequest{RuleSetName: ptr.To("rs")}); awserr.As(err).Code.Code != "CannotDelete" {
		t.Fatal(err)
	}
	send("info@example.org")
	send("admin@example.org") // stopped by the first rule
	if len(got) != 1 || got[0].TargetARN != topic {
		t.Fatalf("%+v", got)
	}
	var n struct {
		NotificationType string
		Receipt          struct{ Recipients []string }
		Content          string
	}
	if err := json.Unmarshal([]byte(got[0].Body), &n); err != nil || n.NotificationType != "Received" || n.Receipt.Recipients[0] != "info@example.org" || !strings.Contains(n.Content, "incoming") {
		t.Fatalf("%s %v", got[0].Body, err)
	}
}

// TestSMTPHostile: an over-long line is refused and the connection
// closed; a client sending only bad commands is dropped after ten;
// nothing hangs.
func TestSMTPHostile(t *testing.T) {
	_, c := newCore(t, nil)
	srv, err := c.ListenSMTP("127.0.0.1:0", "us-east-1", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	cases := []struct {
		name, send, want string
	}{
		{"long line", strings.Repeat("A", 5000) + "\r\n", "500 Line too long"},
		{"bad commands", strings.Repeat("BOGUS\r\n", 20), "421 Too many errors"},
		{"send before auth", "MAIL FROM:<a@b.c>\r\nRCPT TO:<x@y.z>\r\nQUIT\r\n", "530 Authentication required"},
		{"auth with no keys", "AUTH PLAIN AGEAYg==\r\nQUIT\r\n", "535 Authentication Credentials Invalid"},
		{"starttls", "STARTTLS\r\nQUIT\r\n", "454 TLS not available"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", srv.Addr())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(60 * time.Second)) // a hang fails instead of blocking the suite
			go conn.Write([]byte(tc.send))
			out, _ := io.ReadAll(conn) // the server closes the connection
			if !strings.Contains(string(out), tc.want) {
				t.Fatalf("got %q, want %q", out, tc.want)
			}
		})
	}
}

// FuzzSMTPSession drives a whole session with arbitrary client bytes: it
// must end (the input ends) without panicking.
func FuzzSMTPSession(f *testing.F) {
	f.Add([]byte("EHLO x\r\nAUTH LOGIN\r\ndGVzdA==\r\nd3Jvbmc=\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nDATA\r\nSubject: x\r\n\r\nhi\r\n.\r\nQUIT\r\n"))
	f.Add([]byte("AUTH PLAIN\r\n*\r\nDATA\r\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		h := servicetest.New(t, "ses")
		c := New(Options{Store: h.Store(), Clock: h.Clock})
		s := &SMTPServer{c: c, region: "us-east-1", keys: func(string) (string, string, bool, error) { return "k", h.Account, true, nil }}
		client, server := net.Pipe()
		done := make(chan struct{})
		go func() {
			defer close(done)
			s.session(server)
			server.Close()
		}()
		go io.Copy(io.Discard, client)
		client.Write(in)
		client.Close()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Fatal("session did not end")
		}
	})
}

// TestSMTPConnectionCap: sessions beyond the cap are turned away at once.
func TestSMTPConnectionCap(t *testing.T) {
	_, c := newCore(t, nil)
	srv, err := c.ListenSMTP("127.0.0.1:0", "us-east-1", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	var held []net.Conn
	defer func() {
		for _, h := range held {
			h.Close()
		}
	}()
	for i := 0; i < smtpMaxConns; i++ {
		conn, err := net.Dial("tcp", srv.Addr())
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, conn)
		// Read the greeting: the session is registered before it is sent.
		conn.SetReadDeadline(time.Now().Add(60 * time.Second))
		if _, err := bufio.NewReader(conn).ReadString('\n'); err != nil {
			t.Fatal(err)
		}
	}
	conn, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(60 * time.Second))
	out, _ := io.ReadAll(conn)
	if !strings.HasPrefix(string(out), "421 Too many connections") {
		t.Fatalf("%q", out)
	}
}
