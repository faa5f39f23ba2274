package main

import (
	"crypto/sha256"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/niwa-cloud/niwa/internal/clock"
)

func TestParseProcs(t *testing.T) {
	for _, c := range []struct {
		in   string
		auto bool
		n    int
		err  bool
	}{
		{"auto", true, 0, false},
		{"", true, 0, false},
		{"off", false, 0, false},
		{"1", false, 1, false},
		{"8", false, 8, false},
		{"0", false, 0, true},
		{"-2", false, 0, true},
		{"many", false, 0, true},
		{"2.5", false, 0, true},
		{"100000", false, 0, true},
	} {
		auto, n, err := parseProcs(c.in)
		if auto != c.auto || n != c.n || (err != nil) != c.err {
			t.Errorf("parseProcs(%q) = %v, %d, %v; want %v, %d, error %v", c.in, auto, n, err, c.auto, c.n, c.err)
		}
	}
}

// TestProcsDecision: one interval's verdict, with one P and with more.
func TestProcsDecision(t *testing.T) {
	for _, c := range []struct {
		name         string
		procs        int
		cpu, backlog float64
		wasDeep      bool
		want         int
		wantDeep     bool
	}{
		{"one P, light", 1, 0.3, 0.2, false, 1, false},
		{"one P, a ping-pong client near a core", 1, 0.85, 2.8, false, 1, false},
		{"one P saturated", 1, 0.95, 0.5, false, 2, false},
		{"one P, a deep backlog once", 1, 0.45, 5, false, 1, true},
		{"one P, a deep backlog twice in a row", 1, 0.45, 5, true, 2, true},
		{"one P, a deep backlog after a shallow one", 1, 0.45, 1, true, 1, false},
		{"one P, a deep backlog at a busy machine's share", 1, 0.05, 5, true, 2, true},
		{"more, busy", 2, 1.6, 0.5, false, 2, false},
		{"more, under half a core", 2, 0.3, 0.2, false, 1, false},
		{"more, little CPU but goroutines waiting", 2, 0.4, 3, false, 2, false},
		{"more, a busy machine's share with a few waiting", 2, 0.3, 0.7, false, 2, false},
		{"more, between the thresholds", 2, 0.7, 0.2, false, 2, false},
	} {
		got, deep := procsDecision(c.procs, c.cpu, c.backlog, c.wasDeep)
		if got != c.want || deep != c.wantDeep {
			t.Errorf("%s: procsDecision(%d, %.2f, %.2f, %v) = %d, %v; want %d, %v", c.name, c.procs, c.cpu, c.backlog, c.wasDeep, got, deep, c.want, c.wantDeep)
		}
	}
}

// fakeProcs drives a controller on a fake clock with fed readings.
type fakeProcs struct {
	t   *testing.T
	clk *clock.Fake
	c   *procsController

	mu   sync.Mutex
	r    procsReading
	sets []int
}

func newFakeProcs(t *testing.T, max int) *fakeProcs {
	f := &fakeProcs{t: t, clk: clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))}
	f.c = &procsController{clock: f.clk, max: max,
		read: func() procsReading { f.mu.Lock(); defer f.mu.Unlock(); return f.r },
		set:  func(n int) { f.mu.Lock(); defer f.mu.Unlock(); f.sets = append(f.sets, n) }}
	return f
}

// interval feeds one interval's use (cores of CPU, goroutines waiting),
// a request in it when req, then moves the clock to the sample and waits
// for it; it returns GOMAXPROCS after it.
func (f *fakeProcs) interval(cpu, backlog float64, req bool) int {
	f.t.Helper()
	if f.clk.Waiters() != 1 {
		f.t.Fatalf("%d timers armed before a sample, want 1", f.clk.Waiters())
	}
	f.mu.Lock()
	f.r.cpu += time.Duration(cpu * float64(procsInterval))
	f.r.wait += time.Duration(backlog * float64(procsInterval))
	f.mu.Unlock()
	if req {
		f.c.request()
	}
	n := f.c.ticks.Load()
	f.clk.Advance(procsInterval)
	for deadline := time.Now().Add(10 * time.Second); f.c.ticks.Load() == n; {
		if time.Now().After(deadline) {
			f.t.Fatal("the sample did not run")
		}
		runtime.Gosched()
	}
	return int(f.c.procs.Load())
}

func (f *fakeProcs) setCalls() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.sets)
}

// TestProcsController: one P from the start; idle, no timer; a request
// arms the samples; light load stays at one P; a saturated interval
// raises to the runtime's default in that interval; it lowers only after
// procsQuiet of quiet intervals (a busy one in between starts the quiet
// period over); idle at one P, the timer stops until the next request.
func TestProcsController(t *testing.T) {
	f := newFakeProcs(t, 4)
	c := f.c
	c.start()
	if got := f.setCalls(); !slices.Equal(got, []int{1}) || c.procs.Load() != 1 {
		t.Fatalf("after start: set %v, procs %d; want [1], 1", got, c.procs.Load())
	}
	if f.clk.Waiters() != 0 {
		t.Fatalf("idle after start: %d timers, want none", f.clk.Waiters())
	}
	c.request()
	c.request() // a second arrival in the same interval arms nothing more
	if f.clk.Waiters() != 1 {
		t.Fatalf("after a request: %d timers, want 1", f.clk.Waiters())
	}
	// Light load: a client at 40% of a core, then one near a core with
	// the backlog four ping-pong clients make.
	for i := range 5 {
		if p := f.interval(0.4, 0.5, true); p != 1 {
			t.Fatalf("light interval %d: procs %d, want 1", i, p)
		}
	}
	if p := f.interval(0.85, 2.5, true); p != 1 {
		t.Fatalf("four clients near a core: procs %d, want 1", p)
	}
	// Saturated: raised within the interval.
	if p := f.interval(0.97, 6, true); p != 4 {
		t.Fatalf("saturated: procs %d, want 4", p)
	}
	if got := f.setCalls(); !slices.Equal(got, []int{1, 0}) {
		t.Fatalf("set %v, want [1 0] (0: the runtime's default)", got)
	}
	// Busy at four Ps, then quiet: nine quiet intervals are not enough;
	// a busy one starts the period over.
	f.interval(1.7, 0.3, true)
	for i := range 9 {
		if p := f.interval(0.2, 0, i%2 == 0); p != 4 {
			t.Fatalf("quiet interval %d: lowered early", i)
		}
	}
	f.interval(0.8, 0.2, true)
	for i := range 9 {
		if p := f.interval(0.1, 0, false); p != 4 {
			t.Fatalf("quiet interval %d after a busy one: lowered early", i)
		}
	}
	if p := f.interval(0.1, 0, false); p != 1 {
		t.Fatalf("after %v quiet: procs %d, want 1", procsQuiet, p)
	}
	if got := f.setCalls(); !slices.Equal(got, []int{1, 0, 1}) || c.changes.Load() != 3 {
		t.Fatalf("set %v (%d changes), want [1 0 1]", got, c.changes.Load())
	}
	// Idle at one P: no timer until the next request.
	if f.clk.Waiters() != 0 {
		t.Fatalf("idle at one P: %d timers, want none", f.clk.Waiters())
	}
	f.clk.Advance(time.Hour)
	if n := c.ticks.Load(); n != 28 {
		t.Fatalf("%d samples, want 28 (none while idle)", n)
	}
	// A machine busy with other work: a deep backlog at half a core
	// raises in its second interval in a row.
	c.request()
	if p := f.interval(0.45, 5, true); p != 1 {
		t.Fatalf("one interval of deep backlog: procs %d, want 1", p)
	}
	if p := f.interval(0.45, 5, true); p != 4 {
		t.Fatalf("two intervals of deep backlog: procs %d, want 4", p)
	}
	// Going idle at four Ps: the samples go on until lowered, then stop.
	for range 9 {
		f.interval(0, 0, false)
	}
	if p := f.interval(0, 0, false); p != 1 || f.clk.Waiters() != 0 {
		t.Fatalf("idle after a burst: procs %d, %d timers; want 1 and none", p, f.clk.Waiters())
	}
	// Stopped: the runtime's default, and requests no longer start it.
	c.stop()
	c.request()
	if got := f.setCalls(); got[len(got)-1] != 0 || f.clk.Waiters() != 0 {
		t.Fatalf("after stop: set %v, %d timers; want the default and none", got, f.clk.Waiters())
	}
}

// TestProcsControllerRaceOnIdle: a request that arrives while the sample
// that goes idle runs is never lost: the samples run again after it.
func TestProcsControllerRaceOnIdle(t *testing.T) {
	f := newFakeProcs(t, 2)
	c := f.c
	c.start()
	sample := func() {
		t.Helper()
		n := c.ticks.Load()
		f.clk.Advance(procsInterval)
		for deadline := time.Now().Add(10 * time.Second); c.ticks.Load() == n; runtime.Gosched() {
			if time.Now().After(deadline) {
				t.Fatal("the sample did not run")
			}
		}
	}
	for i := range 300 {
		c.request()
		sample() // takes the request: the next sample, seeing none, goes idle
		done := make(chan struct{})
		go func() { c.request(); close(done) }()
		sample()
		<-done
		// Before the sample, the request kept it going; after, it
		// started it again: either way one timer is armed.
		if f.clk.Waiters() != 1 {
			t.Fatalf("round %d: a request during the idle sample left %d timers, want 1", i, f.clk.Waiters())
		}
		for f.clk.Waiters() > 0 {
			sample()
		}
		if c.seen.Load() {
			t.Fatalf("round %d: idle with a request noted and no timer", i)
		}
	}
}

// TestProcsWokenByCollection: work that does not come through the
// server's edge (a load balancer's listener, an event source mapping)
// allocates; a collection starts the samples as a request does, and once
// stopped the hook arms nothing.
func TestProcsWokenByCollection(t *testing.T) {
	f := newFakeProcs(t, 2)
	c := f.c
	c.gcWake = true
	c.start()
	if f.clk.Waiters() != 0 {
		t.Fatalf("after start: %d timers, want none", f.clk.Waiters())
	}
	waitTimer := func() bool {
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); runtime.Gosched() {
			runtime.GC() // the finalizer runs after the collection, on its own goroutine
			if f.clk.Waiters() > 0 {
				return true
			}
		}
		return false
	}
	if !waitTimer() {
		t.Fatal("a collection armed no sample")
	}
	// Saturated by that work: raised as for requests.
	if p := f.interval(0.95, 0, false); p != 2 {
		t.Fatalf("saturated after a collection: procs %d, want 2", p)
	}
	c.stop()
	runtime.GC()
	runtime.GC()
	f.clk.Advance(time.Hour)
	c.mu.Lock()
	running := c.running
	c.mu.Unlock()
	if running {
		t.Fatal("stopped, but a collection started the samples")
	}
}

// TestProcsRaisedByParallelWork: the controller on the real runtime (its
// CPU-time and scheduler readings, runtime.GOMAXPROCS) with CPU-heavy
// work on several goroutines: one P is saturated, so GOMAXPROCS goes up
// to the runtime's default at the first sample; stopping gives the
// default back.
func TestProcsRaisedByParallelWork(t *testing.T) {
	c := newProcsController(nil)
	if c == nil {
		t.Skip("the runtime's default is one P here: nothing to raise")
	}
	clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	c.clock = clk
	max := c.max
	c.start()
	defer func() {
		c.stop()
		if n := runtime.GOMAXPROCS(0); n != max {
			t.Errorf("after stop: GOMAXPROCS %d, want the default %d", n, max)
		}
	}()
	if n := runtime.GOMAXPROCS(0); n != 1 {
		t.Fatalf("started: GOMAXPROCS %d, want 1", n)
	}
	c.request()
	// Four goroutines hash until told to stop, as four clients' CPU-heavy
	// requests would; the interval is the fake clock's, ended once the
	// process spent a whole interval of CPU time (one P's worth, at most,
	// in the interval's wall time).
	var stop atomic.Bool
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var sum [32]byte
			for !stop.Load() {
				sum = sha256.Sum256(sum[:])
			}
		}()
	}
	defer func() { stop.Store(true); wg.Wait() }()
	start, _ := processCPUTime()
	for deadline := time.Now().Add(10 * time.Second); ; runtime.Gosched() {
		if now, _ := processCPUTime(); now-start >= procsInterval {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the process did not use an interval's CPU in 10 s")
		}
	}
	clk.Advance(procsInterval)
	for deadline := time.Now().Add(10 * time.Second); c.ticks.Load() == 0; runtime.Gosched() {
		if time.Now().After(deadline) {
			t.Fatal("the sample did not run")
		}
	}
	if n := runtime.GOMAXPROCS(0); n != max {
		t.Fatalf("four goroutines of CPU work on one P: GOMAXPROCS %d, want raised to %d", n, max)
	}
}

// TestProcsSetting: --procs and GOMAXPROCS as serve applies them: auto
// runs niwa with one P (the runtime's default has more here), a number
// fixes it, and a GOMAXPROCS in the environment turns the controller off
// unless --procs is given; serve's end gives the default back.
func TestProcsSetting(t *testing.T) {
	def := runtime.GOMAXPROCS(0)
	if def == 1 {
		t.Skip("the runtime's default is one P here")
	}
	for _, c := range []struct {
		name string
		env  string // GOMAXPROCS
		args []string
		want int
	}{
		{"auto by default", "", nil, 1},
		{"fixed", "", []string{"--procs", "3"}, 3},
		{"off", "", []string{"--procs", "off"}, def},
		{"GOMAXPROCS set", "2", nil, def},
		{"GOMAXPROCS set, --procs auto given", "2", []string{"--procs", "auto"}, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			clearEnv(t)
			t.Setenv("GOMAXPROCS", c.env)
			s := startServe(t, append([]string{"--port", "0"}, c.args...)...)
			resp, err := s.get("/_niwa/health")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if n := runtime.GOMAXPROCS(0); n != c.want {
				t.Errorf("serving: GOMAXPROCS %d, want %d", n, c.want)
			}
			if code := s.stop(); code != 0 {
				t.Fatalf("exit %d", code)
			}
			if n := runtime.GOMAXPROCS(0); n != def {
				t.Errorf("after serve: GOMAXPROCS %d, want the default %d", n, def)
			}
			if strings.Contains(s.stderr.String(), "GOMAXPROCS changed") {
				t.Errorf("a change logged at info level:\n%s", s.stderr)
			}
		})
	}
}

// BenchmarkSetProcs: what a change costs (runtime.GOMAXPROCS stops the
// world), one to the default and back.
func BenchmarkSetProcs(b *testing.B) {
	defer runtime.SetDefaultGOMAXPROCS()
	for b.Loop() {
		runtime.GOMAXPROCS(1)
		runtime.SetDefaultGOMAXPROCS()
	}
}
