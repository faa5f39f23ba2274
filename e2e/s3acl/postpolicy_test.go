package s3acl

import (
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// TestPostPolicyForms sends browser forms signed by hand (SigV2 over the
// policy, as S3's POST documentation describes) with urllib: field names
// and condition operators in any case, the policy's own keys in lower
// case only, a missing signature and an empty condition (400), checksum
// fields verified without a condition, and SSE-C fields honoured.
func TestPostPolicyForms(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	out := n.Python(t, `
import boto3, botocore, uuid, urllib.request, urllib.error, base64, json, hmac, hashlib, datetime, zlib
from botocore.config import Config
s3 = boto3.client("s3", config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))
s3.create_bucket(Bucket="forms", CreateBucketConfiguration={"LocationConstraint": s3.meta.region_name})
url = s3.meta.endpoint_url + "/forms"
exp = (datetime.datetime.utcnow() + datetime.timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%SZ")

def post(fields, data=b"hello"):
    b = uuid.uuid4().hex
    body = b""
    for k, v in fields:
        body += ("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n" % (b, k, v)).encode()
    body += ("--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f.txt\"\r\n\r\n" % b).encode()
    body += data + ("\r\n--%s--\r\n" % b).encode()
    req = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "multipart/form-data; boundary=" + b})
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, ""
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()

def signed(doc, fields, sig=True):
    policy = base64.b64encode(json.dumps(doc).encode()).decode()
    out = list(fields) + [("AWSAccessKeyId", "test"), ("pOLICy", policy)]
    if sig:
        out.append(("signature", base64.b64encode(hmac.new(b"test", policy.encode(), hashlib.sha1).digest()).decode()))
    return out

# Field names and operators in any case.
doc = {"expiration": exp, "conditions": [{"bUcKeT": "forms"}, ["StArTs-WiTh", "$KeY", "foo"], {"AcL": "private"},
    ["StArTs-WiTh", "$CoNtEnT-TyPe", "text/plain"], ["content-length-range", 0, 1024]]}
st, body = post(signed(doc, [("kEy", "foo.txt"), ("aCl", "private"), ("Content-Type", "text/plain")]))
assert st == 204, (st, body)
assert s3.get_object(Bucket="forms", Key="foo.txt")["Body"].read() == b"hello"
# starts-with still means starts-with when written in another case.
st, body = post(signed(doc, [("kEy", "bar.txt"), ("aCl", "private"), ("Content-Type", "text/plain")]))
assert st == 403 and "Policy Condition failed" in body, (st, body)

plain = [("key", "k.txt")]
cond = [{"bucket": "forms"}, ["starts-with", "$key", ""]]
for bad in ({"EXPIRATION": exp, "conditions": cond}, {"expiration": exp, "CONDITIONS": cond},
            {"expiration": exp, "conditions": [{}]}, {"expiration": exp, "conditions": [{"bucket": "forms", "key": "k.txt"}]}):
    st, body = post(signed(bad, plain))
    assert st == 400 and "InvalidPolicyDocument" in body, (bad, st, body)
st, body = post(signed({"expiration": exp, "conditions": cond}, plain, sig=False))
assert st == 400 and "InvalidArgument" in body, (st, body)

# Checksum fields need no condition and are verified.
crc = base64.b64encode(zlib.crc32(b"hello").to_bytes(4, "big")).decode()
st, body = post(signed({"expiration": exp, "conditions": cond}, plain + [("x-amz-checksum-crc32", crc)]))
assert st == 204, (st, body)
assert s3.head_object(Bucket="forms", Key="k.txt", ChecksumMode="ENABLED")["ChecksumCRC32"] == crc
st, body = post(signed({"expiration": exp, "conditions": cond}, plain + [("x-amz-checksum-crc32", "AAAAAA==")]))
assert st == 400 and "BadDigest" in body, (st, body)

# SSE-C fields encrypt the object under the customer's key.
key = b"0123456789abcdef0123456789abcdef"
k64, md5 = base64.b64encode(key).decode(), base64.b64encode(hashlib.md5(key).digest()).decode()
ssec = [("x-amz-server-side-encryption-customer-algorithm", "AES256"), ("x-amz-server-side-encryption-customer-key", k64),
        ("x-amz-server-side-encryption-customer-key-MD5", md5)]
c = cond + [{"x-amz-server-side-encryption-customer-algorithm": "AES256"},
    ["starts-with", "$x-amz-server-side-encryption-customer-key", ""], ["starts-with", "$x-amz-server-side-encryption-customer-key-MD5", ""]]
st, body = post(signed({"expiration": exp, "conditions": c}, [("key", "secret.txt")] + ssec))
assert st == 204, (st, body)
try:
    s3.head_object(Bucket="forms", Key="secret.txt")
    raise SystemExit("SSE-C object read without its key")
except botocore.exceptions.ClientError as e:
    assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 400, e.response
h = s3.head_object(Bucket="forms", Key="secret.txt", SSECustomerAlgorithm="AES256", SSECustomerKey=key)
assert h["SSECustomerAlgorithm"] == "AES256", h
print("ok")
`)
	if !strings.Contains(out, "ok") {
		t.Fatalf("script did not finish: %s", out)
	}
}
