// Package cdk tests the AWS CDK against the built niwa: the aws-cdk CLI
// and aws-cdk-lib from the npm registry bootstrap an environment, deploy
// a JavaScript app (a Lambda function from an asset in the staging
// bucket, a DynamoDB table it writes to, an SQS queue, an S3 bucket),
// deploy it again without change, and destroy it. The harness is
// e2e/framework.
package cdk

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func TestMain(m *testing.M) { framework.Main(m) }
