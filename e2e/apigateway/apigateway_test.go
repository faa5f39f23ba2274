package apigateway

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// invoke calls an invoke URL on n, by Host when host is set.
func invoke(t *testing.T, method, url, host string, header map[string]string, body string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
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
	return resp.StatusCode, string(b), resp.Header
}

func cliJSON(t *testing.T, n *framework.Niwa, cli framework.CLI, args ...string) map[string]any {
	t.Helper()
	var v map[string]any
	framework.CLIJSON(t, n, cli, &v, args...)
	return v
}

// TestAPIKeyProtectedMock: each aws CLI builds the S18 method — API key
// required, a usage plan on the stage, a mapping template with key and
// sourceIp (on a MOCK integration's response) — and the invoke is 403
// Forbidden without the key and 200 with it.
func TestAPIKeyProtectedMock(t *testing.T) {
	n := framework.StartBinary(t)
	for _, cli := range framework.CLIs {
		t.Run(cli.Name, func(t *testing.T) {
			api := cliJSON(t, n, cli, "apigateway", "create-rest-api", "--name", "s18-"+cli.Name)
			id := api["id"].(string)
			// The root resource from get-resources: CLI v2 2.9's model
			// predates CreateRestApi's rootResourceId.
			var resources struct{ Items []struct{ ID, Path string } }
			framework.CLIJSON(t, n, cli, &resources, "apigateway", "get-resources", "--rest-api-id", id)
			root := ""
			for _, r := range resources.Items {
				if r.Path == "/" {
					root = r.ID
				}
			}
			if root == "" {
				t.Fatalf("no root resource in %+v", resources)
			}
			res := cliJSON(t, n, cli, "apigateway", "create-resource", "--rest-api-id", id, "--parent-id", root, "--path-part", "rows")
			rid := res["id"].(string)
			cliJSON(t, n, cli, "apigateway", "put-method", "--rest-api-id", id, "--resource-id", rid, "--http-method", "GET",
				"--authorization-type", "NONE", "--api-key-required", "--request-parameters", "method.request.querystring.key=true")
			cliJSON(t, n, cli, "apigateway", "put-integration", "--rest-api-id", id, "--resource-id", rid, "--http-method", "GET",
				"--type", "MOCK", "--request-templates", `{"application/json": "{\"statusCode\": 200}"}`)
			cliJSON(t, n, cli, "apigateway", "put-method-response", "--rest-api-id", id, "--resource-id", rid, "--http-method", "GET", "--status-code", "200")
			cliJSON(t, n, cli, "apigateway", "put-integration-response", "--rest-api-id", id, "--resource-id", rid, "--http-method", "GET", "--status-code", "200",
				"--response-templates", `{"application/json": "{\"key\": \"$input.params('key')\", \"sourceIp\": \"$context.identity.sourceIp\"}"}`)
			cliJSON(t, n, cli, "apigateway", "create-deployment", "--rest-api-id", id, "--stage-name", "prod")
			key := cliJSON(t, n, cli, "apigateway", "create-api-key", "--name", "k-"+cli.Name, "--enabled")
			plan := cliJSON(t, n, cli, "apigateway", "create-usage-plan", "--name", "p-"+cli.Name,
				"--api-stages", "apiId="+id+",stage=prod", "--throttle", "rateLimit=100,burstLimit=200", "--quota", "limit=1000,period=DAY")
			cliJSON(t, n, cli, "apigateway", "create-usage-plan-key", "--usage-plan-id", plan["id"].(string), "--key-id", key["id"].(string), "--key-type", "API_KEY")
			got := cliJSON(t, n, cli, "apigateway", "get-api-key", "--api-key", key["id"].(string), "--include-value")
			value, _ := got["value"].(string)
			if len(value) != 40 {
				t.Fatalf("key value %q", value)
			}

			url := n.Endpoint + "/prod/rows?key=abc"
			host := id + ".execute-api.localhost"
			if s, b, _ := invoke(t, "GET", url, host, nil, ""); s != 403 || b != `{"message":"Forbidden"}` {
				t.Fatalf("without the key: %d %s", s, b)
			}
			if s, b, _ := invoke(t, "GET", url, host, map[string]string{"x-api-key": value}, ""); s != 200 || b != `{"key": "abc", "sourceIp": "127.0.0.1"}` {
				t.Fatalf("with the key: %d %s", s, b)
			}
			path := n.Endpoint + "/restapis/" + id + "/prod/_user_request_/rows?key=xyz"
			if s, b, _ := invoke(t, "GET", path, "", map[string]string{"x-api-key": value}, ""); s != 200 || b != `{"key": "xyz", "sourceIp": "127.0.0.1"}` {
				t.Fatalf("with the key, path style: %d %s", s, b)
			}
			if s, b, _ := invoke(t, "GET", n.Endpoint+"/prod/nowhere", host, nil, ""); s != 403 || b != `{"message":"Missing Authentication Token"}` {
				t.Fatalf("unknown path: %d %s", s, b)
			}
			// The control plane's errors as AWS words them.
			_, errOut, err := n.RunCLI(t, cli, nil, "apigateway", "get-rest-api", "--rest-api-id", "abcdefghij")
			if err == nil || !strings.Contains(errOut, "(NotFoundException) when calling the GetRestApi operation: Invalid REST API identifier specified") {
				t.Fatalf("get-rest-api of a missing API: %v %s", err, errOut)
			}
		})
	}
}

const handler = `
import json

def proxy(event, context):
    return {
        "statusCode": 201,
        "headers": {"X-Seen-Path": event["path"]},
        "multiValueHeaders": {"X-Multi": ["a", "b"]},
        "body": json.dumps({
            "resource": event["resource"],
            "id": (event.get("pathParameters") or {}).get("id"),
            "q": (event.get("queryStringParameters") or {}).get("q"),
            "stage": event["requestContext"]["stage"],
            "sourceIp": event["requestContext"]["identity"]["sourceIp"],
            "stageVariables": event.get("stageVariables"),
            "body": event.get("body"),
        }),
    }

def broken(event, context):
    return {"body": "no status code"}

def custom(event, context):
    if event.get("key") == "missing":
        raise Exception("row not found")
    return {"row": event.get("key"), "from": event.get("sourceIp")}
`

// TestLambdaIntegrations: boto3 builds a Lambda proxy integration on
// /items/{id} (the proxy event and response contract), one whose function
// breaks the contract (502), and the S18 non-proxy integration whose
// request template passes key and sourceIp, with an error pattern
// selecting a 400.
func TestLambdaIntegrations(t *testing.T) {
	n := framework.StartBinary(t)
	dir := t.TempDir()
	role := framework.LambdaRole(t, n, "apigw-fn")
	zipPath := framework.ZipFiles(t, dir, map[string][]byte{"app.py": []byte(handler)})
	arns := map[string]string{}
	for _, fn := range []string{"proxy", "broken", "custom"} {
		out := n.MustAWS(t, "lambda", "create-function", "--function-name", fn, "--runtime", "python3.12",
			"--handler", "app."+fn, "--role", role, "--zip-file", "fileb://"+zipPath, "--timeout", "30")
		var f struct{ FunctionArn string }
		framework.MustJSON(t, out, &f)
		arns[fn] = f.FunctionArn
	}
	out := n.Python(t, `
import boto3, json
ag = boto3.client("apigateway")
arns = json.loads('''`+mustJSON(arns)+`''')
def uri(fn):
    return "arn:aws:apigateway:%s:lambda:path/2015-03-31/functions/%s/invocations" % (ag.meta.region_name, arns[fn])
api = ag.create_rest_api(name="lambdas")
root = api["rootResourceId"]
items = ag.create_resource(restApiId=api["id"], parentId=root, pathPart="items")
item = ag.create_resource(restApiId=api["id"], parentId=items["id"], pathPart="{id}")
bad = ag.create_resource(restApiId=api["id"], parentId=root, pathPart="broken")
rows = ag.create_resource(restApiId=api["id"], parentId=root, pathPart="rows")
for r, fn in [(item, "proxy"), (bad, "broken")]:
    ag.put_method(restApiId=api["id"], resourceId=r["id"], httpMethod="ANY", authorizationType="NONE")
    ag.put_integration(restApiId=api["id"], resourceId=r["id"], httpMethod="ANY", type="AWS_PROXY",
                       integrationHttpMethod="POST", uri=uri(fn))
ag.put_method(restApiId=api["id"], resourceId=rows["id"], httpMethod="GET", authorizationType="NONE",
              requestParameters={"method.request.querystring.key": True})
ag.put_integration(restApiId=api["id"], resourceId=rows["id"], httpMethod="GET", type="AWS",
                   integrationHttpMethod="POST", uri=uri("custom"),
                   requestTemplates={"application/json": '{"key": "$input.params(\'key\')", "sourceIp": "$context.identity.sourceIp"}'})
for code in ["200", "400"]:
    ag.put_method_response(restApiId=api["id"], resourceId=rows["id"], httpMethod="GET", statusCode=code)
ag.put_integration_response(restApiId=api["id"], resourceId=rows["id"], httpMethod="GET", statusCode="200")
ag.put_integration_response(restApiId=api["id"], resourceId=rows["id"], httpMethod="GET", statusCode="400",
                            selectionPattern=".*not found.*",
                            responseTemplates={"application/json": '{"error": "$input.path(\'$.errorMessage\')"}'})
ag.create_deployment(restApiId=api["id"], stageName="dev", variables={"color": "blue"})
# API Gateway invokes only functions whose policy lets it: the console
# adds this permission when it wires an integration; CLI and SDK users
# add it themselves.
lam = boto3.client("lambda")
account = boto3.client("sts").get_caller_identity()["Account"]
for fn in ["proxy", "broken", "custom"]:
    lam.add_permission(FunctionName=fn, StatementId="apigw", Action="lambda:InvokeFunction",
                       Principal="apigateway.amazonaws.com",
                       SourceArn="arn:aws:execute-api:%s:%s:%s/*" % (ag.meta.region_name, account, api["id"]))
got = ag.get_integration(restApiId=api["id"], resourceId=rows["id"], httpMethod="GET")
assert got["type"] == "AWS" and "200" in got["integrationResponses"], got
print(api["id"])
`)
	id := strings.TrimSpace(out)
	host := id + ".execute-api.localhost"

	s, b, h := invoke(t, "POST", n.Endpoint+"/dev/items/42?q=hello", host, map[string]string{"Content-Type": "application/json"}, `{"a":1}`)
	if s != 201 || h.Get("X-Seen-Path") != "/items/42" || len(h.Values("X-Multi")) != 2 {
		t.Fatalf("proxy: %d %v %s", s, h, b)
	}
	var ev map[string]any
	if err := json.Unmarshal([]byte(b), &ev); err != nil {
		t.Fatalf("proxy body %s: %v", b, err)
	}
	want := map[string]any{"resource": "/items/{id}", "id": "42", "q": "hello", "stage": "dev", "sourceIp": "127.0.0.1", "body": `{"a":1}`}
	for k, v := range want {
		if ev[k] != v {
			t.Errorf("event %s = %v, want %v", k, ev[k], v)
		}
	}
	if sv, _ := ev["stageVariables"].(map[string]any); sv["color"] != "blue" {
		t.Errorf("stageVariables %v", ev["stageVariables"])
	}
	if s, b, _ := invoke(t, "GET", n.Endpoint+"/dev/broken", host, nil, ""); s != 502 || b != `{"message": "Internal server error"}` {
		t.Errorf("malformed proxy response: %d %s", s, b)
	}
	path := n.Endpoint + "/restapis/" + id + "/dev/_user_request_/rows"
	if s, b, _ := invoke(t, "GET", path+"?key=k7", "", nil, ""); s != 200 || b != `{"row": "k7", "from": "127.0.0.1"}` {
		t.Errorf("non-proxy: %d %s", s, b)
	}
	if s, b, _ := invoke(t, "GET", path+"?key=missing", "", nil, ""); s != 400 || b != `{"error": "row not found"}` {
		t.Errorf("non-proxy error: %d %s", s, b)
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
