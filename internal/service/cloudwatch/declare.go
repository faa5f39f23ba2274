package cloudwatch

import (
	"fmt"

	"github.com/niwa-cloud/niwa/internal/kit"
)

// Declare is CloudWatch as the platform sees it: calls are checked on the
// alarms (arn:aws:cloudwatch:<region>:<account>:alarm:<name>), dashboards
// (global: arn:aws:cloudwatch::<account>:dashboard/<name>) or insight rules
// they name, "*" otherwise (PutMetricData, GetMetricData: AWS has no
// resource-level permissions for metrics); alarm and insight rule tags
// answer aws:ResourceTag; Close stops the evaluation loop.
func (c *CloudWatch) Declare() kit.Declaration {
	return kit.Declaration{
		Resources: c.cfnResources(), // CloudFormation (cfn.go)

		Impl:      c,
		Namespace: "cloudwatch",
		Authz:     kit.Authz{Resources: resources},
		Tags:      c,
		// PutMetricData: "1 MB in size for HTTP POST requests".
		Limits: kit.Limits{MaxBody: 1 << 20},
		// CloudWatch's endpoints, VPC endpoint included, are "monitoring".
		Routing: kit.Routing{VPCEndpointService: "monitoring"},
		Close:   c.Close,
	}
}

func resources(op string, in kit.Input, env kit.Env) []string {
	if a := in.Str("ResourceARN"); a != "" {
		return []string{a}
	}
	named := func(member, format, region string) []string {
		var out []string
		for _, n := range append(in.Strs(member+"s"), in.Str(member)) {
			if n != "" {
				out = append(out, kit.ARN("cloudwatch", region, env.Account, fmt.Sprintf(format, n)))
			}
		}
		return out
	}
	if r := named("AlarmName", "alarm:%s", env.Region); r != nil {
		return r
	}
	if r := named("DashboardName", "dashboard/%s", ""); r != nil {
		return r
	}
	return named("RuleName", "insight-rule/%s", env.Region)
}
