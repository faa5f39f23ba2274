package s08to19

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// TestScenarioS14TTL0 runs scenarios/S14-ttl0/run.sh against the built
// binary: a Route53 A record with TTL 0 created with the aws CLI is
// answered by niwa's DNS server with TTL 0, and an UPSERT shows on the
// next query. The script asks the DNS server with dig when it is
// installed, otherwise with a stdlib-only python client.
func TestScenarioS14TTL0(t *testing.T) {
	t.Parallel()
	framework.RequireClient(t, "aws CLI", "aws", "--version")
	framework.RequireClient(t, "python3", "python3", "--version")
	n := framework.StartBinary(t, "--iam-enforcement", "on")
	framework.RunScenario(t, n, "S14-ttl0", "NIWA_DNS_ADDR="+n.DNSAddr)
}
