// Package e2e drives niwa the way users do: the built binary, the real aws
// CLI and boto3, and aws-sdk-go-v2 — the same cases against niwa started
// in-process (niwatest) and as a separate process (the binary), as etcd's
// tests/framework does.
package e2e

import (
	"bytes"
	"context"
	"fmt"
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

	"github.com/niwa-cloud/niwa/niwatest"
)

// binary is the niwa executable built once for the whole package.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "niwa-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "niwa")
	build := exec.Command("go", "build", "-o", binary, "../cmd/niwa")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building niwa:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// Niwa is a niwa under test, however it was started.
type Niwa struct {
	Endpoint string
	Region   string
	// DNSAddr is the address (UDP and TCP) of niwa's DNS server, on a
	// free port so parallel instances never collide.
	DNSAddr string
	// restart is nil for in-process instances.
	proc *exec.Cmd
	args []string
	logs *bytes.Buffer
	t    testing.TB
}

// Target names how niwa is started.
type Target string

const (
	InProcess Target = "inprocess"
	Binary    Target = "binary"
)

// Targets is every way of starting niwa; cases run against each.
var Targets = []Target{InProcess, Binary}

// Start starts niwa as target.
func Start(t testing.TB, target Target, args ...string) *Niwa {
	t.Helper()
	if target == InProcess {
		n := niwatest.Start(t)
		return &Niwa{Endpoint: n.Endpoint, Region: n.Region, DNSAddr: n.DNSAddr(), t: t}
	}
	return StartBinary(t, args...)
}

// StartBinary runs the built binary on a free port with args.
func StartBinary(t testing.TB, args ...string) *Niwa {
	t.Helper()
	n := &Niwa{Region: niwatest.Region, args: args, t: t}
	n.launch()
	t.Cleanup(n.stop)
	return n
}

func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// freeDNSPort finds a port free for both UDP and TCP, for the DNS server.
func freeDNSPort(t testing.TB) int {
	for range 20 {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := pc.LocalAddr().(*net.UDPAddr).Port
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		pc.Close()
		if err == nil {
			l.Close()
			return port
		}
	}
	t.Fatal("no port free for both UDP and TCP")
	return 0
}

func (n *Niwa) launch() {
	t := n.t
	port := freePort(t)
	n.Endpoint = "http://127.0.0.1:" + strconv.Itoa(port)
	if n.DNSAddr == "" { // a restart keeps its DNS port
		n.DNSAddr = "127.0.0.1:" + strconv.Itoa(freeDNSPort(t))
	}
	_, dnsPort, _ := net.SplitHostPort(n.DNSAddr)
	n.logs = &bytes.Buffer{}
	cmd := exec.Command(binary, append([]string{"serve", "--port", strconv.Itoa(port), "--dns-port", dnsPort, "--region", n.Region}, n.args...)...)
	cmd.Stdout, cmd.Stderr = n.logs, n.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	n.proc = cmd
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(n.Endpoint + "/_niwa/health")
		if err == nil {
			resp.Body.Close()
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
	n.proc.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { n.proc.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		n.proc.Process.Kill()
		<-done
	}
	if n.t.Failed() {
		n.t.Logf("niwa log:\n%s", n.logs)
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
	return n.logs.String()
}

// Kill9 kills the binary without letting it shut down, then starts it again
// with the same arguments.
func (n *Niwa) Kill9AndRestart() {
	n.t.Helper()
	if err := n.proc.Process.Kill(); err != nil {
		n.t.Fatal(err)
	}
	n.proc.Wait()
	n.proc = nil
	n.launch()
}

// clientEnv is the environment of a real AWS client pointed at niwa.
func (n *Niwa) clientEnv(extra ...string) []string {
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + os.Getenv("HOME"),
		"AWS_ACCESS_KEY_ID=test",
		"AWS_SECRET_ACCESS_KEY=test",
		"AWS_DEFAULT_REGION=" + n.Region,
		"AWS_ENDPOINT_URL=" + n.Endpoint,
		"AWS_CONFIG_FILE=/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_PAGER=",
	}
	for _, k := range []string{"PYENV_ROOT", "PYENV_VERSION", "PYTHONPATH", "VIRTUAL_ENV"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	// Later entries override earlier ones for exec.
	return append(env, extra...)
}

// requireClient fails (under CI) or skips (locally) when a real client is
// missing: CI must never pass without running the real clients.
func requireClient(t testing.TB, name string, check ...string) {
	t.Helper()
	if err := exec.Command(check[0], check[1:]...).Run(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is required under CI=true but is not usable: %v", name, err)
		}
		t.Skipf("%s not usable: %v", name, err)
	}
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
	requireClient(t, "the aws CLI "+cli.Name+" ("+cli.Path+")", "sh", "-c", cli.Path+" --version 2>&1 | grep -q 'aws-cli/"+strings.TrimPrefix(cli.Name, "v")+"'")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, cli.Path, append([]string{"--output", "json", "--endpoint-url", n.Endpoint}, args...)...)
	cmd.Env = n.clientEnv(env...)
	var out, errb bytes.Buffer
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

// Python runs a python3 script (boto3 available) against n.
func (n *Niwa) Python(t testing.TB, script string, env ...string) string {
	t.Helper()
	requireClient(t, "python3 with boto3", "python3", "-c", "import boto3")
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "python3", "-c", script)
	cmd.Env = n.clientEnv(env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("python: %v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errb.String())
	}
	return out.String()
}
