// Package route53 holds the end-to-end tests of Route 53 with niwa's DNS server.
// The harness is e2e/framework.
package route53

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func TestMain(m *testing.M) { framework.Main(m) }
