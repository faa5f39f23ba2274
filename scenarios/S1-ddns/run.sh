#!/usr/bin/env bash
# S1 — Dynamic DNS for EC2 with Route 53, EventBridge and Lambda (seed 000).
#
# The tutorial's IAM policy (ec2:Describe*, dynamodb:*, logs:*, route53:*)
# on a role trusted by Lambda; the DDNS function (union.py next to this
# script, python, boto3; written from the tutorial's description) as
# union.lambda_handler; an EventBridge rule on EC2 state changes
# running / shutting-down / stopped targeting it, with the function's
# resource policy allowing the rule. A VPC with DNS hostnames on and a DHCP
# options set (domain-name = the private zone, AmazonProvidedDNS); a private
# hosted zone bound to the VPC and a public zone.
# Run: launch an instance with a public IP tagged ZONE=<public zone.> and
# CNAME=web.<private zone>, and one tagged ZONE=<another private zone.>.
# Observable: the function creates table DDNS and stores the instance, and
# the records resolve through niwa's DNS server (NIWA_DNS_ADDR, default
# 127.0.0.1:5353): A ip-a-b-c-d.<private zone> and PTR
# d.c.b.a.in-addr.arpa (asked from inside the VPC: EDNS0 option 65001, and
# from the host with a plain query, as the tutorial does with dig), and
# A <public host>.<public zone> -> the public IP (asked from anywhere).
# Stopping (or terminating) the instance deletes them; the function's logs are in
# /aws/lambda/<function>. Works with IAM enforcement on: the function's
# calls are allowed by the role's policy only.
set -euo pipefail

AWS_ENDPOINT_URL="${AWS_ENDPOINT_URL:-http://localhost:4566}"
NIWA_DNS_ADDR="${NIWA_DNS_ADDR:-127.0.0.1:5353}"
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-ap-northeast-1}"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
region="$AWS_DEFAULT_REGION"
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/../lib/restart.sh"
aws() { command aws --endpoint-url "$AWS_ENDPOINT_URL" --output text "$@"; }
fail() { echo "S1 FAILED: $*" >&2; exit 1; }
dnsq() { python3 "$here/../lib/dnsq.py" "$NIWA_DNS_ADDR" "$@"; }

suffix="$(date +%s)-$$"
fn="ddns_lambda-$suffix"
role="ddns-lambda-role-$suffix"
policy="ddns-lambda-policy-$suffix"
rule="ec2_lambda_ddns_rule-$suffix"
private_zone="ddns-$suffix.internal."
corp_zone="corp-$suffix.internal."
public_zone="ddns-$suffix.example.com."
work="$(mktemp -d)"
ddns_new="" policy_arn="" role_made="" fn_made="" rule_made="" vpc="" subnet="" igw="" dhcp="" instance="" instance2=""

# delete_zone ID deletes every record set but the apex SOA/NS, then the zone.
delete_zone() {
  aws route53 list-resource-record-sets --hosted-zone-id "$1" --output json >"$work/rr.json" 2>/dev/null || return 0
  python3 - "$work/rr.json" >"$work/del.json" <<'PY' || return 0
import json, sys
d = json.load(open(sys.argv[1]))
sets = d["ResourceRecordSets"]
apex = min((s["Name"] for s in sets), key=len)
ch = [{"Action": "DELETE", "ResourceRecordSet": s} for s in sets if not (s["Name"] == apex and s["Type"] in ("SOA", "NS"))]
print(json.dumps({"Changes": ch}))
PY
  grep -q ResourceRecordSet "$work/del.json" &&
    aws route53 change-resource-record-sets --hosted-zone-id "$1" --change-batch "file://$work/del.json" >/dev/null 2>&1
  aws route53 delete-hosted-zone --id "$1" >/dev/null 2>&1 || true
}
cleanup() {
  set +e
  if [ -n "$rule_made" ]; then
    aws events remove-targets --rule "$rule" --ids id123456789012 >/dev/null 2>&1
    aws events delete-rule --name "$rule" >/dev/null 2>&1
  fi
  [ -n "$instance" ] && aws ec2 terminate-instances --instance-ids "$instance" >/dev/null 2>&1
  [ -n "$instance2" ] && aws ec2 terminate-instances --instance-ids "$instance2" >/dev/null 2>&1
  if [ -n "$fn_made" ]; then
    aws lambda delete-function --function-name "$fn" >/dev/null 2>&1
    aws logs delete-log-group --log-group-name "/aws/lambda/$fn" >/dev/null 2>&1
  fi
  # The function creates table DDNS; drop it unless it was there before.
  [ -n "$ddns_new" ] && aws dynamodb delete-table --table-name DDNS >/dev/null 2>&1
  if [ -n "$vpc" ]; then
    for z in $(aws route53 list-hosted-zones-by-vpc --vpc-id "$vpc" --vpc-region "$region" --query 'HostedZoneSummaries[].HostedZoneId' 2>/dev/null); do
      delete_zone "$z"
    done
  fi
  for z in $(aws route53 list-hosted-zones --query "HostedZones[?Name=='$public_zone'].Id" 2>/dev/null); do
    delete_zone "$z"
  done
  if [ -n "$role_made" ]; then
    [ -n "$policy_arn" ] && aws iam detach-role-policy --role-name "$role" --policy-arn "$policy_arn" >/dev/null 2>&1
    aws iam delete-role --role-name "$role" >/dev/null 2>&1
  fi
  [ -n "$policy_arn" ] && aws iam delete-policy --policy-arn "$policy_arn" >/dev/null 2>&1
  [ -n "$subnet" ] && aws ec2 delete-subnet --subnet-id "$subnet" >/dev/null 2>&1
  if [ -n "$igw" ]; then
    aws ec2 detach-internet-gateway --internet-gateway-id "$igw" --vpc-id "$vpc" >/dev/null 2>&1
    aws ec2 delete-internet-gateway --internet-gateway-id "$igw" >/dev/null 2>&1
  fi
  [ -n "$vpc" ] && aws ec2 delete-vpc --vpc-id "$vpc" >/dev/null 2>&1
  [ -n "$dhcp" ] && aws ec2 delete-dhcp-options --dhcp-options-id "$dhcp" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

aws dynamodb describe-table --table-name DDNS >/dev/null 2>&1 || ddns_new=yes

# 1. IAM: the tutorial's policy and role.
cat >"$work/ddns-policy.json" <<'JSON'
{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Action": "ec2:Describe*",
    "Resource": "*"
  }, {
    "Effect": "Allow",
    "Action": [
      "dynamodb:*"
    ],
    "Resource": "*"
  }, {
    "Effect": "Allow",
    "Action": [
      "logs:CreateLogGroup",
      "logs:CreateLogStream",
      "logs:PutLogEvents"
    ],
    "Resource": "*"
  }, {
    "Effect": "Allow",
    "Action": [
      "route53:*"
    ],
    "Resource": [
      "*"
    ]
  }]
}
JSON
cat >"$work/ddns-trust.json" <<'JSON'
{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "",
      "Effect": "Allow",
      "Principal": {
        "Service": "lambda.amazonaws.com"
      },
      "Action": "sts:AssumeRole"
    }
  ]
}
JSON
policy_arn="$(aws iam create-policy --policy-name "$policy" --policy-document "file://$work/ddns-policy.json" --query Policy.Arn)"
role_arn="$(aws iam create-role --role-name "$role" --assume-role-policy-document "file://$work/ddns-trust.json" --query Role.Arn)"
role_made=yes
aws iam attach-role-policy --role-name "$role" --policy-arn "$policy_arn"

# 2. Lambda: the DDNS function.
cp "$here/union.py" "$work/union.py"
(cd "$work" && python3 -c "import zipfile; z = zipfile.ZipFile('union.py.zip', 'w'); z.write('union.py'); z.close()")
fn_arn="$(aws lambda create-function --function-name "$fn" --runtime python3.12 --role "$role_arn" \
  --handler union.lambda_handler --timeout 90 --zip-file "fileb://$work/union.py.zip" --query FunctionArn)"
fn_made=yes

# 3. EventBridge (CloudWatch Events): rule, target, permission.
rule_arn="$(aws events put-rule --event-pattern "{\"source\":[\"aws.ec2\"],\"detail-type\":[\"EC2 Instance State-change Notification\"],\"detail\":{\"state\":[\"running\",\"shutting-down\",\"stopped\"]}}" \
  --state ENABLED --name "$rule" --query RuleArn)"
rule_made=yes
failed="$(aws events put-targets --rule "$rule" --targets "Id=id123456789012,Arn=$fn_arn" --query FailedEntryCount)"
[ "$failed" = 0 ] || fail "put-targets FailedEntryCount $failed"
aws lambda add-permission --function-name "$fn" --statement-id 45 --action lambda:InvokeFunction \
  --principal events.amazonaws.com --source-arn "$rule_arn" >/dev/null

# 4. VPC: DNS hostnames on, DHCP options (domain-name + AmazonProvidedDNS).
vpc="$(aws ec2 create-vpc --cidr-block 10.0.0.0/16 --query Vpc.VpcId)"
aws ec2 modify-vpc-attribute --vpc-id "$vpc" --enable-dns-hostnames '{"Value":true}'
[ "$(aws ec2 describe-vpc-attribute --vpc-id "$vpc" --attribute enableDnsHostnames --query EnableDnsHostnames.Value)" = True ] ||
  fail "enableDnsHostnames not on"
dhcp="$(aws ec2 create-dhcp-options --dhcp-configurations \
  "Key=domain-name,Values=${private_zone%.}" "Key=domain-name-servers,Values=AmazonProvidedDNS" \
  --query DhcpOptions.DhcpOptionsId)"
aws ec2 associate-dhcp-options --dhcp-options-id "$dhcp" --vpc-id "$vpc"
subnet="$(aws ec2 create-subnet --vpc-id "$vpc" --cidr-block 10.0.1.0/24 --query Subnet.SubnetId)"
igw="$(aws ec2 create-internet-gateway --query InternetGateway.InternetGatewayId)"
aws ec2 attach-internet-gateway --internet-gateway-id "$igw" --vpc-id "$vpc"

# 5. Route 53: a private zone bound to the VPC, and a public zone.
private_id="$(aws route53 create-hosted-zone --name "$private_zone" --caller-reference "s1-private-$suffix" \
  --vpc "VPCRegion=$region,VPCId=$vpc" --hosted-zone-config "Comment=ddns private,PrivateZone=true" --query HostedZone.Id)"
aws route53 create-hosted-zone --name "$corp_zone" --caller-reference "s1-corp-$suffix" \
  --vpc "VPCRegion=$region,VPCId=$vpc" --query HostedZone.Id >/dev/null
public_id="$(aws route53 create-hosted-zone --name "$public_zone" --caller-reference "s1-public-$suffix" --query HostedZone.Id)"
case "$private_id" in /hostedzone/Z*) ;; *) fail "private zone id $private_id" ;; esac
[ "$(aws route53 get-hosted-zone --id "$private_id" --query 'HostedZone.Config.PrivateZone')" = True ] || fail "zone with a VPC is not private"
[ "$(aws route53 get-hosted-zone --id "$private_id" --query 'VPCs[0].VPCId')" = "$vpc" ] || fail "GetHostedZone VPCs"

# 6. Run: an instance with a public IP, tagged ZONE (the trailing dot!) and CNAME.
ami="$(aws ec2 describe-images --owners amazon --query 'Images[0].ImageId')"
instance="$(aws ec2 run-instances --image-id "$ami" --instance-type t2.micro --count 1 \
  --subnet-id "$subnet" --associate-public-ip-address \
  --tag-specifications "ResourceType=instance,Tags=[{Key=ZONE,Value=$public_zone},{Key=CNAME,Value=web.${private_zone%.}}]" \
  --query 'Instances[0].InstanceId')"
state="" 
end=$((SECONDS + 120)); while [ "$SECONDS" -lt "$end" ]; do # generous on a loaded machine; returns once it holds
  state="$(aws ec2 describe-instances --instance-ids "$instance" --query 'Reservations[0].Instances[0].State.Name')"
  [ "$state" = running ] && break
  sleep 0.5
done
[ "$state" = running ] || fail "instance $instance is $state, not running"
read -r private_ip public_ip private_dns public_dns < <(aws ec2 describe-instances --instance-ids "$instance" \
  --query 'Reservations[0].Instances[0].[PrivateIpAddress,PublicIpAddress,PrivateDnsName,PublicDnsName]')
echo "instance $instance running: private $private_ip ($private_dns), public $public_ip ($public_dns)"
case "$public_ip" in None | "") fail "instance has no public IP" ;; esac
case "$private_dns" in "ip-${private_ip//./-}."*) ;; *) fail "PrivateDnsName $private_dns" ;; esac
IFS=. read -r a b c d <<<"$private_ip"
host="ip-$a-$b-$c-$d"
private_name="$host.$private_zone"
ptr_name="$d.$c.$b.$a.in-addr.arpa."
if [ -n "$public_dns" ] && [ "$public_dns" != None ]; then
  public_name="${public_dns%%.*}.$public_zone"
else
  public_name="ec2-${public_ip//./-}.$public_zone"
fi
cname="web.$private_zone"

# 7. The function runs on "running": the records appear and resolve.
# expect NAME TYPE WANT [VPC] polls niwa's DNS server until NAME TYPE
# answers exactly WANT ("A 1.2.3.4", "NXDOMAIN", ...).
expect() {
  local got=""
  local end=$((SECONDS + 120)); while [ "$SECONDS" -lt "$end" ]; do # generous on a loaded machine; returns once it holds
    got="$(dnsq "$1" "$2" ${4:+"$4"} | sort | tr '\n' ' ' | sed 's/ $//')" || got="error"
    [ "$got" = "$3" ] && return 0
    sleep 0.5
  done
  fail "DNS $1 $2${4:+ from $4}: '$got', want '$3'"
}
expect "$private_name" A "A $private_ip" "$vpc"
echo "private A: $private_name -> $private_ip (from inside $vpc)"
expect "$ptr_name" PTR "PTR $private_name" "$vpc"
echo "private PTR: $ptr_name -> $private_name"
expect "$cname" CNAME "CNAME $private_name" "$vpc"
echo "private CNAME: $cname -> $private_name"
expect "$public_name" A "A $public_ip"
echo "public A: $public_name -> $public_ip"
# From the host, a plain query (no VPC option, as the tutorial checks with
# dig) sees every private zone under niwa's default --dns-view all, and
# none under --dns-view public (NIWA_DNS_VIEW says which one niwa runs
# with). Another VPC never sees this one's private zone.
case "${NIWA_DNS_VIEW:-all}" in
  public)
    outside="$(dnsq "$private_name" A)"
    case "$outside" in NXDOMAIN | REFUSED) ;; *) fail "private record answered with --dns-view public: $outside" ;; esac ;;
  all | "$vpc")
    expect "$private_name" A "A $private_ip"
    echo "private A from the host (plain query): $private_name -> $private_ip"
    if command -v dig >/dev/null; then
      got="$(dig @"${NIWA_DNS_ADDR%:*}" -p "${NIWA_DNS_ADDR##*:}" +short "$private_name" A)"
      [ "$got" = "$private_ip" ] || fail "dig $private_name A: '$got', want '$private_ip'"
      echo "dig $private_name A: $got"
    fi ;;
esac
other_vpc="$(dnsq "$private_name" A vpc-00000000000000000)"
case "$other_vpc" in NXDOMAIN | REFUSED) ;; *) fail "private record answered in another VPC: $other_vpc" ;; esac
[ "$(aws route53 list-resource-record-sets --hosted-zone-id "$private_id" \
  --query "ResourceRecordSets[?Name=='$private_name' && Type=='A'].ResourceRecords[0].Value")" = "$private_ip" ] ||
  fail "private A not listed in the zone"

# The function created table DDNS and stored the instance (nested M/L/BOOL/N).
aws dynamodb get-item --table-name DDNS --key "{\"InstanceId\":{\"S\":\"$instance\"}}" --output json >"$work/item.json"
python3 - "$work/item.json" "$instance" "$private_ip" <<'PY' || fail "DDNS item"
import json, sys
item = json.load(open(sys.argv[1]))["Item"]
a = item["InstanceAttributes"]["M"]
assert item["InstanceId"]["S"] == sys.argv[2], item["InstanceId"]
assert a["InstanceId"]["S"] == sys.argv[2]
assert a["PrivateIpAddress"]["S"] == sys.argv[3]
assert a["State"]["M"]["Name"]["S"] == "running", a["State"]
assert a["State"]["M"]["Code"]["N"] == "16", a["State"]
assert "BOOL" in a["SourceDestCheck"] or "BOOL" in a["EbsOptimized"], "no BOOL attribute"
tags = {t["M"]["Key"]["S"]: t["M"]["Value"]["S"] for t in a["Tags"]["L"]}
assert tags["ZONE"].endswith("."), tags
print("DDNS item: InstanceAttributes M with State.Code N=16, Tags L, BOOL flags")
PY

[ "$(aws dynamodb describe-table --table-name DDNS --query 'Table.[KeySchema[0].AttributeName,ProvisionedThroughput.ReadCapacityUnits]')" = "$(printf 'InstanceId\t4')" ] ||
  fail "table DDNS: $(aws dynamodb describe-table --table-name DDNS --query 'Table.[KeySchema[0].AttributeName,ProvisionedThroughput.ReadCapacityUnits]')"

# With a restart point (scenarios/lib/restart.sh; `go test` restarts niwa
# here with --data-dir), what follows runs on the restarted niwa: the rule,
# the function and its permission, the zones, table DDNS, the records and
# the running instance were all set up before it.
niwa_restart "EventBridge rule, DDNS function, zones and records, table DDNS, the running instance"
expect "$private_name" A "A $private_ip" "$vpc"
expect "$public_name" A "A $public_ip"

# 8. A second instance, private only, tagged ZONE=<another private zone
# of the VPC>: its A record goes to that zone (and the VPC's DHCP domain),
# and terminating it ("shutting-down") deletes them.
instance2="$(aws ec2 run-instances --image-id "$ami" --instance-type t2.micro --count 1 --subnet-id "$subnet" \
  --tag-specifications "ResourceType=instance,Tags=[{Key=ZONE,Value=$corp_zone}]" \
  --query 'Instances[0].InstanceId')"
ip2="" 
end=$((SECONDS + 120)); while [ "$SECONDS" -lt "$end" ]; do # generous on a loaded machine; returns once it holds
  ip2="$(aws ec2 describe-instances --instance-ids "$instance2" --query 'Reservations[0].Instances[0].PrivateIpAddress')"
  [ -n "$ip2" ] && [ "$ip2" != None ] && break
  sleep 0.5
done
corp_name="ip-${ip2//./-}.$corp_zone"
expect "$corp_name" A "A $ip2" "$vpc"
expect "ip-${ip2//./-}.$private_zone" A "A $ip2" "$vpc"
echo "second instance $instance2: $corp_name -> $ip2 (ZONE tag), and in the DHCP domain"
aws ec2 terminate-instances --instance-ids "$instance2" >/dev/null
expect "$corp_name" A NXDOMAIN "$vpc"
expect "ip-${ip2//./-}.$private_zone" A NXDOMAIN "$vpc"
echo "after terminate: its records are gone"

# 9. Stop the first instance: the function deletes its records.
aws ec2 stop-instances --instance-ids "$instance" >/dev/null
expect "$private_name" A NXDOMAIN "$vpc"
expect "$ptr_name" PTR NXDOMAIN "$vpc"
expect "$cname" CNAME NXDOMAIN "$vpc"
expect "$public_name" A NXDOMAIN
echo "after stop: the records are gone"
left="$(aws route53 list-resource-record-sets --hosted-zone-id "$private_id" --query "length(ResourceRecordSets[?Type=='A' || Type=='CNAME'])")"
[ "$left" = 0 ] || fail "$left records left in the private zone"

group="/aws/lambda/$fn"
lines="$(aws logs filter-log-events --log-group-name "$group" --query 'events[].message' --output json)"
grep -q "UPSERT .* records for $instance" <<<"$lines" || fail "no UPSERT line in $group"
grep -q "DELETE .* records for $instance" <<<"$lines" || fail "no DELETE line in $group"
echo "function log lines in $group"
echo "S1 OK"
