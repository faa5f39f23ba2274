#!/usr/bin/env bash
# S5 — S3 → SQS → Lambda (seed 001).
#
# A bucket "<unique>-sqs-test" and a queue "TestQueue" whose access policy
# lets the bucket send (ArnLike aws:SourceArn), and a bucket notification
# for every ObjectCreated event to the queue.
# Observable: configuring the notification enqueues S3's s3:TestEvent
# message; uploading hane.jpg enqueues an ObjectCreated:Put record in S3's
# event JSON shape. Then a Lambda function (python, boto3; role allowed
# the SQS and S3 calls only, IAM enforcement on) with an SQS event source
# mapping on the queue receives the record, downloads the object to /tmp
# and uploads it as hane2.jpg: hane2.jpg appears with hane.jpg's bytes.
set -euo pipefail

AWS_ENDPOINT_URL="${AWS_ENDPOINT_URL:-http://localhost:4566}"
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-ap-northeast-1}"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
region="$AWS_DEFAULT_REGION"
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/../lib/restart.sh"
aws() { command aws --endpoint-url "$AWS_ENDPOINT_URL" --output text "$@"; }
fail() { echo "S5 FAILED: $*" >&2; exit 1; }

suffix="$(date +%s)-$$"
bucket="$(date +%Y%m%d)-$$-$RANDOM-sqs-test"
queue="TestQueue-$suffix"
fn="sqs-message-receive-$suffix"
role="Lambda-SQS-Execution-Role-$suffix"
work="$(mktemp -d)"
bucket_made="" queue_url="" role_made="" fn_made="" esm=""
cleanup() {
  set +e
  [ -n "$esm" ] && aws lambda delete-event-source-mapping --uuid "$esm" >/dev/null 2>&1
  if [ -n "$fn_made" ]; then
    aws lambda delete-function --function-name "$fn" >/dev/null 2>&1
    aws logs delete-log-group --log-group-name "/aws/lambda/$fn" >/dev/null 2>&1
  fi
  if [ -n "$role_made" ]; then
    aws iam delete-role-policy --role-name "$role" --policy-name sqs-s3 >/dev/null 2>&1
    aws iam delete-role --role-name "$role" >/dev/null 2>&1
  fi
  [ -n "$bucket_made" ] && aws s3 rb "s3://$bucket" --force >/dev/null 2>&1
  [ -n "$queue_url" ] && aws sqs delete-queue --queue-url "$queue_url" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

# receive_one prints the body of one message (deleting it unless "keep"
# is given, in which case it is made visible again at once) or fails.
receive_one() {
  local out
  local end=$((SECONDS + 120)); while [ "$SECONDS" -lt "$end" ]; do # generous on a loaded machine; returns once it holds
    out="$(command aws --endpoint-url "$AWS_ENDPOINT_URL" --output json sqs receive-message --queue-url "$queue_url" \
      --max-number-of-messages 1 --wait-time-seconds 1)"
    if [ -n "$out" ] && grep -q ReceiptHandle <<<"$out"; then
      local handle body
      handle="$(python3 -c 'import json,sys; print(json.load(sys.stdin)["Messages"][0]["ReceiptHandle"])' <<<"$out")"
      body="$(python3 -c 'import json,sys; print(json.load(sys.stdin)["Messages"][0]["Body"])' <<<"$out")"
      if [ "${1:-}" = keep ]; then
        aws sqs change-message-visibility --queue-url "$queue_url" --receipt-handle "$handle" --visibility-timeout 0
      else
        aws sqs delete-message --queue-url "$queue_url" --receipt-handle "$handle"
      fi
      printf '%s\n' "$body"
      return 0
    fi
  done
  fail "no message in $queue"
}

# 1. Bucket.
aws s3api create-bucket --bucket "$bucket" --create-bucket-configuration "LocationConstraint=$region" >/dev/null
bucket_made=yes

# 2. Queue with the tutorial's access policy.
queue_url="$(aws sqs create-queue --queue-name "$queue" --query QueueUrl)"
queue_arn="$(aws sqs get-queue-attributes --queue-url "$queue_url" --attribute-names QueueArn --query Attributes.QueueArn)"
python3 - "$queue_arn" "$bucket" >"$work/attrs.json" <<'PY'
import json, sys
policy = {
  "Version": "2008-10-17",
  "Id": "__default_policy_ID",
  "Statement": [
    {
      "Sid": "__owner_statement",
      "Effect": "Allow",
      "Principal": {
        "AWS": "*"
      },
      "Action": "SQS:*",
      "Resource": sys.argv[1],
      "Condition": {
        "ArnLike": {
          "aws:SourceArn": "arn:aws:s3:*:*:" + sys.argv[2]
        }
      }
    }
  ]
}
print(json.dumps({"Policy": json.dumps(policy)}))
PY
aws sqs set-queue-attributes --queue-url "$queue_url" --attributes "file://$work/attrs.json"

# 3. Event notification: every ObjectCreated event to the queue. S3 sends
# its s3:TestEvent message to the queue.
aws s3api put-bucket-notification-configuration --bucket "$bucket" --notification-configuration \
  "{\"QueueConfigurations\":[{\"Id\":\"SQS-Event\",\"QueueArn\":\"$queue_arn\",\"Events\":[\"s3:ObjectCreated:*\"]}]}"
[ "$(aws s3api get-bucket-notification-configuration --bucket "$bucket" --query 'QueueConfigurations[0].QueueArn')" = "$queue_arn" ] ||
  fail "notification configuration not stored"
receive_one >"$work/test-event.json"
python3 - "$work/test-event.json" "$bucket" <<'PY' || fail "s3:TestEvent message: $(cat "$work/test-event.json")"
import json, re, sys
m = json.load(open(sys.argv[1]))
assert list(m) == ["Service", "Event", "Time", "Bucket", "RequestId", "HostId"], list(m)
assert m["Service"] == "Amazon S3" and m["Event"] == "s3:TestEvent", m
assert m["Bucket"] == sys.argv[2], m
assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", m["Time"]), m["Time"]
assert m["RequestId"] and m["HostId"], m
print("s3:TestEvent:", json.dumps(m))
PY

# 4. Upload hane.jpg: one ObjectCreated:Put record in S3's event shape.
python3 - "$work/hane.jpg" <<'PY'
import os, sys
# A small file that starts like a JPEG: SOI + APP0 "JFIF", random payload, EOI.
data = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + os.urandom(9800) + b"\xff\xd9"
open(sys.argv[1], "wb").write(data)
PY
size="$(wc -c <"$work/hane.jpg" | tr -d ' ')"
etag="$(aws s3api put-object --bucket "$bucket" --key hane.jpg --body "$work/hane.jpg" --content-type image/jpeg --query ETag)"
receive_one keep >"$work/put-event.json"
python3 - "$work/put-event.json" "$bucket" "$region" "$size" "$etag" <<'PY' || fail "ObjectCreated:Put message: $(cat "$work/put-event.json")"
import json, re, sys
body, bucket, region, size, etag = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5].strip('"')
m = json.load(open(body))
assert list(m) == ["Records"] and len(m["Records"]) == 1, m
r = m["Records"][0]
# The fields, in the order S3 writes them.
assert list(r) == ["eventVersion", "eventSource", "awsRegion", "eventTime", "eventName", "userIdentity",
                   "requestParameters", "responseElements", "s3"], list(r)
assert list(r["s3"]) == ["s3SchemaVersion", "configurationId", "bucket", "object"], list(r["s3"])
assert list(r["s3"]["bucket"]) == ["name", "ownerIdentity", "arn"], list(r["s3"]["bucket"])
assert list(r["s3"]["object"]) == ["key", "size", "eTag", "sequencer"], list(r["s3"]["object"])
assert r["eventVersion"] == "2.1", r["eventVersion"]
assert r["eventSource"] == "aws:s3", r["eventSource"]
assert r["awsRegion"] == region, r["awsRegion"]
assert r["eventName"] == "ObjectCreated:Put", r["eventName"]
assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", r["eventTime"]), r["eventTime"]
assert r["userIdentity"]["principalId"], r["userIdentity"]
assert "sourceIPAddress" in r["requestParameters"], r["requestParameters"]
assert r["responseElements"]["x-amz-request-id"] and r["responseElements"]["x-amz-id-2"], r["responseElements"]
s3 = r["s3"]
assert s3["s3SchemaVersion"] == "1.0", s3
assert s3["configurationId"] == "SQS-Event", s3
assert s3["bucket"]["name"] == bucket, s3["bucket"]
assert s3["bucket"]["arn"] == "arn:aws:s3:::" + bucket, s3["bucket"]
assert s3["bucket"]["ownerIdentity"]["principalId"], s3["bucket"]
o = s3["object"]
assert o["key"] == "hane.jpg", o
assert o["size"] == size and isinstance(o["size"], int), o
assert o["eTag"] == etag, (o, etag)
assert re.fullmatch(r"[0-9A-F]{16,}", o["sequencer"]), o
print("ObjectCreated:Put:", json.dumps(m))
PY

# 5. Lambda: role for SQS and S3, the function, the SQS trigger. The Put
# message was made visible again above, so the mapping delivers it.
aws iam create-role --role-name "$role" --assume-role-policy-document \
  '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}' >/dev/null
role_made=yes
aws iam put-role-policy --role-name "$role" --policy-name sqs-s3 --policy-document '{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"], "Resource": "*"},
    {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "*"},
    {"Effect": "Allow", "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"], "Resource": "*"}
  ]
}'
role_arn="$(aws iam get-role --role-name "$role" --query Role.Arn)"
cp "$here/lambda_function.py" "$work/lambda_function.py"
(cd "$work" && python3 -c "import zipfile; z = zipfile.ZipFile('fn.zip', 'w'); z.write('lambda_function.py'); z.close()")
aws lambda create-function --function-name "$fn" --runtime python3.9 --role "$role_arn" \
  --handler lambda_function.lambda_handler --timeout 30 --zip-file "fileb://$work/fn.zip" >/dev/null
fn_made=yes
esm="$(aws lambda create-event-source-mapping --function-name "$fn" --event-source-arn "$queue_arn" \
  --batch-size 10 --query UUID)"

found=""
end=$((SECONDS + 120)); while [ "$SECONDS" -lt "$end" ]; do # generous on a loaded machine; returns once it holds
  if aws s3api get-object --bucket "$bucket" --key hane2.jpg "$work/hane2.jpg" >/dev/null 2>&1; then
    found=yes
    break
  fi
  sleep 0.5
done
[ -n "$found" ] || fail "hane2.jpg did not appear in $bucket"
cmp -s "$work/hane.jpg" "$work/hane2.jpg" || fail "hane2.jpg differs from hane.jpg"
echo "hane2.jpg: $(wc -c <"$work/hane2.jpg" | tr -d ' ') bytes, equal to hane.jpg"
lines="$(aws logs filter-log-events --log-group-name "/aws/lambda/$fn" --query 'events[].message' --output json)"
grep -q "copied s3://$bucket/hane.jpg to hane2.jpg" <<<"$lines" || fail "no log line of the copy in /aws/lambda/$fn"
grep -q "sqs message [0-9a-f-]* from $queue_arn (aws:sqs)" <<<"$lines" || fail "no SQS record of $queue_arn in the function's event"
# 6. With a restart point (scenarios/lib/restart.sh; `go test` restarts
# niwa here with --data-dir): the bucket's notification, the queue and its
# policy, the function and its SQS mapping survive it — a new upload is
# copied again. Without one, this repeats the round trip once more.
aws s3api delete-object --bucket "$bucket" --key hane2.jpg >/dev/null
niwa_restart "bucket notification, queue policy, function and its SQS mapping"
head -c 5000 /dev/urandom >>"$work/hane.jpg"
aws s3api put-object --bucket "$bucket" --key hane.jpg --body "$work/hane.jpg" --content-type image/jpeg >/dev/null
found=""
end=$((SECONDS + 120)); while [ "$SECONDS" -lt "$end" ]; do # generous on a loaded machine; returns once it holds
  if aws s3api get-object --bucket "$bucket" --key hane2.jpg "$work/hane2.jpg" >/dev/null 2>&1 &&
    cmp -s "$work/hane.jpg" "$work/hane2.jpg"; then
    found=yes
    break
  fi
  sleep 0.5
done
[ -n "$found" ] || fail "after the restart point, the new hane.jpg was not copied to hane2.jpg"
echo "after the restart point: the new hane.jpg ($(wc -c <"$work/hane.jpg" | tr -d ' ') bytes) was copied again"
echo "S5 OK"
