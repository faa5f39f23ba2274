package server

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"

	"github.com/niwa-cloud/niwa/internal/auth"
	"github.com/niwa-cloud/niwa/internal/iam"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/service/rds"
)

// rdsTokens checks IAM database authentication tokens for RDS's fronts:
// a token is a presigned GET of <host>:<port>/?Action=connect&DBUser=<user>
// (SigV4, service rds-db, 15 minutes), verified as niwa verifies any
// presigned request, whose signer must be allowed rds-db:connect on the
// database user's ARN by the same IAM engine as every request.
type rdsTokens struct {
	v    *auth.Verifier
	auth *callerAuth
	d    *deps
}

func newRDSTokens(d *deps) rdsTokens {
	return rdsTokens{d: d, auth: d.callerAuthOf(), v: &auth.Verifier{
		Credentials:    &credentialChain{static: d.static, sts: d.sts.svc, iam: iamCredentials{d.iam.svc}},
		Clock:          d.clock,
		SigningClock:   signingClock(d.clock),
		SkipValidation: d.cfg.SkipSignatureValidation,
		DefaultAccount: DefaultAccount,
	}}
}

func (t rdsTokens) VerifyDBToken(ctx context.Context, token string, want rds.TokenRequest) error {
	u, err := url.Parse("http://" + token)
	if err != nil || u.Host == "" {
		return fmt.Errorf("not an IAM authentication token")
	}
	q := u.Query()
	if q.Get("Action") != "connect" || q.Get("DBUser") != want.User {
		return fmt.Errorf("the token is for Action=%q DBUser=%q, not connect as %s", q.Get("Action"), q.Get("DBUser"), want.User)
	}
	if _, port, err := net.SplitHostPort(u.Host); err != nil || port != strconv.Itoa(want.Port) {
		return fmt.Errorf("the token is for %s, not port %d", u.Host, want.Port)
	}
	r, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+token, nil)
	if err != nil {
		return err
	}
	r.Host = u.Host
	res, err := t.v.Verify(r, auth.DialectQuery)
	if err != nil {
		return err
	}
	if res.Body != nil {
		_ = res.Body.Close()
	}
	if res.Service != "rds-db" || res.Region != want.Region {
		return fmt.Errorf("the token is signed for %s in %s, not rds-db in %s", res.Service, res.Region, want.Region)
	}
	caller := callerOf(res.Credential, false)
	if caller.Account != want.Account {
		return fmt.Errorf("the token's signer is of account %s, not %s", caller.Account, want.Account)
	}
	rc := &request.Context{Context: ctx, Service: "rds-db", Operation: "connect", Account: want.Account, Region: want.Region,
		Caller: caller, Clock: t.d.clock, Log: t.d.log}
	return t.auth.allows(rc, "rds-db:connect", want.Resource)
}

// allows asks the IAM engine whether ctx's caller may take action on
// resource (identity policies, boundaries, session policies), as the
// authorizer asks it of a request.
func (c *callerAuth) allows(ctx *request.Context, action, resource string) error {
	if c == nil || c.auth == nil || c.auth.mode == EnforcementOff {
		return nil
	}
	a := c.auth
	s, err := a.subject(ctx)
	if err != nil {
		return err
	}
	req := iam.Request{Principal: s.principal, Action: action, Resource: resource,
		Context: a.context(ctx, s, kit.Check{Action: action, Resource: resource})}
	dec := iam.Evaluate(req, s.policies)
	a.logDecision(ctx, req, dec)
	if !dec.Allowed() && a.mode == EnforcementOn {
		return fmt.Errorf("%s is not authorized to perform %s on %s", ctx.Caller.ARN, action, resource)
	}
	return nil
}
