package events

import (
	"sort"
	"strings"
	"time"

	eventsapi "github.com/niwa-cloud/niwa/internal/api/events"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/lazyre"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Global endpoints. An endpoint pairs two buses of the same name in two
// regions; events sent to it (PutEvents with EndpointId) go to the bus of
// the primary region (the endpoint's own), and with replication enabled
// to the secondary region's bus too, as AWS replicates them. The Route 53
// health check is named, not consulted: niwa's primary region is always
// healthy, so there is no failover.

type endpointRecord struct {
	Name, Description string
	ID                string
	Buses             []string
	HealthCheck       string
	Secondary         string
	Replication       string
	RoleArn           string `json:",omitempty"`
	Created, Modified time.Time
}

// endpointRef finds an endpoint by id: ids are unique per account, and
// PutEvents may name one from any region.
type endpointRef struct{ Region, Name string }

var (
	endpoints    = storage.NewTable[endpointRecord]("endpoint")
	endpointRefs = storage.NewTable[endpointRef]("endpoint-id")
)

var (
	endpointName   = lazyre.New(`^[\.\-_A-Za-z0-9]{1,64}$`)
	healthCheckARN = lazyre.New(`^arn:aws([a-z]|\-)*:route53:::healthcheck/[\-a-z0-9]+$`)
	regionPattern  = lazyre.New(`^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$`)
	roleARN        = lazyre.New(`^arn:aws[a-z-]*:iam::\d{12}:role\/[^\s]+$`)
)

func endpointARN(sc storage.Scope, name string) string {
	return "arn:aws:events:" + sc.Region + ":" + sc.Account + ":endpoint/" + name
}

// endpointID is AWS's form: two dot-separated lowercase groups.
func endpointID() string {
	s := awsid.String("abcdefghijklmnopqrstuvwxyz0123456789", 15)
	return s[:10] + "." + s[10:]
}

func (r endpointRecord) url() string {
	return "https://" + r.ID + ".endpoint.events.amazonaws.com"
}

func (r endpointRecord) routing() *eventsapi.RoutingConfig {
	return &eventsapi.RoutingConfig{FailoverConfig: &eventsapi.FailoverConfig{
		Primary: &eventsapi.Primary{HealthCheck: ptr.To(r.HealthCheck)}, Secondary: &eventsapi.Secondary{Route: ptr.To(r.Secondary)}}}
}

func (r endpointRecord) buses() []eventsapi.EndpointEventBus {
	out := []eventsapi.EndpointEventBus{}
	for _, b := range r.Buses {
		out = append(out, eventsapi.EndpointEventBus{EventBusArn: ptr.To(b)})
	}
	return out
}

func (r endpointRecord) out(sc storage.Scope) eventsapi.Endpoint {
	e := eventsapi.Endpoint{Name: ptr.To(r.Name), Arn: ptr.To(endpointARN(sc, r.Name)), RoutingConfig: r.routing(),
		ReplicationConfig: &eventsapi.ReplicationConfig{State: ptr.To(r.Replication)}, EventBuses: r.buses(),
		EndpointId: ptr.To(r.ID), EndpointUrl: ptr.To(r.url()), State: ptr.To("ACTIVE"),
		CreationTime: ptr.To(r.Created), LastModifiedTime: ptr.To(r.Modified)}
	if r.Description != "" {
		e.Description = ptr.To(r.Description)
	}
	if r.RoleArn != "" {
		e.RoleArn = ptr.To(r.RoleArn)
	}
	return e
}

func endpointNotFound(name string) error {
	return eventsapi.ErrResourceNotFoundException.New("Endpoint %s does not exist.", name)
}

// checkGlobalEndpoint validates an endpoint's configuration as CreateEndpoint
// does: two buses of one name in two regions, one of them the endpoint's
// own (the primary) and the other the secondary route, a Route 53 health
// check ARN, and a role when replication is enabled.
func checkGlobalEndpoint(sc storage.Scope, r *endpointRecord) error {
	if len(r.Buses) != 2 {
		return validation("1 validation error detected: Value at 'eventBuses' failed to satisfy constraint: Member must have length less than or equal to 2 and greater than or equal to 2")
	}
	var regions, names []string
	for _, b := range r.Buses {
		bsc, res, ok := parseARN(b)
		if !ok || !strings.HasPrefix(res, "event-bus/") {
			return validation("Parameter EventBusArn is not valid. Reason: %s is not a valid event bus ARN.", b)
		}
		if bsc.Account != sc.Account {
			return validation("Event buses must be in the same account as the endpoint.")
		}
		regions = append(regions, bsc.Region)
		names = append(names, strings.TrimPrefix(res, "event-bus/"))
	}
	if names[0] != names[1] {
		return validation("The names of the event buses must be identical in each Region.")
	}
	if regions[0] == regions[1] {
		return validation("The event buses must be in different Regions.")
	}
	if !healthCheckARN.MatchString(r.HealthCheck) {
		return validation("Parameter HealthCheck is not valid. Reason: %s is not a valid Route 53 health check ARN.", r.HealthCheck)
	}
	if !regionPattern.MatchString(r.Secondary) {
		return validation("Parameter Route is not valid. Reason: %s is not a valid Region.", r.Secondary)
	}
	primary := -1
	for i, reg := range regions {
		if reg == sc.Region {
			primary = i
		}
	}
	if primary < 0 {
		return validation("One of the event buses must be in the Region of the endpoint (%s), which is its primary Region.", sc.Region)
	}
	if regions[1-primary] != r.Secondary {
		return validation("The secondary Region %s must be the Region of the other event bus (%s).", r.Secondary, regions[1-primary])
	}
	switch r.Replication {
	case "ENABLED":
		if r.RoleArn == "" {
			return validation("RoleArn is required when event replication is ENABLED.")
		}
	case "DISABLED":
	default:
		return validation("1 validation error detected: Value '%s' at 'replicationConfig.state' failed to satisfy constraint: Member must satisfy enum value set: [ENABLED, DISABLED]", r.Replication)
	}
	if r.RoleArn != "" && !roleARN.MatchString(r.RoleArn) {
		return validation("Parameter RoleArn is not valid.")
	}
	if len(r.Description) > 512 {
		return validation("1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 512")
	}
	return nil
}

func (r *endpointRecord) apply(routing *eventsapi.RoutingConfig, repl *eventsapi.ReplicationConfig, buses []eventsapi.EndpointEventBus, role, desc *string) {
	if routing != nil && routing.FailoverConfig != nil {
		if p := routing.FailoverConfig.Primary; p != nil {
			r.HealthCheck = ptr.Deref(p.HealthCheck)
		}
		if s := routing.FailoverConfig.Secondary; s != nil {
			r.Secondary = ptr.Deref(s.Route)
		}
	}
	if repl != nil {
		r.Replication = ptr.Deref(repl.State)
	}
	if buses != nil {
		r.Buses = nil
		for _, b := range buses {
			r.Buses = append(r.Buses, ptr.Deref(b.EventBusArn))
		}
	}
	if role != nil {
		r.RoleArn = *role
	}
	if desc != nil {
		r.Description = *desc
	}
}

// CreateEndpoint creates a global endpoint in the caller's region, its
// primary region.
func (e *Events) CreateEndpoint(ctx *request.Context, in *eventsapi.CreateEndpointRequest) (*eventsapi.CreateEndpointResponse, error) {
	sc := scope(ctx)
	name := ptr.Deref(in.Name)
	if !endpointName.MatchString(name) {
		return nil, validation("1 validation error detected: Value '%s' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+", name)
	}
	if in.RoutingConfig == nil || in.RoutingConfig.FailoverConfig == nil || in.RoutingConfig.FailoverConfig.Primary == nil || in.RoutingConfig.FailoverConfig.Secondary == nil {
		return nil, validation("Parameter RoutingConfig is not valid. Reason: FailoverConfig with Primary and Secondary is required.")
	}
	r := endpointRecord{Name: name, ID: endpointID(), Replication: "ENABLED", Created: ctx.Now(), Modified: ctx.Now()}
	r.apply(in.RoutingConfig, in.ReplicationConfig, in.EventBuses, in.RoleArn, in.Description)
	if err := checkGlobalEndpoint(sc, &r); err != nil {
		return nil, err
	}
	err := e.store.Update(func(tx storage.Tx) error {
		if _, ok, err := endpoints.Get(tx, sc, name); err != nil {
			return err
		} else if ok {
			return eventsapi.ErrResourceAlreadyExistsException.New("Endpoint %s already exists.", name)
		}
		if err := endpointRefs.Put(tx, storage.Global(sc.Account), endpointRef{Region: sc.Region, Name: name}, r.ID); err != nil {
			return err
		}
		return endpoints.Put(tx, sc, r, name)
	})
	if err != nil {
		return nil, err
	}
	o := r.out(sc)
	return &eventsapi.CreateEndpointResponse{Name: o.Name, Arn: o.Arn, RoutingConfig: o.RoutingConfig,
		ReplicationConfig: o.ReplicationConfig, EventBuses: o.EventBuses, RoleArn: o.RoleArn, State: o.State}, nil
}

// endpointScope is the scope of an endpoint named in a request: its home
// region (HomeRegion, default the caller's).
func endpointScope(ctx *request.Context, home *string) storage.Scope {
	sc := scope(ctx)
	if h := ptr.Deref(home); h != "" {
		sc.Region = h
	}
	return sc
}

// DescribeEndpoint describes a global endpoint.
func (e *Events) DescribeEndpoint(ctx *request.Context, in *eventsapi.DescribeEndpointRequest) (*eventsapi.DescribeEndpointResponse, error) {
	sc := endpointScope(ctx, in.HomeRegion)
	name := ptr.Deref(in.Name)
	var r endpointRecord
	err := e.store.View(func(tx storage.Tx) error {
		var ok bool
		var err error
		if r, ok, err = endpoints.Get(tx, sc, name); err == nil && !ok {
			err = endpointNotFound(name)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	o := r.out(sc)
	return &eventsapi.DescribeEndpointResponse{Name: o.Name, Description: o.Description, Arn: o.Arn, RoutingConfig: o.RoutingConfig,
		ReplicationConfig: o.ReplicationConfig, EventBuses: o.EventBuses, RoleArn: o.RoleArn, EndpointId: o.EndpointId,
		EndpointUrl: o.EndpointUrl, State: o.State, CreationTime: o.CreationTime, LastModifiedTime: o.LastModifiedTime}, nil
}

// ListEndpoints lists the endpoints of a home region, by name.
func (e *Events) ListEndpoints(ctx *request.Context, in *eventsapi.ListEndpointsRequest) (*eventsapi.ListEndpointsResponse, error) {
	sc := endpointScope(ctx, in.HomeRegion)
	if m := ptr.Deref(in.MaxResults); in.MaxResults != nil && (m < 1 || m > 100) {
		return nil, validation("1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and 100", m)
	}
	var all []endpointRecord
	err := e.store.View(func(tx storage.Tx) error {
		return endpoints.List(tx, sc, nil, storage.ListOptions{}, func(_ []string, r endpointRecord) bool {
			if strings.HasPrefix(r.Name, ptr.Deref(in.NamePrefix)) {
				all = append(all, r)
			}
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Name < all[j].Name })
	items, next := page(all, func(r endpointRecord) string { return r.Name }, in.NextToken, in.MaxResults)
	out := &eventsapi.ListEndpointsResponse{Endpoints: []eventsapi.Endpoint{}, NextToken: next}
	for _, r := range items {
		out.Endpoints = append(out.Endpoints, r.out(sc))
	}
	return out, nil
}

// UpdateEndpoint changes an endpoint's configuration; what is not given
// stays.
func (e *Events) UpdateEndpoint(ctx *request.Context, in *eventsapi.UpdateEndpointRequest) (*eventsapi.UpdateEndpointResponse, error) {
	sc := scope(ctx)
	name := ptr.Deref(in.Name)
	var r endpointRecord
	err := e.store.Update(func(tx storage.Tx) error {
		var ok bool
		var err error
		if r, ok, err = endpoints.Get(tx, sc, name); err != nil {
			return err
		} else if !ok {
			return endpointNotFound(name)
		}
		r.apply(in.RoutingConfig, in.ReplicationConfig, in.EventBuses, in.RoleArn, in.Description)
		if err := checkGlobalEndpoint(sc, &r); err != nil {
			return err
		}
		r.Modified = ctx.Now()
		return endpoints.Put(tx, sc, r, name)
	})
	if err != nil {
		return nil, err
	}
	o := r.out(sc)
	return &eventsapi.UpdateEndpointResponse{Name: o.Name, Arn: o.Arn, RoutingConfig: o.RoutingConfig,
		ReplicationConfig: o.ReplicationConfig, EventBuses: o.EventBuses, RoleArn: o.RoleArn,
		EndpointId: o.EndpointId, EndpointUrl: o.EndpointUrl, State: o.State}, nil
}

// DeleteEndpoint deletes an endpoint; events sent to its id fail after.
func (e *Events) DeleteEndpoint(ctx *request.Context, in *eventsapi.DeleteEndpointRequest) (*eventsapi.DeleteEndpointResponse, error) {
	sc := scope(ctx)
	name := ptr.Deref(in.Name)
	err := e.store.Update(func(tx storage.Tx) error {
		r, ok, err := endpoints.Get(tx, sc, name)
		if err != nil {
			return err
		}
		if !ok {
			return endpointNotFound(name)
		}
		if err := endpointRefs.Delete(tx, storage.Global(sc.Account), r.ID); err != nil {
			return err
		}
		return endpoints.Delete(tx, sc, name)
	})
	if err != nil {
		return nil, err
	}
	return &eventsapi.DeleteEndpointResponse{}, nil
}

// endpointTargets resolves PutEvents's EndpointId to the buses its events
// go to: the primary region's bus, and the secondary's when replication is
// enabled.
func (e *Events) endpointTargets(ctx *request.Context, id string) ([]storage.Scope, string, error) {
	var r endpointRecord
	var home storage.Scope
	err := e.store.View(func(tx storage.Tx) error {
		ref, ok, err := endpointRefs.Get(tx, storage.Global(ctx.Account), id)
		if err != nil {
			return err
		}
		if ok {
			home = storage.Scope{Account: ctx.Account, Region: ref.Region}
			r, ok, err = endpoints.Get(tx, home, ref.Name)
		}
		if err == nil && !ok {
			err = eventsapi.ErrResourceNotFoundException.New("Endpoint with id %s does not exist.", id)
		}
		return err
	})
	if err != nil {
		return nil, "", err
	}
	_, res, _ := parseARN(r.Buses[0])
	out := []storage.Scope{home}
	if r.Replication == "ENABLED" {
		out = append(out, storage.Scope{Account: ctx.Account, Region: r.Secondary})
	}
	return out, strings.TrimPrefix(res, "event-bus/"), nil
}
