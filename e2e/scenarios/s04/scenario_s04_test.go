package s04

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// TestScenarioS4VPCEndpoint runs scenarios/S4-vpc-endpoint/run.sh against
// the built binary with IAM enforcement on: `aws s3 ls` run by Run
// Command on an instance in the public subnet is refused by the bucket's
// aws:SourceVpce policy, on the instance in the private subnet (whose
// route table has the S3 gateway endpoint) it lists the bucket. The CLI
// on the instances finds the EC2toS3 role's credentials through the
// instances' metadata service.
func TestScenarioS4VPCEndpoint(t *testing.T) {
	t.Parallel()
	framework.RequireClient(t, "aws CLI", "aws", "--version")
	n := framework.StartBinary(t, "--iam-enforcement", "on")
	framework.RunScenario(t, n, "S4-vpc-endpoint")
}
