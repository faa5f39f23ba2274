// Package sts is the AWS Security Token Service: who is calling, and
// temporary credentials that sign later requests like any other key.
package sts

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"
	"time"

	stsapi "github.com/niwa-cloud/niwa/internal/api/sts"
	"github.com/niwa-cloud/niwa/internal/awserr"
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

// STS implements the service.
type STS struct {
	store storage.Store
	roles Roles
	keys  AccessKeys
}

// New returns the STS service. roles may be nil when IAM is not wired;
// keys may be nil, and then GetAccessKeyInfo knows only the temporary
// keys STS issued.
func New(store storage.Store, roles Roles, keys AccessKeys) *STS {
	return &STS{store: store, roles: roles, keys: keys}
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
	return &stsapi.GetCallerIdentityOutput{
		Account: str(ctx.Caller.Account),
		Arn:     str(ctx.Caller.ARN),
		UserId:  str(ctx.Caller.UserID),
	}, nil
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
	cred, err := s.issue(ctx, d, TempCredential{
		Account: ctx.Caller.Account, ARN: ctx.Caller.ARN, UserID: ctx.Caller.UserID,
	})
	if err != nil {
		return nil, err
	}
	return &stsapi.GetSessionTokenOutput{Credentials: credentials(cred)}, nil
}

var sessionNamePattern = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)

// AssumeRole issues credentials for a role session. Trust-policy
// evaluation belongs to the IAM policy engine; until it is wired every
// principal of the role's account may assume the role.
func (s *STS) AssumeRole(ctx *request.Context, in *stsapi.AssumeRoleInput) (*stsapi.AssumeRoleOutput, error) {
	roleARN, session := deref(in.RoleArn), deref(in.RoleSessionName)
	if !sessionNamePattern.MatchString(session) {
		return nil, awserr.ValidationError.New("1 validation error detected: Value '%s' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*", session)
	}
	if !strings.HasPrefix(roleARN, "arn:aws:iam::") || !strings.Contains(roleARN, ":role/") {
		return nil, awserr.ValidationError.New("%s is invalid", roleARN)
	}
	if s.roles == nil {
		return nil, awserr.NotImplemented.New("niwa has no IAM service wired to find role %s", roleARN)
	}
	role, ok, err := s.roles.RoleByARN(roleARN)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, awserr.AccessDenied.New("User: %s is not authorized to perform: sts:AssumeRole on resource: %s", ctx.Caller.ARN, roleARN)
	}
	max := role.MaxSessionDuration
	if max == 0 {
		max = 3600
	}
	if in.DurationSeconds != nil && *in.DurationSeconds > 3600 && ctx.Caller.SessionToken != "" {
		// Role chaining: temporary credentials assume roles for at most
		// an hour, whatever the role allows.
		return nil, awserr.ValidationError.New("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
	}
	if in.DurationSeconds != nil && *in.DurationSeconds > max {
		return nil, awserr.ValidationError.New("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}
	d, err := duration(in.DurationSeconds, 3600, 900, 43200)
	if err != nil {
		return nil, err
	}
	arn := fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/%s", role.Account, role.Name, session)
	userID := role.ID + ":" + session
	cred, err := s.issue(ctx, d, TempCredential{
		Account: role.Account, ARN: arn, UserID: userID, RoleARN: role.ARN, SessionName: session,
	})
	if err != nil {
		return nil, err
	}
	return &stsapi.AssumeRoleOutput{
		AssumedRoleUser: &stsapi.AssumedRoleUser{Arn: str(arn), AssumedRoleId: str(userID)},
		Credentials:     credentials(cred),
		PackedPolicySize: func() *int32 {
			if in.Policy == nil && len(in.PolicyArns) == 0 && len(in.Tags) == 0 {
				return nil
			}
			n := int32(6)
			return &n
		}(),
		SourceIdentity: in.SourceIdentity,
	}, nil
}

// GetAccessKeyInfo returns the account an access key belongs to.
func (s *STS) GetAccessKeyInfo(ctx *request.Context, in *stsapi.GetAccessKeyInfoInput) (*stsapi.GetAccessKeyInfoOutput, error) {
	id := deref(in.AccessKeyId)
	if c, ok, err := s.LookupTemporary(id); err != nil {
		return nil, err
	} else if ok {
		return &stsapi.GetAccessKeyInfoOutput{Account: str(c.Account)}, nil
	}
	if s.keys != nil {
		if account, ok, err := s.keys.AccessKeyAccount(id); err != nil {
			return nil, err
		} else if ok {
			return &stsapi.GetAccessKeyInfoOutput{Account: str(account)}, nil
		}
	}
	// AWS answers for any well-formed key (the account is encoded in the
	// key id); a key niwa never issued resolves to the caller's account.
	return &stsapi.GetAccessKeyInfoOutput{Account: str(ctx.Caller.Account)}, nil
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
		AccessKeyId:     str(c.AccessKeyID),
		SecretAccessKey: str(c.SecretAccessKey),
		SessionToken:    str(c.SessionToken),
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
	b := make([]byte, n)
	rand.Read(b)
	for i := range b {
		b[i] = upperAlnum[int(b[i])%len(upperAlnum)]
	}
	return string(b)
}

func randomSecret() string {
	b := make([]byte, 30)
	rand.Read(b)
	return base64.StdEncoding.EncodeToString(b) // 40 characters
}

func randomToken() string {
	b := make([]byte, 96)
	rand.Read(b)
	return "IQoJb3JpZ2luX2Vj" + base64.StdEncoding.EncodeToString(b)
}

func str(s string) *string { return &s }

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
