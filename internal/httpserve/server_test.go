package httpserve

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// serveOwn serves h from this package on a loopback listener.
func serveOwn(t *testing.T, s *Server) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if s.ErrorLog == nil {
		s.ErrorLog = log.New(io.Discard, "", 0)
	}
	go func() { _ = s.Serve(l) }()
	t.Cleanup(func() { _ = s.Close() })
	return l.Addr().String()
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	return c
}

// closedWithin reports whether the server closes c (without answering)
// within d.
func closedWithin(c net.Conn, d time.Duration) (bool, string) {
	_ = c.SetReadDeadline(time.Now().Add(d))
	b, err := io.ReadAll(c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return false, string(b)
	}
	return true, string(b)
}

var okHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") })

// TestTimeouts: a client slow to send its headers is disconnected after
// ReadHeaderTimeout, one idle between requests after IdleTimeout; one
// that keeps the deadlines is served.
func TestTimeouts(t *testing.T) {
	addr := serveOwn(t, &Server{Handler: okHandler, ReadHeaderTimeout: 300 * time.Millisecond, IdleTimeout: 600 * time.Millisecond})

	t.Run("slow header", func(t *testing.T) {
		c := dial(t, addr)
		_, _ = io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n")
		start := time.Now()
		closed, got := closedWithin(c, 3*time.Second)
		if !closed || got != "" {
			t.Fatalf("closed %v, answer %q", closed, got)
		}
		if d := time.Since(start); d < 250*time.Millisecond || d > 2*time.Second {
			t.Errorf("closed after %v, want ~300ms", d)
		}
	})
	t.Run("idle", func(t *testing.T) {
		c := dial(t, addr)
		br := bufio.NewReader(c)
		_, _ = io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		resp, err := http.ReadResponse(br, nil)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("first request: %v", err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		// Idle for 400ms (past the header timeout, inside the idle one):
		// still served.
		time.Sleep(400 * time.Millisecond)
		_, _ = io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		resp, err = http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("second request after 400ms idle: %v", err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		start := time.Now()
		_ = c.SetReadDeadline(time.Now().Add(3 * time.Second))
		if _, err := br.ReadByte(); err == nil {
			t.Fatal("read a byte from an idle connection")
		}
		if d := time.Since(start); d < 500*time.Millisecond || d > 2500*time.Millisecond {
			t.Errorf("idle connection closed after %v, want ~600ms", d)
		}
	})
}

// TestNoIdleBound: a negative IdleTimeout leaves a kept-alive connection
// open however long it idles (net/http's zero IdleTimeout with no
// ReadTimeout, what Lambda's Runtime API needs), while the header
// timeout still bounds a request once its first byte came.
func TestNoIdleBound(t *testing.T) {
	addr := serveOwn(t, &Server{Handler: okHandler, ReadHeaderTimeout: 100 * time.Millisecond, IdleTimeout: -1})
	c := dial(t, addr)
	br := bufio.NewReader(c)
	for i := range 2 {
		if i > 0 {
			// Idle four times the header timeout (which would be the idle
			// bound with a zero IdleTimeout).
			time.Sleep(400 * time.Millisecond)
		}
		_, _ = io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		resp, err := http.ReadResponse(br, nil)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("request %d: %v", i, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
	}
	_, _ = io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n")
	start := time.Now()
	closed, got := closedWithin(c, 3*time.Second)
	if !closed || got != "" {
		t.Fatalf("a slow header: closed %v, answer %q", closed, got)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("a slow header closed after %v, want ~100ms", d)
	}
}

// TestHostileInput: inputs that must not hang the server or grow its
// memory: an endless header line, endless headers, a line without end.
func TestHostileInput(t *testing.T) {
	addr := serveOwn(t, &Server{Handler: okHandler, ReadHeaderTimeout: 5 * time.Second})
	for name, chunk := range map[string]string{
		"endless header line": "a",
		"endless headers":     "X: y\r\n",
		"endless folding":     " more\r\n",
	} {
		t.Run(name, func(t *testing.T) {
			c := dial(t, addr)
			_, _ = io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\nX-First: 1\r\n")
			big := strings.Repeat(chunk, 64<<10/len(chunk))
			var sent int
			for sent < 4<<20 {
				n, err := io.WriteString(c, big)
				sent += n
				if err != nil {
					break
				}
			}
			_ = c.SetReadDeadline(time.Now().Add(3 * time.Second))
			b, _ := io.ReadAll(c)
			if !strings.HasPrefix(string(b), "HTTP/1.1 431 ") {
				t.Fatalf("after %d bytes: %q", sent, b)
			}
		})
	}
}

// TestHijack: a handler takes the connection (as the network model's
// proxy and WebSocket upgrades do), bytes the client sent after the
// request included, and the server lets go of it.
func TestHijack(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			return
		}
		defer func() { _ = conn.Close() }()
		if _, err := w.Write([]byte("x")); !errors.Is(err, http.ErrHijacked) {
			t.Errorf("write after hijack: %v", err)
		}
		_, _ = buf.WriteString("HTTP/1.1 101 Switching Protocols\r\n\r\n")
		_ = buf.Flush()
		line, _ := buf.ReadString('\n')
		_, _ = buf.WriteString("echo:" + line)
		_ = buf.Flush()
	})
	addr := serveOwn(t, &Server{Handler: h})
	c := dial(t, addr)
	_, _ = io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: test\r\nConnection: Upgrade\r\n\r\nhello\n")
	b, _ := io.ReadAll(c)
	if want := "HTTP/1.1 101 Switching Protocols\r\n\r\necho:hello\n"; string(b) != want {
		t.Fatalf("got %q, want %q", b, want)
	}
}

// TestContextCanceled: the request's context ends when the handler
// returns, and while the handler runs when the client goes away — once
// the handler waits on it (the background read starts then).
func TestContextCanceled(t *testing.T) {
	gone := make(chan error, 1)
	var kept, derived context.Context
	var mu sync.Mutex
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		kept = r.Context()
		var cancel context.CancelFunc
		derived, cancel = context.WithTimeout(r.Context(), time.Hour)
		mu.Unlock()
		// Cancelled with its parent, checked below; called late.
		time.AfterFunc(time.Minute, cancel)
		if r.URL.Path == "/wait" {
			_, _ = io.ReadAll(r.Body) // net/http too watches only after the body
			select {
			case <-r.Context().Done():
				gone <- r.Context().Err()
			case <-time.After(5 * time.Second):
				gone <- nil
			}
			return
		}
		_, _ = io.WriteString(w, "ok")
	})
	addr := serveOwn(t, &Server{Handler: h})
	c := dial(t, addr)
	_, _ = io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	if _, err := http.ReadResponse(bufio.NewReader(c), nil); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	if err := kept.Err(); !errors.Is(err, context.Canceled) {
		t.Errorf("after the handler: context error %v", err)
	}
	select {
	case <-derived.Done():
	case <-time.After(5 * time.Second):
		t.Error("a context derived from the request's not cancelled with it")
	}
	mu.Unlock()

	for _, raw := range []string{
		"GET /wait HTTP/1.1\r\nHost: x\r\n\r\n",
		"POST /wait HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc",
		"POST /wait HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
	} {
		c2 := dial(t, addr)
		_, _ = io.WriteString(c2, raw)
		time.Sleep(100 * time.Millisecond)
		_ = c2.Close()
		if err := <-gone; !errors.Is(err, context.Canceled) {
			t.Errorf("%q, client gone: context error %v", raw, err)
		}
	}
}

// TestResponseControllerDeadlines: http.ResponseController reaches the
// connection's deadlines (the edge's per-read body deadline).
func TestResponseControllerDeadlines(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		if err := rc.SetReadDeadline(time.Now().Add(200 * time.Millisecond)); err != nil {
			t.Errorf("SetReadDeadline: %v", err)
		}
		if err := rc.SetWriteDeadline(time.Now().Add(time.Second)); err != nil {
			t.Errorf("SetWriteDeadline: %v", err)
		}
		_, err := io.ReadAll(r.Body)
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Errorf("stalled body read: %v, want a timeout", err)
		}
	})
	addr := serveOwn(t, &Server{Handler: h})
	c := dial(t, addr)
	_, _ = io.WriteString(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
	if closed, _ := closedWithin(c, 3*time.Second); !closed {
		t.Fatal("connection not closed after the body's read deadline")
	}
}

// TestPanicRecovered: a handler's panic is logged and closes its
// connection; the server keeps serving. http.ErrAbortHandler is not
// logged.
func TestPanicRecovered(t *testing.T) {
	var logged bytes.Buffer
	var mu sync.Mutex
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/panic":
			panic("boom")
		case "/abort":
			panic(http.ErrAbortHandler)
		}
		_, _ = io.WriteString(w, "ok")
	})
	addr := serveOwn(t, &Server{Handler: h, ErrorLog: log.New(lockedWriter{&mu, &logged}, "", 0)})
	for _, p := range []string{"/panic", "/abort"} {
		c := dial(t, addr)
		_, _ = io.WriteString(c, "GET "+p+" HTTP/1.1\r\nHost: x\r\n\r\n")
		if closed, got := closedWithin(c, 3*time.Second); !closed || got != "" {
			t.Errorf("%s: closed %v, answer %q", p, closed, got)
		}
	}
	c := dial(t, addr)
	_, _ = io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	if resp, err := http.ReadResponse(bufio.NewReader(c), nil); err != nil || resp.StatusCode != 200 {
		t.Fatalf("after panics: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if s := logged.String(); !strings.Contains(s, "http: panic serving") || !strings.Contains(s, "boom") || strings.Count(s, "panic serving") != 1 {
		t.Errorf("log %q", s)
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestShutdown: Shutdown lets a request in flight finish and closes
// idle connections; Serve then returns http.ErrServerClosed.
func TestShutdown(t *testing.T) {
	started := make(chan struct{})
	release := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			close(started)
			<-release
		}
		_, _ = io.WriteString(w, "done")
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Handler: h}
	served := make(chan error, 1)
	go func() { served <- s.Serve(l) }()
	addr := l.Addr().String()

	idle := dial(t, addr)
	_, _ = io.WriteString(idle, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	ibr := bufio.NewReader(idle)
	if resp, err := http.ReadResponse(ibr, nil); err != nil {
		t.Fatal(err)
	} else {
		_, _ = io.Copy(io.Discard, resp.Body)
	}
	busy := dial(t, addr)
	_, _ = io.WriteString(busy, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
	<-started

	done := make(chan error, 1)
	go func() { done <- s.Shutdown(context.Background()) }()
	if _, err := ibr.ReadByte(); err == nil {
		t.Error("idle connection not closed by Shutdown")
	}
	select {
	case err := <-done:
		t.Fatalf("Shutdown returned %v with a request in flight", err)
	case <-time.After(200 * time.Millisecond):
	}
	close(release)
	resp, err := http.ReadResponse(bufio.NewReader(busy), nil)
	if err != nil {
		t.Fatalf("in-flight request: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	if string(b) != "done" {
		t.Errorf("in-flight body %q", b)
	}
	if err := <-done; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		t.Errorf("Serve: %v", err)
	}
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Error("listener still accepting")
	}
}

// countingListener counts its connections' SetReadDeadline calls.
type countingListener struct {
	net.Listener
	calls *atomic.Int64
}

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return countingConn{c, l.calls}, nil
}

type countingConn struct {
	net.Conn
	calls *atomic.Int64
}

func (c countingConn) SetReadDeadline(t time.Time) error {
	c.calls.Add(1)
	return c.Conn.SetReadDeadline(t)
}

// TestReadDeadlinesGivenWhenRead: the idle, header and body deadlines
// (the edge renews one on every body read) reach the connection only
// when it is read — once a request when the request arrives whole — and
// still hold: a body that stalls is cut off at its deadline.
func TestReadDeadlinesGivenWhenRead(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		buf := make([]byte, 512)
		for {
			_ = rc.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
			_, err := r.Body.Read(buf)
			if err == io.EOF {
				_ = rc.SetReadDeadline(time.Time{})
				break
			}
			if err != nil {
				http.Error(w, err.Error(), http.StatusRequestTimeout)
				return
			}
		}
		_, _ = io.WriteString(w, "ok")
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int64
	s := &Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, IdleTimeout: 10 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	go func() { _ = s.Serve(countingListener{l, &calls}) }()
	t.Cleanup(func() { _ = s.Close() })
	c := dial(t, l.Addr().String())
	br := bufio.NewReader(c)
	const n = 50
	for range n {
		_, _ = io.WriteString(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
	}
	// net/http gives each request five: idle, header, none, the body's
	// and none.
	if got := calls.Load(); got > n+2 {
		t.Errorf("%d SetReadDeadline calls for %d requests, want at most one each", got, n)
	}
	// A stalled body still times out.
	_, _ = io.WriteString(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusRequestTimeout {
		t.Errorf("stalled body: %s", resp.Status)
	}
}

// flakyListener fails its first Accepts with a temporary error, as a
// process out of file descriptors does.
type flakyListener struct {
	net.Listener
	fails atomic.Int32
}

type tempErr struct{}

func (tempErr) Error() string   { return "accept: too many open files" }
func (tempErr) Timeout() bool   { return false }
func (tempErr) Temporary() bool { return true }

func (l *flakyListener) Accept() (net.Conn, error) {
	if l.fails.Add(-1) >= 0 {
		return nil, tempErr{}
	}
	return l.Listener.Accept()
}

// TestAcceptRetriesTemporaryErrors: a temporary Accept error (EMFILE)
// is retried after a pause, as net/http does, not the end of serving.
func TestAcceptRetriesTemporaryErrors(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fl := &flakyListener{Listener: l}
	fl.fails.Store(3)
	s := &Server{Handler: okHandler, ErrorLog: log.New(io.Discard, "", 0)}
	go func() { _ = s.Serve(fl) }()
	t.Cleanup(func() { _ = s.Close() })
	c := dial(t, l.Addr().String())
	_, _ = io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	if resp, err := http.ReadResponse(bufio.NewReader(c), nil); err != nil || resp.StatusCode != 200 {
		t.Fatalf("after temporary accept errors: %v", err)
	}
}

// TestDateFollowsTheClock: the Date header is formatted once per second
// of the server's clock and kept per connection; a response in the same
// second reads the same, one in the next second the new time, whatever
// connection asks, and a Date the handler set is left as it is.
func TestDateFollowsTheClock(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("X", 3600))
	clock := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	}
	advance := func(d time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(d)
	}
	addr := serveOwn(t, &Server{Now: clock, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/own" {
			w.Header().Set("Date", "handler's")
		}
		_, _ = io.WriteString(w, "ok")
	})})
	c1, c2 := dial(t, addr), dial(t, addr)
	r1, r2 := bufio.NewReader(c1), bufio.NewReader(c2)
	date := func(c net.Conn, br *bufio.Reader, path string) string {
		t.Helper()
		if _, err := io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: h\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		return resp.Header.Get("Date")
	}
	for _, step := range []struct {
		advance time.Duration
		c       net.Conn
		br      *bufio.Reader
		path    string
		want    string
	}{
		{0, c1, r1, "/", "Fri, 02 Jan 2026 02:04:05 GMT"},
		{500 * time.Millisecond, c1, r1, "/", "Fri, 02 Jan 2026 02:04:05 GMT"},
		{0, c2, r2, "/", "Fri, 02 Jan 2026 02:04:05 GMT"},
		{499 * time.Millisecond, c1, r1, "/", "Fri, 02 Jan 2026 02:04:05 GMT"},
		{time.Millisecond, c1, r1, "/", "Fri, 02 Jan 2026 02:04:06 GMT"},
		{0, c1, r1, "/own", "handler's"},
		{0, c2, r2, "/", "Fri, 02 Jan 2026 02:04:06 GMT"},
		{time.Hour, c2, r2, "/", "Fri, 02 Jan 2026 03:04:06 GMT"},
		{0, c1, r1, "/", "Fri, 02 Jan 2026 03:04:06 GMT"},
		{-2 * time.Hour, c1, r1, "/", "Fri, 02 Jan 2026 01:04:06 GMT"},
	} {
		advance(step.advance)
		if got := date(step.c, step.br, step.path); got != step.want {
			t.Errorf("at %v, %s: Date %q, want %q", clock(), step.path, got, step.want)
		}
	}
}

// TestSpareHeaderAndValues: the handler's header map is the previous
// response's, reused on a kept-alive connection (conn.spareHeader), and
// every handler still finds it empty and sends only what it set; a map
// of more than maxSpareHeaderKeys keys is not kept. A request's header
// values share an array of the response (response.hdrVals), so a header
// a handler kept keeps its values after the connection's next request.
func TestSpareHeaderAndValues(t *testing.T) {
	type seen struct {
		keys   int
		header uintptr
		req    http.Header
	}
	var got []seen
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hdr := w.Header()
		got = append(got, seen{keys: len(hdr), header: uintptr(reflect.ValueOf(hdr).UnsafePointer()), req: r.Header})
		n, _ := strconv.Atoi(r.Header.Get("X-Keys"))
		for i := range n {
			hdr.Set("X-Set-"+strconv.Itoa(i), r.Header.Get("X-Id"))
		}
		_, _ = io.WriteString(w, "ok")
	})
	addr := serveOwn(t, &Server{Handler: h})
	c := dial(t, addr)
	br := bufio.NewReader(c)
	send := func(id string, keys int) string {
		t.Helper()
		if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\nX-Id: "+id+"\r\nX-Keys: "+strconv.Itoa(keys)+"\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		res, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		var set []string
		for k, vv := range res.Header {
			if strings.HasPrefix(k, "X-Set-") {
				set = append(set, k+"="+strings.Join(vv, ","))
			}
		}
		slices.Sort(set)
		return strings.Join(set, " ")
	}
	if s := send("a", 3); s != "X-Set-0=a X-Set-1=a X-Set-2=a" {
		t.Errorf("first response's headers: %q", s)
	}
	if s := send("b", 1); s != "X-Set-0=b" {
		t.Errorf("second response's headers: %q (the first's leaked?)", s)
	}
	if s := send("c", 12); strings.Count(s, "=c") != 12 || strings.Count(s, "=") != 12 {
		t.Errorf("third response's headers: %q", s)
	}
	if s := send("d", 0); s != "" {
		t.Errorf("fourth response's headers: %q", s)
	}
	for i, g := range got {
		if g.keys != 0 {
			t.Errorf("request %d: the handler's header had %d keys, want none", i, g.keys)
		}
	}
	if got[1].header != got[0].header || got[2].header != got[0].header {
		t.Errorf("the connection's second and third responses did not reuse the first's header map")
	}
	if got[3].header == got[2].header {
		t.Errorf("a header map of 12 keys was kept for the next response")
	}
	for i, id := range []string{"a", "b", "c", "d"} {
		if v := got[i].req.Get("X-Id"); v != id {
			t.Errorf("request %d's kept header: X-Id %q, want %q", i, v, id)
		}
	}
}
