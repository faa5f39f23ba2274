package s08to19

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// TestScenarioS9AccessLogging runs scenarios/S9-access-logging/run.sh against the built
// binary: S3 server access logging, with the aws CLI, curl and boto3 as the tutorial
// uses them.
func TestScenarioS9AccessLogging(t *testing.T) {
	t.Parallel()
	framework.RequireClient(t, "aws CLI", "aws", "--version")
	framework.RequireClient(t, "curl", "curl", "--version")
	n := framework.StartBinary(t, "--iam-enforcement", "on")
	framework.RunScenario(t, n, "S9-access-logging")
}
