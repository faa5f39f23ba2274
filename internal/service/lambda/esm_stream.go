package lambda

import (
	"context"
	"encoding/json"
	"time"

	lambdaapi "github.com/niwa-cloud/niwa/internal/api/lambda"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/events"
	rt "github.com/niwa-cloud/niwa/internal/lambda"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// StreamRecord is one record of a DynamoDB stream as an event source
// mapping delivers it: Event is the record of the Lambda event (eventID,
// eventName, eventVersion, eventSource, awsRegion, dynamodb{...}) without
// eventSourceARN, which the poller adds.
type StreamRecord struct {
	SequenceNumber string
	// ShardID is the record's shard, named in on-failure records.
	ShardID string
	Event   map[string]any
}

// StreamSource is DynamoDB Streams as an event source mapping reads it:
// up to limit records at or after sequence number from ("" is the oldest
// record still in the stream), and the sequence number to continue from.
type StreamSource interface {
	ReadStream(ctx context.Context, streamARN, from string, limit int) ([]StreamRecord, string, error)
}

// SetStreamSource wires DynamoDB Streams for event source mappings and
// starts the pollers of the enabled stream mappings already stored.
func (l *Lambda) SetStreamSource(s StreamSource) {
	l.pollers.mu.Lock()
	l.pollers.streams = s
	l.pollers.mu.Unlock()
	l.resyncPollers()
}

// streamPosition is where a stream mapping continues reading: the
// checkpoint survives disabling, updating and restarts, as AWS's does.
type streamPosition struct {
	Next string
}

var positions = storage.NewTable[streamPosition]("esmpos")

// How often an idle stream is polled (AWS: four times a second) and how
// long a failed batch waits before it is retried.
const (
	streamPollInterval  = 250 * time.Millisecond
	streamRetryInterval = time.Second
)

// pollStream delivers a stream's records to the function in order until
// ctx ends. A failed batch is retried, blocking the shard, until it
// succeeds, MaximumRetryAttempts is exhausted or (AWS's default -1) never;
// with BisectBatchOnFunctionError a failed batch is split in two and the
// halves retried first, so that one bad record is isolated. Records older
// than MaximumRecordAgeInSeconds (on the clock) are discarded unprocessed.
// Discarded batches are described to the mapping's on-failure
// destination.
func (l *Lambda) pollStream(ctx context.Context, src StreamSource, m lambdaapi.EventSourceMappingConfiguration) {
	stream := ptr.Deref(m.EventSourceArn)
	id := ptr.Deref(m.UUID)
	sc, name, qual, err := parseARN(ptr.Deref(m.FunctionArn))
	if err != nil {
		return
	}
	wait := func(d time.Duration) bool {
		select {
		case <-ctx.Done():
			return false
		case <-l.opt.Clock.After(d):
			return true
		}
	}
	// result is the LastProcessingResult this poller last stored ("":
	// not yet): "PROBLEM: Cannot access stream ..." while the execution
	// role may not read the stream, "OK" after a successful batch.
	result := ""
	setResult := func(r string) {
		if r != result {
			l.setProcessingResult(sc, id, r)
			result = r
		}
	}
	// readable tells whether the function's role may read the stream,
	// once per poll; while it may not, nothing is read and the position
	// stays, so the records wait for the permission to come back.
	readable := func() bool {
		if l.opt.RoleAccess == nil {
			return true
		}
		t, err := l.resolve(sc, name, qual)
		if err != nil {
			return false
		}
		msg := l.pollAccess(ctx, t, name, stream, streamSourceActions)
		if msg != "" {
			if result != "PROBLEM: "+msg {
				l.opt.Log.Warn("lambda: event source mapping cannot read its stream", "mapping", id, "problem", msg)
			}
			setResult("PROBLEM: " + msg)
			return false
		}
		return true
	}
	pos, ok := l.loadPosition(sc, id)
	for !ok {
		if !readable() {
			if !wait(streamPollInterval) {
				return
			}
			continue
		}
		start, err := l.startingPoint(ctx, src, stream, ptr.Deref(m.StartingPosition))
		if err == nil {
			pos, ok = start, true
			l.savePosition(sc, id, pos)
		} else if !wait(streamPollInterval) {
			return
		}
	}
	batch := 100
	if m.BatchSize != nil && *m.BatchSize > 0 {
		batch = int(*m.BatchSize)
	}
	maxRetries := -1
	if m.MaximumRetryAttempts != nil {
		maxRetries = int(*m.MaximumRetryAttempts)
	}
	maxAge := time.Duration(-1)
	if m.MaximumRecordAgeInSeconds != nil && *m.MaximumRecordAgeInSeconds >= 0 {
		maxAge = time.Duration(*m.MaximumRecordAgeInSeconds) * time.Second
	}
	bisect := m.BisectBatchOnFunctionError != nil && *m.BisectBatchOnFunctionError
	filter := compileFilters(m.FilterCriteria)
	size, attempts := batch, 0
	// last is the latest failed invocation of the batch being retried.
	var last *rt.Result
	for ctx.Err() == nil {
		if !readable() {
			if !wait(streamPollInterval) {
				return
			}
			continue
		}
		recs, next, err := src.ReadStream(ctx, stream, pos, size)
		if err != nil || len(recs) == 0 {
			if !wait(streamPollInterval) {
				return
			}
			continue
		}
		if maxAge >= 0 {
			// Records are in order: the expired ones are a prefix.
			cut := l.opt.Clock.Now().Add(-maxAge)
			n := 0
			for n < len(recs) && recordTime(recs[n]).Before(cut) {
				n++
			}
			if n > 0 {
				l.streamFailure(m, recs[:n], "RecordAgeExceeded", last, attempts)
				if n < len(recs) {
					pos = recs[n].SequenceNumber
				} else {
					pos = next
				}
				size, attempts, last = batch, 0, nil
				l.savePosition(sc, id, pos)
				continue
			}
		}
		events := make([]map[string]any, 0, len(recs))
		for _, r := range recs {
			ev := make(map[string]any, len(r.Event)+1)
			for k, v := range r.Event {
				ev[k] = v
			}
			ev["eventSourceARN"] = stream
			// Records no filter matches are skipped.
			if filter.match(ev) {
				events = append(events, ev)
			}
		}
		if len(events) == 0 {
			pos, size, attempts = next, batch, 0
			l.savePosition(sc, id, pos)
			continue
		}
		payload, _ := json.Marshal(map[string]any{"Records": events})
		t, err := l.resolve(sc, name, qual)
		if err != nil {
			if !wait(streamRetryInterval) {
				return
			}
			continue
		}
		res, err := l.run(ctx, t, awsid.UUID(), payload, "")
		if err != nil || res == nil {
			// Throttled or could not start: not a function error, retry.
			if !wait(streamRetryInterval) {
				return
			}
			continue
		}
		if res.FunctionError == "" {
			pos, size, attempts, last = next, batch, 0, nil
			l.savePosition(sc, id, pos)
			setResult("OK")
			continue
		}
		last = res
		if bisect && len(recs) > 1 {
			size = len(recs) / 2
			continue
		}
		attempts++
		if maxRetries >= 0 && attempts > maxRetries {
			l.streamFailure(m, recs, "RetryAttemptsExhausted", res, attempts)
			pos, size, attempts, last = next, batch, 0, nil
			l.savePosition(sc, id, pos)
			continue
		}
		if !wait(streamRetryInterval) {
			return
		}
	}
}

// recordTime is a stream record's ApproximateCreationDateTime (epoch
// seconds); the zero time when it has none.
func recordTime(r StreamRecord) time.Time {
	d, _ := r.Event["dynamodb"].(map[string]any)
	var sec float64
	switch v := d["ApproximateCreationDateTime"].(type) {
	case float64:
		sec = v
	case int64:
		sec = float64(v)
	case json.Number:
		sec, _ = v.Float64()
	default:
		return time.Time{}
	}
	return time.Unix(0, int64(sec*float64(time.Second))).UTC()
}

// streamFailure sends AWS's invocation record for a discarded batch to
// the mapping's on-failure destination (SQS or SNS), through the bus.
// condition is RetryAttemptsExhausted or RecordAgeExceeded; res is the
// last failed invocation of the batch, nil when it never ran; invokes is
// how many times the batch ran.
func (l *Lambda) streamFailure(m lambdaapi.EventSourceMappingConfiguration, recs []StreamRecord, condition string, res *rt.Result, invokes int) {
	dest := ""
	if m.DestinationConfig != nil && m.DestinationConfig.OnFailure != nil {
		dest = ptr.Deref(m.DestinationConfig.OnFailure.Destination)
	}
	if dest == "" || l.opt.Bus == nil || len(recs) == 0 {
		return
	}
	sc, name, qual, err := parseARN(ptr.Deref(m.FunctionArn))
	if err != nil {
		return
	}
	arrival := func(r StreamRecord) string {
		t := recordTime(r)
		if t.IsZero() {
			return ""
		}
		return t.Format("2006-01-02T15:04:05Z")
	}
	first, lastRec := recs[0], recs[len(recs)-1]
	rec := map[string]any{
		"requestContext": map[string]any{
			"requestId":              awsid.UUID(),
			"functionArn":            ptr.Deref(m.FunctionArn),
			"condition":              condition,
			"approximateInvokeCount": invokes,
		},
		"version":   "1.0",
		"timestamp": l.opt.Clock.Now().UTC().Format("2006-01-02T15:04:05.000Z"),
		"DDBStreamBatchInfo": map[string]any{
			"shardId":                         first.ShardID,
			"startSequenceNumber":             first.SequenceNumber,
			"endSequenceNumber":               lastRec.SequenceNumber,
			"approximateArrivalOfFirstRecord": arrival(first),
			"approximateArrivalOfLastRecord":  arrival(lastRec),
			"batchSize":                       len(recs),
			"streamArn":                       ptr.Deref(m.EventSourceArn),
		},
	}
	if res != nil {
		version := latest
		if t, err := l.resolve(sc, name, qual); err == nil {
			version = ptr.Deref(t.v.Config.Version)
		}
		rc := map[string]any{"statusCode": 200, "executedVersion": version}
		if res.FunctionError != "" {
			rc["functionError"] = res.FunctionError
		}
		rec["responseContext"] = rc
	}
	body, _ := json.Marshal(rec)
	err = l.opt.Bus.Deliver(background(), events.Message{
		TargetARN: dest, Body: string(body),
		SourceService: "lambda.amazonaws.com", SourceARN: functionARN(sc, name), SourceAccount: sc.Account,
	})
	if err != nil {
		l.opt.Log.Warn("lambda: on-failure destination delivery failed", "mapping", ptr.Deref(m.UUID), "target", dest, "error", err)
	}
}

// startingPoint is where a new mapping starts: TRIM_HORIZON at the oldest
// record, LATEST after the newest one (AT_TIMESTAMP is treated as
// TRIM_HORIZON).
func (l *Lambda) startingPoint(ctx context.Context, src StreamSource, stream, start string) (string, error) {
	if start != "LATEST" {
		return "", nil
	}
	pos := ""
	for {
		recs, next, err := src.ReadStream(ctx, stream, pos, 1000)
		if err != nil {
			return "", err
		}
		if len(recs) == 0 {
			return pos, nil
		}
		pos = next
	}
}

func (l *Lambda) loadPosition(sc storage.Scope, id string) (string, bool) {
	var p streamPosition
	var ok bool
	if err := l.opt.Store.View(func(tx storage.Tx) error {
		var err error
		p, ok, err = positions.Get(tx, sc, id)
		return err
	}); err != nil {
		// Without its checkpoint the mapping starts from its starting
		// position, as a new one would: records may be read again, none lost.
		l.opt.Log.Warn("lambda: reading a stream mapping's checkpoint failed", "mapping", id, "err", err)
		return "", false
	}
	return p.Next, ok
}

func (l *Lambda) savePosition(sc storage.Scope, id, next string) {
	if err := l.opt.Store.Update(func(tx storage.Tx) error {
		// A mapping deleted meanwhile keeps no checkpoint.
		if _, ok, err := mappings.Get(tx, sc, id); err != nil || !ok {
			return err
		}
		return positions.Put(tx, sc, streamPosition{Next: next}, id)
	}); err != nil {
		// The poller keeps its position in memory; only a restart would
		// read these records again.
		l.opt.Log.Warn("lambda: saving a stream mapping's checkpoint failed", "mapping", id, "err", err)
	}
}
