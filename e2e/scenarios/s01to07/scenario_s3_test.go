package s01to07

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// TestScenarioS3CloudTrailAthena runs scenarios/S3-cloudtrail-athena/run.sh
// against the built binary: a trail delivers an IAM user's upload of
// hane.jpg to its bucket once niwa's clock has moved, and Athena finds
// that PutObject with the seed's query over AWS's CloudTrail table.
func TestScenarioS3CloudTrailAthena(t *testing.T) {
	t.Parallel()
	framework.RequireClient(t, "aws CLI", "aws", "--version")
	n := framework.StartBinary(t, "--iam-enforcement", "on")
	framework.RunScenario(t, n, "S3-cloudtrail-athena")
}
