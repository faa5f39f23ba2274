package instances

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/niwa-cloud/niwa/e2e/framework"
)

// outputPolicy lets the instance role write command output to S3 and
// CloudWatch Logs (the SSM Agent writes with the instance's role).
const outputPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:PutObject","logs:CreateLogStream","logs:PutLogEvents","logs:CreateLogGroup"],"Resource":"*"}]}`

// TestRunCommand drives Run Command with boto3: the instance whose role
// has AmazonSSMManagedInstanceCore is managed (Online), the other is
// not (send-command to it is refused); aws sts get-caller-identity run
// by the command is the instance role; output reaches S3 and CloudWatch
// Logs; an execution timeout on the clock ends TimedOut; a cancel ends
// Cancelled; AWS-RunPowerShellScript fails on the Linux instance.
func TestRunCommand(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	profile(t, n, "ssmrole", "AmazonSSMManagedInstanceCore")
	_, ic := clients(n)
	ctx := context.Background()
	if _, err := ic.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("ssmrole"), PolicyName: aws.String("output"), PolicyDocument: aws.String(outputPolicy)}); err != nil {
		t.Fatal(err)
	}
	if _, err := framework.S3Client(n, false).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("ssm-output"),
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(n.Region)}}); err != nil {
		t.Fatal(err)
	}
	managed := run(t, n, "#!/bin/sh\necho up\n", launch{profile: "ssmrole", tags: map[string]string{"Role": "web"}})
	plain := run(t, n, "#!/bin/sh\necho up\n", launch{})
	boot(t, n, managed)
	waitState(t, n, plain, "running")
	script := `
import boto3, json, time, urllib.request
ssm = boto3.client("ssm")
s3 = boto3.client("s3")
logs = boto3.client("logs")
out = {}
MANAGED, PLAIN, ENDPOINT = "` + managed + `", "` + plain + `", "` + n.Endpoint + `"
def advance(by):
    urllib.request.urlopen(urllib.request.Request(ENDPOINT + "/_niwa/clock/advance?by=" + by, method="POST")).read()
def wait(cid, want):
    deadline = time.time() + ` + itoa(framework.PatienceSeconds) + `
    while True:
        inv = ssm.get_command_invocation(CommandId=cid, InstanceId=MANAGED)
        if inv["Status"] in want or time.time() > deadline:
            return inv
        time.sleep(0.1)
info = ssm.describe_instance_information()["InstanceInformationList"]
out["managed"] = [(i["InstanceId"], i["PingStatus"], i.get("IamRole")) for i in info]
try:
    ssm.send_command(InstanceIds=[PLAIN], DocumentName="AWS-RunShellScript", Parameters={"commands": ["true"]})
    out["plain"] = "accepted"
except ssm.exceptions.InvalidInstanceId as e:
    out["plain"] = "InvalidInstanceId"
cmd = ssm.send_command(Targets=[{"Key": "tag:Role", "Values": ["web"]}], DocumentName="AWS-RunShellScript",
    Parameters={"commands": ["aws sts get-caller-identity --query Arn --output text", "echo oops >&2"]},
    OutputS3BucketName="ssm-output", OutputS3KeyPrefix="runs",
    CloudWatchOutputConfig={"CloudWatchOutputEnabled": True, "CloudWatchLogGroupName": "ssm-runs"})["Command"]
inv = wait(cmd["CommandId"], ["Success", "Failed", "TimedOut", "Cancelled"])
out["run"] = {k: inv[k] for k in ["Status", "StatusDetails", "ResponseCode", "StandardOutputContent", "StandardErrorContent", "StandardOutputUrl", "PluginName"]}
key = "runs/%s/%s/awsrunShellScript/0.awsrunShellScript/stdout" % (cmd["CommandId"], MANAGED)
out["s3"] = s3.get_object(Bucket="ssm-output", Key=key)["Body"].read().decode()
streams = logs.describe_log_streams(logGroupName="ssm-runs")["logStreams"]
out["logs"] = [e["message"] for s in streams if s["logStreamName"].endswith("/stdout") for e in logs.get_log_events(logGroupName="ssm-runs", logStreamName=s["logStreamName"])["events"]]
out["list"] = [(c["CommandId"] == cmd["CommandId"], c["Status"], c["TargetCount"], c["CompletedCount"]) for c in ssm.list_commands()["Commands"]]
det = ssm.list_command_invocations(CommandId=cmd["CommandId"], Details=True)["CommandInvocations"]
out["details"] = [(i["InstanceId"], i["Status"], [(p["Name"], p["Status"], p["ResponseCode"], p["Output"]) for p in i["CommandPlugins"]]) for i in det]
slow = ssm.send_command(InstanceIds=[MANAGED], DocumentName="AWS-RunShellScript", Parameters={"commands": ["echo started", "sleep 600"], "executionTimeout": ["30"]})["Command"]
wait(slow["CommandId"], ["InProgress"])
time.sleep(0.5)
advance("31s")
inv = wait(slow["CommandId"], ["TimedOut", "Success", "Failed", "Cancelled"])
out["timeout"] = (inv["Status"], inv["StatusDetails"], inv["StandardOutputContent"])
c = ssm.send_command(InstanceIds=[MANAGED], DocumentName="AWS-RunShellScript", Parameters={"commands": ["sleep 600"]})["Command"]
wait(c["CommandId"], ["InProgress"])
ssm.cancel_command(CommandId=c["CommandId"])
inv = wait(c["CommandId"], ["Cancelled", "Success", "Failed", "TimedOut"])
out["cancel"] = (inv["Status"], inv["StatusDetails"])
ps = ssm.send_command(InstanceIds=[MANAGED], DocumentName="AWS-RunPowerShellScript", Parameters={"commands": ["Get-Date"]})["Command"]
inv = wait(ps["CommandId"], ["Failed", "Success", "Cancelled", "TimedOut"])
out["powershell"] = (inv["Status"], inv["StatusDetails"], inv["PluginName"], inv["StandardOutputContent"])
print(json.dumps(out))
`
	var got struct {
		Managed    [][]any
		Plain      string
		Run        map[string]any
		S3         string
		Logs       []string
		List       [][]any
		Details    [][]any
		Timeout    []any
		Cancel     []string
		Powershell []string
	}
	raw := n.Python(t, script)
	if err := json.Unmarshal([]byte(raw), &got); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	role := "arn:aws:sts::000000000000:assumed-role/ssmrole/" + managed
	if len(got.Managed) != 1 || got.Managed[0][0] != managed || got.Managed[0][1] != "Online" || got.Managed[0][2] != "ssmrole" {
		t.Errorf("describe-instance-information: %v (want only %s Online)", got.Managed, managed)
	}
	if got.Plain != "InvalidInstanceId" {
		t.Errorf("send-command to an unmanaged instance: %s", got.Plain)
	}
	if got.Run["Status"] != "Success" || !strings.Contains(got.Run["StandardOutputContent"].(string), role) ||
		got.Run["StandardErrorContent"] != "oops\n" || got.Run["PluginName"] != "aws:runShellScript" || got.Run["ResponseCode"] != 0.0 {
		t.Errorf("get-command-invocation: %v", got.Run)
	}
	if !strings.Contains(got.S3, role) || len(got.Logs) != 1 || got.Logs[0] != role {
		t.Errorf("output: S3 %q, logs %q", got.S3, got.Logs)
	}
	if len(got.List) != 1 || got.List[0][0] != true || got.List[0][1] != "Success" || got.List[0][2] != 1.0 || got.List[0][3] != 1.0 {
		t.Errorf("list-commands: %v", got.List)
	}
	if len(got.Details) != 1 || !strings.Contains(raw, `"aws:runShellScript", "Success", 0, "`+role) {
		t.Errorf("list-command-invocations --details: %v", got.Details)
	}
	if len(got.Timeout) != 3 || got.Timeout[0] != "TimedOut" || got.Timeout[1] != "ExecutionTimedOut" || got.Timeout[2] != "started\n" {
		t.Errorf("execution timeout: %v", got.Timeout)
	}
	if len(got.Cancel) != 2 || got.Cancel[0] != "Cancelled" {
		t.Errorf("cancel: %v", got.Cancel)
	}
	if len(got.Powershell) != 4 || got.Powershell[0] != "Failed" || got.Powershell[2] != "aws:runPowerShellScript" || !strings.Contains(got.Powershell[3], "unsupported platform") {
		t.Errorf("AWS-RunPowerShellScript on Linux: %v", got.Powershell)
	}
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}
