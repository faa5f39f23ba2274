package lambda

import (
	"encoding/json"
	"strings"
	"sync"
	"time"

	lambdaapi "github.com/niwa-cloud/niwa/internal/api/lambda"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/clock"
	"github.com/niwa-cloud/niwa/internal/events"
	rt "github.com/niwa-cloud/niwa/internal/lambda"
	"github.com/niwa-cloud/niwa/internal/lazyre"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// invokeConfigs are the asynchronous invocation settings, keyed (name,
// qualifier) with "$LATEST" for the unqualified function.
var invokeConfigs = storage.NewTable[lambdaapi.FunctionEventInvokeConfig]("invoke-config")

type invokeConfigsT struct{}

func (invokeConfigsT) deleteAll(tx storage.Tx, sc storage.Scope, name string) error {
	return deleteUnder(tx, sc, invokeConfigs.Name(), name)
}

// asyncJob is one queued asynchronous invocation.
type asyncJob struct {
	sc        storage.Scope
	name      string
	qual      string
	payload   []byte
	requestID string
	enqueued  time.Time
	attempt   int
}

// pendingEvent is an asynchronous event not yet done with, as stored: the
// queue survives a restart (with --data-dir) because every event is
// written here when it is queued or scheduled for a retry, and removed
// when its outcome is final. Keyed (requestId).
type pendingEvent struct {
	Name      string
	Qual      string
	Payload   []byte
	RequestID string
	Enqueued  time.Time
	// Attempt is how many times the event has run.
	Attempt int
	// Due is when it runs (again).
	Due time.Time
}

var pendingEvents = storage.NewTable[pendingEvent]("async-pending")

// asyncQueue runs Event invocations in the background with AWS's retry
// policy (two retries, one and two minutes apart on the clock, by
// default), then sends the outcome to the configured destinations or the
// dead-letter queue. Pending events and their retry times are stored
// (pendingEvents); the goroutines and clock timers that run them are a
// cache of that, rebuilt by resume.
type asyncQueue struct {
	l      *Lambda
	mu     sync.Mutex
	timers map[clock.Timer]bool
	closed bool
	wg     sync.WaitGroup
}

func newAsyncQueue(l *Lambda) *asyncQueue { return &asyncQueue{l: l, timers: map[clock.Timer]bool{}} }

// enqueue stores a new event and runs it.
func (q *asyncQueue) enqueue(j asyncJob) {
	q.persist(j, j.enqueued)
	q.submit(j)
}

// persist stores j to run at due.
func (q *asyncQueue) persist(j asyncJob, due time.Time) {
	err := q.l.opt.Store.Update(func(tx storage.Tx) error {
		return pendingEvents.Put(tx, j.sc, pendingEvent{
			Name: j.name, Qual: j.qual, Payload: j.payload, RequestID: j.requestID,
			Enqueued: j.enqueued, Attempt: j.attempt, Due: due,
		}, j.requestID)
	})
	if err != nil {
		q.l.opt.Log.Warn("lambda: storing an asynchronous event failed", "requestId", j.requestID, "error", err)
	}
}

// done forgets j: its outcome is final.
func (q *asyncQueue) done(j asyncJob) {
	err := q.l.opt.Store.Update(func(tx storage.Tx) error {
		return pendingEvents.Delete(tx, j.sc, j.requestID)
	})
	if err != nil {
		q.l.opt.Log.Warn("lambda: removing an asynchronous event failed", "requestId", j.requestID, "error", err)
	}
}

// resume schedules the stored events of every account and region: those
// due run now, the others when their retry time comes on the clock.
func (q *asyncQueue) resume() {
	var jobs []asyncJob
	var due []time.Time
	if err := q.l.opt.Store.View(func(tx storage.Tx) error {
		return tx.Scan(nil, storage.ScanOptions{}, func(k, v []byte) bool {
			parts, err := storage.SplitKey(k)
			if err != nil || len(parts) != 4 || parts[2] != pendingEvents.Name() {
				return true
			}
			var p pendingEvent
			if json.Unmarshal(v, &p) == nil {
				jobs = append(jobs, asyncJob{
					sc: storage.Scope{Account: parts[0], Region: parts[1]}, name: p.Name, qual: p.Qual,
					payload: p.Payload, requestID: p.RequestID, enqueued: p.Enqueued, attempt: p.Attempt,
				})
				due = append(due, p.Due)
			}
			return true
		})
	}); err != nil {
		// Resume what was read; the rest stays stored for the next start.
		q.l.opt.Log.Error("lambda: reading pending async events failed; some are not resumed", "err", err)
	}
	now := q.l.opt.Clock.Now()
	for i, j := range jobs {
		if d := due[i].Sub(now); d > 0 {
			q.schedule(d, j)
		} else {
			q.submit(j)
		}
	}
}

func (q *asyncQueue) isClosed() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.closed
}

func (q *asyncQueue) submit(j asyncJob) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return
	}
	q.wg.Add(1)
	go func() {
		defer q.wg.Done()
		q.runJob(j)
	}()
}

// later stores j to run again after d and schedules it.
func (q *asyncQueue) later(d time.Duration, j asyncJob) {
	q.persist(j, q.l.opt.Clock.Now().Add(d))
	q.schedule(d, j)
}

func (q *asyncQueue) schedule(d time.Duration, j asyncJob) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return
	}
	var t clock.Timer
	t = q.l.opt.Clock.AfterFunc(d, func() {
		q.mu.Lock()
		delete(q.timers, t)
		q.mu.Unlock()
		q.submit(j)
	})
	q.timers[t] = true
}

func (q *asyncQueue) close() {
	q.mu.Lock()
	q.closed = true
	for t := range q.timers {
		t.Stop()
	}
	q.timers = map[clock.Timer]bool{}
	q.mu.Unlock()
}

func (q *asyncQueue) reset() {
	q.mu.Lock()
	for t := range q.timers {
		t.Stop()
	}
	q.timers = map[clock.Timer]bool{}
	q.mu.Unlock()
}

// Wait blocks until every running asynchronous invocation has finished
// (not the retries scheduled on the clock); tests use it.
func (l *Lambda) WaitAsync() { l.async.wg.Wait() }

func (q *asyncQueue) runJob(j asyncJob) {
	l := q.l
	j.attempt++
	cfg := l.invokeConfig(j.sc, j.name, j.qual)
	retries, maxAge := 2, 6*time.Hour
	if cfg.MaximumRetryAttempts != nil {
		retries = int(*cfg.MaximumRetryAttempts)
	}
	if cfg.MaximumEventAgeInSeconds != nil {
		maxAge = time.Duration(*cfg.MaximumEventAgeInSeconds) * time.Second
	}
	t, err := l.resolve(j.sc, j.name, j.qual)
	if err != nil {
		q.done(j) // the function is gone
		return
	}
	if l.opt.Clock.Now().Sub(j.enqueued) > maxAge {
		q.fail(j, t, cfg, nil, "EventAgeExceeded")
		return
	}
	res, err := l.run(background(), t, j.requestID, j.payload, "")
	if q.isClosed() {
		// niwa is stopping: the event stays stored and runs again after
		// the restart.
		return
	}
	if err != nil {
		if lambdaapi.ErrTooManyRequestsException.Is(err) || lambdaapi.ErrServiceException.Is(err) {
			// Throttles and system errors are retried for up to the
			// maximum event age, not counted as attempts.
			j.attempt--
			q.later(time.Minute, j)
			return
		}
		q.fail(j, t, cfg, nil, "RetriesExhausted")
		return
	}
	if res.FunctionError == "" {
		q.destination(j, t, cfg, res, "Success")
		q.done(j)
		return
	}
	if j.attempt <= retries {
		q.later(time.Duration(j.attempt)*time.Minute, j)
		return
	}
	q.fail(j, t, cfg, res, "RetriesExhausted")
}

// fail sends a failed event to the on-failure destination and the
// function's dead-letter queue.
func (q *asyncQueue) fail(j asyncJob, t target, cfg lambdaapi.FunctionEventInvokeConfig, res *rt.Result, condition string) {
	defer q.done(j)
	q.destination(j, t, cfg, res, condition)
	dlq := t.v.Config.DeadLetterConfig
	if dlq == nil || ptr.Deref(dlq.TargetArn) == "" || q.l.opt.Bus == nil {
		return
	}
	attrs := map[string]string{"RequestID": j.requestID, "ErrorCode": "200"}
	if res != nil {
		var e struct {
			ErrorMessage string `json:"errorMessage"`
		}
		_ = json.Unmarshal(res.Payload, &e)
		attrs["ErrorMessage"] = e.ErrorMessage
	}
	err := q.l.opt.Bus.Deliver(background(), events.Message{
		TargetARN: *dlq.TargetArn, Body: string(j.payload), Attributes: attrs,
		SourceService: "lambda.amazonaws.com", SourceARN: functionARN(j.sc, j.name), SourceAccount: j.sc.Account,
	})
	if err != nil {
		q.l.opt.Log.Warn("lambda: dead-letter delivery failed", "target", *dlq.TargetArn, "error", err)
	}
}

// destination sends an invocation record to OnSuccess or OnFailure.
func (q *asyncQueue) destination(j asyncJob, t target, cfg lambdaapi.FunctionEventInvokeConfig, res *rt.Result, condition string) {
	if cfg.DestinationConfig == nil || q.l.opt.Bus == nil {
		return
	}
	var dest string
	if condition == "Success" {
		if cfg.DestinationConfig.OnSuccess != nil {
			dest = ptr.Deref(cfg.DestinationConfig.OnSuccess.Destination)
		}
	} else if cfg.DestinationConfig.OnFailure != nil {
		dest = ptr.Deref(cfg.DestinationConfig.OnFailure.Destination)
	}
	if dest == "" {
		return
	}
	rec := map[string]any{
		"version":   "1.0",
		"timestamp": q.l.opt.Clock.Now().UTC().Format("2006-01-02T15:04:05.000Z"),
		"requestContext": map[string]any{
			"requestId":              j.requestID,
			"functionArn":            functionARN(j.sc, j.name) + ":" + ptr.Deref(t.v.Config.Version),
			"condition":              condition,
			"approximateInvokeCount": j.attempt,
		},
		"requestPayload": json.RawMessage(orNull(j.payload)),
	}
	if res != nil {
		rc := map[string]any{"statusCode": 200, "executedVersion": ptr.Deref(t.v.Config.Version)}
		if res.FunctionError != "" {
			rc["functionError"] = res.FunctionError
		}
		rec["responseContext"] = rc
		rec["responsePayload"] = json.RawMessage(orNull(res.Payload))
	}
	body, _ := json.Marshal(rec)
	err := q.l.opt.Bus.Deliver(background(), events.Message{
		TargetARN: dest, Body: string(body),
		SourceService: "lambda.amazonaws.com", SourceARN: functionARN(j.sc, j.name), SourceAccount: j.sc.Account,
	})
	if err != nil {
		q.l.opt.Log.Warn("lambda: destination delivery failed", "target", dest, "error", err)
	}
}

func orNull(b []byte) []byte {
	if len(b) == 0 || !json.Valid(b) {
		if len(b) == 0 {
			return []byte("null")
		}
		s, _ := json.Marshal(string(b))
		return s
	}
	return b
}

func (l *Lambda) invokeConfig(sc storage.Scope, name, qual string) lambdaapi.FunctionEventInvokeConfig {
	if qual == "" {
		qual = latest
	}
	var c lambdaapi.FunctionEventInvokeConfig
	if err := l.opt.Store.View(func(tx storage.Tx) error {
		var err error
		c, _, err = invokeConfigs.Get(tx, sc, name, qual)
		return err
	}); err != nil {
		// The invocation goes on with the default retries and no
		// destinations rather than being lost.
		l.opt.Log.Warn("lambda: reading the event invoke config failed; using defaults", "function", name, "qualifier", qual, "err", err)
		return lambdaapi.FunctionEventInvokeConfig{}
	}
	return c
}

func (l *Lambda) putInvokeConfig(ctx *request.Context, fnName string, qualifier *string, update bool,
	retries, age *int32, dest *lambdaapi.DestinationConfig) (*lambdaapi.FunctionEventInvokeConfig, error) {
	sc := scope(ctx)
	name, qual, err := parseName(ctx, fnName, qualifier)
	if err != nil {
		return nil, err
	}
	if qual == "" {
		qual = latest
	}
	if age != nil && (*age < 60 || *age > 21600) {
		return nil, errInvalidParam("1 validation error detected: Value '%d' at 'maximumEventAgeInSeconds' failed to satisfy constraint: Member must have value between 60 and 21600", *age)
	}
	if retries != nil && (*retries < 0 || *retries > 2) {
		return nil, errInvalidParam("1 validation error detected: Value '%d' at 'maximumRetryAttempts' failed to satisfy constraint: Member must have value less than or equal to 2", *retries)
	}
	if err := checkDestinations(sc, name, dest); err != nil {
		return nil, err
	}
	var c lambdaapi.FunctionEventInvokeConfig
	err = l.opt.Store.Update(func(tx storage.Tx) error {
		if _, _, err := l.getFunction(tx, sc, name, qual); err != nil {
			return err
		}
		cur, ok, err := invokeConfigs.Get(tx, sc, name, qual)
		if err != nil {
			return err
		}
		if update && !ok {
			return errNotFound("The function %s doesn't have an EventInvokeConfig", functionARN(sc, name)+":"+qual)
		}
		if !update {
			cur = lambdaapi.FunctionEventInvokeConfig{}
		}
		now := ctx.Now()
		cur.LastModified = &now
		cur.FunctionArn = ptr.To(functionARN(sc, name) + ":" + qual)
		if retries != nil || !update {
			cur.MaximumRetryAttempts = retries
		}
		if age != nil || !update {
			cur.MaximumEventAgeInSeconds = age
		}
		if dest != nil || !update {
			cur.DestinationConfig = dest
		}
		if cur.DestinationConfig == nil {
			cur.DestinationConfig = &lambdaapi.DestinationConfig{OnSuccess: &lambdaapi.OnSuccess{}, OnFailure: &lambdaapi.OnFailure{}}
		}
		c = cur
		return invokeConfigs.Put(tx, sc, cur, name, qual)
	})
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// destinationPattern is the model's DestinationArn pattern (an empty
// destination clears it).
var destinationPattern = lazyre.New(`^(?:$|kafka://(?:[^.](?:[a-zA-Z0-9\-_.]{0,248}))|arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\-]+):([a-z]{2}(?:(?:-gov)|(?:-iso(?:[a-z]?)))?-[a-z]+-\d{1})?:(\d{12})?:(.*))$`)

// checkDestinations validates an event invoke config's destinations as
// AWS does: the model's pattern (ValidationException), then the kinds of
// resource asynchronous invocations deliver to (InvalidParameterValue).
func checkDestinations(sc storage.Scope, name string, dest *lambdaapi.DestinationConfig) error {
	if dest == nil {
		return nil
	}
	check := func(field string, arn *string, onFailure bool) error {
		if arn == nil || *arn == "" {
			return nil
		}
		m := destinationPattern.FindStringSubmatch(*arn)
		if m == nil || len(*arn) > 350 {
			return awserr.ValidationException.New("1 validation error detected: Value '%s' at 'destinationConfig.%s.destination' failed to satisfy constraint: Member must satisfy regular expression pattern: $|kafka://([^.]([a-zA-Z0-9\\-_.]{0,248}))|arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\\-])+:([a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1})?:(\\d{12})?:(.*)", *arn, field)
		}
		switch m[2] {
		case "sqs", "sns", "events":
		case "lambda":
			if _, fn, _, err := parseARN(*arn); err == nil && fn == name && strings.HasPrefix(*arn, functionARN(sc, name)) {
				return errInvalidParam("You can't specify the function as a destination for itself.")
			}
		case "s3":
			if onFailure {
				// AWS takes an S3 bucket as a failure destination; niwa
				// has no S3 delivery of invocation records, and a record
				// silently lost is worse than a refusal.
				return errInvalidParam("The destination ARN %s is invalid. niwa delivers asynchronous invocation records to SQS queues, SNS topics, Lambda functions and EventBridge buses; S3 failure destinations are not supported.", *arn)
			}
			return errInvalidParam("The destination ARN %s is invalid.", *arn)
		default:
			return errInvalidParam("The destination ARN %s is invalid.", *arn)
		}
		return nil
	}
	if dest.OnSuccess != nil {
		if err := check("onSuccess", dest.OnSuccess.Destination, false); err != nil {
			return err
		}
	}
	if dest.OnFailure != nil {
		return check("onFailure", dest.OnFailure.Destination, true)
	}
	return nil
}

// PutFunctionEventInvokeConfig replaces the async settings.
func (l *Lambda) PutFunctionEventInvokeConfig(ctx *request.Context, in *lambdaapi.PutFunctionEventInvokeConfigRequest) (*lambdaapi.FunctionEventInvokeConfig, error) {
	return l.putInvokeConfig(ctx, ptr.Deref(in.FunctionName), in.Qualifier, false, in.MaximumRetryAttempts, in.MaximumEventAgeInSeconds, in.DestinationConfig)
}

// UpdateFunctionEventInvokeConfig changes some async settings.
func (l *Lambda) UpdateFunctionEventInvokeConfig(ctx *request.Context, in *lambdaapi.UpdateFunctionEventInvokeConfigRequest) (*lambdaapi.FunctionEventInvokeConfig, error) {
	if in.MaximumRetryAttempts == nil && in.MaximumEventAgeInSeconds == nil && in.DestinationConfig == nil {
		return nil, errInvalidParam("You must specify at least one of error handling or destination setting.")
	}
	return l.putInvokeConfig(ctx, ptr.Deref(in.FunctionName), in.Qualifier, true, in.MaximumRetryAttempts, in.MaximumEventAgeInSeconds, in.DestinationConfig)
}

// GetFunctionEventInvokeConfig returns the async settings.
func (l *Lambda) GetFunctionEventInvokeConfig(ctx *request.Context, in *lambdaapi.GetFunctionEventInvokeConfigRequest) (*lambdaapi.FunctionEventInvokeConfig, error) {
	sc := scope(ctx)
	name, qual, err := parseName(ctx, ptr.Deref(in.FunctionName), in.Qualifier)
	if err != nil {
		return nil, err
	}
	if qual == "" {
		qual = latest
	}
	var c lambdaapi.FunctionEventInvokeConfig
	err = l.opt.Store.View(func(tx storage.Tx) error {
		if _, _, err := l.getFunction(tx, sc, name, qual); err != nil {
			return err
		}
		var ok bool
		c, ok, err = invokeConfigs.Get(tx, sc, name, qual)
		if err == nil && !ok {
			err = errNotFound("The function %s doesn't have an EventInvokeConfig", functionARN(sc, name)+":"+qual)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// DeleteFunctionEventInvokeConfig removes the async settings.
func (l *Lambda) DeleteFunctionEventInvokeConfig(ctx *request.Context, in *lambdaapi.DeleteFunctionEventInvokeConfigRequest) (*lambdaapi.DeleteFunctionEventInvokeConfigOutput, error) {
	if _, err := l.GetFunctionEventInvokeConfig(ctx, &lambdaapi.GetFunctionEventInvokeConfigRequest{FunctionName: in.FunctionName, Qualifier: in.Qualifier}); err != nil {
		return nil, err
	}
	sc := scope(ctx)
	name, qual, _ := parseName(ctx, ptr.Deref(in.FunctionName), in.Qualifier)
	if qual == "" {
		qual = latest
	}
	err := l.opt.Store.Update(func(tx storage.Tx) error { return invokeConfigs.Delete(tx, sc, name, qual) })
	if err != nil {
		return nil, err
	}
	return &lambdaapi.DeleteFunctionEventInvokeConfigOutput{}, nil
}

// ListFunctionEventInvokeConfigs lists a function's async settings.
func (l *Lambda) ListFunctionEventInvokeConfigs(ctx *request.Context, in *lambdaapi.ListFunctionEventInvokeConfigsRequest) (*lambdaapi.ListFunctionEventInvokeConfigsResponse, error) {
	sc := scope(ctx)
	name, _, err := parseName(ctx, ptr.Deref(in.FunctionName), nil)
	if err != nil {
		return nil, err
	}
	out := &lambdaapi.ListFunctionEventInvokeConfigsResponse{FunctionEventInvokeConfigs: []lambdaapi.FunctionEventInvokeConfig{}}
	err = l.opt.Store.View(func(tx storage.Tx) error {
		if _, _, err := l.getFunction(tx, sc, name, ""); err != nil {
			return err
		}
		return invokeConfigs.List(tx, sc, []string{name}, storage.ListOptions{}, func(_ []string, c lambdaapi.FunctionEventInvokeConfig) bool {
			out.FunctionEventInvokeConfigs = append(out.FunctionEventInvokeConfigs, c)
			return true
		})
	})
	return out, err
}
