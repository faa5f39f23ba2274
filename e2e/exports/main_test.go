// Package exports holds the end-to-end tests of the S3-backed features of
// CloudWatch Logs (export tasks) and DynamoDB (export to S3, import from
// S3), driven by boto3 and both aws CLI versions against the built
// binary. The harness is e2e/framework.
package exports

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func TestMain(m *testing.M) { framework.Main(m) }
