#!/usr/bin/env bash
# S11: EC2 attributes and images (seed 002).
# Enhanced networking on a stopped Windows Server 2016 instance
# (modify-instance-attribute --sriov-net-support simple, then
# describe-instance-attribute --attribute sriovNetSupport answers "simple"),
# and the official-AMI check: describe-images --query
# 'Images[].ImageOwnerAlias' answers "amazon" for niwa's public catalog,
# which is searchable by name (an old "Amazon Linux 2016" image included).
set -euo pipefail
AWS_ENDPOINT_URL="${AWS_ENDPOINT_URL:-http://localhost:4566}"
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-ap-northeast-1}"
aws() { command aws --endpoint-url "$AWS_ENDPOINT_URL" "$@"; }
fail() { echo "S11 FAILED: $*" >&2; exit 1; }
name="s11-$(date +%s)-$$"

state() { aws ec2 describe-instances --instance-ids "$1" --query 'Reservations[0].Instances[0].State.Name' --output text; }
wait_state() {
  local end=$((SECONDS + 120)); while [ "$SECONDS" -lt "$end" ]; do # generous on a loaded machine; returns once it holds
    [ "$(state "$1")" = "$2" ] && return 0
    sleep 0.5
  done
  fail "instance $1 never reached $2 (is $(state "$1"))"
}

# A Windows Server 2016 Base instance, found by name as in the console.
ami="$(aws ec2 describe-images --owners amazon \
  --filters 'Name=name,Values=Windows_Server-2016-English-Full-Base-*' \
  --query 'Images[0].ImageId' --output text)"
[[ "$ami" == ami-* ]] || fail "no Windows Server 2016 Base image: $ami"
instance="$(aws ec2 run-instances --image-id "$ami" --instance-type t3.large --count 1 \
  --tag-specifications "ResourceType=instance,Tags=[{Key=Name,Value=$name}]" \
  --query 'Instances[0].InstanceId' --output text)"
trap 'aws ec2 terminate-instances --instance-ids "$instance" >/dev/null 2>&1 || true' EXIT
wait_state "$instance" running
[ "$(aws ec2 describe-instances --instance-ids "$instance" --query 'Reservations[0].Instances[0].Platform' --output text)" = windows ] \
  || fail "instance is not a Windows instance"

# Enhanced networking needs a stopped instance: shut it down first.
if aws ec2 modify-instance-attribute --instance-id "$instance" --sriov-net-support simple 2>/dev/null; then
  fail "sriovNetSupport changed on a running instance"
fi
aws ec2 stop-instances --instance-ids "$instance" >/dev/null
wait_state "$instance" stopped

aws ec2 modify-instance-attribute --instance-id "$instance" --sriov-net-support simple
value="$(aws ec2 describe-instance-attribute --instance-id "$instance" --attribute sriovNetSupport \
  --query 'SriovNetSupport' --output json)"
echo "describe-instance-attribute: $value"
python3 -c 'import json,sys; v=json.loads(sys.argv[1]); sys.exit(0 if v == {"Value": "simple"} else 1)' "$value" \
  || fail "sriovNetSupport is $value"

# Official AMIs: the owner alias is "amazon".
alias="$(aws ec2 describe-images --image-ids "$ami" --region "$AWS_DEFAULT_REGION" \
  --query 'Images[].ImageOwnerAlias' --output json)"
echo "describe-images --query 'Images[].ImageOwnerAlias': $alias"
python3 -c 'import json,sys; sys.exit(0 if json.loads(sys.argv[1]) == ["amazon"] else 1)' "$alias" \
  || fail "owner alias is $alias"

# An older Amazon Linux, searched by name like "Amazon Linux 2016".
old="$(aws ec2 describe-images --filters 'Name=name,Values=amzn-ami-hvm-2016*' \
  --query 'Images[].[ImageId,Name,ImageOwnerAlias]' --output text)"
echo "$old"
echo "$old" | grep -q 'amzn-ami-hvm-2016.*amazon' || fail "no Amazon Linux 2016 image"
for img in "Amazon Linux 2023:al2023-ami-2023*" "Amazon Linux 2:amzn2-ami-hvm-*" "Windows Server 2019:Windows_Server-2019-English-Full-Base-*" \
  "Windows Server 2022:Windows_Server-2022-English-Full-Base-*"; do
  got="$(aws ec2 describe-images --owners amazon --filters "Name=name,Values=${img#*:}" --query 'Images[].ImageOwnerAlias' --output text)"
  [[ "$got" == amazon* ]] || fail "${img%%:*}: $got"
done

echo "S11 OK"
