package apigateway

import (
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

const authorizerCode = `
def token(event, context):
    t = event["authorizationToken"]
    if t == "bad":
        raise Exception("Unauthorized")
    effect = "Allow" if t == "good" else "Deny"
    return {
        "principalId": "alice",
        "context": {"team": "blue"},
        "policyDocument": {"Version": "2012-10-17", "Statement": [
            {"Action": "execute-api:Invoke", "Effect": effect, "Resource": event["methodArn"]}]},
    }

def backend(event, context):
    return {"statusCode": 200, "body": event["requestContext"]["authorizer"]["principalId"] + "/" + event["requestContext"]["authorizer"]["team"]}
`

// TestLambdaAuthorizer: a real Python TOKEN authorizer in front of a
// Lambda proxy integration, built with boto3: an allowing token reaches
// the backend with $context.authorizer in the event, a denying one is 403
// with AWS's explicit-deny body, a missing or rejected token 401;
// test_invoke_authorizer reports the principal and policy; Cognito
// authorizers are refused with a reason.
func TestLambdaAuthorizer(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	dir := t.TempDir()
	role := framework.LambdaRole(t, n, "apigw-auth")
	zipPath := framework.ZipFiles(t, dir, map[string][]byte{"auth.py": []byte(authorizerCode)})
	arns := map[string]string{}
	for _, fn := range []string{"token", "backend"} {
		out := n.MustAWS(t, "lambda", "create-function", "--function-name", "auth-"+fn, "--runtime", "python3.12",
			"--handler", "auth."+fn, "--role", role, "--zip-file", "fileb://"+zipPath, "--timeout", "30")
		var f struct{ FunctionArn string }
		framework.MustJSON(t, out, &f)
		arns[fn] = f.FunctionArn
	}
	out := n.Python(t, `
import boto3, json, os, urllib.request, urllib.error
from botocore.exceptions import ClientError
ag = boto3.client("apigateway")
arns = json.loads('''`+mustJSON(arns)+`''')
def uri(fn):
    return "arn:aws:apigateway:%s:lambda:path/2015-03-31/functions/%s/invocations" % (ag.meta.region_name, arns[fn])
api = ag.create_rest_api(name="authz")
aid = api["id"]
r = ag.create_resource(restApiId=aid, parentId=api["rootResourceId"], pathPart="me")["id"]
try:
    ag.create_authorizer(restApiId=aid, name="pool", type="COGNITO_USER_POOLS",
                         providerARNs=["arn:aws:cognito-idp:us-east-1:000000000000:userpool/us-east-1_x"],
                         identitySource="method.request.header.Authorization")
    raise SystemExit("cognito authorizer accepted")
except ClientError as e:
    assert e.response["Error"]["Code"] == "BadRequestException" and "Cognito" in e.response["Error"]["Message"], e.response
au = ag.create_authorizer(restApiId=aid, name="tok", type="TOKEN", authorizerUri=uri("token"),
                          identitySource="method.request.header.Authorization", authorizerResultTtlInSeconds=300)
ag.put_method(restApiId=aid, resourceId=r, httpMethod="GET", authorizationType="CUSTOM", authorizerId=au["id"])
ag.put_integration(restApiId=aid, resourceId=r, httpMethod="GET", type="AWS_PROXY", integrationHttpMethod="POST", uri=uri("backend"))
ag.create_deployment(restApiId=aid, stageName="prod")
# The integration's function must let API Gateway invoke it (the console
# adds this permission; CLI and SDK users add it themselves).
# So must the authorizer's, for the authorizer's source ARN.
account = boto3.client("sts").get_caller_identity()["Account"]
boto3.client("lambda").add_permission(FunctionName="auth-backend", StatementId="apigw", Action="lambda:InvokeFunction",
    Principal="apigateway.amazonaws.com", SourceArn="arn:aws:execute-api:%s:%s:%s/*/GET/me" % (ag.meta.region_name, account, aid))
boto3.client("lambda").add_permission(FunctionName="auth-token", StatementId="apigw", Action="lambda:InvokeFunction",
    Principal="apigateway.amazonaws.com", SourceArn="arn:aws:execute-api:%s:%s:%s/authorizers/%s" % (ag.meta.region_name, account, aid, au["id"]))
url = os.environ["AWS_ENDPOINT_URL"] + "/restapis/%s/prod/_user_request_/me" % aid
def call(token):
    h = {"Authorization": token} if token else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=h), timeout=60) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
assert call("good") == (200, "alice/blue"), call("good")
assert call("nope") == (403, '{"Message":"User is not authorized to access this resource with an explicit deny"}'), call("nope")
assert call("bad") == (401, '{"message":"Unauthorized"}'), call("bad")
assert call(None) == (401, '{"message":"Unauthorized"}'), call(None)
t = ag.test_invoke_authorizer(restApiId=aid, authorizerId=au["id"], headers={"Authorization": "good"}, pathWithQueryString="/me")
assert t["clientStatus"] == 200 and t["principalId"] == "alice" and "execute-api:Invoke" in t["policy"], t
print("ok")
`)
	if strings.TrimSpace(out) != "ok" {
		t.Fatalf("script printed %q", out)
	}
}
