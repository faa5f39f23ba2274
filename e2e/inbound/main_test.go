// Package inbound holds the end-to-end tests of connections into a VPC:
// a process an instance's user data starts is reached at the instance's
// private address by another instance (through niwa's network
// component) and by an Application Load Balancer, only when the
// instance's security groups let the caller in. The harness is
// e2e/framework.
package inbound

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func TestMain(m *testing.M) { framework.Main(m) }
