package lambda

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	lambdaapi "github.com/niwa-cloud/niwa/internal/api/lambda"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// fakeStream is a stream whose records are numbered 1, 2, ...
type fakeStream struct {
	mu   sync.Mutex
	recs []StreamRecord
}

func (s *fakeStream) add(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	seq := fmt.Sprintf("%05d", len(s.recs)+1)
	s.recs = append(s.recs, StreamRecord{SequenceNumber: seq, Event: map[string]any{
		"eventID": "e" + seq, "eventName": name, "eventVersion": "1.1", "eventSource": "aws:dynamodb", "awsRegion": "us-east-1",
		"dynamodb": map[string]any{"SequenceNumber": seq, "Keys": map[string]any{"pk": map[string]any{"S": seq}}},
	}})
}

func (s *fakeStream) ReadStream(_ context.Context, _ string, from string, limit int) ([]StreamRecord, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []StreamRecord
	next := from
	for _, r := range s.recs {
		if r.SequenceNumber >= from && len(out) < limit {
			out = append(out, r)
			var n int
			fmt.Sscan(r.SequenceNumber, &n)
			next = fmt.Sprintf("%05d", n+1)
		}
	}
	return out, next, nil
}

// The function fails any batch holding a REMOVE and appends the sequence
// numbers of the batches it processes to a file, one batch a line.
const streamHandler = `import json
def handler(event, context):
    recs = event["Records"]
    assert all(r["eventSource"] == "aws:dynamodb" and r["eventSourceARN"].endswith("/stream/2026") for r in recs)
    if any(r["eventName"] == "REMOVE" for r in recs):
        raise ValueError("bad record")
    with open(%q, "a") as f:
        f.write(" ".join(r["dynamodb"]["SequenceNumber"].lstrip("0") for r in recs) + "\n")
`

func TestEventSourceMappingDynamoDBStream(t *testing.T) {
	needPython(t)
	f := newFixture(t)
	out := filepath.Join(t.TempDir(), "out")
	f.create(t, "consumer", "streamfn.handler", func(in *lambdaapi.CreateFunctionRequest) {
		in.Code = &lambdaapi.FunctionCode{ZipFile: zipOf(t, map[string]string{"streamfn.py": fmt.Sprintf(streamHandler, out)})}
	})
	src := &fakeStream{}
	for _, n := range []string{"INSERT", "MODIFY", "REMOVE", "INSERT"} {
		src.add(n)
	}
	f.l.SetStreamSource(src)
	stream := "arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/2026"
	four, one, yes := int32(4), int32(1), true
	m, err := f.l.CreateEventSourceMapping(f.ctx(), &lambdaapi.CreateEventSourceMappingRequest{
		EventSourceArn: ptr.To(stream), FunctionName: ptr.To("consumer"), StartingPosition: ptr.To("TRIM_HORIZON"),
		BatchSize: &four, MaximumRetryAttempts: &one, BisectBatchOnFunctionError: &yes})
	if err != nil || *m.MaximumRetryAttempts != 1 || !*m.BisectBatchOnFunctionError {
		t.Fatalf("create: %v %+v", err, m)
	}
	read := func() string {
		b, _ := os.ReadFile(out)
		return strings.TrimSpace(string(b))
	}
	// [1 2 3 4] fails and is bisected; [1 2] succeeds; [3 4] fails and is
	// bisected; [3] fails, is retried once a second later, fails again and
	// is discarded; [4] succeeds.
	f.waitAdvancing(t, func() bool { return read() == "1 2\n4" }, read)

	// New records after the checkpoint are delivered in order.
	src.add("INSERT")
	src.add("MODIFY")
	f.waitAdvancing(t, func() bool { return read() == "1 2\n4\n5 6" }, read)

	// A LATEST mapping starts after the newest record.
	out2 := filepath.Join(t.TempDir(), "out2")
	f.create(t, "latest", "streamfn.handler", func(in *lambdaapi.CreateFunctionRequest) {
		in.Code = &lambdaapi.FunctionCode{ZipFile: zipOf(t, map[string]string{"streamfn.py": fmt.Sprintf(streamHandler, out2)})}
	})
	m2, err := f.l.CreateEventSourceMapping(f.ctx(), &lambdaapi.CreateEventSourceMappingRequest{
		EventSourceArn: ptr.To(stream), FunctionName: ptr.To("latest"), StartingPosition: ptr.To("LATEST")})
	if err != nil {
		t.Fatal(err)
	}
	sc := storage.Scope{Account: "000000000000", Region: "us-east-1"}
	waitFor(t, func() bool { _, ok := f.l.loadPosition(sc, *m2.UUID); return ok })
	src.add("INSERT")
	read2 := func() string {
		b, _ := os.ReadFile(out2)
		return strings.TrimSpace(string(b))
	}
	f.waitAdvancing(t, func() bool { return read2() == "7" }, read2)
	f.waitAdvancing(t, func() bool { return read() == "1 2\n4\n5 6\n7" }, read)

	// Deleting a mapping drops its checkpoint.
	if _, err := f.l.DeleteEventSourceMapping(f.ctx(), &lambdaapi.DeleteEventSourceMappingRequest{UUID: m2.UUID}); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.l.loadPosition(sc, *m2.UUID); ok {
		t.Fatal("checkpoint of a deleted mapping kept")
	}
}

// waitAdvancing waits for cond while moving the fake clock on, so that
// pollers waiting on it run. The clock stands still while an invocation
// runs: otherwise a Python process starting slowly on a loaded machine
// sees its (fake) init or run timeout pass within milliseconds and every
// retry fails the same way.
func (f *fixture) waitAdvancing(t *testing.T, cond func() bool, got func() string) {
	t.Helper()
	deadline := time.Now().Add(patience)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not reached; got %q", got())
		}
		if f.l.exec.Busy() == 0 {
			f.clk.Advance(streamPollInterval)
		}
		time.Sleep(5 * time.Millisecond) // lets the pollers run; the condition decides, not this pause
	}
}
