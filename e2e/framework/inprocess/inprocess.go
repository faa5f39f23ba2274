// Package inprocess starts niwa in the test process (niwatest) for the
// e2e packages that run their cases against both targets or need an
// in-process instance (a fake clock, say). It is apart from
// e2e/framework so that the packages driving only the built binary — most
// of them — do not link the whole of niwa into their test binaries: that
// link was ~6 s of CPU per package in CI's e2e step.
package inprocess

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
	"github.com/niwa-cloud/niwa/niwatest"
)

// Start starts niwa as target: in the test process for
// framework.InProcess (args are the binary's flags and do not apply), the
// built binary with args for framework.Binary.
func Start(t testing.TB, target framework.Target, args ...string) *framework.Niwa {
	t.Helper()
	if target == framework.InProcess {
		return FromNiwatest(t, niwatest.Start(t))
	}
	return framework.StartBinary(t, args...)
}

// FromNiwatest is a framework.Niwa for an in-process instance that the
// test started itself, with niwatest options (a fake clock, say) that
// Start does not take. The binary runs in framework.Region: the cases run
// against both targets expect the same region, so a niwatest in another
// fails here.
func FromNiwatest(t testing.TB, n *niwatest.Niwa) *framework.Niwa {
	t.Helper()
	if n.Region != framework.Region {
		t.Fatalf("niwatest runs in %s, the binary in framework.Region %s: keep them the same", n.Region, framework.Region)
	}
	return framework.InProcessNiwa(t, n.Endpoint, n.Region, n.DNSAddr())
}
