package netpos

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/netip"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

// EchoHost is the "what is my IP" service niwa answers through the
// proxy: the body is the caller's apparent address and a newline, as
// checkip.amazonaws.com answers.
const EchoHost = "checkip.amazonaws.com"

// DefaultHold bounds how long a dropped connection is held open before
// the proxy closes it (Lambda's longest timeout): AWS never answers such
// a connection; clients give up on their own timeout long before.
const DefaultHold = 15 * time.Minute

// Options configure the proxy.
type Options struct {
	// Network is EC2's state.
	Network Network
	// Endpoint returns niwa's base URL (http://127.0.0.1:4566): requests
	// to it, and to any *.amazonaws.com host, are served by Gateway in
	// process.
	Endpoint func() string
	// Certs issues a certificate for an HTTPS tunnel to one of niwa's
	// names (from niwa's local CA); nil refuses such tunnels.
	Certs func(host string) (*tls.Certificate, error)
	// Host is the listeners' address (default 127.0.0.1).
	Host string
	// Hold bounds how long a dropped connection is held (DefaultHold).
	Hold time.Duration
	// Addresses is the table of instances' host addresses (nil: a new
	// one in memory).
	Addresses *Addresses
	// Lookup resolves a destination host name as the resolver of the
	// workload's VPC does, for the names the machine's resolver does not
	// know (its private hosted zones, its instances' private DNS names):
	// ok false sends the name to the machine's resolver. It is asked for
	// workloads in a VPC only; nil: none.
	Lookup func(pos Position, host string) (addr netip.Addr, ok bool, err error)
	Log    *slog.Logger
}

// PositionEnv is the variable that marks every process a workload
// starts with its position's token, so that a connection it makes
// straight to a listener niwa runs (a database endpoint) is known as
// the workload's (on Linux, through /proc).
const PositionEnv = "NIWA_NETPOS"

// HostAddressEnv tells an instance's processes the loopback address
// that stands for their private IP: a process that wants a port of its
// own binds it rather than 0.0.0.0.
const HostAddressEnv = "NIWA_HOST_ADDRESS"

// Proxy is niwa's egress proxy: one HTTP proxy listener per workload
// position, so the listener a connection arrives on says who made it.
// What it decides for a call to niwa reaches the gateway in process, in
// the request's context (WithOrigin): nothing a client sends can claim a
// position or an endpoint.
type Proxy struct {
	opt     Options
	gateway http.Handler

	mu        sync.Mutex
	listeners map[string]*workload
	tokens    map[string]*workload
	closed    bool
	recent    []Record
	done      chan struct{}
}

// Record is one decision, for GET /_niwa/egress.
type Record struct {
	Time        time.Time `json:"time"`
	Account     string    `json:"account"`
	Region      string    `json:"region"`
	VpcID       string    `json:"vpcId,omitempty"`
	SubnetID    string    `json:"subnetId,omitempty"`
	Destination string    `json:"destination"`
	Service     string    `json:"service,omitempty"`
	Reachable   bool      `json:"reachable"`
	Via         string    `json:"via,omitempty"`
	Hop         string    `json:"hop,omitempty"`
	SourceIP    string    `json:"sourceIp,omitempty"`
	Reason      string    `json:"reason"`
}

// maxRecords bounds the decisions kept for inspection.
const maxRecords = 200

// New makes a proxy; it listens only once Env asks for a workload.
func New(opt Options) *Proxy {
	if opt.Host == "" {
		opt.Host = "127.0.0.1"
	}
	if opt.Hold <= 0 {
		opt.Hold = DefaultHold
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	if opt.Addresses == nil {
		opt.Addresses, _ = NewAddresses("")
	}
	return &Proxy{opt: opt, listeners: map[string]*workload{}, tokens: map[string]*workload{}, done: make(chan struct{})}
}

// SetGateway gives the proxy niwa's gateway, built after the services.
func (p *Proxy) SetGateway(h http.Handler) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.gateway = h
}

// Env is the environment a workload at pos gets so its HTTP(S) traffic
// leaves through the proxy: the proxy variables (both cases: curl reads
// only the lowercase http_proxy), NO_PROXY for the link-local metadata
// addresses, and NODE_USE_ENV_PROXY for Node.js releases that honour the
// variables only when asked.
//
// It also marks the processes with the position's token (PositionEnv)
// and, for a workload with a private address in a VPC (an instance),
// assigns the host address that stands for it (HostAddressEnv): from
// then on, connections to the private address reach the workload's
// listeners there, until Release.
func (p *Proxy) Env(ctx context.Context, pos Position) ([]string, error) {
	w, err := p.listen(pos)
	if err != nil {
		return nil, err
	}
	u := "http://" + w.addr
	const no = "169.254.169.254,169.254.170.2"
	env := []string{
		"HTTP_PROXY=" + u, "HTTPS_PROXY=" + u, "http_proxy=" + u, "https_proxy=" + u,
		"NO_PROXY=" + no, "no_proxy=" + no, "NODE_USE_ENV_PROXY=1", PositionEnv + "=" + w.token,
	}
	if ip, err := netip.ParseAddr(pos.PrivateIP); err == nil && pos.VpcID != "" {
		h, err := p.opt.Addresses.Assign(pos.Account, pos.Region, pos.VpcID, ip)
		if err != nil {
			return nil, err
		}
		env = append(env, HostAddressEnv+"="+h.String())
	}
	return env, nil
}

// Release frees the host address of a workload's private address (its
// instance stopped): connections to it are no longer answered.
func (p *Proxy) Release(pos Position) error {
	ip, err := netip.ParseAddr(pos.PrivateIP)
	if err != nil || pos.VpcID == "" {
		return nil
	}
	return p.opt.Addresses.Release(pos.Account, pos.Region, pos.VpcID, ip)
}

// HostAddress is the host address standing for a private address in a
// VPC, while the workload holding it runs.
func (p *Proxy) HostAddress(account, region, vpcID string, ip netip.Addr) (netip.Addr, bool) {
	return p.opt.Addresses.Lookup(account, region, vpcID, ip)
}

// Identify tells which workload made conn, a connection accepted on a
// loopback listener of niwa's: the position whose token the connecting
// process carries. ok is false for any other process (niwa's host).
func (p *Proxy) Identify(conn net.Conn) (Position, bool) {
	local, err1 := netip.ParseAddrPort(conn.LocalAddr().String())
	remote, err2 := netip.ParseAddrPort(conn.RemoteAddr().String())
	if err1 != nil || err2 != nil || !remote.Addr().Unmap().IsLoopback() {
		return Position{}, false
	}
	local = netip.AddrPortFrom(local.Addr().Unmap(), local.Port())
	remote = netip.AddrPortFrom(remote.Addr().Unmap(), remote.Port())
	tok, ok := peerEnv(local, remote, PositionEnv)
	if !ok {
		return Position{}, false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	w, ok := p.tokens[tok]
	if !ok {
		return Position{}, false
	}
	return w.pos, true
}

// Admit decides, at accept time, whether conn (accepted on a listener
// niwa runs for dst, such as a database endpoint, on port) may go on:
// the workload that made it (Identify) or else niwa's host, whose
// apparent address is the connection's source address, as Admit
// (the function) decides. The decision is recorded with the egress
// decisions. A refused connection is to be held (Hold): on AWS it
// times out.
func (p *Proxy) Admit(conn net.Conn, dst Host, port int) (Decision, error) {
	src, ok := p.Identify(conn)
	var from *Position
	var hostIP netip.Addr
	if ok {
		from = &src
	} else {
		if a, err := netip.ParseAddrPort(conn.RemoteAddr().String()); err == nil {
			hostIP = a.Addr().Unmap()
		}
		src = Position{Account: dst.Account, Region: dst.Region}
	}
	d, err := Admit(p.opt.Network, from, hostIP, dst, port)
	if err != nil {
		return d, err
	}
	host := dst.ID
	if dst.PrivateIP.IsValid() {
		host = dst.PrivateIP.String()
	}
	p.record(src, net.JoinHostPort(host, strconv.Itoa(port)), "", d)
	return d, nil
}

// Hold keeps a refused connection open without a byte until the peer
// gives up, the hold bound passes or niwa stops.
func (p *Proxy) Hold(conn net.Conn) { (&workload{p: p}).hold(conn) }

// Recent returns the latest decisions, oldest first.
func (p *Proxy) Recent() []Record {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Record(nil), p.recent...)
}

// Close stops every listener and releases held connections.
func (p *Proxy) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	close(p.done)
	ws := p.listeners
	p.listeners = nil
	p.mu.Unlock()
	var errs []error
	for _, w := range ws {
		errs = append(errs, w.srv.Close())
	}
	return errors.Join(errs...)
}

// listen returns pos's listener, starting it once.
func (p *Proxy) listen(pos Position) (*workload, error) {
	k := pos.key()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, errors.New("netpos: proxy closed")
	}
	if w, ok := p.listeners[k]; ok {
		return w, nil
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(p.opt.Host, "0"))
	if err != nil {
		return nil, fmt.Errorf("netpos: egress listener: %w", err)
	}
	var tok [16]byte
	_, _ = rand.Read(tok[:])
	w := &workload{p: p, pos: pos, addr: ln.Addr().String(), token: hex.EncodeToString(tok[:])}
	w.srv = &http.Server{Handler: w, ReadHeaderTimeout: time.Minute, ErrorLog: slog.NewLogLogger(p.opt.Log.Handler(), slog.LevelWarn)}
	p.listeners[k] = w
	p.tokens[w.token] = w
	go func() { _ = w.srv.Serve(ln) }()
	return w, nil
}

func (p *Proxy) record(pos Position, dst, service string, d Decision) {
	r := Record{Time: time.Now().UTC(), Account: pos.Account, Region: pos.Region, VpcID: pos.VpcID, SubnetID: pos.SubnetID,
		Destination: dst, Service: service, Reachable: d.Reachable, Via: d.Via, Hop: d.Hop, SourceIP: d.SourceIP, Reason: d.Reason}
	p.opt.Log.Info("egress", "subnet", pos.SubnetID, "destination", dst, "service", service, "reachable", d.Reachable, "via", d.Via, "source", d.SourceIP, "reason", d.Reason)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.recent = append(p.recent, r)
	if len(p.recent) > maxRecords {
		p.recent = append(p.recent[:0:0], p.recent[len(p.recent)-maxRecords:]...)
	}
}

// workload is one position's listener.
type workload struct {
	p     *Proxy
	pos   Position
	addr  string
	token string // PositionEnv's value
	srv   *http.Server
}

// destination kinds.
const (
	toInternet = iota
	toEcho
	toNiwa
)

// classify says what a host:port is and the address it stands for.
func (w *workload) classify(hostport string) (kind int, host string, port int, addr netip.Addr, err error) {
	host, ps, err := net.SplitHostPort(hostport)
	if err != nil {
		return 0, "", 0, addr, err
	}
	port, err = strconv.Atoi(ps)
	if err != nil || port <= 0 || port > 65535 {
		return 0, "", 0, addr, fmt.Errorf("bad port %q", ps)
	}
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	switch {
	case h == EchoHost:
		return toEcho, h, port, EchoAddr, nil
	case h == "amazonaws.com" || strings.HasSuffix(h, ".amazonaws.com") || strings.HasSuffix(h, ".amazonaws.com.cn") || w.isNiwa(h, port):
		return toNiwa, h, port, ServiceAddr, nil
	}
	if a, err := netip.ParseAddr(h); err == nil {
		return toInternet, h, port, a.Unmap(), nil
	}
	if w.p.opt.Lookup != nil && w.pos.VpcID != "" {
		a, ok, err := w.p.opt.Lookup(w.pos, h)
		if err != nil {
			return 0, "", 0, addr, fmt.Errorf("cannot resolve %s: %v", h, err)
		}
		if ok {
			return toInternet, h, port, a.Unmap(), nil
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip4", h)
	if err != nil || len(addrs) == 0 {
		return 0, "", 0, addr, fmt.Errorf("cannot resolve %s", h)
	}
	return toInternet, h, port, addrs[0].Unmap(), nil
}

// isNiwa reports whether host:port is niwa's own endpoint.
func (w *workload) isNiwa(host string, port int) bool {
	if w.p.opt.Endpoint == nil {
		return false
	}
	u, err := url.Parse(w.p.opt.Endpoint())
	if err != nil || u.Host == "" {
		return false
	}
	eh, ep := u.Hostname(), u.Port()
	if ep == "" {
		ep = map[string]string{"https": "443"}[u.Scheme]
		if ep == "" {
			ep = "80"
		}
	}
	if strconv.Itoa(port) != ep {
		return false
	}
	loop := func(s string) bool {
		if s == "localhost" {
			return true
		}
		a, err := netip.ParseAddr(s)
		return err == nil && (a.IsLoopback() || a.IsUnspecified())
	}
	// Virtual-host names under localhost (bucket.localhost:4566, S3's
	// and the data planes' host-routed names) are niwa too.
	return strings.EqualFold(host, eh) || (loop(eh) && (loop(host) || strings.HasSuffix(host, ".localhost")))
}

func (w *workload) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodConnect {
		w.connect(rw, r)
		return
	}
	if !r.URL.IsAbs() || r.URL.Host == "" {
		http.Error(rw, "niwa egress proxy: send requests in absolute form (this is an HTTP proxy)", http.StatusBadRequest)
		return
	}
	hostport := r.URL.Host
	if r.URL.Port() == "" {
		hostport = net.JoinHostPort(r.URL.Hostname(), "80")
		if r.URL.Scheme == "https" {
			hostport = net.JoinHostPort(r.URL.Hostname(), "443")
		}
	}
	kind, host, port, addr, err := w.classify(hostport)
	if err != nil {
		http.Error(rw, "niwa egress proxy: "+err.Error(), http.StatusBadGateway)
		return
	}
	w.serve(rw, r, kind, host, port, addr)
}

// serve answers one request (absolute form, or inside a tunnel).
func (w *workload) serve(rw http.ResponseWriter, r *http.Request, kind int, host string, port int, addr netip.Addr) {
	service := ""
	if kind == toNiwa {
		service = w.service(r, host)
	}
	d, err := Decide(w.p.opt.Network, w.pos, addr, port, service)
	if err != nil {
		http.Error(rw, "niwa egress proxy: "+err.Error(), http.StatusBadGateway)
		return
	}
	w.p.record(w.pos, net.JoinHostPort(host, strconv.Itoa(port)), service, d)
	if !d.Reachable {
		w.holdRequest(rw, r)
		return
	}
	switch kind {
	case toEcho:
		rw.Header().Set("Content-Type", "text/plain;charset=UTF-8")
		_, _ = io.WriteString(rw, d.SourceIP+"\n")
	case toNiwa:
		w.p.mu.Lock()
		gw := w.p.gateway
		w.p.mu.Unlock()
		if gw == nil {
			http.Error(rw, "niwa egress proxy: the gateway is not ready", http.StatusServiceUnavailable)
			return
		}
		o := Origin{VpcID: d.VpcID, Endpoint: d.Endpoint, SourceIP: d.SourceIP, PrivateIP: w.pos.PrivateIP}
		in := r.Clone(WithOrigin(r.Context(), o))
		in.RequestURI = r.URL.RequestURI()
		in.URL = &url.URL{Path: r.URL.Path, RawPath: r.URL.RawPath, RawQuery: r.URL.RawQuery}
		in.Header.Del("Proxy-Connection")
		in.Header.Del("Proxy-Authorization")
		ip := o.SourceIP
		if ip == "" {
			ip = o.PrivateIP
		}
		if ip == "" {
			ip = "127.0.0.1"
		}
		in.RemoteAddr = net.JoinHostPort(ip, "0")
		gw.ServeHTTP(rw, in)
	default:
		to := ""
		if d.Host.ID != "" {
			if to, err = w.p.HostDial(d.Host, port); err != nil {
				http.Error(rw, "niwa egress proxy: "+err.Error(), http.StatusBadGateway)
				return
			}
		}
		if to == "" && r.URL.Scheme == "http" && addr.IsValid() {
			// Plain HTTP goes to the address decided on, which a name
			// only the workload's VPC resolves (Options.Lookup) needs.
			to = net.JoinHostPort(addr.String(), strconv.Itoa(port))
		}
		rp := &httputil.ReverseProxy{
			Rewrite: func(pr *httputil.ProxyRequest) {
				pr.Out.Header.Del("Proxy-Connection")
				if to != "" {
					// The Host header keeps the private address the
					// client asked for.
					pr.Out.URL.Host = to
				}
			},
			Transport: &http.Transport{Proxy: nil, ResponseHeaderTimeout: time.Minute},
		}
		rp.ServeHTTP(rw, r)
	}
}

// service is the AWS service a request to niwa calls (its SigV4 signing
// name, else the host's service label), "" when it cannot tell or when
// the call goes to another region (reached over the public path).
func (w *workload) service(r *http.Request, host string) string {
	region, svc := CredentialScope(r.Header.Get("Authorization"), r.URL.Query().Get("X-Amz-Credential"))
	if svc == "" && strings.HasSuffix(host, ".amazonaws.com") {
		labels := strings.Split(host, ".")
		for _, l := range labels {
			if l == "s3" || strings.HasPrefix(l, "s3-") {
				return "s3"
			}
		}
		svc = labels[0]
	}
	if region != "" && region != w.pos.Region {
		return ""
	}
	return svc
}

// CredentialScope reads the region and service of a SigV4 credential
// scope from an Authorization header ("AWS4-HMAC-SHA256
// Credential=AKID/20240101/us-east-1/s3/aws4_request, ...") or, when the
// header has none, from a presigned URL's X-Amz-Credential. Both are ""
// when neither carries a well-formed scope.
func CredentialScope(authorization, queryCredential string) (region, service string) {
	cred := ""
	if strings.HasPrefix(authorization, "AWS4-") {
		if i := strings.Index(authorization, "Credential="); i >= 0 {
			cred = authorization[i+len("Credential="):]
			if j := strings.IndexAny(cred, ", "); j >= 0 {
				cred = cred[:j]
			}
		}
	} else {
		cred = queryCredential
	}
	parts := strings.Split(cred, "/")
	if len(parts) != 5 || parts[4] != "aws4_request" || parts[2] == "" || parts[3] == "" {
		return "", ""
	}
	return parts[2], parts[3]
}

// holdRequest never answers: the connection stays open and silent until
// the client gives up, the hold bound passes or niwa stops.
func (w *workload) holdRequest(rw http.ResponseWriter, r *http.Request) {
	if hj, ok := rw.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			w.hold(conn)
			return
		}
	}
	// Inside a tunnel (no hijacking): block until the client leaves.
	t := time.NewTimer(w.p.opt.Hold)
	defer t.Stop()
	select {
	case <-r.Context().Done():
	case <-t.C:
	case <-w.p.done:
	}
	panic(http.ErrAbortHandler)
}

// hold keeps conn open without a byte until the peer closes it.
func (w *workload) hold(conn net.Conn) {
	defer func() { _ = conn.Close() }()
	_ = conn.SetReadDeadline(time.Now().Add(w.p.opt.Hold))
	gone := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, conn)
		close(gone)
	}()
	select {
	case <-gone:
	case <-w.p.done:
	}
}

// connect serves CONNECT host:port.
func (w *workload) connect(rw http.ResponseWriter, r *http.Request) {
	kind, host, port, addr, err := w.classify(r.Host)
	if err != nil {
		http.Error(rw, "niwa egress proxy: "+err.Error(), http.StatusBadGateway)
		return
	}
	hj, ok := rw.(http.Hijacker)
	if !ok {
		http.Error(rw, "niwa egress proxy: cannot tunnel", http.StatusInternalServerError)
		return
	}
	if kind == toInternet {
		d, err := Decide(w.p.opt.Network, w.pos, addr, port, "")
		if err != nil {
			http.Error(rw, "niwa egress proxy: "+err.Error(), http.StatusBadGateway)
			return
		}
		w.p.record(w.pos, r.Host, "", d)
		if !d.Reachable {
			w.holdRequest(rw, r)
			return
		}
		to := net.JoinHostPort(addr.String(), strconv.Itoa(port))
		if d.Host.ID != "" {
			if to, err = w.p.HostDial(d.Host, port); err != nil {
				http.Error(rw, "niwa egress proxy: "+err.Error(), http.StatusBadGateway)
				return
			}
		}
		up, err := net.DialTimeout("tcp", to, 30*time.Second)
		if err != nil {
			http.Error(rw, "niwa egress proxy: "+err.Error(), http.StatusBadGateway)
			return
		}
		conn, buf, err := hj.Hijack()
		if err != nil {
			_ = up.Close()
			return
		}
		_, _ = io.WriteString(conn, "HTTP/1.1 200 Connection Established\r\n\r\n")
		pipe(conn, buf, up)
		return
	}
	// niwa's names and the echo service: niwa answers inside the tunnel,
	// deciding per request (a call to AWS may go through an endpoint).
	if w.p.opt.Certs == nil {
		http.Error(rw, "niwa egress proxy: no certificate authority for HTTPS to "+host, http.StatusBadGateway)
		return
	}
	conn, buf, err := hj.Hijack()
	if err != nil {
		return
	}
	_, _ = io.WriteString(conn, "HTTP/1.1 200 Connection Established\r\n\r\n")
	tc := tls.Server(&bufferedConn{Conn: conn, r: buf.Reader}, &tls.Config{MinVersion: tls.VersionTLS12,
		GetCertificate: func(hi *tls.ClientHelloInfo) (*tls.Certificate, error) {
			name := hi.ServerName
			if name == "" {
				name = host
			}
			return w.p.opt.Certs(name)
		}})
	inner := &http.Server{ReadHeaderTimeout: time.Minute, ErrorLog: slog.NewLogLogger(w.p.opt.Log.Handler(), slog.LevelWarn),
		Handler: http.HandlerFunc(func(rw http.ResponseWriter, in *http.Request) {
			in.URL.Scheme, in.URL.Host = "https", net.JoinHostPort(host, strconv.Itoa(port))
			w.serve(rw, in, kind, host, port, addr)
		})}
	_ = inner.Serve(&oneConn{c: tc})
}

// pipe copies both ways until either side closes.
func pipe(a net.Conn, abuf *bufio.ReadWriter, b net.Conn) {
	done := make(chan struct{}, 2)
	go func() {
		if n := abuf.Reader.Buffered(); n > 0 {
			p, _ := abuf.Reader.Peek(n)
			_, _ = b.Write(p)
		}
		_, _ = io.Copy(b, a)
		done <- struct{}{}
	}()
	go func() {
		_, _ = io.Copy(a, b)
		done <- struct{}{}
	}()
	<-done
	_ = a.Close()
	_ = b.Close()
	<-done
}

// bufferedConn reads what the HTTP server already buffered first.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// oneConn is a listener that yields one connection, then blocks until
// that connection is closed.
type oneConn struct {
	mu   sync.Mutex
	c    net.Conn
	done chan struct{}
}

func (l *oneConn) Accept() (net.Conn, error) {
	l.mu.Lock()
	if l.done == nil {
		l.done = make(chan struct{})
	}
	c := l.c
	l.c = nil
	done := l.done
	l.mu.Unlock()
	if c != nil {
		return &closeNotify{Conn: c, done: done}, nil
	}
	<-done
	return nil, net.ErrClosed
}

func (l *oneConn) Close() error   { return nil }
func (l *oneConn) Addr() net.Addr { return &net.TCPAddr{} }

type closeNotify struct {
	net.Conn
	once sync.Once
	done chan struct{}
}

func (c *closeNotify) Close() error {
	c.once.Do(func() { close(c.done) })
	return c.Conn.Close()
}

// DialInstance is where a workload at src (a load balancer's node, say)
// dials an instance's private address ip on port: the decision (Admit)
// is made and recorded, and when it admits the connection the address
// is the instance's host address (HostDial). A refused connection
// answers the decision with an error saying why.
func (p *Proxy) DialInstance(src Position, vpcID string, ip netip.Addr, port int) (string, error) {
	h, ok, err := p.opt.Network.HostAt(src.Account, src.Region, vpcID, ip)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", fmt.Errorf("no running instance holds %s in %s", ip, vpcID)
	}
	d, err := Admit(p.opt.Network, &src, netip.Addr{}, h, port)
	if err != nil {
		return "", err
	}
	p.record(src, net.JoinHostPort(ip.String(), strconv.Itoa(port)), "", d)
	if !d.Reachable {
		return "", errors.New(d.Reason)
	}
	return p.HostDial(h, port)
}

// HostDial is where to dial a resource the decision admitted a
// connection to: an instance's host address, when a process of that
// instance listens on port there (or on 0.0.0.0). A port nobody of the
// instance listens on is refused, as the instance's kernel refuses it.
func (p *Proxy) HostDial(h Host, port int) (string, error) {
	if h.Kind != "instance" {
		return "", fmt.Errorf("%s %s takes no connections through the proxy", h.Kind, h.ID)
	}
	a, ok := p.HostAddress(h.Account, h.Region, h.VpcID, h.PrivateIP)
	if !ok {
		return "", fmt.Errorf("connection refused: instance %s runs no process", h.ID)
	}
	if !p.listensFor(h, a, port) {
		return "", fmt.Errorf("connection refused: nothing of instance %s listens on %s:%d", h.ID, h.PrivateIP, port)
	}
	return net.JoinHostPort(a.String(), strconv.Itoa(port)), nil
}

// listensFor reports whether a process of the instance h listens on
// port at its host address a. Where /proc cannot tell (not Linux), a
// listener is assumed and the dial decides.
func (p *Proxy) listensFor(h Host, a netip.Addr, port int) bool {
	toks, ok := listenerEnvs(a, uint16(port), PositionEnv)
	if !ok {
		return runtime.GOOS != "linux"
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, t := range toks {
		if w, ok := p.tokens[t]; ok && w.pos.Account == h.Account && w.pos.Region == h.Region &&
			w.pos.VpcID == h.VpcID && w.pos.PrivateIP == h.PrivateIP.String() {
			return true
		}
	}
	return false
}
