package ses

import (
	"strings"

	sesv2api "github.com/niwa-cloud/niwa/internal/api/sesv2"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
)

// V2 is the SES v2 API (REST/JSON, 2019-09-27), over the same Core as V1.
type V2 struct{ c *Core }

// NewV2 serves the v2 API over c.
func NewV2(c *Core) *V2 { return &V2{c: c} }

// v2Type and v2Status are v2's names for identity types and statuses.
func v2Type(t string) string {
	if t == typeDomain {
		return "DOMAIN"
	}
	return "EMAIL_ADDRESS"
}

func v2Status(s string) string { return strings.ToUpper(s) }

// dkim is an identity's DkimAttributes (Easy DKIM for domains).
func dkim(id identity) *sesv2api.DkimAttributes {
	if id.Type != typeDomain {
		return &sesv2api.DkimAttributes{SigningEnabled: ptr.To(false), Status: ptr.To("NOT_STARTED")}
	}
	if id.DKIMSelector != "" {
		return &sesv2api.DkimAttributes{SigningEnabled: ptr.To(!id.DKIMDisabled), Status: ptr.To(v2Status(id.Status)), Tokens: []string{id.DKIMSelector},
			SigningAttributesOrigin: ptr.To("EXTERNAL")}
	}
	return &sesv2api.DkimAttributes{SigningEnabled: ptr.To(!id.DKIMDisabled), Status: ptr.To(v2Status(id.Status)), Tokens: id.DKIMTokens,
		SigningAttributesOrigin: ptr.To("AWS_SES"), CurrentSigningKeyLength: ptr.To("RSA_2048_BIT"), NextSigningKeyLength: ptr.To("RSA_2048_BIT")}
}

// CreateEmailIdentity adds an address (mailing its verification link) or
// a domain (verified once its DKIM CNAMEs are in niwa's Route 53).
func (s *V2) CreateEmailIdentity(ctx *request.Context, in *sesv2api.CreateEmailIdentityRequest) (*sesv2api.CreateEmailIdentityResponse, error) {
	name := ptr.Deref(in.EmailIdentity)
	if _, ok, err := s.c.getIdentity(ctx.Account, ctx.Region, name); err != nil {
		return nil, err
	} else if ok {
		return nil, sesv2api.ErrAlreadyExistsException.New("Email identity %s already exist.", name)
	}
	var id identity
	if isEmail(name) {
		if err := s.c.verifyEmail(ctx, name); err != nil {
			return nil, err
		}
		got, _, err := s.c.getIdentity(ctx.Account, ctx.Region, bareAddress(name))
		if err != nil {
			return nil, err
		}
		id = got
	} else {
		if !validDomain(name) {
			return nil, sesv2api.ErrBadRequestException.New("Invalid domain name %s.", name)
		}
		got, _, err := s.c.addIdentity(ctx, ctx.Account, ctx.Region, name, func() identity { return newDomainIdentity(name, ctx.Now()) })
		if err != nil {
			return nil, err
		}
		id = got
	}
	if err := s.c.setTags(ctx, sesARN(ctx, "identity", id.Name), in.Tags); err != nil {
		return nil, err
	}
	return &sesv2api.CreateEmailIdentityResponse{IdentityType: ptr.To(v2Type(id.Type)),
		VerifiedForSendingStatus: ptr.To(id.Status == statusSuccess), DkimAttributes: dkim(id)}, nil
}

// GetEmailIdentity describes an identity.
func (s *V2) GetEmailIdentity(ctx *request.Context, in *sesv2api.GetEmailIdentityRequest) (*sesv2api.GetEmailIdentityResponse, error) {
	name := ptr.Deref(in.EmailIdentity)
	id, ok, err := s.c.getIdentity(ctx.Account, ctx.Region, name)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, sesv2api.ErrNotFoundException.New("Email identity %s does not exist.", name)
	}
	tags, err := s.c.tagsOf(ctx, sesARN(ctx, "identity", id.Name))
	if err != nil {
		return nil, err
	}
	policies := map[string]string{}
	for k, v := range id.Policies {
		policies[k] = v
	}
	return &sesv2api.GetEmailIdentityResponse{IdentityType: ptr.To(v2Type(id.Type)), FeedbackForwardingStatus: ptr.To(!id.NoForwarding),
		VerifiedForSendingStatus: ptr.To(id.Status == statusSuccess), VerificationStatus: ptr.To(v2Status(id.Status)),
		DkimAttributes: dkim(id), MailFromAttributes: s.c.mailFromV2(id), Policies: policies, Tags: tags,
		ConfigurationSetName: nonEmpty(id.ConfigSet)}, nil
}

// ListEmailIdentities lists identities.
func (s *V2) ListEmailIdentities(ctx *request.Context, _ *sesv2api.ListEmailIdentitiesRequest) (*sesv2api.ListEmailIdentitiesResponse, error) {
	ids, err := s.c.listIdentities(ctx.Account, ctx.Region)
	if err != nil {
		return nil, err
	}
	out := []sesv2api.IdentityInfo{}
	for _, id := range ids {
		out = append(out, sesv2api.IdentityInfo{IdentityType: ptr.To(v2Type(id.Type)), IdentityName: ptr.To(id.Name),
			SendingEnabled: ptr.To(id.Status == statusSuccess), VerificationStatus: ptr.To(v2Status(id.Status))})
	}
	return &sesv2api.ListEmailIdentitiesResponse{EmailIdentities: out}, nil
}

// DeleteEmailIdentity removes an identity; v2 refuses a missing one.
func (s *V2) DeleteEmailIdentity(ctx *request.Context, in *sesv2api.DeleteEmailIdentityRequest) (*sesv2api.DeleteEmailIdentityResponse, error) {
	ok, err := s.c.deleteIdentity(ctx.Account, ctx.Region, ptr.Deref(in.EmailIdentity))
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, sesv2api.ErrNotFoundException.New("Email identity %s does not exist.", ptr.Deref(in.EmailIdentity))
	}
	return &sesv2api.DeleteEmailIdentityResponse{}, nil
}

// SendEmail sends Simple, Raw or Template content.
func (s *V2) SendEmail(ctx *request.Context, in *sesv2api.SendEmailRequest) (*sesv2api.SendEmailResponse, error) {
	rejected := sesv2api.ErrMessageRejected
	c := in.Content
	if c == nil || countSet(c) != 1 {
		return nil, sesv2api.ErrBadRequestException.New("Exactly one of Simple, Raw or Template content must be specified.")
	}
	var dest Destination
	if in.Destination != nil {
		dest = Destination{in.Destination.ToAddresses, in.Destination.CcAddresses, in.Destination.BccAddresses}
	}
	m := outgoing{Account: ctx.Account, Region: ctx.Region, Source: ptr.Deref(in.FromEmailAddress), Dest: dest, Via: "v2 SendEmail", Rejected: rejected,
		ConfigSet: ptr.Deref(in.ConfigurationSetName), NoConfigSet: sesv2api.ErrNotFoundException}
	switch {
	case c.Raw != nil:
		id, err := s.c.sendRaw(ctx, c.Raw.Data, m.Source, dest.all(), maxRawV2, m)
		if err != nil {
			return nil, err
		}
		return &sesv2api.SendEmailResponse{MessageId: ptr.To(id)}, nil
	case c.Simple != nil:
		if c.Simple.Subject != nil {
			m.Subject = ptr.Deref(c.Simple.Subject.Data)
		}
		if b := c.Simple.Body; b != nil {
			if b.Text != nil {
				m.Body.Text = ptr.Deref(b.Text.Data)
			}
			if b.Html != nil {
				m.Body.HTML = ptr.Deref(b.Html.Data)
			}
		}
	default:
		name := ptr.Deref(c.Template.TemplateName)
		t, ok, err := s.c.getTemplate(ctx.Account, ctx.Region, name)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, sesv2api.ErrNotFoundException.New("Template %s does not exist.", name)
		}
		subj, text, html, err := render(t, ptr.Deref(c.Template.TemplateData), sesv2api.ErrBadRequestException, sesv2api.ErrBadRequestException)
		if err != nil {
			return nil, err
		}
		m.Subject, m.Body = subj, MailBody{Text: text, HTML: html}
	}
	id, err := s.c.send(ctx.Now(), m)
	if err != nil {
		return nil, err
	}
	return &sesv2api.SendEmailResponse{MessageId: ptr.To(id)}, nil
}

func countSet(c *sesv2api.EmailContent) int {
	n := 0
	if c.Simple != nil {
		n++
	}
	if c.Raw != nil {
		n++
	}
	if c.Template != nil {
		n++
	}
	return n
}

// GetAccount answers the account's sandbox state and quota.
func (s *V2) GetAccount(ctx *request.Context, _ *sesv2api.GetAccountRequest) (*sesv2api.GetAccountResponse, error) {
	a, err := s.c.accountOf(ctx.Account, ctx.Region)
	if err != nil {
		return nil, err
	}
	max24, rate, last, err := s.c.quota(ctx.Account, ctx.Region, ctx.Now())
	if err != nil {
		return nil, err
	}
	return &sesv2api.GetAccountResponse{ProductionAccessEnabled: ptr.To(a.Production), SendingEnabled: ptr.To(!a.SendingPaused),
		EnforcementStatus: ptr.To("HEALTHY"), DedicatedIpAutoWarmupEnabled: ptr.To(false),
		SuppressionAttributes: &sesv2api.SuppressionAttributes{SuppressedReasons: a.suppressedReasons()},
		SendQuota:             &sesv2api.SendQuota{Max24HourSend: ptr.To(max24), MaxSendRate: ptr.To(rate), SentLast24Hours: ptr.To(last)}}, nil
}

// PutAccountDetails records the account's details; with
// ProductionAccessEnabled true niwa grants production access at once
// (AWS reviews the request): the account leaves the sandbox.
func (s *V2) PutAccountDetails(ctx *request.Context, in *sesv2api.PutAccountDetailsRequest) (*sesv2api.PutAccountDetailsResponse, error) {
	if ptr.Deref(in.MailType) == "" || ptr.Deref(in.WebsiteURL) == "" {
		return nil, sesv2api.ErrBadRequestException.New("MailType and WebsiteURL are required.")
	}
	details := map[string]string{"MailType": ptr.Deref(in.MailType), "WebsiteURL": ptr.Deref(in.WebsiteURL), "UseCaseDescription": ptr.Deref(in.UseCaseDescription)}
	a, err := s.c.accountOf(ctx.Account, ctx.Region)
	if err != nil {
		return nil, err
	}
	// Without ProductionAccessEnabled the account keeps its state.
	on := a.Production
	if in.ProductionAccessEnabled != nil {
		on = *in.ProductionAccessEnabled
	}
	if err := s.c.setProduction(ctx.Account, ctx.Region, on, details); err != nil {
		return nil, err
	}
	return &sesv2api.PutAccountDetailsResponse{}, nil
}

// CreateEmailTemplate stores a template (shared with v1's templates).
func (s *V2) CreateEmailTemplate(ctx *request.Context, in *sesv2api.CreateEmailTemplateRequest) (*sesv2api.CreateEmailTemplateResponse, error) {
	t := template{Name: ptr.Deref(in.TemplateName), Created: ctx.Now()}
	if c := in.TemplateContent; c != nil {
		t.Subject, t.Text, t.HTML = ptr.Deref(c.Subject), ptr.Deref(c.Text), ptr.Deref(c.Html)
	}
	err := s.c.putTemplate(ctx.Account, ctx.Region, t, true, func() error {
		return sesv2api.ErrAlreadyExistsException.New("Template %s already exists.", t.Name)
	}, nil)
	if err != nil {
		return nil, err
	}
	return &sesv2api.CreateEmailTemplateResponse{}, nil
}

// GetEmailTemplate reads a template.
func (s *V2) GetEmailTemplate(ctx *request.Context, in *sesv2api.GetEmailTemplateRequest) (*sesv2api.GetEmailTemplateResponse, error) {
	t, ok, err := s.c.getTemplate(ctx.Account, ctx.Region, ptr.Deref(in.TemplateName))
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, sesv2api.ErrNotFoundException.New("Template %s does not exist.", ptr.Deref(in.TemplateName))
	}
	return &sesv2api.GetEmailTemplateResponse{TemplateName: ptr.To(t.Name),
		TemplateContent: &sesv2api.EmailTemplateContent{Subject: ptr.To(t.Subject), Text: nonEmpty(t.Text), Html: nonEmpty(t.HTML)}}, nil
}

// DeleteEmailTemplate removes a template; v2 refuses a missing one.
func (s *V2) DeleteEmailTemplate(ctx *request.Context, in *sesv2api.DeleteEmailTemplateRequest) (*sesv2api.DeleteEmailTemplateResponse, error) {
	ok, err := s.c.deleteTemplate(ctx.Account, ctx.Region, ptr.Deref(in.TemplateName))
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, sesv2api.ErrNotFoundException.New("Template %s does not exist.", ptr.Deref(in.TemplateName))
	}
	return &sesv2api.DeleteEmailTemplateResponse{}, nil
}

var _ = awserr.InvalidParameterValue

// UpdateEmailTemplate replaces a template's content.
func (s *V2) UpdateEmailTemplate(ctx *request.Context, in *sesv2api.UpdateEmailTemplateRequest) (*sesv2api.UpdateEmailTemplateResponse, error) {
	t := template{Name: ptr.Deref(in.TemplateName), Created: ctx.Now()}
	if c := in.TemplateContent; c != nil {
		t.Subject, t.Text, t.HTML = ptr.Deref(c.Subject), ptr.Deref(c.Text), ptr.Deref(c.Html)
	}
	err := s.c.putTemplate(ctx.Account, ctx.Region, t, false, nil, func() error {
		return sesv2api.ErrNotFoundException.New("Template %s does not exist.", t.Name)
	})
	if err != nil {
		return nil, err
	}
	return &sesv2api.UpdateEmailTemplateResponse{}, nil
}

// ListEmailTemplates lists templates by name.
func (s *V2) ListEmailTemplates(ctx *request.Context, _ *sesv2api.ListEmailTemplatesRequest) (*sesv2api.ListEmailTemplatesResponse, error) {
	ts, err := s.c.listTemplates(ctx.Account, ctx.Region)
	if err != nil {
		return nil, err
	}
	out := []sesv2api.EmailTemplateMetadata{}
	for _, t := range ts {
		out = append(out, sesv2api.EmailTemplateMetadata{TemplateName: ptr.To(t.Name), CreatedTimestamp: ptr.To(t.Created)})
	}
	return &sesv2api.ListEmailTemplatesResponse{TemplatesMetadata: out}, nil
}

// TestRenderEmailTemplate renders a template as the MIME message it would
// send.
func (s *V2) TestRenderEmailTemplate(ctx *request.Context, in *sesv2api.TestRenderEmailTemplateRequest) (*sesv2api.TestRenderEmailTemplateResponse, error) {
	t, ok, err := s.c.getTemplate(ctx.Account, ctx.Region, ptr.Deref(in.TemplateName))
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, sesv2api.ErrNotFoundException.New("Template %s does not exist.", ptr.Deref(in.TemplateName))
	}
	subj, text, html, err := render(t, ptr.Deref(in.TemplateData), sesv2api.ErrBadRequestException, sesv2api.ErrBadRequestException)
	if err != nil {
		return nil, err
	}
	raw := buildMIME(messageID(ctx.Now()), ctx.Now(), outgoing{Subject: subj, Body: MailBody{Text: text, HTML: html}})
	return &sesv2api.TestRenderEmailTemplateResponse{RenderedTemplate: ptr.To(string(raw))}, nil
}
