package platform

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// TestREADMEWalkthrough runs the shell block of the README's "Five minutes"
// section, as a new user would paste it, against the built binary: the
// walkthrough cannot rot without this test failing. Only two things
// differ from pasting it: the test's binary is already running (the
// `go run ./cmd/niwa &` line is dropped) and it listens on a free port
// instead of 4566.
func TestREADMEWalkthrough(t *testing.T) {
	t.Parallel()
	framework.RequireClient(t, "aws CLI", "aws", "--version")
	framework.RequireClient(t, "boto3", "python3", "-c", "import boto3")
	script := readmeWalkthrough(t)
	n := framework.StartBinary(t)
	script = strings.ReplaceAll(script, "http://localhost:4566", n.Endpoint)

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()
	cmd := exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", script)
	cmd.Dir = dir
	cmd.Env = n.ClientEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("walkthrough failed: %v\n%s\nniwa log:\n%s", err, out, n.StopAndLogs())
	}
	// The observable results the README promises: the test event, both
	// objects listed, and the function's log lines.
	for _, want := range []string{`"Event":"s3:TestEvent"`, "hane2.jpg is a copy of hane.jpg", "START RequestId:", "REPORT RequestId:"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("walkthrough output lacks %q:\n%s", want, out)
		}
	}
	copied, err := os.ReadFile(filepath.Join(dir, "hane.jpg"))
	if err != nil || len(copied) != 2048 {
		t.Fatalf("hane.jpg in the work dir: %d bytes, %v", len(copied), err)
	}
}

// readmeWalkthrough is the first ```sh block after "## Five minutes",
// without the line that starts niwa.
func readmeWalkthrough(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(framework.RepoRoot, "README.md"))
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
	text = text[:strings.Index(text, "```")]
	var keep []string
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "go run ./cmd/niwa") {
			continue
		}
		keep = append(keep, line)
	}
	return strings.Join(keep, "\n")
}
