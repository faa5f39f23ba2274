package eventstream

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/model"
)

// Header names of the event stream protocol.
const (
	MessageType   = ":message-type"
	EventType     = ":event-type"
	ExceptionType = ":exception-type"
	ErrorCode     = ":error-code"
	ErrorMessage  = ":error-message"
	ContentTypeH  = ":content-type"
)

// Body encodes structure payloads in a codec's body format (JSON for the
// JSON protocols, XML for REST-XML).
type Body interface {
	// Encode writes v, a value of ref's structure shape, as a whole
	// payload.
	Encode(buf *bytes.Buffer, ref *model.Ref, v map[string]any) error
	// ContentType is the :content-type of such a payload.
	ContentType() string
}

// Writer writes messages to an HTTP response, flushing each one so that
// it reaches the client when it is produced, not when a buffer fills.
type Writer struct {
	w   io.Writer
	rc  *http.ResponseController
	buf []byte
}

// Start begins an event stream response: the headers already set on w
// plus the event stream Content-Type (unless one is set), no
// Content-Length (the response is chunked), and status. A stream may
// outlive any write deadline a server sets for ordinary responses
// (a Live Tail session lasts up to three hours), so the deadline is
// lifted for this response.
func Start(w http.ResponseWriter, status int) *Writer {
	h := w.Header()
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", ContentType)
	}
	h.Del("Content-Length")
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{}) // not every writer has deadlines
	w.WriteHeader(status)
	_ = rc.Flush() // not every writer flushes; the first message will
	return &Writer{w: w, rc: rc}
}

// Write sends m and flushes it.
func (w *Writer) Write(m *Message) error {
	b, err := m.Append(w.buf[:0])
	if err != nil {
		return err
	}
	if cap(b) <= 1<<20 {
		w.buf = b
	}
	if _, err := w.w.Write(b); err != nil {
		return err
	}
	if w.rc != nil {
		if err := w.rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
			return err
		}
	}
	return nil
}

// InitialResponse is the first message of an RPC protocol's (JSON, CBOR)
// event stream response: the output's other members, encoded as body.
func InitialResponse(payload []byte, contentType string) *Message {
	return &Message{
		Headers: []Header{{MessageType, "event"}, {EventType, "initial-response"}, {ContentTypeH, contentType}},
		Payload: payload,
	}
}

// Serve runs stream, sending each event it produces as a message of the
// union shape's member, until the stream ends, fails or the client goes
// away (ctx is cancelled or a write fails). A stream that fails ends with
// an exception message when its error names an exception member of the
// union, else with an error message. Serve returns the write error that
// ended the stream, if any.
func Serve(ctx context.Context, w *Writer, union *model.Shape, stream model.EventStream, body Body) error {
	var (
		mu      sync.Mutex // a stream may send from more than one goroutine
		sendErr error
	)
	send := func(ev map[string]any) error {
		mu.Lock()
		defer mu.Unlock()
		if sendErr != nil {
			return sendErr
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		m, err := EventMessage(union, ev, body)
		if err != nil {
			return err // the handler's mistake, not the client's
		}
		if err := w.Write(m); err != nil {
			sendErr = err
			return err
		}
		return nil
	}
	err := stream(ctx, send)
	mu.Lock()
	defer mu.Unlock()
	if sendErr != nil {
		return sendErr
	}
	if err == nil || ctx.Err() != nil {
		return nil
	}
	return w.Write(ErrorEvent(union, err, body))
}

// EventMessage encodes one event, a union value with exactly one member
// set. An event whose structure has an eventpayload member carries that
// member alone as its payload (a blob raw, a string as text, a structure
// in the body format); any other event carries its whole structure.
func EventMessage(union *model.Shape, ev map[string]any, body Body) (*Message, error) {
	if len(ev) != 1 {
		return nil, fmt.Errorf("eventstream: an event of %s sets %d members, want exactly one", union.Name, len(ev))
	}
	var name string
	var val any
	for name, val = range ev {
	}
	ref, ok := union.MemberByName(name)
	if !ok {
		return nil, fmt.Errorf("eventstream: %s has no member %q", union.Name, name)
	}
	v, _ := val.(map[string]any)
	if v == nil {
		v = map[string]any{}
	}
	var buf bytes.Buffer
	if ref.Shape.Exception {
		if err := body.Encode(&buf, ref, v); err != nil {
			return nil, err
		}
		return &Message{
			Headers: []Header{{MessageType, "exception"}, {ExceptionType, name}, {ContentTypeH, body.ContentType()}},
			Payload: buf.Bytes(),
		}, nil
	}
	ctype := body.ContentType()
	var payload []byte
	if p := eventPayload(ref.Shape); p != nil {
		switch p.Shape.Type {
		case model.Blob:
			ctype = "application/octet-stream"
			switch b := v[p.Name].(type) {
			case []byte:
				payload = b
			case string:
				payload = []byte(b)
			case io.Reader:
				data, err := io.ReadAll(io.LimitReader(b, MaxPayloadLength+1))
				if err != nil {
					return nil, err
				}
				payload = data
			}
		case model.String:
			ctype = "text/plain"
			s, _ := v[p.Name].(string)
			payload = []byte(s)
		default:
			sv, _ := v[p.Name].(map[string]any)
			if sv == nil {
				sv = map[string]any{}
			}
			if err := body.Encode(&buf, p, sv); err != nil {
				return nil, err
			}
			payload = buf.Bytes()
		}
	} else {
		if err := body.Encode(&buf, ref, v); err != nil {
			return nil, err
		}
		payload = buf.Bytes()
	}
	return &Message{
		Headers: []Header{{MessageType, "event"}, {EventType, name}, {ContentTypeH, ctype}},
		Payload: payload,
	}, nil
}

// eventPayload is the member of an event structure that is its whole
// payload, if any.
func eventPayload(sh *model.Shape) *model.Ref {
	for _, m := range sh.Members {
		if m.EventPayload {
			return m
		}
	}
	return nil
}

// ErrorEvent is the message that ends a stream that failed with err: the
// union's exception of err's code, or a protocol error message.
func ErrorEvent(union *model.Shape, err error, body Body) *Message {
	ae := awserr.As(err)
	name := ae.Code.Shape
	if name == "" {
		name = ae.Code.Code
	}
	if ref, ok := union.MemberByName(name); ok && ref.Shape.Exception {
		v := make(map[string]any, len(ae.Fields)+1)
		for k, f := range ae.Fields {
			if _, ok := ref.Shape.MemberByName(k); ok {
				v[k] = f
			}
		}
		if key := messageMember(ref.Shape); key != "" {
			v[key] = ae.Message
		}
		if m, err := EventMessage(union, map[string]any{name: v}, body); err == nil {
			return m
		}
	}
	return &Message{Headers: []Header{
		{MessageType, "error"}, {ErrorCode, ae.Code.Code}, {ErrorMessage, ae.Message},
	}}
}

// messageMember is the member of an exception shape that holds its
// message ("message" or "Message", as the model spells it).
func messageMember(sh *model.Shape) string {
	for _, m := range sh.Members {
		if strings.EqualFold(m.Name, "message") {
			return m.Name
		}
	}
	return ""
}
