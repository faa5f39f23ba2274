package lambda

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	lambdaapi "github.com/niwa-cloud/niwa/internal/api/lambda"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// fakeIAM is RoleAccess over a set of denied actions, per session (the
// function name), recording what was asked.
type fakeIAM struct {
	mu     sync.Mutex
	denied map[string]bool // "session action"
	asked  []string
}

func (a *fakeIAM) set(session, action string, deny bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.denied[session+" "+action] = deny
}

func (a *fakeIAM) access(_ context.Context, account, region, roleARN, session, resource string, actions []string) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.asked = append(a.asked, fmt.Sprintf("%s %s %s %s %s %s", account, region, roleARN, session, resource, strings.Join(actions, ",")))
	for _, act := range actions {
		if a.denied[session+" "+act] {
			return act, nil
		}
	}
	return "", nil
}

func withRoleAccess(f *fixture) *fakeIAM {
	a := &fakeIAM{denied: map[string]bool{}}
	f.l.opt.RoleAccess = a.access
	return a
}

// countingQueue is fakeQueue counting its receives.
type countingQueue struct {
	fakeQueue
	receives atomic.Int32
}

func (q *countingQueue) Receive(ctx context.Context, arn string, max int) ([]QueueMessage, error) {
	q.receives.Add(1)
	return q.fakeQueue.Receive(ctx, arn, max)
}

// TestEventSourceMappingRoleChecks: creating (or moving) a mapping needs
// the function's execution role to be able to read the source, with
// AWS's refusals; nothing is checked without RoleAccess (enforcement
// off).
func TestEventSourceMappingRoleChecks(t *testing.T) {
	f := newFixture(t)
	f.create(t, "consumer", "app.ok", nil)
	f.create(t, "other", "app.ok", nil)
	iam := withRoleAccess(f)
	queue := "arn:aws:sqs:us-east-1:000000000000:in"
	stream := "arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/2026"
	for _, c := range []struct {
		deny, source, msg string
	}{
		{"sqs:ReceiveMessage", queue, "The function execution role does not have permissions to call ReceiveMessage on SQS"},
		{"sqs:DeleteMessage", queue, "The function execution role does not have permissions to call DeleteMessage on SQS"},
		{"sqs:GetQueueAttributes", queue, "The function execution role does not have permissions to call GetQueueAttributes on SQS"},
		{"dynamodb:DescribeStream", stream, "Cannot access stream " + stream + ". Please ensure the role can perform the GetRecords, GetShardIterator, DescribeStream, and ListStreams Actions on your stream in IAM."},
	} {
		iam.set("consumer", c.deny, true)
		in := &lambdaapi.CreateEventSourceMappingRequest{EventSourceArn: ptr.To(c.source), FunctionName: ptr.To("consumer")}
		if strings.Contains(c.source, "dynamodb") {
			in.StartingPosition = ptr.To("LATEST")
		}
		_, err := f.l.CreateEventSourceMapping(f.ctx(), in)
		if code(err) != "InvalidParameterValueException" || !strings.Contains(err.Error(), c.msg) {
			t.Fatalf("deny %s: %v, want %q", c.deny, err, c.msg)
		}
		iam.set("consumer", c.deny, false)
	}
	list, _ := f.l.ListEventSourceMappings(f.ctx(), &lambdaapi.ListEventSourceMappingsRequest{})
	if len(list.EventSourceMappings) != 0 {
		t.Fatalf("refused mappings stored: %+v", list.EventSourceMappings)
	}
	want := "000000000000 us-east-1 " + role + " consumer " + queue + " sqs:ReceiveMessage,sqs:DeleteMessage,sqs:GetQueueAttributes"
	if iam.asked[0] != want {
		t.Fatalf("asked %q, want %q", iam.asked[0], want)
	}

	// Allowed: created. Moving it to a function whose role may not read
	// the queue is refused and leaves it as it was.
	m, err := f.l.CreateEventSourceMapping(f.ctx(), &lambdaapi.CreateEventSourceMappingRequest{EventSourceArn: ptr.To(queue), FunctionName: ptr.To("consumer")})
	if err != nil {
		t.Fatal(err)
	}
	iam.set("other", "sqs:ReceiveMessage", true)
	if _, err := f.l.UpdateEventSourceMapping(f.ctx(), &lambdaapi.UpdateEventSourceMappingRequest{UUID: m.UUID, FunctionName: ptr.To("other")}); code(err) != "InvalidParameterValueException" {
		t.Fatalf("move to a role without access: %v", err)
	}
	got, _ := f.l.GetEventSourceMapping(f.ctx(), &lambdaapi.GetEventSourceMappingRequest{UUID: m.UUID})
	if !strings.HasSuffix(*got.FunctionArn, ":consumer") {
		t.Fatalf("mapping moved anyway: %s", *got.FunctionArn)
	}
	// Other changes do not ask again.
	n := len(iam.asked)
	five := int32(5)
	if _, err := f.l.UpdateEventSourceMapping(f.ctx(), &lambdaapi.UpdateEventSourceMappingRequest{UUID: m.UUID, BatchSize: &five}); err != nil {
		t.Fatal(err)
	}
	if len(iam.asked) != n {
		t.Fatalf("batch size change checked the role: %v", iam.asked[n:])
	}
	// A missing function is still ResourceNotFoundException.
	if _, err := f.l.CreateEventSourceMapping(f.ctx(), &lambdaapi.CreateEventSourceMappingRequest{EventSourceArn: ptr.To(queue), FunctionName: ptr.To("nope")}); code(err) != "ResourceNotFoundException" {
		t.Fatalf("missing function: %v", err)
	}
}

// TestEventSourceMappingSQSRoleRevoked: the SQS poller reads with the
// role's authority, once per poll: while the role may not receive, the
// queue is not read (its messages stay), the mapping stays Enabled, and
// polling resumes when the permission comes back.
func TestEventSourceMappingSQSRoleRevoked(t *testing.T) {
	needPython(t)
	f := newFixture(t)
	f.create(t, "consumer", "sqsfn.handler", func(in *lambdaapi.CreateFunctionRequest) {
		in.Code = &lambdaapi.FunctionCode{ZipFile: zipOf(t, map[string]string{"sqsfn.py": sqsHandler})}
	})
	iam := withRoleAccess(f)
	queue := "arn:aws:sqs:us-east-1:000000000000:in"
	m, err := f.l.CreateEventSourceMapping(f.ctx(), &lambdaapi.CreateEventSourceMappingRequest{EventSourceArn: ptr.To(queue), FunctionName: ptr.To("consumer")})
	if err != nil {
		t.Fatal(err)
	}
	iam.set("consumer", "sqs:ReceiveMessage", true) // detached after creation
	q := &countingQueue{fakeQueue: fakeQueue{batch: []QueueMessage{{MessageID: "m1", ReceiptHandle: "r1", Body: "good"}}}}
	f.l.SetQueueSource(q)
	asked := func() int {
		iam.mu.Lock()
		defer iam.mu.Unlock()
		return len(iam.asked)
	}
	// Several polls, each asking once and reading nothing.
	f.waitAdvancing(t, func() bool { return asked() >= 4 }, func() string { return fmt.Sprint(asked()) })
	if q.receives.Load() != 0 || q.deletedList() != "" {
		t.Fatalf("queue read without permission: %d receives, deleted %q", q.receives.Load(), q.deletedList())
	}
	got, _ := f.l.GetEventSourceMapping(f.ctx(), &lambdaapi.GetEventSourceMappingRequest{UUID: m.UUID})
	if *got.State != "Enabled" {
		t.Fatalf("state: %s", *got.State)
	}
	// Without DeleteMessage the batch runs but is not deleted.
	iam.set("consumer", "sqs:ReceiveMessage", false)
	iam.set("consumer", "sqs:DeleteMessage", true)
	f.waitAdvancing(t, func() bool { return q.receives.Load() >= 2 }, func() string { return fmt.Sprint(q.receives.Load()) })
	if q.deletedList() != "" {
		t.Fatalf("deleted without sqs:DeleteMessage: %q", q.deletedList())
	}
	// Permissions back: new messages are consumed.
	iam.set("consumer", "sqs:DeleteMessage", false)
	q.mu.Lock()
	q.batch = []QueueMessage{{MessageID: "m2", ReceiptHandle: "r2", Body: "good"}}
	q.mu.Unlock()
	f.waitAdvancing(t, func() bool { return q.deletedList() == "r2" }, q.deletedList)
}

// TestEventSourceMappingStreamRoleRevoked: a stream mapping whose role
// may not read the stream reads nothing and says so in
// LastProcessingResult; once allowed it processes the waiting records and
// reports OK.
func TestEventSourceMappingStreamRoleRevoked(t *testing.T) {
	needPython(t)
	f := newFixture(t)
	out := filepath.Join(t.TempDir(), "out")
	f.create(t, "consumer", "streamfn.handler", func(in *lambdaapi.CreateFunctionRequest) {
		in.Code = &lambdaapi.FunctionCode{ZipFile: zipOf(t, map[string]string{"streamfn.py": fmt.Sprintf(streamHandler, out)})}
	})
	iam := withRoleAccess(f)
	src := &fakeStream{}
	src.add("INSERT")
	stream := "arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/2026"
	m, err := f.l.CreateEventSourceMapping(f.ctx(), &lambdaapi.CreateEventSourceMappingRequest{
		EventSourceArn: ptr.To(stream), FunctionName: ptr.To("consumer"), StartingPosition: ptr.To("TRIM_HORIZON")})
	if err != nil {
		t.Fatal(err)
	}
	iam.set("consumer", "dynamodb:GetRecords", true)
	f.l.SetStreamSource(src)
	result := func() string {
		got, _ := f.l.GetEventSourceMapping(f.ctx(), &lambdaapi.GetEventSourceMappingRequest{UUID: m.UUID})
		return ptr.Deref(got.LastProcessingResult)
	}
	problem := "PROBLEM: Cannot access stream " + stream + ". Please ensure the role can perform the GetRecords, GetShardIterator, DescribeStream, and ListStreams Actions on your stream in IAM."
	f.waitAdvancing(t, func() bool { return result() == problem }, result)
	sc := storage.Scope{Account: "000000000000", Region: "us-east-1"}
	if _, ok := f.l.loadPosition(sc, *m.UUID); ok {
		t.Fatal("stream read without permission")
	}
	iam.set("consumer", "dynamodb:GetRecords", false)
	read := func() string {
		b, _ := os.ReadFile(out)
		return strings.TrimSpace(string(b))
	}
	f.waitAdvancing(t, func() bool { return read() == "1" && result() == "OK" }, func() string { return read() + " / " + result() })
}
