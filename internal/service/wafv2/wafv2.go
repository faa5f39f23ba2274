// Package wafv2 is AWS WAF (wafv2): IP sets, regex pattern sets, rule
// groups and web ACLs with AWS's optimistic locking, associations of web
// ACLs with load balancers (and API Gateway stages), logging
// configurations, and the evaluation of an associated web ACL when a
// data plane asks (Inspect), through the engine in internal/waf.
package wafv2

import (
	"fmt"
	"log/slog"
	"sort"
	"strings"

	wafv2api "github.com/niwa-cloud/niwa/internal/api/wafv2"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/clock"
	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
	"github.com/niwa-cloud/niwa/internal/waf"
)

// Kinds of entity, as they appear in ARNs.
const (
	kindIPSet     = "ipset"
	kindRegex     = "regexpatternset"
	kindRuleGroup = "rulegroup"
	kindWebACL    = "webacl"
)

// entity is one stored IP set, regex pattern set, rule group or web
// ACL: the API's own shape (JSON) plus what AWS keeps around it.
type entity struct {
	Kind      string            `json:"kind"`
	Scope     string            `json:"scope"`
	Name      string            `json:"name"`
	ID        string            `json:"id"`
	ARN       string            `json:"arn"`
	LockToken string            `json:"lockToken"`
	Tags      map[string]string `json:"tags,omitempty"`
	IPSet     *wafv2api.IPSet   `json:"ipSet,omitempty"`
	Regex     *wafv2api.RegexPatternSet
	RuleGroup *wafv2api.RuleGroup
	WebACL    *wafv2api.WebACL
}

var (
	// entities are keyed (kind, scope, name, id).
	entities = storage.NewTable[entity]("entities")
	// byARN maps an entity's ARN to its key.
	byARN = storage.NewTable[[]string]("arns")
	// associations map a resource ARN to its web ACL's ARN.
	associations = storage.NewTable[string]("associations")
	// logging holds logging configurations by web ACL ARN.
	logging = storage.NewTable[wafv2api.LoggingConfiguration]("logging")
)

// WAF is the service.
type WAF struct {
	store storage.Store
	clock clock.Clock
	// rates counts rate-based rules' requests; a cache (see Reset).
	rates *waf.Rates
	// samples keeps inspected requests for GetSampledRequests; a cache.
	samples *samples
	// bus carries AWS/WAFV2 metrics to CloudWatch (nil drops them).
	bus *events.Bus
	// locations and defaultCountry place clients for GeoMatch.
	locations      []Location
	defaultCountry string
}

// Options configures New.
type Options struct {
	Store storage.Store
	// Clock counts rate-based rules' windows (real time when nil).
	Clock clock.Clock
	Log   *slog.Logger
	// Bus receives AWS/WAFV2 metrics.
	Bus *events.Bus

	// Locations place client addresses in countries (first match wins);
	// DefaultCountry is the country of every other client ("" matches
	// no GeoMatch statement).
	Locations      []Location
	DefaultCountry string
}

// New returns the service.
func New(opt Options) *WAF {
	if opt.Clock == nil {
		opt.Clock = clock.NewOffset()
	}
	return &WAF{store: opt.Store, clock: opt.Clock, rates: &waf.Rates{}, samples: &samples{}, bus: opt.Bus, locations: opt.Locations, defaultCountry: opt.DefaultCountry}
}

// Reset forgets rate-based counts and sampled requests on POST /_niwa/reset.
func (w *WAF) Reset() error {
	w.rates.Reset()
	w.samples.reset()
	return nil
}

func scopeOf(ctx *request.Context) storage.Scope {
	return storage.Scope{Account: ctx.Account, Region: ctx.Region}
}

// invalid is WAFInvalidParameterException with AWS's field, parameter
// and reason.
func invalid(field, parameter, reason string) error {
	return wafv2api.ErrWAFInvalidParameterException.New("Error reason: %s, field: %s, parameter: %s", reason, field, parameter).
		With("Field", field).With("Parameter", parameter).With("Reason", reason)
}

func nonexistent() error {
	return wafv2api.ErrWAFNonexistentItemException.New("AWS WAF couldn’t perform the operation because your resource doesn’t exist.")
}

func duplicate() error {
	return wafv2api.ErrWAFDuplicateItemException.New("AWS WAF couldn’t perform the operation because some resource in your request is a duplicate of an existing one.")
}

func optimistic() error {
	return wafv2api.ErrWAFOptimisticLockException.New("AWS WAF couldn’t save your changes because someone changed the resource after you started to edit it. Reapply your changes.")
}

// checkScope refuses CLOUDFRONT outside us-east-1, as AWS does.
func checkScope(ctx *request.Context, scope string) error {
	if scope == "CLOUDFRONT" && ctx.Region != "us-east-1" {
		return invalid("SCOPE_VALUE", "CLOUDFRONT", "The scope is not valid.")
	}
	return nil
}

// arnOf is the ARN of a new entity.
func arnOf(ctx *request.Context, scope, kind, name, id string) string {
	prefix := "regional"
	if scope == "CLOUDFRONT" {
		prefix = "global"
	}
	return fmt.Sprintf("arn:aws:wafv2:%s:%s:%s/%s/%s/%s", ctx.Region, ctx.Account, prefix, kind, name, id)
}

func tagMap(tags []wafv2api.Tag) map[string]string {
	if len(tags) == 0 {
		return nil
	}
	m := map[string]string{}
	for _, t := range tags {
		m[ptr.Deref(t.Key)] = ptr.Deref(t.Value)
	}
	return m
}

// create stores a new entity made by fill (given its name, id and ARN)
// unless one of that kind and name exists in the scope.
func (w *WAF) create(ctx *request.Context, kind, scope, name string, tags []wafv2api.Tag, fill func(e *entity) error) (entity, error) {
	if err := checkScope(ctx, scope); err != nil {
		return entity{}, err
	}
	sc := scopeOf(ctx)
	id := awsid.UUID()
	e := entity{Kind: kind, Scope: scope, Name: name, ID: id, ARN: arnOf(ctx, scope, kind, name, id), LockToken: awsid.UUID(), Tags: tagMap(tags)}
	if err := fill(&e); err != nil {
		return entity{}, err
	}
	err := w.store.Update(func(tx storage.Tx) error {
		dup := false
		if err := entities.List(tx, sc, []string{kind, scope, name}, storage.ListOptions{}, func([]string, entity) bool {
			dup = true
			return false
		}); err != nil {
			return err
		}
		if dup {
			return duplicate()
		}
		if err := entities.Put(tx, sc, e, kind, scope, name, id); err != nil {
			return err
		}
		return byARN.Put(tx, sc, []string{kind, scope, name, id}, e.ARN)
	})
	return e, err
}

// get reads an entity by kind, scope, name and id.
func (w *WAF) get(ctx *request.Context, kind, scope, name, id string) (entity, error) {
	if err := checkScope(ctx, scope); err != nil {
		return entity{}, err
	}
	var e entity
	err := w.store.View(func(tx storage.Tx) error {
		var ok bool
		var err error
		e, ok, err = entities.Get(tx, scopeOf(ctx), kind, scope, name, id)
		if err == nil && !ok {
			err = nonexistent()
		}
		return err
	})
	return e, err
}

// update changes an entity when lockToken is its current token and
// returns the next token.
func (w *WAF) update(ctx *request.Context, kind, scope, name, id, lockToken string, change func(e *entity) error) (string, error) {
	if err := checkScope(ctx, scope); err != nil {
		return "", err
	}
	sc := scopeOf(ctx)
	next := awsid.UUID()
	err := w.store.Update(func(tx storage.Tx) error {
		e, ok, err := entities.Get(tx, sc, kind, scope, name, id)
		if err != nil {
			return err
		}
		if !ok {
			return nonexistent()
		}
		if e.LockToken != lockToken {
			return optimistic()
		}
		if err := change(&e); err != nil {
			return err
		}
		e.LockToken = next
		return entities.Put(tx, sc, e, kind, scope, name, id)
	})
	return next, err
}

// remove deletes an entity when lockToken is current and inUse (run in
// the transaction) says nothing refers to it.
func (w *WAF) remove(ctx *request.Context, kind, scope, name, id, lockToken string, inUse func(tx storage.Tx, sc storage.Scope, e entity) error) error {
	if err := checkScope(ctx, scope); err != nil {
		return err
	}
	sc := scopeOf(ctx)
	return w.store.Update(func(tx storage.Tx) error {
		e, ok, err := entities.Get(tx, sc, kind, scope, name, id)
		if err != nil {
			return err
		}
		if !ok {
			return nonexistent()
		}
		if e.LockToken != lockToken {
			return optimistic()
		}
		if inUse != nil {
			if err := inUse(tx, sc, e); err != nil {
				return err
			}
		}
		if err := entities.Delete(tx, sc, kind, scope, name, id); err != nil {
			return err
		}
		if err := logging.Delete(tx, sc, e.ARN); err != nil {
			return err
		}
		return byARN.Delete(tx, sc, e.ARN)
	})
}

// list returns a scope's entities of a kind by name, paged by
// NextMarker (the last name and id returned) and Limit (100 at most).
func (w *WAF) list(ctx *request.Context, kind, scope, marker string, limit int32) ([]entity, *string, error) {
	if err := checkScope(ctx, scope); err != nil {
		return nil, nil, err
	}
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	var all []entity
	err := w.store.View(func(tx storage.Tx) error {
		return entities.List(tx, scopeOf(ctx), []string{kind, scope}, storage.ListOptions{}, func(_ []string, e entity) bool {
			all = append(all, e)
			return true
		})
	})
	if err != nil {
		return nil, nil, err
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Name+"/"+all[i].ID < all[j].Name+"/"+all[j].ID })
	start := 0
	if marker != "" {
		start = len(all)
		for i, e := range all {
			if e.Name+"/"+e.ID > marker {
				start = i
				break
			}
		}
	}
	end := start + int(limit)
	var next *string
	if end < len(all) {
		next = ptr.To(all[end-1].Name + "/" + all[end-1].ID)
	} else {
		end = len(all)
	}
	return all[start:end], next, nil
}

// byARNKey finds an entity by ARN in the caller's account and region.
func entityByARN(tx storage.Tx, sc storage.Scope, arn string) (entity, bool, error) {
	key, ok, err := byARN.Get(tx, sc, arn)
	if err != nil || !ok || len(key) != 4 {
		return entity{}, false, err
	}
	return entities.Get(tx, sc, key...)
}

// scopeFromARN is the scope of an entity ARN (global/ → CLOUDFRONT).
func scopeFromARN(arn string) string {
	if strings.Contains(arn, ":global/") {
		return "CLOUDFRONT"
	}
	return "REGIONAL"
}
