// Package cloudtrail holds the end-to-end tests of CloudTrail: trails
// that deliver to S3 on niwa's clock, digests the aws CLI's validate-logs
// accepts, and LookupEvents, driven by both aws CLI versions against the
// built binary. The harness is e2e/framework.
package cloudtrail

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func TestMain(m *testing.M) { framework.Main(m) }
