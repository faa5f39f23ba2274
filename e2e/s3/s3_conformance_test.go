package s3

import (
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// TestBoto3ConditionalWritesAndAnswers drives the conditional writes and
// the S3 answers of issue 17 with boto3, as a user's code meets them.
func TestBoto3ConditionalWritesAndAnswers(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	out := n.Python(t, `
import boto3, botocore, threading
from botocore.config import Config
s3 = boto3.client("s3", config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}, max_pool_connections=25))
region = s3.meta.region_name
s3.create_bucket(Bucket="cond-bucket", CreateBucketConfiguration={"LocationConstraint": region})

def err(fn):
    try:
        fn()
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]
    return None, 200

first = s3.put_object(Bucket="cond-bucket", Key="k", Body=b"one", IfNoneMatch="*")
assert err(lambda: s3.put_object(Bucket="cond-bucket", Key="k", Body=b"two", IfNoneMatch="*")) == ("PreconditionFailed", 412)
assert err(lambda: s3.put_object(Bucket="cond-bucket", Key="k", Body=b"two", IfMatch='"0000"')) == ("PreconditionFailed", 412)
second = s3.put_object(Bucket="cond-bucket", Key="k", Body=b"two", IfMatch=first["ETag"])
assert s3.get_object(Bucket="cond-bucket", Key="k")["Body"].read() == b"two"
assert err(lambda: s3.delete_object(Bucket="cond-bucket", Key="k", IfMatch=first["ETag"])) == ("PreconditionFailed", 412)
s3.delete_object(Bucket="cond-bucket", Key="k", IfMatch=second["ETag"])

# Twenty racers, one key: exactly one wins.
results = []
def racer(i):
    results.append(err(lambda: s3.put_object(Bucket="cond-bucket", Key="race", Body=bytes([65 + i]) * 65536, IfNoneMatch="*")))
threads = [threading.Thread(target=racer, args=(i,)) for i in range(20)]
[t.start() for t in threads]
[t.join() for t in threads]
assert sum(1 for r in results if r == (None, 200)) == 1, results
assert all(r in ((None, 200), ("PreconditionFailed", 412), ("ConditionalRequestConflict", 409)) for r in results), results

s3.put_object(Bucket="cond-bucket", Key="r", Body=b"0123456789", Tagging="a=1")
h = s3.head_object(Bucket="cond-bucket", Key="r", Range="bytes=2-4")
assert h["ResponseMetadata"]["HTTPStatusCode"] == 206, h["ResponseMetadata"]
assert h["ContentRange"] == "bytes 2-4/10" and h["ContentLength"] == 3, h
assert h["ResponseMetadata"]["HTTPHeaders"]["x-amz-tagging-count"] == "1"

r = s3.put_bucket_tagging(Bucket="cond-bucket", Tagging={"TagSet": [{"Key": "a", "Value": "b"}]})
assert r["ResponseMetadata"]["HTTPStatusCode"] == 204, r

s3.put_bucket_versioning(Bucket="cond-bucket", VersioningConfiguration={"Status": "Enabled"})
s3.put_object(Bucket="cond-bucket", Key="m", Body=b"x")
marker = s3.delete_object(Bucket="cond-bucket", Key="m")
try:
    s3.head_object(Bucket="cond-bucket", Key="m")
    raise SystemExit("HEAD of a deleted key succeeded")
except botocore.exceptions.ClientError as e:
    hdrs = e.response["ResponseMetadata"]["HTTPHeaders"]
    assert hdrs.get("x-amz-delete-marker") == "true" and hdrs.get("x-amz-version-id") == marker["VersionId"], hdrs
    assert hdrs.get("content-type") == "application/xml", hdrs
s3.put_bucket_versioning(Bucket="cond-bucket", VersioningConfiguration={"Status": "Suspended"})
assert "VersionId" not in s3.put_object(Bucket="cond-bucket", Key="s", Body=b"x")

# boto3 lists with encoding-type=url; v1 answers Prefix as sent.
s3.put_object(Bucket="cond-bucket", Key="a b/c d", Body=b"x")
v1 = s3.list_objects(Bucket="cond-bucket", Prefix="a b/")
assert v1["Prefix"] == "a b/" and [o["Key"] for o in v1["Contents"]] == ["a b/c d"], v1
v2 = s3.list_objects_v2(Bucket="cond-bucket", Prefix="a b/")
assert v2["Prefix"] == "a b/" and [o["Key"] for o in v2["Contents"]] == ["a b/c d"], v2

for name in ("page-one", "page-two", "page-three"):
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
page = s3.list_buckets(MaxBuckets=2, Prefix="page-")
assert [b["Name"] for b in page["Buckets"]] == ["page-one", "page-three"] and page["ContinuationToken"], page
rest = s3.list_buckets(MaxBuckets=2, Prefix="page-", ContinuationToken=page["ContinuationToken"])
assert [b["Name"] for b in rest["Buckets"]] == ["page-two"] and "ContinuationToken" not in rest, rest
print("ok")
`)
	if strings.TrimSpace(out) != "ok" {
		t.Fatalf("boto3: %q", out)
	}
}
