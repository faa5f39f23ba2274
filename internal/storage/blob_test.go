package storage

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"unsafe"
)

// patternByte makes blob content addressable by offset, so a range read can
// be checked without keeping the whole blob in the test's memory.
func patternByte(i int64) byte { return byte(i*131 + i>>11 + i>>19) }

func fillPattern(p []byte, off int64) {
	for i := range p {
		p[i] = patternByte(off + int64(i))
	}
}

func blobRoot(tb testing.TB, b Backend) string {
	tb.Helper()
	switch b := b.(type) {
	case *memBackend:
		return b.blobs.root
	case *boltBackend:
		return b.blobs.root
	}
	tb.Fatalf("unknown backend %T", b)
	return ""
}

// blobFiles lists regular files under the blob root, which after an Abort
// must contain no trace of the upload.
func blobFiles(tb testing.TB, root string) []string {
	tb.Helper()
	if root == "" {
		return nil
	}
	var files []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if !d.IsDir() {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return files
}

func TestBlobs(t *testing.T) {
	cases := []struct {
		name string
		run  func(t *testing.T, b Backend)
	}{
		{"LargeStreamedAndRangeRead", testBlobLarge},
		{"Abort", testBlobAbort},
		{"UniqueIDs", testBlobUniqueIDs},
		{"NotFoundAndDelete", testBlobNotFound},
		{"ResetDuringUpload", testBlobResetDuringUpload},
		{"AroundTheInlineLimit", testBlobInlineLimit},
	}
	for _, k := range backendKinds() {
		t.Run(k.name, func(t *testing.T) {
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					t.Parallel()
					c.run(t, openBackend(t, k.opts(t)))
				})
			}
		})
	}
}

func testBlobLarge(t *testing.T, b Backend) {
	const size = 50 << 20
	const chunk = 4093 // odd size so chunks straddle every boundary
	w, err := b.Blobs().Create()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	h := sha256.New()
	buf := make([]byte, chunk)
	for off := int64(0); off < size; {
		n := min(int64(chunk), size-off)
		fillPattern(buf[:n], off)
		h.Write(buf[:n])
		if _, err := w.Write(buf[:n]); err != nil {
			t.Fatal(err)
		}
		off += n
	}
	ref, err := w.Commit()
	if err != nil {
		t.Fatal(err)
	}
	if ref.Size != size {
		t.Fatalf("ref.Size = %d; want %d", ref.Size, size)
	}
	want := h.Sum(nil)

	r, err := b.Blobs().Open(ref.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	// A range from the middle, as an S3 GetObject with Range would read it.
	const off, n = 33_554_431, 100_000
	if _, err := r.Seek(off, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, n)
	if _, err := io.ReadFull(r, got); err != nil {
		t.Fatal(err)
	}
	exp := make([]byte, n)
	fillPattern(exp, off)
	if !bytes.Equal(got, exp) {
		t.Fatal("range read returned wrong bytes")
	}
	// The last bytes via SeekEnd.
	if _, err := r.Seek(-10, io.SeekEnd); err != nil {
		t.Fatal(err)
	}
	tail, _ := io.ReadAll(r)
	exp = make([]byte, 10)
	fillPattern(exp, size-10)
	if !bytes.Equal(tail, exp) {
		t.Fatal("tail read returned wrong bytes")
	}
	// The whole body, streamed.
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	h2 := sha256.New()
	if n, err := io.Copy(h2, r); err != nil || n != size {
		t.Fatalf("copy: %d, %v", n, err)
	}
	if !bytes.Equal(h2.Sum(nil), want) {
		t.Fatal("content hash mismatch")
	}
	// Abort after Commit must not touch the committed blob.
	w.Abort()
	if _, err := w.Write([]byte("x")); !errors.Is(err, ErrWriterClosed) {
		t.Errorf("Write after Commit = %v", err)
	}
	if _, err := w.Commit(); !errors.Is(err, ErrWriterClosed) {
		t.Errorf("second Commit = %v", err)
	}
	r2, err := b.Blobs().Open(ref.ID)
	if err != nil {
		t.Fatalf("blob gone after Abort-after-Commit: %v", err)
	}
	r2.Close()
}

func testBlobAbort(t *testing.T, b Backend) {
	w, err := b.Blobs().Create()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(bytes.Repeat([]byte("x"), 1<<20)); err != nil {
		t.Fatal(err)
	}
	root := blobRoot(t, b)
	if files := blobFiles(t, root); len(files) != 1 {
		t.Fatalf("during upload: files %q; want one temp file", files)
	}
	w.Abort()
	w.Abort() // idempotent
	if files := blobFiles(t, root); len(files) != 0 {
		t.Fatalf("Abort left files: %q", files)
	}
	if _, err := w.Commit(); !errors.Is(err, ErrWriterClosed) {
		t.Fatalf("Commit after Abort = %v", err)
	}
}

func testBlobUniqueIDs(t *testing.T, b Backend) {
	seen := map[string]bool{}
	for i := range 200 {
		w, err := b.Blobs().Create()
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write([]byte{byte(i)})
		ref, err := w.Commit()
		if err != nil {
			t.Fatal(err)
		}
		if !validBlobID(ref.ID) {
			t.Fatalf("id %q is not 32 lowercase hex digits", ref.ID)
		}
		if seen[ref.ID] {
			t.Fatalf("duplicate id %s", ref.ID)
		}
		seen[ref.ID] = true
	}
}

func testBlobNotFound(t *testing.T, b Backend) {
	bs := b.Blobs()
	for _, id := range []string{"", "../../etc/passwd", "0123456789abcdef0123456789abcdeF", "00000000000000000000000000000000"} {
		if _, err := bs.Open(id); !errors.Is(err, ErrBlobNotFound) {
			t.Errorf("Open(%q) = %v; want ErrBlobNotFound", id, err)
		}
	}
	if err := bs.Delete("00000000000000000000000000000000"); err != nil {
		t.Errorf("Delete(missing) = %v; want nil", err)
	}
	w, _ := bs.Create()
	_, _ = w.Write([]byte("hello"))
	ref, err := w.Commit()
	if err != nil {
		t.Fatal(err)
	}
	r, err := bs.Open(ref.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := bs.Delete(ref.ID); err != nil {
		t.Fatal(err)
	}
	// A reader opened before the delete keeps its content.
	if got, _ := io.ReadAll(r); string(got) != "hello" {
		t.Errorf("open reader after Delete read %q", got)
	}
	r.Close()
	if _, err := bs.Open(ref.ID); !errors.Is(err, ErrBlobNotFound) {
		t.Errorf("Open after Delete = %v", err)
	}
	if err := bs.Delete(ref.ID); err != nil {
		t.Errorf("second Delete = %v", err)
	}
}

func testBlobResetDuringUpload(t *testing.T, b Backend) {
	w, err := b.Blobs().Create()
	if err != nil {
		t.Fatal(err)
	}
	_, _ = w.Write([]byte("before"))
	if err := b.Reset(); err != nil {
		t.Fatal(err)
	}
	_, _ = w.Write([]byte("after")) // may succeed; the commit must not
	if _, err := w.Commit(); !errors.Is(err, ErrBlobReset) {
		t.Fatalf("Commit across Reset = %v; want ErrBlobReset", err)
	}
	if files := blobFiles(t, blobRoot(t, b)); len(files) != 0 {
		t.Fatalf("files left: %q", files)
	}
}

// TestMemoryBlobsLeaveNothing checks that the memory backend's private blob
// dir disappears on Close, so test suites that open many backends do not
// fill the disk.
func TestMemoryBlobsLeaveNothing(t *testing.T) {
	b, err := Open(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if root := blobRoot(t, b); root != "" {
		t.Fatalf("memory backend created %s before any blob", root)
	}
	w, _ := b.Blobs().Create()
	_, _ = w.Write([]byte("x"))
	if _, err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	root := blobRoot(t, b)
	if err := b.Reset(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(root); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("blob dir %s survives Reset: %v", root, err)
	}
	w, _ = b.Blobs().Create()
	_, _ = w.Write([]byte("y"))
	if _, err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	root = blobRoot(t, b)
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(root); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("blob dir %s survives Close: %v", root, err)
	}
}

// testBlobInlineLimit: blobs up to inlineBlobMax and just over it, written
// in pieces that cross the limit, read back intact and ranged; on the
// memory backend the small one leaves no file and the large one does.
func testBlobInlineLimit(t *testing.T, b Backend) {
	_, inline := b.(*memBackend)
	for _, size := range []int{0, 1, inlineBlobMax, inlineBlobMax + 1} {
		data := make([]byte, size)
		fillPattern(data, 0)
		w, err := b.Blobs().Create()
		if err != nil {
			t.Fatal(err)
		}
		for off := 0; off < size; off += 10000 {
			if _, err := w.Write(data[off:min(off+10000, size)]); err != nil {
				t.Fatal(err)
			}
		}
		ref, err := w.Commit()
		if err != nil {
			t.Fatal(err)
		}
		if ref.Size != int64(size) || !validBlobID(ref.ID) {
			t.Fatalf("size %d: ref %+v", size, ref)
		}
		files := len(blobFiles(t, blobRoot(t, b)))
		r, err := b.Blobs().Open(ref.ID)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(r)
		if !bytes.Equal(got, data) {
			t.Fatalf("size %d: read back %d different bytes", size, len(got))
		}
		if size > 1 {
			if _, err := r.Seek(1, io.SeekStart); err != nil {
				t.Fatal(err)
			}
			if got, _ := io.ReadAll(r); !bytes.Equal(got, data[1:]) {
				t.Fatalf("size %d: range read differs", size)
			}
		}
		r.Close()
		if err := b.Blobs().Delete(ref.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Blobs().Open(ref.ID); !errors.Is(err, ErrBlobNotFound) {
			t.Fatalf("size %d: Open after Delete = %v", size, err)
		}
		if inline && size <= inlineBlobMax && files != 0 {
			t.Errorf("size %d: memory backend wrote %d files", size, files)
		}
		if size > inlineBlobMax && files != 1 {
			t.Errorf("size %d: %d files, want 1", size, files)
		}
	}
	// Reset drops inline blobs too.
	w, _ := b.Blobs().Create()
	_, _ = w.Write([]byte("small"))
	ref, err := w.Commit()
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Reset(); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Blobs().Open(ref.ID); !errors.Is(err, ErrBlobNotFound) {
		t.Fatalf("Open after Reset = %v", err)
	}
}

// TestInlineBlobObjects: the memory backend keeps a small blob as one
// object (its bytes), keyed by its id's bytes rather than a string of
// its hex, and each reads back by its id, is deleted by it, and an id of
// the right length in upper case (which no blob has) finds nothing.
func TestInlineBlobObjects(t *testing.T) {
	const n = 5000
	b := newTempBlobs()
	defer b.close()
	objects := func() int64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return int64(ms.HeapObjects)
	}
	// The ids are kept in one buffer, as a service keeps them in its
	// records: the strings Commit returns do not outlive the loop.
	ids := make([]byte, 0, n*2*blobIDBytes)
	id := func(i int) string { return string(ids[i*2*blobIDBytes : (i+1)*2*blobIDBytes]) }
	before := objects()
	for i := range n {
		w, err := b.Create()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(bytes.Repeat([]byte{byte(i)}, 1024)); err != nil {
			t.Fatal(err)
		}
		ref, err := w.Commit()
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, ref.ID...)
	}
	per := float64(objects()-before) / n
	t.Logf("%.2f objects per inline blob", per)
	if per > 1.1 {
		t.Errorf("%.2f objects per inline blob, want at most 1.1 (its bytes, and the map's)", per)
	}
	for i, id := range []string{id(0), id(n / 2), id(n - 1)} {
		r, err := b.Open(id)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(r)
		r.Close()
		if want := []byte{byte([]int{0, n / 2, n - 1}[i])}; len(got) != 1024 || got[0] != want[0] {
			t.Errorf("blob %s reads back %d bytes starting %v", id, len(got), got[:1])
		}
		if _, err := b.Open(strings.ToUpper(id)); !errors.Is(err, ErrBlobNotFound) {
			t.Errorf("upper-case id: %v, want not found", err)
		}
	}
	if err := b.Delete(id(0)); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Open(id(0)); !errors.Is(err, ErrBlobNotFound) {
		t.Errorf("deleted blob: %v, want not found", err)
	}
	runtime.KeepAlive(ids)
}

// TestInlineBlobHeap: an inline blob costs its bytes and little more,
// however its body came in: a server reads a body in pieces (what its
// connection's buffer held, then the rest), and a buffer grown by
// append keeps up to twice the bytes. Sizes 1–8 KiB as an S3 workload's
// objects, written at once and in pieces; each reads back whole.
func TestInlineBlobHeap(t *testing.T) {
	const n = 2000
	heap := func() int64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return int64(ms.HeapAlloc)
	}
	body := func(i int) []byte {
		b := make([]byte, 512+(i*1531)%(8<<10)) // 512 B to 8.5 KiB, sizes spread
		for j := range b {
			b[j] = byte(i + j)
		}
		return b
	}
	for _, chunk := range []int{0, 3500, 1000} {
		t.Run(fmt.Sprintf("chunk=%d", chunk), func(t *testing.T) {
			b := newTempBlobs()
			defer b.close()
			refs := make([]BlobRef, 0, n)
			var user int64
			before := heap()
			for i := range n {
				w, err := b.Create()
				if err != nil {
					t.Fatal(err)
				}
				data := body(i)
				user += int64(len(data))
				for rest := data; len(rest) > 0; {
					k := len(rest)
					if chunk > 0 {
						k = min(k, chunk)
					}
					if _, err := w.Write(rest[:k]); err != nil {
						t.Fatal(err)
					}
					rest = rest[k:]
				}
				ref, err := w.Commit()
				if err != nil {
					t.Fatal(err)
				}
				refs = append(refs, ref)
			}
			// Less the test's own refs: the slice and each id's 32 bytes.
			per := float64(heap()-before-int64(cap(refs))*int64(unsafe.Sizeof(BlobRef{})+2*blobIDBytes)) / float64(user)
			t.Logf("%.3f bytes of heap per byte of blob", per)
			// Size classes round a 512 B–8.5 KiB allocation up by at most
			// ~19%, ~6% on average; the map's entry is ~50 bytes.
			if per > 1.10 {
				t.Errorf("%.3f bytes of heap per byte of blob, want at most 1.10", per)
			}
			for _, i := range []int{0, n / 3, n - 1} {
				r, err := b.Open(refs[i].ID)
				if err != nil {
					t.Fatal(err)
				}
				got, _ := io.ReadAll(r)
				_ = r.Close()
				if !bytes.Equal(got, body(i)) {
					t.Errorf("blob %d reads back %d bytes, not what was written", i, len(got))
				}
			}
			runtime.KeepAlive(refs)
		})
	}
}
