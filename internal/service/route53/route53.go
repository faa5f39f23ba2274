// Package route53 is Amazon Route 53's hosted-zone side: public and private
// hosted zones with their delegation sets, record sets changed in atomic
// batches validated the way Route53 validates them, changes that go from
// PENDING to INSYNC on the clock, health checks at API level, tags, and
// TestDNSAnswer. The records are served over the wire by internal/dns,
// which reads them through the Source this package implements
// (source.go), so the API and the DNS server share one store.
//
// # Storage layout
//
// Route53 is global: zones, record sets, changes and health checks live in
// storage.Global(account). Record sets are keyed by (zone id, name with
// its labels reversed, type, set identifier), which is exactly the order
// ListResourceRecordSets returns them in and lets the DNS server read one
// name, or test for names below it, with a prefix scan. A DNS query names
// no account, so a zone-name index (zone name, account, id) lives in the
// empty scope, shared by all accounts.
package route53

import (
	"net"
	"strings"
	"sync"
	"time"

	route53api "github.com/niwa-cloud/niwa/internal/api/route53"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/clock"
	"github.com/niwa-cloud/niwa/internal/dns"
	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Route53 implements the Route53 API. Bind it with route53api.Bind.
type Route53 struct {
	store    storage.Store
	resolver *dns.Resolver
	source   *Source
	// watch hears of committed writes (changes.go).
	watch *watchers
	// propagation is how long a change stays PENDING.
	propagation time.Duration
	clock       clock.Clock
	// geo is the geolocation catalog (geo.go), parsed on first use
	// (~200 KB of entries every start otherwise), read-only after.
	geo func() []geoEntry
	// bus reaches CloudWatch Logs to check query logging log groups.
	bus *events.Bus

	// The health checker's schedule (checker.go).
	checkMu      sync.Mutex
	checkTimer   clock.Timer
	checkStarted bool // StartHealthChecks was called
	checkArmed   bool // the timer runs: there is a health check
	checkStopped bool
	checkRunning bool
}

// WithClock sets the clock that schedules health-check probes (default
// the wall clock).
func WithClock(c clock.Clock) Option {
	return func(s *Route53) { s.clock = c }
}

// Option configures New.
type Option func(*Route53)

// WithSelf sets how niwa's own address is found: aliases to AWS endpoints
// (S3 website endpoints...) resolve to it.
func WithSelf(self func() net.IP) Option {
	return func(s *Route53) { s.resolver.Self = self }
}

// WithRegion sets niwa's region, which latency records are compared with.
func WithRegion(region string) Option {
	return func(s *Route53) { s.resolver.Region = region }
}

// WithBus sets the events bus through which query logging configs are
// checked against CloudWatch Logs.
func WithBus(b *events.Bus) Option {
	return func(s *Route53) { s.bus = b }
}

// WithClient sets where DNS clients are, for latency, geolocation and
// geoproximity routing (zero: at the region set by WithRegion).
func WithClient(c dns.Client) Option {
	return func(s *Route53) { s.resolver.Client = c }
}

// WithRand sets the source of randomness of weighted routing.
func WithRand(f func(n int64) int64) Option {
	return func(s *Route53) { s.resolver.Rand = f }
}

// WithPropagation sets how long a change stays PENDING before GetChange
// reports INSYNC. The default, 0, reports PENDING in the response that
// makes the change and INSYNC as soon as the clock has moved at all, so
// `aws route53 wait resource-record-sets-changed` returns at once while a
// fake clock still shows the transition.
func WithPropagation(d time.Duration) Option {
	return func(s *Route53) { s.propagation = d }
}

// New returns the Route53 service storing its state in store.
func New(store storage.Store, opts ...Option) *Route53 {
	w := &watchers{}
	s := &Route53{store: notifyingStore{store, w.notify}, watch: w, source: &Source{store: store}, clock: clock.Real{}, geo: sync.OnceValue(func() []geoEntry { return parseGeo(geolocationsTSV) })}
	s.resolver = &dns.Resolver{Source: s.source}
	for _, o := range opts {
		o(s)
	}
	if s.bus != nil {
		s.resolver.Logged = s.logQuery
	}
	return s
}

// Resolver is the resolver over this service's zones, for the DNS server.
func (s *Route53) Resolver() *dns.Resolver { return s.resolver }

// Records.

type vpcRec struct {
	ID     string
	Region string
}

type zoneRec struct {
	ID              string
	Name            string
	CallerReference string
	Comment         *string
	Private         bool
	VPCs            []vpcRec
	NameServers     []string
	DelegationSetID string
	RecordCount     int64
	Tags            map[string]string
	Created         time.Time
	// DNSSEC (dnssec.go).
	Signing bool
	KSKs    []kskRec
}

// indexRec is one entry of the cross-account zone-name index.
type indexRec struct {
	Account string
	ID      string
	Private bool
	VPCs    []string
}

type changeRec struct {
	ID        string
	Submitted time.Time
	Comment   *string
}

var (
	zones      = storage.NewTable[zoneRec]("zones")
	callerRefs = storage.NewTable[string]("zone-caller-refs")
	zoneIndex  = storage.NewTable[indexRec]("zone-index")
	rrsets     = storage.NewTable[route53api.ResourceRecordSet]("rrsets")
	changes    = storage.NewTable[changeRec]("changes")
)

// indexScope is the scope of the cross-account zone-name index.
var indexScope = storage.Scope{}

func scope(ctx *request.Context) storage.Scope { return storage.Global(ctx.Account) }

// Ids.

const idAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// newZoneID is "Z" and 20 upper-case letters and digits, as current
// Route53 zone ids are.
func newZoneID() string   { return "Z" + awsid.String(idAlphabet, 20) }
func newChangeID() string { return "C" + awsid.String(idAlphabet, 20) }

// bareID strips the "/hostedzone/" (or "/change/", ...) prefix clients
// may leave on an id; botocore and the Go SDK strip it themselves.
func bareID(id string) string {
	id = strings.TrimPrefix(id, "/")
	for _, p := range []string{"hostedzone/", "change/", "delegationset/", "healthcheck/"} {
		id = strings.TrimPrefix(id, p)
	}
	return id
}

// Names.

// normName is a domain name as Route53 stores it: lower case, with the
// trailing dot, "\052" read as "*".
func normName(name string) string {
	name = strings.ToLower(strings.TrimSpace(name))
	name = strings.ReplaceAll(name, `\052`, "*")
	if !strings.HasSuffix(name, ".") {
		name += "."
	}
	return name
}

// outName is a stored name as Route53 returns it: "*" escaped as "\052".
func outName(name string) string { return strings.ReplaceAll(name, "*", `\052`) }

// reverse is name with its labels reversed and no trailing dot
// ("www.example.com." -> "com.example.www"), the record-set sort key.
func reverse(name string) string {
	name = strings.TrimSuffix(name, ".")
	if name == "" {
		return ""
	}
	labels := strings.Split(name, ".")
	for i, j := 0, len(labels)-1; i < j; i, j = i+1, j-1 {
		labels[i], labels[j] = labels[j], labels[i]
	}
	return strings.Join(labels, ".")
}

// inZone reports whether name is the apex of zone or below it.
func inZone(name, zone string) bool {
	return name == zone || zone == "." || strings.HasSuffix(name, "."+zone)
}

// validDomain checks a zone name the way CreateHostedZone does.
func validDomain(name string) bool {
	n := strings.TrimSuffix(name, ".")
	if n == "" || len(n) > 253 {
		return false
	}
	for _, l := range strings.Split(n, ".") {
		if l == "" || len(l) > 63 {
			return false
		}
	}
	return true
}

func noSuchZone(id string) error {
	return route53api.ErrNoSuchHostedZone.New("No hosted zone found with ID: %s", id)
}

func invalidInput(format string, args ...any) error {
	return route53api.ErrInvalidInput.New(format, args...)
}

// getZone reads a zone of the caller's account by (possibly prefixed) id.
func getZone(tx storage.Tx, sc storage.Scope, id string) (zoneRec, error) {
	id = bareID(id)
	z, ok, err := zones.Get(tx, sc, id)
	if err != nil {
		return z, err
	}
	if !ok {
		return z, noSuchZone(id)
	}
	return z, nil
}

// changeInfo records a change and returns its PENDING ChangeInfo.
func (s *Route53) newChange(ctx *request.Context, tx storage.Tx, comment *string) (*route53api.ChangeInfo, error) {
	c := changeRec{ID: newChangeID(), Submitted: ctx.Now(), Comment: comment}
	if err := changes.Put(tx, scope(ctx), c, c.ID); err != nil {
		return nil, err
	}
	return &route53api.ChangeInfo{Id: ptr.To("/change/" + c.ID), Status: ptr.To("PENDING"), SubmittedAt: ptr.To(c.Submitted.UTC()), Comment: comment}, nil
}

// GetChange reports PENDING until the propagation time has passed on the
// clock, then INSYNC.
func (s *Route53) GetChange(ctx *request.Context, in *route53api.GetChangeInput) (*route53api.GetChangeOutput, error) {
	id := bareID(ptr.Deref(in.Id))
	var c changeRec
	var ok bool
	err := s.store.View(func(tx storage.Tx) error {
		var err error
		c, ok, err = changes.Get(tx, scope(ctx), id)
		return err
	})
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, route53api.ErrNoSuchChange.New("A change with the specified change ID does not exist.")
	}
	status := "PENDING"
	if now := ctx.Now(); now.After(c.Submitted) && !now.Before(c.Submitted.Add(s.propagation)) {
		status = "INSYNC"
	}
	return &route53api.GetChangeOutput{ChangeInfo: &route53api.ChangeInfo{
		Id: ptr.To("/change/" + c.ID), Status: ptr.To(status), SubmittedAt: ptr.To(c.Submitted.UTC()), Comment: c.Comment,
	}}, nil
}

var _ = awserr.InternalFailure
