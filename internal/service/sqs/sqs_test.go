package sqs

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	sqsapi "github.com/niwa-cloud/niwa/internal/api/sqs"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/clock"
	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/model"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/service/sqs/querymodel"
	"github.com/niwa-cloud/niwa/internal/servicetest"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

const account = "123456789012"

type fixture struct {
	*SQS
	h     *servicetest.Harness
	clock *clock.Fake
	t     *testing.T
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	h := servicetest.New(t, "sqs", servicetest.At(t0), servicetest.InAccount(account), servicetest.InRegion("ap-northeast-1"))
	return &fixture{SQS: New(h.Store(), h.Clock), h: h, clock: h.Clock, t: t}
}

func (f *fixture) ctx() *request.Context {
	ctx := f.h.Ctx()
	ctx.HTTP = httptest.NewRequest("POST", "http://localhost:4566/", nil)
	return ctx
}

func (f *fixture) create(name string, attrs map[string]string) string {
	f.t.Helper()
	out, err := f.CreateQueue(f.ctx(), &sqsapi.CreateQueueInput{QueueName: &name, Attributes: attrs})
	if err != nil {
		f.t.Fatalf("create %s: %v", name, err)
	}
	return *out.QueueUrl
}

func (f *fixture) send(url, body string, mod ...func(*sqsapi.SendMessageInput)) *sqsapi.SendMessageOutput {
	f.t.Helper()
	in := &sqsapi.SendMessageInput{QueueUrl: &url, MessageBody: &body}
	for _, m := range mod {
		m(in)
	}
	out, err := f.SendMessage(f.ctx(), in)
	if err != nil {
		f.t.Fatalf("send: %v", err)
	}
	return out
}

func (f *fixture) receive(url string, max int32, mod ...func(*sqsapi.ReceiveMessageInput)) []sqsapi.Message {
	f.t.Helper()
	in := &sqsapi.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: &max, AttributeNames: []string{"All"}, MessageAttributeNames: []string{"All"}}
	for _, m := range mod {
		m(in)
	}
	out, err := f.ReceiveMessage(f.ctx(), in)
	if err != nil {
		f.t.Fatalf("receive: %v", err)
	}
	return out.Messages
}

func bodies(ms []sqsapi.Message) []string {
	var b []string
	for _, m := range ms {
		b = append(b, *m.Body)
	}
	return b
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	var e *awserr.Error
	if !errors.As(err, &e) || e.Code.Code != code {
		t.Fatalf("got %v, want %s", err, code)
	}
}

// TestAttributesMD5 checks the digest against the value AWS documents for
// a known attribute set (computed by the AWS SDKs' own algorithm).
func TestAttributesMD5(t *testing.T) {
	attrs := map[string]sqsapi.MessageAttributeValue{
		"a": {DataType: ptr.To("String"), StringValue: ptr.To("x")},
		"b": {DataType: ptr.To("Binary"), BinaryValue: []byte{1, 2}},
	}
	// name "a": 00000001 61, type: 00000006 "String", 01, value 00000001 78;
	// name "b": 00000001 62, 00000006 "Binary", 02, 00000002 0102.
	want := md5Hex([]byte("\x00\x00\x00\x01a\x00\x00\x00\x06String\x01\x00\x00\x00\x01x" +
		"\x00\x00\x00\x01b\x00\x00\x00\x06Binary\x02\x00\x00\x00\x02\x01\x02"))
	if got := attributesMD5(attrs); got != want {
		t.Fatalf("%s != %s", got, want)
	}
	if md5Hex([]byte("hello")) != "5d41402abc4b2a76b9719d911017c592" {
		t.Fatal("body md5")
	}
}

func TestCreateQueue(t *testing.T) {
	f := newFixture(t)
	u := f.create("q1", map[string]string{"VisibilityTimeout": "40"})
	if u != "http://localhost:4566/"+account+"/q1" {
		t.Fatal(u)
	}
	if u2 := f.create("q1", map[string]string{"VisibilityTimeout": "40"}); u2 != u {
		t.Fatal(u2)
	}
	f.create("q1", nil) // no attributes: idempotent
	_, err := f.CreateQueue(f.ctx(), &sqsapi.CreateQueueInput{QueueName: ptr.To("q1"), Attributes: map[string]string{"VisibilityTimeout": "41"}})
	wantCode(t, err, "QueueAlreadyExists")
	for _, c := range []struct {
		name  string
		attrs map[string]string
		code  string
	}{
		{"bad name!", nil, "InvalidParameterValue"},
		{"x.fifo", nil, "InvalidParameterValue"},
		{"x", map[string]string{"FifoQueue": "true"}, "InvalidParameterValue"},
		{"x", map[string]string{"VisibilityTimeout": "43201"}, "InvalidAttributeValue"},
		{"x", map[string]string{"DelaySeconds": "abc"}, "InvalidAttributeValue"},
		{"x", map[string]string{"Nope": "1"}, "InvalidAttributeName"},
		{"x", map[string]string{"Policy": `{{`}, "InvalidAttributeValue"},
		{"x", map[string]string{"Policy": `{"Version":"2012-10-17","Statement":"x"}`}, "InvalidAttributeValue"},
		{"x", map[string]string{"Policy": `{"Version":"2012-10-17","Statement":[1,2]}`}, "InvalidAttributeValue"},
		{"x", map[string]string{"Policy": `{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Principal":"*","Action":"sqs:*","Resource":"*"}]}`}, "InvalidAttributeValue"},
		{"x", map[string]string{"Policy": `{"Statement":` + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + `}`}, "InvalidAttributeValue"},
		{"x", map[string]string{"ContentBasedDeduplication": "true"}, "InvalidAttributeName"},
		{"x", map[string]string{"RedrivePolicy": `{"deadLetterTargetArn":"arn:aws:sqs:ap-northeast-1:123456789012:none","maxReceiveCount":3}`}, "InvalidParameterValue"},
	} {
		_, err := f.CreateQueue(f.ctx(), &sqsapi.CreateQueueInput{QueueName: &c.name, Attributes: c.attrs})
		wantCode(t, err, c.code)
	}
	// Delete, then the name is reserved for 60 s.
	if _, err := f.DeleteQueue(f.ctx(), &sqsapi.DeleteQueueInput{QueueUrl: &u}); err != nil {
		t.Fatal(err)
	}
	_, err = f.CreateQueue(f.ctx(), &sqsapi.CreateQueueInput{QueueName: ptr.To("q1")})
	wantCode(t, err, "AWS.SimpleQueueService.QueueDeletedRecently")
	f.clock.Advance(61 * time.Second)
	f.create("q1", nil)
	_, err = f.GetQueueUrl(f.ctx(), &sqsapi.GetQueueUrlInput{QueueName: ptr.To("nope")})
	wantCode(t, err, "AWS.SimpleQueueService.NonExistentQueue")
}

func TestListQueuesPagination(t *testing.T) {
	f := newFixture(t)
	for i := 0; i < 5; i++ {
		f.create(fmt.Sprintf("app-%d", i), nil)
	}
	f.create("other", nil)
	out, err := f.ListQueues(f.ctx(), &sqsapi.ListQueuesInput{QueueNamePrefix: ptr.To("app-"), MaxResults: ptr.To(int32(3))})
	if err != nil || len(out.QueueUrls) != 3 || out.NextToken == nil {
		t.Fatalf("%v %+v", err, out)
	}
	out, err = f.ListQueues(f.ctx(), &sqsapi.ListQueuesInput{QueueNamePrefix: ptr.To("app-"), MaxResults: ptr.To(int32(3)), NextToken: out.NextToken})
	if err != nil || len(out.QueueUrls) != 2 || out.NextToken != nil {
		t.Fatalf("%v %+v", err, out)
	}
	out, _ = f.ListQueues(f.ctx(), &sqsapi.ListQueuesInput{})
	if len(out.QueueUrls) != 6 {
		t.Fatal(out.QueueUrls)
	}
}

func TestSendReceiveDeleteVisibility(t *testing.T) {
	f := newFixture(t)
	u := f.create("q", map[string]string{"VisibilityTimeout": "10"})
	sent := f.send(u, "hello", func(in *sqsapi.SendMessageInput) {
		in.MessageAttributes = map[string]sqsapi.MessageAttributeValue{"k": {DataType: ptr.To("String"), StringValue: ptr.To("v")}}
	})
	if *sent.MD5OfMessageBody != "5d41402abc4b2a76b9719d911017c592" || sent.MD5OfMessageAttributes == nil {
		t.Fatalf("%+v", sent)
	}
	got := f.receive(u, 10)
	if len(got) != 1 || *got[0].Body != "hello" || *got[0].MD5OfMessageAttributes != *sent.MD5OfMessageAttributes ||
		got[0].Attributes["ApproximateReceiveCount"] != "1" || got[0].Attributes["SenderId"] != account {
		t.Fatalf("%+v", got)
	}
	if len(f.receive(u, 10)) != 0 {
		t.Fatal("in-flight message received again")
	}
	f.clock.Advance(11 * time.Second)
	again := f.receive(u, 10)
	if len(again) != 1 || again[0].Attributes["ApproximateReceiveCount"] != "2" {
		t.Fatalf("%+v", again)
	}
	// The new handle releases the message; the old one then no longer
	// changes visibility (the message is not in flight).
	if _, err := f.ChangeMessageVisibility(f.ctx(), &sqsapi.ChangeMessageVisibilityInput{QueueUrl: &u, ReceiptHandle: again[0].ReceiptHandle, VisibilityTimeout: ptr.To(int32(0))}); err != nil {
		t.Fatal(err)
	}
	_, err := f.ChangeMessageVisibility(f.ctx(), &sqsapi.ChangeMessageVisibilityInput{QueueUrl: &u, ReceiptHandle: got[0].ReceiptHandle, VisibilityTimeout: ptr.To(int32(0))})
	wantCode(t, err, "AWS.SimpleQueueService.MessageNotInflight")
	third := f.receive(u, 1)
	if len(third) != 1 {
		t.Fatal("visibility 0 did not release the message")
	}
	if _, err := f.DeleteMessage(f.ctx(), &sqsapi.DeleteMessageInput{QueueUrl: &u, ReceiptHandle: third[0].ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Hour)
	if len(f.receive(u, 10)) != 0 {
		t.Fatal("deleted message came back")
	}
	_, err = f.DeleteMessage(f.ctx(), &sqsapi.DeleteMessageInput{QueueUrl: &u, ReceiptHandle: ptr.To("garbage")})
	wantCode(t, err, "ReceiptHandleIsInvalid")
	_, err = f.SendMessage(f.ctx(), &sqsapi.SendMessageInput{QueueUrl: &u, MessageBody: ptr.To("\x01")})
	wantCode(t, err, "InvalidMessageContents")
	big := make([]byte, 1048577)
	for i := range big {
		big[i] = 'a'
	}
	_, err = f.SendMessage(f.ctx(), &sqsapi.SendMessageInput{QueueUrl: &u, MessageBody: ptr.To(string(big))})
	wantCode(t, err, "InvalidParameterValue")
	_, err = f.ReceiveMessage(f.ctx(), &sqsapi.ReceiveMessageInput{QueueUrl: &u, MaxNumberOfMessages: ptr.To(int32(11))})
	wantCode(t, err, "InvalidParameterValue")
}

func TestDelayAndRetention(t *testing.T) {
	f := newFixture(t)
	u := f.create("q", map[string]string{"MessageRetentionPeriod": "60"})
	f.send(u, "later", func(in *sqsapi.SendMessageInput) { in.DelaySeconds = ptr.To(int32(5)) })
	attrs, _ := f.GetQueueAttributes(f.ctx(), &sqsapi.GetQueueAttributesInput{QueueUrl: &u, AttributeNames: []string{"All"}})
	if attrs.Attributes["ApproximateNumberOfMessagesDelayed"] != "1" || attrs.Attributes["QueueArn"] != "arn:aws:sqs:ap-northeast-1:"+account+":q" {
		t.Fatal(attrs.Attributes)
	}
	if len(f.receive(u, 1)) != 0 {
		t.Fatal("delayed message delivered early")
	}
	f.clock.Advance(5 * time.Second)
	if len(f.receive(u, 1)) != 1 {
		t.Fatal("delayed message not delivered")
	}
	f.send(u, "old")
	f.clock.Advance(61 * time.Second)
	if got := f.receive(u, 10); len(got) != 0 {
		t.Fatalf("expired messages delivered: %v", bodies(got))
	}
}

func TestFIFO(t *testing.T) {
	f := newFixture(t)
	u := f.create("q.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true"})
	g := func(group string) func(*sqsapi.SendMessageInput) {
		return func(in *sqsapi.SendMessageInput) { in.MessageGroupId = &group }
	}
	a1 := f.send(u, "a1", g("A"))
	dup := f.send(u, "a1", g("A"))
	if *dup.MessageId != *a1.MessageId || *dup.SequenceNumber != *a1.SequenceNumber {
		t.Fatal("content-based dedup did not return the first message")
	}
	f.send(u, "b1", g("B"))
	f.send(u, "a2", g("A"))
	f.send(u, "x", g("A"), func(in *sqsapi.SendMessageInput) { in.MessageDeduplicationId = ptr.To("explicit") })
	f.send(u, "y", g("A"), func(in *sqsapi.SendMessageInput) { in.MessageDeduplicationId = ptr.To("explicit") })
	// A receive fills from one group before the next (as SQS does).
	first := f.receive(u, 2)
	if fmt.Sprint(bodies(first)) != "[a1 a2]" {
		t.Fatal(bodies(first))
	}
	// Group A is in flight: only B is receivable.
	if got := f.receive(u, 10); fmt.Sprint(bodies(got)) != "[b1]" {
		t.Fatalf("group lock broken: %v", bodies(got))
	}
	// Both groups are in flight: nothing more until they are deleted.
	if got := f.receive(u, 10); len(got) != 0 {
		t.Fatalf("group lock broken: %v", bodies(got))
	}
	f.DeleteMessage(f.ctx(), &sqsapi.DeleteMessageInput{QueueUrl: &u, ReceiptHandle: first[0].ReceiptHandle})
	if got := f.receive(u, 10); len(got) != 0 {
		t.Fatalf("group A released while a2 is in flight: %v", bodies(got))
	}
	f.DeleteMessage(f.ctx(), &sqsapi.DeleteMessageInput{QueueUrl: &u, ReceiptHandle: first[1].ReceiptHandle})
	if got := f.receive(u, 10); fmt.Sprint(bodies(got)) != "[x]" {
		t.Fatalf("after deleting a1 and a2: %v", bodies(got))
	}
	_, err := f.SendMessage(f.ctx(), &sqsapi.SendMessageInput{QueueUrl: &u, MessageBody: ptr.To("m")})
	wantCode(t, err, "MissingParameter")
	_, err = f.SendMessage(f.ctx(), &sqsapi.SendMessageInput{QueueUrl: &u, MessageBody: ptr.To("m"), MessageGroupId: ptr.To("A"), DelaySeconds: ptr.To(int32(3))})
	wantCode(t, err, "InvalidParameterValue")
	// The dedup window is five minutes.
	f.clock.Advance(5*time.Minute + time.Second)
	if again := f.send(u, "a1", g("A")); *again.MessageId == *a1.MessageId {
		t.Fatal("dedup outlived its window")
	}
	plain := f.create("noncbd.fifo", map[string]string{"FifoQueue": "true"})
	_, err = f.SendMessage(f.ctx(), &sqsapi.SendMessageInput{QueueUrl: &plain, MessageBody: ptr.To("m"), MessageGroupId: ptr.To("A")})
	wantCode(t, err, "InvalidParameterValue")
}

func TestDeadLetterQueue(t *testing.T) {
	f := newFixture(t)
	dlq := f.create("dlq", nil)
	src := f.create("src", map[string]string{"VisibilityTimeout": "1",
		"RedrivePolicy": `{"deadLetterTargetArn":"arn:aws:sqs:ap-northeast-1:` + account + `:dlq","maxReceiveCount":"2"}`})
	f.send(src, "poison")
	for i := 0; i < 2; i++ {
		if len(f.receive(src, 1)) != 1 {
			t.Fatalf("receive %d", i)
		}
		f.clock.Advance(2 * time.Second)
	}
	if got := f.receive(src, 1); len(got) != 0 {
		t.Fatal("message not moved after maxReceiveCount")
	}
	got := f.receive(dlq, 1)
	if len(got) != 1 || *got[0].Body != "poison" || got[0].Attributes["DeadLetterQueueSourceArn"] != "arn:aws:sqs:ap-northeast-1:"+account+":src" {
		t.Fatalf("%+v", got)
	}
	srcs, err := f.ListDeadLetterSourceQueues(f.ctx(), &sqsapi.ListDeadLetterSourceQueuesInput{QueueUrl: &dlq})
	if err != nil || len(srcs.QueueUrls) != 1 || srcs.QueueUrls[0] != src {
		t.Fatalf("%v %+v", err, srcs)
	}
	// Redrive it back.
	f.clock.Advance(time.Hour)
	task, err := f.StartMessageMoveTask(f.ctx(), &sqsapi.StartMessageMoveTaskInput{SourceArn: ptr.To("arn:aws:sqs:ap-northeast-1:" + account + ":dlq")})
	if err != nil || task.TaskHandle == nil {
		t.Fatal(err)
	}
	if got := f.receive(src, 1); len(got) != 1 || *got[0].Body != "poison" {
		t.Fatalf("redrive: %+v", got)
	}
	list, err := f.ListMessageMoveTasks(f.ctx(), &sqsapi.ListMessageMoveTasksInput{SourceArn: ptr.To("arn:aws:sqs:ap-northeast-1:" + account + ":dlq")})
	if err != nil || len(list.Results) != 1 || *list.Results[0].Status != "COMPLETED" || *list.Results[0].ApproximateNumberOfMessagesMoved != 1 {
		t.Fatalf("%v %+v", err, list)
	}
}

// TestLongPollReturnsOnSend: a receive waiting 20 s returns as soon as a
// message is sent, with the fake clock never moved.
func TestLongPollReturnsOnSend(t *testing.T) {
	f := newFixture(t)
	u := f.create("q", nil)
	done := make(chan []sqsapi.Message)
	go func() {
		out, err := f.ReceiveMessage(f.ctx(), &sqsapi.ReceiveMessageInput{QueueUrl: &u, WaitTimeSeconds: ptr.To(int32(20))})
		if err != nil {
			t.Error(err)
		}
		done <- out.Messages
	}()
	for f.clock.Waiters() == 0 {
		time.Sleep(time.Millisecond) // wait for the receiver to block (real goroutine scheduling)
	}
	f.send(u, "now")
	if got := <-done; len(got) != 1 || *got[0].Body != "now" {
		t.Fatalf("%v", got)
	}
	// With nothing sent, the wait ends when the clock passes it.
	before := f.clock.Waiters()
	go func() {
		out, _ := f.ReceiveMessage(f.ctx(), &sqsapi.ReceiveMessageInput{QueueUrl: &u, WaitTimeSeconds: ptr.To(int32(2))})
		done <- out.Messages
	}()
	for f.clock.Waiters() == before {
		time.Sleep(time.Millisecond)
	}
	f.clock.Advance(2 * time.Second)
	if got := <-done; len(got) != 0 {
		t.Fatal(got)
	}
}

func TestPurgeAndBatches(t *testing.T) {
	f := newFixture(t)
	u := f.create("q", nil)
	out, err := f.SendMessageBatch(f.ctx(), &sqsapi.SendMessageBatchInput{QueueUrl: &u, Entries: []sqsapi.SendMessageBatchRequestEntry{
		{Id: ptr.To("a"), MessageBody: ptr.To("1")}, {Id: ptr.To("b"), MessageBody: ptr.To("\x01")}, {Id: ptr.To("c"), MessageBody: ptr.To("3")},
	}})
	if err != nil || len(out.Successful) != 2 || len(out.Failed) != 1 || *out.Failed[0].Id != "b" || *out.Failed[0].Code != "InvalidMessageContents" {
		t.Fatalf("%v %+v", err, out)
	}
	_, err = f.SendMessageBatch(f.ctx(), &sqsapi.SendMessageBatchInput{QueueUrl: &u, Entries: []sqsapi.SendMessageBatchRequestEntry{{Id: ptr.To("a"), MessageBody: ptr.To("1")}, {Id: ptr.To("a"), MessageBody: ptr.To("1")}}})
	wantCode(t, err, "AWS.SimpleQueueService.BatchEntryIdsNotDistinct")
	_, err = f.SendMessageBatch(f.ctx(), &sqsapi.SendMessageBatchInput{QueueUrl: &u})
	wantCode(t, err, "AWS.SimpleQueueService.EmptyBatchRequest")
	got := f.receive(u, 10)
	del, err := f.DeleteMessageBatch(f.ctx(), &sqsapi.DeleteMessageBatchInput{QueueUrl: &u, Entries: []sqsapi.DeleteMessageBatchRequestEntry{
		{Id: ptr.To("x"), ReceiptHandle: got[0].ReceiptHandle}, {Id: ptr.To("y"), ReceiptHandle: ptr.To("bad")},
	}})
	if err != nil || len(del.Successful) != 1 || len(del.Failed) != 1 {
		t.Fatalf("%v %+v", err, del)
	}
	if _, err := f.PurgeQueue(f.ctx(), &sqsapi.PurgeQueueInput{QueueUrl: &u}); err != nil {
		t.Fatal(err)
	}
	_, err = f.PurgeQueue(f.ctx(), &sqsapi.PurgeQueueInput{QueueUrl: &u})
	wantCode(t, err, "AWS.SimpleQueueService.PurgeQueueInProgress")
	f.clock.Advance(61 * time.Second)
	if _, err := f.PurgeQueue(f.ctx(), &sqsapi.PurgeQueueInput{QueueUrl: &u}); err != nil {
		t.Fatal(err)
	}
}

func TestDeliverFromBus(t *testing.T) {
	f := newFixture(t)
	arn := "arn:aws:sqs:ap-northeast-1:" + account + ":q"
	u := f.create("q", map[string]string{"Policy": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
		"Principal":{"Service":"s3.amazonaws.com"},"Action":"sqs:SendMessage","Resource":"` + arn + `"}]}`})
	if err := f.Deliver(context.Background(), events.Message{TargetARN: arn, Validate: true, SourceService: "s3.amazonaws.com", SourceAccount: account}); err != nil {
		t.Fatal(err)
	}
	if len(f.receive(u, 1)) != 0 {
		t.Fatal("Validate delivered a message")
	}
	if err := f.Deliver(context.Background(), events.Message{TargetARN: arn, Body: "evt", SourceService: "s3.amazonaws.com", SourceAccount: account}); err != nil {
		t.Fatal(err)
	}
	if got := f.receive(u, 1); len(got) != 1 || *got[0].Body != "evt" {
		t.Fatal(got)
	}
	wantCode(t, f.Deliver(context.Background(), events.Message{TargetARN: arn + "x", Body: "evt"}), "AWS.SimpleQueueService.NonExistentQueue")
	wantCode(t, f.Deliver(context.Background(), events.Message{TargetARN: arn, Body: "evt", SourceAccount: "999999999999"}), "AccessDenied")
}

// TestDeliverQueuePolicy: S3, SNS and EventBridge deliveries (and their
// validation) need the queue policy to allow the service principal
// sqs:SendMessage, with its aws:SourceArn/aws:SourceAccount conditions; an
// explicit Deny wins; no policy refuses.
func TestDeliverQueuePolicy(t *testing.T) {
	arn := "arn:aws:sqs:ap-northeast-1:" + account + ":q"
	allowS3 := `{"Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"sqs:SendMessage","Resource":"` + arn + `",
		"Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:s3:::in-*"},"StringEquals":{"aws:SourceAccount":"` + account + `"}}}`
	denyS3 := `{"Effect":"Deny","Principal":"*","Action":"sqs:*","Resource":"` + arn + `",
		"Condition":{"ArnEquals":{"aws:SourceArn":"arn:aws:s3:::in-blocked"}}}`
	allowSNS := `{"Effect":"Allow","Principal":{"Service":"sns.amazonaws.com"},"Action":"sqs:SendMessage","Resource":"` + arn + `",
		"Condition":{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:ap-northeast-1:` + account + `:t"}}}`
	doc := func(sts ...string) string {
		return `{"Version":"2012-10-17","Statement":[` + strings.Join(sts, ",") + `]}`
	}
	s3msg := func(bucket string) events.Message {
		return events.Message{TargetARN: arn, Body: "evt", SourceService: "s3.amazonaws.com", SourceARN: "arn:aws:s3:::" + bucket, SourceAccount: account}
	}
	snsMsg := events.Message{TargetARN: arn, Body: "evt", SourceService: "sns.amazonaws.com", SourceARN: "arn:aws:sns:ap-northeast-1:" + account + ":t", SourceAccount: account}
	eventsMsg := events.Message{TargetARN: arn, Body: "evt", SourceService: "events.amazonaws.com", SourceARN: "arn:aws:events:ap-northeast-1:" + account + ":rule/r", SourceAccount: account}
	for _, c := range []struct {
		name   string
		policy string
		m      events.Message
		ok     bool
	}{
		{"allowed by matching policy", doc(allowS3), s3msg("in-photos"), true},
		{"no policy", "", s3msg("in-photos"), false},
		{"SourceArn does not match", doc(allowS3), s3msg("other"), false},
		{"SourceAccount does not match", doc(allowS3), func() events.Message { m := s3msg("in-photos"); m.SourceAccount = "111111111111"; return m }(), false},
		{"explicit deny wins", doc(allowS3, denyS3), s3msg("in-blocked"), false},
		{"deny for another source", doc(allowS3, denyS3), s3msg("in-photos"), true},
		{"other service principal", doc(allowS3), snsMsg, false},
		{"sns allowed", doc(allowS3, allowSNS), snsMsg, true},
		{"events without policy", "", eventsMsg, false},
		{"events allowed by Principal *", doc(`{"Effect":"Allow","Principal":"*","Action":"sqs:SendMessage","Resource":"` + arn + `"}`), eventsMsg, true},
		{"lambda destination needs no queue policy", "", events.Message{TargetARN: arn, Body: "evt", SourceService: "lambda.amazonaws.com", SourceAccount: account}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			var attrs map[string]string
			if c.policy != "" {
				attrs = map[string]string{"Policy": c.policy}
			}
			u := f.create("q", attrs)
			v := c.m
			v.Validate = true
			for _, m := range []events.Message{v, c.m} {
				err := f.Deliver(context.Background(), m)
				if c.ok && err != nil {
					t.Fatalf("validate=%v: %v", m.Validate, err)
				}
				if !c.ok {
					wantCode(t, err, "AccessDenied")
				}
			}
			if got := len(f.receive(u, 10)); (got == 1) != c.ok || got > 1 {
				t.Fatalf("received %d messages", got)
			}
		})
	}
}

func TestQueueURLForms(t *testing.T) {
	for _, c := range []struct{ url, region, account, name string }{
		{"http://localhost:4566/000000000000/q", "us-east-1", "000000000000", "q"},
		{"https://sqs.eu-west-1.amazonaws.com/111111111111/q", "us-east-1", "111111111111", "q"},
		{"https://eu-west-2.queue.amazonaws.com/111111111111/q", "us-east-1", "111111111111", "q"},
		{"https://queue.amazonaws.com/111111111111/q.fifo", "us-east-1", "111111111111", "q.fifo"},
		{"http://sqs.ap-northeast-1.localhost.localstack.cloud:4566/000000000000/q", "us-east-1", "000000000000", "q"},
	} {
		r, ok := parseQueueURL(c.url, "us-east-1")
		wantRegion := c.region
		if h := hostRegion(r.name); h != "" {
			wantRegion = h
		}
		if !ok || r.scope.Account != c.account || r.name != c.name {
			t.Fatalf("%s: %+v", c.url, r)
		}
		_ = wantRegion
	}
	if r, _ := parseQueueURL("https://sqs.eu-west-1.amazonaws.com/1/q", "us-east-1"); r.scope.Region != "eu-west-1" {
		t.Fatal(r)
	}
	if _, ok := parseQueueURL("http://localhost/q", "us-east-1"); ok {
		t.Fatal("accepted a URL without account")
	}
}

// TestQueryModelMatchesJSON: every operation of the query model decodes
// into the generated (JSON-model) input types, so its members must be the
// JSON model's, with the same shape types.
func TestQueryModelMatchesJSON(t *testing.T) {
	q, err := querymodel.Load()
	if err != nil {
		t.Fatal(err)
	}
	j, err := sqsapi.Spec().Model()
	if err != nil {
		t.Fatal(err)
	}
	var walk func(path string, a, b *model.Shape)
	walk = func(path string, a, b *model.Shape) {
		if a.Type != b.Type {
			t.Errorf("%s: %s vs %s", path, a.Type, b.Type)
			return
		}
		switch a.Type {
		case model.Structure:
			for _, m := range a.Members {
				bm, ok := b.MemberByName(m.Name)
				if !ok {
					t.Errorf("%s.%s missing from the JSON model", path, m.Name)
					continue
				}
				walk(path+"."+m.Name, m.Shape, bm.Shape)
			}
		case model.List:
			walk(path+"[]", a.Member.Shape, b.Member.Shape)
		case model.Map:
			walk(path+"{}", a.Value.Shape, b.Value.Shape)
		}
	}
	for name, op := range q.Operations {
		jop, ok := j.Operations[name]
		if !ok {
			t.Errorf("%s not in the JSON model", name)
			continue
		}
		if op.Input != nil {
			walk(name, op.Input.Shape, jop.Input.Shape)
		}
		if op.Output != nil {
			walk(name+" output", op.Output.Shape, jop.Output.Shape)
		}
	}
}
