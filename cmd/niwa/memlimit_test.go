package main

import (
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

func TestParseMemoryLimit(t *testing.T) {
	for _, c := range []struct {
		in     string
		floor  int64 // 0: no governor
		fixed  int64
		errors bool
	}{
		{in: "auto", floor: defaultMemoryFloor},
		{in: "", floor: defaultMemoryFloor},
		{in: "auto:128MiB", floor: 128 << 20},
		{in: "off"},
		{in: "512MiB", fixed: 512 << 20},
		{in: "2GiB", fixed: 2 << 30},
		{in: "300MB", fixed: 300e6},
		{in: "1048576", fixed: 1 << 20},
		{in: "-5MiB", errors: true},
		{in: "lots", errors: true},
		{in: "auto:zero", errors: true},
		{in: "99999999999GiB", errors: true},
	} {
		g, fixed, err := parseMemoryLimit(c.in)
		if (err != nil) != c.errors {
			t.Errorf("%q: err %v", c.in, err)
			continue
		}
		if c.errors {
			continue
		}
		if fixed != c.fixed {
			t.Errorf("%q: fixed %d, want %d", c.in, fixed, c.fixed)
		}
		if (g != nil) != (c.floor != 0) || (g != nil && g.floor != c.floor) {
			t.Errorf("%q: governor %+v, want floor %d", c.in, g, c.floor)
		}
	}
}

// TestMemoryGovernorFollowsTheLiveHeap: the limit stays at the floor for
// a small heap, grows with a large live heap (twice it, plus headroom),
// and is re-set after collections.
func TestMemoryGovernorFollowsTheLiveHeap(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	g := &memoryGovernor{floor: 64 << 20}
	if got := g.limitFor(1 << 20); got != 64<<20 {
		t.Fatalf("small heap: limit %d, want the floor", got)
	}
	if got := g.limitFor(100 << 20); got != 200<<20+governorHeadroom {
		t.Fatalf("100 MiB live: limit %d", got)
	}
	g.start()
	before := g.last.Load()
	live := make([][]byte, 0, 64)
	for range 64 {
		live = append(live, make([]byte, 1<<20))
	}
	// Each collection queues the sentinel's finalizer, which runs soon
	// after on the finalizer goroutine: collect until it has.
	deadline := time.Now().Add(30 * time.Second)
	for g.last.Load() < 2*(64<<20) && time.Now().Before(deadline) {
		runtime.GC()
		runtime.Gosched()
	}
	after := g.last.Load()
	if after < 2*(64<<20) {
		t.Fatalf("with 64 MiB live the limit is %d (was %d): the governor did not follow the heap", after, before)
	}
	if debug.SetMemoryLimit(-1) != after {
		t.Fatal("the runtime's limit is not the governor's")
	}
	runtime.KeepAlive(live)
}
