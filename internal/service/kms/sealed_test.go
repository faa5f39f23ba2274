package kms

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	kmsapi "github.com/niwa-cloud/niwa/internal/api/kms"
	"github.com/niwa-cloud/niwa/internal/clock"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// TestSealedAtRest: with a data dir, the stored records hold no key
// material in the clear, survive a restart, and do not open under another
// master key.
func TestSealedAtRest(t *testing.T) {
	dir := t.TempDir()
	open := func(master []byte) (*KMS, storage.Store, func()) {
		be, err := storage.Open(storage.Options{DataDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		raw, err := be.Store("kms")
		if err != nil {
			t.Fatal(err)
		}
		st, err := Sealed(raw, master)
		if err != nil {
			t.Fatal(err)
		}
		return New(st, clock.NewFake(t0)), raw, func() { be.Close() }
	}
	mk, err := LoadMasterKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := LoadMasterKey(dir); !bytes.Equal(again, mk) {
		t.Fatal("master key changed between loads")
	}
	if fi, err := os.Stat(filepath.Join(dir, MasterKeyFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("master key file: %v %v", fi.Mode(), err)
	}

	svc, raw, closeBE := open(mk)
	f := &fixture{KMS: svc, clock: svc.clock.(*clock.Fake), t: t}
	md := f.create("", "")
	ct := f.encrypt(*md.KeyId, []byte("at rest"), nil)
	// The raw records: no JSON, no key material.
	_ = raw.View(func(tx storage.Tx) error {
		return tx.Scan(nil, storage.ScanOptions{}, func(k, v []byte) bool {
			if bytes.Contains(v, []byte(`"materials"`)) || bytes.Contains(v, []byte(*md.KeyId)) {
				t.Errorf("record %q stored in the clear: %q", k, v)
			}
			return true
		})
	})
	closeBE()

	svc, _, closeBE = open(mk)
	f.KMS = svc
	if out, err := f.Decrypt(f.ctx(), &kmsapi.DecryptInput{CiphertextBlob: ct}); err != nil || string(out.Plaintext) != "at rest" {
		t.Fatalf("Decrypt after restart: %v", err)
	}
	closeBE()

	svc, _, closeBE = open(randomBytes(32))
	defer closeBE()
	f.KMS = svc
	if _, err := f.Decrypt(f.ctx(), &kmsapi.DecryptInput{CiphertextBlob: ct}); err == nil {
		t.Fatal("decrypted with the key store opened under another master key")
	}
}
