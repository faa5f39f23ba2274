package s3

import (
	"encoding/json"
	"reflect"
	"testing"

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
