package storage

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

const (
	// boltBucket is the single bucket of each store file. One bucket per
	// file keeps Reset a constant-time DeleteBucket+CreateBucket.
	boltBucket = "kv"
	boltExt    = ".db"
	// lockTimeout bounds how long opening waits for a file lock. The dir
	// lock normally catches a second niwa first; this is the backstop, and
	// it must be short so a conflict is an immediate clear error, not a
	// hang at startup.
	lockTimeout = 100 * time.Millisecond
)

// initialMmapSize reserves address space (not memory) up front. bbolt must
// remap when the file outgrows its mapping, and a remap waits for every open
// read transaction; reserving 256 MiB means that, for all but very large
// stores, a long View never stalls the store's writer. 32-bit builds cannot
// spare the address space and fall back to bbolt's default.
const initialMmapSize = (strconv.IntSize / 64) * 256 << 20

type boltBackend struct {
	dir   string
	fsync bool
	blobs *fileBlobs

	mu      sync.Mutex
	stores  map[string]*boltStore
	closed  bool
	release func() error
}

var _ Backend = (*boltBackend)(nil)

// openBolt opens the durable backend.
//
// Commits default to NoSync. bbolt writes every committed page with
// pwrite into the OS page cache before Commit returns, and the kernel keeps
// those pages when the process dies, so an acknowledged write survives
// kill -9 of niwa — the durability niwa promises — without paying an fsync
// (milliseconds on real disks) per write. Options.Fsync turns syncing back on
// (also for file growth) for users who need writes to survive power loss or
// a kernel crash. bbolt's copy-on-write pages and meta-page checksums keep
// the file consistent either way: an unsynced crash can lose the latest
// commits, never corrupt older ones.
func openBolt(opts Options) (*boltBackend, error) {
	dir, err := filepath.Abs(opts.DataDir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("storage: create data dir: %w", err)
	}
	release, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	blobs, err := newDirBlobs(filepath.Join(dir, "blobs"), opts.Fsync)
	if err != nil {
		_ = release()
		return nil, err
	}
	return &boltBackend{
		dir:     dir,
		fsync:   opts.Fsync,
		blobs:   blobs,
		stores:  map[string]*boltStore{},
		release: release,
	}, nil
}

func (b *boltBackend) Store(name string) (Store, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, ErrClosed
	}
	if s, ok := b.stores[name]; ok {
		return s, nil
	}
	s, err := b.open(name)
	if err != nil {
		return nil, err
	}
	b.stores[name] = s
	return s, nil
}

func (b *boltBackend) open(name string) (*boltStore, error) {
	path := filepath.Join(b.dir, name+boltExt)
	mmapSize := initialMmapSize
	if runtime.GOOS == "windows" {
		// Windows grows the file itself to the mapping size; reserving
		// would cost real disk per store there.
		mmapSize = 0
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout:         lockTimeout,
		NoSync:          !b.fsync,
		NoGrowSync:      !b.fsync,
		FreelistType:    bolt.FreelistMapType,
		InitialMmapSize: mmapSize,
	})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("storage: %s is in use by another process: %w", path, ErrLocked)
	}
	if err != nil {
		return nil, fmt.Errorf("storage: open %s: %w", path, err)
	}
	s := &boltStore{db: db, bucket: []byte(boltBucket)}
	// Only write when the bucket is missing, so reopening an existing store
	// costs no commit.
	var exists bool
	if err := db.View(func(tx *bolt.Tx) error {
		exists = tx.Bucket(s.bucket) != nil
		return nil
	}); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("storage: read %s: %w", path, err)
	}
	if !exists {
		err = db.Update(func(tx *bolt.Tx) error {
			_, err := tx.CreateBucketIfNotExists(s.bucket)
			return err
		})
		if err != nil {
			_ = db.Close()
			return nil, fmt.Errorf("storage: init %s: %w", path, err)
		}
	}
	return s, nil
}

func (b *boltBackend) Blobs() BlobStore { return b.blobs }

func (b *boltBackend) Reset() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return ErrClosed
	}
	var errs []error
	for _, s := range b.stores {
		errs = append(errs, s.reset())
	}
	// Stores from an earlier run that nobody has opened yet hold state too.
	// Holding b.mu means nobody can open them while they are removed.
	entries, err := os.ReadDir(b.dir)
	errs = append(errs, err)
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), boltExt)
		if !ok || e.IsDir() || checkName(name) != nil {
			continue
		}
		if _, open := b.stores[name]; !open {
			errs = append(errs, os.Remove(filepath.Join(b.dir, e.Name())))
		}
	}
	errs = append(errs, b.blobs.reset())
	return errors.Join(errs...)
}

func (b *boltBackend) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil
	}
	b.closed = true
	var errs []error
	for _, s := range b.stores {
		errs = append(errs, s.db.Close())
	}
	errs = append(errs, b.blobs.close(), b.release())
	return errors.Join(errs...)
}

type boltStore struct {
	db     *bolt.DB
	bucket []byte
}

var _ Store = (*boltStore)(nil)

func (s *boltStore) View(fn func(tx Tx) error) error {
	return s.run(s.db.View, false, fn)
}

func (s *boltStore) Update(fn func(tx Tx) error) error {
	return s.run(s.db.Update, true, fn)
}

// run adapts bbolt's managed transactions, which already roll back on error
// and on panic, to Tx.
func (s *boltStore) run(do func(func(*bolt.Tx) error) error, writable bool, fn func(tx Tx) error) error {
	err := do(func(btx *bolt.Tx) error {
		t := &txn{raw: &boltTx{b: btx.Bucket(s.bucket)}, writable: writable}
		defer t.close()
		return fn(t)
	})
	if errors.Is(err, berrors.ErrDatabaseNotOpen) {
		return ErrClosed
	}
	return err
}

func (s *boltStore) reset() error {
	return s.db.Update(func(tx *bolt.Tx) error {
		if err := tx.DeleteBucket(s.bucket); err != nil && !errors.Is(err, berrors.ErrBucketNotFound) {
			return err
		}
		_, err := tx.CreateBucket(s.bucket)
		return err
	})
}

type boltTx struct{ b *bolt.Bucket }

var _ rawTx = (*boltTx)(nil)

// get goes through a cursor rather than Bucket.Get because Bucket.Get
// answers nil for both "missing" and, in some page layouts, "present but
// empty"; comparing the found key tells them apart.
func (t *boltTx) get(key []byte) ([]byte, bool) {
	v, ok := t.peek(key)
	if !ok {
		return nil, false
	}
	return clone(v), true
}

// peek returns bbolt's own slice, valid for the transaction.
func (t *boltTx) peek(key []byte) ([]byte, bool) {
	k, v := t.b.Cursor().Seek(key)
	if k == nil || !bytes.Equal(k, key) {
		return nil, false
	}
	return v, true
}

func (t *boltTx) put(key, value []byte) error { return t.b.Put(key, value) }

func (t *boltTx) swap(key, value []byte) ([]byte, bool, error) {
	old, ok := t.get(key)
	return old, ok, t.put(key, value)
}

func (t *boltTx) del(key []byte) error { return t.b.Delete(key) }

func (t *boltTx) collect(out []kv, prefix, from []byte, incl, reverse bool, n int) []kv {
	c := t.b.Cursor()
	var k, v []byte
	step := c.Next
	switch {
	case !reverse && from == nil:
		k, v = c.First()
	case !reverse:
		k, v = c.Seek(from)
		if k != nil && !incl && bytes.Equal(k, from) {
			k, v = c.Next()
		}
	case from == nil:
		step = c.Prev
		k, v = c.Last()
	default:
		step = c.Prev
		// Seek lands on the first key >= from; step back unless it is
		// from itself and from is wanted.
		k, v = c.Seek(from)
		if k == nil {
			k, v = c.Last()
		} else if !incl || !bytes.Equal(k, from) {
			k, v = c.Prev()
		}
	}
	for ; k != nil && len(out) < n; k, v = step() {
		if !bytes.HasPrefix(k, prefix) {
			break
		}
		out = append(out, ownedPair(k, v))
	}
	return out
}
