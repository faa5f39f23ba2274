// Package cfnproviders tests CloudFormation's resource providers and
// `aws cloudformation package` with the real aws CLI and boto3 against
// the built niwa (apart from e2e/cloudformation, so the two run side by
// side). The harness is e2e/framework.
package cfnproviders

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func TestMain(m *testing.M) { framework.Main(m) }

type stack struct {
	StackStatus string
	Outputs     []struct{ OutputKey, OutputValue string }
}

func describe(t *testing.T, n *framework.Niwa, cli framework.CLI, name string) stack {
	t.Helper()
	var out struct{ Stacks []stack }
	if err := json.Unmarshal([]byte(n.MustCLI(t, cli, "cloudformation", "describe-stacks", "--stack-name", name)), &out); err != nil || len(out.Stacks) != 1 {
		t.Fatalf("describe-stacks: %v %+v", err, out)
	}
	return out.Stacks[0]
}

func output(s stack, key string) string {
	for _, o := range s.Outputs {
		if o.OutputKey == key {
			return o.OutputValue
		}
	}
	return ""
}

func events(t *testing.T, n *framework.Niwa, cli framework.CLI, name string) []string {
	t.Helper()
	var out struct {
		StackEvents []struct{ LogicalResourceId, ResourceStatus, ResourceStatusReason string }
	}
	if err := json.Unmarshal([]byte(n.MustCLI(t, cli, "cloudformation", "describe-stack-events", "--stack-name", name)), &out); err != nil {
		t.Fatal(err)
	}
	var l []string
	for i := len(out.StackEvents) - 1; i >= 0; i-- {
		e := out.StackEvents[i]
		l = append(l, strings.TrimSpace(e.LogicalResourceId+" "+e.ResourceStatus+" "+e.ResourceStatusReason))
	}
	return l
}

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
