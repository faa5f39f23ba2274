// Package elb is Classic Elastic Load Balancing: load balancers with
// listeners, registered EC2 instances, one health check, attributes and
// tags, and a data plane that proxies only to instances in service
// (internal/lb), answering 503 when none is.
package elb

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	elbapi "github.com/niwa-cloud/niwa/internal/api/elb"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/clock"
	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/lazyre"
	"github.com/niwa-cloud/niwa/internal/lb"
	"github.com/niwa-cloud/niwa/internal/objects"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Network is what Classic ELB asks EC2 about subnets.
type Network interface {
	Subnet(ctx *request.Context, id string) (vpc, zone string, found bool, err error)
	DefaultSecurityGroup(ctx *request.Context, vpc string) (string, error)
}

// Instances resolves a registered instance to an address to dial.
type Instances interface {
	Dial(ctx context.Context, account, region, instanceID string, port int) (hostport string, err error)
}

// Options are what the service is built from.
type Options struct {
	Store   storage.Store
	Clock   clock.Clock
	Bus     *events.Bus
	Log     *slog.Logger
	Objects objects.Store
	// Network and Instances are EC2; nil takes subnets as given and
	// leaves instances unreachable (always OutOfService).
	Network    Network
	Instances  Instances
	ListenHost string
}

// ELB is the service.
type ELB struct {
	opt    Options
	store  storage.Store
	clock  clock.Clock
	log    *slog.Logger
	ports  *lb.Ports
	rr     lb.RoundRobin
	ticker *lb.Ticker
	// fwd forwards to instances over kept-alive connections.
	fwd lb.Forwarder
	// perMinute sums the per-request metrics per minute.
	perMinute *events.MetricAggregator
}

// checkTick is how often due health checks are looked for (Classic's
// shortest interval is 5 s).
const checkTick = 5 * time.Second

// DNSSuffix is the domain Classic load balancer names live under.
const DNSSuffix = ".elb.localhost"

// New makes the service; Start starts its health checks and ports.
func New(opt Options) *ELB {
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	s := &ELB{opt: opt, store: opt.Store, clock: opt.Clock, log: opt.Log, ports: &lb.Ports{Host: opt.ListenHost}}
	s.ticker = lb.NewTicker(opt.Clock, checkTick, s.round)
	s.perMinute = events.NewMetricAggregator(opt.Bus)
	return s
}

// Build makes the service from what the platform gives it, without EC2.
func Build(d kit.Deps) (kit.Declaration, error) {
	s := New(Options{Store: d.Store, Clock: d.Clock, Bus: d.Bus, Log: d.Log})
	s.Start()
	return s.Declare(), nil
}

// Declare is Classic ELB as the platform sees it.
func (s *ELB) Declare() kit.Declaration {
	return kit.Declaration{
		Impl:      s,
		Namespace: "elasticloadbalancing",
		Authz: kit.Authz{
			Prefix: "elasticloadbalancing",
			Resources: func(op string, in kit.Input, env kit.Env) []string {
				if n := in.Str("LoadBalancerName"); n != "" {
					return []string{"arn:aws:elasticloadbalancing:" + env.Region + ":" + env.Account + ":loadbalancer/" + n}
				}
				return nil
			},
		},
		Routes:    []kit.Route{{Name: "elb-dataplane", Match: s.isDataPlane, Handler: http.HandlerFunc(s.serveHost)}},
		Names:     s.OwnsName,
		EachName:  s.EachName,
		Close:     s.Close,
		Reset:     s.Reset,
		Resources: s.cfnResources(), // CloudFormation (cfn.go)
	}
}

// Close stops health checks and closes ports.
func (s *ELB) Close() error {
	s.ticker.Stop()
	s.perMinute.FlushAll()
	s.fwd.CloseIdle()
	return s.ports.CloseAll()
}

type lbRec struct {
	Name      string
	DNSName   string
	Created   time.Time
	Scheme    string
	Listeners []elbapi.Listener
	Zones     []string
	Subnets   []string
	VpcID     string
	SGs       []string
	Check     elbapi.HealthCheck
	Attrs     elbapi.LoadBalancerAttributes
	Tags      []elbapi.Tag
	Account   string
	Region    string
	LastRound time.Time
}

// source is the load balancer as its instances' security groups see it.
func (r lbRec) source() lb.Source {
	return lb.Source{VpcID: r.VpcID, SubnetIDs: r.Subnets, SecurityGroupIDs: r.SGs}
}

type instanceRec struct {
	ID     string
	Health lb.Health
}

type indexRec struct {
	Account, Region, Name string
}

var (
	lbs       = storage.NewTable[lbRec]("lb")
	instances = storage.NewTable[instanceRec]("instance")
	byDNS     = storage.NewTable[indexRec]("dns")
	lbIndex   = storage.NewTable[indexRec]("lb-index")
	anywhere  = storage.Scope{}
	nameRE    = lazyre.New(`^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,30}[a-zA-Z0-9])?$`)
)

const maxLoadBalancers = 20

func scope(ctx *request.Context) storage.Scope {
	return storage.Scope{Account: ctx.Account, Region: ctx.Region}
}

func notFound(name string) error {
	return elbapi.ErrAccessPointNotFoundException.New("There is no ACTIVE Load Balancer named '%s'", name)
}

func getLB(tx storage.Tx, sc storage.Scope, name string) (lbRec, error) {
	r, ok, err := lbs.Get(tx, sc, name)
	if err != nil {
		return r, err
	}
	if !ok {
		return r, notFound(name)
	}
	return r, nil
}

func validation(format string, args ...any) error {
	return awserr.ValidationError.New(format, args...)
}

// checkListeners validates listeners (HTTP, HTTPS, TCP, SSL).
func checkListeners(ls []elbapi.Listener) error {
	for _, l := range ls {
		p := strings.ToUpper(ptr.Deref(l.Protocol))
		ip := strings.ToUpper(ptr.Deref(l.InstanceProtocol))
		switch p {
		case "HTTP", "HTTPS", "TCP", "SSL":
		default:
			return elbapi.ErrUnsupportedProtocolException.New("Protocol '%s' is not supported: Classic Load Balancers listen on HTTP, HTTPS, TCP or SSL", ptr.Deref(l.Protocol))
		}
		if ip != "" && (p == "HTTP" || p == "HTTPS") != (ip == "HTTP" || ip == "HTTPS") {
			return validation("Instance protocol '%s' is not compatible with listener protocol '%s'", ip, p)
		}
		if (p == "HTTPS" || p == "SSL") && ptr.Deref(l.SSLCertificateId) == "" {
			return validation("SSLCertificateId is required for %s listeners", p)
		}
		if n := ptr.Deref(l.LoadBalancerPort); n < 1 || n > 65535 {
			return validation("LoadBalancerPort must be between 1 and 65535")
		}
		if n := ptr.Deref(l.InstancePort); n < 1 || n > 65535 {
			return validation("InstancePort must be between 1 and 65535")
		}
	}
	return nil
}

func normListener(l elbapi.Listener) elbapi.Listener {
	l.Protocol = ptr.To(strings.ToUpper(ptr.Deref(l.Protocol)))
	if ptr.Deref(l.InstanceProtocol) == "" {
		ip := ptr.Deref(l.Protocol)
		switch ip {
		case "HTTPS":
			ip = "HTTP"
		case "SSL":
			ip = "TCP"
		}
		l.InstanceProtocol = ptr.To(ip)
	} else {
		l.InstanceProtocol = ptr.To(strings.ToUpper(*l.InstanceProtocol))
	}
	return l
}

// CreateLoadBalancer creates a Classic load balancer and returns its DNS name.
func (s *ELB) CreateLoadBalancer(ctx *request.Context, in *elbapi.CreateAccessPointInput) (*elbapi.CreateAccessPointOutput, error) {
	name := ptr.Deref(in.LoadBalancerName)
	if !nameRE.MatchString(name) {
		return nil, validation("LoadBalancerName '%s' must contain only alphanumeric characters or hyphens, at most 32, and must not begin or end with a hyphen", name)
	}
	if len(in.Listeners) == 0 {
		return nil, validation("At least one listener must be specified")
	}
	if err := checkListeners(in.Listeners); err != nil {
		return nil, err
	}
	if len(in.AvailabilityZones) == 0 && len(in.Subnets) == 0 {
		return nil, validation("Either AvailabilityZones or SubnetIds must be specified")
	}
	if len(in.AvailabilityZones) > 0 && len(in.Subnets) > 0 {
		return nil, validation("AvailabilityZones and Subnets cannot both be specified")
	}
	scheme := ptr.Deref(in.Scheme)
	if scheme == "" {
		scheme = "internet-facing"
	}
	if scheme != "internet-facing" && scheme != "internal" {
		return nil, elbapi.ErrInvalidSchemeException.New("Invalid scheme '%s'", scheme)
	}
	r := lbRec{Name: name, Created: ctx.Now().UTC(), Scheme: scheme, Zones: in.AvailabilityZones, Subnets: in.Subnets, SGs: in.SecurityGroups,
		Tags: in.Tags, Account: ctx.Account, Region: ctx.Region}
	for _, l := range in.Listeners {
		r.Listeners = append(r.Listeners, normListener(l))
	}
	if len(in.Subnets) > 0 {
		r.Zones = nil
		for i, sub := range in.Subnets {
			if s.opt.Network == nil {
				r.Zones = append(r.Zones, ctx.Region+string(rune('a'+i%26)))
				continue
			}
			vpc, zone, ok, err := s.opt.Network.Subnet(ctx, sub)
			if err != nil {
				return nil, err
			}
			if !ok {
				return nil, elbapi.ErrSubnetNotFoundException.New("One or more subnets were not found: %s", sub)
			}
			r.VpcID, r.Zones = vpc, append(r.Zones, zone)
		}
		if len(r.SGs) == 0 && s.opt.Network != nil && r.VpcID != "" {
			def, err := s.opt.Network.DefaultSecurityGroup(ctx, r.VpcID)
			if err != nil {
				return nil, err
			}
			if def != "" {
				r.SGs = []string{def}
			}
		}
	}
	port := ptr.Deref(r.Listeners[0].InstancePort)
	r.Check = elbapi.HealthCheck{Target: ptr.To("TCP:" + strconv.Itoa(int(port))), Interval: ptr.To(int32(30)), Timeout: ptr.To(int32(5)),
		UnhealthyThreshold: ptr.To(int32(2)), HealthyThreshold: ptr.To(int32(10))}
	r.Attrs = elbapi.LoadBalancerAttributes{
		CrossZoneLoadBalancing: &elbapi.CrossZoneLoadBalancing{Enabled: ptr.To(false)},
		AccessLog:              &elbapi.AccessLog{Enabled: ptr.To(false)},
		ConnectionDraining:     &elbapi.ConnectionDraining{Enabled: ptr.To(false), Timeout: ptr.To(int32(300))},
		ConnectionSettings:     &elbapi.ConnectionSettings{IdleTimeout: ptr.To(int32(60))},
	}
	id := awsid.String("0123456789", 10)
	r.DNSName = strings.ToLower(name + "-" + id + "." + ctx.Region + DNSSuffix)
	if scheme == "internal" {
		r.DNSName = "internal-" + r.DNSName
	}
	var out lbRec
	err := s.store.Update(func(tx storage.Tx) error {
		sc := scope(ctx)
		if cur, ok, err := lbs.Get(tx, sc, name); err != nil {
			return err
		} else if ok {
			out = cur
			return elbapi.ErrDuplicateAccessPointNameException.New("Load Balancer named '%s' already exists and it is configured with different parameters.", name)
		}
		n := 0
		if err := lbs.List(tx, sc, nil, storage.ListOptions{}, func([]string, lbRec) bool { n++; return true }); err != nil {
			return err
		}
		if n >= maxLoadBalancers {
			return elbapi.ErrTooManyAccessPointsException.New("Exceeded quota of account %s", ctx.Account)
		}
		out = r
		if err := lbs.Put(tx, sc, r, name); err != nil {
			return err
		}
		if err := byDNS.Put(tx, anywhere, indexRec{Account: ctx.Account, Region: ctx.Region, Name: name}, r.DNSName); err != nil {
			return err
		}
		return lbIndex.Put(tx, anywhere, indexRec{Account: ctx.Account, Region: ctx.Region, Name: name}, ctx.Account, ctx.Region, name)
	})
	if err != nil {
		if elbapi.ErrDuplicateAccessPointNameException.Is(err) && sameListeners(out.Listeners, r.Listeners) {
			return &elbapi.CreateAccessPointOutput{DNSName: ptr.To(out.DNSName)}, nil
		}
		return nil, err
	}
	for _, l := range r.Listeners {
		s.openListener(scope(ctx), name, l)
	}
	s.ticker.Start()
	return &elbapi.CreateAccessPointOutput{DNSName: ptr.To(r.DNSName)}, nil
}

func sameListeners(a, b []elbapi.Listener) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if ptr.Deref(a[i].LoadBalancerPort) != ptr.Deref(b[i].LoadBalancerPort) || ptr.Deref(a[i].Protocol) != ptr.Deref(b[i].Protocol) ||
			ptr.Deref(a[i].InstancePort) != ptr.Deref(b[i].InstancePort) {
			return false
		}
	}
	return true
}

func portKey(sc storage.Scope, name string, port int32) string {
	return sc.Account + "/" + sc.Region + "/" + name + "/" + strconv.Itoa(int(port))
}

func (s *ELB) openListener(sc storage.Scope, name string, l elbapi.Listener) {
	key := portKey(sc, name, ptr.Deref(l.LoadBalancerPort))
	var err error
	if p := ptr.Deref(l.Protocol); p == "TCP" || p == "SSL" {
		_, err = s.ports.ServeTCP(key, func(c net.Conn) { s.serveTCP(c, sc, name, l) })
	} else {
		_, err = s.ports.ServeHTTP(key, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.serve(w, r, sc, name, ptr.Deref(l.LoadBalancerPort)) }), nil)
	}
	if err != nil {
		s.log.Warn("elb: cannot open a port for listener", "load_balancer", name, "error", err)
	}
}

// Start reopens every listener's port and starts the health checker.
func (s *ELB) Start() {
	idx := s.index()
	for _, i := range idx {
		sc := storage.Scope{Account: i.Account, Region: i.Region}
		var r lbRec
		if err := s.store.View(func(tx storage.Tx) (err error) { r, err = getLB(tx, sc, i.Name); return err }); err != nil {
			continue
		}
		for _, l := range r.Listeners {
			s.openListener(sc, r.Name, l)
		}
	}
	// Health checks and the per-minute metrics need a load balancer:
	// without one the ticker starts with the first CreateLoadBalancer.
	if len(idx) > 0 {
		s.ticker.Start()
	}
}

func (s *ELB) index() []indexRec {
	var idx []indexRec
	_ = s.store.View(func(tx storage.Tx) error {
		return lbIndex.List(tx, anywhere, nil, storage.ListOptions{}, func(_ []string, v indexRec) bool {
			idx = append(idx, v)
			return true
		})
	})
	return idx
}

func (s *ELB) describe(tx storage.Tx, sc storage.Scope, r lbRec) (elbapi.LoadBalancerDescription, error) {
	d := elbapi.LoadBalancerDescription{LoadBalancerName: ptr.To(r.Name), DNSName: ptr.To(r.DNSName),
		CanonicalHostedZoneNameID: ptr.To(lb.HostedZoneID(r.Region, "classic")), AvailabilityZones: r.Zones, Subnets: r.Subnets,
		SecurityGroups: r.SGs, HealthCheck: &r.Check, Scheme: ptr.To(r.Scheme), CreatedTime: ptr.To(r.Created),
		Policies:                  &elbapi.Policies{AppCookieStickinessPolicies: []elbapi.AppCookieStickinessPolicy{}, LBCookieStickinessPolicies: []elbapi.LBCookieStickinessPolicy{}, OtherPolicies: []string{}},
		BackendServerDescriptions: []elbapi.BackendServerDescription{}, Instances: []elbapi.Instance{}}
	if r.Scheme == "internet-facing" {
		d.CanonicalHostedZoneName = ptr.To(r.DNSName)
	}
	if r.VpcID != "" {
		d.VPCId = ptr.To(r.VpcID)
	}
	for _, l := range r.Listeners {
		l := l
		d.ListenerDescriptions = append(d.ListenerDescriptions, elbapi.ListenerDescription{Listener: &l, PolicyNames: []string{}})
	}
	err := instances.List(tx, sc, []string{r.Name}, storage.ListOptions{}, func(_ []string, v instanceRec) bool {
		d.Instances = append(d.Instances, elbapi.Instance{InstanceId: ptr.To(v.ID)})
		return true
	})
	return d, err
}

// DescribeLoadBalancers lists Classic load balancers, all or by name.
func (s *ELB) DescribeLoadBalancers(ctx *request.Context, in *elbapi.DescribeAccessPointsInput) (*elbapi.DescribeAccessPointsOutput, error) {
	out := &elbapi.DescribeAccessPointsOutput{LoadBalancerDescriptions: []elbapi.LoadBalancerDescription{}}
	err := s.store.View(func(tx storage.Tx) error {
		sc := scope(ctx)
		var all []lbRec
		if len(in.LoadBalancerNames) > 0 {
			for _, n := range in.LoadBalancerNames {
				r, err := getLB(tx, sc, n)
				if err != nil {
					return err
				}
				all = append(all, r)
			}
		} else if err := lbs.List(tx, sc, nil, storage.ListOptions{}, func(_ []string, v lbRec) bool { all = append(all, v); return true }); err != nil {
			return err
		}
		start := 0
		if m := ptr.Deref(in.Marker); m != "" {
			n, err := strconv.Atoi(m)
			if err != nil || n < 0 || n > len(all) {
				return validation("Invalid Marker")
			}
			start = n
		}
		end := len(all)
		if ps := int(ptr.Deref(in.PageSize)); ps > 0 && start+ps < end {
			end = start + ps
			out.NextMarker = ptr.To(strconv.Itoa(end))
		}
		for _, r := range all[start:end] {
			d, err := s.describe(tx, sc, r)
			if err != nil {
				return err
			}
			out.LoadBalancerDescriptions = append(out.LoadBalancerDescriptions, d)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteLoadBalancer deletes a load balancer (none: success, as AWS).
func (s *ELB) DeleteLoadBalancer(ctx *request.Context, in *elbapi.DeleteAccessPointInput) (*elbapi.DeleteAccessPointOutput, error) {
	name := ptr.Deref(in.LoadBalancerName)
	var r lbRec
	var found bool
	err := s.store.Update(func(tx storage.Tx) error {
		sc := scope(ctx)
		var err error
		if r, found, err = lbs.Get(tx, sc, name); err != nil || !found {
			return err
		}
		if err := storage.DeletePrefix(tx, instances.Key(sc, name)); err != nil {
			return err
		}
		if err := lbs.Delete(tx, sc, name); err != nil {
			return err
		}
		if err := byDNS.Delete(tx, anywhere, r.DNSName); err != nil {
			return err
		}
		return lbIndex.Delete(tx, anywhere, ctx.Account, ctx.Region, name)
	})
	if err != nil {
		return nil, err
	}
	if found {
		for _, l := range r.Listeners {
			s.ports.Close(portKey(scope(ctx), name, ptr.Deref(l.LoadBalancerPort)))
		}
	}
	return &elbapi.DeleteAccessPointOutput{}, nil
}

// CreateLoadBalancerListeners adds listeners.
func (s *ELB) CreateLoadBalancerListeners(ctx *request.Context, in *elbapi.CreateLoadBalancerListenerInput) (*elbapi.CreateLoadBalancerListenerOutput, error) {
	if err := checkListeners(in.Listeners); err != nil {
		return nil, err
	}
	var added []elbapi.Listener
	err := s.update(ctx, ptr.Deref(in.LoadBalancerName), func(r *lbRec) error {
		for _, l := range in.Listeners {
			l = normListener(l)
			dup := false
			for _, o := range r.Listeners {
				if ptr.Deref(o.LoadBalancerPort) == ptr.Deref(l.LoadBalancerPort) {
					if !sameListeners([]elbapi.Listener{o}, []elbapi.Listener{l}) {
						return elbapi.ErrDuplicateListenerException.New("A listener already exists for %s with LoadBalancerPort %d, but with a different InstancePort, Protocol, or SSLCertificateId", r.Name, ptr.Deref(l.LoadBalancerPort))
					}
					dup = true
				}
			}
			if !dup {
				r.Listeners = append(r.Listeners, l)
				added = append(added, l)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, l := range added {
		s.openListener(scope(ctx), ptr.Deref(in.LoadBalancerName), l)
	}
	return &elbapi.CreateLoadBalancerListenerOutput{}, nil
}

// DeleteLoadBalancerListeners removes listeners by port.
func (s *ELB) DeleteLoadBalancerListeners(ctx *request.Context, in *elbapi.DeleteLoadBalancerListenerInput) (*elbapi.DeleteLoadBalancerListenerOutput, error) {
	name := ptr.Deref(in.LoadBalancerName)
	err := s.update(ctx, name, func(r *lbRec) error {
		kept := r.Listeners[:0]
		for _, l := range r.Listeners {
			drop := false
			for _, p := range in.LoadBalancerPorts {
				drop = drop || ptr.Deref(l.LoadBalancerPort) == p
			}
			if !drop {
				kept = append(kept, l)
			}
		}
		r.Listeners = kept
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, p := range in.LoadBalancerPorts {
		s.ports.Close(portKey(scope(ctx), name, p))
	}
	return &elbapi.DeleteLoadBalancerListenerOutput{}, nil
}

func (s *ELB) update(ctx *request.Context, name string, fn func(*lbRec) error) error {
	return s.store.Update(func(tx storage.Tx) error {
		r, err := getLB(tx, scope(ctx), name)
		if err != nil {
			return err
		}
		if err := fn(&r); err != nil {
			return err
		}
		return lbs.Put(tx, scope(ctx), r, name)
	})
}

func registeredInstances(tx storage.Tx, sc storage.Scope, name string) ([]instanceRec, error) {
	var out []instanceRec
	err := instances.List(tx, sc, []string{name}, storage.ListOptions{}, func(_ []string, v instanceRec) bool {
		out = append(out, v)
		return true
	})
	return out, err
}

func instanceList(rs []instanceRec) []elbapi.Instance {
	out := []elbapi.Instance{}
	for _, r := range rs {
		out = append(out, elbapi.Instance{InstanceId: ptr.To(r.ID)})
	}
	return out
}

// RegisterInstancesWithLoadBalancer registers instances; they are
// OutOfService until HealthyThreshold checks pass.
func (s *ELB) RegisterInstancesWithLoadBalancer(ctx *request.Context, in *elbapi.RegisterEndPointsInput) (*elbapi.RegisterEndPointsOutput, error) {
	var all []instanceRec
	err := s.store.Update(func(tx storage.Tx) error {
		sc := scope(ctx)
		name := ptr.Deref(in.LoadBalancerName)
		if _, err := getLB(tx, sc, name); err != nil {
			return err
		}
		for _, i := range in.Instances {
			id := ptr.Deref(i.InstanceId)
			if !strings.HasPrefix(id, "i-") {
				return elbapi.ErrInvalidEndPointException.New("The requested instance id '%s' is not valid", id)
			}
			if _, ok, err := instances.Get(tx, sc, name, id); err != nil {
				return err
			} else if ok {
				continue
			}
			if err := instances.Put(tx, sc, instanceRec{ID: id, Health: lb.Registered()}, name, id); err != nil {
				return err
			}
		}
		var err error
		all, err = registeredInstances(tx, sc, name)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &elbapi.RegisterEndPointsOutput{Instances: instanceList(all)}, nil
}

// DeregisterInstancesFromLoadBalancer deregisters instances.
func (s *ELB) DeregisterInstancesFromLoadBalancer(ctx *request.Context, in *elbapi.DeregisterEndPointsInput) (*elbapi.DeregisterEndPointsOutput, error) {
	var all []instanceRec
	err := s.store.Update(func(tx storage.Tx) error {
		sc := scope(ctx)
		name := ptr.Deref(in.LoadBalancerName)
		if _, err := getLB(tx, sc, name); err != nil {
			return err
		}
		for _, i := range in.Instances {
			ok, err := instances.DeleteExisting(tx, sc, name, ptr.Deref(i.InstanceId))
			if err != nil {
				return err
			}
			if !ok {
				return elbapi.ErrInvalidEndPointException.New("The requested instance id '%s' is not registered with the load balancer", ptr.Deref(i.InstanceId))
			}
		}
		var err error
		all, err = registeredInstances(tx, sc, name)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.fwd.CloseIdle() // no new request goes to them
	return &elbapi.DeregisterEndPointsOutput{Instances: instanceList(all)}, nil
}

// parseTarget splits a health check target: PROTOCOL:PORT[/PATH].
func parseTarget(t string) (protocol string, port int, path string, err error) {
	p, rest, ok := strings.Cut(t, ":")
	p = strings.ToUpper(p)
	if !ok {
		return "", 0, "", validation("Health check target '%s' must be PROTOCOL:PORT or PROTOCOL:PORT/PATH", t)
	}
	portStr, path, hasPath := strings.Cut(rest, "/")
	port, perr := strconv.Atoi(portStr)
	if perr != nil || port < 1 || port > 65535 {
		return "", 0, "", validation("Health check target port must be between 1 and 65535")
	}
	switch p {
	case "HTTP", "HTTPS":
		if !hasPath {
			return "", 0, "", validation("A path must be specified for %s health checks", p)
		}
		path = "/" + path
	case "TCP", "SSL":
		if hasPath {
			return "", 0, "", validation("A path cannot be specified for %s health checks", p)
		}
	default:
		return "", 0, "", validation("Health check protocol '%s' must be HTTP, HTTPS, TCP or SSL", p)
	}
	return p, port, path, nil
}

// ConfigureHealthCheck sets the health check.
func (s *ELB) ConfigureHealthCheck(ctx *request.Context, in *elbapi.ConfigureHealthCheckInput) (*elbapi.ConfigureHealthCheckOutput, error) {
	hc := in.HealthCheck
	if hc == nil {
		return nil, validation("HealthCheck must be specified")
	}
	if _, _, _, err := parseTarget(ptr.Deref(hc.Target)); err != nil {
		return nil, err
	}
	if i, t := ptr.Deref(hc.Interval), ptr.Deref(hc.Timeout); i < 5 || i > 300 || t < 2 || t > 60 || t >= i {
		return nil, validation("Health check interval must be 5-300 seconds and greater than the timeout (2-60 seconds)")
	}
	if h, u := ptr.Deref(hc.HealthyThreshold), ptr.Deref(hc.UnhealthyThreshold); h < 2 || h > 10 || u < 2 || u > 10 {
		return nil, validation("Health check thresholds must be between 2 and 10")
	}
	if err := s.update(ctx, ptr.Deref(in.LoadBalancerName), func(r *lbRec) error { r.Check = *hc; return nil }); err != nil {
		return nil, err
	}
	return &elbapi.ConfigureHealthCheckOutput{HealthCheck: hc}, nil
}

// Classic instance health as DescribeInstanceHealth reports it.
const (
	inService       = "InService"
	outOfService    = "OutOfService"
	descRegistering = "Instance registration is still in progress."
	descFailed      = "Instance has failed at least the UnhealthyThreshold number of health checks consecutively."
)

func classicState(h lb.Health) elbapi.InstanceState {
	switch h.State {
	case lb.StateHealthy:
		return elbapi.InstanceState{State: ptr.To(inService), ReasonCode: ptr.To("N/A"), Description: ptr.To("N/A")}
	case lb.StateUnhealthy:
		return elbapi.InstanceState{State: ptr.To(outOfService), ReasonCode: ptr.To("Instance"), Description: ptr.To(descFailed)}
	}
	return elbapi.InstanceState{State: ptr.To(outOfService), ReasonCode: ptr.To("ELB"), Description: ptr.To(descRegistering)}
}

// DescribeInstanceHealth reports each instance InService or OutOfService.
func (s *ELB) DescribeInstanceHealth(ctx *request.Context, in *elbapi.DescribeEndPointStateInput) (*elbapi.DescribeEndPointStateOutput, error) {
	out := &elbapi.DescribeEndPointStateOutput{InstanceStates: []elbapi.InstanceState{}}
	err := s.store.View(func(tx storage.Tx) error {
		sc := scope(ctx)
		name := ptr.Deref(in.LoadBalancerName)
		if _, err := getLB(tx, sc, name); err != nil {
			return err
		}
		all, err := registeredInstances(tx, sc, name)
		if err != nil {
			return err
		}
		byID := map[string]instanceRec{}
		for _, r := range all {
			byID[r.ID] = r
		}
		if len(in.Instances) == 0 {
			for _, r := range all {
				st := classicState(r.Health)
				st.InstanceId = ptr.To(r.ID)
				out.InstanceStates = append(out.InstanceStates, st)
			}
			return nil
		}
		for _, i := range in.Instances {
			r, ok := byID[ptr.Deref(i.InstanceId)]
			if !ok {
				return elbapi.ErrInvalidEndPointException.New("Could not find EC2 instance %s.", ptr.Deref(i.InstanceId))
			}
			st := classicState(r.Health)
			st.InstanceId = ptr.To(r.ID)
			out.InstanceStates = append(out.InstanceStates, st)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DescribeLoadBalancerAttributes returns the attributes.
func (s *ELB) DescribeLoadBalancerAttributes(ctx *request.Context, in *elbapi.DescribeLoadBalancerAttributesInput) (*elbapi.DescribeLoadBalancerAttributesOutput, error) {
	var r lbRec
	err := s.store.View(func(tx storage.Tx) (err error) {
		r, err = getLB(tx, scope(ctx), ptr.Deref(in.LoadBalancerName))
		return err
	})
	if err != nil {
		return nil, err
	}
	return &elbapi.DescribeLoadBalancerAttributesOutput{LoadBalancerAttributes: &r.Attrs}, nil
}

// ModifyLoadBalancerAttributes changes the attributes given.
func (s *ELB) ModifyLoadBalancerAttributes(ctx *request.Context, in *elbapi.ModifyLoadBalancerAttributesInput) (*elbapi.ModifyLoadBalancerAttributesOutput, error) {
	a := in.LoadBalancerAttributes
	if a == nil {
		return nil, validation("LoadBalancerAttributes must be specified")
	}
	if a.ConnectionSettings != nil {
		if t := ptr.Deref(a.ConnectionSettings.IdleTimeout); t < 1 || t > 4000 {
			return nil, validation("IdleTimeout must be between 1 and 4000 seconds")
		}
	}
	if a.ConnectionDraining != nil && a.ConnectionDraining.Timeout != nil {
		if t := *a.ConnectionDraining.Timeout; t < 1 || t > 3600 {
			return nil, validation("ConnectionDraining timeout must be between 1 and 3600 seconds")
		}
	}
	if a.AccessLog != nil && ptr.Deref(a.AccessLog.Enabled) {
		if ptr.Deref(a.AccessLog.S3BucketName) == "" {
			return nil, validation("S3BucketName must be specified when access logs are enabled")
		}
		if iv := ptr.Deref(a.AccessLog.EmitInterval); iv != 0 && iv != 5 && iv != 60 {
			return nil, validation("EmitInterval must be 5 or 60")
		}
		if s.opt.Objects != nil {
			if _, _, err := s.opt.Objects.CheckObjectAccess(ctx, *a.AccessLog.S3BucketName, "", objects.Principal{Service: "logdelivery.elasticloadbalancing.amazonaws.com", Region: ctx.Region, SourceAccount: ctx.Account}, "s3:PutObject"); err != nil {
				return nil, elbapi.ErrInvalidConfigurationRequestException.New("Access Denied for bucket: %s. Please check S3bucket permission", *a.AccessLog.S3BucketName)
			}
		}
	}
	var out elbapi.LoadBalancerAttributes
	err := s.update(ctx, ptr.Deref(in.LoadBalancerName), func(r *lbRec) error {
		if a.CrossZoneLoadBalancing != nil {
			r.Attrs.CrossZoneLoadBalancing = a.CrossZoneLoadBalancing
		}
		if a.AccessLog != nil {
			r.Attrs.AccessLog = a.AccessLog
		}
		if a.ConnectionDraining != nil {
			cd := *a.ConnectionDraining
			if cd.Timeout == nil {
				cd.Timeout = r.Attrs.ConnectionDraining.Timeout
			}
			r.Attrs.ConnectionDraining = &cd
		}
		if a.ConnectionSettings != nil {
			r.Attrs.ConnectionSettings = a.ConnectionSettings
		}
		out = r.Attrs
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &elbapi.ModifyLoadBalancerAttributesOutput{LoadBalancerName: in.LoadBalancerName, LoadBalancerAttributes: &out}, nil
}

// AddTags adds or replaces tags.
func (s *ELB) AddTags(ctx *request.Context, in *elbapi.AddTagsInput) (*elbapi.AddTagsOutput, error) {
	for _, n := range in.LoadBalancerNames {
		err := s.update(ctx, n, func(r *lbRec) error {
			for _, t := range in.Tags {
				replaced := false
				for i := range r.Tags {
					if ptr.Deref(r.Tags[i].Key) == ptr.Deref(t.Key) {
						r.Tags[i].Value, replaced = t.Value, true
					}
				}
				if !replaced {
					r.Tags = append(r.Tags, t)
				}
			}
			if len(r.Tags) > 50 {
				return elbapi.ErrTooManyTagsException.New("Tagging limit exceeded for %s", r.Name)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return &elbapi.AddTagsOutput{}, nil
}

// RemoveTags removes tags by key.
func (s *ELB) RemoveTags(ctx *request.Context, in *elbapi.RemoveTagsInput) (*elbapi.RemoveTagsOutput, error) {
	for _, n := range in.LoadBalancerNames {
		err := s.update(ctx, n, func(r *lbRec) error {
			kept := r.Tags[:0]
			for _, t := range r.Tags {
				drop := false
				for _, k := range in.Tags {
					drop = drop || ptr.Deref(k.Key) == ptr.Deref(t.Key)
				}
				if !drop {
					kept = append(kept, t)
				}
			}
			r.Tags = kept
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return &elbapi.RemoveTagsOutput{}, nil
}

// DescribeTags returns the tags of load balancers.
func (s *ELB) DescribeTags(ctx *request.Context, in *elbapi.DescribeTagsInput) (*elbapi.DescribeTagsOutput, error) {
	out := &elbapi.DescribeTagsOutput{TagDescriptions: []elbapi.TagDescription{}}
	err := s.store.View(func(tx storage.Tx) error {
		for _, n := range in.LoadBalancerNames {
			r, err := getLB(tx, scope(ctx), n)
			if err != nil {
				return err
			}
			tags := r.Tags
			if tags == nil {
				tags = []elbapi.Tag{}
			}
			out.TagDescriptions = append(out.TagDescriptions, elbapi.TagDescription{LoadBalancerName: ptr.To(n), Tags: tags})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// The data plane.

// ListenersPath lists the ports niwa opened for Classic listeners.
const ListenersPath = "/_niwa/elb/classic-listeners"

func (s *ELB) lookupHost(host string) (indexRec, bool) {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	name := strings.ToLower(strings.TrimSuffix(host, "."))
	if !strings.HasSuffix(name, DNSSuffix) {
		return indexRec{}, false
	}
	var rec indexRec
	var ok bool
	_ = s.store.View(func(tx storage.Tx) (err error) { rec, ok, err = byDNS.Get(tx, anywhere, name); return err })
	return rec, ok
}

// OwnsName reports whether name is a Classic load balancer's DNS name.
func (s *ELB) OwnsName(name string) (bool, error) {
	_, ok := s.lookupHost(name)
	return ok, nil
}

// EachName calls fn with every Classic load balancer's DNS name, in
// every account and region, until fn returns false; it reads the DNS
// name index only.
func (s *ELB) EachName(fn func(name string) bool) error {
	return s.store.View(func(tx storage.Tx) error {
		return byDNS.List(tx, anywhere, nil, storage.ListOptions{}, func(k []string, _ indexRec) bool {
			return len(k) == 0 || fn(k[0])
		})
	})
}

func (s *ELB) isDataPlane(r *http.Request) bool {
	if r.URL.Path == ListenersPath {
		return true
	}
	_, ok := s.lookupHost(r.Host)
	return ok
}

// serveHost serves requests on the main port by Host: the load
// balancer's HTTP listener on port 80, else its first HTTP(S) listener.
func (s *ELB) serveHost(w http.ResponseWriter, r *http.Request) {
	idx, ok := s.lookupHost(r.Host)
	if !ok {
		s.serveListenerList(w)
		return
	}
	sc := storage.Scope{Account: idx.Account, Region: idx.Region}
	var lr lbRec
	if err := s.store.View(func(tx storage.Tx) (err error) { lr, err = getLB(tx, sc, idx.Name); return err }); err != nil {
		lb.ErrorPage(w, http.StatusServiceUnavailable)
		return
	}
	port := int32(0)
	for _, l := range lr.Listeners {
		p := ptr.Deref(l.Protocol)
		if (p == "HTTP" || p == "HTTPS") && (port == 0 || ptr.Deref(l.LoadBalancerPort) == 80) {
			port = ptr.Deref(l.LoadBalancerPort)
		}
	}
	if port == 0 {
		lb.ErrorPage(w, http.StatusServiceUnavailable)
		return
	}
	s.serve(w, r, sc, idx.Name, port)
}

// ListenerPort is one Classic listener's port on the machine.
type ListenerPort struct {
	LoadBalancerName string
	DNSName          string
	Protocol         string
	LoadBalancerPort int32
	Address          string
}

func (s *ELB) serveListenerList(w http.ResponseWriter) {
	out := []ListenerPort{}
	for _, i := range s.index() {
		sc := storage.Scope{Account: i.Account, Region: i.Region}
		var r lbRec
		if err := s.store.View(func(tx storage.Tx) (err error) { r, err = getLB(tx, sc, i.Name); return err }); err != nil {
			continue
		}
		for _, l := range r.Listeners {
			out = append(out, ListenerPort{LoadBalancerName: r.Name, DNSName: r.DNSName, Protocol: ptr.Deref(l.Protocol),
				LoadBalancerPort: ptr.Deref(l.LoadBalancerPort), Address: s.ports.Addr(portKey(sc, r.Name, ptr.Deref(l.LoadBalancerPort)))})
		}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"Listeners": out})
}

// pick chooses an instance in service for a listener, none when none is
// (Classic ELB never routes to an unhealthy instance).
func (s *ELB) pick(ctx context.Context, sc storage.Scope, name string, port int32) (lbRec, elbapi.Listener, lb.Candidate, bool) {
	var r lbRec
	var is []instanceRec
	if err := s.store.View(func(tx storage.Tx) (err error) {
		if r, err = getLB(tx, sc, name); err != nil {
			return err
		}
		is, err = registeredInstances(tx, sc, name)
		return err
	}); err != nil {
		return r, elbapi.Listener{}, lb.Candidate{}, false
	}
	var l elbapi.Listener
	for _, o := range r.Listeners {
		if ptr.Deref(o.LoadBalancerPort) == port {
			l = o
		}
	}
	if l.InstancePort == nil {
		return r, l, lb.Candidate{}, false
	}
	var cs []lb.Candidate
	for _, i := range is {
		if i.Health.State != lb.StateHealthy {
			continue
		}
		addr := ""
		if s.opt.Instances != nil {
			addr, _ = s.opt.Instances.Dial(lb.WithSource(ctx, r.source()), sc.Account, sc.Region, i.ID, int(ptr.Deref(l.InstancePort)))
		}
		cs = append(cs, lb.Candidate{Key: i.ID, Addr: addr, State: i.Health.State})
	}
	c, ok := s.rr.Pick(sc.Account+"/"+sc.Region+"/"+name, lb.Eligible(cs, false))
	return r, l, c, ok
}

func (s *ELB) serve(w http.ResponseWriter, r *http.Request, sc storage.Scope, name string, port int32) {
	start := s.clock.Now()
	lr, l, c, ok := s.pick(r.Context(), sc, name, port)
	status := 0
	if !ok {
		lb.ErrorPage(w, http.StatusServiceUnavailable)
	} else {
		proto := "http"
		if ptr.Deref(l.Protocol) == "HTTPS" {
			proto = "https"
		}
		idle := 60
		if lr.Attrs.ConnectionSettings != nil {
			idle = int(ptr.Deref(lr.Attrs.ConnectionSettings.IdleTimeout))
		}
		status = s.fwd.Forward(w, r, c.Addr, lb.Front{Proto: proto, Port: int(port), Now: s.clock.Now()}, time.Duration(idle)*time.Second)
	}
	s.metrics(sc, name, status, !ok, s.clock.Now().Sub(start))
}

func (s *ELB) serveTCP(c net.Conn, sc storage.Scope, name string, l elbapi.Listener) {
	_, _, cand, ok := s.pick(context.Background(), sc, name, ptr.Deref(l.LoadBalancerPort))
	if !ok {
		_ = c.Close()
		return
	}
	_ = lb.Pipe(c, cand.Addr)
}

// metrics counts a request's metrics (AWS/ELB namespace); they reach
// CloudWatch summed per minute once the minute is over (the next round).
func (s *ELB) metrics(sc storage.Scope, name string, status int, noBackend bool, took time.Duration) {
	if s.opt.Bus == nil {
		return
	}
	now := s.clock.Now()
	dims := map[string]string{"LoadBalancerName": name}
	ms := []events.Metric{{Namespace: "AWS/ELB", Name: "RequestCount", Dimensions: dims, Value: 1, Unit: "Count", Time: now}}
	if noBackend {
		ms = append(ms, events.Metric{Namespace: "AWS/ELB", Name: "HTTPCode_ELB_5XX", Dimensions: dims, Value: 1, Unit: "Count", Time: now})
	} else if status > 0 {
		ms = append(ms, events.Metric{Namespace: "AWS/ELB", Name: "Latency", Dimensions: dims, Value: took.Seconds(), Unit: "Seconds", Time: now},
			events.Metric{Namespace: "AWS/ELB", Name: "HTTPCode_Backend_" + strconv.Itoa(status/100) + "XX", Dimensions: dims, Value: 1, Unit: "Count", Time: now})
	}
	s.perMinute.Add(sc.Account, sc.Region, ms...)
}

// round runs the health checks due now on every Classic load balancer.
func (s *ELB) round(now time.Time) {
	s.perMinute.Flush(now)
	for _, i := range s.index() {
		if err := s.checkLB(storage.Scope{Account: i.Account, Region: i.Region}, i.Name, now); err != nil {
			s.log.Warn("elb: health checks", "load_balancer", i.Name, "error", err)
		}
	}
}

func (s *ELB) checkLB(sc storage.Scope, name string, now time.Time) error {
	var r lbRec
	var is []instanceRec
	if err := s.store.View(func(tx storage.Tx) (err error) {
		if r, err = getLB(tx, sc, name); err != nil {
			return err
		}
		is, err = registeredInstances(tx, sc, name)
		return err
	}); err != nil {
		return err
	}
	proto, port, path, err := parseTarget(ptr.Deref(r.Check.Target))
	if err != nil {
		return err
	}
	hc := lb.HealthCheck{Protocol: proto, Path: path, Matcher: "200", Timeout: time.Duration(ptr.Deref(r.Check.Timeout)) * time.Second,
		Healthy: int(ptr.Deref(r.Check.HealthyThreshold)), Unhealthy: int(ptr.Deref(r.Check.UnhealthyThreshold))}
	rounds := lb.Rounds(r.LastRound, now, time.Duration(ptr.Deref(r.Check.Interval))*time.Second, max(hc.Healthy, hc.Unhealthy))
	if rounds == 0 {
		return nil
	}
	next := map[string]lb.Health{}
	for _, i := range is {
		next[i.ID] = i.Health
	}
	for range rounds {
		var mu sync.Mutex
		var wg sync.WaitGroup
		for _, i := range is {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res := lb.Result{Reason: lb.ReasonFailedHealthChecks, Description: lb.DescFailedHealthChecks}
				if s.opt.Instances != nil {
					if addr, err := s.opt.Instances.Dial(lb.WithSource(context.Background(), r.source()), sc.Account, sc.Region, i.ID, port); err == nil {
						res = lb.Probe(context.Background(), hc, addr)
					}
				}
				mu.Lock()
				next[i.ID] = next[i.ID].Observe(res, hc)
				mu.Unlock()
			}()
		}
		wg.Wait()
	}
	healthy, unhealthy := 0, 0
	err = s.store.Update(func(tx storage.Tx) error {
		cur, ok, err := lbs.Get(tx, sc, name)
		if err != nil || !ok {
			return err
		}
		cur.LastRound = now
		if err := lbs.Put(tx, sc, cur, name); err != nil {
			return err
		}
		live, err := registeredInstances(tx, sc, name)
		if err != nil {
			return err
		}
		for _, i := range live {
			if h, ok := next[i.ID]; ok {
				i.Health = h
				if err := instances.Put(tx, sc, i, name, i.ID); err != nil {
					return err
				}
			}
			if i.Health.State == lb.StateHealthy {
				healthy++
			} else {
				unhealthy++
			}
		}
		return nil
	})
	if err == nil && s.opt.Bus != nil {
		dims := map[string]string{"LoadBalancerName": name}
		s.opt.Bus.PublishMetrics(sc.Account, sc.Region,
			events.Metric{Namespace: "AWS/ELB", Name: "HealthyHostCount", Dimensions: dims, Value: float64(healthy), Unit: "Count", Time: now},
			events.Metric{Namespace: "AWS/ELB", Name: "UnHealthyHostCount", Dimensions: dims, Value: float64(unhealthy), Unit: "Count", Time: now})
	}
	return err
}

// RunHealthChecks runs the checks due now (tests).
func (s *ELB) RunHealthChecks() { s.ticker.RunNow() }

// Reset closes every listener's port after the store was dropped
// (POST /_niwa/reset).
func (s *ELB) Reset() error {
	s.perMinute.Discard()
	s.fwd.CloseIdle()
	return s.ports.CloseAll()
}
