package e2e

import (
	"os/exec"
	"strings"
	"testing"
)

// TestScenarioS10StaticWebsite runs scenarios/S10-static-website/run.sh against the built
// binary: static website hosting with the aws CLI and curl as the tutorial uses them, then the
// custom domain end to end: a Route53 alias A record to the S3 website endpoint resolves through
// niwa's DNS server (dig when installed, else a stdlib-only python client) and fetching the name
// serves the site.
func TestScenarioS10StaticWebsite(t *testing.T) {
	t.Parallel()
	requireClient(t, "aws CLI", "aws", "--version")
	requireClient(t, "curl", "curl", "--version")
	requireClient(t, "python3", "python3", "--version")
	n := StartBinary(t)
	cmd := exec.Command("bash", "../scenarios/S10-static-website/run.sh")
	cmd.Env = n.clientEnv("NIWA_DNS_ADDR=" + n.DNSAddr)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("S10 failed: %v\n%s\nniwa log:\n%s", err, out, n.StopAndLogs())
	}
	if !strings.Contains(string(out), "S10 OK") {
		t.Fatalf("S10 did not finish:\n%s", out)
	}
	t.Logf("%s", out)
}
