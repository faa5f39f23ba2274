// Package scenarios holds the end-to-end tests of the user scenarios: each runs a script of
// scenarios/ against niwa.
// The harness is e2e/framework.
package scenarios

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func TestMain(m *testing.M) { framework.Main(m) }
