package storage

import (
	"bytes"
	"sync"
	"sync/atomic"
	"unsafe"
)

// item is one key and its value, stored as one buffer (txn.Put's copy,
// the value right after the key): a pointer and two lengths, 16 bytes
// and one pointer for a collection to follow, where two slices were 48
// bytes and two pointers to the same buffer. The tree's nodes hold their
// items inline, so with every record in memory (tens of thousands, the
// event history's alone 10 000 a region) that is what each collection
// scans.
type item struct {
	p          *byte
	klen, vlen uint32
}

// pairItem is the item of a key and value that txn.Put made one buffer:
// the value follows the key in its backing array. A lookup item (a key
// alone) has no value.
func pairItem(key, value []byte) item {
	if len(value) > 0 && uintptr(unsafe.Pointer(unsafe.SliceData(value))) != uintptr(unsafe.Pointer(unsafe.SliceData(key)))+uintptr(len(key)) {
		panic("storage: a stored value must follow its key in one buffer")
	}
	return item{p: unsafe.SliceData(key), klen: uint32(len(key)), vlen: uint32(len(value))}
}

func (it item) key() []byte { return unsafe.Slice(it.p, it.klen+it.vlen)[:it.klen:it.klen] }

func (it item) val() []byte { return unsafe.Slice(it.p, it.klen+it.vlen)[it.klen:] }

type memBackend struct {
	mu     sync.Mutex
	stores map[string]*memStore
	closed atomic.Bool
	blobs  *fileBlobs
}

var _ Backend = (*memBackend)(nil)

func newMemBackend() *memBackend {
	return &memBackend{stores: map[string]*memStore{}, blobs: newTempBlobs()}
}

func (b *memBackend) Store(name string) (Store, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed.Load() {
		return nil, ErrClosed
	}
	s, ok := b.stores[name]
	if !ok {
		s = newMemStore(&b.closed)
		b.stores[name] = s
	}
	return s, nil
}

func (b *memBackend) Blobs() BlobStore { return b.blobs }

func (b *memBackend) Reset() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed.Load() {
		return ErrClosed
	}
	for _, s := range b.stores {
		s.reset()
	}
	return b.blobs.reset()
}

func (b *memBackend) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed.Swap(true) {
		return nil
	}
	// Drop the trees so a leaked Backend does not pin its data.
	for _, s := range b.stores {
		s.reset()
	}
	return b.blobs.close()
}

// memStore keeps the committed state as an immutable copy-on-write B-tree
// (cowtree.go). An Update takes the committed root (O(1)) at its first
// write into a tree of its own generation, which copies each node on the
// path of a write once, and publishes it on success, so a failed or
// panicking Update is discarded by simply dropping it, and a View
// iterates a snapshot nobody will ever write to, without holding any
// lock. An Update that writes nothing copies and publishes nothing.
type memStore struct {
	closed *atomic.Bool

	// wmu serializes writers. snap is the committed tree, what Views
	// read; no one writes it or its nodes. gen counts the Updates (under
	// wmu): each writes the nodes stamped with its own number, copies
	// of the older ones it writes through.
	wmu  sync.Mutex
	snap atomic.Pointer[memTree]
	gen  uint64
}

var _ Store = (*memStore)(nil)

func newMemStore(closed *atomic.Bool) *memStore {
	s := &memStore{closed: closed}
	s.snap.Store(&memTree{})
	return s
}

func (s *memStore) View(fn func(tx Tx) error) error {
	if s.closed.Load() {
		return ErrClosed
	}
	v := &memTxn{mem: memTx{tree: s.snap.Load()}}
	v.txn.raw = &v.mem
	t := &v.txn
	defer t.close()
	return fn(t)
}

// memTxn is a transaction and its view of the tree in one allocation
// (every request opens several).
type memTxn struct {
	txn txn
	mem memTx
}

func (s *memStore) Update(fn func(tx Tx) error) error {
	if s.closed.Load() {
		return ErrClosed
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.gen++
	// The tree an Update writes and publishes comes with it: a View's
	// memTxn stays 48 bytes.
	u := &struct {
		memTxn
		own memTree
	}{}
	u.own.gen = s.gen
	v := &u.memTxn
	v.mem = memTx{tree: s.snap.Load(), own: &u.own, shared: true}
	v.txn.raw, v.txn.writable = &v.mem, true
	t := &v.txn
	err := func() error {
		defer t.close()
		return fn(t)
	}()
	if err != nil {
		return err
	}
	if !v.mem.shared {
		s.snap.Store(v.mem.tree)
	}
	return nil
}

func (s *memStore) reset() {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.snap.Store(&memTree{})
}

// memTx reads tree. shared is set while an Update's tree is still the
// committed one: its first write gives own (of the Update's generation)
// the committed tree's root, and reads and writes own from then on.
type memTx struct {
	tree   *memTree
	own    *memTree
	shared bool
}

var _ rawTx = (*memTx)(nil)

func (m *memTx) writable() *memTree {
	if m.shared {
		m.own.root, m.own.length = m.tree.root, m.tree.length
		m.tree, m.shared = m.own, false
	}
	return m.tree
}

func (m *memTx) get(key []byte) ([]byte, bool) {
	v, ok := m.peek(key)
	if !ok {
		return nil, false
	}
	return clone(v), true
}

// peek returns the tree's own value: values are never changed in place
// (put inserts a private copy), so it stays what was read.
func (m *memTx) peek(key []byte) ([]byte, bool) {
	it, ok := m.tree.get(key)
	if !ok {
		return nil, false
	}
	return it.val(), true
}

func (m *memTx) put(key, value []byte) error {
	m.writable().replaceOrInsert(pairItem(key, value))
	return nil
}

// swap answers a copy of the replaced value: its buffer stays in the
// committed tree that Views read.
func (m *memTx) swap(key, value []byte) ([]byte, bool, error) {
	old, ok := m.writable().replaceOrInsert(pairItem(key, value))
	if !ok {
		return nil, false, nil
	}
	return clone(old.val()), true, nil
}

func (m *memTx) del(key []byte) error {
	m.writable().delete(key)
	return nil
}

func (m *memTx) collect(out []kv, prefix, from []byte, incl, reverse bool, n int) []kv {
	iter := func(it item) bool {
		if !incl && bytes.Equal(it.key(), from) {
			return true
		}
		if !bytes.HasPrefix(it.key(), prefix) {
			return false
		}
		out = append(out, ownedPair(it.key(), it.val()))
		return len(out) < n
	}
	if reverse {
		m.tree.descend(from, iter)
	} else {
		m.tree.ascend(from, iter)
	}
	return out
}
