#!/usr/bin/env bash
# S2: restart a stopped EC2 instance via EventBridge (seed 001).
# An EventBridge rule on "EC2 Instance State-change Notification" for
# state "stopped" sends {"Action":"Stop"} to a Lambda function (Python)
# that calls describe_instances and start_instances. Stopping the instance
# must bring it back to "running", with the function's log lines in
# CloudWatch Logs.
set -euo pipefail
AWS_ENDPOINT_URL="${AWS_ENDPOINT_URL:-http://localhost:4566}"
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-ap-northeast-1}"
aws() { command aws --endpoint-url "$AWS_ENDPOINT_URL" --output text "$@"; }
suffix="$(date +%s)-$$"
fn="MyFunctionEC2-$suffix"
role="Lambda-Execute-Instance-$suffix"
rule="ec2-stopped-$suffix"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# 1. EC2 instance
ami="$(aws ec2 describe-images --owners amazon --query 'Images[0].ImageId')"
instance="$(aws ec2 run-instances --image-id "$ami" --instance-type t2.micro --count 1 \
  --query 'Instances[0].InstanceId')"
end=$((SECONDS + 120)); while [ "$SECONDS" -lt "$end" ]; do # generous on a loaded machine; returns once it holds
  [ "$(aws ec2 describe-instances --instance-ids "$instance" --query 'Reservations[0].Instances[0].State.Name')" = running ] && break
  sleep 0.5
done
echo "instance $instance running"

# 2. IAM role with AmazonEC2FullAccess
aws iam create-role --role-name "$role" --assume-role-policy-document \
  '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}' >/dev/null
aws iam put-role-policy --role-name "$role" --policy-name ec2-full --policy-document \
  '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:*","logs:*"],"Resource":"*"}]}'
role_arn="$(aws iam get-role --role-name "$role" --query Role.Arn)"

# 3. Lambda function (the tutorial's code)
cat >"$work/lambda_function.py" <<'PY'
import boto3
import os

# インスタンスID
instances = [os.environ['INSTANCE_ID']]

def lambda_handler(event, context):
    ec2 = boto3.client('ec2', region_name=os.environ['AWS_REGION'])

    # インスタンスの状態変化を取得
    action = event["Action"]

    # インスタンスの状態を取得
    response = ec2.describe_instances(InstanceIds=instances)
    ec2_status = response['Reservations'][0]['Instances'][0]['State']['Name']

    # インスタンスが停止されたかを判定
    if action == "Stop":
        ec2.start_instances(InstanceIds=instances)
        print('インスタンスを開始: ' + str(instances[0]))
    else:
        print('インスタンスに対する処理を実行しない')
PY
(cd "$work" && python3 -c "import zipfile; z=zipfile.ZipFile('fn.zip','w'); z.write('lambda_function.py'); z.close()")
fn_arn="$(aws lambda create-function --function-name "$fn" --runtime python3.9 --role "$role_arn" \
  --handler lambda_function.lambda_handler --zip-file "fileb://$work/fn.zip" --timeout 30 \
  --environment "Variables={INSTANCE_ID=$instance}" --query FunctionArn)"

# 4. EventBridge rule: stopped -> the function, with the constant input
rule_arn="$(aws events put-rule --name "$rule" --event-pattern \
  '{"source":["aws.ec2"],"detail-type":["EC2 Instance State-change Notification"],"detail":{"state":["stopped"]}}' --query RuleArn)"
aws events put-targets --rule "$rule" --targets "[{\"Id\":\"1\",\"Arn\":\"$fn_arn\",\"Input\":\"{\\\"Action\\\":\\\"Stop\\\"}\"}]" >/dev/null
aws lambda add-permission --function-name "$fn" --statement-id events --action lambda:InvokeFunction \
  --principal events.amazonaws.com --source-arn "$rule_arn" >/dev/null

# 5. Stop the instance; the rule invokes the function on "stopped", and the
# function starts it again. The function's log line proves it ran; the
# instance then ends "running".
first="$(aws ec2 stop-instances --instance-ids "$instance" --query 'StoppingInstances[0].CurrentState.Name')"
if [ "$first" != stopping ] && [ "$first" != stopped ]; then
  echo "stop-instances answered $first" >&2
  exit 1
fi
group="/aws/lambda/$fn"
found=""
end=$((SECONDS + 120)); while [ "$SECONDS" -lt "$end" ]; do # generous on a loaded machine; returns once it holds
  if aws logs filter-log-events --log-group-name "$group" --query 'events[].message' 2>/dev/null | grep -q "インスタンスを開始: $instance"; then
    found=yes
    break
  fi
  sleep 0.5
done
if [ -z "$found" ]; then
  echo "function log line not in CloudWatch Logs group $group" >&2
  exit 1
fi
echo "function ran: its log line is in $group"
state=""
end=$((SECONDS + 120)); while [ "$SECONDS" -lt "$end" ]; do # generous on a loaded machine; returns once it holds
  state="$(aws ec2 describe-instances --instance-ids "$instance" --query 'Reservations[0].Instances[0].State.Name')"
  [ "$state" = running ] && break
  sleep 0.5
done
if [ "$state" != running ]; then
  echo "instance did not come back to running (last state: $state)" >&2
  exit 1
fi
echo "instance restarted by the function"

aws events remove-targets --rule "$rule" --ids 1 >/dev/null
aws events delete-rule --name "$rule"
aws ec2 terminate-instances --instance-ids "$instance" >/dev/null
echo "S2 OK"
