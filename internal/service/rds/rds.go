// Package rds is Amazon RDS: DB instances that are real database servers
// (internal/dbengine: MariaDB for the mysql and mariadb engines,
// PostgreSQL for postgres) on 127.0.0.1, with AWS's lifecycle on the
// clock, subnet groups, snapshots that are real dumps, events and tags.
package rds

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/niwa-cloud/niwa/internal/clock"
	"github.com/niwa-cloud/niwa/internal/dbengine"
	"github.com/niwa-cloud/niwa/internal/dbfront"
	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Secrets creates the secret of an instance whose master password RDS
// manages (ManageMasterUserPassword): Secrets Manager, wired by
// internal/server.
type Secrets interface {
	CreateSecret(ctx *request.Context, name, value string) (arn string, err error)
	// ReadSecret reads a secret's string as RDS Proxy does with its
	// role (in the proxy's account and region).
	ReadSecret(ctx context.Context, account, region, arn string) (string, error)
}

// Options are what the service is built from.
type Options struct {
	Store storage.Store
	Clock clock.Clock
	Bus   *events.Bus
	Log   *slog.Logger
	// DataDir is niwa's durable directory; "" keeps the servers' data in
	// a temporary directory removed on Close.
	DataDir string
	// Secrets is nil when Secrets Manager is not wired:
	// ManageMasterUserPassword is then refused.
	Secrets Secrets
	// Tokens verifies IAM database authentication tokens; nil refuses
	// every IAM login.
	Tokens Tokens
	// StartServer starts an instance's server; nil is dbengine.Start
	// (tests stand in a failing or fake one).
	StartServer func(context.Context, dbengine.Spec) (*dbengine.Server, error)
	// Gate decides who may connect to an endpoint (nil: anyone).
	Gate Gate
}

// RDS is the service.
type RDS struct {
	store   storage.Store
	clock   clock.Clock
	bus     *events.Bus
	log     *slog.Logger
	secrets Secrets
	tokens  Tokens
	gate    Gate
	start   func(context.Context, dbengine.Spec) (*dbengine.Server, error)
	base    string // directory of the servers' data and snapshots
	temp    bool   // base is removed on Close

	ctx    context.Context
	cancel context.CancelFunc

	mu      sync.Mutex
	servers map[string]*running // by instance resource id

	portMu sync.Mutex
	ports  map[int32]bool // endpoint ports handed out (pickPort)
	wg     sync.WaitGroup
}

// running is an instance's server, or its start in progress, and the
// front (internal/dbfront) that listens on its endpoint's port.
type running struct {
	front *dbfront.Front
	srv   *dbengine.Server
	ready bool
	err   error
	done  chan struct{} // closed when the start finished (srv or err set)
}

// stop ends the front and the server (after the start finished).
func (r *running) stop() {
	<-r.done
	if r.front != nil {
		_ = r.front.Close()
	}
	if r.srv != nil {
		r.srv.Stop()
	}
}

var (
	instances    = storage.NewTable[instanceRec]("instances")
	snapshots    = storage.NewTable[snapshotRec]("snapshots")
	subnetGroups = storage.NewTable[subnetGroupRec]("subnet-groups")
	paramGroups  = storage.NewTable[paramGroupRec]("parameter-groups")
	eventLog     = storage.NewTable[eventRec]("events")
	// anywhere holds instance records under [account, region, id] so
	// that a restart finds every instance to boot and DNS finds every
	// endpoint.
	anywhere = storage.Scope{}
)

// New makes the service; Start boots the instances the store holds.
func New(o Options) (*RDS, error) {
	s := &RDS{store: o.Store, clock: o.Clock, bus: o.Bus, log: o.Log, secrets: o.Secrets, tokens: o.Tokens, gate: o.Gate, start: o.StartServer, servers: map[string]*running{}, ports: map[int32]bool{}}
	if s.start == nil {
		s.start = dbengine.Start
	}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.DataDir != "" {
		s.base = filepath.Join(o.DataDir, "rds")
	} else {
		d, err := os.MkdirTemp("", "niwa-rds-")
		if err != nil {
			return nil, err
		}
		s.base, s.temp = d, true
	}
	if err := os.MkdirAll(s.base, 0o755); err != nil {
		return nil, err
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s, nil
}

// Start boots the servers of the instances that were running when niwa
// last stopped (with --data-dir), after killing what a niwa killed
// with -9 left behind.
func (s *RDS) Start() {
	var recs []instanceRec
	err := s.store.View(func(tx storage.Tx) error {
		return instances.List(tx, anywhere, nil, storage.ListOptions{}, func(_ []string, r instanceRec) bool {
			recs = append(recs, r)
			return true
		})
	})
	if err != nil {
		s.log.Error("rds: listing instances", "err", err)
		return
	}
	s.portMu.Lock()
	for _, r := range recs {
		s.ports[r.Port] = true
	}
	s.portMu.Unlock()
	for _, r := range recs {
		if r.Cluster != "" {
			continue
		}
		dbengine.CleanStale(s.instanceDir(r.ResourceID))
		if r.runs() {
			s.startServer(r)
		}
	}
	var cs []clusterRec
	err = s.store.View(func(tx storage.Tx) error {
		return clusters.List(tx, anywhere, nil, storage.ListOptions{}, func(_ []string, c clusterRec) bool {
			cs = append(cs, c)
			return true
		})
	})
	if err != nil {
		s.log.Error("rds: listing clusters", "err", err)
		return
	}
	s.portMu.Lock()
	for _, c := range cs {
		s.ports[c.Port] = true
	}
	s.portMu.Unlock()
	for _, c := range cs {
		dbengine.CleanStale(s.instanceDir(c.ResourceID))
		if c.runs() {
			s.startCluster(c)
		}
	}
	var ps []proxyRec
	err = s.store.View(func(tx storage.Tx) error {
		return proxies.List(tx, anywhere, nil, storage.ListOptions{}, func(_ []string, p proxyRec) bool {
			ps = append(ps, p)
			return true
		})
	})
	if err != nil {
		s.log.Error("rds: listing proxies", "err", err)
		return
	}
	s.portMu.Lock()
	for _, p := range ps {
		s.ports[p.Port] = true
	}
	s.portMu.Unlock()
	for _, p := range ps {
		if err := s.startProxy(p); err != nil {
			s.log.Error("rds: starting proxy", "name", p.Name, "err", err)
		}
	}
}

// Close stops every server.
func (s *RDS) Close() error {
	s.cancel()
	s.mu.Lock()
	rs := s.servers
	s.servers = map[string]*running{}
	s.mu.Unlock()
	var wg sync.WaitGroup
	for _, r := range rs {
		wg.Add(1)
		go func(r *running) {
			defer wg.Done()
			r.stop()
		}(r)
	}
	wg.Wait()
	s.wg.Wait()
	if s.temp {
		_ = os.RemoveAll(s.base)
	}
	return nil
}

// Reset stops every server after the stores were emptied.
func (s *RDS) Reset() error {
	s.mu.Lock()
	rs := s.servers
	s.servers = map[string]*running{}
	s.mu.Unlock()
	for id, r := range rs {
		r.stop()
		_ = os.RemoveAll(s.instanceDir(id))
	}
	return nil
}

func (s *RDS) instanceDir(resourceID string) string {
	return filepath.Join(s.base, "instances", resourceID)
}

func (s *RDS) snapshotPath(id string) string {
	return filepath.Join(s.base, "snapshots", id+".sql")
}

// startServer starts r's server in the background; the instance's
// status reads its progress. A cluster member has none of its own: it
// is served by its cluster's server.
func (s *RDS) startServer(r instanceRec) {
	if r.ClusterResourceID != "" {
		return
	}
	s.startSpec(r.ResourceID, r.ID, dbengine.Spec{Kind: kindOf(r.Engine), Dir: s.instanceDir(r.ResourceID), Port: int(r.Port),
		User: r.MasterUsername, Password: r.Password, DBName: r.DBName, Params: r.Params}, r.RestoreFrom,
		authTarget{kind: "db", account: r.Account, region: r.Region, id: r.ID})
}

// startSpec starts the server under key (an instance's or a cluster's
// resource id) in the background, loading the dump restore into a fresh
// data directory.
//
// spec.Port is the endpoint's port: the front listens there and the
// server itself on a free port behind it.
func (s *RDS) startSpec(key, name string, spec dbengine.Spec, restore string, at authTarget) {
	s.mu.Lock()
	if old, ok := s.servers[key]; ok {
		select {
		case <-old.done:
			if old.srv != nil && old.err == nil {
				s.mu.Unlock()
				return
			}
		default:
			s.mu.Unlock()
			return
		}
	}
	run := &running{done: make(chan struct{})}
	s.servers[key] = run
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		front, internal, err := s.listenFront(key, spec, at)
		if err != nil {
			s.mu.Lock()
			run.err = err
			s.mu.Unlock()
			close(run.done)
			s.log.Error("rds: starting server", "id", name, "err", err)
			return
		}
		run.front = front
		spec.Port = internal
		fresh := !dbengine.Initialized(spec.Dir)
		srv, err := s.start(s.ctx, spec)
		if err == nil && srv == nil {
			err = errNotRunning
		}
		if err == nil && fresh && restore != "" {
			if err = srv.Load(s.ctx, restore); err != nil {
				srv.Stop()
				srv = nil
			}
		}
		if err != nil {
			_ = front.Close()
			run.front = nil
		}
		s.mu.Lock()
		run.srv, run.err, run.ready = srv, err, err == nil
		s.mu.Unlock()
		close(run.done)
		if err != nil {
			s.log.Error("rds: starting server", "id", name, "err", err)
		}
	}()
}

// stopServer stops r's server and waits until it has exited.
func (s *RDS) stopServer(resourceID string) {
	s.mu.Lock()
	run, ok := s.servers[resourceID]
	delete(s.servers, resourceID)
	s.mu.Unlock()
	if !ok {
		return
	}
	run.stop()
}

// server returns r's server state: ready, failed (err) or starting.
func (s *RDS) server(resourceID string) (srv *dbengine.Server, ready bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	run, ok := s.servers[resourceID]
	if !ok {
		return nil, false, nil
	}
	return run.srv, run.ready, run.err
}

// waitServer waits for r's server start to finish.
func (s *RDS) waitServer(ctx context.Context, resourceID string) (*dbengine.Server, error) {
	s.mu.Lock()
	run, ok := s.servers[resourceID]
	s.mu.Unlock()
	if !ok {
		return nil, errNotRunning
	}
	select {
	case <-run.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return run.srv, run.err
}

type rdsError string

func (e rdsError) Error() string { return string(e) }

const errNotRunning = rdsError("rds: instance server not running")

func kindOf(engine string) dbengine.Kind {
	if strings.Contains(engine, "postgres") {
		return dbengine.Postgres
	}
	return dbengine.MariaDB
}

func scope(ctx *request.Context) storage.Scope {
	return storage.Scope{Account: ctx.Account, Region: ctx.Region}
}

func arn(ctx *request.Context, kind, id string) string {
	return "arn:aws:rds:" + ctx.Region + ":" + ctx.Account + ":" + kind + ":" + id
}

// endpointHost is the instance's DNS name, as AWS forms it:
// <id>.<12 characters of the account and region>.<region>.rds.localhost
// (amazonaws.com on AWS); niwa's DNS answers it with 127.0.0.1.
func endpointHost(account, region, id string) string {
	return strings.ToLower(id) + "." + regionHash(account, region) + "." + region + ".rds.localhost"
}

// regionHash is the 12 characters of an account and region in RDS's
// endpoint names.
func regionHash(account, region string) string {
	h := sha256.Sum256([]byte(account + "/" + region))
	return hex.EncodeToString(h[:])[:12]
}

// OwnsName reports whether name is an endpoint RDS handed out (an
// instance's, a cluster's writer, reader or custom endpoint).
func (s *RDS) OwnsName(name string) (bool, error) {
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	if !strings.HasSuffix(name, ".rds.localhost") {
		return false, nil
	}
	found := false
	err := s.EachName(func(n string) bool {
		found = n == name
		return !found
	})
	return found, err
}

// EachName calls fn with every endpoint name RDS handed out, in every
// account and region, until fn returns false.
func (s *RDS) EachName(fn func(name string) bool) error {
	return s.store.View(func(tx storage.Tx) error {
		more := true
		err := instances.List(tx, anywhere, nil, storage.ListOptions{}, func(_ []string, r instanceRec) bool {
			more = fn(r.Address)
			return more
		})
		if err != nil || !more {
			return err
		}
		err = clusters.List(tx, anywhere, nil, storage.ListOptions{}, func(_ []string, c clusterRec) bool {
			more = fn(c.Endpoint) && fn(c.ReaderEndpoint)
			return more
		})
		if err != nil || !more {
			return err
		}
		err = clusterEndpoints.List(tx, anywhere, nil, storage.ListOptions{}, func(_ []string, e clusterEndpointRec) bool {
			more = fn(e.Address)
			return more
		})
		if err != nil || !more {
			return err
		}
		err = proxies.List(tx, anywhere, nil, storage.ListOptions{}, func(_ []string, p proxyRec) bool {
			more = fn(p.Address)
			return more
		})
		if err != nil || !more {
			return err
		}
		return proxyEndpoints.List(tx, anywhere, nil, storage.ListOptions{}, func(_ []string, e proxyEndpointRec) bool {
			return fn(e.Address)
		})
	})
}

// hostedZoneID is the Route 53 zone AWS names for RDS endpoints in a
// region (us-east-1's; niwa answers the names itself).
const hostedZoneID = "Z2R2ITUGPM61AM"

func now(ctx *request.Context) time.Time { return ctx.Now().UTC() }
