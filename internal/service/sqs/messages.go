package sqs

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	sqsapi "github.com/niwa-cloud/niwa/internal/api/sqs"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/lazyre"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// message is a stored message.
type message struct {
	ID       string                                  `json:"id"`
	Body     string                                  `json:"body"`
	Attrs    map[string]sqsapi.MessageAttributeValue `json:"attrs,omitempty"`
	SysAttrs map[string]string                       `json:"sys,omitempty"`
	Sent     time.Time                               `json:"sent"`
	// VisibleAt is when the message can next be received (after a delay
	// or a visibility timeout).
	VisibleAt    time.Time `json:"visibleAt"`
	Received     bool      `json:"received,omitempty"`
	ReceiveCount int       `json:"receiveCount,omitempty"`
	FirstReceive time.Time `json:"firstReceive,omitzero"`
	// LastReceive is when the current receipt handle was handed out: the
	// start of the 12 hours a receive may keep the message invisible.
	LastReceive time.Time `json:"lastReceive,omitzero"`
	// Visibility is the timeout the latest receive set, to tell a
	// message whose visibility was changed since (a receive attempt is
	// not retried then).
	Visibility time.Duration `json:"visibility,omitempty"`
	// Receipt is the nonce of the current receipt handle.
	Receipt  string `json:"receipt,omitempty"`
	SenderID string `json:"sender"`
	GroupID  string `json:"group,omitempty"`
	DedupID  string `json:"dedup,omitempty"`
	SeqNum   string `json:"seqNum,omitempty"`
	// DLQSource is the ARN of the queue a dead-lettered message came from.
	DLQSource string `json:"dlqSource,omitempty"`
	// Sealed is the encrypted body of a message sent to an SSE-KMS queue
	// (Body is then empty; sse.go).
	Sealed *sealed `json:"sealed,omitempty"`
}

// dedup remembers a FIFO deduplication id for five minutes.
type dedup struct {
	MessageID string    `json:"id"`
	SeqNum    string    `json:"seq"`
	Expires   time.Time `json:"expires"`
}

const (
	// maxBatchBytes bounds the sum of a SendMessageBatch's bodies and
	// attributes: 1 MiB, as a single message since 2025.
	maxBatchBytes = 1048576
	dedupWindow   = 5 * time.Minute
	// maxVisibility is the longest a receive may keep a message
	// invisible, ChangeMessageVisibility calls included.
	maxVisibility = 12 * time.Hour
)

// seqKey is a message's key: its sequence number in 20 digits, so keys
// sort in send order.
func seqKey(n uint64) string {
	var b [20]byte
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[:])
}

// receipt handles encode the message key and a nonce that changes on every
// receive.
func receiptHandle(name, key, nonce string) string {
	var raw [192]byte
	b := append(append(append(append(append(raw[:0], name...), 0), key...), 0), nonce...)
	var enc [256]byte
	return string(base64.RawURLEncoding.AppendEncode(enc[:0], b))
}

func parseReceipt(h string) (name, key, nonce string, ok bool) {
	var raw [192]byte
	b, err := base64.RawURLEncoding.AppendDecode(raw[:0], []byte(h))
	if err != nil {
		return "", "", "", false
	}
	s := string(b)
	name, rest, ok1 := strings.Cut(s, "\x00")
	key, nonce, ok2 := strings.Cut(rest, "\x00")
	if !ok1 || !ok2 || strings.Contains(nonce, "\x00") {
		return "", "", "", false
	}
	return name, key, nonce, true
}

func md5Hex(b []byte) string {
	s := md5.Sum(b)
	var h [32]byte
	hex.Encode(h[:], s[:])
	return string(h[:])
}

// attributesMD5 is the digest SQS returns as MD5OfMessageAttributes and
// clients verify: per attribute in name order, each of name, data type and
// value length-prefixed (4 bytes, big endian), with a transport byte (1
// for String and Number, 2 for Binary) before the value.
func attributesMD5(attrs map[string]sqsapi.MessageAttributeValue) string {
	if len(attrs) == 0 {
		return ""
	}
	names := make([]string, 0, len(attrs))
	for n := range attrs {
		names = append(names, n)
	}
	sort.Strings(names)
	var buf []byte
	field := func(b []byte) {
		buf = binary.BigEndian.AppendUint32(buf, uint32(len(b)))
		buf = append(buf, b...)
	}
	for _, n := range names {
		v := attrs[n]
		dt := ""
		if v.DataType != nil {
			dt = *v.DataType
		}
		field([]byte(n))
		field([]byte(dt))
		if strings.HasPrefix(dt, "Binary") {
			buf = append(buf, 2)
			field(v.BinaryValue)
		} else {
			buf = append(buf, 1)
			s := ""
			if v.StringValue != nil {
				s = *v.StringValue
			}
			field([]byte(s))
		}
	}
	return md5Hex(buf)
}

func validBody(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !(r == 0x9 || r == 0xA || r == 0xD || r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF) {
			return false
		}
	}
	return true
}

// validAttrName reports whether n is a message attribute name SQS takes:
// 1 to 256 letters (any script: SQS takes "attr.1øßä"), digits, hyphens,
// underscores and periods.
func validAttrName(n string) bool {
	if n == "" || utf8.RuneCountInString(n) > 256 {
		return false
	}
	for _, r := range n {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '-' || r == '.') {
			return false
		}
	}
	return true
}

// checkAttributes validates message attributes and returns their size.
func checkAttributes(attrs map[string]sqsapi.MessageAttributeValue) (int, error) {
	if len(attrs) > 10 {
		return 0, errInvalidParamValue.New("Number of message attributes [%d] exceeds the allowed maximum [10].", len(attrs))
	}
	size := 0
	for n, v := range attrs {
		lower := strings.ToLower(n)
		if !validAttrName(n) || strings.HasPrefix(lower, "aws.") || strings.HasPrefix(lower, "amazon.") ||
			strings.HasPrefix(n, ".") || strings.HasSuffix(n, ".") || strings.Contains(n, "..") {
			return 0, errInvalidParamValue.New("Message (user) attribute name '%s' is invalid.", n)
		}
		if v.DataType == nil || *v.DataType == "" {
			return 0, errInvalidParamValue.New("The message attribute '%s' must contain non-empty message attribute type.", n)
		}
		dt := *v.DataType
		if len(dt) > 256 {
			return 0, errInvalidParamValue.New("Message (user) attribute '%s' type must be at most 256 characters long.", n)
		}
		base, _, _ := strings.Cut(dt, ".")
		switch base {
		case "String", "Number":
			if v.StringValue == nil || *v.StringValue == "" {
				return 0, errInvalidParamValue.New("Message (user) attribute '%s' must contain a non-empty value of type '%s'.", n, base)
			}
			if !validBody(*v.StringValue) {
				return 0, errInvalidParamValue.New("Message (user) attribute '%s' value contains invalid characters. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF", n)
			}
			if base == "Number" {
				if _, err := strconv.ParseFloat(*v.StringValue, 64); err != nil {
					return 0, errInvalidParamValue.New("Can't cast the value of message (user) attribute '%s' to a number.", n)
				}
			}
			size += len(*v.StringValue)
		case "Binary":
			if len(v.BinaryValue) == 0 {
				return 0, errInvalidParamValue.New("Message (user) attribute '%s' must contain a non-empty value of type '%s'.", n, base)
			}
			size += len(v.BinaryValue)
		default:
			return 0, errInvalidParamValue.New("The type of message (user) attribute '%s' is invalid. You must use only the following supported type prefixes: Binary, Number, String.", n)
		}
		size += len(n) + len(dt)
	}
	return size, nil
}

// sendRequest is one message to send, from SendMessage, a batch entry or a
// delivery from another service.
type sendRequest struct {
	body     string
	delay    *int32
	attrs    map[string]sqsapi.MessageAttributeValue
	sysAttrs map[string]sqsapi.MessageSystemAttributeValue
	dedupID  *string
	groupID  *string
	sender   string
	// key encrypts the body at rest (SSE-KMS queues), nil for none.
	key *activeKey
}

type sendResult struct {
	id, md5Body, md5Attrs, md5Sys, seqNum string
}

// validate checks a message against its queue, before any write.
func (r *sendRequest) validate(q *queue) error {
	if r.body == "" {
		return errMissingParam.New("The request must contain the parameter MessageBody.")
	}
	if !validBody(r.body) {
		return errInvalidContents.New("Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF")
	}
	asize, err := checkAttributes(r.attrs)
	if err != nil {
		return err
	}
	for n, v := range r.sysAttrs {
		if n != "AWSTraceHeader" {
			return errInvalidParamValue.New("Message system attribute name '%s' is invalid.", n)
		}
		if v.DataType == nil || *v.DataType != "String" || v.StringValue == nil {
			return errInvalidParamValue.New("Message system attribute '%s' must be of type String.", n)
		}
	}
	if limit := q.intAttr("MaximumMessageSize"); len(r.body)+asize > limit {
		return errInvalidParamValue.New("One or more parameters are invalid. Reason: Message must be shorter than %d bytes.", limit)
	}
	if r.delay != nil && (*r.delay < 0 || *r.delay > 900) {
		return errInvalidParamValue.New("Value %d for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900.", *r.delay)
	}
	if q.fifo() {
		if r.delay != nil && *r.delay != 0 {
			return errInvalidParamValue.New("Value %d for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.", *r.delay)
		}
		if r.groupID == nil || *r.groupID == "" {
			return errMissingParam.New("The request must contain the parameter MessageGroupId.")
		}
		if r.dedupID == nil && q.Attrs["ContentBasedDeduplication"] != "true" {
			return errInvalidParamValue.New("The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
		}
		for _, id := range []*string{r.groupID, r.dedupID} {
			if id != nil && (len(*id) > 128 || !printableASCII(*id)) {
				return errInvalidParamValue.New("Value %s for parameter MessageGroupId is invalid. Reason: MessageGroupId can only include alphanumeric and punctuation characters. 1 to 128 in length.", *id)
			}
		}
	} else if r.dedupID != nil {
		return errInvalidParamValue.New("Value %s for parameter MessageDeduplicationId is invalid. Reason: The request includes a parameter that is not valid for this queue type.", *r.dedupID)
	}
	return nil
}

func printableASCII(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// enqueue stores one validated message in q (already read in tx) and
// returns what SendMessage answers. q is updated in place; the caller
// writes it back.
func (s *SQS) enqueue(tx storage.Tx, ref queueRef, q *queue, r *sendRequest, now time.Time) (sendResult, error) {
	res := sendResult{md5Body: md5Hex([]byte(r.body)), md5Attrs: attributesMD5(r.attrs)}
	var sys map[string]string // none stored for a message without (most)
	if len(r.sysAttrs) > 0 {
		sys = map[string]string{}
		conv := map[string]sqsapi.MessageAttributeValue{}
		for n, v := range r.sysAttrs {
			conv[n] = sqsapi.MessageAttributeValue{DataType: v.DataType, StringValue: v.StringValue}
			sys[n] = *v.StringValue
		}
		res.md5Sys = attributesMD5(conv)
	}
	m := message{ID: awsid.UniqueUUID(), Body: r.body, Attrs: r.attrs, SysAttrs: sys, Sent: now, SenderID: r.sender}
	if r.key != nil {
		sl, err := seal(r.key, ref.arn(), r.body)
		if err != nil {
			return res, err
		}
		m.Body, m.Sealed = "", sl
	}
	delay := q.intAttr("DelaySeconds")
	if r.delay != nil {
		delay = int(*r.delay)
	}
	m.VisibleAt = now.Add(time.Duration(delay) * time.Second)
	q.Seq++
	if q.fifo() {
		m.GroupID = *r.groupID
		if r.dedupID != nil {
			m.DedupID = *r.dedupID
		} else {
			m.DedupID = sha256Hex(r.body)
		}
		dkey := m.DedupID
		if q.Attrs["DeduplicationScope"] == "messageGroup" {
			dkey = m.GroupID + "\x00" + m.DedupID
		}
		d, found, err := dedups.Get(tx, ref.scope, ref.name, dkey)
		if err != nil {
			return res, err
		}
		if found && d.Expires.After(now) {
			q.Seq--
			res.id, res.seqNum = d.MessageID, d.SeqNum
			return res, nil
		}
		m.SeqNum = fmt.Sprintf("%020d", 18000000000000000000/2+q.Seq)
		if err := dedups.Put(tx, ref.scope, dedup{MessageID: m.ID, SeqNum: m.SeqNum, Expires: now.Add(dedupWindow)}, ref.name, dkey); err != nil {
			return res, err
		}
	}
	if err := messages.Put(tx, ref.scope, m, ref.name, seqKey(q.Seq)); err != nil {
		return res, err
	}
	res.id, res.seqNum = m.ID, m.SeqNum
	return res, nil
}

func senderID(ctx *request.Context) string {
	if ctx.Caller.UserID != "" {
		return ctx.Caller.UserID
	}
	return ctx.Account
}

// SendMessage sends one message.
func (s *SQS) SendMessage(ctx *request.Context, in *sqsapi.SendMessageInput) (*sqsapi.SendMessageOutput, error) {
	ref, kq, err := s.loadQueue(ctx, in.QueueUrl)
	if err != nil {
		return nil, err
	}
	if err := s.checkKMS(ctx, &kq, "GenerateDataKey"); err != nil {
		return nil, err
	}
	dk, err := s.sealer(ctx, ref, &kq)
	if err != nil {
		return nil, err
	}
	c := &sendCall{s: s, ctx: ctx, ref: ref, r: sendRequest{body: *in.MessageBody, delay: in.DelaySeconds, attrs: in.MessageAttributes,
		sysAttrs: in.MessageSystemAttributes, dedupID: in.MessageDeduplicationId, groupID: in.MessageGroupId, sender: senderID(ctx), key: dk}}
	if err := s.store.Update(c.run); err != nil {
		return nil, err
	}
	s.wake.broadcast(ref)
	res, out := &c.res, &c.out
	out.MessageId, out.MD5OfMessageBody = &res.id, &res.md5Body
	if res.md5Attrs != "" {
		out.MD5OfMessageAttributes = &res.md5Attrs
	}
	if res.md5Sys != "" {
		out.MD5OfMessageSystemAttributes = &res.md5Sys
	}
	if res.seqNum != "" {
		out.SequenceNumber = &res.seqNum
	}
	return out, nil
}

// sendCall is one SendMessage: its message, its transaction and its
// answer in one allocation.
type sendCall struct {
	s   *SQS
	ctx *request.Context
	ref queueRef
	r   sendRequest
	res sendResult
	out sqsapi.SendMessageOutput
}

// run is SendMessage's transaction.
func (c *sendCall) run(tx storage.Tx) error {
	q, found, err := c.s.cache.Get(tx, c.ref.scope, c.ref.name) // changes only q.Seq, kept in seqs
	if err != nil {
		return err
	}
	if !found {
		return queueMissing()
	}
	if err := c.r.validate(&q); err != nil {
		return err
	}
	if err := loadSeq(tx, c.ref, &q); err != nil {
		return err
	}
	if c.res, err = c.s.enqueue(tx, c.ref, &q, &c.r, c.ctx.Now()); err != nil {
		return err
	}
	return saveSeq(tx, c.ref, &q)
}

var batchIDRe = lazyre.New(`^[A-Za-z0-9_-]{1,80}$`)

// checkBatch applies the rules every batch operation shares.
func checkBatch(kind string, ids []*string) error {
	if len(ids) == 0 {
		return errEmptyBatch.New("There should be at least one %s in the request.", kind)
	}
	if len(ids) > 10 {
		return errTooManyEntries.New("Maximum number of entries per request are 10. You have sent %d.", len(ids))
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if id == nil || !batchIDRe.MatchString(*id) {
			return errInvalidBatchID.New("A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.")
		}
		if seen[*id] {
			return errIdsNotDistinct.New("Id %s repeated.", *id)
		}
		seen[*id] = true
	}
	return nil
}

func batchError(id string, err error) sqsapi.BatchResultErrorEntry {
	e := asAWS(err)
	sender := e.Code.Sender
	code := e.Code.Code
	msg := e.Message
	return sqsapi.BatchResultErrorEntry{Id: &id, Code: &code, Message: &msg, SenderFault: &sender}
}

// SendMessageBatch sends up to ten messages; entries fail one by one.
func (s *SQS) SendMessageBatch(ctx *request.Context, in *sqsapi.SendMessageBatchInput) (*sqsapi.SendMessageBatchOutput, error) {
	ids := make([]*string, len(in.Entries))
	total := 0
	for i := range in.Entries {
		ids[i] = in.Entries[i].Id
		if in.Entries[i].MessageBody != nil {
			total += len(*in.Entries[i].MessageBody)
		}
		n, _ := checkAttributes(in.Entries[i].MessageAttributes)
		total += n
	}
	if err := checkBatch("SendMessageBatchRequestEntry", ids); err != nil {
		return nil, err
	}
	if total > maxBatchBytes {
		return nil, errBatchTooLong.New("Batch requests cannot be longer than %d bytes. You have sent %d bytes.", maxBatchBytes, total)
	}
	ref, kq, err := s.loadQueue(ctx, in.QueueUrl)
	if err != nil {
		return nil, err
	}
	if err := s.checkKMS(ctx, &kq, "GenerateDataKey"); err != nil {
		return nil, err
	}
	dk, err := s.sealer(ctx, ref, &kq)
	if err != nil {
		return nil, err
	}
	out := &sqsapi.SendMessageBatchOutput{Successful: []sqsapi.SendMessageBatchResultEntry{}, Failed: []sqsapi.BatchResultErrorEntry{}}
	err = s.store.Update(func(tx storage.Tx) error {
		q, found, err := s.cache.Get(tx, ref.scope, ref.name) // changes only q.Seq, kept in seqs
		if err != nil {
			return err
		}
		if !found {
			return queueMissing()
		}
		if err := checkFIFOBatch(&q, in.Entries); err != nil {
			return err
		}
		if err := loadSeq(tx, ref, &q); err != nil {
			return err
		}
		for _, e := range in.Entries {
			body := ""
			if e.MessageBody != nil {
				body = *e.MessageBody
			}
			r := &sendRequest{body: body, delay: e.DelaySeconds, attrs: e.MessageAttributes, sysAttrs: e.MessageSystemAttributes,
				dedupID: e.MessageDeduplicationId, groupID: e.MessageGroupId, sender: senderID(ctx), key: dk}
			if err := r.validate(&q); err != nil {
				out.Failed = append(out.Failed, batchError(*e.Id, err))
				continue
			}
			res, err := s.enqueue(tx, ref, &q, r, ctx.Now())
			if err != nil {
				return err
			}
			ok := sqsapi.SendMessageBatchResultEntry{Id: e.Id, MessageId: &res.id, MD5OfMessageBody: &res.md5Body}
			if res.md5Attrs != "" {
				ok.MD5OfMessageAttributes = &res.md5Attrs
			}
			if res.md5Sys != "" {
				ok.MD5OfMessageSystemAttributes = &res.md5Sys
			}
			if res.seqNum != "" {
				ok.SequenceNumber = &res.seqNum
			}
			out.Successful = append(out.Successful, ok)
		}
		return saveSeq(tx, ref, &q)
	})
	if err != nil {
		return nil, err
	}
	s.wake.broadcast(ref)
	return out, nil
}

// checkFIFOBatch applies the FIFO rules that fail a whole
// SendMessageBatch rather than one entry: every entry needs a
// MessageGroupId, and a MessageDeduplicationId unless the queue
// deduplicates by content (both InvalidParameterValue here, where
// SendMessage answers a missing group id with MissingParameter).
func checkFIFOBatch(q *queue, entries []sqsapi.SendMessageBatchRequestEntry) error {
	if !q.fifo() {
		return nil
	}
	for _, e := range entries {
		if e.MessageGroupId == nil || *e.MessageGroupId == "" {
			return errInvalidParamValue.New("The request must contain the parameter MessageGroupId.")
		}
		if e.MessageDeduplicationId == nil && q.Attrs["ContentBasedDeduplication"] != "true" {
			return errInvalidParamValue.New("The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
		}
	}
	return nil
}

// ReceiveMessage receives up to MaxNumberOfMessages messages, waiting up to
// WaitTimeSeconds (or the queue's ReceiveMessageWaitTimeSeconds) for one
// to arrive. It returns as soon as any message is receivable.
func (s *SQS) ReceiveMessage(ctx *request.Context, in *sqsapi.ReceiveMessageInput) (*sqsapi.ReceiveMessageOutput, error) {
	ref, q, err := s.loadQueue(ctx, in.QueueUrl)
	if err != nil {
		return nil, err
	}
	max := 1
	if in.MaxNumberOfMessages != nil {
		max = int(*in.MaxNumberOfMessages)
		if max < 1 || max > 10 {
			return nil, errInvalidParamValue.New("Value %d for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.", max)
		}
	}
	wait := q.intAttr("ReceiveMessageWaitTimeSeconds")
	if in.WaitTimeSeconds != nil {
		wait = int(*in.WaitTimeSeconds)
		if wait < 0 || wait > 20 {
			return nil, errInvalidParamValue.New("Value %d for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.", wait)
		}
	}
	if id := in.ReceiveRequestAttemptId; id != nil && (len(*id) > 128 || !printableASCII(*id)) {
		return nil, errInvalidParamValue.New("Value %s for parameter ReceiveRequestAttemptId is invalid. Reason: ReceiveRequestAttemptId can only include alphanumeric and punctuation characters. 1 to 128 in length.", *id)
	}
	if in.VisibilityTimeout != nil && (*in.VisibilityTimeout < 0 || *in.VisibilityTimeout > 43200) {
		return nil, errInvalidParamValue.New("Value %d for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 and <= 43200, if provided.", *in.VisibilityTimeout)
	}
	if err := s.checkKMS(ctx, &q, "Decrypt"); err != nil {
		return nil, err
	}
	deadline := ctx.Now().Add(time.Duration(wait) * time.Second)
	// The first look takes no wake-up channel: most receives find a
	// message or do not wait. A receive that will wait takes the channel
	// before looking again, so a send between that look and the wait is
	// seen.
	var woken <-chan struct{}
	for {
		got, next, err := s.receive(ctx, ref, in, max)
		if err != nil {
			return nil, err
		}
		now := ctx.Now()
		if len(got) > 0 || !now.Before(deadline) {
			return &sqsapi.ReceiveMessageOutput{Messages: got}, nil
		}
		if woken == nil {
			woken = s.wake.wait(ref)
			continue
		}
		until := deadline
		if !next.IsZero() && next.Before(until) {
			until = next
		}
		select {
		case <-woken:
		case <-s.clock.After(until.Sub(now)):
		case <-ctx.Done():
			return &sqsapi.ReceiveMessageOutput{}, nil
		}
		woken = s.wake.wait(ref)
	}
}

// receive takes up to max receivable messages in one transaction. next is
// the earliest time a message not receivable now becomes visible (zero if
// none), for the long-polling wait.
func (s *SQS) receive(ctx *request.Context, ref queueRef, in *sqsapi.ReceiveMessageInput, max int) ([]sqsapi.Message, time.Time, error) {
	r := &receiver{s: s, ctx: ctx, ref: ref, in: in, max: max, op: opener{s: s}}
	err := s.store.Update(r.run)
	for _, w := range r.dlqWake {
		s.wake.broadcast(w)
	}
	if err == nil {
		err = r.op.finish(ctx, r.out)
	}
	return r.out, r.next, err
}

// receiver is one receive's transaction and what it collects, in one
// allocation (a closure's captured variables were one each).
type receiver struct {
	s   *SQS
	ctx *request.Context
	ref queueRef
	in  *sqsapi.ReceiveMessageInput
	max int
	op  opener

	out     []sqsapi.Message
	next    time.Time
	dlqWake []queueRef

	// The transaction's state.
	tx         storage.Tx
	now        time.Time
	retention  time.Duration
	vis        time.Duration
	fifo       bool
	redrive    bool
	maxReceive int
	dlqRef     queueRef
	dlq        queue
	puts       []receivedMsg
	dels       []string
	// A FIFO receive's candidates: each group's receivable messages in
	// send order, the groups in the order of their oldest.
	groups    map[string][]receivedMsg
	order     []string
	collected int
	locked    map[string]bool // FIFO groups with a message in flight
}

// receivedMsg is a message and its key.
type receivedMsg struct {
	key string
	m   message
}

// run is the receive's transaction (retried from the start).
func (r *receiver) run(tx storage.Tx) error {
	s, ref, in := r.s, r.ref, r.in
	r.out, r.next, r.dlqWake = nil, time.Time{}, nil
	r.puts, r.dels, r.groups, r.order, r.collected, r.locked = nil, nil, nil, nil, 0, nil
	r.op.reset()
	r.tx = tx
	q, found, err := s.cache.Get(tx, ref.scope, ref.name) // read-only
	if err != nil {
		return err
	}
	if !found {
		return queueMissing()
	}
	now := r.ctx.Now()
	r.now = now
	r.retention = time.Duration(q.intAttr("MessageRetentionPeriod")) * time.Second
	r.vis = time.Duration(q.intAttr("VisibilityTimeout")) * time.Second
	if in.VisibilityTimeout != nil {
		r.vis = time.Duration(*in.VisibilityTimeout) * time.Second
	}
	var dlqTarget string
	dlqTarget, r.maxReceive, r.redrive = s.redrives.parse(q.Attrs["RedrivePolicy"])
	r.dlqRef, r.dlq = queueRef{}, queue{}
	if r.redrive {
		var ok bool
		if r.dlqRef, ok = parseQueueARN(dlqTarget); ok {
			r.dlq, r.redrive, err = s.cache.Get(tx, r.dlqRef.scope, r.dlqRef.name) // changes only dlq.Seq, kept in seqs
			if err != nil {
				return err
			}
			if r.redrive {
				if err := loadSeq(tx, r.dlqRef, &r.dlq); err != nil {
					return err
				}
			}
		} else {
			r.redrive = false
		}
	}
	r.fifo = q.fifo()
	attemptID := ""
	if r.fifo && in.ReceiveRequestAttemptId != nil {
		attemptID = *in.ReceiveRequestAttemptId
	}
	if attemptID != "" {
		// A retry of a receive attempt within five minutes answers
		// the same messages and receipt handles, with their
		// visibility timeout reset, while none of them was deleted
		// or had its visibility changed.
		again, ok, err := s.retryAttempt(tx, ref, attemptID, in, now, r.vis, &r.op)
		if err != nil || ok {
			r.out = again
			return err
		}
	}
	// A FIFO receive fills from one message group before the next,
	// groups in the order of their oldest receivable message (SQS
	// returns g1-m1, g1-m2, g2-m1 for sends g1-m1, g2-m1, g1-m2); a
	// group's messages after one in flight wait for it. The scan
	// collects each group's receivable messages (at most max, and no
	// new group once max are collected) and takes them after.
	if r.fifo {
		r.groups, r.locked = map[string][]receivedMsg{}, map[string]bool{}
	}
	// The scan reads each message's head only (in flight and delayed
	// ones are skipped without decoding them) and decodes a message it
	// takes.
	if err := scanMessagesFrom(tx, ref, r.fifo, r.max, r.scanned); err != nil {
		return err
	}
	if r.fifo {
	fill:
		for _, g := range r.order {
			for _, c := range r.groups[g] {
				more, err := r.take(c.key, c.m)
				if err != nil {
					return err
				}
				if !more {
					break fill
				}
			}
		}
	}
	for i := range r.puts {
		p := &r.puts[i]
		if err := messages.Put(tx, ref.scope, p.m, ref.name, p.key); err != nil {
			return err
		}
	}
	for _, k := range r.dels {
		if err := messages.Delete(tx, ref.scope, ref.name, k); err != nil {
			return err
		}
	}
	if len(r.dlqWake) > 0 {
		if err := saveSeq(tx, r.dlqRef, &r.dlq); err != nil {
			return err
		}
	}
	if attemptID != "" && len(r.puts) > 0 {
		a := attempt{Expires: now.Add(dedupWindow)}
		for _, p := range r.puts {
			a.Keys, a.Receipts = append(a.Keys, p.key), append(a.Receipts, p.m.Receipt)
		}
		return attempts.Put(tx, ref.scope, a, ref.name, attemptID)
	}
	return nil
}

// scanned classifies one message of the scan: expired ones are
// deleted, delayed and in-flight ones skipped (noting when the first
// becomes visible, and a FIFO group in flight), and a visible one taken
// (standard) or collected (FIFO).
func (r *receiver) scanned(k string, h msgHead, data []byte) (bool, error) {
	now := r.now
	if !h.Sent.Add(r.retention).After(now) {
		r.dels = append(r.dels, k)
		return true, nil
	}
	if h.VisibleAt.After(now) {
		if r.next.IsZero() || h.VisibleAt.Before(r.next) {
			r.next = h.VisibleAt
		}
		if r.fifo && h.Received {
			r.locked[h.GroupID] = true
		}
		return true, nil
	}
	if !r.fifo {
		m, err := decodeMessage(k, data)
		if err != nil {
			return false, err
		}
		return r.take(k, m)
	}
	g := h.GroupID
	if r.locked[g] || len(r.groups[g]) >= r.max {
		return true, nil
	}
	if _, seen := r.groups[g]; !seen {
		if r.collected >= r.max {
			return true, nil
		}
		r.order = append(r.order, g)
	}
	m, err := decodeMessage(k, data)
	if err != nil {
		return false, err
	}
	r.groups[g] = append(r.groups[g], receivedMsg{k, m})
	r.collected++
	return true, nil
}

// take receives one visible message (or moves it to the dead-letter
// queue) and reports whether to go on.
func (r *receiver) take(k string, m message) (bool, error) {
	now := r.now
	if r.redrive && m.ReceiveCount >= r.maxReceive {
		r.dels = append(r.dels, k)
		moved := m
		moved.Received, moved.ReceiveCount, moved.FirstReceive, moved.Receipt = false, 0, time.Time{}, ""
		moved.VisibleAt = now
		moved.DLQSource = r.ref.arn()
		r.dlq.Seq++
		if err := messages.Put(r.tx, r.dlqRef.scope, moved, r.dlqRef.name, seqKey(r.dlq.Seq)); err != nil {
			return false, err
		}
		r.dlqWake = append(r.dlqWake, r.dlqRef)
		return true, nil
	}
	m.Received = true
	m.ReceiveCount++
	if m.FirstReceive.IsZero() {
		m.FirstReceive = now
	}
	m.LastReceive = now
	m.VisibleAt = now.Add(r.vis)
	m.Visibility = r.vis
	m.Receipt = awsid.UniqueUUID()
	r.puts = append(r.puts, receivedMsg{k, m})
	r.out = append(r.out, r.s.render(r.ref, m, k, r.in, &r.op))
	return len(r.out) < r.max, nil
}

// attempt remembers what a FIFO ReceiveMessage with a
// ReceiveRequestAttemptId returned, for five minutes.
type attempt struct {
	Keys     []string  `json:"keys"`
	Receipts []string  `json:"receipts"`
	Expires  time.Time `json:"expires"`
}

// retryAttempt answers a retried receive attempt: ok is false when there
// is no live attempt, or one of its messages was deleted, changed its
// visibility or was received again since.
func (s *SQS) retryAttempt(tx storage.Tx, ref queueRef, id string, in *sqsapi.ReceiveMessageInput, now time.Time, vis time.Duration, op *opener) ([]sqsapi.Message, bool, error) {
	a, found, err := attempts.Get(tx, ref.scope, ref.name, id)
	if err != nil || !found || !a.Expires.After(now) {
		return nil, false, err
	}
	msgs := make([]message, len(a.Keys))
	for i, k := range a.Keys {
		m, ok, err := messages.Get(tx, ref.scope, ref.name, k)
		if err != nil {
			return nil, false, err
		}
		if !ok || m.Receipt != a.Receipts[i] || !m.VisibleAt.After(now) || !m.VisibleAt.Equal(m.LastReceive.Add(m.Visibility)) {
			return nil, false, nil
		}
		msgs[i] = m
	}
	out := make([]sqsapi.Message, len(msgs))
	for i, m := range msgs {
		m.VisibleAt, m.LastReceive, m.Visibility = now.Add(vis), now, vis
		if err := messages.Put(tx, ref.scope, m, ref.name, a.Keys[i]); err != nil {
			return nil, false, err
		}
		out[i] = s.render(ref, m, a.Keys[i], in, op)
	}
	return out, true, nil
}

// render turns a received message into the API shape, with the system
// and message attributes the request asked for.
func (s *SQS) render(ref queueRef, m message, key string, in *sqsapi.ReceiveMessageInput, op *opener) sqsapi.Message {
	// The answer's strings in one allocation.
	str := &struct{ id, body, rh, md5 string }{id: m.ID}
	str.body, _ = op.body(m) // a body left for later is filled in by op.finish
	str.rh = receiptHandle(ref.name, key, m.Receipt)
	str.md5 = md5Hex([]byte(str.body))
	out := sqsapi.Message{MessageId: &str.id, Body: &str.body, ReceiptHandle: &str.rh, MD5OfBody: &str.md5}
	if len(in.AttributeNames) > 0 || len(in.MessageSystemAttributeNames) > 0 {
		out.Attributes = systemAttributes(m, in)
	}
	for n, v := range m.Attrs {
		if attrWanted(n, in.MessageAttributeNames) {
			if out.MessageAttributes == nil {
				out.MessageAttributes = map[string]sqsapi.MessageAttributeValue{}
			}
			out.MessageAttributes[n] = v
		}
	}
	if len(out.MessageAttributes) > 0 {
		md := attributesMD5(out.MessageAttributes)
		out.MD5OfMessageAttributes = &md
	}
	return out
}

// systemAttributes are the system attributes of m that AttributeNames and
// MessageSystemAttributeNames ask for (nil for none).
func systemAttributes(m message, in *sqsapi.ReceiveMessageInput) map[string]string {
	want := map[string]bool{}
	for _, n := range in.AttributeNames {
		want[n] = true
	}
	for _, n := range in.MessageSystemAttributeNames {
		want[n] = true
	}
	all := want["All"]
	sys := map[string]string{
		"SenderId":                         m.SenderID,
		"SentTimestamp":                    unixMillis(m.Sent),
		"ApproximateReceiveCount":          strconv.Itoa(m.ReceiveCount),
		"ApproximateFirstReceiveTimestamp": unixMillis(m.FirstReceive),
	}
	if m.GroupID != "" {
		sys["MessageGroupId"] = m.GroupID
		sys["MessageDeduplicationId"] = m.DedupID
		sys["SequenceNumber"] = m.SeqNum
	}
	if m.DLQSource != "" {
		sys["DeadLetterQueueSourceArn"] = m.DLQSource
	}
	for k, v := range m.SysAttrs {
		sys[k] = v
	}
	var out map[string]string
	for k, v := range sys {
		if all || want[k] {
			if out == nil {
				out = map[string]string{}
			}
			out[k] = v
		}
	}
	return out
}

// attrWanted matches MessageAttributeNames: "All", "*", ".*", "prefix.*"
// (any name starting with prefix: "Hel.*" takes Hello and Help.Me, as on
// SQS) or an exact name.
func attrWanted(name string, patterns []string) bool {
	for _, p := range patterns {
		switch {
		case p == "All" || p == ".*" || p == "*":
			return true
		case strings.HasSuffix(p, ".*") && strings.HasPrefix(name, strings.TrimSuffix(p, ".*")):
			return true
		case p == name:
			return true
		}
	}
	return false
}

// lookupReceipt checks a receipt handle against the queue and returns the
// message key it names.
func lookupReceipt(ref queueRef, h *string) (string, string, error) {
	if h == nil || *h == "" {
		return "", "", errMissingParam.New("The request must contain the parameter ReceiptHandle.")
	}
	name, key, nonce, ok := parseReceipt(*h)
	if !ok || name != ref.name {
		return "", "", errReceiptInvalid.New("The input receipt handle \"%s\" is not a valid receipt handle.", *h)
	}
	return key, nonce, nil
}

// DeleteMessage deletes a received message. A handle of a message already
// deleted succeeds, as on SQS.
func (s *SQS) DeleteMessage(ctx *request.Context, in *sqsapi.DeleteMessageInput) (*sqsapi.DeleteMessageOutput, error) {
	ref, err := s.resolve(ctx, in.QueueUrl)
	if err != nil {
		return nil, err
	}
	err = s.store.Update(func(tx storage.Tx) error {
		// The queue is looked up before the handle is read, so a handle
		// for a queue that is gone answers QueueDoesNotExist as on SQS.
		q, found, err := s.cache.Get(tx, ref.scope, ref.name) // read-only
		if err != nil {
			return err
		}
		if !found {
			return queueMissing()
		}
		return deleteByReceipt(tx, ref, &q, in.ReceiptHandle, ctx.Now())
	})
	if err != nil {
		return nil, err
	}
	s.wake.broadcast(ref) // a FIFO group may be unlocked
	return &sqsapi.DeleteMessageOutput{}, nil
}

// deleteByReceipt deletes the message a receipt handle names. On a FIFO
// queue the handle must be the message's current one and the message
// still in flight: a FIFO queue refuses an expired handle, where a
// standard queue deletes the message anyway.
func deleteByReceipt(tx storage.Tx, ref queueRef, q *queue, h *string, now time.Time) error {
	key, nonce, err := lookupReceipt(ref, h)
	if err != nil {
		return err
	}
	if q.fifo() {
		m, found, err := messages.Get(tx, ref.scope, ref.name, key)
		if err != nil {
			return err
		}
		if found && (m.Receipt != nonce || !m.VisibleAt.After(now)) {
			return errInvalidParamValue.New("Value %s for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired.", *h)
		}
	}
	return messages.Delete(tx, ref.scope, ref.name, key)
}

// DeleteMessageBatch deletes up to ten messages.
func (s *SQS) DeleteMessageBatch(ctx *request.Context, in *sqsapi.DeleteMessageBatchInput) (*sqsapi.DeleteMessageBatchOutput, error) {
	ids := make([]*string, len(in.Entries))
	for i := range in.Entries {
		ids[i] = in.Entries[i].Id
	}
	out := &sqsapi.DeleteMessageBatchOutput{Successful: []sqsapi.DeleteMessageBatchResultEntry{}, Failed: []sqsapi.BatchResultErrorEntry{}}
	err := s.updateBatch(ctx, "DeleteMessageBatchRequestEntry", in.QueueUrl, ids, func(tx storage.Tx, ref queueRef, q *queue, i int) error {
		e := in.Entries[i]
		err := deleteByReceipt(tx, ref, q, e.ReceiptHandle, ctx.Now())
		if err == nil {
			out.Successful = append(out.Successful, sqsapi.DeleteMessageBatchResultEntry{Id: e.Id})
		}
		return err
	}, &out.Failed)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// updateBatch runs the checks every batch operation shares, then fn for
// each entry in one transaction on the queue. An AWS error from fn fails
// that entry (recorded in failed); any other error fails the request.
func (s *SQS) updateBatch(ctx *request.Context, kind string, queueURL *string, ids []*string, fn func(tx storage.Tx, ref queueRef, q *queue, i int) error, failed *[]sqsapi.BatchResultErrorEntry) error {
	if err := checkBatch(kind, ids); err != nil {
		return err
	}
	ref, err := s.resolve(ctx, queueURL)
	if err != nil {
		return err
	}
	err = s.store.Update(func(tx storage.Tx) error {
		q, found, err := s.cache.Get(tx, ref.scope, ref.name) // read-only
		if err != nil {
			return err
		}
		if !found {
			return queueMissing()
		}
		for i, id := range ids {
			if err := fn(tx, ref, &q, i); err != nil {
				if !isAWS(err) {
					return err
				}
				*failed = append(*failed, batchError(*id, err))
			}
		}
		return nil
	})
	if err == nil {
		s.wake.broadcast(ref)
	}
	return err
}

// changeVisibility sets a received message's visibility timeout from now.
// On a standard queue any handle of the message works while it is in
// flight (even an older receive's), and its latest handle also after the
// timeout passed (SQS answers both 200); an older handle of a message no
// longer in flight is MessageNotInflight, a handle of a deleted message
// InvalidParameterValue. A FIFO queue takes only the current handle of a
// message in flight. The total time a receive keeps a message invisible
// is at most 12 hours.
func (s *SQS) changeVisibility(tx storage.Tx, ref queueRef, q *queue, h *string, timeout *int32, now time.Time) error {
	if timeout == nil {
		return errMissingParam.New("The request must contain the parameter VisibilityTimeout.")
	}
	if *timeout < 0 || *timeout > 43200 {
		return errInvalidParamValue.New("Value %d for parameter VisibilityTimeout is invalid. Reason: VisibilityTimeout must be an integer between 0 and 43200.", *timeout)
	}
	key, nonce, err := lookupReceipt(ref, h)
	if err != nil {
		return err
	}
	m, found, err := messages.Get(tx, ref.scope, ref.name, key)
	if err != nil {
		return err
	}
	if !found {
		return errInvalidParamValue.New("Value %s for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.", *h)
	}
	inFlight := m.Received && m.VisibleAt.After(now)
	switch {
	case q.fifo() && (m.Receipt != nonce || !inFlight):
		return errInvalidParamValue.New("Value %s for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired.", *h)
	case !m.Received || m.Receipt != nonce && !inFlight:
		return errNotInflight.New("Message does not exist or is not available for visibility timeout change.")
	}
	if !m.LastReceive.IsZero() && now.Add(time.Duration(*timeout)*time.Second).Sub(m.LastReceive) > maxVisibility {
		return errInvalidParamValue.New("Value %d for parameter VisibilityTimeout is invalid. Reason: Total VisibilityTimeout for the message is beyond the limit [43200 seconds]", *timeout)
	}
	m.VisibleAt = now.Add(time.Duration(*timeout) * time.Second)
	return messages.Put(tx, ref.scope, m, ref.name, key)
}

// ChangeMessageVisibility changes an in-flight message's visibility
// timeout.
func (s *SQS) ChangeMessageVisibility(ctx *request.Context, in *sqsapi.ChangeMessageVisibilityInput) (*sqsapi.ChangeMessageVisibilityOutput, error) {
	ref, err := s.resolve(ctx, in.QueueUrl)
	if err != nil {
		return nil, err
	}
	err = s.store.Update(func(tx storage.Tx) error {
		q, found, err := s.cache.Get(tx, ref.scope, ref.name) // read-only
		if err != nil {
			return err
		}
		if !found {
			return queueMissing()
		}
		return s.changeVisibility(tx, ref, &q, in.ReceiptHandle, in.VisibilityTimeout, ctx.Now())
	})
	if err != nil {
		return nil, err
	}
	s.wake.broadcast(ref)
	return &sqsapi.ChangeMessageVisibilityOutput{}, nil
}

// ChangeMessageVisibilityBatch changes up to ten visibility timeouts.
func (s *SQS) ChangeMessageVisibilityBatch(ctx *request.Context, in *sqsapi.ChangeMessageVisibilityBatchInput) (*sqsapi.ChangeMessageVisibilityBatchOutput, error) {
	ids := make([]*string, len(in.Entries))
	for i := range in.Entries {
		ids[i] = in.Entries[i].Id
	}
	out := &sqsapi.ChangeMessageVisibilityBatchOutput{Successful: []sqsapi.ChangeMessageVisibilityBatchResultEntry{}, Failed: []sqsapi.BatchResultErrorEntry{}}
	err := s.updateBatch(ctx, "ChangeMessageVisibilityBatchRequestEntry", in.QueueUrl, ids, func(tx storage.Tx, ref queueRef, q *queue, i int) error {
		e := in.Entries[i]
		if err := s.changeVisibility(tx, ref, q, e.ReceiptHandle, e.VisibilityTimeout, ctx.Now()); err != nil {
			return err
		}
		out.Successful = append(out.Successful, sqsapi.ChangeMessageVisibilityBatchResultEntry{Id: e.Id})
		return nil
	}, &out.Failed)
	if err != nil {
		return nil, err
	}
	return out, nil
}
