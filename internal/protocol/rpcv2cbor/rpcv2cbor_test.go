package rpcv2cbor

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/model"
	"github.com/niwa-cloud/niwa/internal/protocol"
)

const testModel = `{
  "metadata": {"apiVersion": "2010-08-01", "protocol": "query", "protocols": ["smithy-rpc-v2-cbor", "json", "query"], "serviceId": "CloudWatch",
               "targetPrefix": "GraniteServiceVersion20100801", "endpointPrefix": "monitoring", "awsQueryCompatible": {}},
  "operations": {
    "Put": {"name": "Put", "http": {"method": "POST", "requestUri": "/"}, "input": {"shape": "PutInput"}, "output": {"shape": "PutInput"}}
  },
  "shapes": {
    "PutInput": {"type": "structure", "members": {
      "When": {"shape": "Time"}, "N": {"shape": "Int"}, "L": {"shape": "Long"}, "Names": {"shape": "Names"},
      "Tags": {"shape": "Tags"}, "D": {"shape": "Double"}, "Doc": {"shape": "Doc"}}},
    "Time": {"type": "timestamp"}, "Int": {"type": "integer"}, "Long": {"type": "long"}, "Double": {"type": "double"},
    "Str": {"type": "string"}, "Doc": {"type": "structure", "members": {}, "document": true},
    "Names": {"type": "list", "member": {"shape": "Str"}},
    "Tags": {"type": "map", "key": {"shape": "Str"}, "value": {"shape": "Str"}},
    "LimitExceeded": {"type": "structure", "members": {"message": {"shape": "Str"}}, "error": {"code": "LimitExceeded", "httpStatusCode": 400, "senderFault": true}, "exception": true}
  }
}`

func testService(t testing.TB) *model.Service {
	t.Helper()
	svc, err := model.Load([]byte(testModel))
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func enc(t testing.TB, v any) []byte {
	t.Helper()
	b, err := cbor.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newReq(method, path string, body []byte, header bool) *protocol.Request {
	r := httptest.NewRequest(method, path, bytes.NewReader(body))
	if header {
		r.Header.Set("Smithy-Protocol", "rpc-v2-cbor")
	}
	return protocol.NewRequest(r, nil)
}

func TestResolve(t *testing.T) {
	svc := testService(t)
	codec := New()
	for _, c := range []struct {
		name, method, path string
		header             bool
		wantErr            string
	}{
		{"ok", "POST", "/service/GraniteServiceVersion20100801/operation/Put", true, ""},
		{"path prefix", "POST", "/prefix/service/GraniteServiceVersion20100801/operation/Put", true, ""},
		{"no header", "POST", "/service/GraniteServiceVersion20100801/operation/Put", false, "smithy-protocol"},
		{"GET", "GET", "/service/GraniteServiceVersion20100801/operation/Put", true, "POST"},
		{"other service", "POST", "/service/Other/operation/Put", true, "Unknown operation Other.Put"},
		{"unknown op", "POST", "/service/GraniteServiceVersion20100801/operation/Nope", true, "Unknown operation"},
		{"bad path", "POST", "/operation/Put", true, "Unknown operation"},
	} {
		t.Run(c.name, func(t *testing.T) {
			op, err := codec.Resolve(svc, newReq(c.method, c.path, nil, c.header))
			if c.wantErr == "" {
				if err != nil || op.Name != "Put" {
					t.Fatalf("%v %v", op, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.wantErr) || awserr.As(err).Code.Code != "UnknownOperationException" {
				t.Fatalf("got %v, want %q", err, c.wantErr)
			}
		})
	}
}

func TestDecode(t *testing.T) {
	svc := testService(t)
	codec := New()
	op := svc.Operations["Put"]
	when := time.Date(2024, 5, 6, 7, 8, 9, 123e6, time.UTC)
	deep := []byte{}
	for i := 0; i < 200; i++ {
		deep = append(deep, 0x81) // array of one
	}
	deep = append(deep, 0x01)
	for _, c := range []struct {
		name    string
		body    []byte
		want    map[string]any
		wantErr string
	}{
		{"timestamp tag 1 float", enc(t, map[string]any{"When": cbor.Tag{Number: 1, Content: 1714979289.123}}), map[string]any{"When": when}, ""},
		{"timestamp tag 1 int", enc(t, map[string]any{"When": cbor.Tag{Number: 1, Content: 1714979289}}), map[string]any{"When": when.Truncate(time.Second)}, ""},
		{"lists and maps", enc(t, map[string]any{"Names": []any{"a", "b"}, "Tags": map[string]any{"k": "v", "n": nil}}),
			map[string]any{"Names": []any{"a", "b"}, "Tags": map[string]any{"k": "v"}}, ""},
		{"negative long", enc(t, map[string]any{"L": -5}), map[string]any{"L": int64(-5)}, ""},
		{"document", enc(t, map[string]any{"Doc": map[string]any{"a": []any{1, "x", true}}}), map[string]any{"Doc": map[string]any{"a": []any{float64(1), "x", true}}}, ""},
		{"not cbor", []byte{0xff, 0x00}, nil, "malformed CBOR"},
		{"truncated", enc(t, map[string]any{"Names": []any{"a"}})[:5], nil, "malformed CBOR"},
		{"not a map", enc(t, []any{1}), nil, "expected structure"},
		{"string for int", enc(t, map[string]any{"N": "1"}), nil, "expected integer"},
		{"int32 overflow", enc(t, map[string]any{"N": int64(1) << 40}), nil, "out of range"},
		{"uint64 overflow", enc(t, map[string]any{"L": uint64(1) << 63}), nil, "out of range"},
		{"wrong tag", enc(t, map[string]any{"When": cbor.Tag{Number: 100, Content: 1714979289}}), nil, "expected timestamp"},
		{"non-string keys", enc(t, map[int]any{1: "x"}), nil, "malformed CBOR"},
		{"duplicate keys", []byte{0xa2, 0x61, 'N', 0x01, 0x61, 'N', 0x02}, nil, "malformed CBOR"},
		{"too deep", append([]byte{0xa1, 0x65, 'N', 'a', 'm', 'e', 's'}, deep...), nil, "malformed CBOR"},
		{"invalid utf-8", []byte{0xa1, 0x61, 'N', 0x62, 0xff, 0xfe}, nil, "malformed CBOR"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := codec.Decode(op, newReq("POST", "/service/GraniteServiceVersion20100801/operation/Put", c.body, true))
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) || awserr.As(err).Code.Code != "SerializationException" {
					t.Fatalf("got %v %v, want %q", got, err, c.wantErr)
				}
				return
			}
			if err != nil || !sameData(got, c.want) {
				t.Fatalf("got %#v %v\nwant %#v", got, err, c.want)
			}
		})
	}
}

// TestEncodeTimestamp: timestamps leave as tag 1 epoch seconds with
// their milliseconds.
func TestEncodeTimestamp(t *testing.T) {
	svc := testService(t)
	w := httptest.NewRecorder()
	when := time.Date(2024, 5, 6, 7, 8, 9, 123e6, time.UTC)
	if err := New().Encode(w, svc.Operations["Put"], map[string]any{"When": when, "N": int64(3)}, protocol.Meta{RequestID: "req-1"}); err != nil {
		t.Fatal(err)
	}
	var got struct {
		When cbor.Tag
		N    int
	}
	if err := cbor.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.When.Number != 1 || got.When.Content != 1714979289.123 || got.N != 3 || w.Header().Get("X-Amzn-Requestid") != "req-1" {
		t.Fatalf("%+v %v", got, w.Header())
	}
}

// TestEncodeError covers a modeled error, a query-compatible service's
// x-amzn-query-error header, and a service known only by its metadata
// (one niwa does not implement), which still gets a namespaced __type.
func TestEncodeError(t *testing.T) {
	svc := testService(t)
	for _, c := range []struct {
		name       string
		svc        *model.Service
		err        *awserr.Error
		status     int
		typ, query string
	}{
		{"modeled, query compatible", svc, awserr.Code{Code: "LimitExceeded", Shape: "LimitExceeded", Status: 400, Sender: true}.New("too many"),
			400, "com.amazonaws.cloudwatch#LimitExceeded", "LimitExceeded;Sender"},
		{"not implemented", svc, awserr.NotImplemented.New("niwa does not implement CloudWatch.Put yet"), 501,
			"com.amazonaws.cloudwatch#NotImplemented", "NotImplemented;Receiver"},
		{"metadata only", &model.Service{Metadata: model.Metadata{ServiceID: "Compute Optimizer"}}, awserr.NotImplemented.New("no"), 501,
			"com.amazonaws.computeoptimizer#NotImplemented", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			New().EncodeError(w, c.svc, nil, c.err, protocol.Meta{RequestID: "r"})
			var body map[string]any
			if err := cbor.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatal(err)
			}
			if w.Code != c.status || body["__type"] != c.typ || body["message"] != c.err.Message ||
				w.Header().Get("X-Amzn-Query-Error") != c.query || w.Header().Get("Content-Type") != "application/cbor" {
				t.Fatalf("%d %v %v", w.Code, body, w.Header())
			}
		})
	}
}

func TestIsRequestAndPath(t *testing.T) {
	r := httptest.NewRequest(http.MethodPost, "/service/S/operation/O", nil)
	if IsRequest(r) {
		t.Fatal("no header is not a CBOR request")
	}
	r.Header.Set("smithy-protocol", "rpc-v2-cbor")
	if !IsRequest(r) {
		t.Fatal("header")
	}
	if s, o, ok := PathOperation("/service/S/operation/O"); !ok || s != "S" || o != "O" {
		t.Fatal(s, o, ok)
	}
	if _, _, ok := PathOperation("/service//operation/O"); ok {
		t.Fatal("empty service")
	}
}
