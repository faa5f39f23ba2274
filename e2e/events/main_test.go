// Package events holds the end-to-end tests of EventBridge: rules, targets, schedules on the clock and EC2 events.
// The harness is e2e/framework.
package events

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func TestMain(m *testing.M) { framework.Main(m) }
