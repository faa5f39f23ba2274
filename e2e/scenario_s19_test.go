package e2e

import (
	"testing"
)

// TestScenarioS19VPC runs scenarios/S19-vpc/run.sh (the VPC build-out of
// S19) against the built binary.
func TestScenarioS19VPC(t *testing.T) {
	requireClient(t, "aws CLI", "aws", "--version")
	requireClient(t, "curl", "curl", "--version")
	t.Setenv("NIWA_EC2_NAT_DELAY", "200ms")
	n := StartBinary(t)
	runScenario(t, n, "S19-vpc")
}
