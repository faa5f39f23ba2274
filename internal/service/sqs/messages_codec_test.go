package sqs

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/niwa-cloud/niwa/internal/storage"
	"github.com/niwa-cloud/niwa/internal/storage/recordtest"
)

// TestMessageBinary: every field of a stored message survives the binary
// form, which is smaller than the JSON, and a message stored as JSON
// before the binary form reads back the same.
func TestMessageBinary(t *testing.T) {
	recordtest.RoundTrip[message](t)

	var m message
	recordtest.Fill(&m)
	bin, _ := storage.EncodeRecord(&m)
	js, _ := json.Marshal(m)
	if len(bin) >= len(js) {
		t.Errorf("binary %d bytes, JSON %d", len(bin), len(js))
	}
	var fromJSON message
	if err := storage.DecodeRecord(js, &fromJSON); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fromJSON, m) {
		t.Errorf("JSON message read as\n%+v\nwant\n%+v", fromJSON, m)
	}
}

// FuzzDecodeMessage: damaged stored bytes are an error, never a panic;
// what decodes survives a second round trip.
func FuzzDecodeMessage(f *testing.F) {
	var m message
	recordtest.Fill(&m)
	bin, _ := storage.EncodeRecord(&m)
	js, _ := json.Marshal(m)
	f.Add(bin)
	f.Add(js)
	small, _ := storage.EncodeRecord(&message{ID: "i", Body: "b"})
	f.Add(small)
	f.Fuzz(func(t *testing.T, data []byte) {
		var m message
		if storage.DecodeRecord(data, &m) != nil {
			return
		}
		again, _ := storage.EncodeRecord(&m)
		var m2 message
		if err := storage.DecodeRecord(again, &m2); err != nil {
			t.Fatalf("re-encoded message does not decode: %v", err)
		}
		a, _ := json.Marshal(m)
		b, _ := json.Marshal(m2)
		if string(a) != string(b) {
			t.Fatalf("second round trip differs:\n%s\n%s", a, b)
		}
	})
}
