package events

import "time"

// RecordSink receives the CloudTrail record of every API call niwa
// answers (internal/audit builds them once, for every service): the
// service that keeps event history and delivers trails registers itself
// with HandleRecords. Unlike EventBridge, which sees only mutating calls
// through Subscribe, a record sink sees read-only calls and data events
// too, as CloudTrail does.
type RecordSink interface {
	// WantsRecords reports cheaply whether the sink keeps records of
	// account and region — of data events (S3 object calls, Lambda
	// invocations, item and message calls) when data is true — so the
	// audit hook builds none that would be dropped: data-plane calls are
	// most of a busy niwa's calls and CloudTrail keeps them only for
	// trails that select them.
	WantsRecords(account, region string, data bool) bool
	// Record takes one record. It runs in the caller's goroutine before
	// the call is answered, so it must return quickly and hand storage to
	// its own batching.
	Record(r Record)
}

// Record is one CloudTrail record as the record sink receives it.
type Record struct {
	// Event is the record in the envelope EventBridge events carry; its
	// Detail is the record's JSON, the bytes the sink keeps and delivers,
	// or empty when Detail builds it.
	Event Event
	// Detail, when Event.Detail is empty, appends the record's JSON: the
	// sink builds it when it stores the record, in its own batches off
	// the call's path, into a buffer it reuses. The value must not change
	// once handed over.
	Detail RecordDetail
	// Fields are the record's fields the sink indexes, as the record's
	// builder set them, so that the sink need not parse Detail back (a
	// large share of a cheap call's CPU). Nil for a record known only by
	// its JSON: the sink reads them from Detail.
	Fields *RecordFields
}

// RecordDetail builds a record's JSON.
type RecordDetail interface {
	// AppendDetail appends the record's JSON to dst (nothing when it
	// cannot be encoded).
	AppendDetail(dst []byte) []byte
}

// AppendDetail appends r's JSON to dst: Event.Detail, or what Detail
// builds.
func (r *Record) AppendDetail(dst []byte) []byte {
	if len(r.Event.Detail) > 0 || r.Detail == nil {
		return append(dst, r.Event.Detail...)
	}
	return r.Detail.AppendDetail(dst)
}

// RecordFields are what a CloudTrail record's JSON holds under these
// names, for the sink's indexes (LookupEvents attributes, trails' event
// selectors).
type RecordFields struct {
	Time       time.Time // eventTime
	Name       string    // eventName
	Source     string    // eventSource
	ReadOnly   bool      // readOnly
	Management bool      // managementEvent
	EventType  string    // eventType
	ErrorCode  string    // errorCode
	// userIdentity's type, arn, accessKeyId, userName and invokedBy.
	UserType, UserARN, AccessKeyID, UserName, InvokedBy string
	// RequestParameters is requestParameters (nil for null): member
	// names to their values as the JSON renders them.
	RequestParameters map[string]any
}

// HandleRecords makes sink the receiver of CloudTrail records; a later
// registration replaces an earlier.
func (b *Bus) HandleRecords(sink RecordSink) {
	b.mu.Lock()
	b.records = sink
	b.mu.Unlock()
}

// recordSink returns the registered sink, or nil.
func (b *Bus) recordSink() RecordSink {
	if b == nil {
		return nil
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.records
}

// WantsRecords reports whether a record sink wants the records of
// account and region (of data events when data is true).
func (b *Bus) WantsRecords(account, region string, data bool) bool {
	s := b.recordSink()
	return s != nil && s.WantsRecords(account, region, data)
}

// PublishRecord hands r to the record sink, if any, in the caller's
// goroutine.
func (b *Bus) PublishRecord(r Record) {
	if s := b.recordSink(); s != nil {
		s.Record(r)
	}
}
