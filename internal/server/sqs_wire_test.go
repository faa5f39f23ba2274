package server_test

import (
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/niwa-cloud/niwa/niwatest"
)

// sqsJSON sends a signed SQS JSON 1.0 request.
func sqsJSON(t *testing.T, n *niwatest.Niwa, c creds, op, body string) (rawResponse, map[string]any) {
	t.Helper()
	r := signed(t, n, time.Now(), c, "sqs", "POST", "/",
		map[string]string{"X-Amz-Target": "AmazonSQS." + op, "Content-Type": "application/x-amz-json-1.0"}, body)
	var m map[string]any
	if r.body != "" {
		if err := json.Unmarshal([]byte(r.body), &m); err != nil {
			t.Fatalf("%s: %s: %v", op, r.body, err)
		}
	}
	return r, m
}

// sqsQuery sends a signed SQS query-protocol request.
func sqsQuery(t *testing.T, n *niwatest.Niwa, c creds, action string, params url.Values) rawResponse {
	t.Helper()
	if params == nil {
		params = url.Values{}
	}
	params.Set("Action", action)
	params.Set("Version", "2012-11-05")
	return query(t, n, time.Now(), c, "sqs", params.Encode())
}

// wantSQSJSONErr asserts an SQS JSON error: status, the namespaced shape
// in __type and x-amzn-ErrorType (as the body names it), and the legacy
// query code in x-amzn-query-error, which every SQS error carries
// (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-json-api-responses.html).
func wantSQSJSONErr(t *testing.T, r rawResponse, body map[string]any, status int, shape, queryCode string) string {
	t.Helper()
	typ := "com.amazonaws.sqs#" + shape
	if r.status != status || body["__type"] != typ || r.header.Get("X-Amzn-Errortype") != typ ||
		r.header.Get("X-Amzn-Query-Error") != queryCode+";Sender" {
		t.Fatalf("got %d %v %s\nwant %d %s %s", r.status, r.header, r.body, status, typ, queryCode)
	}
	msg, _ := body["message"].(string)
	return msg
}

// TestSQSAuthErrorsPerProtocol: SQS's front end words authentication
// failures in the vocabulary of the protocol the request is spoken in.
// Over query they are the query services' 403s SQS documents
// (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/CommonErrors.html);
// over JSON, the JSON services' codes with the query code beside them.
func TestSQSAuthErrorsPerProtocol(t *testing.T) {
	n := niwatest.Start(t)
	unknownKey := creds{"AKIAUNKNOWN000000000", "whatever", ""}
	badSecret := creds{"test", "not-the-secret", ""}

	r := sqsQuery(t, n, unknownKey, "ListQueues", nil)
	wantQueryErr(t, r, 403, "InvalidClientTokenId")
	r = sqsQuery(t, n, badSecret, "ListQueues", nil)
	wantQueryErr(t, r, 403, "SignatureDoesNotMatch")

	req, _ := http.NewRequest("POST", n.Endpoint+"/", strings.NewReader("Action=ListQueues&Version=2012-11-05"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	wantQueryErr(t, rawResponse{resp.StatusCode, resp.Header, string(b)}, 403, "MissingAuthenticationToken")

	// JSON keeps the JSON vocabulary, with the query code beside it.
	jr, body := sqsJSON(t, n, unknownKey, "ListQueues", "{}")
	wantSQSJSONErr(t, jr, body, 400, "UnrecognizedClientException", "UnrecognizedClientException")
}

// TestSQSErrorHeaders: every SQS JSON error names its shape the same way
// in __type and x-amzn-ErrorType and carries x-amzn-query-error, whether
// the handler, the model check or the codec raised it.
func TestSQSErrorHeaders(t *testing.T) {
	n := niwatest.Start(t)
	if r, _ := sqsJSON(t, n, rootCreds, "CreateQueue", `{"QueueName":"hdr"}`); r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	// The generic query codes have no shape in SQS's model: SQS names
	// them ...Exception in __type (as recorded from SQS).
	cases := []struct {
		op, body, shape, code string
	}{
		{"GetQueueUrl", `{"QueueName":"missing"}`, "QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue"},
		{"SendMessage", `{"MessageBody":"x"}`, "MissingRequiredParameterException", "MissingParameter"},
		{"ReceiveMessage", `{"QueueUrl":"hdr","MaxNumberOfMessages":11}`, "InvalidParameterValueException", "InvalidParameterValue"},
		{"GetQueueUrl", `{"QueueName":`, "SerializationException", "SerializationException"},
	}
	for _, c := range cases {
		r, body := sqsJSON(t, n, rootCreds, c.op, c.body)
		wantSQSJSONErr(t, r, body, 400, c.shape, c.code)
	}
}

// TestSQSMissingParameter: a request without a required member answers
// MissingParameter in both protocols, as SQS does, not the generic
// ValidationException/ValidationError of the protocol families.
func TestSQSMissingParameter(t *testing.T) {
	n := niwatest.Start(t)
	r, body := sqsJSON(t, n, rootCreds, "SendMessage", `{"MessageBody":"x"}`)
	if msg := wantSQSJSONErr(t, r, body, 400, "MissingRequiredParameterException", "MissingParameter"); msg != "The request must contain the parameter QueueUrl." {
		t.Fatalf("message %q", msg)
	}
	qr := sqsQuery(t, n, rootCreds, "CreateQueue", nil)
	if msg := wantQueryErr(t, qr, 400, "MissingParameter"); msg != "The request must contain the parameter QueueName." {
		t.Fatalf("message %q", msg)
	}
}

// TestSQSAttributeNames: ReceiveMessage takes message system attribute
// names in AttributeNames (the model lists queue attribute names there;
// SQS documents and serves the system ones) and in
// MessageSystemAttributeNames; GetQueueAttributes answers a name it does
// not know with InvalidAttributeName "Unknown Attribute X.", in both
// protocols.
func TestSQSAttributeNames(t *testing.T) {
	n := niwatest.Start(t)
	r, body := sqsJSON(t, n, rootCreds, "CreateQueue", `{"QueueName":"attrs.fifo","Attributes":{"FifoQueue":"true","ContentBasedDeduplication":"true"}}`)
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	qurl := body["QueueUrl"].(string)
	r, _ = sqsJSON(t, n, rootCreds, "SendMessage", `{"QueueUrl":"`+qurl+`","MessageBody":"hi","MessageGroupId":"g"}`)
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	r, body = sqsJSON(t, n, rootCreds, "ReceiveMessage", `{"QueueUrl":"`+qurl+`","VisibilityTimeout":0,`+
		`"AttributeNames":["ApproximateFirstReceiveTimestamp","ApproximateReceiveCount","SenderId","MessageGroupId","SequenceNumber"]}`)
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	attrs := body["Messages"].([]any)[0].(map[string]any)["Attributes"].(map[string]any)
	for _, k := range []string{"ApproximateFirstReceiveTimestamp", "ApproximateReceiveCount", "SenderId", "MessageGroupId", "SequenceNumber"} {
		if attrs[k] == nil || attrs[k] == "" {
			t.Errorf("JSON: attribute %s missing: %v", k, attrs)
		}
	}
	if attrs["ApproximateReceiveCount"] != "1" || attrs["MessageGroupId"] != "g" || attrs["SentTimestamp"] != nil {
		t.Errorf("JSON attributes %v", attrs)
	}

	// Query: AttributeName.N and MessageSystemAttributeName.N.
	qr := sqsQuery(t, n, rootCreds, "ReceiveMessage", url.Values{"QueueUrl": {qurl},
		"AttributeName.1": {"ApproximateReceiveCount"}, "MessageSystemAttributeName.1": {"SenderId"}})
	var rec struct {
		Messages []struct {
			Attributes []struct{ Name, Value string } `xml:"Attribute"`
		} `xml:"ReceiveMessageResult>Message"`
	}
	if err := xml.Unmarshal([]byte(qr.body), &rec); err != nil || qr.status != 200 || len(rec.Messages) != 1 {
		t.Fatalf("query receive: %d %s %v", qr.status, qr.body, err)
	}
	got := map[string]string{}
	for _, a := range rec.Messages[0].Attributes {
		got[a.Name] = a.Value
	}
	if got["ApproximateReceiveCount"] != "2" || got["SenderId"] == "" || len(got) != 2 {
		t.Errorf("query attributes %v", got)
	}

	r, body = sqsJSON(t, n, rootCreds, "GetQueueAttributes", `{"QueueUrl":"`+qurl+`","AttributeNames":["Bogus"]}`)
	if msg := wantSQSJSONErr(t, r, body, 400, "InvalidAttributeName", "InvalidAttributeName"); msg != "Unknown Attribute Bogus." {
		t.Fatalf("message %q", msg)
	}
	qr = sqsQuery(t, n, rootCreds, "GetQueueAttributes", url.Values{"QueueUrl": {qurl}, "AttributeName.1": {"Bogus"}})
	if msg := wantQueryErr(t, qr, 400, "InvalidAttributeName"); msg != "Unknown Attribute Bogus." {
		t.Fatalf("message %q", msg)
	}
}

// TestSQSQueryWording: SQS's query front end words a missing queue as
// "... for this wsdl version.", its JSON front end without those words.
func TestSQSQueryWording(t *testing.T) {
	n := niwatest.Start(t)
	qr := sqsQuery(t, n, rootCreds, "GetQueueUrl", url.Values{"QueueName": {"missing"}})
	if msg := wantQueryErr(t, qr, 400, "AWS.SimpleQueueService.NonExistentQueue"); msg != "The specified queue does not exist for this wsdl version." {
		t.Fatalf("query message %q", msg)
	}
	// SQS's query errors carry an empty Detail (botocore reads it as
	// None), authentication failures too.
	if !strings.Contains(qr.body, "<Detail></Detail>") {
		t.Fatalf("no Detail: %s", qr.body)
	}
	if r := sqsQuery(t, n, creds{"AKIAUNKNOWN000000000", "x", ""}, "ListQueues", nil); !strings.Contains(r.body, "<Detail></Detail>") {
		t.Fatalf("no Detail: %s", r.body)
	}
	r, body := sqsJSON(t, n, rootCreds, "GetQueueUrl", `{"QueueName":"missing"}`)
	if msg := wantSQSJSONErr(t, r, body, 400, "QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue"); msg != "The specified queue does not exist." {
		t.Fatalf("JSON message %q", msg)
	}
}

// TestSQSQueryAtQueueURL: query requests sent to a queue URL, as SQS
// answers them (LocalStack's AWS-validated TestSqsQueryApi): the queue's
// actions work without QueueUrl or Version; an unknown action, and
// CreateQueue or ListQueues, are InvalidAction "... not valid for this
// endpoint.".
func TestSQSQueryAtQueueURL(t *testing.T) {
	n := niwatest.Start(t)
	if r, _ := sqsJSON(t, n, rootCreds, "CreateQueue", `{"QueueName":"atq"}`); r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	at := func(params string) rawResponse {
		return signed(t, n, time.Now(), rootCreds, "sqs", "GET", "/000000000000/atq?"+params, nil, "")
	}
	if r := at("Action=GetQueueAttributes&AttributeName.1=QueueArn"); r.status != 200 || !strings.Contains(r.body, "<Name>QueueArn</Name>") {
		t.Fatalf("GetQueueAttributes: %d %s", r.status, r.body)
	}
	for _, action := range []string{"FooBar", "CreateQueue", "ListQueues"} {
		r := at("Action=" + action + "&Version=2012-11-05&QueueName=other")
		if msg := wantQueryErr(t, r, 400, "InvalidAction"); msg != "The action "+action+" is not valid for this endpoint." {
			t.Errorf("%s: %q", action, msg)
		}
	}
	if r := at("Action=GetQueueUrl&QueueName=atq"); r.status != 200 {
		t.Fatalf("GetQueueUrl at a queue URL: %d %s", r.status, r.body)
	}
	r := at("Action=SendMessage")
	if msg := wantQueryErr(t, r, 400, "MissingParameter"); msg != "The request must contain the parameter MessageBody." {
		t.Fatalf("%q", msg)
	}
}

// TestSQSEmptyBatch: a batch without entries is EmptyBatchRequest in both
// protocols (botocore sends an empty list over query as
// "SendMessageBatchRequestEntry=").
func TestSQSEmptyBatch(t *testing.T) {
	n := niwatest.Start(t)
	if r, _ := sqsJSON(t, n, rootCreds, "CreateQueue", `{"QueueName":"eb"}`); r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	r, body := sqsJSON(t, n, rootCreds, "SendMessageBatch", `{"QueueUrl":"eb","Entries":[]}`)
	wantSQSJSONErr(t, r, body, 400, "EmptyBatchRequest", "AWS.SimpleQueueService.EmptyBatchRequest")
	qr := query(t, n, time.Now(), rootCreds, "sqs", "Action=SendMessageBatch&Version=2012-11-05&QueueUrl=eb&SendMessageBatchRequestEntry=")
	wantQueryErr(t, qr, 400, "AWS.SimpleQueueService.EmptyBatchRequest")
}
