package framework

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	endian "encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// The aws CLI (v1 and Debian's v2 alike) is a Python script, and ~0.3 s of
// the ~0.55 s of CPU each call costs on CI's cores is the interpreter
// starting and importing awscli and botocore, the same for every call:
// the e2e packages make thousands of calls, so that import was the largest
// single part of CI's e2e step. A CLI server (cliserver.py) does the
// imports once per test binary and CLI; each call is then a process forked
// from it that runs the CLI's own script as __main__ with the call's argv,
// environment, working directory and stdin/stdout/stderr — everything
// from main() on (configuration and credentials from the environment,
// the service model, argument parsing, signing, the HTTP exchange, output
// and the exit code) runs afresh per call, as in a new `aws` process.
// The server also does, once, what every call's main() repeats before
// reading its arguments (importing the CLI's customizations, ~250 modules)
// and freezes its heap for the garbage collector, so a call's collections
// do not copy every page of it: on the AMD CI machines a v1 call fell from
// ~0.47 to ~0.36 s of CPU, a v2 call from ~0.58 to ~0.35 s.
// RunCLI uses it directly; the scripts (scenarios, boto3 scripts) find an
// `aws` on PATH (ClientEnv) that hands the call to the v1 server.
//
// NIWA_E2E_CLI_SERVER=off runs every call as a new process instead. When
// the CLI is not a Python script (AWS's own v2 installer makes a frozen
// binary) or its server does not start, calls run as new processes too.

//go:embed cliserver.py
var cliServerPy []byte

//go:embed clishim.py
var cliShimPy []byte

// cliServer is one CLI's server, started on first use.
type cliServer struct {
	once sync.Once
	sock string // empty when the CLI runs as new processes
	shim string // a directory holding an `aws` that calls the server
	cmd  *exec.Cmd
	// alive is the server's stdin, never written: it stays open (held
	// here) while the test binary runs.
	alive io.WriteCloser
}

var (
	cliServersMu sync.Mutex
	cliServers   = map[string]*cliServer{} // by the CLI's program path
)

// serverFor answers the running server for program, starting it once;
// nil when calls must run as new processes.
func serverFor(program string) *cliServer {
	if strings.EqualFold(os.Getenv("NIWA_E2E_CLI_SERVER"), "off") {
		return nil
	}
	cliServersMu.Lock()
	s, ok := cliServers[program]
	if !ok {
		s = &cliServer{}
		cliServers[program] = s
	}
	cliServersMu.Unlock()
	s.once.Do(func() {
		if err := s.start(program); err != nil {
			if _, statErr := os.Stat(program); statErr == nil { // a missing CLI is RequireClient's to report
				fmt.Fprintf(os.Stderr, "e2e: %s runs as a new process per call (no CLI server: %v)\n", program, err)
			}
			s.sock = ""
		}
	})
	if s.sock == "" {
		return nil
	}
	return s
}

// pythonOf answers the interpreter of a Python script from its #! line.
func pythonOf(program string) (string, error) {
	f, err := os.Open(program)
	if err != nil {
		return "", err
	}
	defer func() { _ = f.Close() }()
	line, err := bufio.NewReader(io.LimitReader(f, 256)).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "#!") {
		return "", fmt.Errorf("%s is not a script", program)
	}
	fields := strings.Fields(strings.TrimPrefix(line, "#!"))
	if len(fields) == 0 {
		return "", fmt.Errorf("%s: empty #! line", program)
	}
	interp := fields[0]
	if filepath.Base(interp) == "env" && len(fields) > 1 {
		interp = clientPath(fields[1])
	}
	if !strings.Contains(filepath.Base(interp), "python") {
		return "", fmt.Errorf("%s is not a Python script (%s)", program, interp)
	}
	return interp, nil
}

func (s *cliServer) start(program string) error {
	interp, err := pythonOf(program)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "niwa-cli-")
	if err != nil {
		return err
	}
	server := filepath.Join(dir, "cliserver.py")
	shimPy := filepath.Join(dir, "clishim.py")
	sock := filepath.Join(dir, "cli.sock")
	if err := os.WriteFile(server, cliServerPy, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(shimPy, cliShimPy, 0o644); err != nil {
		return err
	}
	shim := filepath.Join(dir, "bin")
	if err := os.Mkdir(shim, 0o755); err != nil {
		return err
	}
	script := "#!/bin/sh\nexec " + strconv.Quote(interp) + " -I -S " + strconv.Quote(shimPy) + " " + strconv.Quote(sock) + ` "$@"` + "\n"
	if err := os.WriteFile(filepath.Join(shim, "aws"), []byte(script), 0o755); err != nil {
		return err
	}
	logf, err := os.Create(filepath.Join(dir, "cliserver.log"))
	if err != nil {
		return err
	}
	defer func() { _ = logf.Close() }()
	cmd := exec.Command(interp, server, program, sock)
	cmd.Dir = dir
	// The interpreter starts with a client's environment (ClientEnv's,
	// without an endpoint), as a new `aws` process does: what Python reads
	// only when it starts (PYTHON* variables, the locale) is what a call
	// would have had. Each call then has its own environment.
	cmd.Env = clientBaseEnv(clientPATH())
	cmd.Stderr = logf
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	// The server ends when this pipe does, with the test binary.
	alive, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	ready := make(chan error, 1)
	go func() {
		line, err := bufio.NewReader(out).ReadString('\n')
		if err == nil && line != "ready\n" {
			err = fmt.Errorf("answered %q", line)
		}
		ready <- err
	}()
	select {
	case err = <-ready:
	case <-time.After(Patience):
		err = errors.New("not ready")
	}
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		log, _ := os.ReadFile(filepath.Join(dir, "cliserver.log"))
		_ = os.RemoveAll(dir)
		return fmt.Errorf("%v\n%s", err, log)
	}
	s.sock, s.shim, s.cmd, s.alive = sock, shim, cmd, alive
	return nil
}

// stopCLIServers ends the servers (Main, after the tests).
func stopCLIServers() {
	cliServersMu.Lock()
	defer cliServersMu.Unlock()
	for _, s := range cliServers {
		if s.cmd != nil {
			// SIGTERM: the server reaps its calls and exits.
			_ = s.cmd.Process.Signal(syscall.SIGTERM)
			done := make(chan struct{})
			go func() { _ = s.cmd.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				_ = s.cmd.Process.Kill()
				<-done
			}
			_ = os.RemoveAll(filepath.Dir(s.sock))
		}
	}
}

// shimDir is the directory of the `aws` that the scripts' calls reach
// the v1 server through, or "" without one.
func shimDir() string {
	if s := serverFor(clientPath(CLIs[0].Path)); s != nil {
		return s.shim
	}
	return ""
}

// run is one CLI call through the server: args after the program name,
// env the whole environment; stdin is empty. It answers as exec.Cmd.Run
// does: nil, or an error naming the exit status.
func (s *cliServer) run(ctx context.Context, args, env []string, stdout, stderr *bytes.Buffer) error {
	envMap := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		envMap[k] = v // later entries win, as for exec
	}
	cwd, err := os.Getwd()
	if err != nil {
		return err
	}
	req, err := json.Marshal(map[string]any{"argv": args, "env": envMap, "cwd": cwd})
	if err != nil {
		return err
	}
	stdin, err := os.Open(os.DevNull)
	if err != nil {
		return err
	}
	defer func() { _ = stdin.Close() }()
	outR, outW, err := os.Pipe()
	if err != nil {
		return err
	}
	defer func() { _ = outR.Close() }()
	errR, errW, err := os.Pipe()
	if err != nil {
		_ = outW.Close()
		return err
	}
	defer func() { _ = errR.Close() }()
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", s.sock)
	if err != nil {
		_ = outW.Close()
		_ = errW.Close()
		return err
	}
	conn := c.(*net.UnixConn)
	defer func() { _ = conn.Close() }()
	msg := endian.BigEndian.AppendUint32(nil, uint32(len(req)))
	msg = append(msg, req...)
	rights := syscall.UnixRights(int(stdin.Fd()), int(outW.Fd()), int(errW.Fd()))
	_, _, err = conn.WriteMsgUnix(msg, rights, nil)
	_ = outW.Close()
	_ = errW.Close()
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); _, _ = io.Copy(stdout, outR) }()
	go func() { defer wg.Done(); _, _ = io.Copy(stderr, errR) }()
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() }) // the server kills the call
	defer stop()
	answer, err := bufio.NewReader(conn).ReadString('\n')
	wg.Wait()
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("aws CLI server: %v", err)
	}
	code, err := strconv.Atoi(strings.TrimSpace(answer))
	if err != nil {
		return fmt.Errorf("aws CLI server answered %q", answer)
	}
	if code != 0 {
		return fmt.Errorf("exit status %d", code)
	}
	return nil
}
