package httpserve

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

// parseOwn reads one request from data as the server does: the header
// block, the parse, then the body to its end.
func parseOwn(data []byte) (req *http.Request, content []byte, err error) {
	br := bufio.NewReaderSize(bytes.NewReader(data), 4096)
	block, n, err := readHeaderBlock(br, defaultMaxHeaderBytes+headerSlop)
	if err != nil {
		return nil, nil, err
	}
	s := string(block)
	_, _ = br.Discard(n)
	// The server's fast path for plain URIs, and its array for the
	// header's values (response.hdrVals: used up to its length, a new
	// one past it).
	var vals [16]string
	p := parsed{url: new(url.URL), vals: vals[:0]}
	req = new(http.Request)
	if err := parseRequest(s, req, &p); err != nil {
		return nil, nil, err
	}
	if req.Header["Host"] != nil {
		return nil, nil, errors.New("Host kept in the header map")
	}
	if len(p.hosts) > 0 || p.haveHost {
		// For TestServerCheck, which reads them from there.
		req.Header["Host"] = p.hosts
	}
	c := &conn{srv: &Server{}}
	c.r.c = c
	c.r.cond.L = &c.r.mu
	w := &response{conn: c, req: req}
	switch {
	case p.chunked:
		w.body = body{src: newChunkedReader(br), r: br, res: w, trailer: true}
	case req.ContentLength > 0:
		w.lr = limitedReader{r: br, n: req.ContentLength}
		w.body = body{src: &w.lr, res: w}
	default:
		return req, nil, nil
	}
	b, err := io.ReadAll(&w.body)
	return req, b, err
}

// parseStd is http.ReadRequest on the same bytes, body read to its end.
func parseStd(data []byte) (*http.Request, []byte, error) {
	req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(data)))
	if err != nil {
		return nil, nil, err
	}
	b, err := io.ReadAll(req.Body)
	return req, b, err
}

// FuzzParseRequest holds the request parser to net/http's: on any bytes,
// both accept or both refuse, and an accepted request has the same
// method, URI, protocol, URL, Host, headers, framing, body and trailer.
func FuzzParseRequest(f *testing.F) {
	for _, s := range []string{
		"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
		"POST /?Action=GetCallerIdentity HTTP/1.1\r\nHost: localhost:4566\r\nUser-Agent: aws-sdk-go-v2/1.30\r\nContent-Length: 43\r\nAmz-Sdk-Invocation-Id: 1\r\nAmz-Sdk-Request: attempt=1; max=3\r\nAuthorization: AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=abc\r\nContent-Type: application/x-www-form-urlencoded\r\nX-Amz-Date: 20240101T000000Z\r\nAccept-Encoding: gzip\r\n\r\nAction=GetCallerIdentity&Version=2011-06-15",
		"PUT /b/k HTTP/1.1\r\nhost: h\r\nexpect: 100-continue\r\ncontent-length: 3\r\n\r\nabc",
		"POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n3\r\nabc\r\n0\r\nX-Sum: 42\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n0\r\nX-Undeclared: 1\r\n\r\n",
		"GET http://example.com/a?b HTTP/1.1\r\nHost: other\r\n\r\n",
		"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
		"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
		"GET /echo HTTP/1.1\r\nHost: h\r\nX-Folded: a\r\n  b\r\n\tc\r\n\r\n",
		"GET /echo HTTP/1.1\nHost: h\nX-A: 1\n\n",
		"GET / HTTP/1.1\r\nHost: h\r\nPragma: no-cache\r\nConnection: close, Upgrade\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nContent-Length:  2\r\n\r\nok",
		"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
		"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n",
		"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\nabc",
		"GET / HTTP/1.1\r\n Host: h\r\n\r\n",
		"GET / HTTP/1.1\r\nX A: 1\r\nHost: h\r\n\r\n",
		"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
		"G(T / HTTP/1.1\r\n\r\n",
		"GET foo HTTP/1.1\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		own, ownBody, ownErr := parseOwn(data)
		if ownErr == errTooLarge {
			return // a limit net/http's ReadRequest does not have
		}
		std, stdBody, stdErr := parseStd(data)
		if (ownErr == nil) != (stdErr == nil) {
			t.Fatalf("%q: own error %v, net/http error %v", data, ownErr, stdErr)
		}
		if ownErr != nil {
			return
		}
		type view struct {
			Method, RequestURI, Proto string
			Major, Minor              int
			URL, Host                 string
			URLParts                  url.URL
			Header, Trailer           http.Header
			Close                     bool
			ContentLength             int64
			TransferEncoding          []string
			Body                      string
		}
		v := func(r *http.Request, body []byte) view {
			return view{r.Method, r.RequestURI, r.Proto, r.ProtoMajor, r.ProtoMinor, r.URL.String(), r.Host, *r.URL,
				r.Header, r.Trailer, r.Close, r.ContentLength, r.TransferEncoding, string(body)}
		}
		delete(own.Header, "Host")
		if a, b := v(own, ownBody), v(std, stdBody); !reflect.DeepEqual(a, b) {
			t.Fatalf("%q:\n own %+v\n std %+v", data, a, b)
		}
	})
}

// TestServerCheck: what net/http's server refuses of a request
// http.ReadRequest reads, with its answer.
func TestServerCheck(t *testing.T) {
	for _, c := range []struct{ raw, want string }{
		{"GET / HTTP/1.1\r\n\r\n", "Bad Request: missing required Host header"},
		{"GET / HTTP/1.0\r\n\r\n", ""},
		{"CONNECT h:443 HTTP/1.1\r\n\r\n", ""},
		{"GET / HTTP/1.1\r\nHost: a b\r\n\r\n", "Bad Request: malformed Host header"},
		{"GET / HTTP/1.1\r\nHost: h\r\nX A: 1\r\n\r\n", "Bad Request: invalid header name"},
		{"GET / HTTP/1.1\r\nHost: h\r\nX-Ok: 1\r\nX B : 1\r\n\r\n", "Bad Request: invalid header name"},
		{"GET / HTTP/2.0\r\nHost: h\r\n\r\n", "HTTP Version Not Supported: unsupported protocol version"},
		{"PRI * HTTP/2.0\r\n\r\n", ""},
	} {
		req, _, err := parseOwn([]byte(c.raw))
		if err != nil {
			t.Fatalf("%q: %v", c.raw, err)
		}
		got := ""
		p := parsed{hosts: req.Header["Host"]}
		_, p.haveHost = req.Header["Host"]
		delete(req.Header, "Host")
		for k := range req.Header {
			p.badName = p.badName || !isToken(k)
		}
		if err := serverCheck(req, &p); err != nil {
			got = err.Error()
		}
		if got != c.want {
			t.Errorf("%q: got %q, want %q", c.raw, got, c.want)
		}
		if got == "" && req.Header["Host"] != nil {
			t.Errorf("%q: Host header kept", c.raw)
		}
	}
}

// TestParseNoCopyKeys: canonical keys and values are substrings of the
// request's one string; a lower-case key AWS clients send is the common
// table's string, not a new one.
func TestParseNoCopyKeys(t *testing.T) {
	block := "POST / HTTP/1.1\r\nHost: h\r\nx-amz-date: 1\r\nX-Custom-Thing: v\r\n\r\n"
	var req http.Request
	var p parsed
	allocs := testing.AllocsPerRun(100, func() {
		req, p = http.Request{}, parsed{}
		if err := parseRequest(block, &req, &p); err != nil {
			t.Fatal(err)
		}
	})
	// The URL, the header map (its header and its one group) and its
	// values' backing array; none per key or value.
	if allocs > 4 {
		t.Errorf("parseRequest: %v allocations, want at most 4", allocs)
	}
	if got := req.Header.Get("X-Amz-Date"); got != "1" {
		t.Errorf("X-Amz-Date = %q", got)
	}
	if !strings.Contains(block, req.Header.Get("X-Custom-Thing")) {
		t.Error("value not from the block")
	}
}

// TestPlainRequestURI holds the server's URL fast path to
// url.ParseRequestURI: a URI plainRequestURI accepts parses to the URL
// of its path and query alone, and every byte of a path it refuses
// either needs escaping or is '%' or '?'.
func TestPlainRequestURI(t *testing.T) {
	for c := 0; c < 256; c++ {
		for _, raw := range []string{"/a" + string(rune(c)) + "b", "/a" + string([]byte{byte(c)}) + "b?x=1", "/?q" + string([]byte{byte(c)})} {
			want, err := url.ParseRequestURI(raw)
			if !plainRequestURI(raw) {
				continue
			}
			if err != nil {
				t.Fatalf("%q: plain, but url.ParseRequestURI: %v", raw, err)
			}
			path, query, _ := strings.Cut(raw, "?")
			if got := (url.URL{Path: path, RawQuery: query}); !reflect.DeepEqual(got, *want) {
				t.Errorf("%q: plain %+v, url.ParseRequestURI %+v", raw, got, *want)
			}
		}
		// A path byte refused is one url escapes (RawPath would be set)
		// or one that changes how the URI reads.
		raw := "/a" + string([]byte{byte(c)}) + "b"
		if plainRequestURI(raw) {
			continue
		}
		if u, err := url.ParseRequestURI(raw); err == nil && u.RawPath == "" && u.RawQuery == "" && !u.ForceQuery && u.Path == raw {
			t.Errorf("%q: parses plainly, but the fast path refuses it", raw)
		}
	}
	for _, c := range []struct {
		raw   string
		plain bool
	}{
		{"/", true}, {"/bucket/key?x-id=GetObject", true}, {"/?Action=GetCallerIdentity&Version=2011-06-15", true},
		{"/a?", false}, {"/a??", true}, {"/a?b?c", true}, {"*", false}, {"", false}, {"http://h/a", false},
		{"/a%20b", false}, {"/caf\xc3\xa9", false}, {"/a b", false}, {"/a?b\x7f", false},
	} {
		if got := plainRequestURI(c.raw); got != c.plain {
			t.Errorf("plainRequestURI(%q) = %v, want %v", c.raw, got, c.plain)
		}
		if !c.plain {
			continue
		}
		want, err := url.ParseRequestURI(c.raw)
		path, query, _ := strings.Cut(c.raw, "?")
		if err != nil || !reflect.DeepEqual(url.URL{Path: path, RawQuery: query}, *want) {
			t.Errorf("%q: url.ParseRequestURI %+v, %v", c.raw, want, err)
		}
	}
}
