package s01to07

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// TestScenarioS5S3SQSLambda runs scenarios/S5-s3-sqs-lambda/run.sh against
// the built binary with IAM enforcement on: a bucket notification to an
// SQS queue (the queue's access policy allowing the bucket) enqueues S3's
// s3:TestEvent and, for the upload of hane.jpg, an ObjectCreated:Put record
// in S3's exact event shape; an SQS event source mapping then hands the
// record to a python function whose role allows only the SQS and S3 calls
// it makes, and the function copies hane.jpg to hane2.jpg.
func TestScenarioS5S3SQSLambda(t *testing.T) {
	t.Parallel()
	framework.RequireClient(t, "aws CLI", "aws", "--version")
	framework.RequireClient(t, "python3", "python3", "--version")
	framework.RequireClient(t, "boto3", "python3", "-c", "import boto3")
	n := framework.StartBinary(t, "--iam-enforcement", "on")
	framework.RunScenario(t, n, "S5-s3-sqs-lambda")
}
