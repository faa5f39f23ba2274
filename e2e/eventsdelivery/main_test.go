// Package eventsdelivery holds the end-to-end tests of what EventBridge
// and EventBridge Scheduler deliver: input transformers, dead-letter
// queues, archives and replays, API destinations over HTTP, and schedules
// firing on a moved clock, driven by the aws CLI v1 and v2 and boto3.
// The harness is e2e/framework.
package eventsdelivery

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func TestMain(m *testing.M) { framework.Main(m) }
