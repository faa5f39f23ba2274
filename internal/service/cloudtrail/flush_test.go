package cloudtrail

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/servicetest"
	"github.com/niwa-cloud/niwa/internal/storage"
	"github.com/niwa-cloud/niwa/internal/storage/recordtest"
)

// TestRawFieldInPlace: the record's JSON coded in place is the bytes
// field it was coded as into a slice of its own: stored records keep one
// form.
func TestRawFieldInPlace(t *testing.T) {
	var h histRecord
	recordtest.Fill(&h)
	for _, raw := range []string{benchDetail, `{}`, "", `{"eventName":"` + string(bytes.Repeat([]byte("x"), 300)) + `"}`} {
		h.Raw = json.RawMessage(raw)
		got := h.AppendRecord(nil)
		noRaw := h
		noRaw.Raw = nil
		want := storage.Enc{B: noRaw.AppendRecord(nil)}
		want.Bytes(15, rawCodecV1().encode(nil, h.Raw))
		if !bytes.Equal(got, want.B) {
			t.Errorf("raw %.40q: coded in place\n%x\nas a field of its own\n%x", raw, got, want.B)
		}
	}
}

// TestFlushPutIsTablePut: what flush stores for a record, in its reused
// buffers, is what the table's Put stores: the same key and bytes.
func TestFlushPutIsTablePut(t *testing.T) {
	h := servicetest.New(t, "cloudtrail")
	c := New(h.Store(), h.Clock, events.New(), Options{})
	defer c.Close()
	sc := storage.Scope{Account: "123456789012", Region: "eu-west-1"}
	now := time.Date(2026, 12, 1, 0, 0, 7, 0, time.UTC)
	for i, k := range []kind{managementKind, dataKind, managementKind} {
		var r histRecord
		recordtest.Fill(&r)
		r.EventID = fmt.Sprint("id-", i)
		r.Raw = json.RawMessage(benchDetail)
		err := c.store.Update(func(tx storage.Tx) error {
			c.flushMu.Lock()
			defer c.flushMu.Unlock()
			seq := formatSeq(c.lastNs, c.lastN+1)
			if !c.seqNum {
				// The first: the sequence after what was stored.
				seq = ""
			}
			if err := c.put(tx, k, sc, &r, now); err != nil {
				return err
			}
			if seq == "" {
				seq = formatSeq(c.lastNs, c.lastN)
			}
			got, ok := tx.Get(k.tbl.Key(sc, seq))
			want, err := storage.EncodeRecord(&r)
			if !ok || err != nil || !bytes.Equal(got, want) {
				t.Errorf("%s record %d stored under %q: %x (%v, %v), Put stores %x", k.name, i, seq, got, ok, err, want)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestNextSeqNumIsNextSeq: sequences made from numbers (flush's) are the
// strings nextSeq made, for clock readings that repeat, go back, and go
// forward, and either can follow the other.
func TestNextSeqNumIsNextSeq(t *testing.T) {
	// ref is nextSeq as it was: strings only.
	var last string
	ref := func(now time.Time) string {
		s := formatSeq(uint64(now.UnixNano()), 0)
		if s <= last {
			ns, n := parseSeq(last)
			s = formatSeq(ns, n+1)
		}
		last = s
		return s
	}
	rng := rand.New(rand.NewPCG(3, 4))
	c := &CloudTrail{}
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	for i := range 5000 {
		switch rng.IntN(4) {
		case 0:
			now = now.Add(time.Duration(rng.IntN(1000)))
		case 1:
			now = now.Add(-time.Duration(rng.IntN(1000)))
		}
		want := ref(now)
		var got string
		if ns, n, ok := c.nextSeqNum(now); ok && rng.IntN(2) == 0 {
			got = formatSeq(ns, n)
		} else if ok {
			var b [24]byte
			got = string(appendSeq(b[:0], ns, n))
		} else {
			got = c.nextSeq(now)
		}
		if got != want {
			t.Fatalf("call %d at %v: %q, want %q", i, now, got, want)
		}
		if i%7 == 0 {
			if got, want := c.nextSeq(now), ref(now); got != want {
				t.Fatalf("call %d at %v: nextSeq %q, want %q", i, now, got, want)
			}
		}
	}
}

// TestDropOldest: the history's bound drops the oldest records of one
// kind in one scope, and nothing else.
func TestDropOldest(t *testing.T) {
	h := servicetest.New(t, "cloudtrail")
	c := New(h.Store(), h.Clock, events.New(), Options{})
	defer c.Close()
	sc := storage.Scope{Account: "123456789012", Region: "eu-west-1"}
	other := storage.Scope{Account: "123456789012", Region: "eu-west-10"}
	put := func(tx storage.Tx, k kind, s storage.Scope, n int) {
		for i := range n {
			r := histRecord{EventID: fmt.Sprint(k.name, s.Region, i), Raw: json.RawMessage(benchDetail)}
			if err := k.tbl.Put(tx, s, r, formatSeq(1000, uint64(i))); err != nil {
				t.Fatal(err)
			}
		}
	}
	ids := func(tx storage.Tx, k kind, s storage.Scope) (out []string) {
		if err := k.tbl.List(tx, s, nil, storage.ListOptions{}, func(_ []string, r histRecord) bool {
			out = append(out, r.EventID)
			return true
		}); err != nil {
			t.Fatal(err)
		}
		return out
	}
	err := c.store.Update(func(tx storage.Tx) error {
		put(tx, managementKind, sc, 10)
		put(tx, dataKind, sc, 3)
		put(tx, managementKind, other, 4)
		n, err := dropOldest(tx, managementKind, sc, 4, "")
		if err != nil || n != 4 {
			t.Fatalf("dropped %d, %v; want 4", n, err)
		}
		if got := ids(tx, managementKind, sc); fmt.Sprint(got) != "[managementeu-west-14 managementeu-west-15 managementeu-west-16 managementeu-west-17 managementeu-west-18 managementeu-west-19]" {
			t.Errorf("left %v", got)
		}
		if got := ids(tx, dataKind, sc); len(got) != 3 {
			t.Errorf("data records left %v", got)
		}
		if got := ids(tx, managementKind, other); len(got) != 4 {
			t.Errorf("another region's records left %v", got)
		}
		if n, err := dropOldest(tx, dataKind, sc, 5, ""); err != nil || n != 3 {
			t.Errorf("dropped %d of 3, %v", n, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
