// Package ses is Amazon SES, both its APIs: the classic query API (ses,
// V1) and the REST/JSON API (sesv2, V2). They share one Core — one store
// of identities, templates, account settings and sent mail — so an
// identity verified through one API is verified for the other, as on AWS.
package ses

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/clock"
	"github.com/niwa-cloud/niwa/internal/dns"
	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/objects"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Options configure the Core.
type Options struct {
	Store storage.Store
	Clock clock.Clock
	Log   *slog.Logger
	// DNS reads niwa's Route 53 zones, where domain identities prove
	// ownership (the _amazonses TXT record or the Easy DKIM CNAMEs); nil
	// leaves domains pending.
	DNS dns.Source
	// Endpoint is niwa's own base URL, which verification links point
	// at ("" before niwa listens: the link is then relative).
	Endpoint func() string
	// Bus carries configuration sets' events: SNS topics by Deliver,
	// EventBridge's default bus by Publish.
	Bus *events.Bus
	// Objects writes received mail to S3 (receipt rules' S3 action) as
	// ses.amazonaws.com; nil runs no S3 action.
	Objects objects.Store
	// Functions runs RequestResponse Lambda actions; nil invokes every
	// Lambda action as an Event.
	Functions Functions
}

// Core is the state both SES APIs serve.
type Core struct {
	opt Options
}

// New makes the Core.
func New(opt Options) *Core {
	if opt.Clock == nil {
		opt.Clock = clock.Real{}
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	return &Core{opt: opt}
}

// Identity types as both APIs name them (v1 ListIdentities' IdentityType;
// v2 uses EMAIL_ADDRESS / DOMAIN, see v2Type).
const (
	typeEmail  = "EmailAddress"
	typeDomain = "Domain"
)

// Verification statuses (v1 names; v2's are their upper-case forms).
const (
	statusPending = "Pending"
	statusSuccess = "Success"
)

// identity is a verified or pending email address or domain.
type identity struct {
	Name   string
	Type   string
	Status string
	// Token is the v1 domain verification token (TXT _amazonses.<domain>)
	// or, for an email address, the secret in the verification link.
	Token string
	// DKIMTokens are the Easy DKIM selectors of a domain (v2).
	DKIMTokens []string
	Created    time.Time
	Tags       map[string]string
	// MailFrom is the custom MAIL FROM domain and MailFromBehavior its
	// BehaviorOnMXFailure (UseDefaultValue / RejectMessage).
	MailFrom, MailFromBehavior string
	// Policies are the sending authorization policies by name.
	Policies map[string]string
	// Topics are the SNS topics of Bounce, Complaint and Delivery
	// notifications; Headers whether each includes the headers.
	Topics  map[string]string
	Headers map[string]bool
	// NoForwarding: feedback forwarding by email is off (it is on by
	// default).
	NoForwarding bool
	// DKIMDisabled: DKIM signing is off (on by default once verified).
	DKIMDisabled bool
	// ConfigSet is the default configuration set of mail the identity
	// sends without naming one.
	ConfigSet string
	// DKIMSelector is set for Bring Your Own DKIM (origin EXTERNAL): the
	// domain is proven by the TXT record <selector>._domainkey.<domain>.
	DKIMSelector string
}

// account is the account's SES settings in one region.
type account struct {
	// Production is true once the account left the sandbox
	// (PutAccountDetails with ProductionAccessEnabled).
	Production bool
	Details    map[string]string
	// ActiveRuleSet names the active receipt rule set ("" for none).
	ActiveRuleSet string
	// SendingPaused: UpdateAccountSendingEnabled turned sending off.
	SendingPaused bool
	// SuppressedReasons are the reasons the account-level suppression
	// list applies for (nil: BOUNCE and COMPLAINT, a new account's).
	SuppressedReasons *[]string
}

// suppressedReasons are the reasons the account's list applies for.
func (a account) suppressedReasons() []string {
	if a.SuppressedReasons == nil {
		return []string{"BOUNCE", "COMPLAINT"}
	}
	return *a.SuppressedReasons
}

// template is an email template (v1 Template / v2 EmailTemplateContent).
type template struct {
	Name    string
	Subject string
	Text    string
	HTML    string
	Created time.Time
}

// sent records one accepted send for GetSendQuota / GetSendStatistics.
type sent struct {
	At         time.Time
	Recipients int
}

// verifyLink maps a verification token to its identity.
type verifyLink struct {
	Account, Region, Identity string
	// Success is where the link redirects once followed (a custom
	// verification template's SuccessRedirectionURL); "" answers a page.
	Success string
}

var (
	identities = storage.NewTable[identity]("identity")
	accounts   = storage.NewTable[account]("account")
	templates  = storage.NewTable[template]("template")
	sends      = storage.NewTable[sent]("sent")
	links      = storage.NewTable[verifyLink]("verifylink")
	outbox     = storage.NewTable[Mail]("outbox")
)

// outboxScope holds niwa-wide records (the outbox, verification links):
// the internal endpoints that read them carry no account.
var outboxScope = storage.Scope{}

// Sandbox quotas AWS gives a new account: 200 messages per 24 hours, one
// per second (SES Developer Guide, "Request production access").
const (
	sandboxMax24h   = 200
	sandboxMaxRate  = 1
	productionMax24 = 50000
	productionRate  = 14
)

func scope(account, region string) storage.Scope {
	return storage.Scope{Account: account, Region: region}
}

// key is an identity's storage key: identities compare without case.
func key(name string) string { return strings.ToLower(name) }

// isEmail tells an email address identity from a domain.
func isEmail(name string) bool { return strings.Contains(name, "@") }

// domainOf is the domain part of an address.
func domainOf(addr string) string {
	if i := strings.LastIndex(addr, "@"); i >= 0 {
		return addr[i+1:]
	}
	return addr
}

// simulator addresses are SES's mailbox simulator, which accepts mail
// even in the sandbox.
func simulator(addr string) bool {
	return strings.HasSuffix(strings.ToLower(addr), "@simulator.amazonses.com")
}

// messageID is an SES message id: "01" and fourteen hex digits of the
// send time in milliseconds, a UUID, and "-000000", as AWS's look.
func messageID(now time.Time) string {
	return fmt.Sprintf("01%014x-%s-000000", now.UnixMilli(), awsid.UUID())
}

// errNotVerified is SES's refusal of an unverified sender or (in the
// sandbox) recipient; the region is upper case as AWS writes it.
func errNotVerified(code awserr.Code, region string, addrs []string) error {
	return code.New("Email address is not verified. The following identities failed the check in region %s: %s",
		strings.ToUpper(region), strings.Join(addrs, ", "))
}

// addIdentity creates (or returns the existing) identity.
func (c *Core) addIdentity(ctx context.Context, acct, region, name string, mk func() identity) (identity, bool, error) {
	var out identity
	var created bool
	err := c.opt.Store.Update(func(tx storage.Tx) error {
		cur, ok, err := identities.Get(tx, scope(acct, region), key(name))
		if err != nil {
			return err
		}
		if ok {
			out = cur
			return nil
		}
		out, created = mk(), true
		if err := identities.Put(tx, scope(acct, region), out, key(name)); err != nil {
			return err
		}
		if out.Type == typeEmail {
			return links.Put(tx, outboxScope, verifyLink{Account: acct, Region: region, Identity: out.Name}, out.Token)
		}
		return nil
	})
	return out, created, err
}

// newEmailIdentity is a pending email identity with a fresh link token.
func newEmailIdentity(name string, now time.Time) identity {
	return identity{Name: name, Type: typeEmail, Status: statusPending, Token: awsid.Hex(32), Created: now}
}

// newDomainIdentity is a pending domain with its TXT token and three
// Easy DKIM selectors.
func newDomainIdentity(name string, now time.Time) identity {
	return identity{
		Name: strings.ToLower(strings.TrimSuffix(name, ".")), Type: typeDomain, Status: statusPending,
		Token:      awsid.Base64(32)[:44],
		DKIMTokens: []string{awsid.String(dkimAlphabet, 32), awsid.String(dkimAlphabet, 32), awsid.String(dkimAlphabet, 32)},
		Created:    now,
	}
}

const dkimAlphabet = "abcdefghijklmnopqrstuvwxyz234567"

// getIdentity reads an identity, first checking a pending domain's DNS
// records (the verification AWS does in the background, here done when
// the state is looked at, on the injected clock's "now").
func (c *Core) getIdentity(acct, region, name string) (identity, bool, error) {
	var id identity
	var ok bool
	err := c.opt.Store.View(func(tx storage.Tx) error {
		var err error
		id, ok, err = identities.Get(tx, scope(acct, region), key(name))
		return err
	})
	if err != nil || !ok || id.Type != typeDomain || id.Status == statusSuccess {
		return id, ok, err
	}
	if c.domainProven(id) {
		id.Status = statusSuccess
		err = c.opt.Store.Update(func(tx storage.Tx) error {
			return identities.Put(tx, scope(acct, region), id, key(name))
		})
	}
	return id, ok, err
}

// domainProven reports whether niwa's Route 53 holds the domain's
// verification TXT record or all three DKIM CNAMEs.
func (c *Core) domainProven(id identity) bool {
	if c.opt.DNS == nil {
		return false
	}
	apex := id.Name + "."
	z, ok, err := c.opt.DNS.Zone(apex, "")
	if err != nil || !ok {
		return false
	}
	sets, err := c.opt.DNS.RRSets(z, "_amazonses."+apex)
	if err == nil {
		for _, s := range sets {
			if s.Type != "TXT" {
				continue
			}
			for _, v := range s.Values {
				if strings.Trim(v, `"`) == id.Token {
					return true
				}
			}
		}
	}
	if id.DKIMSelector != "" {
		sets, err := c.opt.DNS.RRSets(z, id.DKIMSelector+"._domainkey."+apex)
		if err != nil {
			return false
		}
		for _, s := range sets {
			for _, v := range s.Values {
				if s.Type == "TXT" && strings.Contains(v, "p=") {
					return true
				}
			}
		}
		return false
	}
	for _, t := range id.DKIMTokens {
		sets, err := c.opt.DNS.RRSets(z, t+"._domainkey."+apex)
		if err != nil {
			return false
		}
		found := false
		for _, s := range sets {
			for _, v := range s.Values {
				if s.Type == "CNAME" && strings.TrimSuffix(strings.ToLower(v), ".") == t+".dkim.amazonses.com" {
					found = true
				}
			}
		}
		if !found {
			return false
		}
	}
	return len(id.DKIMTokens) > 0
}

// verified reports whether addr may be used: the address itself or its
// domain is a verified identity.
func (c *Core) verified(acct, region, addr string) (bool, error) {
	for _, name := range []string{addr, domainOf(addr)} {
		id, ok, err := c.getIdentity(acct, region, name)
		if err != nil {
			return false, err
		}
		if ok && id.Status == statusSuccess {
			return true, nil
		}
	}
	return false, nil
}

// listIdentities lists identities in name order.
func (c *Core) listIdentities(acct, region string) ([]identity, error) {
	var out []identity
	err := c.opt.Store.View(func(tx storage.Tx) error {
		return identities.List(tx, scope(acct, region), nil, storage.ListOptions{}, func(_ []string, v identity) bool {
			out = append(out, v)
			return true
		})
	})
	for i, id := range out {
		if id.Type == typeDomain && id.Status != statusSuccess {
			if fresh, ok, err := c.getIdentity(acct, region, id.Name); err == nil && ok {
				out[i] = fresh
			}
		}
	}
	return out, err
}

// deleteIdentity removes an identity (absent is not an error on AWS).
func (c *Core) deleteIdentity(acct, region, name string) (bool, error) {
	var existed bool
	err := c.opt.Store.Update(func(tx storage.Tx) error {
		id, ok, err := identities.Get(tx, scope(acct, region), key(name))
		if err != nil || !ok {
			return err
		}
		existed = true
		if id.Type == typeEmail {
			if err := links.Delete(tx, outboxScope, id.Token); err != nil {
				return err
			}
		}
		if err := resourceTags.Delete(tx, scope(acct, region), "arn:aws:ses:"+region+":"+acct+":identity/"+id.Name); err != nil {
			return err
		}
		return identities.Delete(tx, scope(acct, region), key(name))
	})
	return existed, err
}

// Verify marks the identity a verification link names verified; false
// when the token is unknown.
func (c *Core) Verify(token string) (bool, error) {
	ok, _, err := c.verify(token)
	return ok, err
}

// verify follows a verification link, answering where it redirects.
func (c *Core) verify(token string) (bool, string, error) {
	var found bool
	var redirect string
	err := c.opt.Store.Update(func(tx storage.Tx) error {
		l, ok, err := links.Get(tx, outboxScope, token)
		if err != nil || !ok {
			return err
		}
		redirect = l.Success
		id, ok, err := identities.Get(tx, scope(l.Account, l.Region), key(l.Identity))
		if err != nil || !ok {
			return err
		}
		found = true
		id.Status = statusSuccess
		return identities.Put(tx, scope(l.Account, l.Region), id, key(l.Identity))
	})
	return found, redirect, err
}

// accountOf reads the account's settings.
func (c *Core) accountOf(acct, region string) (account, error) {
	var a account
	err := c.opt.Store.View(func(tx storage.Tx) error {
		var err error
		a, _, err = accounts.Get(tx, scope(acct, region), "settings")
		return err
	})
	return a, err
}

func (c *Core) setProduction(acct, region string, on bool, details map[string]string) error {
	return c.opt.Store.Update(func(tx storage.Tx) error {
		a, _, err := accounts.Get(tx, scope(acct, region), "settings")
		if err != nil {
			return err
		}
		a.Production = on
		if details != nil {
			a.Details = details
		}
		return accounts.Put(tx, scope(acct, region), a, "settings")
	})
}

// quota is the account's sending quota and what it sent in the last 24
// hours of the clock.
func (c *Core) quota(acct, region string, now time.Time) (max24, rate, last24 float64, err error) {
	a, err := c.accountOf(acct, region)
	if err != nil {
		return 0, 0, 0, err
	}
	max24, rate = sandboxMax24h, sandboxMaxRate
	if a.Production {
		max24, rate = productionMax24, productionRate
	}
	err = c.opt.Store.View(func(tx storage.Tx) error {
		return sends.List(tx, scope(acct, region), nil, storage.ListOptions{}, func(_ []string, v sent) bool {
			if now.Sub(v.At) < 24*time.Hour {
				last24 += float64(v.Recipients)
			}
			return true
		})
	})
	return max24, rate, last24, err
}

// errStorage passes storage failures on unchanged (errors.Is-able).
var _ = errors.New
