package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync/atomic"
)

// niwa runs with GOGC=400 (--gc-percent): its live heap is small and its
// requests allocate briefly, so collecting less often saves CPU. But with
// GOGC=400 the heap may grow to five times what is live, and with a lot
// stored (tens of thousands of objects, messages, items) that is where
// RSS went. The memory governor keeps GOGC's saving while the heap is
// small and tightens collection as it grows: after every collection it
// sets Go's soft memory limit to the larger of a floor and twice the live
// heap plus some room for the rest of the runtime, so a large heap is
// collected as with GOGC=100 and a small one as with GOGC=400.
type memoryGovernor struct {
	floor int64 // bytes; below it GOGC alone decides
	// last is the limit set most recently, for tests and the log.
	last    atomic.Int64
	samples []metrics.Sample
}

const (
	defaultMemoryFloor = 64 << 20
	// governorHeadroom covers what the runtime holds besides the heap
	// (stacks, metadata, buffers) so the limit is not hit by them alone.
	governorHeadroom = 16 << 20
)

// parseMemoryLimit reads --memory-limit: "auto" (the governor, with the
// default floor), "auto:<size>" (the governor with that floor), "off", or
// a fixed size ("512MiB", "2GiB", "300MB", bytes) set once as Go's soft
// limit. It returns the governor (nil for off or fixed) and the fixed
// limit (0 unless fixed).
func parseMemoryLimit(v string) (*memoryGovernor, int64, error) {
	switch {
	case v == "off":
		return nil, 0, nil
	case v == "auto" || v == "":
		return &memoryGovernor{floor: defaultMemoryFloor}, 0, nil
	case strings.HasPrefix(v, "auto:"):
		n, err := parseBytes(strings.TrimPrefix(v, "auto:"))
		if err != nil {
			return nil, 0, err
		}
		return &memoryGovernor{floor: n}, 0, nil
	}
	n, err := parseBytes(v)
	return nil, n, err
}

// parseBytes reads a size with an optional unit: B, KB/MB/GB (powers of
// 1000) or KiB/MiB/GiB (powers of 1024), as GOMEMLIMIT writes them.
func parseBytes(v string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1}}
	mult := int64(1)
	num := v
	for _, u := range units {
		if strings.HasSuffix(v, u.suffix) {
			mult, num = u.mult, strings.TrimSuffix(v, u.suffix)
			break
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(num), 10, 64)
	if err != nil || n <= 0 || n > (1<<50)/mult {
		return 0, fmt.Errorf("want off, auto, auto:<size> or a size such as 512MiB, got %q", v)
	}
	return n * mult, nil
}

// start sets the first limit and re-sets it after every collection.
func (g *memoryGovernor) start() {
	g.samples = []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	g.adjust()
	g.arm()
}

// arm leaves an object for the collector whose finalizer adjusts the limit
// and arms the next one: it runs once per collection, and never while
// niwa is idle and nothing is collected (no ticker to wake it).
func (g *memoryGovernor) arm() {
	sentinel := new([16]byte)
	runtime.SetFinalizer(sentinel, func(*[16]byte) {
		g.adjust()
		g.arm()
	})
}

func (g *memoryGovernor) adjust() {
	metrics.Read(g.samples)
	var live int64
	if s := g.samples[0]; s.Value.Kind() == metrics.KindUint64 {
		live = int64(s.Value.Uint64())
	}
	limit := g.limitFor(live)
	if g.last.Swap(limit) != limit {
		debug.SetMemoryLimit(limit)
	}
}

// limitFor is the soft limit for a live heap of live bytes.
func (g *memoryGovernor) limitFor(live int64) int64 {
	return max(g.floor, 2*live+governorHeadroom)
}
