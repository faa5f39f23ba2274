package instances

import (
	"os/exec"
	"time"

	"github.com/niwa-cloud/niwa/internal/proc"
)

// Names inside instances: an instance's processes resolve the names
// niwa hands out (RDS endpoints) through the hosts file proc.Hosts
// keeps, mounted at /etc/hosts in their own mount namespace, as Lambda
// functions do. Where the machine has no mount namespaces they see the
// machine's /etc/hosts.

// hostsRefresh is how often the hosts file follows the names while
// instances run, so that a process started before a database was
// created (a server user data left running) resolves it soon after. It
// is wall-clock time: the file serves real processes.
const hostsRefresh = 2 * time.Second

// SetNames gives the runtime the names niwa hands out; each is answered
// with 127.0.0.1 inside instances (internal/server wires RDS's).
func (r *Runtime) SetNames(names func(fn func(name string) bool) error) {
	r.hosts.SetNames(names)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.refreshing || r.closed {
		return
	}
	r.refreshing = true
	go r.refreshHosts()
}

// refreshHosts rewrites the hosts file while instances run, until the
// runtime closes.
func (r *Runtime) refreshHosts() {
	t := time.NewTicker(hostsRefresh)
	defer t.Stop()
	for {
		select {
		case <-r.stop:
			return
		case <-t.C:
		}
		r.mu.Lock()
		running := len(r.vms) > 0
		r.mu.Unlock()
		if running {
			r.hosts.Refresh()
		}
	}
}

// withHosts makes cmd start in a mount namespace of its own where the
// hosts file is at /etc/hosts, once there is one and the machine allows
// it; otherwise cmd is left as it is.
func (r *Runtime) withHosts(cmd *exec.Cmd) {
	r.hosts.Refresh()
	mounts := r.hosts.Mounts()
	if len(mounts) == 0 {
		return
	}
	r.nsOnce.Do(func() {
		l, err := proc.Probe(r.cfg.WorkDir, proc.HostsTarget)
		if err != nil {
			r.cfg.Log.Info("instances: processes see the machine's /etc/hosts, without the names niwa hands out", "reason", err)
			return
		}
		r.ns = l
	})
	r.ns.Wrap(cmd, mounts...)
}
