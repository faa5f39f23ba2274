// Package s15 runs scenarios/S15-load-balancers/run.sh against the built
// niwa (its own package: it starts local HTTP servers and moves the clock).
package s15

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func TestMain(m *testing.M) { framework.Main(m) }

// TestScenarioS15LoadBalancers: an ALB (IP targets) and a Classic ELB
// (instances backed by the same two local servers) over the clock:
// healthy → both balanced; every health check failing → the ALB fails
// open to both targets, the Classic ELB answers 503; one healed → only
// it serves. The ALB's DNS name resolves through niwa's DNS; a path rule
// and a fixed-response rule answer as configured.
func TestScenarioS15LoadBalancers(t *testing.T) {
	framework.RequireClient(t, "aws CLI", "aws", "--version")
	framework.RequireClient(t, "python3", "python3", "--version")
	framework.RequireClient(t, "curl", "curl", "--version")
	n := framework.StartBinary(t, "--iam-enforcement", "on")
	framework.RunScenario(t, n, "S15-load-balancers", "NIWA_DNS_ADDR="+n.DNSAddr)
}
