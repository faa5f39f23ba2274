// Package scheduler holds the end-to-end tests of EventBridge Scheduler:
// schedules firing on niwa's moved clock, dead letters, schedule groups,
// driven by the aws CLI v1 and v2 and boto3. The harness is e2e/framework.
package scheduler

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func TestMain(m *testing.M) { framework.Main(m) }
