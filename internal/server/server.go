// Package server assembles niwa: storage, the signature verifier, every
// service and the gateway, wired explicitly in one place. cmd/niwa and the
// niwatest package both start niwa through it, so tests run exactly what
// users run.
package server

import (
	"time"

	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/sqlengine"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"

	"github.com/niwa-cloud/niwa/internal/api"
	"github.com/niwa-cloud/niwa/internal/audit"
	"github.com/niwa-cloud/niwa/internal/auth"
	"github.com/niwa-cloud/niwa/internal/clock"
	"github.com/niwa-cloud/niwa/internal/dns"
	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/gateway"
	"github.com/niwa-cloud/niwa/internal/httpserve"
	"github.com/niwa-cloud/niwa/internal/protocol/codecs"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// DefaultAccount is the account of the default test/test key pair.
const DefaultAccount = "000000000000"

// Config is everything niwa can be told at start-up.
type Config struct {
	// Host and Port are the listen address (default 127.0.0.1:4566).
	Host string
	Port int
	// Listener, when set, is the listener Listen uses instead of binding
	// Host:Port (the caller bound it). cmd/niwa binds before New, so that
	// a client connecting while niwa starts waits in the kernel's
	// backlog and is answered as soon as niwa serves, instead of being
	// refused and retrying later.
	Listener net.Listener
	// DataDir makes state durable; empty keeps it in memory.
	DataDir string
	// Fsync waits for the disk on every commit (power-loss durability).
	Fsync bool
	// Region answers requests whose signature names none.
	Region string
	// SkipSignatureValidation accepts any access key and signature.
	SkipSignatureValidation bool
	// IAMEnforcement is "on" (default), "soft" (log would-be denials,
	// allow) or "off" (signed requests are not authorized).
	IAMEnforcement string
	// SecureTransport says which requests policies see as sent over
	// secure transport (aws:SecureTransport): "loopback" (default: TLS
	// requests and plain-HTTP ones from a loopback address) or "tls"
	// (TLS requests only, as on AWS).
	SecureTransport string
	// Keys are the static access keys; empty means the default test/test
	// root key of DefaultAccount.
	Keys []auth.Credential
	// S3HostSuffix is the host suffix for virtual-host-style S3 and
	// website endpoints (default "localhost").
	S3HostSuffix string
	// DNSAddr is where Route53's authoritative DNS server listens (UDP and
	// TCP), e.g. "127.0.0.1:5353"; port 0 picks a free port; empty runs
	// no DNS server (the zones still answer TestDNSAnswer).
	DNSAddr string
	// DNSOptional lets niwa start without DNS when DNSAddr cannot be bound
	// (set when DNSAddr is the default rather than the user's choice).
	DNSOptional bool
	// Clients places clients in countries, for WAF's GeoMatchStatement
	// and CloudFront's geo restrictions (niwa has no GeoIP data).
	Clients ClientLocations
	// SMTPAddr is where SES's SMTP interface listens ("" runs none); port
	// 0 picks a free port.
	SMTPAddr string
	// SMTPSAddr is where SES's SMTP interface listens with implicit TLS
	// (SMTPS; "" runs none); the certificate is from niwa's local CA.
	SMTPSAddr string
	// DNSView is what DNS queries from the host (naming no VPC) see; the
	// zero value sees every zone, public and private.
	DNSView dns.View
	// DNSClient is where Route 53's routing policies (latency,
	// geolocation, geoproximity) consider DNS clients to be; zero means
	// at Region.
	DNSClient dns.Client
	// HTTPSAddr is where niwa also serves every API over HTTPS, with a
	// certificate from its local CA for localhost, *.localhost, 127.0.0.1
	// and ::1 (trust GET /_niwa/ca.pem); port 0 picks a free port; empty
	// serves no HTTPS.
	HTTPSAddr string
	// Timeouts bound slow and idle connections (zero fields take the
	// defaults).
	Timeouts Timeouts
	// HTTPServer is what serves the plain-HTTP listener: HTTPServerNiwa
	// (internal/httpserve, niwa's own HTTP/1.1 server: the same bytes on
	// the wire, less CPU per request; the default) or HTTPServerStd
	// (net/http). The HTTPS listener is net/http's either way.
	HTTPServer string
	// CloudTrailDeliveryInterval is how often trails deliver their log
	// files (zero: AWS's 5 minutes).
	CloudTrailDeliveryInterval time.Duration
	// CloudTrailHistory is how many management events LookupEvents keeps
	// per account and region, the oldest dropped first (zero:
	// cloudtrail.DefaultMaxHistory).
	CloudTrailHistory int
	Clock             clock.Clock
	Log               *slog.Logger
	Version           string
	// SQLEngine runs Athena's queries. cmd/niwa links DuckDB
	// (internal/sqlengine/duckdb); nil, as in niwatest's in-process
	// servers, answers every query FAILED saying no engine is linked, so
	// that this package links no C library.
	SQLEngine sqlengine.Engine
	// OnRequest, when set, is called as each request on the HTTP and
	// HTTPS listeners starts, on its goroutine; it must be cheap
	// (cmd/niwa's GOMAXPROCS controller: an atomic load).
	OnRequest func()
}

// The servers Config.HTTPServer names.
const (
	HTTPServerStd  = "std"
	HTTPServerNiwa = "niwa"
)

// plainServer is what serves the plain-HTTP listener (*http.Server or
// *httpserve.Server).
type plainServer interface {
	Serve(net.Listener) error
	Shutdown(context.Context) error
	Close() error
}

// Server is a running (or ready to run) niwa.
type Server struct {
	cfg     Config
	backend storage.Backend
	gateway *gateway.Gateway
	handler http.Handler
	built   *built
	http    *http.Server
	// plain serves ln: http, or niwa's own server (Config.HTTPServer).
	plain   plainServer
	ln      net.Listener
	dnsAddr string
	// tlsLn is the HTTPS listener (nil without Config.HTTPSAddr).
	tlsLn net.Listener
	// tls issues the HTTPS listener's certificate (nil without HTTPS).
	tls *tlsCerts
	// onServe run once, when Serve starts (see deps.onServe).
	onServe   []func()
	serveOnce sync.Once
}

// New wires niwa from cfg.
func New(cfg Config) (*Server, error) {
	if cfg.Host == "" {
		cfg.Host = "127.0.0.1"
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	switch cfg.HTTPServer {
	case "":
		cfg.HTTPServer = HTTPServerNiwa
	case HTTPServerStd, HTTPServerNiwa:
	default:
		return nil, fmt.Errorf("server: HTTP server %q: want %s or %s", cfg.HTTPServer, HTTPServerStd, HTTPServerNiwa)
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if len(cfg.Keys) == 0 {
		cfg.Keys = []auth.Credential{auth.RootCredential("test", "test", DefaultAccount)}
	}
	backend, err := storage.Open(storage.Options{DataDir: cfg.DataDir, Fsync: cfg.Fsync})
	if err != nil {
		return nil, err
	}
	if cfg.Clock == nil {
		// The wall clock plus an offset that POST /_niwa/clock/advance
		// moves forward, so users and e2e tests can move the binary's time;
		// with --data-dir the offset is kept, so a restart resumes it.
		cfg.Clock = clock.NewOffset()
		if cfg.DataDir != "" {
			if cfg.Clock, err = savedOffsetClock(backend, cfg.Log); err != nil {
				_ = backend.Close()
				return nil, err
			}
		}
	}
	s := &Server{cfg: cfg, backend: backend}
	static := auth.StaticCredentials{}
	for _, k := range cfg.Keys {
		static[k.AccessKeyID] = k
	}
	d := &deps{
		cfg: cfg, backend: backend, codecs: codecs.New(), bus: events.New(),
		clock: cfg.Clock, log: cfg.Log, static: static,
		endpoint: s.endpoint,
		gateway: func() http.Handler {
			if s.gateway == nil {
				return nil
			}
			return s.gateway
		},
		stores:        map[string]storage.Store{},
		decls:         map[string]kit.Declaration{},
		policySources: map[string]kit.Declaration{},
		resourceTags:  map[string]kit.Declaration{},
	}
	built, err := buildServices(d)
	if err != nil {
		_ = backend.Close()
		return nil, err
	}
	s.built = built
	s.dnsAddr = d.dnsAddr
	s.onServe = d.onServe
	if cfg.HTTPSAddr != "" {
		s.tls = &tlsCerts{authority: d.authority, clock: cfg.Clock, services: d.serverCerts}
	}
	authorizer, err := buildAuthorizer(d)
	if err != nil {
		_ = built.close()
		_ = backend.Close()
		return nil, err
	}
	verifier := &auth.Verifier{
		Credentials:    &credentialChain{static: static, sts: d.sts.svc, iam: iamCredentials{d.iam.svc}},
		Clock:          cfg.Clock,
		SigningClock:   signingClock(cfg.Clock),
		SkipValidation: cfg.SkipSignatureValidation,
		DefaultAccount: DefaultAccount,
	}
	s.gateway, err = gateway.New(gateway.Config{
		Version:        cfg.Version,
		DefaultRegion:  cfg.Region,
		DefaultAccount: DefaultAccount,
		S3HostSuffix:   cfg.S3HostSuffix,
		Clock:          cfg.Clock,
		Log:            cfg.Log,
		Auth:           authenticator{verifier: verifier, decls: d.decls},
		Authorizer:     authorizer,
		Routes:         built.routes,
		Codecs:         d.codecs,
		Reset:          backend.Reset,
		// Every mutating call becomes an "AWS API Call via CloudTrail"
		// event on the bus, which EventBridge rules can match.
		OnCall:      auditHook(d.decls, audit.Publisher(d.bus), audit.Wants(d.bus)),
		WantsParams: auditWantsParams(d.decls, audit.Wants(d.bus)),
	}, built.services...)
	if err != nil {
		_ = built.close()
		_ = backend.Close()
		return nil, err
	}
	if d.apigateway != nil {
		// API Gateway's AWS service integrations are served by the
		// gateway, in process.
		d.apigateway.set(s.gateway, verifier)
	}
	if d.egress != nil {
		// Calls workloads make to niwa through the egress proxy reach
		// the gateway in process, with their origin in the context.
		d.egress.SetGateway(s.gateway)
	}
	cfg.Timeouts = cfg.Timeouts.withDefaults()
	s.cfg.Timeouts = cfg.Timeouts
	s.handler = edge{next: s.gateway, bodyTimeout: cfg.Timeouts.Body, onRequest: cfg.OnRequest}
	s.http = &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: cfg.Timeouts.Header,
		// No ReadTimeout or WriteTimeout: they bound a whole request or
		// response, which would cut off a large upload or download that
		// is still making progress. The edge renews a per-read deadline
		// on the body instead.
		IdleTimeout: cfg.Timeouts.Idle,
		ErrorLog:    slog.NewLogLogger(cfg.Log.Handler(), slog.LevelWarn),
	}
	s.plain = s.http
	if cfg.HTTPServer == HTTPServerNiwa {
		s.plain = &httpserve.Server{
			Handler:           s.handler,
			ReadHeaderTimeout: cfg.Timeouts.Header,
			IdleTimeout:       cfg.Timeouts.Idle,
			ErrorLog:          s.http.ErrorLog,
		}
	}
	return s, nil
}

// Handler is niwa's HTTP handler, for serving it in-process.
func (s *Server) Handler() http.Handler { return s.handler }

// Listen binds the configured address. Port 0 picks a free port.
func (s *Server) Listen() error {
	ln := s.cfg.Listener
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", net.JoinHostPort(s.cfg.Host, strconv.Itoa(s.cfg.Port))); err != nil {
			return err
		}
	}
	s.ln = ln
	if s.tls != nil {
		tln, err := net.Listen("tcp", s.cfg.HTTPSAddr)
		if err != nil {
			_ = ln.Close()
			return fmt.Errorf("https: %w", err)
		}
		s.tlsLn = tls.NewListener(tln, &tls.Config{GetCertificate: s.tls.get, MinVersion: tls.VersionTLS12})
	}
	return nil
}

// HTTPSAddr is the bound address of the HTTPS listener ("" without one).
func (s *Server) HTTPSAddr() string {
	if s.tlsLn == nil {
		return ""
	}
	return s.tlsLn.Addr().String()
}

// endpoint is niwa's base URL once it listens.
func (s *Server) endpoint() string {
	if s.ln == nil {
		return ""
	}
	return "http://" + s.ln.Addr().String()
}

// Addr is the bound address (after Listen).
func (s *Server) Addr() string {
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// DNSAddr is the bound address of the DNS server ("" when Config.DNSAddr
// was empty).
func (s *Server) DNSAddr() string { return s.dnsAddr }

// Serve serves until Shutdown; it returns nil after a clean shutdown.
func (s *Server) Serve() error {
	if s.ln == nil {
		return errors.New("server: Serve before Listen")
	}
	errs := make(chan error, 2)
	serve := func(srv plainServer, ln net.Listener) {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs <- err
			return
		}
		errs <- nil
	}
	n := 1
	if s.tlsLn != nil {
		n++
		go serve(s.http, s.tlsLn)
	}
	go serve(s.plain, s.ln)
	s.serveOnce.Do(func() {
		for _, f := range s.onServe {
			go f()
		}
	})
	var first error
	for range n {
		if err := <-errs; err != nil && first == nil {
			first = err
			_ = s.http.Close() // one listener failing stops the other
			if s.plain != s.http {
				_ = s.plain.Close()
			}
		}
	}
	return first
}

// Shutdown stops accepting requests, lets in-flight ones finish (until ctx
// ends), and closes storage.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.http.Shutdown(ctx)
	if s.plain != s.http {
		if perr := s.plain.Shutdown(ctx); perr != nil && err == nil {
			err = perr
		}
	}
	if cerr := s.built.close(); cerr != nil && err == nil {
		err = cerr
	}
	if cerr := s.backend.Close(); cerr != nil && err == nil {
		err = cerr
	}
	return err
}

// Reset drops all state, as POST /_niwa/reset does.
func (s *Server) Reset() error {
	if err := s.gateway.Reset(); err != nil {
		return fmt.Errorf("server: reset: %w", err)
	}
	return nil
}

// auditHook hands the gateway's answered calls to audit, which takes them
// as audit.Call rather than import the gateway.
// The output's dynamic form is made only for the records that render it
// (audit.Call.Dynamic). A call whose parameters the gateway left to be
// made on demand (WantsParams said no record would read them: a data
// call nobody records, the usual case) is asked wants, the publisher's
// own question, before the copy that makes them on demand is taken: two
// allocations a call that builds no record.
func auditHook(decls map[string]kit.Declaration, publish func(audit.Call), wants func(audit.Call) bool) func(gateway.Call) {
	dynamic := (&api.Converter{}).ToDynamic
	return func(c gateway.Call) {
		if c.Service == nil {
			return
		}
		ac := audit.Call{
			Context: c.Context, Service: c.Service.Spec.Name, Model: c.Model, Operation: c.Operation,
			Params: c.Params, Output: c.Output, Dynamic: dynamic, Err: c.Err, Rules: decls[c.Service.Spec.Name].Audit,
		}
		if c.ParamsDeferred() {
			if !wants(ac) {
				return // publish would build nothing either
			}
			// A copy made here: taking c's address would move every
			// call's c to the heap.
			lazy := c
			ac.LazyParams = lazy.RequestParams
		}
		publish(ac)
	}
}

// auditWantsParams is the gateway's question whether a call's parameters
// will be recorded (gateway.Config.WantsParams), answered as the hook
// auditHook feeds answers it (audit.Wants).
func auditWantsParams(decls map[string]kit.Declaration, wants func(audit.Call) bool) func(*gateway.Call) bool {
	return func(c *gateway.Call) bool {
		if c.Service == nil {
			return false
		}
		return wants(audit.Call{
			Context: c.Context, Service: c.Service.Spec.Name, Model: c.Model, Operation: c.Operation,
			Rules: decls[c.Service.Spec.Name].Audit,
		})
	}
}
