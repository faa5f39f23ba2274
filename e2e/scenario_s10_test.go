package e2e

import (
	"os/exec"
	"strings"
	"testing"
)

// TestScenarioS10StaticWebsite runs scenarios/S10-static-website/run.sh against the built
// binary: static website hosting (the S3 half), with the aws CLI, curl and boto3 as the tutorial
// uses them.
func TestScenarioS10StaticWebsite(t *testing.T) {
	requireClient(t, "aws CLI", "aws", "--version")
	requireClient(t, "curl", "curl", "--version")
	n := StartBinary(t)
	cmd := exec.Command("bash", "../scenarios/S10-static-website/run.sh")
	cmd.Env = n.clientEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("S10 failed: %v\n%s\nniwa log:\n%s", err, out, n.StopAndLogs())
	}
	if !strings.Contains(string(out), "S10 OK") {
		t.Fatalf("S10 did not finish:\n%s", out)
	}
	t.Logf("%s", out)
}
