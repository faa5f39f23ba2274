// Listeners are plain TCP sockets, not Multipath TCP ones (Go 1.24 made
// MPTCP the default for listeners on Linux). An MPTCP listener cost every
// start ~0.2 ms of CPU, 1.5% of start-up to the first answer: a probe
// socket to learn whether the kernel has MPTCP, then the listener's own
// MPTCP socket, for the HTTP port and for the DNS server's TCP port. The
// clients niwa serves (SDKs, the CLI, curl) do not speak MPTCP, so every
// connection fell back to plain TCP anyway, as AWS's endpoints answer it.
// GODEBUG=multipathtcp=1 in the environment turns it back on.
//
//go:debug multipathtcp=0

// Command niwa is a local AWS cloud: one binary that speaks the real AWS
// wire protocols on one port.
//
//	niwa [serve] [flags]   serve on :4566 (in-memory state unless --data-dir)
//	niwa version           print the version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/niwa-cloud/niwa/internal/auth"
	"github.com/niwa-cloud/niwa/internal/clock"
	"github.com/niwa-cloud/niwa/internal/dns"
	"github.com/niwa-cloud/niwa/internal/server"
	"github.com/niwa-cloud/niwa/internal/service/cloudtrail"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	// SIGINT and SIGTERM end ctx: niwa finishes in-flight requests,
	// closes storage and exits 0. Once the first has arrived the default
	// handling is back, so a second Ctrl-C kills a shutdown that hangs.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() { <-ctx.Done(); stop() }()
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is the whole command; serve returns once ctx ends (main ends it on
// SIGINT/SIGTERM, tests cancel it). Exit codes: 0 success, 1 failure,
// 2 usage error (bad command, flag or environment variable).
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, args, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "niwa", version)
		return 0
	case "help":
		fmt.Fprintln(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "niwa: unknown command %q\n%s\n", cmd, usage)
	return 2
}

const usage = `usage: niwa [serve] [flags] | niwa version

Run "niwa serve -h" for the flags.`

// keyList collects --access-key KEY:SECRET[:ACCOUNT] flags.
type keyList []auth.Credential

func (k *keyList) String() string { return fmt.Sprint(len(*k), " keys") }

func (k *keyList) Set(v string) error {
	for _, one := range strings.Split(v, ",") {
		parts := strings.Split(strings.TrimSpace(one), ":")
		if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
			return fmt.Errorf("want ACCESS_KEY:SECRET[:ACCOUNT], got %q", one)
		}
		account := server.DefaultAccount
		if len(parts) == 3 {
			account = parts[2]
			if len(account) != 12 || strings.Trim(account, "0123456789") != "" {
				return fmt.Errorf("account %q is not 12 digits", account)
			}
		}
		*k = append(*k, auth.RootCredential(parts[0], parts[1], account))
	}
	return nil
}

// env reads a string variable; set but empty counts as unset, as it does
// for the typed variables (NIWA_LOG_LEVEL= in a compose file means "the
// default", not "an invalid level").
func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// envReader reads the typed environment variable behind a flag,
// remembering malformed values: a typo in NIWA_PORT must not silently
// become port 0 (a random port), nor NIWA_FSYNC=yes silently mean "off".
// A malformed variable is an error only when its flag is not given (the
// flag wins over its variable).
type envReader struct {
	bad []envError
}

type envError struct {
	flag string
	err  error
}

func (e *envReader) int(flagName, name string, def int) int {
	v, ok := os.LookupEnv(name)
	if !ok || v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		e.bad = append(e.bad, envError{flagName, fmt.Errorf("%s=%q is not a number", name, v)})
	}
	return n
}

func (e *envReader) bool(flagName, name string) bool {
	v, ok := os.LookupEnv(name)
	if !ok || v == "" {
		return false
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		e.bad = append(e.bad, envError{flagName, fmt.Errorf("%s=%q is not a boolean (use 1/0, true/false)", name, v)})
	}
	return b
}

func (e *envReader) duration(flagName, name string, def time.Duration) time.Duration {
	v, ok := os.LookupEnv(name)
	if !ok || v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		e.bad = append(e.bad, envError{flagName, fmt.Errorf("%s=%q is not a positive duration (e.g. 20s, 500ms)", name, v)})
		return def
	}
	return d
}

// check returns the first malformed variable whose flag fs was not given.
func (e *envReader) check(fs *flag.FlagSet) error {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for _, b := range e.bad {
		if !set[b.flag] {
			return b.err
		}
	}
	return nil
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("niwa serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var envs envReader
	var cfg server.Config
	var keys keyList
	// LocalStack's variables (GATEWAY_LISTEN, PERSISTENCE, DEBUG...) are
	// the defaults of the flags they mean; NIWA_ variables and flags win.
	ls, lsErr := fromLocalStack(os.Getenv)
	defaultPort := 4566
	if ls.hasPort {
		defaultPort = ls.port
	}
	fs.StringVar(&cfg.Host, "host", env("NIWA_HOST", or(ls.host, "127.0.0.1")), "address to listen on (NIWA_HOST); 0.0.0.0 for every interface")
	fs.IntVar(&cfg.Port, "port", envs.int("port", "NIWA_PORT", defaultPort), "port to listen on (NIWA_PORT)")
	fs.StringVar(&cfg.DataDir, "data-dir", env("NIWA_DATA_DIR", ls.dataDir), "directory for durable state (NIWA_DATA_DIR); empty keeps state in memory")
	fs.BoolVar(&cfg.Fsync, "fsync", envs.bool("fsync", "NIWA_FSYNC"), "fsync every commit, for durability across power loss (NIWA_FSYNC)")
	fs.StringVar(&cfg.Region, "region", env("NIWA_DEFAULT_REGION", or(ls.region, "us-east-1")), "region for requests whose signature names none (NIWA_DEFAULT_REGION)")
	fs.BoolVar(&cfg.SkipSignatureValidation, "skip-signature-validation", envs.bool("skip-signature-validation", "NIWA_SKIP_SIGNATURE_VALIDATION"),
		"accept any access key and signature (NIWA_SKIP_SIGNATURE_VALIDATION)")
	fs.Var(&keys, "access-key", "static access key KEY:SECRET[:ACCOUNT], repeatable or comma-separated (NIWA_ACCESS_KEYS); default test:test:000000000000")
	fs.StringVar(&cfg.S3HostSuffix, "s3-host-suffix", env("NIWA_S3_HOST_SUFFIX", "localhost"), "host suffix of virtual-host-style S3 addresses (NIWA_S3_HOST_SUFFIX)")
	dnsHost := fs.String("dns-host", env("NIWA_DNS_HOST", "127.0.0.1"), "address Route53's DNS server listens on, UDP and TCP (NIWA_DNS_HOST)")
	dnsPort := fs.Int("dns-port", envs.int("dns-port", "NIWA_DNS_PORT", 5353), "port of Route53's DNS server (NIWA_DNS_PORT); 0 picks a free port")
	httpsPort := fs.Int("https-port", envs.int("https-port", "NIWA_HTTPS_PORT", 0),
		"port on --host where niwa also serves HTTPS with a certificate from its local CA (NIWA_HTTPS_PORT); 0 (default) serves no HTTPS")
	smtpPort := fs.Int("smtp-port", envs.int("smtp-port", "NIWA_SMTP_PORT", -1), "port of SES's SMTP interface on the listen host (NIWA_SMTP_PORT); -1 (the default) runs none, 0 picks a free port")
	smtpsPort := fs.Int("smtps-port", envs.int("smtps-port", "NIWA_SMTPS_PORT", -1), "port of SES's SMTP interface with implicit TLS (SMTPS, SES's 465) on the listen host (NIWA_SMTPS_PORT); -1 (the default) runs none, 0 picks a free port")
	dnsView := fs.String("dns-view", env("NIWA_DNS_VIEW", "all"),
		"what DNS queries from the host see (NIWA_DNS_VIEW): all (public and every private zone), public (public zones only) or a VPC id (that VPC's view); queries from inside a VPC always see their VPC's")
	dnsClientRegion := fs.String("dns-client-region", env("NIWA_DNS_CLIENT_REGION", ""),
		"AWS Region Route 53's latency routing considers DNS clients nearest (NIWA_DNS_CLIENT_REGION); default --region")
	dnsClientLocation := fs.String("dns-client-location", env("NIWA_DNS_CLIENT_LOCATION", ""),
		"where Route 53's geolocation and geoproximity routing consider DNS clients (NIWA_DNS_CLIENT_LOCATION): CONTINENT[/COUNTRY[/SUBDIVISION]][@LAT,LON], e.g. EU/DE or NA/US/WA@47.6,-122.3; default the client region's")
	clientCountry := fs.String("client-country", env("NIWA_CLIENT_COUNTRY", ""),
		"ISO 3166 country (e.g. JP) of every client --client-locations does not place, for WAF's GeoMatchStatement and CloudFront's geo restrictions (NIWA_CLIENT_COUNTRY); default none")
	clientLocations := fs.String("client-locations", env("NIWA_CLIENT_LOCATIONS", ""),
		"countries of client addresses, CIDR=COUNTRY,... first match wins, e.g. 10.0.0.0/8=JP,192.0.2.7=US, for WAF's GeoMatchStatement and CloudFront's geo restrictions (NIWA_CLIENT_LOCATIONS)")
	logLevel := fs.String("log-level", env("NIWA_LOG_LEVEL", or(ls.logLevel, "info")), "debug, info, warn or error (NIWA_LOG_LEVEL)")
	logFormat := fs.String("log-format", env("NIWA_LOG_FORMAT", "text"), "text or json (NIWA_LOG_FORMAT)")
	fs.StringVar(&cfg.IAMEnforcement, "iam-enforcement", env("NIWA_IAM_ENFORCEMENT", or(ls.iam, "on")),
		"IAM policy enforcement: on, soft (log would-be denials, allow) or off (NIWA_IAM_ENFORCEMENT)")
	fs.StringVar(&cfg.SecureTransport, "secure-transport", env("NIWA_SECURE_TRANSPORT", server.SecureTransportLoopback),
		"which requests count as sent over secure transport for aws:SecureTransport: loopback (TLS requests and plain-HTTP ones from this host) or tls (TLS requests only, as on AWS) (NIWA_SECURE_TRANSPORT)")
	gcPercent := fs.Int("gc-percent", envs.int("gc-percent", "NIWA_GC_PERCENT", 400),
		"Go garbage collector target percentage (NIWA_GC_PERCENT; GOGC, when set, wins over the default); 400 trades a few MiB of heap under load for about a fifth less CPU per request")
	memoryLimit := fs.String("memory-limit", env("NIWA_MEMORY_LIMIT", "auto"),
		"Go's soft memory limit (NIWA_MEMORY_LIMIT; GOMEMLIMIT, when set, wins over the default): auto (after every collection, the larger of 64MiB and twice the live heap; freed memory returned when niwa goes idle), auto:<floor>, off, or a size such as 512MiB")
	procs := fs.String("procs", env("NIWA_PROCS", "auto"),
		"how many Ps (GOMAXPROCS) run niwa's Go code (NIWA_PROCS; GOMAXPROCS, when set, wins over the default): auto (one while niwa needs less than a core, the runtime's default as soon as it needs more), off (the runtime's default) or a number")
	fs.DurationVar(&cfg.Timeouts.Header, "header-timeout", envs.duration("header-timeout", "NIWA_HEADER_TIMEOUT", server.DefaultHeaderTimeout),
		"how long a client may take to send a request's headers (NIWA_HEADER_TIMEOUT)")
	fs.DurationVar(&cfg.Timeouts.Body, "body-timeout", envs.duration("body-timeout", "NIWA_BODY_TIMEOUT", server.DefaultBodyTimeout),
		"how long a request body may go without sending a byte; renewed on every read, so slow uploads that keep sending are not cut off (NIWA_BODY_TIMEOUT)")
	fs.DurationVar(&cfg.Timeouts.Idle, "idle-timeout", envs.duration("idle-timeout", "NIWA_IDLE_TIMEOUT", server.DefaultIdleTimeout),
		"how long a keep-alive connection may sit idle between requests (NIWA_IDLE_TIMEOUT)")
	fs.StringVar(&cfg.HTTPServer, "http-server", env("NIWA_HTTP_SERVER", server.HTTPServerNiwa),
		"what serves the plain-HTTP port (NIWA_HTTP_SERVER): niwa (niwa's own HTTP/1.1 server: the same bytes on the wire, less CPU per request; the default) or std (Go's net/http); HTTPS is net/http's either way")
	fs.DurationVar(&cfg.CloudTrailDeliveryInterval, "cloudtrail-delivery-interval", envs.duration("cloudtrail-delivery-interval", "NIWA_CLOUDTRAIL_DELIVERY_INTERVAL", 5*time.Minute),
		"how often CloudTrail trails deliver log files to S3, SNS and CloudWatch Logs, on niwa's clock (NIWA_CLOUDTRAIL_DELIVERY_INTERVAL)")
	fs.IntVar(&cfg.CloudTrailHistory, "cloudtrail-history", envs.int("cloudtrail-history", "NIWA_CLOUDTRAIL_HISTORY", cloudtrail.DefaultMaxHistory),
		"how many management events CloudTrail's LookupEvents keeps per account and region, the oldest dropped first (NIWA_CLOUDTRAIL_HISTORY); ~450 bytes of memory each")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file, ended at shutdown (for `go tool pprof`); off by default")
	memProfile := fs.String("memprofile", "", "write a heap profile to this file at shutdown, before anything is freed, with the runtime's memory statistics at its end (for `go tool pprof`); off by default")
	var envKeys keyList
	if v := os.Getenv("NIWA_ACCESS_KEYS"); v != "" {
		if err := envKeys.Set(v); err != nil {
			envs.bad = append(envs.bad, envError{"access-key", fmt.Errorf("NIWA_ACCESS_KEYS: %w", err)})
		}
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "niwa: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if err := envs.check(fs); err != nil {
		fmt.Fprintln(stderr, "niwa:", err)
		return 2
	}
	if lsErr != nil {
		fmt.Fprintln(stderr, "niwa: LocalStack variable", lsErr)
		return 2
	}
	ls.finish(func(name string) string { return fs.Lookup(name).Value.String() },
		func(name, envName string) bool { return explicit(fs, name, envName) })
	if len(keys) == 0 {
		keys = envKeys // --access-key replaces NIWA_ACCESS_KEYS, like every flag its variable
	}
	if cfg.Port < 0 || cfg.Port > 65535 {
		fmt.Fprintf(stderr, "niwa: port %d is out of range 0-65535\n", cfg.Port)
		return 2
	}
	for _, t := range []struct {
		name string
		d    time.Duration
	}{{"header-timeout", cfg.Timeouts.Header}, {"body-timeout", cfg.Timeouts.Body}, {"idle-timeout", cfg.Timeouts.Idle},
		{"cloudtrail-delivery-interval", cfg.CloudTrailDeliveryInterval}} {
		if t.d <= 0 {
			fmt.Fprintf(stderr, "niwa: --%s must be positive, got %v\n", t.name, t.d)
			return 2
		}
	}
	if cfg.CloudTrailHistory <= 0 {
		fmt.Fprintf(stderr, "niwa: --cloudtrail-history must be positive, got %d\n", cfg.CloudTrailHistory)
		return 2
	}
	if cfg.HTTPServer != server.HTTPServerStd && cfg.HTTPServer != server.HTTPServerNiwa {
		fmt.Fprintf(stderr, "niwa: --http-server must be std or niwa, got %q\n", cfg.HTTPServer)
		return 2
	}
	if cfg.SecureTransport != server.SecureTransportLoopback && cfg.SecureTransport != server.SecureTransportTLS {
		fmt.Fprintf(stderr, "niwa: --secure-transport must be loopback or tls, got %q\n", cfg.SecureTransport)
		return 2
	}
	if *dnsPort < 0 || *dnsPort > 65535 {
		fmt.Fprintf(stderr, "niwa: dns port %d is out of range 0-65535\n", *dnsPort)
		return 2
	}
	cfg.DNSAddr = net.JoinHostPort(*dnsHost, strconv.Itoa(*dnsPort))
	if *httpsPort < 0 || *httpsPort > 65535 {
		fmt.Fprintf(stderr, "niwa: https port %d is out of range 0-65535\n", *httpsPort)
		return 2
	}
	if *httpsPort > 0 {
		cfg.HTTPSAddr = net.JoinHostPort(cfg.Host, strconv.Itoa(*httpsPort))
	}
	if *smtpPort > 65535 {
		fmt.Fprintf(stderr, "niwa: smtp port %d is out of range 0-65535\n", *smtpPort)
		return 2
	}
	if *smtpPort >= 0 {
		cfg.SMTPAddr = net.JoinHostPort(cfg.Host, strconv.Itoa(*smtpPort))
	}
	if *smtpsPort > 65535 {
		fmt.Fprintf(stderr, "niwa: smtps port %d is out of range 0-65535\n", *smtpsPort)
		return 2
	}
	if *smtpsPort >= 0 {
		cfg.SMTPSAddr = net.JoinHostPort(cfg.Host, strconv.Itoa(*smtpsPort))
	}
	view, err := dns.ParseView(*dnsView)
	if err != nil {
		fmt.Fprintln(stderr, "niwa: --dns-view:", err)
		return 2
	}
	cfg.DNSView = view
	client, err := dns.ClientIn(or(*dnsClientRegion, cfg.Region))
	if err != nil && *dnsClientRegion != "" {
		fmt.Fprintln(stderr, "niwa: --dns-client-region:", err)
		return 2
	}
	if err != nil {
		// A --region niwa cannot place: latency routing still prefers
		// it by name; the location is us-east-1's.
		client, _ = dns.ClientIn(dns.DefaultClientRegion)
		client.Region = cfg.Region
	}
	if *dnsClientLocation != "" {
		if client, err = dns.ParseLocation(client, *dnsClientLocation); err != nil {
			fmt.Fprintln(stderr, "niwa: --dns-client-location:", err)
			return 2
		}
	}
	cfg.DNSClient = client
	if *clientCountry != "" {
		if cfg.Clients.Default, err = server.ParseCountry(*clientCountry); err != nil {
			fmt.Fprintln(stderr, "niwa: --client-country:", err)
			return 2
		}
	}
	if cfg.Clients.Locations, err = server.ParseClientLocations(*clientLocations); err != nil {
		fmt.Fprintln(stderr, "niwa: --client-locations:", err)
		return 2
	}
	cfg.DNSOptional = !explicit(fs, "dns-port", "NIWA_DNS_PORT") && !explicit(fs, "dns-host", "NIWA_DNS_HOST")
	if len(keys) > 0 {
		// The default key stays usable unless the user replaced it.
		cfg.Keys = append([]auth.Credential{auth.RootCredential("test", "test", server.DefaultAccount)}, keys...)
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintln(stderr, "niwa: --log-level:", err)
		return 2
	}
	opts := &slog.HandlerOptions{Level: level}
	switch *logFormat {
	case "json":
		cfg.Log = slog.New(slog.NewJSONHandler(stderr, opts))
	case "text":
		cfg.Log = slog.New(slog.NewTextHandler(stderr, opts))
	default:
		fmt.Fprintf(stderr, "niwa: --log-format: want text or json, got %q\n", *logFormat)
		return 2
	}
	cfg.Version = version
	ls.log(cfg.Log)
	if os.Getenv("GOGC") == "" || explicit(fs, "gc-percent", "NIWA_GC_PERCENT") {
		// niwa's live heap is small and its requests allocate briefly, so
		// the default GOGC=100 collected several times a second under load.
		debug.SetGCPercent(*gcPercent)
	}
	governor, fixedLimit, err := parseMemoryLimit(*memoryLimit)
	if err != nil {
		fmt.Fprintln(stderr, "niwa: --memory-limit:", err)
		return 2
	}
	if os.Getenv("GOMEMLIMIT") == "" || explicit(fs, "memory-limit", "NIWA_MEMORY_LIMIT") {
		switch {
		case governor != nil:
			governor.start()
		case fixedLimit > 0:
			debug.SetMemoryLimit(fixedLimit)
		}
	}
	autoProcs, fixedProcs, err := parseProcs(*procs)
	if err != nil {
		fmt.Fprintln(stderr, "niwa: --procs:", err)
		return 2
	}
	if os.Getenv("GOMAXPROCS") == "" || explicit(fs, "procs", "NIWA_PROCS") {
		switch {
		case autoProcs:
			if ctl := newProcsController(clock.Real{}); ctl != nil {
				log := cfg.Log
				ctl.changed = func(from, to int, cpu float64) {
					log.Debug("GOMAXPROCS changed", "from", from, "to", to, "cpu", fmt.Sprintf("%.2f", cpu))
				}
				ctl.start()
				defer ctl.stop()
				cfg.OnRequest = ctl.request
			}
		case fixedProcs > 0:
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(fixedProcs))
		}
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(stderr, "niwa: --cpuprofile:", err)
			return 2
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(stderr, "niwa: --cpuprofile:", err)
			_ = f.Close()
			return 2
		}
		defer func() {
			pprof.StopCPUProfile()
			_ = f.Close()
		}()
	}

	// Athena's SQL engine (DuckDB, through cgo) is linked here only, so
	// that internal/server and the in-process servers of Go tests link no
	// C library (docs/dependencies.md); a CGO_ENABLED=0 build has none.
	cfg.SQLEngine = sqlEngine()
	// The port is bound before the services are wired: a client that
	// connects while niwa starts (a wait loop, an SDK's first call) is
	// answered as soon as niwa serves, instead of being refused and
	// retrying after its back-off.
	ln, err := net.Listen("tcp", net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port)))
	if err != nil {
		fmt.Fprintln(stderr, "niwa:", err)
		return 1
	}
	cfg.Listener = ln
	srv, err := server.New(cfg)
	if err != nil {
		_ = ln.Close()
		fmt.Fprintln(stderr, "niwa:", err)
		return 1
	}
	if err := srv.Listen(); err != nil {
		fmt.Fprintln(stderr, "niwa:", err)
		_ = srv.Shutdown(context.Background())
		return 1
	}
	state := "in memory"
	if cfg.DataDir != "" {
		state = cfg.DataDir
	}
	cfg.Log.Info("niwa ready", "addr", srv.Addr(), "https", srv.HTTPSAddr(), "dns", srv.DNSAddr(), "version", version, "state", state)
	// LocalStack prints "Ready." on a line of its own when it serves, and
	// wait loops written for it (testcontainers' LocalStack module, `docker
	// logs | grep '^Ready\.'`) look for that line. With JSON logs every
	// line a log reader sees must be JSON, so the "niwa ready" record
	// above is the only signal there.
	if *logFormat != "json" {
		fmt.Fprintln(stdout, "Ready.")
	}

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve() }()
	// No collection is forced here: start-up allocates ~1.3 MB now, and
	// a forced GC (debug.FreeOSMemory) beside the first requests cost
	// ~2-3 ms of CPU and ~100 page faults of start-up for no less idle
	// RSS (docs/performance.md, start-up and idle memory).
	select {
	case err := <-errc:
		if err != nil {
			fmt.Fprintln(stderr, "niwa:", err)
			return 1
		}
		return 0
	case <-ctx.Done():
	}
	cfg.Log.Info("shutting down")
	if *memProfile != "" {
		if err := writeHeapProfile(*memProfile); err != nil {
			fmt.Fprintln(stderr, "niwa: --memprofile:", err)
		}
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		fmt.Fprintln(stderr, "niwa: shutdown:", err)
		return 1
	}
	return 0
}

// writeHeapProfile writes the heap profile in pprof's text form, which
// `go tool pprof` reads and which ends with runtime.MemStats: what the heap
// holds live (as of the last collection), what it holds unswept, idle and
// returned to the OS, and the stacks — the Go side of niwa's RSS.
func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("heap").WriteTo(f, 1); err != nil {
		_ = f.Close()
		return err
	}
	if _, err := f.WriteString(gcMetricsText()); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

// gcMetricsText is what a collection costs, appended to the heap profile
// as comment lines: what the last one had to scan (the heap's
// pointer-bearing bytes, the globals, the stacks), the live objects it
// marked, and the CPU the collector took over niwa's life against all of
// niwa's (the runtime's estimates).
func gcMetricsText() string {
	names := [...]string{
		"/gc/heap/live:bytes",
		"/gc/heap/objects:objects",
		"/gc/scan/heap:bytes",
		"/gc/scan/globals:bytes",
		"/gc/scan/stack:bytes",
		"/gc/cycles/total:gc-cycles",
		"/cpu/classes/gc/total:cpu-seconds",
		"/cpu/classes/total:cpu-seconds",
	}
	samples := make([]metrics.Sample, len(names))
	for i, name := range names {
		samples[i].Name = name
	}
	metrics.Read(samples)
	var b strings.Builder
	for _, s := range samples {
		switch s.Value.Kind() {
		case metrics.KindUint64:
			fmt.Fprintf(&b, "# %s = %d\n", s.Name, s.Value.Uint64())
		case metrics.KindFloat64:
			fmt.Fprintf(&b, "# %s = %.3f\n", s.Name, s.Value.Float64())
		}
	}
	return b.String()
}

// or returns v, or def when v is empty.
func or(v, def string) string {
	if v != "" {
		return v
	}
	return def
}

// explicit reports whether the user chose a flag's value, on the command
// line or through its environment variable.
func explicit(fs *flag.FlagSet, name, envName string) bool {
	set := os.Getenv(envName) != ""
	fs.Visit(func(f *flag.Flag) {
		if f.Name == name {
			set = true
		}
	})
	return set
}
