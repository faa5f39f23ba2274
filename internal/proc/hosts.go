package proc

import (
	"bytes"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// Names inside processes: user code (a Lambda function, an instance's
// user data or SSM command) resolves names with the machine's libc
// resolver, which does not ask niwa's DNS server. Where processes run in
// a mount namespace of their own (Launcher), niwa bind-mounts a hosts
// file of its own over /etc/hosts there, one per network: one for
// processes outside every VPC and one per VPC. Each holds the machine's
// /etc/hosts, then each name niwa hands out (load balancers, execute-api
// hosts, CloudFront domains, RDS endpoints: Names, with the addresses
// niwa's DNS answers for them), then, in a VPC's file, what that VPC's resolver
// answers that the machine's cannot: the names of the private hosted
// zones associated with the VPC and the instances' private DNS names,
// with the addresses niwa's DNS answers for them (VPCNames).
//
// A file is rewritten in place (truncated and written: the bind mount
// follows the inode, so a rename would not be seen) when what it holds
// changed, on Refresh or soon after Changed; glibc reads /etc/hosts
// again on every lookup, so a running process sees a record created
// after it started.

// vpcTTL is how long a VPC's listed entries are used before they are
// listed again, when nothing said they changed (instances come and go
// without a word). Wall-clock time: the files serve real processes.
const vpcTTL = 2 * time.Second

// listing is a VPC's entries and when they were listed.
type listing struct {
	entries []Entry
	at      time.Time
	gen     uint64
}

// HostsTarget is where processes see the hosts file.
const HostsTarget = "/etc/hosts"

// Net is the network a process is in: a VPC of an account and region,
// or none (the zero Net).
type Net struct {
	Account, Region, VPC string
}

// Entry is a name (without the trailing dot) and its addresses.
type Entry struct {
	Name  string
	Addrs []netip.Addr
}

// Names lists the names niwa hands out for what it serves itself, in
// every network, with the addresses they answer now.
type Names func() ([]Entry, error)

// VPCNames lists what a VPC's resolver answers that the machine's
// resolver does not: names and the addresses they answer now.
type VPCNames func(n Net) ([]Entry, error)

// Hosts is one engine's hosts files and where their names come from. It
// is safe for concurrent use.
type Hosts struct {
	path string
	log  *slog.Logger

	mu    sync.Mutex
	names Names
	vpc   VPCNames
	// written is each file's content as last written, by network; a
	// network is there once a process of it asked for its mounts.
	written map[Net][]byte
	// listed caches each VPC's entries for vpcTTL (a VPC's zones may
	// hold many names, and every invocation refreshes its file); a
	// Changed since makes it stale.
	listed map[Net]listing

	qmu    sync.Mutex
	queued bool
	// gen counts Changed calls; a listing of an older generation is
	// not used.
	gen uint64
}

// NewHosts makes hosts files at path (processes outside every VPC) and
// path.<vpc-id> (processes in a VPC); "" for none: processes see the
// machine's /etc/hosts. log (nil: none) hears why one could not be
// written.
func NewHosts(path string, log *slog.Logger) *Hosts {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Hosts{path: path, log: log, written: map[Net][]byte{}, listed: map[Net]listing{}}
}

// SetNames gives the files the names niwa hands out (internal/server
// wires what every service lists, with niwa's DNS answers), and rewrites
// the files that exist.
func (h *Hosts) SetNames(names Names) {
	h.mu.Lock()
	h.names = names
	h.mu.Unlock()
	h.Refresh()
}

// SetVPCNames gives the VPCs' files what each VPC's resolver answers
// (internal/server wires Route53's private zones and the instances'
// names), and rewrites the files that exist.
func (h *Hosts) SetVPCNames(fn VPCNames) {
	h.mu.Lock()
	h.vpc = fn
	clear(h.listed)
	h.mu.Unlock()
	h.Refresh()
}

// file is n's file.
func (h *Hosts) file(n Net) string {
	if n.VPC == "" {
		return h.path
	}
	return h.path + "." + filepath.Base(n.VPC)
}

// Path is the file to mount at /etc/hosts for processes outside every
// VPC, "" while there is none.
func (h *Hosts) Path() string { return h.PathFor(Net{}) }

// PathFor is the file to mount at /etc/hosts for processes in n, ""
// while there is none; asking for it makes the file (and keeps it
// current from then on).
func (h *Hosts) PathFor(n Net) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	if n.VPC == "" {
		n = Net{}
	}
	if _, ok := h.written[n]; !ok {
		h.refresh(n)
	}
	if h.written[n] == nil {
		return ""
	}
	return h.file(n)
}

// Mounts is the mount that shows the file of processes outside every
// VPC at /etc/hosts, none while there is no file.
func (h *Hosts) Mounts() []Mount { return h.MountsFor(Net{}) }

// MountsFor is the mount that shows n's file at /etc/hosts, none while
// there is no file.
func (h *Hosts) MountsFor(n Net) []Mount {
	if p := h.PathFor(n); p != "" {
		return []Mount{{Source: p, Target: HostsTarget}}
	}
	return nil
}

// Refresh rewrites every file whose content changed.
func (h *Hosts) Refresh() {
	h.mu.Lock()
	defer h.mu.Unlock()
	// Only the files a process asked for (PathFor, RefreshFor) exist and
	// are kept current: a niwa that runs no process writes none (it
	// wrote two, reading /etc/hosts for each, at every start).
	nets := make([]Net, 0, len(h.written))
	for n := range h.written {
		nets = append(nets, n)
	}
	if len(nets) == 0 {
		return
	}
	// The names are every network's: listed once for all the files.
	names, err := h.listNames()
	if err != nil {
		h.log.Warn("proc: listing names for processes' /etc/hosts", "err", err)
		return
	}
	for _, n := range nets {
		h.refreshWith(n, names)
	}
}

// RefreshFor rewrites n's file when its content changed (and makes it
// when there is none yet): what a process of n about to start needs,
// without the other networks' files.
func (h *Hosts) RefreshFor(n Net) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if n.VPC == "" {
		n = Net{}
	}
	h.refresh(n)
}

// Changed asks for a Refresh soon, on a goroutine of its own, without
// waiting: the caller is a writer (Route53) that must not wait for the
// files. Calls while one is queued are one.
func (h *Hosts) Changed() {
	h.qmu.Lock()
	h.gen++ // before anything else: no listing made earlier is used again
	if h.queued {
		h.qmu.Unlock()
		return
	}
	h.queued = true
	h.qmu.Unlock()
	go func() {
		h.qmu.Lock()
		h.queued = false
		h.qmu.Unlock()
		h.Refresh()
	}()
}

// listNames lists the names niwa hands out, sorted by name; h.mu is
// held.
func (h *Hosts) listNames() ([]Entry, error) {
	if h.path == "" || h.names == nil {
		return nil, nil
	}
	names, err := h.names()
	if err != nil {
		return nil, err
	}
	names = slices.Clone(names)
	sort.SliceStable(names, func(i, j int) bool { return names[i].Name < names[j].Name })
	return names, nil
}

// refresh writes n's file when its content changed; h.mu is held. A
// network whose content cannot be listed keeps its file as it was.
func (h *Hosts) refresh(n Net) {
	if h.path == "" || (h.names == nil && h.vpc == nil) {
		return
	}
	if _, ok := h.written[n]; !ok {
		h.written[n] = nil // kept current from now on, even if this listing fails
	}
	names, err := h.listNames()
	if err != nil {
		h.log.Warn("proc: listing names for processes' /etc/hosts", "err", err)
		return
	}
	h.refreshWith(n, names)
}

// refreshWith is refresh with the names already listed.
func (h *Hosts) refreshWith(n Net, names []Entry) {
	if h.path == "" || (h.names == nil && h.vpc == nil) {
		return
	}
	if _, ok := h.written[n]; !ok {
		h.written[n] = nil
	}
	var entries []Entry
	if n.VPC != "" && h.vpc != nil {
		h.qmu.Lock()
		gen := h.gen
		h.qmu.Unlock()
		if l, ok := h.listed[n]; ok && l.gen == gen && time.Since(l.at) < vpcTTL {
			entries = l.entries
		} else {
			var err error
			if entries, err = h.vpc(n); err != nil {
				h.log.Warn("proc: listing a VPC's names for its processes' /etc/hosts", "vpc", n.VPC, "err", err)
				return
			}
			h.listed[n] = listing{entries, time.Now(), gen}
		}
	}
	base, _ := os.ReadFile(HostsTarget)
	b := content(base, names, n.VPC, entries)
	if old := h.written[n]; old != nil && bytes.Equal(b, old) {
		return
	}
	path := h.file(n)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		h.log.Warn("proc: writing processes' /etc/hosts", "err", err)
		return
	}
	// In place (truncate and write, same inode): running processes'
	// mounts see the new names.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err == nil {
		_, err = f.Write(b)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		h.log.Warn("proc: writing processes' /etc/hosts", "err", err)
		return
	}
	h.written[n] = b
}

// content is a hosts file: base (the machine's /etc/hosts), then names,
// then, for a VPC, its entries, one address a line.
func content(base []byte, names []Entry, vpc string, entries []Entry) []byte {
	var b bytes.Buffer
	b.Write(base)
	if len(base) > 0 && base[len(base)-1] != '\n' {
		b.WriteByte('\n')
	}
	b.WriteString("# Names niwa's DNS answers\n")
	writeEntries(&b, names)
	if vpc != "" {
		b.WriteString("# What the resolver of " + vpc + " answers (private hosted zones, instances)\n")
		writeEntries(&b, entries)
	}
	return b.Bytes()
}

// writeEntries writes each entry's addresses, one a line.
func writeEntries(b *bytes.Buffer, entries []Entry) {
	for _, e := range entries {
		name := strings.TrimSuffix(e.Name, ".")
		for _, a := range e.Addrs {
			b.WriteString(a.String() + "\t" + name + "\n")
		}
	}
}
