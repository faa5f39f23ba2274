package rpcv2cbor

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/fxamacker/cbor/v2"

	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/model"
	"github.com/niwa-cloud/niwa/internal/protocol"
)

// conformance is testdata/conformance.json: the Smithy rpcv2Cbor protocol
// tests (its "origin" names the source).
type conformance struct {
	Origin   string          `json:"origin"`
	Model    json.RawMessage `json:"model"`
	Requests []struct {
		ID, Operation, Body string
		Params              map[string]any
	} `json:"requests"`
	Responses []struct {
		ID, Operation, Body string
		Params              map[string]any
	} `json:"responses"`
	Errors []struct {
		ID, Operation, Shape, Body, Message string
		Status                              int
		Fields                              map[string]any
	} `json:"errors"`
}

func loadConformance(t *testing.T) (*conformance, *model.Service) {
	t.Helper()
	data, err := os.ReadFile("testdata/conformance.json")
	if err != nil {
		t.Fatal(err)
	}
	var c conformance
	if err := json.Unmarshal(data, &c); err != nil {
		t.Fatal(err)
	}
	svc, err := model.Load(c.Model)
	if err != nil {
		t.Fatal(err)
	}
	return &c, svc
}

// expected turns a test case's params (JSON: blobs as strings, special
// floats as "NaN"/"Infinity"/"-Infinity") into the dynamic value of sh.
func expected(t *testing.T, sh *model.Shape, v any) any {
	t.Helper()
	if v == nil {
		return nil
	}
	switch sh.Type {
	case model.Structure:
		out := map[string]any{}
		for k, mv := range v.(map[string]any) {
			mr, ok := sh.MemberByName(k)
			if !ok {
				t.Fatalf("%s has no member %s", sh.Name, k)
			}
			if e := expected(t, mr.Shape, mv); e != nil {
				out[k] = e
			}
		}
		return out
	case model.Integer, model.Long:
		return int64(v.(float64))
	case model.Float, model.Double:
		if s, ok := v.(string); ok {
			switch s {
			case "NaN":
				return math.NaN()
			case "Infinity":
				return math.Inf(1)
			case "-Infinity":
				return math.Inf(-1)
			}
		}
		return v.(float64)
	case model.Blob:
		return []byte(v.(string))
	}
	return v
}

func cborRequest(op, body string) *protocol.Request {
	raw, _ := base64.StdEncoding.DecodeString(body)
	r := httptest.NewRequest(http.MethodPost, "/service/RpcV2Protocol/operation/"+op, bytes.NewReader(raw))
	r.Header.Set("Smithy-Protocol", "rpc-v2-cbor")
	r.Header.Set("Content-Type", "application/cbor")
	r.Header.Set("Accept", "application/cbor")
	return protocol.NewRequest(r, nil)
}

// sameData compares two dynamic values, NaN equal to NaN.
func sameData(a, b any) bool {
	switch x := a.(type) {
	case float64:
		y, ok := b.(float64)
		return ok && (x == y || math.IsNaN(x) && math.IsNaN(y))
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			if !sameData(v, y[k]) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a, b)
}

// TestConformanceRequests decodes each request body of the Smithy tests
// and checks the decoded input against the test's params.
func TestConformanceRequests(t *testing.T) {
	c, svc := loadConformance(t)
	codec := New()
	for _, tc := range c.Requests {
		t.Run(tc.ID, func(t *testing.T) {
			req := cborRequest(tc.Operation, tc.Body)
			op, err := codec.Resolve(svc, req)
			if err != nil {
				t.Fatal(err)
			}
			got, err := codec.Decode(op, req)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]any{}
			if op.Input != nil {
				want = expected(t, op.Input.Shape, map[string]any(tc.Params)).(map[string]any)
			}
			if !sameData(got, want) {
				t.Fatalf("decoded %#v\nwant    %#v", got, want)
			}
		})
	}
}

// canonical re-encodes a CBOR body so that map order and definite or
// indefinite lengths do not matter. The __type namespace is dropped:
// clients keep only what follows '#', and niwa's namespace is AWS's
// (com.amazonaws.<service>), not the test suite's.
func canonical(t *testing.T, body []byte) []byte {
	t.Helper()
	if len(body) == 0 {
		return nil
	}
	dm, _ := cbor.DecOptions{DefaultMapType: reflect.TypeOf(map[string]any(nil))}.DecMode()
	var v any
	if err := dm.Unmarshal(body, &v); err != nil {
		t.Fatalf("%v: %x", err, body)
	}
	if m, ok := v.(map[string]any); ok {
		if s, ok := m["__type"].(string); ok {
			m["__type"] = s[strings.LastIndexByte(s, '#')+1:]
		}
	}
	em, _ := cbor.CanonicalEncOptions().EncMode()
	out, err := em.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestConformanceResponses encodes each response test's params and
// compares the body (as data) and the protocol headers.
func TestConformanceResponses(t *testing.T) {
	c, svc := loadConformance(t)
	codec := New()
	for _, tc := range c.Responses {
		t.Run(tc.ID, func(t *testing.T) {
			op := svc.Operations[tc.Operation]
			var out map[string]any
			if op.Output != nil {
				out = expected(t, op.Output.Shape, map[string]any(tc.Params)).(map[string]any)
			}
			w := httptest.NewRecorder()
			if err := codec.Encode(w, op, out, protocol.Meta{RequestID: "r1"}); err != nil {
				t.Fatal(err)
			}
			want, _ := base64.StdEncoding.DecodeString(tc.Body)
			if !bytes.Equal(canonical(t, w.Body.Bytes()), canonical(t, want)) {
				t.Fatalf("body %x\nwant %x", w.Body.Bytes(), want)
			}
			checkHeaders(t, w, len(want) > 0, 200)
		})
	}
}

func checkHeaders(t *testing.T, w *httptest.ResponseRecorder, hasBody bool, status int) {
	t.Helper()
	if w.Code != status || w.Header().Get("Smithy-Protocol") != "rpc-v2-cbor" {
		t.Fatalf("status %d, smithy-protocol %q", w.Code, w.Header().Get("Smithy-Protocol"))
	}
	if ct := w.Header().Get("Content-Type"); hasBody && ct != "application/cbor" || !hasBody && ct != "" {
		t.Fatalf("Content-Type %q with body %v", ct, hasBody)
	}
}

// TestConformanceErrors encodes each error test's error and compares the
// body (as data), the status and the headers.
func TestConformanceErrors(t *testing.T) {
	c, svc := loadConformance(t)
	codec := New()
	for _, tc := range c.Errors {
		t.Run(tc.ID, func(t *testing.T) {
			sh := svc.Shapes[tc.Shape]
			e := awserr.Code{Code: tc.Shape, Shape: tc.Shape, Status: tc.Status, Sender: true}.New("%s", tc.Message)
			e.Fields = map[string]any{}
			for k, v := range tc.Fields {
				mr, _ := sh.MemberByName(k)
				e.Fields[k] = expected(t, mr.Shape, v)
			}
			w := httptest.NewRecorder()
			codec.EncodeError(w, svc, svc.Operations[tc.Operation], e, protocol.Meta{})
			want, _ := base64.StdEncoding.DecodeString(tc.Body)
			if !bytes.Equal(canonical(t, w.Body.Bytes()), canonical(t, want)) {
				t.Fatalf("body %x\nwant %x", w.Body.Bytes(), want)
			}
			checkHeaders(t, w, true, tc.Status)
		})
	}
}
