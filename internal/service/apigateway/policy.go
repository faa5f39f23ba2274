package apigateway

import (
	"strings"

	apigatewayapi "github.com/niwa-cloud/niwa/internal/api/apigateway"
	"github.com/niwa-cloud/niwa/internal/iam"
	"github.com/niwa-cloud/niwa/internal/netpos"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// Resource policies on a REST API (its policy field), evaluated on every
// invoke with niwa's IAM engine: execute-api:Invoke on the method ARN,
// with aws:SourceIp (the caller's address) or, for calls that came
// through a VPC endpoint, aws:SourceVpc and aws:SourceVpce.

// checkPolicyDocument refuses a policy that does not parse.
func checkPolicyDocument(doc *string) error {
	if ptr.Deref(doc) == "" {
		return nil
	}
	if _, err := iam.Parse(expandExecuteAPI(*doc, "us-east-1", "000000000000", "a")); err != nil {
		return apigatewayapi.ErrBadRequestException.New("Invalid policy document. Please check the policy syntax and ensure that Principals are valid.")
	}
	return nil
}

// expandExecuteAPI turns the console's shorthand resources
// ("execute-api:/stage/GET/path") into the API's full ARNs, as API
// Gateway does when it stores a policy.
func expandExecuteAPI(doc, region, account, apiID string) string {
	return strings.ReplaceAll(doc, `"execute-api:/`, `"arn:aws:execute-api:`+region+`:`+account+`:`+apiID+`/`)
}

// maskedARN is the method ARN as AWS prints it in denials: the account
// id masked but for its last four digits.
func maskedARN(arn, account string) string {
	if len(account) > 4 {
		return strings.Replace(arn, ":"+account+":", ":"+strings.Repeat("*", len(account)-4)+account[len(account)-4:]+":", 1)
	}
	return arn
}

// originContext is the request's network origin as condition keys, and
// the source address to report (the proxy's origin when niwa's egress
// proxy handed the request over).
func (c *call) originContext() iam.Context {
	ctx := iam.Context{}
	if o, ok := netpos.OriginFrom(c.r.Context()); ok && o.Endpoint.ID != "" {
		ctx.Set("aws:SourceVpc", o.VpcID)
		ctx.Set("aws:SourceVpce", o.Endpoint.ID)
		return ctx
	}
	ctx.Set("aws:SourceIp", sourceIP(c.r))
	return ctx
}

// checkResourcePolicy applies the API's resource policy: an explicit
// deny refuses; with no allow, methods without their own authorization
// (NONE) are refused while IAM and Lambda-authorized ones go on to
// their own check.
func (c *call) checkResourcePolicy() (gatewayError, bool) {
	doc := ptr.Deref(c.api.API.Policy)
	if doc == "" {
		return gatewayError{}, true
	}
	arn := c.methodARN()
	pol, err := iam.Parse(expandExecuteAPI(doc, c.loc.Region, c.loc.Account, c.apiID))
	if err != nil {
		return errNotConfigured, false
	}
	d := iam.Evaluate(iam.Request{
		Principal: iam.Principal{Anonymous: true},
		Action:    "execute-api:Invoke", Resource: arn, Context: c.originContext(),
	}, iam.Policies{Resource: pol, ResourceAccount: c.loc.Account})
	msg := "User: anonymous is not authorized to perform: execute-api:Invoke on resource: " + maskedARN(arn, c.loc.Account)
	switch d.Reason {
	case iam.Allowed:
		return gatewayError{}, true
	case iam.ExplicitDeny:
		return gatewayError{typ: "ACCESS_DENIED", status: 403, kind: "AccessDeniedException", message: msg + " with an explicit deny", template: capitalMessageTemplate}, false
	}
	switch ptr.Deref(c.method.AuthorizationType) {
	case "AWS_IAM", "CUSTOM":
		return gatewayError{}, true
	}
	return gatewayError{typ: "ACCESS_DENIED", status: 403, kind: "AccessDeniedException", message: msg, template: capitalMessageTemplate}, false
}
