package s3answers

import (
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// TestBoto3Answers drives, as boto3 code meets them: a multipart upload
// with a checksum algorithm completed with a wrong part checksum
// (InvalidPart), a wrong object checksum (BadDigest), then right, and
// the same Complete repeated (answered again); tags in x-amz-tagging
// order; an account regional bucket; bucket ABAC; the S3 Metadata and
// RenameObject calls refused without touching the bucket;
// UpdateObjectEncryption moving an object to SSE-KMS.
func TestBoto3Answers(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	out := n.Python(t, `
import boto3, botocore, base64, hashlib
from botocore.config import Config
cfg = Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1})
s3, kms, sts = boto3.client("s3", config=cfg), boto3.client("kms"), boto3.client("sts")
region, account = s3.meta.region_name, sts.get_caller_identity()["Account"]
loc = {"LocationConstraint": region}
def err(fn):
    try:
        fn()
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]
    return None, 200

s3.create_bucket(Bucket="answers", CreateBucketConfiguration=loc)
u = s3.create_multipart_upload(Bucket="answers", Key="mp", ChecksumAlgorithm="SHA256")["UploadId"]
p = s3.upload_part(Bucket="answers", Key="mp", UploadId=u, PartNumber=1, Body=b"part one", ChecksumAlgorithm="SHA256")
good = {"ETag": p["ETag"], "PartNumber": 1, "ChecksumSHA256": p["ChecksumSHA256"]}
bad = dict(good, ChecksumSHA256=base64.b64encode(hashlib.sha256(b"other").digest()).decode())
complete = lambda parts, **kw: s3.complete_multipart_upload(Bucket="answers", Key="mp", UploadId=u, MultipartUpload={"Parts": parts}, **kw)
assert err(lambda: complete([bad])) == ("InvalidPart", 400)
assert err(lambda: complete([good], ChecksumSHA256=bad["ChecksumSHA256"] + "-1")) == ("BadDigest", 400)
composite = base64.b64encode(hashlib.sha256(base64.b64decode(p["ChecksumSHA256"])).digest()).decode() + "-1"
first = complete([good], ChecksumSHA256=composite)
assert first["ChecksumSHA256"] == composite and first["ChecksumType"] == "COMPOSITE", first
again = complete([good])
assert again["ETag"] == first["ETag"], again

s3.put_object(Bucket="answers", Key="tagged", Body=b"x", Tagging="zeta=1&alpha=2&mid=3")
assert [t["Key"] for t in s3.get_object_tagging(Bucket="answers", Key="tagged")["TagSet"]] == ["zeta", "alpha", "mid"]

name = "mine-%s-%s-an" % (account, region)
assert err(lambda: s3.create_bucket(Bucket=name, CreateBucketConfiguration=loc)) == ("MissingNamespaceHeader", 400)
made = s3.create_bucket(Bucket=name, CreateBucketConfiguration=loc, BucketNamespace="account-regional")
assert made["BucketArn"] == "arn:aws:s3:::" + name, made

assert s3.get_bucket_abac(Bucket="answers")["AbacStatus"] == {"Status": "Disabled"}
s3.put_bucket_abac(Bucket="answers", AbacStatus={"Status": "Enabled"})
assert s3.get_bucket_abac(Bucket="answers")["AbacStatus"] == {"Status": "Enabled"}

s3.create_bucket(Bucket="empty-one", CreateBucketConfiguration=loc)
assert err(lambda: s3.delete_bucket_metadata_table_configuration(Bucket="empty-one")) == ("NotImplemented", 501)
s3.head_bucket(Bucket="empty-one")
assert err(lambda: s3.rename_object(Bucket="answers", Key="renamed", RenameSource="tagged")) == ("NotImplemented", 501)
assert [o["Key"] for o in s3.list_objects_v2(Bucket="answers")["Contents"]] == ["mp", "tagged"]

key = kms.create_key()["KeyMetadata"]["Arn"]
s3.update_object_encryption(Bucket="answers", Key="tagged", ObjectEncryption={"SSEKMS": {"KMSKeyArn": key}})
h = s3.head_object(Bucket="answers", Key="tagged")
assert h["ServerSideEncryption"] == "aws:kms" and h["SSEKMSKeyId"] == key, h
assert s3.get_object(Bucket="answers", Key="tagged")["Body"].read() == b"x"
print("ok")
`)
	if !strings.Contains(out, "ok") {
		t.Fatalf("script did not finish: %s", out)
	}
}
