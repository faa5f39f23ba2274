package server

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"testing"
	"time"
)

// TestListenerBoundBeforeNew: with Config.Listener (cmd/niwa binds before
// wiring), a client that connected and sent its request before the
// server was even built is answered once it serves, not refused.
func TestListenerBoundBeforeNew(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("GET /_niwa/clock HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{Listener: ln})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	if s.Addr() != ln.Addr().String() {
		t.Fatalf("Addr = %s, want the given listener's %s", s.Addr(), ln.Addr())
	}
	go func() { _ = s.Serve() }()
	defer s.Shutdown(context.Background())
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want 200", resp.StatusCode)
	}
}
