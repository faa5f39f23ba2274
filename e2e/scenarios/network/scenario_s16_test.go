package network

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// TestScenarioS16RoutePrecedence runs scenarios/S16-route-precedence/run.sh
// against the built binary: the seed's route precedence cases (longest
// prefix; Direct Connect, static VPN and BGP VPN routes of one gateway;
// a static route over propagated ones) observed through VPC Reachability
// Analyzer with the aws CLI.
func TestScenarioS16RoutePrecedence(t *testing.T) {
	t.Parallel()
	framework.RequireClient(t, "aws CLI", "aws", "--version")
	framework.RequireClient(t, "curl", "curl", "--version")
	framework.RequireClient(t, "python3", "python3", "--version")
	n := framework.StartBinary(t, "--iam-enforcement", "on")
	framework.RunScenario(t, n, "S16-route-precedence")
}
