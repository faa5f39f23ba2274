package apigwrest

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func invoke(t *testing.T, n *framework.Niwa, method, api, path string, header map[string]string, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, n.Endpoint+"/restapis/"+api+"/prod/_user_request_"+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func field(t *testing.T, out, name string) string {
	t.Helper()
	var v map[string]any
	framework.MustJSON(t, out, &v)
	s, _ := v[name].(string)
	if s == "" {
		t.Fatalf("no %s in %s", name, out)
	}
	return s
}

// mockAPI makes an API with GET / on a MOCK integration whose response
// template is tmpl, deployed to prod (with boto3: one process instead of
// seven CLI calls); it returns the API id.
func mockAPI(t *testing.T, n *framework.Niwa, tmpl string) string {
	t.Helper()
	templates, _ := json.Marshal(map[string]string{"application/json": tmpl})
	out := n.Python(t, `
import boto3, json, os
ag = boto3.client("apigateway")
api = ag.create_rest_api(name="e2e")
aid, root = api["id"], api["rootResourceId"]
ag.put_method(restApiId=aid, resourceId=root, httpMethod="GET", authorizationType="NONE")
ag.put_integration(restApiId=aid, resourceId=root, httpMethod="GET", type="MOCK", requestTemplates={"application/json": '{"statusCode": 200}'})
ag.put_method_response(restApiId=aid, resourceId=root, httpMethod="GET", statusCode="200")
ag.put_integration_response(restApiId=aid, resourceId=root, httpMethod="GET", statusCode="200",
                            responseTemplates=json.loads(os.environ["TEMPLATES"]))
ag.create_deployment(restApiId=aid, stageName="prod")
print(aid)
`, "TEMPLATES="+string(templates))
	return strings.TrimSpace(out)
}

// TestSQSIntegration: the tutorial's SQS integration — a path URI to the
// queue, Content-Type mapped to form encoding, the SendMessage template —
// put with aws CLI v2 (the rest of the API made with boto3 in one
// process: each CLI call costs seconds on a loaded machine), as a role
// API Gateway assumes; the message arrives in the queue.
func TestSQSIntegration(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	cli := framework.CLIs[1]
	qurl := field(t, n.MustCLI(t, cli, "sqs", "create-queue", "--queue-name", "orders"), "QueueUrl")
	out := n.Python(t, `
import boto3, json
iam, ag = boto3.client("iam"), boto3.client("apigateway")
role = iam.create_role(RoleName="apigw-sqs", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "apigateway.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
iam.put_role_policy(RoleName="apigw-sqs", PolicyName="send", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}]}))
api = ag.create_rest_api(name="sqs")
res = ag.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="orders")["id"]
ag.put_method(restApiId=api["id"], resourceId=res, httpMethod="POST", authorizationType="NONE")
ag.put_method_response(restApiId=api["id"], resourceId=res, httpMethod="POST", statusCode="200")
print(json.dumps({"api": api["id"], "res": res, "role": role}))
`)
	var ids struct{ API, Res, Role string }
	framework.MustJSON(t, out, &ids)
	n.MustCLI(t, cli, "apigateway", "put-integration", "--rest-api-id", ids.API, "--resource-id", ids.Res, "--http-method", "POST",
		"--type", "AWS", "--integration-http-method", "POST", "--credentials", ids.Role,
		"--uri", "arn:aws:apigateway:"+n.Region+":sqs:path/000000000000/orders",
		"--request-parameters", `{"integration.request.header.Content-Type": "'application/x-www-form-urlencoded'"}`,
		"--request-templates", `{"application/json": "Action=SendMessage&MessageBody=$util.urlEncode($input.body)"}`)
	n.Python(t, `
import boto3, os
ag = boto3.client("apigateway")
api, res = os.environ["API"], os.environ["RES"]
ag.put_integration_response(restApiId=api, resourceId=res, httpMethod="POST", statusCode="200",
                            responseTemplates={"application/json": '{"queued": true}'})
ag.create_deployment(restApiId=api, stageName="prod")
`, "API="+ids.API, "RES="+ids.Res)

	if s, b := invoke(t, n, "POST", ids.API, "/orders", map[string]string{"Content-Type": "application/json"}, `{"item":"tea","n":2}`); s != 200 || b != `{"queued": true}` {
		t.Fatalf("invoke: %d %s", s, b)
	}
	var msgs struct{ Messages []struct{ Body string } }
	framework.MustJSON(t, n.MustCLI(t, cli, "sqs", "receive-message", "--queue-url", qurl, "--wait-time-seconds", "5"), &msgs)
	if len(msgs.Messages) != 1 || msgs.Messages[0].Body != `{"item":"tea","n":2}` {
		t.Fatalf("queue: %+v", msgs)
	}
}

// TestFunctionPolicyAndIAM: with boto3 — a Lambda proxy integration
// whose function has no policy for API Gateway answers 500 until
// `lambda add-permission` grants apigateway.amazonaws.com the method's
// source ARN; an AWS_IAM method signed with botocore's SigV4 is allowed
// for a user whose policy grants execute-api:Invoke and refused for one
// without.
func TestFunctionPolicyAndIAM(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	dir := t.TempDir()
	role := framework.LambdaRole(t, n, "apigwrest-fn")
	zip := framework.ZipFiles(t, dir, map[string][]byte{"app.py": []byte(`
def handler(event, context):
    return {"statusCode": 200, "body": "hello " + event["requestContext"]["identity"].get("userArn", "anonymous")}
`)})
	n.MustAWS(t, "lambda", "create-function", "--function-name", "hello", "--runtime", "python3.12",
		"--handler", "app.handler", "--role", role, "--zip-file", "fileb://"+zip, "--timeout", "30")
	out := n.Python(t, `
import boto3, json, os, urllib.request, urllib.error
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
ag, lam, iam = boto3.client("apigateway"), boto3.client("lambda"), boto3.client("iam")
region = ag.meta.region_name
account = boto3.client("sts").get_caller_identity()["Account"]
fn = lam.get_function(FunctionName="hello")["Configuration"]["FunctionArn"]
api = ag.create_rest_api(name="policy")
aid = api["id"]
for verb, auth in [("GET", "NONE"), ("POST", "AWS_IAM")]:
    ag.put_method(restApiId=aid, resourceId=api["rootResourceId"], httpMethod=verb, authorizationType=auth)
    ag.put_integration(restApiId=aid, resourceId=api["rootResourceId"], httpMethod=verb, type="AWS_PROXY", integrationHttpMethod="POST",
                       uri="arn:aws:apigateway:%s:lambda:path/2015-03-31/functions/%s/invocations" % (region, fn))
ag.create_deployment(restApiId=aid, stageName="prod")
url = os.environ["AWS_ENDPOINT_URL"] + "/restapis/%s/prod/_user_request_/" % aid
def call(method="GET", creds=None):
    req = AWSRequest(method=method, url=url, data=b"")
    if creds:
        SigV4Auth(creds, "execute-api", region).add_auth(req)
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method=method, headers=dict(req.headers)), timeout=60) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
# No function policy: API Gateway may not invoke the function.
assert call() == (500, '{"message": "Internal server error"}'), call()
# What the console does for you and a CLI user does by hand.
lam.add_permission(FunctionName="hello", StatementId="apigw", Action="lambda:InvokeFunction", Principal="apigateway.amazonaws.com",
                   SourceArn="arn:aws:execute-api:%s:%s:%s/*" % (region, account, aid))
assert call() == (200, "hello anonymous"), call()
def user(name, policy):
    iam.create_user(UserName=name)
    if policy:
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(policy))
    k = iam.create_access_key(UserName=name)["AccessKey"]
    return Credentials(k["AccessKeyId"], k["SecretAccessKey"])
allowed = user("invoker", {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "execute-api:Invoke",
                           "Resource": "arn:aws:execute-api:%s:%s:%s/prod/POST/*" % (region, account, aid)}]})
nobody = user("nobody", None)
assert call("POST") == (403, '{"message":"Missing Authentication Token"}'), call("POST")
s, b = call("POST", allowed)
assert (s, b) == (200, "hello arn:aws:iam::%s:user/invoker" % account), (s, b)
s, b = call("POST", nobody)
assert s == 403 and "User: arn:aws:iam::%s:user/nobody is not authorized to perform: execute-api:Invoke" % account in b, (s, b)
print("ok")
`)
	if strings.TrimSpace(out) != "ok" {
		t.Fatalf("python: %s", out)
	}
}

// TestStageCacheCanaryAndLogs: with the aws CLI — a cached GET answers
// the same response until its TTL passes on niwa's clock; a canary
// deployment takes exactly its share of the traffic (niwa counts, AWS
// draws at random); the access log lands in CloudWatch Logs and the
// stage's Count metric in CloudWatch.
func TestStageCacheCanaryAndLogs(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	cli := framework.CLIs[0]
	api := mockAPI(t, n, `{"id": "$context.requestId", "color": "$stageVariables.color"}`)
	n.MustCLI(t, cli, "apigateway", "update-stage", "--rest-api-id", api, "--stage-name", "prod", "--patch-operations",
		"op=replace,path=/cacheClusterEnabled,value=true", "op=replace,path=/*/*/caching/ttlInSeconds,value=60",
		"op=replace,path=/*/*/caching/enabled,value=true")
	_, first := invoke(t, n, "GET", api, "/", nil, "")
	if _, again := invoke(t, n, "GET", api, "/", nil, ""); again != first {
		t.Fatalf("not cached: %s then %s", first, again)
	}
	n.AdvanceClock(t, 61*time.Second)
	if _, later := invoke(t, n, "GET", api, "/", nil, ""); later == first {
		t.Fatalf("still cached after the TTL: %s", later)
	}
	// The cache off, and the account's CloudWatch role set for the access
	// logs below (boto3, one process).
	n.Python(t, `
import boto3, os
ag = boto3.client("apigateway")
ag.flush_stage_cache(restApiId=os.environ["API"], stageName="prod")
ag.update_stage(restApiId=os.environ["API"], stageName="prod", patchOperations=[{"op": "replace", "path": "/cacheClusterEnabled", "value": "false"}])
ag.update_account(patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn", "value": "arn:aws:iam::000000000000:role/apigw-cw"}])
`, "API="+api)

	// A canary: 25% to a new deployment with its own variable.
	n.MustCLI(t, cli, "apigateway", "create-deployment", "--rest-api-id", api, "--stage-name", "prod",
		"--canary-settings", `{"percentTraffic": 25, "stageVariableOverrides": {"color": "green"}}`)
	green := 0
	for range 20 {
		if _, b := invoke(t, n, "GET", api, "/", nil, ""); strings.Contains(b, `"color": "green"`) {
			green++
		}
	}
	if green != 5 {
		t.Fatalf("canary took %d of 20, want 5", green)
	}

	// Access logs.
	n.MustCLI(t, cli, "apigateway", "update-stage", "--rest-api-id", api, "--stage-name", "prod", "--patch-operations",
		"op=replace,path=/accessLogSettings/destinationArn,value=arn:aws:logs:"+n.Region+":000000000000:log-group:apigw-access",
		`op=replace,path=/accessLogSettings/format,value=$context.requestId $context.httpMethod $context.status`)
	invoke(t, n, "GET", api, "/", nil, "")
	var evs struct{ Events []struct{ Message string } }
	framework.MustJSON(t, n.MustCLI(t, cli, "logs", "filter-log-events", "--log-group-name", "apigw-access"), &evs)
	if len(evs.Events) != 1 || !strings.HasSuffix(evs.Events[0].Message, " GET 200") {
		t.Fatalf("access log %+v", evs)
	}
	now := n.ClockNow(t)
	var stats struct{ Datapoints []struct{ Sum float64 } }
	framework.MustJSON(t, n.MustCLI(t, cli, "cloudwatch", "get-metric-statistics", "--namespace", "AWS/ApiGateway", "--metric-name", "Count",
		"--dimensions", "Name=ApiName,Value=e2e", "Name=Stage,Value=prod", "--statistics", "Sum", "--period", "86400",
		"--start-time", now.Add(-24*time.Hour).Format(time.RFC3339), "--end-time", now.Add(time.Hour).Format(time.RFC3339)), &stats)
	total := 0.0
	for _, d := range stats.Datapoints {
		total += d.Sum
	}
	if total != 24 {
		t.Fatalf("Count %v, want 24 calls", stats)
	}
}

// TestWAFOnStage: with aws CLI v1, a REGIONAL web ACL that blocks
// niwa's caller associated with the stage's ARN: the stage answers
// WAF_FILTERED's 403 and reports webAclArn; disassociated, it serves.
func TestWAFOnStage(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	// One CLI (TestSQSIntegration runs the other).
	for i, cli := range framework.CLIs[:1] {
		t.Run(cli.Name, func(t *testing.T) {
			api := mockAPI(t, n, `{"ok": true}`)
			var set struct{ Summary struct{ ARN string } }
			framework.MustJSON(t, n.MustCLI(t, cli, "wafv2", "create-ip-set", "--name", fmt.Sprintf("local-%d", i), "--scope", "REGIONAL",
				"--ip-address-version", "IPV4", "--addresses", "127.0.0.1/32"), &set)
			vis := `{"SampledRequestsEnabled": false, "CloudWatchMetricsEnabled": false, "MetricName": "m"}`
			rules := `[{"Name": "no-local", "Priority": 0, "Statement": {"IPSetReferenceStatement": {"ARN": "` + set.Summary.ARN + `"}},
				"Action": {"Block": {}}, "VisibilityConfig": ` + vis + `}]`
			var acl struct{ Summary struct{ ARN string } }
			framework.MustJSON(t, n.MustCLI(t, cli, "wafv2", "create-web-acl", "--name", fmt.Sprintf("stage-%d", i), "--scope", "REGIONAL",
				"--default-action", `{"Allow": {}}`, "--visibility-config", vis, "--rules", rules), &acl)
			stage := "arn:aws:apigateway:" + n.Region + "::/restapis/" + api + "/stages/prod"
			n.MustCLI(t, cli, "wafv2", "associate-web-acl", "--web-acl-arn", acl.Summary.ARN, "--resource-arn", stage)
			if s, b := invoke(t, n, "GET", api, "/", nil, ""); s != 403 || b != `{"message":"Forbidden"}` {
				t.Fatalf("blocked: %d %s", s, b)
			}
			if got := field(t, n.MustCLI(t, cli, "apigateway", "get-stage", "--rest-api-id", api, "--stage-name", "prod"), "webAclArn"); got != acl.Summary.ARN {
				t.Fatalf("webAclArn %s", got)
			}
			n.MustCLI(t, cli, "wafv2", "disassociate-web-acl", "--resource-arn", stage)
			if s, b := invoke(t, n, "GET", api, "/", nil, ""); s != 200 || b != `{"ok": true}` {
				t.Fatalf("disassociated: %d %s", s, b)
			}
		})
	}
}

// TestVpcLink: with boto3 — a network load balancer (TCP listener on
// 8080, an IP target on a local HTTP server), a VPC link to it that turns
// AVAILABLE on niwa's clock, and an HTTP_PROXY integration over the link:
// the request reaches the server through the load balancer.
func TestVpcLink(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "backend "+r.Host+" "+r.URL.Path)
	}))
	defer backend.Close()
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(backend.URL, "http://"))
	out := n.Python(t, `
import boto3, os, time, urllib.request, urllib.error
ec2, elb, ag = boto3.client("ec2"), boto3.client("elbv2"), boto3.client("apigateway")
base = os.environ["AWS_ENDPOINT_URL"]
def advance(by):
    urllib.request.urlopen(urllib.request.Request(base + "/_niwa/clock/advance?by=" + by, method="POST"), timeout=60).read()
vpc = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
subnet = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"][0]["SubnetId"]
lb = elb.create_load_balancer(Name="private", Type="network", Subnets=[subnet])["LoadBalancers"][0]
tg = elb.create_target_group(Name="web", Protocol="TCP", Port=1, VpcId=vpc, TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": "127.0.0.1", "Port": `+port+`}])
elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="TCP", Port=8080, DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
deadline = time.time() + 60
while True:
    advance("5m")
    states = [d["TargetHealth"]["State"] for d in elb.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]]
    if states == ["healthy"]:
        break
    assert time.time() < deadline, states
    time.sleep(0.2)
link = ag.create_vpc_link(name="link", targetArns=[lb["LoadBalancerArn"]])
assert link["status"] == "PENDING", link
api = ag.create_rest_api(name="private")
aid, root = api["id"], api["rootResourceId"]
ag.put_method(restApiId=aid, resourceId=root, httpMethod="GET", authorizationType="NONE")
ag.put_integration(restApiId=aid, resourceId=root, httpMethod="GET", type="HTTP_PROXY", integrationHttpMethod="GET",
                   uri="http://%s:8080/hello" % lb["DNSName"], connectionType="VPC_LINK", connectionId=link["id"])
ag.create_deployment(restApiId=aid, stageName="prod")
url = base + "/restapis/%s/prod/_user_request_/" % aid
def call():
    try:
        with urllib.request.urlopen(url, timeout=60) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
assert call()[0] == 500, call()   # the link is still PENDING
advance("3m")
assert ag.get_vpc_link(vpcLinkId=link["id"])["status"] == "AVAILABLE"
assert call() == (200, "backend %s:8080 /hello" % lb["DNSName"]), call()
print("ok")
`)
	if strings.TrimSpace(out) != "ok" {
		t.Fatalf("python: %s", out)
	}
}
