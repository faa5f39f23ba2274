// Package sts is the AWS Security Token Service: who is calling, and
// temporary credentials that sign later requests like any other key.
package sts

import (
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	stsapi "github.com/niwa-cloud/niwa/internal/api/sts"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/iam"
	"github.com/niwa-cloud/niwa/internal/lazyre"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Role is what STS needs to know of an IAM role to assume it.
type Role struct {
	Name               string
	ID                 string
	ARN                string
	Account            string
	MaxSessionDuration int32
	// TrustPolicy is the role's assume role policy document (JSON).
	TrustPolicy string
}

// Roles finds IAM roles; the IAM service implements it.
type Roles interface {
	RoleByARN(arn string) (Role, bool, error)
}

// TempCredential is a temporary key pair STS issued, stored so that it
// signs requests until it expires (and across restarts with --data-dir).
type TempCredential struct {
	AccessKeyID     string    `json:"accessKeyId"`
	SecretAccessKey string    `json:"secretAccessKey"`
	SessionToken    string    `json:"sessionToken"`
	Expiration      time.Time `json:"expiration"`
	Account         string    `json:"account"`
	ARN             string    `json:"arn"`
	UserID          string    `json:"userId"`
	// SourceAccessKeyID is the key that requested these credentials
	// (GetAccessKeyInfo, CloudTrail).
	SourceAccessKeyID string `json:"sourceAccessKeyId,omitempty"`
	// RoleARN is set for assumed-role sessions.
	RoleARN     string `json:"roleArn,omitempty"`
	SessionName string `json:"sessionName,omitempty"`
	// SessionPolicy and PolicyArns are the session policies passed when
	// the session was created: they limit what the session may do.
	SessionPolicy string   `json:"sessionPolicy,omitempty"`
	PolicyArns    []string `json:"policyArns,omitempty"`
	// SessionPolicies is set when session policies were passed at all
	// (an empty PolicyArns list still limits the session).
	SessionPolicies bool `json:"sessionPolicies,omitempty"`
	// Tags are the session tags (aws:PrincipalTag/<key>).
	Tags map[string]string `json:"tags,omitempty"`
	// TransitiveTagKeys are the tags that pass on to the sessions this
	// one creates by role chaining.
	TransitiveTagKeys []string `json:"transitive,omitempty"`
	SourceIdentity    string   `json:"sourceIdentity,omitempty"`
	// Federated is the identity provider of a federated session
	// (AssumeRoleWithSAML, AssumeRoleWithWebIdentity).
	Federated string `json:"federated,omitempty"`
	// FederatedBy is the IAM user (or root) that called
	// GetFederationToken for a federated-user session: its policies,
	// intersected with the session policies, are the session's.
	FederatedBy string `json:"federatedBy,omitempty"`
	// MFAAuthTime is when the session's creator proved an MFA code
	// (GetSessionToken or AssumeRole with SerialNumber and TokenCode):
	// aws:MultiFactorAuthPresent and aws:MultiFactorAuthAge.
	MFAAuthTime *time.Time `json:"mfaAuthTime,omitempty"`
	// Network is where the code holding these credentials runs, for
	// credentials a service issued to code it runs inside a VPC (a
	// Lambda function's VpcConfig); nil elsewhere.
	Network *NetworkPosition `json:"network,omitempty"`
}

// NetworkPosition is a place in a VPC: requests from there reach a
// service through the VPC's endpoint for it (aws:SourceVpc,
// aws:SourceVpce), when there is one.
type NetworkPosition struct {
	Region    string   `json:"region"`
	VpcID     string   `json:"vpcId"`
	SubnetIDs []string `json:"subnetIds"`
}

// temporaryCredentials are keyed by access key id alone: the key id is
// globally unique and the signature layer knows nothing else.
var temporaryCredentials = storage.NewTable[TempCredential]("temporary-credential")

// globalScope holds records that belong to no single account.
var globalScope = storage.Scope{}

// AccessKeys finds the account of a long-term access key: the static root
// keys niwa was started with and IAM users' keys.
type AccessKeys interface {
	AccessKeyAccount(accessKeyID string) (account string, ok bool, err error)
}

// MFADevices checks one-time codes of IAM's virtual MFA devices; the IAM
// service implements it.
type MFADevices interface {
	// VerifyMFACode reports whether code is a current, unused code of the
	// enabled device serial, and the IAM user it is enabled for ("" for
	// the root).
	VerifyMFACode(account, serial, code string, at time.Time) (user string, ok bool, err error)
}

// STS implements the service.
type STS struct {
	store     storage.Store
	roles     Roles
	keys      AccessKeys
	providers Providers
	mfa       MFADevices
	// jwks caches OIDC issuers' signing keys (webidentity.go).
	jwks jwksCache
	// gen counts the store's writes (storage.Counting; generation.go).
	gen atomic.Uint64
}

// Option configures New.
type Option func(*STS)

// WithProviders lets STS find the identity providers that federation
// calls (AssumeRoleWithSAML) name.
func WithProviders(p Providers) Option { return func(s *STS) { s.providers = p } }

// WithMFA lets AssumeRole and GetSessionToken check SerialNumber and
// TokenCode against IAM's MFA devices.
func WithMFA(m MFADevices) Option { return func(s *STS) { s.mfa = m } }

// New returns the STS service. roles may be nil when IAM is not wired;
// keys may be nil, and then GetAccessKeyInfo knows only the temporary
// keys STS issued.
func New(store storage.Store, roles Roles, keys AccessKeys, opts ...Option) *STS {
	s := &STS{roles: roles, keys: keys}
	s.store = storage.Counting{Store: store, Writes: &s.gen}
	for _, o := range opts {
		o(s)
	}
	return s
}

// LookupTemporary returns an issued temporary credential.
func (s *STS) LookupTemporary(accessKeyID string) (TempCredential, bool, error) {
	var c TempCredential
	var ok bool
	err := s.store.View(func(tx storage.Tx) error {
		var err error
		c, ok, err = temporaryCredentials.Get(tx, globalScope, accessKeyID)
		return err
	})
	return c, ok, err
}

// GetCallerIdentity answers who signed the request.
func (s *STS) GetCallerIdentity(ctx *request.Context, _ *stsapi.GetCallerIdentityInput) (*stsapi.GetCallerIdentityOutput, error) {
	// The output and the three strings it points at in one allocation:
	// the call is the cheapest there is, made by every SDK's "who am I".
	o := &struct {
		out                  stsapi.GetCallerIdentityOutput
		account, arn, userID string
	}{account: ctx.Caller.Account, arn: ctx.Caller.ARN, userID: ctx.Caller.UserID}
	o.out = stsapi.GetCallerIdentityOutput{Account: &o.account, Arn: &o.arn, UserId: &o.userID}
	return &o.out, nil
}

// GetSessionToken issues credentials for the calling user (or root).
func (s *STS) GetSessionToken(ctx *request.Context, in *stsapi.GetSessionTokenInput) (*stsapi.GetSessionTokenOutput, error) {
	if ctx.Caller.SessionToken != "" {
		return nil, awserr.AccessDenied.New("Cannot call GetSessionToken with session credentials")
	}
	// IAM users may ask for 15 minutes to 36 hours (12 by default). Root
	// sessions are capped at one hour: AWS does not reject a longer
	// request from root, it shortens the session ("If the duration is
	// longer than one hour, the session for AWS account owners defaults
	// to one hour").
	d, err := duration(in.DurationSeconds, 43200, 900, 129600)
	if err != nil {
		return nil, err
	}
	if ctx.Caller.IsRoot() && d > time.Hour {
		d = time.Hour
	}
	mfaAt, err := s.checkMFA(ctx, in.SerialNumber, in.TokenCode)
	if err != nil {
		return nil, err
	}
	cred, err := s.issue(ctx, d, TempCredential{
		Account: ctx.Caller.Account, ARN: ctx.Caller.ARN, UserID: ctx.Caller.UserID, MFAAuthTime: mfaAt,
	})
	if err != nil {
		return nil, err
	}
	return &stsapi.GetSessionTokenOutput{Credentials: credentials(cred)}, nil
}

var sessionNamePattern = lazyre.New(`^[\w+=,.@-]{2,64}$`)

// AssumeRole issues credentials for a role session. The role's trust
// policy must allow the caller (or its account, whose own policies the
// authorizer then checks); AWS refuses the account root outright.
func (s *STS) AssumeRole(ctx *request.Context, in *stsapi.AssumeRoleInput) (*stsapi.AssumeRoleOutput, error) {
	roleARN, session := ptr.Deref(in.RoleArn), ptr.Deref(in.RoleSessionName)
	if !sessionNamePattern.MatchString(session) {
		return nil, awserr.ValidationError.New("1 validation error detected: Value '%s' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*", session)
	}
	if !strings.HasPrefix(roleARN, "arn:aws:iam::") || !strings.Contains(roleARN, ":role/") {
		return nil, awserr.ValidationError.New("%s is invalid", roleARN)
	}
	if in.ExternalId != nil && (len(*in.ExternalId) < 2 || len(*in.ExternalId) > 1224 || !externalIDPattern.MatchString(*in.ExternalId)) {
		return nil, awserr.ValidationError.New("1 validation error detected: Value '%s' at 'externalId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@:\\/-]*", *in.ExternalId)
	}
	if s.roles == nil {
		return nil, awserr.NotImplemented.New("niwa has no IAM service wired to find role %s", roleARN)
	}
	if ctx.Caller.IsRoot() {
		return nil, awserr.AccessDenied.New("Roles may not be assumed by root accounts.")
	}
	notAuthorized := awserr.AccessDenied.New("User: %s is not authorized to perform: sts:AssumeRole on resource: %s", ctx.Caller.ARN, roleARN)
	role, ok, err := s.roles.RoleByARN(roleARN)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, notAuthorized
	}
	principal, err := s.principal(ctx)
	if err != nil {
		return nil, err
	}
	tags, err := sessionTags(in.Tags)
	if err != nil {
		return nil, err
	}
	mfaAt, err := s.checkMFA(ctx, in.SerialNumber, in.TokenCode)
	if err != nil {
		return nil, err
	}
	req := iam.Request{Principal: principal, Action: "sts:AssumeRole", Resource: role.ARN, Context: s.trustContext(ctx, principal, tags)}
	if mfaAt != nil {
		req.Context.Set("aws:MultiFactorAuthPresent", "true")
		req.Context.Set("aws:MultiFactorAuthAge", "0")
	}
	req.Context.Set("sts:ExternalId", ptr.Deref(in.ExternalId))
	req.Context.Set("sts:RoleSessionName", session)
	sourceID := ptr.Deref(in.SourceIdentity)
	if ctx.Caller.SessionToken != "" {
		// A source identity, once set, persists through role chaining and
		// cannot be changed.
		if prev, ok, _ := s.LookupTemporary(ctx.Caller.AccessKeyID); ok && prev.SourceIdentity != "" {
			if sourceID != "" && sourceID != prev.SourceIdentity {
				return nil, awserr.AccessDenied.New("User: %s is not authorized to perform: sts:SetSourceIdentity on resource: %s: the source identity of a role session cannot be changed", ctx.Caller.ARN, roleARN)
			}
			sourceID = prev.SourceIdentity
		}
	}
	req.Context.Set("sts:SourceIdentity", sourceID)
	if !trusts(role, req) {
		return nil, notAuthorized
	}
	if len(tags) > 0 && !trusts(role, withAction(req, "sts:TagSession")) {
		return nil, awserr.AccessDenied.New("User: %s is not authorized to perform: sts:TagSession on resource: %s", ctx.Caller.ARN, roleARN)
	}
	if sourceID != "" && !trusts(role, withAction(req, "sts:SetSourceIdentity")) {
		return nil, awserr.AccessDenied.New("User: %s is not authorized to perform: sts:SetSourceIdentity on resource: %s", ctx.Caller.ARN, roleARN)
	}
	if in.DurationSeconds != nil && *in.DurationSeconds > 3600 && ctx.Caller.SessionToken != "" {
		// Role chaining: temporary credentials assume roles for at most
		// an hour, whatever the role allows.
		return nil, awserr.ValidationError.New("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
	}
	d, err := roleDuration(role, in.DurationSeconds)
	if err != nil {
		return nil, err
	}
	sess, err := sessionPolicies(in.Policy, in.PolicyArns)
	if err != nil {
		return nil, err
	}
	sess.Account, sess.RoleARN, sess.SessionName, sess.Tags, sess.SourceIdentity, sess.MFAAuthTime =
		role.Account, role.ARN, session, tags, sourceID, mfaAt
	if sess.TransitiveTagKeys, err = transitiveTags(in.TransitiveTagKeys, tags); err != nil {
		return nil, err
	}
	if ctx.Caller.SessionToken != "" {
		// The transitive tags of a chained session carry over, transitive
		// still, and cannot be overridden; its other tags do not.
		if prev, ok, _ := s.LookupTemporary(ctx.Caller.AccessKeyID); ok {
			for _, k := range prev.TransitiveTagKeys {
				v := prev.Tags[k]
				for nk, nv := range sess.Tags {
					if strings.EqualFold(nk, k) && nv != v {
						return nil, awserr.InvalidParameterValue.New("The session tag %s is transitive in the calling session and cannot be overridden.", k)
					}
				}
				if sess.Tags == nil {
					sess.Tags = map[string]string{}
				}
				sess.Tags[k] = v
				if !slices.ContainsFunc(sess.TransitiveTagKeys, func(t string) bool { return strings.EqualFold(t, k) }) {
					sess.TransitiveTagKeys = append(sess.TransitiveTagKeys, k)
				}
			}
		}
	}
	arn, userID := sessionIdentity(role, session)
	sess.ARN, sess.UserID = arn, userID
	cred, err := s.issue(ctx, d, sess)
	if err != nil {
		return nil, err
	}
	return &stsapi.AssumeRoleOutput{
		AssumedRoleUser:  &stsapi.AssumedRoleUser{Arn: ptr.To(arn), AssumedRoleId: ptr.To(userID)},
		Credentials:      credentials(cred),
		PackedPolicySize: packedSize(in.Policy, len(in.PolicyArns), len(in.Tags)),
		SourceIdentity:   strOrNil(sourceID),
	}, nil
}

var externalIDPattern = lazyre.New(`^[\w+=,.@:/-]+$`)

func withAction(r iam.Request, action string) iam.Request {
	r.Action = action
	return r
}

// trusts evaluates the role's trust policy for req.
func trusts(role Role, req iam.Request) bool {
	p, err := iam.Parse(role.TrustPolicy)
	if err != nil {
		return false
	}
	ok, _ := iam.ResourceAllows(p, req)
	return ok
}

// principal is the caller as trust policies see it: an assumed-role
// session also matches its role's ARN.
func (s *STS) principal(ctx *request.Context) (iam.Principal, error) {
	c := ctx.Caller
	p := iam.Principal{ARN: c.ARN, Account: c.Account, UserID: c.UserID, Anonymous: c.Anonymous}
	if strings.Contains(c.ARN, ":assumed-role/") {
		t, ok, err := s.LookupTemporary(c.AccessKeyID)
		if err != nil {
			return p, err
		}
		if ok {
			p.RoleARN = t.RoleARN
		}
	}
	return p, nil
}

// trustContext is the condition context of a trust policy evaluation.
func (s *STS) trustContext(ctx *request.Context, p iam.Principal, tags map[string]string) iam.Context {
	c := iam.Context{}
	now := ctx.Now().UTC()
	c.Set("aws:CurrentTime", now.Format("2006-01-02T15:04:05Z"))
	c.Set("aws:EpochTime", fmt.Sprint(now.Unix()))
	c.Set("aws:SourceIp", ctx.SourceIP)
	if p.RoleARN != "" {
		c.Set("aws:PrincipalArn", p.RoleARN)
	} else {
		c.Set("aws:PrincipalArn", p.ARN)
	}
	c.Set("aws:PrincipalAccount", p.Account)
	c.Set("aws:userid", p.UserID)
	if ctx.Caller.SessionToken != "" {
		// A session's MFA proof travels with it (GetSessionToken with
		// MFA, then AssumeRole); long-term keys carry no such key.
		if t, ok, _ := s.LookupTemporary(ctx.Caller.AccessKeyID); ok && t.MFAAuthTime != nil {
			c.Set("aws:MultiFactorAuthPresent", "true")
			c.Set("aws:MultiFactorAuthAge", fmt.Sprint(int64(now.Sub(*t.MFAAuthTime)/time.Second)))
		} else {
			c.Set("aws:MultiFactorAuthPresent", "false")
		}
	}
	var keys []string
	for k, v := range tags {
		c["aws:requesttag/"+strings.ToLower(k)] = []string{v}
		keys = append(keys, k)
	}
	if len(keys) > 0 {
		c["aws:tagkeys"] = keys
	}
	return c
}

// transitiveTags checks TransitiveTagKeys: each must name one of the
// session tags (in any case); it returns them as the tags spell them.
func transitiveTags(keys []string, tags map[string]string) ([]string, error) {
	var out []string
	for _, k := range keys {
		found := ""
		for tk := range tags {
			if strings.EqualFold(tk, k) {
				found = tk
			}
		}
		if found == "" {
			return nil, awserr.InvalidParameterValue.New("The transitive tag key %s is not one of the session tags.", k)
		}
		out = append(out, found)
	}
	return out, nil
}

// sessionTags reads AssumeRole's Tags (at most 50; keys unique without
// regard to case).
func sessionTags(in []stsapi.Tag) (map[string]string, error) {
	if len(in) == 0 {
		return nil, nil
	}
	if len(in) > 50 {
		return nil, awserr.ValidationError.New("1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50")
	}
	out := map[string]string{}
	seen := map[string]bool{}
	for _, t := range in {
		k := ptr.Deref(t.Key)
		if seen[strings.ToLower(k)] {
			return nil, awserr.InvalidParameterValue.New("Duplicate tag keys found. Please note that Tag keys are case insensitive.")
		}
		seen[strings.ToLower(k)] = true
		out[k] = ptr.Deref(t.Value)
	}
	return out, nil
}

// sessionPolicies checks and keeps the session policies of a request.
func sessionPolicies(policy *string, arns []stsapi.PolicyDescriptorType) (TempCredential, error) {
	var c TempCredential
	if policy != nil {
		if _, err := iam.Parse(*policy); err != nil {
			return c, awserr.Code{Code: "MalformedPolicyDocument", Status: 400, Sender: true}.New("%s", err.Error())
		}
		c.SessionPolicy = *policy
		c.SessionPolicies = true
	}
	if len(arns) > 10 {
		return c, awserr.ValidationError.New("1 validation error detected: Value at 'policyArns' failed to satisfy constraint: Member must have length less than or equal to 10")
	}
	for _, a := range arns {
		c.PolicyArns = append(c.PolicyArns, ptr.Deref(a.Arn))
		c.SessionPolicies = true
	}
	return c, nil
}

func roleDuration(role Role, in *int32) (time.Duration, error) {
	max := role.MaxSessionDuration
	if max == 0 {
		max = 3600
	}
	if in != nil && *in > max {
		return 0, awserr.ValidationError.New("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}
	return duration(in, 3600, 900, 43200)
}

func sessionIdentity(role Role, session string) (arn, userID string) {
	return fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/%s", role.Account, role.Name, session), role.ID + ":" + session
}

// packedSize is PackedPolicySize: a percentage of the limit, reported
// only when session policies or tags were passed.
func packedSize(policy *string, arns, tags int) *int32 {
	if policy == nil && arns == 0 && tags == 0 {
		return nil
	}
	n := int32(6 + len(ptr.Deref(policy))/20 + arns*2 + tags*2)
	if n > 100 {
		n = 100
	}
	return &n
}

// GetAccessKeyInfo returns the account an access key belongs to.
func (s *STS) GetAccessKeyInfo(ctx *request.Context, in *stsapi.GetAccessKeyInfoInput) (*stsapi.GetAccessKeyInfoOutput, error) {
	id := ptr.Deref(in.AccessKeyId)
	if c, ok, err := s.LookupTemporary(id); err != nil {
		return nil, err
	} else if ok {
		return &stsapi.GetAccessKeyInfoOutput{Account: ptr.To(c.Account)}, nil
	}
	if s.keys != nil {
		if account, ok, err := s.keys.AccessKeyAccount(id); err != nil {
			return nil, err
		} else if ok {
			return &stsapi.GetAccessKeyInfoOutput{Account: ptr.To(account)}, nil
		}
	}
	// AWS answers for any well-formed key (the account is encoded in the
	// key id); a key niwa never issued resolves to the caller's account.
	return &stsapi.GetAccessKeyInfoOutput{Account: ptr.To(ctx.Caller.Account)}, nil
}

func (s *STS) issue(ctx *request.Context, d time.Duration, c TempCredential) (TempCredential, error) {
	c.AccessKeyID = "ASIA" + randomUpper(16)
	c.SecretAccessKey = randomSecret()
	c.SessionToken = randomToken()
	c.Expiration = ctx.Now().Add(d).UTC().Truncate(time.Second)
	c.SourceAccessKeyID = ctx.Caller.AccessKeyID
	err := s.store.Update(func(tx storage.Tx) error {
		return temporaryCredentials.Put(tx, globalScope, c, c.AccessKeyID)
	})
	return c, err
}

func credentials(c TempCredential) *stsapi.Credentials {
	exp := c.Expiration
	return &stsapi.Credentials{
		AccessKeyId:     ptr.To(c.AccessKeyID),
		SecretAccessKey: ptr.To(c.SecretAccessKey),
		SessionToken:    ptr.To(c.SessionToken),
		Expiration:      &exp,
	}
}

func duration(in *int32, def, min, max int32) (time.Duration, error) {
	v := def
	if in != nil {
		v = *in
	}
	if v < min || v > max {
		return 0, awserr.ValidationError.New("1 validation error detected: Value '%d' at 'durationSeconds' failed to satisfy constraint: Member must have value %s", v,
			map[bool]string{true: fmt.Sprintf("greater than or equal to %d", min), false: fmt.Sprintf("less than or equal to %d", max)}[v < min])
	}
	return time.Duration(v) * time.Second, nil
}

const upperAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

func randomUpper(n int) string {
	return awsid.String(upperAlnum, n)
}

func randomSecret() string {
	return awsid.Base64(30) // 40 characters
}

func randomToken() string {
	return "IQoJb3JpZ2luX2Vj" + awsid.Base64(96)
}

// checkMFA verifies SerialNumber and TokenCode when the caller passes them:
// the device must be the calling IAM user's (or the root's) and the code
// current and unused. It returns when the proof was made, nil without one.
func (s *STS) checkMFA(ctx *request.Context, serial, code *string) (*time.Time, error) {
	if serial == nil && code == nil {
		return nil, nil
	}
	failed := awserr.AccessDenied.New("MultiFactorAuthentication failed with invalid MFA one time pass code. ")
	if serial == nil || code == nil || s.mfa == nil {
		return nil, failed
	}
	user, ok, err := s.mfa.VerifyMFACode(ctx.Caller.Account, *serial, *code, ctx.Now())
	if err != nil {
		return nil, err
	}
	caller := ""
	if !ctx.Caller.IsRoot() {
		parts := strings.SplitN(ctx.Caller.ARN, ":", 6)
		if len(parts) != 6 || !strings.HasPrefix(parts[5], "user/") {
			return nil, failed
		}
		caller = parts[5][strings.LastIndexByte(parts[5], '/')+1:]
	}
	if !ok || !strings.EqualFold(user, caller) {
		return nil, failed
	}
	at := ctx.Now().UTC()
	return &at, nil
}
