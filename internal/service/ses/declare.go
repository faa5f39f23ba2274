package ses

import "github.com/niwa-cloud/niwa/internal/kit"

// DeclareV1 is SES's classic API as the platform sees it: the outbox, the
// verification links and LocalStack's /_aws/ses are raw routes of the
// Core both APIs share.
func (c *Core) DeclareV1() kit.Declaration {
	return kit.Declaration{
		Impl:   NewV1(c),
		Routes: []kit.Route{{Name: "ses", Match: c.Matches, Handler: c.HTTP()}},
		// SendRawEmail takes 10 MB messages, base64 in a form: about 14
		// MB (the handler refuses an over-long message itself).
		Limits:    kit.Limits{MaxBody: 20 << 20},
		Audit:     audit(),
		Resources: c.cfnResourcesV1(), // CloudFormation (cfn.go)
	}
}

// DeclareV2 is SES v2: its IAM actions are ses:SendEmail,
// ses:CreateEmailIdentity... (the prefix is SES's, not "sesv2").
func (c *Core) DeclareV2() kit.Declaration {
	return kit.Declaration{
		Impl:  NewV2(c),
		Authz: kit.Authz{Prefix: "ses"},
		// v2 SendEmail takes 40 MB messages, base64 in JSON: about 54 MB.
		Limits:    kit.Limits{MaxBody: 56 << 20},
		Audit:     audit(),
		Resources: c.cfnResourcesV2(), // CloudFormation (cfn.go)
		NotImplemented: kit.Reasons{}.
			Add("the Deliverability dashboard reports inbox placement, blocklistings and campaign engagement that mailbox providers observe for mail delivered on the Internet; niwa delivers no mail outside itself",
				"GetDeliverabilityDashboardOptions", "PutDeliverabilityDashboardOption", "CreateDeliverabilityTestReport",
				"GetDeliverabilityTestReport", "ListDeliverabilityTestReports", "GetDomainDeliverabilityCampaign",
				"ListDomainDeliverabilityCampaigns", "GetBlacklistReports", "GetDomainStatisticsReport").
			Add("Virtual Deliverability Manager analyses opens, clicks and mailbox provider feedback for mail delivered on the Internet; niwa delivers no mail outside itself",
				"PutAccountVdmAttributes", "PutConfigurationSetVdmOptions", "GetMessageInsights", "ListRecommendations", "BatchGetMetricData").
			Add("export jobs export Virtual Deliverability Manager metrics and message insights, which exist only for mail delivered on the Internet; niwa delivers no mail outside itself (the outbox endpoint lists what was sent)",
				"CreateExportJob", "GetExportJob", "ListExportJobs", "CancelExportJob").
			Add("dedicated IPs are public IPv4 addresses leased from AWS that SES sends Internet mail from; niwa has none and sends no mail outside itself",
				"GetDedicatedIp", "GetDedicatedIps", "PutDedicatedIpInPool", "PutDedicatedIpWarmupAttributes",
				"PutAccountDedicatedIpWarmupAttributes", "PutDedicatedIpPoolScalingAttributes"),
	}
}

// audit: both APIs answer at email.<region> but record as
// ses.amazonaws.com.
func audit() kit.Audit { return kit.Audit{EventSource: "ses"} }
