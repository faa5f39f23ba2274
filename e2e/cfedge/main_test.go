// Package cfedge runs CloudFront's edge features that need niwa's
// command line or AWS's own clients against the built binary: clients
// placed in countries by --client-locations (WAF GeoMatch, geo
// restrictions), and the policies the CLI creates. The harness is
// e2e/framework.
package cfedge

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func TestMain(m *testing.M) { framework.Main(m) }
