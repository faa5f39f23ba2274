package proc

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"sync"
)

// Names inside processes: user code (a Lambda function, an instance's
// user data or SSM command) resolves the names niwa hands out (RDS
// endpoints, ...) with the machine's resolver, which does not ask niwa's
// DNS server. Where processes run in a mount namespace of their own
// (Launcher), niwa bind-mounts a hosts file of its own over /etc/hosts
// there: the machine's /etc/hosts followed by each name niwa's DNS
// answers, with the address it answers (127.0.0.1). The file is
// rewritten in place (the mount follows the inode) on Refresh when the
// names changed, so a running process sees a database created after it
// started.

// HostsTarget is where processes see the hosts file.
const HostsTarget = "/etc/hosts"

// Hosts is one engine's hosts file and where its names come from. It is
// safe for concurrent use.
type Hosts struct {
	path string
	log  *slog.Logger

	mu      sync.Mutex
	names   func(fn func(name string) bool) error
	written []byte
}

// NewHosts makes a hosts file at path ("" for none: processes see the
// machine's /etc/hosts); log (nil: none) hears why it could not be
// written.
func NewHosts(path string, log *slog.Logger) *Hosts {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Hosts{path: path, log: log}
}

// SetNames gives the file the names niwa hands out, each answered with
// 127.0.0.1 (internal/server wires RDS's), and writes it.
func (h *Hosts) SetNames(names func(fn func(name string) bool) error) {
	h.mu.Lock()
	h.names = names
	h.mu.Unlock()
	h.Refresh()
}

// Path is the file to mount at /etc/hosts, "" while there is none.
func (h *Hosts) Path() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.written == nil {
		return ""
	}
	return h.path
}

// Mounts is the mount that shows the file at /etc/hosts, none while
// there is no file.
func (h *Hosts) Mounts() []Mount {
	if p := h.Path(); p != "" {
		return []Mount{{Source: p, Target: HostsTarget}}
	}
	return nil
}

// Refresh rewrites the file when the names changed.
func (h *Hosts) Refresh() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.names == nil || h.path == "" {
		return
	}
	var names []string
	if err := h.names(func(n string) bool {
		names = append(names, n)
		return true
	}); err != nil {
		h.log.Warn("proc: listing names for processes' /etc/hosts", "err", err)
		return
	}
	sort.Strings(names)
	base, _ := os.ReadFile(HostsTarget)
	var b bytes.Buffer
	b.Write(base)
	if len(base) > 0 && base[len(base)-1] != '\n' {
		b.WriteByte('\n')
	}
	b.WriteString("# Names niwa's DNS answers\n")
	for _, n := range names {
		b.WriteString("127.0.0.1\t" + n + "\n")
	}
	if h.written != nil && bytes.Equal(b.Bytes(), h.written) {
		return
	}
	if err := os.MkdirAll(filepath.Dir(h.path), 0o755); err != nil {
		h.log.Warn("proc: writing processes' /etc/hosts", "err", err)
		return
	}
	// In place (truncate and write, same inode): running processes'
	// mounts see the new names.
	f, err := os.OpenFile(h.path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err == nil {
		_, err = f.Write(b.Bytes())
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		h.log.Warn("proc: writing processes' /etc/hosts", "err", err)
		return
	}
	h.written = append([]byte{}, b.Bytes()...)
}
