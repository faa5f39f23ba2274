//go:build linux

package proc

import (
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
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

// loopback is names answered with 127.0.0.1, as niwa's DNS answers the
// names it hands out when it listens on loopback.
func loopback(names ...string) []Entry {
	out := make([]Entry, 0, len(names))
	for _, n := range names {
		out = append(out, Entry{Name: n, Addrs: []netip.Addr{netip.MustParseAddr("127.0.0.1")}})
	}
	return out
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
	h.SetNames(func() ([]Entry, error) { return loopback(names...), nil })
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

// TestHostsPerVPC: a VPC's processes get a file of their own with what
// that VPC's resolver answers (one address a line, after the names niwa
// hands out); processes outside every VPC and in another VPC do not see
// it. A change is written in place (same inode) by Changed, without a
// Refresh from the caller, and a process already running in the
// namespace resolves the new name.
func TestHostsPerVPC(t *testing.T) {
	dir := t.TempDir()
	h := NewHosts(filepath.Join(dir, "hosts"), nil)
	a := Net{Account: "000000000000", Region: "us-east-1", VPC: "vpc-0aaaaaaaaaaaaaaa1"}
	b := Net{Account: "000000000000", Region: "us-east-1", VPC: "vpc-0bbbbbbbbbbbbbbb2"}
	var mu sync.Mutex
	zones := map[string][]Entry{a.VPC: {{Name: "db.corp.internal", Addrs: []netip.Addr{netip.MustParseAddr("10.0.1.5"), netip.MustParseAddr("fd00::5")}}}}
	h.SetNames(func() ([]Entry, error) { return loopback("shop.1a2b3c4d5e6f.us-east-1.rds.localhost"), nil })
	h.SetVPCNames(func(n Net) ([]Entry, error) {
		mu.Lock()
		defer mu.Unlock()
		return zones[n.VPC], nil
	})
	read := func(n Net) string {
		t.Helper()
		p := h.PathFor(n)
		if p == "" {
			t.Fatalf("no hosts file for %v", n)
		}
		s, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return string(s)
	}
	ga := read(a)
	for _, want := range []string{"127.0.0.1\tshop.1a2b3c4d5e6f.us-east-1.rds.localhost\n", "10.0.1.5\tdb.corp.internal\n", "fd00::5\tdb.corp.internal\n"} {
		if !strings.Contains(ga, want) {
			t.Fatalf("vpc A's file lacks %q:\n%s", want, ga)
		}
	}
	for _, n := range []Net{{}, b} {
		if s := read(n); strings.Contains(s, "db.corp.internal") || !strings.Contains(s, "shop.1a2b3c4d5e6f") {
			t.Fatalf("%v's file:\n%s", n, s)
		}
	}
	pa := h.PathFor(a)
	before, _ := os.Stat(pa)

	// A process of VPC A is running when the record is created.
	l := launcher(t, dir, HostsTarget)
	cmd := exec.Command("/bin/sh", "-c", "i=0; while [ $i -lt 100 ]; do getent hosts late.corp.internal && exit 0; sleep 0.1; i=$((i+1)); done; exit 1")
	l.Wrap(cmd, h.MountsFor(a)...)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	zones[a.VPC] = append(zones[a.VPC], Entry{Name: "late.corp.internal", Addrs: []netip.Addr{netip.MustParseAddr("10.0.1.9")}})
	mu.Unlock()
	h.Changed()
	if err := cmd.Wait(); err != nil || !strings.HasPrefix(out.String(), "10.0.1.9") {
		t.Fatalf("a running process did not see the new record: %q %v", out.String(), err)
	}
	after, _ := os.Stat(pa)
	if before.Sys().(*syscall.Stat_t).Ino != after.Sys().(*syscall.Stat_t).Ino {
		t.Fatal("the file was replaced, not rewritten in place")
	}
	// Another VPC's process does not resolve it.
	cmd = exec.Command("/bin/sh", "-c", "getent hosts late.corp.internal db.corp.internal")
	l.Wrap(cmd, h.MountsFor(b)...)
	if o, err := cmd.CombinedOutput(); err == nil || len(o) != 0 {
		t.Fatalf("vpc B resolved vpc A's names: %q %v", o, err)
	}
}

// TestHostsNamesAddresses: the names niwa hands out are written with the
// addresses given for them (what niwa's DNS answers: niwa's own address,
// which is not always loopback), one a line, sorted by name, in every
// network's file.
func TestHostsNamesAddresses(t *testing.T) {
	h := NewHosts(filepath.Join(t.TempDir(), "hosts"), nil)
	h.SetNames(func() ([]Entry, error) {
		return []Entry{
			{Name: "web-1a2b3c4d5e6f7a8b.us-east-1.elb.localhost", Addrs: []netip.Addr{netip.MustParseAddr("192.0.2.10"), netip.MustParseAddr("fd00::10")}},
			{Name: "abcde12345.execute-api.localhost.", Addrs: []netip.Addr{netip.MustParseAddr("192.0.2.10")}},
		}, nil
	})
	want := "192.0.2.10\tabcde12345.execute-api.localhost\n" +
		"192.0.2.10\tweb-1a2b3c4d5e6f7a8b.us-east-1.elb.localhost\n" +
		"fd00::10\tweb-1a2b3c4d5e6f7a8b.us-east-1.elb.localhost\n"
	for _, n := range []Net{{}, {Account: "000000000000", Region: "us-east-1", VPC: "vpc-0aaaaaaaaaaaaaaa1"}} {
		b, err := os.ReadFile(h.PathFor(n))
		if err != nil || !strings.Contains(string(b), "# Names niwa's DNS answers\n"+want) {
			t.Fatalf("%v: %q %v", n, b, err)
		}
	}
}

// TestHostsMadeOnFirstAsk: setting the names (niwa's start-up) writes no
// file and lists no name; the first process's ask makes the file, and
// from then on a refresh keeps it current.
func TestHostsMadeOnFirstAsk(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "hosts")
	h := NewHosts(path, nil)
	listed := 0
	names := []string{"a.us-east-1.rds.localhost"}
	h.SetNames(func() ([]Entry, error) { listed++; return loopback(names...), nil })
	h.SetVPCNames(func(Net) ([]Entry, error) { return nil, nil })
	h.Refresh()
	if _, err := os.Stat(path); !os.IsNotExist(err) || listed != 0 {
		t.Fatalf("before any process: stat %v, names listed %d times", err, listed)
	}
	if got := h.Path(); got != path {
		t.Fatalf("Path = %q, want %q", got, path)
	}
	names = append(names, "b.us-east-1.rds.localhost")
	h.Refresh()
	if b, err := os.ReadFile(path); err != nil || !strings.Contains(string(b), "127.0.0.1\tb.us-east-1.rds.localhost\n") {
		t.Fatalf("after a refresh: %q %v", b, err)
	}
}
