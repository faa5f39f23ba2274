package server

import (
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
)

// awsSuffixes are the domains of AWS's own endpoints (API Gateway invoke
// URLs, load balancers, S3, Lambda function URLs): in a local cloud
// every one of them is niwa, so a request a service makes to such a host
// is served by niwa itself.
var awsSuffixes = []string{".amazonaws.com", ".amazonaws.com.cn", ".on.aws", ".cloudfront.net"}

// selfTransport carries the requests a service makes to an origin (a
// CloudFront custom origin) in process to niwa's gateway when the host
// is niwa's — a name under an AWS domain, a name a service hands out, or
// niwa's own address (localhost names on its port or on the scheme's
// default port) — and over the network otherwise: a server of the user's
// on 127.0.0.1:8080 stays theirs. An https request served in process is
// seen as arriving over TLS (its certificate is AWS's to present, and
// niwa's gateway does not look at one).
type selfTransport struct {
	gateway  func() http.Handler
	names    *endpointNames
	endpoint func() string
	next     http.RoundTripper
}

func (t selfTransport) local(u *url.URL) bool {
	h := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	for _, s := range awsSuffixes {
		if strings.HasSuffix(h, s) {
			return true
		}
	}
	if ok, err := t.names.owns(h); err == nil && ok {
		return true
	}
	if t.endpoint == nil {
		return false
	}
	self, err := url.Parse(t.endpoint())
	if err != nil || self.Host == "" {
		return false
	}
	port := u.Port()
	if port != "" && port != self.Port() {
		return false
	}
	if port == "" && self.Port() != "" && self.Port() != "80" && self.Port() != "443" {
		// The scheme's default port: niwa's data-plane names
		// (<api>.execute-api.localhost) stand for niwa on any port.
		return h == "localhost" || strings.HasSuffix(h, ".localhost")
	}
	if h == "localhost" || strings.HasSuffix(h, ".localhost") || h == strings.ToLower(self.Hostname()) {
		return true
	}
	a, err := netip.ParseAddr(h)
	return err == nil && a.IsLoopback()
}

func (t selfTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	gw := t.gateway()
	if gw == nil || !t.local(req.URL) {
		return t.next.RoundTrip(req)
	}
	in := req.Clone(req.Context())
	in.RequestURI = req.URL.RequestURI()
	if in.Host == "" {
		in.Host = req.URL.Host
	}
	// The caller is niwa's edge: a loopback peer.
	in.RemoteAddr = net.JoinHostPort("127.0.0.1", "0")
	if req.URL.Scheme == "https" {
		in.TLS = &tls.ConnectionState{Version: tls.VersionTLS13, HandshakeComplete: true, ServerName: req.URL.Hostname()}
	}
	if in.Body == nil {
		in.Body = http.NoBody
	}
	pr, pw := io.Pipe()
	w := &pipeWriter{header: http.Header{}, body: pw, ready: make(chan struct{})}
	resp := &http.Response{Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Request: req}
	go func() {
		defer func() {
			w.WriteHeader(http.StatusOK) // a handler that wrote nothing answered 200
			_ = pw.Close()
		}()
		gw.ServeHTTP(w, in)
	}()
	select {
	case <-w.ready:
	case <-req.Context().Done():
		_ = pr.CloseWithError(req.Context().Err())
		return nil, req.Context().Err()
	}
	resp.StatusCode = w.status
	resp.Status = http.StatusText(w.status)
	resp.Header = w.sent
	resp.ContentLength = -1
	resp.Body = pr
	return resp, nil
}

// pipeWriter is the ResponseWriter of an in-process request: headers are
// handed over at WriteHeader, the body streams through a pipe.
type pipeWriter struct {
	header http.Header
	sent   http.Header
	status int
	body   *io.PipeWriter
	once   sync.Once
	ready  chan struct{}
}

func (w *pipeWriter) Header() http.Header { return w.header }

func (w *pipeWriter) WriteHeader(status int) {
	w.once.Do(func() {
		w.status = status
		w.sent = w.header.Clone()
		close(w.ready)
	})
}

func (w *pipeWriter) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(b)
}

func (w *pipeWriter) Flush() {}
