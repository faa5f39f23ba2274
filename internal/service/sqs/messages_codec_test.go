package sqs

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	sqsapi "github.com/niwa-cloud/niwa/internal/api/sqs"
	"github.com/niwa-cloud/niwa/internal/ptr"
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

// BenchmarkMessageCodec compares the stored forms of a received message
// with one string attribute.
func BenchmarkMessageCodec(b *testing.B) {
	at := time.Date(2026, 12, 6, 15, 0, 0, 0, time.UTC)
	m := message{ID: "491c9986-c81f-41c6-9ba6-9019bf8497c2", Body: "hello from the bench",
		Attrs: map[string]sqsapi.MessageAttributeValue{"kind": {DataType: ptr.To("String"), StringValue: ptr.To("bench")}},
		Sent:  at, VisibleAt: at.Add(30 * time.Second), Received: true, ReceiveCount: 1, FirstReceive: at, LastReceive: at,
		Visibility: 30 * time.Second, Receipt: "0123456789abcdef", SenderID: "000000000000"}
	js, _ := json.Marshal(m)
	bin, _ := storage.EncodeRecord(&m)
	b.Logf("stored bytes: JSON %d, binary %d", len(js), len(bin))
	b.Run("encode/json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = json.Marshal(m)
		}
	})
	b.Run("encode/binary", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = storage.EncodeRecord(&m)
		}
	})
	b.Run("decode/json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var v message
			_ = storage.DecodeRecord(js, &v)
		}
	})
	b.Run("decode/binary", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var v message
			_ = storage.DecodeRecord(bin, &v)
		}
	})
}
