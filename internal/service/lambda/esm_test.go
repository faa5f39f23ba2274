package lambda

import (
	"context"
	"strings"
	"sync"
	"testing"

	lambdaapi "github.com/niwa-cloud/niwa/internal/api/lambda"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// fakeQueue hands out one batch, then nothing, and records deletions.
type fakeQueue struct {
	mu      sync.Mutex
	batch   []QueueMessage
	deleted []string
}

func (q *fakeQueue) Receive(_ context.Context, _ string, max int) ([]QueueMessage, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	b := q.batch
	if len(b) > max {
		b = b[:max]
	}
	q.batch = q.batch[len(b):]
	return b, nil
}

func (q *fakeQueue) Delete(_ context.Context, _ string, handles []string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.deleted = append(q.deleted, handles...)
	return nil
}

func (q *fakeQueue) deletedList() string {
	q.mu.Lock()
	defer q.mu.Unlock()
	return strings.Join(q.deleted, ",")
}

const sqsHandler = `def handler(event, context):
    failed = [{"itemIdentifier": r["messageId"]} for r in event["Records"] if r["body"] == "bad"]
    assert all(r["eventSource"] == "aws:sqs" for r in event["Records"])
    return {"batchItemFailures": failed}
`

func TestEventSourceMappingSQS(t *testing.T) {
	needPython(t)
	f := newFixture(t)
	f.create(t, "consumer", "sqsfn.handler", func(in *lambdaapi.CreateFunctionRequest) {
		in.Code = &lambdaapi.FunctionCode{ZipFile: zipOf(t, map[string]string{"sqsfn.py": sqsHandler})}
	})
	q := &fakeQueue{batch: []QueueMessage{
		{MessageID: "m1", ReceiptHandle: "r1", Body: "good"},
		{MessageID: "m2", ReceiptHandle: "r2", Body: "bad"},
		{MessageID: "m3", ReceiptHandle: "r3", Body: "good"},
	}}
	queue := "arn:aws:sqs:us-east-1:000000000000:in"
	if _, err := f.l.CreateEventSourceMapping(f.ctx(), &lambdaapi.CreateEventSourceMappingRequest{
		EventSourceArn: ptr.To(queue), FunctionName: ptr.To("consumer"), StartingPosition: ptr.To("LATEST")}); code(err) != "InvalidParameterValueException" {
		t.Fatalf("starting position on SQS: %v", err)
	}
	big := int32(100)
	if _, err := f.l.CreateEventSourceMapping(f.ctx(), &lambdaapi.CreateEventSourceMappingRequest{
		EventSourceArn: ptr.To(queue), FunctionName: ptr.To("consumer"), BatchSize: &big}); code(err) != "InvalidParameterValueException" {
		t.Fatalf("batch > 10 without a window: %v", err)
	}
	m, err := f.l.CreateEventSourceMapping(f.ctx(), &lambdaapi.CreateEventSourceMappingRequest{
		EventSourceArn: ptr.To(queue), FunctionName: ptr.To("consumer"), FunctionResponseTypes: []string{"ReportBatchItemFailures"}})
	if err != nil || *m.State != "Creating" || *m.BatchSize != 10 {
		t.Fatalf("create: %v %+v", err, m)
	}
	if _, err := f.l.CreateEventSourceMapping(f.ctx(), &lambdaapi.CreateEventSourceMappingRequest{
		EventSourceArn: ptr.To(queue), FunctionName: ptr.To("consumer")}); code(err) != "ResourceConflictException" {
		t.Fatalf("duplicate mapping: %v", err)
	}
	got, _ := f.l.GetEventSourceMapping(f.ctx(), &lambdaapi.GetEventSourceMappingRequest{UUID: m.UUID})
	if *got.State != "Enabled" {
		t.Fatalf("state after create: %s", *got.State)
	}
	f.l.SetQueueSource(q)
	waitFor(t, func() bool { return q.deletedList() == "r1,r3" })

	off := false
	upd, err := f.l.UpdateEventSourceMapping(f.ctx(), &lambdaapi.UpdateEventSourceMappingRequest{UUID: m.UUID, Enabled: &off})
	if err != nil || *upd.State != "Disabling" {
		t.Fatalf("disable: %v %+v", err, upd)
	}
	got, _ = f.l.GetEventSourceMapping(f.ctx(), &lambdaapi.GetEventSourceMappingRequest{UUID: m.UUID})
	if *got.State != "Disabled" {
		t.Fatalf("state after disable: %s", *got.State)
	}
	list, _ := f.l.ListEventSourceMappings(f.ctx(), &lambdaapi.ListEventSourceMappingsRequest{FunctionName: ptr.To("consumer")})
	if len(list.EventSourceMappings) != 1 {
		t.Fatalf("list: %+v", list)
	}
	del, err := f.l.DeleteEventSourceMapping(f.ctx(), &lambdaapi.DeleteEventSourceMappingRequest{UUID: m.UUID})
	if err != nil || *del.State != "Deleting" {
		t.Fatalf("delete: %v %+v", err, del)
	}
	if _, err := f.l.GetEventSourceMapping(f.ctx(), &lambdaapi.GetEventSourceMappingRequest{UUID: m.UUID}); code(err) != "ResourceNotFoundException" {
		t.Fatalf("deleted mapping: %v", err)
	}
	if _, err := f.l.CreateEventSourceMapping(f.ctx(), &lambdaapi.CreateEventSourceMappingRequest{
		EventSourceArn: ptr.To("arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/2026"), FunctionName: ptr.To("consumer")}); code(err) != "InvalidParameterValueException" {
		t.Fatalf("stream without starting position: %v", err)
	}
}
