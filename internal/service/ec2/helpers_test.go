package ec2

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/clock"
	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/servicetest"
	"github.com/niwa-cloud/niwa/internal/storage"
)

const testAccount = "123456789012"

var t0 = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)

type fixture struct {
	*EC2
	t      *testing.T
	store  storage.Store
	clock  *clock.Fake
	bus    *events.Bus
	ctx    *request.Context
	events chan events.Event
}

func newFixture(t *testing.T, region string) *fixture {
	t.Helper()
	h := servicetest.New(t, "ec2", servicetest.At(t0), servicetest.InAccount(testAccount), servicetest.InRegion(region))
	f := &fixture{t: t, store: h.Store(), clock: h.Clock, bus: events.New(), events: make(chan events.Event, 64)}
	f.bus.Subscribe(func(e events.Event) { f.events <- e })
	f.EC2 = f.start()
	f.ctx = h.Ctx()
	return f
}

// start builds a service on the fixture's store, as a (re)started niwa.
func (f *fixture) start() *EC2 {
	s, err := New(f.store, f.bus, f.clock, Options{BootDelay: 5 * time.Second, StopDelay: 10 * time.Second})
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { _ = s.Close() })
	return s
}

// nextEvent waits for the next published event. Timers of the fake clock
// run their functions on goroutines, so the event arrives shortly after
// the clock moves; nothing here waits for clock time.
func (f *fixture) nextEvent() events.Event {
	f.t.Helper()
	select {
	case e := <-f.events:
		return e
	case <-time.After(5 * time.Second):
		f.t.Fatal("no event published")
	}
	return events.Event{}
}

func (f *fixture) noEvent() {
	f.t.Helper()
	select {
	case e := <-f.events:
		f.t.Fatalf("unexpected event %s %s", e.DetailType, e.Detail)
	case <-time.After(50 * time.Millisecond):
	}
}

func stateDetail(t *testing.T, e events.Event) (id, state string) {
	t.Helper()
	var d map[string]string
	if err := json.Unmarshal(e.Detail, &d); err != nil {
		t.Fatal(err)
	}
	return d["instance-id"], d["state"]
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(fmt.Sprintf("unexpected error: %v", err))
	}
	return v
}

func wantErr(t *testing.T, err error, code, msg string) {
	t.Helper()
	var e *awserr.Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v, want %s", err, code)
	}
	if e.Code.Code != code {
		t.Fatalf("code = %s (%q), want %s", e.Code.Code, e.Message, code)
	}
	if msg != "" && e.Message != msg {
		t.Errorf("message = %q, want %q", e.Message, msg)
	}
}
