package s3

import (
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// TestBoto3ExpectContinueNoStall: botocore sends "Expect: 100-continue"
// on every S3 PUT, empty ones included. An empty PUT answered without
// 100 Continue left botocore holding a stale status line for its pooled
// connection, and the next PUT on it waited out the 60 s read timeout.
// One connection (max_pool_connections=1), no retries: an empty PUT, then
// non-empty PUTs, a PUT niwa refuses without reading its body, another
// empty PUT and GETs must all answer correctly and quickly. On both HTTP
// servers the plain-HTTP port can have (--http-server std|niwa).
func TestBoto3ExpectContinueNoStall(t *testing.T) {
	t.Parallel()
	for _, hs := range []string{"std", "niwa"} {
		t.Run(hs, func(t *testing.T) {
			t.Parallel()
			testBoto3ExpectContinueNoStall(t, framework.StartBinary(t, "--http-server", hs))
		})
	}
}

func testBoto3ExpectContinueNoStall(t *testing.T, n *framework.Niwa) {
	out := n.Python(t, `
import boto3, botocore, time
from botocore.config import Config
s3 = boto3.client("s3", config=Config(max_pool_connections=1, retries={"max_attempts": 1}, read_timeout=60,
                                      s3={"addressing_style": "path"}))
s3.create_bucket(Bucket="expect-bucket", CreateBucketConfiguration={"LocationConstraint": s3.meta.region_name})
t0 = time.time()
steps = []
def step(name, fn):
    t = time.time()
    r = fn()
    steps.append((name, round(time.time() - t, 2)))
    return r
step("empty put", lambda: s3.put_object(Bucket="expect-bucket", Key="empty", Body=b""))
for i in range(3):
    r = step("put %d" % i, lambda: s3.put_object(Bucket="expect-bucket", Key="k%d" % i, Body=b"x" * (1000 * (i + 1))))
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 200, r
try:
    step("refused put", lambda: s3.put_object(Bucket="no-such-expect-bucket", Key="a", Body=b"y" * 5000))
    raise SystemExit("PUT to a missing bucket succeeded")
except botocore.exceptions.ClientError as e:
    assert e.response["Error"]["Code"] == "NoSuchBucket", e.response
step("empty put again", lambda: s3.put_object(Bucket="expect-bucket", Key="empty2", Body=b""))
step("put after it", lambda: s3.put_object(Bucket="expect-bucket", Key="k3", Body=b"z" * 4000))
assert step("get", lambda: s3.get_object(Bucket="expect-bucket", Key="k2"))["Body"].read() == b"x" * 3000
assert step("get empty", lambda: s3.get_object(Bucket="expect-bucket", Key="empty"))["Body"].read() == b""
assert s3.get_object(Bucket="expect-bucket", Key="k3")["Body"].read() == b"z" * 4000
total = time.time() - t0
# Every call is milliseconds; one stall is botocore's 60 s read timeout.
assert total < 10, (total, steps)
print("ok", round(total, 2), steps)
`)
	if !strings.HasPrefix(out, "ok ") {
		t.Fatalf("boto3: %q", out)
	}
	t.Log(strings.TrimSpace(out))
}
