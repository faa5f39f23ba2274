package jsonrpc

import (
	"flag"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/model"
	"github.com/niwa-cloud/niwa/internal/protocol"
	"github.com/niwa-cloud/niwa/internal/protocol/protocoltest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// loadModel reads a real service model from the aws-sdk-go module.
func loadModel(t testing.TB, name string) *model.Service {
	t.Helper()
	dir := filepath.Join(filepath.Dir(protocoltest.Dir(t)), "apis", name)
	matches, _ := filepath.Glob(filepath.Join(dir, "*", "api-2.json"))
	if len(matches) == 0 {
		t.Fatalf("no model for %s", name)
	}
	data, err := os.ReadFile(matches[len(matches)-1])
	if err != nil {
		t.Fatal(err)
	}
	svc, err := model.Load(data)
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func dump(rec *httptest.ResponseRecorder) []byte { return protocoltest.DumpResponse(rec) }

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	protocoltest.Golden(t, name, got, *update)
}

func TestGoldenDynamoDBError(t *testing.T) {
	ddb := loadModel(t, "dynamodb")
	rec := httptest.NewRecorder()
	code := awserr.Code{Code: "ResourceNotFoundException", Status: 400, Sender: true}
	New().EncodeError(rec, ddb, ddb.Operations["GetItem"], code.New("Requested resource not found"), protocol.Meta{RequestID: "REQ-1"})
	golden(t, "dynamodb_error", dump(rec))
}

func TestGoldenDynamoDBConditionalCheckFailed(t *testing.T) {
	ddb := loadModel(t, "dynamodb")
	rec := httptest.NewRecorder()
	code := awserr.Code{Code: "ConditionalCheckFailedException", Status: 400, Sender: true}
	err := code.New("The conditional request failed").With("Item", map[string]any{"pk": map[string]any{"S": "a"}})
	New().EncodeError(rec, ddb, ddb.Operations["PutItem"], err, protocol.Meta{RequestID: "REQ-2"})
	golden(t, "dynamodb_conditional_error", dump(rec))
}

func TestGoldenSQSQueryCompatibleError(t *testing.T) {
	sqs := loadModel(t, "sqs")
	if !sqs.Metadata.AWSQueryCompatible {
		t.Fatal("SQS model is not awsQueryCompatible")
	}
	rec := httptest.NewRecorder()
	code := awserr.Code{Code: "AWS.SimpleQueueService.NonExistentQueue", Shape: "QueueDoesNotExist", Status: 400, Sender: true}
	New().EncodeError(rec, sqs, sqs.Operations["GetQueueUrl"], code.New("The specified queue does not exist."), protocol.Meta{RequestID: "REQ-3"})
	golden(t, "sqs_query_compatible_error", dump(rec))
}

func TestGoldenDynamoDBGetItem(t *testing.T) {
	ddb := loadModel(t, "dynamodb")
	c := New()
	r := httptest.NewRequest("POST", "/", strings.NewReader(`{"TableName":"t","Key":{"pk":{"S":"a"}},"ConsistentRead":true}`))
	r.Header.Set("X-Amz-Target", "DynamoDB_20120810.GetItem")
	req := protocol.NewRequest(r, nil)
	op, err := c.Resolve(ddb, req)
	if err != nil {
		t.Fatal(err)
	}
	in, err := c.Decode(op, req)
	if err != nil {
		t.Fatal(err)
	}
	if in["TableName"] != "t" || in["ConsistentRead"] != true {
		t.Fatalf("decoded %v", in)
	}
	rec := httptest.NewRecorder()
	out := map[string]any{"Item": map[string]any{
		"pk": map[string]any{"S": "a"},
		"n":  map[string]any{"N": "1.5"},
		"b":  map[string]any{"B": []byte("hi")},
		"l":  map[string]any{"L": []any{map[string]any{"BOOL": true}, map[string]any{"NULL": true}}},
	}}
	if err := c.Encode(rec, op, out, protocol.Meta{RequestID: "REQ-4"}); err != nil {
		t.Fatal(err)
	}
	golden(t, "dynamodb_getitem", dump(rec))
}
