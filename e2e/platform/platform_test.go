package platform

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/niwa-cloud/niwa/e2e/framework"
	"github.com/niwa-cloud/niwa/e2e/framework/inprocess"
)

// assumePolicy lets an IAM user assume roles. AWS refuses AssumeRole to
// the account root ("Roles may not be assumed by root accounts"), so the
// flows below assume roles with an IAM user's key.
const assumePolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`

const logsPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:*","ec2:Describe*"],"Resource":"*"}]}`

// TestGoSDKIdentityAndRoles runs the platform acceptance flow with
// aws-sdk-go-v2 against every target.
func TestGoSDKIdentityAndRoles(t *testing.T) {
	t.Parallel()
	for _, target := range framework.Targets {
		t.Run(string(target), func(t *testing.T) {
			n := inprocess.Start(t, target)
			ctx := context.Background()
			cfg := framework.GoConfig(n, "test", "test", "")
			id, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			if err != nil {
				t.Fatal(err)
			}
			if aws.ToString(id.Account) != "000000000000" || aws.ToString(id.Arn) != "arn:aws:iam::000000000000:root" {
				t.Fatalf("identity: %s %s", aws.ToString(id.Account), aws.ToString(id.Arn))
			}

			ic := iam.NewFromConfig(cfg)
			role, err := ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("app"), AssumeRolePolicyDocument: aws.String(framework.TrustPolicy)})
			if err != nil {
				t.Fatal(err)
			}
			if got := aws.ToString(role.Role.Arn); got != "arn:aws:iam::000000000000:role/app" {
				t.Fatalf("role arn %s", got)
			}
			pol, err := ic.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("logs"), PolicyDocument: aws.String(logsPolicy)})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := ic.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("app"), PolicyArn: pol.Policy.Arn}); err != nil {
				t.Fatal(err)
			}
			att, err := ic.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("app")})
			if err != nil {
				t.Fatal(err)
			}
			if len(att.AttachedPolicies) != 1 || aws.ToString(att.AttachedPolicies[0].PolicyName) != "logs" {
				t.Fatalf("attached: %+v", att.AttachedPolicies)
			}

			// Errors come back typed, with AWS's codes.
			_, err = ic.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("missing")})
			var apiErr smithy.APIError
			if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "NoSuchEntity" {
				t.Fatalf("GetRole missing: %v", err)
			}

			// Temporary credentials from AssumeRole sign later requests.
			if _, err := ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("dev")}); err != nil {
				t.Fatal(err)
			}
			if _, err := ic.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("dev"), PolicyName: aws.String("assume"), PolicyDocument: aws.String(assumePolicy)}); err != nil {
				t.Fatal(err)
			}
			key, err := ic.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("dev")})
			if err != nil {
				t.Fatal(err)
			}
			dev := framework.GoConfig(n, aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey), "")
			ar, err := sts.NewFromConfig(dev).AssumeRole(ctx, &sts.AssumeRoleInput{
				RoleArn: aws.String("arn:aws:iam::000000000000:role/app"), RoleSessionName: aws.String("s1"),
			})
			if err != nil {
				t.Fatal(err)
			}
			c := ar.Credentials
			if !strings.HasPrefix(aws.ToString(c.AccessKeyId), "ASIA") {
				t.Fatalf("temporary key id %s", aws.ToString(c.AccessKeyId))
			}
			assumed := framework.GoConfig(n, aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))
			id2, err := sts.NewFromConfig(assumed).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			if err != nil {
				t.Fatal(err)
			}
			if got := aws.ToString(id2.Arn); got != "arn:aws:sts::000000000000:assumed-role/app/s1" {
				t.Fatalf("assumed identity %s", got)
			}

			// The same request signed with a wrong secret or an unknown key.
			for _, bad := range []struct{ key, secret, code string }{
				{"test", "wrong", "SignatureDoesNotMatch"},
				{"AKIAUNKNOWNKEY000000", "x", "InvalidClientTokenId"},
			} {
				_, err := sts.NewFromConfig(framework.GoConfig(n, bad.key, bad.secret, "")).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
				var re interface{ HTTPStatusCode() int }
				if !errors.As(err, &apiErr) || apiErr.ErrorCode() != bad.code || !errors.As(err, &re) || re.HTTPStatusCode() != 403 {
					t.Fatalf("%s/%s: want %s 403, got %v", bad.key, bad.secret, bad.code, err)
				}
			}
		})
	}
}

type callerIdentity struct {
	UserId, Account, Arn string
}

// TestAWSCLIPlatform is the acceptance flow with the real aws CLI.
func TestAWSCLIPlatform(t *testing.T) {
	t.Parallel()
	for _, target := range framework.Targets {
		for _, cli := range framework.CLIs {
			t.Run(string(target)+"/"+cli.Name, func(t *testing.T) {
				n := inprocess.Start(t, target)
				cliPlatformFlow(t, n, cli)
			})
		}
	}
}

func cliPlatformFlow(t *testing.T, n *framework.Niwa, cli framework.CLI) {
	run := func(env []string, args ...string) (string, string, error) {
		t.Helper()
		return n.RunCLI(t, cli, env, args...)
	}
	must := func(args ...string) string {
		t.Helper()
		out, errOut, err := run(nil, args...)
		if err != nil {
			t.Fatalf("aws %s %s: %v\n%s", cli.Name, strings.Join(args, " "), err, errOut)
		}
		return out
	}
	{
		{
			var id callerIdentity
			framework.MustJSON(t, must("sts", "get-caller-identity"), &id)
			if id.Account != "000000000000" {
				t.Fatalf("account %q", id.Account)
			}

			dir := t.TempDir()
			trust := filepath.Join(dir, "trust.json")
			os.WriteFile(trust, []byte(framework.TrustPolicy), 0o644)
			var created struct {
				Policy struct {
					Arn, PolicyName, DefaultVersionId string
					AttachmentCount                   int
				}
			}
			framework.MustJSON(t, must("iam", "create-policy", "--policy-name", "ddns", "--policy-document", logsPolicy), &created)
			if created.Policy.Arn != "arn:aws:iam::000000000000:policy/ddns" || created.Policy.DefaultVersionId != "v1" {
				t.Fatalf("create-policy: %+v", created)
			}
			var role struct {
				Role struct {
					RoleName, Arn, RoleId, Path, CreateDate string
					AssumeRolePolicyDocument                map[string]any
				}
			}
			framework.MustJSON(t, must("iam", "create-role", "--role-name", "ddns-role", "--assume-role-policy-document", "file://"+trust), &role)
			if role.Role.Arn != "arn:aws:iam::000000000000:role/ddns-role" || !strings.HasPrefix(role.Role.RoleId, "AROA") || role.Role.Path != "/" {
				t.Fatalf("create-role: %+v", role)
			}
			if role.Role.AssumeRolePolicyDocument["Version"] != "2012-10-17" {
				t.Fatalf("trust policy not returned as a document: %+v", role.Role.AssumeRolePolicyDocument)
			}
			must("iam", "attach-role-policy", "--role-name", "ddns-role", "--policy-arn", created.Policy.Arn)
			var attached struct {
				AttachedPolicies []struct{ PolicyName, PolicyArn string }
			}
			framework.MustJSON(t, must("iam", "list-attached-role-policies", "--role-name", "ddns-role"), &attached)
			if len(attached.AttachedPolicies) != 1 || attached.AttachedPolicies[0].PolicyArn != created.Policy.Arn {
				t.Fatalf("list-attached-role-policies: %+v", attached)
			}

			// Wrong secret and unknown key, as the CLI reports them.
			_, stderr, err := run([]string{"AWS_SECRET_ACCESS_KEY=wrong"}, "sts", "get-caller-identity")
			if err == nil || !strings.Contains(stderr, "SignatureDoesNotMatch") {
				t.Fatalf("wrong secret: err=%v stderr=%s", err, stderr)
			}
			_, stderr, err = run([]string{"AWS_ACCESS_KEY_ID=AKIANOTAKEY000000000"}, "sts", "get-caller-identity")
			if err == nil || !strings.Contains(stderr, "InvalidClientTokenId") {
				t.Fatalf("unknown key: err=%v stderr=%s", err, stderr)
			}

			// Credentials from assume-role sign get-caller-identity.
			var assumed struct {
				Credentials struct{ AccessKeyId, SecretAccessKey, SessionToken string }
			}
			must("iam", "create-user", "--user-name", "dev")
			must("iam", "put-user-policy", "--user-name", "dev", "--policy-name", "assume", "--policy-document", assumePolicy)
			var key struct {
				AccessKey struct{ AccessKeyId, SecretAccessKey string }
			}
			framework.MustJSON(t, must("iam", "create-access-key", "--user-name", "dev"), &key)
			out, stderr, err := run([]string{"AWS_ACCESS_KEY_ID=" + key.AccessKey.AccessKeyId, "AWS_SECRET_ACCESS_KEY=" + key.AccessKey.SecretAccessKey},
				"sts", "assume-role", "--role-arn", role.Role.Arn, "--role-session-name", "cli")
			if err != nil {
				t.Fatalf("assume-role as dev: %v %s", err, stderr)
			}
			framework.MustJSON(t, out, &assumed)
			c := assumed.Credentials
			out, stderr, err = run([]string{"AWS_ACCESS_KEY_ID=" + c.AccessKeyId, "AWS_SECRET_ACCESS_KEY=" + c.SecretAccessKey, "AWS_SESSION_TOKEN=" + c.SessionToken}, "sts", "get-caller-identity")
			if err != nil {
				t.Fatalf("assumed get-caller-identity: %v %s", err, stderr)
			}
			framework.MustJSON(t, out, &id)
			if id.Arn != "arn:aws:sts::000000000000:assumed-role/ddns-role/cli" {
				t.Fatalf("assumed arn %s", id.Arn)
			}
		}
	}
}

// TestBoto3Platform is the same flow with boto3.
func TestBoto3Platform(t *testing.T) {
	t.Parallel()
	n := framework.Start(t, framework.Binary)
	out := n.Python(t, `
import boto3, json, botocore
sts = boto3.client("sts")
iam = boto3.client("iam")
ident = sts.get_caller_identity()
assert ident["Account"] == "000000000000", ident
pol = iam.create_policy(PolicyName="p", PolicyDocument=json.dumps({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}))["Policy"]
role = iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com","AWS":"arn:aws:iam::000000000000:root"},"Action":"sts:AssumeRole"}]}))["Role"]
assert isinstance(role["AssumeRolePolicyDocument"], dict), role
iam.attach_role_policy(RoleName="r", PolicyArn=pol["Arn"])
att = iam.list_attached_role_policies(RoleName="r")["AttachedPolicies"]
assert att == [{"PolicyName": "p", "PolicyArn": pol["Arn"]}], att
try:
    iam.get_role(RoleName="nope")
    raise SystemExit("expected NoSuchEntity")
except botocore.exceptions.ClientError as e:
    assert e.response["Error"]["Code"] == "NoSuchEntity", e.response
    assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 404
# Roles may not be assumed by the account root: assume as an IAM user.
iam.create_user(UserName="dev")
iam.put_user_policy(UserName="dev", PolicyName="assume", PolicyDocument=json.dumps({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}))
k = iam.create_access_key(UserName="dev")["AccessKey"]
dev = boto3.client("sts", aws_access_key_id=k["AccessKeyId"], aws_secret_access_key=k["SecretAccessKey"])
try:
    sts.assume_role(RoleArn=role["Arn"], RoleSessionName="root")
    raise SystemExit("expected AccessDenied for root")
except botocore.exceptions.ClientError as e:
    assert e.response["Error"]["Message"] == "Roles may not be assumed by root accounts.", e.response
creds = dev.assume_role(RoleArn=role["Arn"], RoleSessionName="py")["Credentials"]
s2 = boto3.client("sts", aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"])
print(s2.get_caller_identity()["Arn"])
bad = boto3.client("sts", aws_access_key_id="test", aws_secret_access_key="wrong")
try:
    bad.get_caller_identity()
    raise SystemExit("expected SignatureDoesNotMatch")
except botocore.exceptions.ClientError as e:
    assert e.response["Error"]["Code"] == "SignatureDoesNotMatch", e.response
    assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 403
`)
	if strings.TrimSpace(out) != "arn:aws:sts::000000000000:assumed-role/r/py" {
		t.Fatalf("boto3 assumed identity: %q", out)
	}
}

// TestHealthListsServices checks the internal health endpoint.
func TestHealthListsServices(t *testing.T) {
	t.Parallel()
	n := framework.Start(t, framework.Binary)
	resp, err := http.Get(n.Endpoint + "/_niwa/health")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var h struct {
		Version  string
		Services map[string]struct{ State string }
	}
	body, _ := io.ReadAll(resp.Body)
	framework.MustJSON(t, string(body), &h)
	for _, s := range []string{"sts", "iam", "s3", "sqs", "dynamodb", "lambda", "ec2", "route53"} {
		if _, ok := h.Services[s]; !ok {
			t.Errorf("health lacks %s: %s", s, body)
		}
	}
	if h.Services["iam"].State != "running" {
		t.Errorf("iam state %q", h.Services["iam"].State)
	}
}

// TestDurableAcrossKill9 creates a role, kills niwa with SIGKILL and finds
// the role after restart.
func TestDurableAcrossKill9(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t, "--data-dir", t.TempDir())
	n.MustAWS(t, "iam", "create-role", "--role-name", "survivor", "--assume-role-policy-document", framework.TrustPolicy)
	n.Kill9AndRestart()
	var role struct {
		Role struct{ RoleName, Arn string }
	}
	framework.MustJSON(t, n.MustAWS(t, "iam", "get-role", "--role-name", "survivor"), &role)
	if role.Role.Arn != "arn:aws:iam::000000000000:role/survivor" {
		t.Fatalf("after restart: %+v", role)
	}
}

// TestNotImplementedNamesTheOperation: operations niwa lacks answer a clear
// error, never a silent success.
func TestNotImplementedNamesTheOperation(t *testing.T) {
	t.Parallel()
	n := inprocess.Start(t, framework.InProcess)
	_, err := iam.NewFromConfig(framework.GoConfig(n, "test", "test", "")).GetOrganizationsAccessReport(context.Background(),
		&iam.GetOrganizationsAccessReportInput{JobId: aws.String("00000000-0000-0000-0000-000000000000")})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "NotImplemented" || !strings.Contains(apiErr.ErrorMessage(), "GetOrganizationsAccessReport") {
		t.Fatalf("want NotImplemented naming GetOrganizationsAccessReport, got %v", err)
	}
}
