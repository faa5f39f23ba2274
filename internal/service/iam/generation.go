package iam

import (
	"sync/atomic"

	"github.com/niwa-cloud/niwa/internal/storage"
)

// genStore counts the writes to IAM's store: everything that decides
// what a principal may do (its policies, groups, boundary, tags, the
// managed policies' versions) is a record of this store, so a cache of
// anything derived from them is current while the count is unchanged.
// The count moves after each Update returns, committed or not, so a
// reader that reads it before reading the store never keeps a result
// derived from a snapshot older than the count it is filed under.
type genStore struct {
	storage.Store
	gen *atomic.Uint64
}

func (g genStore) Update(fn func(tx storage.Tx) error) error {
	defer g.gen.Add(1)
	return g.Store.Update(fn)
}

// Generation is the number of writes to IAM's state so far (and resets
// of it): read it before reading what the authorizer caches, and the
// cached value is current while Generation still returns the same.
func (s *IAM) Generation() uint64 { return s.gen.Load() }

// reset is the service's Reset: the store was emptied under it.
func (s *IAM) reset() error {
	s.gen.Add(1)
	return nil
}
