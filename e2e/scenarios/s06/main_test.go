// Package s06 runs scenarios/S6-cloudfront-signed-urls/run.sh against the
// built niwa, in a package of its own so that it runs beside the other
// scenario packages. The harness is e2e/framework.
package s06

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func TestMain(m *testing.M) { framework.Main(m) }
