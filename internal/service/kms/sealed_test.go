package kms

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	kmsapi "github.com/niwa-cloud/niwa/internal/api/kms"
	"github.com/niwa-cloud/niwa/internal/servicetest"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// TestSealedAtRest: with a data dir, the stored records hold no key
// material in the clear, survive a restart, and do not open under another
// master key.
func TestSealedAtRest(t *testing.T) {
	dir := t.TempDir()
	h := newHarness(t, servicetest.OnDisk(dir))
	open := func(master []byte) *KMS {
		st, err := Sealed(h.Store(), master)
		if err != nil {
			t.Fatal(err)
		}
		return New(st, h.Clock)
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

	f := &fixture{KMS: open(mk), h: h, clock: h.Clock, t: t}
	md := f.create("", "")
	ct := f.encrypt(*md.KeyId, []byte("at rest"), nil)
	// The raw records: no JSON, no key material.
	if err := h.Store().View(func(tx storage.Tx) error {
		return tx.Scan(nil, storage.ScanOptions{}, func(k, v []byte) bool {
			if bytes.Contains(v, []byte(`"materials"`)) || bytes.Contains(v, []byte(*md.KeyId)) {
				t.Errorf("record %q stored in the clear: %q", k, v)
			}
			return true
		})
	}); err != nil {
		t.Fatal(err)
	}

	h.Reopen()
	f.KMS = open(mk)
	if out, err := f.Decrypt(f.ctx(), &kmsapi.DecryptInput{CiphertextBlob: ct}); err != nil || string(out.Plaintext) != "at rest" {
		t.Fatalf("Decrypt after restart: %v", err)
	}

	h.Reopen()
	f.KMS = open(randomBytes(32))
	if _, err := f.Decrypt(f.ctx(), &kmsapi.DecryptInput{CiphertextBlob: ct}); err == nil {
		t.Fatal("decrypted with the key store opened under another master key")
	}
}
