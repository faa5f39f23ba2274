// Package s18edge runs scenarios/S18-protected-api/run.sh — the whole of
// S18: RDS, a VPC Lambda, API Gateway with a key, CloudFront with WAF and
// an email-validated ACM certificate — against the built niwa, in a
// package of its own so that it runs beside the other scenario packages.
// The harness is e2e/framework.
package s18edge

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func TestMain(m *testing.M) { framework.Main(m) }
