package events

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/clock"
	ibus "github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/servicetest"
	"github.com/niwa-cloud/niwa/internal/storage"
)

const testAccount = "123456789012"
const testRegion = "ap-northeast-1"

var t0 = time.Date(2024, 1, 1, 10, 0, 0, 0, time.UTC)

// recorder is a fake target service: it records what the bus delivers
// to its namespace, failing while fail is set.
type recorder struct {
	mu   sync.Mutex
	msgs []ibus.Message
	fail bool
	ch   chan ibus.Message
}

func (r *recorder) Deliver(_ context.Context, m ibus.Message) error {
	r.mu.Lock()
	fail := r.fail
	if !fail && !m.Validate {
		r.msgs = append(r.msgs, m)
	}
	r.mu.Unlock()
	if fail {
		return errors.New("target unavailable")
	}
	r.ch <- m
	return nil
}

type fixture struct {
	*Events
	t     *testing.T
	h     *servicetest.Harness
	clock *clock.Fake
	bus   *ibus.Bus
	store storage.Store
	ctx   *request.Context
	sqs   *recorder
	lam   *recorder
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	return newFixtureOn(t, servicetest.New(t, "events", servicetest.At(t0),
		servicetest.InAccount(testAccount), servicetest.InRegion(testRegion)))
}

// newFixtureOn starts a service on h's storage and clock (a second one is
// a restarted niwa).
func newFixtureOn(t *testing.T, h *servicetest.Harness) *fixture {
	b := ibus.New()
	st, clk := h.Store(), h.Clock
	f := &fixture{t: t, h: h, clock: clk, bus: b, store: st,
		sqs: &recorder{ch: make(chan ibus.Message, 100)}, lam: &recorder{ch: make(chan ibus.Message, 100)}}
	b.Handle("sqs", f.sqs)
	b.Handle("lambda", f.lam)
	f.Events = New(st, b, clk)
	cancel := f.Events.Subscribe()
	b.Handle("events", f.Events.Handler())
	t.Cleanup(func() { cancel(); _ = f.Events.Close() })
	f.ctx = h.Ctx()
	return f
}

// next waits for the next delivery to r (a goroutine delivers it).
func (f *fixture) next(r *recorder) ibus.Message {
	f.t.Helper()
	select {
	case m := <-r.ch:
		return m
	case <-time.After(time.Minute): // generous for a loaded machine; returns at the delivery
		f.t.Fatal("no delivery")
	}
	return ibus.Message{}
}

// none checks that nothing is delivered to r once the queue drained.
func (f *fixture) none(r *recorder) {
	f.t.Helper()
	f.drain()
	select {
	case m := <-r.ch:
		f.t.Fatalf("unexpected delivery: %+v", m)
	default:
	}
}

// drain waits until everything queued has been dispatched and delivered.
func (f *fixture) drain() {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // returns as soon as drained
	defer cancel()
	if err := f.Flush(ctx); err != nil {
		f.t.Fatal(err)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func wantErr(t *testing.T, err error, code, msgPart string) {
	t.Helper()
	ae := awserr.As(err)
	if ae == nil {
		t.Fatalf("err = %v, want %s", err, code)
	}
	if ae.Code.Code != code || !strings.Contains(ae.Message, msgPart) {
		t.Fatalf("err = %s: %s, want %s containing %q", ae.Code.Code, ae.Message, code, msgPart)
	}
}
