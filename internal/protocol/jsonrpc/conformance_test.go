package jsonrpc

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/internal/model"
	"github.com/niwa-cloud/niwa/internal/protocol"
	"github.com/niwa-cloud/niwa/internal/protocol/jsonbody"
	"github.com/niwa-cloud/niwa/internal/protocol/protocoltest"
)

// exceptions are vector cases that test client-only behaviour and cannot
// hold when read in reverse.
var exceptions = map[string]string{
	// The SDK fills an absent idempotency token with a UUID; the params
	// have none, the serialized body has the SDK's made-up token.
	"Idempotency token auto fill/1": "client-only: the SDK generates the idempotency token",
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

func TestConformanceInput(t *testing.T) {
	codec := New()
	n, skipped := 0, 0
	for _, c := range protocoltest.Load(t, "input", "json") {
		t.Run(c.Name, func(t *testing.T) {
			if why, ok := exceptions[c.Name]; ok {
				skipped++
				t.Skip(why)
			}
			r := newHTTPRequest(t, c)
			if r.Header.Get("X-Amz-Target") == "" {
				// The vectors of models without a targetPrefix do not
				// assert the header (the SDK sends none then); give the
				// request the target the operation would be reached by.
				target := c.Operation.Name
				if p := c.Service.Metadata.TargetPrefix; p != "" {
					target = p + "." + target
				}
				r.Header.Set("X-Amz-Target", target)
			}
			req := protocol.NewRequest(r, nil)
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
			want := protocoltest.Normalize(op.Input, c.Params)
			if want == nil {
				want = map[string]any{}
			}
			if d := protocoltest.Diff(want, got); d != "" {
				t.Fatalf("decoded input differs:\n%s", d)
			}
			n++
		})
	}
	t.Logf("json input: %d passed, %d exceptions", n, skipped)
}

// TestConformanceOutputTyped: every output vector the typed encoder can
// take encodes, from its typed form, to the bytes Encode writes for its
// dynamic form (which TestConformanceOutput holds to the client's rules).
func TestConformanceOutputTyped(t *testing.T) {
	n := protocoltest.CheckTypedOutputs(t, New(), protocoltest.Load(t, "output", "json"))
	t.Logf("json output: %d typed outputs encode as their dynamic form", n)
}

func TestConformanceOutput(t *testing.T) {
	codec := New()
	n := 0
	for _, c := range protocoltest.Load(t, "output", "json") {
		t.Run(c.Name, func(t *testing.T) {
			op := c.Operation
			want := protocoltest.Normalize(op.Output, c.Result)
			out, _ := want.(map[string]any)
			rec := httptest.NewRecorder()
			if err := codec.Encode(rec, op, out, protocol.Meta{RequestID: "rid"}); err != nil {
				t.Fatalf("encode: %v", err)
			}
			got := parseResponse(t, op, rec)
			if want == nil {
				want = map[string]any{}
			}
			if d := protocoltest.Diff(want, got); d != "" {
				t.Fatalf("client-side result differs:\n%s\nbody: %s", d, rec.Body.String())
			}
			n++
		})
	}
	t.Logf("json output: %d passed", n)
}

// parseResponse reads a response by the client's rules (botocore
// JSONParser): the whole body is the output structure.
func parseResponse(t *testing.T, op *model.Operation, rec *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d", rec.Code)
	}
	if rec.Header().Get("X-Amzn-Requestid") != "rid" {
		t.Fatalf("request id header missing: %v", rec.Header())
	}
	if op.Output == nil {
		return map[string]any{}
	}
	got, err := jsonbody.DecodeStructure(rec.Body.Bytes(), op.Output.Shape, false)
	if err != nil {
		t.Fatalf("client parse: %v (body %s)", err, rec.Body.String())
	}
	return got
}
