package network

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// TestScenarioS19VPC runs scenarios/S19-vpc/run.sh against the built
// binary: the VPC build-out, then the Lambda half — a function in both
// private subnets sees one of the NAT gateways' Elastic IPs from the echo
// service, another address once detached from the VPC, and a timeout in a
// subnet whose route table lost its NAT route.
func TestScenarioS19VPC(t *testing.T) {
	t.Parallel()
	framework.RequireClient(t, "aws CLI", "aws", "--version")
	framework.RequireClient(t, "curl", "curl", "--version")
	framework.RequireClient(t, "python3", "python3", "--version")
	n := framework.StartBinary(t, "--iam-enforcement", "on")
	framework.RunScenario(t, n, "S19-vpc")
}
