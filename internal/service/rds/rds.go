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
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/niwa-cloud/niwa/internal/clock"
	"github.com/niwa-cloud/niwa/internal/dbengine"
	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Secrets creates the secret of an instance whose master password RDS
// manages (ManageMasterUserPassword): Secrets Manager, wired by
// internal/server.
type Secrets interface {
	CreateSecret(ctx *request.Context, name, value string) (arn string, err error)
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
	gate    Gate
	start   func(context.Context, dbengine.Spec) (*dbengine.Server, error)
	base    string // directory of the servers' data and snapshots
	temp    bool   // base is removed on Close

	ctx    context.Context
	cancel context.CancelFunc

	mu      sync.Mutex
	servers map[string]*running // by instance resource id
	// reserved holds the endpoint ports pickPort bound, until openEndpoint
	// takes them.
	reserved map[int32]net.Listener
	wg       sync.WaitGroup
}

// running is an instance's server, or its start in progress.
type running struct {
	srv   *dbengine.Server
	ready bool
	err   error
	done  chan struct{} // closed when the start finished (srv or err set)
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
	s := &RDS{store: o.Store, clock: o.Clock, bus: o.Bus, log: o.Log, secrets: o.Secrets, gate: o.Gate, start: o.StartServer, servers: map[string]*running{}, reserved: map[int32]net.Listener{}}
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
	for _, r := range recs {
		dbengine.CleanStale(s.instanceDir(r.ResourceID))
		if r.runs() {
			s.startServer(r)
		}
	}
}

// Close stops every server.
func (s *RDS) Close() error {
	s.cancel()
	s.mu.Lock()
	rs := s.servers
	s.servers = map[string]*running{}
	for p, l := range s.reserved {
		_ = l.Close()
		delete(s.reserved, p)
	}
	s.mu.Unlock()
	var wg sync.WaitGroup
	for _, r := range rs {
		wg.Add(1)
		go func(r *running) {
			defer wg.Done()
			<-r.done
			if r.srv != nil {
				r.srv.Stop()
			}
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
	for p, l := range s.reserved {
		_ = l.Close()
		delete(s.reserved, p)
	}
	s.mu.Unlock()
	for id, r := range rs {
		<-r.done
		if r.srv != nil {
			r.srv.Stop()
		}
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
// status reads its progress.
func (s *RDS) startServer(r instanceRec) {
	s.mu.Lock()
	if old, ok := s.servers[r.ResourceID]; ok {
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
	s.servers[r.ResourceID] = run
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		// The server listens on a port of its own; niwa's endpoint
		// listener on the instance's port admits connections (gate.go).
		backend, err := dbengine.FreePort()
		var srv *dbengine.Server
		spec := dbengine.Spec{Kind: kindOf(r.Engine), Dir: s.instanceDir(r.ResourceID), Port: backend,
			User: r.MasterUsername, Password: r.Password, DBName: r.DBName, Params: r.Params}
		fresh := !dbengine.Initialized(spec.Dir)
		if err == nil {
			srv, err = s.start(s.ctx, spec)
		}
		if err == nil && srv == nil {
			err = errNotRunning
		}
		if err == nil {
			if err = s.openEndpoint(r, srv, backend); err != nil {
				srv.Stop()
				srv = nil
			}
		}
		if err == nil && fresh && r.RestoreFrom != "" {
			if err = srv.Load(s.ctx, r.RestoreFrom); err != nil {
				srv.Stop()
				srv = nil
			}
		}
		s.mu.Lock()
		run.srv, run.err, run.ready = srv, err, err == nil
		s.mu.Unlock()
		close(run.done)
		if err != nil {
			s.log.Error("rds: starting instance", "id", r.ID, "err", err)
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
	<-run.done
	if run.srv != nil {
		run.srv.Stop()
	}
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
	h := sha256.Sum256([]byte(account + "/" + region))
	return strings.ToLower(id) + "." + hex.EncodeToString(h[:])[:12] + "." + region + ".rds.localhost"
}

// OwnsName reports whether name is the endpoint of an instance.
func (s *RDS) OwnsName(name string) (bool, error) {
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	if !strings.HasSuffix(name, ".rds.localhost") {
		return false, nil
	}
	found := false
	err := s.store.View(func(tx storage.Tx) error {
		return instances.List(tx, anywhere, nil, storage.ListOptions{}, func(_ []string, r instanceRec) bool {
			if r.Address == name {
				found = true
				return false
			}
			return true
		})
	})
	return found, err
}

// hostedZoneID is the Route 53 zone AWS names for RDS endpoints in a
// region (us-east-1's; niwa answers the names itself).
const hostedZoneID = "Z2R2ITUGPM61AM"

func now(ctx *request.Context) time.Time { return ctx.Now().UTC() }
