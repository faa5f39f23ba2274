//go:build !unix

package main

import "time"

// processCPUTime is not read here: the GOMAXPROCS controller stays off and
// the runtime's default applies.
func processCPUTime() (time.Duration, bool) { return 0, false }
