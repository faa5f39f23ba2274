package sts

import (
	"sync/atomic"

	"github.com/niwa-cloud/niwa/internal/storage"
)

// genStore counts the writes to STS's store (the temporary credentials
// it issued), as IAM's does: a cache of what a credential says is
// current while the count is unchanged. The count moves after each
// Update returns, so a reader reading it before the store never files a
// result under a count newer than its snapshot.
type genStore struct {
	storage.Store
	gen *atomic.Uint64
}

func (g genStore) Update(fn func(tx storage.Tx) error) error {
	defer g.gen.Add(1)
	return g.Store.Update(fn)
}

// Generation is the number of writes to STS's state so far (and resets
// of it).
func (s *STS) Generation() uint64 { return s.gen.Load() }

// reset is the service's Reset: the store was emptied under it.
func (s *STS) reset() error {
	s.gen.Add(1)
	return nil
}
