// Package s01to07 runs the scripts of scenarios S1 to S7 under scenarios/ against
// the built niwa (two packages, so go test runs them side by side).
// The harness is e2e/framework.
package s01to07

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func TestMain(m *testing.M) { framework.Main(m) }
