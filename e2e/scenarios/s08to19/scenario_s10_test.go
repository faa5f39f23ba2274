package s08to19

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// TestScenarioS10StaticWebsite runs scenarios/S10-static-website/run.sh against the built
// binary: static website hosting with the aws CLI and curl as the tutorial uses them, then the
// custom domain end to end: a Route53 alias A record to the S3 website endpoint resolves through
// niwa's DNS server (dig when installed, else a stdlib-only python client) and fetching the name
// serves the site.
func TestScenarioS10StaticWebsite(t *testing.T) {
	t.Parallel()
	framework.RequireClient(t, "aws CLI", "aws", "--version")
	framework.RequireClient(t, "curl", "curl", "--version")
	framework.RequireClient(t, "python3", "python3", "--version")
	n := framework.StartBinary(t, "--iam-enforcement", "on")
	framework.RunScenario(t, n, "S10-static-website", "NIWA_DNS_ADDR="+n.DNSAddr)
}
