package e2e

import (
	"testing"
)

// TestScenarioS8PresignedUrls runs scenarios/S8-presigned-urls/run.sh against the built
// binary: S3 presigned URLs with expiry, with the aws CLI, curl and boto3 as the tutorial
// uses them.
func TestScenarioS8PresignedUrls(t *testing.T) {
	t.Parallel()
	requireClient(t, "aws CLI", "aws", "--version")
	requireClient(t, "curl", "curl", "--version")
	n := StartBinary(t)
	runScenario(t, n, "S8-presigned-urls")
}
