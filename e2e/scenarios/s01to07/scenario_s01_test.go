package s01to07

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// TestScenarioS1DDNS runs scenarios/S1-ddns/run.sh against the built
// binary with IAM enforcement on: the tutorial's policy on the function's
// role is all that lets the DDNS function (scenarios/S1-ddns/union.py,
// real boto3 inside) create table DDNS, store the instance and change the
// Route53 zones when EventBridge delivers the EC2 state change. The
// records are asked from niwa's DNS server (the private zone with the VPC
// id in EDNS0 option 65001, and with a plain query from the host as the
// tutorial does) and must be gone after the instance stops.
func TestScenarioS1DDNS(t *testing.T) {
	t.Parallel()
	framework.RequireClient(t, "aws CLI", "aws", "--version")
	framework.RequireClient(t, "python3", "python3", "--version")
	framework.RequireClient(t, "boto3", "python3", "-c", "import boto3")
	n := framework.StartBinary(t, "--iam-enforcement", "on")
	framework.RunScenario(t, n, "S1-ddns", "NIWA_DNS_ADDR="+n.DNSAddr)
}
