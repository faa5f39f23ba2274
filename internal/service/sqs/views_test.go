package sqs

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	sqsapi "github.com/niwa-cloud/niwa/internal/api/sqs"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// oldQueueARN is QueueARN as it was, through url.Parse and strings.Split.
func oldQueueARN(u string, env kit.Env) string {
	path := u
	if pu, err := url.Parse(u); err == nil && pu.Path != "" {
		path = pu.Path
	}
	parts := strings.Split(strings.Trim(path, "/"), "/")
	name, acct := parts[len(parts)-1], env.Account
	if len(parts) >= 2 {
		acct = parts[len(parts)-2]
	}
	return kit.ARN("sqs", env.Region, acct, name)
}

// TestQueueARNMatchesURLParse: authorization's queue ARN is the same
// through the plain-URL fast path as through url.Parse, for the URL
// forms clients send, bare names and malformed ones.
func TestQueueARNMatchesURLParse(t *testing.T) {
	env := kit.Env{Account: "111122223333", Region: "eu-west-1"}
	for _, raw := range []string{
		"http://localhost:4566/123456789012/q1",
		"http://127.0.0.1:4566/123456789012/q1.fifo",
		"https://sqs.eu-west-1.amazonaws.com/123456789012/q_1-x",
		"https://queue.amazonaws.com/123456789012/q",
		"http://localhost:4566/123456789012/q1/",
		"http://localhost:4566//123456789012/q1",
		"http://localhost:4566/123456789012//q1",
		"http://localhost:4566/a/123456789012/q1",
		"http://localhost:4566/123456789012",
		"http://localhost:4566/",
		"http://localhost:4566",
		"http:///123456789012/q",
		"http://localhost:45a6/123456789012/q",
		"http://localhost:4566:1/123456789012/q",
		"http://[::1]:4566/123456789012/q",
		"http://localhost:4566/123456789012/q%31",
		"http://localhost:4566/123456789012/q?x=1",
		"http://user@localhost:4566/123456789012/q",
		"HTTP://localhost:4566/123456789012/q",
		"ftp://localhost/123456789012/q",
		"/123456789012/q",
		"123456789012/q",
		"q1",
		"/",
		"http://%zz/1/q",
	} {
		if got, want := QueueARN(raw, env), oldQueueARN(raw, env); got != want {
			t.Errorf("QueueARN(%q) = %q; url.Parse reads %q", raw, got, want)
		}
	}
}

// TestQueueViewsFollowChanges: the queue as authorization and the message
// calls read it outside a transaction (its policy, attributes, tags,
// permissions, purge time, existence) follows every change to the queue
// at once, and a reset.
func TestQueueViewsFollowChanges(t *testing.T) {
	f := newFixture(t)
	u := f.create("views", nil)
	ref, _ := parseQueueURL(u, "ap-northeast-1")
	arn := ref.arn()
	view := func() (queue, bool) {
		t.Helper()
		q, found, err := f.viewQueue(ref)
		if err != nil {
			t.Fatal(err)
		}
		return q, found
	}
	policy := func() (string, bool) {
		t.Helper()
		doc, _, found, err := f.ResourcePolicy(f.ctx(), arn)
		if err != nil {
			t.Fatal(err)
		}
		return doc, found
	}
	if doc, found := policy(); !found || doc != "" {
		t.Fatalf("new queue: policy %q, found %v", doc, found)
	}
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sqs:SendMessage","Resource":"` + arn + `"}]}`
	if _, err := f.SetQueueAttributes(f.ctx(), &sqsapi.SetQueueAttributesInput{QueueUrl: &u, Attributes: map[string]string{"Policy": doc, "ReceiveMessageWaitTimeSeconds": "7"}}); err != nil {
		t.Fatal(err)
	}
	if got, _ := policy(); got != doc {
		t.Errorf("after SetQueueAttributes: policy %q", got)
	}
	if q, _ := view(); q.intAttr("ReceiveMessageWaitTimeSeconds") != 7 {
		t.Errorf("after SetQueueAttributes: wait time %q", q.Attrs["ReceiveMessageWaitTimeSeconds"])
	}
	if _, err := f.TagQueue(f.ctx(), &sqsapi.TagQueueInput{QueueUrl: &u, Tags: map[string]string{"team": "a"}}); err != nil {
		t.Fatal(err)
	}
	if q, _ := view(); q.Tags["team"] != "a" {
		t.Errorf("after TagQueue: tags %v", q.Tags)
	}
	if _, err := f.UntagQueue(f.ctx(), &sqsapi.UntagQueueInput{QueueUrl: &u, TagKeys: []string{"team"}}); err != nil {
		t.Fatal(err)
	}
	if q, _ := view(); len(q.Tags) != 0 {
		t.Errorf("after UntagQueue: tags %v", q.Tags)
	}
	label := "lbl"
	if _, err := f.AddPermission(f.ctx(), &sqsapi.AddPermissionInput{QueueUrl: &u, Label: &label, AWSAccountIds: []string{"210987654321"}, Actions: []string{"SendMessage"}}); err != nil {
		t.Fatal(err)
	}
	if got, _ := policy(); !strings.Contains(got, "210987654321") {
		t.Errorf("after AddPermission: policy %q", got)
	}
	if _, err := f.RemovePermission(f.ctx(), &sqsapi.RemovePermissionInput{QueueUrl: &u, Label: &label}); err != nil {
		t.Fatal(err)
	}
	if got, _ := policy(); strings.Contains(got, "210987654321") {
		t.Errorf("after RemovePermission: policy %q", got)
	}
	if _, err := f.PurgeQueue(f.ctx(), &sqsapi.PurgeQueueInput{QueueUrl: &u}); err != nil {
		t.Fatal(err)
	}
	if q, _ := view(); q.PurgedAt.IsZero() {
		t.Error("after PurgeQueue: no purge time")
	}
	if _, err := f.DeleteQueue(f.ctx(), &sqsapi.DeleteQueueInput{QueueUrl: &u}); err != nil {
		t.Fatal(err)
	}
	if _, found := policy(); found {
		t.Error("after DeleteQueue: the queue is still found")
	}
	body := "m"
	if _, err := f.SendMessage(f.ctx(), &sqsapi.SendMessageInput{QueueUrl: &u, MessageBody: &body}); err == nil || awserr.As(err).Code.Code != errNonExistentQueue.Code {
		t.Errorf("send after DeleteQueue: %v", err)
	}
	f.clock.Advance(61 * time.Second)
	f.create("views", nil)
	if doc, found := policy(); !found || doc != "" {
		t.Errorf("created again: policy %q, found %v", doc, found)
	}
	// A reset empties the store, then tells the service.
	if err := f.store.Update(func(tx storage.Tx) error { return queues.Delete(tx, ref.scope, ref.name) }); err != nil {
		t.Fatal(err)
	}
	if err := f.Reset(); err != nil {
		t.Fatal(err)
	}
	if _, found := view(); found {
		t.Error("after a reset: the queue is still found")
	}
}

// TestQueueViewAllocations: authorization's policy read of a queue that
// has not changed takes no transaction and allocates nothing.
func TestQueueViewAllocations(t *testing.T) {
	f := newFixture(t)
	u := f.create("allocs", nil)
	ref, _ := parseQueueURL(u, "ap-northeast-1")
	arn, ctx := ref.arn(), f.ctx()
	if _, _, _, err := f.ResourcePolicy(ctx, arn); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() { f.ResourcePolicy(ctx, arn) }); n != 0 {
		t.Errorf("ResourcePolicy: %v allocations, want 0", n)
	}
}

// TestMessageRoundAllocations: a send, receive and delete of one message,
// the handlers called directly, stays within the allocations counted when
// the receive's state was made one struct and the queue views were added
// (98 before them; most of what remains is the store's: keys, records,
// the B-tree's copy-on-write).
func TestMessageRoundAllocations(t *testing.T) {
	f := newFixture(t)
	u := f.create("round", nil)
	ctx := f.h.Ctx()
	body, one := "m", int32(1)
	round := func() {
		if _, err := f.SendMessage(ctx, &sqsapi.SendMessageInput{QueueUrl: &u, MessageBody: &body}); err != nil {
			t.Fatal(err)
		}
		r, err := f.ReceiveMessage(ctx, &sqsapi.ReceiveMessageInput{QueueUrl: &u, MaxNumberOfMessages: &one})
		if err != nil || len(r.Messages) != 1 {
			t.Fatal(err, r)
		}
		if _, err := f.DeleteMessage(ctx, &sqsapi.DeleteMessageInput{QueueUrl: &u, ReceiptHandle: r.Messages[0].ReceiptHandle}); err != nil {
			t.Fatal(err)
		}
	}
	round()
	if n := testing.AllocsPerRun(200, round); n > 74 {
		t.Errorf("send+receive+delete: %v allocations, want at most 74", n)
	}
}

// TestRedriveFollowsPolicyChange: a queue's dead-letter target and
// maxReceiveCount, as every receive reads them, are those of its current
// RedrivePolicy: changed by SetQueueAttributes, the next receive moves
// the message to the new target after the new count.
func TestRedriveFollowsPolicyChange(t *testing.T) {
	f := newFixture(t)
	dlq1, dlq2 := f.create("dlq1", nil), f.create("dlq2", nil)
	policy := func(target string, max int) string {
		return `{"deadLetterTargetArn":"arn:aws:sqs:ap-northeast-1:` + account + `:` + target + `","maxReceiveCount":"` + strconv.Itoa(max) + `"}`
	}
	src := f.create("src", map[string]string{"VisibilityTimeout": "1", "RedrivePolicy": policy("dlq1", 3)})
	f.send(src, "poison")
	if len(f.receive(src, 1)) != 1 {
		t.Fatal("first receive")
	}
	if _, err := f.SetQueueAttributes(f.ctx(), &sqsapi.SetQueueAttributesInput{QueueUrl: &src, Attributes: map[string]string{"RedrivePolicy": policy("dlq2", 1)}}); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(2 * time.Second)
	if got := f.receive(src, 1); len(got) != 0 {
		t.Fatalf("received again past the new maxReceiveCount: %+v", got)
	}
	if got := f.receive(dlq1, 1); len(got) != 0 {
		t.Fatalf("moved to the old target: %+v", got)
	}
	if got := f.receive(dlq2, 1); len(got) != 1 || *got[0].Body != "poison" {
		t.Fatalf("not moved to the new target: %+v", got)
	}
}

// TestMessageIDsAreUUIDs: message ids are version 4 UUIDs in their
// canonical form, as SQS's are, distinct per message, and a message's
// receipt handle changes with every receive.
func TestMessageIDsAreUUIDs(t *testing.T) {
	f := newFixture(t)
	u := f.create("ids", map[string]string{"VisibilityTimeout": "0"})
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for range 50 {
		id := *f.send(u, "m").MessageId
		if !uuid.MatchString(id) || seen[id] {
			t.Fatalf("message id %q (seen before: %v)", id, seen[id])
		}
		seen[id] = true
	}
	f.send(u, "again")
	handles := map[string]bool{}
	for range 5 {
		got := f.receive(u, 1, func(in *sqsapi.ReceiveMessageInput) { in.MessageAttributeNames = nil })
		if len(got) != 1 || handles[*got[0].ReceiptHandle] {
			t.Fatalf("receive: %+v", got)
		}
		handles[*got[0].ReceiptHandle] = true
	}
}

// TestReceiveFromBacklog: a receive takes the oldest messages of a
// backlog in send order, also past messages in flight at its head, and
// reads no more of the queue than it needs (a round on a backlog of 200
// costs about what one on an empty queue does: the store copied sixteen
// messages for every receive of one).
func TestReceiveFromBacklog(t *testing.T) {
	f := newFixture(t)
	u := f.create("backlog", nil)
	for i := range 200 {
		f.send(u, strconv.Itoa(i))
	}
	one := func(in *sqsapi.ReceiveMessageInput) { in.AttributeNames, in.MessageAttributeNames = nil, nil }
	held := f.receive(u, 3, one) // 0, 1 and 2 in flight
	if len(held) != 3 || *held[0].Body != "0" || *held[2].Body != "2" {
		t.Fatalf("first receive: %+v", held)
	}
	for want := 3; want < 6; want++ {
		got := f.receive(u, 1, one)
		if len(got) != 1 || *got[0].Body != strconv.Itoa(want) {
			t.Fatalf("receive past the in-flight head: %+v, want %d", got, want)
		}
		if _, err := f.DeleteMessage(f.ctx(), &sqsapi.DeleteMessageInput{QueueUrl: &u, ReceiptHandle: got[0].ReceiptHandle}); err != nil {
			t.Fatal(err)
		}
	}
	for _, h := range held {
		if _, err := f.DeleteMessage(f.ctx(), &sqsapi.DeleteMessageInput{QueueUrl: &u, ReceiptHandle: h.ReceiptHandle}); err != nil {
			t.Fatal(err)
		}
	}
	ctx := f.h.Ctx()
	body, max := "m", int32(1)
	round := func() {
		if _, err := f.SendMessage(ctx, &sqsapi.SendMessageInput{QueueUrl: &u, MessageBody: &body}); err != nil {
			t.Fatal(err)
		}
		r, err := f.ReceiveMessage(ctx, &sqsapi.ReceiveMessageInput{QueueUrl: &u, MaxNumberOfMessages: &max})
		if err != nil || len(r.Messages) != 1 {
			t.Fatal(err, r)
		}
		if _, err := f.DeleteMessage(ctx, &sqsapi.DeleteMessageInput{QueueUrl: &u, ReceiptHandle: r.Messages[0].ReceiptHandle}); err != nil {
			t.Fatal(err)
		}
	}
	if n := testing.AllocsPerRun(100, round); n > 84 {
		t.Errorf("send+receive+delete on a backlog: %v allocations, want at most 84", n)
	}
}
