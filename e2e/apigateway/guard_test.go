package apigateway

import (
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// TestRequestGuards: boto3 sets up, on one MOCK method, a request
// validator with a model, a customized gateway response, a resource
// policy and a custom domain name; plain HTTP then sees each: the 400
// bodies of validation, the customized 400, the policy's 403, and the
// call routed by the domain's Host and base path.
func TestRequestGuards(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	out := n.Python(t, `
import boto3, json, os, urllib.request, urllib.error
ag = boto3.client("apigateway")
api = ag.create_rest_api(name="guards")
aid = api["id"]
r = ag.create_resource(restApiId=aid, parentId=api["rootResourceId"], pathPart="pets")["id"]
ag.create_model(restApiId=aid, name="Pet", contentType="application/json",
                schema=json.dumps({"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}))
v = ag.create_request_validator(restApiId=aid, name="all", validateRequestBody=True, validateRequestParameters=True)["id"]
ag.put_method(restApiId=aid, resourceId=r, httpMethod="POST", authorizationType="NONE", requestValidatorId=v,
              requestModels={"application/json": "Pet"}, requestParameters={"method.request.querystring.owner": True})
ag.put_integration(restApiId=aid, resourceId=r, httpMethod="POST", type="MOCK", requestTemplates={"application/json": '{"statusCode": 200}'})
ag.put_method_response(restApiId=aid, resourceId=r, httpMethod="POST", statusCode="200")
ag.put_integration_response(restApiId=aid, resourceId=r, httpMethod="POST", statusCode="200",
                            responseTemplates={"application/json": '{"owner": "$input.params(\'owner\')"}'})
ag.create_deployment(restApiId=aid, stageName="prod")
base = os.environ["AWS_ENDPOINT_URL"]
def call(path, body, host=None):
    h = {"Content-Type": "application/json"}
    if host:
        h["Host"] = host
    req = urllib.request.Request(base + path, data=body.encode(), headers=h, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
url = "/restapis/%s/prod/_user_request_/pets" % aid
assert call(url + "?owner=ann", '{"name": "rex"}') == (200, '{"owner": "ann"}'), call(url + "?owner=ann", '{"name": "rex"}')
assert call(url, '{"name": "rex"}') == (400, '{"message":"Missing required request parameters: [owner]"}'), call(url, '{"name": "rex"}')
assert call(url + "?owner=ann", '{"name": 7}') == (400, '{"message":"Invalid request body"}')

ag.put_gateway_response(restApiId=aid, responseType="BAD_REQUEST_BODY", statusCode="422",
                        responseTemplates={"application/json": '{"error": "$context.error.validationErrorString", "type": "$context.error.responseType"}'})
# Gateway responses, like models and validators, reach the stage with a deployment.
assert call(url + "?owner=ann", '{}')[0] == 400
ag.create_deployment(restApiId=aid, stageName="prod")
s, b = call(url + "?owner=ann", '{}')
assert s == 422 and '"type": "BAD_REQUEST_BODY"' in b and "name" in json.loads(b)["error"], (s, b)
assert ag.get_gateway_response(restApiId=aid, responseType="THROTTLED")["statusCode"] == "429"

ag.create_domain_name(domainName="pets.example.com", endpointConfiguration={"types": ["REGIONAL"]},
                      regionalCertificateArn="arn:aws:acm:us-east-1:000000000000:certificate/11111111-2222-3333-4444-555555555555")
ag.create_base_path_mapping(domainName="pets.example.com", basePath="v1", restApiId=aid, stage="prod")
assert call("/v1/pets?owner=bob", '{"name": "rex"}', host="pets.example.com") == (200, '{"owner": "bob"}')

policy = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*"},
    {"Effect": "Deny", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*",
     "Condition": {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}]}
ag.update_rest_api(restApiId=aid, patchOperations=[{"op": "replace", "path": "/policy", "value": json.dumps(policy)}])
s, b = call(url + "?owner=ann", '{"name": "rex"}')
assert s == 403 and json.loads(b)["Message"].endswith("/prod/POST/pets with an explicit deny"), (s, b)
print("ok")
`)
	if strings.TrimSpace(out) != "ok" {
		t.Fatalf("script printed %q", out)
	}
}
