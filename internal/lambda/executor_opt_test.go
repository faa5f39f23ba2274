//go:build linux

package lambda

import (
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/niwa-cloud/niwa/internal/proc"
)

// TestCommandOptRoot: with the layer launcher available the runtime runs
// under it with the layers (or an empty directory) to mount at /opt and
// "/opt" as the layer root; without it the runtime runs directly and the
// layer directory itself is the root. A provided runtime whose bootstrap
// comes from a layer runs /opt/bootstrap when mounted.
func TestCommandOptRoot(t *testing.T) {
	dir := t.TempDir()
	optDir := filepath.Join(dir, "layers")
	codeDir := filepath.Join(dir, "code")
	for _, d := range []string{optDir, codeDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(optDir, "bootstrap"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	newX := func(mounted bool) *Executor {
		x := New(Config{WorkDir: dir})
		x.interpOnce.Do(func() {}) // no probing: the test sets the outcome
		x.bootDir, x.python, x.node, x.emptyOpt = dir, "/usr/bin/python3", "/usr/bin/node", filepath.Join(dir, "empty")
		if mounted {
			x.ns = &proc.Launcher{Sh: "/bin/sh", Mount: "/bin/mount"}
		}
		return x
	}
	for _, c := range []struct {
		name     string
		mounted  bool
		spec     Spec
		wantPath string
		wantArgs []string // each must be among the arguments
		wantRoot string
	}{
		{"python, fallback", false, Spec{Runtime: "python3.12", CodeDir: codeDir, OptDir: optDir}, "/usr/bin/python3", nil, optDir},
		{"python, no layers, fallback", false, Spec{Runtime: "python3.12", CodeDir: codeDir}, "/usr/bin/python3", nil, ""},
		{"python, mounted", true, Spec{Runtime: "python3.12", CodeDir: codeDir, OptDir: optDir}, "/bin/sh", []string{"/bin/mount", optDir, "/usr/bin/python3"}, "/opt"},
		{"node, no layers, mounted empty", true, Spec{Runtime: "nodejs20.x", CodeDir: codeDir}, "/bin/sh", []string{filepath.Join(dir, "empty"), "/usr/bin/node"}, "/opt"},
		{"provided from a layer, mounted", true, Spec{Runtime: "provided.al2023", CodeDir: codeDir, OptDir: optDir}, "/bin/sh", []string{optDir, "/opt/bootstrap"}, "/opt"},
		{"provided from a layer, fallback", false, Spec{Runtime: "provided.al2023", CodeDir: codeDir, OptDir: optDir}, filepath.Join(optDir, "bootstrap"), nil, optDir},
	} {
		t.Run(c.name, func(t *testing.T) {
			cmd, _, root, err := newX(c.mounted).command(&c.spec)
			if err != nil {
				t.Fatal(err)
			}
			if cmd.Path != c.wantPath || root != c.wantRoot {
				t.Fatalf("path %s root %q", cmd.Path, root)
			}
			for _, a := range c.wantArgs {
				if !slices.Contains(cmd.Args, a) {
					t.Fatalf("args %q lack %q", cmd.Args, a)
				}
			}
			if c.mounted && (cmd.SysProcAttr == nil || cmd.SysProcAttr.Cloneflags == 0) {
				t.Fatal("the launcher must start in new namespaces")
			}
		})
	}
}

// TestCommandHostsMount: once niwa's names are set, the launcher also
// shows the executor's hosts file at /etc/hosts.
func TestCommandHostsMount(t *testing.T) {
	dir := t.TempDir()
	x := New(Config{WorkDir: dir})
	x.interpOnce.Do(func() {})
	x.bootDir, x.python, x.emptyOpt = dir, "/usr/bin/python3", filepath.Join(dir, "empty")
	x.ns = &proc.Launcher{Sh: "/bin/sh", Mount: "/bin/mount"}
	x.SetNames(func() ([]proc.Entry, error) {
		return []proc.Entry{{Name: "shop.1a2b3c4d5e6f.us-east-1.rds.localhost", Addrs: []netip.Addr{netip.MustParseAddr("127.0.0.1")}}}, nil
	})
	cmd, _, _, err := x.command(&Spec{Runtime: "python3.12", CodeDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	i := slices.Index(cmd.Args, filepath.Join(dir, "hosts"))
	if i < 0 || i+1 >= len(cmd.Args) || cmd.Args[i+1] != "/etc/hosts" {
		t.Fatalf("args %q do not mount the hosts file at /etc/hosts", cmd.Args)
	}
}
