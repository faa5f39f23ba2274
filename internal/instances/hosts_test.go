//go:build linux

package instances

import (
	"context"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/niwa-cloud/niwa/internal/proc"
)

// TestProcessesResolveNiwaNames: an instance's processes resolve the
// names niwa hands out (RDS endpoints) through their /etc/hosts: user
// data at boot (getent), a name created while a process user data left
// running waits for it, and an SSM command (python's resolver) started
// after a name was created. The machine's /etc/hosts never gets them.
func TestProcessesResolveNiwaNames(t *testing.T) {
	if _, err := proc.Probe(t.TempDir(), proc.HostsTarget); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("mount namespaces: %v", err)
		}
		t.Skipf("no mount namespaces here: %v", err)
	}
	h := newHarness(t)
	var mu sync.Mutex
	names := []string{"shop.1a2b3c4d5e6f.us-east-1.rds.localhost"}
	add := func(n string) {
		mu.Lock()
		defer mu.Unlock()
		names = append(names, n)
	}
	h.rt.SetNames(func() ([]proc.Entry, error) {
		mu.Lock()
		defer mu.Unlock()
		out := make([]proc.Entry, 0, len(names))
		for _, n := range names {
			out = append(out, proc.Entry{Name: n, Addrs: []netip.Addr{netip.MustParseAddr("127.0.0.1")}})
		}
		return out, nil
	})
	// The background loop waits (at most ~60 s) for a name created after
	// boot, as a server user data started would reconnect.
	ud := "#!/bin/sh\n" +
		"getent hosts shop.1a2b3c4d5e6f.us-east-1.rds.localhost | sed 's/^/shop=/'\n" +
		"(i=0; while [ $i -lt 600 ]; do getent hosts late.1a2b3c4d5e6f.us-east-1.rds.localhost >/dev/null && { echo late-found; exit 0; }; sleep 0.1; i=$((i+1)); done; echo late-missing) &\n"
	h.src.set(instance("i-h", ud))
	if err := h.rt.Boot("000000000000", "us-east-1", "i-h"); err != nil {
		t.Fatal(err)
	}
	out := h.waitConsole(t, "i-h", "finished at")
	if !strings.Contains(out, "shop=127.0.0.1") {
		t.Fatalf("user data did not resolve the endpoint:\n%s", out)
	}
	add("late.1a2b3c4d5e6f.us-east-1.rds.localhost")
	out = h.waitConsole(t, "i-h", "late-")
	if !strings.Contains(out, "late-found") {
		t.Fatalf("a running process never saw the new name:\n%s", out)
	}

	add("proxy.proxy-1a2b3c4d5e6f.us-east-1.rds.localhost")
	res, err := h.rt.Run(context.Background(), "000000000000", "us-east-1", "i-h", Command{ID: "c1", Plugin: "aws:runShellScript",
		Script: `python3 -c 'import socket; print(socket.gethostbyname("proxy.proxy-1a2b3c4d5e6f.us-east-1.rds.localhost"))'`})
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 0 || strings.TrimSpace(res.Stdout) != "127.0.0.1" {
		t.Fatalf("command: exit %d, stdout %q, stderr %q", res.ExitCode, res.Stdout, res.Stderr)
	}
	if b, _ := os.ReadFile("/etc/hosts"); strings.Contains(string(b), "1a2b3c4d5e6f") {
		t.Fatal("the names leaked into the machine's /etc/hosts")
	}
}

// TestProcessesResolveVPCNames: an instance's processes see their VPC's
// names (SetVPCNames: a private zone's record, the instance's own
// private DNS name from EachName) and not another VPC's; a record added
// while a process waits for it is seen after NamesChanged, before the
// periodic refresh. EachName lists running instances of a VPC only.
func TestProcessesResolveVPCNames(t *testing.T) {
	if _, err := proc.Probe(t.TempDir(), proc.HostsTarget); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("mount namespaces: %v", err)
		}
		t.Skipf("no mount namespaces here: %v", err)
	}
	h := newHarness(t)
	var mu sync.Mutex
	zones := map[string][]proc.Entry{"vpc-1": {{Name: "db.corp.internal", Addrs: []netip.Addr{netip.MustParseAddr("10.0.1.20")}}},
		"vpc-2": {{Name: "secret.other.internal", Addrs: []netip.Addr{netip.MustParseAddr("10.1.0.1")}}}}
	h.rt.SetVPCNames(func(n proc.Net) ([]proc.Entry, error) {
		mu.Lock()
		out := append([]proc.Entry(nil), zones[n.VPC]...)
		mu.Unlock()
		err := h.rt.EachName(n.Account, n.Region, n.VPC, func(in Name) bool {
			out = append(out, proc.Entry{Name: in.Name, Addrs: []netip.Addr{in.IP}})
			return true
		})
		return out, err
	})
	ud := "#!/bin/sh\n" +
		"getent hosts db.corp.internal | sed 's/^/db=/'\n" +
		"getent hosts ip-10-0-1-5.ec2.internal | sed 's/^/self=/'\n" +
		"getent hosts secret.other.internal >/dev/null || echo other-missing\n" +
		"(i=0; while [ $i -lt 300 ]; do getent hosts late.corp.internal >/dev/null && { echo late-found; exit 0; }; sleep 0.1; i=$((i+1)); done; echo late-missing) &\n"
	h.src.set(instance("i-v", ud))
	if err := h.rt.Boot("000000000000", "us-east-1", "i-v"); err != nil {
		t.Fatal(err)
	}
	out := h.waitConsole(t, "i-v", "finished at")
	for _, want := range []string{"db=10.0.1.20", "self=10.0.1.5", "other-missing"} {
		if !strings.Contains(out, want) {
			t.Fatalf("user data: no %q in:\n%s", want, out)
		}
	}
	mu.Lock()
	zones["vpc-1"] = append(zones["vpc-1"], proc.Entry{Name: "late.corp.internal", Addrs: []netip.Addr{netip.MustParseAddr("10.0.1.21")}})
	mu.Unlock()
	h.rt.NamesChanged()
	out = h.waitConsole(t, "i-v", "late-")
	if !strings.Contains(out, "late-found") {
		t.Fatalf("a running process never saw the new record:\n%s", out)
	}
	var got []string
	if err := h.rt.EachName("", "", AllVPCs, func(in Name) bool { got = append(got, in.VPC+" "+in.Name+" "+in.IP.String()); return true }); err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != "vpc-1 ip-10-0-1-5.ec2.internal 10.0.1.5" {
		t.Fatalf("EachName: %v", got)
	}
	// With EnableResourceNameDnsARecord the resource name answers too.
	in := instance("i-v", ud)
	in.ResourceNameA = true
	h.src.set(in)
	got = nil
	_ = h.rt.EachName("000000000000", "us-east-1", "vpc-1", func(in Name) bool { got = append(got, in.Name); return true })
	if strings.Join(got, ",") != "i-v.ec2.internal,ip-10-0-1-5.ec2.internal" {
		t.Fatalf("EachName with resource-name A records: %v", got)
	}
	got = nil
	_ = h.rt.EachName("000000000000", "us-east-1", "vpc-2", func(in Name) bool { got = append(got, in.Name); return true })
	if len(got) != 0 {
		t.Fatalf("EachName of another VPC: %v", got)
	}
}
