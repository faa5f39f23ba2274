package acm

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"

	acmapi "github.com/niwa-cloud/niwa/internal/api/acm"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/mail"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// The approval mail, as AWS's "Automating email validation" page gives
// its template (subject "Certificate request for <domain>" since
// November 2020), sent from ACM's address.
const (
	mailFrom = "Amazon Certificates <no-reply@certificates.amazon.com>"
	mailVia  = "ACM"
	// ApprovalsPath is niwa's stand-in for
	// https://<region>.acm-certificates.amazon.com/approvals: GET shows
	// the request and an "I Approve" form, POST approves, as AWS's page
	// does.
	ApprovalsPath = "/_niwa/acm/approvals"
)

const mailTemplate = `Greetings from Amazon Web Services,

We received a request to issue an SSL/TLS certificate for %[1]s.

Verify that the following domain, AWS account ID, and certificate identifier correspond
to a request from you or someone in your organization.

Domain: %[2]s
AWS account ID: %[3]s
AWS Region name: %[4]s
Certificate Identifier: %[5]s

To approve this request, go to Amazon Certificate Approvals
(%[6]s)
and follow the instructions on the page.

This email is intended solely for authorized individuals for %[2]s. To express any concerns
about this email or if this email has reached you in error, forward it along with a brief
explanation of your concern to validation-questions@amazon.com.

Sincerely,
Amazon Web Services
`

// approval is what an approval link's code stands for: one domain of
// one certificate (key: the code).
type approval struct {
	Account string `json:"account"`
	Region  string `json:"region"`
	ID      string `json:"id"`
	Domain  string `json:"domain"`
	Context string `json:"context"`
}

var approvals = storage.NewTable[approval]("approval")

// approvalScope holds the codes niwa-wide: the link carries no account.
var approvalScope = storage.Scope{}

// sendValidationMail mails the approval request for validation v of c to
// each of its addresses, through niwa's mail (SES: a receipt rule taking
// the address gets it; the outbox keeps it either way). Mail is
// delivered after the request is stored, so a receipt rule that reads
// the certificate sees it.
func (a *ACM) sendValidationMail(ctx context.Context, c cert, v validation, account, region string) {
	if v.Code == "" {
		return
	}
	id := c.ARN[strings.LastIndex(c.ARN, "/")+1:]
	q := url.Values{"code": {v.Code}, "context": {v.Context}}
	link := a.endpoint() + ApprovalsPath + "?" + q.Encode()
	text := fmt.Sprintf(mailTemplate, c.Domain, v.Domain, account, region, id, link)
	for _, to := range v.Emails {
		m := mail.Message{Region: region, From: mailFrom, To: []string{to}, Subject: "Certificate request for " + v.Domain, Text: text, Via: mailVia}
		if _, err := a.opt.Mail.SendMail(ctx, m); err != nil {
			a.opt.Log.Warn("acm: validation mail not sent", "arn", c.ARN, "to", to, "error", err)
		}
	}
}

func (a *ACM) endpoint() string {
	if a.opt.Endpoint != nil {
		if e := a.opt.Endpoint(); e != "" {
			return strings.TrimSuffix(e, "/")
		}
	}
	return "http://localhost:4566"
}

// newApprovals gives each email validation of c its approval code and
// context, recorded in tx.
func newApprovals(tx storage.Tx, c *cert, account, region, id string) error {
	for i := range c.Validations {
		v := &c.Validations[i]
		if len(v.Emails) == 0 {
			continue
		}
		v.Code, v.Context = awsid.UUID(), awsid.UUID()
		if err := approvals.Put(tx, approvalScope, approval{Account: account, Region: region, ID: id, Domain: v.Domain, Context: v.Context}, v.Code); err != nil {
			return err
		}
	}
	return nil
}

// ResendValidationEmail mails the approval request for one domain of a
// pending email-validated certificate again, with the same link.
func (a *ACM) ResendValidationEmail(ctx *request.Context, in *acmapi.ResendValidationEmailRequest) (*acmapi.ResendValidationEmailOutput, error) {
	c, err := a.load(ctx, in.CertificateArn)
	if err != nil {
		return nil, err
	}
	if c.Status != statusPending || c.Method != methodEmail {
		return nil, acmapi.ErrInvalidStateException.New("Certificate %s is not in a valid state for resending validation email.", c.ARN)
	}
	domain := strings.ToLower(ptr.Deref(in.Domain))
	vd := strings.ToLower(ptr.Deref(in.ValidationDomain))
	for _, v := range c.Validations {
		if v.Domain != domain {
			continue
		}
		if v.ValidationDomain != vd {
			return nil, acmapi.ErrInvalidDomainValidationOptionsException.New("The validation domain %s is not the validation domain of %s.", vd, domain)
		}
		if v.Status != validationPending {
			return nil, acmapi.ErrInvalidStateException.New("Domain %s of certificate %s is already validated.", domain, c.ARN)
		}
		a.sendValidationMail(ctx, c, v, ctx.Account, ctx.Region)
		return &acmapi.ResendValidationEmailOutput{}, nil
	}
	return nil, acmapi.ErrInvalidDomainValidationOptionsException.New("The domain %s is not a domain of certificate %s.", domain, c.ARN)
}

// approveCode validates the domain an approval link stands for, issuing
// the certificate once every domain is validated.
func (a *ACM) approveCode(code, linkContext string) (approval, error) {
	var ap approval
	err := a.opt.Store.Update(func(tx storage.Tx) error {
		var found bool
		var err error
		ap, found, err = approvals.Get(tx, approvalScope, code)
		if err != nil {
			return err
		}
		if !found || ap.Context != linkContext {
			return errNoApproval
		}
		sc := storage.Scope{Account: ap.Account, Region: ap.Region}
		c, found, err := certs.Get(tx, sc, ap.ID)
		if err != nil {
			return err
		}
		if !found {
			return errNoApproval
		}
		now := a.opt.Clock.Now()
		a.advance(now, &c)
		if c.Status != statusPending {
			return errNotPending
		}
		for i := range c.Validations {
			if c.Validations[i].Code == code {
				c.Validations[i].Status = validationSuccess
			}
		}
		a.advance(now, &c)
		return certs.Put(tx, sc, c, ap.ID)
	})
	return ap, err
}

type approvalError string

func (e approvalError) Error() string { return string(e) }

const (
	errNoApproval = approvalError("This approval link is not valid: the request it was sent for does not exist.")
	errNotPending = approvalError("This request is no longer pending approval.")
)

// approvalsHandler serves the approval link: GET shows what is being
// approved and the "I Approve" button, POST approves (the form's
// submission, or a script's POST to the link).
func (a *ACM) approvalsHandler(w http.ResponseWriter, r *http.Request) {
	code, linkCtx := r.URL.Query().Get("code"), r.URL.Query().Get("context")
	if r.Method == http.MethodPost {
		if err := r.ParseForm(); err == nil {
			if code == "" {
				code, linkCtx = r.PostForm.Get("code"), r.PostForm.Get("context")
			}
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	page := func(status int, title, body string) {
		w.WriteHeader(status)
		_, _ = fmt.Fprintf(w, "<!DOCTYPE html>\n<html><head><title>%s</title></head><body><h1>%s</h1>\n%s\n</body></html>\n",
			html.EscapeString(title), html.EscapeString(title), body)
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		var ap approval
		var c cert
		var found bool
		err := a.opt.Store.View(func(tx storage.Tx) error {
			var err error
			ap, found, err = approvals.Get(tx, approvalScope, code)
			if err != nil || !found || ap.Context != linkCtx {
				found = false
				return err
			}
			c, found, err = certs.Get(tx, storage.Scope{Account: ap.Account, Region: ap.Region}, ap.ID)
			return err
		})
		if err != nil {
			page(http.StatusInternalServerError, "Amazon Certificate Approvals", html.EscapeString(err.Error()))
			return
		}
		if !found {
			page(http.StatusNotFound, "Amazon Certificate Approvals", "<p>"+html.EscapeString(string(errNoApproval))+"</p>")
			return
		}
		page(http.StatusOK, "Amazon Certificate Approvals", fmt.Sprintf(
			`<p>Domain name: %s</p><p>AWS account number: %s</p><p>AWS Region: %s</p><p>Certificate identifier: %s</p>
<form method="post" action="%s"><input type="hidden" name="code" value="%s"><input type="hidden" name="context" value="%s"><button type="submit">I Approve</button></form>`,
			html.EscapeString(ap.Domain), html.EscapeString(ap.Account), html.EscapeString(ap.Region),
			html.EscapeString(c.ARN[strings.LastIndex(c.ARN, "/")+1:]), ApprovalsPath, html.EscapeString(code), html.EscapeString(linkCtx)))
	case http.MethodPost:
		ap, err := a.approveCode(code, linkCtx)
		switch err {
		case nil:
			page(http.StatusOK, "Success!", "<p>You have approved the request for a certificate for "+html.EscapeString(ap.Domain)+".</p>")
		case errNoApproval:
			page(http.StatusNotFound, "Amazon Certificate Approvals", "<p>"+html.EscapeString(err.Error())+"</p>")
		case errNotPending:
			page(http.StatusConflict, "Amazon Certificate Approvals", "<p>"+html.EscapeString(err.Error())+"</p>")
		default:
			page(http.StatusInternalServerError, "Amazon Certificate Approvals", "<p>"+html.EscapeString(err.Error())+"</p>")
		}
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		page(http.StatusMethodNotAllowed, "Amazon Certificate Approvals", "")
	}
}
