package ses

import (
	"sort"
	"strings"

	sesapi "github.com/niwa-cloud/niwa/internal/api/ses"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// V1 is the classic SES API (query protocol, 2010-12-01).
type V1 struct{ c *Core }

// NewV1 serves the classic API over c.
func NewV1(c *Core) *V1 { return &V1{c: c} }

// VerifyEmailIdentity adds the address and mails it a verification link
// (kept in the outbox; following it verifies the address).
func (s *V1) VerifyEmailIdentity(ctx *request.Context, in *sesapi.VerifyEmailIdentityRequest) (*sesapi.VerifyEmailIdentityResponse, error) {
	if err := s.c.verifyEmail(ctx, ptr.Deref(in.EmailAddress)); err != nil {
		return nil, err
	}
	return &sesapi.VerifyEmailIdentityResponse{}, nil
}

// VerifyEmailAddress is the deprecated form of VerifyEmailIdentity.
func (s *V1) VerifyEmailAddress(ctx *request.Context, in *sesapi.VerifyEmailAddressRequest) (*sesapi.VerifyEmailAddressOutput, error) {
	if err := s.c.verifyEmail(ctx, ptr.Deref(in.EmailAddress)); err != nil {
		return nil, err
	}
	return &sesapi.VerifyEmailAddressOutput{}, nil
}

// VerifyDomainIdentity adds the domain and returns the token its
// _amazonses TXT record must hold.
func (s *V1) VerifyDomainIdentity(ctx *request.Context, in *sesapi.VerifyDomainIdentityRequest) (*sesapi.VerifyDomainIdentityResponse, error) {
	d := ptr.Deref(in.Domain)
	if !validDomain(d) {
		return nil, awserr.InvalidParameterValue.New("Invalid domain name %s.", d)
	}
	id, _, err := s.c.addIdentity(ctx, ctx.Account, ctx.Region, d, func() identity { return newDomainIdentity(d, ctx.Now()) })
	if err != nil {
		return nil, err
	}
	return &sesapi.VerifyDomainIdentityResponse{VerificationToken: ptr.To(id.Token)}, nil
}

// VerifyDomainDkim returns the domain's Easy DKIM tokens (adding the
// domain if needed).
func (s *V1) VerifyDomainDkim(ctx *request.Context, in *sesapi.VerifyDomainDkimRequest) (*sesapi.VerifyDomainDkimResponse, error) {
	d := ptr.Deref(in.Domain)
	if !validDomain(d) {
		return nil, awserr.InvalidParameterValue.New("Invalid domain name %s.", d)
	}
	id, _, err := s.c.addIdentity(ctx, ctx.Account, ctx.Region, d, func() identity { return newDomainIdentity(d, ctx.Now()) })
	if err != nil {
		return nil, err
	}
	return &sesapi.VerifyDomainDkimResponse{DkimTokens: id.DKIMTokens}, nil
}

// GetIdentityVerificationAttributes answers for the identities that
// exist (unknown names are left out, as on AWS).
func (s *V1) GetIdentityVerificationAttributes(ctx *request.Context, in *sesapi.GetIdentityVerificationAttributesRequest) (*sesapi.GetIdentityVerificationAttributesResponse, error) {
	out := map[string]sesapi.IdentityVerificationAttributes{}
	for _, name := range in.Identities {
		id, ok, err := s.c.getIdentity(ctx.Account, ctx.Region, name)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		a := sesapi.IdentityVerificationAttributes{VerificationStatus: ptr.To(id.Status)}
		if id.Type == typeDomain {
			a.VerificationToken = ptr.To(id.Token)
		}
		out[name] = a
	}
	return &sesapi.GetIdentityVerificationAttributesResponse{VerificationAttributes: out}, nil
}

// GetIdentityDkimAttributes answers each domain's DKIM tokens and status.
func (s *V1) GetIdentityDkimAttributes(ctx *request.Context, in *sesapi.GetIdentityDkimAttributesRequest) (*sesapi.GetIdentityDkimAttributesResponse, error) {
	out := map[string]sesapi.IdentityDkimAttributes{}
	for _, name := range in.Identities {
		id, ok, err := s.c.getIdentity(ctx.Account, ctx.Region, name)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		a := sesapi.IdentityDkimAttributes{DkimEnabled: ptr.To(false), DkimVerificationStatus: ptr.To("NotStarted")}
		if id.Type == typeDomain {
			a = sesapi.IdentityDkimAttributes{DkimEnabled: ptr.To(!id.DKIMDisabled), DkimVerificationStatus: ptr.To(id.Status), DkimTokens: id.DKIMTokens}
		}
		out[name] = a
	}
	return &sesapi.GetIdentityDkimAttributesResponse{DkimAttributes: out}, nil
}

// ListIdentities lists identity names, optionally of one type.
func (s *V1) ListIdentities(ctx *request.Context, in *sesapi.ListIdentitiesRequest) (*sesapi.ListIdentitiesResponse, error) {
	ids, err := s.c.listIdentities(ctx.Account, ctx.Region)
	if err != nil {
		return nil, err
	}
	out := []string{}
	for _, id := range ids {
		if t := ptr.Deref(in.IdentityType); t == "" || t == id.Type {
			out = append(out, id.Name)
		}
	}
	return &sesapi.ListIdentitiesResponse{Identities: out}, nil
}

// ListVerifiedEmailAddresses lists verified email addresses (deprecated).
func (s *V1) ListVerifiedEmailAddresses(ctx *request.Context, _ *sesapi.ListVerifiedEmailAddressesInput) (*sesapi.ListVerifiedEmailAddressesResponse, error) {
	ids, err := s.c.listIdentities(ctx.Account, ctx.Region)
	if err != nil {
		return nil, err
	}
	out := []string{}
	for _, id := range ids {
		if id.Type == typeEmail && id.Status == statusSuccess {
			out = append(out, id.Name)
		}
	}
	return &sesapi.ListVerifiedEmailAddressesResponse{VerifiedEmailAddresses: out}, nil
}

// DeleteIdentity removes an identity; a missing one is no error.
func (s *V1) DeleteIdentity(ctx *request.Context, in *sesapi.DeleteIdentityRequest) (*sesapi.DeleteIdentityResponse, error) {
	if _, err := s.c.deleteIdentity(ctx.Account, ctx.Region, ptr.Deref(in.Identity)); err != nil {
		return nil, err
	}
	return &sesapi.DeleteIdentityResponse{}, nil
}

// DeleteVerifiedEmailAddress is the deprecated DeleteIdentity.
func (s *V1) DeleteVerifiedEmailAddress(ctx *request.Context, in *sesapi.DeleteVerifiedEmailAddressRequest) (*sesapi.DeleteVerifiedEmailAddressOutput, error) {
	if _, err := s.c.deleteIdentity(ctx.Account, ctx.Region, ptr.Deref(in.EmailAddress)); err != nil {
		return nil, err
	}
	return &sesapi.DeleteVerifiedEmailAddressOutput{}, nil
}

// SendEmail sends a formatted message.
func (s *V1) SendEmail(ctx *request.Context, in *sesapi.SendEmailRequest) (*sesapi.SendEmailResponse, error) {
	m := outgoing{Account: ctx.Account, Region: ctx.Region, Source: ptr.Deref(in.Source), Via: "SendEmail", Rejected: sesapi.ErrMessageRejected,
		ConfigSet: ptr.Deref(in.ConfigurationSetName), NoConfigSet: sesapi.ErrConfigurationSetDoesNotExistException}
	if in.Destination != nil {
		m.Dest = Destination{in.Destination.ToAddresses, in.Destination.CcAddresses, in.Destination.BccAddresses}
	}
	if in.Message != nil {
		if in.Message.Subject != nil {
			m.Subject = ptr.Deref(in.Message.Subject.Data)
		}
		if b := in.Message.Body; b != nil {
			if b.Text != nil {
				m.Body.Text = ptr.Deref(b.Text.Data)
			}
			if b.Html != nil {
				m.Body.HTML = ptr.Deref(b.Html.Data)
			}
		}
	}
	id, err := s.c.send(ctx.Now(), m)
	if err != nil {
		return nil, err
	}
	return &sesapi.SendEmailResponse{MessageId: ptr.To(id)}, nil
}

// SendRawEmail sends a MIME message; Source and Destinations default to
// its From and To/Cc/Bcc headers.
func (s *V1) SendRawEmail(ctx *request.Context, in *sesapi.SendRawEmailRequest) (*sesapi.SendRawEmailResponse, error) {
	var raw []byte
	if in.RawMessage != nil {
		raw = in.RawMessage.Data
	}
	id, err := s.c.sendRaw(ctx, raw, ptr.Deref(in.Source), in.Destinations, maxRawV1, outgoing{Rejected: sesapi.ErrMessageRejected, Via: "SendRawEmail",
		ConfigSet: ptr.Deref(in.ConfigurationSetName), NoConfigSet: sesapi.ErrConfigurationSetDoesNotExistException})
	if err != nil {
		return nil, err
	}
	return &sesapi.SendRawEmailResponse{MessageId: ptr.To(id)}, nil
}

// SendTemplatedEmail renders a stored template and sends it.
func (s *V1) SendTemplatedEmail(ctx *request.Context, in *sesapi.SendTemplatedEmailRequest) (*sesapi.SendTemplatedEmailResponse, error) {
	t, ok, err := s.c.getTemplate(ctx.Account, ctx.Region, ptr.Deref(in.Template))
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, sesapi.ErrTemplateDoesNotExistException.New("Template %s does not exist.", ptr.Deref(in.Template))
	}
	subj, text, html, err := render(t, ptr.Deref(in.TemplateData), sesapi.ErrMissingRenderingAttributeException, sesapi.ErrInvalidRenderingParameterException)
	if err != nil {
		return nil, err
	}
	m := outgoing{Account: ctx.Account, Region: ctx.Region, Source: ptr.Deref(in.Source), Subject: subj,
		Body: MailBody{Text: text, HTML: html}, Via: "SendTemplatedEmail", Rejected: sesapi.ErrMessageRejected,
		ConfigSet: ptr.Deref(in.ConfigurationSetName), NoConfigSet: sesapi.ErrConfigurationSetDoesNotExistException}
	if in.Destination != nil {
		m.Dest = Destination{in.Destination.ToAddresses, in.Destination.CcAddresses, in.Destination.BccAddresses}
	}
	id, err := s.c.send(ctx.Now(), m)
	if err != nil {
		return nil, err
	}
	return &sesapi.SendTemplatedEmailResponse{MessageId: ptr.To(id)}, nil
}

// CreateTemplate stores a template.
func (s *V1) CreateTemplate(ctx *request.Context, in *sesapi.CreateTemplateRequest) (*sesapi.CreateTemplateResponse, error) {
	t := v1Template(in.Template, ctx)
	err := s.c.putTemplate(ctx.Account, ctx.Region, t, true,
		func() error {
			return sesapi.ErrAlreadyExistsException.New("Template %s already exists for account id %s", t.Name, ctx.Account)
		}, nil)
	if err != nil {
		return nil, err
	}
	return &sesapi.CreateTemplateResponse{}, nil
}

// UpdateTemplate replaces a template's parts.
func (s *V1) UpdateTemplate(ctx *request.Context, in *sesapi.UpdateTemplateRequest) (*sesapi.UpdateTemplateResponse, error) {
	t := v1Template(in.Template, ctx)
	err := s.c.putTemplate(ctx.Account, ctx.Region, t, false, nil,
		func() error {
			return sesapi.ErrTemplateDoesNotExistException.New("Template %s does not exist.", t.Name)
		})
	if err != nil {
		return nil, err
	}
	return &sesapi.UpdateTemplateResponse{}, nil
}

func v1Template(t *sesapi.Template, ctx *request.Context) template {
	if t == nil {
		return template{Created: ctx.Now()}
	}
	return template{Name: ptr.Deref(t.TemplateName), Subject: ptr.Deref(t.SubjectPart), Text: ptr.Deref(t.TextPart), HTML: ptr.Deref(t.HtmlPart), Created: ctx.Now()}
}

// GetTemplate reads a template.
func (s *V1) GetTemplate(ctx *request.Context, in *sesapi.GetTemplateRequest) (*sesapi.GetTemplateResponse, error) {
	t, ok, err := s.c.getTemplate(ctx.Account, ctx.Region, ptr.Deref(in.TemplateName))
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, sesapi.ErrTemplateDoesNotExistException.New("Template %s does not exist.", ptr.Deref(in.TemplateName))
	}
	return &sesapi.GetTemplateResponse{Template: &sesapi.Template{TemplateName: ptr.To(t.Name), SubjectPart: ptr.To(t.Subject), TextPart: nonEmpty(t.Text), HtmlPart: nonEmpty(t.HTML)}}, nil
}

// DeleteTemplate removes a template (a missing one is no error on AWS).
func (s *V1) DeleteTemplate(ctx *request.Context, in *sesapi.DeleteTemplateRequest) (*sesapi.DeleteTemplateResponse, error) {
	if _, err := s.c.deleteTemplate(ctx.Account, ctx.Region, ptr.Deref(in.TemplateName)); err != nil {
		return nil, err
	}
	return &sesapi.DeleteTemplateResponse{}, nil
}

// ListTemplates lists templates by name.
func (s *V1) ListTemplates(ctx *request.Context, _ *sesapi.ListTemplatesRequest) (*sesapi.ListTemplatesResponse, error) {
	ts, err := s.c.listTemplates(ctx.Account, ctx.Region)
	if err != nil {
		return nil, err
	}
	out := []sesapi.TemplateMetadata{}
	for _, t := range ts {
		out = append(out, sesapi.TemplateMetadata{Name: ptr.To(t.Name), CreatedTimestamp: ptr.To(t.Created)})
	}
	return &sesapi.ListTemplatesResponse{TemplatesMetadata: out}, nil
}

// TestRenderTemplate renders a template as the MIME message it would send.
func (s *V1) TestRenderTemplate(ctx *request.Context, in *sesapi.TestRenderTemplateRequest) (*sesapi.TestRenderTemplateResponse, error) {
	t, ok, err := s.c.getTemplate(ctx.Account, ctx.Region, ptr.Deref(in.TemplateName))
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, sesapi.ErrTemplateDoesNotExistException.New("Template %s does not exist.", ptr.Deref(in.TemplateName))
	}
	subj, text, html, err := render(t, ptr.Deref(in.TemplateData), sesapi.ErrMissingRenderingAttributeException, sesapi.ErrInvalidRenderingParameterException)
	if err != nil {
		return nil, err
	}
	raw := buildMIME(messageID(ctx.Now()), ctx.Now(), outgoing{Subject: subj, Body: MailBody{Text: text, HTML: html}})
	return &sesapi.TestRenderTemplateResponse{RenderedTemplate: ptr.To(string(raw))}, nil
}

// GetSendQuota answers the sandbox or production quota and the
// recipients sent to in the last 24 hours of the clock.
func (s *V1) GetSendQuota(ctx *request.Context, _ *sesapi.GetSendQuotaInput) (*sesapi.GetSendQuotaResponse, error) {
	max24, rate, last, err := s.c.quota(ctx.Account, ctx.Region, ctx.Now())
	if err != nil {
		return nil, err
	}
	return &sesapi.GetSendQuotaResponse{Max24HourSend: ptr.To(max24), MaxSendRate: ptr.To(rate), SentLast24Hours: ptr.To(last)}, nil
}

// GetAccountSendingEnabled: sending is always enabled in niwa.
func (s *V1) GetAccountSendingEnabled(ctx *request.Context, _ *sesapi.GetAccountSendingEnabledInput) (*sesapi.GetAccountSendingEnabledResponse, error) {
	a, err := s.c.accountOf(ctx.Account, ctx.Region)
	if err != nil {
		return nil, err
	}
	return &sesapi.GetAccountSendingEnabledResponse{Enabled: ptr.To(!a.SendingPaused)}, nil
}

// UpdateAccountSendingEnabled pauses or resumes the account's sending in
// the region; paused, every send is refused AccountSendingPausedException.
func (s *V1) UpdateAccountSendingEnabled(ctx *request.Context, in *sesapi.UpdateAccountSendingEnabledRequest) (*sesapi.UpdateAccountSendingEnabledOutput, error) {
	err := s.c.opt.Store.Update(func(tx storage.Tx) error {
		a, _, err := accounts.Get(tx, scope(ctx.Account, ctx.Region), "settings")
		if err != nil {
			return err
		}
		a.SendingPaused = !ptr.Deref(in.Enabled)
		return accounts.Put(tx, scope(ctx.Account, ctx.Region), a, "settings")
	})
	if err != nil {
		return nil, err
	}
	return &sesapi.UpdateAccountSendingEnabledOutput{}, nil
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// validDomain is a loose hostname check (labels of letters, digits and
// hyphens).
func validDomain(d string) bool {
	d = strings.TrimSuffix(d, ".")
	if d == "" || len(d) > 253 || !strings.Contains(d, ".") {
		return false
	}
	for _, l := range strings.Split(d, ".") {
		if l == "" || len(l) > 63 {
			return false
		}
		for _, r := range l {
			if !(r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
				return false
			}
		}
	}
	return true
}

var _ = sort.Strings
