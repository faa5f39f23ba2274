package query_test

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/niwa-cloud/niwa/internal/api"
	"github.com/niwa-cloud/niwa/internal/model"
	"github.com/niwa-cloud/niwa/internal/protocol"
	"github.com/niwa-cloud/niwa/internal/protocol/protocoltest"
	"github.com/niwa-cloud/niwa/internal/protocol/query"
	"github.com/niwa-cloud/niwa/internal/protocol/xmlbody"
	"github.com/niwa-cloud/niwa/internal/protocol/xmlbody/xmlbodytest"
)

// exceptions are the vector cases that cannot hold, by
// "<kind>/<protocol>/<case name>", with the reason. Each is still run, and
// must still fail, so that a stale entry is noticed.
var exceptions = map[string]string{
	"input/query/Idempotency token auto fill/1": "client-only: the client invents a token for an absent idempotencyToken member; the server sees a token it cannot tell from a caller's",
	"input/ec2/Idempotency token auto fill/1":   "client-only: the client invents a token for an absent idempotencyToken member; the server sees a token it cannot tell from a caller's",
}

func codecFor(proto string) *query.Codec {
	if proto == "ec2" {
		return query.NewEC2()
	}
	return query.New()
}

// vectorRequest builds the HTTP request of an input case.
func vectorRequest(s *protocoltest.Serialized) *http.Request {
	method := s.Method
	if method == "" {
		method = http.MethodPost
	}
	uri := s.URI
	if uri == "" {
		uri = "/"
	}
	req := httptest.NewRequest(method, uri, strings.NewReader(s.Body))
	for k, v := range s.Headers {
		req.Header.Set(k, v)
	}
	if req.Header.Get("Content-Type") == "" && s.Body != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	}
	if s.Host != "" {
		req.Host = s.Host
	}
	return req
}

func TestConformanceInput(t *testing.T) {
	for _, proto := range []string{"query", "ec2"} {
		codec := codecFor(proto)
		passed, excepted := 0, 0
		for _, c := range protocoltest.Load(t, "input", proto) {
			key := "input/" + proto + "/" + c.Name
			err := func() error {
				req := protocol.NewRequest(vectorRequest(c.Serialized), nil)
				op, err := codec.Resolve(c.Service, req)
				if err != nil {
					return fmt.Errorf("resolve: %v", err)
				}
				if op != c.Operation {
					return fmt.Errorf("resolved %s, want %s", op.Name, c.Operation.Name)
				}
				got, err := codec.Decode(op, req)
				if err != nil {
					return fmt.Errorf("decode: %v", err)
				}
				want := any(map[string]any{})
				if c.Params != nil && op.Input != nil {
					want = protocoltest.Normalize(op.Input, c.Params)
				}
				if d := protocoltest.Diff(want, got); d != "" {
					return fmt.Errorf("decoding %s:\n%s", c.Serialized.Body, d)
				}
				return nil
			}()
			checkCase(t, key, err, &passed, &excepted)
		}
		t.Logf("input/%s: %d passed, %d exceptions", proto, passed, excepted)
	}
}

// TestConformanceOutputTyped: every output vector the typed encoder can
// take encodes, from its typed form, to the bytes Encode writes for its
// dynamic form (which TestConformanceOutput holds to the client's rules).
func TestConformanceOutputTyped(t *testing.T) {
	for _, proto := range []string{"query", "ec2"} {
		n := protocoltest.CheckTypedOutputs(t, codecFor(proto), protocoltest.Load(t, "output", proto))
		t.Logf("%s output: %d typed outputs encode as their dynamic form", proto, n)
	}
}

func TestConformanceOutput(t *testing.T) {
	for _, proto := range []string{"query", "ec2"} {
		codec := codecFor(proto)
		passed, excepted := 0, 0
		for _, c := range protocoltest.Load(t, "output", proto) {
			key := "output/" + proto + "/" + c.Name
			err := func() error {
				op := c.Operation
				resolve(t, codec, c.Service, op)
				var out map[string]any
				if op.Output != nil {
					out, _ = protocoltest.Normalize(op.Output, c.Result).(map[string]any)
				}
				rec := httptest.NewRecorder()
				if err := codec.Encode(rec, op, out, protocol.Meta{RequestID: "request-id"}); err != nil {
					return fmt.Errorf("encode: %v", err)
				}
				if rec.Code != c.Response.StatusCode {
					return fmt.Errorf("status %d, want %d", rec.Code, c.Response.StatusCode)
				}
				for k := range c.Response.Headers {
					if rec.Header().Get(k) == "" {
						return fmt.Errorf("header %s missing", k)
					}
				}
				got, rid, err := clientParse(proto, op, rec.Body.Bytes())
				if err != nil {
					return fmt.Errorf("client parse of %s: %v", rec.Body.String(), err)
				}
				if rid != "request-id" {
					return fmt.Errorf("request id %q in %s", rid, rec.Body.String())
				}
				want := any(map[string]any{})
				if op.Output != nil {
					want = xmlbodytest.Expected(op.Output, out)
				}
				if d := protocoltest.Diff(want, got); d != "" {
					return fmt.Errorf("client parse of %s:\n%s", rec.Body.String(), d)
				}
				return nil
			}()
			checkCase(t, key, err, &passed, &excepted)
		}
		t.Logf("output/%s: %d passed, %d exceptions", proto, passed, excepted)
	}
}

func checkCase(t *testing.T, key string, err error, passed, excepted *int) {
	t.Helper()
	reason, isException := exceptions[key]
	switch {
	case err == nil && isException:
		t.Errorf("%s: passes; remove it from exceptions", key)
	case err == nil:
		*passed++
	case isException:
		*excepted++
		t.Logf("%s: exception (%s): %v", key, reason, err)
	default:
		t.Errorf("%s: %v", key, err)
	}
}

// resolve checks that Resolve maps op's Action back to op, the way the
// gateway resolves a request before encoding its response.
func resolve(t testing.TB, codec *query.Codec, svc *model.Service, op *model.Operation) {
	t.Helper()
	body := url.Values{"Action": {op.Name}, "Version": {svc.Metadata.APIVersion}}.Encode()
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	got, err := codec.Resolve(svc, protocol.NewRequest(req, nil))
	if err != nil || got != op {
		t.Fatalf("resolving %s: %v, %v", op.Name, got, err)
	}
}

// clientParse reads a success response the way the clients do (botocore
// QueryParser / EC2QueryParser, aws-sdk-go query and ec2query): query
// descends into the result wrapper when the output has one, else reads the
// root's children, and finds the request id in
// ResponseMetadata/RequestId; ec2 reads the root's children and the
// request id in requestId.
func clientParse(proto string, op *model.Operation, body []byte) (map[string]any, string, error) {
	d := xml.NewDecoder(bytes.NewReader(body))
	if _, err := firstElement(d); err != nil {
		return nil, "", err
	}
	var out map[string]any
	var rid string
	err := children(d, func(child xml.StartElement) error {
		var err error
		switch {
		case proto == "ec2" && child.Name.Local == "requestId":
			rid, err = text(d)
		case proto == "query" && child.Name.Local == "ResponseMetadata":
			err = children(d, func(c xml.StartElement) error {
				if c.Name.Local != "RequestId" {
					return d.Skip()
				}
				var err error
				rid, err = text(d)
				return err
			})
		case op.Output != nil && proto == "query" && op.Output.ResultWrapper != "" && child.Name.Local == op.Output.ResultWrapper:
			out, err = xmlbody.DecodeMembers(d, child, op.Output.Shape)
		default:
			err = d.Skip()
		}
		return err
	})
	if err != nil {
		return nil, "", err
	}
	if op.Output != nil && (proto == "ec2" || op.Output.ResultWrapper == "") {
		// The members are the root's children: read the document again.
		d = xml.NewDecoder(bytes.NewReader(body))
		root, _ := firstElement(d)
		if out, err = xmlbody.DecodeMembers(d, root, op.Output.Shape); err != nil {
			return nil, "", err
		}
	}
	if out == nil {
		out = map[string]any{}
	}
	return out, rid, nil
}

// clientParseError reads an error response as botocore does: the Error
// element's children (inside Errors for ec2) and the request id (RequestId
// for query, RequestID for ec2).
func clientParseError(proto string, body []byte) (fields map[string]string, rid string, err error) {
	d := xml.NewDecoder(bytes.NewReader(body))
	root, err := firstElement(d)
	if err != nil {
		return nil, "", err
	}
	want := map[string]string{"query": "ErrorResponse", "ec2": "Response"}[proto]
	if root.Name.Local != want {
		return nil, "", fmt.Errorf("root %s, want %s", root.Name.Local, want)
	}
	fields = map[string]string{}
	var readError func(xml.StartElement) error
	readError = func(el xml.StartElement) error {
		switch el.Name.Local {
		case "Errors":
			return children(d, readError)
		case "Error":
			return children(d, func(c xml.StartElement) error {
				v, err := text(d)
				fields[c.Name.Local] = v
				return err
			})
		case "RequestId", "RequestID":
			if (proto == "ec2") != (el.Name.Local == "RequestID") {
				return fmt.Errorf("%s in a %s error", el.Name.Local, proto)
			}
			var err error
			rid, err = text(d)
			return err
		}
		return d.Skip()
	}
	err = children(d, readError)
	return fields, rid, err
}

func firstElement(d *xml.Decoder) (xml.StartElement, error) {
	for {
		tok, err := d.Token()
		if err != nil {
			return xml.StartElement{}, err
		}
		if s, ok := tok.(xml.StartElement); ok {
			return s, nil
		}
	}
}

func children(d *xml.Decoder, fn func(xml.StartElement) error) error {
	for {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if err := fn(t); err != nil {
				return err
			}
		case xml.EndElement:
			return nil
		}
	}
}

func text(d *xml.Decoder) (string, error) {
	var sb strings.Builder
	for {
		tok, err := d.Token()
		if err != nil {
			return "", err
		}
		switch t := tok.(type) {
		case xml.CharData:
			sb.Write(t)
		case xml.StartElement:
			if err := d.Skip(); err != nil {
				return "", err
			}
		case xml.EndElement:
			return sb.String(), nil
		}
	}
}

// TestConformanceInputTyped: every input vector decodes straight into
// its typed input (DecodeTyped) to the value Decode's tree converts to;
// none is left to the tree path (recursive shapes, which the vectors'
// made types cannot hold, are not compared).
func TestConformanceInputTyped(t *testing.T) {
	for _, proto := range []string{"query", "ec2"} {
		codec := codecFor(proto)
		typed, tree := protocoltest.CheckTypedInputs(t, codec, protocoltest.Load(t, "input", proto), func(c protocoltest.Case) *protocol.Request {
			// Resolved first, as the gateway does: Resolve reads the form
			// its own way (scanAction), and the decoders must agree with it.
			r := protocol.NewRequest(vectorRequest(c.Serialized), nil)
			if _, err := codec.Resolve(c.Service, r); err != nil {
				t.Fatalf("%s: resolve: %v", c.Name, err)
			}
			return r
		})
		t.Logf("%s input: %d decoded typed, %d left to the tree", proto, typed, tree)
		if typed < 10 || tree > 0 {
			t.Fatalf("%s: %d decoded typed, %d left to the tree", proto, typed, tree)
		}
	}
}

// TestDecodeTypedConcurrent: the codec's pooled decoder state is not
// shared between decodings running at once: every input vector, decoded
// by eight goroutines at a time (run it with -race), gives the value it
// gives alone.
func TestDecodeTypedConcurrent(t *testing.T) {
	for _, proto := range []string{"query", "ec2"} {
		codec := codecFor(proto)
		type job struct {
			c    protocoltest.Case
			make func() api.Typed
			want map[string]any
		}
		var jobs []job
		for _, c := range protocoltest.Load(t, "input", proto) {
			newInput, ok := protocoltest.TypedInputs(c.Operation)
			if !ok {
				continue
			}
			in := newInput()
			if err := codec.DecodeTyped(c.Operation, protocol.NewRequest(vectorRequest(c.Serialized), nil), in); err != nil {
				t.Fatalf("%s: %v", c.Name, err)
			}
			tab, i := in.ConvType()
			jobs = append(jobs, job{c, newInput, tab.ToDynamic(i, reflect.ValueOf(in).UnsafePointer())})
		}
		var wg sync.WaitGroup
		errs := make(chan string, 8)
		for g := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for n := range 50 {
					j := jobs[(g*7+n)%len(jobs)]
					in := j.make()
					if err := codec.DecodeTyped(j.c.Operation, protocol.NewRequest(vectorRequest(j.c.Serialized), nil), in); err != nil {
						errs <- j.c.Name + ": " + err.Error()
						return
					}
					tab, i := in.ConvType()
					if d := protocoltest.Diff(j.want, tab.ToDynamic(i, reflect.ValueOf(in).UnsafePointer())); d != "" {
						errs <- j.c.Name + ": " + d
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for e := range errs {
			t.Error(e)
		}
	}
}
