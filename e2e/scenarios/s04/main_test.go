// Package s04 runs scenarios/S4-vpc-endpoint/run.sh against the built niwa
// (a package of its own: Run Command on two instances takes most of the
// two minutes a package may use, so it runs beside S1–S7).
// The harness is e2e/framework.
package s04

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func TestMain(m *testing.M) { framework.Main(m) }
