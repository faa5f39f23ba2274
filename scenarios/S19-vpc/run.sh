#!/usr/bin/env bash
# S19: Lambda with a static outbound IP (seed 004) — the VPC build-out.
# The tutorial's console steps as CLI calls: VPC 10.0.0.0/25; public
# subnets 10.0.0.0/28 and 10.0.0.16/28, private subnets 10.0.0.32/28 and
# 10.0.0.64/28 in two zones; two Elastic IPs; an internet gateway; a NAT
# gateway in each public subnet; four route tables (public -> IGW,
# private -> their zone's NAT). A bad subnet CIDR fails with EC2's
# overlap/range errors. Observable here: the route each subnet's traffic
# to the internet takes, from niwa's route evaluator (/_niwa/ec2/route):
# private subnets leave through their NAT gateway's Elastic IP, a private
# subnet without a NAT route has no way out.
# The Lambda half: a function attached to both private subnets calls the
# "what is my IP" service (checkip.amazonaws.com, answered by niwa's
# egress proxy, which the function reaches through the HTTP_PROXY niwa
# sets) and sees one of the two Elastic IPs; detached from the VPC it sees
# another address; in a private subnet whose route table lost its NAT
# route the call is never answered and times out in the function.
set -euo pipefail
AWS_ENDPOINT_URL="${AWS_ENDPOINT_URL:-http://localhost:4566}"
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-ap-northeast-1}"
aws() { command aws --endpoint-url "$AWS_ENDPOINT_URL" --output text "$@"; }
fail() { echo "S19 FAILED: $*" >&2; exit 1; }
region="$AWS_DEFAULT_REGION"
az1="${region}a"
az2="${region}c"
[ "$region" = us-east-1 ] && az2="${region}b"

# VPC and subnets.
vpc="$(aws ec2 create-vpc --cidr-block 10.0.0.0/25 \
  --tag-specifications 'ResourceType=vpc,Tags=[{Key=Name,Value=Lambda VPC}]' --query Vpc.VpcId)"
subnet() {
  aws ec2 create-subnet --vpc-id "$vpc" --cidr-block "$1" --availability-zone "$2" \
    --tag-specifications "ResourceType=subnet,Tags=[{Key=Name,Value=$3}]" --query Subnet.SubnetId
}
public_one="$(subnet 10.0.0.0/28 "$az1" public-one)"
public_two="$(subnet 10.0.0.16/28 "$az2" public-two)"
private_one="$(subnet 10.0.0.32/28 "$az1" private-one)"
private_two="$(subnet 10.0.0.64/28 "$az2" private-two)"
echo "vpc $vpc subnets $public_one $public_two $private_one $private_two"

# A bad CIDR is refused as EC2 refuses it.
expect_error() {
  local code="$1"; shift
  local out
  if out="$(aws "$@" 2>&1)"; then fail "accepted: $*"; fi
  echo "$out" | grep -q "($code)" || fail "want $code from $*, got: $out"
  echo "refused as $code: ${*: -1}"
}
expect_error InvalidSubnet.Conflict ec2 create-subnet --vpc-id "$vpc" --cidr-block 10.0.0.0/27
expect_error InvalidSubnet.Range ec2 create-subnet --vpc-id "$vpc" --cidr-block 10.0.0.128/28
expect_error InvalidSubnet.Range ec2 create-subnet --vpc-id "$vpc" --cidr-block 10.0.0.96/29
expect_error InvalidVpc.Range ec2 create-vpc --cidr-block 10.0.0.0/29

count="$(aws ec2 describe-subnets --filters "Name=vpc-id,Values=$vpc" --query 'length(Subnets)')"
[ "$count" = 4 ] || fail "$count subnets"
free="$(aws ec2 describe-subnets --subnet-ids "$public_one" --query 'Subnets[0].AvailableIpAddressCount')"
[ "$free" = 11 ] || fail "a /28 should have 11 free addresses, has $free"

# Internet gateway, Elastic IPs, NAT gateways.
igw="$(aws ec2 create-internet-gateway --query InternetGateway.InternetGatewayId)"
aws ec2 attach-internet-gateway --internet-gateway-id "$igw" --vpc-id "$vpc"
read -r eip_one ip_one <<<"$(aws ec2 allocate-address --domain vpc --query '[AllocationId,PublicIp]')"
read -r eip_two ip_two <<<"$(aws ec2 allocate-address --domain vpc --query '[AllocationId,PublicIp]')"
nat_one="$(aws ec2 create-nat-gateway --subnet-id "$public_one" --allocation-id "$eip_one" --query NatGateway.NatGatewayId)"
nat_two="$(aws ec2 create-nat-gateway --subnet-id "$public_two" --allocation-id "$eip_two" --query NatGateway.NatGatewayId)"
end=$((SECONDS + 120)); while [ "$SECONDS" -lt "$end" ]; do # generous on a loaded machine; returns once it holds
  n="$(aws ec2 describe-nat-gateways --filter "Name=vpc-id,Values=$vpc" "Name=state,Values=available" --query 'length(NatGateways)')"
  [ "$n" = 2 ] && break
  sleep 0.5
done
[ "$n" = 2 ] || fail "NAT gateways not available"
[ "$(aws ec2 describe-nat-gateways --nat-gateway-ids "$nat_one" --query 'NatGateways[0].NatGatewayAddresses[0].PublicIp')" = "$ip_one" ] \
  || fail "NAT gateway one does not use $ip_one"

# Route tables.
table() {
  local name="$1" sub="$2" rt
  rt="$(aws ec2 create-route-table --vpc-id "$vpc" \
    --tag-specifications "ResourceType=route-table,Tags=[{Key=Name,Value=$name}]" --query RouteTable.RouteTableId)"
  shift 2
  aws ec2 create-route --route-table-id "$rt" --destination-cidr-block 0.0.0.0/0 "$@" >/dev/null
  aws ec2 associate-route-table --route-table-id "$rt" --subnet-id "$sub" >/dev/null
  echo "$rt"
}
rt_public_one="$(table public-one "$public_one" --gateway-id "$igw")"
rt_public_two="$(table public-two "$public_two" --gateway-id "$igw")"
rt_private_one="$(table private-one "$private_one" --nat-gateway-id "$nat_one")"
rt_private_two="$(table private-two "$private_two" --nat-gateway-id "$nat_two")"
tables="$(aws ec2 describe-route-tables --filters "Name=vpc-id,Values=$vpc" "Name=association.main,Values=false" --query 'length(RouteTables)')"
[ "$tables" = 4 ] || fail "$tables route tables"
aws ec2 describe-route-tables --route-table-ids "$rt_private_one" \
  --query 'RouteTables[0].Routes[].[DestinationCidrBlock,GatewayId||NatGatewayId,State]'

# Where traffic to the internet goes.
route() { curl -fsS "$AWS_ENDPOINT_URL/_niwa/ec2/route?region=$region&subnet=$1&destination=$2"; }
field() { python3 -c 'import json,sys; print(json.load(sys.stdin).get(sys.argv[1], ""))' "$1"; }
for pair in "$private_one:$nat_one:$ip_one" "$private_two:$nat_two:$ip_two"; do
  IFS=: read -r sub nat ip <<<"$pair"
  d="$(route "$sub" 93.184.216.34)"
  echo "$d"
  [ "$(field target <<<"$d")" = "$nat" ] || fail "$sub does not route through $nat"
  [ "$(field publicIp <<<"$d")" = "$ip" ] || fail "$sub does not leave from $ip"
done
for sub in "$public_one" "$public_two"; do
  [ "$(route "$sub" 93.184.216.34 | field target)" = "$igw" ] || fail "$sub does not route to the internet gateway"
done
[ "$(route "$private_one" 10.0.0.70 | field target)" = local ] || fail "VPC traffic is not local"

# The Lambda half, with boto3 as the tutorial's "write the code" step
# would (one process for its calls): a function in both private subnets.
sg="$(aws ec2 describe-security-groups --filters "Name=vpc-id,Values=$vpc" "Name=group-name,Values=default" --query 'SecurityGroups[0].GroupId')"
python3 - "$AWS_ENDPOINT_URL" "$region" "$private_one" "$private_two" "$sg" "$ip_one" "$ip_two" "$rt_private_two" <<'PY' || fail "the Lambda half"
import io, json, sys, time, zipfile
import boto3
endpoint, region, private_one, private_two, sg, ip_one, ip_two, rt_private_two = sys.argv[1:]
kw = dict(endpoint_url=endpoint, region_name=region)
iam, lam, ec2 = boto3.client("iam", **kw), boto3.client("lambda", **kw), boto3.client("ec2", **kw)
code = io.BytesIO()
with zipfile.ZipFile(code, "w") as z:
    # No proxy code: urllib reads HTTP_PROXY, which niwa sets.
    z.writestr("lambda_function.py", """import os, urllib.request

def lambda_handler(event, context):
    try:
        with urllib.request.urlopen("http://checkip.amazonaws.com/", timeout=float(os.environ["CHECK_TIMEOUT"])) as r:
            return {"ip": r.read().decode().strip()}
    except Exception as e:
        return {"error": "%s: %s" % (type(e).__name__, e)}
""")
suffix = str(int(time.time() * 1000))
role = iam.create_role(RoleName="static-ip-" + suffix, AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))["Role"]
iam.attach_role_policy(RoleName=role["RoleName"], PolicyArn="arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole")
fn = "static-ip-" + suffix
lam.create_function(FunctionName=fn, Runtime="python3.12", Role=role["Arn"], Handler="lambda_function.lambda_handler",
    Timeout=20, Code={"ZipFile": code.getvalue()}, Environment={"Variables": {"CHECK_TIMEOUT": "3"}},
    VpcConfig={"SubnetIds": [private_one, private_two], "SecurityGroupIds": [sg]})

def invoke():
    lam.get_waiter("function_updated").wait(FunctionName=fn, WaiterConfig={"Delay": 1, "MaxAttempts": 120})
    r = json.loads(lam.invoke(FunctionName=fn, Payload=b"{}")["Payload"].read())
    return r.get("ip") or "ERROR " + r.get("error", repr(r))

seen = invoke()
print("function in private-one and private-two sees", seen)
assert seen in (ip_one, ip_two), "the function's calls do not leave from %s or %s: %s" % (ip_one, ip_two, seen)

# Detached from the VPC: Lambda's own address, neither Elastic IP.
lam.update_function_configuration(FunctionName=fn, VpcConfig={"SubnetIds": [], "SecurityGroupIds": []})
outside = invoke()
print("detached from the VPC it sees", outside)
assert not outside.startswith("ERROR") and outside not in (ip_one, ip_two), outside

# A private subnet whose table has no NAT route has no way out.
ec2.delete_route(RouteTableId=rt_private_two, DestinationCidrBlock="0.0.0.0/0")
lam.update_function_configuration(FunctionName=fn, VpcConfig={"SubnetIds": [private_two], "SecurityGroupIds": [sg]})
stuck = invoke()
print("in private-two without a NAT route:", stuck)
assert "timed out" in stuck, "the call from private-two did not time out: " + stuck
lam.delete_function(FunctionName=fn)
PY
[ "$(route "$private_two" 93.184.216.34 | field found)" = False ] || fail "private-two still routes out"
curl -fsS "$AWS_ENDPOINT_URL/_niwa/egress" | python3 -c '
import json, sys
d = json.load(sys.stdin)["decisions"][-1]
assert not d["reachable"] and "no route" in d["reason"], d
print("egress:", d["reason"])'

echo "S19 OK"
