package netpos

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
)

// Host addresses: an instance's private address (10.0.1.5 in its VPC)
// does not exist on niwa's machine, so each running instance gets a
// loopback address of its own (Linux routes all of 127.0.0.0/8 to lo,
// with no configuration) that stands for its private address. A process
// of the instance listening on 0.0.0.0 or on that address is reached
// there by the inbound path (the egress proxy of another workload, a
// load balancer) once the decision admits the connection. The address
// is derived from the VPC address (stable across restarts), with a
// table resolving collisions, kept in a file when niwa's state is
// durable.

// hostPool is where host addresses are taken from: 127.16.0.0/12, clear
// of 127.0.0.1, systemd's 127.0.0.53 and the metadata services'
// 127.169.254.254.
var hostPool = netip.MustParsePrefix("127.16.0.0/12")

// poolSize is how many addresses the pool has.
const poolSize = 1 << 20

// Addresses is the table of host addresses. It is safe for concurrent
// use.
type Addresses struct {
	file string // "" keeps it in memory

	mu    sync.Mutex
	byKey map[string]netip.Addr
	used  map[netip.Addr]string
}

// hostKey names a VPC address.
func hostKey(account, region, vpcID string, ip netip.Addr) string {
	return account + "/" + region + "/" + vpcID + "/" + ip.String()
}

// NewAddresses loads the table from file ("" for none; a missing file
// is an empty table).
func NewAddresses(file string) (*Addresses, error) {
	a := &Addresses{file: file, byKey: map[string]netip.Addr{}, used: map[netip.Addr]string{}}
	if file == "" {
		return a, nil
	}
	b, err := os.ReadFile(file)
	if errors.Is(err, os.ErrNotExist) {
		return a, nil
	}
	if err != nil {
		return nil, err
	}
	var saved map[string]string
	if err := json.Unmarshal(b, &saved); err != nil {
		return nil, fmt.Errorf("netpos: %s: %w", file, err)
	}
	for k, v := range saved {
		ip, err := netip.ParseAddr(v)
		if err != nil || !hostPool.Contains(ip) {
			continue
		}
		if _, taken := a.used[ip]; taken {
			continue
		}
		a.byKey[k], a.used[ip] = ip, k
	}
	return a, nil
}

// nth is the pool's i-th address, skipping those ending in .0 or .255.
func nth(i uint32) netip.Addr {
	base := hostPool.Addr().As4()
	n := binary.BigEndian.Uint32(base[:]) + i%poolSize
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], n)
	return netip.AddrFrom4(b)
}

// Assign returns the host address of a VPC address, allocating it.
func (a *Addresses) Assign(account, region, vpcID string, ip netip.Addr) (netip.Addr, error) {
	k := hostKey(account, region, vpcID, ip)
	a.mu.Lock()
	defer a.mu.Unlock()
	if got, ok := a.byKey[k]; ok {
		return got, nil
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(k))
	start := h.Sum32()
	for i := uint32(0); i < poolSize; i++ {
		c := nth(start + i)
		if b := c.As4(); b[3] == 0 || b[3] == 255 {
			continue
		}
		if _, taken := a.used[c]; taken {
			continue
		}
		a.byKey[k], a.used[c] = c, k
		if err := a.saveLocked(); err != nil {
			delete(a.byKey, k)
			delete(a.used, c)
			return netip.Addr{}, err
		}
		return c, nil
	}
	return netip.Addr{}, errors.New("netpos: no host address left")
}

// Lookup returns the host address of a VPC address, if assigned.
func (a *Addresses) Lookup(account, region, vpcID string, ip netip.Addr) (netip.Addr, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	got, ok := a.byKey[hostKey(account, region, vpcID, ip)]
	return got, ok
}

// Release frees a VPC address's host address.
func (a *Addresses) Release(account, region, vpcID string, ip netip.Addr) error {
	k := hostKey(account, region, vpcID, ip)
	a.mu.Lock()
	defer a.mu.Unlock()
	got, ok := a.byKey[k]
	if !ok {
		return nil
	}
	delete(a.byKey, k)
	delete(a.used, got)
	return a.saveLocked()
}

// saveLocked writes the table (atomically: a crash leaves the old one
// or the new one).
func (a *Addresses) saveLocked() error {
	if a.file == "" {
		return nil
	}
	out := make(map[string]string, len(a.byKey))
	for k, v := range a.byKey {
		out[k] = v.String()
	}
	b, err := json.Marshal(out)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(a.file), 0o755); err != nil {
		return err
	}
	tmp := a.file + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, a.file)
}
