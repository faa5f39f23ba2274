package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	eventsapi "github.com/niwa-cloud/niwa/internal/api/events"
	"github.com/niwa-cloud/niwa/internal/awserr"
	ibus "github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/events/pattern"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/storage"
)

var ibusService = ibus.ARNService

// Retry defaults of a target without a RetryPolicy (AWS: 185 attempts, 24
// hours).
const (
	defaultMaxRetries = 185
	defaultMaxAge     = 24 * time.Hour
)

func (e *Events) dispatchLoop() {
	defer e.stopped.Done()
	for {
		select {
		case <-e.stop:
			return
		case env := <-e.queue:
			e.dispatch(*env)
		}
	}
}

// dispatch archives an event and delivers it to the targets of every
// enabled rule of its bus that matches.
func (e *Events) dispatch(env envelope) {
	if env.done != nil {
		close(env.done)
		return
	}
	ev, err := pattern.ParseEvent(env.event)
	if err != nil {
		return
	}
	if !env.replay && env.onlyRule == "" {
		e.archive(env, ev)
	}
	var names []string
	if env.onlyRule != "" {
		names = []string{env.onlyRule}
	} else {
		x, err := e.index(env.sc, env.bus)
		if err != nil {
			e.log.Error("events: rule index", "err", err)
			return
		}
		names = x.Match(ev)
	}
	for _, name := range names {
		var r ruleRecord
		var ok bool
		if err := e.store.View(func(tx storage.Tx) error {
			var err error
			r, ok, err = rules.Get(tx, env.sc, env.bus, name)
			return err
		}); err != nil || !ok || r.State != "ENABLED" {
			continue
		}
		arn := ruleARN(env.sc, env.bus, r.Name)
		if env.filterRules != nil && !env.filterRules[arn] {
			continue
		}
		e.count(arn, func(s *RuleStats) { s.MatchedEvents++ })
		for _, t := range r.Targets {
			body, err := transform(t, env.event, arn, r.Name, e.clock.Now())
			if err != nil {
				e.count(arn, func(s *RuleStats) { s.FailedInvocations++ })
				e.log.Warn("events: input transformation failed", "rule", arn, "target", ptr.Deref(t.Id), "err", err)
				continue
			}
			d := &delivery{e: e, sc: env.sc, ruleARN: arn, target: t, body: body, event: env.event, first: e.clock.Now()}
			e.pending.Add(1)
			go d.attempt()
		}
	}
}

// delivery is one event on its way to one target, with its retries.
type delivery struct {
	e       *Events
	sc      storage.Scope
	ruleARN string
	target  eventsapi.Target
	body    string
	event   []byte
	first   time.Time
	tries   int
	// reserved: the API destination's rate limiter gave this attempt its
	// turn.
	reserved bool
}

func (d *delivery) message() ibus.Message {
	m := ibus.Message{TargetARN: ptr.Deref(d.target.Arn), Body: d.body, SourceService: "events.amazonaws.com",
		SourceARN: d.ruleARN, SourceAccount: d.sc.Account}
	if p := d.target.SqsParameters; p != nil && p.MessageGroupId != nil {
		m.MessageGroupID = *p.MessageGroupId
		var id struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(d.event, &id)
		m.DeduplicationID = id.ID
	}
	return m
}

func (d *delivery) attempt() {
	e := d.e
	defer e.pending.Add(-1)
	if arn := ptr.Deref(d.target.Arn); isAPIDestination(arn) && !d.reserved {
		// Over the destination's rate: wait for a token on the clock.
		if wait := e.reserveInvocation(d.sc, arn); wait > 0 {
			d.reserved = true
			e.clock.AfterFunc(wait, func() {
				e.pending.Add(1)
				d.attempt()
			})
			return
		}
	}
	d.reserved = false
	select {
	case e.sem <- struct{}{}:
	case <-e.stop:
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	var err error
	if isAPIDestination(ptr.Deref(d.target.Arn)) {
		err = e.invokeAPIDestination(ctx, d.sc, d.target, d.body)
	} else {
		err = e.bus.Deliver(ctx, d.message())
		if errors.Is(err, ibus.ErrNoHandler) {
			// No niwa service owns the ARN (Step Functions, Kinesis, ECS
			// ...): retrying cannot help.
			err = &permanentError{code: "NO_HANDLER", err: fmt.Errorf("niwa has no %s service to deliver to %s: the target is not supported", ibus.ARNService(ptr.Deref(d.target.Arn)), ptr.Deref(d.target.Arn))}
		}
	}
	cancel()
	<-e.sem
	d.tries++
	if err == nil {
		e.count(d.ruleARN, func(s *RuleStats) { s.Invocations++ })
		return
	}
	e.count(d.ruleARN, func(s *RuleStats) { s.FailedInvocations++ })
	_, why := explain(err, ptr.Deref(d.target.Arn))
	e.log.Warn("events: delivery failed", "rule", d.ruleARN, "target", ptr.Deref(d.target.Arn), "attempt", d.tries, "err", why)
	maxRetries, maxAge := defaultMaxRetries, defaultMaxAge
	if p := d.target.RetryPolicy; p != nil {
		if p.MaximumRetryAttempts != nil {
			maxRetries = int(*p.MaximumRetryAttempts)
		}
		if p.MaximumEventAgeInSeconds != nil {
			maxAge = time.Duration(*p.MaximumEventAgeInSeconds) * time.Second
		}
	}
	backoff := time.Second << min(d.tries-1, 8) // 1s, 2s, ... up to ~4m
	exhausted := ""
	switch {
	case errorCode(err) != "":
		// Not retryable (an HTTP status AWS does not retry): no
		// retry condition was exhausted.
		d.deadLetter(err, "")
		return
	case d.tries > maxRetries:
		exhausted = "MaximumRetryAttempts"
	case e.clock.Now().Add(backoff).Sub(d.first) > maxAge:
		exhausted = "MaximumEventAgeInSeconds"
	}
	if exhausted == "" {
		e.clock.AfterFunc(backoff, func() {
			e.pending.Add(1)
			d.attempt()
		})
		return
	}
	d.deadLetter(err, exhausted)
}

// deadLetter sends the event to the target's dead-letter queue with the
// attributes AWS adds.
func (d *delivery) deadLetter(cause error, exhausted string) {
	dlq := d.target.DeadLetterConfig
	if dlq == nil || ptr.Deref(dlq.Arn) == "" {
		return
	}
	code, msg := explain(cause, ptr.Deref(d.target.Arn))
	m := ibus.Message{TargetARN: *dlq.Arn, Body: string(d.event), SourceService: "events.amazonaws.com",
		SourceARN: d.ruleARN, SourceAccount: d.sc.Account,
		Attributes: map[string]string{
			"RULE_ARN": d.ruleARN, "TARGET_ARN": ptr.Deref(d.target.Arn), "ERROR_CODE": code,
			"ERROR_MESSAGE": msg,
		}}
	if exhausted != "" {
		m.Attributes["EXHAUSTED_RETRY_CONDITION"] = exhausted
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := d.e.bus.Deliver(ctx, m); err != nil {
		d.e.log.Warn("events: dead-letter delivery failed", "rule", d.ruleARN, "dlq", *dlq.Arn, "err", err)
		return
	}
	d.e.count(d.ruleARN, func(s *RuleStats) { s.DeadLettered++ })
}

// deliverToBus is the handler of the "events" namespace: an event sent to
// a bus as a target enters that bus as it is.
func (e *Events) deliverToBus(_ context.Context, m ibus.Message) error {
	sc, res, ok := parseARN(m.TargetARN)
	if !ok || len(res) <= len("event-bus/") || res[:len("event-bus/")] != "event-bus/" {
		return fmt.Errorf("events: not an event bus: %s", m.TargetARN)
	}
	name := res[len("event-bus/"):]
	var b busRecord
	err := e.store.View(func(tx storage.Tx) error {
		var found bool
		var err error
		b, found, err = getBus(tx, sc, name)
		if err == nil && !found {
			err = busNotFound(name)
		}
		return err
	})
	if err != nil {
		return err
	}
	if m.SourceAccount != "" && m.SourceAccount != sc.Account && !policyAllowsPutEvents(b.Policy, m.SourceAccount, m.TargetARN) {
		return fmt.Errorf("events: account %s is not allowed to put events on %s", m.SourceAccount, m.TargetARN)
	}
	if m.Validate {
		return nil
	}
	e.enqueue(envelope{sc: sc, bus: name, event: []byte(m.Body)})
	return nil
}

// Handler returns the internal-bus handler for event bus ARNs.
func (e *Events) Handler() ibus.Handler { return ibus.HandlerFunc(e.deliverToBus) }

// explain gives a failed delivery's ERROR_CODE and ERROR_MESSAGE (the
// dead-letter attributes, also logged): a refusal by the target's
// resource policy is NO_PERMISSIONS and says which policy to change, a
// missing target RESOURCE_NOT_FOUND, a target niwa has no service for
// NO_HANDLER, anything else SDK_CLIENT_ERROR.
func explain(err error, target string) (code, msg string) {
	msg = err.Error()
	if c := errorCode(err); c != "" {
		return c, msg
	}
	if errors.Is(err, ibus.ErrNoHandler) {
		return "NO_HANDLER", msg
	}
	var ae *awserr.Error
	if errors.As(err, &ae) {
		c := ae.Code.Code
		switch {
		case strings.Contains(c, "AccessDenied"), strings.Contains(c, "AuthorizationError"), strings.Contains(c, "NotAuthorized"):
			return "NO_PERMISSIONS", fmt.Sprintf("%s (the resource policy of %s does not allow events.amazonaws.com: add a statement allowing it, with aws:SourceArn of the rule)", msg, target)
		case strings.Contains(c, "NotFound"), strings.Contains(c, "NonExistent"):
			return "RESOURCE_NOT_FOUND", msg
		}
	}
	return "SDK_CLIENT_ERROR", msg
}
