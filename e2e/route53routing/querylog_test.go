package route53routing

import (
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// TestQueryLoggingConfigWithLogs: boto3 against niwa's own CloudWatch
// Logs: a missing group and a group without a resource policy for
// route53.amazonaws.com are refused as AWS refuses them; with the policy
// the config is created, listed and deleted; reusable delegation sets and
// the account limits answer.
func TestQueryLoggingConfigWithLogs(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	out := n.Python(t, `
import boto3, json
r = boto3.client("route53", region_name="us-east-1")
logs = boto3.client("logs", region_name="us-east-1")
acct = boto3.client("sts").get_caller_identity()["Account"]
z = r.create_hosted_zone(Name="logged.example", CallerReference="z")["HostedZone"]["Id"]
arn = "arn:aws:logs:us-east-1:%s:log-group:/aws/route53/logged.example:*" % acct
def code(f):
    try:
        f()
        return "ok"
    except r.exceptions.ClientError as e:
        return e.response["Error"]["Code"]
print(code(lambda: r.create_query_logging_config(HostedZoneId=z, CloudWatchLogsLogGroupArn=arn)))
logs.create_log_group(logGroupName="/aws/route53/logged.example")
print(code(lambda: r.create_query_logging_config(HostedZoneId=z, CloudWatchLogsLogGroupArn=arn)))
logs.put_resource_policy(policyName="route53", policyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "route53.amazonaws.com"},
    "Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource": "arn:aws:logs:us-east-1:%s:log-group:/aws/route53/*" % acct}]}))
c = r.create_query_logging_config(HostedZoneId=z, CloudWatchLogsLogGroupArn=arn)["QueryLoggingConfig"]
print(len(r.list_query_logging_configs(HostedZoneId=z)["QueryLoggingConfigs"]))
r.delete_query_logging_config(Id=c["Id"])
print(code(lambda: r.get_query_logging_config(Id=c["Id"])))
ds = r.create_reusable_delegation_set(CallerReference="d")["DelegationSet"]
z2 = r.create_hosted_zone(Name="shared.example", CallerReference="z2", DelegationSetId=ds["Id"])
print(z2["DelegationSet"]["NameServers"] == ds["NameServers"])
print(r.get_account_limit(Type="MAX_HOSTED_ZONES_BY_OWNER")["Limit"]["Value"])
`)
	want := "NoSuchCloudWatchLogsLogGroup\nInsufficientCloudWatchLogsResourcePolicy\n1\nNoSuchQueryLoggingConfig\nTrue\n500"
	if got := strings.TrimSpace(out); got != want {
		t.Fatalf("got:\n%s\nwant:\n%s", got, want)
	}
}
