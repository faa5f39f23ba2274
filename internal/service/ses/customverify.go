package ses

import (
	"html"
	"strings"

	sesapi "github.com/niwa-cloud/niwa/internal/api/ses"
	sesv2api "github.com/niwa-cloud/niwa/internal/api/sesv2"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// customTemplate is a custom verification email template (both APIs).
type customTemplate struct {
	Name, From, Subject, Content, Success, Failure string
}

var customTemplates = storage.NewTable[customTemplate]("customverify")

// Quotas of custom verification email templates (SES Developer Guide,
// "Using custom verification email templates"): 50 per account, 10 MB
// of content each.
const (
	maxCustomTemplates = 50
	maxCustomContent   = 10 << 20
)

// customErrs are the refusals of one API.
type customErrs struct {
	exists, missing, content, from, limit awserr.Code
}

var (
	v1CustomErrs = customErrs{sesapi.ErrCustomVerificationEmailTemplateAlreadyExistsException, sesapi.ErrCustomVerificationEmailTemplateDoesNotExistException,
		sesapi.ErrCustomVerificationEmailInvalidContentException, sesapi.ErrFromEmailAddressNotVerifiedException, sesapi.ErrLimitExceededException}
	v2CustomErrs = customErrs{sesv2api.ErrAlreadyExistsException, sesv2api.ErrNotFoundException, sesv2api.ErrBadRequestException, sesv2api.ErrBadRequestException, sesv2api.ErrLimitExceededException}
)

func (e customErrs) noTemplate(name string) error {
	return e.missing.New("No custom verification email template with name %s exists.", name)
}

// putCustom creates (create) or replaces a template.
func (c *Core) putCustom(ctx *request.Context, t customTemplate, create bool, e customErrs) error {
	if len(t.Content) > maxCustomContent {
		return e.content.New("Template content exceeds the maximum size of %d bytes.", maxCustomContent)
	}
	return c.opt.Store.Update(func(tx storage.Tx) error {
		cur, ok, err := customTemplates.Get(tx, scope(ctx.Account, ctx.Region), t.Name)
		if err != nil {
			return err
		}
		switch {
		case create && ok:
			return e.exists.New("Custom verification email template %s already exists.", t.Name)
		case !create && !ok:
			return e.noTemplate(t.Name)
		case create:
			n := 0
			if err := customTemplates.List(tx, scope(ctx.Account, ctx.Region), nil, storage.ListOptions{}, func([]string, customTemplate) bool {
				n++
				return true
			}); err != nil {
				return err
			}
			if n >= maxCustomTemplates {
				return e.limit.New("Maximum number of custom verification email templates (%d) exceeded.", maxCustomTemplates)
			}
		default:
			// Update keeps what the request leaves out.
			t.From, t.Subject, t.Content = or(t.From, cur.From), or(t.Subject, cur.Subject), or(t.Content, cur.Content)
			t.Success, t.Failure = or(t.Success, cur.Success), or(t.Failure, cur.Failure)
		}
		return customTemplates.Put(tx, scope(ctx.Account, ctx.Region), t, t.Name)
	})
}

func (c *Core) getCustom(ctx *request.Context, name string, e customErrs) (customTemplate, error) {
	var t customTemplate
	var ok bool
	err := c.opt.Store.View(func(tx storage.Tx) error {
		var err error
		t, ok, err = customTemplates.Get(tx, scope(ctx.Account, ctx.Region), name)
		return err
	})
	if err == nil && !ok {
		err = e.noTemplate(name)
	}
	return t, err
}

func (c *Core) listCustom(ctx *request.Context, token *string, size *int32) ([]customTemplate, *string, error) {
	var all []customTemplate
	err := c.opt.Store.View(func(tx storage.Tx) error {
		return customTemplates.List(tx, scope(ctx.Account, ctx.Region), nil, storage.ListOptions{}, func(_ []string, t customTemplate) bool {
			all = append(all, t)
			return true
		})
	})
	if err != nil {
		return nil, nil, err
	}
	got, next := page(all, func(t customTemplate) string { return t.Name }, token, size)
	return got, next, nil
}

func (c *Core) deleteCustom(ctx *request.Context, name string) error {
	return c.opt.Store.Update(func(tx storage.Tx) error {
		return customTemplates.Delete(tx, scope(ctx.Account, ctx.Region), name)
	})
}

// sendCustom adds the address as a pending identity and mails the
// template's message from its (verified) sender, with the verification
// link appended; the link redirects to the success URL.
func (c *Core) sendCustom(ctx *request.Context, addr, name string, e customErrs) (string, error) {
	t, err := c.getCustom(ctx, name, e)
	if err != nil {
		return "", err
	}
	if ok, err := c.verified(ctx.Account, ctx.Region, bareAddress(t.From)); err != nil {
		return "", err
	} else if !ok {
		return "", e.from.New("Email address %s is not verified.", t.From)
	}
	a := bareAddress(addr)
	if !strings.Contains(a, "@") {
		return "", awserr.InvalidParameterValue.New("Invalid email address<%s>.", addr)
	}
	id, _, err := c.addIdentity(ctx, ctx.Account, ctx.Region, a, func() identity { return newEmailIdentity(a, ctx.Now()) })
	if err != nil {
		return "", err
	}
	if err := c.opt.Store.Update(func(tx storage.Tx) error {
		return links.Put(tx, outboxScope, verifyLink{Account: ctx.Account, Region: ctx.Region, Identity: id.Name, Success: t.Success}, id.Token)
	}); err != nil {
		return "", err
	}
	base := ""
	if c.opt.Endpoint != nil {
		base = c.opt.Endpoint()
	}
	link := base + VerifyPath + "?token=" + id.Token
	return c.keep(ctx.Now(), &outgoing{Account: "", Region: ctx.Region, Source: t.From, Dest: Destination{ToAddresses: []string{a}},
		Subject: t.Subject, Body: MailBody{HTML: t.Content + `<p><a href="` + html.EscapeString(link) + `">` + html.EscapeString(link) + "</a></p>"},
		Via: "Verification"})
}

// CreateCustomVerificationEmailTemplate (v1).
func (s *V1) CreateCustomVerificationEmailTemplate(ctx *request.Context, in *sesapi.CreateCustomVerificationEmailTemplateRequest) (*sesapi.CreateCustomVerificationEmailTemplateOutput, error) {
	t := customTemplate{Name: ptr.Deref(in.TemplateName), From: ptr.Deref(in.FromEmailAddress), Subject: ptr.Deref(in.TemplateSubject),
		Content: ptr.Deref(in.TemplateContent), Success: ptr.Deref(in.SuccessRedirectionURL), Failure: ptr.Deref(in.FailureRedirectionURL)}
	if err := s.c.putCustom(ctx, t, true, v1CustomErrs); err != nil {
		return nil, err
	}
	return &sesapi.CreateCustomVerificationEmailTemplateOutput{}, nil
}

// UpdateCustomVerificationEmailTemplate (v1).
func (s *V1) UpdateCustomVerificationEmailTemplate(ctx *request.Context, in *sesapi.UpdateCustomVerificationEmailTemplateRequest) (*sesapi.UpdateCustomVerificationEmailTemplateOutput, error) {
	t := customTemplate{Name: ptr.Deref(in.TemplateName), From: ptr.Deref(in.FromEmailAddress), Subject: ptr.Deref(in.TemplateSubject),
		Content: ptr.Deref(in.TemplateContent), Success: ptr.Deref(in.SuccessRedirectionURL), Failure: ptr.Deref(in.FailureRedirectionURL)}
	if err := s.c.putCustom(ctx, t, false, v1CustomErrs); err != nil {
		return nil, err
	}
	return &sesapi.UpdateCustomVerificationEmailTemplateOutput{}, nil
}

// GetCustomVerificationEmailTemplate (v1).
func (s *V1) GetCustomVerificationEmailTemplate(ctx *request.Context, in *sesapi.GetCustomVerificationEmailTemplateRequest) (*sesapi.GetCustomVerificationEmailTemplateResponse, error) {
	t, err := s.c.getCustom(ctx, ptr.Deref(in.TemplateName), v1CustomErrs)
	if err != nil {
		return nil, err
	}
	return &sesapi.GetCustomVerificationEmailTemplateResponse{TemplateName: ptr.To(t.Name), FromEmailAddress: ptr.To(t.From), TemplateSubject: ptr.To(t.Subject),
		TemplateContent: ptr.To(t.Content), SuccessRedirectionURL: ptr.To(t.Success), FailureRedirectionURL: ptr.To(t.Failure)}, nil
}

// ListCustomVerificationEmailTemplates (v1).
func (s *V1) ListCustomVerificationEmailTemplates(ctx *request.Context, in *sesapi.ListCustomVerificationEmailTemplatesRequest) (*sesapi.ListCustomVerificationEmailTemplatesResponse, error) {
	got, next, err := s.c.listCustom(ctx, in.NextToken, in.MaxResults)
	if err != nil {
		return nil, err
	}
	out := &sesapi.ListCustomVerificationEmailTemplatesResponse{CustomVerificationEmailTemplates: []sesapi.CustomVerificationEmailTemplate{}, NextToken: next}
	for _, t := range got {
		out.CustomVerificationEmailTemplates = append(out.CustomVerificationEmailTemplates, sesapi.CustomVerificationEmailTemplate{TemplateName: ptr.To(t.Name),
			FromEmailAddress: ptr.To(t.From), TemplateSubject: ptr.To(t.Subject), SuccessRedirectionURL: ptr.To(t.Success), FailureRedirectionURL: ptr.To(t.Failure)})
	}
	return out, nil
}

// DeleteCustomVerificationEmailTemplate (v1; a missing one is no error).
func (s *V1) DeleteCustomVerificationEmailTemplate(ctx *request.Context, in *sesapi.DeleteCustomVerificationEmailTemplateRequest) (*sesapi.DeleteCustomVerificationEmailTemplateOutput, error) {
	if err := s.c.deleteCustom(ctx, ptr.Deref(in.TemplateName)); err != nil {
		return nil, err
	}
	return &sesapi.DeleteCustomVerificationEmailTemplateOutput{}, nil
}

// SendCustomVerificationEmail (v1).
func (s *V1) SendCustomVerificationEmail(ctx *request.Context, in *sesapi.SendCustomVerificationEmailRequest) (*sesapi.SendCustomVerificationEmailResponse, error) {
	id, err := s.c.sendCustom(ctx, ptr.Deref(in.EmailAddress), ptr.Deref(in.TemplateName), v1CustomErrs)
	if err != nil {
		return nil, err
	}
	return &sesapi.SendCustomVerificationEmailResponse{MessageId: ptr.To(id)}, nil
}

// CreateCustomVerificationEmailTemplate (v2).
func (s *V2) CreateCustomVerificationEmailTemplate(ctx *request.Context, in *sesv2api.CreateCustomVerificationEmailTemplateRequest) (*sesv2api.CreateCustomVerificationEmailTemplateResponse, error) {
	t := customTemplate{Name: ptr.Deref(in.TemplateName), From: ptr.Deref(in.FromEmailAddress), Subject: ptr.Deref(in.TemplateSubject),
		Content: ptr.Deref(in.TemplateContent), Success: ptr.Deref(in.SuccessRedirectionURL), Failure: ptr.Deref(in.FailureRedirectionURL)}
	if err := s.c.putCustom(ctx, t, true, v2CustomErrs); err != nil {
		return nil, err
	}
	return &sesv2api.CreateCustomVerificationEmailTemplateResponse{}, nil
}

// UpdateCustomVerificationEmailTemplate (v2).
func (s *V2) UpdateCustomVerificationEmailTemplate(ctx *request.Context, in *sesv2api.UpdateCustomVerificationEmailTemplateRequest) (*sesv2api.UpdateCustomVerificationEmailTemplateResponse, error) {
	t := customTemplate{Name: ptr.Deref(in.TemplateName), From: ptr.Deref(in.FromEmailAddress), Subject: ptr.Deref(in.TemplateSubject),
		Content: ptr.Deref(in.TemplateContent), Success: ptr.Deref(in.SuccessRedirectionURL), Failure: ptr.Deref(in.FailureRedirectionURL)}
	if err := s.c.putCustom(ctx, t, false, v2CustomErrs); err != nil {
		return nil, err
	}
	return &sesv2api.UpdateCustomVerificationEmailTemplateResponse{}, nil
}

// GetCustomVerificationEmailTemplate (v2).
func (s *V2) GetCustomVerificationEmailTemplate(ctx *request.Context, in *sesv2api.GetCustomVerificationEmailTemplateRequest) (*sesv2api.GetCustomVerificationEmailTemplateResponse, error) {
	t, err := s.c.getCustom(ctx, ptr.Deref(in.TemplateName), v2CustomErrs)
	if err != nil {
		return nil, err
	}
	return &sesv2api.GetCustomVerificationEmailTemplateResponse{TemplateName: ptr.To(t.Name), FromEmailAddress: ptr.To(t.From), TemplateSubject: ptr.To(t.Subject),
		TemplateContent: ptr.To(t.Content), SuccessRedirectionURL: ptr.To(t.Success), FailureRedirectionURL: ptr.To(t.Failure)}, nil
}

// ListCustomVerificationEmailTemplates (v2).
func (s *V2) ListCustomVerificationEmailTemplates(ctx *request.Context, in *sesv2api.ListCustomVerificationEmailTemplatesRequest) (*sesv2api.ListCustomVerificationEmailTemplatesResponse, error) {
	got, next, err := s.c.listCustom(ctx, in.NextToken, in.PageSize)
	if err != nil {
		return nil, err
	}
	out := &sesv2api.ListCustomVerificationEmailTemplatesResponse{CustomVerificationEmailTemplates: []sesv2api.CustomVerificationEmailTemplateMetadata{}, NextToken: next}
	for _, t := range got {
		out.CustomVerificationEmailTemplates = append(out.CustomVerificationEmailTemplates, sesv2api.CustomVerificationEmailTemplateMetadata{TemplateName: ptr.To(t.Name),
			FromEmailAddress: ptr.To(t.From), TemplateSubject: ptr.To(t.Subject), SuccessRedirectionURL: ptr.To(t.Success), FailureRedirectionURL: ptr.To(t.Failure)})
	}
	return out, nil
}

// DeleteCustomVerificationEmailTemplate (v2): a missing one is refused.
func (s *V2) DeleteCustomVerificationEmailTemplate(ctx *request.Context, in *sesv2api.DeleteCustomVerificationEmailTemplateRequest) (*sesv2api.DeleteCustomVerificationEmailTemplateResponse, error) {
	name := ptr.Deref(in.TemplateName)
	if _, err := s.c.getCustom(ctx, name, v2CustomErrs); err != nil {
		return nil, err
	}
	if err := s.c.deleteCustom(ctx, name); err != nil {
		return nil, err
	}
	return &sesv2api.DeleteCustomVerificationEmailTemplateResponse{}, nil
}

// SendCustomVerificationEmail (v2).
func (s *V2) SendCustomVerificationEmail(ctx *request.Context, in *sesv2api.SendCustomVerificationEmailRequest) (*sesv2api.SendCustomVerificationEmailResponse, error) {
	id, err := s.c.sendCustom(ctx, ptr.Deref(in.EmailAddress), ptr.Deref(in.TemplateName), v2CustomErrs)
	if err != nil {
		return nil, err
	}
	return &sesv2api.SendCustomVerificationEmailResponse{MessageId: ptr.To(id)}, nil
}
