// Package restarts runs four scenario scripts (S1, S5, S13 and the
// whole of S18) against the built niwa started with --data-dir, restarting niwa
// in the middle of each (scenarios/lib/restart.sh): what was set up before
// the restart — functions, mappings, rules, stacks, database instances, distributions —
// must still work after it. IAM enforcement is on, as in the other runs.
package restarts

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func TestMain(m *testing.M) { framework.Main(m) }

// start runs the binary with a data dir of the test's own and IAM
// enforcement on.
func start(t *testing.T) *framework.Niwa {
	t.Helper()
	return framework.StartBinary(t, "--iam-enforcement", "on", "--data-dir", t.TempDir())
}

func requireCLIAndBoto3(t *testing.T) {
	t.Helper()
	framework.RequireClient(t, "aws CLI", "aws", "--version")
	framework.RequireClient(t, "curl", "curl", "--version")
	framework.RequireClient(t, "python3 with boto3", "python3", "-c", "import boto3")
}
