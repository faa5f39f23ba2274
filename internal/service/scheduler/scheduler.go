// Package scheduler is Amazon EventBridge Scheduler: schedules in schedule
// groups that invoke one target each — a Lambda function, an SQS queue, an
// SNS topic or an event bus ("templated targets") — on a one-time at(...),
// a rate(...) or a cron(...) in a time zone, on the platform clock.
//
// Schedules are stored per account and region under (group, name); one
// table outside any account lists every schedule so that timers are armed
// again at start-up. A firing delivers through the internal bus like
// EventBridge does, retries on the clock per the target's RetryPolicy and
// sends what could not be delivered to the target's dead-letter queue.
// The expression parser is shared with EventBridge rules
// (internal/events/schedule).
package scheduler

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	schedulerapi "github.com/niwa-cloud/niwa/internal/api/scheduler"
	"github.com/niwa-cloud/niwa/internal/clock"
	ibus "github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// RoleAccess asks whether a session of a role may perform actions on a
// resource; it returns the first action denied, "" when all are allowed.
// The server gives the IAM engine's answer; nil checks nothing.
type RoleAccess func(ctx context.Context, account, region, roleARN, session, resource string, actions []string) (string, error)

// Scheduler implements the EventBridge Scheduler API; bind it with
// schedulerapi.Bind.
type Scheduler struct {
	store storage.Store
	bus   *ibus.Bus
	clock clock.Clock
	log   *slog.Logger
	role  RoleAccess
	// jitter picks the delay of a firing inside a flexible time window
	// (random, as AWS spreads invocations; tests pin it).
	jitter func(window time.Duration) time.Duration

	tmu    sync.Mutex
	timers map[string]armed
	gen    uint64

	stop    chan struct{}
	closeMu sync.Once
	// pending counts deliveries running now, for Flush.
	pending atomic.Int64
}

// Option configures New.
type Option func(*Scheduler)

// WithLogger sets where delivery failures are logged.
func WithLogger(l *slog.Logger) Option { return func(s *Scheduler) { s.log = l } }

// WithRoleAccess checks each delivery against the schedule's execution
// role.
func WithRoleAccess(r RoleAccess) Option { return func(s *Scheduler) { s.role = r } }

// WithJitter replaces the random delay inside flexible time windows.
func WithJitter(f func(window time.Duration) time.Duration) Option {
	return func(s *Scheduler) { s.jitter = f }
}

// New returns the service with every stored schedule armed. Close stops
// the timers.
func New(store storage.Store, bus *ibus.Bus, clk clock.Clock, opts ...Option) *Scheduler {
	s := &Scheduler{store: store, bus: bus, clock: clk, log: slog.New(slog.DiscardHandler),
		timers: map[string]armed{}, stop: make(chan struct{}), jitter: randomJitter}
	for _, o := range opts {
		o(s)
	}
	s.armAll()
	return s
}

// Close stops every timer.
func (s *Scheduler) Close() error {
	s.closeMu.Do(func() {
		close(s.stop)
		s.disarmAll()
	})
	return nil
}

// Reset drops the timers after POST /_niwa/reset emptied the store.
func (s *Scheduler) Reset() error {
	s.disarmAll()
	return nil
}

func (s *Scheduler) disarmAll() {
	s.tmu.Lock()
	for k, t := range s.timers {
		t.Stop()
		delete(s.timers, k)
	}
	s.tmu.Unlock()
}

// Flush waits until the deliveries running now have finished (retries
// waiting on the clock are not waited for). Tests use it instead of
// sleeping.
func (s *Scheduler) Flush(ctx context.Context) error {
	for s.pending.Load() > 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Millisecond):
		}
	}
	return nil
}

// Records. Tables are descriptions, not state.
var (
	groups    = storage.NewTable[groupRecord]("group")
	schedules = storage.NewTable[scheduleRecord]("schedule")
	// index is keyed (account, region, group, name) in the empty scope.
	index = storage.NewTable[indexRecord]("index")
)

const defaultGroup = "default"

type groupRecord struct {
	Name     string
	Tags     map[string]string `json:",omitempty"`
	Created  time.Time
	Modified time.Time
}

type scheduleRecord struct {
	Name                  string
	Group                 string
	Description           string `json:",omitempty"`
	Expression            string
	Timezone              string     `json:",omitempty"`
	StartDate             *time.Time `json:",omitempty"`
	EndDate               *time.Time `json:",omitempty"`
	FlexibleMode          string
	FlexibleWindowMinutes int32 `json:",omitempty"`
	State                 string
	ActionAfterCompletion string `json:",omitempty"`
	KmsKeyArn             string `json:",omitempty"`
	Target                schedulerapi.Target
	Created               time.Time
	Modified              time.Time
	// Version changes with every update, so that a timer armed for an
	// older version does not fire.
	Version int64
	// ClientToken is the creating request's idempotency token: the same
	// request again returns the schedule instead of a conflict.
	ClientToken string `json:",omitempty"`
}

type indexRecord struct {
	Account, Region, Group, Name string
}

func scope(ctx *request.Context) storage.Scope {
	return storage.Scope{Account: ctx.Account, Region: ctx.Region}
}

func groupARN(sc storage.Scope, name string) string {
	return fmt.Sprintf("arn:aws:scheduler:%s:%s:schedule-group/%s", sc.Region, sc.Account, name)
}

func scheduleARN(sc storage.Scope, group, name string) string {
	return fmt.Sprintf("arn:aws:scheduler:%s:%s:schedule/%s/%s", sc.Region, sc.Account, group, name)
}

// parseGroupARN returns the group a schedule-group ARN of sc names.
func parseGroupARN(sc storage.Scope, arn string) (string, bool) {
	p := strings.SplitN(arn, ":", 6)
	if len(p) != 6 || p[0] != "arn" || p[2] != "scheduler" || p[3] != sc.Region || p[4] != sc.Account || !strings.HasPrefix(p[5], "schedule-group/") {
		return "", false
	}
	return strings.TrimPrefix(p[5], "schedule-group/"), true
}

func validation(format string, args ...any) error {
	return schedulerapi.ErrValidationException.New(format, args...)
}

func groupNotFound(name string) error {
	return schedulerapi.ErrResourceNotFoundException.New("Schedule group %s does not exist.", name)
}

func scheduleNotFound(name string) error {
	return schedulerapi.ErrResourceNotFoundException.New("Schedule %s does not exist.", name)
}

// getGroup returns a group record; the default group exists without one.
func getGroup(tx storage.Tx, sc storage.Scope, name string) (groupRecord, bool, error) {
	g, ok, err := groups.Get(tx, sc, name)
	if err != nil || ok {
		return g, ok, err
	}
	if name == defaultGroup {
		return groupRecord{Name: defaultGroup}, true, nil
	}
	return g, false, nil
}

func groupName(p *string) string {
	if p == nil || *p == "" {
		return defaultGroup
	}
	return *p
}
