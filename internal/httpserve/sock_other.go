//go:build !linux || race

package httpserve

import "net"

// sock is linux's raw socket reader and writer (sock_linux.go); here
// connections are read and written as net.Conn.
type sock struct{}

func newSock(net.Conn) *sock { return nil }

func (*sock) read([]byte) (int, error)  { panic("httpserve: no raw socket on this platform") }
func (*sock) write([]byte) (int, error) { panic("httpserve: no raw socket on this platform") }
