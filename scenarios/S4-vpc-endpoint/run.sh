#!/usr/bin/env bash
# S4: S3 reachable only through a VPC gateway endpoint (seed 001).
# A VPC with a public subnet (route table -> internet gateway) and a
# private subnet (route table with the gateway endpoint
# com.amazonaws.<region>.s3); role EC2toS3 (S3 access, and what the SSM
# Agent needs so that Run Command reaches the instances) in an instance
# profile; one instance in each subnet; a bucket whose policy denies s3:*
# unless aws:SourceVpce is the endpoint. Observable: `aws s3 ls` run on
# the public-subnet instance (ssm send-command) is AccessDenied; on the
# private-subnet instance it lists the bucket.
set -euo pipefail
AWS_ENDPOINT_URL="${AWS_ENDPOINT_URL:-http://localhost:4566}"
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-ap-northeast-1}"
aws() { command aws --endpoint-url "$AWS_ENDPOINT_URL" --output text "$@"; }
fail() { echo "S4 FAILED: $*" >&2; exit 1; }
region="$AWS_DEFAULT_REGION"
bucket="s4-vpce-$(date +%s)-$RANDOM"

# Network: VPC, public and private subnets, internet gateway, route tables.
vpc="$(aws ec2 create-vpc --cidr-block 10.0.0.0/16 --query Vpc.VpcId)"
aws ec2 modify-vpc-attribute --vpc-id "$vpc" --enable-dns-hostnames
public="$(aws ec2 create-subnet --vpc-id "$vpc" --cidr-block 10.0.1.0/24 --availability-zone "${region}a" --query Subnet.SubnetId)"
private="$(aws ec2 create-subnet --vpc-id "$vpc" --cidr-block 10.0.2.0/24 --availability-zone "${region}a" --query Subnet.SubnetId)"
igw="$(aws ec2 create-internet-gateway --query InternetGateway.InternetGatewayId)"
aws ec2 attach-internet-gateway --internet-gateway-id "$igw" --vpc-id "$vpc"
public_rt="$(aws ec2 create-route-table --vpc-id "$vpc" --query RouteTable.RouteTableId)"
aws ec2 create-route --route-table-id "$public_rt" --destination-cidr-block 0.0.0.0/0 --gateway-id "$igw" >/dev/null
aws ec2 associate-route-table --route-table-id "$public_rt" --subnet-id "$public" >/dev/null
private_rt="$(aws ec2 create-route-table --vpc-id "$vpc" --query RouteTable.RouteTableId)"
aws ec2 associate-route-table --route-table-id "$private_rt" --subnet-id "$private" >/dev/null
vpce="$(aws ec2 create-vpc-endpoint --vpc-id "$vpc" --service-name "com.amazonaws.$region.s3" \
  --vpc-endpoint-type Gateway --route-table-ids "$private_rt" --query VpcEndpoint.VpcEndpointId)"
echo "vpc $vpc public $public private $private endpoint $vpce"

# Role EC2toS3 and its instance profile.
aws iam create-role --role-name EC2toS3 --assume-role-policy-document \
  '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}' >/dev/null
aws iam attach-role-policy --role-name EC2toS3 --policy-arn arn:aws:iam::aws:policy/AmazonS3FullAccess
aws iam attach-role-policy --role-name EC2toS3 --policy-arn arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore
aws iam create-instance-profile --instance-profile-name EC2toS3 >/dev/null
aws iam add-role-to-instance-profile --instance-profile-name EC2toS3 --role-name EC2toS3

# The bucket, an object, then the policy: Deny s3:* unless through the endpoint.
aws s3api create-bucket --bucket "$bucket" --create-bucket-configuration "LocationConstraint=$region" >/dev/null
echo hello | aws s3 cp - "s3://$bucket/hello.txt" >/dev/null
aws s3api put-bucket-policy --bucket "$bucket" --policy "{
  \"Version\": \"2012-10-17\", \"Id\": \"Policy1415115909152\",
  \"Statement\": [{\"Sid\": \"Access-to-specific-VPCE-only\", \"Principal\": \"*\", \"Action\": \"s3:*\", \"Effect\": \"Deny\",
    \"Resource\": [\"arn:aws:s3:::$bucket\", \"arn:aws:s3:::$bucket/*\"],
    \"Condition\": {\"StringNotEquals\": {\"aws:SourceVpce\": \"$vpce\"}}}]}"

# One instance in each subnet.
ami="$(aws ssm get-parameter --name /aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64 --query Parameter.Value)"
launch() {
  aws ec2 run-instances --image-id "$ami" --instance-type t3.micro --subnet-id "$1" $2 \
    --iam-instance-profile Name=EC2toS3 --query 'Instances[0].InstanceId'
}
public_i="$(launch "$public" --associate-public-ip-address)"
private_i="$(launch "$private" --no-associate-public-ip-address)"
echo "instances: public $public_i private $private_i"

deadline=$((SECONDS + 120))
until [ "$(aws ssm describe-instance-information --filters "Key=InstanceIds,Values=$public_i,$private_i" \
  --query 'length(InstanceInformationList[?PingStatus==`Online`])')" = 2 ]; do
  [ $SECONDS -lt $deadline ] || fail "the instances never came Online in Systems Manager"
  sleep 0.5
done

# aws s3 ls on an instance, through Run Command; prints Status, then the output.
on() {
  local cid status
  cid="$(aws ssm send-command --instance-ids "$1" --document-name AWS-RunShellScript \
    --parameters "commands=[\"aws s3 ls s3://$bucket 2>&1\"]" --query Command.CommandId)"
  local deadline=$((SECONDS + 120))
  while :; do
    status="$(aws ssm get-command-invocation --command-id "$cid" --instance-id "$1" --query Status)"
    case "$status" in Success|Failed|TimedOut|Cancelled) break ;; esac
    [ $SECONDS -lt $deadline ] || fail "command $cid still $status"
    sleep 0.5
  done
  echo "$status"
  aws ssm get-command-invocation --command-id "$cid" --instance-id "$1" --query StandardOutputContent
}

out="$(on "$public_i")"
echo "public subnet: $out"
echo "$out" | grep -q "AccessDenied" || fail "the public-subnet instance should be denied: $out"
out="$(on "$private_i")"
echo "private subnet: $out"
echo "$out" | head -1 | grep -q Success || fail "the private-subnet instance should list the bucket: $out"
echo "$out" | grep -q "hello.txt" || fail "the listing lacks hello.txt: $out"

echo "S4 OK"
