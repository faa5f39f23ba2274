// Package clock is the injectable source of time. Every expiry, timeout,
// schedule and state transition in niwa reads this clock, so tests and
// scenarios move time forward instead of sleeping.
package clock

import (
	"sort"
	"sync"
	"time"
)

// Clock tells the time and wakes waiters.
type Clock interface {
	Now() time.Time
	// After returns a channel that receives the time once d has passed on
	// this clock.
	After(d time.Duration) <-chan time.Time
	// AfterFunc runs f in its own goroutine once d has passed; Stop cancels.
	AfterFunc(d time.Duration, f func()) Timer
}

// Advancer is a clock that can be moved forward (never back): Fake, and
// Offset, which the running binary reads. POST /_niwa/clock/advance needs
// one.
type Advancer interface {
	Clock
	Advance(d time.Duration)
}

var (
	_ Advancer = (*Fake)(nil)
	_ Advancer = (*Offset)(nil)
)

// Timer can be stopped before it fires.
type Timer interface {
	// Stop reports whether the call stopped the timer before it fired.
	Stop() bool
}

// Real is the wall clock.
type Real struct{}

var _ Clock = Real{}

func (Real) Now() time.Time                         { return time.Now() }
func (Real) After(d time.Duration) <-chan time.Time { return time.After(d) }
func (Real) AfterFunc(d time.Duration, f func()) Timer {
	return time.AfterFunc(d, f)
}

// Fake is a clock that moves only when told to. Waiters whose deadline is
// passed by Advance or Set fire in deadline order.
type Fake struct {
	mu      sync.Mutex
	now     time.Time
	waiters []*fakeTimer
}

var _ Clock = (*Fake)(nil)

// NewFake returns a fake clock set to t.
func NewFake(t time.Time) *Fake { return &Fake{now: t} }

type fakeTimer struct {
	clock    *Fake
	deadline time.Time
	fire     func(time.Time)
	done     bool
}

func (t *fakeTimer) Stop() bool {
	t.clock.mu.Lock()
	defer t.clock.mu.Unlock()
	if t.done {
		return false
	}
	t.done = true
	return true
}

func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *Fake) After(d time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	f.schedule(d, func(t time.Time) { ch <- t })
	return ch
}

func (f *Fake) AfterFunc(d time.Duration, fn func()) Timer {
	return f.schedule(d, func(time.Time) { go fn() })
}

func (f *Fake) schedule(d time.Duration, fire func(time.Time)) *fakeTimer {
	f.mu.Lock()
	t := &fakeTimer{clock: f, deadline: f.now.Add(d), fire: fire}
	if d <= 0 {
		t.done = true
		now := f.now
		f.mu.Unlock()
		fire(now)
		return t
	}
	f.waiters = append(f.waiters, t)
	f.mu.Unlock()
	return t
}

// Advance moves the clock forward by d and fires every waiter now due.
func (f *Fake) Advance(d time.Duration) { f.Set(f.Now().Add(d)) }

// Set moves the clock to t (never backwards) and fires every waiter now due.
func (f *Fake) Set(t time.Time) {
	f.mu.Lock()
	if t.After(f.now) {
		f.now = t
	}
	now := f.now
	var due, keep []*fakeTimer
	for _, w := range f.waiters {
		switch {
		case w.done:
		case !w.deadline.After(now):
			w.done = true
			due = append(due, w)
		default:
			keep = append(keep, w)
		}
	}
	f.waiters = keep
	f.mu.Unlock()
	sort.SliceStable(due, func(i, j int) bool { return due[i].deadline.Before(due[j].deadline) })
	for _, w := range due {
		w.fire(now)
	}
}

// Waiters is the number of pending waiters; tests use it to know a
// goroutine has started waiting before they move the clock.
func (f *Fake) Waiters() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, w := range f.waiters {
		if !w.done {
			n++
		}
	}
	return n
}
