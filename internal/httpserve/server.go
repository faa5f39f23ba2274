// Package httpserve is niwa's own HTTP/1.1 server for the plain-HTTP
// listener: what net/http's http.Server does for one, with the same
// *http.Request and http.ResponseWriter for handlers, the same bytes on
// the wire, limits and answers to malformed input, but less work per
// request (docs/performance.md, "niwa's own HTTP/1.1 server"). It reads
// the request line and headers in one pass from the connection's buffer
// into a header map whose keys and values are substrings of one string,
// derives no per-request goroutine unless the handler waits on the
// request's context, keeps one buffered reader and writer per
// connection and, on Linux, reads and writes a plain TCP connection's
// socket without announcing the system calls to the scheduler
// (sock_linux.go). HTTP/2 and TLS are not its business: the HTTPS listener
// stays on net/http.
package httpserve

import (
	"bufio"
	"context"
	"errors"
	"log"
	"net"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Server serves HTTP/1.x on the listeners given to Serve.
type Server struct {
	// Handler answers every request.
	Handler http.Handler
	// ReadHeaderTimeout bounds reading a request's headers, from its
	// first byte; zero is no bound.
	ReadHeaderTimeout time.Duration
	// IdleTimeout bounds the wait for the next request on a kept-alive
	// connection; zero is ReadHeaderTimeout's value, as net/http's;
	// negative is no bound (net/http's zero IdleTimeout with no
	// ReadTimeout).
	IdleTimeout time.Duration
	// MaxHeaderBytes bounds the request line and headers (zero:
	// http.DefaultMaxHeaderBytes); past it the answer is 431.
	MaxHeaderBytes int
	// ErrorLog receives accept errors and handlers' panics (nil: the
	// log package's standard logger).
	ErrorLog *log.Logger
	// Now is the clock of the responses' Date header (nil: time.Now,
	// as net/http's).
	Now func() time.Time

	mu         sync.Mutex
	listeners  map[*net.Listener]struct{}
	conns      map[*conn]struct{}
	inShutdown atomic.Bool
}

func (s *Server) logf(format string, args ...any) {
	if s.ErrorLog != nil {
		s.ErrorLog.Printf(format, args...)
	} else {
		log.Printf(format, args...)
	}
}

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Server) maxHeaderBytes() int {
	if s.MaxHeaderBytes > 0 {
		return s.MaxHeaderBytes
	}
	return defaultMaxHeaderBytes
}

func (s *Server) idleTimeout() time.Duration {
	if s.IdleTimeout != 0 {
		return s.IdleTimeout
	}
	return s.ReadHeaderTimeout
}

// Serve accepts connections on l and serves each in its own goroutine
// until Shutdown or Close, after which it returns http.ErrServerClosed.
func (s *Server) Serve(l net.Listener) error {
	if !s.trackListener(&l, true) {
		return http.ErrServerClosed
	}
	defer s.trackListener(&l, false)
	base := context.WithValue(context.Background(), http.LocalAddrContextKey, l.Addr())
	var delay time.Duration
	for {
		rw, err := l.Accept()
		if err != nil {
			if s.inShutdown.Load() {
				return http.ErrServerClosed
			}
			// Retried as net/http retries them: errors that say they
			// are temporary (too many open files among them).
			if te, ok := err.(interface{ Temporary() bool }); ok && te.Temporary() {
				if delay == 0 {
					delay = 5 * time.Millisecond
				} else {
					delay *= 2
				}
				if delay > time.Second {
					delay = time.Second
				}
				s.logf("http: Accept error: %v; retrying in %v", err, delay)
				time.Sleep(delay)
				continue
			}
			return err
		}
		delay = 0
		c := &conn{srv: s, rwc: rw, sock: newSock(rw), created: time.Now()}
		c.state.Store(int32(http.StateNew))
		if !s.trackConn(c, true) {
			_ = rw.Close()
			return http.ErrServerClosed
		}
		go c.serve(base)
	}
}

func (s *Server) trackListener(l *net.Listener, add bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if add {
		if s.inShutdown.Load() {
			return false
		}
		if s.listeners == nil {
			s.listeners = map[*net.Listener]struct{}{}
		}
		s.listeners[l] = struct{}{}
	} else {
		delete(s.listeners, l)
	}
	return true
}

func (s *Server) trackConn(c *conn, add bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if add {
		if s.inShutdown.Load() {
			return false
		}
		if s.conns == nil {
			s.conns = map[*conn]struct{}{}
		}
		s.conns[c] = struct{}{}
	} else {
		delete(s.conns, c)
	}
	return true
}

func (s *Server) closeListenersLocked() error {
	var err error
	for l := range s.listeners {
		if cerr := (*l).Close(); cerr != nil && err == nil {
			err = cerr
		}
	}
	return err
}

// Close closes the listeners and every connection, active or not.
func (s *Server) Close() error {
	s.inShutdown.Store(true)
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.closeListenersLocked()
	for c := range s.conns {
		_ = c.rwc.Close()
		delete(s.conns, c)
	}
	return err
}

// Shutdown closes the listeners, then closes each connection once it is
// idle, until none are left or ctx ends (its error returned), as
// http.Server.Shutdown. Hijacked connections are not its concern.
func (s *Server) Shutdown(ctx context.Context) error {
	s.inShutdown.Store(true)
	s.mu.Lock()
	lnerr := s.closeListenersLocked()
	s.mu.Unlock()
	interval := time.Millisecond
	t := time.NewTimer(interval)
	defer t.Stop()
	for {
		if s.closeIdleConns() {
			return lnerr
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			if interval < 500*time.Millisecond {
				interval *= 2
			}
			t.Reset(interval)
		}
	}
}

// closeIdleConns closes the connections waiting for a request (and new
// ones that have sent nothing for 5 s) and says whether none are left.
func (s *Server) closeIdleConns() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	quiescent := true
	for c := range s.conns {
		st := http.ConnState(c.state.Load())
		if st == http.StateNew && time.Since(c.created) > 5*time.Second {
			st = http.StateIdle
		}
		if st != http.StateIdle {
			quiescent = false
			continue
		}
		_ = c.rwc.Close()
		delete(s.conns, c)
	}
	return quiescent
}

// conn is one client connection.
type conn struct {
	srv *Server
	rwc net.Conn
	// sock, when not nil, reads and writes rwc's socket directly
	// (sock_linux.go); conn.read and conn.write choose.
	sock    *sock
	created time.Time
	state   atomic.Int32 // an http.ConnState

	remoteAddr string
	r          connReader
	bufr       *bufio.Reader
	bufw       *bufio.Writer
	werr       error

	mu       sync.Mutex // guards hijacked
	hijacked bool
	lastPOST bool
	// cur is the request being served, whose context a read or write
	// error on the connection cancels.
	cur atomic.Pointer[response]
	// snap and snapVals hold responses' header snapshots (snapshot).
	snap     http.Header
	snapVals []string
	// spareHeader is the previous response's handler header map, empty
	// once taken (response.newHeader): a map is two allocations (its
	// header and its group), and a connection's responses are one at a
	// time. Given back only when the connection serves another request
	// (not after a hijack), and only a map of one group, which clear
	// empties in one step.
	spareHeader http.Header
	// dateSec is the second of the server's clock dateVal (in dateBuf)
	// is the Date header of (conn.date).
	dateSec int64
	dateVal []byte
	dateBuf [len(http.TimeFormat)]byte
}

// wantReadDeadline sets the read deadline the connection's next read
// from the network has. It is given to the connection only then
// (connReader.Read): between two requests the deadline changes three to
// five times (idle, header, none, the edge's per-read body deadline and
// none again) while the connection is read once or twice, and each
// change given at once arms or stops a runtime timer.
func (c *conn) wantReadDeadline(t time.Time) {
	c.r.mu.Lock()
	defer c.r.mu.Unlock()
	c.r.rdWant = t
	if c.r.inRead {
		// A background read is waiting: it sees the deadline now, as
		// on net/http.
		c.r.applyDeadlineLocked()
	}
}

// cancelCtx cancels the request being served (the connection failed).
func (c *conn) cancelCtx() {
	if w := c.cur.Load(); w != nil {
		w.ctx.cancel()
	}
}

var (
	readerPool sync.Pool
	writerPool sync.Pool
	// bodyWriterPool holds the 2 KiB writers a response buffers in
	// before it decides between Content-Length and chunking (net/http's
	// bufferBeforeChunkingSize).
	bodyWriterPool sync.Pool
)

const bufferBeforeChunkingSize = 2048

func newReader(r *connReader) *bufio.Reader {
	if v := readerPool.Get(); v != nil {
		br := v.(*bufio.Reader)
		br.Reset(r)
		return br
	}
	return bufio.NewReaderSize(r, 4096)
}

func newWriter(w *conn) *bufio.Writer {
	if v := writerPool.Get(); v != nil {
		bw := v.(*bufio.Writer)
		bw.Reset(connWriter{w})
		return bw
	}
	return bufio.NewWriterSize(connWriter{w}, 4096)
}

// connWriter notes the first write error and cancels the connection's
// context with it, as net/http's checkConnErrorWriter.
type connWriter struct{ c *conn }

func (w connWriter) Write(p []byte) (int, error) {
	n, err := w.c.write(p)
	if err != nil && w.c.werr == nil {
		w.c.werr = err
		w.c.cancelCtx()
	}
	return n, err
}

// read reads the connection: its socket directly when it has one.
func (c *conn) read(p []byte) (int, error) {
	if c.sock != nil {
		return c.sock.read(p)
	}
	return c.rwc.Read(p)
}

// write writes the connection: its socket directly when it has one.
func (c *conn) write(p []byte) (int, error) {
	if c.sock != nil {
		return c.sock.write(p)
	}
	return c.rwc.Write(p)
}

func (c *conn) setState(st http.ConnState) {
	c.state.Store(int32(st))
}

func (c *conn) isHijacked() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hijacked
}

func (c *conn) serve(base context.Context) {
	if ra := c.rwc.RemoteAddr(); ra != nil {
		c.remoteAddr = ra.String()
	}
	var inFlight *response
	defer func() {
		if err := recover(); err != nil && err != http.ErrAbortHandler {
			const size = 64 << 10
			buf := make([]byte, size)
			buf = buf[:runtime.Stack(buf, false)]
			c.srv.logf("http: panic serving %v: %v\n%s", c.remoteAddr, err, buf)
		}
		if inFlight != nil {
			inFlight.cancelCtx()
			inFlight.disableWriteContinue()
		}
		if !c.isHijacked() {
			if inFlight != nil {
				c.r.abortPendingRead()
				_ = inFlight.reqBody.Close()
			}
			c.close()
			c.setState(http.StateClosed)
			c.srv.trackConn(c, false)
		}
	}()

	ctx := base
	c.r.c = c
	c.r.cond.L = &c.r.mu
	c.bufr = newReader(&c.r)
	c.bufw = newWriter(c)

	if d := c.srv.ReadHeaderTimeout; d > 0 {
		c.wantReadDeadline(time.Now().Add(d))
	}
	for {
		w, err := c.readRequest(ctx)
		if c.srv.inShutdown.Load() {
			return
		}
		if err != nil {
			c.answerBadRequest(err)
			return
		}
		req := w.req
		if expect := headerGet(req.Header, "Expect"); hasToken(expect, "100-continue") {
			if req.ProtoAtLeast(1, 1) && req.ContentLength != 0 {
				w.ecr = expectContinueReader{resp: w, readCloser: req.Body}
				req.Body = &w.ecr
				w.canWriteContinue.Store(true)
			}
		} else if expect != "" {
			w.sendExpectationFailed()
			return
		}
		c.cur.Store(w)
		inFlight = w
		c.srv.Handler.ServeHTTP(w, w.req)
		inFlight = nil
		w.cancelCtx()
		if c.isHijacked() {
			return
		}
		w.finishRequest()
		if w.setWriteDeadline {
			_ = c.rwc.SetWriteDeadline(time.Time{})
		}
		if !w.shouldReuseConnection() {
			if w.requestBodyLimitHit || w.closedRequestBodyEarly() {
				c.closeWriteAndWait()
			}
			return
		}
		if h := w.handlerHeader; h != nil && len(h) <= maxSpareHeaderKeys {
			c.spareHeader = h
		}
		c.setState(http.StateIdle)
		c.cur.Store(nil)
		if c.srv.inShutdown.Load() {
			return
		}
		if d := c.srv.idleTimeout(); d > 0 {
			c.wantReadDeadline(time.Now().Add(d))
		} else {
			c.wantReadDeadline(time.Time{})
		}
		// Wait for the next request's first bytes before its header
		// timeout starts.
		if _, err := c.bufr.Peek(1); err != nil {
			return
		}
		if d := c.srv.ReadHeaderTimeout; d > 0 {
			c.wantReadDeadline(time.Now().Add(d))
		} else {
			c.wantReadDeadline(time.Time{})
		}
	}
}

// answerBadRequest answers a request that could not be read, in
// net/http's words, and the connection closes.
func (c *conn) answerBadRequest(err error) {
	const errorHeaders = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"
	var pe *parseError
	var se *statusError
	switch {
	case err == errTooLarge:
		const publicErr = "431 Request Header Fields Too Large"
		_, _ = c.rwc.Write([]byte("HTTP/1.1 " + publicErr + errorHeaders + publicErr))
		c.closeWriteAndWait()
	case errors.As(err, &pe) && pe.unsupported:
		_, _ = c.rwc.Write([]byte("HTTP/1.1 501 Not Implemented" + errorHeaders + "Unsupported transfer encoding"))
	case isCommonNetReadError(err):
	case errors.As(err, &se):
		t := http.StatusText(se.code)
		line := itoa(se.code) + " " + t + ": " + se.text
		_, _ = c.rwc.Write([]byte("HTTP/1.1 " + line + errorHeaders + line))
	default:
		const publicErr = "400 Bad Request"
		_, _ = c.rwc.Write([]byte("HTTP/1.1 " + publicErr + errorHeaders + publicErr))
	}
}

func itoa(n int) string {
	return string([]byte{byte('0' + n/100), byte('0' + n/10%10), byte('0' + n%10)})
}

func isCommonNetReadError(err error) bool {
	if err == errUnexpectedEOF {
		return false
	}
	if isEOF(err) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	var oe *net.OpError
	return errors.As(err, &oe) && oe.Op == "read"
}

func (c *conn) finalFlush() {
	if c.bufr != nil {
		c.bufr.Reset(nil)
		readerPool.Put(c.bufr)
		c.bufr = nil
	}
	if c.bufw != nil {
		_ = c.bufw.Flush()
		c.bufw.Reset(nil)
		writerPool.Put(c.bufw)
		c.bufw = nil
	}
}

func (c *conn) close() {
	c.finalFlush()
	_ = c.rwc.Close()
}

// rstAvoidanceDelay is net/http's: after closing the write side, how
// long to wait before closing the socket so the client reads the answer
// before a reset.
const rstAvoidanceDelay = 500 * time.Millisecond

func (c *conn) closeWriteAndWait() {
	c.finalFlush()
	if tcp, ok := c.rwc.(interface{ CloseWrite() error }); ok {
		_ = tcp.CloseWrite()
	}
	time.Sleep(rstAvoidanceDelay)
}

// readRequest reads the next request's line and headers and prepares
// its body and response.
func (c *conn) readRequest(ctx context.Context) (*response, error) {
	if c.lastPOST {
		// RFC 7230 section 3: tolerate the CRLF old clients send after a
		// POST body.
		peek, _ := c.bufr.Peek(4)
		n := 0
		for n < len(peek) && (peek[n] == '\r' || peek[n] == '\n') {
			n++
		}
		_, _ = c.bufr.Discard(n)
	}
	block, n, err := readHeaderBlock(c.bufr, c.srv.maxHeaderBytes()+headerSlop)
	if err != nil {
		return nil, err
	}
	c.setState(http.StateActive)
	w := &response{conn: c, contentLength: -1}
	w.cw.res = w
	s := string(block)
	if n > 0 {
		_, _ = c.bufr.Discard(n)
	}
	p := parsed{url: &w.url, vals: w.hdrVals[:0]}
	var req http.Request
	if err := parseRequest(s, &req, &p); err != nil {
		return nil, err
	}
	if err := serverCheck(&req, &p); err != nil {
		return nil, err
	}
	c.lastPOST = req.Method == "POST"
	switch {
	case p.chunked:
		w.body = body{src: newChunkedReader(c.bufr), r: c.bufr, res: w, trailer: true, doEarlyClose: true}
		req.Body = &w.body
	case req.ContentLength > 0:
		w.lr = limitedReader{r: c.bufr, n: req.ContentLength}
		w.body = body{src: &w.lr, res: w, doEarlyClose: true}
		req.Body = &w.body
	default:
		req.Body = http.NoBody
	}
	req.RemoteAddr = c.remoteAddr
	c.wantReadDeadline(time.Time{})
	w.ctx.parent, w.ctx.w = ctx, w
	w.req = req.WithContext(&w.ctx)
	w.reqBody = w.req.Body
	connection := headerGet(req.Header, "Connection")
	w.wants10KeepAlive = req.ProtoMajor == 1 && req.ProtoMinor == 0 && hasToken(connection, "keep-alive")
	w.wantsClose = req.Close || hasToken(connection, "close")
	if req.Method == "PRI" && req.ContentLength == -1 && !p.chunked {
		// The HTTP/2 preface: the handler may hijack it; otherwise the
		// connection closes after the answer (net/http's isH2Upgrade).
		w.closeAfterReply = true
	}
	if req.ContentLength == 0 || w.body.sawEOF {
		w.bodyDone = true
	}
	return w, nil
}
