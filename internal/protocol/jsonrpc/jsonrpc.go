// Package jsonrpc is the codec of AWS's JSON 1.0/1.1 protocol (awsJson1_0,
// awsJson1_1): DynamoDB, SQS, KMS, CloudWatch Logs, EventBridge, SSM,
// CloudTrail, DynamoDB Streams, ...
//
// The operation comes from the X-Amz-Target header
// ("<targetPrefix>.<Operation>"); the whole input is the JSON body; the
// output is the JSON body. Errors are {"__type": ..., "message": ...} with
// the code also in x-amzn-ErrorType; services marked awsQueryCompatible
// (SQS) add x-amzn-query-error "<legacy query code>;<Sender|Receiver>" and a
// namespaced __type (and x-amzn-ErrorType), which is how botocore and the SDKs recover the query
// error code (botocore parsers.py _do_query_compatible_error_parse;
// smithy-go awsjson deserializeError).
package jsonrpc

import (
	"bytes"
	"hash/crc32"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/niwa-cloud/niwa/internal/api"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/model"
	"github.com/niwa-cloud/niwa/internal/protocol"
	"github.com/niwa-cloud/niwa/internal/protocol/eventstream"
	"github.com/niwa-cloud/niwa/internal/protocol/jsonbody"
)

// Codec is the JSON-RPC codec. Resolving an operation is a map lookup on
// the model; Encode answers with the Content-Type of op.Service. The codec
// keeps no per-model state.
type Codec struct {
	bufs sync.Pool
}

// New returns the JSON 1.0/1.1 codec.
func New() protocol.Codec { return &Codec{} }

var (
	_ protocol.Codec        = (*Codec)(nil)
	_ protocol.TypedEncoder = (*Codec)(nil)
)

// Resolve finds the operation named by X-Amz-Target.
func (c *Codec) Resolve(svc *model.Service, req *protocol.Request) (*model.Operation, error) {
	target := req.HTTP.Header.Get("X-Amz-Target")
	if target == "" {
		// AWS's JSON services answer a missing or unknown target with
		// UnknownOperationException, 400.
		return nil, awserr.UnknownOperation.New("Missing required header X-Amz-Target")
	}
	prefix, name := "", target
	if i := strings.LastIndexByte(target, '.'); i >= 0 {
		prefix, name = target[:i], target[i+1:]
	}
	if prefix == svc.Metadata.TargetPrefix {
		if op, ok := svc.Operations[name]; ok {
			return op, nil
		}
	}
	return nil, awserr.UnknownOperation.New("Unknown operation %s", target)
}

// Decode reads the JSON body into op's input. An empty body is an empty
// input; malformed JSON or a value that does not fit the model is a
// SerializationException.
func (c *Codec) Decode(op *model.Operation, req *protocol.Request) (map[string]any, error) {
	body, err := req.Payload()
	if err != nil {
		return nil, err
	}
	if op.Input == nil {
		if len(bytes.TrimSpace(body)) > 0 {
			if _, err := jsonbody.DecodeDocument(body); err != nil {
				return nil, awserr.SerializationException.New("%v", err)
			}
		}
		return map[string]any{}, nil
	}
	in, err := jsonbody.DecodeStructure(body, op.Input.Shape, false)
	if err != nil {
		return nil, awserr.SerializationException.New("%v", err)
	}
	return in, nil
}

var _ protocol.TypedDecoder = (*Codec)(nil)

// DecodeTyped reads the JSON body straight into in (see
// protocol.TypedDecoder): the value Decode and the Converter build, or
// protocol.ErrUseTree for anything jsonbody.DecodeTyped leaves to them,
// errors included.
func (c *Codec) DecodeTyped(op *model.Operation, req *protocol.Request, in api.Typed) error {
	if !c.DecodesTyped(op) {
		return protocol.ErrUseTree
	}
	body, err := req.Payload()
	if err != nil {
		return err
	}
	p, err := protocol.TypedTarget(op, in)
	if err != nil {
		return err
	}
	tab, i := in.ConvType()
	if jsonbody.DecodeTyped(body, op.Input.Shape, false, tab, i, p) != nil {
		return protocol.ErrUseTree
	}
	return nil
}

// DecodesTyped: every operation with an input.
func (c *Codec) DecodesTyped(op *model.Operation) bool { return op.Input != nil }

func (c *Codec) buffer() *bytes.Buffer {
	if b, ok := c.bufs.Get().(*bytes.Buffer); ok {
		b.Reset()
		return b
	}
	return new(bytes.Buffer)
}

func (c *Codec) release(b *bytes.Buffer) {
	if b.Cap() <= 1<<20 {
		c.bufs.Put(b)
	}
}

// contentType is application/x-amz-json-<jsonVersion> (1.0 when the model
// omits it, as botocore does).
func contentType(svc *model.Metadata) string {
	switch v := svc.JSONVersion; v {
	case "", "1.0":
		return "application/x-amz-json-1.0"
	case "1.1":
		return "application/x-amz-json-1.1"
	default:
		return "application/x-amz-json-" + v
	}
}

// Encode writes op's output as the JSON body, with the Content-Type of
// op.Service. An operation without output answers "{}", as AWS does.
func (c *Codec) Encode(w http.ResponseWriter, op *model.Operation, out map[string]any, meta protocol.Meta) error {
	buf := c.buffer()
	defer c.release(buf)
	if op.Output != nil {
		if es := op.Output.Shape.EventStreamMember(); es != nil {
			return c.encodeEventStream(w, op, es, out, meta, buf)
		}
	}
	if op.Output == nil {
		buf.WriteString("{}")
	} else if err := jsonbody.EncodeStructure(buf, op.Output.Shape, out, false); err != nil {
		return err
	}
	ct := ""
	if op.Service != nil {
		ct = contentType(&op.Service.Metadata)
	}
	write(w, ct, http.StatusOK, buf.Bytes(), meta, nil)
	return nil
}

// EncodeTyped is Encode for the typed output out, read in place.
func (c *Codec) EncodeTyped(w http.ResponseWriter, op *model.Operation, out api.Typed, meta protocol.Meta) error {
	if op.Output == nil || op.Output.Shape.EventStreamMember() != nil {
		return c.Encode(w, op, protocol.Dynamic(op, out), meta)
	}
	buf := c.buffer()
	defer c.release(buf)
	tab, i, p := api.Locate(out)
	if err := jsonbody.EncodeTypedStructure(buf, op.Output.Shape, tab, i, p, false); err != nil {
		if err == jsonbody.ErrTableMismatch {
			return c.Encode(w, op, protocol.Dynamic(op, out), meta)
		}
		return err
	}
	ct := ""
	if op.Service != nil {
		ct = contentType(&op.Service.Metadata)
	}
	write(w, ct, http.StatusOK, buf.Bytes(), meta, nil)
	return nil
}

// encodeEventStream answers an operation whose output has an event
// stream member: 200 with the event stream content type, the other
// members in an initial-response message (clients of RPC protocols read
// it first, and refuse a stream without it), then the events.
func (c *Codec) encodeEventStream(w http.ResponseWriter, op *model.Operation, es *model.Ref, out map[string]any, meta protocol.Meta, buf *bytes.Buffer) error {
	stream, _ := out[es.Name].(model.EventStream)
	rest := make(map[string]any, len(out))
	for k, v := range out {
		if k != es.Name {
			rest[k] = v
		}
	}
	if err := jsonbody.EncodeStructure(buf, op.Output.Shape, rest, false); err != nil {
		return err
	}
	if meta.RequestID != "" {
		w.Header().Set("X-Amzn-Requestid", meta.RequestID)
	}
	ct := "application/x-amz-json-1.0"
	if op.Service != nil {
		ct = contentType(&op.Service.Metadata)
	}
	ew := eventstream.Start(w, http.StatusOK)
	if err := ew.Write(eventstream.InitialResponse(buf.Bytes(), ct)); err != nil {
		return err
	}
	if stream == nil {
		return nil
	}
	return eventstream.Serve(meta.Ctx(), ew, es.Shape, stream, eventBody{})
}

// eventBody encodes event payloads as JSON objects.
type eventBody struct{}

func (eventBody) Encode(buf *bytes.Buffer, ref *model.Ref, v map[string]any) error {
	return jsonbody.EncodeStructure(buf, ref.Shape, v, false)
}

func (eventBody) ContentType() string { return "application/json" }

// write sends a JSON body with the headers every JSON-RPC response
// carries. ct "" means: keep a Content-Type the caller already set, else
// application/x-amz-json-1.0.
func write(w http.ResponseWriter, ct string, status int, body []byte, meta protocol.Meta, extra http.Header) {
	h := w.Header()
	for k, v := range extra {
		h[k] = slices.Clone(v)
	}
	if ct == "" && h.Get("Content-Type") == "" {
		ct = "application/x-amz-json-1.0"
	}
	// DynamoDB clients verify x-amz-crc32 over the body bytes as sent
	// (uncompressed); every JSON service may carry it.
	protocol.SetHeaders(h, "Content-Type", ct, "X-Amzn-Requestid", meta.RequestID,
		"X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE(body)), 10),
		"Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

// EncodeError writes err as AWS JSON services do.
func (c *Codec) EncodeError(w http.ResponseWriter, svc *model.Service, op *model.Operation, err *awserr.Error, meta protocol.Meta) {
	buf := c.buffer()
	defer c.release(buf)
	code := err.Code
	typ := code.Shape
	if typ == "" {
		typ = code.Code
	}
	var shape *model.Shape
	if svc != nil {
		if sh, ok := svc.Shapes[typ]; ok && sh.Type == model.Structure {
			shape = sh
		}
	}
	wireType := typ
	queryCompatible := svc != nil && svc.Metadata.AWSQueryCompatible
	if queryCompatible {
		wireType = Namespace(svc) + "#" + typ
	}
	buf.WriteString(`{"__type":`)
	jsonbody.AppendString(buf, wireType)
	msgKey := jsonbody.ErrorMessageKey(shape)
	buf.WriteByte(',')
	jsonbody.AppendString(buf, msgKey)
	buf.WriteByte(':')
	jsonbody.AppendString(buf, err.Message)
	if ferr := jsonbody.AppendErrorFields(buf, shape, err.Fields, msgKey); ferr != nil {
		// A field the codec cannot encode must not turn an error into a
		// half-written body: drop the fields, keep code and message.
		buf.Reset()
		buf.WriteString(`{"__type":`)
		jsonbody.AppendString(buf, wireType)
		buf.WriteByte(',')
		jsonbody.AppendString(buf, msgKey)
		buf.WriteByte(':')
		jsonbody.AppendString(buf, err.Message)
	}
	buf.WriteByte('}')

	h := w.Header()
	// The header names the error as the body does: a query-compatible
	// service (SQS) sends its namespaced shape id in both
	// (com.amazonaws.sqs#QueueDoesNotExist), with the legacy code in
	// x-amzn-query-error; clients keep what follows '#'.
	h.Set("X-Amzn-Errortype", wireType)
	if queryCompatible {
		fault := "Receiver"
		if code.Sender {
			fault = "Sender"
		}
		h.Set("X-Amzn-Query-Error", code.Code+";"+fault)
	}
	status := code.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	ct := ""
	if svc != nil {
		ct = contentType(&svc.Metadata)
	}
	write(w, ct, status, buf.Bytes(), meta, err.Header)
}

// Namespace is the Smithy namespace of a service's shapes as AWS spells it
// in a namespaced __type ("com.amazonaws.sqs"): the serviceId lower-cased
// without spaces. Clients keep only what follows '#'.
func Namespace(svc *model.Service) string {
	id := svc.Metadata.ServiceID
	if id == "" {
		id = svc.Metadata.EndpointPrefix
	}
	return "com.amazonaws." + strings.ToLower(strings.ReplaceAll(id, " ", ""))
}
