package scheduler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/clock"
	ibus "github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/events/schedule"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Retry defaults of a target without a RetryPolicy (AWS: 185 attempts,
// 24 hours).
const (
	defaultMaxRetries = 185
	defaultMaxAge     = 24 * time.Hour
)

func randomJitter(window time.Duration) time.Duration {
	if window <= 0 {
		return 0
	}
	return rand.N(window)
}

// armed is a schedule's timer; gen tells a firing whether it is still the
// current timer of its schedule.
type armed struct {
	clock.Timer
	gen uint64
}

func (s *Scheduler) disarm(key string) {
	s.tmu.Lock()
	if t, ok := s.timers[key]; ok {
		t.Stop()
		delete(s.timers, key)
	}
	s.tmu.Unlock()
}

// armAll arms every stored schedule (at start, so schedules survive a
// restart with --data-dir).
func (s *Scheduler) armAll() {
	var recs []indexRecord
	if err := s.store.View(func(tx storage.Tx) error {
		return index.List(tx, storage.Scope{}, nil, storage.ListOptions{}, func(_ []string, r indexRecord) bool {
			recs = append(recs, r)
			return true
		})
	}); err != nil {
		s.log.Error("scheduler: reading schedules failed; some are not armed", "err", err)
	}
	now := s.clock.Now()
	for _, x := range recs {
		sc := storage.Scope{Account: x.Account, Region: x.Region}
		r, err := s.getSchedule(sc, x.Group, x.Name)
		if err != nil {
			s.log.Error("scheduler: reading a schedule failed; it is not armed", "schedule", x.Name, "err", err)
			continue
		}
		s.arm(sc, r, now)
	}
}

// parsed is a schedule's expression read in its time zone.
func parsed(r scheduleRecord) (schedule.Schedule, error) {
	loc := time.UTC
	if r.Timezone != "" {
		l, err := time.LoadLocation(r.Timezone)
		if err != nil {
			return nil, err
		}
		loc = l
	}
	anchor := r.Created
	if r.StartDate != nil {
		anchor = *r.StartDate
	}
	return schedule.ParseIn(r.Expression, anchor, loc)
}

// nextAfter is the schedule's first invocation time after t within its
// StartDate and EndDate, or zero.
func nextAfter(r scheduleRecord, sch schedule.Schedule, t time.Time) time.Time {
	if r.StartDate != nil && t.Before(*r.StartDate) {
		if _, at := sch.(schedule.At); !at {
			t = r.StartDate.Add(-time.Nanosecond)
		}
	}
	n := sch.Next(t)
	if n.IsZero() || (r.EndDate != nil && n.After(*r.EndDate)) {
		return time.Time{}
	}
	return n
}

// arm (re)arms a schedule's timer for its next invocation after now; a
// disabled schedule has none. A schedule with nothing left to run and
// ActionAfterCompletion DELETE is deleted.
func (s *Scheduler) arm(sc storage.Scope, r scheduleRecord, now time.Time) {
	key := timerKey(sc, r.Group, r.Name)
	s.disarm(key)
	if r.State != "ENABLED" {
		return
	}
	sch, err := parsed(r)
	if err != nil {
		return
	}
	next := nextAfter(r, sch, now)
	if next.IsZero() {
		s.completed(sc, r)
		return
	}
	s.armAt(sc, r, key, next, now)
}

func (s *Scheduler) armAt(sc storage.Scope, r scheduleRecord, key string, at, now time.Time) {
	delay := at.Sub(now)
	if r.FlexibleMode == "FLEXIBLE" {
		delay += s.jitter(time.Duration(r.FlexibleWindowMinutes) * time.Minute)
	}
	s.tmu.Lock()
	defer s.tmu.Unlock()
	select {
	case <-s.stop:
		return
	default:
	}
	s.gen++
	gen := s.gen
	t := s.clock.AfterFunc(delay, func() { s.fire(sc, r.Group, r.Name, r.Version, at, gen) })
	s.timers[key] = armed{Timer: t, gen: gen}
}

// completed deletes a schedule that will not run again when its
// ActionAfterCompletion says so.
func (s *Scheduler) completed(sc storage.Scope, r scheduleRecord) {
	if r.ActionAfterCompletion != "DELETE" {
		return
	}
	// Deleted meanwhile is as good as deleted now.
	if err := s.delete(sc, r.Group, r.Name); err != nil {
		s.log.Debug("scheduler: deleting a completed schedule", "schedule", r.Name, "err", err)
	}
}

// fire invokes the schedule's target for the invocation due at, if the
// schedule still exists unchanged and enabled, and arms the next one.
func (s *Scheduler) fire(sc storage.Scope, group, name string, version int64, at time.Time, gen uint64) {
	key := timerKey(sc, group, name)
	s.tmu.Lock()
	cur, current := s.timers[key]
	s.tmu.Unlock()
	if !current || cur.gen != gen {
		return
	}
	r, err := s.getSchedule(sc, group, name)
	if err != nil || r.Version != version || r.State != "ENABLED" {
		return
	}
	d := &delivery{s: s, sc: sc, r: r, scheduled: at, execID: awsid.UUID(), first: s.clock.Now()}
	s.pending.Add(1)
	// The next invocation is armed (or the schedule completed) before
	// this one is delivered: whoever sees the delivery and moves the
	// clock on finds the next timer waiting.
	s.armNext(sc, key, r, at)
	go d.attempt()
}

// armNext arms the invocation after the one due at, or completes the
// schedule when none is left.
func (s *Scheduler) armNext(sc storage.Scope, key string, r scheduleRecord, at time.Time) {
	sch, err := parsed(r)
	if err != nil {
		return
	}
	now := s.clock.Now()
	// If the clock jumped over several invocations, the missed ones are
	// not replayed: continue from now.
	from := at
	if now.After(from) {
		from = now
	}
	next := nextAfter(r, sch, from)
	if next.IsZero() {
		s.disarm(key)
		s.completed(sc, r)
		return
	}
	s.armAt(sc, r, key, next, now)
}

// delivery is one invocation on its way to the target, with its retries.
type delivery struct {
	s         *Scheduler
	sc        storage.Scope
	r         scheduleRecord
	scheduled time.Time
	execID    string
	first     time.Time
	tries     int
}

// payload is what the target receives: Input with the context attributes
// filled in; for an event bus, an event whose detail is that input.
func (d *delivery) payload() string {
	arn := scheduleARN(d.sc, d.r.Group, d.r.Name)
	in := ptr.Deref(d.r.Target.Input)
	in = strings.NewReplacer(
		"<aws.scheduler.schedule-arn>", arn,
		"<aws.scheduler.scheduled-time>", d.scheduled.UTC().Format(time.RFC3339),
		"<aws.scheduler.execution-id>", d.execID,
		"<aws.scheduler.attempt-number>", strconv.Itoa(d.tries+1),
	).Replace(in)
	if ibus.ARNService(ptr.Deref(d.r.Target.Arn)) != "events" {
		return in
	}
	detail := json.RawMessage("{}")
	if json.Valid([]byte(in)) && strings.HasPrefix(strings.TrimSpace(in), "{") {
		detail = json.RawMessage(in)
	}
	p := ptr.Deref(d.r.Target.EventBridgeParameters)
	ev, _ := json.Marshal(struct {
		Version    string          `json:"version"`
		ID         string          `json:"id"`
		DetailType string          `json:"detail-type"`
		Source     string          `json:"source"`
		Account    string          `json:"account"`
		Time       string          `json:"time"`
		Region     string          `json:"region"`
		Resources  []string        `json:"resources"`
		Detail     json.RawMessage `json:"detail"`
	}{"0", d.execID, ptr.Deref(p.DetailType), ptr.Deref(p.Source), d.sc.Account, d.s.clock.Now().UTC().Format("2006-01-02T15:04:05Z"),
		d.sc.Region, []string{arn}, detail})
	return string(ev)
}

// actionOf is the API action the execution role needs for a target.
func actionOf(arn string) string {
	switch ibus.ARNService(arn) {
	case "sqs":
		return "sqs:SendMessage"
	case "lambda":
		return "lambda:InvokeFunction"
	case "sns":
		return "sns:Publish"
	case "events":
		return "events:PutEvents"
	}
	return ibus.ARNService(arn) + ":*"
}

// send delivers a message as the schedule's execution role: the role must
// be allowed the target's action (when the server checks roles).
func (d *delivery) send(ctx context.Context, m ibus.Message) error {
	if d.s.role != nil {
		denied, err := d.s.role(ctx, d.sc.Account, d.sc.Region, ptr.Deref(d.r.Target.RoleArn), "scheduler-"+d.execID, m.TargetARN, []string{actionOf(m.TargetARN)})
		if err != nil {
			return err
		}
		if denied != "" {
			return fmt.Errorf("AccessDenied: the execution role %s is not authorized to perform %s on %s", ptr.Deref(d.r.Target.RoleArn), denied, m.TargetARN)
		}
	}
	return d.s.bus.Deliver(ctx, m)
}

func (d *delivery) attempt() {
	s := d.s
	defer s.pending.Add(-1)
	select {
	case <-s.stop: // a retry due after Close
		return
	default:
	}
	t := d.r.Target
	m := ibus.Message{TargetARN: ptr.Deref(t.Arn), Body: d.payload(), SourceAccount: d.sc.Account}
	if p := t.SqsParameters; p != nil && p.MessageGroupId != nil {
		m.MessageGroupID, m.DeduplicationID = *p.MessageGroupId, d.execID
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	err := d.send(ctx, m)
	cancel()
	d.tries++
	if err == nil {
		return
	}
	s.log.Warn("scheduler: delivery failed", "schedule", d.r.Name, "target", m.TargetARN, "attempt", d.tries, "err", err)
	maxRetries, maxAge := defaultMaxRetries, defaultMaxAge
	if p := t.RetryPolicy; p != nil {
		if p.MaximumRetryAttempts != nil {
			maxRetries = int(*p.MaximumRetryAttempts)
		}
		if p.MaximumEventAgeInSeconds != nil {
			maxAge = time.Duration(*p.MaximumEventAgeInSeconds) * time.Second
		}
	}
	backoff := time.Second << min(d.tries-1, 8) // 1s, 2s, ... up to ~4m
	if d.tries <= maxRetries && s.clock.Now().Add(backoff).Sub(d.first) <= maxAge {
		s.clock.AfterFunc(backoff, func() {
			s.pending.Add(1)
			d.attempt()
		})
		return
	}
	d.deadLetter(m.Body, err)
}

// deadLetter sends the payload to the target's dead-letter queue with the
// attributes EventBridge Scheduler adds.
func (d *delivery) deadLetter(body string, cause error) {
	dlq := d.r.Target.DeadLetterConfig
	if dlq == nil || ptr.Deref(dlq.Arn) == "" {
		return
	}
	// The target service's own error code, as Scheduler reports it
	// (AWS.SimpleQueueService.NonExistentQueue, ResourceNotFoundException).
	code := "SDK_CLIENT_ERROR"
	var ae *awserr.Error
	switch {
	case errors.Is(cause, ibus.ErrNoHandler):
		code = "NO_HANDLER"
	case strings.HasPrefix(cause.Error(), "AccessDenied"):
		code = "AccessDenied"
	case errors.As(cause, &ae):
		code = ae.Code.Code
	}
	m := ibus.Message{TargetARN: *dlq.Arn, Body: body, SourceAccount: d.sc.Account, Attributes: map[string]string{
		"ERROR_CODE": code, "ERROR_MESSAGE": cause.Error(), "EXECUTION_ID": d.execID,
		"SCHEDULE_ARN": scheduleARN(d.sc, d.r.Group, d.r.Name), "TARGET_ARN": ptr.Deref(d.r.Target.Arn),
		"RETRY_ATTEMPTS": strconv.Itoa(d.tries - 1),
	}}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := d.send(ctx, m); err != nil {
		d.s.log.Warn("scheduler: dead-letter delivery failed", "schedule", d.r.Name, "dlq", *dlq.Arn, "err", err)
	}
}
