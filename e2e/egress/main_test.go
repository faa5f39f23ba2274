// Package egress holds the end-to-end tests of network position and
// egress: what a Lambda function in a VPC reaches through niwa's egress
// proxy, and how its calls to AWS look to IAM (aws:SourceIp from the NAT
// gateway's Elastic IP). The harness is e2e/framework.
package egress

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func TestMain(m *testing.M) { framework.Main(m) }
