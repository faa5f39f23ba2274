package query

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/niwa-cloud/niwa/internal/api"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/model"
	"github.com/niwa-cloud/niwa/internal/protocol"
	"github.com/niwa-cloud/niwa/internal/protocol/xmlbody"
)

// Codec is the query protocol (New) or its ec2 dialect (NewEC2). It is safe
// for concurrent use; one value serves every service of its protocol.
type Codec struct {
	ec2   bool
	bufs  sync.Pool // *bytes.Buffer for response bodies
	decs  sync.Pool // *typedDec for DecodeTyped
	names sync.Map  // *model.Shape → []string, ec2Names' cache
}

var (
	_ protocol.Codec        = (*Codec)(nil)
	_ protocol.TypedEncoder = (*Codec)(nil)
)

// New returns the codec of the query protocol (STS, IAM, SNS,
// CloudFormation, CloudWatch, legacy SQS, ...).
func New() *Codec { return &Codec{} }

// NewEC2 returns the codec of the ec2 protocol.
func NewEC2() *Codec { return &Codec{ec2: true} }

// Resolve reads the Action parameter (from the query string or the form
// body). The Version parameter is left to the gateway, which uses it to
// pick the service.
//
// A well-formed form is only scanned for its Action, not parsed (the
// typed decoder reads it without the url.Values map); anything else is
// left to Request.Form, which words its error.
func (c *Codec) Resolve(svc *model.Service, req *protocol.Request) (*model.Operation, error) {
	action, ok := scanAction(req)
	if !ok {
		form, err := req.Form()
		if err != nil {
			return nil, formError(err)
		}
		action = form.Get("Action")
	}
	if action == "" {
		return nil, awserr.MissingAction.New("No action was supplied with this request.")
	}
	op := svc.Operations[action]
	if op == nil {
		return nil, awserr.InvalidAction.New("The action %s is not valid for this web service.", action)
	}
	return op, nil
}

// Decode reads op's input from the form parameters; see the package
// documentation for the key rules. Unknown parameters are ignored.
func (c *Codec) Decode(op *model.Operation, req *protocol.Request) (map[string]any, error) {
	form, err := req.Form()
	if err != nil {
		return nil, formError(err)
	}
	if op.Input == nil {
		return map[string]any{}, nil
	}
	dc := decoder{ec2: c.ec2}
	sh := op.Input.Shape
	out, _, err := dc.structure(sh, buildTree(form, dc.rootKeys(sh)), "", 0)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// formError turns a failure to read the form into an AWS error: an
// oversized body keeps its own error, bad percent-encoding is
// MalformedQueryString.
func formError(err error) error {
	if e, ok := err.(*awserr.Error); ok {
		return e
	}
	return awserr.MalformedQueryString.New("The query string is malformed: %v", err)
}

// Encode writes op's output. The response namespace is that of
// op.Service.
//
// query: <OpResponse xmlns=NS><OpResult>members</OpResult>
// <ResponseMetadata><RequestId>id</RequestId></ResponseMetadata></OpResponse>,
// the result element named by the output's resultWrapper (members directly
// under the root when it has none, where clients look for them; no result
// element when the operation has no output).
//
// ec2: <?xml ...?><OpResponse xmlns=NS><requestId>id</requestId>members
// </OpResponse>; an operation without output answers <return>true</return>
// as EC2 does.
func (c *Codec) Encode(w http.ResponseWriter, op *model.Operation, out map[string]any, meta protocol.Meta) error {
	return c.encode(w, op, out, nil, meta)
}

// EncodeTyped is Encode for the typed output out, read in place.
func (c *Codec) EncodeTyped(w http.ResponseWriter, op *model.Operation, out api.Typed, meta protocol.Meta) error {
	err := c.encode(w, op, nil, out, meta)
	if errors.Is(err, xmlbody.ErrTableMismatch) {
		return c.Encode(w, op, protocol.Dynamic(op, out), meta)
	}
	return err
}

// members writes the output's members: typed's read in place when it is
// set, else out's.
func members(buf *bytes.Buffer, sh *model.Shape, out map[string]any, typed api.Typed) error {
	if typed == nil {
		return xmlbody.EncodeMembers(buf, sh, out)
	}
	tab, i, p := api.Locate(typed)
	return xmlbody.EncodeTypedMembers(buf, sh, tab, i, p)
}

func (c *Codec) encode(w http.ResponseWriter, op *model.Operation, out map[string]any, typed api.Typed, meta protocol.Meta) error {
	ns := namespace(op.Service)
	buf := c.buffer()
	defer c.release(buf)
	if c.ec2 {
		buf.WriteString(xml.Header)
	}
	buf.WriteByte('<')
	buf.WriteString(op.Name)
	buf.WriteString("Response")
	if ns != "" {
		buf.WriteString(` xmlns="`)
		escapeText(buf, ns)
		buf.WriteByte('"')
	}
	buf.WriteByte('>')
	if c.ec2 {
		textElement(buf, "requestId", meta.RequestID)
		if op.Output == nil {
			buf.WriteString("<return>true</return>")
		} else if err := members(buf, op.Output.Shape, out, typed); err != nil {
			return fmt.Errorf("encoding %s output: %w", op.Name, err)
		}
	} else {
		if op.Output != nil {
			wrapper := op.Output.ResultWrapper
			if wrapper != "" {
				buf.WriteByte('<')
				buf.WriteString(wrapper)
				buf.WriteByte('>')
			}
			if err := members(buf, op.Output.Shape, out, typed); err != nil {
				return fmt.Errorf("encoding %s output: %w", op.Name, err)
			}
			if wrapper != "" {
				buf.WriteString("</")
				buf.WriteString(wrapper)
				buf.WriteByte('>')
			}
		}
		buf.WriteString("<ResponseMetadata>")
		textElement(buf, "RequestId", meta.RequestID)
		buf.WriteString("</ResponseMetadata>")
	}
	buf.WriteString("</")
	buf.WriteString(op.Name)
	buf.WriteString("Response>")
	c.write(w, http.StatusOK, meta.RequestID, buf.Bytes(), nil)
	return nil
}

// EncodeError writes err with its code's HTTP status.
//
// query: <ErrorResponse xmlns=NS><Error><Type>Sender|Receiver</Type>
// <Code>C</Code><Message>M</Message>fields</Error><RequestId>id</RequestId>
// </ErrorResponse>.
//
// ec2: <?xml ...?><Response><Errors><Error><Code>C</Code><Message>M</Message>
// fields</Error></Errors><RequestID>id</RequestID></Response> (RequestID with
// a capital D: botocore and the SDKs look for exactly that).
//
// Extra fields are encoded by the error shape's members when the model
// has a shape for the code, else as simple elements named by the field.
func (c *Codec) EncodeError(w http.ResponseWriter, svc *model.Service, op *model.Operation, e *awserr.Error, meta protocol.Meta) {
	if e == nil {
		e = awserr.InternalFailure.New("internal error")
	}
	status := e.Code.Status
	if status == 0 {
		status = http.StatusInternalServerError
		if e.Code.Sender {
			status = http.StatusBadRequest
		}
	}
	var buf bytes.Buffer
	if c.ec2 {
		buf.WriteString(xml.Header)
		buf.WriteString("<Response><Errors><Error>")
	} else {
		buf.WriteString("<ErrorResponse")
		if ns := namespace(svc); ns != "" {
			buf.WriteString(` xmlns="`)
			escapeText(&buf, ns)
			buf.WriteByte('"')
		}
		buf.WriteString("><Error>")
		typ := "Receiver"
		if e.Code.Sender {
			typ = "Sender"
		}
		textElement(&buf, "Type", typ)
	}
	textElement(&buf, "Code", e.Code.Code)
	textElement(&buf, "Message", e.Message)
	errorFields(&buf, svc, op, e)
	if c.ec2 {
		buf.WriteString("</Error></Errors>")
		textElement(&buf, "RequestID", meta.RequestID)
		buf.WriteString("</Response>")
	} else {
		buf.WriteString("</Error>")
		textElement(&buf, "RequestId", meta.RequestID)
		buf.WriteString("</ErrorResponse>")
	}
	c.write(w, status, meta.RequestID, buf.Bytes(), e.Header)
}

func (c *Codec) buffer() *bytes.Buffer {
	if b, ok := c.bufs.Get().(*bytes.Buffer); ok {
		b.Reset()
		return b
	}
	return new(bytes.Buffer)
}

// release pools b for the next response (w.Write has copied it out);
// one grown by a large response is left to the collector.
func (c *Codec) release(b *bytes.Buffer) {
	if b.Cap() <= 1<<20 {
		c.bufs.Put(b)
	}
}

func (c *Codec) write(w http.ResponseWriter, status int, requestID string, body []byte, extra http.Header) {
	h := w.Header()
	for k, vs := range extra {
		h[http.CanonicalHeaderKey(k)] = append([]string(nil), vs...)
	}
	ct := "text/xml"
	if c.ec2 {
		ct = "text/xml;charset=UTF-8"
	}
	protocol.SetHeaders(h, "Content-Type", ct, "Content-Length", strconv.Itoa(len(body)),
		"X-Amzn-Requestid", requestID)
	w.WriteHeader(status)
	w.Write(body)
}

// namespace is the xmlns of a service's responses: the model's
// xmlNamespace, else https://<endpointPrefix>.amazonaws.com/doc/<apiVersion>/,
// always with the trailing slash real responses carry (the EC2 model
// spells its namespace without it).
func namespace(svc *model.Service) string {
	if svc == nil {
		return ""
	}
	md := svc.Metadata
	ns := md.XMLNamespace
	if ns == "" {
		if md.EndpointPrefix == "" || md.APIVersion == "" {
			return ""
		}
		ns = "https://" + md.EndpointPrefix + ".amazonaws.com/doc/" + md.APIVersion + "/"
	}
	if !strings.HasSuffix(ns, "/") {
		ns += "/"
	}
	return ns
}

// errorFields writes the extra members of an error body.
func errorFields(buf *bytes.Buffer, svc *model.Service, op *model.Operation, e *awserr.Error) {
	if len(e.Fields) == 0 {
		return
	}
	rest := map[string]any{}
	for k, v := range e.Fields {
		switch k {
		case "Code", "Message", "message", "Type":
			continue
		}
		rest[k] = v
	}
	if sh := errorShape(svc, op, e.Code); sh != nil {
		modeled := map[string]any{}
		for _, m := range sh.Members {
			if v, ok := rest[m.Name]; ok && m.Location == model.LocationBody {
				modeled[m.Name] = v
			}
		}
		if err := xmlbody.EncodeMembers(buf, sh, modeled); err == nil {
			for k := range modeled {
				delete(rest, k)
			}
		}
	}
	keys := make([]string, 0, len(rest))
	for k := range rest {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if text, ok := looseText(rest[k]); ok && isXMLName(k) {
			textElement(buf, k, text)
		}
	}
}

// errorShape finds the model's exception shape for code: among the
// operation's errors first, then among all the service's shapes.
func errorShape(svc *model.Service, op *model.Operation, code awserr.Code) *model.Shape {
	match := func(sh *model.Shape) bool {
		return sh.ErrorCode() == code.Code || (code.Shape != "" && sh.Name == code.Shape)
	}
	if op != nil {
		for _, r := range op.Errors {
			if match(r.Shape) {
				return r.Shape
			}
		}
	}
	if svc == nil {
		return nil
	}
	names := make([]string, 0, len(svc.Shapes))
	for n, sh := range svc.Shapes {
		if sh.Exception && sh.Type == model.Structure && match(sh) {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return nil
	}
	sort.Strings(names)
	return svc.Shapes[names[0]]
}

// looseText prints an unmodeled error field.
func looseText(v any) (string, bool) {
	switch x := v.(type) {
	case nil:
		return "", false
	case string:
		return x, true
	case bool:
		return strconv.FormatBool(x), true
	case float64:
		return xmlbody.FormatFloat(x, 64), true
	case float32:
		return xmlbody.FormatFloat(float64(x), 32), true
	case time.Time:
		return xmlbody.FormatTimestamp(x, model.ISO8601), true
	case []byte:
		return base64.StdEncoding.EncodeToString(x), true
	case fmt.Stringer:
		return x.String(), true
	}
	return fmt.Sprint(v), true
}

// isXMLName reports whether s can be an element name as written.
func isXMLName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z'):
		case i > 0 && (r == '-' || r == '.' || (r >= '0' && r <= '9')):
		default:
			return false
		}
	}
	return true
}

func textElement(buf *bytes.Buffer, name, text string) {
	buf.WriteByte('<')
	buf.WriteString(name)
	buf.WriteByte('>')
	escapeText(buf, text)
	buf.WriteString("</")
	buf.WriteString(name)
	buf.WriteByte('>')
}

// escapeText escapes text (and the xmlns attribute value, which has no
// characters needing more) exactly as xmlbody does the body.
func escapeText(buf *bytes.Buffer, s string) {
	xmlbody.EscapeText(buf, s)
}
