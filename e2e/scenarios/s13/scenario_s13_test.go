package s13

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// TestScenarioS13EC2Scheduler runs scenarios/S13-ec2-scheduler/run.sh
// against the built binary: an EC2-Scheduler CloudFormation stack (IAM
// role, python3 Lambda from S3, DynamoDB table, Events rule on
// cron(0/5 * * * ? *), Lambda permission, Lambda-backed custom resource)
// starts and stops a tagged instance as niwa's clock passes 08:00 and
// 18:00, and get-metric-statistics reads its 0/1 EC2Scheduler series.
func TestScenarioS13EC2Scheduler(t *testing.T) {
	t.Parallel()
	framework.RequireClient(t, "aws CLI", "aws", "--version")
	framework.RequireClient(t, "python3 with boto3", "python3", "-c", "import boto3")
	framework.RequireClient(t, "curl", "curl", "--version")
	n := framework.StartBinary(t, "--iam-enforcement", "on")
	framework.RunScenario(t, n, "S13-ec2-scheduler")
}
