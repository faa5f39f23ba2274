// Package ec2net holds the end-to-end tests of EC2, Route 53 (with niwa's DNS server),
// EventBridge and CloudWatch Logs.
// The harness is e2e/framework.
package ec2net

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func TestMain(m *testing.M) { framework.Main(m) }
