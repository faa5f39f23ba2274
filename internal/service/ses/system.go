package ses

import (
	"context"
	"slices"

	"github.com/niwa-cloud/niwa/internal/mail"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// SendMail sends mail another service sends as AWS (ACM's validation
// mail): it is kept in the outbox and delivered, like mail an account
// sends through SES, to every recipient at a domain whose account has an
// active receipt rule taking it. AWS's own mail needs no verified
// identity and no sandbox, and reaches the receiving domain by its MX
// record whatever the region, so a receiver in another region than the
// sender's gets it too (the sender's region is looked at first).
func (c *Core) SendMail(ctx context.Context, m mail.Message) (string, error) {
	now := c.now()
	o := outgoing{Region: m.Region, Source: m.From, Dest: Destination{ToAddresses: m.To}, Subject: m.Subject,
		Body: MailBody{Text: m.Text}, Via: m.Via}
	id, err := c.keep(now, &o)
	if err != nil {
		return "", err
	}
	c.receive(ctx, now, o, id)
	return id, nil
}

var _ mail.Sender = (*Core)(nil)

// receiverRegions are the regions to look for an account receiving
// mail niwa sends from region: region first, then every other region
// some account receives in.
func (c *Core) receiverRegions(region string) []string {
	out := []string{region}
	_ = c.opt.Store.View(func(tx storage.Tx) error {
		return receivers.List(tx, outboxScope, nil, storage.ListOptions{}, func(k []string, _ bool) bool {
			if len(k) >= 2 && !slices.Contains(out, k[len(k)-2]) {
				out = append(out, k[len(k)-2])
			}
			return true
		})
	})
	return out
}
