package s3

import (
	"strings"

	"github.com/niwa-cloud/niwa/internal/storage"
)

// A request to a bucket reads its record several times: the precondition
// (Requester Pays), the bucket policy for each authorization question,
// the handler (the bucket's existence, its lifecycle rules for
// x-amz-expiration) and the access-log hook. bucketCache keeps each
// bucket's decoded record under a generation that every write of a
// bucket record moves (updateBuckets, and Reset), so those reads are a
// map lookup while no bucket changed, as the authorizer's caches are
// under IAM's write count (storage.Counting). Object writes do not move
// it: a PUT workload keeps its hits.
//
// The generation moves after the write's Update returns (committed or
// not), and a reader reads it before it reads the store: a record read
// from a snapshot older than a write is never filed under the
// generation that write made, and the request after a bucket's change
// (its policy, Block Public Access, versioning, encryption,
// notifications) reads the change (storage.GenCache's rule). The cache
// holds at most storage.DefaultGenCacheMax names (requests naming
// buckets that do not exist are cached too); past it it starts over.
type bucketCache = storage.GenCache[string, cachedBucket]

// cachedBucket is one bucket's record (ok false: no such bucket).
type cachedBucket struct {
	rec bucketRecord
	ok  bool
}

// updateBuckets is the store's Update for a transaction that writes a
// bucket record (buckets.Put or buckets.Delete): every such write goes
// through it, so that the cached records are read again
// (TestBucketWritesMoveTheGeneration holds the package to it).
func (s *S3) updateBuckets(fn func(tx storage.Tx) error) error {
	return s.bcache.Update(s.store, fn)
}

// resetBuckets forgets every cached record: the store was emptied.
func (s *S3) resetBuckets() { s.bcache.Reset() }

// lookupBucket reads a bucket's record (ok false when there is no such
// bucket) through the cache. The record's slices, maps and pointers are
// shared with the cache and other requests: callers may replace its
// fields but must not modify what they reference (change a bucket with
// updateBucket, which decodes its own copy).
func (s *S3) lookupBucket(name string) (bucketRecord, bool, error) {
	e, gen, hit := s.bcache.Lookup(name)
	if hit {
		return e.rec, e.ok, nil
	}
	return s.readBucket(name, gen)
}

// readBucket is lookupBucket's miss: the store read, kept for gen. It
// is apart so that the variables its transaction sets are allocated on
// misses only.
func (s *S3) readBucket(name string, gen uint64) (bucketRecord, bool, error) {
	var e cachedBucket
	err := s.store.View(func(tx storage.Tx) error {
		var err error
		e.rec, e.ok, err = s.records.Get(tx, globalScope(), name)
		return err
	})
	if err != nil {
		return e.rec, false, err
	}
	// The name may be a slice of the request's text; the cache keeps a
	// copy.
	s.bcache.Add(strings.Clone(name), gen, e)
	return e.rec, e.ok, nil
}
