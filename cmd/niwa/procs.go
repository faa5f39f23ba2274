package main

import (
	"fmt"
	"math"
	"runtime"
	"runtime/metrics"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/niwa-cloud/niwa/internal/clock"
)

// niwa runs with one P (GOMAXPROCS=1) while it needs less than a core,
// and with the runtime's default as soon as it needs more.
//
// With two Ps, a ping-pong client (an SDK sending one request at a time
// on each connection, as every bench row and most test suites do) costs
// niwa more CPU per request than with one: the runtime's second M spins
// looking for work and futex-wakes threads around every request, where a
// lone M parks straight in epoll_wait (measured: 6-15% less CPU per
// request with one P on every bench row, docs/performance.md, "One P
// while niwa needs less than a core"). But one P serialises niwa's Go
// code: concurrent clients that need more than a core would be held to
// one. So the controller watches what niwa uses while it works: every
// procsInterval it reads the process's CPU time (all threads, user and
// system) and how long goroutines waited runnable, and
//
//   - with one P, raises to the runtime's default at once when the last
//     interval used procsRaiseCPU of a core or more (one P is saturated:
//     niwa may need more), or when goroutines waited runnable
//     procsRaiseBacklog deep on average two intervals in a row (more
//     runnable work than the P runs, even though a busy machine gave its
//     thread less than a core);
//   - with more, lowers to one only after procsQuiet in a row under
//     procsLowerCPU of a core with little waiting: GOMAXPROCS stops the
//     world, so it changes seldom, and a load around the threshold does
//     not flap.
//
// It never wakes an idle niwa: the sampling timer is armed by a request's
// arrival (request, the server's Config.OnRequest: one atomic load per
// request while armed) or a garbage collection (work that does not come
// through the server), and stops once an interval saw neither and
// little CPU at one P. cgo calls (DuckDB's queries) and child processes
// (Lambda runtimes, Postgres) do not hold a P; the first count in the
// process's CPU time, so they raise it like any load.
type procsController struct {
	// clock schedules the samples; read reads the process's CPU time and
	// the runtime's scheduler metrics (newProcsReader); set sets GOMAXPROCS
	// (setProcs: 0 is the runtime's default); max is the runtime's
	// default. Tests replace them.
	clock clock.Clock
	read  func() procsReading
	set   func(n int)
	max   int
	// changed, when set, is told of every change (the log).
	changed func(from, to int, cpu float64)
	// gcWake: every garbage collection counts as a request's arrival
	// (armGC), so that work which does not come through the server's
	// edge — the load balancers' listeners, event source mappings,
	// Step Functions — starts the samples too once it allocates.
	gcWake bool
	// done is set by stop; the collection hook reads it without c.mu.
	done atomic.Bool

	// seen: a request arrived since the last sample (or, idle, since
	// the controller stopped: the request that sets it starts it).
	seen atomic.Bool
	// procs is GOMAXPROCS as the controller last set it.
	procs atomic.Int32

	mu         sync.Mutex
	running    bool
	stopped    bool
	timer      clock.Timer
	last       procsReading
	lastAt     time.Time
	quietSince time.Time // zero: not in a quiet period
	deep       bool      // the last interval had a deep backlog

	// ticks counts samples taken, changes the GOMAXPROCS changes; tests.
	ticks, changes atomic.Int64
}

const (
	procsInterval = 100 * time.Millisecond
	// Raise at once when one P was saturated: the process used this much
	// of a core in the last interval.
	procsRaiseCPU = 0.9
	// Or when goroutines waited runnable this deep on average in two
	// intervals in a row: more runnable work than one P runs, though a
	// machine busy with other work gave its thread less than a core
	// (sixteen clients on a machine at load 12-20 queued 2-75 deep while
	// niwa's one thread got 0.05-0.4 of a core). A goroutine waits
	// runnable only while the P is taken, so this is niwa's own demand,
	// whatever its CPU time reads. The bench's rows, four clients one
	// request at a time, stay under it (three wait at most; the estimate
	// read up to 3.5 in one interval, never twice).
	procsRaiseBacklog = 3.0
	// Lower after procsQuiet in a row under procsLowerCPU of a core
	// with almost no goroutine waiting (less than procsLowerBacklog on
	// average): on a machine busy with other work, niwa's threads get
	// less than a core each, so its CPU time alone reads low while
	// sixteen clients still queue (in the bench, 0.13-0.39 of a core
	// with 0.7-2.9 goroutines waiting at two Ps).
	procsLowerCPU     = 0.5
	procsLowerBacklog = 0.25
	procsQuiet        = time.Second
)

// procsReading is what the controller reads: cumulative, since start.
type procsReading struct {
	cpu  time.Duration // the process's CPU time, every thread, user and system
	wait time.Duration // goroutines' time spent runnable, not running (estimated)
}

// parseProcs reads --procs: "auto" (the controller), "off" (the
// runtime's own default, no controller) or a fixed count.
func parseProcs(v string) (auto bool, n int, err error) {
	switch v {
	case "auto", "":
		return true, 0, nil
	case "off":
		return false, 0, nil
	}
	n, err = strconv.Atoi(v)
	if err != nil || n < 1 || n > 1024 {
		return false, 0, fmt.Errorf("want auto, off or a number of Ps from 1 to 1024, got %q", v)
	}
	return false, n, nil
}

// newProcsController returns the controller for this process, or nil
// when the runtime's default is already one P (nothing to choose) or
// the process's CPU time cannot be read here.
func newProcsController(clk clock.Clock) *procsController {
	max := runtime.GOMAXPROCS(0)
	if max <= 1 {
		return nil
	}
	if _, ok := processCPUTime(); !ok {
		return nil
	}
	c := &procsController{clock: clk, max: max, set: setProcs, gcWake: true}
	c.read = newProcsReader()
	return c
}

// setProcs sets GOMAXPROCS; 0 gives it back to the runtime's default
// (which keeps following the CPU count and cgroup limit).
func setProcs(n int) {
	if n == 0 {
		runtime.SetDefaultGOMAXPROCS()
		return
	}
	runtime.GOMAXPROCS(n)
}

// newProcsReader reads the process's CPU time and estimates the time
// goroutines spent runnable from /sched/latencies:seconds.
func newProcsReader() func() procsReading {
	samples := []metrics.Sample{{Name: "/sched/latencies:seconds"}}
	return func() procsReading {
		cpu, _ := processCPUTime()
		metrics.Read(samples)
		return procsReading{cpu: cpu, wait: schedWait(samples[0].Value)}
	}
}

// schedTracking is how many of a goroutine's transitions the runtime's
// scheduling-latency histogram samples one of (runtime.gTrackingPeriod).
const schedTracking = 8

// schedWait estimates the total time goroutines waited runnable from the
// scheduling-latency histogram: each sampled wait at its bucket's middle
// (the lower bound for the last, open bucket), times the sampling period.
func schedWait(v metrics.Value) time.Duration {
	if v.Kind() != metrics.KindFloat64Histogram {
		return 0
	}
	h := v.Float64Histogram()
	var s float64
	for i, n := range h.Counts {
		if n == 0 {
			continue
		}
		lo, hi := h.Buckets[i], h.Buckets[i+1]
		var mid float64
		switch {
		case math.IsInf(lo, -1):
			mid = max(hi, 0)
		case math.IsInf(hi, 1):
			mid = lo
		default:
			mid = (lo + hi) / 2
		}
		s += float64(n) * mid
	}
	return time.Duration(s * schedTracking * float64(time.Second))
}

// start runs niwa with one P until it needs more.
func (c *procsController) start() {
	c.procs.Store(int32(c.max))
	c.setTo(1, 0)
	if c.gcWake {
		c.armGC()
	}
}

// armGC leaves an object for the collector whose finalizer notes an
// arrival and arms the next one (as the memory governor does): once per
// collection, and never while niwa is idle and nothing is collected.
func (c *procsController) armGC() {
	sentinel := new([16]byte)
	runtime.SetFinalizer(sentinel, func(*[16]byte) {
		if c.done.Load() {
			return
		}
		c.request()
		c.armGC()
	})
}

// request notes a request's arrival: once per sample interval it is a
// store, otherwise a load. Idle, it starts the samples.
func (c *procsController) request() {
	if c.seen.Load() || c.seen.Swap(true) {
		return
	}
	c.mu.Lock()
	if !c.running && !c.stopped {
		c.running = true
		c.last, c.lastAt = c.read(), c.clock.Now()
		c.timer = c.clock.AfterFunc(procsInterval, c.tick)
	}
	c.mu.Unlock()
}

// stop gives GOMAXPROCS back to the runtime's default, for good (serve's
// end: in-process runs, as serve's tests make, leave the process as they
// found it).
func (c *procsController) stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stopped = true
	c.done.Store(true)
	if c.timer != nil {
		c.timer.Stop()
	}
	c.running, c.timer = false, nil
	c.setTo(0, 0)
}

// tick takes a sample, decides, and re-arms unless niwa went idle.
func (c *procsController) tick() {
	c.mu.Lock()
	defer c.mu.Unlock()
	defer c.ticks.Add(1)
	if c.stopped {
		return
	}
	busy := c.seen.Swap(false)
	now, r := c.clock.Now(), c.read()
	dt := now.Sub(c.lastAt)
	if dt <= 0 {
		dt = procsInterval
	}
	cpu := float64(r.cpu-c.last.cpu) / float64(dt)
	backlog := float64(r.wait-c.last.wait) / float64(dt)
	c.last, c.lastAt = r, now
	procs := int(c.procs.Load())
	next, deep := procsDecision(procs, cpu, backlog, c.deep)
	c.deep = deep
	switch {
	case next > 1 && procs == 1:
		c.setTo(0, cpu)
		c.quietSince, c.deep = time.Time{}, false
	case next == 1 && procs > 1:
		if c.quietSince.IsZero() {
			c.quietSince = now
		}
		if now.Sub(c.quietSince) >= procsQuiet-procsInterval {
			c.setTo(1, cpu)
			c.quietSince, c.deep = time.Time{}, false
		}
	default:
		c.quietSince = time.Time{}
	}
	if !busy && cpu < procsLowerCPU && c.procs.Load() == 1 {
		// Idle at one P: nothing to watch until the next request.
		c.running, c.timer, c.deep = false, nil, false
		return
	}
	c.timer = c.clock.AfterFunc(procsInterval, c.tick)
}

// procsDecision is what one interval says about the Ps niwa needs: more
// than one (the runtime's default, returned as 2), or one; with more
// than one, one is only the quiet side of the hysteresis (tick lowers
// after procsQuiet of them). cpu is the cores used in the interval,
// backlog the goroutines waiting runnable on average; deep says whether
// the interval's backlog was deep, wasDeep the last one's.
func procsDecision(procs int, cpu, backlog float64, wasDeep bool) (next int, deep bool) {
	if procs == 1 {
		deep = backlog >= procsRaiseBacklog
		if cpu >= procsRaiseCPU || (deep && wasDeep) {
			return 2, deep
		}
		return 1, deep
	}
	if cpu < procsLowerCPU && backlog < procsLowerBacklog {
		return 1, false
	}
	return 2, false
}

// setTo sets GOMAXPROCS to n (0: the runtime's default); c.mu is held or
// the controller not yet started.
func (c *procsController) setTo(n int, cpu float64) {
	to := n
	if n == 0 {
		to = c.max
	}
	from := int(c.procs.Load())
	if from == to {
		return
	}
	c.set(n)
	c.procs.Store(int32(to))
	c.changes.Add(1)
	if c.changed != nil {
		c.changed(from, to, cpu)
	}
}
