package e2e

import (
	"testing"
)

// TestScenarioS9AccessLogging runs scenarios/S9-access-logging/run.sh against the built
// binary: S3 server access logging, with the aws CLI, curl and boto3 as the tutorial
// uses them.
func TestScenarioS9AccessLogging(t *testing.T) {
	t.Parallel()
	requireClient(t, "aws CLI", "aws", "--version")
	requireClient(t, "curl", "curl", "--version")
	n := StartBinary(t)
	runScenario(t, n, "S9-access-logging")
}
