package ses

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"slices"
	"strings"
	"time"

	sesapi "github.com/niwa-cloud/niwa/internal/api/ses"
	sesv2api "github.com/niwa-cloud/niwa/internal/api/sesv2"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Mail is one message SES accepted, as the outbox endpoint shows it.
type Mail struct {
	ID          string      `json:"Id"`
	Account     string      `json:"Account"`
	Region      string      `json:"Region"`
	Source      string      `json:"Source"`
	Destination Destination `json:"Destination"`
	Subject     string      `json:"Subject"`
	Body        MailBody    `json:"Body"`
	// Raw is the whole MIME message.
	Raw       string    `json:"RawData"`
	Timestamp time.Time `json:"Timestamp"`
	// Via says which interface sent it: SendEmail, SendRawEmail,
	// SendTemplatedEmail, v2 SendEmail, SMTP or Verification.
	Via string `json:"Via"`
	// Suppressed are the recipients on the account's suppression list:
	// SES accepts the message but does not deliver to them.
	Suppressed []string `json:"Suppressed,omitempty"`
}

// Destination are a message's recipients.
type Destination struct {
	ToAddresses  []string `json:"ToAddresses"`
	CcAddresses  []string `json:"CcAddresses"`
	BccAddresses []string `json:"BccAddresses"`
}

func (d Destination) all() []string {
	out := append(append(append([]string{}, d.ToAddresses...), d.CcAddresses...), d.BccAddresses...)
	return out
}

// MailBody is a message's text and HTML parts.
type MailBody struct {
	Text string `json:"text_part"`
	HTML string `json:"html_part"`
}

// Limits on a message: 10 MB for v1 SendRawEmail and SMTP, 40 MB for v2
// (SES Developer Guide, "Service quotas": maximum message size including
// attachments), and 50 recipients per message.
const (
	maxRawV1      = 10 << 20
	maxRawV2      = 40 << 20
	maxRecipients = 50
)

// outgoing is a message about to be sent.
type outgoing struct {
	Account, Region string
	Source          string
	Dest            Destination
	Subject         string
	Body            MailBody
	Raw             []byte
	Via             string
	// rejected is the error code a refusal uses (MessageRejected for v1
	// and SMTP, the v2 code for v2).
	Rejected awserr.Code
	// ConfigSet names the configuration set whose event destinations
	// hear of the message; NoConfigSet is the refusal of an unknown one.
	ConfigSet   string
	NoConfigSet awserr.Code
	// Suppressed are recipients on the suppression list (set by
	// checkAndKeep); SuppressReasons, from the configuration set,
	// overrides which reasons count (nil: all, as the account's list).
	Suppressed      []string
	SuppressReasons *[]string
}

// send checks the sender and, in the sandbox, the recipients, then keeps
// the message in the outbox.
func (c *Core) send(now time.Time, m outgoing) (string, error) {
	var cs configSet
	if m.ConfigSet == "" && m.Account != "" {
		// The sending identity's default configuration set (the address,
		// else its domain).
		for _, name := range []string{bareAddress(m.Source), domainOf(bareAddress(m.Source))} {
			if id, ok, err := c.getIdentity(m.Account, m.Region, name); err == nil && ok && id.ConfigSet != "" {
				m.ConfigSet = id.ConfigSet
				break
			}
		}
	}
	if m.ConfigSet != "" {
		got, ok, err := c.getConfigSet(m.Account, m.Region, m.ConfigSet)
		if err != nil {
			return "", err
		}
		if !ok {
			return "", errNoConfigSet(m.NoConfigSet, m.ConfigSet)
		}
		cs = got
		m.SuppressReasons = cs.SuppressedReasons
		if cs.SendingPaused {
			if strings.HasPrefix(m.Via, "v2 ") {
				return "", sesv2api.ErrSendingPausedException.New("Sending is paused for this configuration set.")
			}
			return "", sesapi.ErrConfigurationSetSendingPausedException.New("Sending is paused for this configuration set.").With("ConfigurationSetName", cs.Name)
		}
	}
	id, err := c.checkAndKeep(now, &m)
	if err != nil {
		return "", err
	}
	if m.ConfigSet != "" {
		c.publish(context.Background(), now, cs, m, id)
	}
	c.receive(context.Background(), now, m, id)
	return id, nil
}

// checkAndKeep applies the identity and sandbox checks, then keeps the
// message.
func (c *Core) checkAndKeep(now time.Time, m *outgoing) (string, error) {
	rcpts := m.Dest.all()
	if len(rcpts) == 0 {
		return "", m.Rejected.New("Missing final '@domain'")
	}
	if len(rcpts) > maxRecipients {
		return "", m.Rejected.New("Recipient count exceeds 50.")
	}
	from := bareAddress(m.Source)
	if from == "" || !strings.Contains(from, "@") {
		return "", awserr.InvalidParameterValue.New("Missing final '@domain'")
	}
	ok, err := c.verified(m.Account, m.Region, from)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", errNotVerified(m.Rejected, m.Region, []string{from})
	}
	a, err := c.accountOf(m.Account, m.Region)
	if err != nil {
		return "", err
	}
	if a.SendingPaused {
		if strings.HasPrefix(m.Via, "v2 ") {
			return "", sesv2api.ErrSendingPausedException.New("Email sending is disabled for your entire Amazon SES account.")
		}
		return "", sesapi.ErrAccountSendingPausedException.New("Email sending is disabled for your entire Amazon SES account.")
	}
	if !a.Production {
		var failed []string
		for _, r := range rcpts {
			addr := bareAddress(r)
			if simulator(addr) {
				continue
			}
			ok, err := c.verified(m.Account, m.Region, addr)
			if err != nil {
				return "", err
			}
			if !ok {
				failed = append(failed, addr)
			}
		}
		if len(failed) > 0 {
			return "", errNotVerified(m.Rejected, m.Region, failed)
		}
		max24, _, last24, err := c.quota(m.Account, m.Region, now)
		if err != nil {
			return "", err
		}
		if last24+float64(len(rcpts)) > max24 {
			return "", m.Rejected.New("Daily message quota exceeded.")
		}
	}
	for _, r := range rcpts {
		sd, ok, err := c.suppression(m.Account, m.Region, bareAddress(r))
		if err != nil {
			return "", err
		}
		reasons := a.suppressedReasons()
		if m.SuppressReasons != nil {
			reasons = *m.SuppressReasons
		}
		if ok && slices.Contains(reasons, sd.Reason) {
			m.Suppressed = append(m.Suppressed, bareAddress(r))
		}
	}
	return c.keep(now, m)
}

// keep stores a message in the outbox (and counts it), filling in the
// MIME message it builds for formatted mail.
func (c *Core) keep(now time.Time, m *outgoing) (string, error) {
	id := messageID(now)
	if m.Raw == nil {
		m.Raw = buildMIME(id, now, *m)
	}
	rec := Mail{ID: id, Account: m.Account, Region: m.Region, Source: m.Source, Destination: m.Dest,
		Subject: m.Subject, Body: m.Body, Raw: string(m.Raw), Timestamp: now, Via: m.Via, Suppressed: m.Suppressed}
	err := c.opt.Store.Update(func(tx storage.Tx) error {
		// Keys sort by time, then id: the outbox lists oldest first.
		k := now.UTC().Format("20060102T150405.000000000") + id
		if err := outbox.Put(tx, outboxScope, rec, k); err != nil {
			return err
		}
		if m.Account == "" {
			return nil
		}
		return sends.Put(tx, scope(m.Account, m.Region), sent{At: now, Recipients: len(m.Dest.all())}, k)
	})
	return id, err
}

// Outbox lists kept messages, oldest first; id filters to one message.
func (c *Core) Outbox(id string) ([]Mail, error) {
	out := []Mail{}
	err := c.opt.Store.View(func(tx storage.Tx) error {
		return outbox.List(tx, outboxScope, nil, storage.ListOptions{}, func(_ []string, m Mail) bool {
			if id == "" || m.ID == id {
				out = append(out, m)
			}
			return true
		})
	})
	return out, err
}

// ClearOutbox drops kept messages (all of them, or the one id names).
func (c *Core) ClearOutbox(id string) error {
	return c.opt.Store.Update(func(tx storage.Tx) error {
		var keys [][]string
		err := outbox.List(tx, outboxScope, nil, storage.ListOptions{}, func(k []string, m Mail) bool {
			if id == "" || m.ID == id {
				keys = append(keys, k)
			}
			return true
		})
		if err != nil {
			return err
		}
		for _, k := range keys {
			if err := outbox.Delete(tx, outboxScope, k...); err != nil {
				return err
			}
		}
		return nil
	})
}

// bareAddress is the address of "Name <addr>" (or addr itself).
func bareAddress(s string) string {
	if a, err := mail.ParseAddress(s); err == nil {
		return a.Address
	}
	return strings.TrimSpace(s)
}

// buildMIME writes the message SES would send for a formatted email.
func buildMIME(id string, now time.Time, m outgoing) []byte {
	var b bytes.Buffer
	h := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	h("From", m.Source)
	if len(m.Dest.ToAddresses) > 0 {
		h("To", strings.Join(m.Dest.ToAddresses, ", "))
	}
	if len(m.Dest.CcAddresses) > 0 {
		h("Cc", strings.Join(m.Dest.CcAddresses, ", "))
	}
	h("Subject", mime.QEncoding.Encode("UTF-8", m.Subject))
	h("Message-ID", "<"+id+"@email.amazonses.com>")
	h("Date", now.UTC().Format(time.RFC1123Z))
	h("MIME-Version", "1.0")
	switch {
	case m.Body.Text != "" && m.Body.HTML != "":
		w := multipart.NewWriter(&b)
		h("Content-Type", "multipart/alternative; boundary="+w.Boundary())
		b.WriteString("\r\n")
		for _, p := range []struct{ typ, body string }{{"text/plain", m.Body.Text}, {"text/html", m.Body.HTML}} {
			pw, _ := w.CreatePart(map[string][]string{"Content-Type": {p.typ + "; charset=UTF-8"}, "Content-Transfer-Encoding": {"8bit"}})
			io.WriteString(pw, p.body)
		}
		_ = w.Close() // writes the closing boundary into b, a bytes.Buffer: cannot fail
	case m.Body.HTML != "":
		h("Content-Type", "text/html; charset=UTF-8")
		b.WriteString("\r\n" + m.Body.HTML)
	default:
		h("Content-Type", "text/plain; charset=UTF-8")
		b.WriteString("\r\n" + m.Body.Text)
	}
	return b.Bytes()
}

// parsed is what SES reads from a raw message.
type parsed struct {
	From    string
	Dest    Destination
	Subject string
	Body    MailBody
}

// parseMIME reads a raw message's headers and its first text and HTML
// parts; a message that is not MIME is refused as AWS refuses it.
func parseMIME(raw []byte) (parsed, error) {
	var p parsed
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return p, awserr.InvalidParameterValue.New("Illegal header: %v", err)
	}
	dec := new(mime.WordDecoder)
	p.Subject = msg.Header.Get("Subject")
	if s, err := dec.DecodeHeader(p.Subject); err == nil {
		p.Subject = s
	}
	p.From = msg.Header.Get("From")
	for k, dst := range map[string]*[]string{"To": &p.Dest.ToAddresses, "Cc": &p.Dest.CcAddresses, "Bcc": &p.Dest.BccAddresses} {
		if msg.Header.Get(k) == "" {
			continue
		}
		list, err := msg.Header.AddressList(k)
		if err != nil {
			return p, awserr.InvalidParameterValue.New("Illegal address")
		}
		for _, a := range list {
			*dst = append(*dst, a.Address)
		}
	}
	walkParts(msg.Header.Get("Content-Type"), msg.Body, &p.Body, 0)
	return p, nil
}

// walkParts collects the first text/plain and text/html parts; nesting is
// bounded so a hostile message cannot recurse without end.
func walkParts(ctype string, body io.Reader, out *MailBody, depth int) {
	if depth > 10 {
		return
	}
	mt, params, err := mime.ParseMediaType(ctype)
	if err != nil || ctype == "" {
		mt = "text/plain"
	}
	switch {
	case strings.HasPrefix(mt, "multipart/"):
		r := multipart.NewReader(body, params["boundary"])
		for {
			part, err := r.NextPart()
			if err != nil {
				return
			}
			walkParts(part.Header.Get("Content-Type"), part, out, depth+1)
		}
	case mt == "text/plain" && out.Text == "":
		b, _ := io.ReadAll(body)
		out.Text = string(b)
	case mt == "text/html" && out.HTML == "":
		b, _ := io.ReadAll(body)
		out.HTML = string(b)
	}
}
