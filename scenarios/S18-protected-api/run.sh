#!/usr/bin/env bash
# S18 — a protected JSON API: RDS + VPC + Lambda + API Gateway +
# CloudFront + WAF + ACM (seed 003, the whole tutorial).
#
# 1. Data: a VPC with two private subnets, a MySQL RDS instance (a real
#    MariaDB server niwa runs) whose security group lets the function's
#    group in on 3306 (the tutorial's "MySQL type" inbound rule); a table
#    of items.
# 2. A Python Lambda in the VPC (role with AWSLambdaVPCAccessExecutionRole,
#    pymysql bundled) that answers the row for event["key"] —
#    scenarios/S18-rds-lambda/lambda_function.py.
# 3. API Gateway (REST) "Open with access key": GET /items requires an API
#    key (usage plan on stage prod), declares the `key` query parameter,
#    and a Lambda integration whose mapping template is
#    {"key": "$input.params('key')", "sourceIp": "$context.identity.sourceIp"};
#    the integration response passes the function's JSON body on.
# 4. WAF (wafv2, scope CLOUDFRONT): a web ACL whose rule allows requests
#    from an IP set AND with a given Authorization header; default Block.
# 5. SES receiving for the domain (verified by its TXT record in Route 53,
#    MX record, a receipt rule storing the domain's mail in S3 then a
#    stop action) so that ACM's approval mail can be read: an ACM
#    certificate for api.<domain> validated by EMAIL, approved by
#    following the link in the stored mail.
# 6. CloudFront in front of the stage: custom origin (HTTPS only, origin
#    custom header x-api-key), viewer HTTPS only, allowed methods GET and
#    HEAD, query strings forwarded, the web ACL, the alternate domain name
#    api.<domain> with the certificate; the domain's CNAME set last, as
#    the tutorial says.
# Observable: through the alternate domain over TLS (niwa's root CA from
# /_niwa/ca.pem; the certificate chain and host name verify) an allowed
# caller gets the row as JSON; a wrong Authorization header, none, or a
# caller outside the IP set gets 403 "Request blocked."; the API directly
# without the key is 403 {"message":"Forbidden"}; POST through the
# distribution gets CloudFront's "not configured to allow the HTTP
# request method" error.
#
# Regions: the tutorial's resources are in ap-northeast-1; ACM
# certificates for CloudFront and CLOUDFRONT-scope web ACLs live in
# us-east-1 (as on AWS), and so does SES receiving, which Tokyo did not
# offer in 2016. Needs niwa with --https-port (NIWA_HTTPS_PORT), Debian's
# mariadb-server (the mysql client, MariaDB's server) and python3-pymysql.
set -euo pipefail

AWS_ENDPOINT_URL="${AWS_ENDPOINT_URL:-http://localhost:4566}"
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-ap-northeast-1}"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
NIWA_DNS_ADDR="${NIWA_DNS_ADDR:-127.0.0.1:5353}"
NIWA_HTTPS_PORT="${NIWA_HTTPS_PORT:-4567}"
aws() { command aws --endpoint-url "$AWS_ENDPOINT_URL" --output text "$@"; }
fail() { echo "S18 FAILED: $*" >&2; exit 1; }
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/../lib/restart.sh"
lib="$here/../lib"
region="$AWS_DEFAULT_REGION"
az2="${region}c"
[ "$region" = us-east-1 ] && az2="${region}b"
pymysql_dir="${PYMYSQL_DIR:-/usr/lib/python3/dist-packages/pymysql}"
[ -d "$pymysql_dir" ] || fail "pymysql not found at $pymysql_dir (apt-get install python3-pymysql)"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
account="$(aws sts get-caller-identity --query Account)"
domain="yamamugi-s18.example.com"
api_domain="api.$domain"
auth_value="Bearer s18-$(date +%s)-$$"

# dns NAME TYPE prints niwa's DNS answer records ("TYPE value" lines).
dns() { python3 "$lib/dnsq.py" "$NIWA_DNS_ADDR" "$1" "$2"; }
# wait_for DESCRIPTION COMMAND...: polls (generous on a loaded machine)
# until COMMAND succeeds.
wait_for() {
  local what="$1"; shift
  local end=$((SECONDS + 120))
  until "$@"; do
    [ "$SECONDS" -lt "$end" ] || fail "timed out waiting for $what"
    sleep 0.5
  done
}

echo "== 1. VPC, RDS MySQL"
vpc="$(aws ec2 create-vpc --cidr-block 10.18.0.0/16 --query Vpc.VpcId)"
sub_a="$(aws ec2 create-subnet --vpc-id "$vpc" --cidr-block 10.18.1.0/24 --availability-zone "${region}a" --query Subnet.SubnetId)"
sub_b="$(aws ec2 create-subnet --vpc-id "$vpc" --cidr-block 10.18.2.0/24 --availability-zone "$az2" --query Subnet.SubnetId)"
# The function's group needs no rules of its own (the tutorial); the
# database's lets it in on MySQL's port.
sg_fn="$(aws ec2 create-security-group --vpc-id "$vpc" --group-name s18-lambda --description "S18 function" --query GroupId)"
sg_db="$(aws ec2 create-security-group --vpc-id "$vpc" --group-name s18-rds --description "MySQL from the function" --query GroupId)"
aws ec2 authorize-security-group-ingress --group-id "$sg_db" --protocol tcp --port 3306 --source-group "$sg_fn" >/dev/null
aws rds create-db-subnet-group --db-subnet-group-name s18-api-db --db-subnet-group-description "S18 private subnets" \
  --subnet-ids "$sub_a" "$sub_b" >/dev/null
password="S18-api-secret"
aws rds create-db-instance --db-instance-identifier s18-api-mysql --engine mysql --engine-version 8.0 \
  --db-instance-class db.t3.micro --allocated-storage 20 --master-username admin --master-user-password "$password" \
  --db-name shop --db-subnet-group-name s18-api-db --vpc-security-group-ids "$sg_db" --no-publicly-accessible \
  --backup-retention-period 0 >/dev/null
# RDS takes minutes: move niwa's clock past them, then wait for the server.
curl -fsS -X POST "$AWS_ENDPOINT_URL/_niwa/clock/advance?by=10m" >/dev/null
db_available() {
  local s
  s="$(aws rds describe-db-instances --db-instance-identifier s18-api-mysql --query 'DBInstances[0].DBInstanceStatus')"
  [ "$s" = failed ] && fail "instance failed: $(aws rds describe-events --source-identifier s18-api-mysql)"
  [ "$s" = available ]
}
wait_for "the DB instance" db_available
read -r db_host db_port <<<"$(aws rds describe-db-instances --db-instance-identifier s18-api-mysql --query 'DBInstances[0].Endpoint.[Address,Port]')"
# Lambda processes use the machine's resolver: the function gets the
# address niwa's DNS answers for the endpoint (docs/rds.md).
db_addr="$(dns "$db_host" A | awk '$1 == "A" {print $2}')"
[ "$db_addr" = 127.0.0.1 ] || fail "niwa's DNS answers $db_host with '$db_addr'"
echo "endpoint $db_host:$db_port"

echo "== 2. Lambda in the VPC"
. "$here/../lib/s18_function.sh"
s18_function_zip "$work"
role_arn="$(aws iam create-role --role-name s18-api-lambda --assume-role-policy-document \
  '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}' \
  --query Role.Arn)"
aws iam attach-role-policy --role-name s18-api-lambda \
  --policy-arn arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole
fn_arn="$(aws lambda create-function --function-name s18-api-items --runtime python3.12 --handler lambda_function.lambda_handler \
  --role "$role_arn" --zip-file "fileb://$work/fn.zip" --timeout 20 \
  --vpc-config "SubnetIds=$sub_a,$sub_b,SecurityGroupIds=$sg_fn" \
  --environment "Variables={DB_HOST=$db_host,DB_ADDRESS=$db_addr,DB_PORT=$db_port,DB_USER=admin,DB_PASSWORD=$password,DB_NAME=shop}" \
  --query FunctionArn)"
aws lambda wait function-active-v2 --function-name s18-api-items
# The database is private to the function's security group (not publicly
# accessible), so the table is loaded by a function in that group — the
# same zip, its loader handler — as a user without a bastion host would.
aws lambda create-function --function-name s18-api-load --runtime python3.12 --handler setup.handler \
  --role "$role_arn" --zip-file "fileb://$work/fn.zip" --timeout 20 \
  --vpc-config "SubnetIds=$sub_a,$sub_b,SecurityGroupIds=$sg_fn" \
  --environment "Variables={DB_HOST=$db_host,DB_ADDRESS=$db_addr,DB_PORT=$db_port,DB_USER=admin,DB_PASSWORD=$password,DB_NAME=shop}" >/dev/null
aws lambda wait function-active-v2 --function-name s18-api-load
aws lambda invoke --function-name s18-api-load --payload '{"sql": [
  "CREATE TABLE items (id VARCHAR(32) PRIMARY KEY, name VARCHAR(64), price DECIMAL(8,2))",
  "INSERT INTO items VALUES (\"k1\", \"teapot\", 24.50), (\"k2\", \"kettle\", 39.00), (\"k3\", \"cup\", 6.25)",
  "SELECT count(*) FROM items"]}' "$work/load.json" >/dev/null
[ "$(cat "$work/load.json")" = "[[3]]" ] || fail "loading the table: $(cat "$work/load.json")"
echo "table items has 3 rows"

echo "== 3. API Gateway with an API key"
api="$(aws apigateway create-rest-api --name s18-items --endpoint-configuration types=REGIONAL --query id)"
root="$(aws apigateway get-resources --rest-api-id "$api" --query 'items[?path==`/`].id')"
res="$(aws apigateway create-resource --rest-api-id "$api" --parent-id "$root" --path-part items --query id)"
aws apigateway put-method --rest-api-id "$api" --resource-id "$res" --http-method GET \
  --authorization-type NONE --api-key-required --request-parameters method.request.querystring.key=true >/dev/null
cat >"$work/request-templates.json" <<'JSON'
{"application/json": "{\"key\": \"$input.params('key')\", \"sourceIp\": \"$context.identity.sourceIp\"}"}
JSON
aws apigateway put-integration --rest-api-id "$api" --resource-id "$res" --http-method GET --type AWS \
  --integration-http-method POST \
  --uri "arn:aws:apigateway:$region:lambda:path/2015-03-31/functions/$fn_arn/invocations" \
  --request-templates "file://$work/request-templates.json" --passthrough-behavior WHEN_NO_TEMPLATES >/dev/null
aws apigateway put-method-response --rest-api-id "$api" --resource-id "$res" --http-method GET \
  --status-code 200 --response-models application/json=Empty >/dev/null
# The function answers {"statusCode": ..., "body": "<row JSON>"}: the
# integration response hands the body on.
cat >"$work/response-templates.json" <<'JSON'
{"application/json": "$input.path('$.body')"}
JSON
aws apigateway put-integration-response --rest-api-id "$api" --resource-id "$res" --http-method GET \
  --status-code 200 --selection-pattern "" --response-templates "file://$work/response-templates.json" >/dev/null
# What the console does when it wires the integration.
aws lambda add-permission --function-name s18-api-items --statement-id apigateway-s18 --action lambda:InvokeFunction \
  --principal apigateway.amazonaws.com --source-arn "arn:aws:execute-api:$region:$account:$api/*/GET/items" >/dev/null
aws apigateway create-deployment --rest-api-id "$api" --stage-name prod >/dev/null
key_id="$(aws apigateway create-api-key --name s18-key --enabled --query id)"
key_value="$(aws apigateway get-api-key --api-key "$key_id" --include-value --query value)"
plan="$(aws apigateway create-usage-plan --name s18-plan --api-stages "apiId=$api,stage=prod" --query id)"
aws apigateway create-usage-plan-key --usage-plan-id "$plan" --key-id "$key_id" --key-type API_KEY >/dev/null
api_host="$api.execute-api.$region.amazonaws.com"
echo "API $api_host/prod/items"

echo "== 4. WAF web ACL (IP set AND Authorization header, default Block)"
read -r ipset_id ipset_arn <<<"$(aws wafv2 create-ip-set --region us-east-1 --scope CLOUDFRONT --name s18-allowed \
  --ip-address-version IPV4 --addresses 127.0.0.1/32 --query 'Summary.[Id,ARN]')"
cat >"$work/rules.json" <<JSON
[{"Name": "allow-office-with-auth", "Priority": 0, "Action": {"Allow": {}},
  "Statement": {"AndStatement": {"Statements": [
    {"IPSetReferenceStatement": {"ARN": "$ipset_arn"}},
    {"ByteMatchStatement": {"SearchString": "$auth_value", "FieldToMatch": {"SingleHeader": {"Name": "authorization"}},
      "TextTransformations": [{"Priority": 0, "Type": "NONE"}], "PositionalConstraint": "EXACTLY"}}]}},
  "VisibilityConfig": {"SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": "allowOfficeWithAuth"}}]
JSON
acl_arn="$(aws wafv2 create-web-acl --region us-east-1 --scope CLOUDFRONT --name s18-api-acl --default-action Block={} \
  --rules "file://$work/rules.json" \
  --visibility-config SampledRequestsEnabled=true,CloudWatchMetricsEnabled=true,MetricName=s18ApiAcl \
  --query Summary.ARN)"
echo "web ACL $acl_arn"

echo "== 5. SES receiving for $domain, ACM certificate validated by email"
zone="$(aws route53 create-hosted-zone --name "$domain" --caller-reference "s18-$(date +%s)-$$" --query HostedZone.Id)"
token="$(aws ses verify-domain-identity --region us-east-1 --domain "$domain" --query VerificationToken)"
cat >"$work/ses-records.json" <<JSON
{"Changes": [
 {"Action": "UPSERT", "ResourceRecordSet": {"Name": "_amazonses.$domain", "Type": "TXT", "TTL": 300, "ResourceRecords": [{"Value": "\"$token\""}]}},
 {"Action": "UPSERT", "ResourceRecordSet": {"Name": "$domain", "Type": "MX", "TTL": 300, "ResourceRecords": [{"Value": "10 inbound-smtp.us-east-1.amazonaws.com"}]}}]}
JSON
aws route53 change-resource-record-sets --hosted-zone-id "$zone" --change-batch "file://$work/ses-records.json" >/dev/null
domain_verified() {
  [ "$(aws ses get-identity-verification-attributes --region us-east-1 --identities "$domain" \
    --query "VerificationAttributes.\"$domain\".VerificationStatus")" = Success ]
}
wait_for "the SES domain identity" domain_verified
mail_bucket="s18-mail-$account-$$"
aws s3api create-bucket --bucket "$mail_bucket" --region us-east-1 >/dev/null
cat >"$work/mail-policy.json" <<JSON
{"Version": "2012-10-17", "Statement": [{"Sid": "AllowSESPuts", "Effect": "Allow",
  "Principal": {"Service": "ses.amazonaws.com"}, "Action": "s3:PutObject",
  "Resource": "arn:aws:s3:::$mail_bucket/*",
  "Condition": {"StringEquals": {"aws:SourceAccount": "$account"}}}]}
JSON
aws s3api put-bucket-policy --bucket "$mail_bucket" --policy "file://$work/mail-policy.json"
aws ses create-receipt-rule-set --region us-east-1 --rule-set-name s18-inbound >/dev/null
aws ses create-receipt-rule --region us-east-1 --rule-set-name s18-inbound --rule \
  "Name=store-$domain,Enabled=true,Recipients=$domain,Actions=[{S3Action={BucketName=$mail_bucket,ObjectKeyPrefix=mail/}},{StopAction={Scope=RuleSet}}]" >/dev/null
aws ses set-active-receipt-rule-set --region us-east-1 --rule-set-name s18-inbound >/dev/null

cert_arn="$(aws acm request-certificate --region us-east-1 --domain-name "$api_domain" --validation-method EMAIL \
  --domain-validation-options "DomainName=$api_domain,ValidationDomain=$domain" --query CertificateArn)"
echo "certificate $cert_arn: $(aws acm describe-certificate --region us-east-1 --certificate-arn "$cert_arn" --query Certificate.Status)"
# The approval mail, as the receipt rule stored it in the bucket.
mail_stored() { [ -n "$(aws s3api list-objects-v2 --bucket "$mail_bucket" --prefix mail/ --query 'Contents[0].Key' | grep -v None)" ]; }
wait_for "ACM's mail in s3://$mail_bucket" mail_stored
mail_key="$(aws s3api list-objects-v2 --bucket "$mail_bucket" --prefix mail/ --query 'Contents[0].Key')"
aws s3 cp "s3://$mail_bucket/$mail_key" "$work/approval.eml" --quiet
echo "stored mail $mail_key: $(grep -m1 '^Subject:' "$work/approval.eml")"
grep -q "^Subject: Certificate request for $api_domain" "$work/approval.eml" || fail "unexpected mail: $(head -c 600 "$work/approval.eml")"
link="$(python3 - "$work/approval.eml" <<'PY'
import email, re, sys
msg = email.message_from_binary_file(open(sys.argv[1], "rb"))
body = msg.get_payload(decode=True).decode()
m = re.search(r"To approve this request, go to Amazon Certificate Approvals\s*\((\S+)\)", body)
print(m.group(1) if m else "")
PY
)"
[ -n "$link" ] || fail "no approval link in the mail"
echo "approval link $link"
# The page shows the request and an "I Approve" button; pressing it
# POSTs the form.
page="$(curl -fsS "$link")"
grep -q "I Approve" <<<"$page" || fail "approval page: $page"
grep -q "$api_domain" <<<"$page" || fail "approval page does not name $api_domain: $page"
curl -fsS -X POST "$link" | grep -q "Success" || fail "approval refused"
cert_status="$(aws acm describe-certificate --region us-east-1 --certificate-arn "$cert_arn" --query Certificate.Status)"
[ "$cert_status" = ISSUED ] || fail "certificate is $cert_status after approval"
echo "certificate ISSUED"

echo "== 6. CloudFront distribution in front of the stage"
cat >"$work/dist.json" <<JSON
{"CallerReference": "s18-$(date +%s)-$$", "Comment": "S18 protected API", "Enabled": true,
 "Aliases": {"Quantity": 1, "Items": ["$api_domain"]},
 "Origins": {"Quantity": 1, "Items": [{"Id": "apigw-prod", "DomainName": "$api_host", "OriginPath": "/prod",
   "CustomHeaders": {"Quantity": 1, "Items": [{"HeaderName": "x-api-key", "HeaderValue": "$key_value"}]},
   "CustomOriginConfig": {"HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "https-only",
     "OriginSslProtocols": {"Quantity": 1, "Items": ["TLSv1.2"]}}}]},
 "DefaultCacheBehavior": {"TargetOriginId": "apigw-prod", "ViewerProtocolPolicy": "https-only",
   "AllowedMethods": {"Quantity": 2, "Items": ["GET", "HEAD"], "CachedMethods": {"Quantity": 2, "Items": ["GET", "HEAD"]}},
   "ForwardedValues": {"QueryString": true, "Cookies": {"Forward": "none"}},
   "MinTTL": 0, "DefaultTTL": 0, "MaxTTL": 0},
 "ViewerCertificate": {"ACMCertificateArn": "$cert_arn", "SSLSupportMethod": "sni-only", "MinimumProtocolVersion": "TLSv1.2_2021"},
 "WebACLId": "$acl_arn"}
JSON
aws cloudfront create-distribution --distribution-config "file://$work/dist.json" --output json > "$work/dist.out"
dist_id="$(python3 -c 'import json,sys;print(json.load(open(sys.argv[1]))["Distribution"]["Id"])' "$work/dist.out")"
dist_domain="$(python3 -c 'import json,sys;print(json.load(open(sys.argv[1]))["Distribution"]["DomainName"])' "$work/dist.out")"
echo "distribution $dist_id at $dist_domain"
curl -fsS -X POST "$AWS_ENDPOINT_URL/_niwa/clock/advance?by=1m" >/dev/null
aws cloudfront wait distribution-deployed --id "$dist_id"
in_use="$(aws acm describe-certificate --region us-east-1 --certificate-arn "$cert_arn" --query 'Certificate.InUseBy[0]')"
[ "$in_use" = "$(python3 -c 'import json,sys;print(json.load(open(sys.argv[1]))["Distribution"]["ARN"])' "$work/dist.out")" ] ||
  fail "certificate InUseBy: $in_use"
# Last, the CNAME from the custom domain to the distribution.
cat >"$work/cname.json" <<JSON
{"Changes": [{"Action": "UPSERT", "ResourceRecordSet": {"Name": "$api_domain", "Type": "CNAME", "TTL": 300, "ResourceRecords": [{"Value": "$dist_domain"}]}}]}
JSON
aws route53 change-resource-record-sets --hosted-zone-id "$zone" --change-batch "file://$work/cname.json" >/dev/null
answer="$(dns "$api_domain" A)"
echo "niwa's DNS: $api_domain -> $(tr '\n' ' ' <<<"$answer")"
grep -q "^CNAME $dist_domain" <<<"$answer" || fail "no CNAME to $dist_domain"
edge_addr="$(awk '$1 == "A" {print $2}' <<<"$answer" | head -1)"
if [ -z "$edge_addr" ]; then # the zone answers the CNAME; a resolver follows it
  edge_addr="$(dns "$dist_domain" A | awk '$1 == "A" {print $2}' | head -1)"
fi
[ -n "$edge_addr" ] || fail "$api_domain does not resolve to an address"

# With a restart point (scenarios/lib/restart.sh; `go test` restarts niwa
# here with --data-dir), the observations are made on the restarted niwa.
niwa_restart "database instance and rows, VPC function, API key and stage, web ACL, certificate, distribution"

echo "== Observations"
curl -fsS "$AWS_ENDPOINT_URL/_niwa/ca.pem" > "$work/niwa-root.pem"
url="https://$api_domain:$NIWA_HTTPS_PORT/items?key=k2"
edge() { # edge CURL-ARGS...: prints "<status> <body>"
  curl -sS --cacert "$work/niwa-root.pem" --resolve "$api_domain:$NIWA_HTTPS_PORT:$edge_addr" \
    -o "$work/body" -w '%{http_code}' "$@" && printf ' %s' "$(cat "$work/body")"
}
got="$(edge -H "Authorization: $auth_value" "$url")" || fail "TLS to $api_domain did not verify: $got"
echo "allowed caller: $got"
python3 - "$got" <<'PY' || fail "allowed caller: $got"
import json, sys
status, body = sys.argv[1].split(" ", 1)
assert status == "200", status
assert json.loads(body) == {"id": "k2", "name": "kettle", "price": "39.00"}, body
PY
# The certificate served is the ACM one, for the alternate domain.
openssl s_client -connect "127.0.0.1:$NIWA_HTTPS_PORT" -servername "$api_domain" -CAfile "$work/niwa-root.pem" \
  -verify_hostname "$api_domain" -verify_return_error </dev/null >"$work/sclient" 2>&1 ||
  fail "openssl verify: $(tail -5 "$work/sclient")"
aws acm get-certificate --region us-east-1 --certificate-arn "$cert_arn" --query Certificate > "$work/acm.pem"
[ "$(openssl x509 -in "$work/acm.pem" -noout -fingerprint -sha256)" = \
  "$(openssl x509 -in "$work/sclient" -noout -fingerprint -sha256)" ] || fail "the edge does not serve the ACM certificate"
echo "TLS: the ACM certificate, chain and host name verify"

got="$(edge -H "Authorization: Bearer wrong" "$url")"
echo "wrong Authorization: $got"
[ "${got%% *}" = 403 ] && grep -q "Request blocked." <<<"$got" || fail "wrong header: $got"
got="$(edge "$url")"
echo "no Authorization: $got"
[ "${got%% *}" = 403 ] && grep -q "Request blocked." <<<"$got" || fail "no header: $got"

# A caller outside the IP set: the set no longer holds this machine.
lock="$(aws wafv2 get-ip-set --region us-east-1 --scope CLOUDFRONT --name s18-allowed --id "$ipset_id" --query LockToken)"
aws wafv2 update-ip-set --region us-east-1 --scope CLOUDFRONT --name s18-allowed --id "$ipset_id" \
  --addresses 192.0.2.0/24 --lock-token "$lock" >/dev/null
got="$(edge -H "Authorization: $auth_value" "$url")"
echo "caller outside the IP set: $got"
[ "${got%% *}" = 403 ] && grep -q "Request blocked." <<<"$got" || fail "wrong IP: $got"
lock="$(aws wafv2 get-ip-set --region us-east-1 --scope CLOUDFRONT --name s18-allowed --id "$ipset_id" --query LockToken)"
aws wafv2 update-ip-set --region us-east-1 --scope CLOUDFRONT --name s18-allowed --id "$ipset_id" \
  --addresses 127.0.0.1/32 --lock-token "$lock" >/dev/null

got="$(edge -X POST -H "Authorization: $auth_value" -H 'Content-Type: application/json' -d '{}' "$url")"
echo "POST through the distribution: $got"
[ "${got%% *}" = 403 ] && grep -q "This distribution is not configured to allow the HTTP request method that was used for this request." <<<"$got" ||
  fail "disallowed method: $got"

# The API directly, without the key (and with it, for contrast).
u="${AWS_ENDPOINT_URL#*://}"
got="$(curl -sS -o "$work/body" -w '%{http_code}' -H "Host: $api_host" "http://$u/prod/items?key=k2")"
echo "API directly without the key: $got $(cat "$work/body")"
[ "$got" = 403 ] && python3 -c 'import json,sys; assert json.load(open(sys.argv[1])) == {"message": "Forbidden"}' "$work/body" ||
  fail "direct call without the key: $got $(cat "$work/body")"
got="$(curl -sS -o "$work/body" -w '%{http_code}' -H "Host: $api_host" -H "x-api-key: $key_value" "http://$u/prod/items?key=k1")"
echo "API directly with the key: $got $(cat "$work/body")"
[ "$got" = 200 ] || fail "direct call with the key: $got"

echo "S18 OK: the row as JSON through $api_domain over TLS for the allowed caller; Request blocked. otherwise; Forbidden without the key; POST refused by CloudFront"
