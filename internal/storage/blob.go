package storage

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// blobIDBytes of randomness make ids unguessable and collisions negligible
// without any coordination between writers.
const blobIDBytes = 16

// inlineBlobMax is the largest blob the memory backend keeps in RAM rather
// than in a file. Creating, renaming and later opening a file costs
// several system calls, which dominated the CPU of a 1 KiB S3 PUT; a
// small object in a map costs none. Larger blobs still stream to a file
// ("in memory" must never mean a 5 GiB object in RAM).
const inlineBlobMax = 64 << 10

// fileBlobs stores each blob as one file under root/<first 2 hex>/<id>, with
// uploads in progress under root/tmp. The shard level keeps directories
// small enough for every filesystem when a bucket holds millions of objects.
// Both backends use it: the durable one with root under the data dir, the
// memory one with a private temp dir, because "in memory" must never mean a
// 5 GiB object in RAM.
type fileBlobs struct {
	fsync bool
	// temp means root is a private os.MkdirTemp dir: created on first
	// write, removed entirely on Reset and Close.
	temp bool
	// inlineMax > 0 keeps blobs up to that size in small instead of
	// files (the memory backend).
	inlineMax int

	// mu is held shared by operations that touch the tree and exclusively
	// by Reset and Close, so those never race a Commit's rename.
	mu     sync.RWMutex
	root   string // "" in temp mode until the first Create
	ready  bool   // root/tmp exists
	gen    uint64 // bumped by Reset; writers started before it cannot commit
	closed bool
	// small holds the inline blobs, guarded by smu (with mu held at
	// least shared); their byte slices are never modified once stored,
	// so readers share them. They are keyed by the id's 16 bytes, not its
	// hex: a key without a pointer, and no string object per blob for
	// every collection to mark.
	smu   sync.Mutex
	small map[blobKey][]byte
}

// blobKey is a blob id's bytes (the id is their lowercase hex).
type blobKey [blobIDBytes]byte

// keyOf returns id's bytes; ok is false for an id that is not 32
// lowercase hex digits (validBlobID), which no blob has.
func keyOf(id string) (k blobKey, ok bool) {
	if !validBlobID(id) {
		return k, false
	}
	_, err := hex.Decode(k[:], []byte(id))
	return k, err == nil
}

var _ BlobStore = (*fileBlobs)(nil)

func newTempBlobs() *fileBlobs { return &fileBlobs{temp: true, inlineMax: inlineBlobMax} }

// newDirBlobs opens the durable blob store. Files left in tmp belong to
// uploads that a crash interrupted; the caller holds the data dir lock, so
// nobody else can be writing them and they are removed.
func newDirBlobs(root string, fsync bool) (*fileBlobs, error) {
	if err := os.RemoveAll(filepath.Join(root, "tmp")); err != nil {
		return nil, fmt.Errorf("storage: clean blob tmp: %w", err)
	}
	return &fileBlobs{root: root, fsync: fsync}, nil
}

func (b *fileBlobs) Create() (BlobWriter, error) {
	if b.inlineMax > 0 {
		// The file is created only if the blob outgrows inlineMax.
		b.mu.RLock()
		defer b.mu.RUnlock()
		if b.closed {
			return nil, ErrClosed
		}
		return &blobWriter{b: b, gen: b.gen}, nil
	}
	f, gen, err := b.createTemp()
	if err != nil {
		return nil, err
	}
	return &blobWriter{b: b, f: f, gen: gen}, nil
}

// createTemp creates the temp file of an upload.
func (b *fileBlobs) createTemp() (*os.File, uint64, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, 0, ErrClosed
	}
	if b.root == "" {
		dir, err := os.MkdirTemp("", "niwa-blobs-")
		if err != nil {
			return nil, 0, fmt.Errorf("storage: blob dir: %w", err)
		}
		b.root = dir
	}
	tmpDir := filepath.Join(b.root, "tmp")
	if !b.ready {
		if err := os.MkdirAll(tmpDir, 0o700); err != nil {
			return nil, 0, fmt.Errorf("storage: blob dir: %w", err)
		}
		b.ready = true
	}
	f, err := os.CreateTemp(tmpDir, "upload-")
	if err != nil {
		return nil, 0, fmt.Errorf("storage: create blob: %w", err)
	}
	return f, b.gen, nil
}

// smallBlob returns an inline blob; the caller holds mu shared.
func (b *fileBlobs) smallBlob(id string) ([]byte, bool) {
	k, ok := keyOf(id)
	if !ok {
		return nil, false
	}
	b.smu.Lock()
	defer b.smu.Unlock()
	data, ok := b.small[k]
	return data, ok
}

// committable says whether a writer started in generation gen may still
// commit; the caller holds mu.
func (b *fileBlobs) committable(gen uint64) error {
	if b.closed {
		return ErrClosed
	}
	if gen != b.gen {
		return ErrBlobReset
	}
	return nil
}

// commitSmall stores a finished inline blob under a new id.
func (b *fileBlobs) commitSmall(data []byte, gen uint64) (string, error) {
	var k blobKey
	if _, err := rand.Read(k[:]); err != nil {
		return "", err
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	if err := b.committable(gen); err != nil {
		return "", err
	}
	b.smu.Lock()
	defer b.smu.Unlock()
	if b.small == nil {
		b.small = map[blobKey][]byte{}
	}
	b.small[k] = data
	return hex.EncodeToString(k[:]), nil
}

func newBlobID() (string, error) {
	var raw [blobIDBytes]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(raw[:]), nil
}

// bytesBlob is an open inline blob.
type bytesBlob struct{ *bytes.Reader }

func (bytesBlob) Close() error { return nil }

func (b *fileBlobs) Open(id string) (io.ReadSeekCloser, error) {
	if !validBlobID(id) {
		return nil, fmt.Errorf("storage: blob %q: %w", id, ErrBlobNotFound)
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed {
		return nil, ErrClosed
	}
	if data, ok := b.smallBlob(id); ok {
		return bytesBlob{bytes.NewReader(data)}, nil
	}
	if b.root == "" {
		return nil, fmt.Errorf("storage: blob %s: %w", id, ErrBlobNotFound)
	}
	f, err := os.Open(b.path(id))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("storage: blob %s: %w", id, ErrBlobNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("storage: open blob: %w", err)
	}
	return f, nil
}

func (b *fileBlobs) Delete(id string) error {
	if !validBlobID(id) {
		return fmt.Errorf("storage: blob %q: %w", id, ErrBlobNotFound)
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed {
		return ErrClosed
	}
	k, _ := keyOf(id)
	b.smu.Lock()
	_, inline := b.small[k]
	delete(b.small, k)
	b.smu.Unlock()
	if inline || b.root == "" {
		return nil
	}
	if err := os.Remove(b.path(id)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("storage: delete blob: %w", err)
	}
	return nil
}

// reset removes every blob. Readers that already opened one keep reading
// it (the inode lives until closed); writers in progress fail on Commit.
func (b *fileBlobs) reset() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return ErrClosed
	}
	b.gen++
	b.ready = false
	b.small = nil
	if b.root == "" {
		return nil
	}
	err := os.RemoveAll(b.root)
	if b.temp {
		b.root = ""
	}
	return err
}

func (b *fileBlobs) close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil
	}
	b.closed = true
	b.small = nil
	if b.temp && b.root != "" {
		return os.RemoveAll(b.root)
	}
	return nil
}

func (b *fileBlobs) path(id string) string {
	return filepath.Join(b.root, id[:2], id)
}

// commit moves a finished upload into place. The rename is atomic, so a
// blob id only ever names a complete file.
func (b *fileBlobs) commit(tmp string, gen uint64) (string, error) {
	id, err := newBlobID()
	if err != nil {
		return "", err
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	if err := b.committable(gen); err != nil {
		return "", err
	}
	final := b.path(id)
	shard := filepath.Dir(final)
	if err := os.MkdirAll(shard, 0o700); err != nil {
		return "", fmt.Errorf("storage: blob dir: %w", err)
	}
	if err := os.Rename(tmp, final); err != nil {
		return "", fmt.Errorf("storage: commit blob: %w", err)
	}
	if b.fsync {
		// The file's data was synced before the rename; syncing the
		// directories makes the new name itself survive power loss.
		if err := syncDir(shard); err != nil {
			return "", err
		}
		if err := syncDir(b.root); err != nil {
			return "", err
		}
	}
	return id, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("storage: sync %s: %w", dir, err)
	}
	return nil
}

func validBlobID(id string) bool {
	if len(id) != 2*blobIDBytes {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

type blobWriter struct {
	b *fileBlobs
	// f is nil while an inline-capable blob fits in buf.
	f    *os.File
	buf  []byte
	gen  uint64
	size int64
	done bool
	// grown: buf was reallocated by an append after the first write.
	grown bool
}

var _ BlobWriter = (*blobWriter)(nil)

func (w *blobWriter) Write(p []byte) (int, error) {
	if w.done {
		return 0, ErrWriterClosed
	}
	if w.f == nil {
		if len(w.buf)+len(p) <= w.b.inlineMax {
			w.grown = w.grown || len(w.buf)+len(p) > cap(w.buf) && w.buf != nil
			w.buf = append(w.buf, p...)
			w.size += int64(len(p))
			return len(p), nil
		}
		// Outgrown: move to a file.
		f, _, err := w.b.createTemp()
		if err != nil {
			return 0, err
		}
		w.f = f
		if _, err := w.f.Write(w.buf); err != nil {
			return 0, err
		}
		w.buf = nil
	}
	n, err := w.f.Write(p)
	w.size += int64(n)
	return n, err
}

func (w *blobWriter) Commit() (BlobRef, error) {
	if w.done {
		return BlobRef{}, ErrWriterClosed
	}
	w.done = true
	if w.f == nil {
		data := w.buf
		if data == nil {
			data = []byte{}
		}
		if w.grown && cap(data) > len(data) {
			// A body that came in several writes grew by append (a
			// server reads one in pieces: what its connection's buffer
			// held, then the rest), keeping room beyond the body's size
			// class for the blob's life. One copy of at most inlineMax
			// gives it its size class; a body written at once already
			// has it and is not copied.
			data = append(make([]byte, 0, len(data)), data...)
		}
		w.buf = nil
		id, err := w.b.commitSmall(data, w.gen)
		if err != nil {
			return BlobRef{}, err
		}
		return BlobRef{ID: id, Size: w.size}, nil
	}
	tmp := w.f.Name()
	err := func() error {
		if w.b.fsync {
			if err := w.f.Sync(); err != nil {
				return fmt.Errorf("storage: sync blob: %w", err)
			}
		}
		return w.f.Close()
	}()
	if err != nil {
		_ = os.Remove(tmp)
		return BlobRef{}, err
	}
	id, err := w.b.commit(tmp, w.gen)
	if err != nil {
		_ = os.Remove(tmp)
		return BlobRef{}, err
	}
	return BlobRef{ID: id, Size: w.size}, nil
}

func (w *blobWriter) Abort() {
	if w.done {
		return
	}
	w.done = true
	w.buf = nil
	if w.f == nil {
		return
	}
	_ = w.f.Close()
	_ = os.Remove(w.f.Name())
}
