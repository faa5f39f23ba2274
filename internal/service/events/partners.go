package events

import (
	"sort"
	"strings"
	"time"

	"encoding/json"
	eventsapi "github.com/niwa-cloud/niwa/internal/api/events"
	"github.com/niwa-cloud/niwa/internal/lazyre"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Partner event sources. In AWS a SaaS partner (an account registered with
// EventBridge) creates an event source for a customer account; the
// customer sees it PENDING, associates it with a partner event bus of the
// same name (CreateEventBus with EventSourceName), which makes it ACTIVE,
// and the partner's PutPartnerEvents then reach that bus. In niwa any
// account can play the partner, so the whole flow runs locally: a test
// creates the source with one account and receives its events with
// another (or the same).

// pendingExpiry is how long a source stays PENDING before AWS deletes it
// unless the customer associates it; niwa reports the time (and does not
// delete).
const pendingExpiry = 12 * 24 * time.Hour

// partnerSource is a source as its partner sees it, kept in the partner's
// account by (name, customer account).
type partnerSource struct {
	Name, Account string
	Created       time.Time
}

// eventSource is a source as its customer sees it, kept in the customer's
// account by name.
type eventSource struct {
	Name    string
	Partner string // the partner's account
	State   string // PENDING, ACTIVE, DELETED
	Created time.Time
}

var (
	partnerSources = storage.NewTable[partnerSource]("partner-source")
	eventSources   = storage.NewTable[eventSource]("event-source")
)

var partnerSourceName = lazyre.New(`^aws\.partner(/[\.\-_A-Za-z0-9]+){2,}$`)

func eventSourceARN(region, name string) string {
	return "arn:aws:events:" + region + "::event-source/" + name
}

// createdBy is the partner's name: the source name's first two segments.
func createdBy(name string) string {
	p := strings.SplitN(name, "/", 3)
	if len(p) < 2 {
		return name
	}
	return p[0] + "/" + p[1]
}

func (s eventSource) out(region string) eventsapi.EventSource {
	o := eventsapi.EventSource{Arn: ptr.To(eventSourceARN(region, s.Name)), CreatedBy: ptr.To(createdBy(s.Name)),
		CreationTime: ptr.To(s.Created), Name: ptr.To(s.Name), State: ptr.To(s.State)}
	if s.State == "PENDING" {
		o.ExpirationTime = ptr.To(s.Created.Add(pendingExpiry))
	}
	return o
}

func sourceNotFound(name string) error {
	return eventsapi.ErrResourceNotFoundException.New("Event source %s does not exist.", name)
}

func checkSourceName(name string) error {
	if len(name) > 256 || !partnerSourceName.MatchString(name) {
		return validation("1 validation error detected: Value '%s' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: aws\\.partner(/[\\.\\-_A-Za-z0-9]+){2,}", name)
	}
	return nil
}

// CreatePartnerEventSource (partner side) creates a source for a customer
// account, which sees it PENDING.
func (e *Events) CreatePartnerEventSource(ctx *request.Context, in *eventsapi.CreatePartnerEventSourceRequest) (*eventsapi.CreatePartnerEventSourceResponse, error) {
	name, account := ptr.Deref(in.Name), ptr.Deref(in.Account)
	if err := checkSourceName(name); err != nil {
		return nil, err
	}
	if !isAccountID(account) {
		return nil, validation("1 validation error detected: Value '%s' at 'account' failed to satisfy constraint: Member must satisfy regular expression pattern: \\d{12}", account)
	}
	psc, csc := scope(ctx), storage.Scope{Account: account, Region: ctx.Region}
	err := e.store.Update(func(tx storage.Tx) error {
		if _, ok, err := eventSources.Get(tx, csc, name); err != nil {
			return err
		} else if ok {
			return eventsapi.ErrResourceAlreadyExistsException.New("Event source %s already exists.", name)
		}
		if err := partnerSources.Put(tx, psc, partnerSource{Name: name, Account: account, Created: ctx.Now()}, name, account); err != nil {
			return err
		}
		return eventSources.Put(tx, csc, eventSource{Name: name, Partner: ctx.Account, State: "PENDING", Created: ctx.Now()}, name)
	})
	if err != nil {
		return nil, err
	}
	return &eventsapi.CreatePartnerEventSourceResponse{EventSourceArn: ptr.To(eventSourceARN(ctx.Region, name))}, nil
}

// partnerAccounts lists the customer accounts of one of the caller's
// sources.
func (e *Events) partnerAccounts(tx storage.Tx, sc storage.Scope, name string) ([]partnerSource, error) {
	var out []partnerSource
	err := partnerSources.List(tx, sc, []string{name}, storage.ListOptions{}, func(_ []string, p partnerSource) bool {
		out = append(out, p)
		return true
	})
	return out, err
}

// DescribePartnerEventSource (partner side) describes one of the caller's
// sources.
func (e *Events) DescribePartnerEventSource(ctx *request.Context, in *eventsapi.DescribePartnerEventSourceRequest) (*eventsapi.DescribePartnerEventSourceResponse, error) {
	name := ptr.Deref(in.Name)
	if err := checkSourceName(name); err != nil {
		return nil, err
	}
	var n int
	err := e.store.View(func(tx storage.Tx) error {
		accts, err := e.partnerAccounts(tx, scope(ctx), name)
		n = len(accts)
		return err
	})
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, sourceNotFound(name)
	}
	return &eventsapi.DescribePartnerEventSourceResponse{Arn: ptr.To(eventSourceARN(ctx.Region, name)), Name: ptr.To(name)}, nil
}

// ListPartnerEventSources (partner side) lists the caller's source names
// with a prefix (required).
func (e *Events) ListPartnerEventSources(ctx *request.Context, in *eventsapi.ListPartnerEventSourcesRequest) (*eventsapi.ListPartnerEventSourcesResponse, error) {
	prefix := ptr.Deref(in.NamePrefix)
	if prefix == "" {
		return nil, validation("1 validation error detected: Value at 'namePrefix' failed to satisfy constraint: Member must not be null")
	}
	seen := map[string]bool{}
	var names []string
	err := e.store.View(func(tx storage.Tx) error {
		return partnerSources.List(tx, scope(ctx), nil, storage.ListOptions{}, func(_ []string, p partnerSource) bool {
			if strings.HasPrefix(p.Name, prefix) && !seen[p.Name] {
				seen[p.Name] = true
				names = append(names, p.Name)
			}
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	items, next := page(names, func(s string) string { return s }, in.NextToken, in.Limit)
	out := &eventsapi.ListPartnerEventSourcesResponse{PartnerEventSources: []eventsapi.PartnerEventSource{}, NextToken: next}
	for _, n := range items {
		out.PartnerEventSources = append(out.PartnerEventSources, eventsapi.PartnerEventSource{Arn: ptr.To(eventSourceARN(ctx.Region, n)), Name: ptr.To(n)})
	}
	return out, nil
}

// ListPartnerEventSourceAccounts (partner side) lists the customer
// accounts a source was created for, with the state each sees.
func (e *Events) ListPartnerEventSourceAccounts(ctx *request.Context, in *eventsapi.ListPartnerEventSourceAccountsRequest) (*eventsapi.ListPartnerEventSourceAccountsResponse, error) {
	name := ptr.Deref(in.EventSourceName)
	if err := checkSourceName(name); err != nil {
		return nil, err
	}
	out := &eventsapi.ListPartnerEventSourceAccountsResponse{PartnerEventSourceAccounts: []eventsapi.PartnerEventSourceAccount{}}
	err := e.store.View(func(tx storage.Tx) error {
		accts, err := e.partnerAccounts(tx, scope(ctx), name)
		if err != nil {
			return err
		}
		if len(accts) == 0 {
			return sourceNotFound(name)
		}
		sort.Slice(accts, func(i, j int) bool { return accts[i].Account < accts[j].Account })
		items, next := page(accts, func(p partnerSource) string { return p.Account }, in.NextToken, in.Limit)
		out.NextToken = next
		for _, p := range items {
			s, ok, err := eventSources.Get(tx, storage.Scope{Account: p.Account, Region: ctx.Region}, name)
			if err != nil {
				return err
			}
			if !ok {
				s = eventSource{State: "DELETED", Created: p.Created}
			}
			a := eventsapi.PartnerEventSourceAccount{Account: ptr.To(p.Account), CreationTime: ptr.To(p.Created), State: ptr.To(s.State)}
			if s.State == "PENDING" {
				a.ExpirationTime = ptr.To(p.Created.Add(pendingExpiry))
			}
			out.PartnerEventSourceAccounts = append(out.PartnerEventSourceAccounts, a)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeletePartnerEventSource (partner side) deletes a source of one
// customer account; the customer's partner bus stays and receives no
// more events.
func (e *Events) DeletePartnerEventSource(ctx *request.Context, in *eventsapi.DeletePartnerEventSourceRequest) (*eventsapi.DeletePartnerEventSourceOutput, error) {
	name, account := ptr.Deref(in.Name), ptr.Deref(in.Account)
	if err := checkSourceName(name); err != nil {
		return nil, err
	}
	csc := storage.Scope{Account: account, Region: ctx.Region}
	err := e.store.Update(func(tx storage.Tx) error {
		if _, ok, err := partnerSources.Get(tx, scope(ctx), name, account); err != nil || !ok {
			return err // deleting what does not exist succeeds, as in AWS
		}
		if err := partnerSources.Delete(tx, scope(ctx), name, account); err != nil {
			return err
		}
		return eventSources.Delete(tx, csc, name)
	})
	if err != nil {
		return nil, err
	}
	return &eventsapi.DeletePartnerEventSourceOutput{}, nil
}

// getSource reads one of the caller's (customer) sources.
func getSource(tx storage.Tx, sc storage.Scope, name string) (eventSource, error) {
	s, ok, err := eventSources.Get(tx, sc, name)
	if err == nil && !ok {
		err = sourceNotFound(name)
	}
	return s, err
}

// DescribeEventSource (customer side) describes a source a partner
// created for the caller.
func (e *Events) DescribeEventSource(ctx *request.Context, in *eventsapi.DescribeEventSourceRequest) (*eventsapi.DescribeEventSourceResponse, error) {
	name := ptr.Deref(in.Name)
	if err := checkSourceName(name); err != nil {
		return nil, err
	}
	var s eventSource
	err := e.store.View(func(tx storage.Tx) error {
		var err error
		s, err = getSource(tx, scope(ctx), name)
		return err
	})
	if err != nil {
		return nil, err
	}
	o := s.out(ctx.Region)
	return &eventsapi.DescribeEventSourceResponse{Arn: o.Arn, CreatedBy: o.CreatedBy, CreationTime: o.CreationTime,
		ExpirationTime: o.ExpirationTime, Name: o.Name, State: o.State}, nil
}

// ListEventSources (customer side) lists the sources partners created for
// the caller.
func (e *Events) ListEventSources(ctx *request.Context, in *eventsapi.ListEventSourcesRequest) (*eventsapi.ListEventSourcesResponse, error) {
	var all []eventSource
	err := e.store.View(func(tx storage.Tx) error {
		return eventSources.List(tx, scope(ctx), nil, storage.ListOptions{}, func(_ []string, s eventSource) bool {
			if strings.HasPrefix(s.Name, ptr.Deref(in.NamePrefix)) {
				all = append(all, s)
			}
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Name < all[j].Name })
	items, next := page(all, func(s eventSource) string { return s.Name }, in.NextToken, in.Limit)
	out := &eventsapi.ListEventSourcesResponse{EventSources: []eventsapi.EventSource{}, NextToken: next}
	for _, s := range items {
		out.EventSources = append(out.EventSources, s.out(ctx.Region))
	}
	return out, nil
}

func (e *Events) setSourceState(ctx *request.Context, name, state string) error {
	if err := checkSourceName(name); err != nil {
		return err
	}
	return e.store.Update(func(tx storage.Tx) error {
		s, err := getSource(tx, scope(ctx), name)
		if err != nil {
			return err
		}
		if s.State == "DELETED" {
			return eventsapi.ErrInvalidStateException.New("Event source %s is deleted.", name)
		}
		s.State = state
		return eventSources.Put(tx, scope(ctx), s, name)
	})
}

// ActivateEventSource (customer side) resumes a deactivated source: its
// events reach the partner bus again.
func (e *Events) ActivateEventSource(ctx *request.Context, in *eventsapi.ActivateEventSourceRequest) (*eventsapi.ActivateEventSourceOutput, error) {
	if err := e.setSourceState(ctx, ptr.Deref(in.Name), "ACTIVE"); err != nil {
		return nil, err
	}
	return &eventsapi.ActivateEventSourceOutput{}, nil
}

// DeactivateEventSource (customer side) pauses a source: its events are
// dropped until it is activated again.
func (e *Events) DeactivateEventSource(ctx *request.Context, in *eventsapi.DeactivateEventSourceRequest) (*eventsapi.DeactivateEventSourceOutput, error) {
	if err := e.setSourceState(ctx, ptr.Deref(in.Name), "PENDING"); err != nil {
		return nil, err
	}
	return &eventsapi.DeactivateEventSourceOutput{}, nil
}

// PutPartnerEvents (partner side) sends events from the caller's sources:
// each entry's Source names the source, and its event reaches the partner
// bus of every customer account where the source is ACTIVE. An entry
// fails when the caller has no such source.
func (e *Events) PutPartnerEvents(ctx *request.Context, in *eventsapi.PutPartnerEventsRequest) (*eventsapi.PutPartnerEventsResponse, error) {
	if n := len(in.Entries); n < 1 || n > 20 {
		return nil, validation("1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length less than or equal to 20 and greater than or equal to 1")
	}
	total := 0
	for _, en := range in.Entries {
		total += entrySize(eventsapi.PutEventsRequestEntry{Time: en.Time, Source: en.Source, DetailType: en.DetailType, Detail: en.Detail, Resources: en.Resources})
	}
	if total > maxPutEventsSize {
		return nil, validation("Total size of the entries in the request is over the limit.")
	}
	out := &eventsapi.PutPartnerEventsResponse{Entries: []eventsapi.PutPartnerEventsResultEntry{}}
	failed := int32(0)
	var ready []envelope
	for _, en := range in.Entries {
		src := ptr.Deref(en.Source)
		var accts []partnerSource
		err := e.store.View(func(tx storage.Tx) error {
			var err error
			accts, err = e.partnerAccounts(tx, scope(ctx), src)
			return err
		})
		if err != nil {
			return nil, err
		}
		if src == "" || len(accts) == 0 {
			failed++
			out.Entries = append(out.Entries, eventsapi.PutPartnerEventsResultEntry{ErrorCode: ptr.To("InvalidArgument"),
				ErrorMessage: ptr.To("Parameter Source is not valid. Reason: Event source " + src + " does not exist.")})
			continue
		}
		// The entry is checked as PutEvents checks one, then sent to each
		// customer whose source is active, under the customer's account.
		var res eventsapi.PutEventsResultEntry
		for _, p := range accts {
			csc := storage.Scope{Account: p.Account, Region: ctx.Region}
			var s eventSource
			var ok bool
			if err := e.store.View(func(tx storage.Tx) error {
				var err error
				s, ok, err = eventSources.Get(tx, csc, src)
				return err
			}); err != nil {
				return nil, err
			}
			cctx := *ctx
			cctx.Account = p.Account
			var env envelope
			res, env = e.checkPartnerEntry(&cctx, en, csc, src)
			if res.ErrorCode != nil {
				break
			}
			if ok && s.State == "ACTIVE" && env.bus != "" {
				ready = append(ready, env)
			}
		}
		if res.ErrorCode != nil {
			failed++
			out.Entries = append(out.Entries, eventsapi.PutPartnerEventsResultEntry{ErrorCode: res.ErrorCode, ErrorMessage: res.ErrorMessage})
			continue
		}
		out.Entries = append(out.Entries, eventsapi.PutPartnerEventsResultEntry{EventId: res.EventId})
	}
	for _, env := range ready {
		e.enqueue(env)
	}
	out.FailedEntryCount = ptr.To(failed)
	return out, nil
}

// checkPartnerEntry checks a partner entry as PutEvents checks one (a
// partner source may be named aws.partner/...) and makes its envelope for
// the customer's partner bus; a customer without that bus gets nothing
// (env.bus is empty).
func (e *Events) checkPartnerEntry(ctx *request.Context, en eventsapi.PutPartnerEventsRequestEntry, sc storage.Scope, src string) (eventsapi.PutEventsResultEntry, envelope) {
	var has bool
	if err := e.store.View(func(tx storage.Tx) error {
		_, ok, err := buses.Get(tx, sc, src)
		has = ok
		return err
	}); err != nil {
		return entryErr("InternalFailure", "Internal service error."), envelope{}
	}
	// Checked against the partner bus when the customer has one, else
	// against the default bus only for the entry's shape.
	bus := src
	if !has {
		bus = defaultBus
	}
	res, env := e.checkEntry(ctx, eventsapi.PutEventsRequestEntry{Time: en.Time, Source: ptr.To("partner:" + src),
		Resources: en.Resources, DetailType: en.DetailType, Detail: en.Detail}, sc, bus)
	if res.ErrorCode != nil || !has {
		env.bus = ""
		return res, env
	}
	env.event = relabelSource(env.event, src)
	return res, env
}

// relabelSource sets an event's source (checkEntry refuses aws.* sources
// from PutEvents callers; a partner's source is one of those).
func relabelSource(event []byte, src string) []byte {
	var w wireEvent
	if json.Unmarshal(event, &w) != nil {
		return event
	}
	w.Source = src
	return marshalEvent(w)
}
