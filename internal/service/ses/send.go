package ses

import (
	"strings"

	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/request"
)

// verifyEmail adds an email identity and mails its verification link.
func (c *Core) verifyEmail(ctx *request.Context, addr string) error {
	a := bareAddress(addr)
	if !strings.Contains(a, "@") || strings.HasPrefix(a, "@") || strings.HasSuffix(a, "@") {
		return awserr.InvalidParameterValue.New("Invalid email address<%s>.", addr)
	}
	id, created, err := c.addIdentity(ctx, ctx.Account, ctx.Region, a, func() identity { return newEmailIdentity(a, ctx.Now()) })
	if err != nil || (!created && id.Status == statusSuccess) {
		return err
	}
	return c.mailVerification(ctx, id)
}

// mailVerification puts the verification message in the outbox: its
// link, served by niwa, verifies the address.
func (c *Core) mailVerification(ctx *request.Context, id identity) error {
	base := ""
	if c.opt.Endpoint != nil {
		base = c.opt.Endpoint()
	}
	link := base + VerifyPath + "?token=" + id.Token
	text := "Dear Amazon Web Services Customer,\r\n\r\n" +
		"We have received a request to authorize this email address for use with Amazon SES in region " + ctx.Region + ". " +
		"If you requested this verification, please go to the following URL to confirm that you are authorized to use this email address:\r\n\r\n" +
		link + "\r\n\r\nYour request will not be processed unless you confirm the address using this URL.\r\n"
	_, err := c.keep(ctx.Now(), &outgoing{
		Source:  "no-reply-aws@amazon.com",
		Dest:    Destination{ToAddresses: []string{id.Name}},
		Subject: "Amazon Web Services – Email Address Verification Request in region " + ctx.Region,
		Body:    MailBody{Text: text},
		Via:     "Verification",
	})
	return err
}

// sendRaw sends a MIME message, taking source and recipients from its
// headers when the call does not name them.
// opts carries the refusal codes, the interface's name and the
// configuration set.
func (c *Core) sendRaw(ctx *request.Context, raw []byte, source string, dests []string, max int, opts outgoing) (string, error) {
	if len(raw) > max {
		return "", opts.Rejected.New("Message length is more than %d bytes long: '%d'.", max, len(raw))
	}
	p, err := parseMIME(raw)
	if err != nil {
		return "", err
	}
	if source == "" {
		source = p.From
	}
	d := p.Dest
	if len(dests) > 0 {
		d = Destination{ToAddresses: dests}
	}
	opts.Account, opts.Region, opts.Source, opts.Dest = ctx.Account, ctx.Region, source, d
	opts.Subject, opts.Body, opts.Raw = p.Subject, p.Body, raw
	return c.send(ctx.Now(), opts)
}
