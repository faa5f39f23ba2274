package ses

import (
	sesv2api "github.com/niwa-cloud/niwa/internal/api/sesv2"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// v2BulkStatuses maps the error code of one entry's failure to v2's
// BulkEmailStatus.
var v2BulkStatuses = map[string]string{
	"MessageRejected":        "MESSAGE_REJECTED",
	"NotFoundException":      "CONFIGURATION_SET_NOT_FOUND",
	"SendingPausedException": "ACCOUNT_SENDING_PAUSED",
	"BadRequestException":    "INVALID_PARAMETER",
	"InvalidParameterValue":  "INVALID_PARAMETER",
}

// SendBulkEmail renders the template once per entry, with its
// ReplacementTemplateData over the default TemplateData, and sends each;
// an entry that fails gets its own status (an unverified sender or an
// unknown template fails the call).
func (s *V2) SendBulkEmail(ctx *request.Context, in *sesv2api.SendBulkEmailRequest) (*sesv2api.SendBulkEmailResponse, error) {
	if in.DefaultContent == nil || in.DefaultContent.Template == nil {
		return nil, sesv2api.ErrBadRequestException.New("DefaultContent.Template is required.")
	}
	if len(in.BulkEmailEntries) > maxBulkDestinations {
		return nil, sesv2api.ErrBadRequestException.New("Number of entries exceeds the maximum allowed (%d).", maxBulkDestinations)
	}
	tc := in.DefaultContent.Template
	name := ptr.Deref(tc.TemplateName)
	t, ok, err := s.c.getTemplate(ctx.Account, ctx.Region, name)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, sesv2api.ErrNotFoundException.New("Template %s does not exist.", name)
	}
	from := bareAddress(ptr.Deref(in.FromEmailAddress))
	if ok, err := s.c.verified(ctx.Account, ctx.Region, from); err != nil {
		return nil, err
	} else if !ok {
		return nil, errNotVerified(sesv2api.ErrMessageRejected, ctx.Region, []string{from})
	}
	out := &sesv2api.SendBulkEmailResponse{BulkEmailEntryResults: []sesv2api.BulkEmailEntryResult{}}
	for _, e := range in.BulkEmailEntries {
		repl := ""
		if e.ReplacementEmailContent != nil && e.ReplacementEmailContent.ReplacementTemplate != nil {
			repl = ptr.Deref(e.ReplacementEmailContent.ReplacementTemplate.ReplacementTemplateData)
		}
		data, err := mergeData(ptr.Deref(tc.TemplateData), repl)
		var id string
		if err == nil {
			var subj, text, html string
			subj, text, html, err = render(t, data, sesv2api.ErrBadRequestException, sesv2api.ErrBadRequestException)
			if err == nil {
				m := outgoing{Account: ctx.Account, Region: ctx.Region, Source: ptr.Deref(in.FromEmailAddress), Subject: subj,
					Body: MailBody{Text: text, HTML: html}, Via: "v2 SendBulkEmail", Rejected: sesv2api.ErrMessageRejected,
					ConfigSet: ptr.Deref(in.ConfigurationSetName), NoConfigSet: sesv2api.ErrNotFoundException}
				if d := e.Destination; d != nil {
					m.Dest = Destination{d.ToAddresses, d.CcAddresses, d.BccAddresses}
				}
				id, err = s.c.send(ctx.Now(), m)
			}
		}
		if err != nil {
			ae := awserr.As(err)
			if !ae.Code.Sender {
				return nil, err
			}
			status, known := v2BulkStatuses[ae.Code.Code]
			if !known {
				status = "FAILED"
			}
			out.BulkEmailEntryResults = append(out.BulkEmailEntryResults, sesv2api.BulkEmailEntryResult{Status: ptr.To(status), Error: ptr.To(ae.Message)})
			continue
		}
		out.BulkEmailEntryResults = append(out.BulkEmailEntryResults, sesv2api.BulkEmailEntryResult{Status: ptr.To("SUCCESS"), MessageId: ptr.To(id)})
	}
	return out, nil
}

// PutAccountSendingAttributes pauses or resumes the account's sending.
func (s *V2) PutAccountSendingAttributes(ctx *request.Context, in *sesv2api.PutAccountSendingAttributesRequest) (*sesv2api.PutAccountSendingAttributesResponse, error) {
	err := s.c.opt.Store.Update(func(tx storage.Tx) error {
		a, _, err := accounts.Get(tx, scope(ctx.Account, ctx.Region), "settings")
		if err != nil {
			return err
		}
		a.SendingPaused = !ptr.Deref(in.SendingEnabled)
		return accounts.Put(tx, scope(ctx.Account, ctx.Region), a, "settings")
	})
	if err != nil {
		return nil, err
	}
	return &sesv2api.PutAccountSendingAttributesResponse{}, nil
}
