package httpserve

import (
	"bufio"
	"bytes"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// sdkRequest is an STS GetCallerIdentity request as aws-sdk-go-v2 sends
// it (the bench's replayed request, less the signature's value).
const sdkRequest = "POST / HTTP/1.1\r\nHost: 127.0.0.1:4566\r\nUser-Agent: aws-sdk-go-v2/1.36.3 ua/2.1 os/linux lang/go#1.26 md/GOOS#linux md/GOARCH#amd64 api/sts#1.33.19 m/E,e\r\nContent-Length: 43\r\nAccept-Encoding: identity\r\nAmz-Sdk-Invocation-Id: 0f9ab1e8-6a0b-4c5e-9d1e-2a7f3c1b5e11\r\nAmz-Sdk-Request: attempt=1; max=3\r\nAuthorization: AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sts/aws4_request, SignedHeaders=accept-encoding;amz-sdk-invocation-id;amz-sdk-request;content-length;content-type;host;x-amz-date, Signature=4f6c1a3e2b0d9c8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e\r\nContent-Type: application/x-www-form-urlencoded\r\nX-Amz-Date: 20260101T000000Z\r\n\r\nAction=GetCallerIdentity&Version=2011-06-15"

const stsResponse = `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::000000000000:root</Arn><UserId>000000000000</UserId><Account>000000000000</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId></ResponseMetadata></GetCallerIdentityResponse>`

// stsHandler answers as niwa's gateway does: reads the body, sets the
// headers, writes the XML.
var stsHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	h := w.Header()
	h.Set("Content-Type", "text/xml")
	h.Set("X-Amzn-Requestid", "01234567-89ab-cdef-0123-456789abcdef")
	h.Set("Content-Length", strconv.Itoa(len(stsResponse)))
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, stsResponse)
})

// BenchmarkServe is one SDK-sized request and response on a kept-alive
// loopback connection, net/http's server against this one; allocs/op
// are the server's plus a fixed few of the raw client's.
func BenchmarkServe(b *testing.B) {
	for _, name := range []string{"std", "niwa"} {
		b.Run(name, func(b *testing.B) {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			quiet := log.New(io.Discard, "", 0)
			if name == "std" {
				s := &http.Server{Handler: stsHandler, ReadHeaderTimeout: 20 * time.Second, IdleTimeout: 60 * time.Second, ErrorLog: quiet}
				go func() { _ = s.Serve(l) }()
				defer func() { _ = s.Close() }()
			} else {
				s := &Server{Handler: stsHandler, ReadHeaderTimeout: 20 * time.Second, IdleTimeout: 60 * time.Second, ErrorLog: quiet}
				go func() { _ = s.Serve(l) }()
				defer func() { _ = s.Close() }()
			}
			c, err := net.Dial("tcp", l.Addr().String())
			if err != nil {
				b.Fatal(err)
			}
			defer func() { _ = c.Close() }()
			br := bufio.NewReaderSize(c, 4096)
			req := []byte(sdkRequest)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := c.Write(req); err != nil {
					b.Fatal(err)
				}
				if err := readResponse(br); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// readResponse reads one response with a Content-Length, allocating
// nothing.
func readResponse(br *bufio.Reader) error {
	n := -1
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return err
		}
		if len(line) <= 2 {
			break
		}
		if v, ok := bytes.CutPrefix(line, []byte("Content-Length: ")); ok {
			n = 0
			for _, c := range bytes.TrimSpace(v) {
				n = n*10 + int(c-'0')
			}
		}
	}
	if n < 0 {
		return io.ErrUnexpectedEOF
	}
	_, err := br.Discard(n)
	return err
}

// BenchmarkParseRequest is the header block of an SDK request parsed as
// the server parses it (the server's own checks included).
func BenchmarkParseRequest(b *testing.B) {
	block := sdkRequest[:strings.Index(sdkRequest, "\r\n\r\n")+4]
	var u url.URL
	b.ReportAllocs()
	for b.Loop() {
		var req http.Request
		p := parsed{url: &u}
		if err := parseRequest(block, &req, &p); err != nil {
			b.Fatal(err)
		}
		if err := serverCheck(&req, &p); err != nil {
			b.Fatal(err)
		}
	}
}

// TestRequestAllocs pins what the server allocates for an SDK-sized
// request and response on a kept-alive connection (BenchmarkServe's
// exchange; the raw client allocates nothing): the response with the
// request's body, URL, context and header values (hdrVals), the header
// block's string, the request, its header map (one group: Host is not in
// it), and the values the handler sets in its header map (the
// connection's spare from the previous response). A change that adds a
// per-request object shows here: 12 before the values' array moved into
// the response and the handler's map was reused.
func TestRequestAllocs(t *testing.T) {
	addr := serveOwn(t, &Server{Handler: stsHandler, ReadHeaderTimeout: 20 * time.Second, IdleTimeout: 60 * time.Second})
	c := dial(t, addr)
	br := bufio.NewReaderSize(c, 4096)
	req := []byte(sdkRequest)
	roundTrip := func() {
		if _, err := c.Write(req); err != nil {
			t.Fatal(err)
		}
		if err := readResponse(br); err != nil {
			t.Fatal(err)
		}
	}
	roundTrip()
	n := testing.AllocsPerRun(200, roundTrip)
	t.Logf("%v allocations per request", n)
	const want = 9
	if n > want && !raceEnabled {
		t.Errorf("%v allocations per request, want at most %d", n, want)
	}
}
