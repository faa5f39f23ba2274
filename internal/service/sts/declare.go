package sts

import (
	"context"
	"fmt"

	"github.com/niwa-cloud/niwa/internal/iam"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/request"
)

// Declare is STS as the platform sees it: the federation calls
// authenticate by what they carry, anyone may ask who they are, and
// GetFederationToken sessions may call nothing else here.
func (s *STS) Declare() kit.Declaration {
	a := authzRules
	if s.roles != nil {
		// sts:AssumeRole is allowed by the role's trust policy, which
		// must allow it whoever the caller.
		a.Policies, a.PolicyName, a.PolicyRequired = trustPolicies{s.roles}, "trust policy", true
	}
	return kit.Declaration{Impl: s, Authz: a, Reset: s.reset}
}

// trustPolicies are the resource policies of the roles STS assumes.
type trustPolicies struct{ roles Roles }

func (t trustPolicies) ResourcePolicy(_ context.Context, arn string) (string, string, bool, error) {
	role, ok, err := t.roles.RoleByARN(arn)
	if err != nil || !ok {
		return "", "", ok, err
	}
	return role.TrustPolicy, role.Account, true, nil
}

var authzRules = kit.Authz{
	Resources: resources,
	Context:   contextKeys,
	// AWS serves the federation calls without a signature: the SAML
	// assertion or web identity token is the authentication.
	Unauthenticated: kit.Set("AssumeRoleWithSAML", "AssumeRoleWithWebIdentity"),
	// Anyone may ask who they are.
	Unchecked: kit.Set("GetCallerIdentity"),
	// IAM users get session tokens "without permissions", but a Deny
	// holds.
	AllowedUnlessDenied: kit.Set("GetSessionToken"),
	HandlerRefuses:      handlerRefuses,
	DenialMessage:       denialMessage,
	// "You cannot call any STS operations except GetCallerIdentity" with
	// GetFederationToken credentials.
	NotForFederated: true,
	// Assuming a role is not passing it.
	NamesRoles: true,
}

// handlerRefuses are the calls STS answers with its own error whatever
// the policies: "Roles may not be assumed by root accounts." and
// "Cannot call GetFederationToken/GetSessionToken with session
// credentials".
func handlerRefuses(op string, caller request.Caller) bool {
	switch op {
	case "AssumeRole":
		return caller.IsRoot()
	case "GetFederationToken", "GetSessionToken":
		return caller.SessionToken != ""
	}
	return false
}

// denialMessage: a trust policy that does not name the caller, and STS
// says no more than that the caller may not assume the role.
func denialMessage(req iam.Request, dec iam.Decision) (string, bool) {
	if req.Action != "sts:AssumeRole" || dec.Reason != iam.ImplicitDeny || dec.Layer != iam.LayerResource {
		return "", false
	}
	return fmt.Sprintf("User: %s is not authorized to perform: sts:AssumeRole on resource: %s", req.Principal.ARN, req.Resource), true
}

func resources(op string, in kit.Input, env kit.Env) []string {
	if r := in.Str("RoleArn"); r != "" {
		return []string{r}
	}
	if op == "GetFederationToken" {
		return []string{"arn:aws:sts::" + env.Account + ":federated-user/" + in.Str("Name")}
	}
	return nil
}

func contextKeys(op string, in kit.Input) iam.Context {
	c := iam.Context{}
	c.Set("sts:externalid", in.Str("ExternalId"))
	c.Set("sts:rolesessionname", in.Str("RoleSessionName"))
	c.Set("sts:sourceidentity", in.Str("SourceIdentity"))
	if in.Str("SerialNumber") != "" && in.Str("TokenCode") != "" {
		// An MFA code in the request: the STS handler verifies it before
		// it issues anything.
		c.Set("aws:MultiFactorAuthPresent", "true")
		c.Set("aws:MultiFactorAuthAge", "0")
	}
	return c
}
