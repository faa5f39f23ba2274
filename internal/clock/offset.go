package clock

import (
	"sort"
	"sync"
	"time"
)

// Offset is the wall clock plus an offset that can only grow: the clock the
// running binary reads, so users and end-to-end tests can move niwa's time
// forward (POST /_niwa/clock/advance) while it keeps ticking by real time.
// Time never goes backwards, because expiries and schedules already passed
// cannot be undone.
//
// Each waiter holds one runtime timer armed for its remaining real time;
// Advance fires the waiters it makes due and re-arms the others for the
// shorter wait. One runtime timer per waiter (rather than one scheduler
// goroutine) needs no goroutine to start or stop, so an Offset clock never
// leaks one, and a stopped waiter frees its timer at once.
type Offset struct {
	mu      sync.Mutex
	offset  time.Duration
	waiters map[*offsetTimer]struct{}
	// now reads the wall clock; tests keep time.Now.
	now func() time.Time
	// saved, when set, is told the new offset after every Advance, so a
	// niwa with --data-dir keeps its time across a restart.
	saved func(time.Duration)
}

var _ Clock = (*Offset)(nil)

// NewOffset returns a clock that reads the wall clock with no offset yet.
func NewOffset() *Offset {
	return &Offset{waiters: map[*offsetTimer]struct{}{}, now: time.Now}
}

// NewOffsetSaved returns a clock that starts skew ahead of the wall clock
// (a negative skew counts as none) and calls saved with the offset after
// every Advance: what a restarted niwa reads back, so that the time it
// shows never goes back behind what its stored state has already seen.
func NewOffsetSaved(skew time.Duration, saved func(time.Duration)) *Offset {
	o := NewOffset()
	o.offset = max(skew, 0)
	o.saved = saved
	return o
}

type offsetTimer struct {
	clock    *Offset
	deadline time.Time
	fire     func(time.Time)
	rt       *time.Timer
	done     bool
}

// Now is the wall clock plus the offset.
func (o *Offset) Now() time.Time {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.nowLocked()
}

func (o *Offset) nowLocked() time.Time { return o.now().Add(o.offset) }

// Skew is how far the clock has been advanced past the wall clock.
func (o *Offset) Skew() time.Duration {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.offset
}

// After returns a channel that receives the time once d has passed on
// this clock, by real time or by Advance.
func (o *Offset) After(d time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	o.schedule(d, func(t time.Time) { ch <- t })
	return ch
}

// AfterFunc runs f in its own goroutine once d has passed on this clock.
func (o *Offset) AfterFunc(d time.Duration, f func()) Timer {
	return o.schedule(d, func(time.Time) { go f() })
}

func (o *Offset) schedule(d time.Duration, fire func(time.Time)) *offsetTimer {
	o.mu.Lock()
	now := o.nowLocked()
	t := &offsetTimer{clock: o, deadline: now.Add(d), fire: fire}
	if d <= 0 {
		t.done = true
		o.mu.Unlock()
		fire(now)
		return t
	}
	o.waiters[t] = struct{}{}
	t.rt = time.AfterFunc(d, t.expire)
	o.mu.Unlock()
	return t
}

// expire runs when t's runtime timer fires. Since the offset only grows, a
// runtime timer armed for the remaining real time fires when t is due or
// later; the check guards against a Reset racing a firing that was
// already on its way.
func (t *offsetTimer) expire() {
	o := t.clock
	o.mu.Lock()
	if t.done {
		o.mu.Unlock()
		return
	}
	now := o.nowLocked()
	if left := t.deadline.Sub(now); left > 0 {
		t.rt.Reset(left)
		o.mu.Unlock()
		return
	}
	t.done = true
	delete(o.waiters, t)
	o.mu.Unlock()
	t.fire(now)
}

// Stop reports whether the call stopped the timer before it fired.
func (t *offsetTimer) Stop() bool {
	o := t.clock
	o.mu.Lock()
	defer o.mu.Unlock()
	if t.done {
		return false
	}
	t.done = true
	delete(o.waiters, t)
	t.rt.Stop()
	return true
}

// Advance moves the clock forward by d (d <= 0 does nothing: time never
// goes backwards), fires every waiter now due in deadline order, and
// re-arms the others for their shorter remaining wait.
func (o *Offset) Advance(d time.Duration) {
	o.mu.Lock()
	if d > 0 {
		o.offset += d
	}
	offset := o.offset
	now := o.nowLocked()
	var due []*offsetTimer
	for w := range o.waiters {
		if left := w.deadline.Sub(now); left > 0 {
			w.rt.Reset(left)
			continue
		}
		w.done = true
		w.rt.Stop()
		delete(o.waiters, w)
		due = append(due, w)
	}
	o.mu.Unlock()
	if o.saved != nil && d > 0 {
		o.saved(offset)
	}
	sort.SliceStable(due, func(i, j int) bool { return due[i].deadline.Before(due[j].deadline) })
	for _, w := range due {
		w.fire(now)
	}
}

// Waiters is the number of pending waiters; tests use it to know a
// goroutine has started waiting before they move the clock.
func (o *Offset) Waiters() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.waiters)
}
