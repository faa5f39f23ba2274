// Package logs holds the end-to-end tests of CloudWatch Logs: groups, streams, events and tail --follow.
// The harness is e2e/framework.
package logs

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func TestMain(m *testing.M) { framework.Main(m) }
