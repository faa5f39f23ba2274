package dynamodb

import (
	"testing"

	"github.com/niwa-cloud/niwa/internal/storage"
)

// TestCountRecordCodec: a table's counts round-trip through the binary
// form, and the JSON stored before it is still read.
func TestCountRecordCodec(t *testing.T) {
	for _, c := range []countRecord{{}, {Items: 1, Bytes: 76}, {Items: 1 << 40, Bytes: -3}} {
		b, err := storage.EncodeRecord(&c)
		if err != nil {
			t.Fatal(err)
		}
		if !storage.IsBinaryRecord(b) {
			t.Fatalf("%+v stored as %q, not binary", c, b)
		}
		var got countRecord
		if err := storage.DecodeRecord(b, &got); err != nil || got != c {
			t.Errorf("%+v decoded as %+v, %v", c, got, err)
		}
	}
	var old countRecord
	if err := storage.DecodeRecord([]byte(`{"n":12,"b":3456}`), &old); err != nil || old != (countRecord{Items: 12, Bytes: 3456}) {
		t.Errorf("JSON counts decoded as %+v, %v", old, err)
	}
}
