// Package protocol defines the contract of niwa's wire codecs. There is one
// codec per AWS protocol family (query, ec2, json, rest-json, rest-xml),
// each driven entirely by the service's model: services never serialize
// anything themselves.
//
// A codec turns an HTTP request into the operation it calls and a dynamic
// input value (see internal/model for the value conventions), and turns a
// dynamic output value or an *awserr.Error into the HTTP response a real
// client expects, including the request-id headers of that protocol.
package protocol

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"unsafe"

	"github.com/niwa-cloud/niwa/internal/api"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/httpbody"
	"github.com/niwa-cloud/niwa/internal/model"
)

// Codec is one protocol family.
type Codec interface {
	// Resolve finds the operation req calls. Unknown operations are an
	// *awserr.Error in the protocol's vocabulary (InvalidAction,
	// UnknownOperationException, ...).
	Resolve(svc *model.Service, req *Request) (*model.Operation, error)
	// Decode reads op's input from req as a dynamic structure value.
	// Operations without input decode to an empty map. A streaming
	// payload member is left as an io.Reader over req.Body, never read
	// into memory.
	Decode(op *model.Operation, req *Request) (map[string]any, error)
	// Encode writes op's output (nil when the operation has none).
	Encode(w http.ResponseWriter, op *model.Operation, out map[string]any, meta Meta) error
	// EncodeError writes err. op is nil when the operation is unknown.
	EncodeError(w http.ResponseWriter, svc *model.Service, op *model.Operation, err *awserr.Error, meta Meta)
}

// TypedDecoder is a codec that can decode a request straight into the
// operation's typed input (a generated structure), without the dynamic
// tree Decode builds. The gateway uses it when the codec has it and the
// operation is bound.
type TypedDecoder interface {
	// DecodeTyped reads op's input from req into in, a pointer to a zero
	// input structure: the value Decode and api.Converter.ToTyped would
	// build. It answers ErrUseTree for a request it does not decode
	// (malformed, not what the model says, or a form it leaves to the
	// tree path); the caller then discards in and decodes with Decode,
	// whose errors are the ones clients see. Other errors (the body
	// could not be read, or is too large) are Decode's own, to answer.
	DecodeTyped(op *model.Operation, req *Request, in api.Typed) error
	// DecodesTyped reports whether DecodeTyped may decode op's requests
	// (false: it would answer ErrUseTree to all of them, so the caller
	// need not make a typed input for it).
	DecodesTyped(op *model.Operation) bool
}

// ErrUseTree is TypedDecoder's answer for a request to decode with
// Decode instead.
var ErrUseTree = errors.New("protocol: decode this request through the tree")

// TypedTarget is where a TypedDecoder writes op's input: the generated
// structure in points to, or ErrUseTree when op has no input or in is
// a nil pointer (nothing to write into; the tree path answers).
func TypedTarget(op *model.Operation, in api.Typed) (unsafe.Pointer, error) {
	if op.Input == nil || in == nil {
		return nil, ErrUseTree
	}
	p := reflect.ValueOf(in).UnsafePointer()
	if p == nil {
		return nil, ErrUseTree
	}
	return p, nil
}

// TypedEncoder is implemented by the codecs that write an operation's
// output straight from the handler's typed value (a generated structure,
// read in place through its package's conversion table) instead of from
// its dynamic form: the bytes, status and headers are exactly those
// Encode writes for api.Converter.ToDynamic(out) (an empty structure for
// a nil out). The gateway uses it when the codec has it.
type TypedEncoder interface {
	EncodeTyped(w http.ResponseWriter, op *model.Operation, out api.Typed, meta Meta) error
}

// Meta is per-response information every protocol carries somewhere.
type Meta struct {
	RequestID string
	// HostID is S3's x-amz-id-2.
	HostID string
	// Context is the request's context: an event stream response runs
	// until it ends or the client goes away (nil: never cancelled).
	Context context.Context
}

// Ctx returns m.Context, or a context that is never cancelled.
func (m Meta) Ctx() context.Context {
	if m.Context == nil {
		return context.Background()
	}
	return m.Context
}

// Request is an HTTP request being decoded. Body is what the codec reads
// instead of HTTP.Body: the signature layer may have replaced it (to decode
// aws-chunked or verify a payload hash as it streams).
type Request struct {
	HTTP *http.Request
	Body io.Reader

	// PathBucket is set by the gateway for S3 virtual-host-style requests:
	// the bucket came from the Host header, so REST routing must see the
	// path as if it were "/<bucket><path>".
	HostBucket string

	// MaxBody caps what Bytes reads (maxBufferedBody when zero), and
	// TooLarge makes the error it answers for a longer body (the gateway
	// sets both from the service's and operation's limits); a function,
	// so the error is worded only for a body that is too long.
	MaxBody  int64
	TooLarge func() error
	// TooLargeErr, when set, words that error instead of TooLarge: an
	// interface the gateway's per-request exchange implements, so setting
	// it for every request allocates nothing (a closure would).
	TooLargeErr interface{ TooLargeError() error }

	// SharedQuery, when set (the gateway's exchange), is the URL query
	// parsed once for the whole request path: Query reads it.
	SharedQuery *SharedQuery

	query    url.Values // URL query, parsed on first use
	formOnce sync.Once
	form     url.Values
	formErr  error
	bodyOnce sync.Once
	body     []byte
	bodyErr  error

	gunzipOnce sync.Once
	gunzipped  []byte
	gunzipErr  error
}

// NewRequest wraps r with body as the payload (r.Body when body is nil).
func NewRequest(r *http.Request, body io.Reader) *Request {
	if body == nil {
		body = r.Body
	}
	if body == nil {
		body = http.NoBody
	}
	return &Request{HTTP: r, Body: body}
}

// maxBufferedBody bounds non-streaming bodies read into memory; AWS's own
// limits for non-streaming APIs are far below it.
const maxBufferedBody = 32 << 20

// Bytes reads the whole body once and returns it on every call. Only for
// non-streaming payloads. A body over MaxBody is refused as soon as it
// is known to be: from its Content-Length, before anything is read, or
// once one byte more than the cap has arrived. A body that cannot be read
// (cut short, a stalled connection) is the reader's error, which the
// gateway has already worded in the service's protocol.
func (r *Request) Bytes() ([]byte, error) {
	r.bodyOnce.Do(func() {
		limit := r.MaxBody
		if limit <= 0 {
			limit = maxBufferedBody
		}
		// A declared length counts only when it is the payload's: an
		// aws-chunked body's Content-Length includes its framing.
		if r.HTTP != nil && r.HTTP.ContentLength > limit && r.HTTP.Header.Get("X-Amz-Decoded-Content-Length") == "" {
			r.bodyErr = r.tooLarge(limit)
			return
		}
		if tb, ok := r.Body.(interface{ TakeBytes(int64) ([]byte, bool) }); ok {
			// The signature layer already holds the body in memory
			// (it hashed it): taken as it is, not copied.
			if body, ok := tb.TakeBytes(limit); ok {
				r.body = body
				return
			}
		}
		hint := int64(-1)
		if r.HTTP != nil {
			hint = r.HTTP.ContentLength
		}
		r.body, r.bodyErr = httpbody.ReadUpTo(r.Body, limit+1, hint)
		if r.bodyErr == nil && int64(len(r.body)) > limit {
			r.body, r.bodyErr = nil, r.tooLarge(limit)
		}
	})
	return r.body, r.bodyErr
}

// tooLarge is the error for a body over limit: the gateway's wording
// (TooLargeErr or TooLarge), or the JSON protocols' when none is set.
func (r *Request) tooLarge(limit int64) error {
	if r.TooLargeErr != nil {
		return r.TooLargeErr.TooLargeError()
	}
	if r.TooLarge != nil {
		return r.TooLarge()
	}
	return awserr.SerializationException.New("request body exceeds %d bytes", limit)
}

// Payload is Bytes, decompressed when the client compressed it
// (Content-Encoding: gzip): AWS's request compression, which current SDKs
// apply to operations with the requestcompression trait (CloudWatch's
// PutMetricData; botocore above 10 KiB, aws-sdk-go-v2 always). Only the
// RPC codecs (query, JSON, CBOR) read it: a REST payload keeps its
// Content-Encoding as data (an S3 object stored gzipped). The
// decompressed size is held to the same cap as the body, so a small
// compressed body cannot expand without bound.
func (r *Request) Payload() ([]byte, error) {
	body, err := r.Bytes()
	if err != nil || r.HTTP == nil || !gzipped(r.HTTP.Header.Values("Content-Encoding")) {
		return body, err
	}
	r.gunzipOnce.Do(func() {
		limit := r.MaxBody
		if limit <= 0 {
			limit = maxBufferedBody
		}
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			r.gunzipErr = awserr.SerializationException.New("the request body is not valid gzip: %v", err)
			return
		}
		out, err := io.ReadAll(io.LimitReader(zr, limit+1))
		switch {
		case err != nil:
			r.gunzipErr = awserr.SerializationException.New("the request body is not valid gzip: %v", err)
		case int64(len(out)) > limit:
			r.gunzipErr = r.tooLarge(limit)
		default:
			r.gunzipped = out
		}
	})
	return r.gunzipped, r.gunzipErr
}

// gzipped reports whether the Content-Encoding values name gzip.
func gzipped(values []string) bool {
	for _, v := range values {
		for _, tok := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(tok), "gzip") {
				return true
			}
		}
	}
	return false
}

// Form returns the query-string parameters merged with an
// application/x-www-form-urlencoded body (query and ec2 protocols), parsed
// once.
func (r *Request) Form() (url.Values, error) {
	r.formOnce.Do(func() {
		r.form, r.formErr = url.ParseQuery(r.HTTP.URL.RawQuery)
		if r.formErr != nil {
			return
		}
		if r.HTTP.Method == http.MethodGet || r.HTTP.Method == http.MethodHead {
			return
		}
		body, err := r.Payload()
		if err != nil {
			r.formErr = err
			return
		}
		values, err := url.ParseQuery(string(body))
		if err != nil {
			r.formErr = err
			return
		}
		if len(r.form) == 0 {
			// The usual query request: everything is in the body.
			r.form = values
			return
		}
		for k, v := range values {
			r.form[k] = append(r.form[k], v...)
		}
	})
	return r.form, r.formErr
}

// Query is the URL's query parameters, parsed once for the codec's
// Resolve and Decode. Callers must not change it.
func (r *Request) Query() url.Values {
	if r.query == nil {
		if sq := r.SharedQuery; sq != nil && sq.Raw() == r.HTTP.URL.RawQuery {
			r.query = sq.Values()
		} else {
			r.query = r.HTTP.URL.Query()
		}
	}
	return r.query
}

// SetHeaders sets each name (which must be in canonical form, as
// http.CanonicalHeaderKey gives it) to its value, as Header.Set does, with
// the values' slices made in one allocation instead of one each: a
// response's few fixed headers are set on every request. An empty value
// leaves its header as it is.
func SetHeaders(h http.Header, namesAndValues ...string) {
	n := 0
	for i := 1; i < len(namesAndValues); i += 2 {
		if namesAndValues[i] != "" {
			n++
		}
	}
	vals := make([]string, 0, n)
	for i := 0; i+1 < len(namesAndValues); i += 2 {
		if v := namesAndValues[i+1]; v != "" {
			vals = append(vals, v)
			h[namesAndValues[i]] = vals[len(vals)-1 : len(vals) : len(vals)]
		}
	}
}

// Dynamic is the dynamic form of op's typed output out, as the gateway
// hands it to Encode: nil for an operation without output, an empty
// structure for a nil out. A TypedEncoder falls back to it for what it
// does not write in place (event streams).
func Dynamic(op *model.Operation, out api.Typed) map[string]any {
	if op.Output == nil {
		return nil
	}
	tab, i, p := api.Locate(out)
	m := tab.ToDynamic(i, p)
	if m == nil {
		m = map[string]any{}
	}
	return m
}
