package apigateway

import (
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// TestOpenAPIRoundTrip: boto3 imports a YAML Swagger definition with a
// MOCK integration (the body travels as the request's payload), the
// deployed stage answers, and get_export returns OpenAPI 3 YAML with the
// integration, which put_rest_api takes back.
func TestOpenAPIRoundTrip(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	out := n.Python(t, `
import boto3, os, urllib.request
ag = boto3.client("apigateway")
body = b"""
swagger: "2.0"
info: {title: imported, version: "1"}
paths:
  /hello:
    get:
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        responses:
          default:
            statusCode: "200"
            responseTemplates: {application/json: '{"hello": "world"}'}
"""
api = ag.import_rest_api(body=body)
assert api["name"] == "imported", api
ag.create_deployment(restApiId=api["id"], stageName="prod")
url = os.environ["AWS_ENDPOINT_URL"] + "/restapis/%s/prod/_user_request_/hello" % api["id"]
with urllib.request.urlopen(url, timeout=60) as r:
    assert r.read() == b'{"hello": "world"}'
exp = ag.get_export(restApiId=api["id"], stageName="prod", exportType="oas30", accepts="application/yaml",
                    parameters={"extensions": "integrations"})
text = exp["body"].read().decode()
assert exp["contentType"] == "application/yaml", exp["contentType"]
assert "openapi: 3.0.1" in text and "x-amazon-apigateway-integration" in text, text
ag.put_rest_api(restApiId=api["id"], mode="overwrite", body=text.encode())
paths = sorted(r["path"] for r in ag.get_resources(restApiId=api["id"])["items"])
assert paths == ["/", "/hello"], paths
print("ok")
`)
	if strings.TrimSpace(out) != "ok" {
		t.Fatalf("script printed %q", out)
	}
}
