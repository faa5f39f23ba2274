package sqs

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	sqsapi "github.com/niwa-cloud/niwa/internal/api/sqs"
	"github.com/niwa-cloud/niwa/internal/iam"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// queue is a queue's record.
type queue struct {
	Name     string            `json:"name"`
	Attrs    map[string]string `json:"attrs"`
	Tags     map[string]string `json:"tags,omitempty"`
	Created  time.Time         `json:"created"`
	Modified time.Time         `json:"modified"`
	PurgedAt time.Time         `json:"purgedAt,omitzero"`
	// Seq numbers the queue's messages in send order. It is kept in the
	// queue's seqs record (nextSeq); the field is what a queue stored
	// before that carries, and the counter's value while a transaction
	// sends.
	Seq uint64 `json:"seq"`
	// Permissions are AddPermission labels.
	Permissions map[string]permission `json:"permissions,omitempty"`
}

type permission struct {
	Accounts []string `json:"accounts"`
	Actions  []string `json:"actions"`
}

func (q *queue) fifo() bool { return q.Attrs["FifoQueue"] == "true" }

func (q *queue) intAttr(name string) int {
	n, _ := strconv.Atoi(q.Attrs[name])
	return n
}

var (
	queues   = storage.NewTable[queue]("queue")
	deleted  = storage.NewTable[time.Time]("deleted")
	messages = storage.NewTable[message]("msg")
	dedups   = storage.NewTable[dedup]("dedup")
	tasks    = storage.NewTable[moveTask]("movetask")
	attempts = storage.NewTable[attempt]("attempt")
	// seqs is each queue's message counter, apart from its record: the
	// record is read (through the decode cache) by every call on the
	// queue, and a counter in it made every send re-encode the record and
	// the next read decode it again.
	seqs = storage.NewTable[seqCounter]("queueseq")
)

// seqCounter is a queue's message counter (seqs). It is stored in binary
// (one varint field); a counter stored before as a JSON number is read as
// it is.
type seqCounter uint64

var _ storage.BinaryRecord = (*seqCounter)(nil)

// AppendRecord implements storage.BinaryRecord.
func (c *seqCounter) AppendRecord(dst []byte) []byte {
	e := storage.Enc{B: dst}
	e.Int(1, int64(*c))
	return e.B
}

// DecodeRecord implements storage.BinaryRecord.
func (c *seqCounter) DecodeRecord(d *storage.Dec) error {
	*c = 0
	for d.Next() {
		switch d.Tag() {
		case 1:
			*c = seqCounter(d.Int())
		default:
			d.Skip()
		}
	}
	return d.Err()
}

// loadSeq sets q.Seq to the queue's counter: its seqs record, or for a
// queue stored before there was one, the record's own field.
func loadSeq(tx storage.Tx, ref queueRef, q *queue) error {
	n, found, err := seqs.Get(tx, ref.scope, ref.name)
	if err != nil {
		return err
	}
	if found && uint64(n) > q.Seq {
		q.Seq = uint64(n)
	}
	return nil
}

// saveSeq stores q.Seq as the queue's counter.
func saveSeq(tx storage.Tx, ref queueRef, q *queue) error {
	return seqs.Put(tx, ref.scope, seqCounter(q.Seq), ref.name)
}

// attrSpec is one settable queue attribute: its default and how to check
// a value.
type attrSpec struct {
	def      string
	min, max int
	check    func(v string) bool
	fifoOnly bool
}

var settable = map[string]attrSpec{
	"DelaySeconds":                  {def: "0", min: 0, max: 900},
	"MaximumMessageSize":            {def: "1048576", min: 1024, max: 1048576},
	"MessageRetentionPeriod":        {def: "345600", min: 60, max: 1209600},
	"ReceiveMessageWaitTimeSeconds": {def: "0", min: 0, max: 20},
	"VisibilityTimeout":             {def: "30", min: 0, max: 43200},
	"KmsDataKeyReusePeriodSeconds":  {min: 60, max: 86400},
	"Policy":                        {check: validPolicy},
	"RedrivePolicy":                 {},
	"RedriveAllowPolicy":            {check: validJSON},
	"KmsMasterKeyId":                {check: func(string) bool { return true }},
	"SqsManagedSseEnabled":          {def: "true", check: isBool},
	"FifoQueue":                     {check: isBool},
	"ContentBasedDeduplication":     {check: isBool, fifoOnly: true},
	"DeduplicationScope":            {check: oneOf("messageGroup", "queue"), fifoOnly: true},
	"FifoThroughputLimit":           {check: oneOf("perQueue", "perMessageGroupId"), fifoOnly: true},
}

// readOnly are the attributes GetQueueAttributes computes.
var readOnly = []string{
	"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesDelayed",
	"ApproximateNumberOfMessagesNotVisible", "CreatedTimestamp",
	"LastModifiedTimestamp", "QueueArn",
}

func isBool(v string) bool { return v == "true" || v == "false" }

func validJSON(v string) bool { return v == "" || json.Valid([]byte(v)) }

// validPolicy: a queue policy is a policy document ("" removes it). Any
// JSON is not: {"Statement":"x"} or an Effect of "Maybe" is
// InvalidAttributeValue, as on SQS, not a policy stored to confuse every
// later authorization.
func validPolicy(v string) bool {
	if v == "" {
		return true
	}
	_, err := iam.Parse(v)
	return err == nil
}

func oneOf(vals ...string) func(string) bool {
	return func(v string) bool {
		for _, x := range vals {
			if v == x {
				return true
			}
		}
		return false
	}
}

func invalidAttrValue(name string) error {
	return errInvalidAttrValue.New("Invalid value for the parameter %s.", name)
}

// checkAttrs validates attributes being set on a queue that is (or will
// be) FIFO when fifo is true.
func (s *SQS) checkAttrs(tx storage.Tx, ctx *request.Context, self queueRef, attrs map[string]string, fifo bool) error {
	if attrs["KmsMasterKeyId"] != "" && attrs["SqsManagedSseEnabled"] == "true" {
		return errInvalidAttrName.New("You can use one type of server-side encryption (SSE) at one time. You can either enable KMS SSE or SQS SSE.")
	}
	names := make([]string, 0, len(attrs))
	for k := range attrs {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		v := attrs[k]
		spec, ok := settable[k]
		if !ok {
			return errInvalidAttrName.New("Unknown Attribute %s.", k)
		}
		if spec.fifoOnly && !fifo {
			return errInvalidAttrName.New("Unknown Attribute %s.", k)
		}
		switch {
		case spec.check != nil:
			if !spec.check(v) {
				return invalidAttrValue(k)
			}
		case spec.max > 0:
			n, err := strconv.Atoi(v)
			if err != nil || n < spec.min || n > spec.max {
				return invalidAttrValue(k)
			}
		}
		if k == "RedrivePolicy" && v != "" {
			if err := s.checkRedrive(tx, self, v, fifo); err != nil {
				return err
			}
		}
	}
	return nil
}

// redrivePolicy is the RedrivePolicy attribute. maxReceiveCount arrives as
// a number or a string.
type redrivePolicy struct {
	Target string          `json:"deadLetterTargetArn"`
	Max    json.RawMessage `json:"maxReceiveCount"`
}

func parseRedrive(v string) (target string, max int, ok bool) {
	if v == "" {
		return "", 0, false // no policy (read by every receive)
	}
	var rp redrivePolicy
	if json.Unmarshal([]byte(v), &rp) != nil || rp.Target == "" {
		return "", 0, false
	}
	raw := strings.Trim(string(rp.Max), `"`)
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 || n > 1000 {
		return "", 0, false
	}
	return rp.Target, n, true
}

func (s *SQS) checkRedrive(tx storage.Tx, self queueRef, v string, fifo bool) error {
	target, _, ok := parseRedrive(v)
	if !ok {
		return errInvalidParamValue.New("Value %s for parameter RedrivePolicy is invalid. Reason: Redrive policy is not a valid JSON map or maxReceiveCount is not an integer between 1 and 1000.", v)
	}
	ref, ok := parseQueueARN(target)
	if !ok {
		return errInvalidParamValue.New("Value %s for parameter RedrivePolicy is invalid. Reason: Invalid value for deadLetterTargetArn.", v)
	}
	dlq, found, err := queues.Get(tx, ref.scope, ref.name)
	if err != nil {
		return err
	}
	if !found {
		return errInvalidParamValue.New("Value %s for parameter RedrivePolicy is invalid. Reason: Dead letter target does not exist.", v)
	}
	if dlq.fifo() != fifo {
		return errInvalidParamValue.New("Value %s for parameter RedrivePolicy is invalid. Reason: Dead-letter queue must be same type of queue as the source..", v)
	}
	return nil
}

func validQueueName(name string, fifo bool) bool {
	base := name
	if fifo {
		if !strings.HasSuffix(name, ".fifo") {
			return false
		}
		base = strings.TrimSuffix(name, ".fifo")
	}
	if len(name) < 1 || len(name) > 80 || base == "" {
		return false
	}
	for _, c := range base {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// CreateQueue creates a queue, or returns the URL of an existing one with
// the same attributes.
func (s *SQS) CreateQueue(ctx *request.Context, in *sqsapi.CreateQueueInput) (*sqsapi.CreateQueueOutput, error) {
	name := *in.QueueName
	ref := queueRef{scope: storage.Scope{Account: ctx.Account, Region: ctx.Region}, name: name}
	attrs := in.Attributes
	if attrs == nil {
		attrs = map[string]string{}
	}
	fifo := attrs["FifoQueue"] == "true"
	if attrs["FifoQueue"] == "false" {
		delete(attrs, "FifoQueue")
	}
	if fifo || strings.HasSuffix(name, ".fifo") {
		if !fifo || !validQueueName(name, true) {
			return nil, errInvalidParamValue.New("The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.")
		}
	} else if !validQueueName(name, false) {
		return nil, errInvalidParamValue.New("Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length")
	}
	for k, v := range in.Tags {
		if len(k) > 128 || len(v) > 256 {
			return nil, errInvalidParamValue.New("Tag %s is invalid.", k)
		}
	}
	if len(in.Tags) > 50 {
		return nil, errInvalidParamValue.New("Too many tags added for queue %s.", name)
	}
	now := ctx.Now()
	err := s.updateQueues(func(tx storage.Tx) error {
		if err := s.checkAttrs(tx, ctx, ref, attrs, fifo); err != nil {
			return err
		}
		existing, found, err := queues.Get(tx, ref.scope, name)
		if err != nil {
			return err
		}
		if found {
			for k, v := range attrs {
				if existing.Attrs[k] != v && !(existing.Attrs[k] == "" && v == settable[k].def) {
					return errQueueExists.New("A queue already exists with the same name and a different value for attribute %s", k)
				}
			}
			return nil
		}
		if at, ok, err := deleted.Get(tx, ref.scope, name); err != nil {
			return err
		} else if ok && now.Sub(at) < 60*time.Second {
			return errDeletedRecently.New("You must wait 60 seconds after deleting a queue before you can create another with the same name.")
		}
		q := queue{Name: name, Attrs: map[string]string{}, Tags: in.Tags, Created: now, Modified: now}
		for k, spec := range settable {
			if spec.def != "" {
				q.Attrs[k] = spec.def
			}
		}
		if fifo {
			q.Attrs["ContentBasedDeduplication"] = "false"
			q.Attrs["DeduplicationScope"] = "queue"
			q.Attrs["FifoThroughputLimit"] = "perQueue"
		}
		if _, ok := attrs["KmsMasterKeyId"]; ok {
			q.Attrs["KmsDataKeyReusePeriodSeconds"] = "300"
			q.Attrs["SqsManagedSseEnabled"] = "false"
		}
		for k, v := range attrs {
			q.Attrs[k] = v
		}
		return queues.Put(tx, ref.scope, q, name)
	})
	if err != nil {
		return nil, err
	}
	u := queueURL(reqHost(ctx), ref)
	return &sqsapi.CreateQueueOutput{QueueUrl: &u}, nil
}

// resolve finds the queue a QueueUrl names.
func (s *SQS) resolve(ctx *request.Context, raw *string) (queueRef, error) {
	if raw == nil {
		return queueRef{}, errMissingParam.New("The request must contain the parameter QueueUrl.")
	}
	if isQueueName(*raw) {
		// SQS takes a bare queue name for a URL, naming the caller's
		// queue in the request's region.
		return queueRef{scope: storage.Scope{Account: ctx.Account, Region: ctx.Region}, name: *raw}, nil
	}
	ref, ok := parseQueueURL(*raw, ctx.Region)
	if !ok {
		return queueRef{}, queueMissing()
	}
	return ref, nil
}

// isQueueName reports whether s is a queue name rather than a URL or path.
func isQueueName(s string) bool {
	return s != "" && !strings.ContainsAny(s, "/:")
}

// loadQueue reads the queue a QueueUrl names, or QueueDoesNotExist. The
// queue is the cached view (views.go): callers only read it, and the
// transaction that acts on it reads it again.
func (s *SQS) loadQueue(ctx *request.Context, raw *string) (queueRef, queue, error) {
	ref, err := s.resolve(ctx, raw)
	if err != nil {
		return ref, queue{}, err
	}
	q, found, err := s.viewQueue(ref)
	if err != nil {
		return ref, q, err
	}
	if !found {
		return ref, q, queueMissing()
	}
	return ref, q, nil
}

// GetQueueUrl returns the URL of a queue by name.
func (s *SQS) GetQueueUrl(ctx *request.Context, in *sqsapi.GetQueueUrlInput) (*sqsapi.GetQueueUrlOutput, error) {
	acct := ctx.Account
	if in.QueueOwnerAWSAccountId != nil && *in.QueueOwnerAWSAccountId != "" {
		acct = *in.QueueOwnerAWSAccountId
	}
	ref := queueRef{scope: storage.Scope{Account: acct, Region: ctx.Region}, name: *in.QueueName}
	var found bool
	err := s.store.View(func(tx storage.Tx) error {
		_, ok := tx.Get(queues.Key(ref.scope, ref.name))
		found = ok
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, queueMissing()
	}
	u := queueURL(reqHost(ctx), ref)
	return &sqsapi.GetQueueUrlOutput{QueueUrl: &u}, nil
}

// DeleteQueue deletes a queue and its messages.
func (s *SQS) DeleteQueue(ctx *request.Context, in *sqsapi.DeleteQueueInput) (*sqsapi.DeleteQueueOutput, error) {
	ref, err := s.resolve(ctx, in.QueueUrl)
	if err != nil {
		return nil, err
	}
	now := ctx.Now()
	err = s.updateQueues(func(tx storage.Tx) error {
		if _, ok := tx.Get(queues.Key(ref.scope, ref.name)); !ok {
			return queueMissing()
		}
		if err := queues.Delete(tx, ref.scope, ref.name); err != nil {
			return err
		}
		if err := seqs.Delete(tx, ref.scope, ref.name); err != nil {
			return err
		}
		if err := storage.DeletePrefix(tx, messages.Key(ref.scope, ref.name)); err != nil {
			return err
		}
		if err := storage.DeletePrefix(tx, dedups.Key(ref.scope, ref.name)); err != nil {
			return err
		}
		if err := storage.DeletePrefix(tx, attempts.Key(ref.scope, ref.name)); err != nil {
			return err
		}
		return deleted.Put(tx, ref.scope, now, ref.name)
	})
	if err != nil {
		return nil, err
	}
	s.wake.broadcast(ref)
	return &sqsapi.DeleteQueueOutput{}, nil
}

// ListQueues lists queue URLs by name prefix, paginated when MaxResults is
// given (as SQS does: without it, up to 1000 and no token).
func (s *SQS) ListQueues(ctx *request.Context, in *sqsapi.ListQueuesInput) (*sqsapi.ListQueuesOutput, error) {
	sc := storage.Scope{Account: ctx.Account, Region: ctx.Region}
	limit := 1000
	paged := in.MaxResults != nil
	if paged {
		limit = int(*in.MaxResults)
		if limit < 1 || limit > 1000 {
			return nil, errInvalidParamValue.New("Value %d for parameter MaxResults is invalid. Reason: MaxResults must be an integer between 1 and 1000.", limit)
		}
	}
	opts := storage.ListOptions{Limit: limit + 1}
	if in.QueueNamePrefix != nil {
		opts.Partial = *in.QueueNamePrefix
	}
	if in.NextToken != nil && *in.NextToken != "" {
		after, err := decodeToken(*in.NextToken)
		if err != nil {
			return nil, errInvalidParamValue.New("Invalid NextToken value.")
		}
		opts.After = []string{after}
	}
	out := &sqsapi.ListQueuesOutput{}
	var last string
	err := s.store.View(func(tx storage.Tx) error {
		return queues.List(tx, sc, nil, opts, func(key []string, q queue) bool {
			if len(out.QueueUrls) == limit {
				if paged {
					tok := encodeToken(last)
					out.NextToken = &tok
				}
				return false
			}
			last = q.Name
			out.QueueUrls = append(out.QueueUrls, queueURL(reqHost(ctx), queueRef{scope: sc, name: q.Name}))
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// GetQueueAttributes returns the named attributes ("All" for every one).
func (s *SQS) GetQueueAttributes(ctx *request.Context, in *sqsapi.GetQueueAttributesInput) (*sqsapi.GetQueueAttributesOutput, error) {
	ref, err := s.resolve(ctx, in.QueueUrl)
	if err != nil {
		return nil, err
	}
	now := ctx.Now()
	var q queue
	var visible, inflight, delayed int
	err = s.store.View(func(tx storage.Tx) error {
		var found bool
		var err error
		q, found, err = queues.Get(tx, ref.scope, ref.name)
		if err != nil {
			return err
		}
		if !found {
			return queueMissing()
		}
		retention := time.Duration(q.intAttr("MessageRetentionPeriod")) * time.Second
		return scanMessages(tx, ref, false, func(_ string, m msgHead, _ []byte) (bool, error) {
			switch {
			case !m.Sent.Add(retention).After(now):
			case m.VisibleAt.After(now) && m.Received:
				inflight++
			case m.VisibleAt.After(now):
				delayed++
			default:
				visible++
			}
			return true, nil
		})
	})
	if err != nil {
		return nil, err
	}
	all := map[string]string{}
	for k, v := range q.Attrs {
		if v != "" || k == "Policy" {
			all[k] = v
		}
	}
	if all["Policy"] == "" {
		delete(all, "Policy")
	}
	all["ApproximateNumberOfMessages"] = strconv.Itoa(visible)
	all["ApproximateNumberOfMessagesNotVisible"] = strconv.Itoa(inflight)
	all["ApproximateNumberOfMessagesDelayed"] = strconv.Itoa(delayed)
	all["CreatedTimestamp"] = strconv.FormatInt(q.Created.Unix(), 10)
	all["LastModifiedTimestamp"] = strconv.FormatInt(q.Modified.Unix(), 10)
	all["QueueArn"] = ref.arn()
	out := map[string]string{}
	for _, n := range in.AttributeNames {
		if n == "All" {
			out = all
			break
		}
		_, isSettable := settable[n]
		known := isSettable
		for _, r := range readOnly {
			known = known || r == n
		}
		if !known || (settable[n].fifoOnly && !q.fifo()) {
			return nil, errInvalidAttrName.New("Unknown Attribute %s.", n)
		}
		if v, ok := all[n]; ok {
			out[n] = v
		}
	}
	if len(in.AttributeNames) == 0 {
		out = nil // no names asked, no Attributes; names asked, a map even if empty
	}
	return &sqsapi.GetQueueAttributesOutput{Attributes: out}, nil
}

// SetQueueAttributes changes settable attributes; an empty Policy,
// RedrivePolicy or RedriveAllowPolicy removes it.
func (s *SQS) SetQueueAttributes(ctx *request.Context, in *sqsapi.SetQueueAttributesInput) (*sqsapi.SetQueueAttributesOutput, error) {
	ref, err := s.resolve(ctx, in.QueueUrl)
	if err != nil {
		return nil, err
	}
	err = s.updateQueues(func(tx storage.Tx) error {
		q, found, err := queues.Get(tx, ref.scope, ref.name)
		if err != nil {
			return err
		}
		if !found {
			return queueMissing()
		}
		// FifoQueue is no attribute of a standard queue; a FIFO queue
		// keeps its type.
		if v, ok := in.Attributes["FifoQueue"]; ok {
			if !q.fifo() {
				return errInvalidAttrName.New("Unknown Attribute FifoQueue.")
			}
			if v != "true" {
				return errInvalidAttrValue.New("Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported.")
			}
		}
		if err := s.checkAttrs(tx, ctx, ref, in.Attributes, q.fifo()); err != nil {
			return err
		}
		for k, v := range in.Attributes {
			if k == "FifoQueue" {
				continue
			}
			q.Attrs[k] = v
		}
		// The two kinds of server-side encryption exclude each other:
		// choosing a KMS key turns SSE-SQS off, and SSE-SQS drops the key.
		if _, ok := in.Attributes["KmsMasterKeyId"]; ok && in.Attributes["KmsMasterKeyId"] != "" {
			q.Attrs["SqsManagedSseEnabled"] = "false"
			if q.Attrs["KmsDataKeyReusePeriodSeconds"] == "" {
				q.Attrs["KmsDataKeyReusePeriodSeconds"] = "300"
			}
		} else if in.Attributes["SqsManagedSseEnabled"] == "true" {
			delete(q.Attrs, "KmsMasterKeyId")
			delete(q.Attrs, "KmsDataKeyReusePeriodSeconds")
		}
		q.Modified = ctx.Now()
		return queues.Put(tx, ref.scope, q, ref.name)
	})
	if err != nil {
		return nil, err
	}
	s.wake.broadcast(ref) // a shorter delay or a redrive may change what is receivable
	return &sqsapi.SetQueueAttributesOutput{}, nil
}

// PurgeQueue deletes the queue's messages and FIFO deduplication ids,
// once per 60 seconds.
func (s *SQS) PurgeQueue(ctx *request.Context, in *sqsapi.PurgeQueueInput) (*sqsapi.PurgeQueueOutput, error) {
	ref, err := s.resolve(ctx, in.QueueUrl)
	if err != nil {
		return nil, err
	}
	now := ctx.Now()
	err = s.updateQueues(func(tx storage.Tx) error {
		q, found, err := queues.Get(tx, ref.scope, ref.name)
		if err != nil {
			return err
		}
		if !found {
			return queueMissing()
		}
		if !q.PurgedAt.IsZero() && now.Sub(q.PurgedAt) < 60*time.Second {
			return errPurgeInProgress.New("Only one PurgeQueue operation on %s is allowed every 60 seconds.", ref.name)
		}
		q.PurgedAt = now
		if err := queues.Put(tx, ref.scope, q, ref.name); err != nil {
			return err
		}
		if err := storage.DeletePrefix(tx, messages.Key(ref.scope, ref.name)); err != nil {
			return err
		}
		// A purge also forgets the FIFO deduplication ids: a message
		// sent again after it is delivered (as on SQS).
		return storage.DeletePrefix(tx, dedups.Key(ref.scope, ref.name))
	})
	if err != nil {
		return nil, err
	}
	return &sqsapi.PurgeQueueOutput{}, nil
}

// TagQueue adds or replaces tags.
func (s *SQS) TagQueue(ctx *request.Context, in *sqsapi.TagQueueInput) (*sqsapi.TagQueueOutput, error) {
	if len(in.Tags) == 0 {
		return nil, errMissingParam.New("The request must contain the parameter Tags.")
	}
	return &sqsapi.TagQueueOutput{}, s.updateQueue(ctx, in.QueueUrl, func(q *queue) error {
		if q.Tags == nil {
			q.Tags = map[string]string{}
		}
		for k, v := range in.Tags {
			q.Tags[k] = v
		}
		if len(q.Tags) > 50 {
			return errInvalidParamValue.New("Too many tags added for queue %s.", q.Name)
		}
		return nil
	})
}

// UntagQueue removes tags.
func (s *SQS) UntagQueue(ctx *request.Context, in *sqsapi.UntagQueueInput) (*sqsapi.UntagQueueOutput, error) {
	if len(in.TagKeys) == 0 {
		return nil, errMissingParam.New("The request must contain the parameter TagKeys.")
	}
	return &sqsapi.UntagQueueOutput{}, s.updateQueue(ctx, in.QueueUrl, func(q *queue) error {
		for _, k := range in.TagKeys {
			delete(q.Tags, k)
		}
		return nil
	})
}

// ListQueueTags returns the queue's tags.
func (s *SQS) ListQueueTags(ctx *request.Context, in *sqsapi.ListQueueTagsInput) (*sqsapi.ListQueueTagsOutput, error) {
	_, q, err := s.loadQueue(ctx, in.QueueUrl)
	if err != nil {
		return nil, err
	}
	// SQS answers an empty map for a queue without tags.
	out := &sqsapi.ListQueueTagsOutput{Tags: map[string]string{}}
	for k, v := range q.Tags {
		out.Tags[k] = v
	}
	return out, nil
}

// AddPermission adds a labelled statement to the queue policy.
func (s *SQS) AddPermission(ctx *request.Context, in *sqsapi.AddPermissionInput) (*sqsapi.AddPermissionOutput, error) {
	if len(in.AWSAccountIds) == 0 {
		return nil, errMissingParam.New("The request must contain the parameter AWSAccountIds.")
	}
	if len(in.Actions) == 0 {
		return nil, errMissingParam.New("The request must contain the parameter Actions.")
	}
	if !validLabel(*in.Label) {
		return nil, errInvalidParamValue.New("Value %s for parameter Label is invalid. Reason: Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length.", *in.Label)
	}
	// An action is one of SQS's operation names or "*"; a prefixed
	// "SQS:SendMessage" (the policy spelling) is refused as SQS does.
	ops := sqsapi.Spec().Operations
	for _, a := range in.Actions {
		if a != "*" && !slices.Contains(ops, a) {
			return nil, errInvalidParamValue.New("Value %s for parameter ActionName is invalid. Reason: Please refer to the appropriate WSDL for a list of valid actions.", a)
		}
	}
	return &sqsapi.AddPermissionOutput{}, s.updateQueue(ctx, in.QueueUrl, func(q *queue) error {
		if _, dup := q.Permissions[*in.Label]; dup {
			return errInvalidParamValue.New("Value %s for parameter Label is invalid. Reason: Already exists.", *in.Label)
		}
		if q.Permissions == nil {
			q.Permissions = map[string]permission{}
		}
		q.Permissions[*in.Label] = permission{Accounts: in.AWSAccountIds, Actions: in.Actions}
		q.Attrs["Policy"] = permissionsPolicy(q, queueRef{scope: storage.Scope{Account: ctx.Account, Region: ctx.Region}, name: q.Name})
		return nil
	})
}

// validLabel reports whether l is an AddPermission label: 1 to 80
// alphanumeric characters, hyphens or underscores.
func validLabel(l string) bool {
	return validQueueName(l, false)
}

// RemovePermission removes a labelled statement.
func (s *SQS) RemovePermission(ctx *request.Context, in *sqsapi.RemovePermissionInput) (*sqsapi.RemovePermissionOutput, error) {
	return &sqsapi.RemovePermissionOutput{}, s.updateQueue(ctx, in.QueueUrl, func(q *queue) error {
		if _, ok := q.Permissions[*in.Label]; !ok {
			return errInvalidParamValue.New("Value %s for parameter Label is invalid. Reason: can't find label.", *in.Label)
		}
		delete(q.Permissions, *in.Label)
		q.Attrs["Policy"] = permissionsPolicy(q, queueRef{scope: storage.Scope{Account: ctx.Account, Region: ctx.Region}, name: q.Name})
		return nil
	})
}

// permissionsPolicy renders AddPermission labels as the policy document
// SQS shows in the Policy attribute.
func permissionsPolicy(q *queue, ref queueRef) string {
	if len(q.Permissions) == 0 {
		return ""
	}
	labels := make([]string, 0, len(q.Permissions))
	for l := range q.Permissions {
		labels = append(labels, l)
	}
	sort.Strings(labels)
	// SQS writes a single principal or action as a string, several as a
	// list, in a 2008-10-17 policy, keeping the statements' and members'
	// order.
	oneOrMany := func(v []string) any {
		if len(v) == 1 {
			return v[0]
		}
		return v
	}
	type statement struct {
		Sid       string         `json:"Sid"`
		Effect    string         `json:"Effect"`
		Principal map[string]any `json:"Principal"`
		Action    any            `json:"Action"`
		Resource  string         `json:"Resource"`
	}
	var stmts []statement
	for _, l := range labels {
		p := q.Permissions[l]
		principals := make([]string, len(p.Accounts))
		for i, a := range p.Accounts {
			principals[i] = "arn:aws:iam::" + a + ":root"
		}
		actions := make([]string, len(p.Actions))
		for i, a := range p.Actions {
			actions[i] = "SQS:" + a
		}
		stmts = append(stmts, statement{Sid: l, Effect: "Allow", Principal: map[string]any{"AWS": oneOrMany(principals)},
			Action: oneOrMany(actions), Resource: ref.arn()})
	}
	doc, _ := json.Marshal(struct {
		Version   string      `json:"Version"`
		ID        string      `json:"Id"`
		Statement []statement `json:"Statement"`
	}{"2008-10-17", ref.arn() + "/SQSDefaultPolicy", stmts})
	return string(doc)
}

func (s *SQS) updateQueue(ctx *request.Context, raw *string, fn func(q *queue) error) error {
	ref, err := s.resolve(ctx, raw)
	if err != nil {
		return err
	}
	return s.updateQueues(func(tx storage.Tx) error {
		q, found, err := queues.Get(tx, ref.scope, ref.name)
		if err != nil {
			return err
		}
		if !found {
			return queueMissing()
		}
		if err := fn(&q); err != nil {
			return err
		}
		return queues.Put(tx, ref.scope, q, ref.name)
	})
}

// ListDeadLetterSourceQueues lists the queues whose RedrivePolicy targets
// this queue.
func (s *SQS) ListDeadLetterSourceQueues(ctx *request.Context, in *sqsapi.ListDeadLetterSourceQueuesInput) (*sqsapi.ListDeadLetterSourceQueuesOutput, error) {
	ref, err := s.resolve(ctx, in.QueueUrl)
	if err != nil {
		return nil, err
	}
	limit := 1000
	paged := in.MaxResults != nil
	if paged {
		limit = int(*in.MaxResults)
		if limit < 1 || limit > 1000 {
			return nil, errInvalidParamValue.New("Value %d for parameter MaxResults is invalid. Reason: MaxResults must be an integer between 1 and 1000.", limit)
		}
	}
	after := ""
	if in.NextToken != nil && *in.NextToken != "" {
		if after, err = decodeToken(*in.NextToken); err != nil {
			return nil, errInvalidParamValue.New("Invalid NextToken value.")
		}
	}
	out := &sqsapi.ListDeadLetterSourceQueuesOutput{QueueUrls: []string{}}
	err = s.store.View(func(tx storage.Tx) error {
		if _, ok := tx.Get(queues.Key(ref.scope, ref.name)); !ok {
			return queueMissing()
		}
		return queues.List(tx, ref.scope, nil, storage.ListOptions{}, func(_ []string, q queue) bool {
			if q.Name <= after && after != "" {
				return true
			}
			if t, _, ok := parseRedrive(q.Attrs["RedrivePolicy"]); !ok || t != ref.arn() {
				return true
			}
			if len(out.QueueUrls) == limit {
				if paged {
					tok := encodeToken(out.QueueUrls[len(out.QueueUrls)-1][strings.LastIndexByte(out.QueueUrls[len(out.QueueUrls)-1], '/')+1:])
					out.NextToken = &tok
				}
				return false
			}
			out.QueueUrls = append(out.QueueUrls, queueURL(reqHost(ctx), queueRef{scope: ref.scope, name: q.Name}))
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func encodeToken(name string) string { return fmt.Sprintf("%x", name) }

func decodeToken(tok string) (string, error) {
	var b []byte
	_, err := fmt.Sscanf(tok, "%x", &b)
	return string(b), err
}
