package lambda

import (
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"sync"
)

// Names inside functions: a function's code resolves the names niwa
// hands out (RDS endpoints, ...) with the machine's resolver, which
// does not ask niwa's DNS server. Where functions run in their own mount
// namespace (with their layers at /opt), niwa bind-mounts a hosts file of
// its own over /etc/hosts there: the machine's /etc/hosts followed by
// each name niwa's DNS answers, with the address it answers (127.0.0.1).
// The file is rewritten in place (the mount follows the inode) before
// every invocation when the names changed, so a warm function sees a
// database created after it started.

// hostsFile is the executor's hosts file and where its names come from.
type hostsFile struct {
	mu      sync.Mutex
	names   func(fn func(name string) bool) error
	path    string
	written []byte
}

// SetNames gives the executor the names niwa hands out; each is answered
// with 127.0.0.1 inside functions (internal/server wires RDS's).
func (x *Executor) SetNames(names func(fn func(name string) bool) error) {
	x.hosts.mu.Lock()
	x.hosts.names = names
	x.hosts.mu.Unlock()
	x.refreshHosts()
}

// hostsFile is the path to mount at /etc/hosts, "" when there is none.
func (x *Executor) hostsFile() string {
	x.hosts.mu.Lock()
	defer x.hosts.mu.Unlock()
	if x.hosts.written == nil {
		return ""
	}
	return x.hosts.path
}

// refreshHosts rewrites the hosts file when the names changed.
func (x *Executor) refreshHosts() {
	x.hosts.mu.Lock()
	defer x.hosts.mu.Unlock()
	if x.hosts.names == nil || x.cfg.WorkDir == "" {
		return
	}
	var names []string
	if err := x.hosts.names(func(n string) bool {
		names = append(names, n)
		return true
	}); err != nil {
		x.cfg.Log.Warn("lambda: listing names for functions' /etc/hosts", "err", err)
		return
	}
	sort.Strings(names)
	base, _ := os.ReadFile("/etc/hosts")
	var b bytes.Buffer
	b.Write(base)
	if len(base) > 0 && base[len(base)-1] != '\n' {
		b.WriteByte('\n')
	}
	b.WriteString("# Names niwa's DNS answers\n")
	for _, n := range names {
		b.WriteString("127.0.0.1\t" + n + "\n")
	}
	if x.hosts.written != nil && bytes.Equal(b.Bytes(), x.hosts.written) {
		return
	}
	if x.hosts.path == "" {
		x.hosts.path = filepath.Join(x.cfg.WorkDir, "hosts")
	}
	if err := os.MkdirAll(filepath.Dir(x.hosts.path), 0o755); err != nil {
		x.cfg.Log.Warn("lambda: writing functions' /etc/hosts", "err", err)
		return
	}
	// In place (truncate and write, same inode): running functions'
	// mounts see the new names.
	f, err := os.OpenFile(x.hosts.path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err == nil {
		_, err = f.Write(b.Bytes())
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		x.cfg.Log.Warn("lambda: writing functions' /etc/hosts", "err", err)
		return
	}
	x.hosts.written = append([]byte{}, b.Bytes()...)
}
