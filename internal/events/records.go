package events

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
	// Record takes one record, an Event whose Detail is the record's
	// JSON (the same envelope EventBridge events carry). It runs in the
	// caller's goroutine before the call is answered, so it must return
	// quickly and hand storage to its own batching.
	Record(e Event)
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

// PublishRecord hands e to the record sink, if any, in the caller's
// goroutine.
func (b *Bus) PublishRecord(e Event) {
	if s := b.recordSink(); s != nil {
		s.Record(e)
	}
}
