package framework

import (
	"testing"
	"time"
)

// AttachRolePolicies attaches AWS managed policies (by path/name, e.g.
// "service-role/AWSLambdaSQSQueueExecutionRole") to a role: event source
// mappings need the execution role to be able to read their source.
func AttachRolePolicies(t *testing.T, n *Niwa, role string, policies ...string) {
	t.Helper()
	for _, p := range policies {
		n.MustAWS(t, "iam", "attach-role-policy", "--role-name", role, "--policy-arn", "arn:aws:iam::aws:policy/"+p)
	}
}

// WaitUntil polls cond until it holds or timeout passes.
func WaitUntil(t *testing.T, timeout time.Duration, cond func() bool, what string) {
	t.Helper()
	for end := time.Now().Add(timeout); !cond(); time.Sleep(250 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("timed out waiting: %s", what)
		}
	}
}
