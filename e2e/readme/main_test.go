// Package readme holds the end-to-end tests of the README: its five-minute walkthrough, run verbatim against the built binary.
// The harness is e2e/framework.
package readme

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func TestMain(m *testing.M) { framework.Main(m) }
