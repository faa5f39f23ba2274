package apigwv2

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

const stackTemplate = `{
  "Parameters": {"Backend": {"Type": "String"}},
  "Resources": {
    "Api": {"Type": "AWS::ApiGatewayV2::Api", "Properties": {"Name": "cfn-http", "ProtocolType": "HTTP",
      "CorsConfiguration": {"AllowOrigins": ["https://app.example"]}}},
    "Integ": {"Type": "AWS::ApiGatewayV2::Integration", "Properties": {"ApiId": {"Ref": "Api"},
      "IntegrationType": "HTTP_PROXY", "IntegrationMethod": "GET", "IntegrationUri": {"Fn::Sub": "${Backend}/users/{id}"},
      "PayloadFormatVersion": "1.0", "TimeoutInMillis": 5000}},
    "Route": {"Type": "AWS::ApiGatewayV2::Route", "Properties": {"ApiId": {"Ref": "Api"}, "RouteKey": "GET /users/{id}",
      "Target": {"Fn::Join": ["/", ["integrations", {"Ref": "Integ"}]]}}},
    "Stage": {"Type": "AWS::ApiGatewayV2::Stage", "DependsOn": "Route", "Properties": {"ApiId": {"Ref": "Api"},
      "StageName": "$default", "AutoDeploy": true}}
  },
  "Outputs": {"ApiId": {"Value": {"Ref": "Api"}}, "Endpoint": {"Value": {"Fn::GetAtt": ["Api", "ApiEndpoint"]}}}
}`

// TestCloudFormationStack: a stack of AWS::ApiGatewayV2 resources makes
// an API that answers at its endpoint; deleting the stack removes it.
func TestCloudFormationStack(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "user "+r.URL.Path)
	}))
	defer backend.Close()
	cli := framework.CLIs[0]
	tpl := filepath.Join(t.TempDir(), "api.json")
	if err := os.WriteFile(tpl, []byte(stackTemplate), 0o644); err != nil {
		t.Fatal(err)
	}
	n.MustCLI(t, cli, "cloudformation", "create-stack", "--stack-name", "http-api", "--template-body", "file://"+tpl,
		"--parameters", "ParameterKey=Backend,ParameterValue="+backend.URL)
	status := func() string {
		var s struct {
			Stacks []struct {
				StackStatus string
				Outputs     []struct{ OutputKey, OutputValue string }
			}
		}
		out, errOut, err := n.RunCLI(t, cli, nil, "cloudformation", "describe-stacks", "--stack-name", "http-api")
		if err != nil {
			if strings.Contains(errOut, "does not exist") {
				return "DELETE_COMPLETE"
			}
			t.Fatalf("describe-stacks: %v %s", err, errOut)
		}
		framework.MustJSON(t, out, &s)
		st := s.Stacks[0].StackStatus
		for _, o := range s.Stacks[0].Outputs {
			if o.OutputKey == "ApiId" {
				st += " " + o.OutputValue
			}
		}
		return st
	}
	var got string
	framework.WaitUntil(t, framework.Patience, func() bool {
		got = status()
		return !strings.Contains(got, "_IN_PROGRESS")
	}, "the stack to settle")
	api, ok := strings.CutPrefix(got, "CREATE_COMPLETE ")
	if !ok {
		out, _, _ := n.RunCLI(t, cli, nil, "cloudformation", "describe-stack-events", "--stack-name", "http-api")
		var ev struct{ StackEvents []map[string]any }
		_ = json.Unmarshal([]byte(out), &ev)
		t.Fatalf("stack %s: %v", got, ev.StackEvents)
	}
	host := api + ".execute-api.localhost"
	if s, h, b := curl(t, n, host, n.Endpoint+"/users/7", "-H", "Origin: https://app.example"); s != 200 || b != "user /users/7" ||
		h.Get("Access-Control-Allow-Origin") != "https://app.example" {
		t.Fatalf("invoke: %d %v %q", s, h, b)
	}
	n.MustCLI(t, cli, "cloudformation", "delete-stack", "--stack-name", "http-api")
	framework.WaitUntil(t, framework.Patience, func() bool { return status() == "DELETE_COMPLETE" }, "the stack to be deleted")
	if s, _, b := curl(t, n, host, n.Endpoint+"/users/7"); s != 403 || b != `{"message":"Forbidden"}` {
		t.Fatalf("after delete: %d %q", s, b)
	}
}
