// Package events is Amazon EventBridge (CloudWatch Events): event buses with
// policies, rules with event patterns or schedules, targets reached through
// the internal bus, PutEvents, archives and replays, and connections and
// API destinations (targets that are HTTP endpoints, called directly).
//
// Events enter a bus from PutEvents, from other services (EC2 state
// changes, S3 notifications: facts published on the internal bus land on
// the default bus of their account and region), from schedules, from
// other buses and from replays. They are queued and handled by one
// dispatcher goroutine, so publishers never wait; each matching rule's
// targets are delivered to with bus.Deliver, retried per the target's
// RetryPolicy on the platform clock and sent to its dead-letter queue
// when retries are exhausted.
//
// # Storage layout
//
// Per account and region: buses by name (the default bus exists without a
// record until it gets a policy or tags), rules by (bus, name) with their
// targets inside (at most five), archives, archived events by (archive,
// time, id), replays, connections (with their credentials: niwa has no
// Secrets Manager to keep them in), API destinations. One table outside any account lists the scheduled
// rules so that their timers are armed again after a restart. The pattern
// index per bus is a cache rebuilt from the rules.
package events

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	eventsapi "github.com/niwa-cloud/niwa/internal/api/events"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/clock"
	ibus "github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/events/pattern"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Events implements the EventBridge API; bind it with eventsapi.Bind.
type Events struct {
	store storage.Store
	bus   *ibus.Bus
	clock clock.Clock
	log   *slog.Logger

	// indexes caches one pattern index per (account, region, bus).
	imu     sync.Mutex
	indexes map[busKey]*pattern.Index

	// archived caches, per account and region, the ARNs of the buses
	// that have an archive (hasArchive, asked twice for every mutating
	// call while the region's default bus has no enabled rule, the usual
	// case: by the audit hook's question whether anyone wants the call's
	// record and by the publisher). Dropped by CreateArchive and
	// DeleteArchive (after their commit) and by Reset; amu is held while
	// an entry is read from the store, so a read that saw the store before
	// a commit cannot store its answer after the drop.
	amu      sync.Mutex
	archived map[storage.Scope]map[string]bool

	// timers are the armed schedule timers by scheduleKey.
	tmu    sync.Mutex
	timers map[string]armed
	gen    uint64

	// stats are invocation counters per rule ARN (CloudWatch's
	// Invocations / FailedInvocations / TriggeredRules).
	smu   sync.Mutex
	stats map[string]*RuleStats

	queue   chan *envelope // pointers: a buffer of 4096 envelopes was 420 KB allocated at start-up
	stop    chan struct{}
	stopped sync.WaitGroup
	sem     chan struct{}
	closeMu sync.Once
	// pending counts delivery attempts running now, for Flush.
	pending atomic.Int64

	// http calls API destinations and OAuth endpoints; tok caches the
	// OAuth tokens.
	http  *http.Client
	tok   tokens
	limit limiter

	// beforeReplay, when set (by tests), runs as a replay's goroutine
	// starts, so that a test sees it STARTING.
	beforeReplay func()
}

// RuleStats counts what happened to a rule's matches.
type RuleStats struct {
	MatchedEvents     int
	Invocations       int
	FailedInvocations int
	DeadLettered      int
}

// Option configures New.
type Option func(*Events)

// WithLogger sets where delivery failures are logged.
func WithLogger(l *slog.Logger) Option { return func(e *Events) { e.log = l } }

// WithHTTPClient sets the client that calls API destinations.
func WithHTTPClient(c *http.Client) Option { return func(e *Events) { e.http = c } }

// New returns the service and starts its dispatcher. Close stops it.
func New(store storage.Store, bus *ibus.Bus, clk clock.Clock, opts ...Option) *Events {
	e := &Events{
		store: store, bus: bus, clock: clk,
		log:     slog.New(slog.DiscardHandler),
		indexes: map[busKey]*pattern.Index{}, timers: map[string]armed{},
		archived: map[storage.Scope]map[string]bool{},
		stats:    map[string]*RuleStats{},
		queue:    make(chan *envelope, 4096), stop: make(chan struct{}),
		sem:   make(chan struct{}, 64),
		http:  &http.Client{Timeout: apiDestinationTimeout},
		tok:   tokens{m: map[string]token{}},
		limit: limiter{buckets: map[string]*bucket{}},
	}
	for _, o := range opts {
		o(e)
	}
	e.stopped.Add(1)
	go e.dispatchLoop()
	e.armAllSchedules()
	return e
}

// Close stops the dispatcher and every schedule timer.
func (e *Events) Close() error {
	e.closeMu.Do(func() {
		close(e.stop)
		e.stopped.Wait()
		e.tmu.Lock()
		for k, t := range e.timers {
			t.Stop()
			delete(e.timers, k)
		}
		e.tmu.Unlock()
	})
	return nil
}

// Reset drops the caches and timers after POST /_niwa/reset emptied the
// store.
func (e *Events) Reset() error {
	e.imu.Lock()
	e.indexes = map[busKey]*pattern.Index{}
	e.imu.Unlock()
	e.amu.Lock()
	e.archived = map[storage.Scope]map[string]bool{}
	e.amu.Unlock()
	e.tmu.Lock()
	for k, t := range e.timers {
		t.Stop()
		delete(e.timers, k)
	}
	e.tmu.Unlock()
	e.smu.Lock()
	e.stats = map[string]*RuleStats{}
	e.smu.Unlock()
	e.limit.mu.Lock()
	e.limit.buckets = map[string]*bucket{}
	e.limit.mu.Unlock()
	e.tok.mu.Lock()
	e.tok.m = map[string]token{}
	e.tok.mu.Unlock()
	return nil
}

// Stats returns the counters of a rule.
func (e *Events) Stats(ruleARN string) RuleStats {
	e.smu.Lock()
	defer e.smu.Unlock()
	if s := e.stats[ruleARN]; s != nil {
		return *s
	}
	return RuleStats{}
}

func (e *Events) count(ruleARN string, f func(*RuleStats)) {
	e.smu.Lock()
	s := e.stats[ruleARN]
	if s == nil {
		s = &RuleStats{}
		e.stats[ruleARN] = s
	}
	f(s)
	e.smu.Unlock()
}

// Records. Tables are descriptions, not state.
var (
	buses         = storage.NewTable[busRecord]("bus")
	rules         = storage.NewTable[ruleRecord]("rule")
	archives      = storage.NewTable[archiveRecord]("archive")
	archiveEvents = storage.NewTable[json.RawMessage]("archive-event")
	replays       = storage.NewTable[replayRecord]("replay")
	// scheduled is keyed (account, region, rule) in the empty scope.
	scheduled = storage.NewTable[scheduleRecord]("scheduled")
)

const defaultBus = "default"

type busRecord struct {
	Name    string
	Policy  string            `json:",omitempty"`
	Tags    map[string]string `json:",omitempty"`
	Created time.Time
	// Description, KMSKey and DLQ are UpdateEventBus's settings (the key
	// is recorded: niwa keeps events unencrypted in its own store).
	Description string    `json:",omitempty"`
	KMSKey      string    `json:",omitempty"`
	DLQ         string    `json:",omitempty"`
	Modified    time.Time `json:",omitempty"`
}

type ruleRecord struct {
	Name               string
	Bus                string
	EventPattern       string `json:",omitempty"`
	ScheduleExpression string `json:",omitempty"`
	State              string
	Description        string            `json:",omitempty"`
	RoleArn            string            `json:",omitempty"`
	ManagedBy          string            `json:",omitempty"`
	CreatedBy          string            `json:",omitempty"`
	Tags               map[string]string `json:",omitempty"`
	Created            time.Time
	Targets            []eventsapi.Target `json:",omitempty"`
}

type archiveRecord struct {
	Name           string
	EventSourceArn string
	Description    string `json:",omitempty"`
	EventPattern   string `json:",omitempty"`
	RetentionDays  int32
	State          string
	EventCount     int64
	SizeBytes      int64
	Created        time.Time
}

type replayRecord struct {
	Name              string
	Description       string `json:",omitempty"`
	EventSourceArn    string
	Destination       eventsapi.ReplayDestination
	EventStartTime    time.Time
	EventEndTime      time.Time
	State             string
	StateReason       string `json:",omitempty"`
	ReplayStartTime   time.Time
	ReplayEndTime     *time.Time `json:",omitempty"`
	LastReplayedEvent *time.Time `json:",omitempty"`
}

type scheduleRecord struct {
	Account, Region, Rule string
}

// Helpers.

func scope(ctx *request.Context) storage.Scope {
	return storage.Scope{Account: ctx.Account, Region: ctx.Region}
}

func busARN(sc storage.Scope, name string) string {
	return fmt.Sprintf("arn:aws:events:%s:%s:event-bus/%s", sc.Region, sc.Account, name)
}

func ruleARN(sc storage.Scope, bus, name string) string {
	if bus == defaultBus {
		return fmt.Sprintf("arn:aws:events:%s:%s:rule/%s", sc.Region, sc.Account, name)
	}
	return fmt.Sprintf("arn:aws:events:%s:%s:rule/%s/%s", sc.Region, sc.Account, bus, name)
}

func archiveARN(sc storage.Scope, name string) string {
	return fmt.Sprintf("arn:aws:events:%s:%s:archive/%s", sc.Region, sc.Account, name)
}

func replayARN(sc storage.Scope, name string) string {
	return fmt.Sprintf("arn:aws:events:%s:%s:replay/%s", sc.Region, sc.Account, name)
}

// parseARN splits an events ARN into its scope and resource
// ("event-bus/name", "rule/bus/name").
func parseARN(arn string) (storage.Scope, string, bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "events" {
		return storage.Scope{}, "", false
	}
	return storage.Scope{Account: parts[4], Region: parts[3]}, parts[5], true
}

// busName resolves an EventBusName parameter (a name or an ARN; empty is
// the default bus) to the bus's scope and name.
func busName(ctx *request.Context, p *string) (storage.Scope, string) {
	sc := scope(ctx)
	name := ptr.Deref(p)
	if name == "" {
		return sc, defaultBus
	}
	if strings.HasPrefix(name, "arn:") {
		if s, res, ok := parseARN(name); ok && strings.HasPrefix(res, "event-bus/") {
			return s, strings.TrimPrefix(res, "event-bus/")
		}
	}
	return sc, name
}

func validation(format string, args ...any) error {
	return awserr.ValidationException.New(format, args...)
}

func busNotFound(name string) error {
	return eventsapi.ErrResourceNotFoundException.New("Event bus %s does not exist.", name)
}

func ruleNotFound(name, bus string) error {
	return eventsapi.ErrResourceNotFoundException.New("Rule %s does not exist on EventBus %s.", name, bus)
}

// getBus returns the bus record, synthesizing the default bus.
func getBus(tx storage.Tx, sc storage.Scope, name string) (busRecord, bool, error) {
	b, ok, err := buses.Get(tx, sc, name)
	if err != nil || ok {
		return b, ok, err
	}
	if name == defaultBus {
		return busRecord{Name: defaultBus}, true, nil
	}
	return b, false, nil
}

// page applies NextToken/Limit to names sorted ascending: the token is the
// last name of the previous page.
func page[T any](items []T, key func(T) string, token *string, limit *int32) ([]T, *string) {
	start := 0
	if t := ptr.Deref(token); t != "" {
		for start < len(items) && key(items[start]) <= t {
			start++
		}
	}
	n := 100
	if l := ptr.Deref(limit); l > 0 {
		n = int(l)
	}
	items = items[start:]
	if len(items) > n {
		return items[:n], ptr.To(key(items[n-1]))
	}
	return items, nil
}

// envelope is an event on its way through a bus.
type envelope struct {
	sc  storage.Scope
	bus string
	// event is the full event JSON in AWS's envelope.
	event []byte
	// onlyRule restricts delivery to one rule (scheduled events).
	onlyRule string
	// filterRules restricts delivery to these rule ARNs (replays).
	filterRules map[string]bool
	replay      bool
	// done, when set, marks a flush: the dispatcher closes it on reaching
	// it (everything queued before has been dispatched).
	done chan struct{}
}

// wireEvent is an event in the order AWS writes its fields.
type wireEvent struct {
	Version    string          `json:"version"`
	ID         string          `json:"id"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Account    string          `json:"account"`
	Time       string          `json:"time"`
	Region     string          `json:"region"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
	ReplayName string          `json:"replay-name,omitempty"`
}

func formatTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

func marshalEvent(w wireEvent) []byte {
	if w.Resources == nil {
		w.Resources = []string{}
	}
	if len(w.Detail) == 0 {
		w.Detail = json.RawMessage("{}")
	}
	if w.Version == "" {
		w.Version = "0"
	}
	b, _ := json.Marshal(w)
	return b
}

// Subscribe routes events published on the internal bus by other services
// to the default bus of their account and region. The callback only
// enqueues. It tells the bus it wants only events of regions whose default
// bus has a rule or an archive, so publishers skip building the others.
func (e *Events) Subscribe() (cancel func()) {
	return e.bus.SubscribeFor(e.wants, func(ev ibus.Event) {
		if ev.Account == "" || ev.Region == "" {
			return
		}
		if ev.ID == "" {
			ev.ID = awsid.UUID()
		}
		t := ev.Time
		if t.IsZero() {
			t = e.clock.Now()
		}
		body := marshalEvent(wireEvent{Version: ev.Version, ID: ev.ID, DetailType: ev.DetailType, Source: ev.Source,
			Account: ev.Account, Time: formatTime(t), Region: ev.Region, Resources: ev.Resources, Detail: ev.Detail})
		e.enqueue(envelope{sc: storage.Scope{Account: ev.Account, Region: ev.Region}, bus: defaultBus, event: body})
	})
}

// wants reports whether an event of account and region reaching the
// default bus could match a rule or be archived.
func (e *Events) wants(account, region string) bool {
	sc := storage.Scope{Account: account, Region: region}
	x, err := e.index(sc, defaultBus)
	if err != nil || x.Len() > 0 {
		return true
	}
	return e.hasArchive(sc, defaultBus)
}

func (e *Events) enqueue(env envelope) {
	select {
	case e.queue <- &env:
	case <-e.stop:
	}
}

var _ context.Context = (*request.Context)(nil)

// Flush waits until every event queued so far has been dispatched and the
// delivery attempts they started have finished (retries waiting on the
// clock are not waited for). Tests use it instead of sleeping.
func (e *Events) Flush(ctx context.Context) error {
	done := make(chan struct{})
	e.enqueue(envelope{done: done})
	select {
	case <-done:
	case <-ctx.Done():
		return ctx.Err()
	}
	for e.pending.Load() > 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Millisecond):
		}
	}
	return nil
}
