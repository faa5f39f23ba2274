#!/usr/bin/env bash
# S6 — CloudFront signed URLs (seed 001).
#
# The tutorial: a key pair made with openssl, its public key registered
# (create-public-key) in a key group (create-key-group), a private bucket
# (Block Public Access on) read by CloudFront through an origin access
# control and a bucket policy allowing only cloudfront.amazonaws.com for
# this distribution (aws:SourceArn), a distribution whose behaviour
# trusts the key group; `aws cloudfront sign --date-less-than` makes the
# URL. Observable: through the distribution's domain (resolved by niwa's
# DNS, served on niwa's port) the signed URL answers the object, the
# plain URL and a tampered one 403 with CloudFront's XML, and after the
# expiry (niwa's clock advanced 2 h) the signed URL 403s too. The legacy
# origin access identity path is checked the same way on a second bucket.
set -euo pipefail

AWS_ENDPOINT_URL="${AWS_ENDPOINT_URL:-http://localhost:4566}"
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
NIWA_DNS_ADDR="${NIWA_DNS_ADDR:-127.0.0.1:5353}"
lib="$(cd "$(dirname "$0")/../lib" && pwd)"   # dnsq.py, the DNS client for machines without dig
awscli() { aws --endpoint-url "$AWS_ENDPOINT_URL" "$@"; }
fail() { echo "S6 FAILED: $*" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
port="${AWS_ENDPOINT_URL##*:}"

resolve() {
  local host="${NIWA_DNS_ADDR%:*}" dport="${NIWA_DNS_ADDR##*:}"
  if command -v dig >/dev/null 2>&1; then
    dig +norecurse +noall +answer @"$host" -p "$dport" "$1" A | awk '$4 == "A" {print $5}'
    return
  fi
  python3 "$lib/dnsq.py" "$NIWA_DNS_ADDR" "$1" A | awk '$1 == "A" {print $2}'
}

# niwa_now prints niwa's clock as Unix seconds (expiry is on it).
niwa_now() {
  curl -sf "$AWS_ENDPOINT_URL/_niwa/clock" | python3 -c 'import json,sys,datetime; print(int(datetime.datetime.fromisoformat(json.load(sys.stdin)["now"][:19]).replace(tzinfo=datetime.timezone.utc).timestamp()))'
}

# 1. The key pair, as the tutorial makes it. `aws cloudfront sign` (CLI
# v1) reads PKCS#1 ("BEGIN RSA PRIVATE KEY"), which OpenSSL 3 writes with
# -traditional.
openssl genrsa -out "$work/private_key.pem" 2048 2>/dev/null
openssl rsa -in "$work/private_key.pem" -traditional -out "$work/private_key.pem" 2>/dev/null || true
openssl rsa -pubout -in "$work/private_key.pem" -out "$work/public_key.pem" 2>/dev/null

ref="s6-$(date +%s)-$$"
key_id=$(awscli cloudfront create-public-key \
  --public-key-config "CallerReference=$ref,Name=s6-key-$$,EncodedKey=$(cat "$work/public_key.pem"),Comment=S6" \
  --query PublicKey.Id --output text)
group_id=$(awscli cloudfront create-key-group --key-group-config "Name=s6-group-$$,Items=$key_id" --query KeyGroup.Id --output text)
echo "public key $key_id in key group $group_id"

# 2. The private bucket and its object.
bucket="s6-private-$(date +%s)$$"
awscli s3 mb "s3://$bucket" >/dev/null
awscli s3api put-public-access-block --bucket "$bucket" --public-access-block-configuration \
  BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true
echo '<html><body>members only</body></html>' > "$work/index.html"
awscli s3 cp "$work/index.html" "s3://$bucket/private/index.html" >/dev/null

# 3. The origin access control and the distribution trusting the key group.
oac_id=$(awscli cloudfront create-origin-access-control --origin-access-control-config \
  "Name=s6-oac-$$,SigningProtocol=sigv4,SigningBehavior=always,OriginAccessControlOriginType=s3" \
  --query OriginAccessControl.Id --output text)
cat > "$work/dist.json" <<JSON
{"CallerReference":"$ref","Comment":"S6","Enabled":true,
 "Origins":{"Quantity":1,"Items":[{"Id":"s3","DomainName":"$bucket.s3.$AWS_DEFAULT_REGION.amazonaws.com",
   "OriginAccessControlId":"$oac_id","S3OriginConfig":{"OriginAccessIdentity":""}}]},
 "DefaultCacheBehavior":{"TargetOriginId":"s3","ViewerProtocolPolicy":"allow-all",
   "TrustedKeyGroups":{"Enabled":true,"Quantity":1,"Items":["$group_id"]},
   "CachePolicyId":"658327ea-f89d-4fab-a63d-7e88639e58f6"}}
JSON
awscli cloudfront create-distribution --distribution-config "file://$work/dist.json" > "$work/dist.out"
dist_id=$(python3 -c 'import json,sys;print(json.load(open(sys.argv[1]))["Distribution"]["Id"])' "$work/dist.out")
dist_arn=$(python3 -c 'import json,sys;print(json.load(open(sys.argv[1]))["Distribution"]["ARN"])' "$work/dist.out")
domain=$(python3 -c 'import json,sys;print(json.load(open(sys.argv[1]))["Distribution"]["DomainName"])' "$work/dist.out")
echo "distribution $dist_id at $domain"
[ "$(awscli cloudfront get-distribution --id "$dist_id" --query 'Distribution.ActiveTrustedKeyGroups.Items[0].KeyPairIds.Items[0]' --output text)" = "$key_id" ] ||
  fail "the distribution does not list the key as active"

# 4. The bucket policy CloudFront's console proposes for an OAC.
cat > "$work/policy.json" <<JSON
{"Version":"2012-10-17","Statement":[{"Sid":"AllowCloudFrontServicePrincipal","Effect":"Allow",
  "Principal":{"Service":"cloudfront.amazonaws.com"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::$bucket/*",
  "Condition":{"StringEquals":{"AWS:SourceArn":"$dist_arn"}}}]}
JSON
awscli s3api put-bucket-policy --bucket "$bucket" --policy "file://$work/policy.json"
# The bucket itself stays private.
code=$(curl -s -o /dev/null -w '%{http_code}' "$AWS_ENDPOINT_URL/$bucket/private/index.html")
[ "$code" = 403 ] || fail "the bucket answered anonymous $code, want 403"

# 5. The domain resolves through niwa's DNS to niwa.
ip=$(resolve "$domain" | head -1)
[ -n "$ip" ] || fail "niwa's DNS does not answer $domain"
echo "$domain resolves to $ip"
fetch() { curl -s --resolve "$domain:$port:$ip" -o "$work/body" -w '%{http_code}' "http://$domain:$port/$1"; }

# 6. Unsigned: CloudFront's MissingKey.
[ "$(fetch private/index.html)" = 403 ] || fail "unsigned URL answered $(cat "$work/body")"
grep -q '<Code>MissingKey</Code><Message>Missing Key-Pair-Id query parameter or cookie value</Message>' "$work/body" ||
  fail "unsigned URL body: $(cat "$work/body")"

# 7. Signed, expiring an hour from niwa's now, with each CLI that is here.
expires=$(date -u -d "@$(( $(niwa_now) + 3600 ))" +%Y-%m-%dT%H:%M:%S)
signed=""
for cli in aws /usr/bin/aws; do
  command -v "$cli" >/dev/null 2>&1 || continue
  url=$("$cli" cloudfront sign --url "https://$domain/private/index.html" --key-pair-id "$key_id" \
    --private-key "file://$work/private_key.pem" --date-less-than "$expires")
  echo "signed ($cli): $url"
  path="${url#https://$domain/}"
  [ "$(fetch "$path")" = 200 ] || fail "signed URL ($cli) answered $(cat "$work/body")"
  [ "$(cat "$work/body")" = '<html><body>members only</body></html>' ] || fail "signed URL served: $(cat "$work/body")"
  signed="$path"
done
[ -n "$signed" ] || fail "no aws CLI made a signed URL"
curl -s -D "$work/headers" -o /dev/null -H "Host: $domain" "$AWS_ENDPOINT_URL/$signed"
grep -qi '^x-cache: Hit from cloudfront' "$work/headers" || fail "second fetch not from the cache: $(cat "$work/headers")"
grep -qi '^x-amz-cf-id:' "$work/headers" || fail "no X-Amz-Cf-Id"

# 8. Tampering with any part refuses it.
[ "$(fetch "${signed/index.html/other.html}")" = 403 ] || fail "tampered path accepted"
grep -q '<Code>AccessDenied</Code><Message>Access denied</Message>' "$work/body" || fail "tampered body: $(cat "$work/body")"
[ "$(fetch "${signed/Expires=/Expires=9}")" = 403 ] || fail "tampered expiry accepted"

# 9. Expired, on niwa's clock.
curl -sf -X POST "$AWS_ENDPOINT_URL/_niwa/clock/advance?by=2h" >/dev/null
[ "$(fetch "$signed")" = 403 ] || fail "expired URL answered $(cat "$work/body")"
grep -q '<Code>AccessDenied</Code>' "$work/body" || fail "expired URL body: $(cat "$work/body")"

# 10. The legacy way: an origin access identity named by the bucket policy.
oai=$(awscli cloudfront create-cloud-front-origin-access-identity \
  --cloud-front-origin-access-identity-config "CallerReference=$ref,Comment=S6" \
  --query CloudFrontOriginAccessIdentity.Id --output text)
bucket2="$bucket-oai"
awscli s3 mb "s3://$bucket2" >/dev/null
awscli s3 cp "$work/index.html" "s3://$bucket2/index.html" >/dev/null
cat > "$work/policy2.json" <<JSON
{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
  "Principal":{"AWS":"arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity $oai"},
  "Action":"s3:GetObject","Resource":"arn:aws:s3:::$bucket2/*"}]}
JSON
awscli s3api put-bucket-policy --bucket "$bucket2" --policy "file://$work/policy2.json"
cat > "$work/dist2.json" <<JSON
{"CallerReference":"$ref-oai","Comment":"S6 OAI","Enabled":true,"DefaultRootObject":"index.html",
 "Origins":{"Quantity":1,"Items":[{"Id":"s3","DomainName":"$bucket2.s3.amazonaws.com",
   "S3OriginConfig":{"OriginAccessIdentity":"origin-access-identity/cloudfront/$oai"}}]},
 "DefaultCacheBehavior":{"TargetOriginId":"s3","ViewerProtocolPolicy":"allow-all",
   "ForwardedValues":{"QueryString":false,"Cookies":{"Forward":"none"}},"MinTTL":0}}
JSON
domain2=$(awscli cloudfront create-distribution --distribution-config "file://$work/dist2.json" --query Distribution.DomainName --output text)
code=$(curl -s -o "$work/body" -w '%{http_code}' -H "Host: $domain2" "$AWS_ENDPOINT_URL/")
[ "$code" = 200 ] && [ "$(cat "$work/body")" = '<html><body>members only</body></html>' ] ||
  fail "the OAI distribution answered $code: $(cat "$work/body")"

echo "S6 OK"
