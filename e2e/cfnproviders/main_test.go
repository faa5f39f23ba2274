// Package cfnproviders tests CloudFormation's resource providers and
// `aws cloudformation package` with the real aws CLI and boto3 against
// the built niwa (apart from e2e/cloudformation, so the two run side by
// side). The harness is e2e/framework.
package cfnproviders

import (
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func TestMain(m *testing.M) { framework.Main(m) }

// settle polls describe-stacks until the stack leaves its *_IN_PROGRESS
// statuses and returns the status it settled in.
func settle(t *testing.T, n *framework.Niwa, cli framework.CLI, name string) string {
	t.Helper()
	var status string
	framework.WaitUntil(t, framework.Patience, func() bool {
		out, stderr, err := n.RunCLI(t, cli, nil, "cloudformation", "describe-stacks", "--stack-name", name, "--query", "Stacks[0].StackStatus", "--output", "text")
		if err != nil {
			if strings.Contains(stderr, "does not exist") {
				status = "DELETE_COMPLETE"
				return true
			}
			t.Fatalf("describe-stacks: %v %s", err, stderr)
		}
		status = strings.TrimSpace(out)
		return !strings.HasSuffix(status, "_IN_PROGRESS")
	}, "stack "+name+" to settle")
	return status
}
