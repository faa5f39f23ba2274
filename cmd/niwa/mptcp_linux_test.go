package main

import (
	"net"
	"syscall"
	"testing"
)

// TestListenersArePlainTCP: niwa's listeners are plain TCP sockets (the
// //go:debug multipathtcp=0 in main.go), not the Multipath TCP ones Go
// makes by default on Linux, whose probe and socket cost every start
// ~0.2 ms of CPU. serve binds its port with net.Listen, as this test does.
func TestListenersArePlainTCP(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	raw, err := ln.(*net.TCPListener).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var proto int
	var serr error
	if err := raw.Control(func(fd uintptr) {
		proto, serr = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_PROTOCOL)
	}); err != nil {
		t.Fatal(err)
	}
	if serr != nil {
		t.Fatal(serr)
	}
	if proto != syscall.IPPROTO_TCP {
		t.Fatalf("the listener's protocol is %d, want IPPROTO_TCP (%d); 262 is IPPROTO_MPTCP", proto, syscall.IPPROTO_TCP)
	}
}
