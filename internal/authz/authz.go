// Package authz is what the policy engine needs besides a service's
// declared rules (kit.Authz: actions, resources, condition keys): the
// condition keys of the request's setting — the tags stored on the
// resource (aws:ResourceTag and its aliases), the VPC endpoint it came
// through (aws:SourceVpc, aws:SourceVpce), the services it came through
// (aws:CalledVia).
package authz

import "github.com/niwa-cloud/niwa/internal/kit"

// Check is one authorization question an operation asks.
type Check = kit.Check

// Env is where the request runs.
type Env = kit.Env
