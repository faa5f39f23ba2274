package clock

import (
	"sync"
	"testing"
	"time"
)

// frozen is an Offset whose wall clock stands still at t, so the table
// tests see only what Advance does.
func frozen(t time.Time) *Offset {
	o := NewOffset()
	o.now = func() time.Time { return t }
	return o
}

func TestOffsetAdvance(t *testing.T) {
	wall := time.Date(2026, 12, 6, 7, 0, 0, 0, time.UTC)
	cases := []struct {
		name     string
		advances []time.Duration
		wantSkew time.Duration
	}{
		{"none", nil, 0},
		{"one", []time.Duration{5 * time.Minute}, 5 * time.Minute},
		{"adds up", []time.Duration{time.Hour, 30 * time.Minute}, 90 * time.Minute},
		{"negative ignored", []time.Duration{time.Hour, -2 * time.Hour}, time.Hour},
		{"zero ignored", []time.Duration{0, time.Second}, time.Second},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := frozen(wall)
			for _, d := range c.advances {
				o.Advance(d)
			}
			if got := o.Skew(); got != c.wantSkew {
				t.Errorf("Skew = %v, want %v", got, c.wantSkew)
			}
			if got, want := o.Now(), wall.Add(c.wantSkew); !got.Equal(want) {
				t.Errorf("Now = %v, want %v", got, want)
			}
		})
	}
}

// TestOffsetFiresDueWaitersInOrder: Advance fires exactly the waiters it
// makes due, in deadline order, and leaves the others waiting.
func TestOffsetFiresDueWaitersInOrder(t *testing.T) {
	cases := []struct {
		name     string
		waits    []time.Duration
		advance  time.Duration
		wantFire []int // indices into waits, in firing order
	}{
		{"all due, reverse order registered", []time.Duration{3 * time.Hour, 2 * time.Hour, time.Hour}, 4 * time.Hour, []int{2, 1, 0}},
		{"some due", []time.Duration{time.Hour, 10 * time.Hour, 2 * time.Hour}, 2 * time.Hour, []int{0, 2}},
		{"none due", []time.Duration{time.Hour}, time.Minute, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := frozen(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
			var mu sync.Mutex
			var fired []int
			chans := make([]<-chan time.Time, len(c.waits))
			for i, d := range c.waits {
				i := i
				// After's send runs synchronously in Advance, so the order
				// of receipt is the firing order.
				ch := make(chan time.Time, 1)
				o.schedule(d, func(now time.Time) {
					mu.Lock()
					fired = append(fired, i)
					mu.Unlock()
					ch <- now
				})
				chans[i] = ch
			}
			o.Advance(c.advance)
			mu.Lock()
			defer mu.Unlock()
			if len(fired) != len(c.wantFire) {
				t.Fatalf("fired %v, want %v", fired, c.wantFire)
			}
			for k := range fired {
				if fired[k] != c.wantFire[k] {
					t.Fatalf("fired %v, want %v", fired, c.wantFire)
				}
			}
			if got, want := o.Waiters(), len(c.waits)-len(c.wantFire); got != want {
				t.Errorf("Waiters = %d, want %d", got, want)
			}
		})
	}
}

// TestOffsetAfterFuncAndStop: AfterFunc runs once due; a stopped timer
// never runs and Stop reports it.
func TestOffsetAfterFuncAndStop(t *testing.T) {
	o := NewOffset()
	ran := make(chan string, 2)
	a := o.AfterFunc(time.Hour, func() { ran <- "a" })
	b := o.AfterFunc(time.Hour, func() { ran <- "b" })
	if !b.Stop() {
		t.Fatal("Stop of a pending timer = false")
	}
	if b.Stop() {
		t.Fatal("second Stop = true")
	}
	o.Advance(time.Hour)
	select {
	case got := <-ran:
		if got != "a" {
			t.Fatalf("ran %q, want a", got)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("AfterFunc did not run after Advance")
	}
	if a.Stop() {
		t.Error("Stop after firing = true")
	}
	select {
	case got := <-ran:
		t.Fatalf("stopped timer ran: %q", got)
	default:
	}
	if n := o.Waiters(); n != 0 {
		t.Errorf("Waiters = %d, want 0", n)
	}
}

// TestOffsetWaiterFiresByRealTime: a waiter not yet due after Advance keeps
// waiting on real time, re-armed for what is left, and fires without any
// further Advance.
func TestOffsetWaiterFiresByRealTime(t *testing.T) {
	o := NewOffset()
	start := o.Now()
	ch := o.After(time.Hour + 200*time.Millisecond)
	o.Advance(time.Hour)
	select {
	case <-ch:
		t.Fatal("fired at Advance, before its deadline")
	default:
	}
	select {
	case got := <-ch:
		if got.Sub(start) < time.Hour+200*time.Millisecond {
			t.Errorf("fired at %v after start, before its deadline", got.Sub(start))
		}
	case <-time.After(30 * time.Second):
		// Without the re-arm the runtime timer would wait the full hour.
		t.Fatal("waiter due 200ms after the advance did not fire by real time")
	}
}

// TestOffsetZeroDuration: a wait of zero or less fires at once.
func TestOffsetZeroDuration(t *testing.T) {
	o := NewOffset()
	select {
	case <-o.After(0):
	default:
		t.Fatal("After(0) did not fire at once")
	}
	if o.AfterFunc(-time.Second, func() {}).Stop() {
		t.Error("Stop of a fired timer = true")
	}
}

// TestOffsetRace: concurrent Now, After, AfterFunc, Stop and Advance (run
// with -race); every waiter fires or is stopped, none is left behind.
func TestOffsetRace(t *testing.T) {
	o := NewOffset()
	var wg sync.WaitGroup
	fired := make(chan struct{}, 1000)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				d := time.Duration(i%5+1) * time.Minute
				switch (g + i) % 4 {
				case 0:
					o.Advance(time.Minute)
				case 1:
					tm := o.AfterFunc(d, func() { fired <- struct{}{} })
					if i%3 == 0 {
						tm.Stop()
					}
				case 2:
					// After is called here, not in the goroutine that
					// waits, so the waiter exists before wg.Wait returns
					// (a goroutine still starting would register it after
					// the final Advance and be left behind).
					ch := o.After(d)
					go func() { <-ch }()
				default:
					_ = o.Now()
				}
			}
		}(g)
	}
	wg.Wait()
	o.Advance(time.Hour)
	if n := o.Waiters(); n != 0 {
		t.Errorf("Waiters after advancing past every deadline = %d", n)
	}
	before := o.Now()
	o.Advance(time.Second)
	if !o.Now().After(before) {
		t.Error("time went backwards or stood still across Advance")
	}
}

func TestOffsetSavedStartsSkewedAndReportsAdvances(t *testing.T) {
	var got []time.Duration
	o := NewOffsetSaved(2*time.Hour, func(d time.Duration) { got = append(got, d) })
	if skew := o.Skew(); skew != 2*time.Hour {
		t.Fatalf("skew %s, want 2h", skew)
	}
	o.Advance(30 * time.Minute)
	o.Advance(0) // no move, nothing to save
	if len(got) != 1 || got[0] != 150*time.Minute {
		t.Fatalf("saved %v, want [2h30m]", got)
	}
	if NewOffsetSaved(-time.Hour, nil).Skew() != 0 {
		t.Fatal("a negative skew must count as none: time never goes back")
	}
}
