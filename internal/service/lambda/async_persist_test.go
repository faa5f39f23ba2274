package lambda

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	lambdaapi "github.com/niwa-cloud/niwa/internal/api/lambda"
	"github.com/niwa-cloud/niwa/internal/clock"
	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/servicetest"
	"github.com/niwa-cloud/niwa/internal/storage"
)

func (f *fixture) pending(t *testing.T) []pendingEvent {
	t.Helper()
	var out []pendingEvent
	err := f.l.opt.Store.View(func(tx storage.Tx) error {
		return pendingEvents.List(tx, storage.Scope{Account: "000000000000", Region: "us-east-1"}, nil, storage.ListOptions{},
			func(_ []string, p pendingEvent) bool { out = append(out, p); return true })
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestAsyncQueueSurvivesRestart: an Event invocation whose first attempt
// failed is stored with its retry time; after the service is closed and
// reopened over the same data dir, the retries run on the clock and the
// event reaches the dead-letter queue, and nothing stays pending.
func TestAsyncQueueSurvivesRestart(t *testing.T) {
	needPython(t)
	dir := filepath.Join(t.TempDir(), "data")
	clk := clock.NewFake(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
	bus := events.New()
	dests := &destinations{}
	bus.Handle("sqs", dests)
	harness := func() *servicetest.Harness {
		return servicetest.New(t, "lambda", servicetest.InAccount(testAccount), servicetest.OnDisk(dir), servicetest.WithClock(clk))
	}
	f := newFixtureAt(t, harness(), bus)
	f.create(t, "target", "app.boom", func(in *lambdaapi.CreateFunctionRequest) {
		in.DeadLetterConfig = &lambdaapi.DeadLetterConfig{TargetArn: ptr.To("arn:aws:sqs:us-east-1:000000000000:dlq")}
	})
	out, err := f.l.Invoke(f.ctx(), &lambdaapi.InvocationRequest{FunctionName: ptr.To("target"), InvocationType: ptr.To("Event"), Payload: []byte(`{"v":1}`)})
	if err != nil || *out.StatusCode != 202 {
		t.Fatalf("invoke: %v %+v", err, out)
	}
	f.l.WaitAsync()
	if n := strings.Count(f.logs.all(), "START RequestId"); n != 1 {
		t.Fatalf("first attempt: %d starts", n)
	}
	p := f.pending(t)
	if len(p) != 1 || p[0].Attempt != 1 || !p[0].Due.Equal(clk.Now().Add(time.Minute)) || string(p[0].Payload) != `{"v":1}` {
		t.Fatalf("stored event: %+v", p)
	}
	f.close()

	g := newFixtureAt(t, harness(), bus)
	g.l.ResumeAsync()
	for i, wait := range []time.Duration{time.Minute, 2 * time.Minute} {
		waitFor(t, func() bool { return clk.Waiters() > 0 })
		clk.Advance(wait)
		waitFor(t, func() bool { return strings.Count(g.logs.all(), "START RequestId") == i+1 })
		g.l.WaitAsync()
	}
	got := dests.list()
	if len(got) != 1 || got[0].Body != `{"v":1}` || got[0].Attributes["RequestID"] != p[0].RequestID {
		t.Fatalf("dead letters: %+v", got)
	}
	if left := g.pending(t); len(left) != 0 {
		t.Fatalf("still pending: %+v", left)
	}
}

// TestAsyncQueueResumesDueEvents: an event stored as due (niwa stopped
// before it ran) runs as soon as the queue resumes.
func TestAsyncQueueResumesDueEvents(t *testing.T) {
	needPython(t)
	f := newFixture(t)
	f.create(t, "fn", "app.ok", nil)
	sc := storage.Scope{Account: "000000000000", Region: "us-east-1"}
	f.l.async.persist(asyncJob{sc: sc, name: "fn", payload: []byte(`{"v":"resumed"}`), requestID: "11111111-2222-4333-8444-555555555555", enqueued: f.clk.Now()}, f.clk.Now())
	f.l.ResumeAsync()
	waitFor(t, func() bool { return strings.Contains(f.logs.all(), "got resumed") })
	f.l.WaitAsync()
	if left := f.pending(t); len(left) != 0 {
		t.Fatalf("still pending: %+v", left)
	}
}
