#!/usr/bin/env bash
# S12 — Encrypt a whole bucket in place (seed 002).
#
# `aws s3 cp s3://b/ s3://b/ --recursive --sse` copies every object onto
# itself with SSE AES256. Observable: every object reports
# ServerSideEncryption AES256 and its content is unchanged.
set -euo pipefail

AWS_ENDPOINT_URL="${AWS_ENDPOINT_URL:-http://localhost:4566}"
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
awscli() { aws --endpoint-url "$AWS_ENDPOINT_URL" "$@"; }
fail() { echo "S12 FAILED: $*" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

bucket="kabegiwa-bucket-$(date +%s)$$"
awscli s3 mb "s3://$bucket" >/dev/null
mkdir -p "$work/src/img" "$work/src/docs"
echo 'first' > "$work/src/a.txt"
head -c 70000 /dev/urandom > "$work/src/img/photo.bin"
echo 'nested' > "$work/src/docs/readme.md"
awscli s3 sync "$work/src" "s3://$bucket/" >/dev/null

# The tutorial's command.
awscli s3 cp "s3://$bucket/" "s3://$bucket/" --recursive --sse

for key in a.txt img/photo.bin docs/readme.md; do
  sse=$(awscli s3api head-object --bucket "$bucket" --key "$key" --query ServerSideEncryption --output text)
  [ "$sse" = AES256 ] || fail "$key reports ServerSideEncryption=$sse"
  awscli s3 cp "s3://$bucket/$key" "$work/back" >/dev/null
  cmp -s "$work/back" "$work/src/$key" || fail "$key content changed"
done
count=$(awscli s3api list-objects-v2 --bucket "$bucket" --query 'length(Contents)' --output text)
[ "$count" = 3 ] || fail "bucket holds $count objects, want 3"

awscli s3 rb "s3://$bucket" --force >/dev/null
echo "S12 OK"
