package e2e

import (
	"os/exec"
	"strings"
	"testing"
)

// TestScenarioS8PresignedUrls runs scenarios/S8-presigned-urls/run.sh against the built
// binary: S3 presigned URLs with expiry, with the aws CLI, curl and boto3 as the tutorial
// uses them.
func TestScenarioS8PresignedUrls(t *testing.T) {
	t.Parallel()
	requireClient(t, "aws CLI", "aws", "--version")
	requireClient(t, "curl", "curl", "--version")
	n := StartBinary(t)
	cmd := exec.Command("bash", "../scenarios/S8-presigned-urls/run.sh")
	cmd.Env = n.clientEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("S8 failed: %v\n%s\nniwa log:\n%s", err, out, n.StopAndLogs())
	}
	if !strings.Contains(string(out), "S8 OK") {
		t.Fatalf("S8 did not finish:\n%s", out)
	}
	t.Logf("%s", out)
}
