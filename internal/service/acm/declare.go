package acm

import (
	"net/http"

	"github.com/niwa-cloud/niwa/internal/kit"
)

// Declare is ACM as the platform sees it: every certificate operation
// names its CertificateArn (the account-level ones — Request, Import
// without an ARN, List, account configuration — authorize on "*", as
// ACM's actions do), certificates carry tags, and the e-mail approval
// link is a raw route.
func (a *ACM) Declare() kit.Declaration {
	return kit.Declaration{
		Impl:      a,
		Namespace: "acm",
		Authz: kit.Authz{
			Resources: func(op string, in kit.Input, env kit.Env) []string {
				if arn := in.Str("CertificateArn"); arn != "" {
					return []string{arn}
				}
				return nil
			},
		},
		Tags:      kit.TagLookup(a.Tags),
		Resources: a.cfnResources(), // CloudFormation (cfn.go)
		Routes: []kit.Route{
			{Name: "acm", Match: func(r *http.Request) bool { return r.URL.Path == ApprovePath || r.URL.Path == ApprovalsPath }, Handler: a.HTTP()},
		},
	}
}
