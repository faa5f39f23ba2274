// Package platform holds the end-to-end tests of the process, its flags, signals and environment, the
// README walkthrough, and the platform flow (IAM, STS, logs) every client runs.
// The harness is e2e/framework.
package platform

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func TestMain(m *testing.M) { framework.Main(m) }
