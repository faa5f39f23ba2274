package cfnproviders

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// TestProviders: one stack with a resource of most provided types (SQS,
// SNS, S3, IAM, KMS, Secrets Manager, SSM, Logs, CloudWatch, EventBridge,
// Scheduler) completes, each resource exists in its service as the
// template says, and deleting the stack removes them.
func TestProviders(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	cli := framework.CLIs[0]
	tpl := filepath.Join(framework.RepoRoot(), "e2e", "cfnproviders", "testdata", "providers.yaml")
	n.MustCLI(t, cli, "cloudformation", "create-stack", "--stack-name", "all", "--template-body", "file://"+tpl, "--capabilities", "CAPABILITY_IAM")
	if st := settle(t, n, cli, "all"); st != "CREATE_COMPLETE" {
		t.Fatalf("create: %s\n%s", st, strings.Join(n.StackEvents(t, cli, "all"), "\n"))
	}
	s := n.DescribeStack(t, cli, "all")
	var res struct {
		StackResources []struct{ LogicalResourceId, PhysicalResourceId, ResourceStatus string }
	}
	if err := json.Unmarshal([]byte(n.MustCLI(t, cli, "cloudformation", "describe-stack-resources", "--stack-name", "all")), &res); err != nil {
		t.Fatal(err)
	}
	phys := map[string]string{}
	for _, r := range res.StackResources {
		if r.ResourceStatus != "CREATE_COMPLETE" {
			t.Fatalf("resource %+v", r)
		}
		phys[r.LogicalResourceId] = r.PhysicalResourceId
	}
	// One boto3 process reads every service (quicker than a CLI per call).
	ids, _ := json.Marshal(map[string]string{"secret": phys["Secret"], "key": phys["Key"], "alarm": phys["Alarm"], "topic": phys["Topic"],
		"queue": phys["Queue"], "param": s.Output("Param"), "logs": phys["Logs"], "role": phys["Role"], "managed": phys["Managed"],
		"profile": phys["Profile"], "user": phys["User"], "accesskey": phys["AccessKey"], "schedule": phys["Schedule"],
		"bucket": phys["Bucket"], "rule": phys["Rule"]})
	out := n.Python(t, strings.ReplaceAll(`
import boto3, json
ids = json.loads('''IDS''')
c = boto3.client
assert json.loads(c("secretsmanager").get_secret_value(SecretId=ids["secret"])["SecretString"])["username"] == "admin"
assert c("kms").describe_key(KeyId="alias/cfn-test")["KeyMetadata"]["KeyId"] == ids["key"]
assert c("kms").get_key_rotation_status(KeyId=ids["key"])["KeyRotationEnabled"]
assert c("cloudwatch").describe_alarms(AlarmNames=[ids["alarm"]])["MetricAlarms"][0]["Threshold"] == 5
assert c("sns").list_subscriptions_by_topic(TopicArn=ids["topic"])["Subscriptions"][0]["Protocol"] == "sqs"
assert "sns.amazonaws.com" in c("sqs").get_queue_attributes(QueueUrl=ids["queue"], AttributeNames=["Policy"])["Attributes"]["Policy"]
assert c("ssm").get_parameter(Name=ids["param"])["Parameter"]["Value"] == ids["queue"]
assert c("logs").describe_log_groups(logGroupNamePrefix=ids["logs"])["logGroups"][0]["retentionInDays"] == 7
assert c("iam").list_attached_role_policies(RoleName=ids["role"])["AttachedPolicies"][0]["PolicyArn"] == ids["managed"]
assert c("iam").get_instance_profile(InstanceProfileName=ids["profile"])["InstanceProfile"]["Roles"][0]["RoleName"] == ids["role"]
assert c("iam").list_access_keys(UserName=ids["user"])["AccessKeyMetadata"][0]["AccessKeyId"] == ids["accesskey"]
assert c("scheduler").get_schedule(Name=ids["schedule"])["ScheduleExpression"] == "rate(5 minutes)"
assert c("s3").get_bucket_versioning(Bucket=ids["bucket"])["Status"] == "Enabled"
assert "s3:DeleteBucket" in c("s3").get_bucket_policy(Bucket=ids["bucket"])["Policy"]
assert c("events").list_targets_by_rule(Rule=ids["rule"])["Targets"][0]["Arn"].endswith(ids["queue"].rsplit("/", 1)[1])
print("ok")
`, "IDS", string(ids)))
	if strings.TrimSpace(out) != "ok" {
		t.Fatalf("checks: %s", out)
	}
	n.MustCLI(t, cli, "cloudformation", "delete-stack", "--stack-name", "all")
	if st := settle(t, n, cli, "all"); st != "DELETE_COMPLETE" {
		t.Fatalf("delete: %s", st)
	}
	for _, c := range [][]string{
		{"sqs", "get-queue-attributes", "--queue-url", phys["Queue"]},
		{"iam", "get-role", "--role-name", phys["Role"]},
		{"ssm", "get-parameter", "--name", s.Output("Param")},
		{"scheduler", "get-schedule", "--name", phys["Schedule"]},
		{"s3api", "head-bucket", "--bucket", phys["Bucket"]},
		{"secretsmanager", "describe-secret", "--secret-id", phys["Secret"]},
	} {
		if _, _, err := n.RunCLI(t, cli, nil, c...); err == nil {
			t.Errorf("%s: still there after the stack's deletion", strings.Join(c, " "))
		}
	}
}
