package storage

import (
	"bytes"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/google/btree"
)

// btreeDegree trades node size against depth; 32 is google/btree's own
// recommendation for in-memory use and keeps copy-on-write copies small.
const btreeDegree = 32

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

func keyItem(key []byte) item { return item{p: unsafe.SliceData(key), klen: uint32(len(key))} }

func (it item) key() []byte { return unsafe.Slice(it.p, it.klen+it.vlen)[:it.klen:it.klen] }

func (it item) val() []byte { return unsafe.Slice(it.p, it.klen+it.vlen)[it.klen:] }

func itemLess(a, b item) bool { return bytes.Compare(a.key(), b.key()) < 0 }

func newTree(degree int) *btree.BTreeG[item] { return btree.NewG(degree, itemLess) }

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
		s = newMemStore(&b.closed, btreeDegree)
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

// memStore keeps the committed state as an immutable copy-on-write B-tree.
// An Update clones the tree (O(1)) at its first write, mutates the clone,
// and publishes it on success, so a failed or panicking Update is
// discarded by simply dropping the clone, and a View iterates a snapshot
// nobody will ever write to, without holding any lock. An Update that
// writes nothing clones and publishes nothing.
type memStore struct {
	closed *atomic.Bool
	// degree is the tree's (btreeDegree; BenchmarkMemTree compares others).
	degree int

	// wmu serializes writers. snap is the committed tree, what Views
	// read. A writer clones it, which writes only the tree header's
	// copy-on-write context (no reader reads it: Get and the iterators
	// read the root and the nodes), and never mutates it: every write
	// goes to the clone, whose nodes it copies on the way.
	wmu  sync.Mutex
	snap atomic.Pointer[btree.BTreeG[item]]
}

var _ Store = (*memStore)(nil)

func newMemStore(closed *atomic.Bool, degree int) *memStore {
	s := &memStore{closed: closed, degree: degree}
	s.snap.Store(newTree(degree))
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
	v := &memTxn{mem: memTx{tree: s.snap.Load(), shared: true}}
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
	s.snap.Store(newTree(s.degree))
}

// memTx reads tree. shared is set while an Update's tree is still the
// committed one: its first write clones it.
type memTx struct {
	tree   *btree.BTreeG[item]
	shared bool
}

var _ rawTx = (*memTx)(nil)

func (m *memTx) writable() *btree.BTreeG[item] {
	if m.shared {
		m.tree, m.shared = m.tree.Clone(), false
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
	it, ok := m.tree.Get(keyItem(key))
	if !ok {
		return nil, false
	}
	return it.val(), true
}

func (m *memTx) put(key, value []byte) error {
	m.writable().ReplaceOrInsert(pairItem(key, value))
	return nil
}

// swap answers a copy of the replaced value: its buffer stays in the
// committed tree that Views read.
func (m *memTx) swap(key, value []byte) ([]byte, bool, error) {
	old, ok := m.writable().ReplaceOrInsert(pairItem(key, value))
	if !ok {
		return nil, false, nil
	}
	return clone(old.val()), true, nil
}

func (m *memTx) del(key []byte) error {
	m.writable().Delete(keyItem(key))
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
	switch {
	case !reverse && from == nil:
		m.tree.Ascend(iter)
	case !reverse:
		m.tree.AscendGreaterOrEqual(keyItem(from), iter)
	case from == nil:
		m.tree.Descend(iter)
	default:
		m.tree.DescendLessOrEqual(keyItem(from), iter)
	}
	return out
}
