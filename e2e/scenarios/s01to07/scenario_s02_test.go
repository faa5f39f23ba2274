package s01to07

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// TestScenarioS2EC2Restart runs scenarios/S2-ec2-restart/run.sh against
// the built binary: an EventBridge rule on "stopped" invokes a Lambda
// function that starts the instance again.
func TestScenarioS2EC2Restart(t *testing.T) {
	t.Parallel()
	framework.RequireClient(t, "aws CLI", "aws", "--version")
	n := framework.StartBinary(t, "--iam-enforcement", "on")
	framework.RunScenario(t, n, "S2-ec2-restart")
}
