package lambda

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/clock"
	"github.com/niwa-cloud/niwa/internal/httpserve"
	"github.com/niwa-cloud/niwa/internal/proc"
)

// SpecKey builds a Spec.Key for a function group: environments are found
// by their group prefix when the function changes.
func SpecKey(group string, parts ...string) string {
	return group + "\x00" + strings.Join(parts, "\x00")
}

// maxLogTail is how much of the log Invoke's LogType=Tail returns.
const maxLogTail = 4096

// env is one execution environment: a runtime process and its Runtime API.
type env struct {
	x      *Executor
	spec   *Spec
	gen    int
	stream string
	clk    clock.Clock
	kind   string

	ln        net.Listener
	srv       *httpserve.Server
	proc      *os.Process
	queue     chan *invocation
	exited    chan struct{}
	exitErr   error
	readDone  chan struct{}
	initFail  chan struct{}
	initErr   []byte
	startedAt time.Time
	initDur   time.Duration

	mu        sync.Mutex
	current   *invocation
	pending   []LogLine // output before the first invocation (init)
	out       *output
	idleTimer clock.Timer
	stopOnce  sync.Once
}

// invocation is one request handed to the runtime.
type invocation struct {
	req      Request
	deadline time.Time
	taken    chan struct{}
	done     chan struct{}
	once     sync.Once

	// Set by the Runtime API handlers before done is closed.
	payload []byte
	failed  bool
	errType string

	lines []LogLine
	// start is when the invocation was handed over: its START line's time.
	start time.Time
}

func (inv *invocation) finish(payload []byte, failed bool, errType string) bool {
	ok := false
	inv.once.Do(func() {
		inv.payload, inv.failed, inv.errType = payload, failed, errType
		close(inv.done)
		ok = true
	})
	return ok
}

// start launches a runtime process for spec.
func (x *Executor) start(spec *Spec, gen int) (*env, error) {
	cmd, kind, optRoot, err := x.command(spec)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	now := x.cfg.Clock.Now()
	e := &env{
		x: x, spec: spec, gen: gen, clk: x.cfg.Clock, kind: kind,
		stream:    logStreamName(now, spec.Version),
		ln:        ln,
		queue:     make(chan *invocation, 1),
		exited:    make(chan struct{}),
		readDone:  make(chan struct{}),
		initFail:  make(chan struct{}),
		startedAt: now,
	}
	e.srv = newRuntimeAPIServer(e)
	go func() { _ = e.srv.Serve(ln) }()

	environ, err := spec.Environ(e.stream)
	if err != nil {
		_ = e.srv.Close()
		return nil, err
	}
	cmd.Env = append(bypassProxy(layerEnv(environ, spec.Runtime, optRoot), ln.Addr().String()), "AWS_LAMBDA_RUNTIME_API="+ln.Addr().String())
	cmd.Dir = spec.CodeDir
	r, w, err := os.Pipe()
	if err != nil {
		_ = e.srv.Close()
		return nil, err
	}
	// One pipe for stdout and stderr keeps their lines in the order the
	// function wrote them, as CloudWatch shows them.
	cmd.Stdout, cmd.Stderr = w, w
	proc.SetGroup(cmd)
	if err := cmd.Start(); err != nil {
		_ = w.Close()
		_ = r.Close()
		_ = e.srv.Close()
		return nil, fmt.Errorf("starting runtime %s: %w", spec.Runtime, err)
	}
	_ = w.Close()
	e.proc = cmd.Process
	e.out = newOutput(r, e.line)
	go func() {
		e.out.run()
		close(e.readDone)
	}()
	go func() {
		e.exitErr = cmd.Wait()
		close(e.exited)
	}()
	return e, nil
}

// newRuntimeAPIServer serves h, an environment's Runtime API, with niwa's
// own HTTP/1.1 server, as the edge is served: every invocation is two
// requests on it (the runtime's GET of the next event, held until one
// comes, and its POST of the response), and on net/http each one's read
// woke the Go runtime's monitor thread (docs/performance.md, "Reads and
// writes that do not wake the runtime's monitor"). A kept-alive
// connection waits without an idle bound, as it did on net/http with no
// ReadTimeout: the runtime's client keeps its connection between
// invocations however far apart they come, and the environment's stop
// closes it.
func newRuntimeAPIServer(h http.Handler) *httpserve.Server {
	return &httpserve.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: -1}
}

// logStreamName is AWS's stream name for an environment:
// 2024/05/01/[$LATEST]0123456789abcdef0123456789abcdef.
func logStreamName(now time.Time, version string) string {
	return now.UTC().Format("2006/01/02") + "/[" + version + "]" + awsid.Hex(32)
}

// line attributes an output line to the running invocation (or to
// init, before the first one).
func (e *env) line(s string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	l := LogLine{Time: e.clk.Now(), Message: s}
	if e.current != nil {
		e.current.lines = append(e.current.lines, l)
		return
	}
	e.pending = append(e.pending, l)
}

// invoke runs one request; healthy reports whether the environment may be
// reused.
func (e *env) invoke(ctx context.Context, req Request, cold bool) (*Result, bool) {
	inv := &invocation{
		req: req, taken: make(chan struct{}), done: make(chan struct{}),
		start: e.clk.Now(),
	}
	e.mu.Lock()
	e.current = inv
	init := e.pending
	e.pending = nil
	e.mu.Unlock()
	e.queue <- inv

	res := &Result{Cold: cold}
	healthy := true
	var start time.Time
	// Init: until the runtime asks for the invocation.
	if cold {
		select {
		case <-inv.taken:
			e.initDur = e.clk.Now().Sub(e.startedAt)
			res.Init = e.initDur
		case <-e.initFail:
			res.Init = e.clk.Now().Sub(e.startedAt)
			e.out.drain()
			return e.fail(inv, res, init, e.initError(), "init"), false
		case <-e.exited:
			<-e.readDone
			return e.fail(inv, res, init, e.exitError(req.ID), "exit"), false
		case <-e.clk.After(e.x.cfg.InitTimeout):
			e.kill()
			return e.fail(inv, res, init, e.timeoutError(req.ID, e.x.cfg.InitTimeout), "timeout"), false
		case <-ctx.Done():
			e.kill()
			return nil, false
		}
	} else {
		select {
		case <-inv.taken:
		case <-e.exited:
			<-e.readDone
			return e.fail(inv, res, init, e.exitError(req.ID), "exit"), false
		case <-ctx.Done():
			e.kill()
			return nil, false
		}
	}
	start = e.clk.Now()
	timeout := e.clk.After(e.spec.Timeout)
	select {
	case <-inv.done:
		e.out.drain()
	case <-e.exited:
		<-e.readDone
		res.Duration = e.clk.Now().Sub(start)
		return e.fail(inv, res, init, e.exitError(req.ID), "exit"), false
	case <-timeout:
		e.kill()
		<-e.readDone
		res.Duration = e.spec.Timeout
		return e.fail(inv, res, init, e.timeoutError(req.ID, e.spec.Timeout), "timeout"), false
	case <-ctx.Done():
		e.kill()
		return nil, false
	}
	res.Duration = e.clk.Now().Sub(start)
	res.Payload = inv.payload
	if inv.failed {
		res.FunctionError = "Unhandled"
		res.ErrorType = inv.errType
	}
	e.mu.Lock()
	e.current = nil
	lines := inv.lines
	e.mu.Unlock()
	res.Log = e.emit(inv, init, lines, res, "")
	return res, healthy
}

// fail completes inv with a runtime failure and writes the log.
func (e *env) fail(inv *invocation, res *Result, init []LogLine, payload []byte, why string) *Result {
	var errType struct {
		ErrorType    string `json:"errorType"`
		ErrorMessage string `json:"errorMessage"`
	}
	_ = json.Unmarshal(payload, &errType)
	res.Payload = payload
	res.FunctionError = "Unhandled"
	res.ErrorType = errType.ErrorType
	e.mu.Lock()
	e.current = nil
	lines := append(init, inv.lines...)
	e.mu.Unlock()
	extra := ""
	switch why {
	case "timeout":
		extra = e.clk.Now().UTC().Format("2006-01-02T15:04:05.000Z") + " " + inv.req.ID + " Task timed out after " +
			fmt.Sprintf("%.2f seconds", seconds(e.spec.Timeout))
	case "exit":
		extra = errType.ErrorMessage + "\n" + errType.ErrorType
	case "init":
		extra = "INIT_REPORT Init Duration: " + fmt.Sprintf("%.2f ms", ms(res.Init)) + "\tPhase: init\tStatus: error\tError Type: " + errType.ErrorType
	}
	res.Log = e.emit(inv, nil, lines, res, extra)
	return res
}

// emit frames an invocation's output with START/END/REPORT, sends it to
// the log sink and returns the whole log.
func (e *env) emit(inv *invocation, init, lines []LogLine, res *Result, extra string) []byte {
	now := e.clk.Now()
	id := inv.req.ID
	var out []LogLine
	out = append(out, init...)
	out = append(out, LogLine{Time: inv.start, Message: fmt.Sprintf("START RequestId: %s Version: %s", id, e.spec.Version)})
	out = append(out, lines...)
	if extra != "" {
		out = append(out, LogLine{Time: now, Message: extra})
	}
	out = append(out, LogLine{Time: now, Message: "END RequestId: " + id})
	report := fmt.Sprintf("REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %d ms\tMemory Size: %d MB\tMax Memory Used: %d MB\t",
		id, ms(res.Duration), max(1, int64(math.Ceil(ms(res.Duration)))), e.spec.MemoryMB, e.maxMemoryMB())
	if res.Cold {
		report += fmt.Sprintf("Init Duration: %.2f ms\t", ms(res.Init))
	}
	out = append(out, LogLine{Time: now, Message: report})
	if e.x.cfg.Logs != nil {
		e.x.cfg.Logs(e.spec, e.stream, out)
	}
	var b bytes.Buffer
	for _, l := range out {
		b.WriteString(l.Message)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// Tail returns the last 4 KB of a log, as LogType=Tail does.
func Tail(log []byte) []byte {
	if len(log) > maxLogTail {
		return log[len(log)-maxLogTail:]
	}
	return log
}

func ms(d time.Duration) float64      { return float64(d) / float64(time.Millisecond) }
func seconds(d time.Duration) float64 { return d.Seconds() }

func (e *env) timeoutError(id string, d time.Duration) []byte {
	b, _ := json.Marshal(map[string]string{
		"errorType":    "Sandbox.Timedout",
		"errorMessage": fmt.Sprintf("RequestId: %s Error: Task timed out after %.2f seconds", id, seconds(d)),
	})
	return b
}

func (e *env) exitError(id string) []byte {
	msg := "Runtime exited without providing a reason"
	if e.exitErr != nil {
		msg = "Runtime exited with error: " + e.exitErr.Error()
	}
	b, _ := json.Marshal(map[string]string{
		"errorType":    "Runtime.ExitError",
		"errorMessage": fmt.Sprintf("RequestId: %s Error: %s", id, msg),
	})
	return b
}

func (e *env) initError() []byte {
	if len(e.initErr) > 0 && json.Valid(e.initErr) {
		return e.initErr
	}
	b, _ := json.Marshal(map[string]string{"errorType": "Runtime.Unknown", "errorMessage": "Unknown init error"})
	return b
}

// stopIdle cancels the idle timer; false means it already fired.
func (e *env) stopIdle() bool {
	if e.idleTimer == nil {
		return true
	}
	return e.idleTimer.Stop()
}

// stop ends the environment: the process group, then the listener.
func (e *env) stop() {
	e.stopOnce.Do(func() {
		e.kill()
		select {
		case <-e.exited:
		case <-time.After(5 * time.Second):
		}
		_ = e.srv.Close()
	})
}

// ServeHTTP is the Runtime API.
func (e *env) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	const prefix = "/2018-06-01/runtime/"
	path, ok := strings.CutPrefix(r.URL.Path, prefix)
	if !ok {
		runtimeError(w, http.StatusNotFound, "InvalidRequest", "unknown path "+r.URL.Path)
		return
	}
	switch {
	case path == "invocation/next" && r.Method == http.MethodGet:
		e.next(w, r)
	case path == "init/error" && r.Method == http.MethodPost:
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		e.mu.Lock()
		e.initErr = body
		e.mu.Unlock()
		select {
		case <-e.initFail:
		default:
			close(e.initFail)
		}
		accepted(w)
	case strings.HasPrefix(path, "invocation/") && r.Method == http.MethodPost:
		rest := strings.TrimPrefix(path, "invocation/")
		id, verb, _ := strings.Cut(rest, "/")
		e.mu.Lock()
		inv := e.current
		e.mu.Unlock()
		if inv == nil || inv.req.ID != id {
			runtimeError(w, http.StatusBadRequest, "InvalidRequestID", "Invalid request ID")
			return
		}
		if verb == "response" && strings.EqualFold(r.Header.Get("Lambda-Runtime-Function-Response-Mode"), "streaming") {
			e.streamResponse(w, r, inv)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, 6*1024*1024+1))
		if err != nil {
			runtimeError(w, http.StatusBadRequest, "InvalidRequest", err.Error())
			return
		}
		switch verb {
		case "response":
			if len(body) > 6*1024*1024 {
				msg, _ := json.Marshal(map[string]string{
					"errorMessage": "Response payload size exceeded maximum allowed payload size (6291556 bytes).",
					"errorType":    "Function.ResponseSizeTooLarge",
				})
				inv.finish(msg, true, "Function.ResponseSizeTooLarge")
				runtimeError(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "response too large")
				return
			}
			inv.finish(body, false, "")
		case "error":
			t := r.Header.Get("Lambda-Runtime-Function-Error-Type")
			var shape struct {
				ErrorType string `json:"errorType"`
			}
			if json.Unmarshal(body, &shape) == nil && shape.ErrorType != "" {
				t = shape.ErrorType
			}
			if !json.Valid(body) {
				body, _ = json.Marshal(map[string]string{"errorMessage": string(body), "errorType": t})
			}
			inv.finish(body, true, t)
		default:
			runtimeError(w, http.StatusNotFound, "InvalidRequest", "unknown path "+r.URL.Path)
			return
		}
		accepted(w)
	default:
		runtimeError(w, http.StatusNotFound, "InvalidRequest", "unknown path "+r.URL.Path)
	}
}

// maxStreamedResponse is Lambda's limit on a streamed response (20 MiB).
const maxStreamedResponse = 20 << 20

// streamResponse reads a response the runtime streams (chunked, with
// the error, if any, in the Lambda-Runtime-Function-Error-Type and
// base64 Lambda-Runtime-Function-Error-Body trailers) and hands each chunk
// to the invocation's Stream as it arrives.
func (e *env) streamResponse(w http.ResponseWriter, r *http.Request, inv *invocation) {
	var collected []byte
	total := 0
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Body.Read(buf)
		if n > 0 {
			total += n
			if total > maxStreamedResponse {
				msg, _ := json.Marshal(map[string]string{
					"errorMessage": fmt.Sprintf("Response payload size exceeded maximum allowed payload size (%d bytes).", maxStreamedResponse),
					"errorType":    "Function.ResponseSizeTooLarge",
				})
				inv.finish(msg, true, "Function.ResponseSizeTooLarge")
				runtimeError(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "response too large")
				return
			}
			if inv.req.Stream != nil {
				inv.req.Stream(append([]byte(nil), buf[:n]...))
			} else {
				collected = append(collected, buf[:n]...)
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			runtimeError(w, http.StatusBadRequest, "InvalidRequest", err.Error())
			return
		}
	}
	if t := r.Trailer.Get("Lambda-Runtime-Function-Error-Type"); t != "" {
		body, err := base64.StdEncoding.DecodeString(r.Trailer.Get("Lambda-Runtime-Function-Error-Body"))
		if err != nil || !json.Valid(body) {
			body, _ = json.Marshal(map[string]string{"errorMessage": string(body), "errorType": t})
		}
		inv.finish(body, true, t)
	} else {
		inv.finish(collected, false, "")
	}
	accepted(w)
}

// next long-polls for the environment's next invocation.
func (e *env) next(w http.ResponseWriter, r *http.Request) {
	var inv *invocation
	select {
	case inv = <-e.queue:
	case <-r.Context().Done():
		return
	}
	inv.deadline = e.clk.Now().Add(e.spec.Timeout)
	h := w.Header()
	h.Set("Lambda-Runtime-Aws-Request-Id", inv.req.ID)
	h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(inv.deadline.UnixMilli(), 10))
	invoked := inv.req.InvokedARN
	if invoked == "" {
		invoked = e.spec.FunctionARN
	}
	h.Set("Lambda-Runtime-Invoked-Function-Arn", invoked)
	h.Set("Lambda-Runtime-Trace-Id", "Root=1-"+strconv.FormatInt(e.clk.Now().Unix(), 16)+"-"+inv.req.ID[:8]+strings.Repeat("0", 16)+";Parent=0000000000000000;Sampled=0")
	if inv.req.ClientContext != "" {
		h.Set("Lambda-Runtime-Client-Context", inv.req.ClientContext)
	}
	if inv.req.CognitoIdentity != "" {
		h.Set("Lambda-Runtime-Cognito-Identity", inv.req.CognitoIdentity)
	}
	h.Set("Content-Type", "application/json")
	close(inv.taken)
	w.WriteHeader(http.StatusOK)
	w.Write(inv.req.Payload)
}

func accepted(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	io.WriteString(w, `{"status":"OK"}`)
}

func runtimeError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]string{"errorType": typ, "errorMessage": msg})
	w.Write(b)
}

// maxMemoryMB reads the runtime's peak resident memory where the OS tells
// it (Linux); 0 elsewhere.
func (e *env) maxMemoryMB() int {
	pid := e.pid()
	if pid <= 0 {
		return 0
	}
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return (kb + 1023) / 1024
		}
	}
	return 0
}

func (e *env) pid() int {
	if e.proc == nil {
		return 0
	}
	return e.proc.Pid
}

// kill ends the runtime's whole process group, so children the function
// started die with it.
func (e *env) kill() {
	if e.proc != nil {
		proc.KillGroup(e.proc)
	}
}

// bypassProxy adds the Runtime API's address to NO_PROXY/no_proxy when
// the environment names an egress proxy, so a custom runtime's HTTP
// client (curl in a provided.* bootstrap) talks to the Runtime API
// directly, as on AWS.
func bypassProxy(environ []string, addr string) []string {
	for i, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && (k == "NO_PROXY" || k == "no_proxy") {
			if v != "" {
				v += ","
			}
			environ[i] = k + "=" + v + addr
		}
	}
	return environ
}
