package httpserve

import (
	"bufio"
	"io"
	"log"
	"net"
	"runtime"
	"testing"
	"time"
)

// TestNoLeakPerConnection: connections that come, ask and go leave no
// goroutine and no memory behind.
func TestNoLeakPerConnection(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Handler: stsHandler, ReadHeaderTimeout: 5 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	go func() { _ = s.Serve(l) }()
	defer func() { _ = s.Close() }()
	round := func(n int) {
		for range n {
			c, err := net.Dial("tcp", l.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			br := bufio.NewReader(c)
			for range 3 {
				_, _ = io.WriteString(c, sdkRequest)
				if err := readResponse(br); err != nil {
					t.Fatal(err)
				}
			}
			_ = c.Close()
		}
	}
	settle := func() (int, uint64) {
		for range 50 {
			s.mu.Lock()
			n := len(s.conns)
			s.mu.Unlock()
			if n == 0 {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return runtime.NumGoroutine(), m.HeapAlloc
	}
	round(200)
	g0, h0 := settle()
	round(2000)
	g1, h1 := settle()
	if g1 > g0+2 {
		t.Errorf("goroutines %d -> %d after 2000 connections", g0, g1)
	}
	if h1 > h0+512<<10 {
		t.Errorf("heap %d -> %d bytes after 2000 connections", h0, h1)
	}
}
