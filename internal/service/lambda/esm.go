package lambda

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"sync"
	"time"

	lambdaapi "github.com/niwa-cloud/niwa/internal/api/lambda"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Event source mappings, keyed (uuid). The API and its state transitions
// are complete; polling needs the source service (see QueueSource).
var mappings = storage.NewTable[lambdaapi.EventSourceMappingConfiguration]("esm")

// QueueMessage is a message an SQS event source mapping received.
type QueueMessage struct {
	MessageID         string
	ReceiptHandle     string
	Body              string
	MD5OfBody         string
	Attributes        map[string]string
	MessageAttributes map[string]any
}

// QueueSource is SQS as an event source mapping polls it. Receive takes up
// to max visible messages (making them invisible for the queue's
// visibility timeout and counting the receive toward its redrive policy,
// as ReceiveMessage does); Delete removes processed ones. Failed messages
// are simply not deleted: they come back after the visibility timeout and
// the queue's redrive policy moves them to its dead-letter queue.
type QueueSource interface {
	Receive(ctx context.Context, queueARN string, max int) ([]QueueMessage, error)
	Delete(ctx context.Context, queueARN string, receiptHandles []string) error
}

// SetQueueSource wires SQS for event source mappings and starts the
// pollers of the enabled SQS mappings already stored.
func (l *Lambda) SetQueueSource(q QueueSource) {
	l.pollers.mu.Lock()
	l.pollers.queues = q
	l.pollers.mu.Unlock()
	l.resyncPollers()
}

// resyncPollers starts the pollers of the enabled mappings already stored
// whose source is wired.
func (l *Lambda) resyncPollers() {
	var all []lambdaapi.EventSourceMappingConfiguration
	if err := l.opt.Store.View(func(tx storage.Tx) error {
		// Mappings of every account and region: scan the whole table.
		return tx.Scan(nil, storage.ScanOptions{}, func(k, v []byte) bool {
			parts, err := storage.SplitKey(k)
			if err == nil && len(parts) == 4 && parts[2] == mappings.Name() {
				var m lambdaapi.EventSourceMappingConfiguration
				if json.Unmarshal(v, &m) == nil {
					all = append(all, m)
				}
			}
			return true
		})
	}); err != nil {
		// Start the pollers of the mappings read; the next resync retries.
		l.opt.Log.Error("lambda: reading event source mappings failed; some pollers are not started", "err", err)
	}
	for _, m := range all {
		l.syncPoller(m)
	}
}

// pollers are the running SQS pollers by mapping UUID: a cache of what
// the stored mappings say, rebuilt by SetQueueSource.
type pollers struct {
	mu      sync.Mutex
	queues  QueueSource
	streams StreamSource
	running map[string]context.CancelFunc
}

func sourceService(arn string) string {
	parts := strings.SplitN(arn, ":", 4)
	if len(parts) < 3 {
		return ""
	}
	return parts[2]
}

// CreateEventSourceMapping maps a queue or stream to a function. The
// response says Creating, as AWS's does; the mapping is Enabled (or
// Disabled) at once.
func (l *Lambda) CreateEventSourceMapping(ctx *request.Context, in *lambdaapi.CreateEventSourceMappingRequest) (*lambdaapi.EventSourceMappingConfiguration, error) {
	sc := scope(ctx)
	name, qual, err := parseName(ctx, ptr.Deref(in.FunctionName), nil)
	if err != nil {
		return nil, err
	}
	src := ptr.Deref(in.EventSourceArn)
	svc := sourceService(src)
	batch, maxBatch := int32(100), int32(10000)
	switch svc {
	case "sqs":
		batch = 10
	case "dynamodb", "kinesis":
		if in.StartingPosition == nil {
			return nil, errInvalidParam("1 validation error detected: Value null at 'startingPosition' failed to satisfy constraint: Member must not be null.")
		}
		if svc == "dynamodb" && !strings.Contains(src, "/stream/") {
			return nil, errInvalidParam("Stream not found: %s", src)
		}
	case "kafka", "mq", "docdb":
	default:
		return nil, errInvalidParam("Unrecognized event source, must be kinesis, dynamodb stream, sqs, msk, mq or documentdb")
	}
	if svc == "sqs" && in.StartingPosition != nil {
		return nil, errInvalidParam("StartingPosition is not valid for SQS event sources.")
	}
	if in.BatchSize != nil {
		batch = *in.BatchSize
		if batch < 1 || batch > maxBatch {
			return nil, errInvalidParam("BatchSize must be between 1 and %d.", maxBatch)
		}
	}
	window := in.MaximumBatchingWindowInSeconds
	if svc == "sqs" && batch > 10 && (window == nil || *window < 1) {
		return nil, errInvalidParam("Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10")
	}
	if window == nil {
		window = ptr.To(int32(0))
	}
	fnARN := functionARN(sc, name)
	if qual != "" {
		fnARN += ":" + qual
	}
	filters, err := checkFilters(in.FilterCriteria)
	if err != nil {
		return nil, err
	}
	if err := checkOnFailure(in.DestinationConfig); err != nil {
		return nil, err
	}
	enabled := in.Enabled == nil || *in.Enabled
	now := ctx.Now()
	m := lambdaapi.EventSourceMappingConfiguration{
		UUID: ptr.To(awsid.UUID()), BatchSize: &batch, MaximumBatchingWindowInSeconds: window, EventSourceArn: &src,
		FunctionArn: &fnARN, LastModified: &now, State: ptr.To("Enabled"), StateTransitionReason: ptr.To("USER_INITIATED"),
		FilterCriteria: filters, FunctionResponseTypes: in.FunctionResponseTypes, ScalingConfig: in.ScalingConfig,
		DestinationConfig: in.DestinationConfig,
	}
	if !enabled {
		m.State = ptr.To("Disabled")
	}
	if svc != "sqs" {
		m.StartingPosition, m.StartingPositionTimestamp = in.StartingPosition, in.StartingPositionTimestamp
		m.ParallelizationFactor = orI32(in.ParallelizationFactor, 1)
		m.MaximumRecordAgeInSeconds = orI32(in.MaximumRecordAgeInSeconds, -1)
		m.MaximumRetryAttempts = orI32(in.MaximumRetryAttempts, -1)
		m.BisectBatchOnFunctionError = in.BisectBatchOnFunctionError
		if m.BisectBatchOnFunctionError == nil {
			f := false
			m.BisectBatchOnFunctionError = &f
		}
		m.TumblingWindowInSeconds = orI32(in.TumblingWindowInSeconds, 0)
		m.LastProcessingResult = ptr.To("No records processed")
		if m.DestinationConfig == nil {
			m.DestinationConfig = &lambdaapi.DestinationConfig{OnFailure: &lambdaapi.OnFailure{}}
		}
	}
	for _, t := range in.FunctionResponseTypes {
		if t != "ReportBatchItemFailures" {
			return nil, errInvalidParam("Invalid FunctionResponseType: %s", t)
		}
	}
	if err := l.checkSourceAccess(ctx, sc, name, qual, src); err != nil {
		return nil, err
	}
	err = l.opt.Store.Update(func(tx storage.Tx) error {
		if _, _, err := l.getFunction(tx, sc, name, qual); err != nil {
			return err
		}
		var dup string
		if err := mappings.List(tx, sc, nil, storage.ListOptions{}, func(_ []string, o lambdaapi.EventSourceMappingConfiguration) bool {
			if ptr.Deref(o.EventSourceArn) == src && ptr.Deref(o.FunctionArn) == fnARN {
				dup = ptr.Deref(o.UUID)
				return false
			}
			return true
		}); err != nil {
			return err
		}
		if dup != "" {
			return errConflict("An event source mapping with %s arn (\" %s \") and function (\" %s \") already exists. Please update or delete the existing mapping with UUID %s", strings.ToUpper(svc[:1])+svc[1:], src, name, dup)
		}
		return mappings.Put(tx, sc, m, *m.UUID)
	})
	if err != nil {
		return nil, err
	}
	l.syncPoller(m)
	out := m
	out.State = ptr.To("Creating")
	return &out, nil
}

func orI32(p *int32, def int32) *int32 {
	if p != nil {
		return p
	}
	return &def
}

func (l *Lambda) getMapping(ctx *request.Context, id string) (lambdaapi.EventSourceMappingConfiguration, error) {
	var m lambdaapi.EventSourceMappingConfiguration
	var ok bool
	err := l.opt.Store.View(func(tx storage.Tx) error {
		var err error
		m, ok, err = mappings.Get(tx, scope(ctx), id)
		return err
	})
	if err == nil && !ok {
		err = errNotFound("The resource you requested does not exist.")
	}
	return m, err
}

// GetEventSourceMapping returns a mapping.
func (l *Lambda) GetEventSourceMapping(ctx *request.Context, in *lambdaapi.GetEventSourceMappingRequest) (*lambdaapi.EventSourceMappingConfiguration, error) {
	m, err := l.getMapping(ctx, ptr.Deref(in.UUID))
	if err != nil {
		return nil, err
	}
	return &m, nil
}

// ListEventSourceMappings lists mappings by source and/or function.
func (l *Lambda) ListEventSourceMappings(ctx *request.Context, in *lambdaapi.ListEventSourceMappingsRequest) (*lambdaapi.ListEventSourceMappingsResponse, error) {
	sc := scope(ctx)
	fn := ""
	if in.FunctionName != nil {
		name, qual, err := parseName(ctx, *in.FunctionName, nil)
		if err != nil {
			return nil, err
		}
		fn = functionARN(sc, name)
		if qual != "" {
			fn += ":" + qual
		}
	}
	max := pageSize(in.MaxItems, 10000)
	after, err := marker(in.Marker)
	if err != nil {
		return nil, err
	}
	out := &lambdaapi.ListEventSourceMappingsResponse{EventSourceMappings: []lambdaapi.EventSourceMappingConfiguration{}}
	opts := storage.ListOptions{}
	if after != "" {
		opts.After = []string{after}
	}
	err = l.opt.Store.View(func(tx storage.Tx) error {
		return mappings.List(tx, sc, nil, opts, func(_ []string, m lambdaapi.EventSourceMappingConfiguration) bool {
			if (in.EventSourceArn != nil && ptr.Deref(m.EventSourceArn) != *in.EventSourceArn) || (fn != "" && ptr.Deref(m.FunctionArn) != fn) {
				return true
			}
			if len(out.EventSourceMappings) == max {
				out.NextMarker = ptr.To(base64.RawURLEncoding.EncodeToString([]byte(ptr.Deref(out.EventSourceMappings[max-1].UUID))))
				return false
			}
			out.EventSourceMappings = append(out.EventSourceMappings, m)
			return true
		})
	})
	return out, err
}

// UpdateEventSourceMapping changes a mapping; enabling or disabling it
// answers Enabling/Disabling and takes effect at once.
func (l *Lambda) UpdateEventSourceMapping(ctx *request.Context, in *lambdaapi.UpdateEventSourceMappingRequest) (*lambdaapi.EventSourceMappingConfiguration, error) {
	sc := scope(ctx)
	if in.FunctionName != nil {
		// Moving the mapping to another function: that function's role
		// must be able to read the source.
		cur, err := l.getMapping(ctx, ptr.Deref(in.UUID))
		if err != nil {
			return nil, err
		}
		name, qual, err := parseName(ctx, *in.FunctionName, nil)
		if err != nil {
			return nil, err
		}
		if err := l.checkSourceAccess(ctx, sc, name, qual, ptr.Deref(cur.EventSourceArn)); err != nil {
			return nil, err
		}
	}
	var m lambdaapi.EventSourceMappingConfiguration
	transition := ""
	err := l.opt.Store.Update(func(tx storage.Tx) error {
		var ok bool
		var err error
		m, ok, err = mappings.Get(tx, sc, ptr.Deref(in.UUID))
		if err != nil {
			return err
		}
		if !ok {
			return errNotFound("The resource you requested does not exist.")
		}
		if in.FunctionName != nil {
			name, qual, err := parseName(ctx, *in.FunctionName, nil)
			if err != nil {
				return err
			}
			if _, _, err := l.getFunction(tx, sc, name, qual); err != nil {
				return err
			}
			arn := functionARN(sc, name)
			if qual != "" {
				arn += ":" + qual
			}
			m.FunctionArn = &arn
		}
		if in.BatchSize != nil {
			if *in.BatchSize < 1 || *in.BatchSize > 10000 {
				return errInvalidParam("BatchSize must be between 1 and 10000.")
			}
			m.BatchSize = in.BatchSize
		}
		if in.MaximumBatchingWindowInSeconds != nil {
			m.MaximumBatchingWindowInSeconds = in.MaximumBatchingWindowInSeconds
		}
		if in.FilterCriteria != nil {
			fc, err := checkFilters(in.FilterCriteria)
			if err != nil {
				return err
			}
			m.FilterCriteria = fc
		}
		if in.FunctionResponseTypes != nil {
			m.FunctionResponseTypes = in.FunctionResponseTypes
		}
		if in.MaximumRetryAttempts != nil {
			m.MaximumRetryAttempts = in.MaximumRetryAttempts
		}
		if in.MaximumRecordAgeInSeconds != nil {
			m.MaximumRecordAgeInSeconds = in.MaximumRecordAgeInSeconds
		}
		if in.BisectBatchOnFunctionError != nil {
			m.BisectBatchOnFunctionError = in.BisectBatchOnFunctionError
		}
		if in.DestinationConfig != nil {
			if err := checkOnFailure(in.DestinationConfig); err != nil {
				return err
			}
			m.DestinationConfig = in.DestinationConfig
		}
		if in.ScalingConfig != nil {
			m.ScalingConfig = in.ScalingConfig
		}
		if in.Enabled != nil {
			if *in.Enabled && ptr.Deref(m.State) != "Enabled" {
				m.State, transition = ptr.To("Enabled"), "Enabling"
			} else if !*in.Enabled && ptr.Deref(m.State) != "Disabled" {
				m.State, transition = ptr.To("Disabled"), "Disabling"
			}
		}
		now := ctx.Now()
		m.LastModified = &now
		return mappings.Put(tx, sc, m, ptr.Deref(in.UUID))
	})
	if err != nil {
		return nil, err
	}
	l.syncPoller(m)
	out := m
	if transition != "" {
		out.State = ptr.To(transition)
	} else {
		out.State = ptr.To("Updating")
	}
	return &out, nil
}

// DeleteEventSourceMapping removes a mapping; the response says Deleting.
func (l *Lambda) DeleteEventSourceMapping(ctx *request.Context, in *lambdaapi.DeleteEventSourceMappingRequest) (*lambdaapi.EventSourceMappingConfiguration, error) {
	m, err := l.getMapping(ctx, ptr.Deref(in.UUID))
	if err != nil {
		return nil, err
	}
	if err := l.opt.Store.Update(func(tx storage.Tx) error {
		if err := positions.Delete(tx, scope(ctx), ptr.Deref(in.UUID)); err != nil {
			return err
		}
		return mappings.Delete(tx, scope(ctx), ptr.Deref(in.UUID))
	}); err != nil {
		return nil, err
	}
	m.State = ptr.To("Disabled")
	l.syncPoller(m)
	m.State = ptr.To("Deleting")
	return &m, nil
}

// syncPoller starts or stops the poller of an SQS mapping to match its
// state.
func (l *Lambda) syncPoller(m lambdaapi.EventSourceMappingConfiguration) {
	svc := sourceService(ptr.Deref(m.EventSourceArn))
	if svc != "sqs" && svc != "dynamodb" {
		return
	}
	p := &l.pollers
	p.mu.Lock()
	defer p.mu.Unlock()
	id := ptr.Deref(m.UUID)
	if cancel, ok := p.running[id]; ok {
		cancel()
		delete(p.running, id)
	}
	if ptr.Deref(m.State) != "Enabled" || (svc == "sqs" && p.queues == nil) || (svc == "dynamodb" && p.streams == nil) {
		return
	}
	if p.running == nil {
		p.running = map[string]context.CancelFunc{}
	}
	ctx, cancel := context.WithCancel(background())
	p.running[id] = cancel
	if svc == "dynamodb" {
		go l.pollStream(ctx, p.streams, m)
		return
	}
	go l.pollSQS(ctx, p.queues, m)
}

func (l *Lambda) stopPollers() {
	p := &l.pollers
	p.mu.Lock()
	defer p.mu.Unlock()
	for id, cancel := range p.running {
		cancel()
		delete(p.running, id)
	}
}

// pollSQS delivers batches from a queue to the function until ctx ends:
// a successful batch is deleted; a failed one is left to come back after
// the visibility timeout, except the items the function did not report
// as failures when it uses ReportBatchItemFailures.
func (l *Lambda) pollSQS(ctx context.Context, q QueueSource, m lambdaapi.EventSourceMappingConfiguration) {
	queue := ptr.Deref(m.EventSourceArn)
	sc, name, qual, err := parseARN(ptr.Deref(m.FunctionArn))
	if err != nil {
		return
	}
	parts := strings.Split(queue, ":")
	region := ""
	if len(parts) > 3 {
		region = parts[3]
	}
	reportFailures := contains(m.FunctionResponseTypes, "ReportBatchItemFailures")
	filter := compileFilters(m.FilterCriteria)
	idle := func() bool {
		select {
		case <-ctx.Done():
			return false
		case <-l.opt.Clock.After(time.Second):
			return true
		}
	}
	// problem is the last access refusal logged ("" while allowed): the
	// mapping stays Enabled and keeps polling, the messages stay in the
	// queue, until the role may read it again.
	problem := ""
	access := func(t target, action string) bool {
		msg := l.pollAccess(ctx, t, name, queue, []string{action})
		if msg != problem {
			if msg != "" {
				l.opt.Log.Warn("lambda: event source mapping cannot read its queue", "mapping", ptr.Deref(m.UUID), "problem", msg)
			} else {
				l.opt.Log.Info("lambda: event source mapping can read its queue again", "mapping", ptr.Deref(m.UUID))
			}
			problem = msg
		}
		return msg == ""
	}
	for ctx.Err() == nil {
		t, err := l.resolve(sc, name, qual)
		if err != nil || !access(t, "sqs:ReceiveMessage") {
			if !idle() {
				return
			}
			continue
		}
		msgs, err := q.Receive(ctx, queue, int(*m.BatchSize))
		if err != nil || len(msgs) == 0 {
			if !idle() {
				return
			}
			continue
		}
		// Deleting (processed or filtered out) needs sqs:DeleteMessage:
		// without it the messages come back after the visibility timeout.
		canDelete := access(t, "sqs:DeleteMessage")
		records := make([]map[string]any, 0, len(msgs))
		matched := msgs[:0:0]
		var dropped []string
		for _, msg := range msgs {
			attrs := msg.Attributes
			if attrs == nil {
				attrs = map[string]string{}
			}
			ma := msg.MessageAttributes
			if ma == nil {
				ma = map[string]any{}
			}
			rec := map[string]any{
				"messageId": msg.MessageID, "receiptHandle": msg.ReceiptHandle, "body": msg.Body,
				"attributes": attrs, "messageAttributes": ma, "md5OfBody": msg.MD5OfBody,
				"eventSource": "aws:sqs", "eventSourceARN": queue, "awsRegion": region,
			}
			// A message no filter matches is deleted, never delivered.
			if !filter.match(sqsFilterView(rec)) {
				dropped = append(dropped, msg.ReceiptHandle)
				continue
			}
			records = append(records, rec)
			matched = append(matched, msg)
		}
		if len(dropped) > 0 && canDelete {
			_ = q.Delete(ctx, queue, dropped)
		}
		if len(matched) == 0 {
			continue
		}
		msgs = matched
		payload, _ := json.Marshal(map[string]any{"Records": records})
		res, err := l.run(ctx, t, awsid.UUID(), payload, "")
		if err != nil || res == nil {
			continue // throttled or could not start: the messages come back
		}
		var done []string
		if res.FunctionError == "" {
			done = processed(msgs, res.Payload, reportFailures)
		}
		if len(done) > 0 && canDelete {
			_ = q.Delete(ctx, queue, done)
		}
	}
}

// processed returns the receipt handles of the messages a successful
// invocation processed. Without ReportBatchItemFailures that is the whole
// batch. With it, AWS's rules apply: a null or empty response, or a null
// or empty batchItemFailures list, is complete success; invalid JSON, or
// an item whose itemIdentifier is missing, null, empty or not a message of
// the batch, fails the whole batch; otherwise every message but the
// reported ones is processed.
func processed(msgs []QueueMessage, payload []byte, reportFailures bool) []string {
	all := make([]string, 0, len(msgs))
	for _, m := range msgs {
		all = append(all, m.ReceiptHandle)
	}
	if !reportFailures || len(strings.TrimSpace(string(payload))) == 0 {
		return all
	}
	var v any
	if json.Unmarshal(payload, &v) != nil {
		return nil
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return all
	}
	items, _ := obj["batchItemFailures"].([]any)
	if obj["batchItemFailures"] != nil && items == nil {
		return nil
	}
	inBatch := map[string]bool{}
	for _, m := range msgs {
		inBatch[m.MessageID] = true
	}
	failed := map[string]bool{}
	for _, it := range items {
		o, _ := it.(map[string]any)
		id, _ := o["itemIdentifier"].(string)
		if id == "" || !inBatch[id] {
			return nil
		}
		failed[id] = true
	}
	var done []string
	for _, m := range msgs {
		if !failed[m.MessageID] {
			done = append(done, m.ReceiptHandle)
		}
	}
	return done
}
