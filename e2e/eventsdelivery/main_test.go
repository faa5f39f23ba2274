// Package eventsdelivery holds the end-to-end tests of what EventBridge
// delivers: input transformers, dead-letter queues, targets of each
// service and their resource policies, archives and replays, API
// destinations over HTTP, driven by the aws CLI v1 and v2 and boto3.
// EventBridge Scheduler's are in e2e/scheduler.
// The harness is e2e/framework.
package eventsdelivery

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func TestMain(m *testing.M) { framework.Main(m) }
