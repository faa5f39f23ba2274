package kms

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/niwa-cloud/niwa/internal/storage"
)

// Key material at rest. With --data-dir, KMS's store is wrapped by Sealed:
// every record is encrypted with AES-256-GCM under a per-installation
// master key kept in a file of its own (MasterKeyFile, mode 0600) beside
// the stores, with the record's storage key as additional data (a record
// cannot be moved to another key). A copy of the store files alone —
// a backup, an inspection of the database — holds no key material.
// In memory there is nothing at rest to protect, and records stay plain.

// MasterKeyFile is the name of the master key file in the data dir.
const MasterKeyFile = "kms-master.key"

// LoadMasterKey returns the installation's master key from dir, creating
// it (32 random bytes, readable by the owner only) on first use.
func LoadMasterKey(dir string) ([]byte, error) {
	path := filepath.Join(dir, MasterKeyFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		b = randomBytes(32)
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, fmt.Errorf("kms: master key: %w", err)
		}
		if _, err := f.Write(b); err != nil {
			_ = f.Close()
			return nil, fmt.Errorf("kms: master key: %w", err)
		}
		if err := f.Sync(); err != nil {
			_ = f.Close()
			return nil, fmt.Errorf("kms: master key: %w", err)
		}
		return b, f.Close()
	}
	if err != nil {
		return nil, fmt.Errorf("kms: master key: %w", err)
	}
	if len(b) != 32 {
		return nil, fmt.Errorf("kms: master key %s: %d bytes, want 32", path, len(b))
	}
	return b, nil
}

// Sealed returns inner with every value encrypted under masterKey.
func Sealed(inner storage.Store, masterKey []byte) (storage.Store, error) {
	blk, err := aes.NewCipher(masterKey)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(blk)
	if err != nil {
		return nil, err
	}
	return sealedStore{inner: inner, aead: aead}, nil
}

type sealedStore struct {
	inner storage.Store
	aead  cipher.AEAD
}

func (s sealedStore) View(fn func(tx storage.Tx) error) error {
	return s.inner.View(func(tx storage.Tx) error { return fn(sealedTx{tx, s.aead}) })
}

func (s sealedStore) Update(fn func(tx storage.Tx) error) error {
	return s.inner.Update(func(tx storage.Tx) error { return fn(sealedTx{tx, s.aead}) })
}

type sealedTx struct {
	storage.Tx
	aead cipher.AEAD
}

// unreadable is what a record that does not open reads as: not JSON, so
// the table reading it reports a decoding error instead of a missing or
// empty record (corruption, or the wrong master key, is noticed).
var unreadable = []byte("\x00kms: sealed record does not open under this installation's master key")

func (t sealedTx) open(key, v []byte) []byte {
	n := t.aead.NonceSize()
	if len(v) < n {
		return unreadable
	}
	pt, err := t.aead.Open(nil, v[:n], v[n:], key)
	if err != nil {
		return unreadable
	}
	return pt
}

func (t sealedTx) Get(key []byte) ([]byte, bool) {
	v, ok := t.Tx.Get(key)
	if !ok {
		return nil, false
	}
	return t.open(key, v), true
}

func (t sealedTx) Put(key, value []byte) error {
	nonce := make([]byte, t.aead.NonceSize(), t.aead.NonceSize()+len(value)+t.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return err
	}
	return t.Tx.Put(key, t.aead.Seal(nonce, nonce, value, key))
}

func (t sealedTx) Scan(prefix []byte, opts storage.ScanOptions, fn func(key, value []byte) bool) error {
	return t.Tx.Scan(prefix, opts, func(k, v []byte) bool { return fn(k, t.open(k, v)) })
}
