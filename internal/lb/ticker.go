package lb

import (
	"sync"
	"time"

	"github.com/niwa-cloud/niwa/internal/clock"
)

// Ticker runs health-check rounds on the injected clock: every Tick of
// clock time (moved by real time or by POST /_niwa/clock/advance) it
// calls Round, in the timer's goroutine, so a move returns before the
// probes it made due have finished: callers that need their results wait
// for the state they expect. Rounds never overlap: a round due while one
// runs waits for it.
type Ticker struct {
	clock clock.Clock
	tick  time.Duration
	round func(now time.Time)

	mu      sync.Mutex // guards timer, started and stopped
	timer   clock.Timer
	started bool
	stopped bool
	run     sync.Mutex // serializes rounds
}

// NewTicker makes a stopped ticker; Start starts it.
func NewTicker(c clock.Clock, tick time.Duration, round func(now time.Time)) *Ticker {
	return &Ticker{clock: c, tick: tick, round: round}
}

// Start arms the ticker; starting a started ticker does nothing, so a
// service starts it when it first has something to check (an idle niwa
// with no load balancer is not woken every Tick).
func (t *Ticker) Start() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped || t.started {
		return
	}
	t.started = true
	t.arm()
}

// arm sets the timer of the next round; t.mu is held.
func (t *Ticker) arm() {
	t.timer = t.clock.AfterFunc(t.tick, func() {
		t.RunNow()
		t.mu.Lock()
		defer t.mu.Unlock()
		if !t.stopped {
			t.arm()
		}
	})
}

// RunNow runs one round now (tests and the first round after a
// registration call it).
func (t *Ticker) RunNow() {
	t.run.Lock()
	defer t.run.Unlock()
	t.round(t.clock.Now())
}

// Stop disarms the ticker; a round in progress finishes.
func (t *Ticker) Stop() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.stopped = true
	if t.timer != nil {
		t.timer.Stop()
	}
}

// Rounds is how many probe rounds of interval have come due between last
// and now (at least one when last is zero), capped at limit: probes
// missed while the clock jumped run now, back to back, as many as could
// still change a target's state.
func Rounds(last, now time.Time, interval time.Duration, limit int) int {
	if last.IsZero() {
		return 1
	}
	if interval <= 0 || now.Before(last.Add(interval)) {
		return 0
	}
	n := int(now.Sub(last) / interval)
	return min(n, max(limit, 1))
}
