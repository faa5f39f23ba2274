//go:build linux

package lambda

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestHostsInFunctions: the names niwa hands out are in the hosts file
// the launcher mounts at /etc/hosts, with the machine's entries; the
// file is rewritten in place when the names change, so a process that
// mounted it earlier sees the new names.
func TestHostsInFunctions(t *testing.T) {
	dir := t.TempDir()
	x := New(Config{WorkDir: dir})
	names := []string{"shop.1a2b3c4d5e6f.us-east-1.rds.localhost"}
	x.SetNames(func(fn func(string) bool) error {
		for _, n := range names {
			if !fn(n) {
				break
			}
		}
		return nil
	})
	path := x.hostsFile()
	if path == "" {
		t.Fatal("no hosts file")
	}
	b, err := os.ReadFile(path)
	if err != nil || !strings.Contains(string(b), "127.0.0.1\tshop.1a2b3c4d5e6f.us-east-1.rds.localhost\n") {
		t.Fatalf("hosts file: %q %v", b, err)
	}
	if base, _ := os.ReadFile("/etc/hosts"); !strings.HasPrefix(string(b), string(base)) {
		t.Fatal("the machine's entries are not kept")
	}
	before, _ := os.Stat(path)
	names = append(names, "late.1a2b3c4d5e6f.us-east-1.rds.localhost")
	x.refreshHosts()
	after, _ := os.Stat(path)
	if before.Sys().(*syscall.Stat_t).Ino != after.Sys().(*syscall.Stat_t).Ino {
		t.Fatal("the file was replaced, not rewritten in place")
	}

	sh, mount, err := nsTools(dir)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("mount namespaces: %v", err)
		}
		t.Skipf("no mount namespaces here: %v", err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.MkdirAll(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := withOpt(exec.Command("/bin/sh", "-c", "getent hosts late.1a2b3c4d5e6f.us-east-1.rds.localhost"), sh, mount, empty, x.hostsFile())
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "127.0.0.1") {
		t.Fatalf("inside the namespace: %q %v", out, err)
	}
}
