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

# The Lambda half: a function in both private subnets.
work="$(mktemp -d)"
fn="static-ip-$RANDOM$RANDOM" role="static-ip-role-$RANDOM$RANDOM"
cleanup() {
  command aws --endpoint-url "$AWS_ENDPOINT_URL" lambda delete-function --function-name "$fn" >/dev/null 2>&1 || true
  command aws --endpoint-url "$AWS_ENDPOINT_URL" iam delete-role --role-name "$role" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
cat >"$work/lambda_function.py" <<'PY'
import os, urllib.request

def lambda_handler(event, context):
    # No proxy code: urllib reads HTTP_PROXY, which niwa sets.
    try:
        with urllib.request.urlopen("http://checkip.amazonaws.com/", timeout=float(os.environ["CHECK_TIMEOUT"])) as r:
            return {"ip": r.read().decode().strip()}
    except Exception as e:
        return {"error": "%s: %s" % (type(e).__name__, e)}
PY
(cd "$work" && python3 -c "import zipfile; z = zipfile.ZipFile('fn.zip', 'w'); z.write('lambda_function.py'); z.close()")
role_arn="$(aws iam create-role --role-name "$role" --assume-role-policy-document \
  '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}' --query Role.Arn)"
aws iam attach-role-policy --role-name "$role" --policy-arn arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole
sg="$(aws ec2 describe-security-groups --filters "Name=vpc-id,Values=$vpc" "Name=group-name,Values=default" --query 'SecurityGroups[0].GroupId')"
aws lambda create-function --function-name "$fn" --runtime python3.12 --role "$role_arn" \
  --handler lambda_function.lambda_handler --timeout 20 --zip-file "fileb://$work/fn.zip" \
  --environment 'Variables={CHECK_TIMEOUT=3}' \
  --vpc-config "SubnetIds=$private_one,$private_two,SecurityGroupIds=$sg" >/dev/null
binfmt=()
case "$(command aws --version 2>&1)" in aws-cli/2*) binfmt=(--cli-binary-format raw-in-base64-out) ;; esac
invoke() {
  aws lambda wait function-updated --function-name "$fn"
  aws lambda invoke --function-name "$fn" "${binfmt[@]}" --payload '{}' "$work/out.json" >/dev/null
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r.get("ip") or "ERROR " + r.get("error", repr(r)))' "$work/out.json"
}
seen="$(invoke)"
echo "function in private-one and private-two sees $seen"
[ "$seen" = "$ip_one" ] || [ "$seen" = "$ip_two" ] || fail "the function's calls do not leave from $ip_one or $ip_two: $seen"

# Detached from the VPC: Lambda's own address, neither Elastic IP.
aws lambda update-function-configuration --function-name "$fn" --vpc-config 'SubnetIds=[],SecurityGroupIds=[]' >/dev/null
outside="$(invoke)"
echo "detached from the VPC it sees $outside"
case "$outside" in ERROR*|"$ip_one"|"$ip_two"|"") fail "outside the VPC the function sees $outside" ;; esac

# A private subnet whose table has no NAT route has no way out.
aws ec2 delete-route --route-table-id "$rt_private_two" --destination-cidr-block 0.0.0.0/0
[ "$(route "$private_two" 93.184.216.34 | field found)" = False ] || fail "private-two still routes out"
aws lambda update-function-configuration --function-name "$fn" --vpc-config "SubnetIds=$private_two,SecurityGroupIds=$sg" >/dev/null
stuck="$(invoke)"
echo "in private-two without a NAT route: $stuck"
case "$stuck" in *"timed out"*) ;; *) fail "the call from private-two did not time out: $stuck" ;; esac
curl -fsS "$AWS_ENDPOINT_URL/_niwa/egress" | python3 -c '
import json, sys
d = json.load(sys.stdin)["decisions"][-1]
assert not d["reachable"] and "no route" in d["reason"], d
print("egress:", d["reason"])'

echo "S19 OK"
