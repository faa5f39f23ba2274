package e2e

import (
	"testing"
)

// TestScenarioS2EC2Restart runs scenarios/S2-ec2-restart/run.sh against
// the built binary: an EventBridge rule on "stopped" invokes a Lambda
// function that starts the instance again.
func TestScenarioS2EC2Restart(t *testing.T) {
	t.Parallel()
	requireClient(t, "aws CLI", "aws", "--version")
	n := StartBinary(t)
	runScenario(t, n, "S2-ec2-restart")
}
