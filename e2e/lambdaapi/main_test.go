// Package lambdaapi holds the end-to-end tests of the Lambda control
// plane as real clients see it: FunctionName forms (name, partial and
// full ARNs), qualified and unqualified ARNs in responses, versions and
// weighted aliases, event invoke configs and their destinations,
// SnapStart and container-image refusals. The harness is e2e/framework.
package lambdaapi

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func TestMain(m *testing.M) { framework.Main(m) }
