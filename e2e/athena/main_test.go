// Package athena holds the end-to-end tests of Athena and the Glue Data
// Catalog: the real aws CLI against the built binary, which links the
// SQL engine (DuckDB). The harness is e2e/framework.
package athena

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func TestMain(m *testing.M) { framework.Main(m) }
