#!/usr/bin/env bash
# S8 — S3 presigned URLs with expiry (seed 002).
#
# A private bucket (no policy: anonymous access is implicitly denied) holds
# wawawa/s3_index.html. `aws s3 presign --expires-in 3600` makes a URL that
# plain curl can fetch (SigV2 query form from CLI v1, SigV4 from v2 and
# boto3); the plain URL is AccessDenied; a tampered signature is
# SignatureDoesNotMatch; an expired URL is AccessDenied "Request has
# expired".
set -euo pipefail

AWS_ENDPOINT_URL="${AWS_ENDPOINT_URL:-http://localhost:4566}"
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
awscli() { aws --endpoint-url "$AWS_ENDPOINT_URL" "$@"; }
fail() { echo "S8 FAILED: $*" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

bucket="kabegiwa-secret-$(date +%s)$$"
awscli s3 mb "s3://$bucket" >/dev/null
echo '<html><body>secret page</body></html>' > "$work/s3_index.html"
awscli s3 cp "$work/s3_index.html" "s3://$bucket/wawawa/s3_index.html" >/dev/null

# The plain URL: implicit deny for anonymous.
plain="$AWS_ENDPOINT_URL/$bucket/wawawa/s3_index.html"
code=$(curl -s -o "$work/plain" -w '%{http_code}' "$plain")
[ "$code" = 403 ] || fail "plain URL answered $code, want 403"
grep -q '<Code>AccessDenied</Code>' "$work/plain" || fail "plain URL body: $(cat "$work/plain")"

# The tutorial's command.
url=$(awscli s3 presign "s3://$bucket/wawawa/s3_index.html" --expires-in 3600)
echo "presigned: $url"
body=$(curl -sf "$url") || fail "presigned URL refused"
[ "$body" = '<html><body>secret page</body></html>' ] || fail "presigned URL served: $body"

# The other signature version, as boto3 generates it.
url4=$(python3 - "$bucket" <<'PY'
import sys, boto3, os
s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"], config=boto3.session.Config(signature_version="s3v4"))
print(s3.generate_presigned_url("get_object", Params={"Bucket": sys.argv[1], "Key": "wawawa/s3_index.html"}, ExpiresIn=3600))
PY
)
case "$url4" in *X-Amz-Signature=*) ;; *) fail "boto3 URL is not SigV4: $url4" ;; esac
[ "$(curl -sf "$url4")" = '<html><body>secret page</body></html>' ] || fail "SigV4 presigned URL refused"

# Tampering with the signature.
tampered=$(echo "$url4" | sed -E 's/(X-Amz-Signature=)./\10/')
[ "$tampered" != "$url4" ] || tampered=$(echo "$url4" | sed -E 's/(X-Amz-Signature=)./\11/')
curl -s "$tampered" > "$work/tampered"
grep -q '<Code>SignatureDoesNotMatch</Code>' "$work/tampered" || fail "tampered URL: $(cat "$work/tampered")"

# Expiry: a one-second URL, used after it expired.
short=$(awscli s3 presign "s3://$bucket/wawawa/s3_index.html" --expires-in 1)
sleep 2
curl -s "$short" > "$work/expired"
grep -q '<Code>AccessDenied</Code>' "$work/expired" || fail "expired URL: $(cat "$work/expired")"
grep -q 'Request has expired' "$work/expired" || fail "expired URL message: $(cat "$work/expired")"

awscli s3 rb "s3://$bucket" --force >/dev/null
echo "S8 OK"
