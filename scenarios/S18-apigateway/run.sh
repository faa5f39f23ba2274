#!/usr/bin/env bash
# S18 — API Gateway in front of a Lambda function, "Open with access key"
# (seed 003, the API half).
#
# A REST API with resource /rows and a GET method that requires an API
# key and declares a `key` query parameter; a Lambda (non-proxy)
# integration whose request mapping template passes
#   {"key": "$input.params('key')", "sourceIp": "$context.identity.sourceIp"}
# to the function; deployment to stage "prod"; an API key in a usage plan
# on that stage.
# Observable: with the key, GET /prod/rows?key=... answers 200 with the
# JSON the function returned (the key and the caller's address); without
# the key, 403 {"message":"Forbidden"}.
# The function is a stand-in that returns its event until the RDS-backed
# one (issue 22) lands.
set -euo pipefail

AWS_ENDPOINT_URL="${AWS_ENDPOINT_URL:-http://localhost:4566}"
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-ap-northeast-1}"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
region="$AWS_DEFAULT_REGION"
here="$(cd "$(dirname "$0")" && pwd)"
aws() { command aws --endpoint-url "$AWS_ENDPOINT_URL" --output text "$@"; }
fail() { echo "S18 FAILED: $*" >&2; exit 1; }

suffix="$(date +%s)-$$"
fn="s18-rows-$suffix"
role="s18-lambda-role-$suffix"
work="$(mktemp -d)"
api="" key="" plan="" role_made="" fn_made=""
cleanup() {
  set +e
  if [ -n "$plan" ]; then
    [ -n "$key" ] && aws apigateway delete-usage-plan-key --usage-plan-id "$plan" --key-id "$key" >/dev/null 2>&1
    aws apigateway update-usage-plan --usage-plan-id "$plan" \
      --patch-operations "op=remove,path=/apiStages,value=$api:prod" >/dev/null 2>&1
    aws apigateway delete-usage-plan --usage-plan-id "$plan" >/dev/null 2>&1
  fi
  [ -n "$key" ] && aws apigateway delete-api-key --api-key "$key" >/dev/null 2>&1
  [ -n "$api" ] && aws apigateway delete-rest-api --rest-api-id "$api" >/dev/null 2>&1
  [ -n "$fn_made" ] && aws lambda delete-function --function-name "$fn" >/dev/null 2>&1
  [ -n "$role_made" ] && aws iam delete-role --role-name "$role" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

# 1. The function (with the basic execution role the console makes).
role_arn="$(aws iam create-role --role-name "$role" --query Role.Arn --assume-role-policy-document \
  '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}')"
role_made=yes
cp "$here/lambda_function.py" "$work/"
(cd "$work" && python3 -c "import zipfile; z = zipfile.ZipFile('fn.zip', 'w'); z.write('lambda_function.py'); z.close()")
fn_arn="$(aws lambda create-function --function-name "$fn" --runtime python3.12 --role "$role_arn" \
  --handler lambda_function.lambda_handler --timeout 30 --zip-file "fileb://$work/fn.zip" --query FunctionArn)"
fn_made=yes

# 2. The REST API, resource /rows and GET requiring an API key with the
# `key` query parameter (the console's "Open with access key").
api="$(aws apigateway create-rest-api --name "s18-rows-$suffix" --endpoint-configuration types=REGIONAL --query id)"
root="$(aws apigateway get-resources --rest-api-id "$api" --query 'items[?path==`/`].id')"
res="$(aws apigateway create-resource --rest-api-id "$api" --parent-id "$root" --path-part rows --query id)"
aws apigateway put-method --rest-api-id "$api" --resource-id "$res" --http-method GET \
  --authorization-type NONE --api-key-required --request-parameters method.request.querystring.key=true >/dev/null

# 3. Lambda (non-proxy) integration with the tutorial's mapping template.
cat >"$work/templates.json" <<'JSON'
{"application/json": "{\"key\": \"$input.params('key')\", \"sourceIp\": \"$context.identity.sourceIp\"}"}
JSON
aws apigateway put-integration --rest-api-id "$api" --resource-id "$res" --http-method GET --type AWS \
  --integration-http-method POST \
  --uri "arn:aws:apigateway:$region:lambda:path/2015-03-31/functions/$fn_arn/invocations" \
  --request-templates "file://$work/templates.json" --passthrough-behavior WHEN_NO_TEMPLATES >/dev/null
aws apigateway put-method-response --rest-api-id "$api" --resource-id "$res" --http-method GET \
  --status-code 200 --response-models application/json=Empty >/dev/null
aws apigateway put-integration-response --rest-api-id "$api" --resource-id "$res" --http-method GET \
  --status-code 200 --selection-pattern "" >/dev/null
# What the console does when it wires the integration: let API Gateway
# invoke the function. A CLI user adds it (on AWS and on niwa, which
# checks the function policy: without it the call is 500 "Internal server
# error").
account="$(aws sts get-caller-identity --query Account)"
aws lambda add-permission --function-name "$fn" --statement-id apigateway-s18 --action lambda:InvokeFunction \
  --principal apigateway.amazonaws.com --source-arn "arn:aws:execute-api:$region:$account:$api/*/GET/rows" >/dev/null

# 4. Deploy to "prod"; an API key in a usage plan on the stage.
aws apigateway create-deployment --rest-api-id "$api" --stage-name prod >/dev/null
key="$(aws apigateway create-api-key --name "s18-key-$suffix" --enabled --query id)"
value="$(aws apigateway get-api-key --api-key "$key" --include-value --query value)"
plan="$(aws apigateway create-usage-plan --name "s18-plan-$suffix" --api-stages "apiId=$api,stage=prod" \
  --throttle burstLimit=10,rateLimit=5 --quota limit=1000,period=MONTH --query id)"
aws apigateway create-usage-plan-key --usage-plan-id "$plan" --key-id "$key" --key-type API_KEY >/dev/null

# 5. Call the invoke URL (https://{api}.execute-api.{region}.amazonaws.com/prod
# on AWS; the Host style on niwa's port), with and without the key.
python3 - "$AWS_ENDPOINT_URL" "$api" "$value" <<'PY' || fail "invoke results above"
import json, sys, urllib.request, urllib.error, urllib.parse
endpoint, api, value = sys.argv[1:]
u = urllib.parse.urlsplit(endpoint)
url = "%s://%s/prod/rows?key=hane-0001" % (u.scheme, u.netloc)
def call(headers):
    # The Host header names the API, as the execute-api host name does.
    req = urllib.request.Request(url, headers=dict(headers, Host="%s.execute-api.localhost" % api))
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
status, body = call({"x-api-key": value})
print("with key:", status, body)
assert status == 200, status
got = json.loads(body)
assert got["key"] == "hane-0001", got
assert got["sourceIp"] == "127.0.0.1", got
status, body = call({})
print("without key:", status, body)
assert status == 403 and json.loads(body) == {"message": "Forbidden"}, (status, body)
status, body = call({"x-api-key": "not-a-key-of-this-plan-000"})
print("wrong key:", status, body)
assert status == 403 and json.loads(body) == {"message": "Forbidden"}, (status, body)
PY
echo "S18 OK: with the key 200 {key, sourceIp}; without it 403 Forbidden"
