package ssm

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
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

// TestSSMCLI: with both CLI versions, String/StringList/SecureString
// parameters in a hierarchy, get with and without decryption, by path
// (recursive, paged by the CLI), versions and history, labels and
// selectors, errors in AWS's words, and the public AL2023 parameter
// resolving to an image describe-images knows.
func TestSSMCLI(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	for _, cli := range framework.CLIs {
		t.Run(cli.Name, func(t *testing.T) {
			p := "/e2e/" + cli.Name
			cliRun(t, n, cli, "ssm", "put-parameter", "--name", p+"/db/host", "--value", "db.local", "--type", "String")
			cliRun(t, n, cli, "ssm", "put-parameter", "--name", p+"/db/hosts", "--value", "a,b,c", "--type", "StringList")
			cliRun(t, n, cli, "ssm", "put-parameter", "--name", p+"/db/password", "--value", "hunter2", "--type", "SecureString")
			cliRun(t, n, cli, "ssm", "put-parameter", "--name", p+"/app/deep/flag", "--value", "on", "--type", "String")

			if v := param(cliRun(t, n, cli, "ssm", "get-parameter", "--name", p+"/db/password", "--with-decryption"))["Value"]; v != "hunter2" {
				t.Fatalf("decrypted %v", v)
			}
			if v := param(cliRun(t, n, cli, "ssm", "get-parameter", "--name", p+"/db/password"))["Value"]; v == "hunter2" || v == "" {
				t.Fatalf("without decryption %v", v)
			}
			got := cliRun(t, n, cli, "ssm", "get-parameters-by-path", "--path", p, "--recursive", "--with-decryption", "--max-items", "100", "--page-size", "2")
			var names []string
			for _, x := range got["Parameters"].([]any) {
				m := x.(map[string]any)
				names = append(names, m["Name"].(string)+"="+m["Value"].(string))
			}
			want := p + "/app/deep/flag=on," + p + "/db/host=db.local," + p + "/db/hosts=a,b,c," + p + "/db/password=hunter2"
			if strings.Join(names, ",") != want {
				t.Fatalf("by path: %v", names)
			}
			one := cliRun(t, n, cli, "ssm", "get-parameters-by-path", "--path", p)
			if len(one["Parameters"].([]any)) != 0 {
				t.Fatalf("one level under %s: %v", p, one)
			}

			cliFail(t, n, cli, "ParameterAlreadyExists", "ssm", "put-parameter", "--name", p+"/db/host", "--value", "x", "--type", "String")
			if v := cliRun(t, n, cli, "ssm", "put-parameter", "--name", p+"/db/host", "--value", "db2.local", "--overwrite")["Version"]; v != float64(2) {
				t.Fatalf("overwrite version %v", v)
			}
			cliRun(t, n, cli, "ssm", "label-parameter-version", "--name", p+"/db/host", "--parameter-version", "1", "--labels", "blue", "awsbad")
			if v := param(cliRun(t, n, cli, "ssm", "get-parameter", "--name", p+"/db/host:blue"))["Value"]; v != "db.local" {
				t.Fatalf("label selector %v", v)
			}
			if v := param(cliRun(t, n, cli, "ssm", "get-parameter", "--name", p+"/db/host:2"))["Value"]; v != "db2.local" {
				t.Fatalf("version selector %v", v)
			}
			h := cliRun(t, n, cli, "ssm", "get-parameter-history", "--name", p+"/db/host")["Parameters"].([]any)
			if len(h) != 2 || h[0].(map[string]any)["Labels"].([]any)[0] != "blue" {
				t.Fatalf("history %v", h)
			}
			cliFail(t, n, cli, "ParameterNotFound", "ssm", "get-parameter", "--name", p+"/nope")
			cliFail(t, n, cli, "ParameterVersionNotFound", "ssm", "get-parameter", "--name", p+"/db/host:9")
			cliFail(t, n, cli, "AccessDeniedException", "ssm", "put-parameter", "--name", "/aws/mine", "--value", "x", "--type", "String")
			cliFail(t, n, cli, "HierarchyLevelLimitExceededException", "ssm", "put-parameter", "--name", strings.Repeat("/x", 16), "--value", "x", "--type", "String")

			d := cliRun(t, n, cli, "ssm", "describe-parameters", "--parameter-filters", "Key=Path,Option=Recursive,Values="+p, "Key=Type,Values=SecureString")
			if ps := d["Parameters"].([]any); len(ps) != 1 || ps[0].(map[string]any)["KeyId"] != "alias/aws/ssm" {
				t.Fatalf("describe %v", d)
			}

			ami := param(cliRun(t, n, cli, "ssm", "get-parameter", "--name", "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"))["Value"].(string)
			imgs := cliRun(t, n, cli, "ec2", "describe-images", "--image-ids", ami)["Images"].([]any)
			if len(imgs) != 1 || !strings.HasPrefix(imgs[0].(map[string]any)["Name"].(string), "al2023-ami-2023") {
				t.Fatalf("AMI %s: %v", ami, imgs)
			}
			cliRun(t, n, cli, "ssm", "put-parameter", "--name", p+"/ami", "--value", ami, "--type", "String", "--data-type", "aws:ec2:image")

			del := cliRun(t, n, cli, "ssm", "delete-parameters", "--names", p+"/db/host", p+"/missing")
			if b, _ := json.Marshal(del); !strings.Contains(string(b), `"DeletedParameters":["`+p+`/db/host"]`) || !strings.Contains(string(b), `"InvalidParameters":["`+p+`/missing"]`) {
				t.Fatalf("delete-parameters %s", b)
			}
			cliRun(t, n, cli, "ssm", "delete-parameter", "--name", p+"/db/hosts")
			cliFail(t, n, cli, "ParameterNotFound", "ssm", "delete-parameter", "--name", p+"/db/hosts")
		})
	}
	// The other Systems Manager operations say they are not implemented.
	_, errOut, err := n.AWS(t, nil, "ssm", "list-documents")
	if err == nil || !strings.Contains(errOut, "ListDocuments") {
		t.Fatalf("list-documents: %v %s", err, errOut)
	}
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
