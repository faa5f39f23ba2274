package eventstream

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	sdkes "github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"

	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/model"
)

func allTypes() *Message {
	return &Message{
		Headers: []Header{
			{"t", true}, {"f", false}, {"b", int8(-3)}, {"s", int16(-300)}, {"i", int32(70000)},
			{"l", int64(-1 << 40)}, {"raw", []byte{0, 1, 2}}, {":event-type", "PayloadChunk"},
			{"ts", time.UnixMilli(1700000000123).UTC()}, {"id", UUID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}},
		},
		Payload: []byte(`{"hello":"world"}`),
	}
}

func TestRoundTrip(t *testing.T) {
	for _, m := range []*Message{allTypes(), {}, {Payload: []byte("x")}, {Headers: []Header{{"a", ""}}}} {
		b, err := m.Append(nil)
		if err != nil {
			t.Fatal(err)
		}
		got, n, err := Parse(b)
		if err != nil || n != len(b) {
			t.Fatalf("Parse = %v, %d of %d", err, n, len(b))
		}
		if len(m.Payload) == 0 {
			m.Payload = nil
		}
		if !reflect.DeepEqual(got, m) {
			t.Errorf("round trip:\n got %#v\nwant %#v", got, m)
		}
	}
}

// TestSDKDecodesOurs checks the encoding against aws-sdk-go-v2's decoder,
// the one its event stream clients (Lambda, CloudWatch Logs, S3) use.
func TestSDKDecodesOurs(t *testing.T) {
	b, err := allTypes().Append(nil)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := sdkes.NewDecoder().Decode(bytes.NewReader(b), nil)
	if err != nil {
		t.Fatal(err)
	}
	if string(msg.Payload) != `{"hello":"world"}` {
		t.Errorf("payload %q", msg.Payload)
	}
	want := map[string]string{
		"t": "true", "f": "false", "b": "-3", "s": "-300", "i": "70000", "l": "-1099511627776",
		":event-type": "PayloadChunk", "ts": time.UnixMilli(1700000000123).String(),
	}
	for name, v := range want {
		h := msg.Headers.Get(name)
		if h == nil {
			t.Errorf("header %s missing", name)
			continue
		}
		got := fmt.Sprint(h.Get())
		if tv, ok := h.Get().(time.Time); ok {
			got = tv.String()
		}
		if got != v {
			t.Errorf("header %s = %q, want %q", name, got, v)
		}
	}
	if raw, _ := msg.Headers.Get("raw").Get().([]byte); !bytes.Equal(raw, []byte{0, 1, 2}) {
		t.Errorf("bytes header %v", raw)
	}
	if u, _ := msg.Headers.Get("id").Get().([]byte); len(u) != 16 || u[0] != 1 || u[15] != 16 {
		t.Errorf("uuid header %v", msg.Headers.Get("id"))
	}
}

// TestWeDecodeSDK decodes what the SDK's encoder writes.
func TestWeDecodeSDK(t *testing.T) {
	var buf bytes.Buffer
	m := sdkes.Message{Payload: []byte("payload")}
	m.Headers.Set(":message-type", sdkes.StringValue("event"))
	m.Headers.Set("n", sdkes.Int64Value(42))
	m.Headers.Set("when", sdkes.TimestampValue(time.UnixMilli(5).UTC()))
	m.Headers.Set("yes", sdkes.BoolValue(true))
	if err := sdkes.NewEncoder().Encode(&buf, m); err != nil {
		t.Fatal(err)
	}
	buf.Write(buf.Bytes()) // two messages back to back
	d := NewDecoder(&buf)
	for i := 0; i < 2; i++ {
		got, err := d.Decode()
		if err != nil {
			t.Fatal(err)
		}
		if got.String(":message-type") != "event" || got.Header("n") != int64(42) || got.Header("yes") != true ||
			!got.Header("when").(time.Time).Equal(time.UnixMilli(5)) || string(got.Payload) != "payload" {
			t.Errorf("message %d: %#v", i, got)
		}
	}
	if _, err := d.Decode(); err != io.EOF {
		t.Errorf("after the last message: %v, want io.EOF", err)
	}
}

func TestDecodeRefuses(t *testing.T) {
	good, _ := allTypes().Append(nil)
	flip := func(i int) []byte {
		b := bytes.Clone(good)
		b[i] ^= 0xff
		return b
	}
	huge := bytes.Clone(good)
	copy(huge, []byte{0x7f, 0, 0, 0})
	cases := []struct {
		name string
		b    []byte
		want error
	}{
		{"prelude crc", flip(9), ErrChecksum},
		{"message crc", flip(len(good) - 1), ErrChecksum},
		{"payload byte", flip(len(good) - 6), ErrChecksum},
		{"declared too large", huge, ErrChecksum}, // the prelude CRC no longer matches
		{"truncated", good[:len(good)-3], io.ErrUnexpectedEOF},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := NewDecoder(bytes.NewReader(c.b)).Decode(); !errors.Is(err, c.want) {
				t.Errorf("Decode = %v, want %v", err, c.want)
			}
		})
	}
	// A prelude with a valid CRC declaring 2 GiB is refused before any
	// allocation.
	var p [12]byte
	copy(p[:], []byte{0x80, 0, 0, 0, 0, 0, 0, 0})
	tmp := (&Message{}).appendPrelude(p[:8])
	if _, err := NewDecoder(bytes.NewReader(tmp)).Decode(); !errors.Is(err, ErrTooLarge) {
		t.Errorf("2 GiB prelude: %v, want ErrTooLarge", err)
	}
}

func FuzzParse(f *testing.F) {
	good, _ := allTypes().Append(nil)
	f.Add(good)
	empty, _ := (&Message{}).Append(nil)
	f.Add(empty)
	f.Fuzz(func(t *testing.T, b []byte) {
		m, n, err := Parse(b)
		if err != nil {
			return
		}
		if n > len(b) {
			t.Fatalf("consumed %d of %d bytes", n, len(b))
		}
		// Whatever parses re-encodes to a message that parses the same.
		again, err := m.Append(nil)
		if err != nil {
			t.Fatalf("re-encoding a parsed message: %v", err)
		}
		m2, _, err := Parse(again)
		if err != nil || !reflect.DeepEqual(m, m2) {
			t.Fatalf("re-parse: %v\n%#v\n%#v", err, m, m2)
		}
	})
}

// union is a model like Lambda's and Logs' event streams.
func union(t *testing.T) *model.Shape {
	t.Helper()
	svc, err := model.Load([]byte(`{"metadata":{"protocol":"rest-json"},"operations":{},"shapes":{
		"Stream":{"type":"structure","eventstream":true,"members":{
			"Chunk":{"shape":"Chunk"},"Done":{"shape":"Done"},"Boom":{"shape":"Boom"}}},
		"Chunk":{"type":"structure","event":true,"members":{"Payload":{"shape":"Blob","eventpayload":true}}},
		"Done":{"type":"structure","event":true,"members":{"Code":{"shape":"String"}}},
		"Boom":{"type":"structure","exception":true,"members":{"message":{"shape":"String"}}},
		"Blob":{"type":"blob"},"String":{"type":"string"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	return svc.Shapes["Stream"]
}

type jsonBody struct{}

func (jsonBody) Encode(buf *bytes.Buffer, ref *model.Ref, v map[string]any) error {
	buf.WriteString("{")
	for k, x := range v {
		buf.WriteString(`"` + k + `":"` + x.(string) + `"`)
	}
	buf.WriteString("}")
	return nil
}
func (jsonBody) ContentType() string { return "application/json" }

func TestServe(t *testing.T) {
	sh := union(t)
	boom := awserr.Code{Code: "Boom", Status: 400, Sender: true}
	other := awserr.Code{Code: "ServiceException", Status: 500}
	cases := []struct {
		name   string
		stream model.EventStream
		want   []map[string]string // headers of each message, "payload" the payload
	}{
		{"events", func(ctx context.Context, send func(map[string]any) error) error {
			if err := send(map[string]any{"Chunk": map[string]any{"Payload": []byte("abc")}}); err != nil {
				return err
			}
			return send(map[string]any{"Done": map[string]any{"Code": "ok"}})
		}, []map[string]string{
			{":message-type": "event", ":event-type": "Chunk", ":content-type": "application/octet-stream", "payload": "abc"},
			{":message-type": "event", ":event-type": "Done", ":content-type": "application/json", "payload": `{"Code":"ok"}`},
		}},
		{"modeled exception", func(ctx context.Context, send func(map[string]any) error) error {
			return boom.New("it broke")
		}, []map[string]string{
			{":message-type": "exception", ":exception-type": "Boom", ":content-type": "application/json", "payload": `{"message":"it broke"}`},
		}},
		{"other error", func(ctx context.Context, send func(map[string]any) error) error {
			return other.New("oops")
		}, []map[string]string{
			{":message-type": "error", ":error-code": "ServiceException", ":error-message": "oops", "payload": ""},
		}},
		{"unknown member is the handler's error", func(ctx context.Context, send func(map[string]any) error) error {
			if err := send(map[string]any{"Nope": map[string]any{}}); err == nil {
				t.Error("send of an unknown member succeeded")
			}
			return nil
		}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			w := Start(rec, 200)
			if err := Serve(context.Background(), w, sh, c.stream, jsonBody{}); err != nil {
				t.Fatal(err)
			}
			if ct := rec.Header().Get("Content-Type"); ct != ContentType {
				t.Errorf("Content-Type %q", ct)
			}
			if !rec.Flushed {
				t.Error("response not flushed")
			}
			d := NewDecoder(rec.Body)
			for i, want := range c.want {
				m, err := d.Decode()
				if err != nil {
					t.Fatalf("message %d: %v", i, err)
				}
				for k, v := range want {
					got := m.String(k)
					if k == "payload" {
						got = string(m.Payload)
					}
					if got != v {
						t.Errorf("message %d %s = %q, want %q", i, k, got, v)
					}
				}
			}
			if _, err := d.Decode(); err != io.EOF {
				t.Errorf("extra message or bad end: %v", err)
			}
		})
	}
}

// TestServeStopsWhenClientGoes: a cancelled request context fails send,
// so a stream producing forever ends.
func TestServeStopsWhenClientGoes(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	err := Serve(ctx, Start(httptest.NewRecorder(), 200), union(t), func(ctx context.Context, send func(map[string]any) error) error {
		for {
			if err := send(map[string]any{"Done": map[string]any{}}); err != nil {
				return err
			}
			if n++; n == 3 {
				cancel()
			}
		}
	}, jsonBody{})
	if err != nil || n != 3 {
		t.Errorf("Serve = %v after %d events, want nil after 3", err, n)
	}
}
