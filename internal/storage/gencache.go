package storage

import (
	"sync"
	"sync/atomic"
)

// GenCache keeps values derived from stored records (a bucket's decoded
// record, a queue's view, an IAM role as GetRole answers it) between the
// writes that could change them, so that a record read on every request
// is a map lookup while nothing wrote it.
//
// A generation counts those writes: every transaction that may write a
// cached record runs through Update (or is followed by Changed), which
// moves the generation once the transaction has returned, committed or
// not; Reset moves it too. Each entry carries the generation it was read
// at and is used only while the generation is still that one. Readers
// take the generation before they read the store (Lookup returns it, Get
// does it for them), so a value read from a snapshot older than a write
// is never filed under the generation that write made: the request after
// a change has been answered reads the change, whatever the readers
// racing with it saw. The cache holds no value a plain read of the store
// would not give, only a read that may be older than the last write
// still in flight, as any read racing a write may be.
//
// The generation may instead be a counter the caller owns (Writes in
// [GenCacheOptions]), such as the count of a [Counting] store wrapping
// every write of a service: then every write of that store makes every
// entry stale.
//
// The values are shared by every reader: callers must treat them (and
// whatever they reference) as read-only, and change records by reading
// them from the store.
//
// The zero GenCache is ready to use, with its own generation, at most
// [DefaultGenCacheMax] entries and keys kept as given. A GenCache belongs
// to one service instance (never a package variable), is safe for
// concurrent use and must not be copied.
type GenCache[K comparable, V any] struct {
	gen      *atomic.Uint64 // nil: own
	own      atomic.Uint64
	max      int
	cloneKey func(K) K

	mu sync.RWMutex
	m  map[K]genEntry[V]
}

type genEntry[V any] struct {
	gen uint64
	v   V
}

// DefaultGenCacheMax bounds a GenCache whose options give no bound.
const DefaultGenCacheMax = 4096

// GenCacheOptions configure NewGenCache.
type GenCacheOptions[K comparable] struct {
	// Max bounds the entries kept (DefaultGenCacheMax when 0): a Get
	// that would add one past it empties the cache first.
	Max int
	// Writes, when set, is the generation: a counter the caller moves
	// after each write (storage.Counting's Writes). Update and Changed
	// move it too.
	Writes *atomic.Uint64
	// CloneKey, when set, is applied to a key before the cache keeps it:
	// keys whose strings are slices of a request's buffer are copied so
	// that the cache does not keep the buffer.
	CloneKey func(K) K
}

// NewGenCache returns a cache configured by o.
func NewGenCache[K comparable, V any](o GenCacheOptions[K]) *GenCache[K, V] {
	return &GenCache[K, V]{gen: o.Writes, max: o.Max, cloneKey: o.CloneKey}
}

func (c *GenCache[K, V]) counter() *atomic.Uint64 {
	if c.gen != nil {
		return c.gen
	}
	return &c.own
}

// Generation is the current generation: the number of writes (and
// resets) so far.
func (c *GenCache[K, V]) Generation() uint64 { return c.counter().Load() }

// Lookup returns the value kept for k when it was read at the current
// generation. gen is that generation, read before the map: a caller that
// misses reads the store next and files what it read with Add(k, gen, v).
func (c *GenCache[K, V]) Lookup(k K) (v V, gen uint64, ok bool) {
	gen = c.counter().Load()
	c.mu.RLock()
	e, hit := c.m[k]
	c.mu.RUnlock()
	if hit && e.gen == gen {
		return e.v, gen, true
	}
	return v, gen, false
}

// Add files v, read from the store after Lookup returned gen, for k. It
// keeps nothing when gen is no longer the generation (a write has moved
// it since: v may predate the write) or when the entry kept for k was
// read at a newer generation.
func (c *GenCache[K, V]) Add(k K, gen uint64, v V) {
	cnt := c.counter()
	if cnt.Load() != gen {
		return
	}
	if c.cloneKey != nil {
		k = c.cloneKey(k)
	}
	max := c.max
	if max <= 0 {
		max = DefaultGenCacheMax
	}
	c.mu.Lock()
	cur, there := c.m[k]
	switch {
	case there && cur.gen > gen:
	case c.m == nil || !there && len(c.m) >= max:
		c.m = map[K]genEntry[V]{k: {gen, v}}
	default:
		c.m[k] = genEntry[V]{gen, v}
	}
	c.mu.Unlock()
}

// Get returns the value kept for k, or calls read (which reads the
// store) and keeps what it returns. An error is returned and not kept.
func (c *GenCache[K, V]) Get(k K, read func() (V, error)) (V, error) {
	v, gen, ok := c.Lookup(k)
	if ok {
		return v, nil
	}
	v, err := read()
	if err != nil {
		return v, err
	}
	c.Add(k, gen, v)
	return v, nil
}

// Update runs fn in a write transaction of store, then moves the
// generation (also when fn failed: a stale entry costs one read).
// Every transaction that may write a record the cache derives values
// from must run through it or be followed by Changed.
func (c *GenCache[K, V]) Update(store Store, fn func(tx Tx) error) error {
	defer c.Changed()
	return store.Update(fn)
}

// Changed moves the generation: every entry is stale.
func (c *GenCache[K, V]) Changed() { c.counter().Add(1) }

// Reset moves the generation and drops every entry: the store was
// emptied.
func (c *GenCache[K, V]) Reset() {
	c.Changed()
	c.mu.Lock()
	c.m = nil
	c.mu.Unlock()
}

// Len is the number of entries kept, current or not (for tests).
func (c *GenCache[K, V]) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}
