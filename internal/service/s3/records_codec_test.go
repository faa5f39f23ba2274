package s3

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/niwa-cloud/niwa/internal/storage"
	"github.com/niwa-cloud/niwa/internal/storage/recordtest"
)

// TestObjectRecordBinary: every field of an object record survives the
// binary form, which is smaller than the JSON, and a record stored as JSON
// before the binary form reads back the same.
func TestObjectRecordBinary(t *testing.T) {
	recordtest.RoundTrip[objectRecord](t)

	var r objectRecord
	recordtest.Fill(&r)
	bin, _ := storage.EncodeRecord(&r)
	js, _ := json.Marshal(r)
	if len(bin) >= len(js) {
		t.Errorf("binary %d bytes, JSON %d", len(bin), len(js))
	}
	var fromJSON objectRecord
	if err := storage.DecodeRecord(js, &fromJSON); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fromJSON, r) {
		t.Errorf("JSON record read as\n%+v\nwant\n%+v", fromJSON, r)
	}
}

// FuzzDecodeObjectRecord: damaged stored bytes are an error, never a
// panic; what decodes survives a second round trip.
func FuzzDecodeObjectRecord(f *testing.F) {
	var r objectRecord
	recordtest.Fill(&r)
	bin, _ := storage.EncodeRecord(&r)
	js, _ := json.Marshal(r)
	f.Add(bin)
	f.Add(js)
	small, _ := storage.EncodeRecord(&objectRecord{Key: "k", Size: 3, Parts: []blobPart{{Blob: "b", Size: 3}}})
	f.Add(small)
	f.Fuzz(func(t *testing.T, data []byte) {
		var r objectRecord
		if storage.DecodeRecord(data, &r) != nil {
			return
		}
		again, _ := storage.EncodeRecord(&r)
		var r2 objectRecord
		if err := storage.DecodeRecord(again, &r2); err != nil {
			t.Fatalf("re-encoded record does not decode: %v", err)
		}
		a, _ := json.Marshal(r)
		b, _ := json.Marshal(r2)
		if string(a) != string(b) {
			t.Fatalf("second round trip differs:\n%s\n%s", a, b)
		}
	})
}

// BenchmarkObjectRecordCodec compares the stored forms of a PutObject's
// record (the bench's 1 KiB object, no metadata).
func BenchmarkObjectRecordCodec(b *testing.B) {
	r := objectRecord{Key: "bench/key-00001", Seq: 1796083200000000000, LastModified: time.Date(2026, 12, 6, 15, 0, 0, 0, time.UTC),
		Size: 1024, ETag: `"e8da3a4dae7fab9040638403d3f69cf8"`, Parts: []blobPart{{Blob: "ae2708f12c94847312f03bb10082436b", Size: 1024}},
		Owner: "000000000000", ContentType: "application/octet-stream", SSE: "AES256", Checksums: map[string]string{"CRC32": "AAAAAA=="}}
	benchRecordCodec(b, &r)
}

func benchRecordCodec[T any](b *testing.B, r *T) {
	js, _ := json.Marshal(r)
	bin, _ := storage.EncodeRecord(r)
	b.Logf("stored bytes: JSON %d, binary %d", len(js), len(bin))
	b.Run("encode/json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = json.Marshal(r)
		}
	})
	b.Run("encode/binary", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = storage.EncodeRecord(r)
		}
	})
	b.Run("decode/json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var v T
			_ = storage.DecodeRecord(js, &v)
		}
	})
	b.Run("decode/binary", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var v T
			_ = storage.DecodeRecord(bin, &v)
		}
	})
}
