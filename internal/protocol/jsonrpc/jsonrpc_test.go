package jsonrpc

import (
	"hash/crc32"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/protocol"
)

func TestResolveErrors(t *testing.T) {
	ddb := loadModel(t, "dynamodb")
	c := New()
	for _, target := range []string{"", "DynamoDB_20120810.Nope", "Other_1.GetItem", "GetItem"} {
		r := httptest.NewRequest("POST", "/", strings.NewReader("{}"))
		if target != "" {
			r.Header.Set("X-Amz-Target", target)
		}
		_, err := c.Resolve(ddb, protocol.NewRequest(r, nil))
		if e := awserr.As(err); e.Code.Code != "UnknownOperationException" || e.Code.Status != 400 {
			t.Errorf("%q: %v", target, err)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	ddb := loadModel(t, "dynamodb")
	c := New()
	op := ddb.Operations["GetItem"]
	for body, ok := range map[string]bool{"": true, "{}": true, `{"TableName":"t","Extra":1}`: true, "{": false, `{"TableName":1}`: false, `[]`: false} {
		r := httptest.NewRequest("POST", "/", strings.NewReader(body))
		_, err := c.Decode(op, protocol.NewRequest(r, nil))
		if ok != (err == nil) {
			t.Errorf("%q: %v", body, err)
		}
		if err != nil && awserr.As(err).Code.Code != "SerializationException" {
			t.Errorf("%q: %v", body, err)
		}
	}
}

func TestEncodeHeaders(t *testing.T) {
	ddb := loadModel(t, "dynamodb")
	c := New()
	r := httptest.NewRequest("POST", "/", strings.NewReader(`{}`))
	r.Header.Set("X-Amz-Target", "DynamoDB_20120810.ListTables")
	op, err := c.Resolve(ddb, protocol.NewRequest(r, nil))
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	if err := c.Encode(rec, op, map[string]any{"TableNames": []any{"a"}}, protocol.Meta{RequestID: "R"}); err != nil {
		t.Fatal(err)
	}
	h := rec.Header()
	body := rec.Body.Bytes()
	if h.Get("Content-Type") != "application/x-amz-json-1.0" || h.Get("X-Amzn-Requestid") != "R" ||
		h.Get("X-Amz-Crc32") != strconv.FormatUint(uint64(crc32.ChecksumIEEE(body)), 10) ||
		string(body) != `{"TableNames":["a"]}` {
		t.Fatalf("%v %s", h, body)
	}
	logs := loadModel(t, "logs")
	r = httptest.NewRequest("POST", "/", nil)
	r.Header.Set("X-Amz-Target", "Logs_20140328.DescribeLogGroups")
	op, err = c.Resolve(logs, protocol.NewRequest(r, nil))
	if err != nil {
		t.Fatal(err)
	}
	rec = httptest.NewRecorder()
	c.Encode(rec, op, map[string]any{}, protocol.Meta{})
	if rec.Header().Get("Content-Type") != "application/x-amz-json-1.1" || rec.Body.String() != "{}" {
		t.Fatalf("%v %s", rec.Header(), rec.Body.String())
	}
}

func FuzzJSONRPCDecode(f *testing.F) {
	ddb := loadModel(f, "dynamodb")
	c := New()
	f.Add("DynamoDB_20120810.PutItem", `{"TableName":"t","Item":{"a":{"S":"x"},"b":{"L":[{"N":"1"}]}}}`)
	f.Add("DynamoDB_20120810.Query", `{"ExclusiveStartKey":{"k":{"B":"AA=="}},"Limit":1.0}`)
	f.Fuzz(func(t *testing.T, target, body string) {
		r := httptest.NewRequest("POST", "/", strings.NewReader(body))
		r.Header.Set("X-Amz-Target", target)
		req := protocol.NewRequest(r, nil)
		op, err := c.Resolve(ddb, req)
		if err != nil {
			return
		}
		if _, err := c.Decode(op, req); err != nil && awserr.As(err).Code.Code != "SerializationException" {
			t.Fatal(err)
		}
	})
}

// TestEncodeWithoutResolve: Encode answers with the Content-Type of
// op.Service even on a codec that never resolved the operation.
func TestEncodeWithoutResolve(t *testing.T) {
	logs := loadModel(t, "logs")
	rec := httptest.NewRecorder()
	if err := New().Encode(rec, logs.Operations["DescribeLogGroups"], map[string]any{}, protocol.Meta{}); err != nil {
		t.Fatal(err)
	}
	if rec.Header().Get("Content-Type") != "application/x-amz-json-1.1" || rec.Body.String() != "{}" {
		t.Fatalf("%v %s", rec.Header(), rec.Body.String())
	}
}
