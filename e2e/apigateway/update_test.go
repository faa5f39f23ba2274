package apigateway

import (
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// TestUpdatesAndUsage: boto3 patches a method, an integration (a
// content-type key escaped with ~1) and an integration response, moves
// the stage to a new deployment and deletes the old one, tags the API,
// reads a usage plan's usage by day and grants more with update_usage,
// imports keys from CSV; SDK generation answers NotImplemented with its
// reason.
func TestUpdatesAndUsage(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	out := n.Python(t, `
import boto3, datetime, json, urllib.request, os
from botocore.exceptions import ClientError
ag = boto3.client("apigateway")
api = ag.create_rest_api(name="upd")
aid, root = api["id"], api["rootResourceId"]
r = ag.create_resource(restApiId=aid, parentId=root, pathPart="rows")["id"]
ag.put_method(restApiId=aid, resourceId=r, httpMethod="GET", authorizationType="NONE")
ag.put_integration(restApiId=aid, resourceId=r, httpMethod="GET", type="MOCK", requestTemplates={"application/json": '{"statusCode": 200}'})
ag.put_method_response(restApiId=aid, resourceId=r, httpMethod="GET", statusCode="200")
ag.put_integration_response(restApiId=aid, resourceId=r, httpMethod="GET", statusCode="200", responseTemplates={"application/json": '{"v": 1}'})
d1 = ag.create_deployment(restApiId=aid, stageName="prod")["id"]

m = ag.update_method(restApiId=aid, resourceId=r, httpMethod="GET", patchOperations=[
    {"op": "replace", "path": "/apiKeyRequired", "value": "true"},
    {"op": "add", "path": "/requestParameters/method.request.querystring.key", "value": "true"}])
assert m["apiKeyRequired"] is True and m["requestParameters"] == {"method.request.querystring.key": True}, m
i = ag.update_integration(restApiId=aid, resourceId=r, httpMethod="GET", patchOperations=[
    {"op": "add", "path": "/requestTemplates/text~1plain", "value": '{"statusCode": 200}'}])
assert set(i["requestTemplates"]) == {"application/json", "text/plain"}, i
ir = ag.update_integration_response(restApiId=aid, resourceId=r, httpMethod="GET", statusCode="200", patchOperations=[
    {"op": "replace", "path": "/responseTemplates/application~1json", "value": '{"key": "$input.params(\'key\')"}'}])
assert "key" in ir["responseTemplates"]["application/json"], ir
d2 = ag.create_deployment(restApiId=aid, stageName="prod", description="v2")["id"]
ag.delete_deployment(restApiId=aid, deploymentId=d1)
try:
    ag.delete_deployment(restApiId=aid, deploymentId=d2)
    raise SystemExit("deleted the stage's deployment")
except ClientError as e:
    assert e.response["Error"]["Code"] == "BadRequestException", e.response

arn = "arn:aws:apigateway:%s::/restapis/%s" % (ag.meta.region_name, aid)
ag.tag_resource(resourceArn=arn, tags={"team": "a", "x": "y"})
ag.untag_resource(resourceArn=arn, tagKeys=["x"])
assert ag.get_tags(resourceArn=arn)["tags"] == {"team": "a"}

plan = ag.create_usage_plan(name="p", apiStages=[{"apiId": aid, "stage": "prod"}], quota={"limit": 2, "period": "DAY"})["id"]
ids = ag.import_api_keys(body=b"name,key,enabled,usageplanIds\nk1,abcdefghijklmnopqrstuvwxyz,true," + plan.encode() + b"\n", format="csv")["ids"]
assert len(ids) == 1, ids
url = os.environ["AWS_ENDPOINT_URL"] + "/restapis/%s/prod/_user_request_/rows?key=abc" % aid
def call():
    req = urllib.request.Request(url, headers={"x-api-key": "abcdefghijklmnopqrstuvwxyz"})
    try:
        with urllib.request.urlopen(req) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
assert call() == (200, '{"key": "abc"}'), call()
assert call()[0] == 200
assert call() == (429, '{"message":"Limit Exceeded"}')
day = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
u = ag.get_usage(usagePlanId=plan, startDate=day, endDate=day)
assert u["items"] == {ids[0]: [[2, 0]]}, u
ag.update_usage(usagePlanId=plan, keyId=ids[0], patchOperations=[{"op": "replace", "path": "/remaining", "value": "1"}])
assert call()[0] == 200
ag.update_usage_plan(usagePlanId=plan, patchOperations=[{"op": "remove", "path": "/apiStages", "value": aid + ":prod"}])
assert call()[0] == 403

try:
    ag.get_sdk_types()
    raise SystemExit("get_sdk_types answered")
except ClientError as e:
    assert "code generators" in e.response["Error"]["Message"], e.response
print("ok")
`)
	if strings.TrimSpace(out) != "ok" {
		t.Fatalf("script printed %q", out)
	}
}
