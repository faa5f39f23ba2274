package lb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/niwa-cloud/niwa/internal/awsid"
)

// Front is what a listener knows of the request it forwards.
type Front struct {
	// Proto is the listener's protocol as X-Forwarded-Proto says it
	// ("http" or "https").
	Proto string
	// Port is the listener's port (the load balancer's, not the port
	// niwa opened for it).
	Port int
	// Now is the clock's time, for the trace id.
	Now time.Time
}

// TraceID is a new X-Amzn-Trace-Id root: version 1, the epoch seconds in
// hex, 96 random bits.
func TraceID(now time.Time) string {
	return fmt.Sprintf("Root=1-%08x-%s", now.Unix(), awsid.Hex(24))
}

// ClientIP is the address a request came from, without its port.
func ClientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// AddHeaders sets the headers a load balancer adds to a forwarded
// request: X-Forwarded-For (the client appended to any list the client
// sent), X-Forwarded-Proto, X-Forwarded-Port, and X-Amzn-Trace-Id (a new
// root, or Self= added to the client's own).
func AddHeaders(h http.Header, r *http.Request, f Front) {
	ip := ClientIP(r)
	if prior := h.Values("X-Forwarded-For"); len(prior) > 0 {
		h.Set("X-Forwarded-For", strings.Join(prior, ", ")+", "+ip)
	} else {
		h.Set("X-Forwarded-For", ip)
	}
	h.Set("X-Forwarded-Proto", f.Proto)
	h.Set("X-Forwarded-Port", strconv.Itoa(f.Port))
	if t := h.Get("X-Amzn-Trace-Id"); t != "" && strings.Contains(t, "Root=") {
		h.Set("X-Amzn-Trace-Id", "Self=1-"+fmt.Sprintf("%08x-%s", f.Now.Unix(), awsid.Hex(24))+";"+t)
	} else {
		h.Set("X-Amzn-Trace-Id", TraceID(f.Now))
	}
}

// Forwarder proxies requests to targets over HTTP/1.1 connections it
// keeps alive between requests, as a load balancer keeps its connections
// to targets open: one pool per idle timeout (the load balancer's
// idle_timeout.timeout_seconds bounds both the wait for a target's
// response headers and how long an unused connection stays open), keyed
// by target address. The zero value is ready to use; it is safe for
// concurrent use.
type Forwarder struct {
	mu         sync.Mutex
	transports map[time.Duration]*http.Transport
	bufs       bufferPool
}

// maxIdlePerTarget bounds the idle connections kept to one target.
const maxIdlePerTarget = 64

func (f *Forwarder) transport(timeout time.Duration) *http.Transport {
	f.mu.Lock()
	defer f.mu.Unlock()
	if t := f.transports[timeout]; t != nil {
		return t
	}
	if f.transports == nil {
		f.transports = map[time.Duration]*http.Transport{}
	}
	t := &http.Transport{
		Proxy:                 nil,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ResponseHeaderTimeout: timeout,
		IdleConnTimeout:       timeout,
		MaxIdleConns:          0, // no limit across targets; maxIdlePerTarget each
		MaxIdleConnsPerHost:   maxIdlePerTarget,
		// The target sees the client's Accept-Encoding, never one added
		// by the balancer, and the client gets the target's bytes.
		DisableCompression: true,
	}
	f.transports[timeout] = t
	return t
}

// CloseIdle closes every idle connection to every target (after targets
// were deregistered: no request goes to them any more).
func (f *Forwarder) CloseIdle() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, t := range f.transports {
		t.CloseIdleConnections()
	}
}

// Forward proxies r to the target at addr over HTTP/1.1 and returns the
// status the client got: the target's, or 502 when the target could not
// be reached (504 when it did not answer in time). timeout bounds the
// wait for the target's response headers (the idle timeout).
func (f *Forwarder) Forward(w http.ResponseWriter, r *http.Request, addr string, front Front, timeout time.Duration) int {
	status := 0
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.Out.URL.Scheme = "http"
			pr.Out.URL.Host = addr
			pr.Out.Host = r.Host
			// Rewrite dropped the client's forwarding headers: an ALB
			// passes them on and appends the client to
			// X-Forwarded-For (its default "append" processing).
			for _, k := range [...]string{"X-Forwarded-For", "X-Forwarded-Host", "Forwarded"} {
				if v := r.Header[k]; len(v) > 0 {
					pr.Out.Header[k] = v
				}
			}
			AddHeaders(pr.Out.Header, r, front)
		},
		Transport:  f.transport(timeout),
		BufferPool: &f.bufs,
		ModifyResponse: func(resp *http.Response) error {
			status = resp.StatusCode
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, err error) {
			status = http.StatusBadGateway
			var ne net.Error
			if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() {
				status = http.StatusGatewayTimeout
			}
			ErrorPage(w, status)
		},
	}
	proxy.ServeHTTP(w, r)
	return status
}

// bufferPool lends the proxy its copy buffers (32 KiB each, otherwise
// allocated per request).
type bufferPool struct{ p sync.Pool }

func (b *bufferPool) Get() []byte {
	if v, ok := b.p.Get().(*[]byte); ok {
		return *v
	}
	return make([]byte, 32<<10)
}

func (b *bufferPool) Put(buf []byte) { b.p.Put(&buf) }

// ErrorPage answers status with the page a load balancer answers its own
// errors with (502, 503, 504, ...).
func ErrorPage(w http.ResponseWriter, status int) {
	text := fmt.Sprintf("%d %s", status, http.StatusText(status))
	w.Header().Set("Content-Type", "text/html")
	w.Header().Set("Server", "awselb/2.0")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, "<html>\r\n<head><title>"+text+"</title></head>\r\n<body>\r\n<center><h1>"+text+"</h1></center>\r\n</body>\r\n</html>\r\n")
}

// Pipe passes a TCP connection through to addr, both ways, until either
// side closes: a network load balancer's TCP listener.
func Pipe(client net.Conn, addr string) error {
	defer func() { _ = client.Close() }()
	up, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return err
	}
	defer func() { _ = up.Close() }()
	done := make(chan struct{}, 2)
	go func() {
		_, _ = io.Copy(up, client)
		if c, ok := up.(*net.TCPConn); ok {
			_ = c.CloseWrite()
		}
		done <- struct{}{}
	}()
	go func() {
		_, _ = io.Copy(client, up)
		if c, ok := client.(*net.TCPConn); ok {
			_ = c.CloseWrite()
		}
		done <- struct{}{}
	}()
	<-done
	<-done
	return nil
}
