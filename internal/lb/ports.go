package lb

import (
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"sync"
	"time"
)

// Ports are the sockets niwa opens on the machine for load balancer
// listeners: one per listener, on a free port of Host, so a client that
// needs a real address (not the Host header on niwa's main port) has
// one. They are runtime resources rebuilt from the services' stores.
type Ports struct {
	// Host is the interface listeners bind to ("127.0.0.1" when empty).
	Host string

	mu   sync.Mutex
	open map[string]*port
}

type port struct {
	ln   net.Listener
	srv  *http.Server
	addr string
}

// Addr is the address of the listener key's port, "" when none is open.
func (p *Ports) Addr(key string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if o := p.open[key]; o != nil {
		return o.addr
	}
	return ""
}

func (p *Ports) listen(key string) (net.Listener, error) {
	host := p.Host
	if host == "" {
		host = "127.0.0.1"
	}
	return net.Listen("tcp", net.JoinHostPort(host, "0"))
}

// ServeHTTP opens a port for key serving h over HTTP/1.1 and cleartext
// HTTP/2 (or TLS with cfg, ALPN h2 and http/1.1), unless one is open.
func (p *Ports) ServeHTTP(key string, h http.Handler, cfg *tls.Config) (string, error) {
	if a := p.Addr(key); a != "" {
		return a, nil
	}
	ln, err := p.listen(key)
	if err != nil {
		return "", err
	}
	protos := new(http.Protocols)
	protos.SetHTTP1(true)
	protos.SetHTTP2(true)
	protos.SetUnencryptedHTTP2(cfg == nil)
	srv := &http.Server{Handler: h, Protocols: protos, ReadHeaderTimeout: 60 * time.Second, TLSConfig: cfg}
	o := &port{ln: ln, srv: srv, addr: ln.Addr().String()}
	if !p.add(key, o) {
		_ = ln.Close()
		return p.Addr(key), nil
	}
	go func() {
		var err error
		if cfg != nil {
			err = srv.ServeTLS(ln, "", "")
		} else {
			err = srv.Serve(ln)
		}
		_ = err // ErrServerClosed when closed; nothing to report to
	}()
	return o.addr, nil
}

// ServeTCP opens a port for key handing each connection to serve.
func (p *Ports) ServeTCP(key string, serve func(net.Conn)) (string, error) {
	if a := p.Addr(key); a != "" {
		return a, nil
	}
	ln, err := p.listen(key)
	if err != nil {
		return "", err
	}
	o := &port{ln: ln, addr: ln.Addr().String()}
	if !p.add(key, o) {
		_ = ln.Close()
		return p.Addr(key), nil
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				if errors.Is(err, net.ErrClosed) {
					return
				}
				continue
			}
			go serve(c)
		}
	}()
	return o.addr, nil
}

func (p *Ports) add(key string, o *port) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.open == nil {
		p.open = map[string]*port{}
	}
	if p.open[key] != nil {
		return false
	}
	p.open[key] = o
	return true
}

// Close closes the port of key, if open.
func (p *Ports) Close(key string) {
	p.mu.Lock()
	o := p.open[key]
	delete(p.open, key)
	p.mu.Unlock()
	if o != nil {
		o.close()
	}
}

// CloseAll closes every port.
func (p *Ports) CloseAll() error {
	p.mu.Lock()
	open := p.open
	p.open = nil
	p.mu.Unlock()
	for _, o := range open {
		o.close()
	}
	return nil
}

func (o *port) close() {
	if o.srv != nil {
		_ = o.srv.Close()
		return
	}
	_ = o.ln.Close()
}
