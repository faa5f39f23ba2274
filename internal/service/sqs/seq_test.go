package sqs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"testing"

	sqsapi "github.com/niwa-cloud/niwa/internal/api/sqs"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// TestSendKeepsQueueRecord: sending counts messages in the queue's seqs
// record, not its queue record, so the record every call reads (through
// the decode cache) is not rewritten by sends; messages still come back
// in send order, a FIFO queue's sequence numbers still increase, and a
// queue stored with its counter in the record (before seqs) goes on from
// it.
func TestSendKeepsQueueRecord(t *testing.T) {
	f := newFixture(t)
	sc := storage.Scope{Account: account, Region: "ap-northeast-1"}
	raw := func(name string) []byte {
		var b []byte
		_ = f.store.View(func(tx storage.Tx) error {
			b, _ = tx.Get(queues.Key(sc, name))
			return nil
		})
		return b
	}
	u := f.create("q1", nil)
	before := raw("q1")
	for i := range 3 {
		f.send(u, fmt.Sprint("m", i))
	}
	if !bytes.Equal(raw("q1"), before) {
		t.Error("sending rewrote the queue record")
	}
	if got := bodies(f.receive(u, 10)); fmt.Sprint(got) != "[m0 m1 m2]" {
		t.Errorf("received %v, want the send order", got)
	}

	fu := f.create("q.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true"})
	var last string
	for i := range 3 {
		out := f.send(fu, fmt.Sprint("f", i), func(in *sqsapi.SendMessageInput) { in.MessageGroupId = ptr.To("g") })
		if *out.SequenceNumber <= last {
			t.Errorf("sequence number %s after %s", *out.SequenceNumber, last)
		}
		last = *out.SequenceNumber
	}

	// A queue stored before seqs: its counter is the record's Seq.
	lu := f.create("legacy", nil)
	if err := f.store.Update(func(tx storage.Tx) error {
		q, _, err := queues.Get(tx, sc, "legacy")
		if err != nil {
			return err
		}
		q.Seq = 40
		if err := seqs.Delete(tx, sc, "legacy"); err != nil {
			return err
		}
		return queues.Put(tx, sc, q, "legacy")
	}); err != nil {
		t.Fatal(err)
	}
	f.send(lu, "after")
	var keys []string
	_ = f.store.View(func(tx storage.Tx) error {
		return messages.List(tx, sc, []string{"legacy"}, storage.ListOptions{}, func(k []string, _ message) bool {
			keys = append(keys, k[len(k)-1])
			return true
		})
	})
	if fmt.Sprint(keys) != "["+seqKey(41)+"]" {
		t.Errorf("legacy queue's message keys %v, want [%s]", keys, seqKey(41))
	}

	if _, err := f.DeleteQueue(f.ctx(), &sqsapi.DeleteQueueInput{QueueUrl: &u}); err != nil {
		t.Fatal(err)
	}
	_ = f.store.View(func(tx storage.Tx) error {
		if _, ok := tx.Get(seqs.Key(sc, "q1")); ok {
			t.Error("DeleteQueue left the queue's counter")
		}
		return nil
	})
}

// TestSeqCounterForms: the counter is stored in binary and read back, a
// counter stored as a JSON number (before the binary form) is read as it
// is, and message keys are the counter in 20 digits.
func TestSeqCounterForms(t *testing.T) {
	for _, n := range []uint64{0, 1, 41, 1 << 40, math.MaxUint64} {
		c := seqCounter(n)
		bin, err := storage.EncodeRecord(&c)
		if err != nil || !storage.IsBinaryRecord(bin) {
			t.Fatalf("%d: stored as %q, %v", n, bin, err)
		}
		var back, fromJSON seqCounter
		if err := storage.DecodeRecord(bin, &back); err != nil || back != c {
			t.Errorf("%d: binary read back as %d, %v", n, back, err)
		}
		js, _ := json.Marshal(n)
		if err := storage.DecodeRecord(js, &fromJSON); err != nil || fromJSON != c {
			t.Errorf("%d: JSON %s read as %d, %v", n, js, fromJSON, err)
		}
		if got, want := seqKey(n), fmt.Sprintf("%020d", n); got != want {
			t.Errorf("seqKey(%d) = %q, want %q", n, got, want)
		}
	}
}
