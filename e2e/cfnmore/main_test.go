// Package cfnmore tests what CloudFormation does beyond plain stacks with
// the real aws CLIs and boto3 against the built niwa: a SAM template
// deployed with `aws cloudformation deploy`, drift detection after a
// resource changes out of band, and stacks acting as a service role
// (RoleARN) or as their caller under IAM. The harness is e2e/framework.
package cfnmore

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func TestMain(m *testing.M) { framework.Main(m) }
