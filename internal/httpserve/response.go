package httpserve

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"path"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// maxPostHandlerReadBytes is how much of a body the handler left unread
// the server reads to keep the connection (net/http's 256 KiB).
const maxPostHandlerReadBytes = 256 << 10

// response is the http.ResponseWriter of one request, and the request's
// body, context and reader state, in one allocation. Its writes follow
// net/http's response exactly: a 2 KiB buffer before the header is
// final, Content-Length when the whole body fit in it, chunking (or
// closing, for HTTP/1.0) otherwise, the same extra headers in the same
// order.
type response struct {
	conn *conn
	req  *http.Request
	// reqBody is the body the server made (req.Body may be the
	// Expect: 100-continue wrapper around it).
	reqBody io.ReadCloser
	body    body
	lr      limitedReader
	ecr     expectContinueReader
	ctx     reqContext
	// bodyDone is set once the body has been read to its end (or had
	// none): a background read may start.
	bodyDone bool
	// wantBackground is set when the handler asked for the context's
	// Done channel before reading its body to the end.
	wantBackground bool

	handlerHeader http.Header
	snapHeader    http.Header // the header as of WriteHeader, if the handler kept changing it
	calledHeader  bool
	wroteHeader   bool
	status        int
	contentLength int64
	written       int64
	handlerDone   atomic.Bool

	w  *bufio.Writer // the 2 KiB body buffer, over cw
	cw chunkWriter

	closeAfterReply     bool
	requestBodyLimitHit bool
	wants10KeepAlive    bool
	wantsClose          bool
	fullDuplex          bool
	setWriteDeadline    bool

	canWriteContinue atomic.Bool
	writeContinueMu  sync.Mutex

	trailers []string

	// url is the request's URL when its URI is of the plain form
	// (parsed.url).
	url url.URL
	// hdrVals is the array the request header's values share when it
	// has no more lines than this (parsed.vals): an SDK's request sends
	// nine to fourteen.
	hdrVals [16]string

	clenBuf   [10]byte
	statusBuf [3]byte
}

var (
	_ http.ResponseWriter = (*response)(nil)
	_ http.Flusher        = (*response)(nil)
	_ http.Hijacker       = (*response)(nil)
	_ io.ReaderFrom       = (*response)(nil)
	_ io.StringWriter     = (*response)(nil)
)

func (w *response) cancelCtx() { w.ctx.cancel() }

func (w *response) Header() http.Header {
	if w.handlerHeader == nil {
		w.handlerHeader = w.newHeader(4)
	}
	if w.snapHeader == nil && w.wroteHeader && !w.cw.wroteHeader {
		w.snapHeader = w.conn.snapshot(w.handlerHeader)
	}
	w.calledHeader = true
	return w.handlerHeader
}

func (w *response) header() http.Header {
	if w.handlerHeader == nil {
		w.handlerHeader = w.newHeader(0)
	}
	return w.handlerHeader
}

// maxSpareHeaderKeys is the most keys a handler header may have to be
// kept for the connection's next response (conn.spareHeader): a Go map
// of eight keys or fewer is one group.
const maxSpareHeaderKeys = 8

// newHeader is the handler's header map: the connection's spare one,
// emptied, or a new one. net/http makes a new map for every response;
// reusing the last one is safe because a handler may not use its
// ResponseWriter, whose map this is, after ServeHTTP returns, and the
// spare is given back only after the response was written whole.
func (w *response) newHeader(hint int) http.Header {
	if h := w.conn.spareHeader; h != nil {
		w.conn.spareHeader = nil
		clear(h)
		return h
	}
	return make(http.Header, hint)
}

func relevantCaller() runtime.Frame {
	pc := make([]uintptr, 16)
	n := runtime.Callers(1, pc)
	frames := runtime.CallersFrames(pc[:n])
	var frame runtime.Frame
	for {
		f, more := frames.Next()
		if !strings.HasPrefix(f.Function, "github.com/niwa-cloud/niwa/internal/httpserve.") {
			return f
		}
		if !more {
			break
		}
	}
	return frame
}

func (w *response) WriteHeader(code int) {
	if w.conn.isHijacked() {
		caller := relevantCaller()
		w.conn.srv.logf("http: response.WriteHeader on hijacked connection from %s (%s:%d)", caller.Function, path.Base(caller.File), caller.Line)
		return
	}
	if w.wroteHeader {
		caller := relevantCaller()
		w.conn.srv.logf("http: superfluous response.WriteHeader call from %s (%s:%d)", caller.Function, path.Base(caller.File), caller.Line)
		return
	}
	if code < 100 || code > 999 {
		panic(fmt.Sprintf("invalid WriteHeader code %v", code))
	}
	if code < 101 || code > 199 {
		w.disableWriteContinue()
	}
	if code >= 100 && code <= 199 && code != http.StatusSwitchingProtocols {
		bw := w.conn.bufw
		writeStatusLine(bw, w.req.ProtoAtLeast(1, 1), code, w.statusBuf[:])
		_ = w.header().WriteSubset(bw, excludedHeadersNoBody)
		_, _ = bw.WriteString("\r\n")
		_ = bw.Flush()
		return
	}
	w.wroteHeader = true
	w.status = code
	if w.calledHeader && w.snapHeader == nil {
		w.snapHeader = w.conn.snapshot(w.header())
	}
	if cl := headerGet(w.header(), "Content-Length"); cl != "" {
		v, err := strconv.ParseInt(cl, 10, 64)
		if err == nil && v >= 0 {
			w.contentLength = v
		} else {
			w.conn.srv.logf("http: invalid Content-Length of %q", cl)
			w.header().Del("Content-Length")
		}
	}
}

var excludedHeadersNoBody = map[string]bool{"Content-Length": true, "Transfer-Encoding": true}

func (w *response) disableWriteContinue() {
	w.writeContinueMu.Lock()
	w.canWriteContinue.Store(false)
	w.writeContinueMu.Unlock()
}

func (w *response) Write(data []byte) (int, error) { return w.write(len(data), data, "") }

func (w *response) WriteString(data string) (int, error) { return w.write(len(data), nil, data) }

func (w *response) write(lenData int, dataB []byte, dataS string) (int, error) {
	if w.conn.isHijacked() {
		if lenData > 0 {
			caller := relevantCaller()
			w.conn.srv.logf("http: response.Write on hijacked connection from %s (%s:%d)", caller.Function, path.Base(caller.File), caller.Line)
		}
		return 0, http.ErrHijacked
	}
	if w.canWriteContinue.Load() {
		w.disableWriteContinue()
	}
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if lenData == 0 {
		return 0, nil
	}
	if !bodyAllowedForStatus(w.status) {
		return 0, http.ErrBodyNotAllowed
	}
	w.written += int64(lenData)
	if w.contentLength != -1 && w.written > w.contentLength {
		return 0, http.ErrContentLength
	}
	bw := w.bodyWriter()
	if dataB != nil {
		return bw.Write(dataB)
	}
	return bw.WriteString(dataS)
}

func (w *response) bodyWriter() *bufio.Writer {
	if w.w == nil {
		w.cw.res = w
		if v := bodyWriterPool.Get(); v != nil {
			w.w = v.(*bufio.Writer)
			w.w.Reset(&w.cw)
		} else {
			w.w = bufio.NewWriterSize(&w.cw, bufferBeforeChunkingSize)
		}
	}
	return w.w
}

func (w *response) releaseBodyWriter() {
	if w.w != nil {
		w.w.Reset(nil)
		bodyWriterPool.Put(w.w)
		w.w = nil
	}
}

// ReadFrom is net/http's: the first 512 bytes through the buffer (for
// the Content-Type sniff), then straight to the connection when the
// response is not chunked (sendfile for a file).
func (w *response) ReadFrom(src io.Reader) (n int64, err error) {
	buf := copyBufPool.Get().(*[32 * 1024]byte)
	defer copyBufPool.Put(buf)
	rf, ok := w.conn.rwc.(io.ReaderFrom)
	if !ok {
		return io.CopyBuffer(writerOnly{w}, src, buf[:])
	}
	if !w.cw.wroteHeader {
		n0, err := io.CopyBuffer(writerOnly{w}, io.LimitReader(src, 512), buf[:])
		n += n0
		if err != nil || n0 < 512 {
			return n, err
		}
	}
	_ = w.bodyWriter().Flush()
	_ = w.cw.flush()
	if !w.cw.chunking && bodyAllowedForStatus(w.status) && w.req.Method != "HEAD" {
		n0, err := rf.ReadFrom(src)
		n += n0
		w.written += n0
		return n, err
	}
	n0, err := io.CopyBuffer(writerOnly{w}, src, buf[:])
	n += n0
	return n, err
}

var copyBufPool = sync.Pool{New: func() any { return new([32 * 1024]byte) }}

type writerOnly struct{ io.Writer }

func (w *response) finishRequest() {
	w.handlerDone.Store(true)
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if w.w != nil {
		_ = w.w.Flush()
		w.releaseBodyWriter()
	}
	w.cw.res = w
	w.cw.close()
	_ = w.conn.bufw.Flush()
	w.conn.r.abortPendingRead()
	_ = w.reqBody.Close()
}

func (w *response) shouldReuseConnection() bool {
	if w.closeAfterReply {
		return false
	}
	if w.req.Method != "HEAD" && w.contentLength != -1 && bodyAllowedForStatus(w.status) && w.contentLength != w.written {
		return false
	}
	if w.conn.werr != nil {
		return false
	}
	return !w.closedRequestBodyEarly()
}

func (w *response) closedRequestBodyEarly() bool {
	b, ok := w.reqBody.(*body)
	return ok && b.didEarlyClose()
}

func (w *response) Flush() { _ = w.FlushError() }

// FlushError is what http.ResponseController.Flush calls.
func (w *response) FlushError() error {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	var err error
	if w.w != nil {
		err = w.w.Flush()
	}
	w.cw.res = w
	if e2 := w.cw.flush(); err == nil {
		err = e2
	}
	return err
}

// SetReadDeadline is what http.ResponseController.SetReadDeadline calls
// (the edge, on every body read). It holds for every read from the
// connection from now on (wantReadDeadline): a body read served from the
// buffer needs none.
func (w *response) SetReadDeadline(t time.Time) error {
	w.conn.wantReadDeadline(t)
	return nil
}

// SetWriteDeadline is what http.ResponseController.SetWriteDeadline calls.
func (w *response) SetWriteDeadline(t time.Time) error {
	w.setWriteDeadline = true
	return w.conn.rwc.SetWriteDeadline(t)
}

// EnableFullDuplex is what http.ResponseController.EnableFullDuplex calls.
func (w *response) EnableFullDuplex() error {
	w.fullDuplex = true
	return nil
}

func (w *response) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if w.handlerDone.Load() {
		panic("net/http: Hijack called after ServeHTTP finished")
	}
	if w.wroteHeader {
		w.cw.res = w
		_ = w.cw.flush()
	}
	c := w.conn
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.hijacked {
		return nil, nil, http.ErrHijacked
	}
	c.r.abortPendingRead()
	c.hijacked = true
	rwc := c.rwc
	_ = rwc.SetDeadline(time.Time{})
	c.r.mu.Lock()
	c.r.rdWant, c.r.rdSet = time.Time{}, time.Time{}
	c.r.mu.Unlock()
	if c.r.hasByte {
		if _, err := c.bufr.Peek(c.bufr.Buffered() + 1); err != nil {
			return nil, nil, fmt.Errorf("unexpected Peek failure reading buffered byte: %v", err)
		}
	}
	c.bufw.Reset(rwc)
	buf := bufio.NewReadWriter(c.bufr, c.bufw)
	c.setState(http.StateHijacked)
	c.srv.trackConn(c, false)
	w.releaseBodyWriter()
	return rwc, buf, nil
}

func (w *response) requestTooLarge() {
	w.closeAfterReply = true
	w.requestBodyLimitHit = true
	if !w.wroteHeader {
		w.Header().Set("Connection", "close")
	}
}

func (w *response) sendExpectationFailed() {
	w.Header().Set("Connection", "close")
	w.WriteHeader(http.StatusExpectationFailed)
	w.finishRequest()
}

func (w *response) finalTrailers() http.Header {
	var t http.Header
	for k, vv := range w.handlerHeader {
		if kk, found := strings.CutPrefix(k, http.TrailerPrefix); found {
			if t == nil {
				t = make(http.Header)
			}
			t[kk] = vv
		}
	}
	for _, k := range w.trailers {
		if t == nil {
			t = make(http.Header)
		}
		for _, v := range w.handlerHeader[k] {
			t.Add(k, v)
		}
	}
	return t
}

func (w *response) declareTrailer(k string) {
	k = http.CanonicalHeaderKey(k)
	if badTrailer[k] {
		return
	}
	w.trailers = append(w.trailers, k)
}

// badTrailer is httpguts.ValidTrailerHeader's list.
var badTrailer = map[string]bool{
	"Authorization": true, "Cache-Control": true, "Connection": true, "Content-Encoding": true,
	"Content-Length": true, "Content-Range": true, "Content-Type": true, "Expect": true,
	"Host": true, "Keep-Alive": true, "Max-Forwards": true, "Pragma": true,
	"Proxy-Authenticate": true, "Proxy-Authorization": true, "Proxy-Connection": true,
	"Range": true, "Realm": true, "Te": true, "Trailer": true, "Transfer-Encoding": true,
	"Www-Authenticate": true,
}

func bodyAllowedForStatus(status int) bool {
	switch {
	case status >= 100 && status <= 199:
		return false
	case status == 204:
		return false
	case status == 304:
		return false
	}
	return true
}

func writeStatusLine(bw *bufio.Writer, is11 bool, code int, scratch []byte) {
	if is11 {
		_, _ = bw.WriteString("HTTP/1.1 ")
	} else {
		_, _ = bw.WriteString("HTTP/1.0 ")
	}
	if text := http.StatusText(code); text != "" {
		_, _ = bw.Write(strconv.AppendInt(scratch[:0], int64(code), 10))
		_ = bw.WriteByte(' ')
		_, _ = bw.WriteString(text)
		_, _ = bw.WriteString("\r\n")
	} else {
		_, _ = fmt.Fprintf(bw, "%03d status code %d\r\n", code, code)
	}
}

// chunkWriter finalises the header on the first write (net/http's
// chunkWriter) and frames the body in chunks when it must.
type chunkWriter struct {
	res         *response
	wroteHeader bool
	chunking    bool
}

func (cw *chunkWriter) Write(p []byte) (n int, err error) {
	if !cw.wroteHeader {
		cw.writeHeader(p)
	}
	if cw.res.req.Method == "HEAD" {
		return len(p), nil
	}
	bw := cw.res.conn.bufw
	if cw.chunking {
		var hdr [18]byte
		b := strconv.AppendInt(hdr[:0], int64(len(p)), 16)
		b = append(b, '\r', '\n')
		if _, err = bw.Write(b); err != nil {
			_ = cw.res.conn.rwc.Close()
			return 0, err
		}
	}
	n, err = bw.Write(p)
	if cw.chunking && err == nil {
		_, err = bw.WriteString("\r\n")
	}
	if err != nil {
		_ = cw.res.conn.rwc.Close()
	}
	return n, err
}

func (cw *chunkWriter) flush() error {
	if !cw.wroteHeader {
		cw.writeHeader(nil)
	}
	return cw.res.conn.bufw.Flush()
}

func (cw *chunkWriter) close() {
	if !cw.wroteHeader {
		cw.writeHeader(nil)
	}
	if cw.chunking {
		bw := cw.res.conn.bufw
		_, _ = bw.WriteString("0\r\n")
		if trailers := cw.res.finalTrailers(); trailers != nil {
			_ = trailers.Write(bw)
		}
		_, _ = bw.WriteString("\r\n")
	}
}

// extraHeader is what writeHeader adds to the handler's header.
type extraHeader struct {
	contentType      string
	connection       string
	transferEncoding string
	date             []byte
	contentLength    []byte
}

func (h *extraHeader) write(w *bufio.Writer) {
	if h.date != nil {
		_, _ = w.WriteString("Date: ")
		_, _ = w.Write(h.date)
		_, _ = w.WriteString("\r\n")
	}
	if h.contentLength != nil {
		_, _ = w.WriteString("Content-Length: ")
		_, _ = w.Write(h.contentLength)
		_, _ = w.WriteString("\r\n")
	}
	for i, v := range [...]string{h.contentType, h.connection, h.transferEncoding} {
		if v != "" {
			_, _ = w.WriteString(extraHeaderKeys[i])
			_, _ = w.WriteString(": ")
			_, _ = w.WriteString(v)
			_, _ = w.WriteString("\r\n")
		}
	}
}

var extraHeaderKeys = [...]string{"Content-Type", "Connection", "Transfer-Encoding"}

func headerGet(h http.Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// writeHeader is net/http's chunkWriter.writeHeader: the status line,
// the handler's header and the headers the server adds, decided from
// what the handler set and, when the handler is done, the whole body p.
func (cw *chunkWriter) writeHeader(p []byte) {
	if cw.wroteHeader {
		return
	}
	cw.wroteHeader = true
	w := cw.res
	keepAlives := !w.conn.srv.inShutdown.Load()
	isHEAD := w.req.Method == "HEAD"

	header := w.snapHeader
	owned := header != nil
	if !owned {
		header = w.header()
	}
	var exclude map[string]bool
	delHeader := func(key string) {
		if owned {
			header.Del(key)
			return
		}
		if _, ok := header[key]; !ok {
			return
		}
		if exclude == nil {
			exclude = make(map[string]bool)
		}
		exclude[key] = true
	}
	var setHeader extraHeader

	trailers := false
	for k := range w.snapHeader {
		if strings.HasPrefix(k, http.TrailerPrefix) {
			if exclude == nil {
				exclude = make(map[string]bool)
			}
			exclude[k] = true
			trailers = true
		}
	}
	for _, v := range w.snapHeader["Trailer"] {
		trailers = true
		foreachHeaderElement(v, w.declareTrailer)
	}

	te := headerGet(header, "Transfer-Encoding")
	hasTE := te != ""

	if w.handlerDone.Load() && !trailers && !hasTE && bodyAllowedForStatus(w.status) && !has(header, "Content-Length") && (!isHEAD || len(p) > 0) {
		w.contentLength = int64(len(p))
		setHeader.contentLength = strconv.AppendInt(w.clenBuf[:0], int64(len(p)), 10)
	}

	if w.wants10KeepAlive && keepAlives {
		sentLength := headerGet(header, "Content-Length") != ""
		if sentLength && headerGet(header, "Connection") == "keep-alive" {
			w.closeAfterReply = false
		}
	}

	hasCL := w.contentLength != -1

	if w.wants10KeepAlive && (isHEAD || hasCL || !bodyAllowedForStatus(w.status)) {
		if _, ok := header["Connection"]; !ok {
			setHeader.connection = "keep-alive"
		}
	} else if !w.req.ProtoAtLeast(1, 1) || w.wantsClose {
		w.closeAfterReply = true
	}

	if headerGet(header, "Connection") == "close" || !keepAlives {
		w.closeAfterReply = true
	}

	if ecr, ok := w.req.Body.(*expectContinueReader); ok && !ecr.sawEOF.Load() {
		w.closeAfterReply = true
	}

	if w.req.ContentLength != 0 && !w.closeAfterReply && !w.fullDuplex {
		var discard, tooBig, closeRead bool
		switch bdy := w.req.Body.(type) {
		case *expectContinueReader:
		case *body:
			bdy.mu.Lock()
			switch {
			case bdy.closed:
				if !bdy.sawEOF {
					w.closeAfterReply = true
				}
			case bdy.unreadDataSizeLocked() >= maxPostHandlerReadBytes:
				tooBig = true
			case bdy.sawEOF:
				// Read to its end: what discarding it would find
				// (io.EOF, then Close), without the copy.
				closeRead = true
			default:
				discard = true
			}
			bdy.mu.Unlock()
			if closeRead {
				if err := w.reqBody.Close(); err != nil {
					w.closeAfterReply = true
				}
			}
		default:
			discard = true
		}
		if discard {
			_, err := io.CopyN(io.Discard, w.reqBody, maxPostHandlerReadBytes+1)
			switch err {
			case nil:
				tooBig = true
			case http.ErrBodyReadAfterClose:
			case io.EOF:
				if err := w.reqBody.Close(); err != nil {
					w.closeAfterReply = true
				}
			default:
				w.closeAfterReply = true
			}
		}
		if tooBig {
			w.requestTooLarge()
			delHeader("Connection")
			setHeader.connection = "close"
		}
	}

	code := w.status
	if bodyAllowedForStatus(code) {
		_, haveType := header["Content-Type"]
		hasCE := len(headerGet(header, "Content-Encoding")) > 0
		if !hasCE && !haveType && !hasTE && len(p) > 0 {
			setHeader.contentType = http.DetectContentType(p)
		}
	} else {
		for _, k := range suppressedHeaders(code) {
			delHeader(k)
		}
	}

	if !has(header, "Date") {
		setHeader.date = w.conn.date()
	}

	if hasCL && hasTE && te != "identity" {
		w.conn.srv.logf("http: WriteHeader called with both Transfer-Encoding of %q and a Content-Length of %d", te, w.contentLength)
		delHeader("Content-Length")
		hasCL = false
	}

	switch {
	case w.req.Method == "HEAD" || !bodyAllowedForStatus(code) || code == http.StatusNoContent:
		delHeader("Transfer-Encoding")
	case hasCL:
		delHeader("Transfer-Encoding")
	case w.req.ProtoAtLeast(1, 1):
		if hasTE && te == "identity" {
			cw.chunking = false
			w.closeAfterReply = true
			delHeader("Transfer-Encoding")
		} else {
			cw.chunking = true
			setHeader.transferEncoding = "chunked"
			if hasTE && te == "chunked" {
				delHeader("Transfer-Encoding")
			}
		}
	default:
		w.closeAfterReply = true
		delHeader("Transfer-Encoding")
	}

	if cw.chunking {
		delHeader("Content-Length")
	}
	if !w.req.ProtoAtLeast(1, 0) {
		return
	}

	delConnectionHeader := w.closeAfterReply &&
		(!keepAlives || !hasToken(headerGet(w.snapHeader, "Connection"), "close")) &&
		!isProtocolSwitchResponse(w.status, header)
	if delConnectionHeader {
		delHeader("Connection")
		if w.req.ProtoAtLeast(1, 1) {
			setHeader.connection = "close"
		}
	}

	bw := w.conn.bufw
	writeStatusLine(bw, w.req.ProtoAtLeast(1, 1), code, w.statusBuf[:])
	writeSubset(bw, w.snapHeader, exclude)
	setHeader.write(bw)
	_, _ = bw.WriteString("\r\n")
}

// writeSubset is http.Header.WriteSubset without its sorter pool and
// interface sort: the keys not excluded in order, a key that is not a
// token skipped, each value with CR and LF made spaces and trimmed.
func writeSubset(bw *bufio.Writer, h http.Header, exclude map[string]bool) {
	var arr [24]string
	keys := arr[:0]
	for k := range h {
		if !exclude[k] {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !isToken(k) {
			continue
		}
		for _, v := range h[k] {
			if strings.ContainsAny(v, "\r\n") {
				v = newlineToSpace.Replace(v)
			}
			v = trimASCIISpace(v)
			_, _ = bw.WriteString(k)
			_, _ = bw.WriteString(": ")
			_, _ = bw.WriteString(v)
			_, _ = bw.WriteString("\r\n")
		}
	}
}

var newlineToSpace = strings.NewReplacer("\n", " ", "\r", " ")

func has(h http.Header, key string) bool {
	_, ok := h[key]
	return ok
}

func isProtocolSwitchResponse(code int, h http.Header) bool {
	return code == http.StatusSwitchingProtocols && len(h["Upgrade"]) > 0 && hasToken(headerGet(h, "Connection"), "upgrade")
}

var suppressedHeaders304 = []string{"Content-Type", "Content-Length", "Transfer-Encoding"}
var suppressedHeadersNoBody = []string{"Content-Length", "Transfer-Encoding"}

func suppressedHeaders(status int) []string {
	switch {
	case status == 304:
		return suppressedHeaders304
	case !bodyAllowedForStatus(status):
		return suppressedHeadersNoBody
	}
	return nil
}

func foreachHeaderElement(v string, fn func(string)) {
	v = trimASCIISpace(v)
	if v == "" {
		return
	}
	if !strings.Contains(v, ",") {
		fn(v)
		return
	}
	for f := range strings.SplitSeq(v, ",") {
		if f = trimASCIISpace(f); f != "" {
			fn(f)
		}
	}
}

// body is a request body: Content-Length bytes or chunks from the
// connection's reader, as net/http's body.
type body struct {
	src          io.Reader
	r            *bufio.Reader // for the trailer after chunks
	res          *response     // whose request gets the trailer
	trailer      bool          // a trailer follows the chunks
	doEarlyClose bool

	mu         sync.Mutex
	sawEOF     bool
	closed     bool
	earlyClose bool
}

func (b *body) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return 0, http.ErrBodyReadAfterClose
	}
	return b.readLocked(p)
}

func (b *body) readLocked(p []byte) (n int, err error) {
	if b.sawEOF {
		return 0, io.EOF
	}
	n, err = b.src.Read(p)
	if err == io.EOF {
		b.sawEOF = true
		if b.trailer {
			if e := b.readTrailer(); e != nil {
				err = e
				b.sawEOF = false
				b.closed = true
			}
			b.trailer = false
		} else if lr, ok := b.src.(*limitedReader); ok && lr.n > 0 {
			err = io.ErrUnexpectedEOF
		}
	}
	if err == nil && n > 0 {
		if lr, ok := b.src.(*limitedReader); ok && lr.n == 0 {
			err = io.EOF
			b.sawEOF = true
		}
	}
	if b.sawEOF {
		b.res.bodyEnded()
	}
	return n, err
}

func (b *body) readTrailer() error {
	buf, err := b.r.Peek(2)
	if len(buf) == 2 && buf[0] == '\r' && buf[1] == '\n' {
		_, _ = b.r.Discard(2)
		return nil
	}
	if len(buf) < 2 {
		return errors.New("http: unexpected EOF reading trailer")
	}
	if err != nil {
		return err
	}
	// The trailer must end within the buffer (net/http's bound).
	var all []byte
	for size := 4; ; size++ {
		p, err := b.r.Peek(size)
		if len(p) >= 4 && string(p[len(p)-4:]) == "\r\n\r\n" {
			all = p
			break
		}
		if err != nil {
			return errors.New("http: suspiciously long trailer after chunked body")
		}
	}
	h, err := parseHeader(string(all), nil)
	if err != nil {
		return err
	}
	_, _ = b.r.Discard(len(all))
	t := b.res.req.Trailer
	if t == nil {
		b.res.req.Trailer = h
	} else {
		for k, v := range h {
			t[k] = v
		}
	}
	return nil
}

func (b *body) unreadDataSizeLocked() int64 {
	if lr, ok := b.src.(*limitedReader); ok {
		return lr.n
	}
	return -1
}

func (b *body) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil
	}
	var err error
	switch {
	case b.sawEOF:
	case b.doEarlyClose:
		if lr, ok := b.src.(*limitedReader); ok && lr.n > maxPostHandlerReadBytes {
			b.earlyClose = true
		} else {
			var n int64
			n, err = io.CopyN(io.Discard, bodyLocked{b}, maxPostHandlerReadBytes)
			if err == io.EOF {
				err = nil
			}
			if n == maxPostHandlerReadBytes {
				b.earlyClose = true
			}
		}
	default:
		_, err = io.Copy(io.Discard, bodyLocked{b})
	}
	b.closed = true
	return err
}

func (b *body) didEarlyClose() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.earlyClose
}

type bodyLocked struct{ b *body }

func (bl bodyLocked) Read(p []byte) (int, error) {
	if bl.b.closed {
		return 0, http.ErrBodyReadAfterClose
	}
	return bl.b.readLocked(p)
}

// limitedReader is io.LimitedReader over the connection's reader.
type limitedReader struct {
	r *bufio.Reader
	n int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}

func newChunkedReader(r *bufio.Reader) io.Reader { return httputil.NewChunkedReader(r) }

// expectContinueReader sends 100 Continue on the body's first read, as
// net/http's.
type expectContinueReader struct {
	resp       *response
	readCloser io.ReadCloser
	closed     atomic.Bool
	sawEOF     atomic.Bool
}

func (ecr *expectContinueReader) Read(p []byte) (int, error) {
	if ecr.closed.Load() {
		return 0, http.ErrBodyReadAfterClose
	}
	w := ecr.resp
	if w.canWriteContinue.Load() {
		w.writeContinueMu.Lock()
		if w.canWriteContinue.Load() {
			_, _ = w.conn.bufw.WriteString("HTTP/1.1 100 Continue\r\n\r\n")
			_ = w.conn.bufw.Flush()
			w.canWriteContinue.Store(false)
		}
		w.writeContinueMu.Unlock()
	}
	n, err := ecr.readCloser.Read(p)
	if err == io.EOF {
		ecr.sawEOF.Store(true)
	}
	return n, err
}

func (ecr *expectContinueReader) Close() error {
	ecr.closed.Store(true)
	return ecr.readCloser.Close()
}

// reqContext is the request's context, part of its response (no
// allocation, where context.WithCancel makes two). It is cancelled when
// the handler returns or the connection fails. Asking for its Done
// channel is what starts the background read that notices a client
// going away (net/http starts one for every request). It implements
// context's AfterFunc hook, so a context derived from it is cancelled
// with it without a goroutine waiting.
type reqContext struct {
	parent context.Context
	w      *response
	mu     sync.Mutex
	done   chan struct{}
	err    error
	after  map[*afterFunc]struct{}
}

type afterFunc struct{ f func() }

var _ context.Context = (*reqContext)(nil)

func (x *reqContext) Deadline() (time.Time, bool) { return x.parent.Deadline() }

func (x *reqContext) Value(key any) any { return x.parent.Value(key) }

func (x *reqContext) Err() error {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.err
}

func (x *reqContext) Done() <-chan struct{} {
	x.w.wantDone()
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.done == nil {
		x.done = make(chan struct{})
		if x.err != nil {
			close(x.done)
		}
	}
	return x.done
}

// AfterFunc is context.AfterFunc's hook (context's afterFuncer): f runs
// in its own goroutine once x is cancelled; stop unregisters it.
func (x *reqContext) AfterFunc(f func()) (stop func() bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.err != nil {
		go f()
		return func() bool { return false }
	}
	a := &afterFunc{f}
	if x.after == nil {
		x.after = map[*afterFunc]struct{}{}
	}
	x.after[a] = struct{}{}
	return func() bool {
		x.mu.Lock()
		defer x.mu.Unlock()
		_, ok := x.after[a]
		delete(x.after, a)
		return ok
	}
}

func (x *reqContext) cancel() {
	x.mu.Lock()
	if x.err != nil {
		x.mu.Unlock()
		return
	}
	x.err = context.Canceled
	if x.done != nil {
		close(x.done)
	}
	after := x.after
	x.after = nil
	x.mu.Unlock()
	for a := range after {
		go a.f()
	}
}

// wantDone starts the background read now if the body is read, or
// once it is.
func (w *response) wantDone() {
	c := w.conn
	c.r.mu.Lock()
	defer c.r.mu.Unlock()
	if w.wantBackground || w.handlerDone.Load() {
		return
	}
	w.wantBackground = true
	if w.bodyDone {
		c.r.startBackgroundReadLocked()
	}
}

// bodyEnded is called when the body has been read to its end.
func (w *response) bodyEnded() {
	c := w.conn
	c.r.mu.Lock()
	defer c.r.mu.Unlock()
	if w.bodyDone {
		return
	}
	w.bodyDone = true
	if w.wantBackground && !w.handlerDone.Load() {
		c.r.startBackgroundReadLocked()
	}
}

// connReader reads the connection for the buffered reader and runs the
// background read: one byte read while the handler runs, so that a
// client closing the connection cancels the request's context.
type connReader struct {
	c       *conn
	mu      sync.Mutex
	cond    sync.Cond
	hasByte bool
	byteBuf [1]byte
	inRead  bool
	aborted bool
	// rdWant is the read deadline reads should have, rdSet the one
	// last given to the connection (conn.wantReadDeadline).
	rdWant, rdSet time.Time
}

func (cr *connReader) applyDeadlineLocked() {
	if !cr.rdWant.Equal(cr.rdSet) {
		_ = cr.c.rwc.SetReadDeadline(cr.rdWant)
		cr.rdSet = cr.rdWant
	}
}

func (cr *connReader) startBackgroundReadLocked() {
	if cr.inRead || cr.hasByte || cr.c.hijacked {
		return
	}
	cr.inRead = true
	cr.rdWant = time.Time{}
	cr.applyDeadlineLocked()
	go cr.backgroundRead()
}

func (cr *connReader) backgroundRead() {
	n, err := cr.c.read(cr.byteBuf[:])
	cr.mu.Lock()
	if n == 1 {
		cr.hasByte = true
	}
	var ne net.Error
	if errors.As(err, &ne) && cr.aborted && ne.Timeout() {
		// Ignore: the abort's deadline.
	} else if err != nil {
		cr.c.cancelCtx()
	}
	cr.aborted = false
	cr.inRead = false
	cr.mu.Unlock()
	cr.cond.Broadcast()
}

var aLongTimeAgo = time.Unix(1, 0)

func (cr *connReader) abortPendingRead() {
	cr.mu.Lock()
	defer cr.mu.Unlock()
	if !cr.inRead {
		return
	}
	cr.aborted = true
	_ = cr.c.rwc.SetReadDeadline(aLongTimeAgo)
	for cr.inRead {
		cr.cond.Wait()
	}
	_ = cr.c.rwc.SetReadDeadline(time.Time{})
	cr.rdSet = time.Time{}
}

func (cr *connReader) Read(p []byte) (int, error) {
	cr.mu.Lock()
	if cr.inRead {
		cr.mu.Unlock()
		if cr.c.isHijacked() {
			panic("invalid Body.Read call. After hijacked, the original Request must not be used")
		}
		panic("invalid concurrent Body.Read call")
	}
	if len(p) == 0 {
		cr.mu.Unlock()
		return 0, nil
	}
	if cr.hasByte {
		p[0] = cr.byteBuf[0]
		cr.hasByte = false
		cr.mu.Unlock()
		return 1, nil
	}
	cr.applyDeadlineLocked()
	cr.inRead = true
	cr.mu.Unlock()
	n, err := cr.c.read(p)
	cr.mu.Lock()
	cr.inRead = false
	if err != nil {
		cr.c.cancelCtx()
	}
	cr.mu.Unlock()
	cr.cond.Broadcast()
	return n, err
}

// snapshot copies h into the connection's snapshot map, reused from
// request to request: the header as of WriteHeader, which net/http
// clones (a map and a slice a request) so that changes the handler makes
// afterwards are not sent. The copy is the server's alone and is dead
// once the header is on the wire.
func (c *conn) snapshot(h http.Header) http.Header {
	if c.snap == nil {
		c.snap = make(http.Header, len(h))
	}
	clear(c.snap)
	n := 0
	for _, vv := range h {
		n += len(vv)
	}
	if cap(c.snapVals) < n {
		c.snapVals = make([]string, n)
	}
	vals := c.snapVals[:n]
	for k, vv := range h {
		if vv == nil {
			c.snap[k] = nil
			continue
		}
		m := copy(vals, vv)
		c.snap[k] = vals[:m:m]
		vals = vals[m:]
	}
	return c.snap
}

// date is the Date header's value for a response written now: formatted
// once per second of the server's clock and kept by the connection (its
// responses are written one at a time), where net/http formats it for
// every response. Valid until the connection's next response.
func (c *conn) date() []byte {
	now := c.srv.now()
	if sec := now.Unix(); sec != c.dateSec || len(c.dateVal) == 0 {
		c.dateSec = sec
		c.dateVal = now.UTC().AppendFormat(c.dateBuf[:0], http.TimeFormat)
	}
	return c.dateVal
}
