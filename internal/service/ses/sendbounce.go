package ses

import (
	"strings"

	sesapi "github.com/niwa-cloud/niwa/internal/api/ses"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// SendBounce answers a message the account received (through its
// receipt rules) with a bounce to its sender, from a verified
// BounceSender; the bounce lands in the outbox.
func (s *V1) SendBounce(ctx *request.Context, in *sesapi.SendBounceRequest) (*sesapi.SendBounceResponse, error) {
	orig := ptr.Deref(in.OriginalMessageId)
	var rm receivedMsg
	var ok bool
	err := s.c.opt.Store.View(func(tx storage.Tx) error {
		var err error
		rm, ok, err = received.Get(tx, outboxScope, orig)
		return err
	})
	if err != nil {
		return nil, err
	}
	if !ok || rm.Account != ctx.Account || rm.Region != ctx.Region {
		return nil, sesapi.ErrMessageRejected.New("Could not find original message with ID %s.", orig)
	}
	if len(in.BouncedRecipientInfoList) == 0 {
		return nil, awserr.InvalidParameterValue.New("BouncedRecipientInfoList must not be empty.")
	}
	from := ptr.Deref(in.BounceSender)
	if ok, err := s.c.verified(ctx.Account, ctx.Region, bareAddress(from)); err != nil {
		return nil, err
	} else if !ok {
		return nil, errNotVerified(sesapi.ErrMessageRejected, ctx.Region, []string{bareAddress(from)})
	}
	var b strings.Builder
	b.WriteString(ptr.Deref(in.Explanation))
	b.WriteString("\r\n\r\n")
	for _, r := range in.BouncedRecipientInfoList {
		line := "<" + ptr.Deref(r.Recipient) + ">:"
		if r.BounceType != nil {
			line += " " + *r.BounceType
		}
		if d := r.RecipientDsnFields; d != nil {
			line += " " + ptr.Deref(d.Action) + " " + ptr.Deref(d.Status) + " " + ptr.Deref(d.DiagnosticCode)
		}
		b.WriteString(strings.TrimSpace(line) + "\r\n")
	}
	id, err := s.c.keep(ctx.Now(), &outgoing{Region: ctx.Region, Source: from, Dest: Destination{ToAddresses: []string{rm.Source}},
		Subject: "Delivery Status Notification (Failure)", Body: MailBody{Text: b.String()}, Via: "SendBounce"})
	if err != nil {
		return nil, err
	}
	return &sesapi.SendBounceResponse{MessageId: ptr.To(id)}, nil
}
