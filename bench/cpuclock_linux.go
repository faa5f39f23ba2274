package main

import (
	"syscall"
	"time"
	"unsafe"
)

// processCPUClock reads pid's process CPU-time clock: the clock id
// clock_getcpuclockid(3) computes for a pid (CPUCLOCK_SCHED of the whole
// thread group), which counts every thread's user and system time to the
// nanosecond, where /proc/<pid>/stat counts in 10 ms ticks.
func processCPUClock(pid int) (time.Duration, bool) {
	const cpuclockSched = 2
	clk := (^pid)<<3 | cpuclockSched
	var ts syscall.Timespec
	if _, _, errno := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, uintptr(clk), uintptr(unsafe.Pointer(&ts)), 0); errno != 0 {
		return 0, false
	}
	return time.Duration(ts.Nano()), true
}
