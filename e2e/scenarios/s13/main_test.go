// Package s13 runs scenarios/S13-ec2-scheduler/run.sh against the built
// niwa, in a package of its own so that it runs beside the other scenario
// packages. The harness is e2e/framework.
package s13

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func TestMain(m *testing.M) { framework.Main(m) }
