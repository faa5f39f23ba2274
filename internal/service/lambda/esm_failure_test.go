package lambda

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	lambdaapi "github.com/niwa-cloud/niwa/internal/api/lambda"
	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// addAt appends a record created at t.
func (s *fakeStream) addAt(name string, t time.Time) {
	s.add(name)
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.recs[len(s.recs)-1]
	r.ShardID = "shardId-00000000000000000001-00000001"
	r.Event["dynamodb"].(map[string]any)["ApproximateCreationDateTime"] = float64(t.Unix())
	s.recs[len(s.recs)-1] = r
}

// destinations records what the bus delivers to SQS and SNS.
type destinations struct {
	mu   sync.Mutex
	msgs []events.Message
}

func (d *destinations) Deliver(_ context.Context, m events.Message) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.msgs = append(d.msgs, m)
	return nil
}

func (d *destinations) list() []events.Message {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]events.Message(nil), d.msgs...)
}

type failureRecord struct {
	RequestContext struct {
		RequestID              string `json:"requestId"`
		FunctionArn            string `json:"functionArn"`
		Condition              string `json:"condition"`
		ApproximateInvokeCount int    `json:"approximateInvokeCount"`
	} `json:"requestContext"`
	ResponseContext *struct {
		StatusCode      int    `json:"statusCode"`
		ExecutedVersion string `json:"executedVersion"`
		FunctionError   string `json:"functionError"`
	} `json:"responseContext"`
	Version   string `json:"version"`
	Timestamp string `json:"timestamp"`
	Batch     struct {
		ShardID                         string `json:"shardId"`
		StartSequenceNumber             string `json:"startSequenceNumber"`
		EndSequenceNumber               string `json:"endSequenceNumber"`
		ApproximateArrivalOfFirstRecord string `json:"approximateArrivalOfFirstRecord"`
		ApproximateArrivalOfLastRecord  string `json:"approximateArrivalOfLastRecord"`
		BatchSize                       int    `json:"batchSize"`
		StreamArn                       string `json:"streamArn"`
	} `json:"DDBStreamBatchInfo"`
}

const testStream = "arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/2026"

// TestStreamOnFailureRetriesExhausted: a batch that still fails after
// MaximumRetryAttempts is described to the SQS on-failure destination
// with AWS's invocation record, and the mapping moves past it.
func TestStreamOnFailureRetriesExhausted(t *testing.T) {
	needPython(t)
	f := newFixture(t)
	dests := &destinations{}
	f.bus.Handle("sqs", dests)
	out := filepath.Join(t.TempDir(), "out")
	f.create(t, "consumer", "streamfn.handler", func(in *lambdaapi.CreateFunctionRequest) {
		in.Code = &lambdaapi.FunctionCode{ZipFile: zipOf(t, map[string]string{"streamfn.py": fmt.Sprintf(streamHandler, out)})}
	})
	src := &fakeStream{}
	t0 := f.clk.Now()
	src.addAt("INSERT", t0)
	src.addAt("REMOVE", t0.Add(time.Second))
	f.l.SetStreamSource(src)
	one := int32(1)
	dlq := "arn:aws:sqs:us-east-1:000000000000:failures"
	_, err := f.l.CreateEventSourceMapping(f.ctx(), &lambdaapi.CreateEventSourceMappingRequest{
		EventSourceArn: ptr.To(testStream), FunctionName: ptr.To("consumer"), StartingPosition: ptr.To("TRIM_HORIZON"),
		MaximumRetryAttempts: &one, DestinationConfig: &lambdaapi.DestinationConfig{OnFailure: &lambdaapi.OnFailure{Destination: ptr.To(dlq)}}})
	if err != nil {
		t.Fatal(err)
	}
	f.waitAdvancing(t, func() bool { return len(dests.list()) == 1 }, func() string { return fmt.Sprint(dests.list()) })
	m := dests.list()[0]
	if m.TargetARN != dlq || m.SourceService != "lambda.amazonaws.com" || m.SourceARN != "arn:aws:lambda:us-east-1:000000000000:function:consumer" {
		t.Fatalf("message: %+v", m)
	}
	var r failureRecord
	if err := json.Unmarshal([]byte(m.Body), &r); err != nil {
		t.Fatal(err)
	}
	rc := r.RequestContext
	if rc.Condition != "RetryAttemptsExhausted" || rc.ApproximateInvokeCount != 2 || rc.FunctionArn != "arn:aws:lambda:us-east-1:000000000000:function:consumer" || len(rc.RequestID) != 36 {
		t.Fatalf("requestContext: %s", m.Body)
	}
	if r.ResponseContext == nil || r.ResponseContext.StatusCode != 200 || r.ResponseContext.ExecutedVersion != "$LATEST" || r.ResponseContext.FunctionError != "Unhandled" {
		t.Fatalf("responseContext: %s", m.Body)
	}
	b := r.Batch
	if r.Version != "1.0" || !strings.HasSuffix(r.Timestamp, "Z") || b.StartSequenceNumber != "00001" || b.EndSequenceNumber != "00002" || b.BatchSize != 2 ||
		b.StreamArn != testStream || b.ShardID == "" || b.ApproximateArrivalOfFirstRecord != "2026-05-01T12:00:00Z" || b.ApproximateArrivalOfLastRecord != "2026-05-01T12:00:01Z" {
		t.Fatalf("record: %s", m.Body)
	}
	// The mapping went on past the discarded batch.
	src.addAt("INSERT", f.clk.Now())
	read := func() string { b, _ := os.ReadFile(out); return strings.TrimSpace(string(b)) }
	f.waitAdvancing(t, func() bool { return read() == "3" }, read)
}

// TestStreamOnFailureRecordAge: with infinite retries, a failing batch is
// retried until its records are older than MaximumRecordAgeInSeconds on
// the clock, then described to the SNS destination as RecordAgeExceeded.
func TestStreamOnFailureRecordAge(t *testing.T) {
	needPython(t)
	f := newFixture(t)
	dests := &destinations{}
	f.bus.Handle("sns", dests)
	out := filepath.Join(t.TempDir(), "out")
	f.create(t, "consumer", "streamfn.handler", func(in *lambdaapi.CreateFunctionRequest) {
		in.Code = &lambdaapi.FunctionCode{ZipFile: zipOf(t, map[string]string{"streamfn.py": fmt.Sprintf(streamHandler, out)})}
	})
	src := &fakeStream{}
	src.addAt("REMOVE", f.clk.Now())
	f.l.SetStreamSource(src)
	age := int32(60)
	topic := "arn:aws:sns:us-east-1:000000000000:failures"
	// The age limit is set by an update, which restarts the poller with it.
	mp, err := f.l.CreateEventSourceMapping(f.ctx(), &lambdaapi.CreateEventSourceMappingRequest{
		EventSourceArn: ptr.To(testStream), FunctionName: ptr.To("consumer"), StartingPosition: ptr.To("TRIM_HORIZON"),
		DestinationConfig: &lambdaapi.DestinationConfig{OnFailure: &lambdaapi.OnFailure{Destination: ptr.To(topic)}}})
	if err != nil || *mp.MaximumRecordAgeInSeconds != -1 {
		t.Fatalf("%v %+v", err, mp)
	}
	upd, err := f.l.UpdateEventSourceMapping(f.ctx(), &lambdaapi.UpdateEventSourceMappingRequest{UUID: mp.UUID, MaximumRecordAgeInSeconds: &age})
	if err != nil || *upd.MaximumRecordAgeInSeconds != 60 {
		t.Fatalf("%v %+v", err, upd)
	}
	start := f.clk.Now()
	deadline := time.Now().Add(patience)
	for len(dests.list()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no on-failure record")
		}
		if f.l.exec.Busy() == 0 { // see waitAdvancing
			f.clk.Advance(time.Second)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if f.clk.Now().Sub(start) <= 60*time.Second {
		t.Fatalf("discarded after %v, before the maximum record age", f.clk.Now().Sub(start))
	}
	var r failureRecord
	m := dests.list()[0]
	if err := json.Unmarshal([]byte(m.Body), &r); err != nil || m.TargetARN != topic {
		t.Fatalf("%v %+v", err, m)
	}
	if r.RequestContext.Condition != "RecordAgeExceeded" || r.RequestContext.ApproximateInvokeCount < 1 || r.Batch.BatchSize != 1 ||
		r.ResponseContext == nil || r.ResponseContext.FunctionError != "Unhandled" {
		t.Fatalf("record: %s", m.Body)
	}
	src.addAt("INSERT", f.clk.Now())
	read := func() string { b, _ := os.ReadFile(out); return strings.TrimSpace(string(b)) }
	f.waitAdvancing(t, func() bool { return read() == "2" }, read)
}
