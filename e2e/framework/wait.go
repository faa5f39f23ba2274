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

// Patience is how long a test waits for asynchronous work (a delivery, a
// state change, a process starting) before it fails. It is generous on
// purpose: CI runs every e2e package at once on two shared cores, where a
// Lambda runtime's start or one aws CLI call can take seconds. Waits return
// as soon as their condition holds, so the deadline costs nothing when the
// work is done. Python scripts use PatienceSeconds.
const Patience = 2 * time.Minute

// PatienceSeconds is Patience for the deadlines of Python scripts
// (deadline = time.time() + 120).
const PatienceSeconds = int(Patience / time.Second)

// WaitUntil polls cond every pollInterval until it holds, and fails the
// test if timeout passes first (use Patience unless the test needs a
// longer one). cond is checked once more after the deadline, so a slow
// cond that finally holds is not a failure.
func WaitUntil(t testing.TB, timeout time.Duration, cond func() bool, what string) {
	t.Helper()
	end := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(end) {
			if cond() {
				return
			}
			t.Fatalf("condition not reached after %v: %s", timeout, what)
		}
		time.Sleep(pollInterval)
	}
}

// pollInterval is short: polls are cheap next to the work they wait for,
// and a short interval returns soon after the condition holds.
const pollInterval = 50 * time.Millisecond
