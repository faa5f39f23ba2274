// Package servicetest is the harness of service unit tests: memory (or,
// for restart tests, on-disk) storage closed when the test ends, a fake
// clock, and request contexts as the gateway would build them for a
// principal in an account and region. Tests call handlers directly with
// these contexts; the harness keeps them from each writing the same setup.
package servicetest

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/niwa-cloud/niwa/internal/clock"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// The account and region a harness uses unless told otherwise.
const (
	DefaultAccount = "123456789012"
	DefaultRegion  = "us-east-1"
	// DefaultRequestID is the request id of every context.
	DefaultRequestID = "req-1"
)

// Epoch is where a harness's fake clock starts unless told otherwise: a
// fixed time, so what a test sees does not depend on when it runs.
func Epoch() time.Time { return time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC) }

// Harness holds one test's storage, clock and request defaults.
type Harness struct {
	tb testing.TB
	// Backend is the storage backend, closed when the test ends.
	Backend storage.Backend
	// Clock is the fake clock every context carries.
	Clock *clock.Fake
	// Log is every context's logger (discards unless WithLog).
	Log *slog.Logger
	// Service names the service in contexts and the store Store opens.
	Service string
	// Account and Region are the default scope of contexts.
	Account, Region string

	start   time.Time
	dataDir string
}

// Option changes a harness's defaults.
type Option func(*Harness)

// At starts the fake clock at t.
func At(t time.Time) Option { return func(h *Harness) { h.start = t } }

// WithClock makes the harness use c (shared with another harness, or one
// a restarted service must keep).
func WithClock(c *clock.Fake) Option { return func(h *Harness) { h.Clock = c } }

// InAccount makes account the default account of contexts.
func InAccount(account string) Option { return func(h *Harness) { h.Account = account } }

// InRegion makes region the default region of contexts.
func InRegion(region string) Option { return func(h *Harness) { h.Region = region } }

// WithLog gives contexts log instead of a discarding logger.
func WithLog(log *slog.Logger) Option { return func(h *Harness) { h.Log = log } }

// OnDisk keeps storage in dir, so a test can close the backend and open
// it again (Reopen) as a restarted niwa would.
func OnDisk(dir string) Option { return func(h *Harness) { h.dataDir = dir } }

// New returns a harness for service (the name of its store and of the
// service in contexts), with storage open until the test ends.
func New(tb testing.TB, service string, opts ...Option) *Harness {
	tb.Helper()
	h := &Harness{tb: tb, Service: service, Account: DefaultAccount, Region: DefaultRegion,
		Log: slog.New(slog.DiscardHandler), start: Epoch()}
	for _, o := range opts {
		o(h)
	}
	if h.Clock == nil {
		h.Clock = clock.NewFake(h.start)
	}
	h.open()
	return h
}

func (h *Harness) open() {
	h.tb.Helper()
	b, err := storage.Open(storage.Options{DataDir: h.dataDir})
	if err != nil {
		h.tb.Fatalf("servicetest: open storage: %v", err)
	}
	h.Backend = b
	h.tb.Cleanup(func() {
		// A second Close (after Reopen) does nothing and returns nil.
		if err := b.Close(); err != nil {
			h.tb.Errorf("servicetest: close storage: %v", err)
		}
	})
}

// Reopen closes the backend and opens it again on the same data
// directory (OnDisk): what a service finds after a restart.
func (h *Harness) Reopen() {
	h.tb.Helper()
	if h.dataDir == "" {
		h.tb.Fatal("servicetest: Reopen needs OnDisk storage")
	}
	if err := h.Backend.Close(); err != nil {
		h.tb.Fatalf("servicetest: close storage: %v", err)
	}
	h.open()
}

// Store returns the service's store.
func (h *Harness) Store() storage.Store { return h.StoreNamed(h.Service) }

// StoreNamed returns the store called name (a test wiring two services).
func (h *Harness) StoreNamed(name string) storage.Store {
	h.tb.Helper()
	st, err := h.Backend.Store(name)
	if err != nil {
		h.tb.Fatalf("servicetest: store %q: %v", name, err)
	}
	return st
}

// Root is the root user of account, the principal of most tests.
func Root(account string) request.Caller {
	return request.Caller{Account: account, ARN: "arn:aws:iam::" + account + ":root", UserID: account}
}

// Ctx is a request context of the root user of the harness's account, in
// its region.
func (h *Harness) Ctx() *request.Context { return h.CtxAs(Root(h.Account)) }

// CtxAs is a request context of caller, scoped to the caller's account
// (the harness's when the caller has none) and the harness's region.
func (h *Harness) CtxAs(caller request.Caller) *request.Context {
	account := caller.Account
	if account == "" {
		account = h.Account
	}
	return &request.Context{
		Context: context.Background(), RequestID: DefaultRequestID, Service: h.Service,
		Account: account, Region: h.Region, Caller: caller, Clock: h.Clock, Log: h.Log,
	}
}
