package readme

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// TestREADMEWalkthrough runs the shell block of the README's "Five minutes"
// section verbatim, as a new user would paste it at the root of a clone:
// it builds niwa, starts it, builds the system and stops niwa again, so
// the walkthrough cannot rot without this test failing. The test only
// chooses the environment: a free port (NIWA_PORT, which the walkthrough
// honours), its own TMPDIR (to check the scratch directory is removed) and
// no aws configuration files of the machine's user.
func TestREADMEWalkthrough(t *testing.T) {
	t.Parallel()
	framework.RequireClient(t, "aws CLI", "aws", "--version")
	framework.RequireClient(t, "boto3", "python3", "-c", "import boto3")
	framework.RequireClient(t, "curl", "curl", "--version")
	script := readmeWalkthrough(t)
	root, err := filepath.Abs(framework.RepoRoot())
	if err != nil {
		t.Fatal(err)
	}
	port := framework.FreePort(t)
	tmp := t.TempDir()

	ctx, cancel := context.WithTimeout(context.Background(), 2*framework.Patience)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", script)
	cmd.Dir = root
	cmd.Env = append(userEnv(),
		"NIWA_PORT="+strconv.Itoa(port),
		"TMPDIR="+tmp,
		"AWS_CONFIG_FILE=/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_PAGER=",
	)
	// niwa runs in the script's process group (bash without job control):
	// on a timeout the whole group goes, not only bash.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("walkthrough failed: %v\n%s", err, out)
	}
	// The observable results the README promises: the test event, the
	// copy, and the function's log lines.
	for _, want := range []string{`"Event":"s3:TestEvent"`, "hane2.jpg is a copy of hane.jpg", "START RequestId:", "REPORT RequestId:"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("walkthrough output lacks %q:\n%s", want, out)
		}
	}
	// niwa's log went to its file, not into the walkthrough's output.
	if strings.Contains(string(out), "niwa ready") {
		t.Errorf("niwa's log is in the walkthrough's output:\n%s", out)
	}
	// It cleaned up: the scratch directory is gone and niwa is stopped.
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("the walkthrough left %v in its temporary directory", left)
	}
	if c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), time.Second); err == nil {
		c.Close()
		t.Error("niwa still listens after the walkthrough")
	}
}

// userEnv is the test's environment without AWS and niwa settings, which
// the walkthrough sets itself.
func userEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "NIWA_") {
			env = append(env, kv)
		}
	}
	return env
}

// readmeWalkthrough is the first ```sh block after "## Five minutes".
func readmeWalkthrough(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(framework.RepoRoot(), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	i := strings.Index(text, "## Five minutes")
	if i < 0 {
		t.Fatal(`README has no "## Five minutes" section`)
	}
	text = text[i:]
	start := strings.Index(text, "```sh\n")
	if start < 0 {
		t.Fatal("no sh block in the walkthrough")
	}
	text = text[start+len("```sh\n"):]
	return text[:strings.Index(text, "```")]
}
