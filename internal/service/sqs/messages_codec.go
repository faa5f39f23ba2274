package sqs

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"time"

	sqsapi "github.com/niwa-cloud/niwa/internal/api/sqs"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// message is stored in storage's binary record form: every send, receive
// and visibility change rewrites it, and its JSON (attribute values with
// every member spelled out) was most of its bytes. Messages stored as
// JSON before are read as they are. Field numbers are forever: a removed
// field's number is never reused, a new field takes the next one.
var _ storage.BinaryRecord = (*message)(nil)

// AppendRecord implements storage.BinaryRecord.
func (m *message) AppendRecord(dst []byte) []byte {
	e := storage.Enc{B: dst}
	e.String(1, m.ID)
	e.String(2, m.Body)
	var names []string
	if len(m.Attrs) > 0 {
		names = slices.Sorted(maps.Keys(m.Attrs))
	}
	for _, name := range names {
		a := m.Attrs[name]
		e.Message(3, func(e *storage.Enc) {
			e.Str(name)
			e.StringPtr(1, a.StringValue)
			e.Bytes(2, a.BinaryValue)
			e.Strings(3, a.StringListValues)
			if a.BinaryListValues != nil {
				e.Message(4, func(e *storage.Enc) {
					for _, b := range a.BinaryListValues {
						e.Blob(b)
					}
				})
			}
			e.StringPtr(5, a.DataType)
		})
	}
	e.StringMap(4, m.SysAttrs)
	e.Time(5, m.Sent)
	e.Time(6, m.VisibleAt)
	e.Bool(7, m.Received)
	e.Int(8, int64(m.ReceiveCount))
	e.Time(9, m.FirstReceive)
	e.Time(10, m.LastReceive)
	e.Int(11, int64(m.Visibility))
	e.String(12, m.Receipt)
	e.String(13, m.SenderID)
	e.String(14, m.GroupID)
	e.String(15, m.DedupID)
	e.String(16, m.SeqNum)
	e.String(17, m.DLQSource)
	if m.Sealed != nil {
		e.Message(18, func(e *storage.Enc) {
			e.Bytes(1, m.Sealed.Key)
			e.Bytes(2, m.Sealed.Data)
			e.String(3, m.Sealed.Queue)
		})
	}
	return e.B
}

// DecodeRecord implements storage.BinaryRecord.
func (m *message) DecodeRecord(d *storage.Dec) error {
	*m = message{}
	for d.Next() {
		switch d.Tag() {
		case 1:
			m.ID = d.String()
		case 2:
			m.Body = d.String()
		case 3:
			d.Message(func(d *storage.Dec) {
				name := d.Str()
				var a sqsapi.MessageAttributeValue
				for d.Next() {
					switch d.Tag() {
					case 1:
						a.StringValue = d.StringPtr()
					case 2:
						a.BinaryValue = d.Bytes()
					case 3:
						a.StringListValues = d.Strings()
					case 4:
						a.BinaryListValues = [][]byte{}
						d.Message(func(d *storage.Dec) {
							for d.Len() > 0 && d.Err() == nil {
								a.BinaryListValues = append(a.BinaryListValues, d.Blob())
							}
						})
					case 5:
						a.DataType = d.StringPtr()
					default:
						d.Skip()
					}
				}
				if m.Attrs == nil {
					m.Attrs = map[string]sqsapi.MessageAttributeValue{}
				}
				m.Attrs[name] = a
			})
		case 4:
			m.SysAttrs = d.StringMap()
		case 5:
			m.Sent = d.Time()
		case 6:
			m.VisibleAt = d.Time()
		case 7:
			m.Received = d.Bool()
		case 8:
			m.ReceiveCount = int(d.Int())
		case 9:
			m.FirstReceive = d.Time()
		case 10:
			m.LastReceive = d.Time()
		case 11:
			m.Visibility = time.Duration(d.Int())
		case 12:
			m.Receipt = d.String()
		case 13:
			m.SenderID = d.String()
		case 14:
			m.GroupID = d.String()
		case 15:
			m.DedupID = d.String()
		case 16:
			m.SeqNum = d.String()
		case 17:
			m.DLQSource = d.String()
		case 18:
			m.Sealed = &sealed{}
			d.Message(func(d *storage.Dec) {
				for d.Next() {
					switch d.Tag() {
					case 1:
						m.Sealed.Key = d.Bytes()
					case 2:
						m.Sealed.Data = d.Bytes()
					case 3:
						m.Sealed.Queue = d.String()
					default:
						d.Skip()
					}
				}
			})
		default:
			d.Skip()
		}
	}
	return d.Err()
}

// msgHead is what a scan over a queue's messages needs to classify one
// (expired, visible, delayed, in flight, and a FIFO message's group)
// without decoding its body, attributes and ids: ReceiveMessage reads
// every message up to the first it can take, in flight ones included,
// and GetQueueAttributes and the metrics read them all.
type msgHead struct {
	Sent, VisibleAt time.Time
	Received        bool
	// GroupID is set only when asked for (FIFO queues).
	GroupID string
}

// peekHead reads a stored message's head from its binary form. ok is
// false for a message stored as JSON (or bytes that do not decode): the
// caller decodes it whole, which also reports a malformed record.
func peekHead(data []byte, group bool) (h msgHead, ok bool) {
	if !storage.IsBinaryRecord(data) || data[0] != storage.RecordV1 {
		return h, false
	}
	d := storage.NewDec(data[1:])
	for d.Next() {
		switch d.Tag() {
		case 5:
			h.Sent = d.Time()
		case 6:
			h.VisibleAt = d.Time()
		case 7:
			h.Received = d.Bool()
		case 14:
			if group {
				h.GroupID = d.String()
			} else {
				d.Skip()
			}
		default:
			d.Skip()
		}
	}
	return h, d.Err() == nil
}

func headOf(m *message) msgHead {
	return msgHead{Sent: m.Sent, VisibleAt: m.VisibleAt, Received: m.Received, GroupID: m.GroupID}
}

// scanMessages calls fn for each of a queue's messages in send order with
// its sequence key, its head and its stored bytes (fn's to keep; decode
// them with decodeMessage when more than the head is needed), until fn
// returns false. Messages stored as JSON are decoded to get their head.
func scanMessages(tx storage.Tx, ref queueRef, group bool, fn func(seq string, h msgHead, data []byte) (bool, error)) error {
	return scanMessagesFrom(tx, ref, group, 0, fn)
}

// scanMessagesFrom is scanMessages reading the first messages alone
// (first of them; 0: none), then the rest in the store's batches. The
// store copies each batch before fn sees it, and a receive usually stops
// at the first messages of its queue: a receive of one message from a
// backlog took a copy of sixteen.
func scanMessagesFrom(tx storage.Tx, ref queueRef, group bool, first int, fn func(seq string, h msgHead, data []byte) (bool, error)) error {
	prefix := messages.Key(ref.scope, ref.name)
	// What the callback sets, in one allocation.
	var st struct {
		err     error
		last    []byte
		count   int
		stopped bool
	}
	n := first
	for {
		opts := storage.ScanOptions{Limit: n}
		if st.last != nil {
			opts.Start, opts.Exclusive = st.last, true
		}
		st.count = 0
		err := tx.Scan(prefix, opts, func(k, data []byte) bool {
			st.count++
			st.last = k // the scan's copy, fn's to keep
			seq, ok := lastKeyPart(k, len(prefix))
			if !ok {
				st.err = fmt.Errorf("sqs: bad message key %x: %w", k, storage.ErrMalformedKey)
				return false
			}
			h, ok := peekHead(data, group)
			if !ok {
				m, err := decodeMessage(seq, data)
				if err != nil {
					st.err = err
					return false
				}
				h = headOf(&m)
			}
			more, err := fn(seq, h, data)
			if err != nil {
				st.err = err
				return false
			}
			st.stopped = !more
			return more
		})
		if err != nil {
			return err
		}
		if st.err != nil || st.stopped || n == 0 || st.count < n {
			return st.err
		}
		n = 0 // the rest in the store's batches
	}
}

// decodeMessage decodes a message scanMessages handed over.
func decodeMessage(seq string, data []byte) (message, error) {
	var m message
	if err := storage.DecodeRecord(data, &m); err != nil {
		return m, fmt.Errorf("storage: table msg: decode %q: %w", seq, err)
	}
	return m, nil
}

// lastKeyPart is the one key part after a prefix of n bytes: a message's
// sequence key (20 digits, so never escaped; anything else is split the
// general way).
func lastKeyPart(k []byte, n int) (string, bool) {
	rest := k[n:]
	if l := len(rest); l >= 2 && rest[l-2] == 0 && rest[l-1] == 1 && bytes.IndexByte(rest[:l-2], 0) < 0 {
		return string(rest[:l-2]), true
	}
	parts, err := storage.SplitKey(rest)
	if err != nil || len(parts) != 1 {
		return "", false
	}
	return parts[0], true
}
