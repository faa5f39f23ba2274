// Package network runs the network scenarios under scenarios/ — S16
// (route precedence through Reachability Analyzer) and S19 (a Lambda
// function's static outbound IP through its NAT gateway) — against the
// built niwa, in a package of their own so they run beside the other
// scenario packages. The harness is e2e/framework.
package network

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func TestMain(m *testing.M) { framework.Main(m) }
