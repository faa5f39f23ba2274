// Package ec2read holds the end-to-end tests of the Terraform AWS
// provider's EC2 read path: each resource niwa has is created with a real
// client, then read with the Describe and Get calls the provider's read
// functions make (docs/ec2.md lists them), driven by boto3 and both aws
// CLIs against the built binary. The harness is e2e/framework.
package ec2read

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func TestMain(m *testing.M) { framework.Main(m) }
