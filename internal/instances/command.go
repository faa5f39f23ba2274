package instances

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/niwa-cloud/niwa/internal/proc"
)

// Command is a script to run on an instance (an SSM Run Command plugin).
type Command struct {
	// ID names the command (its directory under var/lib/amazon/ssm).
	ID string
	// Plugin names the step ("aws:runShellScript").
	Plugin string
	// Script is the shell script, run by sh.
	Script string
	// Dir is the working directory ("" is the command's own directory).
	Dir string
}

// Result is how a command ended: its exit code (-1 when killed), and
// the start of what it wrote on stdout and stderr.
type Result struct {
	ExitCode       int
	Stdout, Stderr string
	// StdoutPath and StderrPath hold the whole output.
	StdoutPath, StderrPath string
	Killed                 bool
}

// outputLimit bounds the output Result carries in memory (SSM shows
// 24,000 characters; the rest goes to S3 and CloudWatch Logs from the
// files).
const outputLimit = 48000

// Run runs c on a running instance, with the instance's environment,
// until it ends or ctx is done (then its process group is killed). A
// stop or terminate of the instance kills it too.
func (r *Runtime) Run(ctx context.Context, account, region, id string, c Command) (Result, error) {
	r.mu.Lock()
	v, ok := r.vms[key(account, region, id)]
	r.mu.Unlock()
	if !ok {
		return Result{}, ErrNotRunning
	}
	in, ok, err := r.cfg.Source.Instance(account, region, id)
	if err != nil {
		return Result{}, err
	}
	if !ok {
		return Result{}, ErrNotRunning
	}
	dir := filepath.Join(v.dir, "var", "lib", "amazon", "ssm", filepath.Base(c.ID), filepath.Base(c.Plugin))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Result{}, err
	}
	path := filepath.Join(dir, "_script.sh")
	if err := os.WriteFile(path, []byte(c.Script), 0o755); err != nil {
		return Result{}, err
	}
	res := Result{StdoutPath: filepath.Join(dir, "stdout"), StderrPath: filepath.Join(dir, "stderr")}
	stdout, err := os.Create(res.StdoutPath)
	if err != nil {
		return Result{}, err
	}
	defer func() { _ = stdout.Close() }()
	stderr, err := os.Create(res.StderrPath)
	if err != nil {
		return Result{}, err
	}
	defer func() { _ = stderr.Close() }()
	env, err := v.environ(ctx, in)
	if err != nil {
		return Result{}, err
	}
	cmd := exec.Command("/bin/sh", path)
	cmd.Env, cmd.Stdout, cmd.Stderr = env, stdout, stderr
	cmd.Dir = dir
	if c.Dir != "" {
		cmd.Dir = c.Dir
	}
	if err := v.start(cmd); err != nil {
		return Result{}, err
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	select {
	case err = <-waited:
	case <-ctx.Done():
		proc.KillGroup(cmd.Process)
		err = <-waited
		res.Killed = true
	}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		res.ExitCode = exit.ExitCode()
	default:
		return Result{}, err
	}
	if res.Killed {
		res.ExitCode = -1
	}
	res.Stdout, _ = head(res.StdoutPath)
	res.Stderr, _ = head(res.StderrPath)
	return res, nil
}

func head(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer func() { _ = f.Close() }()
	b, err := io.ReadAll(io.LimitReader(f, outputLimit))
	return string(b), err
}
