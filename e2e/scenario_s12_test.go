package e2e

import (
	"testing"
)

// TestScenarioS12EncryptInPlace runs scenarios/S12-encrypt-in-place/run.sh against the built
// binary: encrypting a whole bucket in place, with the aws CLI, curl and boto3 as the tutorial
// uses them.
func TestScenarioS12EncryptInPlace(t *testing.T) {
	t.Parallel()
	requireClient(t, "aws CLI", "aws", "--version")
	requireClient(t, "curl", "curl", "--version")
	n := StartBinary(t)
	runScenario(t, n, "S12-encrypt-in-place")
}
