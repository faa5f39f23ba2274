// Package cloudtrail is AWS CloudTrail: trails that deliver the records
// of every API call niwa answers to S3 (with digest files that `aws
// cloudtrail validate-logs` accepts), SNS and CloudWatch Logs on the
// clock, and the 90-day event history LookupEvents reads.
//
// The records themselves are built once by the platform's audit hook
// (internal/audit) for every service and reach CloudTrail through the
// bus's record sink (events.RecordSink); CloudTrail only keeps, filters
// and delivers them.
package cloudtrail

import (
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	cloudtrailapi "github.com/niwa-cloud/niwa/internal/api/cloudtrail"
	"github.com/niwa-cloud/niwa/internal/clock"
	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/kms"
	"github.com/niwa-cloud/niwa/internal/objects"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Defaults of Options.
const (
	// DefaultDeliveryInterval is how often trails deliver log files: AWS
	// delivers "about every 5 minutes".
	DefaultDeliveryInterval = 5 * time.Minute
	// DigestInterval is how often digest files are written: AWS writes
	// them hourly.
	DigestInterval = time.Hour
	// maxTrailsPerRegion is AWS's quota of trails per region.
	maxTrailsPerRegion = 5
	// historyRetention is how far back LookupEvents sees.
	historyRetention = 90 * 24 * time.Hour
	// dataRetention is how long data events wait for delivery (they are
	// not part of the event history).
	dataRetention = 24 * time.Hour
	// DefaultMaxHistory is how many management events LookupEvents keeps
	// per account and region unless Options.MaxHistory says otherwise:
	// AWS keeps 90 days, niwa's memory is not AWS's (~450 bytes of heap a
	// record, twice that in RSS under the memory governor;
	// docs/cloudtrail.md).
	DefaultMaxHistory = 10000
	// maxPendingData bounds the data events waiting for delivery per
	// account and region.
	maxPendingData = 100000
	// servicePrincipal is who CloudTrail acts as on buckets, topics and
	// keys.
	servicePrincipal = "cloudtrail.amazonaws.com"
)

// Options are what CloudTrail needs from other services.
type Options struct {
	// Objects writes log and digest files into buckets as
	// cloudtrail.amazonaws.com; nil makes every bucket unknown.
	Objects objects.OptionsWriter
	// Keys checks trails' KMS keys; nil accepts none.
	Keys kms.Keys
	// DeliveryInterval is how often log files are delivered (default 5m).
	DeliveryInterval time.Duration
	// MaxHistory is how many management events are kept per account and
	// region, the oldest dropped first (default DefaultMaxHistory).
	MaxHistory int
	// Log reports delivery failures.
	Log *slog.Logger
}

// CloudTrail is the service.
type CloudTrail struct {
	store storage.Store
	clock clock.Clock
	bus   *events.Bus
	opts  Options

	// pending are records not yet written to the store (Record runs on
	// every API call's path; flush writes them in one transaction).
	pmu     sync.Mutex
	pending []pendingRecord
	spare   []pendingRecord // the last batch's array, for the next
	// flushMu orders flushes, so sequence numbers are committed in order
	// and a delivery that flushed first never misses a record.
	flushMu sync.Mutex
	lastSeq string
	// lastNs and lastN are lastSeq's numbers when seqNum is set, in
	// which case lastSeq may be stale (nextSeqNum).
	lastNs, lastN uint64
	seqNum        bool
	// Buffers flush reuses for each record: its JSON, key and stored
	// bytes.
	detailBuf, keyBuf, valBuf []byte
	// dataAccounts caches which accounts have a trail that selects data
	// events (nil entries: not computed yet); reset on trail changes.
	dmu          sync.Mutex
	dataAccounts map[string]bool

	kick chan struct{}
	done chan struct{}
	wg   sync.WaitGroup

	tmu    sync.Mutex
	timer  clock.Timer
	closed bool
	// tickMu serializes delivery passes.
	tickMu sync.Mutex
}

// New returns CloudTrail and starts its delivery loop on clk.
func New(store storage.Store, clk clock.Clock, bus *events.Bus, opts Options) *CloudTrail {
	if opts.DeliveryInterval <= 0 {
		opts.DeliveryInterval = DefaultDeliveryInterval
	}
	if opts.MaxHistory <= 0 {
		opts.MaxHistory = DefaultMaxHistory
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if bus == nil {
		bus = events.New() // no other services: topics and log groups are unknown
	}
	c := &CloudTrail{store: store, clock: clk, bus: bus, opts: opts,
		dataAccounts: map[string]bool{}, kick: make(chan struct{}, 1), done: make(chan struct{})}
	if last, err := c.lastStoredSeq(); err != nil {
		opts.Log.Error("cloudtrail: read the last record", "error", err)
	} else {
		c.lastSeq = last
	}
	c.wg.Add(1)
	go c.flusher()
	c.schedule()
	return c
}

// schedule arms the next delivery pass.
func (c *CloudTrail) schedule() {
	c.tmu.Lock()
	defer c.tmu.Unlock()
	if c.closed {
		return
	}
	c.timer = c.clock.AfterFunc(c.opts.DeliveryInterval, func() {
		if err := c.Tick(); err != nil {
			c.opts.Log.Error("cloudtrail delivery", "error", err)
		}
		c.schedule()
	})
}

// Close stops the delivery loop and writes the records still pending.
func (c *CloudTrail) Close() error {
	c.tmu.Lock()
	if c.closed {
		c.tmu.Unlock()
		return nil
	}
	c.closed = true
	if c.timer != nil {
		c.timer.Stop()
	}
	c.tmu.Unlock()
	close(c.done)
	c.wg.Wait()
	return c.flush()
}

// Reset drops caches built from the store (POST /_niwa/reset).
func (c *CloudTrail) Reset() error {
	c.pmu.Lock()
	c.pending = nil
	c.pmu.Unlock()
	c.dmu.Lock()
	c.dataAccounts = map[string]bool{}
	c.dmu.Unlock()
	return nil
}

// Tables. Trails are per account (a multi-region trail is seen from every
// region), keyed by home region and name; records per account and the
// region they were recorded in, keyed by sequence.
var (
	trails   = storage.NewTable[trailRecord]("trails")
	history  = storage.NewTable[histRecord]("records")
	dataTbl  = storage.NewTable[histRecord]("data")
	counts   = storage.NewTable[int]("counts")
	accounts = storage.NewTable[bool]("accounts")
	keysTbl  = storage.NewTable[signingKey]("keys")
)

// indexScope holds the index of accounts with trails: no account owns it.
var indexScope = storage.Scope{}

// trailARN is the ARN of a trail.
func trailARN(account, region, name string) string {
	return fmt.Sprintf("arn:aws:cloudtrail:%s:%s:trail/%s", region, account, name)
}

// errTrailNotFound is AWS's answer for an unknown trail.
func errTrailNotFound(ctx *request.Context, name string) error {
	arn := name
	if !strings.HasPrefix(arn, "arn:") {
		arn = trailARN(ctx.Account, ctx.Region, name)
	}
	return cloudtrailapi.ErrTrailNotFoundException.New("Unknown trail: %s for the user: %s", arn, ctx.Account)
}
