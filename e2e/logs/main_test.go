// Package logs holds the end-to-end tests of CloudWatch Logs beyond the
// basics in e2e/ec2net: validation codes, metric and subscription
// filters, Insights queries, policies and export tasks.
// The harness is e2e/framework.
package logs

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func TestMain(m *testing.M) { framework.Main(m) }
