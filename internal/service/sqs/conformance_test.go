package sqs

import (
	"errors"
	"strings"
	"testing"

	sqsapi "github.com/niwa-cloud/niwa/internal/api/sqs"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/model"
)

// wantErr asserts err is the AWS error code with message msg ("" for any).
func wantErr(t *testing.T, err error, code, msg string) {
	t.Helper()
	var e *awserr.Error
	if !errors.As(err, &e) || e.Code.Code != code || msg != "" && e.Message != msg {
		t.Fatalf("got %v, want %s %q", err, code, msg)
	}
}

// TestQueueNameAsURL: SQS takes a bare queue name where a QueueUrl goes,
// naming the caller's queue in the request's region.
func TestQueueNameAsURL(t *testing.T) {
	f := newFixture(t)
	f.create("by-name", nil)
	f.send("by-name", "hello")
	if got := bodies(f.receive("by-name", 10)); len(got) != 1 || got[0] != "hello" {
		t.Fatalf("received %v", got)
	}
	_, err := f.GetQueueAttributes(f.ctx(), &sqsapi.GetQueueAttributesInput{QueueUrl: p("by-name"), AttributeNames: []string{"QueueArn"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.SendMessage(f.ctx(), &sqsapi.SendMessageInput{QueueUrl: p("no-such-queue"), MessageBody: p("x")})
	wantErr(t, err, "AWS.SimpleQueueService.NonExistentQueue", "The specified queue does not exist.")
}

// TestUnknownQueueBeforeReceiptHandle: a request naming a queue that does
// not exist answers QueueDoesNotExist whatever else it carries (SQS looks
// the queue up first), for every operation that takes a receipt handle.
func TestUnknownQueueBeforeReceiptHandle(t *testing.T) {
	f := newFixture(t)
	u := "http://localhost:4566/" + account + "/gone"
	_, err := f.DeleteMessage(f.ctx(), &sqsapi.DeleteMessageInput{QueueUrl: &u, ReceiptHandle: p("garbage")})
	wantErr(t, err, "AWS.SimpleQueueService.NonExistentQueue", "")
	_, err = f.ChangeMessageVisibility(f.ctx(), &sqsapi.ChangeMessageVisibilityInput{QueueUrl: &u, ReceiptHandle: p("garbage"), VisibilityTimeout: p(int32(5))})
	wantErr(t, err, "AWS.SimpleQueueService.NonExistentQueue", "")
	_, err = f.DeleteMessageBatch(f.ctx(), &sqsapi.DeleteMessageBatchInput{QueueUrl: &u, Entries: []sqsapi.DeleteMessageBatchRequestEntry{{Id: p("a"), ReceiptHandle: p("garbage")}}})
	wantErr(t, err, "AWS.SimpleQueueService.NonExistentQueue", "")
}

// TestMessageSizeOneMiB: since 2025 SQS takes messages up to 1 MiB
// (1,048,576 bytes), the default and the maximum of MaximumMessageSize,
// and batches up to 1 MiB in total
// (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html).
func TestMessageSizeOneMiB(t *testing.T) {
	f := newFixture(t)
	u := f.create("big", nil)
	attrs, err := f.GetQueueAttributes(f.ctx(), &sqsapi.GetQueueAttributesInput{QueueUrl: &u, AttributeNames: []string{"MaximumMessageSize"}})
	if err != nil || attrs.Attributes["MaximumMessageSize"] != "1048576" {
		t.Fatalf("default MaximumMessageSize: %v %v", attrs, err)
	}
	f.send(u, strings.Repeat("a", 1048576))
	_, err = f.SendMessage(f.ctx(), &sqsapi.SendMessageInput{QueueUrl: &u, MessageBody: p(strings.Repeat("a", 1048577))})
	wantErr(t, err, "InvalidParameterValue", "One or more parameters are invalid. Reason: Message must be shorter than 1048576 bytes.")

	for _, c := range []struct {
		v  string
		ok bool
	}{{"1048576", true}, {"1024", true}, {"1048577", false}, {"1023", false}} {
		_, err := f.SetQueueAttributes(f.ctx(), &sqsapi.SetQueueAttributesInput{QueueUrl: &u, Attributes: map[string]string{"MaximumMessageSize": c.v}})
		if c.ok && err != nil {
			t.Fatalf("%s: %v", c.v, err)
		}
		if !c.ok {
			wantErr(t, err, "InvalidAttributeValue", "Invalid value for the parameter MaximumMessageSize.")
		}
	}
	if _, err := f.CreateQueue(f.ctx(), &sqsapi.CreateQueueInput{QueueName: p("big2"), Attributes: map[string]string{"MaximumMessageSize": "1048576"}}); err != nil {
		t.Fatal(err)
	}
	u2 := "http://localhost:4566/" + account + "/big2"

	entry := func(id string, n int) sqsapi.SendMessageBatchRequestEntry {
		return sqsapi.SendMessageBatchRequestEntry{Id: p(id), MessageBody: p(strings.Repeat("b", n))}
	}
	// 4 × 300,000 bytes: more than 256 KiB per message and in total,
	// within 1 MiB each but not in total.
	out, err := f.SendMessageBatch(f.ctx(), &sqsapi.SendMessageBatchInput{QueueUrl: &u2, Entries: []sqsapi.SendMessageBatchRequestEntry{entry("a", 300000), entry("b", 300000), entry("c", 300000)}})
	if err != nil || len(out.Successful) != 3 {
		t.Fatalf("900 KB batch: %v %v", out, err)
	}
	_, err = f.SendMessageBatch(f.ctx(), &sqsapi.SendMessageBatchInput{QueueUrl: &u2, Entries: []sqsapi.SendMessageBatchRequestEntry{entry("a", 300000), entry("b", 300000), entry("c", 300000), entry("d", 300000)}})
	wantErr(t, err, "AWS.SimpleQueueService.BatchRequestTooLong", "Batch requests cannot be longer than 1048576 bytes. You have sent 1200000 bytes.")
}

// TestFIFOSendValidation: what a FIFO queue requires of a message
// (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html).
func TestFIFOSendValidation(t *testing.T) {
	f := newFixture(t)
	u := f.create("v.fifo", map[string]string{"FifoQueue": "true"})
	cbd := f.create("cbd.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true"})
	std := f.create("std", nil)
	cases := []struct {
		name      string
		url       string
		in        sqsapi.SendMessageInput
		code, msg string
	}{
		{"no group id", cbd, sqsapi.SendMessageInput{}, "MissingParameter", "The request must contain the parameter MessageGroupId."},
		{"no dedup id without content-based dedup", u, sqsapi.SendMessageInput{MessageGroupId: p("g")}, "InvalidParameterValue",
			"The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly"},
		{"per-message delay", cbd, sqsapi.SendMessageInput{MessageGroupId: p("g"), DelaySeconds: p(int32(5))}, "InvalidParameterValue",
			"Value 5 for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type."},
		{"group id too long", cbd, sqsapi.SendMessageInput{MessageGroupId: p(strings.Repeat("g", 129))}, "InvalidParameterValue", ""},
		{"dedup id on a standard queue", std, sqsapi.SendMessageInput{MessageDeduplicationId: p("d")}, "InvalidParameterValue", ""},
		{"ok", cbd, sqsapi.SendMessageInput{MessageGroupId: p("g")}, "", ""},
		{"group id on a standard queue (fair queues)", std, sqsapi.SendMessageInput{MessageGroupId: p("tenant-1")}, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := c.in
			in.QueueUrl, in.MessageBody = &c.url, p("body")
			_, err := f.SendMessage(f.ctx(), &in)
			if c.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantErr(t, err, c.code, c.msg)
			// The same rule fails the entry of a batch.
			out, err := f.SendMessageBatch(f.ctx(), &sqsapi.SendMessageBatchInput{QueueUrl: &c.url, Entries: []sqsapi.SendMessageBatchRequestEntry{{
				Id: p("e"), MessageBody: p("body"), MessageGroupId: c.in.MessageGroupId, MessageDeduplicationId: c.in.MessageDeduplicationId, DelaySeconds: c.in.DelaySeconds,
			}}})
			if err != nil || len(out.Failed) != 1 || *out.Failed[0].Code != c.code || !*out.Failed[0].SenderFault {
				t.Fatalf("batch: %+v %v", out, err)
			}
		})
	}
}

// TestConstraintError: SQS words a missing required member as
// MissingParameter naming it, and leaves enum checks to the handlers.
func TestConstraintError(t *testing.T) {
	m, err := sqsapi.Spec().Model()
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t)
	op := m.Operations["AddPermission"]
	err = f.ConstraintError(op, []model.Violation{{Path: "aWSAccountIds", Message: "Member must not be null"}})
	wantErr(t, err, "MissingParameter", "The request must contain the parameter AWSAccountIds.")
	op = m.Operations["ReceiveMessage"]
	if err := f.ConstraintError(op, []model.Violation{{Path: "attributeNames.1.member", Value: "SenderId", Message: "Member must satisfy enum value set: [All]"}}); err != nil {
		t.Fatalf("enum violation refused: %v", err)
	}
}
