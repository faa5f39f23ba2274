package ssm

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/niwa-cloud/niwa/e2e/framework"
	"github.com/niwa-cloud/niwa/e2e/framework/inprocess"
	"github.com/niwa-cloud/niwa/niwatest"
)

// cliRun runs one CLI version and decodes its JSON output.
func cliRun(t *testing.T, n *framework.Niwa, cli framework.CLI, args ...string) map[string]any {
	t.Helper()
	out, errOut, err := n.RunCLI(t, cli, nil, args...)
	if err != nil {
		t.Fatalf("aws %s (%s): %v\n%s", strings.Join(args, " "), cli.Name, err, errOut)
	}
	var m map[string]any
	if strings.TrimSpace(out) != "" {
		framework.MustJSON(t, out, &m)
	}
	return m
}

// cliFail runs a command that must fail with code.
func cliFail(t *testing.T, n *framework.Niwa, cli framework.CLI, code string, args ...string) string {
	t.Helper()
	_, errOut, err := n.RunCLI(t, cli, nil, args...)
	if err == nil || !strings.Contains(errOut, "("+code+")") {
		t.Fatalf("aws %s (%s): want %s, got %v\n%s", strings.Join(args, " "), cli.Name, code, err, errOut)
	}
	return errOut
}

func param(m map[string]any) map[string]any { return m["Parameter"].(map[string]any) }

// TestSSMCLI: with both CLI versions (each call costs seconds of CPU on
// a loaded machine, so the CLI covers the core and boto3 the rest):
// String and SecureString parameters in a hierarchy, get with and
// without decryption, by path (recursive, paged by the CLI), an
// overwrite, a label and its selector, history, an error in AWS's words,
// and the public AL2023 parameter resolving to an image describe-images
// knows.
func TestSSMCLI(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	for _, cli := range framework.CLIs {
		t.Run(cli.Name, func(t *testing.T) {
			t.Parallel()
			p := "/e2e/" + cli.Name
			cliRun(t, n, cli, "ssm", "put-parameter", "--name", p+"/db/host", "--value", "db.local", "--type", "String")
			cliRun(t, n, cli, "ssm", "put-parameter", "--name", p+"/db/password", "--value", "hunter2", "--type", "SecureString")
			cliRun(t, n, cli, "ssm", "put-parameter", "--name", p+"/app/deep/flag", "--value", "on", "--type", "String")

			if v := param(cliRun(t, n, cli, "ssm", "get-parameter", "--name", p+"/db/password", "--with-decryption"))["Value"]; v != "hunter2" {
				t.Fatalf("decrypted %v", v)
			}
			got := cliRun(t, n, cli, "ssm", "get-parameters-by-path", "--path", p, "--recursive", "--max-items", "100", "--page-size", "2")
			var names []string
			for _, x := range got["Parameters"].([]any) {
				m := x.(map[string]any)
				names = append(names, m["Name"].(string)+"="+m["Value"].(string))
			}
			// Without decryption the SecureString is ciphertext.
			if len(names) != 3 || names[0] != p+"/app/deep/flag=on" || names[1] != p+"/db/host=db.local" ||
				!strings.HasPrefix(names[2], p+"/db/password=") || strings.Contains(names[2], "hunter2") {
				t.Fatalf("by path: %v", names)
			}
			if v := cliRun(t, n, cli, "ssm", "put-parameter", "--name", p+"/db/host", "--value", "db2.local", "--overwrite")["Version"]; v != float64(2) {
				t.Fatalf("overwrite version %v", v)
			}
			cliRun(t, n, cli, "ssm", "label-parameter-version", "--name", p+"/db/host", "--parameter-version", "1", "--labels", "blue")
			if v := param(cliRun(t, n, cli, "ssm", "get-parameter", "--name", p+"/db/host:blue"))["Value"]; v != "db.local" {
				t.Fatalf("label selector %v", v)
			}
			h := cliRun(t, n, cli, "ssm", "get-parameter-history", "--name", p+"/db/host")["Parameters"].([]any)
			if len(h) != 2 || h[0].(map[string]any)["Labels"].([]any)[0] != "blue" || h[1].(map[string]any)["Value"] != "db2.local" {
				t.Fatalf("history %v", h)
			}
			cliFail(t, n, cli, "ParameterNotFound", "ssm", "get-parameter", "--name", p+"/nope")

			ami := param(cliRun(t, n, cli, "ssm", "get-parameter", "--name", "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"))["Value"].(string)
			imgs := cliRun(t, n, cli, "ec2", "describe-images", "--image-ids", ami)["Images"].([]any)
			if len(imgs) != 1 || !strings.HasPrefix(imgs[0].(map[string]any)["Name"].(string), "al2023-ami-2023") {
				t.Fatalf("AMI %s: %v", ami, imgs)
			}
		})
	}
}

// TestSSMPolicyEvents: an advanced parameter's NoChangeNotification and
// Expiration policies act when niwa's clock passes them, and their
// "Parameter Store Policy Action" events reach an EventBridge rule's SQS
// target; the expired parameter is gone. In-process, on a fake clock.
func TestSSMPolicyEvents(t *testing.T) {
	t.Parallel()
	start := time.Now().UTC().Truncate(time.Second)
	clk := niwatest.NewFakeClock(start)
	// Requests are signed at the wall clock, which niwa's moved clock
	// would find stale.
	nt := niwatest.Start(t, niwatest.WithClock(clk), niwatest.WithSkipSignatureValidation())
	n := inprocess.FromNiwatest(t, nt)
	ctx := context.Background()
	eb, sq := eventbridge.NewFromConfig(nt.AWSConfig()), sqs.NewFromConfig(nt.AWSConfig())
	qURL, qARN := framework.GoQueue(t, sq, "policy")
	pattern := `{"source":["aws.ssm"],"detail-type":["Parameter Store Policy Action"]}`
	if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("ssm-policy"), EventPattern: aws.String(pattern)}); err != nil {
		t.Fatal(err)
	}
	if _, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("ssm-policy"), Targets: []ebtypes.Target{{Id: aws.String("q"), Arn: aws.String(qARN)}}}); err != nil {
		t.Fatal(err)
	}
	n.Python(t, `
import boto3, json, os
boto3.client("ssm").put_parameter(Name="/pol/token", Value="t0k3n", Type="SecureString", Tier="Advanced", Policies=json.dumps([
    {"Type": "Expiration", "Version": "1.0", "Attributes": {"Timestamp": os.environ["EXPIRES"]}},
    {"Type": "NoChangeNotification", "Version": "1.0", "Attributes": {"After": "1", "Unit": "Hours"}}]))
`, "EXPIRES="+start.Add(48*time.Hour).Format(time.RFC3339))
	if b := framework.ReceiveBodies(t, sq, qURL, 0); len(b) != 0 {
		t.Fatalf("events before any policy was due: %v", b)
	}
	clk.Advance(2 * time.Hour)
	b := framework.WaitBodies(t, sq, qURL)
	if len(b) != 1 || !strings.Contains(b[0], `"policy-type":"NoChangeNotification"`) || !strings.Contains(b[0], `"parameter-name":"/pol/token"`) ||
		!strings.Contains(b[0], `"source":"aws.ssm"`) || !strings.Contains(b[0], `"resources":["arn:aws:ssm:`+n.Region+`:000000000000:parameter/pol/token"]`) {
		t.Fatalf("NoChangeNotification event: %v", b)
	}
	clk.Advance(2 * 24 * time.Hour)
	if b := framework.WaitBodies(t, sq, qURL); len(b) != 1 || !strings.Contains(b[0], `"policy-type":"Expiration"`) {
		t.Fatalf("Expiration event: %v", b)
	}
	n.Python(t, `
import boto3
ssm = boto3.client("ssm")
try:
    ssm.get_parameter(Name="/pol/token")
    raise SystemExit("expired parameter still there")
except ssm.exceptions.ParameterNotFound:
    pass
`)
}

// TestSSMBoto3: boto3 puts and reads parameters (SecureString both ways,
// GetParameters with InvalidParameters, the paginator over a path),
// labels, tags, the public regions, and sees Parameter Store's errors as
// its exception classes. An IAM user allowed ssm:GetParameter but not
// kms:Decrypt reads a SecureString under a customer managed key only
// without decryption, and one under the default alias/aws/ssm key with
// it: the AWS managed key's policy lets every principal of the account
// use it through Systems Manager (kms:ViaService), as on AWS.
func TestSSMBoto3(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	out := n.Python(t, `
import boto3, json
ssm = boto3.client("ssm")
ssm.put_parameter(Name="/b3/s", Value="top secret", Type="SecureString", Tags=[{"Key": "team", "Value": "red"}])
for i in range(12):
    ssm.put_parameter(Name="/b3/list/p%02d" % i, Value=str(i), Type="String")
assert ssm.get_parameter(Name="/b3/s", WithDecryption=True)["Parameter"]["Value"] == "top secret"
assert ssm.get_parameter(Name="/b3/s")["Parameter"]["Value"] != "top secret"
r = ssm.get_parameters(Names=["/b3/s", "/b3/none"], WithDecryption=True)
assert [p["Value"] for p in r["Parameters"]] == ["top secret"] and r["InvalidParameters"] == ["/b3/none"], r
names = [p["Name"] for page in ssm.get_paginator("get_parameters_by_path").paginate(Path="/b3/list") for p in page["Parameters"]]
assert names == ["/b3/list/p%02d" % i for i in range(12)], names
ssm.put_parameter(Name="/b3/list/p00", Value="again", Overwrite=True)
l = ssm.label_parameter_version(Name="/b3/list/p00", ParameterVersion=1, Labels=["old", "9bad"])
assert l["InvalidLabels"] == ["9bad"], l
assert ssm.get_parameter(Name="/b3/list/p00:old")["Parameter"]["Value"] == "0"
assert ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId="/b3/s")["TagList"] == [{"Key": "team", "Value": "red"}]
try:
    ssm.get_parameter(Name="/b3/missing")
    raise SystemExit("missing parameter read")
except ssm.exceptions.ParameterNotFound:
    pass
try:
    ssm.put_parameter(Name="/b3/s", Value="x", Type="SecureString")
    raise SystemExit("overwrote without Overwrite")
except ssm.exceptions.ParameterAlreadyExists:
    pass
for code, kw in [("ParameterVersionNotFound", dict(Name="/b3/s:9")), ("ParameterNotFound", dict(Name="/b3/list/p00:nolabel"))]:
    try:
        ssm.get_parameter(**kw)
        raise SystemExit("read " + kw["Name"])
    except ssm.exceptions.ClientError as e:
        assert e.response["Error"]["Code"] == code, e.response
for code, kw in [("AccessDeniedException", dict(Name="/aws/mine")), ("HierarchyLevelLimitExceededException", dict(Name="/x" * 16)),
                 ("ValidationException", dict(Name="/ssm/x"))]:
    try:
        ssm.put_parameter(Value="v", Type="String", **kw)
        raise SystemExit("put " + kw["Name"])
    except ssm.exceptions.ClientError as e:
        assert e.response["Error"]["Code"] == code, e.response
ssm.put_parameter(Name="/b3/hosts", Value="a,b,c", Type="StringList")
d = ssm.describe_parameters(ParameterFilters=[{"Key": "Path", "Option": "Recursive", "Values": ["/b3"]}, {"Key": "Type", "Values": ["SecureString"]}])["Parameters"]
assert [(p["Name"], p["KeyId"]) for p in d] == [("/b3/s", "alias/aws/ssm")], d
ami = ssm.get_parameter(Name="/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64")["Parameter"]["Value"]
ssm.put_parameter(Name="/b3/ami", Value=ami, Type="String", DataType="aws:ec2:image")
assert ssm.get_parameter(Name="/b3/ami")["Parameter"]["DataType"] == "aws:ec2:image"
r = ssm.delete_parameters(Names=["/b3/hosts", "/b3/missing"])
assert r["DeletedParameters"] == ["/b3/hosts"] and r["InvalidParameters"] == ["/b3/missing"], r
try:
    ssm.delete_parameter(Name="/b3/hosts")
    raise SystemExit("deleted twice")
except ssm.exceptions.ParameterNotFound:
    pass
try:
    ssm.create_maintenance_window(Name="nightly", Schedule="rate(1 day)", Duration=2, Cutoff=1, AllowUnassociatedTargets=False)
    raise SystemExit("CreateMaintenanceWindow answered")
except ssm.exceptions.ClientError as e:
    assert "CreateMaintenanceWindow" in e.response["Error"]["Message"], e.response
regions = [p["Value"] for page in ssm.get_paginator("get_parameters_by_path").paginate(Path="/aws/service/global-infrastructure/regions") for p in page["Parameters"]]
assert "us-east-1" in regions and "ap-northeast-1" in regions, regions

iam = boto3.client("iam")
iam.create_user(UserName="reader")
iam.put_user_policy(UserName="reader", PolicyName="p", PolicyDocument=json.dumps({"Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "ssm:GetParameter", "Resource": "arn:aws:ssm:*:*:parameter/b3/*"}]}))
k = iam.create_access_key(UserName="reader")["AccessKey"]
reader = boto3.client("ssm", aws_access_key_id=k["AccessKeyId"], aws_secret_access_key=k["SecretAccessKey"])
assert reader.get_parameter(Name="/b3/s", WithDecryption=True)["Parameter"]["Value"] == "top secret"
cmk = boto3.client("kms").create_key(Description="b3")["KeyMetadata"]["KeyId"]
ssm.put_parameter(Name="/b3/cmk", Value="cmk secret", Type="SecureString", KeyId=cmk)
assert reader.get_parameter(Name="/b3/cmk")["Parameter"]["Value"] != "cmk secret"
try:
    reader.get_parameter(Name="/b3/cmk", WithDecryption=True)
    raise SystemExit("decrypted without kms:Decrypt")
except reader.exceptions.ClientError as e:
    assert e.response["Error"]["Code"] == "AccessDeniedException", e.response
    assert "kms:Decrypt" in e.response["Error"]["Message"], e.response
iam.put_user_policy(UserName="reader", PolicyName="kms", PolicyDocument=json.dumps({"Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]}))
assert reader.get_parameter(Name="/b3/cmk", WithDecryption=True)["Parameter"]["Value"] == "cmk secret"
print("ok")
`)
	if strings.TrimSpace(out) != "ok" {
		t.Fatalf("boto3: %s", out)
	}
}
