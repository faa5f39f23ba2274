//go:build linux

package netpos

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// peerEnv finds the process at the other end of a loopback TCP
// connection (the client socket whose local address is remote and whose
// peer is local, in /proc/net/tcp or tcp6), and returns the value of
// its environment variable name. Processes of other users are not
// readable (unless niwa runs as root): they are not found.
func peerEnv(local, remote netip.AddrPort, name string) (string, bool) {
	inode := ""
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		if inode = socketInode(f, remote, local); inode != "" {
			break
		}
	}
	if inode == "" {
		return "", false
	}
	want := "socket:[" + inode + "]"
	dirs, err := filepath.Glob("/proc/[0-9]*")
	if err != nil {
		return "", false
	}
	self := strconv.Itoa(os.Getpid())
	for _, d := range dirs {
		if filepath.Base(d) == self {
			continue
		}
		fds, err := os.ReadDir(filepath.Join(d, "fd"))
		if err != nil {
			continue
		}
		for _, fd := range fds {
			if l, err := os.Readlink(filepath.Join(d, "fd", fd.Name())); err == nil && l == want {
				return environValue(filepath.Join(d, "environ"), name)
			}
		}
	}
	return "", false
}

// environValue reads one variable of a process's environment.
func environValue(path, name string) (string, bool) {
	env, err := os.ReadFile(path)
	if err != nil {
		return "", false
	}
	for kv := range bytes.SplitSeq(env, []byte{0}) {
		if v, ok := bytes.CutPrefix(kv, []byte(name+"=")); ok {
			return string(v), true
		}
	}
	return "", false
}

// socketInode finds, in a /proc/net/tcp{,6} table, the socket from
// local to remote and returns its inode ("" when none).
func socketInode(file string, local, remote netip.AddrPort) string {
	f, err := os.Open(file)
	if err != nil {
		return ""
	}
	defer func() { _ = f.Close() }()
	sc := bufio.NewScanner(f)
	sc.Scan() // the header
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 10 {
			continue
		}
		l, ok1 := parseProcAddr(fields[1])
		r, ok2 := parseProcAddr(fields[2])
		if ok1 && ok2 && l == local && r == remote && fields[9] != "0" {
			return fields[9]
		}
	}
	return ""
}

// parseProcAddr reads "0100007F:1F90" (IPv4) or the 32-digit IPv6 form:
// the address in 32-bit words of the host's byte order, the port in
// hex. IPv4-mapped IPv6 addresses come back as IPv4.
func parseProcAddr(s string) (netip.AddrPort, bool) {
	h, p, ok := strings.Cut(s, ":")
	if !ok {
		return netip.AddrPort{}, false
	}
	port, err := strconv.ParseUint(p, 16, 16)
	if err != nil {
		return netip.AddrPort{}, false
	}
	if len(h) != 8 && len(h) != 32 {
		return netip.AddrPort{}, false
	}
	// Each 32-bit word is printed as the host's integer value of the
	// address's bytes: write it back in the host's byte order.
	out := make([]byte, len(h)/2)
	for i := 0; i < len(h); i += 8 {
		v, err := strconv.ParseUint(h[i:i+8], 16, 32)
		if err != nil {
			return netip.AddrPort{}, false
		}
		binary.NativeEndian.PutUint32(out[i/2:i/2+4], uint32(v))
	}
	a, ok := netip.AddrFromSlice(out)
	if !ok {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(a.Unmap(), uint16(port)), true
}

// listenerEnvs returns the values of the environment variable name of
// the processes holding a listening TCP socket on port at addr or at
// the unspecified address (0.0.0.0, ::); a process without the
// variable gives "". ok is false when /proc cannot tell (not Linux's
// layout, or no listener found).
func listenerEnvs(addr netip.Addr, port uint16, name string) ([]string, bool) {
	inodes := map[string]bool{}
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		for _, in := range listeningInodes(f, addr, port) {
			inodes["socket:["+in+"]"] = true
		}
	}
	if len(inodes) == 0 {
		return nil, false
	}
	dirs, err := filepath.Glob("/proc/[0-9]*")
	if err != nil {
		return nil, false
	}
	var out []string
	for _, d := range dirs {
		fds, err := os.ReadDir(filepath.Join(d, "fd"))
		if err != nil {
			continue
		}
		for _, fd := range fds {
			if l, err := os.Readlink(filepath.Join(d, "fd", fd.Name())); err == nil && inodes[l] {
				v, _ := environValue(filepath.Join(d, "environ"), name)
				out = append(out, v)
				break
			}
		}
	}
	return out, len(out) > 0
}

// listeningInodes are the inodes of sockets listening (state 0A) on
// port at addr or the unspecified address.
func listeningInodes(file string, addr netip.Addr, port uint16) []string {
	f, err := os.Open(file)
	if err != nil {
		return nil
	}
	defer func() { _ = f.Close() }()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Scan()
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 10 || fields[3] != "0A" {
			continue
		}
		l, ok := parseProcAddr(fields[1])
		if !ok || l.Port() != port {
			continue
		}
		if a := l.Addr(); a == addr || a.IsUnspecified() {
			out = append(out, fields[9])
		}
	}
	return out
}
