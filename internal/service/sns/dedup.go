package sns

import (
	"fmt"
	"time"

	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// FIFO topics deduplicate as SNS documents: a publication whose
// deduplication id (explicit, or the SHA-256 of the message with
// content-based deduplication) was seen in the last five minutes is
// accepted, answered with the first one's MessageId and SequenceNumber,
// and not delivered. With FifoThroughputScope MessageGroup, ids are
// scoped to their message group.

// dedupInterval is SNS's deduplication interval.
const dedupInterval = 5 * time.Minute

// dedupPrune bounds the expired entries one publication removes, so that
// a publication's cost stays bounded whatever accumulated.
const dedupPrune = 64

type dedupEntry struct {
	Key       string `json:"key"`
	MessageID string `json:"messageId"`
	SeqNum    string `json:"seq"`
	Expires   int64  `json:"expires"`
}

var (
	// dedups maps topic, key → entry; dedupByTime indexes the same
	// entries by expiry (topic, expiry, key) for pruning.
	dedups      = storage.NewTable[dedupEntry]("dedup")
	dedupByTime = storage.NewTable[dedupEntry]("dedupexp")
)

// deduplicate numbers a FIFO publication, or marks it a duplicate of one
// within the interval. It prunes expired entries of the topic first.
func (s *SNS) deduplicate(tx storage.Tx, ref topicRef, t *topic, p *publication, now time.Time) (bool, error) {
	var expired []dedupEntry
	if err := dedupByTime.List(tx, ref.scope, []string{ref.name}, storage.ListOptions{Limit: dedupPrune}, func(_ []string, e dedupEntry) bool {
		if e.Expires > now.UnixNano() {
			return false
		}
		expired = append(expired, e)
		return true
	}); err != nil {
		return false, err
	}
	for _, e := range expired {
		if err := dedupByTime.Delete(tx, ref.scope, ref.name, expiryKey(e.Expires), e.Key); err != nil {
			return false, err
		}
		if err := dedups.Delete(tx, ref.scope, ref.name, e.Key); err != nil {
			return false, err
		}
	}
	key := p.dedupID
	if t.Attrs["FifoThroughputScope"] == "MessageGroup" {
		key = fmt.Sprintf("%d:%s:%s", len(p.groupID), p.groupID, p.dedupID)
	}
	prev, found, err := dedups.Get(tx, ref.scope, ref.name, key)
	if err != nil {
		return false, err
	}
	if found && prev.Expires > now.UnixNano() {
		p.id, p.seqNum, p.duplicate = prev.MessageID, prev.SeqNum, true
		return true, nil
	}
	if found {
		if err := dedupByTime.Delete(tx, ref.scope, ref.name, expiryKey(prev.Expires), key); err != nil {
			return false, err
		}
	}
	p.id = awsid.UUID()
	t.Seq++
	p.seqNum = fmt.Sprintf("%020d", 10000000000000000000+t.Seq)
	e := dedupEntry{Key: key, MessageID: p.id, SeqNum: p.seqNum, Expires: now.Add(dedupInterval).UnixNano()}
	if err := dedups.Put(tx, ref.scope, e, ref.name, key); err != nil {
		return false, err
	}
	return false, dedupByTime.Put(tx, ref.scope, e, ref.name, expiryKey(e.Expires), key)
}

func expiryKey(ns int64) string { return fmt.Sprintf("%020d", ns) }
