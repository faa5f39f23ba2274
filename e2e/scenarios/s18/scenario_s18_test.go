package s18

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// TestScenarioS18APIGateway runs scenarios/S18-apigateway/run.sh against
// the built binary: a REST API whose GET /rows requires an API key in a
// usage plan on the stage, a Lambda non-proxy integration whose mapping
// template passes the `key` query parameter and the caller's sourceIp to
// a function that returns them; with the key 200 with that JSON, without
// it 403 {"message":"Forbidden"}.
func TestScenarioS18APIGateway(t *testing.T) {
	t.Parallel()
	framework.RequireClient(t, "aws CLI", "aws", "--version")
	framework.RequireClient(t, "python3", "python3", "--version")
	n := framework.StartBinary(t, "--iam-enforcement", "on")
	framework.RunScenario(t, n, "S18-apigateway")
}
