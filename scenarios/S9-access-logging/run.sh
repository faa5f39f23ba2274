#!/usr/bin/env bash
# S9 — S3 server access logging (seed 002).
#
# A log bucket and a source bucket whose logging targets it with a prefix.
# Requests to the source bucket (successful and failed, signed and
# anonymous) are delivered as log objects under the prefix, one line per
# request in the S3 server access log format. AWS delivers within hours;
# niwa flushes every few seconds, so the script polls.
set -euo pipefail

AWS_ENDPOINT_URL="${AWS_ENDPOINT_URL:-http://localhost:4566}"
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
awscli() { aws --endpoint-url "$AWS_ENDPOINT_URL" "$@"; }
fail() { echo "S9 FAILED: $*" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

suffix="$(date +%s)$$"
src="kabegiwa-src-$suffix"
logs="kabegiwalog-$suffix"
awscli s3 mb "s3://$logs" >/dev/null
awscli s3 mb "s3://$src" >/dev/null
# The target lets the logging service write (S3 refuses the logging
# configuration otherwise: InvalidTargetBucketForLogging).
account="$(awscli sts get-caller-identity --query Account --output text)"
awscli s3api put-bucket-policy --bucket "$logs" --policy "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",
  \"Principal\":{\"Service\":\"logging.s3.amazonaws.com\"},\"Action\":\"s3:PutObject\",\"Resource\":\"arn:aws:s3:::$logs/*\",
  \"Condition\":{\"ArnLike\":{\"aws:SourceArn\":\"arn:aws:s3:::$src\"},\"StringEquals\":{\"aws:SourceAccount\":\"$account\"}}}]}"
awscli s3api put-bucket-logging --bucket "$src" \
  --bucket-logging-status "{\"LoggingEnabled\":{\"TargetBucket\":\"$logs\",\"TargetPrefix\":\"access/\"}}"
[ "$(awscli s3api get-bucket-logging --bucket "$src" --query LoggingEnabled.TargetBucket --output text)" = "$logs" ] ||
  fail "get-bucket-logging does not name the target"

echo hello > "$work/hello.txt"
awscli s3 cp "$work/hello.txt" "s3://$src/hello.txt" >/dev/null
awscli s3 cp "s3://$src/hello.txt" "$work/back.txt" >/dev/null
awscli s3 ls "s3://$src/" >/dev/null
awscli s3api get-object --bucket "$src" --key missing.txt "$work/x" >/dev/null 2>&1 && fail "missing key was served"
curl -s -o /dev/null "$AWS_ENDPOINT_URL/$src/hello.txt" # anonymous, denied

# Wait for delivery (bounded): log objects arrive in batches, so poll
# until the last request's line (the anonymous one) has been delivered.
end=$((SECONDS + 120)); while [ "$SECONDS" -lt "$end" ]; do # generous on a loaded machine; returns once it holds
  rm -rf "$work/logs"
  awscli s3 cp "s3://$logs/access/" "$work/logs" --recursive >/dev/null
  cat "$work"/logs/* > "$work/all.log" 2>/dev/null || true
  grep -q ' 403 AccessDenied ' "$work/all.log" && break
  sleep 0.5
done
[ -s "$work/all.log" ] || fail "no log objects delivered"
keys=$(awscli s3api list-objects-v2 --bucket "$logs" --prefix access/ --query 'Contents[].Key' --output text)
echo "log objects: $keys"
echo "$keys" | grep -Eq 'access/[0-9]{4}-[0-9]{2}-[0-9]{2}-[0-9]{2}-[0-9]{2}-[0-9]{2}-[0-9A-F]{16}' || fail "log object key format: $keys"

# Fields: owner bucket [time] ip requester request-id operation key "uri" status error bytes size total turnaround ...
grep -Eq "^[0-9a-f]{64} $src \[[0-9]{2}/[A-Z][a-z]{2}/[0-9]{4}:[0-9:]{8} \+0000\] [0-9.:a-f]+ arn:aws:iam::[0-9]{12}:root [^ ]+ REST\.PUT\.OBJECT hello\.txt \"PUT /$src/hello\.txt HTTP/1\.1\" 200 - - 6 " "$work/all.log" ||
  fail "no PUT line: $(cat "$work/all.log")"
grep -Eq " REST\.GET\.OBJECT hello\.txt \"GET /$src/hello\.txt HTTP/1\.1\" 200 - 6 6 " "$work/all.log" || fail "no signed GET line"
grep -Eq " REST\.GET\.OBJECT missing\.txt .* 404 NoSuchKey " "$work/all.log" || fail "no failed GET line"
grep -Eq " - [^ ]+ REST\.GET\.OBJECT hello\.txt .* 403 AccessDenied " "$work/all.log" || fail "no anonymous denied line"
grep -Eq " REST\.GET\.BUCKET - " "$work/all.log" || fail "no list line"
# Every line has the documented 26 fields (quoted fields counted once).
awk -F'"' '{ n = split($1, a, " ") + split($3, b, " ") + split($7, c, " ") + 3; if (n < 25) { print "short line: " $0; exit 1 } }' "$work/all.log" ||
  fail "a line lacks fields"

awscli s3 rb "s3://$src" --force >/dev/null
echo "S9 OK"
