// Package framework is the harness of niwa's end-to-end tests, which drive
// niwa the way users do: the built binary, the real aws CLI and boto3, and
// aws-sdk-go-v2 — the same cases against niwa started in-process
// (niwatest, through e2e/framework/inprocess) and as a separate process
// (the binary), as etcd's tests/framework does.
//
// The tests live in one package per area under e2e/ (e2e/s3, e2e/lambda,
// ...) so that go test runs the areas in parallel; each package's TestMain
// is framework.Main. Test packages sit anywhere below e2e/; RepoRoot
// finds the repository root from the package's working directory.
package framework

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// RepoRoot returns the repository root: the nearest directory above the
// test package's (go test runs each package's tests in its directory)
// that holds go.mod. Found rather than written as "../..", so a package
// may sit at any depth under e2e/ (e2e/scenarios/s01to07 is three down).
func RepoRoot() string {
	dir, err := os.Getwd()
	if err != nil {
		panic(fmt.Sprintf("e2e: working directory: %v", err))
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			panic("e2e: no go.mod above " + dir)
		}
	}
}

// binary is the niwa executable that Main builds once per test package,
// before any test runs; it is not written after that.
var binary string

// NiwaBinary is the path of the niwa executable Main built.
func NiwaBinary() string { return binary }

// Main is the TestMain of every e2e test package: it builds the niwa
// binary once per package (cheap after the first package: see
// buildBinary), runs the tests and removes the binary.
func Main(m *testing.M) {
	dir, err := os.MkdirTemp("", "niwa-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "niwa")
	if err := buildBinary(binary); err != nil {
		fmt.Fprintln(os.Stderr, "building niwa:", err)
		_ = os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	stopCLIServers()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// buildBinary builds niwa at path. Linking the binary is most of a
// build (it links DuckDB through the external linker, ~10 s), and go
// build -o skips the link when the file at -o is already the binary the
// sources make. So packages share one built binary in a cache directory
// keyed by the module root: each copies it to path, lets go build bring
// path up to date (no link when nothing changed), then publishes path
// back to the cache atomically (hard link and rename), so packages
// running in parallel never see a half-written file.
func buildBinary(path string) error {
	root := RepoRoot()
	cache := ""
	if base, err := os.UserCacheDir(); err == nil {
		sum := 0
		for _, c := range root {
			sum = sum*31 + int(c)
		}
		cache = filepath.Join(base, "niwa-e2e", fmt.Sprintf("%s-%x", filepath.Base(root), uint32(sum)))
		if err := os.MkdirAll(cache, 0o755); err != nil {
			cache = ""
		}
	}
	shared := filepath.Join(cache, "niwa")
	if cache != "" {
		_ = copyFile(shared, path) // a missing or stale copy is rebuilt below
	}
	build := exec.Command("go", "build", "-o", path, "github.com/niwa-cloud/niwa/cmd/niwa")
	build.Dir = root
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return err
	}
	if cache != "" {
		tmp := fmt.Sprintf("%s.%d", shared, os.Getpid())
		if err := os.Link(path, tmp); err == nil {
			if err := os.Rename(tmp, shared); err != nil {
				_ = os.Remove(tmp)
			}
		}
	}
	return nil
}

// copyFile copies src to dst, executable.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer func() { _ = in.Close() }()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		_ = out.Close()
		return err
	}
	return out.Close()
}

// Niwa is a niwa under test, however it was started.
type Niwa struct {
	Endpoint string
	Region   string
	// DNSAddr is the address (UDP and TCP) of niwa's DNS server, on a
	// free port so parallel instances never collide.
	DNSAddr string
	// proc is nil for in-process instances (and once stopped).
	proc *exec.Cmd
	args []string
	// env is added to the test process's environment for the binary
	// (StartBinaryEnv); nil runs it with the test's environment.
	env  []string
	logs *bytes.Buffer
	// port is the HTTP port the binary was last started on; Restart
	// starts it on the same one, so clients' AWS_ENDPOINT_URL still holds.
	port int
	// before is the log of the runs before the last restart.
	before string
	t      testing.TB
}

// Target names how niwa is started.
type Target string

// The ways of starting niwa.
const (
	InProcess Target = "inprocess"
	Binary    Target = "binary"
)

// Targets is every way of starting niwa; cases run against each (with
// e2e/framework/inprocess.Start, which starts both).
var Targets = []Target{InProcess, Binary}

// Region is the region niwa is started in, the binary and in-process
// instances alike (niwatest.Region: inprocess.FromNiwatest checks they
// agree).
const Region = "ap-northeast-1"

// Start starts niwa as target. Only the binary: this package does not
// link niwa into the test binaries of the e2e packages that drive only
// the binary (most of them; linking it is ~6 s of CPU per package), so
// in-process instances are started by e2e/framework/inprocess.Start.
func Start(t testing.TB, target Target, args ...string) *Niwa {
	t.Helper()
	if target != Binary {
		t.Fatalf("framework.Start(%s): in-process niwa is started by e2e/framework/inprocess.Start", target)
	}
	return StartBinary(t, args...)
}

// InProcessNiwa is a Niwa for an instance running in the test process
// (e2e/framework/inprocess makes them from niwatest instances): its
// endpoint, region and DNS server address.
func InProcessNiwa(t testing.TB, endpoint, region, dnsAddr string) *Niwa {
	return &Niwa{Endpoint: endpoint, Region: region, DNSAddr: dnsAddr, t: t}
}

// StartBinary runs the built binary on a free port with args.
func StartBinary(t testing.TB, args ...string) *Niwa {
	t.Helper()
	n := &Niwa{Region: Region, args: args, t: t}
	n.launch()
	t.Cleanup(n.stop)
	return n
}

// StartBinaryEnv is StartBinary with env ("KEY=value") added to the
// binary's environment: unlike t.Setenv it leaves the test process's
// environment alone, so the test may run in parallel with others.
func StartBinaryEnv(t testing.TB, env []string, args ...string) *Niwa {
	t.Helper()
	n := &Niwa{Region: Region, args: args, env: env, t: t}
	n.launch()
	t.Cleanup(n.stop)
	return n
}

// FreePort is a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port
}

// FreeDNSPort finds a port free for both UDP and TCP, for the DNS server.
func FreeDNSPort(t testing.TB) int {
	for range 20 {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := pc.LocalAddr().(*net.UDPAddr).Port
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		_ = pc.Close()
		if err == nil {
			_ = l.Close()
			return port
		}
	}
	t.Fatal("no port free for both UDP and TCP")
	return 0
}

func (n *Niwa) launch() {
	t := n.t
	if binary == "" {
		t.Fatal("no niwa binary: the test package's TestMain must call framework.Main(m)")
	}
	port := n.port
	if port == 0 {
		port = FreePort(t)
	}
	n.port = port
	n.Endpoint = "http://127.0.0.1:" + strconv.Itoa(port)
	if n.DNSAddr == "" { // a restart keeps its DNS port
		n.DNSAddr = "127.0.0.1:" + strconv.Itoa(FreeDNSPort(t))
	}
	_, dnsPort, _ := net.SplitHostPort(n.DNSAddr)
	n.logs = &bytes.Buffer{}
	cmd := exec.Command(binary, append([]string{"serve", "--port", strconv.Itoa(port), "--dns-port", dnsPort, "--region", n.Region}, n.args...)...)
	cmd.Stdout, cmd.Stderr = n.logs, n.logs
	if n.env != nil {
		cmd.Env = append(os.Environ(), n.env...)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	n.proc = cmd
	deadline := time.Now().Add(Patience)
	for {
		resp, err := http.Get(n.Endpoint + "/_niwa/health")
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("niwa did not become healthy: %v\n%s", err, n.logs)
		}
		time.Sleep(10 * time.Millisecond) // polling a real process's readiness, not moving time
	}
}

func (n *Niwa) stop() {
	if n.proc == nil || n.proc.Process == nil {
		return
	}
	_ = n.proc.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = n.proc.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = n.proc.Process.Kill()
		<-done
	}
	if n.t.Failed() {
		n.t.Logf("niwa log:\n%s%s", n.before, n.logs)
	}
	n.proc = nil
}

// StopAndLogs stops the binary as stop does (SIGTERM) and returns what it
// wrote to stdout and stderr. os/exec writes the log buffer while niwa
// runs, so it can be read only once the process is gone.
func (n *Niwa) StopAndLogs() string {
	n.t.Helper()
	if n.logs == nil {
		n.t.Fatal("StopAndLogs: niwa runs in-process and has no log")
	}
	n.stop()
	return n.before + n.logs.String()
}

// Pid is the process id of the running binary, for tests that read its
// /proc entries (peak memory).
func (n *Niwa) Pid() int {
	n.t.Helper()
	if n.proc == nil || n.proc.Process == nil {
		n.t.Fatal("pid: niwa runs in-process or has stopped")
	}
	return n.proc.Process.Pid
}

// Kill9 kills the binary without letting it shut down, then starts it again
// with the same arguments.
func (n *Niwa) Kill9AndRestart() {
	n.t.Helper()
	if err := n.proc.Process.Kill(); err != nil {
		n.t.Fatal(err)
	}
	_ = n.proc.Wait()
	n.proc = nil
	n.port = 0 // a new port: the tests of kill -9 read n.Endpoint afresh
	n.launch()
}

// Restart stops the binary as a user does (SIGTERM, so it shuts down
// cleanly) and starts it again with the same arguments on the same HTTP
// and DNS ports: with --data-dir, what was set up before must still work.
func (n *Niwa) Restart() {
	n.t.Helper()
	if n.proc == nil {
		n.t.Fatal("Restart: niwa runs in-process or has stopped")
	}
	_ = n.proc.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = n.proc.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(Patience):
		_ = n.proc.Process.Kill()
		<-done
		n.t.Errorf("niwa did not stop within %s of SIGTERM", Patience)
	}
	n.proc = nil
	n.before += n.logs.String() + "\n--- restarted ---\n"
	n.launch()
}

// ClientEnv is the environment of a real AWS client pointed at niwa.
func (n *Niwa) ClientEnv(extra ...string) []string {
	path := clientPATH()
	if shim := shimDir(); shim != "" {
		path = shim + string(os.PathListSeparator) + path // scripts' `aws` calls the CLI server
	}
	env := append(clientBaseEnv(path),
		"AWS_DEFAULT_REGION="+n.Region,
		"AWS_ENDPOINT_URL="+n.Endpoint)
	// Later entries override earlier ones for exec.
	return append(env, extra...)
}

// clientBaseEnv is ClientEnv without the region and endpoint, with path
// as PATH.
func clientBaseEnv(path string) []string {
	env := []string{
		"PATH=" + path,
		"HOME=" + os.Getenv("HOME"),
		"AWS_ACCESS_KEY_ID=test",
		"AWS_SECRET_ACCESS_KEY=test",
		"AWS_CONFIG_FILE=/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_PAGER=",
	}
	if v := pyenvClients().version; v != "" {
		env = append(env, "PYENV_VERSION="+v) // as pyenv exec exports it
	}
	for _, k := range []string{"PYENV_ROOT", "PYENV_VERSION", "PYTHONPATH", "VIRTUAL_ENV"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// RequireClient fails (under CI) or skips (locally) when a real client is
// missing: CI must never pass without running the real clients. The check
// command runs once per test binary (see probe); every test that asks gets
// its answer.
func RequireClient(t testing.TB, name string, check ...string) {
	t.Helper()
	if err := probe(check); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is required under CI=true but is not usable: %v", name, err)
		}
		t.Skipf("%s not usable: %v", name, err)
	}
}

// RequireTool answers the path of a client or server program (name on
// PATH, else the first of paths that exists); it fails under CI=true
// (where .ci/run installs the programs the tests use) and skips elsewhere
// when the program is missing.
func RequireTool(t testing.TB, name string, paths ...string) string {
	t.Helper()
	for _, p := range append([]string{name}, paths...) {
		if full, err := exec.LookPath(p); err == nil {
			return full
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s is required under CI=true (.ci/run installs it)", name)
	}
	t.Skipf("%s not installed", name)
	return ""
}

// CLI is one aws command-line client: v1 from PATH (pip's awscli) and v2
// from Debian's awscli package, which .ci/run installs.
type CLI struct {
	Name, Path string
}

// CLIs are the aws CLI versions the e2e tests run.
var CLIs = []CLI{{"v1", "aws"}, {"v2", "/usr/bin/aws"}}

// AWS runs the aws CLI (v1) against n and returns stdout, stderr and the
// error.
func (n *Niwa) AWS(t testing.TB, env []string, args ...string) (string, string, error) {
	t.Helper()
	return n.RunCLI(t, CLIs[0], env, args...)
}

// RunCLI runs one aws CLI version against n. The endpoint is passed as a
// flag: CLI v2 before 2.13 ignores AWS_ENDPOINT_URL.
func (n *Niwa) RunCLI(t testing.TB, cli CLI, env []string, args ...string) (string, string, error) {
	t.Helper()
	RequireClient(t, "the aws CLI "+cli.Name+" ("+cli.Path+")", "sh", "-c", cli.Path+" --version 2>&1 | grep -q 'aws-cli/"+strings.TrimPrefix(cli.Name, "v")+"'")
	// A guard against a hung CLI; one call is quick even on a loaded machine.
	ctx, cancel := context.WithTimeout(context.Background(), Patience)
	defer cancel()
	program := clientPath(cli.Path)
	args = append([]string{"--output", "json", "--endpoint-url", n.Endpoint}, args...)
	var out, errb bytes.Buffer
	if s := serverFor(program); s != nil {
		err := s.run(ctx, args, n.ClientEnv(env...), &out, &errb)
		return out.String(), errb.String(), err
	}
	cmd := exec.CommandContext(ctx, program, args...)
	cmd.Env = n.ClientEnv(env...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.String(), errb.String(), err
}

// MustAWS is AWS that fails the test on error.
func (n *Niwa) MustAWS(t testing.TB, args ...string) string {
	t.Helper()
	out, errOut, err := n.AWS(t, nil, args...)
	if err != nil {
		t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, errOut)
	}
	return out
}

// MustCLI runs one of the CLIs against n with args and returns its
// stdout; a failure ends the test with the CLI's stderr.
func (n *Niwa) MustCLI(t testing.TB, cli CLI, args ...string) string {
	t.Helper()
	out, errOut, err := n.RunCLI(t, cli, nil, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", cli.Name, strings.Join(args, " "), err, errOut)
	}
	return out
}

// Python runs a python3 script (boto3 available) against n.
func (n *Niwa) Python(t testing.TB, script string, env ...string) string {
	t.Helper()
	RequireClient(t, "python3 with boto3", "python3", "-c", "import boto3")
	// A guard against a hung script, longer than any of its waits
	// (PatienceSeconds) plus the calls around them.
	ctx, cancel := context.WithTimeout(context.Background(), 2*Patience+time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, clientPath("python3"), "-c", script)
	cmd.Env = n.ClientEnv(env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("python: %v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errb.String())
	}
	return out.String()
}
