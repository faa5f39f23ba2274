package httpserve

import (
	"bytes"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// servePair serves h from net/http's server and from this package's,
// each on its own loopback listener, and returns their addresses.
func servePair(t *testing.T, h http.Handler) (std, own string) {
	t.Helper()
	l1, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l2, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	quiet := log.New(io.Discard, "", 0)
	s1 := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ErrorLog: quiet}
	s2 := &Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ErrorLog: quiet}
	go func() { _ = s1.Serve(l1) }()
	go func() { _ = s2.Serve(l2) }()
	t.Cleanup(func() {
		_ = s1.Close()
		_ = s2.Close()
	})
	return l1.Addr().String(), l2.Addr().String()
}

// exchange writes raw to addr, half-closes, and reads everything the
// server sends until it closes the connection.
func exchange(t *testing.T, addr, raw string) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Close() }()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	_ = c.(*net.TCPConn).CloseWrite()
	got, err := io.ReadAll(c)
	if err != nil && !errors.Is(err, net.ErrClosed) && !strings.Contains(err.Error(), "reset") {
		t.Fatalf("read: %v", err)
	}
	return string(got)
}

var dateLine = regexp.MustCompile(`(?m)^Date: [^\r]*\r$`)

func normalise(s string) string { return dateLine.ReplaceAllString(s, "Date: <date>\r") }

// wireHandlers are handlers exercising each of the response writer's
// decisions (Content-Length or chunking, sniffing, HEAD, no-body
// statuses, 1xx, flushing, trailers, reading or leaving the body).
var wireHandlers = map[string]http.HandlerFunc{
	"small": func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"ok":true}`)
	},
	"xml": func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/xml")
		w.Header().Set("X-Amzn-Requestid", "abc")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, "<GetCallerIdentityResponse></GetCallerIdentityResponse>")
	},
	"html-sniff": func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("<html><body>hi</body></html>"))
	},
	"big": func(w http.ResponseWriter, r *http.Request) {
		for i := range 5 {
			_, _ = w.Write(bytes.Repeat([]byte{'a' + byte(i)}, 1000))
		}
	},
	"big-one-write": func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write(bytes.Repeat([]byte("x"), 10000))
	},
	"big-string": func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, strings.Repeat("y", 5000))
	},
	"exact-2048": func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write(bytes.Repeat([]byte("z"), 2048))
	},
	"content-length": func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "5000")
		_, _ = w.Write(bytes.Repeat([]byte("q"), 5000))
	},
	"short-content-length": func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "10")
		_, _ = w.Write([]byte("abc"))
	},
	"flush": func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "first")
		w.(http.Flusher).Flush()
		_, _ = io.WriteString(w, "second")
	},
	"controller-flush": func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/vnd.amazon.eventstream")
		_ = http.NewResponseController(w).Flush()
		_, _ = io.WriteString(w, "event")
	},
	"no-content": func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusNoContent)
		_, _ = io.WriteString(w, "ignored")
	},
	"not-modified": func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Etag", `"x"`)
		w.WriteHeader(http.StatusNotModified)
	},
	"continue-then-ok": func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusContinue)
		_, _ = io.WriteString(w, "done")
	},
	"header-after-writeheader": func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("A", "1")
		w.WriteHeader(http.StatusCreated)
		w.Header().Set("B", "2")
		_, _ = io.WriteString(w, "created")
	},
	"odd-headers": func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["Lower-case-key"] = []string{"v"}
		h["Bad Key"] = []string{"dropped"}
		h["X-Multi"] = []string{"a", "b", " padded\t"}
		h["X-Newlines"] = []string{"line1\r\nline2\nline3"}
		h["X-Nil"] = nil
		h["X-Empty"] = []string{""}
		h["Aaa"] = []string{"first"}
		for i := range 30 {
			h["X-Many-"+strconv.Itoa(i)] = []string{strconv.Itoa(i)}
		}
		_, _ = io.WriteString(w, "odd")
	},
	"no-date": func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Date"] = nil
		w.Header()["Content-Type"] = nil
		_, _ = io.WriteString(w, "plain")
	},
	"connection-close": func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		_, _ = io.WriteString(w, "bye")
	},
	"trailers": func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Trailer", "X-Checksum")
		_, _ = io.WriteString(w, "body")
		w.Header().Set("X-Checksum", "abc")
		w.Header().Set(http.TrailerPrefix+"X-Late", "z")
	},
	"echo": func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("X-Method", r.Method)
		w.Header().Set("X-Uri", r.RequestURI)
		w.Header().Set("X-Host", r.Host)
		w.Header().Set("X-Length", strconv.FormatInt(r.ContentLength, 10))
		w.Header().Set("X-Te", strings.Join(r.TransferEncoding, ","))
		w.Header().Set("X-Trailer", r.Trailer.Get("X-Sum"))
		w.Header().Set("X-Close", map[bool]string{true: "yes", false: "no"}[r.Close])
		keys := make([]string, 0, len(r.Header))
		for k, v := range r.Header {
			keys = append(keys, k+"="+strings.Join(v, "|"))
		}
		w.Header()["X-Headers"] = keys
		_, _ = w.Write(b)
	},
	"ignore-body": func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "ignored your body")
	},
	"error": func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "nope", http.StatusForbidden)
	},
	"panic": func(w http.ResponseWriter, r *http.Request) {
		panic("handler panic")
	},
	"abort": func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "partial")
		panic(http.ErrAbortHandler)
	},
}

func wireMux() http.Handler {
	mux := http.NewServeMux()
	for name, h := range wireHandlers {
		mux.Handle("/"+name, h)
	}
	return mux
}

// TestWireMatchesNetHTTP sends the same bytes to net/http's server and
// to this one, with the same handler, and wants the same bytes back
// (the Date header's value aside): status lines, header order, the
// headers the server adds, Content-Length or chunking, keep-alive and
// closing, and the answers to malformed requests.
func TestWireMatchesNetHTTP(t *testing.T) {
	std, own := servePair(t, wireMux())
	get := func(path string) string { return "GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n" }
	cases := map[string]string{}
	for name := range wireHandlers {
		cases["GET "+name] = get("/" + name)
		cases["HEAD "+name] = "HEAD /" + name + " HTTP/1.1\r\nHost: x\r\n\r\n"
		cases["1.0 "+name] = "GET /" + name + " HTTP/1.0\r\n\r\n"
		cases["1.0 keep-alive "+name] = "GET /" + name + " HTTP/1.0\r\nConnection: keep-alive\r\n\r\n" + get("/small")
	}
	for k, v := range map[string]string{
		"two requests":         get("/small") + get("/xml"),
		"connection close":     "GET /small HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" + get("/small"),
		"POST echo":            "POST /echo?a=b HTTP/1.1\r\nHost: h:1\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello" + get("/small"),
		"POST echo lower keys": "POST /echo HTTP/1.1\r\nhost: h\r\nx-amz-date: 1\r\ncontent-length: 2\r\nX-amz-TARGET: t\r\n\r\nhi",
		"chunked echo":         "POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n" + get("/small"),
		"chunked trailer":      "POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n3\r\nabc\r\n0\r\nX-Sum: 42\r\n\r\n" + get("/small"),
		"chunked bad":          "POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
		"expect echo":          "PUT /echo HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc" + get("/small"),
		"expect ignored":       "PUT /ignore-body HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc" + get("/small"),
		"expect empty":         "PUT /echo HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n" + get("/small"),
		"expect other":         "PUT /echo HTTP/1.1\r\nHost: h\r\nExpect: magic\r\nContent-Length: 0\r\n\r\n",
		"unread small body":    "POST /ignore-body HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nbody" + get("/small"),
		"unread big body":      "POST /ignore-body HTTP/1.1\r\nHost: h\r\nContent-Length: 300000\r\n\r\n" + strings.Repeat("b", 300000),
		"short body":           "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabc",
		"absolute uri":         "GET http://example.com/echo?x=1 HTTP/1.1\r\nHost: other\r\n\r\n",
		"connect":              "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
		"folded header":        "GET /echo HTTP/1.1\r\nHost: h\r\nX-Folded: a\r\n  b\r\n\tc\r\n\r\n",
		"bare LF":              "GET /echo HTTP/1.1\nHost: h\nX-A: 1\n\n",
		"duplicate headers":    "GET /echo HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nx-a: 2\r\nX-A:3\r\n\r\n",
		"pragma":               "GET /echo HTTP/1.1\r\nHost: h\r\nPragma: no-cache\r\n\r\n",
		"same content lengths": "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok",
		"post then CRLF":       "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nok\r\n" + get("/small"),
		"empty header value":   "GET /echo HTTP/1.1\r\nHost: h\r\nX-Empty:\r\n\r\n",
		// Malformed input: net/http's answers.
		"bad request line":    "GARBAGE\r\n\r\n",
		"bad method":          "G(T / HTTP/1.1\r\nHost: h\r\n\r\n",
		"bad version":         "GET / HTTP/9\r\nHost: h\r\n\r\n",
		"http2":               "GET / HTTP/2.0\r\nHost: h\r\n\r\n",
		"http0.9":             "GET / HTTP/0.9\r\nHost: h\r\n\r\n",
		"h2 preface":          "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
		"PRI with headers":    "PRI * HTTP/2.0\r\nHost: h\r\n\r\n",
		"bad uri":             "GET foo HTTP/1.1\r\nHost: h\r\n\r\n",
		"missing host":        "GET /small HTTP/1.1\r\n\r\n",
		"two hosts":           "GET /small HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
		"bad host":            "GET /small HTTP/1.1\r\nHost: a b\r\n\r\n",
		"no colon":            "GET /small HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n",
		"space in name":       "GET /small HTTP/1.1\r\nHost: h\r\nX A: 1\r\n\r\n",
		"space before colon":  "GET /small HTTP/1.1\r\nHost: h\r\nX-A : 1\r\n\r\n",
		"leading space":       "GET /small HTTP/1.1\r\n Host: h\r\n\r\n",
		"ctl in value":        "GET /small HTTP/1.1\r\nHost: h\r\nX-A: a\x01b\r\n\r\n",
		"del in value":        "GET /small HTTP/1.1\r\nHost: h\r\nX-A: a\x7fb\r\n\r\n",
		"ctl in host":         "GET /small HTTP/1.1\r\nHost: h\x01\r\n\r\n",
		"tab in host":         "GET /small HTTP/1.1\r\nHost: a\tb\r\n\r\n",
		"lower-case host":     "GET /small HTTP/1.1\r\nhost: h\r\nX-A: 1\r\n\r\n",
		"folded host":         "GET /small HTTP/1.1\r\nHost: h\r\n x\r\n\r\n",
		"space name later":    "GET /small HTTP/1.1\r\nHost: h\r\nX-Ok: 1\r\nX B: 1\r\n\r\n",
		"plain uri and query": "GET /small?a=1&b=%20c HTTP/1.1\r\nHost: h\r\n\r\n",
		"escaped uri":         "GET /sm%61ll HTTP/1.1\r\nHost: h\r\n\r\n",
		"bad content length":  "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: abc\r\n\r\n",
		"two content lengths": "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
		"negative length":     "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n",
		"gzip te":             "POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n",
		"two te":              "POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
		"te and cl":           "POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
		"te on 1.0":           "POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\nabc",
		"bad trailer key":     "POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTrailer: Content-Length\r\n\r\n0\r\n\r\n",
		"truncated headers":   "GET /small HTTP/1.1\r\nHost: h\r\n",
		"truncated line":      "GET /sma",
		"headers too large":   "GET /small HTTP/1.1\r\nHost: h\r\nX-Big: " + strings.Repeat("a", 1<<20+5000) + "\r\n\r\n",
		"headers just fit":    "GET /small HTTP/1.1\r\nHost: h\r\nX-Big: " + strings.Repeat("a", 1<<20-100) + "\r\n\r\n",
		"many headers":        "GET /small HTTP/1.1\r\nHost: h\r\n" + strings.Repeat("X-A: 1\r\n", 2000) + "\r\n",
	} {
		cases[k] = v
	}
	for name, raw := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			want := normalise(exchange(t, std, raw))
			got := normalise(exchange(t, own, raw))
			if strings.HasPrefix(name, "GET echo") || strings.Contains(raw, "/echo") {
				// The echo lists headers in map order: compare as sets.
				want, got = sortHeaderList(want), sortHeaderList(got)
			}
			if got != want {
				t.Errorf("request %.200q\n got %.2000q\nwant %.2000q", raw, got, want)
			}
		})
	}
}

var headersLine = regexp.MustCompile(`(?m)^X-Headers: .*\r\n`)

// sortHeaderList sorts the echo's X-Headers lines.
func sortHeaderList(s string) string {
	lines := headersLine.FindAllString(s, -1)
	rest := headersLine.ReplaceAllString(s, "")
	sortStrings(lines)
	return strings.Join(lines, "") + rest
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}
