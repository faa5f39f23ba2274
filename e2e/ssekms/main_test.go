// Package ssekms holds the end-to-end tests of SSE-KMS: S3 objects
// encrypted under KMS keys, written and read by the aws CLI (v1 and v2)
// and boto3 as the account root and as IAM users whom key policies and
// grants allow or refuse. The harness is e2e/framework.
package ssekms

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func TestMain(m *testing.M) { framework.Main(m) }
