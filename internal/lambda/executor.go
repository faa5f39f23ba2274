package lambda

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/niwa-cloud/niwa/internal/clock"
	"github.com/niwa-cloud/niwa/internal/proc"
)

// Spec is everything needed to start an execution environment for one
// function configuration. Environments started from Specs with the same
// Key are interchangeable, so a warm one is reused.
type Spec struct {
	// Key identifies the configuration (function, version, code and
	// configuration revision).
	Key string
	// Group names the function (account/region/name) so every
	// environment of it can be evicted when it changes or is deleted.
	Group string
	// FunctionARN is the ARN of the function (with the qualifier when one
	// was used) for invocations whose Request has no InvokedARN.
	FunctionARN string
	Version     string
	Runtime     string
	Handler     string
	// CodeDir is the unpacked code (LAMBDA_TASK_ROOT); OptDir the merged
	// layers ("/opt" on AWS), "" when the function has none.
	CodeDir string
	OptDir  string
	// MemoryMB is reported in the REPORT line and the environment.
	MemoryMB int
	Timeout  time.Duration
	// Concurrency caps simultaneous environments; 0 means no cap.
	Concurrency int
	// LogGroup receives the environment's output.
	LogGroup string
	// Net is the VPC the function is attached to (zero: none); its
	// processes see that VPC's hosts file (proc.Hosts).
	Net proc.Net
	// Environ returns the process environment for a new environment
	// whose log stream is stream (AWS_* variables, credentials, the
	// function's variables). It is called once per cold start.
	Environ func(stream string) ([]string, error)
}

// Request is one invocation.
type Request struct {
	ID string
	// InvokedARN is the ARN this invocation was made with: an alias and
	// a version share the warm environments of the version they run, so
	// the ARN belongs to the invocation, not to the environment.
	InvokedARN    string
	Payload       []byte
	ClientContext string
	// CognitoIdentity is passed through to the runtime unchanged.
	CognitoIdentity string
	// Stream, when set, receives a streamed response (the runtime posts
	// it with Lambda-Runtime-Function-Response-Mode: streaming, as
	// awslambda.streamifyResponse handlers do) chunk by chunk as it
	// arrives; the Result's Payload then holds nothing of it. Without
	// Stream a streamed response is collected into Payload. It is called
	// from the Runtime API's goroutine: blocking in it holds the runtime's
	// write back.
	Stream func(chunk []byte)
}

// Result is what an invocation produced.
type Result struct {
	Payload []byte
	// FunctionError is "Unhandled" when the function (or the runtime)
	// failed; Payload then holds errorMessage/errorType/stackTrace.
	FunctionError string
	// ErrorType is the errorType of a failure ("Sandbox.Timedout",
	// "Runtime.ExitError", the exception class...).
	ErrorType string
	// Log is the invocation's log, START through REPORT.
	Log []byte
	// Duration is how long the function ran; Init is the cold start, zero
	// for a warm invocation.
	Duration time.Duration
	Init     time.Duration
	// Cold is true when the invocation started its environment.
	Cold bool
}

// LogLine is one line of function output on its way to CloudWatch Logs.
type LogLine struct {
	Time    time.Time
	Message string
}

// LogSink receives every environment's output: the group is the
// function's log group, the stream the environment's.
type LogSink func(spec *Spec, stream string, lines []LogLine)

// ErrThrottled is returned when the function's concurrency is exhausted.
var ErrThrottled = errors.New("lambda: concurrency limit reached")

// ErrClosed is returned after Close.
var ErrClosed = errors.New("lambda: executor closed")

// Config configures an Executor.
type Config struct {
	// WorkDir holds the bootstraps and per-environment scratch space.
	WorkDir string
	Clock   clock.Clock
	Log     *slog.Logger
	// Logs receives function output; nil discards it.
	Logs LogSink
	// IdleTimeout is how long a warm environment waits for another
	// invocation before it is stopped (on Clock).
	IdleTimeout time.Duration
	// InitTimeout bounds the time from process start to its first
	// /next call (AWS: 10 s for on-demand functions).
	InitTimeout time.Duration
	// Python and Node are the interpreters; empty means find python3 and
	// node on PATH.
	Python string
	Node   string
}

// Executor runs invocations in warm or fresh environments.
type Executor struct {
	cfg Config

	mu     sync.Mutex
	pools  map[string]*pool
	closed bool

	interpOnce sync.Once
	python     string
	node       string
	bootDir    string
	bootErr    error
	// ns is the launcher that mounts layers at /opt and the hosts file
	// at /etc/hosts; nil when this machine cannot (see proc.Probe), and
	// layers are then found only through the environment's paths.
	ns *proc.Launcher
	// emptyOpt is mounted at /opt for functions without layers, as /opt
	// is empty on AWS.
	emptyOpt string
	// hosts is the hosts file functions see at /etc/hosts.
	hosts *proc.Hosts
}

type pool struct {
	idle []*env
	// active counts environments running or starting, idle or not.
	active int
	busy   int
	// gen changes on Evict; environments of an older generation stop
	// instead of going back to the pool.
	gen int
}

// New returns an executor.
func New(cfg Config) *Executor {
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = 10 * time.Minute
	}
	if cfg.InitTimeout == 0 {
		cfg.InitTimeout = 10 * time.Second
	}
	hosts := ""
	if cfg.WorkDir != "" {
		hosts = filepath.Join(cfg.WorkDir, "hosts")
	}
	return &Executor{cfg: cfg, pools: map[string]*pool{}, hosts: proc.NewHosts(hosts, cfg.Log)}
}

// SetNames gives the executor the names niwa hands out, with their
// addresses (internal/server wires what niwa's DNS answers for every
// service's names), through the hosts file mounted at /etc/hosts in
// functions' mount namespace.
func (x *Executor) SetNames(names proc.Names) {
	x.hosts.SetNames(names)
}

// SetVPCNames gives the executor what each VPC's resolver answers
// (private hosted zones, instances' names), for the hosts file of
// functions attached to a VPC.
func (x *Executor) SetVPCNames(fn proc.VPCNames) { x.hosts.SetVPCNames(fn) }

// NamesChanged tells the executor that what SetNames or SetVPCNames
// list changed; the hosts files follow soon, without waiting.
func (x *Executor) NamesChanged() { x.hosts.Changed() }

// Invoke runs req in an environment for spec and waits for its result. A
// function failure is a Result with FunctionError set, not an error; the
// error is for invocations that could not run (ErrThrottled, a runtime
// that cannot start, ctx ended).
func (x *Executor) Invoke(ctx context.Context, spec *Spec, req Request) (*Result, error) {
	x.hosts.RefreshFor(spec.Net)
	e, cold, err := x.acquire(spec)
	if err != nil {
		return nil, err
	}
	res, healthy := e.invoke(ctx, req, cold)
	x.release(spec, e, healthy)
	return res, nil
}

// acquire takes an idle environment for spec or starts one.
func (x *Executor) acquire(spec *Spec) (*env, bool, error) {
	x.mu.Lock()
	if x.closed {
		x.mu.Unlock()
		return nil, false, ErrClosed
	}
	p := x.pools[spec.Key]
	if p == nil {
		p = &pool{}
		x.pools[spec.Key] = p
	}
	for len(p.idle) > 0 {
		e := p.idle[len(p.idle)-1]
		p.idle = p.idle[:len(p.idle)-1]
		if e.stopIdle() {
			p.busy++
			x.mu.Unlock()
			return e, false, nil
		}
		// The idle timer fired meanwhile: that environment is going.
	}
	if spec.Concurrency > 0 && x.groupBusy(spec.Group) >= spec.Concurrency {
		x.mu.Unlock()
		return nil, false, ErrThrottled
	}
	p.active++
	p.busy++
	gen := p.gen
	x.mu.Unlock()
	e, err := x.start(spec, gen)
	if err != nil {
		x.mu.Lock()
		p.active--
		p.busy--
		x.mu.Unlock()
		return nil, false, err
	}
	return e, true, nil
}

// groupBusy counts the busy environments of a function across its
// configurations (reserved concurrency is per function). x.mu is held.
func (x *Executor) groupBusy(group string) int {
	n := 0
	for key, p := range x.pools {
		if strings.HasPrefix(key, group+"\x00") {
			n += p.busy
		}
	}
	return n
}

// release returns a healthy environment to the warm pool, or stops it.
func (x *Executor) release(spec *Spec, e *env, healthy bool) {
	x.mu.Lock()
	p := x.pools[spec.Key]
	p.busy--
	if !healthy || x.closed || e.gen != p.gen {
		p.active--
		x.mu.Unlock()
		e.stop()
		return
	}
	p.idle = append(p.idle, e)
	e.idleTimer = x.cfg.Clock.AfterFunc(x.cfg.IdleTimeout, func() { x.expire(spec.Key, e) })
	x.mu.Unlock()
}

// expire stops an environment whose idle timeout passed.
func (x *Executor) expire(key string, e *env) {
	x.mu.Lock()
	p := x.pools[key]
	found := false
	if p != nil {
		for i, ie := range p.idle {
			if ie == e {
				p.idle = append(p.idle[:i], p.idle[i+1:]...)
				p.active--
				found = true
				break
			}
		}
	}
	x.mu.Unlock()
	if found {
		e.stop()
	}
}

// Evict stops every idle environment of the function group and marks the
// busy ones to stop when their invocation ends: the function changed or
// was deleted.
func (x *Executor) Evict(group string) { x.evict(group + "\x00") }

// EvictAll retires every environment (POST /_niwa/reset).
func (x *Executor) EvictAll() { x.evict("") }

func (x *Executor) evict(prefix string) {
	var stop []*env
	x.mu.Lock()
	for key, p := range x.pools {
		if !strings.HasPrefix(key, prefix) {
			continue
		}
		for _, e := range p.idle {
			e.stopIdle()
			stop = append(stop, e)
			p.active--
		}
		p.idle = nil
		// Busy environments stop when their invocation ends.
		p.gen++
	}
	x.mu.Unlock()
	for _, e := range stop {
		e.stop()
	}
}

// Warm reports how many environments of the group are running (idle or
// busy), for tests and the provisioned-concurrency status.
func (x *Executor) Warm(group string) int {
	x.mu.Lock()
	defer x.mu.Unlock()
	n := 0
	for key, p := range x.pools {
		if strings.HasPrefix(key, group+"\x00") {
			n += p.active
		}
	}
	return n
}

// Busy reports how many invocations are running across every function.
// Tests that move a fake clock to drive pollers hold it still while one
// runs: a real process starting on a loaded machine must not see its
// init or run timeout pass in a few milliseconds of wall time.
func (x *Executor) Busy() int {
	x.mu.Lock()
	defer x.mu.Unlock()
	n := 0
	for _, p := range x.pools {
		n += p.busy
	}
	return n
}

// Close stops every environment.
func (x *Executor) Close() error {
	x.mu.Lock()
	x.closed = true
	var stop []*env
	for _, p := range x.pools {
		for _, e := range p.idle {
			e.stopIdle()
			stop = append(stop, e)
		}
		p.idle = nil
	}
	x.mu.Unlock()
	for _, e := range stop {
		e.stop()
	}
	return nil
}

// command returns the runtime process for spec and the directory the
// function sees its layers at: "/opt" when the process runs in its own
// mount namespace with the layers mounted there, the merged layer
// directory itself otherwise ("" when there are none).
func (x *Executor) command(spec *Spec) (*exec.Cmd, string, string, error) {
	x.interpOnce.Do(x.prepare)
	if x.bootErr != nil {
		return nil, "", "", x.bootErr
	}
	var cmd *exec.Cmd
	kind := family(spec.Runtime)
	fromOpt := false
	switch kind {
	case "python":
		if x.python == "" {
			return nil, "", "", fmt.Errorf("no python3 interpreter on this machine for runtime %s", spec.Runtime)
		}
		cmd = exec.Command(x.python, "-u", filepath.Join(x.bootDir, "bootstrap.py"))
	case "nodejs":
		if x.node == "" {
			return nil, "", "", fmt.Errorf("no node interpreter on this machine for runtime %s", spec.Runtime)
		}
		cmd = exec.Command(x.node, filepath.Join(x.bootDir, "bootstrap.js"))
	case "provided":
		for _, dir := range []string{spec.CodeDir, spec.OptDir} {
			if dir == "" {
				continue
			}
			p := filepath.Join(dir, "bootstrap")
			if st, err := os.Stat(p); err == nil && !st.IsDir() {
				cmd = exec.Command(p)
				fromOpt = dir == spec.OptDir
				break
			}
		}
		if cmd == nil {
			return nil, "provided", "", errNoBootstrap
		}
	default:
		return nil, "", "", fmt.Errorf("runtime %s cannot run as a local process", spec.Runtime)
	}
	if x.ns == nil || proc.Under(cmd.Path, "/opt") {
		return cmd, kind, spec.OptDir, nil
	}
	src := spec.OptDir
	if src == "" {
		src = x.emptyOpt
	}
	if fromOpt {
		// AWS runs /opt/bootstrap from the mounted layers.
		cmd = exec.Command("/opt/bootstrap")
	}
	x.ns.Wrap(cmd, append([]proc.Mount{{Source: src, Target: "/opt", ReadOnly: true}}, x.hosts.MountsFor(spec.Net)...)...)
	return cmd, kind, "/opt", nil
}

// errNoBootstrap is Lambda's own message, word for word.
//
//lint:ignore ST1005 the text is AWS's, as clients see it.
var errNoBootstrap = errors.New("Couldn't find valid bootstrap(s): [/var/task/bootstrap /opt/bootstrap]")

// prepare writes the bootstraps and finds the interpreters once.
func (x *Executor) prepare() {
	x.bootDir = filepath.Join(x.cfg.WorkDir, "runtime")
	if err := writeBootstraps(x.bootDir); err != nil {
		x.bootErr = err
		return
	}
	x.python = x.cfg.Python
	if x.python == "" {
		x.python = realInterpreter("python3", "-c", "import sys; print(sys.executable)")
	}
	x.node = x.cfg.Node
	if x.node == "" {
		x.node = realInterpreter("node", "-e", "console.log(process.execPath)")
	}
	x.emptyOpt = filepath.Join(x.cfg.WorkDir, "opt-empty")
	if err := os.MkdirAll(x.emptyOpt, 0o755); err != nil {
		x.bootErr = err
		return
	}
	ns, err := proc.Probe(x.cfg.WorkDir, "/opt", proc.HostsTarget)
	if err != nil {
		x.cfg.Log.Warn("lambda: no mount namespaces here: layers are not mounted at /opt (functions find them through PATH, PYTHONPATH, NODE_PATH and LD_LIBRARY_PATH at their own directory), and functions see the machine's /etc/hosts, so they resolve neither the names niwa hands out nor their VPC's private hosted zones (query niwa's DNS server instead)", "reason", err)
		return
	}
	x.ns = ns
}

// OptMounted reports whether functions see their layers at /opt (Linux
// with unprivileged user namespaces) rather than at a directory of their
// own.
func (x *Executor) OptMounted() bool {
	x.interpOnce.Do(x.prepare)
	return x.ns != nil
}

// realInterpreter resolves an interpreter through version-manager shims
// (pyenv, nvm, asdf) to the binary itself, so every cold start does not
// pay for the shim script.
func realInterpreter(name string, args ...string) string {
	p, err := exec.LookPath(name)
	if err != nil {
		return ""
	}
	out, err := exec.Command(p, args...).Output()
	if err != nil {
		return p
	}
	if real := strings.TrimSpace(string(out)); real != "" {
		return real
	}
	return p
}

// family is the runtime family of an identifier ("python3.12" → "python").
func family(runtime string) string {
	switch {
	case strings.HasPrefix(runtime, "python"):
		return "python"
	case strings.HasPrefix(runtime, "nodejs"):
		return "nodejs"
	case strings.HasPrefix(runtime, "provided"):
		return "provided"
	}
	return ""
}
