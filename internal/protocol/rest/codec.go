// Package rest holds the codecs of AWS's REST protocols: rest-json (Lambda,
// API Gateway, ...) and rest-xml (S3, Route 53, CloudFront). Both share the
// HTTP bindings (uri labels, query string, headers, prefix headers, status
// code, payload) and the router; they differ in the document format of the
// body and of errors.
//
// Every wire quirk that belongs to one service rather than to the protocol
// lives in quirks.go.
package rest

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/httpheader"
	"github.com/niwa-cloud/niwa/internal/model"
	"github.com/niwa-cloud/niwa/internal/protocol"
	"github.com/niwa-cloud/niwa/internal/protocol/eventstream"
	"github.com/niwa-cloud/niwa/internal/protocol/jsonbody"
	"github.com/niwa-cloud/niwa/internal/protocol/xmlbody"
)

// Codec is a REST codec. It caches, per model, the router and what the
// encoder needs to know of the service, keyed by the *model.Service
// pointer (models are loaded once and never change). Decode and Encode
// find an operation's model through op.Service.
type Codec struct {
	xml      bool
	services sync.Map // *model.Service → *serviceEntry
	bufs     sync.Pool
}

// NewJSON returns the rest-json codec.
func NewJSON() protocol.Codec { return &Codec{} }

// NewXML returns the rest-xml codec.
func NewXML() protocol.Codec { return &Codec{xml: true} }

var (
	_ protocol.Codec        = (*Codec)(nil)
	_ protocol.TypedEncoder = (*Codec)(nil)
)

type serviceEntry struct {
	once sync.Once
	info *serviceInfo
}

// serviceInfo is what the codec derives once from a model.
type serviceInfo struct {
	svc    *model.Service
	router *router
	quirks *quirks
	// xmlns is the service's XML namespace: the metadata's, else the one
	// its input documents declare (S3, Route 53 and CloudFront models put
	// it on the input refs only).
	xmlns string
	// headerKeys holds the canonical header name of every header-bound
	// member of the model's structures, made once: most model names are
	// not canonical ("ETag", "x-amz-version-id") and canonicalizing
	// allocates, on every response.
	headerKeys map[*model.Ref]string
	// plans holds each input shape's location plan (typed_decode.go).
	plans sync.Map // *model.Shape → *locPlan
}

// headerKey is m's header name in canonical form.
func (info *serviceInfo) headerKey(m *model.Ref) string {
	if info != nil {
		if k, ok := info.headerKeys[m]; ok {
			return k
		}
	}
	return textproto.CanonicalMIMEHeaderKey(wireName(m))
}

// headerValues is the request's values of m's header: h[canonical name],
// what http.Header.Values answers, without canonicalizing the name again
// for each of an input's header members (fifty for S3's PutObject).
func (info *serviceInfo) headerValues(h http.Header, m *model.Ref) []string {
	if info != nil {
		if k, ok := info.headerKeys[m]; ok {
			return h[k]
		}
	}
	return httpheader.Values(h, wireName(m))
}

func headerKeys(svc *model.Service) map[*model.Ref]string {
	keys := map[*model.Ref]string{}
	for _, sh := range svc.Shapes {
		if sh == nil || sh.Type != model.Structure {
			continue
		}
		for _, m := range sh.Members {
			if m.Location == model.LocationHeader {
				keys[m] = textproto.CanonicalMIMEHeaderKey(wireName(m))
			}
		}
	}
	return keys
}

// Prepare builds the router and tables of svc now rather than on its first
// request; the gateway may call it at startup.
func (c *Codec) Prepare(svc *model.Service) { c.service(svc) }

// service returns what the codec derives from svc, building it on first
// use; nil for a nil svc (an operation built by hand, outside any model).
func (c *Codec) service(svc *model.Service) *serviceInfo {
	if svc == nil {
		return nil
	}
	v, ok := c.services.Load(svc)
	if !ok {
		v, _ = c.services.LoadOrStore(svc, &serviceEntry{})
	}
	e := v.(*serviceEntry)
	e.once.Do(func() {
		info := &serviceInfo{svc: svc, router: newRouter(svc), quirks: quirksFor(svc), headerKeys: headerKeys(svc)}
		info.xmlns = svc.Metadata.XMLNamespace
		if info.xmlns == "" {
			for _, name := range svc.OperationNames() {
				op := svc.Operations[name]
				if op.Input != nil && op.Input.XMLNamespace != nil && op.Input.XMLNamespace.Prefix == "" && op.Input.XMLNamespace.URI != "" {
					info.xmlns = op.Input.XMLNamespace.URI
					break
				}
			}
		}
		e.info = info
	})
	return e.info
}

// opInfo returns what the codec derives from op's service (nil when op is
// nil or belongs to no model).
func (c *Codec) opInfo(op *model.Operation) *serviceInfo {
	if op == nil {
		return nil
	}
	return c.service(op.Service)
}

// requestPath is the escaped path routing sees: for S3 virtual-host-style
// requests the bucket from the Host header comes first.
func requestPath(req *protocol.Request) string {
	p := req.HTTP.URL.EscapedPath()
	if p == "" {
		p = "/"
	}
	if req.HostBucket != "" {
		p = "/" + url.PathEscape(req.HostBucket) + p
	}
	return p
}

// Resolve routes req to an operation.
func (c *Codec) Resolve(svc *model.Service, req *protocol.Request) (*model.Operation, error) {
	info := c.service(svc)
	path := requestPath(req)
	query := req.Query()
	method := strings.ToUpper(req.HTTP.Method)
	if info.quirks.s3 {
		if op := info.router.hinted(s3OperationHint(query), method, path, query); op != nil {
			return op, nil
		}
	}
	if op := info.router.match(method, path, query, req.HTTP.Header); op != nil {
		return op, nil
	}
	if info.quirks.s3 {
		return nil, s3Unroutable(method, path, info.router.pathMatchesAnyMethod(path, query))
	}
	return nil, UnknownOperation().New("Unknown operation %s %s", method, path)
}

// UnknownOperation is the code a REST request that matches no operation
// of the model is answered with (404, as AWS's REST front ends answer an
// unknown resource).
func UnknownOperation() awserr.Code {
	return awserr.Code{Code: "UnknownOperationException", Status: http.StatusNotFound, Sender: true}
}

// Decode reads op's input from the request.
func (c *Codec) Decode(op *model.Operation, req *protocol.Request) (map[string]any, error) {
	if op.Input == nil {
		return map[string]any{}, nil
	}
	info := c.opInfo(op)
	sh := op.Input.Shape
	tmpl := op.URI()
	labels := map[string]string{}
	var segs [8]string
	pathMatches(tmpl, appendSplitPath(segs[:0], requestPath(req)), labels)
	in, err := decodeLocations(info, sh, labels, req.Query(), req.HTTP.Header, tmpl)
	if err != nil {
		return nil, c.inputError(info, err)
	}
	if err := c.decodeBody(op, req, in); err != nil {
		var ae *awserr.Error
		if errors.As(err, &ae) {
			return nil, ae
		}
		return nil, c.inputError(info, err)
	}
	hostLabels(op, req.HTTP.Host, in)
	return in, nil
}

func (c *Codec) inputError(info *serviceInfo, err error) *awserr.Error {
	if c.xml {
		var q *quirks
		if info != nil {
			q = info.quirks
		}
		return q.xmlInputError(err)
	}
	return awserr.SerializationException.New("%v", err)
}

// hasBodyMembers reports whether a structure has members carried in the
// body (no location trait).
func hasBodyMembers(sh *model.Shape) bool {
	for _, m := range sh.Members {
		if m.Location == model.LocationBody {
			return true
		}
	}
	return false
}

func (c *Codec) decodeBody(op *model.Operation, req *protocol.Request, in map[string]any) error {
	sh := op.Input.Shape
	if p := sh.PayloadMember(); p != nil {
		switch p.Shape.Type {
		case model.Blob, model.String:
			if p.IsStreaming() {
				// Left unread: the handler streams it.
				in[p.Name] = req.Body
				return nil
			}
			body, err := req.Bytes()
			if err != nil {
				return err
			}
			if len(body) == 0 {
				return nil
			}
			if p.Shape.Type == model.String {
				in[p.Name] = string(body)
			} else {
				in[p.Name] = body
			}
			return nil
		}
		body, err := req.Bytes()
		if err != nil {
			return err
		}
		var v any
		if c.xml {
			v, err = decodeXMLPayload(body, p)
		} else {
			v, err = decodeJSONPayload(body, p)
		}
		if err != nil {
			return err
		}
		if v != nil {
			in[p.Name] = v
		}
		return nil
	}
	if !hasBodyMembers(sh) {
		return nil
	}
	body, err := req.Bytes()
	if err != nil {
		return err
	}
	var members map[string]any
	if c.xml {
		members, err = decodeXMLMembers(body, sh, inputRootName(op))
	} else {
		members, err = decodeJSONMembers(body, sh)
	}
	if err != nil {
		return err
	}
	for k, v := range members {
		in[k] = v
	}
	return nil
}

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

// setRequestID sets the request-id headers of the protocol.
func setRequestID(h http.Header, info *serviceInfo, meta protocol.Meta) {
	if info != nil && info.quirks.s3 {
		s3RequestIDHeaders(h, meta)
		return
	}
	if meta.RequestID != "" {
		h.Set("X-Amzn-Requestid", meta.RequestID)
	}
}

// Encode writes op's output: headers and status code from the bound
// members, then the body. A streaming payload (an io.Reader) is copied to
// w and closed if it is an io.Closer; its Content-Length is the one the
// output's Content-Length member sets, or the reader's Len() when it has
// one, else the response is chunked. Responses to HEAD operations carry
// the headers (Content-Length included) and no body.
func (c *Codec) Encode(w http.ResponseWriter, op *model.Operation, out map[string]any, meta protocol.Meta) error {
	return c.encode(w, op, &output{dyn: out}, meta)
}

func (c *Codec) encode(w http.ResponseWriter, op *model.Operation, out *output, meta protocol.Meta) error {
	info := c.opInfo(op)
	h := w.Header()
	setRequestID(h, info, meta)
	status := op.HTTP.ResponseCode
	if status == 0 {
		status = http.StatusOK
	}
	// No body (and so no Content-Length) for HEAD, 1xx, 204 and 304.
	head := strings.EqualFold(op.HTTP.Method, http.MethodHead) || !bodyAllowed(status)
	if op.Output == nil {
		if !head {
			h.Set("Content-Length", "0")
		}
		w.WriteHeader(status)
		return nil
	}
	sh := op.Output.Shape
	bound, err := encodeHeaders(h, info, sh, out)
	if err != nil {
		return err
	}
	if bound != 0 {
		status = bound
		head = head || !bodyAllowed(status)
	}
	if info != nil && info.quirks.s3 && s3PartialContent(op, out) {
		status = http.StatusPartialContent
	}

	// An event stream: the headers, then one message per event.
	if es := sh.EventStreamMember(); es != nil && head {
		w.WriteHeader(status) // DryRun's 204: no stream
		return nil
	} else if es != nil {
		v, _ := out.get(index(sh, es), es)
		stream, _ := v.(model.EventStream)
		ew := eventstream.Start(w, status)
		if stream == nil {
			return nil
		}
		return eventstream.Serve(meta.Ctx(), ew, es.Shape, stream, c.eventBody())
	}

	// Raw and streaming payloads.
	if p := sh.PayloadMember(); p != nil && (p.Shape.Type == model.Blob || p.Shape.Type == model.String) {
		v, _ := out.get(index(sh, p), p)
		if closer, ok := v.(io.Closer); ok {
			defer func() { _ = closer.Close() }()
		}
		if v == nil {
			if !head {
				h.Set("Content-Length", "0")
			}
			w.WriteHeader(status)
			return nil
		}
		r, n, err := payloadReader(v)
		if err != nil {
			return err
		}
		if h.Get("Content-Type") == "" {
			if p.Shape.Type == model.String {
				h.Set("Content-Type", "text/plain")
			} else {
				h.Set("Content-Type", "application/octet-stream")
			}
		}
		if h.Get("Content-Length") == "" && n >= 0 {
			h.Set("Content-Length", strconv.FormatInt(n, 10))
		}
		w.WriteHeader(status)
		if head {
			return nil
		}
		_, err = io.Copy(w, r)
		return err
	}

	buf := c.buffer()
	defer c.release(buf)
	var ctype string
	if c.xml {
		ctype, err = encodeXMLBody(buf, info, op, out)
	} else {
		ctype, err = encodeJSONBody(buf, op, out)
	}
	if err != nil {
		return err
	}
	if buf.Len() > 0 && h.Get("Content-Type") == "" {
		h.Set("Content-Type", ctype)
	}
	if !head {
		h.Set("Content-Length", strconv.Itoa(buf.Len()))
	}
	w.WriteHeader(status)
	if !head {
		w.Write(buf.Bytes())
	}
	return nil
}

// eventBody is how this codec encodes structure payloads of events.
func (c *Codec) eventBody() eventstream.Body {
	if c.xml {
		return xmlEventBody{}
	}
	return jsonEventBody{}
}

// jsonEventBody encodes event payloads as JSON objects.
type jsonEventBody struct{}

func (jsonEventBody) Encode(buf *bytes.Buffer, ref *model.Ref, v map[string]any) error {
	return jsonbody.EncodeStructure(buf, ref.Shape, v, false)
}

func (jsonEventBody) ContentType() string { return "application/json" }

// xmlEventBody encodes event payloads as an XML element named after the
// payload's shape (S3 Select's <Stats>, <Progress>); an empty structure
// (S3's Cont and End events) is an empty payload.
type xmlEventBody struct{}

func (xmlEventBody) Encode(buf *bytes.Buffer, ref *model.Ref, v map[string]any) error {
	if len(v) == 0 {
		return nil
	}
	return xmlbody.Encode(buf, ref, ref.Shape.Name, v)
}

func (xmlEventBody) ContentType() string { return "text/xml" }

// bodyAllowed reports whether a response with this status may carry a body
// (RFC 9110: not 1xx, 204 or 304).
func bodyAllowed(status int) bool {
	return status >= 200 && status != http.StatusNoContent && status != http.StatusNotModified
}

// EncodeError writes err in the protocol's error format. HEAD requests get
// the status and headers only.
func (c *Codec) EncodeError(w http.ResponseWriter, svc *model.Service, op *model.Operation, err *awserr.Error, meta protocol.Meta) {
	var info *serviceInfo
	if svc != nil {
		info = c.service(svc)
	} else {
		info = c.opInfo(op)
	}
	h := w.Header()
	for k, v := range err.Header {
		h[k] = append([]string(nil), v...)
	}
	setRequestID(h, info, meta)
	status := err.Code.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	buf := c.buffer()
	defer c.release(buf)
	var ctype string
	if c.xml {
		ctype = encodeXMLError(buf, info, err, meta)
	} else {
		ctype = encodeJSONError(buf, h, info, err)
	}
	head := op != nil && strings.EqualFold(op.HTTP.Method, http.MethodHead)
	if head {
		// S3 labels a HEAD error with the type of the body it leaves out,
		// as it does for GET (not 304, which is no error document).
		if info != nil && info.quirks.s3 && status != http.StatusNotModified {
			h.Set("Content-Type", ctype)
		}
		w.WriteHeader(status)
		return
	}
	h.Set("Content-Type", ctype)
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// errorShape is the model's exception shape for an error code, if any.
func errorShape(info *serviceInfo, code awserr.Code) *model.Shape {
	if info == nil {
		return nil
	}
	name := code.Shape
	if name == "" {
		name = code.Code
	}
	if sh, ok := info.svc.Shapes[name]; ok && sh.Type == model.Structure {
		return sh
	}
	return nil
}
