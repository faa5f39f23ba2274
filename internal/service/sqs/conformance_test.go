package sqs

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	sqsapi "github.com/niwa-cloud/niwa/internal/api/sqs"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/model"
	"github.com/niwa-cloud/niwa/internal/ptr"
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
	_, err := f.GetQueueAttributes(f.ctx(), &sqsapi.GetQueueAttributesInput{QueueUrl: ptr.To("by-name"), AttributeNames: []string{"QueueArn"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.SendMessage(f.ctx(), &sqsapi.SendMessageInput{QueueUrl: ptr.To("no-such-queue"), MessageBody: ptr.To("x")})
	wantErr(t, err, "AWS.SimpleQueueService.NonExistentQueue", "The specified queue does not exist.")
}

// TestUnknownQueueBeforeReceiptHandle: a request naming a queue that does
// not exist answers QueueDoesNotExist whatever else it carries (SQS looks
// the queue up first), for every operation that takes a receipt handle.
func TestUnknownQueueBeforeReceiptHandle(t *testing.T) {
	f := newFixture(t)
	u := "http://localhost:4566/" + account + "/gone"
	_, err := f.DeleteMessage(f.ctx(), &sqsapi.DeleteMessageInput{QueueUrl: &u, ReceiptHandle: ptr.To("garbage")})
	wantErr(t, err, "AWS.SimpleQueueService.NonExistentQueue", "")
	_, err = f.ChangeMessageVisibility(f.ctx(), &sqsapi.ChangeMessageVisibilityInput{QueueUrl: &u, ReceiptHandle: ptr.To("garbage"), VisibilityTimeout: ptr.To(int32(5))})
	wantErr(t, err, "AWS.SimpleQueueService.NonExistentQueue", "")
	_, err = f.DeleteMessageBatch(f.ctx(), &sqsapi.DeleteMessageBatchInput{QueueUrl: &u, Entries: []sqsapi.DeleteMessageBatchRequestEntry{{Id: ptr.To("a"), ReceiptHandle: ptr.To("garbage")}}})
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
	_, err = f.SendMessage(f.ctx(), &sqsapi.SendMessageInput{QueueUrl: &u, MessageBody: ptr.To(strings.Repeat("a", 1048577))})
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
	if _, err := f.CreateQueue(f.ctx(), &sqsapi.CreateQueueInput{QueueName: ptr.To("big2"), Attributes: map[string]string{"MaximumMessageSize": "1048576"}}); err != nil {
		t.Fatal(err)
	}
	u2 := "http://localhost:4566/" + account + "/big2"

	entry := func(id string, n int) sqsapi.SendMessageBatchRequestEntry {
		return sqsapi.SendMessageBatchRequestEntry{Id: ptr.To(id), MessageBody: ptr.To(strings.Repeat("b", n))}
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
	// batchCode is the error of the whole SendMessageBatch with the
	// same entry, when the rule fails the request rather than the entry
	// (recorded from SQS by LocalStack's AWS-validated tests).
	cases := []struct {
		name      string
		url       string
		in        sqsapi.SendMessageInput
		code, msg string
		batchCode string
	}{
		{"no group id", cbd, sqsapi.SendMessageInput{}, "MissingParameter", "The request must contain the parameter MessageGroupId.", "InvalidParameterValue"},
		{"no dedup id without content-based dedup", u, sqsapi.SendMessageInput{MessageGroupId: ptr.To("g")}, "InvalidParameterValue",
			"The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly", "InvalidParameterValue"},
		{"per-message delay", cbd, sqsapi.SendMessageInput{MessageGroupId: ptr.To("g"), DelaySeconds: ptr.To(int32(5))}, "InvalidParameterValue",
			"Value 5 for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.", ""},
		{"group id too long", cbd, sqsapi.SendMessageInput{MessageGroupId: ptr.To(strings.Repeat("g", 129))}, "InvalidParameterValue", "", ""},
		{"dedup id on a standard queue", std, sqsapi.SendMessageInput{MessageDeduplicationId: ptr.To("d")}, "InvalidParameterValue", "", ""},
		{"ok", cbd, sqsapi.SendMessageInput{MessageGroupId: ptr.To("g")}, "", "", ""},
		{"group id on a standard queue (fair queues)", std, sqsapi.SendMessageInput{MessageGroupId: ptr.To("tenant-1")}, "", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := c.in
			in.QueueUrl, in.MessageBody = &c.url, ptr.To("body")
			_, err := f.SendMessage(f.ctx(), &in)
			if c.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantErr(t, err, c.code, c.msg)
			// The same rule fails the entry of a batch, or the batch.
			ok := sqsapi.SendMessageBatchRequestEntry{Id: ptr.To("ok"), MessageBody: ptr.To("fine")}
			if c.url != std {
				ok.MessageGroupId, ok.MessageDeduplicationId = ptr.To("g"), ptr.To("d")
			}
			out, err := f.SendMessageBatch(f.ctx(), &sqsapi.SendMessageBatchInput{QueueUrl: &c.url, Entries: []sqsapi.SendMessageBatchRequestEntry{ok, {
				Id: ptr.To("e"), MessageBody: ptr.To("body"), MessageGroupId: c.in.MessageGroupId, MessageDeduplicationId: c.in.MessageDeduplicationId, DelaySeconds: c.in.DelaySeconds,
			}}})
			if c.batchCode != "" {
				wantErr(t, err, c.batchCode, c.msg)
				return
			}
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

// TestReceiptHandleLifetimes: what a receipt handle still does once its
// visibility timeout has passed or the message was received again. A
// standard queue takes the latest handle after the timeout and any
// handle while the message is in flight (SQS answers 200 to both, in
// LocalStack's AWS-validated tests), an older handle of a visible message
// is MessageNotInflight; a FIFO queue refuses a handle as expired for
// both ChangeMessageVisibility and DeleteMessage. A receive keeps a
// message invisible 12 hours at most, ChangeMessageVisibility included.
func TestReceiptHandleLifetimes(t *testing.T) {
	f := newFixture(t)
	vis := func(in *sqsapi.ReceiveMessageInput) { in.VisibilityTimeout = ptr.To(int32(10)) }
	change := func(u string, h *string, secs int32) error {
		_, err := f.ChangeMessageVisibility(f.ctx(), &sqsapi.ChangeMessageVisibilityInput{QueueUrl: &u, ReceiptHandle: h, VisibilityTimeout: &secs})
		return err
	}

	std := f.create("std", nil)
	f.send(std, "m")
	old := f.receive(std, 1, vis)[0].ReceiptHandle
	f.clock.Advance(15 * time.Second)
	if err := change(std, old, 20); err != nil {
		t.Fatalf("expired handle on a standard queue: %v", err)
	}
	f.clock.Advance(21 * time.Second)
	if got := f.receive(std, 1, vis); len(got) != 1 {
		t.Fatal("message not received again")
	} else {
		cur := got[0].ReceiptHandle
		// The older handle still ends the current receive's timeout.
		if err := change(std, old, 0); err != nil {
			t.Fatalf("older handle of a message in flight: %v", err)
		}
		wantErr(t, change(std, old, 5), "AWS.SimpleQueueService.MessageNotInflight", "")
		if err := change(std, cur, 10); err != nil {
			t.Fatalf("latest handle of a visible message: %v", err)
		}
		f.clock.Advance(time.Hour)
		if err := change(std, cur, 39600); err != nil { // 1 h + 11 h: the limit exactly
			t.Fatal(err)
		}
		wantErr(t, change(std, cur, 39601), "InvalidParameterValue",
			"Value 39601 for parameter VisibilityTimeout is invalid. Reason: Total VisibilityTimeout for the message is beyond the limit [43200 seconds]")
		wantErr(t, change(std, cur, 43201), "InvalidParameterValue",
			"Value 43201 for parameter VisibilityTimeout is invalid. Reason: VisibilityTimeout must be an integer between 0 and 43200.")
		if _, err := f.DeleteMessage(f.ctx(), &sqsapi.DeleteMessageInput{QueueUrl: &std, ReceiptHandle: cur}); err != nil {
			t.Fatal(err)
		}
		wantErr(t, change(std, cur, 5), "InvalidParameterValue",
			"Value "+*cur+" for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.")
	}

	fifo := f.create("f.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true"})
	f.send(fifo, "m", func(in *sqsapi.SendMessageInput) { in.MessageGroupId = ptr.To("g") })
	h := f.receive(fifo, 1, vis)[0].ReceiptHandle
	f.clock.Advance(15 * time.Second)
	expired := "Value " + *h + " for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired."
	wantErr(t, change(fifo, h, 20), "InvalidParameterValue", expired)
	_, err := f.DeleteMessage(f.ctx(), &sqsapi.DeleteMessageInput{QueueUrl: &fifo, ReceiptHandle: h})
	wantErr(t, err, "InvalidParameterValue", expired)
	out, err := f.DeleteMessageBatch(f.ctx(), &sqsapi.DeleteMessageBatchInput{QueueUrl: &fifo, Entries: []sqsapi.DeleteMessageBatchRequestEntry{{Id: ptr.To("a"), ReceiptHandle: h}}})
	if err != nil || len(out.Failed) != 1 || *out.Failed[0].Code != "InvalidParameterValue" {
		t.Fatalf("batch delete with an expired handle: %+v %v", out, err)
	}
	if got := f.receive(fifo, 1); len(got) != 1 {
		t.Fatal("FIFO message lost to an expired handle")
	}
}

// TestQueueAttributeRules: SetQueueAttributes and GetQueueAttributes
// answers recorded from SQS.
func TestQueueAttributeRules(t *testing.T) {
	f := newFixture(t)
	std := f.create("std", nil)
	fifo := f.create("f.fifo", map[string]string{"FifoQueue": "true"})
	set := func(u string, attrs map[string]string) error {
		_, err := f.SetQueueAttributes(f.ctx(), &sqsapi.SetQueueAttributesInput{QueueUrl: &u, Attributes: attrs})
		return err
	}
	wantErr(t, set(std, map[string]string{"FifoQueue": "true"}), "InvalidAttributeName", "Unknown Attribute FifoQueue.")
	wantErr(t, set(std, map[string]string{"FifoQueue": "false"}), "InvalidAttributeName", "Unknown Attribute FifoQueue.")
	wantErr(t, set(fifo, map[string]string{"FifoQueue": "false"}), "InvalidAttributeValue", "Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported.")
	if err := set(fifo, map[string]string{"FifoQueue": "true"}); err != nil {
		t.Fatal(err)
	}
	wantErr(t, set(std, map[string]string{"KmsMasterKeyId": "alias/k", "SqsManagedSseEnabled": "true"}), "InvalidAttributeName",
		"You can use one type of server-side encryption (SSE) at one time. You can either enable KMS SSE or SQS SSE.")

	get := func(u string, names ...string) map[string]string {
		out, err := f.GetQueueAttributes(f.ctx(), &sqsapi.GetQueueAttributesInput{QueueUrl: &u, AttributeNames: names})
		if err != nil {
			t.Fatal(err)
		}
		return out.Attributes
	}
	if err := set(std, map[string]string{"KmsMasterKeyId": "alias/k"}); err != nil {
		t.Fatal(err)
	}
	if a := get(std, "All"); a["SqsManagedSseEnabled"] != "false" || a["KmsMasterKeyId"] != "alias/k" || a["KmsDataKeyReusePeriodSeconds"] != "300" {
		t.Fatalf("SSE-KMS: %v", a)
	}
	if err := set(std, map[string]string{"SqsManagedSseEnabled": "true"}); err != nil {
		t.Fatal(err)
	}
	if a := get(std, "All"); a["SqsManagedSseEnabled"] != "true" || a["KmsMasterKeyId"] != "" {
		t.Fatalf("SSE-SQS: %v", a)
	}
	// A name asked for but not set: an empty map, not none.
	if a := get(std, "Policy"); a == nil || len(a) != 0 {
		t.Fatalf("Policy of a queue without one: %#v", a)
	}
	tags, err := f.ListQueueTags(f.ctx(), &sqsapi.ListQueueTagsInput{QueueUrl: &std})
	if err != nil || tags.Tags == nil || len(tags.Tags) != 0 {
		t.Fatalf("tags of an untagged queue: %#v %v", tags, err)
	}
}

// TestPermissionPolicy: AddPermission renders the policy SQS shows
// (2008-10-17, one principal or action as a string, several as a list);
// RemovePermission of an unknown label is InvalidParameterValue.
func TestPermissionPolicy(t *testing.T) {
	f := newFixture(t)
	u := f.create("perm", nil)
	add := func(label string, accounts, actions []string) error {
		_, err := f.AddPermission(f.ctx(), &sqsapi.AddPermissionInput{QueueUrl: &u, Label: &label, AWSAccountIds: accounts, Actions: actions})
		return err
	}
	if err := add("one", []string{"111111111111"}, []string{"ReceiveMessage"}); err != nil {
		t.Fatal(err)
	}
	if err := add("two", []string{"111111111111", "222222222222"}, []string{"SendMessage", "DeleteMessage"}); err != nil {
		t.Fatal(err)
	}
	wantErr(t, add("one", []string{"111111111111"}, []string{"ReceiveMessage"}), "InvalidParameterValue", "Value one for parameter Label is invalid. Reason: Already exists.")
	out, err := f.GetQueueAttributes(f.ctx(), &sqsapi.GetQueueAttributesInput{QueueUrl: &u, AttributeNames: []string{"Policy"}})
	if err != nil {
		t.Fatal(err)
	}
	arn := "arn:aws:sqs:ap-northeast-1:" + account + ":perm"
	want := `{"Version":"2008-10-17","Id":"` + arn + `/SQSDefaultPolicy","Statement":[` +
		`{"Sid":"one","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"SQS:ReceiveMessage","Resource":"` + arn + `"},` +
		`{"Sid":"two","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111111111111:root","arn:aws:iam::222222222222:root"]},"Action":["SQS:SendMessage","SQS:DeleteMessage"],"Resource":"` + arn + `"}]}`
	if got := out.Attributes["Policy"]; got != want {
		t.Fatalf("policy\n%s\nwant\n%s", got, want)
	}
	_, err = f.RemovePermission(f.ctx(), &sqsapi.RemovePermissionInput{QueueUrl: &u, Label: ptr.To("three")})
	wantErr(t, err, "InvalidParameterValue", "Value three for parameter Label is invalid. Reason: can't find label.")
}

// TestMessageAttributeValueRules: the wording of SQS's refusals of
// message attribute values.
func TestMessageAttributeValueRules(t *testing.T) {
	f := newFixture(t)
	u := f.create("q", nil)
	for _, c := range []struct {
		attrs map[string]sqsapi.MessageAttributeValue
		msg   string
	}{
		{map[string]sqsapi.MessageAttributeValue{"ErrorDetails": {DataType: ptr.To("String"), StringValue: ptr.To("")}},
			"Message (user) attribute 'ErrorDetails' must contain a non-empty value of type 'String'."},
		{map[string]sqsapi.MessageAttributeValue{"n": {DataType: ptr.To("Number.int"), StringValue: ptr.To("")}},
			"Message (user) attribute 'n' must contain a non-empty value of type 'Number'."},
		{map[string]sqsapi.MessageAttributeValue{"b": {DataType: ptr.To("Binary")}},
			"Message (user) attribute 'b' must contain a non-empty value of type 'Binary'."},
	} {
		_, err := f.SendMessage(f.ctx(), &sqsapi.SendMessageInput{QueueUrl: &u, MessageBody: ptr.To("x"), MessageAttributes: c.attrs})
		wantErr(t, err, "InvalidParameterValue", c.msg)
	}
}

// TestFIFOGroupOrdering: FIFO receives as recorded from SQS (LocalStack's
// AWS-validated tests): a receive fills from one message group before
// the next, a group with a message in flight gives nothing after it, and
// deleting part of a group's in-flight messages keeps the group locked.
func TestFIFOGroupOrdering(t *testing.T) {
	f := newFixture(t)
	u := f.create("order.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true"})
	send := func(body, group string) {
		f.send(u, body, func(in *sqsapi.SendMessageInput) { in.MessageGroupId = &group })
	}
	for _, m := range [][2]string{{"g1-m1", "1"}, {"g2-m1", "2"}, {"g1-m2", "1"}, {"g2-m2", "2"}, {"g1-m3", "1"}, {"g1-m4", "1"}, {"g3-m1", "3"}} {
		send(m[0], m[1])
	}
	got := f.receive(u, 2)
	if b := strings.Join(bodies(got), ","); b != "g1-m1,g1-m2" {
		t.Fatalf("first receive %s", b)
	}
	if _, err := f.DeleteMessage(f.ctx(), &sqsapi.DeleteMessageInput{QueueUrl: &u, ReceiptHandle: got[0].ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	if b := strings.Join(bodies(f.receive(u, 10)), ","); b != "g2-m1,g2-m2,g3-m1" {
		t.Fatalf("drain with g1-m2 in flight: %s", b)
	}
}

// TestMessageAttributeNamesAndValues: the names and values SQS takes and
// refuses (LocalStack's AWS-validated test_send_message_with_invalid_string_attributes).
func TestMessageAttributeNamesAndValues(t *testing.T) {
	f := newFixture(t)
	u := f.create("q", nil)
	str := func(v string) sqsapi.MessageAttributeValue {
		return sqsapi.MessageAttributeValue{DataType: ptr.To("String"), StringValue: ptr.To(v)}
	}
	send := func(attrs map[string]sqsapi.MessageAttributeValue) error {
		_, err := f.SendMessage(f.ctx(), &sqsapi.SendMessageInput{QueueUrl: &u, MessageBody: ptr.To("x"), MessageAttributes: attrs})
		return err
	}
	if err := send(map[string]sqsapi.MessageAttributeValue{"attr.1øßä": str("Valida")}); err != nil {
		t.Fatalf("non-ASCII letters in a name: %v", err)
	}
	for name, attrs := range map[string]map[string]sqsapi.MessageAttributeValue{
		"control characters in a value": {"attr1": str("Invalid-\b,\v")},
		"aWs. prefix":                   {"aWs.-Invalid-attr": str("Valid")},
		"AMAZON. prefix":                {"AMAZON.-Invalid-attr": str("Valid")},
		"leading period":                {".-Invalid-attr": str("Valid")},
		"trailing period":               {"Invalid.": str("Valid")},
		"punctuation":                   {"Invalid-!-attr": str("Valid")},
		"name of 257":                   {strings.Repeat("L", 257): str("Valid")},
		"unknown type":                  {"a": {DataType: ptr.To("Invalid"), StringValue: ptr.To("Valid")}},
		"type of 263":                   {"a": {DataType: ptr.To("Number." + strings.Repeat("L", 256)), StringValue: ptr.To("1")}},
	} {
		if err := send(attrs); err == nil {
			t.Errorf("%s: accepted", name)
		} else {
			wantErr(t, err, "InvalidParameterValue", "")
		}
	}
}

// TestPurgeClearsDeduplication: after PurgeQueue a FIFO message with a
// deduplication id seen before the purge is delivered (SQS forgets the
// ids with the messages).
func TestPurgeClearsDeduplication(t *testing.T) {
	f := newFixture(t)
	u := f.create("p.fifo", map[string]string{"FifoQueue": "true"})
	ids := func(in *sqsapi.SendMessageInput) {
		in.MessageGroupId, in.MessageDeduplicationId = ptr.To("g"), ptr.To("d")
	}
	f.send(u, "message-1", ids)
	if _, err := f.PurgeQueue(f.ctx(), &sqsapi.PurgeQueueInput{QueueUrl: &u}); err != nil {
		t.Fatal(err)
	}
	f.send(u, "message-2", ids)
	if got := bodies(f.receive(u, 10)); len(got) != 1 || got[0] != "message-2" {
		t.Fatalf("after purge: %v", got)
	}
}

// TestSystemAttributesMD5: MD5OfMessageSystemAttributes of an
// AWSTraceHeader is the digest SQS returns for it, and system attributes
// leave MD5OfMessageAttributes alone.
func TestSystemAttributesMD5(t *testing.T) {
	f := newFixture(t)
	u := f.create("q", nil)
	attrs := map[string]sqsapi.MessageAttributeValue{"timestamp": {DataType: ptr.To("Number"), StringValue: ptr.To("1493147359900")}}
	plain := f.send(u, "test", func(in *sqsapi.SendMessageInput) { in.MessageAttributes = attrs })
	traced := f.send(u, "test", func(in *sqsapi.SendMessageInput) {
		in.MessageAttributes = attrs
		in.MessageSystemAttributes = map[string]sqsapi.MessageSystemAttributeValue{"AWSTraceHeader": {
			DataType: ptr.To("String"), StringValue: ptr.To("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1")}}
	})
	if *plain.MD5OfMessageAttributes != *traced.MD5OfMessageAttributes || plain.MD5OfMessageSystemAttributes != nil ||
		traced.MD5OfMessageSystemAttributes == nil || *traced.MD5OfMessageSystemAttributes != "5ae4d5d7636402d80f4eb6d213245a88" {
		t.Fatalf("%+v\n%+v", plain, traced)
	}
}

// TestMessageAttributeNameFilters: ReceiveMessage's MessageAttributeNames
// filters as recorded from SQS (LocalStack's AWS-validated
// test_receive_message_message_attribute_names_filters).
func TestMessageAttributeNameFilters(t *testing.T) {
	f := newFixture(t)
	u := f.create("q", map[string]string{"VisibilityTimeout": "0"})
	str := func(v string) sqsapi.MessageAttributeValue {
		return sqsapi.MessageAttributeValue{DataType: ptr.To("String"), StringValue: ptr.To(v)}
	}
	f.send(u, "msg", func(in *sqsapi.SendMessageInput) {
		in.MessageAttributes = map[string]sqsapi.MessageAttributeValue{"Help.Me": str("Me"), "Hello": str("There"), "General": str("Kenobi")}
	})
	for _, c := range []struct {
		filter []string
		want   string
	}{
		{nil, ""},
		{[]string{"All"}, "General,Hello,Help.Me"},
		{[]string{"*"}, "General,Hello,Help.Me"},
		{[]string{".*"}, "General,Hello,Help.Me"},
		{[]string{"Foo", "Help"}, ""},
		{[]string{"Hello", "General"}, "General,Hello"},
		{[]string{"Foo", "Hello"}, "Hello"},
		{[]string{"Hel.*"}, "Hello,Help.Me"},
		{[]string{"AWS."}, ""},
	} {
		got := f.receive(u, 1, func(in *sqsapi.ReceiveMessageInput) { in.MessageAttributeNames = c.filter })
		var names []string
		for n := range got[0].MessageAttributes {
			names = append(names, n)
		}
		sort.Strings(names)
		if strings.Join(names, ",") != c.want {
			t.Errorf("%v: %v, want %s", c.filter, names, c.want)
		}
	}
}

// TestMessageMoveTaskAnswers: StartMessageMoveTask, ListMessageMoveTasks
// and CancelMessageMoveTask answers as recorded from SQS (LocalStack's
// AWS-validated test_sqs_move_task): a completed task lists how many
// messages it had to move; a handle that does not decode is
// InvalidParameterValue; one naming a queue that does not exist, or a
// task that does not run, ResourceNotFoundException (404).
func TestMessageMoveTaskAnswers(t *testing.T) {
	f := newFixture(t)
	dlq := f.create("dlq", nil)
	arn := "arn:aws:sqs:ap-northeast-1:" + account + ":dlq"
	f.create("src", map[string]string{"RedrivePolicy": `{"deadLetterTargetArn":"` + arn + `","maxReceiveCount":1}`})
	f.create("dest", nil)
	f.send(dlq, "a")
	f.send(dlq, "b")
	start, err := f.StartMessageMoveTask(f.ctx(), &sqsapi.StartMessageMoveTaskInput{SourceArn: &arn,
		DestinationArn: ptr.To("arn:aws:sqs:ap-northeast-1:" + account + ":dest")})
	if err != nil {
		t.Fatal(err)
	}
	list, err := f.ListMessageMoveTasks(f.ctx(), &sqsapi.ListMessageMoveTasksInput{SourceArn: &arn})
	if err != nil || len(list.Results) != 1 {
		t.Fatalf("%+v %v", list, err)
	}
	r := list.Results[0]
	if *r.Status != "COMPLETED" || *r.ApproximateNumberOfMessagesMoved != 2 || r.ApproximateNumberOfMessagesToMove == nil ||
		*r.ApproximateNumberOfMessagesToMove != 2 || r.TaskHandle != nil {
		t.Fatalf("%+v", r)
	}
	_, err = f.StartMessageMoveTask(f.ctx(), &sqsapi.StartMessageMoveTaskInput{SourceArn: &arn, DestinationArn: ptr.To("arn:aws:sqs:ap-northeast-1:" + account + ":nope")})
	wantErr(t, err, "ResourceNotFoundException", "The resource that you specified for the DestinationArn parameter doesn't exist.")
	if e := awserr.As(err); e.Code.Status != 404 {
		t.Fatalf("status %d", e.Code.Status)
	}

	cancel := func(h string) error {
		_, err := f.CancelMessageMoveTask(f.ctx(), &sqsapi.CancelMessageMoveTaskInput{TaskHandle: &h})
		return err
	}
	wantErr(t, cancel("garbage"), "InvalidParameterValue", "Value for parameter TaskHandle is invalid.")
	wantErr(t, cancel(*start.TaskHandle), "ResourceNotFoundException", "Task does not exist.")
	if _, err := f.DeleteQueue(f.ctx(), &sqsapi.DeleteQueueInput{QueueUrl: &dlq}); err != nil {
		t.Fatal(err)
	}
	wantErr(t, cancel(*start.TaskHandle), "ResourceNotFoundException", "The resource that you specified for the SourceArn parameter doesn't exist.")
}

// TestReceiveRequestAttemptId: a FIFO receive retried with the same
// ReceiveRequestAttemptId within five minutes answers the same messages
// and receipt handles, until one of them is deleted or has its
// visibility changed; a standard queue ignores the id
// (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ReceiveMessage.html).
func TestReceiveRequestAttemptId(t *testing.T) {
	f := newFixture(t)
	u := f.create("a.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true"})
	for _, b := range []string{"m1", "m2", "m3"} {
		f.send(u, b, func(in *sqsapi.SendMessageInput) { in.MessageGroupId = ptr.To("g") })
	}
	attempt := func(id string, max int32) []sqsapi.Message {
		return f.receive(u, max, func(in *sqsapi.ReceiveMessageInput) { in.ReceiveRequestAttemptId = &id })
	}
	first := attempt("try-1", 2)
	f.clock.Advance(10 * time.Second)
	again := attempt("try-1", 2)
	if len(again) != 2 || *again[0].ReceiptHandle != *first[0].ReceiptHandle || *again[1].ReceiptHandle != *first[1].ReceiptHandle {
		t.Fatalf("retry: %v, first %v", bodies(again), bodies(first))
	}
	if again[0].Attributes["ApproximateReceiveCount"] != "1" {
		t.Fatalf("a retry counted as a receive: %v", again[0].Attributes)
	}
	// The retry reset the visibility timeout (30 s from now).
	f.clock.Advance(25 * time.Second)
	if got := f.receive(u, 10); len(got) != 0 {
		t.Fatalf("visible after a retry reset its timeout: %v", bodies(got))
	}
	// Deleting one of its messages ends the attempt.
	if _, err := f.DeleteMessage(f.ctx(), &sqsapi.DeleteMessageInput{QueueUrl: &u, ReceiptHandle: first[0].ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	if got := attempt("try-1", 2); len(got) != 0 {
		t.Fatalf("attempt retried after a delete: %v", bodies(got))
	}
	_, err := f.ReceiveMessage(f.ctx(), &sqsapi.ReceiveMessageInput{QueueUrl: &u, ReceiveRequestAttemptId: ptr.To(strings.Repeat("x", 129))})
	wantErr(t, err, "InvalidParameterValue", "")

	std := f.create("std", nil)
	f.send(std, "s")
	id := "same"
	if got := f.receive(std, 1, func(in *sqsapi.ReceiveMessageInput) { in.ReceiveRequestAttemptId = &id }); len(got) != 1 {
		t.Fatal("standard receive")
	}
	if got := f.receive(std, 1, func(in *sqsapi.ReceiveMessageInput) { in.ReceiveRequestAttemptId = &id }); len(got) != 0 {
		t.Fatalf("a standard queue retried an attempt: %v", bodies(got))
	}
}

// TestAddPermissionValidation: AddPermission takes SQS action names (or
// "*") and labels of 1 to 80 alphanumeric characters, hyphens or
// underscores; "SQS:SendMessage" is the policy spelling SQS refuses here.
func TestAddPermissionValidation(t *testing.T) {
	f := newFixture(t)
	u := f.create("perm", nil)
	add := func(label string, actions ...string) error {
		_, err := f.AddPermission(f.ctx(), &sqsapi.AddPermissionInput{QueueUrl: &u, Label: &label, AWSAccountIds: []string{"111111111111"}, Actions: actions})
		return err
	}
	for i, ok := range [][]string{{"SendMessage"}, {"*"}, {"ReceiveMessage", "DeleteMessage", "ChangeMessageVisibility", "GetQueueAttributes"}} {
		if err := add(fmt.Sprintf("label_%d-ok", i), ok...); err != nil {
			t.Fatalf("%v: %v", ok, err)
		}
	}
	wantErr(t, add("x", "SQS:SendMessage"), "InvalidParameterValue",
		"Value SQS:SendMessage for parameter ActionName is invalid. Reason: Please refer to the appropriate WSDL for a list of valid actions.")
	wantErr(t, add("bad label!", "SendMessage"), "InvalidParameterValue", "")
	wantErr(t, add(strings.Repeat("l", 81), "SendMessage"), "InvalidParameterValue", "")
}
