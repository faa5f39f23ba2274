package storage

import "sync/atomic"

// Counting is a Store that counts its Updates in Writes: a service whose
// state other parts of niwa cache derived values of (IAM's policies,
// STS's credentials, read by the authorizer) wraps its store in one, and
// a cached value is current while the count it was filed under is. The
// count moves after each Update returns, committed or not, so a reader
// that reads the count before reading the store never files a result
// under a count newer than the snapshot it read.
type Counting struct {
	Store
	Writes *atomic.Uint64
}

var _ Store = Counting{}

// Update runs fn on the wrapped store, then counts the write.
func (c Counting) Update(fn func(tx Tx) error) error {
	defer c.Writes.Add(1)
	return c.Store.Update(fn)
}
