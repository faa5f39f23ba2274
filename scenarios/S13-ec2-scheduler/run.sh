#!/usr/bin/env bash
# S13 — EC2 Scheduler deployed with CloudFormation (seed 002).
#
# The seed deploys AWS's EC2 Scheduler: a CloudFormation stack with an IAM
# role, a Lambda function, a DynamoDB table of defaults, an Events rule on
# cron(0/5 * * * ? *), a Lambda permission and a Lambda-backed custom
# resource that writes the defaults; the function starts and stops the
# instances tagged scheduler:ec2-startstop = "start;stop;utc;days" and
# publishes EC2Scheduler metrics. AWS's original is python2.7; this is
# our own python3 function of the same design (scheduler.py) and our own
# template (ec2-scheduler.yaml) with the same resource types.
#
# Time is niwa's clock, moved with POST /_niwa/clock/advance: the rule
# fires on it and the function reads the event's time.
#   1. the code in S3, the stack created and waited on, the defaults in
#      the table (written by the custom resource);
#   2. two instances: one tagged "0800;1800;utc;all" and stopped, one
#      untagged;
#   3. the clock through 08:00: the tagged instance starts; through 18:00:
#      it stops; the untagged one keeps running;
#   4. get-metric-statistics shows the tagged instance's EC2Scheduler
#      series 0 (07:55), 1 (08:00), 1 (08:05), 0 (18:00);
#   5. the stack deleted (the custom resource answers its Delete).
# Observable: the statuses, states and datapoints checked below.
set -euo pipefail

AWS_ENDPOINT_URL="${AWS_ENDPOINT_URL:-http://localhost:4566}"
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-ap-northeast-1}"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
aws() { command aws --endpoint-url "$AWS_ENDPOINT_URL" --output text "$@"; }
fail() { echo "S13 FAILED: $*" >&2; exit 1; }
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/../lib/restart.sh"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
suffix="$(date +%s)$$"
bucket="ec2-scheduler-code-$suffix"
stack="EC2Scheduler-$suffix"
tag="scheduler:ec2-startstop"

clock() { curl -sf "$AWS_ENDPOINT_URL/_niwa/clock" | python3 -c 'import json,sys; print(json.load(sys.stdin)["now"])'; }
advance() { curl -sf -X POST "$AWS_ENDPOINT_URL/_niwa/clock/advance?by=$1" >/dev/null; }
# advance_to HH:MM: moves the clock to the next HH:MM:00 UTC.
advance_to() {
  local secs
  secs=$(python3 - "$(clock)" "$1" <<'PY'
import datetime, sys
now = datetime.datetime.fromisoformat(sys.argv[1].replace("Z", "+00:00"))
h, m = map(int, sys.argv[2].split(":"))
t = now.replace(hour=h, minute=m, second=0, microsecond=0)
if t <= now:
    t += datetime.timedelta(days=1)
print(int((t - now).total_seconds()) + 1)
PY
)
  advance "${secs}s"
}
state() { aws ec2 describe-instances --instance-ids "$1" --query 'Reservations[0].Instances[0].State.Name'; }
wait_state() {
  local end=$((SECONDS + 120)) # generous on a loaded machine; returns once it holds
  while [ "$SECONDS" -lt "$end" ]; do
    [ "$(state "$1")" = "$2" ] && return 0
    sleep 0.5
  done
  fail "$1 is $(state "$1"), want $2"
}
# datapoint HH:MM: the Maximum of the tagged instance's series at that
# time today (niwa's), once the function has published it.
datapoint() {
  local at end=$((SECONDS + 120)) v
  at="$(python3 - "$(clock)" "$1" <<'PY'
import datetime, sys
now = datetime.datetime.fromisoformat(sys.argv[1].replace("Z", "+00:00"))
h, m = map(int, sys.argv[2].split(":"))
t = now.replace(hour=h, minute=m, second=0, microsecond=0)
if t > now:
    t -= datetime.timedelta(days=1)
print(t.strftime("%Y-%m-%dT%H:%M:%SZ"))
PY
)"
  while [ "$SECONDS" -lt "$end" ]; do
    v="$(aws cloudwatch get-metric-statistics --namespace EC2Scheduler --metric-name "$scheduled" \
      --dimensions Name=State,Value=Running --start-time "$at" --end-time "$(date -u -d "$at + 5 minutes" +%Y-%m-%dT%H:%M:%SZ)" \
      --period 300 --statistics Maximum --query 'Datapoints[0].Maximum')"
    if [ "$v" != None ] && [ -n "$v" ]; then printf '%.0f\n' "$v"; return 0; fi
    sleep 0.5
  done
  fail "no EC2Scheduler datapoint at $at"
}

# 0. The clock to 07:50 UTC, so the rule's first firing (07:55) comes
# before the start time.
advance_to 07:50
echo "clock $(clock)"

# 1. The function's code in S3; the stack.
aws s3 mb "s3://$bucket" >/dev/null
(cd "$here" && python3 -c "import zipfile,sys; z=zipfile.ZipFile(sys.argv[1],'w'); z.write('scheduler.py'); z.close()" "$work/scheduler.zip")
aws s3 cp "$work/scheduler.zip" "s3://$bucket/scheduler.zip" >/dev/null
aws cloudformation create-stack --stack-name "$stack" --template-body "file://$here/ec2-scheduler.yaml" \
  --capabilities CAPABILITY_IAM --parameters "ParameterKey=CodeBucket,ParameterValue=$bucket" \
  "ParameterKey=CodeKey,ParameterValue=scheduler.zip" >/dev/null
aws cloudformation wait stack-create-complete --stack-name "$stack" ||
  fail "stack: $(aws cloudformation describe-stack-events --stack-name "$stack" --query 'StackEvents[].[LogicalResourceId,ResourceStatus,ResourceStatusReason]')"
[ "$(aws cloudformation describe-stacks --stack-name "$stack" --query "Stacks[0].Outputs[?OutputKey=='TagName'].OutputValue")" = "$tag" ] ||
  fail "TagName output"
table="$(aws cloudformation describe-stacks --stack-name "$stack" --query "Stacks[0].Outputs[?OutputKey=='ConfigTable'].OutputValue")"
[ "$(aws dynamodb get-item --table-name "$table" --key '{"SolutionName":{"S":"EC2Scheduler"}}' --query 'Item.DefaultStartTime.S')" = 0800 ] ||
  fail "the custom resource did not write the defaults"
echo "stack $stack created; defaults in $table"

# 2. Two instances: one scheduled 08:00-18:00 UTC every day (stopped
# now), one not scheduled.
ami="$(aws ec2 describe-images --owners amazon --query 'Images[0].ImageId')"
scheduled="$(aws ec2 run-instances --image-id "$ami" --instance-type t2.micro --query 'Instances[0].InstanceId')"
other="$(aws ec2 run-instances --image-id "$ami" --instance-type t2.micro --query 'Instances[0].InstanceId')"
wait_state "$scheduled" running
wait_state "$other" running
aws ec2 create-tags --resources "$scheduled" --tags "Key=$tag,Value=0800;1800;utc;all"
aws ec2 stop-instances --instance-ids "$scheduled" >/dev/null
wait_state "$scheduled" stopped
echo "instances: $scheduled (scheduled, stopped), $other (not scheduled)"

# With a restart point (scenarios/lib/restart.sh; `go test` restarts niwa
# here with --data-dir), what follows runs on the restarted niwa.
niwa_restart "the stack (role, function, table, rule, permission), the clock at 07:5x, the two instances"

# 3. Through 08:00: the rule fires at 07:55 (nothing due) and 08:00
# (start).
advance_to 07:57
[ "$(datapoint 07:55)" = 0 ] || fail "07:55 datapoint"
advance 5m
wait_state "$scheduled" running
[ "$(datapoint 08:00)" = 1 ] || fail "08:00 datapoint"
echo "08:00 $scheduled started"
# Through 18:00: a jump fires once (for 08:05; AWS does not replay missed
# periods), then 18:00 stops it.
advance_to 17:57
[ "$(datapoint 08:05)" = 1 ] || fail "08:05 datapoint"
advance 5m
wait_state "$scheduled" stopped
[ "$(datapoint 18:00)" = 0 ] || fail "18:00 datapoint"
[ "$(state "$other")" = running ] || fail "the unscheduled instance changed"
echo "18:00 $scheduled stopped; $other still running"

# 4. The whole series.
day_start="$(python3 -c 'import sys; print(sys.argv[1][:10])' "$(clock)")T07:00:00Z"
series="$(aws cloudwatch get-metric-statistics --namespace EC2Scheduler --metric-name "$scheduled" \
  --dimensions Name=State,Value=Running --start-time "$day_start" --end-time "$(clock)" --period 300 --statistics Maximum \
  --output json | python3 -c 'import json,sys; d=json.load(sys.stdin)["Datapoints"]; print(" ".join(str(int(p["Maximum"])) for p in sorted(d, key=lambda p: p["Timestamp"])))')"
[ "$series" = "0 1 1 0" ] || fail "series $series, want 0 1 1 0"
echo "EC2Scheduler series for $scheduled: $series"

# 5. Delete the stack: the custom resource answers its Delete request.
aws cloudformation delete-stack --stack-name "$stack"
aws cloudformation wait stack-delete-complete --stack-name "$stack" || fail "stack delete"
echo "S13 OK"
