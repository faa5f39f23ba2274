package sts

import (
	"fmt"
	"time"

	stsapi "github.com/niwa-cloud/niwa/internal/api/sts"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/lazyre"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
)

var federatedNamePattern = lazyre.New(`^[\w+=,.@-]+$`)

// GetFederationToken issues credentials for a federated user: a session
// named by the caller, whose permissions are the intersection of the
// calling IAM user's policies (all of root's, for the root user) and the
// session policies passed. AWS: "if you do not pass any session
// policies, then the resulting federated user session has no
// permissions" — the stored credential always carries a (possibly empty)
// set of session policies, so the authorizer intersects with it.
//
// Only long-term credentials may call it: temporary credentials are
// refused with AWS's message. Root sessions are capped at one hour
// (a longer request is shortened, not refused, as for GetSessionToken).
func (s *STS) GetFederationToken(ctx *request.Context, in *stsapi.GetFederationTokenInput) (*stsapi.GetFederationTokenOutput, error) {
	name := ptr.Deref(in.Name)
	switch {
	case len(name) < 2:
		return nil, awserr.ValidationError.New("1 validation error detected: Value '%s' at 'name' failed to satisfy constraint: Member must have length greater than or equal to 2", name)
	case len(name) > 32:
		return nil, awserr.ValidationError.New("1 validation error detected: Value '%s' at 'name' failed to satisfy constraint: Member must have length less than or equal to 32", name)
	case !federatedNamePattern.MatchString(name):
		return nil, awserr.ValidationError.New("1 validation error detected: Value '%s' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+", name)
	}
	if ctx.Caller.SessionToken != "" {
		return nil, awserr.AccessDenied.New("Cannot call GetFederationToken with session credentials")
	}
	d, err := duration(in.DurationSeconds, 43200, 900, 129600)
	if err != nil {
		return nil, err
	}
	if ctx.Caller.IsRoot() && d > time.Hour {
		d = time.Hour
	}
	tags, err := sessionTags(in.Tags)
	if err != nil {
		return nil, err
	}
	sess, err := sessionPolicies(in.Policy, in.PolicyArns)
	if err != nil {
		return nil, err
	}
	account := ctx.Caller.Account
	sess.SessionPolicies = true // none passed: the session may do nothing
	sess.Account, sess.SessionName, sess.Tags = account, name, tags
	sess.FederatedBy = ctx.Caller.ARN
	sess.ARN, sess.UserID = FederatedUserARN(account, name), account+":"+name
	cred, err := s.issue(ctx, d, sess)
	if err != nil {
		return nil, err
	}
	return &stsapi.GetFederationTokenOutput{
		Credentials:      credentials(cred),
		FederatedUser:    &stsapi.FederatedUser{Arn: ptr.To(cred.ARN), FederatedUserId: ptr.To(cred.UserID)},
		PackedPolicySize: packedSize(in.Policy, len(in.PolicyArns), len(in.Tags)),
	}, nil
}

// FederatedUserARN is the ARN of a GetFederationToken session.
func FederatedUserARN(account, name string) string {
	return fmt.Sprintf("arn:aws:sts::%s:federated-user/%s", account, name)
}
