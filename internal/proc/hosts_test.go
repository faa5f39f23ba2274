//go:build linux

package proc

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// launcher probes this machine's mount namespaces; CI must have them.
func launcher(t *testing.T, dir string, targets ...string) *Launcher {
	t.Helper()
	l, err := Probe(dir, targets...)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("mount namespaces: %v", err)
		}
		t.Skipf("no mount namespaces here: %v", err)
	}
	return l
}

// TestHosts: the names niwa hands out are in the hosts file, after the
// machine's entries; the file is rewritten in place when the names
// change, so a process that mounted it earlier sees the new names, and a
// process the launcher starts resolves them through /etc/hosts.
func TestHosts(t *testing.T) {
	dir := t.TempDir()
	h := NewHosts(filepath.Join(dir, "hosts"), nil)
	if h.Path() != "" || h.Mounts() != nil {
		t.Fatal("a hosts file before any names")
	}
	names := []string{"shop.1a2b3c4d5e6f.us-east-1.rds.localhost"}
	h.SetNames(func(fn func(string) bool) error {
		for _, n := range names {
			if !fn(n) {
				break
			}
		}
		return nil
	})
	path := h.Path()
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
	h.Refresh()
	after, _ := os.Stat(path)
	if before.Sys().(*syscall.Stat_t).Ino != after.Sys().(*syscall.Stat_t).Ino {
		t.Fatal("the file was replaced, not rewritten in place")
	}

	l := launcher(t, dir, HostsTarget)
	cmd := exec.Command("/bin/sh", "-c", "getent hosts late.1a2b3c4d5e6f.us-east-1.rds.localhost")
	l.Wrap(cmd, h.Mounts()...)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "127.0.0.1") {
		t.Fatalf("inside the namespace: %q %v", out, err)
	}
	// The machine's own /etc/hosts is untouched.
	if b, _ := os.ReadFile("/etc/hosts"); strings.Contains(string(b), "late.1a2b3c4d5e6f") {
		t.Fatal("the mount leaked to the machine")
	}
}

// TestLauncherMounts: a read-only directory mount and a file mount are
// both made; the command keeps its arguments, environment and
// directory.
func TestLauncherMounts(t *testing.T) {
	dir := t.TempDir()
	l := launcher(t, dir, "/opt", HostsTarget)
	opt := filepath.Join(dir, "opt")
	if err := os.MkdirAll(opt, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(opt, "layer"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	hosts := filepath.Join(dir, "hosts")
	if err := os.WriteFile(hosts, []byte("127.0.0.1 mounted.invalid\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("/bin/sh", "-c", `cat /opt/layer; grep -c mounted.invalid /etc/hosts; touch /opt/w 2>/dev/null && echo writable; echo "$NIWA_X $1"; pwd`, "sh", "arg one")
	cmd.Env = []string{"NIWA_X=env", "PATH=/usr/bin:/bin:/usr/sbin:/sbin"}
	cmd.Dir = dir
	l.Wrap(cmd, Mount{Source: opt, Target: "/opt", ReadOnly: true}, Mount{Source: hosts, Target: HostsTarget})
	out, err := cmd.CombinedOutput()
	if want := "x1\nenv arg one\n" + dir + "\n"; err != nil || string(out) != want {
		t.Fatalf("got %q %v, want %q", out, err, want)
	}
}

func TestUnder(t *testing.T) {
	for _, c := range []struct {
		path, dir string
		want      bool
	}{
		{"/opt", "/opt", true},
		{"/opt/bin/x", "/opt", true},
		{"/optional/x", "/opt", false},
		{"/usr/bin/x", "/opt/", false},
	} {
		if got := Under(c.path, c.dir); got != c.want {
			t.Errorf("Under(%q, %q) = %v", c.path, c.dir, got)
		}
	}
}
