// Package cloudwatch holds the end-to-end tests of CloudWatch metrics and
// alarms: both aws CLI versions (query), boto3 (JSON and CBOR), and an
// alarm publishing to SNS and on to SQS as niwa's clock moves.
// The harness is e2e/framework.
package cloudwatch

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func TestMain(m *testing.M) { framework.Main(m) }
