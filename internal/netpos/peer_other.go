//go:build !linux

package netpos

import "net/netip"

// peerEnv cannot tell which process made a connection off Linux: every
// local connection counts as niwa's host's.
func peerEnv(local, remote netip.AddrPort, name string) (string, bool) { return "", false }

// listenerEnvs cannot tell who listens off Linux.
func listenerEnvs(addr netip.Addr, port uint16, name string) ([]string, bool) { return nil, false }
