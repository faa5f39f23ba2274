package e2e

import (
	"os/exec"
	"strings"
	"testing"
)

// TestScenarioS19VPC runs scenarios/S19-vpc/run.sh (the VPC build-out of
// S19) against the built binary.
func TestScenarioS19VPC(t *testing.T) {
	requireClient(t, "aws CLI", "aws", "--version")
	requireClient(t, "curl", "curl", "--version")
	t.Setenv("NIWA_EC2_NAT_DELAY", "200ms")
	n := StartBinary(t)
	cmd := exec.Command("bash", "../scenarios/S19-vpc/run.sh")
	cmd.Env = n.clientEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("S19 failed: %v\n%s\nniwa log:\n%s", err, out, n.StopAndLogs())
	}
	if !strings.Contains(string(out), "S19 OK") {
		t.Fatalf("S19 did not finish:\n%s", out)
	}
	t.Logf("%s", out)
}
