// Package s08to19 runs the scripts of scenarios S8 to S14 under scenarios/ against
// the built niwa (two packages, so go test runs them side by side).
// The harness is e2e/framework.
package s08to19

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func TestMain(m *testing.M) { framework.Main(m) }
