#!/usr/bin/env bash
# S18, part 1 (seed 003): the data half of a protected JSON API. A VPC
# with two private subnets, a DB subnet group over them, a security group
# for the database that lets the function's group in on 3306, a MySQL RDS
# instance (a real MariaDB server niwa runs); a table with rows created
# by a loader function in that group; a Python Lambda in the VPC's subnets with
# AWSLambdaVPCAccessExecutionRole whose zip bundles pymysql (copied from
# Debian's python3-pymysql, as a user copies a pip install into the zip)
# returns the row for event["key"] as JSON. A function in a security
# group the database's group does not name cannot connect: its connect
# times out, as on AWS.
#
# Notes: the instance's endpoint name (<id>.<hash>.<region>.rds.localhost)
# is answered by niwa's DNS server; Lambda processes use the machine's
# resolver, so the script resolves the name through niwa's DNS and hands
# the function the address with the name (docs/rds.md). The instance is
# not publicly accessible, so the machine's own mysql client (outside the
# VPC) cannot reach it: the table is loaded by a second function in the
# allowed group (docs/rds.md, "Endpoints").
set -euo pipefail
AWS_ENDPOINT_URL="${AWS_ENDPOINT_URL:-http://localhost:4566}"
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}"
aws() { command aws --endpoint-url "$AWS_ENDPOINT_URL" --output text "$@"; }
fail() { echo "S18 FAILED: $*" >&2; exit 1; }
here="$(cd "$(dirname "$0")" && pwd)"
region="$AWS_DEFAULT_REGION"
az2="${region}c"
[ "$region" = us-east-1 ] && az2="${region}b"
pymysql_dir="${PYMYSQL_DIR:-/usr/lib/python3/dist-packages/pymysql}"
[ -d "$pymysql_dir" ] || fail "pymysql not found at $pymysql_dir (apt-get install python3-pymysql)"

# Network: VPC, two private subnets, security groups.
vpc="$(aws ec2 create-vpc --cidr-block 10.10.0.0/16 --query Vpc.VpcId)"
sub_a="$(aws ec2 create-subnet --vpc-id "$vpc" --cidr-block 10.10.1.0/24 --availability-zone "${region}a" --query Subnet.SubnetId)"
sub_b="$(aws ec2 create-subnet --vpc-id "$vpc" --cidr-block 10.10.2.0/24 --availability-zone "$az2" --query Subnet.SubnetId)"
sg_fn="$(aws ec2 create-security-group --vpc-id "$vpc" --group-name lambda-sg --description "Lambda function" --query GroupId)"
sg_db="$(aws ec2 create-security-group --vpc-id "$vpc" --group-name rds-sg --description "MySQL from the function" --query GroupId)"
aws ec2 authorize-security-group-ingress --group-id "$sg_db" --protocol tcp --port 3306 --source-group "$sg_fn" >/dev/null
echo "vpc $vpc subnets $sub_a $sub_b groups fn=$sg_fn db=$sg_db"

# The database.
aws rds create-db-subnet-group --db-subnet-group-name s18-db --db-subnet-group-description "S18 private subnets" \
  --subnet-ids "$sub_a" "$sub_b" >/dev/null
password="S18-secret-pw"
aws rds create-db-instance --db-instance-identifier s18-mysql --engine mysql --engine-version 8.0 \
  --db-instance-class db.t3.micro --allocated-storage 20 --master-username admin --master-user-password "$password" \
  --db-name shop --db-subnet-group-name s18-db --vpc-security-group-ids "$sg_db" --no-publicly-accessible \
  --backup-retention-period 0 >/dev/null
# RDS takes minutes: move niwa's clock past them, then wait for the server.
curl -fsS -X POST "$AWS_ENDPOINT_URL/_niwa/clock/advance?by=10m" >/dev/null
end=$((SECONDS + 120)); status=""
while [ "$SECONDS" -lt "$end" ]; do # generous on a loaded machine; returns once it holds
  status="$(aws rds describe-db-instances --db-instance-identifier s18-mysql --query 'DBInstances[0].DBInstanceStatus')"
  [ "$status" = available ] && break
  [ "$status" = failed ] && fail "instance failed: $(aws rds describe-events --source-identifier s18-mysql)"
  sleep 0.5
done
[ "$status" = available ] || fail "instance is $status"
read -r host port <<<"$(aws rds describe-db-instances --db-instance-identifier s18-mysql --query 'DBInstances[0].Endpoint.[Address,Port]')"
echo "endpoint $host:$port"
addr="$(python3 "$here/../lib/dnsq.py" "$NIWA_DNS_ADDR" "$host" A | awk '$1 == "A" {print $2}')"
[ "$addr" = 127.0.0.1 ] || fail "niwa's DNS answers $host with '$addr'"

# The function: pymysql bundled in the zip.
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
. "$here/../lib/s18_function.sh"
s18_function_zip "$work"

role_arn="$(aws iam create-role --role-name s18-lambda-vpc --assume-role-policy-document \
  '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}' \
  --query Role.Arn)"
aws iam attach-role-policy --role-name s18-lambda-vpc \
  --policy-arn arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole
fn_env="Variables={DB_HOST=$host,DB_ADDRESS=$addr,DB_PORT=$port,DB_USER=admin,DB_PASSWORD=$password,DB_NAME=shop}"
aws lambda create-function --function-name s18-items --runtime python3.12 --handler lambda_function.lambda_handler \
  --role "$role_arn" --zip-file "fileb://$work/fn.zip" --timeout 20 \
  --vpc-config "SubnetIds=$sub_a,$sub_b,SecurityGroupIds=$sg_fn" --environment "$fn_env" >/dev/null
# The loader: same zip, same group, its own handler.
aws lambda create-function --function-name s18-load --runtime python3.12 --handler setup.handler \
  --role "$role_arn" --zip-file "fileb://$work/fn.zip" --timeout 20 \
  --vpc-config "SubnetIds=$sub_a,$sub_b,SecurityGroupIds=$sg_fn" --environment "$fn_env" >/dev/null
# A function in another group of the VPC, which the database's group does not name.
sg_other="$(aws ec2 create-security-group --vpc-id "$vpc" --group-name other-sg --description "Not allowed to the database" --query GroupId)"
aws lambda create-function --function-name s18-outsider --runtime python3.12 --handler lambda_function.lambda_handler \
  --role "$role_arn" --zip-file "fileb://$work/fn.zip" --timeout 20 \
  --vpc-config "SubnetIds=$sub_a,$sub_b,SecurityGroupIds=$sg_other" --environment "$fn_env" >/dev/null
aws lambda wait function-active-v2 --function-name s18-items
aws lambda wait function-active-v2 --function-name s18-load
aws lambda wait function-active-v2 --function-name s18-outsider

aws lambda invoke --function-name s18-load --payload '{"sql": [
  "CREATE TABLE items (id VARCHAR(32) PRIMARY KEY, name VARCHAR(64), price DECIMAL(8,2))",
  "INSERT INTO items VALUES (\"k1\", \"teapot\", 24.50), (\"k2\", \"kettle\", 39.00), (\"k3\", \"cup\", 6.25)",
  "SELECT count(*) FROM items"]}' "$work/load.json" >/dev/null
[ "$(cat "$work/load.json")" = "[[3]]" ] || fail "loading the table: $(cat "$work/load.json")"
echo "table items has 3 rows"

invoke() {
  aws lambda invoke --function-name s18-items \
    --payload "{\"key\": \"$1\"}" "$work/out.json" >/dev/null
  cat "$work/out.json"
}
got="$(invoke k2)"
echo "k2 -> $got"
python3 - "$got" <<'PY' || fail "wrong row for k2: $got"
import json, sys
r = json.loads(sys.argv[1])
assert r["statusCode"] == 200, r
assert json.loads(r["body"]) == {"id": "k2", "name": "kettle", "price": "39.00"}, r
PY
got="$(invoke nope)"
echo "nope -> $got"
python3 -c 'import json,sys; assert json.loads(sys.argv[1])["statusCode"] == 404' "$got" || fail "missing key: $got"

# Outside the allowed group: the connection is never answered, and
# pymysql's connect timeout (5 s) ends it.
aws lambda invoke --function-name s18-outsider --payload '{"key": "k1"}' "$work/outsider.json" >"$work/outsider.meta"
echo "outsider -> $(cat "$work/outsider.json")"
grep -q Unhandled "$work/outsider.meta" && grep -q "timed out" "$work/outsider.json" \
  || fail "a function outside the database's security group connected: $(cat "$work/outsider.meta" "$work/outsider.json")"

echo "S18 OK"
