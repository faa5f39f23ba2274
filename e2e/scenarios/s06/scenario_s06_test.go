package s06

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// TestScenarioS6CloudFrontSignedURLs runs scenarios/S6-cloudfront-signed-urls/run.sh
// against the built binary: a key pair from openssl registered as a
// public key in a key group, a private bucket behind an origin access
// control, a distribution trusting the key group, and `aws cloudfront
// sign` URLs fetched through the distribution's domain (niwa's DNS):
// signed 200, unsigned and tampered 403, expired (niwa's clock) 403; an
// origin access identity's bucket policy works the same way.
func TestScenarioS6CloudFrontSignedURLs(t *testing.T) {
	t.Parallel()
	framework.RequireClient(t, "aws CLI", "aws", "--version")
	framework.RequireClient(t, "openssl", "openssl", "version")
	framework.RequireClient(t, "python3", "python3", "--version")
	framework.RequireClient(t, "curl", "curl", "--version")
	n := framework.StartBinary(t, "--iam-enforcement", "on")
	framework.RunScenario(t, n, "S6-cloudfront-signed-urls", "NIWA_DNS_ADDR="+n.DNSAddr)
}
