// Package cloudformation tests CloudFormation with the real aws CLIs
// against the built niwa: stacks created, waited on, described, updated,
// deployed and deleted; custom resources answering through cfnresponse.
// The harness is e2e/framework.
package cloudformation

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func TestMain(m *testing.M) { framework.Main(m) }
