package storage

import (
	"errors"
	"io"
)

// Limits shared by both backends. They are bbolt's own limits, enforced in
// the memory backend too so that code tested in memory does not fail only
// once someone turns on --data-dir.
const (
	MaxKeySize   = 32768
	MaxValueSize = (1 << 31) - 2
)

// Errors returned by this package. Callers match them with errors.Is; the
// returned errors often wrap them with the store name or path.
var (
	ErrClosed        = errors.New("storage: backend closed")
	ErrLocked        = errors.New("storage: data dir locked by another process")
	ErrInvalidName   = errors.New("storage: invalid store name")
	ErrReadOnly      = errors.New("storage: write in a read-only transaction")
	ErrTxClosed      = errors.New("storage: transaction used after its function returned")
	ErrKeyRequired   = errors.New("storage: empty key")
	ErrKeyTooLarge   = errors.New("storage: key too large")
	ErrValueTooLarge = errors.New("storage: value too large")
	ErrMalformedKey  = errors.New("storage: malformed tuple key")
	ErrBlobNotFound  = errors.New("storage: blob not found")
	ErrBlobReset     = errors.New("storage: blob store was reset while the blob was being written")
	ErrWriterClosed  = errors.New("storage: blob writer already committed or aborted")
)

// Options selects and tunes the backend.
type Options struct {
	// DataDir is where durable state lives. Empty means in memory: state
	// starts empty and vanishes on Close.
	DataDir string
	// Fsync makes every commit (KV and blob) wait for the disk, so that
	// acknowledged writes survive power loss and kernel crashes, not only
	// the death of the niwa process. Off by default: see openBolt.
	Fsync bool
}

// Open returns the memory backend when opts.DataDir is empty and the durable
// bbolt backend otherwise. The durable backend takes an exclusive lock on the
// data dir for as long as it is open, so two niwa processes can never write
// the same files.
func Open(opts Options) (Backend, error) {
	if opts.DataDir == "" {
		return newMemBackend(), nil
	}
	return openBolt(opts)
}

// Backend holds the named stores of one niwa process and its blobs. Stores
// are per service so services do not contend on one writer lock.
type Backend interface {
	// Store returns the store with this name, creating it on first use.
	// Names are file names in the durable backend, so they are limited to
	// letters, digits, '.', '_' and '-' (see checkName). Calling Store
	// twice with one name returns the same store.
	Store(name string) (Store, error)
	// Blobs returns the blob store that lives alongside the KV stores.
	Blobs() BlobStore
	// Reset drops every record in every store (opened or not) and every
	// blob. It is safe while requests are in flight: a concurrent
	// transaction sees either the old or the new (empty) state, and a blob
	// being written fails on Commit with ErrBlobReset.
	Reset() error
	// Close releases files and locks. Transactions in flight finish first;
	// later calls fail with ErrClosed.
	Close() error
}

// Store is one ordered key space with transactions.
type Store interface {
	// View runs fn in a read-only transaction that sees the store as it was
	// when View started, whatever commits meanwhile. Views run in parallel
	// with each other and with the writer. fn must not call Update on the
	// same store: with the durable backend a writer that has to grow the
	// file waits for open Views, so nesting can deadlock.
	View(fn func(tx Tx) error) error
	// Update runs fn in the store's single read-write transaction; Updates
	// on one store run one at a time. If fn returns nil, all its writes
	// become visible together; if it returns an error or panics, none do
	// and the error (or panic) is passed on unchanged.
	Update(fn func(tx Tx) error) error
}

// Tx is a transaction. It must not be used after the View or Update
// function that received it returns, nor from several goroutines at once.
// Every slice it returns belongs to the caller, who may keep or modify it;
// every slice passed in may be reused by the caller as soon as the call
// returns.
type Tx interface {
	// Get returns the value stored under key. Inside an Update it sees that
	// Update's own earlier writes.
	Get(key []byte) (value []byte, ok bool)
	// Put stores value under key, replacing any previous value.
	Put(key, value []byte) error
	// Delete removes key; deleting a missing key is not an error.
	Delete(key []byte) error
	// Scan calls fn for each key that starts with prefix, in byte order
	// (descending with opts.Reverse), until fn returns false or
	// opts.Limit keys have been visited. An empty prefix scans everything.
	//
	// fn may write to the transaction (scan-and-delete is fine); writes to
	// keys the scan has not reached yet may or may not be seen by it.
	Scan(prefix []byte, opts ScanOptions, fn func(key, value []byte) bool) error
}

// ScanOptions shapes a Scan. The common pagination loop is: remember the
// last key a page returned, and start the next page with
// ScanOptions{Start: last, Exclusive: true}; this works the same way
// forwards and backwards.
type ScanOptions struct {
	// Start is where the scan begins: the smallest key visited going
	// forward, the largest going in reverse. Empty means the first (or, in
	// reverse, the last) key under the prefix. A Start outside the prefix is
	// clamped to it.
	Start []byte
	// Exclusive skips the key equal to Start, so Start can be the last key
	// of the previous page ("continue after K").
	Exclusive bool
	// Reverse scans in descending key order.
	Reverse bool
	// Limit caps how many keys fn sees; 0 means no cap.
	Limit int
}

// BlobStore keeps large bodies as files, streamed in and out, so the size of
// an object never shows up in niwa's memory.
type BlobStore interface {
	// Create starts a new blob. The caller must end the writer with Commit
	// or Abort; `defer w.Abort()` after Create is the idiom, since Abort
	// after Commit does nothing.
	Create() (BlobWriter, error)
	// Open returns the blob's content; ranges are read with Seek. An open
	// reader keeps working even if the blob is deleted or the store reset.
	Open(id string) (io.ReadSeekCloser, error)
	// Delete removes a blob. Deleting a missing blob is not an error, so a
	// retry after a crash between KV commit and Delete is harmless.
	Delete(id string) error
}

// BlobWriter receives a blob's bytes. Nothing is visible under any id until
// Commit returns, so a crash mid-upload never leaves a partial blob behind a
// valid id.
type BlobWriter interface {
	io.Writer
	// Commit makes the blob durable (per Options.Fsync) and returns its
	// reference. After Commit the writer is finished.
	Commit() (BlobRef, error)
	// Abort discards what was written. It is a no-op after Commit or a
	// previous Abort.
	Abort()
}

// BlobRef is what a KV record stores to point at a blob.
type BlobRef struct {
	ID   string `json:"id"`
	Size int64  `json:"size"`
}

// checkName keeps store names safe as file names on every platform: no
// separators, no dot files, nothing a shell or Windows would trip over.
func checkName(name string) error {
	ok := len(name) > 0 && len(name) <= 64
	for i := 0; ok && i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case i > 0 && (c == '.' || c == '_' || c == '-'):
		default:
			ok = false
		}
	}
	if !ok {
		return &nameError{name: name}
	}
	return nil
}

type nameError struct{ name string }

func (e *nameError) Error() string {
	return "storage: invalid store name " + `"` + e.name + `"` + " (want [A-Za-z0-9][A-Za-z0-9._-]{0,63})"
}

func (e *nameError) Unwrap() error { return ErrInvalidName }
