package s3acl

import (
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// otherKey is a second account's root key given to the binary.
const (
	otherKeyID  = "AKIAOTHERACCOUNT0009"
	otherSecret = "other-secret"
	otherAcct   = "999999999999"
)

// TestBoto3ACLs drives a legacy ACL bucket as boto3 code meets it: grants
// to another account by canonical id, authenticated-read and public-read
// honoured for that account's signed requests, IgnorePublicAcls and
// BlockPublicAcls, group grantees listed with their URI, e-mail grantees
// refused, an anonymous form upload allowed by the bucket policy, and
// CORS answers naming the allowed methods.
func TestBoto3ACLs(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t, "--access-key", otherKeyID+":"+otherSecret+":"+otherAcct)
	out := n.Python(t, `
import boto3, botocore, uuid, urllib.request, urllib.error, json
from botocore.config import Config
cfg = Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1})
s3 = boto3.client("s3", config=cfg)
other = boto3.client("s3", config=cfg, aws_access_key_id="`+otherKeyID+`", aws_secret_access_key="`+otherSecret+`")
loc = {"LocationConstraint": s3.meta.region_name}

def err(fn):
    try:
        fn()
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]
    return None, 200

s3.create_bucket(Bucket="legacy", CreateBucketConfiguration=loc, ObjectOwnership="ObjectWriter")
s3.delete_public_access_block(Bucket="legacy")
other.create_bucket(Bucket="theirs", CreateBucketConfiguration=loc)
their_id = other.get_bucket_acl(Bucket="theirs")["Owner"]["ID"]

s3.put_object(Bucket="legacy", Key="private", Body=b"p")
s3.put_object(Bucket="legacy", Key="granted", Body=b"g", GrantRead='id="%s"' % their_id)
s3.put_object(Bucket="legacy", Key="authenticated", Body=b"a", ACL="authenticated-read")
s3.put_object(Bucket="legacy", Key="public", Body=b"pub", ACL="public-read")
get = lambda k: err(lambda: other.get_object(Bucket="legacy", Key=k)["Body"].read())
assert get("private") == ("AccessDenied", 403), get("private")
for k in ("granted", "authenticated", "public"):
    assert get(k) == (None, 200), (k, get(k))

assert err(lambda: other.put_object(Bucket="legacy", Key="x", Body=b"x")) == ("AccessDenied", 403)
s3.put_bucket_acl(Bucket="legacy", GrantWrite='id="%s"' % their_id,
    GrantRead='uri="http://acs.amazonaws.com/groups/global/AuthenticatedUsers"', GrantFullControl='id="%s"' % s3.get_bucket_acl(Bucket="legacy")["Owner"]["ID"])
other.put_object(Bucket="legacy", Key="x", Body=b"x")
assert [o["Key"] for o in other.list_objects_v2(Bucket="legacy")["Contents"]] == ["authenticated", "granted", "private", "public", "x"]
groups = [g for g in s3.get_bucket_acl(Bucket="legacy")["Grants"] if g["Grantee"]["Type"] == "Group"]
assert groups == [{"Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"}, "Permission": "READ"}], groups

assert err(lambda: s3.put_object_acl(Bucket="legacy", Key="private", GrantRead='emailAddress="a@example.com"')) == ("MethodNotAllowed", 405)

s3.put_public_access_block(Bucket="legacy", PublicAccessBlockConfiguration={"IgnorePublicAcls": True, "BlockPublicAcls": True})
assert get("public") == ("AccessDenied", 403) and get("authenticated") == ("AccessDenied", 403)
assert get("granted") == (None, 200)
assert err(lambda: s3.put_object_acl(Bucket="legacy", Key="private", ACL="public-read")) == ("AccessDenied", 403)
assert err(lambda: s3.put_bucket_acl(Bucket="legacy", ACL="public-read")) == ("AccessDenied", 403)

# Anonymous form upload, allowed by the bucket policy only.
s3.create_bucket(Bucket="dropbox", CreateBucketConfiguration=loc)
s3.delete_public_access_block(Bucket="dropbox")
def post(bucket, fields, data):
    b = uuid.uuid4().hex
    body = b""
    for k, v in fields.items():
        body += ("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n" % (b, k, v)).encode()
    body += ("--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f.txt\"\r\n\r\n" % b).encode()
    body += data + ("\r\n--%s--\r\n" % b).encode()
    req = urllib.request.Request(s3.meta.endpoint_url + "/" + bucket, data=body, method="POST",
        headers={"Content-Type": "multipart/form-data; boundary=" + b})
    try:
        with urllib.request.urlopen(req) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
assert post("dropbox", {"key": "in/a.txt"}, b"hi") == 403
s3.put_bucket_policy(Bucket="dropbox", Policy=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": "*", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::dropbox/in/*"}]}))
assert post("dropbox", {"key": "in/a.txt"}, b"hi") == 204
assert post("dropbox", {"key": "out/a.txt"}, b"hi") == 403
assert s3.get_object(Bucket="dropbox", Key="in/a.txt")["Body"].read() == b"hi"

# CORS: an actual request names the rule's methods.
s3.put_bucket_cors(Bucket="dropbox", CORSConfiguration={"CORSRules": [{"AllowedOrigins": ["*"], "AllowedMethods": ["GET", "HEAD"]}]})
url = s3.generate_presigned_url("get_object", Params={"Bucket": "dropbox", "Key": "in/a.txt"})
with urllib.request.urlopen(urllib.request.Request(url, headers={"Origin": "https://site.example"})) as r:
    assert r.headers["Access-Control-Allow-Methods"] == "GET, HEAD", dict(r.headers)
print("ok")
`)
	if !strings.Contains(out, "ok") {
		t.Fatalf("script did not finish: %s", out)
	}
}

// TestCLIACLGrant: the aws CLI grants another account read by canonical
// id; that account's CLI then reads the object, and is refused before.
func TestCLIACLGrant(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t, "--access-key", otherKeyID+":"+otherSecret+":"+otherAcct)
	otherEnv := []string{"AWS_ACCESS_KEY_ID=" + otherKeyID, "AWS_SECRET_ACCESS_KEY=" + otherSecret}
	for _, cli := range framework.CLIs {
		bucket := "cli-acl-" + cli.Name
		n.MustCLI(t, cli, "s3api", "create-bucket", "--bucket", bucket, "--object-ownership", "ObjectWriter",
			"--create-bucket-configuration", "LocationConstraint="+n.Region)
		n.MustCLI(t, cli, "s3api", "put-object", "--bucket", bucket, "--key", "doc", "--body", "/etc/hostname")
		if _, stderr, err := n.RunCLI(t, cli, otherEnv, "s3api", "head-object", "--bucket", bucket, "--key", "doc"); err == nil || !strings.Contains(stderr, "403") {
			t.Fatalf("%s: other account read without a grant: %v %s", cli.Name, err, stderr)
		}
		id, _, err := n.RunCLI(t, cli, otherEnv, "s3api", "list-buckets", "--query", "Owner.ID", "--output", "text")
		if err != nil {
			t.Fatal(err)
		}
		n.MustCLI(t, cli, "s3api", "put-object-acl", "--bucket", bucket, "--key", "doc", "--grant-read", "id="+strings.TrimSpace(id))
		if _, stderr, err := n.RunCLI(t, cli, otherEnv, "s3api", "head-object", "--bucket", bucket, "--key", "doc"); err != nil {
			t.Fatalf("%s: other account read with a grant: %v %s", cli.Name, err, stderr)
		}
	}
}

// TestCLILoggingTarget: the aws CLI's put-bucket-logging is refused until
// the target's bucket policy lets the logging service write, as on S3.
func TestCLILoggingTarget(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	for _, cli := range framework.CLIs {
		src, dst := "cli-src-"+cli.Name, "cli-logs-"+cli.Name
		for _, b := range []string{src, dst} {
			n.MustCLI(t, cli, "s3api", "create-bucket", "--bucket", b, "--create-bucket-configuration", "LocationConstraint="+n.Region)
		}
		status := `{"LoggingEnabled":{"TargetBucket":"` + dst + `","TargetPrefix":"logs/"}}`
		_, stderr, err := n.RunCLI(t, cli, nil, "s3api", "put-bucket-logging", "--bucket", src, "--bucket-logging-status", status)
		if err == nil || !strings.Contains(stderr, "InvalidTargetBucketForLogging") {
			t.Fatalf("%s: logging into a target that does not allow it: %v %s", cli.Name, err, stderr)
		}
		n.MustCLI(t, cli, "s3api", "put-bucket-policy", "--bucket", dst, "--policy", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",`+
			`"Principal":{"Service":"logging.s3.amazonaws.com"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::`+dst+`/logs/*",`+
			`"Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:s3:::`+src+`"}}}]}`)
		n.MustCLI(t, cli, "s3api", "put-bucket-logging", "--bucket", src, "--bucket-logging-status", status)
	}
}

// TestBoto3ObjectOwnership: under ObjectWriter another account's upload is
// owned by that account (get_object_acl and list_objects show its id) and
// the bucket owner reads it only through bucket-owner-read or
// bucket-owner-full-control; under BucketOwnerPreferred an upload with
// bucket-owner-full-control belongs to the bucket owner.
func TestBoto3ObjectOwnership(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t, "--access-key", otherKeyID+":"+otherSecret+":"+otherAcct)
	out := n.Python(t, `
import boto3, botocore
from botocore.config import Config
cfg = Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1})
s3 = boto3.client("s3", config=cfg)
other = boto3.client("s3", config=cfg, aws_access_key_id="`+otherKeyID+`", aws_secret_access_key="`+otherSecret+`")
loc = {"LocationConstraint": s3.meta.region_name}
def err(fn):
    try:
        fn()
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]
    return None, 200

other.create_bucket(Bucket="theirs", CreateBucketConfiguration=loc)
their_id = other.get_bucket_acl(Bucket="theirs")["Owner"]["ID"]
for b, own in (("writer", "ObjectWriter"), ("preferred", "BucketOwnerPreferred")):
    s3.create_bucket(Bucket=b, CreateBucketConfiguration=loc, ObjectOwnership=own)
    my_id = s3.get_bucket_acl(Bucket=b)["Owner"]["ID"]
    s3.put_bucket_acl(Bucket=b, GrantWrite='id="%s"' % their_id, GrantFullControl='id="%s"' % my_id)

other.put_object(Bucket="writer", Key="mine", Body=b"m")
other.put_object(Bucket="writer", Key="shared", Body=b"s", ACL="bucket-owner-full-control")
assert other.get_object_acl(Bucket="writer", Key="mine")["Owner"]["ID"] == their_id
assert err(lambda: s3.get_object(Bucket="writer", Key="mine")) == ("AccessDenied", 403)
assert s3.get_object(Bucket="writer", Key="shared")["Body"].read() == b"s"
grants = s3.get_object_acl(Bucket="writer", Key="shared")["Grants"]
assert sorted(g["Grantee"]["ID"] for g in grants) == sorted([their_id, my_id]), grants
owners = {o["Key"]: o["Owner"]["ID"] for o in s3.list_objects(Bucket="writer")["Contents"]}
assert owners == {"mine": their_id, "shared": their_id}, owners
s3.delete_object(Bucket="writer", Key="mine")

other.put_object(Bucket="preferred", Key="given", Body=b"g", ACL="bucket-owner-full-control")
other.put_object(Bucket="preferred", Key="kept", Body=b"k")
assert s3.get_object_acl(Bucket="preferred", Key="given")["Owner"]["ID"] == my_id
assert other.get_object_acl(Bucket="preferred", Key="kept")["Owner"]["ID"] == their_id

# x-amz-expected-bucket-owner: another account's id is refused.
assert err(lambda: other.put_object(Bucket="writer", Key="x", Body=b"x", ExpectedBucketOwner="`+otherAcct+`")) == ("AccessDenied", 403)
print("ok")
`)
	if !strings.Contains(out, "ok") {
		t.Fatalf("script did not finish: %s", out)
	}
}
