// Package cloudwatch is Amazon CloudWatch: custom metrics stored per minute
// bucket and read back with GetMetricStatistics and GetMetricData (metric
// math included), metric and composite alarms evaluated every minute on
// the injected clock with their actions (SNS, Lambda, EC2) and EventBridge
// events, alarm history, dashboards, tags, and anomaly detectors and
// Contributor Insights rules kept at API level.
package cloudwatch

import (
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	cwapi "github.com/niwa-cloud/niwa/internal/api/cloudwatch"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/clock"
	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// TickInterval is how often alarms are evaluated and old data pruned:
// AWS evaluates alarms every minute.
const TickInterval = time.Minute

// CloudWatch implements the service.
type CloudWatch struct {
	store storage.Store
	clock clock.Clock
	bus   *events.Bus
	log   *slog.Logger

	mu     sync.Mutex
	timer  clock.Timer
	closed bool
	// historySeq orders history items written at the same instant.
	historySeq atomic.Uint64
	// tickMu serializes evaluation passes (a timer tick and a test's
	// direct Tick never interleave).
	tickMu sync.Mutex
}

// New returns the service and starts its evaluation loop on clk. bus
// carries alarm actions and the EventBridge events; nil drops them.
func New(store storage.Store, clk clock.Clock, bus *events.Bus, log *slog.Logger) *CloudWatch {
	if clk == nil {
		clk = clock.Real{}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &CloudWatch{store: store, clock: clk, bus: bus, log: log}
	c.schedule()
	return c
}

// schedule arms the next evaluation tick.
func (c *CloudWatch) schedule() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	c.timer = c.clock.AfterFunc(TickInterval, func() {
		if err := c.Tick(); err != nil {
			c.log.Error("cloudwatch evaluation", "error", err)
		}
		c.schedule()
	})
}

// Close stops the evaluation loop.
func (c *CloudWatch) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	if c.timer != nil {
		c.timer.Stop()
	}
	return nil
}

// Tick evaluates every alarm of every account and region at the clock's
// time and prunes data past its retention. The loop calls it each
// minute; tests may call it directly.
func (c *CloudWatch) Tick() error {
	c.tickMu.Lock()
	defer c.tickMu.Unlock()
	now := c.clock.Now()
	var scopes []storage.Scope
	if err := c.store.View(func(tx storage.Tx) error {
		return scopeIndex.List(tx, indexScope, nil, storage.ListOptions{}, func(_ []string, r scopeRef) bool {
			scopes = append(scopes, storage.Scope{Account: r.Account, Region: r.Region})
			return true
		})
	}); err != nil {
		return err
	}
	var firstErr error
	for _, sc := range scopes {
		if err := c.evaluateScope(sc, now); err != nil && firstErr == nil {
			firstErr = err
		}
		if err := c.prune(sc, now); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	return firstErr
}

// scopeRef records that an account and region hold CloudWatch state, so
// the evaluation loop finds them without scanning everything.
type scopeRef struct {
	Account string `json:"a"`
	Region  string `json:"r"`
}

// indexScope is where the scope index lives: no account owns it.
var indexScope = storage.Scope{}

var scopeIndex = storage.NewTable[scopeRef]("scopes")

// touchScope records sc in the index inside tx.
func touchScope(tx storage.Tx, sc storage.Scope) error {
	if _, ok := tx.Get(scopeIndex.Key(indexScope, sc.Account, sc.Region)); ok {
		return nil
	}
	return scopeIndex.Put(tx, indexScope, scopeRef{Account: sc.Account, Region: sc.Region}, sc.Account, sc.Region)
}

func scope(ctx *request.Context) storage.Scope {
	return storage.Scope{Account: ctx.Account, Region: ctx.Region}
}

func alarmARN(sc storage.Scope, name string) string {
	return fmt.Sprintf("arn:aws:cloudwatch:%s:%s:alarm:%s", sc.Region, sc.Account, name)
}

func dashboardARN(sc storage.Scope, name string) string {
	return fmt.Sprintf("arn:aws:cloudwatch::%s:dashboard/%s", sc.Account, name)
}

func insightRuleARN(sc storage.Scope, name string) string {
	return fmt.Sprintf("arn:aws:cloudwatch:%s:%s:insight-rule/%s", sc.Region, sc.Account, name)
}

// Errors with AWS's codes (the model's awsQueryError codes).
var (
	errInvalidValue = cwapi.ErrInvalidParameterValueException
	errCombination  = cwapi.ErrInvalidParameterCombinationException
	errMissing      = cwapi.ErrMissingRequiredParameterException
	errNotFound     = cwapi.ErrResourceNotFound
	errNextToken    = cwapi.ErrInvalidNextToken
	errTooLarge     = awserr.Code{Code: "RequestEntityTooLarge", Status: 413, Sender: true}
)

func invalidValue(value any, param string) error {
	return errInvalidValue.New("The value %v for parameter %s is invalid.", value, param)
}
