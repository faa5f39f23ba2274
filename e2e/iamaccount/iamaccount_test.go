package iamaccount

import (
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// TestMalformedPoliciesCLI: both CLI versions get IAM's error code and
// message for documents IAM refuses, and a valid one goes through.
func TestMalformedPoliciesCLI(t *testing.T) {
	t.Parallel()
	n := framework.Start(t, framework.Binary)
	cases := []struct {
		doc, msg string
	}{
		{`not json`, "Syntax errors in policy."},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]}`, "Policy document should not specify a principal."},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"bucket"}]}`, `Resource bucket must be in ARN format or "*".`},
		{`{"Version":"2012-10-17","Statement":[{"Sid":"a-b","Effect":"Allow","Action":"s3:*","Resource":"*"}]}`, "Statement IDs (SID) must be alpha-numeric."},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:iam:us-east-1:000000000000:role/x"}]}`, "cannot contain region information."},
	}
	// The cases are shared out between the two CLI versions (each call
	// starts a CLI, slow on a loaded machine); both see errors and a
	// success.
	for i, c := range cases {
		cli := framework.CLIs[i%2]
		_, errOut, err := n.RunCLI(t, cli, nil, "iam", "create-policy", "--policy-name", "p"+string(rune('a'+i)), "--policy-document", c.doc)
		if err == nil || !strings.Contains(errOut, "(MalformedPolicyDocument)") || !strings.Contains(errOut, c.msg) {
			t.Errorf("%s %q: err %v, stderr %s", cli.Name, c.doc, err, errOut)
		}
	}
	_, errOut, err := n.RunCLI(t, framework.CLIs[1], nil, "iam", "create-role", "--role-name", "r", "--assume-role-policy-document",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"bob"},"Action":"sts:AssumeRole"}]}`)
	if err == nil || !strings.Contains(errOut, `Invalid principal in policy: "AWS":"bob"`) {
		t.Errorf("trust principal: %v %s", err, errOut)
	}
	for _, cli := range framework.CLIs {
		if _, errOut, err := n.RunCLI(t, cli, nil, "iam", "create-policy", "--policy-name", "ok"+cli.Name, "--policy-document",
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:Get*","Resource":"arn:aws:s3:::b/*","Condition":{"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}}]}`); err != nil {
			t.Errorf("%s valid policy: %v %s", cli.Name, err, errOut)
		}
	}
	out := n.MustAWS(t, "iam", "list-policies", "--scope", "Local", "--query", "length(Policies)")
	if strings.TrimSpace(out) != "2" {
		t.Fatalf("local policies = %s, want the two valid ones", out)
	}
}

// TestAccountFeaturesBoto3: managed policy attached and enforced, password
// policy, virtual MFA enabled with codes computed here (RFC 6238 with hmac),
// GetSessionToken with MFA, aws:MultiFactorAuthPresent, credential report.
func TestAccountFeaturesBoto3(t *testing.T) {
	t.Parallel()
	n := framework.Start(t, framework.Binary)
	out := n.Python(t, `
import base64, boto3, botocore, csv, hashlib, hmac, io, struct, time
iam = boto3.client("iam"); sts = boto3.client("sts")

def totp(seed, step):
    d = hmac.new(seed, struct.pack(">Q", step), hashlib.sha1).digest()
    o = d[-1] & 15
    return "%06d" % ((struct.unpack(">I", d[o:o+4])[0] & 0x7fffffff) % 1000000)

def code(f, *a, **kw):
    try:
        f(*a, **kw)
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"] + ": " + e.response["Error"]["Message"]
    return "ok"

# AWS managed policies: listed, readable, attachable, enforced.
arns = [p["Arn"] for p in iam.list_policies(Scope="AWS", MaxItems=1000)["Policies"]]
assert "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole" in arns, arns
v = iam.get_policy_version(PolicyArn="arn:aws:iam::aws:policy/IAMFullAccess", VersionId="v2")["PolicyVersion"]
assert v["IsDefaultVersion"] and v["Document"]["Statement"][0]["Action"][0] == "iam:*", v
iam.create_user(UserName="ann")
key = iam.create_access_key(UserName="ann")["AccessKey"]
iam.attach_user_policy(UserName="ann", PolicyArn="arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess")
ann = boto3.client("iam", aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
annsqs = boto3.client("sqs", aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
print("ann list-queues:", code(annsqs.list_queues))
print("ann create-queue denied:", code(annsqs.create_queue, QueueName="q").startswith("AccessDenied"))
print("ann list-users:", code(ann.list_users).split(":")[0])
iam.put_user_policy(UserName="ann", PolicyName="mfa", PolicyDocument='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}')

# Password policy.
iam.update_account_password_policy(MinimumPasswordLength=10, RequireNumbers=True)
print("weak password:", code(iam.create_login_profile, UserName="ann", Password="abcdefghij"))
iam.create_login_profile(UserName="ann", Password="abcdefghi1")

# Virtual MFA.
dev = iam.create_virtual_mfa_device(VirtualMFADeviceName="ann-phone")["VirtualMFADevice"]
assert dev["QRCodePNG"].startswith(b"\x89PNG"), dev["QRCodePNG"][:8]
seed = base64.b32decode(dev["Base32StringSeed"])
serial = dev["SerialNumber"]
step = int(time.time()) // 30
print("bad codes:", code(iam.enable_mfa_device, UserName="ann", SerialNumber=serial, AuthenticationCode1=totp(seed, step), AuthenticationCode2=totp(seed, step - 1)))
iam.enable_mfa_device(UserName="ann", SerialNumber=serial, AuthenticationCode1=totp(seed, step - 1), AuthenticationCode2=totp(seed, step))
print("devices:", [d["SerialNumber"] for d in iam.list_mfa_devices(UserName="ann")["MFADevices"]])
annsts = boto3.client("sts", aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
print("no mfa list-users:", code(ann.list_users).split(":")[0])
c = annsts.get_session_token(SerialNumber=serial, TokenCode=totp(seed, step + 1))["Credentials"]
sess = boto3.client("iam", aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"], aws_session_token=c["SessionToken"])
print("mfa list-users:", code(sess.list_users))
print("replayed code:", code(annsts.get_session_token, SerialNumber=serial, TokenCode=totp(seed, step + 1)))

# Credential report.
print("report before:", code(iam.get_credential_report).split(":")[0])
print("generate:", iam.generate_credential_report()["State"], iam.generate_credential_report()["State"])
rows = list(csv.DictReader(io.StringIO(iam.get_credential_report()["Content"].decode())))
ann_row = [r for r in rows if r["user"] == "ann"][0]
print("report:", rows[0]["user"], ann_row["password_enabled"], ann_row["mfa_active"], ann_row["access_key_1_active"])
`)
	want := []string{
		"ann list-queues: ok",
		"ann create-queue denied: True",
		"ann list-users: AccessDenied",
		"weak password: PasswordPolicyViolation: Password does not conform to the account password policy.",
		"bad codes: InvalidAuthenticationCode: Authentication code for device is not valid.",
		"devices: ['arn:aws:iam::000000000000:mfa/ann-phone']",
		"no mfa list-users: AccessDenied",
		"mfa list-users: ok",
		"replayed code: AccessDenied: MultiFactorAuthentication failed with invalid MFA one time pass code. ",
		"report before: ReportNotPresent",
		"generate: STARTED COMPLETE",
		"report: <root_account> true true true",
	}
	for _, w := range want {
		if !strings.Contains(out, w+"\n") {
			t.Errorf("missing %q in:\n%s", w, out)
		}
	}
}
