package framework

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Stack is a CloudFormation stack as describe-stacks answers it.
type Stack struct {
	StackStatus string
	Outputs     []struct{ OutputKey, OutputValue string }
	Parameters  []struct{ ParameterKey, ParameterValue string }
}

// Output is the value of the stack's output key ("" without one).
func (s Stack) Output(key string) string {
	for _, o := range s.Outputs {
		if o.OutputKey == key {
			return o.OutputValue
		}
	}
	return ""
}

// DescribeStack describes one stack with cli; anything but one stack
// fails the test.
func (n *Niwa) DescribeStack(t testing.TB, cli CLI, name string) Stack {
	t.Helper()
	var out struct{ Stacks []Stack }
	if err := json.Unmarshal([]byte(n.MustCLI(t, cli, "cloudformation", "describe-stacks", "--stack-name", name)), &out); err != nil || len(out.Stacks) != 1 {
		t.Fatalf("describe-stacks %s: %v %+v", name, err, out)
	}
	return out.Stacks[0]
}

// StackEvents lists a stack's events oldest first, each as "<logical id>
// <status> <reason>".
func (n *Niwa) StackEvents(t testing.TB, cli CLI, name string) []string {
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

// WriteFile writes body to a file name in a temporary directory of the
// test and answers its path.
func WriteFile(t testing.TB, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
