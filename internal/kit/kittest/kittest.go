// Package kittest checks a service's declared authorization rules in its
// own tests: a table of operations, typed inputs and the action and
// resource each must be checked on.
package kittest

import (
	"testing"

	"github.com/niwa-cloud/niwa/internal/kit"
)

// Case is one operation call and the first check it must ask: Action
// (when not empty) on Resource.
type Case struct {
	Op       string
	In       any
	Action   string
	Resource string
}

// The account and region the cases run in.
const (
	Account = "123456789012"
	Region  = "us-east-1"
)

// Resources fails t for each case whose first check is not the one
// wanted, for service under rules, in Account and Region.
func Resources(t *testing.T, rules kit.Authz, service string, cases []Case) {
	t.Helper()
	for _, c := range cases {
		checks := rules.Checks(service, c.Op, c.In, kit.Env{Account: Account, Region: Region})
		if len(checks) == 0 {
			t.Errorf("%s %+v: no check", c.Op, c.In)
			continue
		}
		got := checks[0]
		if got.Resource != c.Resource || (c.Action != "" && got.Action != c.Action) {
			t.Errorf("%s %+v: %s on %s, want %s on %s", c.Op, c.In, got.Action, got.Resource, c.Action, c.Resource)
		}
	}
}
