package lambda

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	lambdaapi "github.com/niwa-cloud/niwa/internal/api/lambda"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

func filtersOf(patterns ...string) *lambdaapi.FilterCriteria {
	fc := &lambdaapi.FilterCriteria{}
	for _, p := range patterns {
		fc.Filters = append(fc.Filters, lambdaapi.Filter{Pattern: ptr.To(p)})
	}
	return fc
}

func TestCheckFilters(t *testing.T) {
	six := make([]string, 6)
	for i := range six {
		six[i] = `{"body":["x"]}`
	}
	for _, c := range []struct {
		name string
		fc   *lambdaapi.FilterCriteria
		err  string
		nil_ bool
	}{
		{"absent", nil, "", true},
		{"empty list clears", filtersOf(), "", true},
		{"valid", filtersOf(`{"body":{"kind":["keep"]}}`, `{"eventName":["INSERT"]}`), "", false},
		{"not JSON", filtersOf(`{"body":`), "InvalidParameterValueException", false},
		{"value not an array", filtersOf(`{"body":"x"}`), "InvalidParameterValueException", false},
		{"no pattern", &lambdaapi.FilterCriteria{Filters: []lambdaapi.Filter{{}}}, "InvalidParameterValueException", false},
		{"six filters", filtersOf(six...), "InvalidParameterValueException", false},
		// Nested past the pattern parser's depth bound: refused at once
		// (an 800 KB pattern of this shape took gigabytes before).
		{"nested 160,000 deep", filtersOf(strings.Repeat(`{"a":`, 160000) + `["x"]` + strings.Repeat("}", 160000)), "InvalidParameterValueException", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := checkFilters(c.fc)
			if code(err) != c.err {
				t.Fatalf("error %v, want %q", err, c.err)
			}
			if c.err == "InvalidParameterValueException" && !strings.Contains(err.Error(), "filter") {
				t.Fatalf("message: %v", err)
			}
			if c.err == "" && (got == nil) != c.nil_ {
				t.Fatalf("criteria: %+v", got)
			}
		})
	}
}

func TestRecordFilter(t *testing.T) {
	sqs := func(body string) map[string]any {
		return map[string]any{"messageId": "m1", "body": body, "attributes": map[string]any{"ApproximateReceiveCount": "1"}, "eventSource": "aws:sqs"}
	}
	ddb := func(name, n string) map[string]any {
		return map[string]any{"eventName": name, "dynamodb": map[string]any{"NewImage": map[string]any{"n": map[string]any{"N": n}}}}
	}
	for _, c := range []struct {
		name     string
		patterns []string
		record   map[string]any
		want     bool
	}{
		{"no filters", nil, sqs("x"), true},
		{"JSON body field", []string{`{"body":{"kind":["keep"]}}`}, sqs(`{"kind":"keep"}`), true},
		{"JSON body other value", []string{`{"body":{"kind":["keep"]}}`}, sqs(`{"kind":"drop"}`), false},
		{"plain body by string", []string{`{"body":["hello"]}`}, sqs("hello"), true},
		{"plain body vs JSON pattern", []string{`{"body":{"kind":["keep"]}}`}, sqs("kind=keep"), false},
		{"numeric in body", []string{`{"body":{"n":[{"numeric":[">",10]}]}}`}, sqs(`{"n":11}`), true},
		{"attributes", []string{`{"attributes":{"ApproximateReceiveCount":["1"]}}`}, sqs("x"), true},
		{"ORed filters", []string{`{"body":["a"]}`, `{"body":["b"]}`}, sqs("b"), true},
		{"stream eventName", []string{`{"eventName":["INSERT"]}`}, ddb("MODIFY", "1"), false},
		{"stream NewImage", []string{`{"dynamodb":{"NewImage":{"n":{"N":["5"]}}}}`}, ddb("MODIFY", "5"), true},
		{"stream NewImage other", []string{`{"dynamodb":{"NewImage":{"n":{"N":["5"]}}}}`}, ddb("MODIFY", "4"), false},
		// DynamoDB numbers are strings in the record: a numeric
		// comparison does not match them (event-ruler semantics).
		{"stream numeric on N string", []string{`{"dynamodb":{"NewImage":{"n":{"N":[{"numeric":[">=",1]}]}}}}`}, ddb("MODIFY", "5"), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := compileFilters(filtersOf(c.patterns...))
			rec := c.record
			if rec["eventSource"] == "aws:sqs" {
				rec = sqsFilterView(rec)
			}
			if got := f.match(rec); got != c.want {
				t.Fatalf("match = %v, want %v", got, c.want)
			}
		})
	}
}

// The function appends the bodies it gets to a file.
const sqsRecorder = `def handler(event, context):
    with open(%q, "a") as f:
        for r in event["Records"]:
            f.write(r["body"] + "\n")
`

// TestEventSourceMappingSQSFilter: messages no filter matches are deleted
// without reaching the function; the function gets the others with their
// body as sent.
func TestEventSourceMappingSQSFilter(t *testing.T) {
	needPython(t)
	f := newFixture(t)
	out := filepath.Join(t.TempDir(), "out")
	f.create(t, "consumer", "rec.handler", func(in *lambdaapi.CreateFunctionRequest) {
		in.Code = &lambdaapi.FunctionCode{ZipFile: zipOf(t, map[string]string{"rec.py": fmt.Sprintf(sqsRecorder, out)})}
	})
	q := &fakeQueue{batch: []QueueMessage{
		{MessageID: "m1", ReceiptHandle: "r1", Body: `{"kind":"drop"}`},
		{MessageID: "m2", ReceiptHandle: "r2", Body: `{"kind": "keep", "n": 1}`},
		{MessageID: "m3", ReceiptHandle: "r3", Body: "plain"},
	}}
	queue := "arn:aws:sqs:us-east-1:000000000000:in"
	if _, err := f.l.CreateEventSourceMapping(f.ctx(), &lambdaapi.CreateEventSourceMappingRequest{
		EventSourceArn: ptr.To(queue), FunctionName: ptr.To("consumer"), FilterCriteria: filtersOf(`{"body":`)}); code(err) != "InvalidParameterValueException" {
		t.Fatalf("bad pattern: %v", err)
	}
	m, err := f.l.CreateEventSourceMapping(f.ctx(), &lambdaapi.CreateEventSourceMappingRequest{
		EventSourceArn: ptr.To(queue), FunctionName: ptr.To("consumer"), FilterCriteria: filtersOf(`{"body":{"kind":["keep"]}}`)})
	if err != nil || len(m.FilterCriteria.Filters) != 1 {
		t.Fatalf("create: %v %+v", err, m)
	}
	f.l.SetQueueSource(q)
	waitFor(t, func() bool { return q.deletedList() == "r1,r3,r2" })
	b, _ := os.ReadFile(out)
	if string(b) != "{\"kind\": \"keep\", \"n\": 1}\n" {
		t.Fatalf("function got %q", b)
	}
	if _, err := f.l.UpdateEventSourceMapping(f.ctx(), &lambdaapi.UpdateEventSourceMappingRequest{
		UUID: m.UUID, FilterCriteria: filtersOf(`{"body":["x"]}`, `nope`)}); code(err) != "InvalidParameterValueException" {
		t.Fatalf("update with a bad pattern: %v", err)
	}
	upd, err := f.l.UpdateEventSourceMapping(f.ctx(), &lambdaapi.UpdateEventSourceMappingRequest{UUID: m.UUID, FilterCriteria: filtersOf()})
	if err != nil || upd.FilterCriteria != nil {
		t.Fatalf("clearing the filters: %v %+v", err, upd)
	}
}

// TestEventSourceMappingStreamFilter: stream records no filter matches
// are skipped (the checkpoint moves past them); a batch with none left
// does not invoke the function.
func TestEventSourceMappingStreamFilter(t *testing.T) {
	needPython(t)
	f := newFixture(t)
	out := filepath.Join(t.TempDir(), "out")
	f.create(t, "consumer", "streamfn.handler", func(in *lambdaapi.CreateFunctionRequest) {
		in.Code = &lambdaapi.FunctionCode{ZipFile: zipOf(t, map[string]string{"streamfn.py": fmt.Sprintf(streamHandler, out)})}
	})
	src := &fakeStream{}
	for _, n := range []string{"INSERT", "MODIFY", "REMOVE", "INSERT", "MODIFY", "REMOVE"} {
		src.add(n)
	}
	f.l.SetStreamSource(src)
	two := int32(2)
	_, err := f.l.CreateEventSourceMapping(f.ctx(), &lambdaapi.CreateEventSourceMappingRequest{
		EventSourceArn: ptr.To("arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/2026"), FunctionName: ptr.To("consumer"),
		StartingPosition: ptr.To("TRIM_HORIZON"), BatchSize: &two, FilterCriteria: filtersOf(`{"eventName":["INSERT"]}`)})
	if err != nil {
		t.Fatal(err)
	}
	read := func() string {
		b, _ := os.ReadFile(out)
		return strings.TrimSpace(string(b))
	}
	// Batches [1 2] [3 4] [5 6] keep 1, 4 and nothing: REMOVEs (which
	// the function would fail on) never reach it.
	f.waitAdvancing(t, func() bool { return read() == "1\n4" }, read)
	src.add("INSERT")
	f.waitAdvancing(t, func() bool { return read() == "1\n4\n7" }, read)
}

func TestCheckOnFailure(t *testing.T) {
	dc := func(arn string) *lambdaapi.DestinationConfig {
		return &lambdaapi.DestinationConfig{OnFailure: &lambdaapi.OnFailure{Destination: ptr.To(arn)}}
	}
	for arn, want := range map[string]string{
		"arn:aws:sqs:us-east-1:000000000000:q": "",
		"arn:aws:sns:us-east-1:000000000000:t": "",
		"":                                     "",
		"arn:aws:lambda:us-east-1:000000000000:function:f": "InvalidParameterValueException",
		"not-an-arn": "InvalidParameterValueException",
	} {
		err := checkOnFailure(dc(arn))
		if code(err) != want {
			t.Errorf("%q: %v", arn, err)
		}
		if want != "" && !strings.Contains(err.Error(), "The destination ARN "+arn+" is invalid.") {
			t.Errorf("%q: message %v", arn, err)
		}
	}
	for _, arn := range []string{"arn:aws:s3:::bucket", "arn:aws:kafka:us-east-1:000000000000:topic/c/u/t"} {
		err := checkOnFailure(dc(arn))
		if code(err) != "InvalidParameterValueException" || !strings.Contains(err.Error(), "niwa does not implement") {
			t.Errorf("%q: %v, want a refusal naming what niwa does not implement", arn, err)
		}
	}
	if err := checkOnFailure(nil); err != nil {
		t.Fatal(err)
	}
}
