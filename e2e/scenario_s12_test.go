package e2e

import (
	"os/exec"
	"strings"
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
	cmd := exec.Command("bash", "../scenarios/S12-encrypt-in-place/run.sh")
	cmd.Env = n.clientEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("S12 failed: %v\n%s\nniwa log:\n%s", err, out, n.StopAndLogs())
	}
	if !strings.Contains(string(out), "S12 OK") {
		t.Fatalf("S12 did not finish:\n%s", out)
	}
	t.Logf("%s", out)
}
