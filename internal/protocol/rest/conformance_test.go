package rest

import (
	"bytes"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/internal/model"
	"github.com/niwa-cloud/niwa/internal/protocol"
	"github.com/niwa-cloud/niwa/internal/protocol/jsonbody"
	"github.com/niwa-cloud/niwa/internal/protocol/protocoltest"
)

// exceptions are vector cases that cannot hold when read in reverse,
// with the reason.
var exceptions = map[string]string{
	// Input: the SDK fills an absent idempotency token with a UUID; the
	// params have none, the serialized body has the SDK's token.
	"rest-json input Idempotency token auto fill/1": "client-only: the SDK generates the idempotency token",
	"rest-xml input Idempotency token auto fill/1":  "client-only: the SDK generates the idempotency token",
	// Input: the SDK trims the whitespace of header names and values
	// before sending; the params hold the untrimmed strings.
	"rest-xml input Header whitespace/0": "client-only: the SDK trims header whitespace",
	// Output: a headers map without a prefix collects every response
	// header, including the ones the server itself adds
	// (Content-Type, x-amzn-RequestId, Content-Length), so the round trip
	// cannot reproduce the vector's exact map.
	"rest-json output Supports header maps/0": "client-only: a prefix-less headers map receives every response header",
}

// exception reports whether a case is excepted.
func exception(t *testing.T, kind string, c protocoltest.Case) bool {
	t.Helper()
	if why, ok := exceptions[kind+" "+c.Name]; ok {
		t.Skip(why)
		return true
	}
	return false
}

// newHTTPRequest builds the request a client sent from a vector.
func newHTTPRequest(t *testing.T, c protocoltest.Case) *http.Request {
	t.Helper()
	s := c.Serialized
	method := s.Method
	if method == "" {
		method = c.Operation.HTTP.Method
	}
	uri := s.URI
	if uri == "" {
		uri = "/"
	}
	r := httptest.NewRequest(method, uri, strings.NewReader(s.Body))
	if s.Host != "" {
		r.Host = s.Host
	}
	for k, v := range s.Headers {
		r.Header.Set(k, v)
	}
	return r
}

func runInput(t *testing.T, codec *Codec, proto string) {
	passed, skipped := 0, 0
	for _, c := range protocoltest.Load(t, "input", proto) {
		t.Run(c.Name, func(t *testing.T) {
			if _, ok := exceptions[proto+" input "+c.Name]; ok {
				skipped++
			}
			if exception(t, proto+" input", c) {
				return
			}
			req := protocol.NewRequest(newHTTPRequest(t, c), nil)
			op, err := codec.Resolve(c.Service, req)
			if err != nil {
				t.Fatalf("resolve: %v", err)
			}
			if op != c.Operation {
				t.Fatalf("resolved %s, want %s", op.Name, c.Operation.Name)
			}
			got, err := codec.Decode(op, req)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			// A streaming payload must come back unread, as a reader.
			for k, v := range got {
				if r, ok := v.(io.Reader); ok {
					b, err := io.ReadAll(r)
					if err != nil {
						t.Fatal(err)
					}
					got[k] = b
				}
			}
			want := dropNils(protocoltest.Normalize(op.Input, c.Params))
			if want == nil {
				want = map[string]any{}
			}
			if d := protocoltest.Diff(want, got); d != "" {
				t.Fatalf("decoded input differs:\n%s", d)
			}
			passed++
		})
	}
	t.Logf("%s input: %d passed, %d exceptions", proto, passed, skipped)
}

func runOutput(t *testing.T, codec *Codec, proto string) {
	passed, skipped := 0, 0
	for _, c := range protocoltest.Load(t, "output", proto) {
		t.Run(c.Name, func(t *testing.T) {
			if _, ok := exceptions[proto+" output "+c.Name]; ok {
				skipped++
			}
			if exception(t, proto+" output", c) {
				return
			}
			codec.Prepare(c.Service)
			op := c.Operation
			want := protocoltest.Normalize(op.Output, c.Result)
			out, _ := want.(map[string]any)
			rec := httptest.NewRecorder()
			if err := codec.Encode(rec, op, out, protocol.Meta{RequestID: "rid"}); err != nil {
				t.Fatalf("encode: %v", err)
			}
			got := parseResponse(t, codec.xml, op, rec)
			if want == nil {
				want = map[string]any{}
			}
			if d := protocoltest.Diff(want, got); d != "" {
				t.Fatalf("client-side result differs:\n%s\nheaders: %v\nbody: %s", d, rec.Header(), rec.Body.String())
			}
			passed++
		})
	}
	t.Logf("%s output: %d passed, %d exceptions", proto, passed, skipped)
}

func TestConformanceRESTJSON(t *testing.T) {
	codec := NewJSON().(*Codec)
	t.Run("input", func(t *testing.T) { runInput(t, codec, "rest-json") })
	t.Run("output", func(t *testing.T) { runOutput(t, codec, "rest-json") })
	t.Run("typed", func(t *testing.T) {
		n := protocoltest.CheckTypedOutputs(t, codec, protocoltest.Load(t, "output", "rest-json"))
		t.Logf("rest-json output: %d typed outputs encode as their dynamic form", n)
	})
}

// parseResponse reads a response by the client's rules (botocore
// BaseRestParser): header and status members from the HTTP message, the
// payload member from the raw body or its document, the other members
// from the body document.
func parseResponse(t *testing.T, isXML bool, op *model.Operation, rec *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	got := map[string]any{}
	if op.Output == nil {
		return got
	}
	sh := op.Output.Shape
	h := rec.Header()
	for _, m := range sh.Members {
		switch m.Location {
		case model.LocationStatusCode:
			got[m.Name] = int64(rec.Code)
		case model.LocationHeader:
			s := h.Get(wireName(m))
			if s == "" {
				continue
			}
			if m.Shape.Type == model.List {
				var l []any
				for _, part := range splitHeaderList(s, m.Shape.Member) {
					v, err := parseScalar(m.Shape.Member, part, model.RFC822, true)
					if err != nil {
						t.Fatalf("header %s: %v", wireName(m), err)
					}
					l = append(l, v)
				}
				got[m.Name] = l
				continue
			}
			v, err := parseScalar(m, s, model.RFC822, true)
			if err != nil {
				t.Fatalf("header %s: %v", wireName(m), err)
			}
			got[m.Name] = v
		case model.LocationHeaders:
			mv := map[string]any{}
			for k, vs := range h {
				prefix := headerPrefix(m)
				if !strings.HasPrefix(strings.ToLower(k), strings.ToLower(prefix)) {
					continue
				}
				v, err := parseScalar(m.Shape.Value, vs[0], model.RFC822, true)
				if err != nil {
					t.Fatal(err)
				}
				mv[k[len(prefix):]] = v
			}
			if len(mv) > 0 {
				got[m.Name] = mv
			}
		}
	}
	body := rec.Body.Bytes()
	if p := sh.PayloadMember(); p != nil {
		switch p.Shape.Type {
		case model.Blob:
			if len(body) > 0 {
				got[p.Name] = bytes.Clone(body)
			}
		case model.String:
			if len(body) > 0 {
				got[p.Name] = string(body)
			}
		default:
			if len(body) == 0 {
				break
			}
			v, err := clientDecodePayload(isXML, body, p)
			if err != nil {
				t.Fatalf("client parse: %v (body %s)", err, body)
			}
			got[p.Name] = v
		}
		return got
	}
	if len(body) == 0 {
		return got
	}
	members, err := clientDecodeMembers(isXML, body, sh)
	if err != nil {
		t.Fatalf("client parse: %v (body %s)", err, body)
	}
	for k, v := range members {
		got[k] = v
	}
	return got
}

func clientDecodePayload(isXML bool, body []byte, p *model.Ref) (any, error) {
	if isXML {
		return decodeXMLPayload(body, p)
	}
	return jsonbody.Decode(body, p)
}

func clientDecodeMembers(isXML bool, body []byte, sh *model.Shape) (map[string]any, error) {
	if isXML {
		return decodeXMLMembers(body, sh, "") // an output: its root is checked by xmlRoot
	}
	return jsonbody.DecodeStructure(body, sh, true)
}

// xmlRoot returns the name and xmlns of a document's root element.
func xmlRoot(t *testing.T, body []byte) (string, string) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(body))
	for {
		tok, err := d.Token()
		if err != nil {
			t.Fatalf("no root element: %v", err)
		}
		if s, ok := tok.(xml.StartElement); ok {
			return s.Name.Local, s.Name.Space
		}
	}
}

// dropNils removes null members from a vector's params: a member set to
// null is absent on the wire.
func dropNils(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if e == nil {
				delete(x, k)
				continue
			}
			x[k] = dropNils(e)
		}
	case []any:
		for i, e := range x {
			x[i] = dropNils(e)
		}
	}
	return v
}

func TestConformanceRESTXML(t *testing.T) {
	codec := NewXML().(*Codec)
	t.Run("input", func(t *testing.T) { runInput(t, codec, "rest-xml") })
	t.Run("output", func(t *testing.T) { runOutput(t, codec, "rest-xml") })
	t.Run("typed", func(t *testing.T) {
		n := protocoltest.CheckTypedOutputs(t, codec, protocoltest.Load(t, "output", "rest-xml"))
		t.Logf("rest-xml output: %d typed outputs encode as their dynamic form", n)
	})
}

// TestDecodeTypedVectors: on every input vector of both protocols,
// DecodeTyped builds the value Decode's tree converts to, or leaves the
// request to the tree.
func TestDecodeTypedVectors(t *testing.T) {
	for _, proto := range []string{"rest-json", "rest-xml"} {
		codec := NewJSON()
		if proto == "rest-xml" {
			codec = NewXML()
		}
		cases := protocoltest.Load(t, "input", proto)
		n, _ := protocoltest.CheckTypedInputs(t, codec, cases, func(c protocoltest.Case) *protocol.Request {
			return protocol.NewRequest(newHTTPRequest(t, c), nil)
		})
		t.Logf("%s: %d of %d input vectors decoded typed", proto, n, len(cases))
		if n == 0 {
			t.Fatalf("%s: no vector decoded typed", proto)
		}
	}
}
