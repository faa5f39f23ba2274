//go:build linux && !race

package httpserve

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"
)

// tcpPair is a connected pair of loopback TCP connections.
func tcpPair(t *testing.T) (server, client *net.TCPConn) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	s, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close(); _ = s.Close() })
	return s.(*net.TCPConn), c.(*net.TCPConn)
}

// TestSockOnlyForSockets: only a bare TCP or Unix connection is read
// directly; anything wrapping one (TLS, a peeked buffer) is read as the
// net.Conn it is, since its bytes are not the socket's.
func TestSockOnlyForSockets(t *testing.T) {
	s, _ := tcpPair(t)
	if newSock(s) == nil {
		t.Error("no raw socket for a *net.TCPConn")
	}
	if newSock(tls.Server(s, &tls.Config{})) != nil {
		t.Error("a raw socket under a *tls.Conn")
	}
	if newSock(struct{ net.Conn }{s}) != nil {
		t.Error("a raw socket under a wrapping net.Conn")
	}
	a, b, err := unixPair()
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	defer b.Close()
	if newSock(a) == nil {
		t.Error("no raw socket for a *net.UnixConn")
	}
}

func unixPair() (*net.UnixConn, *net.UnixConn, error) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		return nil, nil, err
	}
	conn := func(fd int) (*net.UnixConn, error) {
		f := os.NewFile(uintptr(fd), "unix")
		defer f.Close()
		c, err := net.FileConn(f)
		if err != nil {
			return nil, err
		}
		return c.(*net.UnixConn), nil
	}
	a, err := conn(fds[0])
	if err != nil {
		return nil, nil, err
	}
	b, err := conn(fds[1])
	if err != nil {
		_ = a.Close()
		return nil, nil, err
	}
	return a, b, nil
}

// TestServerReadsItsSocketsDirectly: the server's plain TCP connections
// are read and written through their sockets.
func TestServerReadsItsSocketsDirectly(t *testing.T) {
	s := &Server{Handler: okHandler}
	addr := serveOwn(t, s)
	c := dial(t, addr)
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 512)
	n, err := c.Read(buf)
	if err != nil || !bytes.HasPrefix(buf[:n], []byte("HTTP/1.1 200 OK\r\n")) {
		t.Fatalf("answer %q, %v", buf[:n], err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.conns) != 1 {
		t.Fatalf("%d connections tracked, want 1", len(s.conns))
	}
	for sc := range s.conns {
		if sc.sock == nil {
			t.Error("the connection is read through net.Conn, not its socket")
		}
	}
}

// TestSockMovesBytes: what one side writes the other reads whole, both
// ways, with more in flight than the socket buffers hold (so that a
// write waits in the poller for room).
func TestSockMovesBytes(t *testing.T) {
	s, c := tcpPair(t)
	raw := newSock(s)
	_ = s.SetDeadline(time.Now().Add(20 * time.Second))
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	payload := make([]byte, 16<<20)
	_, _ = rand.Read(payload)

	// The socket writes; the peer reads slowly at first.
	got := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(io.LimitReader(c, int64(len(payload))))
		got <- b
	}()
	n, err := raw.write(payload)
	if err != nil || n != len(payload) {
		t.Fatalf("write: %d, %v", n, err)
	}
	if b := <-got; !bytes.Equal(b, payload) {
		t.Fatalf("the peer read %d bytes, not what was written", len(b))
	}

	// The peer writes; the socket reads (and first waits for bytes).
	go func() { _, _ = c.Write(payload) }()
	var rb bytes.Buffer
	buf := make([]byte, 64<<10)
	for rb.Len() < len(payload) {
		n, err := raw.read(buf)
		if err != nil {
			t.Fatalf("read after %d bytes: %v", rb.Len(), err)
		}
		rb.Write(buf[:n])
	}
	if !bytes.Equal(rb.Bytes(), payload) {
		t.Fatal("read bytes differ from what the peer wrote")
	}
	if n, err := raw.read(nil); n != 0 || err != nil {
		t.Errorf("empty read: %d, %v", n, err)
	}
}

// TestSockErrorsAsNetConn: the raw socket's errors are the ones net.Conn
// gives (the server tells a client gone or slow from a malformed request
// by them): io.EOF at the end, a timeout at the deadline, *net.OpError
// "read"/"write" otherwise.
func TestSockErrorsAsNetConn(t *testing.T) {
	t.Run("end", func(t *testing.T) {
		s, c := tcpPair(t)
		_ = c.Close()
		if n, err := newSock(s).read(make([]byte, 8)); n != 0 || err != io.EOF {
			t.Errorf("read at the end: %d, %v; want 0, io.EOF", n, err)
		}
	})
	t.Run("deadline", func(t *testing.T) {
		s, _ := tcpPair(t)
		_ = s.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
		_, err := newSock(s).read(make([]byte, 8))
		var ne net.Error
		var oe *net.OpError
		if !errors.As(err, &ne) || !ne.Timeout() || !errors.As(err, &oe) || oe.Op != "read" || !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("read past the deadline: %v (%T); want a timeout *net.OpError read", err, err)
		}
		if !isCommonNetReadError(err) {
			t.Error("the server would answer a timed-out read as a bad request")
		}
	})
	t.Run("reset", func(t *testing.T) {
		s, c := tcpPair(t)
		_ = c.SetLinger(0)
		_ = c.Close() // on loopback the reset is s's before Close returns
		raw := newSock(s)
		_, err := raw.read(make([]byte, 8))
		var oe *net.OpError
		if !errors.As(err, &oe) || oe.Op != "read" || !errors.Is(err, syscall.ECONNRESET) {
			t.Errorf("read after a reset: %v; want *net.OpError read ECONNRESET", err)
		}
		var werr error
		for range 10 { // the first write after a reset may still be taken
			if _, werr = raw.write([]byte("x")); werr != nil {
				break
			}
		}
		if !errors.As(werr, &oe) || oe.Op != "write" {
			t.Errorf("write after a reset: %v; want *net.OpError write", werr)
		}
	})
	t.Run("closed", func(t *testing.T) {
		s, _ := tcpPair(t)
		raw := newSock(s)
		_ = s.Close()
		_, err := raw.read(make([]byte, 8))
		var oe *net.OpError
		if !errors.As(err, &oe) || oe.Op != "read" || !errors.Is(err, net.ErrClosed) {
			t.Errorf("read of a closed connection: %v; want *net.OpError read net.ErrClosed", err)
		}
	})
}
