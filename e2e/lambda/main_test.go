// Package lambda holds the end-to-end tests of Lambda functions: runtimes, layers, VPC
// configuration, and asynchronous invocation across a restart.
// The harness is e2e/framework.
package lambda

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func TestMain(m *testing.M) { framework.Main(m) }
