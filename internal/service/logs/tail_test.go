package logs

import (
	"context"
	"fmt"
	"testing"

	logsapi "github.com/niwa-cloud/niwa/internal/api/logs"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// TestLiveTailSessionEnds: a session leaves the hub when its client goes
// (the stream's context ends), so later events are offered to nobody.
func TestLiveTailSessionEnds(t *testing.T) {
	l, ctx, _ := newLogs(t)
	if _, err := l.CreateLogGroup(ctx, &logsapi.CreateLogGroupRequest{LogGroupName: ptr.To("g")}); err != nil {
		t.Fatal(err)
	}
	out, err := l.StartLiveTail(ctx, &logsapi.StartLiveTailRequest{LogGroupIdentifiers: []string{"g"}})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(l.tails.sessions); n != 1 {
		t.Fatalf("%d sessions after StartLiveTail", n)
	}
	c, cancel := context.WithCancel(context.Background())
	sent := 0
	err = out.ResponseStream(c, func(ev *logsapi.StartLiveTailResponseStream) error {
		if sent++; ev.SessionStart == nil {
			t.Errorf("first event %+v", ev)
		}
		cancel() // the client goes after the first event
		return nil
	})
	if err != nil || sent != 1 {
		t.Errorf("stream = %v after %d events", err, sent)
	}
	if n := len(l.tails.sessions); n != 0 {
		t.Errorf("%d sessions after the client went", n)
	}
}

// TestLiveTailBufferAndSampling: a slow client keeps the newest 5000
// events, and an update carries at most 500 of them, marked sampled.
func TestLiveTailBufferAndSampling(t *testing.T) {
	p, _ := compilePattern("")
	s := &tailSession{pattern: p}
	batch := make([]event, 6000)
	for i := range batch {
		batch[i] = event{Timestamp: int64(i), Message: fmt.Sprint(i)}
	}
	s.offer(s.sc, "g", "s", batch)
	if len(s.pending) != tailBuffer || ptr.Deref(s.pending[0].Message) != "1000" {
		t.Fatalf("buffered %d, oldest %q", len(s.pending), ptr.Deref(s.pending[0].Message))
	}
	got, sampled := s.take()
	if len(got) != tailPerUpdate || !sampled {
		t.Errorf("update of %d events, sampled %v", len(got), sampled)
	}
	if got, sampled := s.take(); len(got) != 0 || got == nil || sampled {
		t.Errorf("next update %v %v, want an empty list", got, sampled)
	}
}
