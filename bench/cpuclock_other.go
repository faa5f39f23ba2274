//go:build !linux

package main

import "time"

// processCPUClock is Linux's; elsewhere cpuTime reads /proc/<pid>/stat.
func processCPUClock(int) (time.Duration, bool) { return 0, false }
