package s08to19

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// TestScenarioS8PresignedUrls runs scenarios/S8-presigned-urls/run.sh against the built
// binary: S3 presigned URLs with expiry, with the aws CLI, curl and boto3 as the tutorial
// uses them.
func TestScenarioS8PresignedUrls(t *testing.T) {
	t.Parallel()
	framework.RequireClient(t, "aws CLI", "aws", "--version")
	framework.RequireClient(t, "curl", "curl", "--version")
	n := framework.StartBinary(t, "--iam-enforcement", "on")
	framework.RunScenario(t, n, "S8-presigned-urls")
}
