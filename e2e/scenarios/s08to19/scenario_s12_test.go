package s08to19

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// TestScenarioS12EncryptInPlace runs scenarios/S12-encrypt-in-place/run.sh against the built
// binary: encrypting a whole bucket in place, with the aws CLI, curl and boto3 as the tutorial
// uses them.
func TestScenarioS12EncryptInPlace(t *testing.T) {
	t.Parallel()
	framework.RequireClient(t, "aws CLI", "aws", "--version")
	framework.RequireClient(t, "curl", "curl", "--version")
	n := framework.StartBinary(t, "--iam-enforcement", "on")
	framework.RunScenario(t, n, "S12-encrypt-in-place")
}
