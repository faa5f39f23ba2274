package instances

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/niwa-cloud/niwa/internal/clock"
	"github.com/niwa-cloud/niwa/internal/httpserve"
	"github.com/niwa-cloud/niwa/internal/proc"
)

// consoleLimit is how much of the console get-console-output returns:
// EC2 returns the most recent 64 KB.
const consoleLimit = 64 * 1024

// consoleKeep bounds the console file on disk: past it, the file is cut
// back to its last consoleLimit bytes when niwa next prints or reads it.
const consoleKeep = 1 << 20

// instanceEnv marks every process of an instance with its directory, so
// that a niwa killed without shutting down can find and kill them when
// it boots the instance again.
const instanceEnv = "NIWA_INSTANCE_DIR"

// ErrNotRunning is Run's answer for an instance the runtime does not run.
var ErrNotRunning = errors.New("instances: instance is not running")

// Runtime runs instances. It is safe for concurrent use.
type Runtime struct {
	cfg Config
	// ident is made or read on first use (identity).
	identOnce sync.Once
	ident     *identity
	identErr  error

	// hosts is the hosts file processes see at /etc/hosts (hosts.go);
	// ns the launcher that mounts it, probed once at the first use (nil
	// where the machine cannot).
	hosts  *proc.Hosts
	nsOnce sync.Once
	ns     *proc.Launcher

	mu         sync.Mutex
	vms        map[string]*vm
	closed     bool
	refreshing bool
	stop       chan struct{} // closed by Close: the hosts refresh ends
}

// vm is one running instance.
type vm struct {
	r                   *Runtime
	account, region, id string
	dir                 string
	ln                  net.Listener
	srv                 *httpserve.Server

	mu      sync.Mutex
	console *os.File
	groups  map[int]struct{} // process groups started for it
	down    bool
	// booted closes when the boot goroutine returns: a shutdown waits
	// for it, so nothing it writes lands in a directory a terminate or a
	// reset has removed (or a test's TempDir being cleaned up).
	booted chan struct{}
	tokens map[string]time.Time // IMDSv2 tokens and their expiry
	// The role credentials IMDS hands out, for which profile, and when
	// they were issued.
	creds        Credentials
	credsOK      bool
	credsProfile string
	credsIssued  time.Time
}

// New makes a runtime. Call Resume once the sources are wired to boot
// again the instances that ran when niwa last stopped.
func New(cfg Config) (*Runtime, error) {
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.CredentialLifetime <= 0 {
		cfg.CredentialLifetime = 6 * time.Hour
	}
	if cfg.Endpoint == nil {
		cfg.Endpoint = func() string { return "" }
	}
	if err := os.MkdirAll(cfg.WorkDir, 0o755); err != nil {
		return nil, err
	}
	return &Runtime{cfg: cfg, vms: map[string]*vm{}, stop: make(chan struct{}),
		hosts: proc.NewHosts(filepath.Join(cfg.WorkDir, "hosts"), cfg.Log)}, nil
}

// identity returns the key that signs identity documents, reading it
// from the work directory or making it on first use: generating a
// 2048-bit RSA key takes 50-100 ms, which start-up would otherwise pay
// although most runs never boot an instance.
func (r *Runtime) identity() (*identity, error) {
	r.identOnce.Do(func() {
		r.ident, r.identErr = loadIdentity(r.cfg.WorkDir, r.cfg.Clock.Now())
	})
	return r.ident, r.identErr
}

// SetEgress wires the network component (nil: none). Call it before
// instances boot.
func (r *Runtime) SetEgress(e Egress) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cfg.Egress = e
}

// IdentityCertificatePEM is the certificate whose key signs instance
// identity documents (/signature, /pkcs7, /rsa2048).
func (r *Runtime) IdentityCertificatePEM() ([]byte, error) {
	id, err := r.identity()
	if err != nil {
		return nil, err
	}
	return id.certPEM, nil
}

func key(account, region, id string) string { return account + "/" + region + "/" + id }

// Dir is the working directory of an instance.
func (r *Runtime) Dir(account, region, id string) string {
	return filepath.Join(r.cfg.WorkDir, account, region, id)
}

// Boot starts an instance: its metadata service, then its boot (bootcmd
// at every boot, user data once, at the first). Booting an instance that
// runs does nothing.
func (r *Runtime) Boot(account, region, id string) error {
	k := key(account, region, id)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return errors.New("instances: runtime closed")
	}
	if _, ok := r.vms[k]; ok {
		return nil
	}
	dir := r.Dir(account, region, id)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	console, err := os.OpenFile(filepath.Join(dir, "console.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	ln, err := listenIMDS()
	if err != nil {
		_ = console.Close()
		return err
	}
	// Processes a previous niwa left behind when it was killed without
	// shutting down go first: this boot replaces them.
	if n := proc.KillByEnv(instanceEnv + "=" + dir); n > 0 {
		r.cfg.Log.Info("instances: killed processes left by a previous run", "instance", id, "count", n)
	}
	v := &vm{r: r, account: account, region: region, id: id, dir: dir, ln: ln, console: console,
		groups: map[int]struct{}{}, tokens: map[string]time.Time{}, booted: make(chan struct{})}
	// niwa's own HTTP/1.1 server, as the edge and Lambda's Runtime API
	// are served (one server; its reads do not wake the Go runtime's
	// monitor). An idle kept-alive connection is closed after the header
	// timeout: metadata clients ask a few paths and go.
	v.srv = &httpserve.Server{Handler: v, ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(r.cfg.Log.Handler(), slog.LevelWarn)}
	if err := os.WriteFile(filepath.Join(dir, "running"), nil, 0o644); err != nil {
		_ = ln.Close()
		_ = console.Close()
		return err
	}
	r.vms[k] = v
	r.startRefreshing()
	go func() { _ = v.srv.Serve(ln) }()
	go func() {
		defer close(v.booted)
		v.boot()
	}()
	return nil
}

// Stop kills the instance's processes (every process group it started)
// and stops its metadata service. The directory stays: a start boots
// from it again.
func (r *Runtime) Stop(account, region, id string) error {
	v := r.take(account, region, id)
	if v == nil {
		return nil
	}
	v.shutdown("reboot: Power down")
	return errors.Join(os.Remove(filepath.Join(v.dir, "running")), r.release(account, region, id))
}

// Terminate stops the instance and removes its directory.
func (r *Runtime) Terminate(account, region, id string) error {
	if v := r.take(account, region, id); v != nil {
		v.shutdown("reboot: Power down")
	}
	return errors.Join(os.RemoveAll(r.Dir(account, region, id)), r.release(account, region, id))
}

// release tells the egress component the instance no longer runs, so
// connections to its private address are no longer answered.
func (r *Runtime) release(account, region, id string) error {
	r.mu.Lock()
	rel, ok := r.cfg.Egress.(Releaser)
	r.mu.Unlock()
	if !ok {
		return nil
	}
	in, found, err := r.cfg.Source.Instance(account, region, id)
	if err != nil || !found {
		return err
	}
	return rel.Release(in.Position())
}

func (r *Runtime) take(account, region, id string) *vm {
	r.mu.Lock()
	defer r.mu.Unlock()
	k := key(account, region, id)
	v := r.vms[k]
	delete(r.vms, k)
	return v
}

// Console is the most recent 64 KB the instance printed ("" before it
// first booted).
func (r *Runtime) Console(account, region, id string) (string, error) {
	path := filepath.Join(r.Dir(account, region, id), "console.log")
	trimConsole(path)
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	defer func() { _ = f.Close() }()
	st, err := f.Stat()
	if err != nil {
		return "", err
	}
	if st.Size() > consoleLimit {
		if _, err := f.Seek(st.Size()-consoleLimit, io.SeekStart); err != nil {
			return "", err
		}
	}
	b, err := io.ReadAll(io.LimitReader(f, consoleLimit))
	return string(b), err
}

// Running reports whether the runtime runs the instance.
func (r *Runtime) Running(account, region, id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.vms[key(account, region, id)]
	return ok
}

// MetadataEndpoint is the base URL of the instance's metadata service
// ("" when it does not run).
func (r *Runtime) MetadataEndpoint(account, region, id string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	v, ok := r.vms[key(account, region, id)]
	if !ok {
		return ""
	}
	return "http://" + v.ln.Addr().String() + "/"
}

// Resume boots again every instance that ran when niwa last stopped and
// that EC2 still has running; the others' markers are dropped.
func (r *Runtime) Resume() error {
	marks, err := filepath.Glob(filepath.Join(r.cfg.WorkDir, "*", "*", "*", "running"))
	if err != nil {
		return err
	}
	for _, m := range marks {
		rel, err := filepath.Rel(r.cfg.WorkDir, filepath.Dir(m))
		if err != nil {
			continue
		}
		p := strings.Split(filepath.ToSlash(rel), "/")
		if len(p) != 3 {
			continue
		}
		in, ok, err := r.cfg.Source.Instance(p[0], p[1], p[2])
		if err != nil {
			return err
		}
		if !ok || (in.State != "running" && in.State != "pending") {
			_ = os.Remove(m)
			continue
		}
		if in.State == "pending" {
			// EC2 boots it when it turns running.
			continue
		}
		if err := r.Boot(p[0], p[1], p[2]); err != nil {
			return err
		}
	}
	return nil
}

// Close kills every instance's processes; their markers stay, so the
// next Resume boots them again.
func (r *Runtime) Close() error {
	r.mu.Lock()
	vms := r.vms
	r.vms = map[string]*vm{}
	if !r.closed {
		close(r.stop)
	}
	r.closed = true
	r.mu.Unlock()
	for _, v := range vms {
		v.shutdown("")
	}
	return nil
}

// shutdown kills the instance's process groups and stops its metadata
// service; line, if any, goes to the console first.
func (v *vm) shutdown(line string) {
	v.mu.Lock()
	v.down = true
	groups := v.groups
	v.groups = map[int]struct{}{}
	v.mu.Unlock()
	for g := range groups {
		proc.KillGroupID(g)
	}
	// The boot's current step was killed above and it starts no other
	// (start refuses once down is set): it returns promptly.
	<-v.booted
	_ = v.srv.Close()
	v.mu.Lock()
	defer v.mu.Unlock()
	if line != "" {
		v.printLocked(line)
	}
	_ = v.console.Close()
}

// print writes a console line stamped with the clock, as the kernel and
// cloud-init do.
func (v *vm) print(format string, args ...any) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.down {
		return
	}
	v.printLocked(fmt.Sprintf(format, args...))
}

func (v *vm) printLocked(s string) {
	_, _ = v.console.WriteString(s + "\n")
	trimConsole(v.console.Name())
}

// trimConsole cuts a console file longer than consoleKeep back to its
// last consoleLimit bytes. Processes write it with O_APPEND, so their
// later writes land after the kept tail; a write racing the cut may be
// lost, which a console can afford.
func trimConsole(path string) {
	st, err := os.Stat(path)
	if err != nil || st.Size() <= consoleKeep {
		return
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return
	}
	defer func() { _ = f.Close() }()
	tail := make([]byte, consoleLimit)
	n, err := f.ReadAt(tail, st.Size()-consoleLimit)
	if err != nil && err != io.EOF {
		return
	}
	if err := f.Truncate(0); err != nil {
		return
	}
	_, _ = f.WriteAt(tail[:n], 0)
}

// metadataURL is what AWS_EC2_METADATA_SERVICE_ENDPOINT says.
func (v *vm) metadataURL() string { return "http://" + v.ln.Addr().String() + "/" }

// environ is the environment of the instance's processes: niwa's own
// without any AWS_* setting (so nothing but IMDS supplies credentials),
// the metadata endpoint, niwa's endpoint and the region, a private AWS
// config and credentials file path (the host's ~/.aws is not read), and
// what the egress component adds.
func (v *vm) environ(ctx context.Context, in Instance) ([]string, error) {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(strings.ToUpper(kv), "AWS_") {
			continue
		}
		env = append(env, kv)
	}
	home := filepath.Join(v.dir, "rootfs", "root", ".aws")
	env = append(env,
		instanceEnv+"="+v.dir,
		"AWS_EC2_METADATA_SERVICE_ENDPOINT="+v.metadataURL(),
		"AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=IPv4",
		"AWS_DEFAULT_REGION="+v.region,
		"AWS_REGION="+v.region,
		"AWS_CONFIG_FILE="+filepath.Join(home, "config"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(home, "credentials"),
	)
	if ep := v.r.cfg.Endpoint(); ep != "" {
		env = append(env, "AWS_ENDPOINT_URL="+ep)
	}
	v.r.mu.Lock()
	eg := v.r.cfg.Egress
	v.r.mu.Unlock()
	if eg != nil {
		extra, err := eg.Env(ctx, in.Position())
		if err != nil {
			return nil, err
		}
		env = append(env, extra...)
	}
	// The metadata service is reached directly, never through a proxy
	// the egress component set (as 169.254.169.254 is on AWS).
	host, _, _ := net.SplitHostPort(v.ln.Addr().String())
	return withNoProxy(env, host), nil
}

// imdsHost is the loopback address instances' metadata services listen
// on: one of its own (Linux routes all of 127.0.0.0/8 to lo), so that
// NO_PROXY can name it without naming niwa's endpoint; 127.0.0.1 where
// the address cannot be bound.
const imdsHost = "127.169.254.254"

func listenIMDS() (net.Listener, error) {
	if ln, err := net.Listen("tcp", imdsHost+":0"); err == nil {
		return ln, nil
	}
	return net.Listen("tcp", "127.0.0.1:0")
}

// withNoProxy adds host to NO_PROXY and no_proxy (curl reads only the
// lowercase one), keeping what they already say; the last entry of a
// name is the one a process sees.
func withNoProxy(env []string, host string) []string {
	for _, k := range []string{"NO_PROXY", "no_proxy"} {
		cur := ""
		for _, kv := range env {
			if v, ok := strings.CutPrefix(kv, k+"="); ok {
				cur = v
			}
		}
		if cur != "" {
			cur += ","
		}
		env = append(env, k+"="+cur+host)
	}
	return env
}

// start starts cmd as a process group of the instance, its output going
// where stdout and stderr say (the console by default). It refuses once
// the instance is shutting down.
func (v *vm) start(cmd *exec.Cmd) error {
	// Outside v.mu: the hosts file asks the names' owner (RDS's store)
	// and the first use probes the machine.
	v.r.withHosts(v, cmd)
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.down {
		return ErrNotRunning
	}
	if cmd.Stdout == nil {
		cmd.Stdout = v.console
	}
	if cmd.Stderr == nil {
		cmd.Stderr = cmd.Stdout
	}
	proc.SetGroup(cmd)
	if err := cmd.Start(); err != nil {
		return err
	}
	v.groups[cmd.Process.Pid] = struct{}{}
	return nil
}

// Reset kills every instance and forgets their directories (POST
// /_niwa/reset dropped EC2's records); the identity key stays.
func (r *Runtime) Reset() error {
	r.mu.Lock()
	vms := r.vms
	r.vms = map[string]*vm{}
	r.mu.Unlock()
	for _, v := range vms {
		v.shutdown("")
	}
	entries, err := os.ReadDir(r.cfg.WorkDir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.IsDir() {
			if err := os.RemoveAll(filepath.Join(r.cfg.WorkDir, e.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}
