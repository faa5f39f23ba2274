// Package route53routing holds the end-to-end tests of Route 53 health
// checks and routing policies: real clients create the checks and record
// sets, a local HTTP server is the endpoint, the test moves niwa's clock
// and `dig` reads the answers. The harness is e2e/framework.
package route53routing

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func TestMain(m *testing.M) { framework.Main(m) }
