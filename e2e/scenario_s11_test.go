package e2e

import (
	"os/exec"
	"strings"
	"testing"
)

// TestScenarioS11EC2AttributesAndImages runs scenarios/S11-ec2-attributes-images/run.sh
// against the built binary.
func TestScenarioS11EC2AttributesAndImages(t *testing.T) {
	requireClient(t, "aws CLI", "aws", "--version")
	t.Setenv("NIWA_EC2_BOOT_DELAY", "500ms")
	t.Setenv("NIWA_EC2_STOP_DELAY", "500ms")
	n := StartBinary(t)
	cmd := exec.Command("bash", "../scenarios/S11-ec2-attributes-images/run.sh")
	cmd.Env = n.clientEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("S11 failed: %v\n%s\nniwa log:\n%s", err, out, n.StopAndLogs())
	}
	if !strings.Contains(string(out), "S11 OK") {
		t.Fatalf("S11 did not finish:\n%s", out)
	}
	t.Logf("%s", out)
}
