// Package ec2 is Amazon EC2 and Amazon VPC: simulated instances with a real
// lifecycle on the injected clock, a catalog of public images, volumes and
// snapshots at API level, and a VPC model (VPCs, subnets, route tables,
// gateways, Elastic IPs, endpoints, security groups, ENIs, DHCP options,
// network ACLs, peering, VPN) whose routes the route package evaluates.
//
// # Storage layout
//
// Every resource is one record under storage.Scope{account, region} in a
// table per kind, keyed by its id. Records are the API's own shapes (the
// generated ec2api types), wrapped where EC2 keeps more than it shows
// (an instance's user data and attributes, a VPC's DNS attributes), so that
// Describe calls are a scan plus the shared filter engine. Private IP
// addresses in use are indexed per subnet (table "ip") so allocation and
// AvailableIpAddressCount stay exact. Instance state transitions still to
// happen are indexed outside any account (table "transition" in the empty
// scope) so that a restart with --data-dir re-arms their timers.
package ec2

import (
	"encoding/hex"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/clock"
	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/objects"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/service/ec2/filter"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Options tunes the simulation.
type Options struct {
	// BootDelay is how long an instance stays pending (default 3s).
	BootDelay time.Duration
	// StopDelay is how long stopping and shutting-down last (default 3s).
	StopDelay time.Duration
	// TerminatedRetention is how long a terminated instance stays
	// visible (AWS: about an hour).
	TerminatedRetention time.Duration
	// NatDelay is how long a NAT gateway stays pending (default 1s).
	NatDelay time.Duration
	// AnalysisDelay is how long a Reachability Analyzer analysis stays
	// running (default 5s).
	AnalysisDelay time.Duration
	// Log receives what goes wrong in the background (the instance
	// runtime); nil discards it.
	Log *slog.Logger
	// Objects is S3 as the store ExportTransitGatewayRoutes writes to
	// (nil: exports are refused).
	Objects objects.Store
}

// EC2 implements the EC2 API; bind it with ec2api.Bind.
type EC2 struct {
	store storage.Store
	bus   *events.Bus
	clock clock.Clock
	opts  Options

	mu     sync.Mutex
	timers map[string]clock.Timer
	closed bool
	// runtime runs instances' processes (nil: records only).
	runtime Runtime
}

// New returns the EC2 service. It re-arms the timers of state transitions
// that were pending when the previous process stopped.
func New(store storage.Store, bus *events.Bus, clk clock.Clock, opts Options) (*EC2, error) {
	if opts.BootDelay <= 0 {
		opts.BootDelay = 3 * time.Second
	}
	if opts.StopDelay <= 0 {
		opts.StopDelay = 3 * time.Second
	}
	if opts.TerminatedRetention <= 0 {
		opts.TerminatedRetention = time.Hour
	}
	if opts.NatDelay <= 0 {
		opts.NatDelay = time.Second
	}
	if opts.AnalysisDelay <= 0 {
		opts.AnalysisDelay = 5 * time.Second
	}
	s := &EC2{store: store, bus: bus, clock: clk, opts: opts, timers: map[string]clock.Timer{}}
	if err := s.resume(); err != nil {
		return nil, err
	}
	return s, nil
}

// Close stops every pending timer; stored transitions resume on the next
// New.
func (s *EC2) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	for k, t := range s.timers {
		t.Stop()
		delete(s.timers, k)
	}
	return nil
}

func scope(ctx *request.Context) storage.Scope {
	return storage.Scope{Account: ctx.Account, Region: ctx.Region}
}

// newID returns an id in AWS's current form: prefix, dash, 17 hex digits.
func newID(prefix string) string {
	return prefix + "-" + awsid.Hex(17)
}

func boolStr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// resource describes one kind of record: its table, its id prefix, the
// resource type tag specifications name, its tags and its not-found error.
type resource[T any] struct {
	table    storage.Table[T]
	prefix   string
	typ      string
	noun     string
	notFound awserr.Code
	tags     func(*T) *[]ec2api.Tag
	doc      func(*T) filter.Doc
}

func (r resource[T]) get(tx storage.Tx, sc storage.Scope, id string) (T, error) {
	v, ok, err := r.table.Get(tx, sc, id)
	if err != nil {
		return v, err
	}
	if !ok {
		return v, r.missing(id)
	}
	return v, nil
}

func (r resource[T]) missing(ids ...string) error {
	return notFound(r.notFound, r.noun, ids...)
}

// getEach reads the records with these ids, in their order. If any is not
// there it answers NotFound naming every missing id, as EC2 does for a call
// that names several.
func (r resource[T]) getEach(tx storage.Tx, sc storage.Scope, ids []string) ([]T, error) {
	var out []T
	var missing []string
	for _, id := range ids {
		v, ok, err := r.table.Get(tx, sc, id)
		if err != nil {
			return nil, err
		}
		if !ok {
			missing = append(missing, id)
			continue
		}
		out = append(out, v)
	}
	if len(missing) > 0 {
		return nil, r.missing(missing...)
	}
	return out, nil
}

func (r resource[T]) put(tx storage.Tx, sc storage.Scope, id string, v T) error {
	return r.table.Put(tx, sc, v, id)
}

func (r resource[T]) all(tx storage.Tx, sc storage.Scope) ([]T, error) {
	var out []T
	err := r.table.List(tx, sc, nil, storage.ListOptions{}, func(_ []string, v T) bool {
		out = append(out, v)
		return true
	})
	return out, err
}

// getTags and setTags make every kind taggable through CreateTags.
func (r resource[T]) getTags(tx storage.Tx, sc storage.Scope, id string) ([]ec2api.Tag, bool, error) {
	v, ok, err := r.table.Get(tx, sc, id)
	if err != nil || !ok || r.tags == nil {
		return nil, ok, err
	}
	return *r.tags(&v), true, nil
}

func (r resource[T]) setTags(tx storage.Tx, sc storage.Scope, id string, tags []ec2api.Tag) error {
	v, ok, err := r.table.Get(tx, sc, id)
	if err != nil || !ok {
		return err
	}
	*r.tags(&v) = tags
	return r.table.Put(tx, sc, v, id)
}

func (r resource[T]) resourceType() string { return r.typ }

type taggable interface {
	getTags(tx storage.Tx, sc storage.Scope, id string) ([]ec2api.Tag, bool, error)
	setTags(tx storage.Tx, sc storage.Scope, id string, tags []ec2api.Tag) error
	resourceType() string
}

// page is a Describe call's selection and paging.
type page struct {
	ids        []string
	filters    []ec2api.Filter
	maxResults *int32
	nextToken  *string
}

// describe is every Describe*: explicit ids must all exist (EC2 names the
// missing ones), filters go through the one filter engine, results come
// in id order and page by NextToken (the last id returned).
func describe[T any](s *EC2, ctx *request.Context, r resource[T], p page, keep func(*T) bool) ([]T, *string, error) {
	var zero T
	if err := filter.Validate(p.filters, r.doc(&zero)); err != nil {
		return nil, nil, err
	}
	if p.maxResults != nil && len(p.ids) > 0 {
		return nil, nil, errInvalidParameterCombo.New("The parameter %ss cannot be used with the parameter maxResults", strings.ToLower(r.noun[:1])+r.noun[1:]+"Id")
	}
	if p.maxResults != nil && (*p.maxResults < 5 || *p.maxResults > 1000) {
		return nil, nil, errInvalidParameterValue.New("Value ( %d ) for parameter maxResults is invalid. Expecting a value between 5 and 1000.", *p.maxResults)
	}
	sc := scope(ctx)
	var out []T
	var next *string
	err := s.store.View(func(tx storage.Tx) error {
		if len(p.ids) > 0 {
			var missing []string
			seen := map[string]bool{}
			for _, id := range p.ids {
				if seen[id] {
					continue
				}
				seen[id] = true
				v, ok, err := r.table.Get(tx, sc, id)
				if err != nil {
					return err
				}
				if !ok || (keep != nil && !keep(&v)) {
					missing = append(missing, id)
					continue
				}
				if filter.Match(p.filters, r.doc(&v)) {
					out = append(out, v)
				}
			}
			if len(missing) > 0 {
				return r.missing(missing...)
			}
			return nil
		}
		opts := storage.ListOptions{}
		if t := ptr.Deref(p.nextToken); t != "" {
			after, err := decodeToken(t)
			if err != nil {
				return err
			}
			opts.After = []string{after}
		}
		limit := int(ptr.Deref(p.maxResults))
		var lastKey string
		return r.table.List(tx, sc, nil, opts, func(k []string, v T) bool {
			if limit > 0 && len(out) == limit {
				next = ptr.To(encodeToken(lastKey))
				return false
			}
			lastKey = k[0]
			if (keep == nil || keep(&v)) && filter.Match(p.filters, r.doc(&v)) {
				out = append(out, v)
			}
			return true
		})
	})
	return out, next, err
}

func encodeToken(last string) string { return hex.EncodeToString([]byte(last)) }

func decodeToken(t string) (string, error) {
	b, err := hex.DecodeString(t)
	if err != nil || len(b) == 0 {
		return "", errInvalidNextToken.New("The token '%s' is invalid.", t)
	}
	return string(b), nil
}

// tagsFor picks the tags of tag specifications meant for resource type typ.
func tagsFor(specs []ec2api.TagSpecification, typ string) []ec2api.Tag {
	var out []ec2api.Tag
	for _, sp := range specs {
		if ptr.Deref(sp.ResourceType) == typ {
			out = mergeTags(out, sp.Tags)
		}
	}
	return out
}

func mergeTags(cur, add []ec2api.Tag) []ec2api.Tag {
	for _, t := range add {
		replaced := false
		for i := range cur {
			if ptr.Deref(cur[i].Key) == ptr.Deref(t.Key) {
				cur[i].Value = ptr.To(ptr.Deref(t.Value))
				replaced = true
			}
		}
		if !replaced {
			cur = append(cur, ec2api.Tag{Key: ptr.To(ptr.Deref(t.Key)), Value: ptr.To(ptr.Deref(t.Value))})
		}
	}
	sort.SliceStable(cur, func(i, j int) bool { return ptr.Deref(cur[i].Key) < ptr.Deref(cur[j].Key) })
	return cur
}

// mutate reads one record, lets fn change it and stores it, in one
// transaction: the shape of most Modify*, Attach* and Accept* calls.
func mutate[T any](s *EC2, ctx *request.Context, r resource[T], id string, fn func(tx storage.Tx, sc storage.Scope, v *T) error) error {
	sc := scope(ctx)
	return s.store.Update(func(tx storage.Tx) error {
		v, err := r.get(tx, sc, id)
		if err != nil {
			return err
		}
		if err := fn(tx, sc, &v); err != nil {
			return err
		}
		return r.put(tx, sc, id, v)
	})
}

// remove deletes one record once check (which may be nil) allows it.
func remove[T any](s *EC2, ctx *request.Context, r resource[T], id string, check func(tx storage.Tx, sc storage.Scope, v *T) error) error {
	sc := scope(ctx)
	return s.store.Update(func(tx storage.Tx) error {
		v, err := r.get(tx, sc, id)
		if err != nil {
			return err
		}
		if check != nil {
			if err := check(tx, sc, &v); err != nil {
				return err
			}
		}
		return r.table.Delete(tx, sc, id)
	})
}

// describeMembers lists the members (allowed principals, associations,
// groups...) of the resource id names that match the filters, paged.
func describeMembers[R, M any](s *EC2, ctx *request.Context, r resource[R], id string, members func(R) []M,
	filters []ec2api.Filter, doc func(*M) filter.Doc, maxResults *int32, token *string) ([]M, *string, error) {
	if err := filter.Validate(filters, doc(new(M))); err != nil {
		return nil, nil, err
	}
	var list []M
	err := s.store.View(func(tx storage.Tx) error {
		v, err := r.get(tx, scope(ctx), id)
		for _, m := range members(v) {
			if filter.Match(filters, doc(&m)) {
				list = append(list, m)
			}
		}
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	items, next, err := pageOf(list, maxResults, token)
	return append([]M{}, items...), next, err
}

// answer is the end of a handler: out when the work succeeded, else err.
// out is built before err is known, so it must be safe to build either way.
func answer[O any](out *O, err error) (*O, error) {
	if err != nil {
		return nil, err
	}
	return out, nil
}

// hasDependencies is EC2's DependencyViolation for deleting a resource that
// something still uses; what is the resource type as EC2 spells it in the
// message ("routeTable", "internetGateway").
func hasDependencies(what, id string) error {
	return errDependencyViolation.New("The %s '%s' has dependencies and cannot be deleted.", what, id)
}

// removeUnused deletes one record unless inUse says something still depends
// on it, which EC2 refuses with DependencyViolation.
func removeUnused[T any](s *EC2, ctx *request.Context, r resource[T], id string, inUse func(*T) bool) error {
	return remove(s, ctx, r, id, func(_ storage.Tx, _ storage.Scope, v *T) error {
		if inUse(v) {
			return hasDependencies(r.noun, id)
		}
		return nil
	})
}

// orEmpty makes lists serialize as empty rather than absent.
func orEmpty[T any](v []T) []T {
	if v == nil {
		return []T{}
	}
	return v
}

// describeAs is describe for records stored wrapped (a transit gateway
// attachment, a route table with its routes): it answers what view makes
// of each record, never nil.
func describeAs[T, O any](s *EC2, ctx *request.Context, r resource[T], p page, keep func(*T) bool, view func(*T) O) ([]O, *string, error) {
	recs, next, err := describe(s, ctx, r, p, keep)
	out := make([]O, 0, len(recs))
	for i := range recs {
		out = append(out, view(&recs[i]))
	}
	return out, next, err
}
