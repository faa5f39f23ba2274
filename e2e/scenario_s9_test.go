package e2e

import (
	"os/exec"
	"strings"
	"testing"
)

// TestScenarioS9AccessLogging runs scenarios/S9-access-logging/run.sh against the built
// binary: S3 server access logging, with the aws CLI, curl and boto3 as the tutorial
// uses them.
func TestScenarioS9AccessLogging(t *testing.T) {
	t.Parallel()
	requireClient(t, "aws CLI", "aws", "--version")
	requireClient(t, "curl", "curl", "--version")
	n := StartBinary(t)
	cmd := exec.Command("bash", "../scenarios/S9-access-logging/run.sh")
	cmd.Env = n.clientEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("S9 failed: %v\n%s\nniwa log:\n%s", err, out, n.StopAndLogs())
	}
	if !strings.Contains(string(out), "S9 OK") {
		t.Fatalf("S9 did not finish:\n%s", out)
	}
	t.Logf("%s", out)
}
