// Package events is the in-process bus that carries what one service tells
// another, so services never import each other (docs/design.md, "Events between
// services"):
//
//   - Events are facts in EventBridge's shape ("EC2 Instance State-change
//     Notification", "Object Created", "AWS API Call via CloudTrail"),
//     published by the service where they happen and fanned out to every
//     subscriber (EventBridge, CloudTrail, ...).
//   - Messages are deliveries to a resource named by ARN (an S3 notification
//     to a queue, an SNS fan-out to a Lambda function). The service that
//     owns the ARN's service namespace handles them, synchronously, so the
//     sender learns whether the target exists and accepted the message, as
//     S3 does when it validates a notification configuration.
package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Event is an event in the EventBridge envelope.
type Event struct {
	ID         string          `json:"id"`
	Version    string          `json:"version"`
	Source     string          `json:"source"`
	DetailType string          `json:"detail-type"`
	Account    string          `json:"account"`
	Region     string          `json:"region"`
	Time       time.Time       `json:"time"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
}

// Message is a delivery to one resource.
type Message struct {
	// TargetARN names the receiving resource (queue, topic, function,
	// log group, event bus).
	TargetARN string
	// Body is the payload as the target receives it.
	Body string
	// Attributes are message attributes (SQS/SNS string attributes).
	Attributes map[string]string
	// Subject is the Subject of an SNS notification (a CloudWatch
	// alarm's "ALARM: \"name\" in US East (N. Virginia)"); empty for none.
	Subject string
	// SourceService is the service principal delivering
	// ("s3.amazonaws.com", "events.amazonaws.com"), which resource
	// policies match; empty for a principal's own call.
	SourceService string
	// SourceARN and SourceAccount are what aws:SourceArn and
	// aws:SourceAccount conditions see.
	SourceARN     string
	SourceAccount string
	// MessageGroupID and DeduplicationID are for FIFO targets.
	MessageGroupID  string
	DeduplicationID string
	// LogStream names the log stream a delivery to a log group writes
	// to (CloudTrail's "<account>_CloudTrail_<region>"); empty lets the
	// log group's service choose.
	LogStream string
	// Validate asks the target only to check that it exists and would
	// accept messages from this source, without delivering.
	Validate bool
}

// Handler receives the messages for the ARNs of one service namespace.
type Handler interface {
	Deliver(ctx context.Context, m Message) error
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, m Message) error

// Deliver implements Handler.
func (f HandlerFunc) Deliver(ctx context.Context, m Message) error { return f(ctx, m) }

// ErrNoHandler is returned when no service handles the target's namespace.
var ErrNoHandler = errors.New("events: no service handles this target")

// Bus connects publishers and subscribers. The zero value is not usable;
// call New.
type Bus struct {
	mu      sync.RWMutex
	subs    map[int]subscriber
	nextSub int
	// subList is subs in subscription order, replaced (never modified)
	// whenever subs changes: Wants, asked for every mutating API call,
	// and Publish read it without a lock, a map iteration or a copy.
	subList  atomic.Pointer[[]subscriber]
	handlers map[string]Handler
	// metrics receives the metrics services publish (CloudWatch).
	metrics MetricSink
	// records receives the CloudTrail record of every call (CloudTrail).
	records RecordSink
}

// New returns an empty bus.
func New() *Bus {
	return &Bus{subs: map[int]subscriber{}, handlers: map[string]Handler{}}
}

type subscriber struct {
	id    int
	fn    func(Event)
	wants func(account, region string) bool // nil: everything
}

// Subscribe calls fn for every event published from now on, until cancel.
// fn runs in the publisher's goroutine, so it must return quickly and hand
// slow work (invoking a function, delivering to a queue) to its own
// goroutine or queue; this keeps publication order and makes tests
// deterministic.
func (b *Bus) Subscribe(fn func(Event)) (cancel func()) {
	return b.SubscribeFor(nil, fn)
}

// SubscribeFor is Subscribe for a subscriber that can tell cheaply whether
// it could want any event of an account and region (EventBridge: only if
// that region's default bus has a rule or an archive). Publishers whose
// events are costly to build ask Wants first; fn still receives every
// event published. A nil wants is Subscribe.
func (b *Bus) SubscribeFor(wants func(account, region string) bool, fn func(Event)) (cancel func()) {
	b.mu.Lock()
	id := b.nextSub
	b.nextSub++
	b.subs[id] = subscriber{id: id, fn: fn, wants: wants}
	b.publishSubs()
	b.mu.Unlock()
	return func() {
		b.mu.Lock()
		delete(b.subs, id)
		b.publishSubs()
		b.mu.Unlock()
	}
}

// publishSubs replaces subList with subs (b.mu held for writing).
func (b *Bus) publishSubs() {
	list := make([]subscriber, 0, len(b.subs))
	for _, s := range b.subs {
		list = append(list, s)
	}
	slices.SortFunc(list, func(x, y subscriber) int { return x.id - y.id })
	b.subList.Store(&list)
}

// subscribers is the current subscribers, in subscription order; the
// caller must not modify the slice.
func (b *Bus) subscribers() []subscriber {
	if p := b.subList.Load(); p != nil {
		return *p
	}
	return nil
}

// HasSubscribers reports whether anything subscribes, so a publisher can
// skip building an event nobody would receive.
func (b *Bus) HasSubscribers() bool {
	return len(b.subscribers()) > 0
}

// Wants reports whether any subscriber could want an event of account
// and region, so a publisher can skip building one (the CloudTrail record
// of every API call) that every subscriber would drop.
func (b *Bus) Wants(account, region string) bool {
	for _, s := range b.subscribers() {
		if s.wants == nil || s.wants(account, region) {
			return true
		}
	}
	return false
}

// Publish hands e to every subscriber.
func (b *Bus) Publish(e Event) {
	if e.Version == "" {
		e.Version = "0"
	}
	if e.Resources == nil {
		e.Resources = []string{}
	}
	if len(e.Detail) == 0 {
		e.Detail = json.RawMessage("{}")
	}
	for _, s := range b.subscribers() {
		s.fn(e)
	}
}

// Handle registers h for ARNs of a service namespace ("sqs", "sns",
// "lambda", "logs", "events"). A later registration replaces an earlier.
func (b *Bus) Handle(namespace string, h Handler) {
	b.mu.Lock()
	b.handlers[namespace] = h
	b.mu.Unlock()
}

// Deliver hands m to the service owning m.TargetARN's namespace and
// returns its verdict.
func (b *Bus) Deliver(ctx context.Context, m Message) error {
	ns := ARNService(m.TargetARN)
	b.mu.RLock()
	h, ok := b.handlers[ns]
	b.mu.RUnlock()
	if !ok {
		return fmt.Errorf("%w: %s", ErrNoHandler, m.TargetARN)
	}
	return h.Deliver(ctx, m)
}

// ARNService returns the service field of an ARN
// ("arn:aws:sqs:ap-northeast-1:000000000000:q" → "sqs").
func ARNService(arn string) string {
	parts := strings.SplitN(arn, ":", 4)
	if len(parts) < 3 || parts[0] != "arn" {
		return ""
	}
	return parts[2]
}
