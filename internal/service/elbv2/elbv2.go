// Package elbv2 is Elastic Load Balancing v2: application and network
// load balancers, their listeners and rules, target groups and targets,
// and the data plane that proxies to those targets after health-checking
// them on the clock (internal/lb).
package elbv2

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"sort"
	"strings"
	"time"

	elbv2api "github.com/niwa-cloud/niwa/internal/api/elbv2"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/clock"
	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/lb"
	"github.com/niwa-cloud/niwa/internal/objects"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Network is what ELBv2 asks EC2 about the subnets and security groups a
// load balancer is placed in.
type Network interface {
	// Subnet returns a subnet's VPC and Availability Zone.
	Subnet(ctx *request.Context, id string) (vpc, zone string, found bool, err error)
	// SecurityGroup returns a security group's VPC.
	SecurityGroup(ctx *request.Context, id string) (vpc string, found bool, err error)
	// DefaultSecurityGroup is the default security group of a VPC.
	DefaultSecurityGroup(ctx *request.Context, vpc string) (string, error)
}

// Instances resolves an instance target to an address a load balancer
// can dial: the host:port of the instance's private IP on port.
type Instances interface {
	Dial(ctx context.Context, account, region, instanceID string, port int) (hostport string, err error)
}

// Functions invokes Lambda targets synchronously; errType is the
// function error ("Unhandled") when the function failed.
type Functions interface {
	Invoke(ctx context.Context, functionARN string, payload []byte) (out []byte, errType string, err error)
}

// Certificates are ACM's, which HTTPS and TLS listeners name by ARN and
// terminate TLS with.
type Certificates interface {
	// Exists tells whether the certificate exists.
	Exists(ctx *request.Context, arn string) (bool, error)
	// KeyPair returns an issued certificate's chain and private key
	// (PEM), in the account and region of the listener.
	KeyPair(ctx context.Context, account, region, arn string) (chainPEM, keyPEM []byte, err error)
	// SetInUse records that resource (a load balancer ARN) uses the
	// certificate, or no longer does.
	SetInUse(ctx *request.Context, arn, resource string, inUse bool) error
}

// Options are what the service is built from.
type Options struct {
	Store storage.Store
	Clock clock.Clock
	Bus   *events.Bus
	Log   *slog.Logger
	// Region is niwa's default region, where the data plane's listener
	// ports are reopened after a restart.
	Region string
	// Optional collaborators; nil leaves the feature out (subnets are
	// then taken as given, instance targets unreachable, Lambda targets
	// answer 502, access logs are not delivered).
	Network      Network
	Instances    Instances
	Functions    Functions
	Certificates Certificates
	Objects      objects.Store
	// Firewall is the web ACL (AWS WAF) consulted before routing.
	Firewall Firewall
	// ListenHost is the interface listener ports bind to.
	ListenHost string
}

// Firewall is AWS WAF as the data plane sees it: Inspect evaluates the
// web ACL associated with a load balancer and answers a blocked request
// itself (true); an allowed one goes on, with the headers its action
// inserts.
type Firewall interface {
	Inspect(w http.ResponseWriter, r *http.Request, account, region, resourceARN string, client netip.Addr) bool
}

// ELBv2 is the service.
type ELBv2 struct {
	opt    Options
	store  storage.Store
	clock  clock.Clock
	log    *slog.Logger
	ports  *lb.Ports
	rr     lb.RoundRobin
	ticker *lb.Ticker
	logs   *accessLogs
	// metrics sums the per-request metrics per minute.
	metrics *events.MetricAggregator
	// fwd forwards to targets over kept-alive connections.
	fwd lb.Forwarder
	// cache holds the decoded records the data plane reads per request.
	cache dataCache
}

// New makes the service; Start starts its health checks and ports.
func New(opt Options) *ELBv2 {
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	s := &ELBv2{opt: opt, store: opt.Store, clock: opt.Clock, log: opt.Log, ports: &lb.Ports{Host: opt.ListenHost}}
	s.logs = newAccessLogs(s)
	s.metrics = events.NewMetricAggregator(opt.Bus)
	s.cache = newDataCache()
	s.ticker = lb.NewTicker(opt.Clock, checkTick, s.round)
	return s
}

// Close stops health checks and closes listener ports.
func (s *ELBv2) Close() error {
	s.ticker.Stop()
	s.metrics.FlushAll()
	s.fwd.CloseIdle()
	return s.ports.CloseAll()
}

// Records.

type lbRec struct {
	ARN       string    `json:"arn"`
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Type      string    `json:"type"`
	Scheme    string    `json:"scheme"`
	IPType    string    `json:"ipType"`
	VpcID     string    `json:"vpc"`
	DNSName   string    `json:"dns"`
	Created   time.Time `json:"created"`
	Zones     []zoneRec `json:"zones"`
	SGs       []string  `json:"sgs,omitempty"`
	Attrs     map[string]string
	Tags      []elbv2api.Tag
	Account   string
	Region    string
	StateCode string
}

type zoneRec struct {
	Zone   string `json:"zone"`
	Subnet string `json:"subnet"`
}

type listenerRec struct {
	ARN      string
	LB       string
	Port     int32
	Protocol string
	SSL      string
	Certs    []elbv2api.Certificate
	Default  []elbv2api.Action
	Alpn     []string
	Tags     []elbv2api.Tag
	Attrs    map[string]string
}

type ruleRec struct {
	ARN        string
	Listener   string
	Priority   int // 0: the default rule
	Conditions []elbv2api.RuleCondition
	Actions    []elbv2api.Action
	Tags       []elbv2api.Tag
}

type tgRec struct {
	ARN             string
	Name            string
	Protocol        string
	ProtocolVersion string
	Port            int32
	VpcID           string
	TargetType      string
	IPType          string
	HCEnabled       bool
	HCProtocol      string
	HCPort          string
	HCPath          string
	HCInterval      int32
	HCTimeout       int32
	Healthy         int32
	Unhealthy       int32
	Matcher         string
	GrpcMatcher     string
	Attrs           map[string]string
	Tags            []elbv2api.Tag
	// LastRound is when the checker last probed the group's targets.
	LastRound time.Time
}

type targetRec struct {
	ID         string
	Port       int32
	AZ         string
	Health     lb.Health
	Registered time.Time
	// DrainUntil is when a deregistered target leaves the group.
	DrainUntil time.Time
}

// indexRec places a resource of some account and region, in the
// empty-scope index tables the data plane and the checker read.
type indexRec struct {
	Account string
	Region  string
	ARN     string
}

var (
	lbs       = storage.NewTable[lbRec]("lb")
	listeners = storage.NewTable[listenerRec]("listener")
	rules     = storage.NewTable[ruleRec]("rule")
	tgs       = storage.NewTable[tgRec]("tg")
	targets   = storage.NewTable[targetRec]("target")
	// byDNS maps a load balancer's DNS name to it; tgIndex lists every
	// target group for the checker; lisIndex every listener, to reopen
	// their ports.
	byDNS    = storage.NewTable[indexRec]("dns")
	tgIndex  = storage.NewTable[indexRec]("tg-index")
	lisIndex = storage.NewTable[indexRec]("listener-index")
	anywhere = storage.Scope{}
)

func scope(ctx *request.Context) storage.Scope {
	return storage.Scope{Account: ctx.Account, Region: ctx.Region}
}

func arnPrefix(ctx *request.Context) string {
	return "arn:aws:elasticloadbalancing:" + ctx.Region + ":" + ctx.Account + ":"
}

// newID is a 16-hex-digit resource id, as in AWS's ARNs.
func newID() string { return awsid.Hex(16) }

func validationError(format string, args ...any) error {
	return awserr.ValidationError.New(format, args...)
}

func lbNotFound() error {
	return elbv2api.ErrLoadBalancerNotFoundException.New("One or more load balancers not found")
}

func tgNotFound() error {
	return elbv2api.ErrTargetGroupNotFoundException.New("One or more target groups not found")
}

func listenerNotFound() error {
	return elbv2api.ErrListenerNotFoundException.New("One or more listeners not found")
}

func ruleNotFound() error {
	return elbv2api.ErrRuleNotFoundException.New("One or more rules not found")
}

// typeSegment is the ARN segment of a load balancer type.
func typeSegment(t string) string {
	switch t {
	case "network":
		return "net"
	case "gateway":
		return "gwy"
	}
	return "app"
}

func getLB(tx storage.Tx, sc storage.Scope, arn string) (lbRec, error) {
	r, ok, err := lbs.Get(tx, sc, arn)
	if err != nil {
		return r, err
	}
	if !ok {
		return r, lbNotFound()
	}
	return r, nil
}

func getTG(tx storage.Tx, sc storage.Scope, arn string) (tgRec, error) {
	r, ok, err := tgs.Get(tx, sc, arn)
	if err != nil {
		return r, err
	}
	if !ok {
		return r, tgNotFound()
	}
	return r, nil
}

// findListener finds a listener by ARN (its load balancer is in the ARN).
func findListener(tx storage.Tx, sc storage.Scope, arn string) (listenerRec, error) {
	lbARN, ok := listenerLB(arn)
	if !ok {
		return listenerRec{}, listenerNotFound()
	}
	r, found, err := listeners.Get(tx, sc, lbARN, arn)
	if err != nil {
		return r, err
	}
	if !found {
		return r, listenerNotFound()
	}
	return r, nil
}

// listenerLB is the load balancer ARN inside a listener (or rule) ARN:
// ...:listener/app/NAME/LBID/LID → ...:loadbalancer/app/NAME/LBID.
func listenerLB(arn string) (string, bool) {
	head, rest, ok := strings.Cut(arn, ":listener/")
	if !ok {
		head, rest, ok = strings.Cut(arn, ":listener-rule/")
	}
	if !ok {
		return "", false
	}
	p := strings.Split(rest, "/")
	if len(p) < 4 {
		return "", false
	}
	return head + ":loadbalancer/" + strings.Join(p[:3], "/"), true
}

// ruleListener is the listener ARN inside a rule ARN.
func ruleListener(arn string) (string, bool) {
	head, rest, ok := strings.Cut(arn, ":listener-rule/")
	if !ok {
		return "", false
	}
	p := strings.Split(rest, "/")
	if len(p) != 5 {
		return "", false
	}
	return head + ":listener/" + strings.Join(p[:4], "/"), true
}

func listListeners(tx storage.Tx, sc storage.Scope, lbARN string) ([]listenerRec, error) {
	var out []listenerRec
	err := listeners.List(tx, sc, []string{lbARN}, storage.ListOptions{}, func(_ []string, v listenerRec) bool {
		out = append(out, v)
		return true
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Port < out[j].Port })
	return out, err
}

func listRules(tx storage.Tx, sc storage.Scope, listenerARN string) ([]ruleRec, error) {
	var out []ruleRec
	err := rules.List(tx, sc, []string{listenerARN}, storage.ListOptions{}, func(_ []string, v ruleRec) bool {
		out = append(out, v)
		return true
	})
	sortRules(out)
	return out, err
}

// sortRules orders rules as they are evaluated: by priority, the
// default rule last.
func sortRules(out []ruleRec) {
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].Priority, out[j].Priority
		if a == 0 || b == 0 {
			return b == 0 && a != 0
		}
		return a < b
	})
}

func listTargets(tx storage.Tx, sc storage.Scope, tgARN string) ([]targetRec, error) {
	var out []targetRec
	err := targets.List(tx, sc, []string{tgARN}, storage.ListOptions{}, func(_ []string, v targetRec) bool {
		out = append(out, v)
		return true
	})
	return out, err
}

func targetKey(id string, port int32) string {
	return id + ":" + itoa(port)
}

// page applies Marker and PageSize to a listing, returning the page and
// the next marker.
func page[T any](all []T, marker *string, size *int32) ([]T, *string, error) {
	start := 0
	if m := ptr.Deref(marker); m != "" {
		n, err := atoi(m)
		if err != nil || n < 0 || n > len(all) {
			return nil, nil, validationError("Invalid value for marker")
		}
		start = n
	}
	end := len(all)
	if s := int(ptr.Deref(size)); s > 0 && start+s < end {
		end = start + s
	}
	var next *string
	if end < len(all) {
		next = ptr.To(itoa(int32(end)))
	}
	return all[start:end], next, nil
}
