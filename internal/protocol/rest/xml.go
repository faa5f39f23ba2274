package rest

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/niwa-cloud/niwa/internal/api"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/model"
	"github.com/niwa-cloud/niwa/internal/protocol"
	"github.com/niwa-cloud/niwa/internal/protocol/jsonbody"
	"github.com/niwa-cloud/niwa/internal/protocol/xmlbody"
)

// rest-xml bodies: one root element holding the body members, or the
// payload member's element.

const xmlDecl = `<?xml version="1.0" encoding="UTF-8"?>` + "\n"

// xmlBodyError is a request body that is not the XML the model describes.
type xmlBodyError struct{ err error }

func (e *xmlBodyError) Error() string { return "malformed XML body: " + e.err.Error() }
func (e *xmlBodyError) Unwrap() error { return e.err }

// rootElement positions a decoder on the body's root element; ok is false
// for a body without one (empty or only whitespace, comments, the XML
// declaration). A root element not named want (when want is not "") is a
// body that does not validate against the schema: AWS answers
// <Foo><Status>Enabled</Status></Foo> for PutBucketVersioning, or <Foo/>
// for PutObjectTagging, with MalformedXML rather than reading the children
// of whatever element it is handed (and replacing the tags with none).
func rootElement(body []byte, want string) (*xml.Decoder, xml.StartElement, bool, error) {
	d := xml.NewDecoder(bytes.NewReader(body))
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return nil, xml.StartElement{}, false, nil
		}
		if err != nil {
			return nil, xml.StartElement{}, false, &xmlBodyError{err}
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if want != "" && t.Name.Local != want {
				return nil, xml.StartElement{}, false, &xmlBodyError{fmt.Errorf("the root element is <%s>, not <%s>", truncateName(t.Name.Local), want)}
			}
			return d, t, true, nil
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return nil, xml.StartElement{}, false, &xmlBodyError{errors.New("text outside the root element")}
			}
		}
	}
}

// decodeXMLPayload reads a structure payload: an empty body is an absent
// payload, <Foo/> an empty one.
func decodeXMLPayload(body []byte, p *model.Ref) (any, error) {
	d, start, ok, err := rootElement(body, p.XMLName())
	if err != nil || !ok {
		return nil, err
	}
	v, err := xmlbody.Decode(d, start, p)
	if err != nil {
		return nil, &xmlBodyError{err}
	}
	return v, nil
}

// decodeXMLMembers reads the body members from the root element, which
// clients name after the input's locationName (inputRootName).
func decodeXMLMembers(body []byte, sh *model.Shape, root string) (map[string]any, error) {
	d, start, ok, err := rootElement(body, root)
	if err != nil || !ok {
		return nil, err
	}
	m, err := xmlbody.DecodeMembers(d, start, sh)
	if err != nil {
		return nil, &xmlBodyError{err}
	}
	for k := range m {
		if mr, ok := sh.MemberByName(k); !ok || mr.Location != model.LocationBody {
			delete(m, k)
		}
	}
	return m, nil
}

// inputRootName is the root element of op's input body members: the
// operation's input locationName, else the input shape's ("" when the
// model names neither, and then any root element is read).
func inputRootName(op *model.Operation) string {
	if op.Input.LocationName != "" {
		return op.Input.LocationName
	}
	return op.Input.Shape.LocationName
}

// truncateName bounds an element name echoed in an error.
func truncateName(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// withNamespace returns ref with the service namespace when it declares
// none: AWS puts the service's xmlns on every output root.
func withNamespace(ref model.Ref, ns string) *model.Ref {
	if ref.Namespace() == nil && ns != "" {
		ref.XMLNamespace = &model.XMLNamespace{URI: ns}
	}
	return &ref
}

// encodeXMLBody writes the XML document of an output.
func encodeXMLBody(buf *bytes.Buffer, info *serviceInfo, op *model.Operation, o *output) (string, error) {
	const ctype = "application/xml"
	sh := op.Output.Shape
	ns := ""
	s3 := false
	if info != nil {
		ns, s3 = info.xmlns, info.quirks.s3
	}
	out := o.dyn // EncodeTyped encodes GetBucketLocation from the dynamic form
	if s3 && s3BucketLocation(op) {
		v, _ := out["LocationConstraint"].(string)
		buf.WriteString(xmlDecl)
		buf.WriteString(`<LocationConstraint xmlns="` + s3Namespace + `">`)
		xml.EscapeText(buf, []byte(v))
		buf.WriteString(`</LocationConstraint>`)
		return ctype, nil
	}
	if p := sh.PayloadMember(); p != nil {
		k := index(sh, p)
		if o.typed() {
			f, fp := o.field(k)
			if api.Absent(f, fp) {
				return ctype, nil
			}
			buf.WriteString(xmlDecl)
			ref := withNamespace(*p, ns)
			return ctype, xmlbody.EncodeTyped(buf, ref, p.XMLName(), o.tab, f, fp)
		}
		v, ok := o.get(k, p)
		if !ok {
			return ctype, nil
		}
		buf.WriteString(xmlDecl)
		ref := withNamespace(*p, ns)
		return ctype, xmlbody.Encode(buf, ref, p.XMLName(), v)
	}
	if !hasBodyMembers(sh) {
		return ctype, nil
	}
	if o.typed() {
		buf.WriteString(xmlDecl)
		root := withNamespace(*op.Output, ns)
		root.LocationName = rootName(op, sh, s3)
		f := api.Field{Kind: api.KStruct, Type: o.entry}
		return ctype, xmlbody.EncodeTyped(buf, root, root.LocationName, o.tab, &f, o.p)
	}
	body := make(map[string]any, len(out))
	for k, v := range out {
		if mr, ok := sh.MemberByName(k); ok && mr.Location == model.LocationBody {
			body[k] = v
		} else if !ok {
			return ctype, fmt.Errorf("rest: structure %s has no member %q", sh.Name, k)
		}
	}
	name := rootName(op, sh, s3)
	buf.WriteString(xmlDecl)
	root := withNamespace(*op.Output, ns)
	root.LocationName = name
	return ctype, xmlbody.Encode(buf, root, name, body)
}

// rootName is the root element of an output's XML body.
func rootName(op *model.Operation, sh *model.Shape, s3 bool) string {
	name := op.Output.LocationName
	if name == "" {
		name = sh.LocationName
	}
	if name == "" && s3 {
		name = s3RootElement(op.Name)
	}
	if name == "" {
		name = sh.Name
	}
	return name
}

// encodeXMLError writes a rest-xml error. S3's form:
//
//	<Error><Code/><Message/>fields<RequestId/><HostId/></Error>
//
// Route 53's and CloudFront's form (botocore RestXMLParser parses both):
//
//	<ErrorResponse xmlns=ns><Error><Type/><Code/><Message/>fields</Error><RequestId/></ErrorResponse>
func encodeXMLError(buf *bytes.Buffer, info *serviceInfo, e *awserr.Error, meta protocol.Meta) string {
	sh := errorShape(info, e.Code)
	s3 := info != nil && info.quirks.s3
	buf.WriteString(xmlDecl)
	if s3 {
		buf.WriteString("<Error>")
	} else {
		buf.WriteString("<ErrorResponse")
		if info != nil && info.xmlns != "" {
			buf.WriteString(` xmlns="`)
			xml.EscapeText(buf, []byte(info.xmlns))
			buf.WriteByte('"')
		}
		buf.WriteString("><Error><Type>")
		if e.Code.Sender {
			buf.WriteString("Sender")
		} else {
			buf.WriteString("Receiver")
		}
		buf.WriteString("</Type>")
	}
	element(buf, "Code", e.Code.Code)
	element(buf, "Message", e.Message)
	names := make([]string, 0, len(e.Fields))
	for k, v := range e.Fields {
		if v != nil && k != "Code" && k != "Message" && k != "RequestId" && k != "HostId" {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	var field bytes.Buffer
	for _, k := range names {
		v := e.Fields[k]
		field.Reset()
		if sh != nil {
			if mr, ok := sh.MemberByName(k); ok {
				if err := xmlbody.Encode(&field, mr, "", v); err == nil {
					buf.Write(field.Bytes())
					continue
				}
				field.Reset()
			}
		}
		element(buf, k, scalarText(v))
	}
	if s3 {
		element(buf, "RequestId", meta.RequestID)
		element(buf, "HostId", meta.HostID)
		buf.WriteString("</Error>")
	} else {
		buf.WriteString("</Error>")
		element(buf, "RequestId", meta.RequestID)
		buf.WriteString("</ErrorResponse>")
	}
	return "application/xml"
}

func element(buf *bytes.Buffer, name, text string) {
	buf.WriteByte('<')
	buf.WriteString(name)
	buf.WriteByte('>')
	xml.EscapeText(buf, []byte(text))
	buf.WriteString("</")
	buf.WriteString(name)
	buf.WriteByte('>')
}

// scalarText renders an error field the model does not describe.
func scalarText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case time.Time:
		return jsonbody.FormatTimestamp(x, model.ISO8601)
	case []byte:
		return base64.StdEncoding.EncodeToString(x)
	case float64:
		return string(jsonbody.AppendFloat(nil, x))
	}
	if n, ok := jsonbody.Int64(v); ok {
		return strconv.FormatInt(n, 10)
	}
	return fmt.Sprint(v)
}
