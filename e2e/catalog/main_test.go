// Package catalog holds the end-to-end tests of services niwa does not implement (answered in their own protocol, naming them) and CloudWatch's current protocols.
// The harness is e2e/framework.
package catalog

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func TestMain(m *testing.M) { framework.Main(m) }
