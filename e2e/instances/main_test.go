// Package instances holds the end-to-end tests of EC2 instances that run:
// user data with boto3 and the aws CLI authorized as the instance
// profile's role through IMDS, IMDSv2, stop and start, and SSM Run
// Command. The harness is e2e/framework.
package instances

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func TestMain(m *testing.M) { framework.Main(m) }
