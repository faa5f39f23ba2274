package apigwv2

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

const wsHandler = `
import boto3, json, os

def handler(event, context):
    rc = event["requestContext"]
    if rc["eventType"] != "MESSAGE":
        return {"statusCode": 200}
    mgmt = boto3.client("apigatewaymanagementapi",
        endpoint_url=os.environ["AWS_ENDPOINT_URL"] + "/restapis/" + rc["apiId"] + "/" + rc["stage"] + "/_user_request_")
    msg = json.loads(event["body"])
    mgmt.post_to_connection(ConnectionId=rc["connectionId"], Data=("pushed:" + msg["text"]).encode())
    return {"statusCode": 200, "body": "ack:" + rc["routeKey"]}
`

// TestWebSocketChat: a WebSocket API built with boto3 routes a client's
// message by $request.body.action to a Python function, which answers
// (a two-way route) and pushes a message back through the @connections
// API with boto3's apigatewaymanagementapi client, signed with its
// execution role's credentials.
func TestWebSocketChat(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	role := framework.LambdaRole(t, n, "ws-role")
	n.MustAWS(t, "iam", "put-role-policy", "--role-name", "ws-role", "--policy-name", "manage", "--policy-document",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"execute-api:ManageConnections","Resource":"*"}]}`)
	zipPath := framework.ZipFiles(t, t.TempDir(), map[string][]byte{"app.py": []byte(wsHandler)})
	out := n.MustAWS(t, "lambda", "create-function", "--function-name", "ws", "--runtime", "python3.12",
		"--handler", "app.handler", "--role", role, "--zip-file", "fileb://"+zipPath, "--timeout", "30")
	var f struct{ FunctionArn string }
	framework.MustJSON(t, out, &f)
	api := strings.TrimSpace(n.Python(t, `
import boto3
ag = boto3.client("apigatewayv2")
api = ag.create_api(Name="chat", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action")
integ = ag.create_integration(ApiId=api["ApiId"], IntegrationType="AWS_PROXY", IntegrationUri="`+f.FunctionArn+`")
for key in ["$connect", "$disconnect"]:
    ag.create_route(ApiId=api["ApiId"], RouteKey=key, Target="integrations/" + integ["IntegrationId"])
ag.create_route(ApiId=api["ApiId"], RouteKey="send", Target="integrations/" + integ["IntegrationId"], RouteResponseSelectionExpression="$default")
ag.create_stage(ApiId=api["ApiId"], StageName="prod", AutoDeploy=True)
print(api["ApiId"])
`))
	ctx, cancel := context.WithTimeout(context.Background(), 2*framework.Patience)
	defer cancel()
	url := "ws" + strings.TrimPrefix(n.Endpoint, "http") + "/restapis/" + api + "/prod/_user_request_/"
	conn, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	defer func() { _ = conn.CloseNow() }()
	if err := conn.Write(ctx, websocket.MessageText, []byte(`{"action":"send","text":"hello"}`)); err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	deadline := time.Now().Add(2 * framework.Patience)
	for len(got) < 2 && time.Now().Before(deadline) {
		_, msg, err := conn.Read(ctx)
		if err != nil {
			t.Fatalf("read: %v (got %v)", err, got)
		}
		got[string(msg)] = true
	}
	if !got["pushed:hello"] || !got["ack:send"] {
		t.Fatalf("messages %v, want pushed:hello and ack:send", got)
	}
}
