package s3

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"io"
	"testing"

	"github.com/niwa-cloud/niwa/internal/servicetest"
	"github.com/niwa-cloud/niwa/internal/storage"
)

func sealedStore(t testing.TB) (*sealedBlobs, storage.BlobStore) {
	h := servicetest.New(t, "s3")
	inner := h.Backend.Blobs()
	key := make([]byte, 32)
	rand.Read(key)
	s, err := newSealedBlobs(inner, key)
	if err != nil {
		t.Fatal(err)
	}
	return s, inner
}

func writeSealed(t testing.TB, s storage.BlobStore, data []byte) storage.BlobRef {
	t.Helper()
	w, err := s.Create()
	if err != nil {
		t.Fatal(err)
	}
	// Odd write sizes exercise the segment buffering.
	for p := data; len(p) > 0; {
		n := min(len(p), 7777)
		if _, err := w.Write(p[:n]); err != nil {
			t.Fatal(err)
		}
		p = p[n:]
	}
	ref, err := w.Commit()
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

// TestSealedBlobs: what goes in comes out, whole and by any range, with
// plaintext sizes; the stored bytes hold no plaintext; a flipped bit,
// a truncation or another key fail authentication.
func TestSealedBlobs(t *testing.T) {
	for _, size := range []int{0, 1, sealSegment - 1, sealSegment, sealSegment + 1, 3*sealSegment + 100} {
		s, inner := sealedStore(t)
		data := bytes.Repeat([]byte("plaintext!"), size/10+1)[:size]
		ref := writeSealed(t, s, data)
		if ref.Size != int64(size) {
			t.Fatalf("size %d: ref size %d", size, ref.Size)
		}
		for _, rg := range [][2]int64{{0, int64(size)}, {int64(size) / 2, int64(size) - int64(size)/2}, {int64(max(0, size-3)), int64(min(3, size))}} {
			r := newPartsReader(s, []blobPart{{Blob: ref.ID, Size: ref.Size}}, rg[0], rg[1])
			got, err := io.ReadAll(r)
			r.Close()
			if err != nil || !bytes.Equal(got, data[rg[0]:rg[0]+rg[1]]) {
				t.Fatalf("size %d range %v: %d bytes, %v", size, rg, len(got), err)
			}
		}
		raw, err := inner.Open(ref.ID)
		if err != nil {
			t.Fatal(err)
		}
		stored, _ := io.ReadAll(raw)
		raw.Close()
		if size > 0 && bytes.Contains(stored, []byte("plaintext!")) {
			t.Fatalf("size %d: plaintext at rest", size)
		}
		if size == 0 {
			continue
		}
		// Tampering: every variant must fail to read back.
		other, _ := sealedStore(t)
		tampered := map[string][]byte{
			"bit flipped": func() []byte { b := bytes.Clone(stored); b[len(b)/2] ^= 1; return b }(),
			"truncated":   stored[:len(stored)-1],
		}
		if size > sealSegment {
			tampered["last segment dropped"] = stored[:sealHeaderLen+sealSegment+sealTag]
		}
		for name, b := range tampered {
			w, _ := inner.Create()
			w.Write(b)
			bad, _ := w.Commit()
			r := newPartsReader(s, []blobPart{{Blob: bad.ID, Size: int64(size)}}, 0, int64(size))
			if _, err := io.ReadAll(r); err == nil {
				t.Fatalf("size %d: %s read back", size, name)
			}
			r.Close()
		}
		r := newPartsReader(&sealedBlobs{inner: inner, aead: other.aead}, []blobPart{{Blob: ref.ID, Size: ref.Size}}, 0, ref.Size)
		if _, err := io.ReadAll(r); err == nil {
			t.Fatalf("size %d: read with another key", size)
		}
		r.Close()
	}
}

// FuzzSealedBlobOpen: any stored bytes read as a sealed blob fail or
// succeed, never panic.
func FuzzSealedBlobOpen(f *testing.F) {
	s, inner := sealedStore(f)
	good := writeSealed(f, s, bytes.Repeat([]byte{1}, 100))
	raw, _ := inner.Open(good.ID)
	b, _ := io.ReadAll(raw)
	raw.Close()
	f.Add(b, int64(0))
	f.Add([]byte("nsk1"), int64(3))
	f.Add([]byte{}, int64(0))
	f.Fuzz(func(t *testing.T, data []byte, off int64) {
		w, err := inner.Create()
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
		ref, err := w.Commit()
		if err != nil {
			t.Fatal(err)
		}
		defer inner.Delete(ref.ID)
		r, err := s.Open(ref.ID)
		if err != nil {
			return
		}
		defer r.Close()
		if off < 0 {
			off = -off
		}
		r.Seek(off%int64(len(data)+1), io.SeekStart)
		io.Copy(io.Discard, r)
	})
}

// FuzzEncryptionContext: the header parser accepts only base64 JSON
// string maps, and never panics.
func FuzzEncryptionContext(f *testing.F) {
	for _, s := range []string{`{"a":"b"}`, `[]`, `{"a":1}`, `null`, `{}`} {
		f.Add(base64.StdEncoding.EncodeToString([]byte(s)))
	}
	f.Add("!!")
	f.Fuzz(func(t *testing.T, v string) {
		m, err := parseEncryptionContext(v)
		if err == nil && m == nil {
			t.Fatal("accepted without a map")
		}
	})
}
