// Package mail is the seam through which a service sends mail as AWS
// itself sends it — ACM's validation mail, say — without importing the
// service that carries mail (SES). The wiring hands the sender a Sender
// backed by SES: a recipient at a domain with an active receipt rule
// gets the message through that rule (an S3 action writes the raw
// message, as it does for mail arriving on the SMTP listener), and every
// message is kept in SES's outbox, so mail that goes nowhere stays
// inspectable.
package mail

import "context"

// Message is one message a service sends.
type Message struct {
	// Region is the sending service's region: the receipt rules of that
	// region are looked at first.
	Region string
	// From is the sender, e.g. "Amazon Certificates
	// <no-reply@certificates.amazon.com>".
	From string
	To   []string
	// Subject and Text make a text/plain message.
	Subject string
	Text    string
	// Via names the sender in the outbox ("ACM", ...).
	Via string
}

// Sender sends m, answering its message id. Mail a service sends is not
// subject to an account's sending identity checks or sandbox: it comes
// from AWS.
type Sender interface {
	SendMail(ctx context.Context, m Message) (string, error)
}

// Discard is the Sender of a niwa without mail: it accepts everything
// and delivers nothing.
type Discard struct{}

// SendMail drops m.
func (Discard) SendMail(context.Context, Message) (string, error) { return "", nil }
