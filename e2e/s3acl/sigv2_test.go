package s3acl

import (
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// TestBoto3SigV2BucketRequests: boto3 signing with SigV2 (signature_version
// "s3"), path style and virtual-host style, on bucket-level requests
// (create, list, head, location, ACL, delete) as well as objects.
func TestBoto3SigV2BucketRequests(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	out := n.Python(t, `
import boto3
from botocore.config import Config
for style in ("path", "virtual"):
    s3 = boto3.client("s3", config=Config(signature_version="s3", s3={"addressing_style": style}, retries={"max_attempts": 1}))
    b = "sigv2-" + style
    s3.create_bucket(Bucket=b, CreateBucketConfiguration={"LocationConstraint": s3.meta.region_name})
    s3.head_bucket(Bucket=b)
    s3.put_object(Bucket=b, Key="k", Body=b"v")
    assert [o["Key"] for o in s3.list_objects(Bucket=b)["Contents"]] == ["k"]
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=b, Prefix="k")["Contents"]] == ["k"]
    s3.get_bucket_location(Bucket=b)
    s3.get_bucket_acl(Bucket=b)
    s3.delete_object(Bucket=b, Key="k")
    s3.delete_bucket(Bucket=b)
print("ok")
`)
	if !strings.Contains(out, "ok") {
		t.Fatalf("script did not finish: %s", out)
	}
}
