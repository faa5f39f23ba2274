package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/niwa-cloud/niwa/internal/clock"
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
//
// Between collections the heap holds garbage and freed pages the runtime
// keeps for the next allocations; under load that is the price of
// collecting seldom, but when niwa goes idle nothing will reuse them and
// no collection comes to shrink them. So the governor also watches for
// idleness: idleAfter after a collection, if less than idleAllocs was
// allocated since and more than idleWaste of the heap is not live, niwa
// is idle with memory to give back, and it collects and returns the free
// pages to the OS (debug.FreeOSMemory). It is a timer re-set at each
// collection, so an idle niwa collects at most once for it (the check
// and, after the release's collection, one more that finds nothing to
// do); the file-page recheck below then wakes it every filesRecheck,
// for a read of /proc/self/statm.
//
// An idle check also unmaps the pages of niwa's executable and shared
// libraries mapped so far (releaseFilePages): clean file pages that stay
// in the page cache and come back on the next access, but that an idle
// process need not hold; most of an idle niwa's RSS was these. They do
// not stay away by themselves: an idle niwa still runs periodic work
// (DynamoDB's TTL sweep and CloudWatch's tick each minute, the load
// balancers' health checks every 5 s), and each page of code or tables
// it touches maps back a whole folio of the page cache (up to 2 MiB): a
// minute after a DynamoDB workload an idle niwa's file-backed RSS went
// from 5 back to 26 MiB, with no collection to arm another check. So
// after an idle check the governor looks again every filesRecheck while
// idle, and releases the file pages again when they grew by
// filesRegrowth (reading /proc/self/statm, a few microseconds).
type memoryGovernor struct {
	floor int64 // bytes; below it GOGC alone decides
	// last is the limit set most recently, for tests and the log.
	last atomic.Int64

	// clock schedules the idle check (nil: none); release returns the
	// memory (debug.FreeOSMemory); read reads the runtime's metrics
	// (readRuntime). Tests replace them.
	clock   clock.Clock
	release func()
	read    func() memReading
	// releaseFiles unmaps the executable's and libraries' clean pages
	// (releaseFilePages); nil: none. After start it runs on a goroutine
	// of its own that idle checks wake (filesWake): the goroutine an
	// idle check runs on exits after it, and a goroutine's exit looks
	// its function up in the function table, mapping back pages of it
	// (up to 2 MiB each, with the page cache's large folios) the release
	// had just unmapped; a parked goroutine touches nothing.
	releaseFiles func() int64 // the resident bytes released
	filesWake    chan struct{}
	// fileRSS reads the file-backed resident bytes (fileResident; nil:
	// never re-release on a recheck); filesAfter is its reading after
	// the last file release.
	fileRSS    func() int64
	filesAfter atomic.Int64

	mu      sync.Mutex
	samples []metrics.Sample
	timer   clock.Timer
	// allocs is the heap's cumulative allocation when the idle check was
	// armed.
	allocs uint64
	// released: the last check released; the next idle one does not
	// again, so that memory the collection cannot free (or a wrong
	// reading) never makes an idle niwa collect every idleAfter.
	released bool
	// recheck: the armed timer is a file-page recheck (filesRecheck
	// after an idle check), not the check after a collection.
	recheck bool
	// releases counts idle releases, fileReleases the idle checks that
	// released file pages and checks the idle checks done, for tests.
	releases, fileReleases, checks atomic.Int64
}

const (
	defaultMemoryFloor = 64 << 20
	// governorHeadroom covers what the runtime holds besides the heap
	// (stacks, metadata, buffers) so the limit is not hit by them alone.
	governorHeadroom = 16 << 20

	// The idle release: idleAfter without a collection and with less
	// than idleAllocs allocated is idle; more than idleWaste of heap not
	// live (free pages kept plus garbage not yet collected) is worth a
	// collection to give back.
	idleAfter  = time.Second
	idleAllocs = 1 << 20
	idleWaste  = 8 << 20

	// While idle, the file pages are looked at every filesRecheck and
	// released again once they grew by filesRegrowth.
	filesRecheck  = 2 * time.Second
	filesRegrowth = 4 << 20
)

// The metrics the governor reads, in g.samples' order.
const (
	sampleLive    = iota // /gc/heap/live:bytes: live heap at the last collection
	sampleAllocs         // cumulative bytes allocated
	sampleObjects        // live objects and garbage not yet swept
	sampleFree           // free heap pages kept, not returned to the OS
)

var governorMetrics = [...]string{
	sampleLive:    "/gc/heap/live:bytes",
	sampleAllocs:  "/gc/heap/allocs:bytes",
	sampleObjects: "/memory/classes/heap/objects:bytes",
	sampleFree:    "/memory/classes/heap/free:bytes",
}

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
		return newMemoryGovernor(defaultMemoryFloor), 0, nil
	case strings.HasPrefix(v, "auto:"):
		n, err := parseBytes(strings.TrimPrefix(v, "auto:"))
		if err != nil {
			return nil, 0, err
		}
		return newMemoryGovernor(n), 0, nil
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

func newMemoryGovernor(floor int64) *memoryGovernor {
	return &memoryGovernor{floor: floor, clock: clock.Real{}, release: debug.FreeOSMemory,
		releaseFiles: func() int64 { n, _ := releaseFilePages(); return n }, fileRSS: fileResident}
}

// memReading is what the governor reads of the runtime, in bytes.
type memReading struct {
	live    uint64 // live heap at the last collection
	allocs  uint64 // allocated since the start
	objects uint64 // heap objects: live ones and garbage not yet swept
	free    uint64 // free heap pages kept, not returned to the OS
}

// init prepares the samples (and read, when not set).
func (g *memoryGovernor) init() {
	g.samples = make([]metrics.Sample, len(governorMetrics))
	for i, name := range governorMetrics {
		g.samples[i].Name = name
	}
	if g.read == nil {
		g.read = g.readRuntime
	}
}

// readRuntime reads the runtime's metrics; g.mu is held.
func (g *memoryGovernor) readRuntime() memReading {
	metrics.Read(g.samples)
	return memReading{live: g.sample(sampleLive), allocs: g.sample(sampleAllocs),
		objects: g.sample(sampleObjects), free: g.sample(sampleFree)}
}

// start sets the first limit and re-sets it after every collection.
func (g *memoryGovernor) start() {
	g.init()
	if g.releaseFiles != nil {
		g.filesWake = make(chan struct{}, 1)
		go func() {
			for range g.filesWake {
				g.releaseFilesNow()
			}
		}()
	}
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
	g.mu.Lock()
	defer g.mu.Unlock()
	m := g.read()
	limit := g.limitFor(int64(m.live))
	if g.last.Swap(limit) != limit {
		debug.SetMemoryLimit(limit)
	}
	g.armIdleCheck(m.allocs)
}

func (g *memoryGovernor) sample(i int) uint64 {
	if v := g.samples[i].Value; v.Kind() == metrics.KindUint64 {
		return v.Uint64()
	}
	return 0
}

// armIdleCheck (re)starts the idle timer from now, when allocs had been
// allocated; g.mu is held.
func (g *memoryGovernor) armIdleCheck(allocs uint64) {
	if g.clock == nil {
		return
	}
	if g.timer != nil {
		g.timer.Stop()
	}
	g.allocs = allocs
	g.recheck = false
	g.timer = g.clock.AfterFunc(idleAfter, g.idleCheck)
}

// armFilesRecheck arms the file-page recheck; g.mu is held.
func (g *memoryGovernor) armFilesRecheck(allocs uint64) {
	if g.timer != nil {
		g.timer.Stop()
	}
	g.allocs = allocs
	g.recheck = true
	g.timer = g.clock.AfterFunc(filesRecheck, g.idleCheck)
}

// releaseFilesNow releases the file pages and notes what stayed: read
// before the release less what it released, since reading them after it
// would map the reading's own code back (whole folios of it).
func (g *memoryGovernor) releaseFilesNow() {
	var before int64
	if g.fileRSS != nil {
		before = g.fileRSS()
	}
	released := g.releaseFiles()
	if g.fileRSS != nil {
		g.filesAfter.Store(max(before-released, 0))
	}
}

// idleCheck runs idleAfter after a collection (or the previous check).
func (g *memoryGovernor) idleCheck() {
	g.mu.Lock()
	m := g.read()
	allocated := m.allocs - g.allocs
	waste := m.objects + m.free - min(m.live, m.objects)
	act := idleAction(allocated, waste)
	recheck := g.recheck
	if act == idleRelease && (g.released || recheck) {
		// Once per idle period: a recheck is about the file pages only,
		// so that memory a collection cannot free (or a wrong reading)
		// never makes an idle niwa collect every filesRecheck.
		act = idleNothing
	}
	g.released = act == idleRelease
	switch {
	case act == idleBusy:
		// Allocating, but not enough for a collection: look again later.
		g.armIdleCheck(m.allocs)
	case g.releaseFiles != nil && g.fileRSS != nil:
		// Idle: look at the file pages again later (a collection, as
		// the heap's release makes, re-arms the usual check instead).
		g.armFilesRecheck(m.allocs)
	}
	g.mu.Unlock()
	if act == idleRelease {
		g.releases.Add(1)
		g.release() // its collection re-arms the check through adjust
	}
	if act != idleBusy && g.releaseFiles != nil && (!recheck || g.fileRSS() >= g.filesAfter.Load()+filesRegrowth) {
		// After the heap's release, so that the pages its collection
		// touched go as well; on a recheck, only if they grew back.
		g.fileReleases.Add(1)
		if g.filesWake != nil {
			select {
			case g.filesWake <- struct{}{}:
			default: // a release is already due
			}
		} else {
			g.releaseFilesNow()
		}
	}
	g.checks.Add(1)
}

type idleVerdict int

const (
	idleNothing idleVerdict = iota // idle, and nothing worth returning
	idleBusy                       // still allocating
	idleRelease                    // idle with memory to return
)

// idleAction decides, idleAfter after a collection or check, from what
// was allocated since and the heap's bytes that are not live.
func idleAction(allocated, waste uint64) idleVerdict {
	switch {
	case allocated >= idleAllocs:
		return idleBusy
	case waste >= idleWaste:
		return idleRelease
	}
	return idleNothing
}

// limitFor is the soft limit for a live heap of live bytes.
func (g *memoryGovernor) limitFor(live int64) int64 {
	return max(g.floor, 2*live+governorHeadroom)
}
