package s08to19

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// TestScenarioS11EC2AttributesAndImages runs scenarios/S11-ec2-attributes-images/run.sh
// against the built binary.
func TestScenarioS11EC2AttributesAndImages(t *testing.T) {
	framework.RequireClient(t, "aws CLI", "aws", "--version")
	t.Setenv("NIWA_EC2_BOOT_DELAY", "500ms")
	t.Setenv("NIWA_EC2_STOP_DELAY", "500ms")
	n := framework.StartBinary(t, "--iam-enforcement", "on")
	framework.RunScenario(t, n, "S11-ec2-attributes-images")
}
