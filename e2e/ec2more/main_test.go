// Package ec2more holds the end-to-end tests of the EC2 operations that
// were left out before: secondary private addresses, default subnets,
// snapshot locks on the clock, instance metadata defaults, transit gateway
// peering, PrivateLink endpoint services and traffic mirroring, driven by aws CLI v1 and v2 and boto3
// against the built binary. The harness is e2e/framework.
package ec2more

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func TestMain(m *testing.M) { framework.Main(m) }
