// Package ec2 holds the end-to-end tests of EC2: instances on the clock, routes and endpoints.
// The harness is e2e/framework.
package ec2

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func TestMain(m *testing.M) { framework.Main(m) }
