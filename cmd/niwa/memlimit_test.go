package main

import (
	"runtime"
	"runtime/debug"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/niwa-cloud/niwa/internal/clock"
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

func TestIdleAction(t *testing.T) {
	for _, c := range []struct {
		allocated, waste uint64
		want             idleVerdict
	}{
		{0, 0, idleNothing},
		{0, idleWaste - 1, idleNothing},
		{0, idleWaste, idleRelease},
		{idleAllocs - 1, 100 << 20, idleRelease},
		{idleAllocs, 100 << 20, idleBusy},
		{64 << 20, 0, idleBusy},
	} {
		if got := idleAction(c.allocated, c.waste); got != c.want {
			t.Errorf("allocated %d, waste %d: %v, want %v", c.allocated, c.waste, got, c.want)
		}
	}
}

// TestMemoryGovernorReleasesWhenIdle: idleAfter after a collection, a
// niwa still allocating is looked at again later; an idle one whose heap
// holds more than idleWaste not live returns it, once; an idle one with
// nothing to return is left alone, with no timer to wake it. Every idle
// check (not a busy one) releases the executable's file pages, after the
// heap's release.
func TestMemoryGovernorReleasesWhenIdle(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	var live, allocs, objects, free uint64
	var order []string
	g := &memoryGovernor{floor: 64 << 20, clock: clk, release: func() { order = append(order, "heap") },
		releaseFiles: func() int64 { order = append(order, "files"); return 0 },
		read:         func() memReading { return memReading{live: live, allocs: allocs, objects: objects, free: free} }}
	g.init()
	// check moves the clock to the idle check and waits for it (it runs
	// on the timer's goroutine), then returns the releases so far.
	check := func() int64 {
		t.Helper()
		n := g.checks.Load()
		clk.Advance(idleAfter)
		for deadline := time.Now().Add(10 * time.Second); g.checks.Load() == n; {
			if time.Now().After(deadline) {
				t.Fatal("the idle check did not run")
			}
			runtime.Gosched()
		}
		return g.releases.Load()
	}
	live, objects, allocs = 20<<20, 20<<20, 100<<20
	g.adjust() // a collection
	if clk.Waiters() != 1 {
		t.Fatalf("after a collection: %d timers, want the idle check", clk.Waiters())
	}
	// Busy: 5 MiB allocated in idleAfter, garbage piling up.
	allocs += 5 << 20
	objects += 5 << 20
	if released := check(); released != 0 || clk.Waiters() != 1 || len(order) != 0 {
		t.Fatalf("busy: %d releases (%v), %d timers; want none and the check re-armed", released, order, clk.Waiters())
	}
	// Idle with 5 MiB of garbage and 10 MiB of free pages kept.
	free = 10 << 20
	if released := check(); released != 1 || !slices.Equal(order, []string{"heap", "files"}) {
		t.Fatalf("idle with 15 MiB not live: %d releases (%v), want 1, then the files", released, order)
	}
	// The release's collection re-arms the check; if the memory is still
	// there, no second release.
	g.adjust()
	if released := check(); released != 1 || !slices.Equal(order, []string{"heap", "files", "files"}) {
		t.Fatalf("a second idle release in a row: %d (%v)", released, order)
	}
	if clk.Waiters() != 0 {
		t.Fatalf("idle: %d timers left, want none", clk.Waiters())
	}
	// Returned: a collection, then idle with nothing to return.
	objects, free = live, 0
	g.adjust()
	if released := check(); released != 1 || clk.Waiters() != 0 {
		t.Fatalf("idle with nothing to return: %d releases, %d timers", released, clk.Waiters())
	}
}

// TestMemoryGovernorRechecksFilePages: an idle niwa's periodic work maps
// file pages back (a minute after a DynamoDB workload, 5 → 26 MiB), so
// after an idle check the governor looks again every filesRecheck and
// releases them again only when they grew by filesRegrowth, never
// collecting (the heap's release stays once per idle period); a busy
// recheck goes back to the usual check, and a collection replaces it.
func TestMemoryGovernorRechecksFilePages(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	live, allocs := uint64(20<<20), uint64(100<<20)
	var fileRSS atomic.Int64
	fileRSS.Store(40 << 20)
	var released atomic.Int64
	g := &memoryGovernor{floor: 64 << 20, clock: clk, release: func() {},
		releaseFiles: func() int64 { released.Add(1); n := fileRSS.Load() - 5<<20; fileRSS.Store(5 << 20); return n },
		fileRSS:      func() int64 { return fileRSS.Load() },
		read:         func() memReading { return memReading{live: live, allocs: allocs, objects: live} }}
	g.init()
	advance := func(d time.Duration) {
		t.Helper()
		n := g.checks.Load()
		clk.Advance(d)
		for deadline := time.Now().Add(10 * time.Second); g.checks.Load() == n; {
			if time.Now().After(deadline) {
				t.Fatal("the check did not run")
			}
			runtime.Gosched()
		}
	}
	g.adjust() // a collection
	advance(idleAfter)
	if released.Load() != 1 || clk.Waiters() != 1 {
		t.Fatalf("idle check: %d file releases, %d timers; want 1 and the recheck", released.Load(), clk.Waiters())
	}
	// Nothing mapped back: no release, and still looking.
	fileRSS.Store(5<<20 + filesRegrowth - 1)
	advance(filesRecheck)
	if released.Load() != 1 || clk.Waiters() != 1 {
		t.Fatalf("recheck with the pages still away: %d file releases, %d timers; want 1, 1", released.Load(), clk.Waiters())
	}
	// Garbage piled up while idle: a recheck does not collect (once per
	// idle period), and the pages have not grown back.
	var heapReleases int
	g.release = func() { heapReleases++ }
	objects := live + 20<<20
	g.read = func() memReading { return memReading{live: live, allocs: allocs, objects: objects} }
	advance(filesRecheck)
	if heapReleases != 0 || released.Load() != 1 {
		t.Fatalf("recheck with 20 MiB of garbage: %d heap releases, %d file releases; want 0, 1", heapReleases, released.Load())
	}
	// A periodic task mapped 21 MiB back: released again.
	fileRSS.Store(26 << 20)
	advance(filesRecheck)
	if released.Load() != 2 || fileRSS.Load() != 5<<20 || clk.Waiters() != 1 {
		t.Fatalf("recheck with 21 MiB back: %d file releases, %d timers; want 2, 1", released.Load(), clk.Waiters())
	}
	// Busy at a recheck: nothing released, the usual check armed.
	allocs += 5 << 20
	fileRSS.Store(60 << 20)
	advance(filesRecheck)
	if released.Load() != 2 || clk.Waiters() != 1 {
		t.Fatalf("busy recheck: %d file releases, %d timers; want 2, 1", released.Load(), clk.Waiters())
	}
	// Then idle: the check after idleAfter releases them.
	advance(idleAfter)
	if released.Load() != 3 {
		t.Fatalf("idle after busy: %d file releases, want 3", released.Load())
	}
	// A collection replaces the recheck with the usual check.
	g.adjust()
	if clk.Waiters() != 1 {
		t.Fatalf("after a collection: %d timers, want 1", clk.Waiters())
	}
	g.mu.Lock()
	recheck := g.recheck
	g.mu.Unlock()
	if recheck {
		t.Fatal("after a collection the armed check is still the recheck")
	}
}
