package s08to19

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// TestScenarioS19VPC runs scenarios/S19-vpc/run.sh (the VPC build-out of
// S19) against the built binary.
func TestScenarioS19VPC(t *testing.T) {
	framework.RequireClient(t, "aws CLI", "aws", "--version")
	framework.RequireClient(t, "curl", "curl", "--version")
	t.Setenv("NIWA_EC2_NAT_DELAY", "200ms")
	n := framework.StartBinary(t)
	framework.RunScenario(t, n, "S19-vpc")
}
