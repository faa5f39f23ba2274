// Package ec2api holds the end-to-end tests of EC2's API surface beyond
// instances: key pair import in every format, Describe filters, account
// attributes, endpoint services and the security group rules API, driven
// by aws CLI v1 and v2 and boto3 against the built binary.
// The harness is e2e/framework.
package ec2api

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func TestMain(m *testing.M) { framework.Main(m) }
