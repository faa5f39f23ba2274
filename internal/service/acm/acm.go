// Package acm is AWS Certificate Manager: certificates requested for
// domains and validated by DNS (the CNAME ACM asks for, looked up in
// niwa's Route 53 zones) or by email (approved through an internal
// endpoint), then issued by niwa's local certificate authority
// (internal/ca); certificates imported from elsewhere; tags; account
// configuration.
//
// Validation is evaluated when a certificate is read (describe, list,
// get, ...): a pending certificate whose CNAMEs all resolve is issued at
// that moment on the injected clock, and one still pending 72 hours after
// its request times out, as AWS's does. Nothing runs in the background.
package acm

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"time"

	acmapi "github.com/niwa-cloud/niwa/internal/api/acm"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/ca"
	"github.com/niwa-cloud/niwa/internal/clock"
	"github.com/niwa-cloud/niwa/internal/mail"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// CNAMELookup answers the CNAME targets of name in niwa's public DNS
// zones (Route 53): the seam through which ACM sees the validation
// records, since a service does not import another.
type CNAMELookup func(name string) ([]string, error)

// Options configure the service.
type Options struct {
	Store storage.Store
	// CA issues the certificates of validated requests (required).
	CA    *ca.CA
	Clock clock.Clock
	Log   *slog.Logger
	// Lookup reads niwa's DNS; nil means no DNS validation ever succeeds.
	Lookup CNAMELookup
	// Mail sends the approval mail of email validation (niwa's SES);
	// nil sends none.
	Mail mail.Sender
	// Endpoint is niwa's base URL, for the approval link in the mail.
	Endpoint func() string
}

// ACM implements the ACM API. Bind it with acmapi.Bind.
type ACM struct{ opt Options }

// New returns the service.
func New(opt Options) *ACM {
	if opt.Clock == nil {
		opt.Clock = clock.Real{}
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	if opt.Mail == nil {
		opt.Mail = mail.Discard{}
	}
	return &ACM{opt: opt}
}

// AWS's numbers (ACM quotas and the RequestCertificate reference).
const (
	maxSANs           = 100
	maxTags           = 50
	validationTimeout = 72 * time.Hour
	// Amazon-issued certificates are valid 395 days (13 months).
	issuedValidity = 395 * 24 * time.Hour
	maxDomainLen   = 253
	// An idempotency token makes requests within an hour return the same
	// certificate.
	idempotencyWindow = time.Hour
	defaultExpiryDays = 45
)

// Certificate statuses, types and validation methods.
const (
	statusPending  = "PENDING_VALIDATION"
	statusIssued   = "ISSUED"
	statusTimedOut = "VALIDATION_TIMED_OUT"
	statusExpired  = "EXPIRED"
	statusFailed   = "FAILED"

	typeAmazon   = "AMAZON_ISSUED"
	typeImported = "IMPORTED"
	typePrivate  = "PRIVATE"

	methodDNS   = "DNS"
	methodEmail = "EMAIL"

	validationPending = "PENDING_VALIDATION"
	validationSuccess = "SUCCESS"
	validationFailed  = "FAILED"
)

// validation is one domain's validation state.
type validation struct {
	Domain           string   `json:"domain"`
	ValidationDomain string   `json:"validationDomain"`
	Status           string   `json:"status"`
	RecordName       string   `json:"recordName,omitempty"`
	RecordValue      string   `json:"recordValue,omitempty"`
	Emails           []string `json:"emails,omitempty"`
	// Code and Context are the approval link's parameters (email
	// validation).
	Code    string `json:"code,omitempty"`
	Context string `json:"context,omitempty"`
}

// cert is one stored certificate.
type cert struct {
	ARN              string            `json:"arn"`
	Domain           string            `json:"domain"`
	SANs             []string          `json:"sans"`
	Status           string            `json:"status"`
	Type             string            `json:"type"`
	KeyAlgorithm     string            `json:"keyAlgorithm"`
	Method           string            `json:"method,omitempty"`
	Validations      []validation      `json:"validations,omitempty"`
	IdempotencyToken string            `json:"idempotencyToken,omitempty"`
	CreatedAt        time.Time         `json:"createdAt"`
	IssuedAt         time.Time         `json:"issuedAt,omitzero"`
	ImportedAt       time.Time         `json:"importedAt,omitzero"`
	FailureReason    string            `json:"failureReason,omitempty"`
	CertPEM          string            `json:"cert,omitempty"`
	ChainPEM         string            `json:"chain,omitempty"`
	KeyPEM           string            `json:"key,omitempty"`
	InUseBy          []string          `json:"inUseBy,omitempty"`
	Tags             map[string]string `json:"tags,omitempty"`
	TagOrder         []string          `json:"tagOrder,omitempty"`
	CTLogging        string            `json:"ctLogging"`
}

type accountConfig struct {
	DaysBeforeExpiry int32 `json:"daysBeforeExpiry"`
}

var (
	certs   = storage.NewTable[cert]("certificate")
	configs = storage.NewTable[accountConfig]("config")
)

func scope(ctx *request.Context) storage.Scope {
	return storage.Scope{Account: ctx.Account, Region: ctx.Region}
}

// ids reads a certificate ARN of the caller's account and region: its id,
// or InvalidArnException / ResourceNotFoundException.
func ids(ctx *request.Context, arn *string) (string, error) {
	a := ptr.Deref(arn)
	if a == "" {
		return "", awserr.ValidationException.New("1 validation error detected: Value null at 'certificateArn' failed to satisfy constraint: Member must not be null")
	}
	p := strings.SplitN(a, ":", 6)
	if len(p) != 6 || p[0] != "arn" || p[2] != "acm" || !strings.HasPrefix(p[5], "certificate/") || len(a) > 2048 {
		return "", acmapi.ErrInvalidArnException.New("String '%s' is not a valid ARN.", a)
	}
	if p[3] != ctx.Region || p[4] != ctx.Account {
		return "", notFound(a)
	}
	return strings.TrimPrefix(p[5], "certificate/"), nil
}

func notFound(arn string) error {
	return acmapi.ErrResourceNotFoundException.New("Could not find certificate %s.", arn)
}

// load reads a certificate, bringing its validation up to date first.
func (a *ACM) load(ctx *request.Context, arn *string) (cert, error) {
	id, err := ids(ctx, arn)
	if err != nil {
		return cert{}, err
	}
	var c cert
	err = a.opt.Store.Update(func(tx storage.Tx) error {
		var found bool
		c, found, err = certs.Get(tx, scope(ctx), id)
		if err != nil {
			return err
		}
		if !found {
			return notFound(ptr.Deref(arn))
		}
		if a.advance(ctx.Now(), &c) {
			return certs.Put(tx, scope(ctx), c, id)
		}
		return nil
	})
	return c, err
}

// advance moves c's status on the clock: issued once every domain is
// validated, timed out 72 hours after the request, expired after
// NotAfter. It reports whether c changed.
func (a *ACM) advance(now time.Time, c *cert) bool {
	switch c.Status {
	case statusPending:
		if c.Method == methodDNS && a.opt.Lookup != nil {
			for i := range c.Validations {
				v := &c.Validations[i]
				if v.Status == validationPending && a.cnameExists(v.RecordName, v.RecordValue) {
					v.Status = validationSuccess
				}
			}
		}
		all := true
		for _, v := range c.Validations {
			all = all && v.Status == validationSuccess
		}
		if all {
			if err := a.issue(now, c); err != nil {
				a.opt.Log.Warn("acm: cannot issue", "arn", c.ARN, "error", err)
				return false
			}
			return true
		}
		if now.Sub(c.CreatedAt) >= validationTimeout {
			c.Status = statusTimedOut
			for i := range c.Validations {
				if c.Validations[i].Status == validationPending {
					c.Validations[i].Status = validationFailed
				}
			}
			return true
		}
	case statusIssued:
		if info, err := parseLeaf(c.CertPEM); err == nil && now.After(info.NotAfter) {
			c.Status = statusExpired
			return true
		}
	}
	return false
}

func (a *ACM) cnameExists(name, value string) bool {
	targets, err := a.opt.Lookup(name)
	if err != nil {
		a.opt.Log.Warn("acm: validation lookup", "name", name, "error", err)
		return false
	}
	for _, t := range targets {
		if strings.EqualFold(strings.TrimSuffix(t, "."), strings.TrimSuffix(value, ".")) {
			return true
		}
	}
	return false
}

// issue signs c's certificate with the local CA.
func (a *ACM) issue(now time.Time, c *cert) error {
	key, err := ca.NewKey(c.KeyAlgorithm)
	if err != nil {
		return err
	}
	names := append([]string{c.Domain}, c.SANs...)
	// Amazon-issued certificates start at midnight UTC of the day they
	// are issued. niwa's clock may run ahead of the clients' (moved with
	// /_niwa/clock/advance): starting at that midnight — of the day an
	// hour back, so a certificate issued just after midnight still gets
	// that slack — keeps it valid to clients on the wall clock.
	notBefore := now.Add(-time.Hour).UTC().Truncate(24 * time.Hour)
	leaf, err := a.opt.CA.Issue(dedupe(names), key, notBefore, issuedValidity)
	if err != nil {
		return err
	}
	c.Status = statusIssued
	c.IssuedAt = now
	c.CertPEM = string(leaf.CertPEM)
	c.ChainPEM = string(a.opt.CA.ChainPEM())
	c.KeyPEM = string(leaf.KeyPEM)
	return nil
}

func dedupe(names []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, n := range names {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}

// validationRecord is the CNAME ACM asks for to validate domain: stable
// per account and domain, as AWS's is (a wildcard validates with its
// base domain's record).
func validationRecord(account, domain string) (name, value string) {
	base := strings.TrimPrefix(domain, "*.")
	h := sha256.Sum256([]byte("name|" + account + "|" + base))
	v := sha256.Sum256([]byte("value|" + account + "|" + base))
	label := strings.Map(func(r rune) rune { return 'a' + r%26 }, hex.EncodeToString(v[16:21]))
	return "_" + hex.EncodeToString(h[:16]) + "." + base + ".",
		"_" + hex.EncodeToString(v[:16]) + "." + label + ".acm-validations.aws."
}

// validationEmails are the addresses ACM mails for domain: the five
// administrative addresses of the validation domain.
func validationEmails(domain string) []string {
	var out []string
	for _, u := range []string{"admin", "administrator", "hostmaster", "postmaster", "webmaster"} {
		out = append(out, u+"@"+domain)
	}
	return out
}

// Approve validates every pending email domain of the certificate arn
// (the link in ACM's approval mail), issuing it. It is served at
// POST /_niwa/acm/approve?arn=<certificate ARN>.
func (a *ACM) Approve(ctx *request.Context, arn string) error {
	id, err := ids(ctx, &arn)
	if err != nil {
		return err
	}
	return a.opt.Store.Update(func(tx storage.Tx) error {
		c, found, err := certs.Get(tx, scope(ctx), id)
		if err != nil {
			return err
		}
		if !found {
			return notFound(arn)
		}
		a.advance(ctx.Now(), &c)
		if c.Status != statusPending || c.Method != methodEmail {
			return acmapi.ErrInvalidStateException.New("Certificate %s is %s; only email-validated certificates pending validation can be approved.", arn, c.Status)
		}
		for i := range c.Validations {
			c.Validations[i].Status = validationSuccess
		}
		if err := a.issue(ctx.Now(), &c); err != nil {
			return err
		}
		return certs.Put(tx, scope(ctx), c, id)
	})
}

// sortedTags returns c's tags in the order they were added.
func (c *cert) sortedTags() []acmapi.Tag {
	var out []acmapi.Tag
	for _, k := range c.TagOrder {
		if v, ok := c.Tags[k]; ok {
			t := acmapi.Tag{Key: ptr.To(k)}
			if v != "" {
				t.Value = ptr.To(v)
			}
			out = append(out, t)
		}
	}
	return out
}

func newARN(ctx *request.Context) (string, string) {
	id := awsid.UUID()
	return "arn:aws:acm:" + ctx.Region + ":" + ctx.Account + ":certificate/" + id, id
}

// ApprovePath is the internal endpoint that approves an email-validated
// certificate: POST /_niwa/acm/approve?arn=<certificate ARN>.
const ApprovePath = "/_niwa/acm/approve"

// HTTP serves ACM's internal endpoints: the approval link of the mail
// (ApprovalsPath) and ApprovePath, which approves every domain of a
// certificate by its ARN without the mail.
func (a *ACM) HTTP() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == ApprovalsPath {
			a.approvalsHandler(w, r)
			return
		}
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "POST "+ApprovePath+"?arn=<certificate ARN> approves an email-validated certificate", http.StatusMethodNotAllowed)
			return
		}
		arn := r.URL.Query().Get("arn")
		p := strings.SplitN(arn, ":", 6)
		if len(p) != 6 {
			http.Error(w, "arn: want a certificate ARN", http.StatusBadRequest)
			return
		}
		ctx := &request.Context{Context: r.Context(), RequestID: awsid.UUID(), Service: "acm", Operation: "Approve",
			Account: p[4], Region: p[3], Clock: a.opt.Clock, Log: a.opt.Log}
		if err := a.Approve(ctx, arn); err != nil {
			status := http.StatusBadRequest
			if acmapi.ErrResourceNotFoundException.Is(err) {
				status = http.StatusNotFound
			} else if awserr.As(err) == nil {
				status = http.StatusInternalServerError
			}
			http.Error(w, err.Error(), status)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"approved": arn})
	})
}
