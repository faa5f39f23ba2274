package server

import "github.com/niwa-cloud/niwa/internal/clock"

// signingClock is the time request signatures are checked against. Clients
// sign with their own wall clock, so when niwa reads the wall clock plus
// an offset (which POST /_niwa/clock/advance grows) signatures are checked
// against the wall clock: otherwise every request after an advance of more
// than 15 minutes would be refused as skewed. A Fake clock (tests) stands
// for the clients' time too: tests sign with it. Credential expiry always
// reads niwa's clock.
func signingClock(c clock.Clock) clock.Clock {
	if _, ok := c.(*clock.Offset); ok {
		return clock.Real{}
	}
	return nil
}
