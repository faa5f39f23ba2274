package ses

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/mail"
	"net/netip"
	"slices"
	"strings"
	"time"

	sesapi "github.com/niwa-cloud/niwa/internal/api/ses"
	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/objects"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Functions invokes Lambda functions synchronously (a receipt rule's
// LambdaAction with InvocationType RequestResponse) as the service
// principal caller; it answers the function's payload and its
// FunctionError ("" when it succeeded).
type Functions interface {
	InvokeAs(ctx context.Context, functionARN string, payload []byte, caller string) ([]byte, string, error)
}

// sesPrincipal is who SES acts as when it runs receipt rules: bucket
// policies, topic policies and function policies must grant it.
const sesPrincipal = "ses.amazonaws.com"

// receivers indexes, niwa-wide, the accounts of a region that have an
// active receipt rule set (key: region, account), so that mail arriving
// without an account (inbound SMTP, or sent by another account) finds
// the account whose rules take it.
var receivers = storage.NewTable[bool]("receiver")

// receiptNotification is SES's "Received" notification for an SNS
// action (SES Developer Guide, "Notification contents for Amazon SES
// email receiving").
type receiptNotification struct {
	NotificationType string        `json:"notificationType"`
	Mail             receivedMail  `json:"mail"`
	Receipt          receiptRecord `json:"receipt"`
	Content          string        `json:"content,omitempty"`
}

type mailHeader struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type receivedMail struct {
	Timestamp        string         `json:"timestamp"`
	Source           string         `json:"source"`
	MessageID        string         `json:"messageId"`
	Destination      []string       `json:"destination"`
	HeadersTruncated bool           `json:"headersTruncated"`
	Headers          []mailHeader   `json:"headers"`
	CommonHeaders    map[string]any `json:"commonHeaders"`
}

type verdict struct {
	Status string `json:"status"`
}

type receiptRecord struct {
	Timestamp            string         `json:"timestamp"`
	ProcessingTimeMillis int            `json:"processingTimeMillis"`
	Recipients           []string       `json:"recipients"`
	SpamVerdict          verdict        `json:"spamVerdict"`
	VirusVerdict         verdict        `json:"virusVerdict"`
	SPFVerdict           verdict        `json:"spfVerdict"`
	DKIMVerdict          verdict        `json:"dkimVerdict"`
	DMARCVerdict         verdict        `json:"dmarcVerdict"`
	Action               map[string]any `json:"action"`
}

// lambdaEvent is the event a LambdaAction invokes its function with
// (SES Developer Guide, "Invoking a Lambda function": no content).
type lambdaEvent struct {
	Records []lambdaRecord `json:"Records"`
}

type lambdaRecord struct {
	EventSource  string    `json:"eventSource"`
	EventVersion string    `json:"eventVersion"`
	SES          lambdaSES `json:"ses"`
}

type lambdaSES struct {
	Mail    receivedMail  `json:"mail"`
	Receipt receiptRecord `json:"receipt"`
}

// lambdaDisposition is what a RequestResponse function answers.
type lambdaDisposition struct {
	Disposition string `json:"disposition"`
}

// recipientMatches reports whether a receipt rule's recipient entry
// covers addr: the address itself, its domain, or (".example.com") any
// subdomain.
func recipientMatches(entry, addr string) bool {
	entry, addr = strings.ToLower(entry), strings.ToLower(addr)
	d := domainOf(addr)
	switch {
	case entry == addr, entry == d:
		return true
	case strings.HasPrefix(entry, "."):
		return strings.HasSuffix(d, entry)
	}
	return false
}

// ruleTakes reports whether an enabled rule takes addr (no recipients:
// every address at the account's verified domains).
func ruleTakes(r sesapi.ReceiptRule, addr string) bool {
	if !ptr.Deref(r.Enabled) {
		return false
	}
	if len(r.Recipients) == 0 {
		return true
	}
	for _, e := range r.Recipients {
		if recipientMatches(e, addr) {
			return true
		}
	}
	return false
}

// setReceiver records (or forgets) that acct has an active rule set in
// region.
func setReceiver(tx storage.Tx, acct, region string, active bool) error {
	if active {
		return receivers.Put(tx, outboxScope, true, region, acct)
	}
	return receivers.Delete(tx, outboxScope, region, acct)
}

// receiverFor finds the account whose active rule set takes addr: its
// domain verified there and an enabled rule matching it. It answers the
// rule set and whether a matching rule requires TLS. prefer is
// looked at first (the sending account).
func (c *Core) receiverFor(region, addr, prefer string) (string, ruleSet, bool) {
	accts := []string{}
	if prefer != "" {
		accts = append(accts, prefer)
	}
	_ = c.opt.Store.View(func(tx storage.Tx) error {
		return receivers.List(tx, outboxScope, []string{region}, storage.ListOptions{}, func(k []string, _ bool) bool {
			if a := k[len(k)-1]; a != prefer {
				accts = append(accts, a)
			}
			return true
		})
	})
	for _, acct := range accts {
		a, err := c.accountOf(acct, region)
		if err != nil || a.ActiveRuleSet == "" {
			continue
		}
		if ok, err := c.verified(acct, region, domainOf(addr)); err != nil || !ok {
			continue
		}
		rs, ok, err := c.ruleSet(acct, region, a.ActiveRuleSet)
		if err != nil || !ok {
			continue
		}
		taken, needTLS := false, false
		for _, r := range rs.Rules {
			if ruleTakes(r, addr) {
				taken = true
				needTLS = needTLS || ptr.Deref(r.TlsPolicy) == "Require"
			}
		}
		if taken {
			return acct, rs, needTLS
		}
	}
	return "", ruleSet{}, false
}

// inboundAccount answers the account taking mail for addr arriving on
// the SMTP listener without AUTH, or the SMTP refusal.
func (c *Core) inboundAccount(region, addr string, secure bool, client netip.Addr) (string, int, string) {
	acct, _, needTLS := c.receiverFor(region, bareAddress(addr), "")
	if acct == "" {
		// Not mail for a receiving domain: sending needs AUTH, as on
		// SES's SMTP endpoint.
		return "", 530, "Authentication required"
	}
	if client.IsValid() && c.blockedBy(acct, region, client) {
		return "", 554, "5.7.1 Access denied: the sending IP address is blocked by a receipt filter"
	}
	if needTLS && !secure {
		// The rule's TlsPolicy is Require: SES bounces mail not
		// received over TLS.
		return "", 530, "Must issue a STARTTLS command first"
	}
	return acct, 0, ""
}

// incoming is one message a rule set runs over.
type incoming struct {
	ID      string
	Source  string
	Raw     []byte
	All     []string
	Secure  bool
	Account string
	Region  string
}

// receiveInbound runs the receipt rules of the accounts taking a message
// that arrived on the SMTP listener without AUTH.
func (c *Core) receiveInbound(region, from string, accts map[string]string, rcpts []string, raw []byte, secure bool) (string, error) {
	if _, err := mail.ReadMessage(bytes.NewReader(raw)); err != nil {
		return "", sesapi.ErrMessageRejected.New("Illegal header: %v", err)
	}
	now := c.now()
	id := receivedID(now)
	by := map[string][]string{}
	var order []string
	for _, r := range rcpts {
		a := accts[r]
		if _, ok := by[a]; !ok {
			order = append(order, a)
		}
		by[a] = append(by[a], bareAddress(r))
	}
	for _, a := range order {
		_, rs, _ := c.receiverFor(region, by[a][0], a)
		c.runRules(context.Background(), now, rs, incoming{ID: id, Source: from, Raw: raw, All: rcpts, Secure: secure, Account: a, Region: region}, by[a])
	}
	return id, nil
}

// receivedID is the message id SES gives a received message (20
// lower-case alphanumerics, as the object keys of S3 actions show).
func receivedID(now time.Time) string {
	return strings.ToLower(strings.ReplaceAll(messageID(now), "-", ""))[:20]
}

// receive runs the receipt rules over a message niwa itself sent: each
// recipient at a domain an account with an active rule set verified, and
// which one of its rules takes, is delivered there (AWS-to-AWS mail is
// always over TLS).
//
// Mail without a sending account (AWS's own, through SendMail) is
// delivered to a receiver in any region, its own first.
func (c *Core) receive(ctx context.Context, now time.Time, m outgoing, id string) {
	type receiver struct{ acct, region string }
	by := map[receiver][]string{}
	sets := map[receiver]ruleSet{}
	var order []receiver
	regions := []string{m.Region}
	if m.Account == "" {
		regions = c.receiverRegions(m.Region)
	}
	for _, r := range m.Dest.all() {
		addr := bareAddress(r)
		if slices.Contains(m.Suppressed, addr) {
			// SES does not deliver to a suppressed address.
			continue
		}
		var to receiver
		var rs ruleSet
		for _, region := range regions {
			if acct, set, _ := c.receiverFor(region, addr, m.Account); acct != "" {
				to, rs = receiver{acct, region}, set
				break
			}
		}
		if to.acct == "" {
			continue
		}
		if _, ok := by[to]; !ok {
			order = append(order, to)
			sets[to] = rs
		}
		by[to] = append(by[to], addr)
	}
	for _, to := range order {
		c.runRules(ctx, now, sets[to], incoming{ID: id, Source: bareAddress(m.Source), Raw: m.Raw, All: m.Dest.all(), Secure: true, Account: to.acct, Region: to.region}, by[to])
	}
}

// receivedMsg records a message an account received, so that
// SendBounce can answer its sender (key: the message id).
type receivedMsg struct {
	Account, Region, Source string
}

var received = storage.NewTable[receivedMsg]("received")

// runRules runs rs's rules in order over msg for rcpts: each enabled
// rule whose recipients match runs its actions in order, until a stop
// action (or a function's STOP_RULE_SET) ends the set.
func (c *Core) runRules(ctx context.Context, now time.Time, rs ruleSet, msg incoming, rcpts []string) {
	if err := c.opt.Store.Update(func(tx storage.Tx) error {
		return received.Put(tx, outboxScope, receivedMsg{Account: msg.Account, Region: msg.Region, Source: msg.Source}, msg.ID)
	}); err != nil {
		c.opt.Log.Warn("SES received message not recorded", "error", err)
	}
	ts := now.UTC().Format("2006-01-02T15:04:05.000Z")
	for _, rule := range rs.Rules {
		var matched []string
		for _, addr := range rcpts {
			if ruleTakes(rule, addr) {
				matched = append(matched, addr)
			}
		}
		if len(matched) == 0 {
			continue
		}
		if ptr.Deref(rule.TlsPolicy) == "Require" && !msg.Secure {
			continue
		}
		raw := msg.Raw
		if ptr.Deref(rule.ScanEnabled) {
			// Scanning finds nothing: the verdicts SES adds are PASS.
			raw = append([]byte("X-SES-Spam-Verdict: PASS\r\nX-SES-Virus-Verdict: PASS\r\n"), raw...)
		}
		ruleARN := "arn:aws:ses:" + msg.Region + ":" + msg.Account + ":receipt-rule-set/" + rs.Name + ":receipt-rule/" + ptr.Deref(rule.Name)
		stopRule := false
		for _, act := range rule.Actions {
			if stopRule {
				break
			}
			mailObj := receivedMailOf(msg, raw, ts)
			rec := receiptRecord{Timestamp: ts, Recipients: matched,
				SpamVerdict: verdict{"PASS"}, VirusVerdict: verdict{"PASS"}, SPFVerdict: verdict{"PASS"},
				DKIMVerdict: verdict{"PASS"}, DMARCVerdict: verdict{"PASS"}}
			src := events.Message{SourceService: sesPrincipal, SourceAccount: msg.Account, SourceARN: ruleARN}
			switch {
			case act.StopAction != nil:
				if t := ptr.Deref(act.StopAction.TopicArn); t != "" {
					rec.Action = map[string]any{"type": "Stop", "topicArn": t}
					c.notify(ctx, t, receiptNotification{NotificationType: "Received", Mail: mailObj, Receipt: rec}, src)
				}
				return
			case act.AddHeaderAction != nil:
				h := ptr.Deref(act.AddHeaderAction.HeaderName) + ": " + ptr.Deref(act.AddHeaderAction.HeaderValue) + "\r\n"
				raw = append([]byte(h), raw...)
			case act.SNSAction != nil:
				topic := ptr.Deref(act.SNSAction.TopicArn)
				enc := ptr.Deref(act.SNSAction.Encoding)
				if enc == "" {
					enc = "UTF-8"
				}
				content := string(raw)
				if enc == "Base64" {
					content = base64.StdEncoding.EncodeToString(raw)
				}
				rec.Action = map[string]any{"type": "SNS", "topicArn": topic, "encoding": enc}
				c.notify(ctx, topic, receiptNotification{NotificationType: "Received", Mail: mailObj, Receipt: rec, Content: content}, src)
			case act.S3Action != nil:
				c.s3Action(ctx, act.S3Action, msg, raw, mailObj, rec, ruleARN, src)
			case act.LambdaAction != nil:
				switch c.lambdaAction(ctx, act.LambdaAction, mailObj, rec, src) {
				case "STOP_RULE":
					stopRule = true
				case "STOP_RULE_SET":
					return
				}
			case act.BounceAction != nil:
				c.bounce(now, act.BounceAction, msg, matched)
				if t := ptr.Deref(act.BounceAction.TopicArn); t != "" {
					rec.Action = map[string]any{"type": "Bounce", "topicArn": t, "smtpReplyCode": ptr.Deref(act.BounceAction.SmtpReplyCode),
						"statusCode": ptr.Deref(act.BounceAction.StatusCode), "message": ptr.Deref(act.BounceAction.Message), "sender": ptr.Deref(act.BounceAction.Sender)}
					c.notify(ctx, t, receiptNotification{NotificationType: "Received", Mail: mailObj, Receipt: rec}, src)
				}
			}
		}
	}
}

// receivedMailOf is the "mail" object of SES's notifications.
func receivedMailOf(msg incoming, raw []byte, ts string) receivedMail {
	m := receivedMail{Timestamp: ts, Source: msg.Source, MessageID: msg.ID, Destination: msg.All,
		Headers: []mailHeader{}, CommonHeaders: map[string]any{"returnPath": msg.Source, "messageId": msg.ID}}
	parsed, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return m
	}
	for name, vals := range parsed.Header {
		for _, v := range vals {
			m.Headers = append(m.Headers, mailHeader{Name: name, Value: v})
		}
	}
	// Header order as written: net/mail keeps a map, so order by where
	// each appears in the raw text.
	idx := func(h mailHeader) int { return bytes.Index(raw, []byte(h.Name+": "+h.Value)) }
	for i := 1; i < len(m.Headers); i++ {
		for j := i; j > 0 && idx(m.Headers[j]) < idx(m.Headers[j-1]); j-- {
			m.Headers[j], m.Headers[j-1] = m.Headers[j-1], m.Headers[j]
		}
	}
	list := func(h string) []string {
		var out []string
		for _, v := range parsed.Header[h] {
			out = append(out, strings.Split(v, ",")...)
		}
		for i := range out {
			out[i] = strings.TrimSpace(out[i])
		}
		return out
	}
	if v := list("From"); len(v) > 0 {
		m.CommonHeaders["from"] = v
	}
	if v := list("To"); len(v) > 0 {
		m.CommonHeaders["to"] = v
	}
	if v := parsed.Header.Get("Subject"); v != "" {
		m.CommonHeaders["subject"] = v
	}
	if v := parsed.Header.Get("Date"); v != "" {
		m.CommonHeaders["date"] = v
	}
	return m
}

// notify publishes a notification to an SNS topic as SES.
func (c *Core) notify(ctx context.Context, topic string, n receiptNotification, src events.Message) {
	if c.opt.Bus == nil || topic == "" {
		return
	}
	body, err := json.Marshal(n)
	if err != nil {
		return
	}
	src.TargetARN, src.Body = topic, string(body)
	if err := c.opt.Bus.Deliver(ctx, src); err != nil {
		c.opt.Log.Warn("SES receipt rule notification not delivered", "topic", topic, "error", err)
	}
}

// s3Action writes the raw message to bucket/prefix+messageId as
// ses.amazonaws.com (the bucket policy must allow it), then notifies the
// action's topic.
func (c *Core) s3Action(ctx context.Context, a *sesapi.S3Action, msg incoming, raw []byte, mailObj receivedMail, rec receiptRecord, ruleARN string, src events.Message) {
	if c.opt.Objects == nil {
		return
	}
	bucket := ptr.Deref(a.BucketName)
	k := ptr.Deref(a.ObjectKeyPrefix) + msg.ID
	p := objects.Principal{Service: sesPrincipal, Region: msg.Region, SourceAccount: msg.Account, SourceARN: ruleARN}
	if err := c.opt.Objects.PutServiceObject(ctx, bucket, k, raw, p); err != nil {
		c.opt.Log.Warn("SES receipt rule S3 action failed", "bucket", bucket, "key", k, "error", err)
		return
	}
	if t := ptr.Deref(a.TopicArn); t != "" {
		rec.Action = map[string]any{"type": "S3", "topicArn": t, "bucketName": bucket, "objectKeyPrefix": ptr.Deref(a.ObjectKeyPrefix), "objectKey": k}
		c.notify(ctx, t, receiptNotification{NotificationType: "Received", Mail: mailObj, Receipt: rec}, src)
	}
}

// lambdaAction invokes the function with SES's event: Event invocations
// through the bus (queued, as Lambda's async invoke), RequestResponse
// ones synchronously, answering the function's disposition.
func (c *Core) lambdaAction(ctx context.Context, a *sesapi.LambdaAction, mailObj receivedMail, rec receiptRecord, src events.Message) string {
	fn := ptr.Deref(a.FunctionArn)
	inv := ptr.Deref(a.InvocationType)
	if inv == "" {
		inv = "Event"
	}
	rec.Action = map[string]any{"type": "Lambda", "functionArn": fn, "invocationType": inv}
	body, err := json.Marshal(lambdaEvent{Records: []lambdaRecord{{EventSource: "aws:ses", EventVersion: "1.0", SES: lambdaSES{Mail: mailObj, Receipt: rec}}}})
	if err != nil || c.opt.Bus == nil {
		return "CONTINUE"
	}
	if t := ptr.Deref(a.TopicArn); t != "" {
		c.notify(ctx, t, receiptNotification{NotificationType: "Received", Mail: mailObj, Receipt: rec}, src)
	}
	src.TargetARN, src.Body = fn, string(body)
	if inv != "RequestResponse" || c.opt.Functions == nil {
		if err := c.opt.Bus.Deliver(ctx, src); err != nil {
			c.opt.Log.Warn("SES receipt rule Lambda action failed", "function", fn, "error", err)
		}
		return "CONTINUE"
	}
	// The function's policy must let SES invoke it, as for an Event call.
	src.Validate = true
	if err := c.opt.Bus.Deliver(ctx, src); err != nil {
		c.opt.Log.Warn("SES receipt rule Lambda action failed", "function", fn, "error", err)
		return "CONTINUE"
	}
	out, fnErr, err := c.opt.Functions.InvokeAs(ctx, fn, body, sesPrincipal)
	if err != nil || fnErr != "" {
		c.opt.Log.Warn("SES receipt rule Lambda action failed", "function", fn, "error", errors.Join(err, errors.New(fnErr)))
		return "CONTINUE"
	}
	var d lambdaDisposition
	if json.Unmarshal(out, &d) != nil {
		return "CONTINUE"
	}
	return d.Disposition
}

// bounce puts the bounce a BounceAction sends back to the sender in the
// outbox (niwa delivers no mail outside).
func (c *Core) bounce(now time.Time, a *sesapi.BounceAction, msg incoming, rcpts []string) {
	code, status := ptr.Deref(a.SmtpReplyCode), ptr.Deref(a.StatusCode)
	text := "This is the mail system at host inbound-smtp." + msg.Region + ".amazonaws.com.\r\n\r\n" +
		"I'm sorry to have to inform you that your message could not be delivered to one or more recipients.\r\n\r\n"
	for _, r := range rcpts {
		text += "<" + r + ">: " + code + " " + status + " " + ptr.Deref(a.Message) + "\r\n"
	}
	_, err := c.keep(now, &outgoing{
		Region:  msg.Region,
		Source:  ptr.Deref(a.Sender),
		Dest:    Destination{ToAddresses: []string{msg.Source}},
		Subject: "Undelivered Mail Returned to Sender",
		Body:    MailBody{Text: text},
		Via:     "Bounce",
	})
	if err != nil {
		c.opt.Log.Warn("SES bounce not kept", "error", err)
	}
}
