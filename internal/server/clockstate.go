package server

import (
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/niwa-cloud/niwa/internal/clock"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// clockState keeps how far POST /_niwa/clock/advance has moved niwa's
// clock, in niwa's own store, so that with --data-dir a restarted niwa
// goes on from the time its stored state has seen: expiries, schedules and
// timestamps written before the restart are not in the future after it.
type clockState struct {
	store storage.Store
	log   *slog.Logger
	mu    sync.Mutex
	max   time.Duration
}

// clockRecord is the stored offset, in nanoseconds.
type clockRecord struct {
	Skew int64 `json:"skew"`
}

var clockTable = storage.NewTable[clockRecord]("clock")

// platformStore is the store of what niwa itself (not a service) keeps.
const platformStore = "niwa-platform"

// savedOffsetClock is the wall clock plus the offset kept in backend.
func savedOffsetClock(backend storage.Backend, log *slog.Logger) (*clock.Offset, error) {
	st, err := backend.Store(platformStore)
	if err != nil {
		return nil, err
	}
	cs := &clockState{store: st, log: log}
	var rec clockRecord
	err = st.View(func(tx storage.Tx) error {
		r, _, err := clockTable.Get(tx, storage.Scope{}, "offset")
		rec = r
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("clock: %w", err)
	}
	cs.max = time.Duration(rec.Skew)
	if cs.max > 0 {
		log.Info("niwa's clock resumes ahead of the wall clock, as it was before the restart", "skew", cs.max.String())
	}
	return clock.NewOffsetSaved(cs.max, cs.save), nil
}

// save stores the offset unless a later Advance stored a larger one.
func (cs *clockState) save(skew time.Duration) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if skew <= cs.max {
		return
	}
	cs.max = skew
	err := cs.store.Update(func(tx storage.Tx) error {
		return clockTable.Put(tx, storage.Scope{}, clockRecord{Skew: int64(skew)}, "offset")
	})
	if err != nil {
		cs.log.Error("clock: the offset was not saved; a restart will resume at an earlier time", "err", err)
	}
}
