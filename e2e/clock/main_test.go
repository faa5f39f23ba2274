// Package clock holds the end-to-end tests of POST /_niwa/clock/advance:
// the built binary's time moves forward for every service, driven by the
// real aws CLIs. The harness is e2e/framework.
package clock

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func TestMain(m *testing.M) { framework.Main(m) }
