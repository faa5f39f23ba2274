// Package logsfeatures holds the end-to-end tests of CloudWatch Logs
// beyond groups, streams and events (those are in e2e/logs): validation
// codes, metric and subscription filters, Insights queries, policies,
// EventBridge targets and export tasks. A package of its own so that each
// stays well within go test's time on a loaded machine.
// The harness is e2e/framework.
package logsfeatures

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func TestMain(m *testing.M) { framework.Main(m) }
