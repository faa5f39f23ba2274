package servicetest

import (
	"sync"

	"github.com/niwa-cloud/niwa/internal/storage"
)

// Faulty is a store whose transactions fail while a fault is set, for
// tests of what a service does when storage fails: a handler must return
// the error, never answer as if the records were absent.
type Faulty struct {
	storage.Store
	mu  sync.Mutex
	err error
}

// NewFaulty wraps st; it works as st until Fail.
func NewFaulty(st storage.Store) *Faulty { return &Faulty{Store: st} }

// Fail makes every View and Update fail with err from now on; Fail(nil)
// heals the store.
func (f *Faulty) Fail(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.err = err
}

func (f *Faulty) fault() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}

// View fails with the fault, else runs fn on the wrapped store.
func (f *Faulty) View(fn func(tx storage.Tx) error) error {
	if err := f.fault(); err != nil {
		return err
	}
	return f.Store.View(fn)
}

// Update fails with the fault, else runs fn on the wrapped store.
func (f *Faulty) Update(fn func(tx storage.Tx) error) error {
	if err := f.fault(); err != nil {
		return err
	}
	return f.Store.Update(fn)
}
