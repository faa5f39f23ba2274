package httpserve

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Parsing limits. The header block (request line, headers, blank line)
// may be net/http's DefaultMaxHeaderBytes plus its 4 KiB of read slop;
// past that the request is answered 431, as net/http does.
const (
	defaultMaxHeaderBytes = http.DefaultMaxHeaderBytes
	headerSlop            = 4096
	// maxHeaderLines bounds the header map: a block of one-byte headers
	// within the size limit would otherwise make a map of ~250,000 keys.
	// net/http has no such bound; no client sends anything near it.
	maxHeaderLines = 10000
)

// errTooLarge is a header block past the limit (431).
var errTooLarge = errors.New("httpserve: request headers too large")

// parseError is a request net/http's http.ReadRequest refuses too; the
// server answers it 400 (or 501 for an unsupported transfer coding).
type parseError struct {
	msg         string
	unsupported bool // an unsupported Transfer-Encoding (501)
}

func (e *parseError) Error() string { return e.msg }

// statusError is a request http.ReadRequest accepts but net/http's server
// refuses (a missing Host, a header name with a space, HTTP/2.0): it is
// answered with its code and text, as net/http answers it.
type statusError struct {
	code int
	text string
}

func (e *statusError) Error() string { return http.StatusText(e.code) + ": " + e.text }

func badRequest(format string, args ...any) error {
	return &parseError{msg: fmt.Sprintf(format, args...)}
}

// readHeaderBlock returns the request line and headers up to and
// including the blank line that ends them. When the whole block is in
// br's buffer (every request an SDK sends) it is a slice of that buffer,
// valid until br is next read, and n is how many bytes to discard;
// otherwise it is a copy and n is 0.
func readHeaderBlock(br *bufio.Reader, limit int) (block []byte, n int, err error) {
	scanned, lines := 0, 0
	for {
		buf, _ := br.Peek(br.Buffered())
		if end, more, ok := scanBlock(buf, &scanned, &lines); ok {
			return buf[:end], end, nil
		} else if !more {
			return nil, 0, errTooLarge
		}
		if len(buf) >= limit {
			return nil, 0, errTooLarge
		}
		if len(buf) == br.Size() {
			break // the buffer is full: copy lines out
		}
		if _, err := br.Peek(len(buf) + 1); err != nil {
			if len(buf) > 0 && isEOF(err) {
				return nil, 0, errUnexpectedEOF
			}
			return nil, 0, err
		}
	}
	// A block larger than the buffer: gather it line by line.
	acc := make([]byte, 0, 2*br.Size())
	scanned = 0
	lines = 0
	for {
		line, err := br.ReadSlice('\n')
		acc = append(acc, line...)
		if len(acc) > limit {
			return nil, 0, errTooLarge
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			if isEOF(err) {
				return nil, 0, errUnexpectedEOF
			}
			return nil, 0, err
		}
		if end, more, ok := scanBlock(acc, &scanned, &lines); ok {
			return acc[:end], 0, nil
		} else if !more {
			return nil, 0, errTooLarge
		}
	}
}

// scanBlock looks for the blank line that ends the header block in
// buf, resuming at *scanned (the start of the first line not yet seen).
// ok says it was found (end is the block's length); more is false when
// the block has more lines than maxHeaderLines.
func scanBlock(buf []byte, scanned, lines *int) (end int, more, ok bool) {
	i := *scanned
	for {
		j := bytes.IndexByte(buf[i:], '\n')
		if j < 0 {
			*scanned = i
			return 0, true, false
		}
		line := buf[i : i+j]
		if *lines > 0 && (len(line) == 0 || len(line) == 1 && line[0] == '\r') {
			return i + j + 1, true, true
		}
		*lines++
		if *lines > maxHeaderLines+1 {
			return 0, false, false
		}
		i += j + 1
	}
}

// errUnexpectedEOF is a connection that ended inside a header block
// (answered 400, as net/http answers io.ErrUnexpectedEOF).
var errUnexpectedEOF = errors.New("httpserve: unexpected EOF in request headers")

func isEOF(err error) bool { return errors.Is(err, io.EOF) }

// nextLine cuts the first line off s, without its "\n" or "\r\n".
func nextLine(s string) (line, rest string) {
	i := strings.IndexByte(s, '\n')
	if i < 0 {
		return s, ""
	}
	line, rest = s[:i], s[i+1:]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, rest
}

// parsed is one request's parse: the http.Request and the fields the
// server needs that the request does not carry.
type parsed struct {
	chunked bool
	// hosts are the Host header's values, kept out of the header map
	// (net/http drops Host from it after reading): a map of eight keys
	// or fewer is one group, of nine or more a table, and an SDK's query
	// request sends nine with Host.
	hosts    []string
	haveHost bool
	// badName is a header name that is not a token (one with a space,
	// which canonicalKey keeps as sent).
	badName bool
	// url, when set, is where a request URI of the plain form (a path of
	// characters that need no escaping, an optional query) is parsed to
	// instead of a new url.URL.
	url *url.URL
	// vals, when its capacity holds every header line, is the array the
	// header's value slices share instead of a new one: the response's
	// (response.hdrVals), which the request already keeps alive through
	// its context, so it costs no allocation of its own.
	vals []string
}

// headerKeys is how many keys the request's header had as read, Host
// included (net/http's checks that count them run before it drops Host).
func (p *parsed) headerKeys(h http.Header) int {
	if p.haveHost {
		return len(h) + 1
	}
	return len(h)
}

// parseRequest fills req from block (the header block as one string)
// exactly as http.ReadRequest reads the same bytes: same method, URI,
// protocol, URL, Host, headers (canonical keys, values trimmed, folded
// lines joined), Close, ContentLength, TransferEncoding and Trailer; and
// refuses what it refuses. It does not read the body.
func parseRequest(block string, req *http.Request, p *parsed) error {
	line, rest := nextLine(block)
	method, after, ok1 := strings.Cut(line, " ")
	uri, proto, ok2 := strings.Cut(after, " ")
	if !ok1 || !ok2 {
		return badRequest("malformed HTTP request %q", line)
	}
	if !isToken(method) {
		return badRequest("invalid method %q", method)
	}
	major, minor, ok := http.ParseHTTPVersion(proto)
	if !ok {
		return badRequest("malformed HTTP version %q", proto)
	}
	req.Method, req.RequestURI, req.Proto, req.ProtoMajor, req.ProtoMinor = method, uri, proto, major, minor

	raw := uri
	justAuthority := method == "CONNECT" && !strings.HasPrefix(raw, "/")
	if justAuthority {
		raw = "http://" + raw
	}
	var u *url.URL
	if p.url != nil && plainRequestURI(raw) {
		u = p.url
		path, query, _ := strings.Cut(raw, "?")
		*u = url.URL{Path: path, RawQuery: query}
	} else {
		var err error
		if u, err = url.ParseRequestURI(raw); err != nil {
			return err
		}
	}
	if justAuthority {
		u.Scheme = ""
	}
	req.URL = u

	h, err := parseHeader(rest, p)
	if err != nil {
		return err
	}
	req.Header = h
	if len(p.hosts) > 1 {
		return badRequest("too many Host headers")
	}
	req.Host = u.Host
	if req.Host == "" && len(p.hosts) > 0 {
		req.Host = p.hosts[0]
	}
	if hp, ok := h["Pragma"]; ok && len(hp) > 0 && hp[0] == "no-cache" {
		if _, ok := h["Cache-Control"]; !ok {
			h["Cache-Control"] = []string{"no-cache"}
		}
	}
	req.Close = shouldClose(major, minor, h)
	return fixTransfer(req, p)
}

// plainRequestURI reports whether url.ParseRequestURI(raw) is the URL
// of Path and RawQuery alone, raw's two sides of its first '?': a path
// that starts with '/' and has only bytes url's path escaping leaves as
// they are (no '%' to unescape, so RawPath is empty), and a query
// without control bytes (url's only check of it) that is not empty (a
// lone trailing '?' is ForceQuery). TestPlainRequestURI holds it to
// url.ParseRequestURI.
func plainRequestURI(raw string) bool {
	if raw == "" || raw[0] != '/' {
		return false
	}
	i := 0
	for ; i < len(raw) && raw[i] != '?'; i++ {
		if !plainPathByte[raw[i]] {
			return false
		}
	}
	if i == len(raw) {
		return true
	}
	if i == len(raw)-1 {
		return false // ForceQuery
	}
	for i++; i < len(raw); i++ {
		if c := raw[i]; c < ' ' || c == 0x7f {
			return false
		}
	}
	return true
}

// plainPathByte: the bytes url.URL's path escaping (shouldEscape with
// encodePath) keeps as they are.
var plainPathByte = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for _, c := range "-_.~$&+,/:;=@" {
		t[c] = true
	}
	return t
}()

// isHostLine reports whether a header line (not a continuation) is a
// Host header's: its key canonicalizes to "Host".
func isHostLine(l string) bool {
	return len(l) >= 5 && l[4] == ':' && asciiEqualFold(l[:4], "host")
}

// parseHeader reads header lines as textproto.Reader.ReadMIMEHeader does.
// With p, Host's values go to p.hosts instead of the map (a request's
// header); without it (a trailer) they stay in the map.
func parseHeader(s string, p *parsed) (http.Header, error) {
	n, hostLines := 0, 0
	for t := s; t != ""; {
		var l string
		l, t = nextLine(t)
		if l == "" {
			break
		}
		if l[0] != ' ' && l[0] != '\t' {
			n++
			if p != nil && isHostLine(l) {
				hostLines++
			}
		}
	}
	h := make(http.Header, n-hostLines)
	var vals []string
	if p != nil && cap(p.vals) >= n {
		vals = p.vals[:n:n]
	} else {
		vals = make([]string, n)
	}
	if s != "" && (s[0] == ' ' || s[0] == '\t') {
		l, _ := nextLine(s)
		if len(l) > 80 {
			l = l[:80]
		}
		return h, badRequest("malformed MIME header initial line: %q", l)
	}
	for {
		var line string
		line, s = nextLine(s)
		if line == "" {
			return h, nil
		}
		if strings.IndexByte(line, ':') < 0 {
			return h, badRequest("malformed MIME header: missing colon: %q", line)
		}
		kv := trimOWS(line)
		// Folded continuation lines join the value with one space.
		if s != "" && (s[0] == ' ' || s[0] == '\t') {
			b := []byte(kv)
			for s != "" && (s[0] == ' ' || s[0] == '\t') {
				var cont string
				cont, s = nextLine(strings.TrimLeft(s, " \t"))
				b = append(b, ' ')
				b = append(b, trimOWS(cont)...)
			}
			kv = string(b)
		}
		k, v, _ := strings.Cut(kv, ":")
		key, ok, spaced := canonicalKey(k)
		if !ok {
			return h, badRequest("malformed MIME header line: %q", kv)
		}
		if p != nil && spaced {
			p.badName = true // a name with a space, refused by serverCheck
		}
		for i := 0; i < len(v); i++ {
			if !validHeaderValueByte(v[i]) {
				return h, badRequest("malformed MIME header line: %q", kv)
			}
		}
		value := v
		for value != "" && (value[0] == ' ' || value[0] == '\t') {
			value = value[1:]
		}
		if p != nil && key == "Host" {
			p.haveHost = true
			if p.hosts == nil && len(vals) > 0 {
				p.hosts, vals = vals[:1:1], vals[1:]
				p.hosts[0] = value
			} else {
				p.hosts = append(p.hosts, value)
			}
			continue
		}
		vv := h[key]
		if vv == nil && len(vals) > 0 {
			vv, vals = vals[:1:1], vals[1:]
			vv[0] = value
			h[key] = vv
		} else {
			h[key] = append(vv, value)
		}
	}
}

// trimOWS trims spaces and tabs from both ends.
func trimOWS(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

// canonicalKey is textproto's canonical form of k. A key already
// canonical is returned as is (a substring of the request's one string);
// one of the common headers in another case comes from commonKeys; a key
// with a space is kept as sent (net/http's server refuses it later). ok
// is false for an empty key or one with bytes no header name has;
// spaced says the key has a space (and is not a token).
func canonicalKey(k string) (key string, ok, spaced bool) {
	if k == "" {
		return "", false, false
	}
	canonical, upper := true, true
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !validHeaderFieldByte(c) {
			if c == ' ' {
				for j := i + 1; j < len(k); j++ {
					if c := k[j]; !validHeaderFieldByte(c) && c != ' ' {
						return "", false, false
					}
				}
				return k, true, true
			}
			return "", false, false
		}
		if upper && 'a' <= c && c <= 'z' || !upper && 'A' <= c && c <= 'Z' {
			canonical = false
		}
		upper = c == '-'
	}
	if canonical {
		return k, true, false
	}
	var scratch [64]byte
	var b []byte
	if len(k) <= len(scratch) {
		b = scratch[:len(k)]
	} else {
		b = make([]byte, len(k))
	}
	upper = true
	for i := 0; i < len(k); i++ {
		c := k[i]
		if upper && 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		} else if !upper && 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b[i] = c
		upper = c == '-'
	}
	if v, ok := commonKeyTable[string(b)]; ok {
		return v, true, false
	}
	return string(b), true, false
}

// commonKeyTable holds the canonical forms of the headers AWS clients
// send, so that one sent in another case (the CLI's lower-case
// x-amz-date, HTTP/2-style lower-case clients) does not allocate.
var commonKeyTable = func() map[string]string {
	m := map[string]string{}
	for _, k := range []string{
		"Accept", "Accept-Encoding", "Amz-Sdk-Invocation-Id", "Amz-Sdk-Request",
		"Authorization", "Cache-Control", "Connection", "Content-Encoding",
		"Content-Length", "Content-Md5", "Content-Type", "Date", "Expect", "Host",
		"If-Match", "If-Modified-Since", "If-None-Match", "Range", "Transfer-Encoding",
		"User-Agent", "X-Amz-Content-Sha256", "X-Amz-Date", "X-Amz-Decoded-Content-Length",
		"X-Amz-Security-Token", "X-Amz-Target", "X-Amz-User-Agent", "X-Amz-Checksum-Crc32",
		"X-Amz-Sdk-Checksum-Algorithm", "X-Amz-Trailer", "X-Amz-Api-Version",
	} {
		m[k] = k
	}
	return m
}()

// fixTransfer is net/http's readTransfer for a request: the
// Transfer-Encoding (chunked only, on HTTP/1.1), the Content-Length
// (duplicates must agree) and the Trailer.
func fixTransfer(req *http.Request, p *parsed) error {
	h := req.Header
	if raw, ok := h["Transfer-Encoding"]; ok {
		delete(h, "Transfer-Encoding")
		if req.ProtoAtLeast(1, 1) {
			if len(raw) != 1 {
				return &parseError{msg: fmt.Sprintf("too many transfer encodings: %q", raw), unsupported: true}
			}
			if !asciiEqualFold(raw[0], "chunked") {
				return &parseError{msg: fmt.Sprintf("unsupported transfer encoding: %q", raw[0]), unsupported: true}
			}
			p.chunked = true
		}
	}
	cls := h["Content-Length"]
	if len(cls) > 1 {
		first := trimASCIISpace(cls[0])
		for _, ct := range cls[1:] {
			if first != trimASCIISpace(ct) {
				return badRequest("http: message cannot contain multiple Content-Length headers; got %q", cls)
			}
		}
		h["Content-Length"] = []string{first}
		cls = h["Content-Length"]
	}
	var n int64
	if len(cls) > 0 {
		cl := trimASCIISpace(cls[0])
		if cl == "" {
			return badRequest("invalid empty Content-Length %q", cl)
		}
		v, err := strconv.ParseUint(cl, 10, 63)
		if err != nil {
			return badRequest("bad Content-Length %q", cl)
		}
		n = int64(v)
	}
	switch {
	case p.chunked:
		delete(h, "Content-Length")
		req.ContentLength = -1
		req.TransferEncoding = []string{"chunked"}
	case len(cls) > 0:
		req.ContentLength = n
	default:
		req.ContentLength = 0
	}
	if vv, ok := h["Trailer"]; ok && p.chunked {
		delete(h, "Trailer")
		var trailer http.Header
		for _, v := range vv {
			for _, f := range strings.Split(v, ",") {
				f = trimASCIISpace(f)
				if f == "" {
					continue
				}
				key := http.CanonicalHeaderKey(f)
				switch key {
				case "Transfer-Encoding", "Trailer", "Content-Length":
					return badRequest("bad trailer key %q", key)
				}
				if trailer == nil {
					trailer = http.Header{}
				}
				trailer[key] = nil
			}
		}
		req.Trailer = trailer
	}
	if req.Method == "PRI" && p.headerKeys(h) == 0 && req.URL.Path == "*" && req.Proto == "HTTP/2.0" {
		req.ContentLength = -1
		req.Close = true
	}
	return nil
}

// serverCheck is what net/http's server refuses of a request
// http.ReadRequest accepted. The Host header it reads from p: parseRequest
// kept it out of the map, which is what net/http drops it from (the
// request carries it in Host). The names were checked as they were read
// (p.badName); the values need no check of net/http's here, since
// parseHeader refused any byte it refuses (validHeaderValueByte allows
// no control byte but tab), Host's too.
func serverCheck(req *http.Request, p *parsed) error {
	if req.ProtoMajor != 1 && !(req.ProtoMajor == 2 && req.ProtoMinor == 0 && req.Method == "PRI" && req.RequestURI == "*") {
		return &statusError{http.StatusHTTPVersionNotSupported, "unsupported protocol version"}
	}
	hosts, haveHost := p.hosts, p.haveHost
	isH2Upgrade := req.Method == "PRI" && p.headerKeys(req.Header) == 0 && req.URL.Path == "*" && req.Proto == "HTTP/2.0"
	if req.ProtoAtLeast(1, 1) && (!haveHost || len(hosts) == 0) && !isH2Upgrade && req.Method != "CONNECT" {
		return &statusError{http.StatusBadRequest, "missing required Host header"}
	}
	if len(hosts) == 1 {
		for i := 0; i < len(hosts[0]); i++ {
			if !validHostByte[hosts[0][i]] {
				return &statusError{http.StatusBadRequest, "malformed Host header"}
			}
		}
	}
	if p.badName {
		return &statusError{http.StatusBadRequest, "invalid header name"}
	}
	return nil
}

func shouldClose(major, minor int, h http.Header) bool {
	if major < 1 {
		return true
	}
	conv := h["Connection"]
	hasClose := valuesContainToken(conv, "close")
	if major == 1 && minor == 0 {
		return hasClose || !valuesContainToken(conv, "keep-alive")
	}
	return hasClose
}

// valuesContainToken is httpguts.HeaderValuesContainsToken.
func valuesContainToken(values []string, token string) bool {
	for _, v := range values {
		for {
			e, rest, more := strings.Cut(v, ",")
			if e = trimOWS(e); asciiEqualFold(e, token) {
				return true
			}
			if !more {
				break
			}
			v = rest
		}
	}
	return false
}

// hasToken is net/http's hasToken: token appears in v at token
// boundaries (space, comma, tab), ASCII case-insensitively.
func hasToken(v, token string) bool {
	if len(token) > len(v) || token == "" {
		return false
	}
	if v == token {
		return true
	}
	for sp := 0; sp <= len(v)-len(token); sp++ {
		if b := v[sp]; b != token[0] && b|0x20 != token[0] {
			continue
		}
		if sp > 0 && !isTokenBoundary(v[sp-1]) {
			continue
		}
		if end := sp + len(token); end != len(v) && !isTokenBoundary(v[end]) {
			continue
		}
		if asciiEqualFold(v[sp:sp+len(token)], token) {
			return true
		}
	}
	return false
}

func isTokenBoundary(b byte) bool { return b == ' ' || b == ',' || b == '\t' }

func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// trimASCIISpace is textproto.TrimString.
func trimASCIISpace(s string) string {
	for len(s) > 0 && isASCIISpace(s[0]) {
		s = s[1:]
	}
	for len(s) > 0 && isASCIISpace(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

func isASCIISpace(b byte) bool { return b == ' ' || b == '\t' || b == '\n' || b == '\r' }

func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !validHeaderFieldByte(s[i]) {
			return false
		}
	}
	return true
}

// validHeaderFieldByte is a token byte (RFC 7230's tchar).
func validHeaderFieldByte(c byte) bool {
	return tokenByte[c]
}

var tokenByte = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()

// validHeaderValueByte: VCHAR, SP, HTAB and obs-text.
func validHeaderValueByte(c byte) bool {
	return c >= 0x21 && c <= 0x7e || c == ' ' || c == '\t' || c >= 0x80
}

var validHostByte = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for _, c := range "!$%&()*+,-.:;=[']_~" {
		t[c] = true
	}
	return t
}()
