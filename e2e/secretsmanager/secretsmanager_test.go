package secretsmanager

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// cliRun runs one CLI version and decodes its JSON output.
func cliRun(t *testing.T, n *framework.Niwa, cli framework.CLI, args ...string) map[string]any {
	t.Helper()
	var m map[string]any
	out, errOut, err := n.RunCLI(t, cli, nil, args...)
	if err != nil {
		t.Fatalf("aws %s (%s): %v\n%s", strings.Join(args, " "), cli.Name, err, errOut)
	}
	if strings.TrimSpace(out) != "" {
		framework.MustJSON(t, out, &m)
	}
	return m
}

// cliFail runs a command that must fail with code and message.
func cliFail(t *testing.T, n *framework.Niwa, cli framework.CLI, code, msg string, args ...string) {
	t.Helper()
	_, errOut, err := n.RunCLI(t, cli, nil, args...)
	if err == nil || !strings.Contains(errOut, "("+code+")") || !strings.Contains(errOut, msg) {
		t.Fatalf("aws %s (%s): want %s %q, got %v\n%s", strings.Join(args, " "), cli.Name, code, msg, err, errOut)
	}
}

// TestSecretsCLI: with both CLI versions, a secret's life: create with
// tags, read by name and ARN, new versions with AWSPREVIOUS following,
// a label moved by hand, binary values from a file, the refusals AWS
// gives, deletion with a recovery window, restore, and forced deletion.
func TestSecretsCLI(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	for _, cli := range framework.CLIs {
		t.Run(cli.Name, func(t *testing.T) {
			t.Parallel()
			name := "e2e/" + cli.Name + "/db"
			c := cliRun(t, n, cli, "secretsmanager", "create-secret", "--name", name, "--secret-string", `{"password":"one"}`,
				"--description", "e2e", "--tags", "Key=team,Value=core")
			arn, v1 := c["ARN"].(string), c["VersionId"].(string)
			if !strings.HasPrefix(arn, "arn:aws:secretsmanager:"+n.Region+":000000000000:secret:"+name+"-") || len(arn) != len("arn:aws:secretsmanager:"+n.Region+":000000000000:secret:"+name+"-")+6 {
				t.Fatalf("ARN %s", arn)
			}
			for _, id := range []string{name, arn} {
				g := cliRun(t, n, cli, "secretsmanager", "get-secret-value", "--secret-id", id)
				if g["SecretString"] != `{"password":"one"}` || g["VersionId"] != v1 {
					t.Fatalf("get %s: %v", id, g)
				}
			}
			p := cliRun(t, n, cli, "secretsmanager", "put-secret-value", "--secret-id", name, "--secret-string", "two")
			v2 := p["VersionId"].(string)
			prev := cliRun(t, n, cli, "secretsmanager", "get-secret-value", "--secret-id", name, "--version-stage", "AWSPREVIOUS")
			if prev["SecretString"] != `{"password":"one"}` {
				t.Fatalf("AWSPREVIOUS %v", prev)
			}
			// Move AWSCURRENT back to v1: AWSPREVIOUS follows to v2.
			cliFail(t, n, cli, "InvalidParameterException", "The parameter RemoveFromVersionId can't be empty.",
				"secretsmanager", "update-secret-version-stage", "--secret-id", name, "--version-stage", "AWSCURRENT", "--move-to-version-id", v1)
			cliRun(t, n, cli, "secretsmanager", "update-secret-version-stage", "--secret-id", name, "--version-stage", "AWSCURRENT",
				"--move-to-version-id", v1, "--remove-from-version-id", v2)
			d := cliRun(t, n, cli, "secretsmanager", "describe-secret", "--secret-id", name)
			st := d["VersionIdsToStages"].(map[string]any)
			if st[v1].([]any)[0] != "AWSCURRENT" || st[v2].([]any)[0] != "AWSPREVIOUS" || d["Description"] != "e2e" || len(d["Tags"].([]any)) != 1 {
				t.Fatalf("describe %v", d)
			}
			l := cliRun(t, n, cli, "secretsmanager", "list-secrets", "--filters", "Key=name,Values=e2e/"+cli.Name+"/")
			if len(l["SecretList"].([]any)) != 1 {
				t.Fatalf("list %v", l)
			}
			// Binary from a file.
			bin := filepath.Join(t.TempDir(), "key.bin")
			os.WriteFile(bin, []byte{0, 1, 2, 3, 250}, 0o600)
			cliRun(t, n, cli, "secretsmanager", "create-secret", "--name", name+"-bin", "--secret-binary", "fileb://"+bin)
			if g := cliRun(t, n, cli, "secretsmanager", "get-secret-value", "--secret-id", name+"-bin"); g["SecretBinary"] != "AAECA/o=" {
				t.Fatalf("binary %v", g)
			}
			cliFail(t, n, cli, "ResourceExistsException", "already exists", "secretsmanager", "create-secret", "--name", name, "--secret-string", "x")
			cliFail(t, n, cli, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.", "secretsmanager", "get-secret-value", "--secret-id", "nope")
			cliFail(t, n, cli, "InvalidParameterException", "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.",
				"secretsmanager", "delete-secret", "--secret-id", name, "--force-delete-without-recovery", "--recovery-window-in-days", "7")
			del := cliRun(t, n, cli, "secretsmanager", "delete-secret", "--secret-id", name, "--recovery-window-in-days", "7")
			if del["DeletionDate"] == nil {
				t.Fatalf("delete %v", del)
			}
			cliFail(t, n, cli, "InvalidRequestException", "You can't perform this operation on the secret because it was marked for deletion.",
				"secretsmanager", "get-secret-value", "--secret-id", name)
			cliRun(t, n, cli, "secretsmanager", "restore-secret", "--secret-id", name)
			if g := cliRun(t, n, cli, "secretsmanager", "get-secret-value", "--secret-id", name); g["SecretString"] != `{"password":"one"}` {
				t.Fatalf("after restore %v", g)
			}
			cliRun(t, n, cli, "secretsmanager", "delete-secret", "--secret-id", name+"-bin", "--force-delete-without-recovery")
			cliFail(t, n, cli, "ResourceNotFoundException", "", "secretsmanager", "describe-secret", "--secret-id", name+"-bin")
			pw := cliRun(t, n, cli, "secretsmanager", "get-random-password", "--password-length", "20", "--exclude-punctuation")
			if s := pw["RandomPassword"].(string); len(s) != 20 || strings.ContainsAny(s, "!#$%&") {
				t.Fatalf("password %q", s)
			}
		})
	}
}

// TestResourcePolicyBoto3: a user without any identity policy reads a
// secret because the secret's resource policy allows it (and the AWS
// managed key's policy allows use through Secrets Manager); another user
// is denied; BlockPublicPolicy refuses a policy for everyone.
func TestResourcePolicyBoto3(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	ctx := context.Background()
	creds := func(name string) []string {
		cfg := framework.IAMUser(t, n, name, "")
		c, err := cfg.Credentials.Retrieve(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return []string{"READER_KEY=" + c.AccessKeyID, "READER_SECRET=" + c.SecretAccessKey}
	}
	alice, bob := creds("alice"), creds("bob")
	n.Python(t, `
import boto3, json
sm = boto3.client("secretsmanager")
sm.create_secret(Name="shared", SecretString="s3cr3t")
policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::000000000000:user/alice"},
          "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}
sm.put_resource_policy(SecretId="shared", ResourcePolicy=json.dumps(policy), BlockPublicPolicy=True)
public = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}
try:
    sm.put_resource_policy(SecretId="shared", ResourcePolicy=json.dumps(public), BlockPublicPolicy=True)
    raise SystemExit("public policy accepted")
except sm.exceptions.PublicPolicyException:
    pass
v = sm.validate_resource_policy(ResourcePolicy=json.dumps(public))
assert not v["PolicyValidationPassed"], v
`)
	read := `
import boto3, os, sys
sm = boto3.client("secretsmanager", aws_access_key_id=os.environ["READER_KEY"], aws_secret_access_key=os.environ["READER_SECRET"])
try:
    print(sm.get_secret_value(SecretId="shared")["SecretString"])
except Exception as e:
    print(e.response["Error"]["Code"])
`
	if out := strings.TrimSpace(n.Python(t, read, alice...)); out != "s3cr3t" {
		t.Fatalf("alice read %q", out)
	}
	if out := strings.TrimSpace(n.Python(t, read, bob...)); out != "AccessDeniedException" {
		t.Fatalf("bob read %q", out)
	}
}

// rotator is a rotation function doing AWS's four steps with boto3
// against niwa (AWS_ENDPOINT_URL), as AWS's rotation templates do.
const rotator = `
import boto3

def handler(event, context):
    sm = boto3.client("secretsmanager")
    arn, token, step = event["SecretId"], event["ClientRequestToken"], event["Step"]
    meta = sm.describe_secret(SecretId=arn)
    stages = meta["VersionIdsToStages"]
    if token not in stages and step != "createSecret":
        raise ValueError("version %s not set as AWSPENDING for rotation" % token)
    if step == "createSecret":
        current = sm.get_secret_value(SecretId=arn, VersionStage="AWSCURRENT")["SecretString"]
        try:
            sm.get_secret_value(SecretId=arn, VersionId=token, VersionStage="AWSPENDING")
        except sm.exceptions.ResourceNotFoundException:
            pw = sm.get_random_password(ExcludeCharacters="/@\"'\\")["RandomPassword"]
            sm.put_secret_value(SecretId=arn, ClientRequestToken=token, SecretString="rotated:" + pw, VersionStages=["AWSPENDING"])
    elif step == "setSecret":
        pass
    elif step == "testSecret":
        v = sm.get_secret_value(SecretId=arn, VersionId=token, VersionStage="AWSPENDING")["SecretString"]
        assert v.startswith("rotated:")
    elif step == "finishSecret":
        current = None
        for vid, st in stages.items():
            if "AWSCURRENT" in st:
                if vid == token:
                    return
                current = vid
        sm.update_secret_version_stage(SecretId=arn, VersionStage="AWSCURRENT", MoveToVersionId=token, RemoveFromVersionId=current)
    else:
        raise ValueError("bad step " + step)
`

// TestRotationLambda: a Python function rotates a secret through the four
// steps when RotateSecret asks; the new value is AWSCURRENT, the old one
// AWSPREVIOUS, AWSPENDING is gone, and DescribeSecret shows the schedule.
// Without the function's permission for secretsmanager.amazonaws.com,
// RotateSecret is refused as on AWS.
func TestRotationLambda(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	dir := t.TempDir()
	out := n.MustAWS(t, "iam", "create-role", "--role-name", "rotator", "--assume-role-policy-document", framework.TrustPolicy)
	n.MustAWS(t, "iam", "put-role-policy", "--role-name", "rotator", "--policy-name", "fn", "--policy-document",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["secretsmanager:*","logs:*"],"Resource":"*"}]}`)
	var role struct{ Role struct{ Arn string } }
	framework.MustJSON(t, out, &role)
	zipPath := framework.ZipFiles(t, dir, map[string][]byte{"rotate.py": []byte(rotator)})
	out = n.MustAWS(t, "lambda", "create-function", "--function-name", "rotator", "--runtime", "python3.12",
		"--handler", "rotate.handler", "--role", role.Role.Arn, "--zip-file", "fileb://"+zipPath, "--timeout", "60")
	var fn struct{ FunctionArn string }
	framework.MustJSON(t, out, &fn)
	n.MustAWS(t, "secretsmanager", "create-secret", "--name", "rotated", "--secret-string", "initial")

	cliFail(t, n, framework.CLIs[len(framework.CLIs)-1], "AccessDeniedException", "Ensure that the function policy grants access to the principal secretsmanager.amazonaws.com",
		"secretsmanager", "rotate-secret", "--secret-id", "rotated", "--rotation-lambda-arn", fn.FunctionArn)
	n.MustAWS(t, "lambda", "add-permission", "--function-name", "rotator", "--statement-id", "sm",
		"--action", "lambda:InvokeFunction", "--principal", "secretsmanager.amazonaws.com")

	got := n.Python(t, `
import boto3, time
sm = boto3.client("secretsmanager")
r = sm.rotate_secret(SecretId="rotated", RotationLambdaARN="`+fn.FunctionArn+`", RotationRules={"AutomaticallyAfterDays": 7})
token = r["VersionId"]
deadline = time.time() + 120
while True:
    v = sm.get_secret_value(SecretId="rotated")
    if v["VersionId"] == token:
        break
    if time.time() > deadline:
        raise SystemExit("rotation did not finish: %s" % sm.describe_secret(SecretId="rotated"))
    time.sleep(0.2)
assert v["SecretString"].startswith("rotated:"), v
assert v["VersionStages"] == ["AWSCURRENT"], v
prev = sm.get_secret_value(SecretId="rotated", VersionStage="AWSPREVIOUS")
assert prev["SecretString"] == "initial", prev
d = sm.describe_secret(SecretId="rotated")
assert d["RotationEnabled"] and d["RotationRules"]["AutomaticallyAfterDays"] == 7 and "LastRotatedDate" in d and "NextRotationDate" in d, d
for vid, st in d["VersionIdsToStages"].items():
    assert "AWSPENDING" not in st, d
print("ok")
`)
	if strings.TrimSpace(got) != "ok" {
		t.Fatalf("rotation: %s", got)
	}
	// The CLI's view, and cancelling the schedule.
	for _, cli := range framework.CLIs {
		d := cliRun(t, n, cli, "secretsmanager", "describe-secret", "--secret-id", "rotated")
		if d["RotationLambdaARN"] != fn.FunctionArn {
			t.Fatalf("%s describe %v", cli.Name, d)
		}
	}
	cliRun(t, n, framework.CLIs[0], "secretsmanager", "cancel-rotate-secret", "--secret-id", "rotated")
	framework.WaitUntil(t, 30*time.Second, func() bool {
		d := cliRun(t, n, framework.CLIs[0], "secretsmanager", "describe-secret", "--secret-id", "rotated")
		return d["RotationEnabled"] == false
	}, "rotation disabled")
}

// TestCrossAccount: another account reads a secret by its full ARN when
// the secret's policy and the key's policy both let it — not with the AWS
// managed key, whose policy admits only its own account (AWS's "Access to
// KMS is not allowed"), and never by name.
func TestCrossAccount(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t, "--access-key", "test:test:000000000000,other:other:111111111111")
	other := []string{"AWS_ACCESS_KEY_ID=other", "AWS_SECRET_ACCESS_KEY=other"}
	cli := framework.CLIs[len(framework.CLIs)-1]
	keyPolicy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:root"},"Action":"kms:*","Resource":"*"},` +
		`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"kms:Decrypt","Resource":"*"}]}`
	secretPolicy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}]}`
	key := cliRun(t, n, cli, "kms", "create-key", "--policy", keyPolicy)["KeyMetadata"].(map[string]any)["Arn"].(string)
	shared := cliRun(t, n, cli, "secretsmanager", "create-secret", "--name", "shared", "--secret-string", "for-111", "--kms-key-id", key)["ARN"].(string)
	managed := cliRun(t, n, cli, "secretsmanager", "create-secret", "--name", "managed", "--secret-string", "x")["ARN"].(string)
	run := func(id string) (string, string) {
		out, errOut, _ := n.RunCLI(t, cli, other, "secretsmanager", "get-secret-value", "--secret-id", id, "--query", "SecretString", "--output", "text")
		return strings.TrimSpace(out), errOut
	}
	if _, errOut := run(shared); !strings.Contains(errOut, "(AccessDeniedException)") || !strings.Contains(errOut, "no resource-based policy allows") {
		t.Fatalf("without a secret policy: %s", errOut)
	}
	for _, id := range []string{"shared", "managed"} {
		cliRun(t, n, cli, "secretsmanager", "put-resource-policy", "--secret-id", id, "--resource-policy", secretPolicy)
	}
	if out, errOut := run(shared); out != "for-111" {
		t.Fatalf("cross-account read: %q %s", out, errOut)
	}
	if _, errOut := run(managed); !strings.Contains(errOut, "(AccessDeniedException)") || !strings.Contains(errOut, "Access to KMS is not allowed") {
		t.Fatalf("AWS managed key across accounts: %s", errOut)
	}
	if _, errOut := run("shared"); !strings.Contains(errOut, "(ResourceNotFoundException)") {
		t.Fatalf("by name from another account: %s", errOut)
	}
}
