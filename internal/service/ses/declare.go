package ses

import "github.com/niwa-cloud/niwa/internal/kit"

// DeclareV1 is SES's classic API as the platform sees it: the outbox, the
// verification links and LocalStack's /_aws/ses are raw routes of the
// Core both APIs share.
func (c *Core) DeclareV1() kit.Declaration {
	return kit.Declaration{
		Impl:   NewV1(c),
		Routes: []kit.Route{{Name: "ses", Match: c.Matches, Handler: c.HTTP()}},
	}
}

// DeclareV2 is SES v2: its IAM actions are ses:SendEmail,
// ses:CreateEmailIdentity... (the prefix is SES's, not "sesv2").
func (c *Core) DeclareV2() kit.Declaration {
	return kit.Declaration{
		Impl:  NewV2(c),
		Authz: kit.Authz{Prefix: "ses"},
	}
}
