package apigateway

import (
	"errors"
	"net/http"

	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/iam"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// AWS_IAM methods: the request's SigV4 signature is verified (niwa's
// verifier, wired by the server) and execute-api:Invoke on the method ARN
// is evaluated for the signer — its identity policies together with the
// API's resource policy, as IAM evaluates any request.

// Signatures verifies signed invokes and decides execute-api:Invoke.
type Signatures interface {
	// Authorize verifies r's signature (an *awserr.Error when it fails;
	// r.Body is replaced by the verified body) and evaluates
	// execute-api:Invoke on methodARN for the signer with the API's
	// resource policy (nil for none) owned by apiAccount and the extra
	// condition keys.
	Authorize(r *http.Request, apiAccount, methodARN string, policy *iam.Policy, keys iam.Context) (Invoker, error)
}

// Invoker is a verified signer and IAM's decision for it.
type Invoker struct {
	ARN, Account, UserID, AccessKey string
	// Decision is IAM's for execute-api:Invoke; CanInvalidate whether
	// execute-api:InvalidateCache is allowed too (Cache-Control:
	// max-age=0 on cached methods).
	Decision      iam.Reason
	CanInvalidate bool
}

// checkIAM authenticates and authorizes an AWS_IAM method's caller.
func (s *APIGateway) checkIAM(c *call) (gatewayError, bool) {
	r := c.r
	if r.Header.Get("Authorization") == "" && r.URL.Query().Get("X-Amz-Signature") == "" {
		return errMissingToken, false
	}
	if s.sigs == nil {
		// Without a verifier (unit tests' wiring) a signed call goes on.
		return gatewayError{}, true
	}
	var pol *iam.Policy
	if doc := ptr.Deref(c.api.API.Policy); doc != "" {
		p, err := iam.Parse(expandExecuteAPI(doc, c.loc.Region, c.loc.Account, c.apiID))
		if err != nil {
			return errNotConfigured, false
		}
		pol = p
	}
	arn := c.methodARN()
	inv, err := s.sigs.Authorize(r, c.loc.Account, arn, pol, c.originContext())
	if err != nil {
		var ae *awserr.Error
		if !errors.As(err, &ae) {
			return errInternal, false
		}
		switch ae.Code.Code {
		case "ExpiredToken", "ExpiredTokenException", "RequestExpired":
			return gatewayError{typ: "EXPIRED_TOKEN", status: 403, kind: "ExpiredTokenException", message: ae.Message}, false
		case "MissingAuthenticationToken", "MissingAuthenticationTokenException", "IncompleteSignature", "IncompleteSignatureException":
			return gatewayError{typ: "MISSING_AUTHENTICATION_TOKEN", status: 403, kind: "IncompleteSignatureException", message: ae.Message}, false
		case "UnrecognizedClientException", "InvalidClientTokenId":
			return gatewayError{typ: "UNAUTHORIZED", status: 403, kind: "UnrecognizedClientException", message: "The security token included in the request is invalid."}, false
		}
		return gatewayError{typ: "INVALID_SIGNATURE", status: 403, kind: "InvalidSignatureException", message: ae.Message}, false
	}
	c.invoker = &inv
	msg := "User: " + inv.ARN + " is not authorized to perform: execute-api:Invoke on resource: " + maskedARN(arn, c.loc.Account)
	switch inv.Decision {
	case iam.Allowed:
		return gatewayError{}, true
	case iam.ExplicitDeny:
		msg += " with an explicit deny"
	}
	return gatewayError{typ: "ACCESS_DENIED", status: 403, kind: "AccessDeniedException", message: msg, template: capitalMessageTemplate}, false
}
