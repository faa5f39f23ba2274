package ses

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/smtp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	sesapi "github.com/niwa-cloud/niwa/internal/api/ses"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/ca"
	"github.com/niwa-cloud/niwa/internal/dns"
	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/mail"
	"github.com/niwa-cloud/niwa/internal/objects"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/servicetest"
)

// fakeObjects is S3 as SES's receipt rules see it: buckets whose policy
// lets ses.amazonaws.com write are in allowed.
type fakeObjects struct {
	mu      sync.Mutex
	allowed map[string]bool
	put     map[string][]byte
	who     []objects.Principal
	// files are objects SES may read (import jobs), by bucket/key.
	files map[string][]byte
}

func (f *fakeObjects) CheckObjectAccess(_ context.Context, bucket, _ string, p objects.Principal, _ ...string) (string, string, error) {
	if !f.allowed[bucket] || p.Service != "ses.amazonaws.com" {
		return "", "", objects.ErrAccessDenied
	}
	return "us-east-1", "000000000000", nil
}

func (f *fakeObjects) PutServiceObject(ctx context.Context, bucket, key string, body []byte, p objects.Principal) error {
	if _, _, err := f.CheckObjectAccess(ctx, bucket, key, p); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.put[bucket+"/"+key] = body
	f.who = append(f.who, p)
	return nil
}

func (f *fakeObjects) ListServiceObjects(context.Context, string, string, objects.Principal) ([]objects.Object, error) {
	return nil, nil
}

func (f *fakeObjects) OpenServiceObject(_ context.Context, bucket, key string, p objects.Principal) (io.ReadCloser, int64, error) {
	if !f.allowed[bucket] || p.Service != "ses.amazonaws.com" {
		return nil, 0, objects.ErrAccessDenied
	}
	b, ok := f.files[bucket+"/"+key]
	if !ok {
		return nil, 0, objects.ErrNoSuchKey
	}
	return io.NopCloser(strings.NewReader(string(b))), int64(len(b)), nil
}

// fakeFunctions answers RequestResponse invocations with disposition.
type fakeFunctions struct {
	disposition string
	got         [][]byte
}

func (f *fakeFunctions) InvokeAs(_ context.Context, _ string, payload []byte, caller string) ([]byte, string, error) {
	if caller != "ses.amazonaws.com" {
		return nil, "", awserr.AccessDenied.New("caller %s", caller)
	}
	f.got = append(f.got, payload)
	return []byte(`{"disposition":"` + f.disposition + `"}`), "", nil
}

type receiving struct {
	h     *servicetest.Harness
	c     *Core
	v1    *V1
	objs  *fakeObjects
	fns   *fakeFunctions
	mu    sync.Mutex
	deliv []events.Message
}

func (r *receiving) delivered() []events.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]events.Message{}, r.deliv...)
}

// newReceiving is a Core whose account verified example.org, with S3,
// SNS and Lambda fakes behind it.
func newReceiving(t *testing.T) *receiving {
	r := &receiving{h: servicetest.New(t, "ses"), objs: &fakeObjects{allowed: map[string]bool{"inbox": true}, put: map[string][]byte{}},
		fns: &fakeFunctions{disposition: "CONTINUE"}}
	bus := events.New()
	rec := events.HandlerFunc(func(_ context.Context, m events.Message) error {
		if m.Validate {
			return nil
		}
		r.mu.Lock()
		r.deliv = append(r.deliv, m)
		r.mu.Unlock()
		return nil
	})
	bus.Handle("sns", rec)
	bus.Handle("lambda", rec)
	zones := fakeZones{}
	r.c = New(Options{Store: r.h.Store(), Clock: r.h.Clock, Bus: bus, DNS: zones, Objects: r.objs, Functions: r.fns})
	r.v1 = NewV1(r.c)
	tok, err := r.v1.VerifyDomainIdentity(r.h.Ctx(), &sesapi.VerifyDomainIdentityRequest{Domain: ptr.To("example.org")})
	if err != nil {
		t.Fatal(err)
	}
	zones["_amazonses.example.org."] = []dns.RRSet{{Type: "TXT", Values: []string{`"` + *tok.VerificationToken + `"`}}}
	if _, err := r.v1.CreateReceiptRuleSet(r.h.Ctx(), &sesapi.CreateReceiptRuleSetRequest{RuleSetName: ptr.To("rs")}); err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *receiving) rules(t *testing.T, rules ...sesapi.ReceiptRule) {
	t.Helper()
	after := ""
	for _, rule := range rules {
		if _, err := r.v1.CreateReceiptRule(r.h.Ctx(), &sesapi.CreateReceiptRuleRequest{RuleSetName: ptr.To("rs"), After: nonEmpty(after), Rule: &rule}); err != nil {
			t.Fatal(err)
		}
		after = *rule.Name
	}
	if _, err := r.v1.SetActiveReceiptRuleSet(r.h.Ctx(), &sesapi.SetActiveReceiptRuleSetRequest{RuleSetName: ptr.To("rs")}); err != nil {
		t.Fatal(err)
	}
}

// TestReceiptRuleActions: mail niwa sends to a receiving domain runs the
// rule's actions in order — an added header, the S3 write as
// ses.amazonaws.com, a Base64 SNS notification, a RequestResponse
// function whose STOP_RULE skips the rest of the rule — and a later
// rule's bounce lands in the outbox.
func TestReceiptRuleActions(t *testing.T) {
	r := newReceiving(t)
	acct := r.h.Account
	topic := "arn:aws:sns:us-east-1:" + acct + ":in"
	late := "arn:aws:sns:us-east-1:" + acct + ":late"
	fn := "arn:aws:lambda:us-east-1:" + acct + ":function:filter"
	r.fns.disposition = "STOP_RULE"
	r.rules(t,
		sesapi.ReceiptRule{Name: ptr.To("main"), Enabled: ptr.To(true), ScanEnabled: ptr.To(true), Recipients: []string{"info@example.org"}, Actions: []sesapi.ReceiptAction{
			{AddHeaderAction: &sesapi.AddHeaderAction{HeaderName: ptr.To("X-Route"), HeaderValue: ptr.To("main")}},
			{S3Action: &sesapi.S3Action{BucketName: ptr.To("inbox"), ObjectKeyPrefix: ptr.To("mail/")}},
			{SNSAction: &sesapi.SNSAction{TopicArn: ptr.To(topic), Encoding: ptr.To("Base64")}},
			{LambdaAction: &sesapi.LambdaAction{FunctionArn: ptr.To(fn), InvocationType: ptr.To("RequestResponse")}},
			{SNSAction: &sesapi.SNSAction{TopicArn: ptr.To(late)}},
		}},
		sesapi.ReceiptRule{Name: ptr.To("bounce"), Enabled: ptr.To(true), Recipients: []string{"nobody@example.org"}, Actions: []sesapi.ReceiptAction{
			{BounceAction: &sesapi.BounceAction{Sender: ptr.To("mailer@example.org"), SmtpReplyCode: ptr.To("550"), StatusCode: ptr.To("5.1.1"), Message: ptr.To("no such user")}},
		}},
	)
	raw := "From: me@example.org\r\nTo: info@example.org\r\nSubject: in\r\n\r\nincoming\r\n"
	if _, err := r.v1.SendRawEmail(r.h.Ctx(), &sesapi.SendRawEmailRequest{RawMessage: &sesapi.RawMessage{Data: []byte(raw)}}); err != nil {
		t.Fatal(err)
	}
	if len(r.objs.put) != 1 {
		t.Fatalf("S3 objects: %v", r.objs.put)
	}
	var key string
	var body []byte
	for k, v := range r.objs.put {
		key, body = k, v
	}
	if !strings.HasPrefix(key, "inbox/mail/") || !strings.HasPrefix(string(body), "X-Route: main\r\nX-SES-Spam-Verdict: PASS\r\nX-SES-Virus-Verdict: PASS\r\nFrom: me@example.org") {
		t.Fatalf("object %s: %q", key, body)
	}
	if p := r.objs.who[0]; p.SourceAccount != acct || !strings.HasSuffix(p.SourceARN, ":receipt-rule-set/rs:receipt-rule/main") {
		t.Fatalf("principal %+v", p)
	}
	got := r.delivered()
	if len(got) != 1 || got[0].TargetARN != topic || got[0].SourceService != "ses.amazonaws.com" {
		t.Fatalf("deliveries (the late topic must not hear, STOP_RULE): %+v", got)
	}
	var n receiptNotification
	if err := json.Unmarshal([]byte(got[0].Body), &n); err != nil {
		t.Fatal(err)
	}
	dec, err := base64.StdEncoding.DecodeString(n.Content)
	if err != nil || string(dec) != string(body) || n.Receipt.Action["encoding"] != "Base64" || n.Mail.CommonHeaders["subject"] != "in" {
		t.Fatalf("notification %s: %v", got[0].Body, err)
	}
	if len(r.fns.got) != 1 {
		t.Fatalf("function calls: %d", len(r.fns.got))
	}
	var ev lambdaEvent
	if err := json.Unmarshal(r.fns.got[0], &ev); err != nil || len(ev.Records) != 1 || ev.Records[0].EventSource != "aws:ses" ||
		ev.Records[0].SES.Receipt.Action["invocationType"] != "RequestResponse" || ev.Records[0].SES.Mail.MessageID == "" {
		t.Fatalf("lambda event %s: %v", r.fns.got[0], err)
	}
	// The bounce rule: the sender gets the bounce in the outbox.
	raw = "From: me@example.org\r\nTo: nobody@example.org\r\nSubject: lost\r\n\r\nx\r\n"
	if _, err := r.v1.SendRawEmail(r.h.Ctx(), &sesapi.SendRawEmailRequest{RawMessage: &sesapi.RawMessage{Data: []byte(raw)}}); err != nil {
		t.Fatal(err)
	}
	b := lastVia(t, r.c, "Bounce")
	if b.Source != "mailer@example.org" || b.Destination.ToAddresses[0] != "me@example.org" || !strings.Contains(b.Body.Text, "<nobody@example.org>: 550 5.1.1 no such user") {
		t.Fatalf("bounce %+v", b)
	}
}

// TestReceiptRuleDispositionAndEvent: an Event function is invoked over
// the bus with SES's event; a RequestResponse STOP_RULE_SET ends the set.
func TestReceiptRuleDispositionAndEvent(t *testing.T) {
	r := newReceiving(t)
	acct := r.h.Account
	fn := "arn:aws:lambda:us-east-1:" + acct + ":function:"
	topic := "arn:aws:sns:us-east-1:" + acct + ":after"
	r.fns.disposition = "STOP_RULE_SET"
	r.rules(t,
		sesapi.ReceiptRule{Name: ptr.To("a"), Enabled: ptr.To(true), Actions: []sesapi.ReceiptAction{
			{LambdaAction: &sesapi.LambdaAction{FunctionArn: ptr.To(fn + "async")}},
			{LambdaAction: &sesapi.LambdaAction{FunctionArn: ptr.To(fn + "sync"), InvocationType: ptr.To("RequestResponse")}},
		}},
		sesapi.ReceiptRule{Name: ptr.To("b"), Enabled: ptr.To(true), Actions: []sesapi.ReceiptAction{{SNSAction: &sesapi.SNSAction{TopicArn: ptr.To(topic)}}}},
	)
	raw := "From: me@example.org\r\nTo: x@example.org\r\nSubject: s\r\n\r\nb\r\n"
	if _, err := r.v1.SendRawEmail(r.h.Ctx(), &sesapi.SendRawEmailRequest{RawMessage: &sesapi.RawMessage{Data: []byte(raw)}}); err != nil {
		t.Fatal(err)
	}
	got := r.delivered()
	if len(got) != 1 || got[0].TargetARN != fn+"async" {
		t.Fatalf("deliveries: %+v", got)
	}
	var ev lambdaEvent
	if err := json.Unmarshal([]byte(got[0].Body), &ev); err != nil || ev.Records[0].SES.Receipt.Action["invocationType"] != "Event" {
		t.Fatalf("event %s: %v", got[0].Body, err)
	}
}

// TestReceiptRuleChecks: SES must be able to write to an S3 action's
// bucket; WorkMail actions are refused.
func TestReceiptRuleChecks(t *testing.T) {
	r := newReceiving(t)
	for _, tc := range []struct {
		act      sesapi.ReceiptAction
		code, in string
	}{
		{sesapi.ReceiptAction{S3Action: &sesapi.S3Action{BucketName: ptr.To("closed")}}, "InvalidS3Configuration", "Could not write to bucket: closed"},
		{sesapi.ReceiptAction{WorkmailAction: &sesapi.WorkmailAction{OrganizationArn: ptr.To("arn:aws:workmail:us-east-1:1:organization/m")}}, "InvalidParameterValue", "WorkMail"},
	} {
		_, err := r.v1.CreateReceiptRule(r.h.Ctx(), &sesapi.CreateReceiptRuleRequest{RuleSetName: ptr.To("rs"),
			Rule: &sesapi.ReceiptRule{Name: ptr.To("r"), Actions: []sesapi.ReceiptAction{tc.act}}})
		if e := awserr.As(err); e.Code.Code != tc.code || !strings.Contains(e.Message, tc.in) {
			t.Fatalf("want %s %q: %v", tc.code, tc.in, err)
		}
	}
}

// smtpTLS is a TLS configuration with a certificate from a fresh local
// CA, and a client configuration trusting it.
func smtpTLS(t *testing.T) (server, client *tls.Config) {
	t.Helper()
	authority, err := ca.New(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	key, err := ca.NewKey(ca.ECP256)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := authority.Issue([]string{"localhost", "127.0.0.1"}, key, time.Now().Add(-time.Hour), 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.X509KeyPair(append(leaf.CertPEM, authority.ChainPEM()...), leaf.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{pair}}, &tls.Config{RootCAs: authority.Pool(), ServerName: "127.0.0.1"}
}

// TestSMTPStartTLS: with a certificate, AUTH in the clear is refused as
// SES refuses it; after STARTTLS (verified against the CA) the login and
// send work; the implicit-TLS listener works from the first byte; mail
// without AUTH reaches a rule requiring TLS only once encrypted.
func TestSMTPStartTLS(t *testing.T) {
	r := newReceiving(t)
	for _, a := range []string{"a@example.com", "b@example.com"} {
		if _, err := r.v1.VerifyEmailIdentity(r.h.Ctx(), &sesapi.VerifyEmailIdentityRequest{EmailAddress: ptr.To(a)}); err != nil {
			t.Fatal(err)
		}
	}
	verifyAll(t, r.c)
	r.rules(t, sesapi.ReceiptRule{Name: ptr.To("tls"), Enabled: ptr.To(true), TlsPolicy: ptr.To("Require"), Recipients: []string{"example.org"},
		Actions: []sesapi.ReceiptAction{{S3Action: &sesapi.S3Action{BucketName: ptr.To("inbox")}}}})
	srvConf, cliConf := smtpTLS(t)
	keys := func(id string) (string, string, bool, error) { return "secret", r.h.Account, id == "AKIDTEST", nil }
	plain, err := r.c.ServeSMTP(SMTPConfig{Addr: "127.0.0.1:0", Region: "us-east-1", Keys: keys, TLS: srvConf})
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	implicit, err := r.c.ServeSMTP(SMTPConfig{Addr: "127.0.0.1:0", Region: "us-east-1", Keys: keys, TLS: srvConf, Implicit: true})
	if err != nil {
		t.Fatal(err)
	}
	defer implicit.Close()
	auth := smtp.PlainAuth("", "AKIDTEST", SMTPPassword("secret", "us-east-1"), "127.0.0.1")
	msg := "From: a@example.com\r\nTo: b@example.com\r\nSubject: tls\r\n\r\nsecret body\r\n"
	send := func(cl *smtp.Client, starttls bool, a smtp.Auth, from, to, body string) error {
		defer cl.Close()
		if err := cl.Hello("client"); err != nil {
			return err
		}
		if starttls {
			if ok, _ := cl.Extension("STARTTLS"); !ok {
				t.Fatal("STARTTLS not advertised")
			}
			if err := cl.StartTLS(cliConf); err != nil {
				return err
			}
		}
		if a != nil {
			if err := cl.Auth(a); err != nil {
				return err
			}
		}
		if err := cl.Mail(from); err != nil {
			return err
		}
		if err := cl.Rcpt(to); err != nil {
			return err
		}
		w, err := cl.Data()
		if err != nil {
			return err
		}
		if _, err := w.Write([]byte(body)); err != nil {
			return err
		}
		return w.Close()
	}
	dial := func() *smtp.Client {
		cl, err := smtp.Dial(plain.Addr())
		if err != nil {
			t.Fatal(err)
		}
		return cl
	}
	// AUTH in the clear (net/smtp allows PLAIN to 127.0.0.1).
	if err := send(dial(), false, auth, "a@example.com", "b@example.com", msg); err == nil || !strings.Contains(err.Error(), "530") || !strings.Contains(err.Error(), "Must issue a STARTTLS command first") {
		t.Fatal("clear AUTH:", err)
	}
	if err := send(dial(), true, auth, "a@example.com", "b@example.com", msg); err != nil {
		t.Fatal("STARTTLS send:", err)
	}
	conn, err := tls.Dial("tcp", implicit.Addr(), cliConf)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := smtp.NewClient(conn, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	if err := send(cl, false, auth, "a@example.com", "b@example.com", strings.Replace(msg, "Subject: tls", "Subject: smtps", 1)); err != nil {
		t.Fatal("SMTPS send:", err)
	}
	ms, err := r.c.Outbox("")
	if err != nil {
		t.Fatal(err)
	}
	var subjects []string
	for _, m := range ms {
		if m.Via == "SMTP" {
			subjects = append(subjects, m.Subject)
		}
	}
	sort.Strings(subjects) // one instant on the test clock: ids order them
	if strings.Join(subjects, ",") != "smtps,tls" {
		t.Fatalf("outbox SMTP subjects: %v", subjects)
	}
	// Inbound: no AUTH; the rule requires TLS.
	in := "From: stranger@elsewhere.net\r\nTo: info@example.org\r\nSubject: hello\r\n\r\ninbound\r\n"
	if err := send(dial(), false, nil, "stranger@elsewhere.net", "info@example.org", in); err == nil || !strings.Contains(err.Error(), "530") {
		t.Fatal("inbound in the clear to a TLS-only rule:", err)
	}
	if err := send(dial(), true, nil, "stranger@elsewhere.net", "nobody@elsewhere.org", in); err == nil || !strings.Contains(err.Error(), "530") || !strings.Contains(err.Error(), "Authentication required") {
		t.Fatal("relay without AUTH:", err)
	}
	if err := send(dial(), true, nil, "stranger@elsewhere.net", "info@example.org", in); err != nil {
		t.Fatal("inbound over TLS:", err)
	}
	if len(r.objs.put) != 1 {
		t.Fatalf("S3 objects: %v", r.objs.put)
	}
	for k, v := range r.objs.put {
		if !strings.HasPrefix(k, "inbox/") || string(v) != in {
			t.Fatalf("%s: %q", k, v)
		}
	}
}

// TestSMTPTLSHostile: a client that never completes the handshake after
// STARTTLS, or talks plain text to the implicit-TLS port, is dropped.
func TestSMTPTLSHostile(t *testing.T) {
	_, c := newCore(t, nil)
	srvConf, _ := smtpTLS(t)
	for _, implicit := range []bool{false, true} {
		srv, err := c.ServeSMTP(SMTPConfig{Addr: "127.0.0.1:0", Region: "us-east-1", TLS: srvConf, Implicit: implicit})
		if err != nil {
			t.Fatal(err)
		}
		conn, err := net.Dial("tcp", srv.Addr())
		if err != nil {
			t.Fatal(err)
		}
		conn.SetDeadline(time.Now().Add(60 * time.Second))
		go func() {
			conn.Write([]byte("STARTTLS\r\nnot a handshake at all\r\n\r\n"))
			conn.(*net.TCPConn).CloseWrite() // the handshake meets EOF, not its deadline
		}()
		out, _ := io.ReadAll(conn)
		if implicit == strings.Contains(string(out), "220 Ready to start TLS") {
			t.Fatalf("implicit=%v: %q", implicit, out)
		}
		conn.Close()
		srv.Close()
	}
}

// TestSendBounce: a received message can be bounced to its sender from
// a verified address; an unknown message id is refused.
func TestSendBounce(t *testing.T) {
	r := newReceiving(t)
	r.rules(t, sesapi.ReceiptRule{Name: ptr.To("all"), Enabled: ptr.To(true)})
	out, err := r.v1.SendRawEmail(r.h.Ctx(), &sesapi.SendRawEmailRequest{RawMessage: &sesapi.RawMessage{Data: []byte("From: me@example.org\r\nTo: info@example.org\r\nSubject: s\r\n\r\nx\r\n")}})
	if err != nil {
		t.Fatal(err)
	}
	req := &sesapi.SendBounceRequest{OriginalMessageId: out.MessageId, BounceSender: ptr.To("mailer-daemon@example.org"), Explanation: ptr.To("Unknown user"),
		BouncedRecipientInfoList: []sesapi.BouncedRecipientInfo{{Recipient: ptr.To("info@example.org"), BounceType: ptr.To("DoesNotExist")}}}
	b, err := r.v1.SendBounce(r.h.Ctx(), req)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := r.c.Outbox(*b.MessageId)
	if len(m) != 1 || m[0].Destination.ToAddresses[0] != "me@example.org" || !strings.Contains(m[0].Body.Text, "<info@example.org>: DoesNotExist") {
		t.Fatalf("%+v", m)
	}
	req.OriginalMessageId = ptr.To("nope")
	if _, err := r.v1.SendBounce(r.h.Ctx(), req); awserr.As(err).Code.Code != "MessageRejected" {
		t.Fatal(err)
	}
}

// TestSystemMailIsReceived: mail another service sends as AWS
// (mail.Sender, ACM's approval mail) needs no verified sender, is kept in
// the outbox, and reaches a receipt rule of the receiving domain even
// when it is sent from another region (it travels by MX, not region);
// mail to a domain nobody receives stays only in the outbox.
func TestSystemMailIsReceived(t *testing.T) {
	r := newReceiving(t)
	r.rules(t, sesapi.ReceiptRule{Name: ptr.To("store"), Enabled: ptr.To(true), Recipients: []string{"example.org"},
		Actions: []sesapi.ReceiptAction{{S3Action: &sesapi.S3Action{BucketName: ptr.To("inbox"), ObjectKeyPrefix: ptr.To("acm/")}}}})
	for _, region := range []string{r.h.Region, "eu-west-1"} {
		id, err := r.c.SendMail(context.Background(), mail.Message{Region: region, From: "Amazon Certificates <no-reply@certificates.amazon.com>",
			To: []string{"admin@example.org"}, Subject: "Certificate request for api.example.org", Text: "approve at http://x/y", Via: "ACM"})
		if err != nil {
			t.Fatal(err)
		}
		body, ok := r.objs.put["inbox/acm/"+id]
		if !ok || !strings.Contains(string(body), "Subject: Certificate request for api.example.org") || !strings.Contains(string(body), "approve at http://x/y") {
			t.Fatalf("from %s: objects %v", region, r.objs.put)
		}
	}
	id, err := r.c.SendMail(context.Background(), mail.Message{Region: r.h.Region, From: "no-reply@certificates.amazon.com",
		To: []string{"admin@elsewhere.test"}, Subject: "s", Text: "t", Via: "ACM"})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.objs.put) != 2 {
		t.Fatalf("mail for a domain nobody receives was stored: %v", r.objs.put)
	}
	kept, err := r.c.Outbox(id)
	if err != nil || len(kept) != 1 || kept[0].Via != "ACM" || kept[0].Destination.ToAddresses[0] != "admin@elsewhere.test" || kept[0].Account != "" {
		t.Fatalf("outbox %+v: %v", kept, err)
	}
}
