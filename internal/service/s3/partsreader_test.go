package s3

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/niwa-cloud/niwa/internal/servicetest"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// onlyWriter hides bytes.Buffer's ReadFrom, so io.Copy goes through the
// reader's WriteTo or its Read, as it does into an http.ResponseWriter
// wrapper; it counts the writes.
type onlyWriter struct {
	buf    bytes.Buffer
	writes int
}

func (w *onlyWriter) Write(p []byte) (int, error) { w.writes++; return w.buf.Write(p) }

// onlyReader hides partsReader's WriteTo.
type onlyReader struct{ io.Reader }

// TestPartsReaderWriteTo: writing a range of an object's parts to a
// writer (what GetObject's response does) gives exactly what reading it
// gives, for in-memory and file blobs, ranges inside one part and across
// parts, and the same error for a part shorter than its record says; an
// in-memory part is written in one call, without a copy buffer.
func TestPartsReaderWriteTo(t *testing.T) {
	h := servicetest.New(t, "s3")
	blobs := h.Backend.Blobs()
	put := func(data []byte) blobPart {
		w, err := blobs.Create()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(data); err != nil {
			t.Fatal(err)
		}
		ref, err := w.Commit()
		if err != nil {
			t.Fatal(err)
		}
		return blobPart{Blob: ref.ID, Size: ref.Size}
	}
	small := bytes.Repeat([]byte("0123456789"), 103)[:1024]
	large := bytes.Repeat([]byte("abcdefghijklmnopqrstuvwxyz"), 4000) // > the 64 KiB inline limit: a file
	ps, pl := put(small), put(large)
	whole := append(append(append([]byte{}, small...), large...), small...)
	parts := []blobPart{ps, pl, ps}
	for _, tc := range []struct {
		name   string
		parts  []blobPart
		off, n int64
		want   []byte
		writes int // -1: not checked
	}{
		{"one small part", []blobPart{ps}, 0, 1024, small, 1},
		{"small part, range inside", []blobPart{ps}, 10, 100, small[10:110], -1},
		{"small part, suffix", []blobPart{ps}, 1000, 24, small[1000:], 1},
		{"one file part", []blobPart{pl}, 0, pl.Size, large, -1},
		{"file part, range", []blobPart{pl}, 70000, 5000, large[70000:75000], -1},
		{"three parts", parts, 0, int64(len(whole)), whole, -1},
		{"across parts", parts, 1000, int64(len(large)) + 100, whole[1000 : 1000+len(large)+100], -1},
		{"starting in the last part", parts, int64(len(whole)) - 30, 30, whole[len(whole)-30:], 1},
		{"empty range", []blobPart{ps}, 0, 0, nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newPartsReader(blobs, tc.parts, tc.off, tc.n)
			var w onlyWriter
			n, err := io.Copy(&w, r)
			_ = r.Close()
			if err != nil || n != int64(len(tc.want)) || !bytes.Equal(w.buf.Bytes(), tc.want) {
				t.Fatalf("WriteTo: %d bytes (%d), %v", n, w.buf.Len(), err)
			}
			if tc.writes >= 0 && w.writes != tc.writes {
				t.Errorf("%d writes, want %d", w.writes, tc.writes)
			}
			got, err := io.ReadAll(onlyReader{newPartsReader(blobs, tc.parts, tc.off, tc.n)})
			if err != nil || !bytes.Equal(got, tc.want) {
				t.Fatalf("Read: %d bytes, %v", len(got), err)
			}
		})
	}

	// A part shorter than recorded: both ways end in ErrUnexpectedEOF
	// after the bytes there are.
	short := []blobPart{{Blob: ps.Blob, Size: 2000}}
	var w onlyWriter
	_, werr := io.Copy(&w, newPartsReader(blobs, short, 0, 2000))
	got, rerr := io.ReadAll(onlyReader{newPartsReader(blobs, short, 0, 2000)})
	if !errors.Is(werr, io.ErrUnexpectedEOF) || !errors.Is(rerr, io.ErrUnexpectedEOF) || !bytes.Equal(w.buf.Bytes(), small) || !bytes.Equal(got, small) {
		t.Fatalf("short part: WriteTo %d bytes, %v; Read %d bytes, %v", w.buf.Len(), werr, len(got), rerr)
	}
	// A missing blob: the store's error both ways.
	gone := []blobPart{{Blob: "00000000000000000000000000000000", Size: 10}}
	_, werr = io.Copy(&w, newPartsReader(blobs, gone, 0, 10))
	_, rerr = io.ReadAll(onlyReader{newPartsReader(blobs, gone, 0, 10)})
	if !errors.Is(werr, storage.ErrBlobNotFound) || !errors.Is(rerr, storage.ErrBlobNotFound) {
		t.Fatalf("missing blob: WriteTo %v, Read %v", werr, rerr)
	}
}
