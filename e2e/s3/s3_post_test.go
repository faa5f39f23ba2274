package s3

import (
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// TestS3PostObject uploads through browser-style forms built from boto3's
// generate_presigned_post (SigV4 and SigV2) and sent as plain
// multipart/form-data with urllib: the default 204, 201 with a
// PostResponse, ${filename}, content-length-range, and the refusals of a
// tampered signature, an expired policy, a failed condition and an extra
// field.
func TestS3PostObject(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	out := n.Python(t, `
import boto3, botocore, uuid, urllib.request, urllib.error, base64, json
from botocore.config import Config
s3 = boto3.client("s3", config=Config(signature_version="s3v4"))
s3.create_bucket(Bucket="post-bucket", CreateBucketConfiguration={"LocationConstraint": s3.meta.region_name})

def post(url, fields, filename, data):
    b = uuid.uuid4().hex
    body = b""
    for k, v in fields.items():
        body += ("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n" % (b, k, v)).encode()
    body += ("--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"%s\"\r\nContent-Type: application/octet-stream\r\n\r\n" % (b, filename)).encode()
    body += data + ("\r\n--%s--\r\n" % b).encode()
    req = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "multipart/form-data; boundary=" + b})
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, r.read().decode(), r.headers
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(), e.headers

p = s3.generate_presigned_post("post-bucket", "uploads/${filename}",
    Fields={"Content-Type": "text/plain"},
    Conditions=[["starts-with", "$key", "uploads/"], {"Content-Type": "text/plain"}, ["content-length-range", 1, 100]],
    ExpiresIn=300)
assert "x-amz-signature" in p["fields"], p
st, body, h = post(p["url"], p["fields"], "hello.txt", b"hello form")
assert st == 204, (st, body)
o = s3.get_object(Bucket="post-bucket", Key="uploads/hello.txt")
assert o["Body"].read() == b"hello form" and o["ContentType"] == "text/plain", o
assert h["ETag"] == o["ETag"], (h, o["ETag"])

st, body, _ = post(p["url"], p["fields"], "big.txt", b"x" * 200)
assert st == 400 and "<Code>EntityTooLarge</Code>" in body, (st, body)
assert "Contents" not in s3.list_objects_v2(Bucket="post-bucket", Prefix="uploads/big"), "too large object stored"

bad = dict(p["fields"]); bad["x-amz-signature"] = "0" * 64
st, body, _ = post(p["url"], bad, "t.txt", b"x")
assert st == 403 and "<Code>SignatureDoesNotMatch</Code>" in body, (st, body)

pol = json.loads(base64.b64decode(p["fields"]["policy"]))
pol["conditions"] = [c for c in pol["conditions"] if not (isinstance(c, list) and c[0] == "content-length-range")]
bad = dict(p["fields"]); bad["policy"] = base64.b64encode(json.dumps(pol).encode()).decode()
st, body, _ = post(p["url"], bad, "t.txt", b"x")
assert st == 403 and "<Code>SignatureDoesNotMatch</Code>" in body, (st, body)

bad = dict(p["fields"]); bad["key"] = "elsewhere/x"
st, body, _ = post(p["url"], bad, "t.txt", b"x")
assert st == 403 and "<Code>AccessDenied</Code>" in body and "Invalid according to Policy: Policy Condition failed" in body, (st, body)

bad = dict(p["fields"]); bad["acl"] = "public-read"
st, body, _ = post(p["url"], bad, "t.txt", b"x")
assert st == 403 and "Extra input fields: acl" in body, (st, body)

old = s3.generate_presigned_post("post-bucket", "late", ExpiresIn=-60)
st, body, _ = post(old["url"], old["fields"], "t.txt", b"x")
assert st == 403 and "Invalid according to Policy: Policy expired." in body, (st, body)

p = s3.generate_presigned_post("post-bucket", "created", Fields={"success_action_status": "201"},
    Conditions=[{"success_action_status": "201"}])
st, body, _ = post(p["url"], p["fields"], "c.bin", b"abc")
assert st == 201 and "<PostResponse>" in body and "<Key>created</Key>" in body and "<Bucket>post-bucket</Bucket>" in body, (st, body)

v2 = boto3.client("s3", config=Config(signature_version="s3"))
p = v2.generate_presigned_post("post-bucket", "v2-key")
assert "AWSAccessKeyId" in p["fields"] and "signature" in p["fields"], p
st, body, _ = post(p["url"], p["fields"], "v.bin", b"v2")
assert st == 204, (st, body)
assert s3.get_object(Bucket="post-bucket", Key="v2-key")["Body"].read() == b"v2"
bad = dict(p["fields"]); bad["signature"] = "AAAA"
st, body, _ = post(p["url"], bad, "v.bin", b"v2")
assert st == 403 and "SignatureDoesNotMatch" in body, (st, body)
print("ok")
`)
	if !strings.Contains(out, "ok") {
		t.Fatalf("output: %s", out)
	}
}
