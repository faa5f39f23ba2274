package e2e

import (
	"os/exec"
	"strings"
	"testing"
)

// TestScenarioS14TTL0 runs scenarios/S14-ttl0/run.sh against the built
// binary: a Route53 A record with TTL 0 created with the aws CLI is
// answered by niwa's DNS server with TTL 0, and an UPSERT shows on the
// next query. The script asks the DNS server with dig when it is
// installed, otherwise with a stdlib-only python client.
func TestScenarioS14TTL0(t *testing.T) {
	t.Parallel()
	requireClient(t, "aws CLI", "aws", "--version")
	requireClient(t, "python3", "python3", "--version")
	n := StartBinary(t)
	cmd := exec.Command("bash", "../scenarios/S14-ttl0/run.sh")
	cmd.Env = n.clientEnv("NIWA_DNS_ADDR=" + n.DNSAddr)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("S14 failed: %v\n%s\nniwa log:\n%s", err, out, n.StopAndLogs())
	}
	if !strings.Contains(string(out), "S14 OK") {
		t.Fatalf("S14 did not finish:\n%s", out)
	}
	t.Logf("%s", out)
}
