package s3

import (
	"sync"
	"sync/atomic"

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
// notifications) reads the change.
type bucketCache struct {
	gen atomic.Uint64
	mu  sync.RWMutex
	m   map[string]cachedBucket
}

// cachedBucket is one bucket's record (ok false: no such bucket) as read
// under generation gen.
type cachedBucket struct {
	gen uint64
	rec bucketRecord
	ok  bool
}

// bucketCacheMax bounds the names kept (requests naming buckets that do
// not exist are cached too); past it the cache starts over.
const bucketCacheMax = 4096

// updateBuckets is the store's Update for a transaction that writes a
// bucket record (buckets.Put or buckets.Delete): every such write goes
// through it, so that the cached records are read again
// (TestBucketWritesMoveTheGeneration holds the package to it).
func (s *S3) updateBuckets(fn func(tx storage.Tx) error) error {
	defer s.bcache.gen.Add(1)
	return s.store.Update(fn)
}

// resetBuckets forgets every cached record: the store was emptied.
func (s *S3) resetBuckets() {
	s.bcache.gen.Add(1)
	s.bcache.mu.Lock()
	s.bcache.m = nil
	s.bcache.mu.Unlock()
}

// lookupBucket reads a bucket's record (ok false when there is no such
// bucket) through the cache. The record's slices, maps and pointers are
// shared with the cache and other requests: callers may replace its
// fields but must not modify what they reference (change a bucket with
// updateBucket, which decodes its own copy).
func (s *S3) lookupBucket(name string) (bucketRecord, bool, error) {
	c := &s.bcache
	g := c.gen.Load()
	c.mu.RLock()
	e, hit := c.m[name]
	c.mu.RUnlock()
	if hit && e.gen == g {
		return e.rec, e.ok, nil
	}
	var b bucketRecord
	var ok bool
	err := s.store.View(func(tx storage.Tx) error {
		var err error
		b, ok, err = s.records.Get(tx, globalScope(), name)
		return err
	})
	if err != nil {
		return b, false, err
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= bucketCacheMax {
		c.m = make(map[string]cachedBucket)
	}
	if cur, there := c.m[name]; !there || cur.gen <= g {
		c.m[name] = cachedBucket{gen: g, rec: b, ok: ok}
	}
	c.mu.Unlock()
	return b, ok, nil
}
