package framework

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestProbeRunsOnce: RequireClient's check runs once per test binary
// however many calls ask, and its failure is answered to every caller.
func TestProbeRunsOnce(t *testing.T) {
	marks := filepath.Join(t.TempDir(), "marks")
	check := []string{"sh", "-c", `echo x >> "$1"`, "sh", marks}
	for range 3 {
		if err := probe(check); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(marks)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), "x"); n != 1 {
		t.Fatalf("check ran %d times, want once", n)
	}
	missing := []string{"sh", "-c", "exit 3", "sh", marks}
	for range 2 {
		if err := probe(missing); err == nil {
			t.Fatal("a failing check answered nil")
		}
	}
}

// TestClientPath: a client name is found on the clients' PATH (pyenv's
// version directory first when python3 is a shim) and is never a shim
// under $PYENV_ROOT/shims; a path is itself.
func TestClientPath(t *testing.T) {
	if got := clientPath("/usr/bin/aws"); got != "/usr/bin/aws" {
		t.Errorf("clientPath(/usr/bin/aws) = %s", got)
	}
	sh := clientPath("sh")
	if !filepath.IsAbs(sh) {
		t.Fatalf("clientPath(sh) = %s, want an absolute path", sh)
	}
	root := os.Getenv("PYENV_ROOT")
	if p := pyenvClients(); root != "" && p.bin != "" {
		py := clientPath("python3")
		if filepath.Dir(py) != p.bin || strings.HasPrefix(py, filepath.Join(root, "shims")) {
			t.Errorf("clientPath(python3) = %s, want it in %s", py, p.bin)
		}
		if !strings.HasPrefix(clientPATH(), p.bin+string(os.PathListSeparator)) {
			t.Errorf("client PATH %s does not start with %s", clientPATH(), p.bin)
		}
	}
}
