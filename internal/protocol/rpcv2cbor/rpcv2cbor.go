// Package rpcv2cbor is the codec of the Smithy RPC v2 CBOR protocol
// (smithy.protocols#rpcv2Cbor, "smithy-rpc-v2-cbor" in a model's protocols
// list), which CBOR-first clients (the Smithy SDKs, newer aws CLI v2
// releases) speak to CloudWatch and the other services whose current
// models list it.
//
// A request is POST /service/<ServiceName>/operation/<Operation> with the
// header smithy-protocol: rpc-v2-cbor and the whole input as one CBOR map
// keyed by member name (an empty body is an empty input). Responses carry
// the same header, Content-Type application/cbor and the output as a CBOR
// map; errors are a map of "__type" (the namespaced shape id), "message"
// and the error's members, with the error's HTTP status. Timestamps are
// tag 1 epoch seconds, blobs byte strings. Services that replaced the
// query protocol (awsQueryCompatible) also answer x-amzn-query-error, as
// their JSON protocol does. See
// https://smithy.io/2.0/additional-specs/protocols/smithy-rpc-v2.html.
//
// The bytes are read and written by github.com/fxamacker/cbor/v2; this
// package only maps them to the model's dynamic values (internal/model),
// the same conventions the JSON codec decodes into.
package rpcv2cbor

import (
	"fmt"
	"math"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/model"
	"github.com/niwa-cloud/niwa/internal/protocol"
)

// Protocol is the name of the protocol in a model's protocols list.
const Protocol = "smithy-rpc-v2-cbor"

// HeaderValue is the value of the smithy-protocol header on requests and
// responses.
const HeaderValue = "rpc-v2-cbor"

// ContentType is the media type of every body.
const ContentType = "application/cbor"

// maxDepth bounds nesting, so a hostile body cannot recurse without end.
// AWS models nest far less.
const maxDepth = 64

// Codec is the RPC v2 CBOR codec. It keeps no per-model state.
type Codec struct {
	dec cbor.DecMode
	enc cbor.EncMode
}

var _ protocol.Codec = (*Codec)(nil)

// New returns the codec.
func New() protocol.Codec {
	dec, err := cbor.DecOptions{
		MaxNestedLevels:  maxDepth,
		IndefLength:      cbor.IndefLengthAllowed,
		DupMapKey:        cbor.DupMapKeyEnforcedAPF,
		DefaultMapType:   reflect.TypeOf(map[string]any(nil)),
		IntDec:           cbor.IntDecConvertNone,
		TimeTag:          cbor.DecTagOptional,
		UTF8:             cbor.UTF8RejectInvalid,
		BigIntDec:        cbor.BigIntDecodeValue,
		ByteStringToTime: cbor.ByteStringToTimeForbidden,
	}.DecMode()
	if err != nil {
		panic(err) // the options above are constants
	}
	enc, err := cbor.EncOptions{
		Sort:          cbor.SortBytewiseLexical,
		IndefLength:   cbor.IndefLengthForbidden,
		NaNConvert:    cbor.NaNConvertNone,
		InfConvert:    cbor.InfConvertNone,
		ShortestFloat: cbor.ShortestFloatNone,
	}.EncMode()
	if err != nil {
		panic(err)
	}
	return &Codec{dec: dec, enc: enc}
}

// IsRequest reports whether r says it is spoken in this protocol: the
// smithy-protocol header is how the Smithy spec tells protocols apart.
func IsRequest(r *http.Request) bool {
	return r.Header.Get("Smithy-Protocol") == HeaderValue
}

// PathOperation splits the /service/<ServiceName>/operation/<Operation>
// path (the spec allows an endpoint path prefix before it).
func PathOperation(path string) (service, operation string, ok bool) {
	parts := strings.Split(strings.TrimSuffix(path, "/"), "/")
	n := len(parts)
	if n < 5 || parts[n-4] != "service" || parts[n-2] != "operation" || parts[n-3] == "" || parts[n-1] == "" {
		return "", "", false
	}
	return parts[n-3], parts[n-1], true
}

// Resolve finds the operation of the request path. The service segment
// must name this service: its X-Amz-Target prefix, which is what botocore
// sends and what the Smithy service shape of AWS services is called.
func (c *Codec) Resolve(svc *model.Service, req *protocol.Request) (*model.Operation, error) {
	r := req.HTTP
	if !IsRequest(r) {
		return nil, awserr.UnknownOperation.New("Missing or invalid smithy-protocol header: expected %q", HeaderValue)
	}
	service, name, ok := PathOperation(r.URL.Path)
	if !ok {
		return nil, awserr.UnknownOperation.New("Unknown operation: %s is not /service/<ServiceName>/operation/<Operation>", r.URL.Path)
	}
	if r.Method != http.MethodPost {
		return nil, awserr.UnknownOperation.New("Unknown operation %s: RPC v2 requests are POST, not %s", name, r.Method)
	}
	if tp := svc.Metadata.TargetPrefix; tp == "" || tp == service {
		if op, ok := svc.Operations[name]; ok {
			return op, nil
		}
	}
	return nil, awserr.UnknownOperation.New("Unknown operation %s.%s", service, name)
}

// Decode reads op's input from the CBOR body. An empty body is an empty
// input; a body that is not CBOR, or a value that does not fit the model,
// is a SerializationException.
func (c *Codec) Decode(op *model.Operation, req *protocol.Request) (map[string]any, error) {
	body, err := req.Payload()
	if err != nil {
		return nil, err
	}
	if len(body) == 0 {
		return map[string]any{}, nil
	}
	var raw any
	if err := c.dec.Unmarshal(body, &raw); err != nil {
		return nil, awserr.SerializationException.New("malformed CBOR body: %v", err)
	}
	if op.Input == nil {
		if _, ok := raw.(map[string]any); !ok && raw != nil {
			return nil, awserr.SerializationException.New("expected a CBOR map, got %s", kind(raw))
		}
		return map[string]any{}, nil
	}
	v, err := convert(op.Input.Shape, raw, op.Input.Shape.Name)
	if err != nil {
		return nil, awserr.SerializationException.New("%v", err)
	}
	if v == nil {
		return map[string]any{}, nil
	}
	return v.(map[string]any), nil
}

// Encode writes op's output. An operation without output answers an empty
// body and no Content-Type (the spec's no_output case); an empty output
// structure an empty map.
func (c *Codec) Encode(w http.ResponseWriter, op *model.Operation, out map[string]any, meta protocol.Meta) error {
	if op.Output == nil {
		write(w, http.StatusOK, nil, meta, nil)
		return nil
	}
	var wire any = map[string]any{}
	{
		v, err := encodeValue(op.Output.Shape, out, 0)
		if err != nil {
			return err
		}
		if v != nil {
			wire = v
		}
	}
	body, err := c.enc.Marshal(wire)
	if err != nil {
		return err
	}
	write(w, http.StatusOK, body, meta, nil)
	return nil
}

// EncodeError writes err as a CBOR map with __type, message and the
// error's members. svc may carry only metadata (a service niwa does not
// implement); the namespace then comes from its serviceId.
func (c *Codec) EncodeError(w http.ResponseWriter, svc *model.Service, op *model.Operation, err *awserr.Error, meta protocol.Meta) {
	code := err.Code
	typ := code.Shape
	if typ == "" {
		typ = code.Code
	}
	var shape *model.Shape
	ns := "com.amazonaws"
	if svc != nil {
		if sh, ok := svc.Shapes[typ]; ok && sh.Type == model.Structure {
			shape = sh
		}
		ns = Namespace(svc)
	}
	body := map[string]any{"__type": ns + "#" + typ}
	msgKey := "message"
	if shape != nil {
		for _, m := range shape.Members {
			if strings.EqualFold(m.Name, "message") {
				msgKey = m.Name
			}
		}
	}
	if err.Message != "" {
		body[msgKey] = err.Message
	}
	for name, v := range err.Fields {
		if v == nil || strings.EqualFold(name, msgKey) || name == "__type" {
			continue
		}
		var enc any = v
		if shape != nil {
			if mr, ok := shape.MemberByName(name); ok {
				ev, encErr := encodeValue(mr.Shape, v, 0)
				if encErr != nil {
					continue // a field the codec cannot encode is dropped, code and message stay
				}
				enc = ev
			}
		}
		body[name] = enc
	}
	data, merr := c.enc.Marshal(body)
	if merr != nil {
		data, _ = c.enc.Marshal(map[string]any{"__type": ns + "#" + typ, msgKey: err.Message})
	}
	if data == nil {
		data = []byte{}
	}
	h := http.Header{}
	if svc != nil && svc.Metadata.AWSQueryCompatible {
		fault := "Receiver"
		if code.Sender {
			fault = "Sender"
		}
		h.Set("X-Amzn-Query-Error", code.Code+";"+fault)
	}
	for k, v := range err.Header {
		h[k] = slices.Clone(v)
	}
	status := code.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	write(w, status, data, meta, h)
}

// Namespace is the Smithy namespace of a service's shapes in __type
// ("com.amazonaws.cloudwatch"). Clients keep only what follows '#'.
func Namespace(svc *model.Service) string {
	id := svc.Metadata.ServiceID
	if id == "" {
		id = svc.Metadata.EndpointPrefix
	}
	return "com.amazonaws." + strings.ToLower(strings.ReplaceAll(id, " ", ""))
}

func write(w http.ResponseWriter, status int, body []byte, meta protocol.Meta, extra http.Header) {
	h := w.Header()
	for k, v := range extra {
		h[k] = v
	}
	h.Set("Smithy-Protocol", HeaderValue)
	if body != nil {
		h.Set("Content-Type", ContentType)
	}
	if meta.RequestID != "" {
		h.Set("X-Amzn-Requestid", meta.RequestID)
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

// decodeError is a value that does not fit the model.
type decodeError struct {
	path, msg string
}

func (e *decodeError) Error() string { return e.path + ": " + e.msg }

func kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any, map[any]any:
		return "map"
	case []any:
		return "array"
	case string:
		return "text string"
	case []byte:
		return "byte string"
	case bool:
		return "boolean"
	case uint64, int64:
		return "integer"
	case float64:
		return "float"
	case cbor.Tag, cbor.RawTag, time.Time:
		return "tagged value"
	}
	return fmt.Sprintf("%T", v)
}

// convert checks a generic CBOR value against sh and returns it as a
// dynamic value (internal/model). nil (CBOR null or undefined) is an
// absent value.
func convert(sh *model.Shape, v any, path string) (any, error) {
	if v == nil {
		return nil, nil
	}
	bad := func() error {
		return &decodeError{path, fmt.Sprintf("expected %s for %s, got %s", sh.Type, sh.Name, kind(v))}
	}
	switch sh.Type {
	case model.Structure:
		m, ok := v.(map[string]any)
		if !ok {
			return nil, bad()
		}
		out := make(map[string]any, len(m))
		for k, mv := range m {
			mr, ok := sh.MemberByName(k)
			if !ok || mv == nil {
				continue // unknown members are skipped, nulls are absent
			}
			cv, err := convert(mr.Shape, mv, path+"."+k)
			if err != nil {
				return nil, err
			}
			if cv != nil {
				out[k] = cv
			}
		}
		return out, nil
	case model.List:
		l, ok := v.([]any)
		if !ok {
			return nil, bad()
		}
		out := make([]any, 0, len(l))
		for i, e := range l {
			cv, err := convert(sh.Member.Shape, e, path+"["+strconv.Itoa(i)+"]")
			if err != nil {
				return nil, err
			}
			out = append(out, cv)
		}
		return out, nil
	case model.Map:
		m, ok := v.(map[string]any)
		if !ok {
			return nil, bad()
		}
		out := make(map[string]any, len(m))
		for k, mv := range m {
			if mv == nil {
				continue // a dense map drops null values
			}
			cv, err := convert(sh.Value.Shape, mv, path+"."+k)
			if err != nil {
				return nil, err
			}
			out[k] = cv
		}
		return out, nil
	case model.String, model.Character:
		if s, ok := v.(string); ok {
			return s, nil
		}
		return nil, bad()
	case model.Boolean:
		if b, ok := v.(bool); ok {
			return b, nil
		}
		return nil, bad()
	case model.Integer, model.Long:
		var n int64
		switch x := v.(type) {
		case uint64:
			if x > math.MaxInt64 {
				return nil, &decodeError{path, fmt.Sprintf("%d is out of range for %s", x, sh.Name)}
			}
			n = int64(x)
		case int64:
			n = x
		default:
			return nil, bad()
		}
		if sh.Type == model.Integer && (n < math.MinInt32 || n > math.MaxInt32) {
			return nil, &decodeError{path, fmt.Sprintf("%d is out of range for %s", n, sh.Name)}
		}
		return n, nil
	case model.Float, model.Double:
		switch x := v.(type) {
		case float64:
			return x, nil
		case uint64:
			return float64(x), nil
		case int64:
			return float64(x), nil
		}
		return nil, bad()
	case model.Timestamp:
		t, ok := timestamp(v)
		if !ok {
			return nil, bad()
		}
		return t, nil
	case model.Blob:
		if b, ok := v.([]byte); ok {
			return b, nil
		}
		return nil, bad()
	case model.Document:
		return document(v, path, 0)
	}
	return nil, bad()
}

// timestamp reads tag 1 epoch seconds (integer or float); an untagged
// number is accepted too, as Smithy's own servers do.
func timestamp(v any) (time.Time, bool) {
	switch x := v.(type) {
	case time.Time:
		// The decoder turns tag 1 (and tag 0) into a time itself, through
		// a float: AWS timestamps carry milliseconds, so round to them.
		return x.Round(time.Millisecond).UTC(), true
	case cbor.Tag:
		if x.Number != 1 {
			return time.Time{}, false
		}
		return timestamp(x.Content)
	case uint64:
		if x > math.MaxInt64/2 {
			return time.Time{}, false
		}
		return time.Unix(int64(x), 0).UTC(), true
	case int64:
		return time.Unix(x, 0).UTC(), true
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) || math.Abs(x) > 1e15 {
			return time.Time{}, false
		}
		sec, frac := math.Modf(x)
		return time.Unix(int64(sec), int64(math.Round(frac*1e3))*int64(time.Millisecond)).UTC(), true
	}
	return time.Time{}, false
}

// document turns free CBOR into the values encoding/json would give for
// the same JSON (the model's document convention): numbers float64.
func document(v any, path string, depth int) (any, error) {
	if depth > maxDepth {
		return nil, &decodeError{path, "document nested too deeply"}
	}
	switch x := v.(type) {
	case nil, string, bool, float64:
		return x, nil
	case uint64:
		return float64(x), nil
	case int64:
		return float64(x), nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			d, err := document(e, path, depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = d
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			d, err := document(e, path, depth+1)
			if err != nil {
				return nil, err
			}
			out[k] = d
		}
		return out, nil
	}
	return nil, &decodeError{path, fmt.Sprintf("%s cannot be a document value", kind(v))}
}

// encodeValue turns a dynamic value of shape sh into what the CBOR
// encoder writes: structures and maps as maps keyed by member name,
// floats at the shape's width, timestamps as tag 1 epoch seconds.
func encodeValue(sh *model.Shape, v any, depth int) (any, error) {
	if v == nil {
		return nil, nil
	}
	if depth > maxDepth {
		return nil, fmt.Errorf("rpcv2cbor: %s nested too deeply", sh.Name)
	}
	bad := func() error { return fmt.Errorf("rpcv2cbor: %T is not a %s value for %s", v, sh.Type, sh.Name) }
	switch sh.Type {
	case model.Structure:
		m, ok := v.(map[string]any)
		if !ok {
			return nil, bad()
		}
		out := make(map[string]any, len(m))
		for _, mr := range sh.Members {
			mv, ok := m[mr.Name]
			if !ok || mv == nil {
				continue
			}
			ev, err := encodeValue(mr.Shape, mv, depth+1)
			if err != nil {
				return nil, err
			}
			out[mr.Name] = ev
		}
		return out, nil
	case model.List:
		l, ok := v.([]any)
		if !ok {
			return nil, bad()
		}
		out := make([]any, len(l))
		for i, e := range l {
			ev, err := encodeValue(sh.Member.Shape, e, depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = ev
		}
		return out, nil
	case model.Map:
		m, ok := v.(map[string]any)
		if !ok {
			return nil, bad()
		}
		out := make(map[string]any, len(m))
		for k, e := range m {
			ev, err := encodeValue(sh.Value.Shape, e, depth+1)
			if err != nil {
				return nil, err
			}
			out[k] = ev
		}
		return out, nil
	case model.String, model.Character:
		if s, ok := v.(string); ok {
			return s, nil
		}
	case model.Boolean:
		if b, ok := v.(bool); ok {
			return b, nil
		}
	case model.Integer, model.Long:
		switch x := v.(type) {
		case int64:
			return x, nil
		case int:
			return int64(x), nil
		case int32:
			return int64(x), nil
		}
	case model.Float:
		if f, ok := toFloat(v); ok {
			return float32(f), nil
		}
	case model.Double:
		if f, ok := toFloat(v); ok {
			return f, nil
		}
	case model.Timestamp:
		if t, ok := v.(time.Time); ok {
			// Milliseconds are what every AWS timestamp carries; a
			// float keeps them, as the Smithy serializers write.
			return cbor.Tag{Number: 1, Content: float64(t.UnixMilli()) / 1e3}, nil
		}
	case model.Blob:
		if b, ok := v.([]byte); ok {
			return b, nil
		}
	case model.Document:
		return v, nil
	}
	return nil, bad()
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case int64:
		return float64(x), true
	}
	return 0, false
}
