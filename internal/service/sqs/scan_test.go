package sqs

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	sqsapi "github.com/niwa-cloud/niwa/internal/api/sqs"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/servicetest"
	"github.com/niwa-cloud/niwa/internal/storage"
	"github.com/niwa-cloud/niwa/internal/storage/recordtest"
)

// TestPeekHead: the head read from a message's binary form is the decoded
// message's, for every field filled, with and without the group.
func TestPeekHead(t *testing.T) {
	var m message
	recordtest.Fill(&m)
	m.Received = true
	bin, _ := storage.EncodeRecord(&m)
	h, ok := peekHead(bin, true)
	if !ok || h != headOf(&m) {
		t.Errorf("peekHead = %+v, %v; want %+v", h, ok, headOf(&m))
	}
	h, ok = peekHead(bin, false)
	want := headOf(&m)
	want.GroupID = ""
	if !ok || h != want {
		t.Errorf("peekHead without group = %+v, %v; want %+v", h, ok, want)
	}
	js, _ := json.Marshal(m)
	if _, ok := peekHead(js, true); ok {
		t.Error("peekHead read a JSON record")
	}
	if _, ok := peekHead(bin[:len(bin)/2], true); ok {
		t.Error("peekHead read a truncated record")
	}
}

// TestReceiveSkipsInFlight: ReceiveMessage takes the oldest visible
// messages past in-flight and delayed ones, in send order, as it did
// decoding every message; messages stored as JSON (before the binary
// form) are classified and received alike, and GetQueueAttributes counts
// them.
func TestReceiveSkipsInFlight(t *testing.T) {
	f := newFixture(t)
	u := f.create("q", nil)
	sc := storage.Scope{Account: account, Region: "ap-northeast-1"}
	for i := range 4 {
		f.send(u, fmt.Sprint("held", i))
	}
	if got := f.receive(u, 4); len(got) != 4 {
		t.Fatalf("received %d", len(got))
	}
	f.send(u, "delayed", func(in *sqsapi.SendMessageInput) { in.DelaySeconds = ptr.To(int32(60)) })
	f.send(u, "a")
	f.send(u, "b")
	// One in-flight and one visible message rewritten as JSON, the form
	// a --data-dir from before the binary records holds.
	if err := f.store.Update(func(tx storage.Tx) error {
		for _, k := range []string{seqKey(1), seqKey(7)} {
			m, _, err := messages.Get(tx, sc, "q", k)
			if err != nil {
				return err
			}
			js, _ := json.Marshal(m)
			if err := tx.Put(messages.Key(sc, "q", k), js); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	attrs := func() map[string]string {
		out, err := f.GetQueueAttributes(f.ctx(), &sqsapi.GetQueueAttributesInput{QueueUrl: &u, AttributeNames: []string{"All"}})
		if err != nil {
			t.Fatal(err)
		}
		return out.Attributes
	}
	a := attrs()
	if a["ApproximateNumberOfMessages"] != "2" || a["ApproximateNumberOfMessagesNotVisible"] != "4" || a["ApproximateNumberOfMessagesDelayed"] != "1" {
		t.Errorf("attributes visible %s, not visible %s, delayed %s; want 2, 4, 1", a["ApproximateNumberOfMessages"], a["ApproximateNumberOfMessagesNotVisible"], a["ApproximateNumberOfMessagesDelayed"])
	}
	got := f.receive(u, 1)
	if len(got) != 1 || *got[0].Body != "a" {
		t.Fatalf("first receive %v, want a", bodies(got))
	}
	got = f.receive(u, 10)
	if len(got) != 1 || *got[0].Body != "b" {
		t.Fatalf("second receive %v, want b (the JSON-stored one)", bodies(got))
	}
	if *got[0].MD5OfBody != md5Hex([]byte("b")) || got[0].Attributes["ApproximateReceiveCount"] != "1" {
		t.Errorf("JSON-stored message received as %+v", got[0])
	}
	// After the visibility timeout (30 s) the held messages come back in
	// send order, the JSON-stored one first; after the delay, the
	// delayed one follows them.
	f.clock.Advance(61 * time.Second)
	got = f.receive(u, 10)
	if want := "[held0 held1 held2 held3 delayed a b]"; fmt.Sprint(bodies(got)) != want {
		t.Errorf("after the timeout received %v, want %s", bodies(got), want)
	}
}

// TestReceiveTakesNoWakeupUnlessWaiting: a receive that finds a message,
// or does not wait, registers no long-poll wake-up channel (each would be
// a channel and two map operations per call for nothing).
func TestReceiveTakesNoWakeupUnlessWaiting(t *testing.T) {
	f := newFixture(t)
	u := f.create("q", nil)
	f.send(u, "m")
	if got := f.receive(u, 1); len(got) != 1 {
		t.Fatalf("received %d", len(got))
	}
	if got := f.receive(u, 1); len(got) != 0 {
		t.Fatalf("received %d from an empty queue", len(got))
	}
	f.wake.mu.Lock()
	n := len(f.wake.ch)
	f.wake.mu.Unlock()
	if n != 0 {
		t.Errorf("%d wake-up channels registered by receives that did not wait", n)
	}
}

// TestRestartKeepsCountAndVisibility: with --data-dir, after a restart a
// queue goes on counting from its stored counter and a receive still
// skips the messages in flight, taking them back once their timeout
// passes.
func TestRestartKeepsCountAndVisibility(t *testing.T) {
	h := servicetest.New(t, "sqs", servicetest.At(t0), servicetest.InAccount(account), servicetest.InRegion("ap-northeast-1"), servicetest.OnDisk(t.TempDir()))
	f := &fixture{SQS: New(h.Store(), h.Clock), h: h, clock: h.Clock, t: t}
	u := f.create("q", nil)
	f.send(u, "held")
	if got := f.receive(u, 1); len(got) != 1 {
		t.Fatalf("received %d", len(got))
	}
	f.send(u, "a")
	h.Reopen()
	f.SQS = New(h.Store(), h.Clock)
	f.send(u, "b")
	if got := f.receive(u, 10); fmt.Sprint(bodies(got)) != "[a b]" {
		t.Errorf("after the restart received %v, want [a b]", bodies(got))
	}
	f.clock.Advance(31 * time.Second)
	if got := f.receive(u, 10); fmt.Sprint(bodies(got)) != "[held a b]" {
		t.Errorf("after the timeout received %v, want [held a b]", bodies(got))
	}
	var keys []string
	_ = f.store.View(func(tx storage.Tx) error {
		return scanMessages(tx, queueRef{scope: storage.Scope{Account: account, Region: "ap-northeast-1"}, name: "q"}, false, func(k string, _ msgHead, _ []byte) (bool, error) {
			keys = append(keys, k)
			return true, nil
		})
	})
	if want := fmt.Sprint([]string{seqKey(1), seqKey(2), seqKey(3)}); fmt.Sprint(keys) != want {
		t.Errorf("message keys %v, want %s", keys, want)
	}
}
