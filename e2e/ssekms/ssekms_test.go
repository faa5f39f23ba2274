package ssekms

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// cli runs one aws CLI version as the account root (or as env's
// credentials) and returns its output, failing the test on error.
func cli(t *testing.T, n *framework.Niwa, c framework.CLI, env []string, args ...string) string {
	t.Helper()
	out, errOut, err := n.RunCLI(t, c, env, args...)
	if err != nil {
		t.Fatalf("aws %s (%s): %v\n%s", strings.Join(args, " "), c.Name, err, errOut)
	}
	return out
}

// cliFails runs a command that must fail with want in its error output.
func cliFails(t *testing.T, n *framework.Niwa, c framework.CLI, env []string, want string, args ...string) {
	t.Helper()
	_, errOut, err := n.RunCLI(t, c, env, args...)
	if err == nil || !strings.Contains(errOut, want) {
		t.Fatalf("aws %s (%s): want an error with %q, got %v\n%s", strings.Join(args, " "), c.Name, want, err, errOut)
	}
}

// TestSSEKMSCLI: with each CLI, `aws s3 cp --sse aws:kms --sse-kms-key-id
// alias/...` fails while the alias does not exist and succeeds once it
// does; the object's head names the key ARN; an IAM user allowed
// s3:GetObject but not kms:Decrypt is refused until a grant lets it
// decrypt. The set-up (bucket, key, user, grant) goes through the Go SDK
// so that the CLIs run only the commands under test.
func TestSSEKMSCLI(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "report.txt")
	if err := os.WriteFile(src, []byte("quarterly numbers\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	root := framework.GoConfig(n, "test", "test", "")
	s3c, kmsc := framework.S3Client(n, false), kms.NewFromConfig(root)
	for _, c := range framework.CLIs {
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			bucket, alias, user := "sse-"+c.Name, "alias/demo-"+c.Name, "reader-"+c.Name
			if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket),
				CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(n.Region)}}); err != nil {
				t.Fatal(err)
			}
			cliFails(t, n, c, nil, "KMS.NotFoundException",
				"s3", "cp", src, "s3://"+bucket+"/report.txt", "--sse", "aws:kms", "--sse-kms-key-id", alias)

			key, err := kmsc.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("demo")})
			if err != nil {
				t.Fatal(err)
			}
			keyARN := aws.ToString(key.KeyMetadata.Arn)
			if _, err := kmsc.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String(alias), TargetKeyId: key.KeyMetadata.KeyId}); err != nil {
				t.Fatal(err)
			}
			cli(t, n, c, nil, "s3", "cp", src, "s3://"+bucket+"/report.txt", "--sse", "aws:kms", "--sse-kms-key-id", alias)
			head, err := s3c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("report.txt")})
			if err != nil || head.ServerSideEncryption != "aws:kms" || aws.ToString(head.SSEKMSKeyId) != keyARN {
				t.Fatalf("head-object: %v, want aws:kms under %s", err, keyARN)
			}
			if got := cli(t, n, c, nil, "s3", "cp", "s3://"+bucket+"/report.txt", "-"); got != "quarterly numbers\n" {
				t.Fatalf("download as root: %q", got)
			}

			// An IAM user allowed to read objects, not to use the key.
			cfg := framework.IAMUser(t, n, user, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::`+bucket+`/*"}]}`)
			cr, err := cfg.Credentials.Retrieve(ctx)
			if err != nil {
				t.Fatal(err)
			}
			as := []string{"AWS_ACCESS_KEY_ID=" + cr.AccessKeyID, "AWS_SECRET_ACCESS_KEY=" + cr.SecretAccessKey}
			out := filepath.Join(dir, c.Name+".txt")
			cliFails(t, n, c, as, "AccessDenied", "s3api", "get-object", "--bucket", bucket, "--key", "report.txt", out)
			if _, err := kmsc.CreateGrant(ctx, &kms.CreateGrantInput{KeyId: aws.String(keyARN),
				GranteePrincipal: aws.String("arn:aws:iam::000000000000:user/" + user), Operations: []kmstypes.GrantOperation{kmstypes.GrantOperationDecrypt}}); err != nil {
				t.Fatal(err)
			}
			cli(t, n, c, as, "s3api", "get-object", "--bucket", bucket, "--key", "report.txt", out)
			if b, err := os.ReadFile(out); err != nil || string(b) != "quarterly numbers\n" {
				t.Fatalf("download after the grant: %q %v", b, err)
			}
		})
	}
}

// TestSSEKMSBoto3: boto3's managed transfers (multipart past the
// threshold) under a bucket default SSE-KMS key with a bucket key, the
// encryption context header, and a disabled key refusing reads.
func TestSSEKMSBoto3(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	out := n.Python(t, `
import boto3, botocore, base64, json, io
from boto3.s3.transfer import TransferConfig
s3, kms = boto3.client("s3"), boto3.client("kms")
def code(fn):
    try:
        fn()
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"]
    return "ok"
region = s3.meta.region_name
s3.create_bucket(Bucket="vault", **({} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}))
key = kms.create_key()["KeyMetadata"]
kms.create_alias(AliasName="alias/vault", TargetKeyId=key["KeyId"])
s3.put_bucket_encryption(Bucket="vault", ServerSideEncryptionConfiguration={"Rules": [{
    "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/vault"},
    "BucketKeyEnabled": True}]})
data = bytes(range(256)) * (24 * 1024)  # 6 MiB: two parts at a 5 MiB threshold
cfg = TransferConfig(multipart_threshold=5 << 20, multipart_chunksize=5 << 20)
s3.upload_fileobj(io.BytesIO(data), "vault", "big.bin", Config=cfg)
h = s3.head_object(Bucket="vault", Key="big.bin")
assert h["ServerSideEncryption"] == "aws:kms" and h["SSEKMSKeyId"] == key["Arn"] and h["BucketKeyEnabled"], h
assert h["ContentLength"] == len(data) and h["ETag"].endswith('-2"'), h
buf = io.BytesIO()
s3.download_fileobj("vault", "big.bin", buf, Config=cfg)
assert buf.getvalue() == data
assert s3.get_object(Bucket="vault", Key="big.bin", Range="bytes=5242870-5242889")["Body"].read() == data[5242870:5242890]

ctx = base64.b64encode(json.dumps({"team": "blue"}).encode()).decode()
r = s3.put_object(Bucket="vault", Key="ctx", Body=b"hello", ServerSideEncryption="aws:kms", SSEKMSKeyId="alias/vault", SSEKMSEncryptionContext=ctx)
assert json.loads(base64.b64decode(r["SSEKMSEncryptionContext"])) == {"team": "blue", "aws:s3:arn": "arn:aws:s3:::vault/ctx"}, r
assert s3.get_object(Bucket="vault", Key="ctx")["Body"].read() == b"hello"
assert code(lambda: s3.put_object(Bucket="vault", Key="x", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId="alias/nope")) == "KMS.NotFoundException"

# POST Object: the form's SSE-KMS fields.
import uuid, urllib.request, urllib.error
from botocore.config import Config
s3v4 = boto3.client("s3", config=Config(signature_version="s3v4"))
def post(url, fields, data):
    b = uuid.uuid4().hex
    body = b""
    for k, v in fields.items():
        body += ("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n" % (b, k, v)).encode()
    body += ("--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f\"\r\n\r\n" % b).encode() + data + ("\r\n--%s--\r\n" % b).encode()
    req = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "multipart/form-data; boundary=" + b})
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
for kid, want in (("alias/vault", 204), ("alias/nope", 400)):
    f = {"x-amz-server-side-encryption": "aws:kms", "x-amz-server-side-encryption-aws-kms-key-id": kid}
    p = s3v4.generate_presigned_post("vault", "form", Fields=f, Conditions=[{k: v} for k, v in f.items()])
    st, body = post(p["url"], p["fields"], b"posted")
    assert st == want, (kid, st, body)
    if want == 400:
        assert "<Code>KMS.NotFoundException</Code>" in body, body
h = s3.head_object(Bucket="vault", Key="form")
assert h["ServerSideEncryption"] == "aws:kms" and h["SSEKMSKeyId"] == key["Arn"], h
assert s3.get_object(Bucket="vault", Key="form")["Body"].read() == b"posted"

kms.disable_key(KeyId=key["KeyId"])
assert code(lambda: s3.get_object(Bucket="vault", Key="ctx")) == "KMS.DisabledException"
assert code(lambda: s3.put_object(Bucket="vault", Key="y", Body=b"y")) == "KMS.DisabledException"
kms.enable_key(KeyId=key["KeyId"])
assert s3.get_object(Bucket="vault", Key="ctx")["Body"].read() == b"hello"
print("ok")
`)
	if strings.TrimSpace(out) != "ok" {
		t.Fatalf("boto3: %s", out)
	}
}
