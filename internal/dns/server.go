package dns

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	mdns "github.com/miekg/dns"
)

// Server serves a Resolver on one address over UDP and TCP.
type Server struct {
	resolver *Resolver
	log      *slog.Logger
	udp, tcp *mdns.Server
	addr     string
	view     View
	wg       sync.WaitGroup
	// started receives once per listener when it serves (or failed to):
	// Close waits for both, since Shutdown of a miekg server that has not
	// started yet is a no-op and the server would then start and never
	// stop.
	started chan struct{}
	waited  sync.Once
}

// Option configures a Server.
type Option func(*Server)

// WithView sets what queries that name no VPC see (default ViewAll).
func WithView(v View) Option { return func(s *Server) { s.view = v } }

// Listen binds addr ("127.0.0.1:5353"; port 0 picks a port free for both
// UDP and TCP) and serves r until Close.
func Listen(addr string, r *Resolver, log *slog.Logger, opts ...Option) (*Server, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("dns: listen address %q: %w", addr, err)
	}
	var pc net.PacketConn
	var ln net.Listener
	// With port 0 the UDP port the kernel picks may be taken for TCP:
	// try a few times.
	for attempt := 0; ; attempt++ {
		pc, err = net.ListenPacket("udp", net.JoinHostPort(host, port))
		if err != nil {
			return nil, fmt.Errorf("dns: %w", err)
		}
		bound := strconv.Itoa(pc.LocalAddr().(*net.UDPAddr).Port)
		ln, err = net.Listen("tcp", net.JoinHostPort(host, bound))
		if err == nil {
			break
		}
		_ = pc.Close()
		if port != "0" || attempt >= 10 {
			return nil, fmt.Errorf("dns: %w", err)
		}
	}
	s := &Server{resolver: r, log: log, addr: ln.Addr().String()}
	for _, o := range opts {
		o(s)
	}
	h := mdns.HandlerFunc(s.serve)
	// The UDP server's read deadline only makes its loop go round (a
	// timeout is a temporary error it reads again after; Shutdown ends
	// the read by a deadline in the past): miekg's default of 2 s woke an
	// idle niwa every 2 s, touching pages of code it had released.
	s.udp = &mdns.Server{PacketConn: pc, Handler: h, UDPSize: 65535, ReadTimeout: udpReadTimeout}
	s.tcp = &mdns.Server{Listener: ln, Handler: h, ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second}
	// The sockets are bound and listening, so queries sent now wait in
	// the kernel's queues until the serving goroutines read them; Listen
	// does not wait for those to start (niwa's start-up would wait for
	// the scheduler twice): Close does.
	// Each server sends at most twice (started, then stopped with an
	// error), so no send ever blocks, whenever Close reads.
	started := make(chan struct{}, 4)
	s.started = started
	for _, srv := range []*mdns.Server{s.udp, s.tcp} {
		srv.NotifyStartedFunc = func() { started <- struct{}{} }
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			if err := srv.ActivateAndServe(); err != nil && !errors.Is(err, net.ErrClosed) {
				log.Warn("dns server stopped", "err", err)
				started <- struct{}{}
			}
		}()
	}
	return s, nil
}

// udpReadTimeout is how long the UDP server's read waits before it goes
// round its loop and reads again.
const udpReadTimeout = time.Hour

// Addr is the bound address ("127.0.0.1:53123"), the same for UDP and TCP.
func (s *Server) Addr() string { return s.addr }

// Close stops both listeners.
func (s *Server) Close() error {
	s.waited.Do(func() {
		<-s.started
		<-s.started
	})
	err := s.udp.Shutdown()
	if terr := s.tcp.Shutdown(); err == nil {
		err = terr
	}
	s.wg.Wait()
	return err
}

// serve answers one query.
func (s *Server) serve(w mdns.ResponseWriter, req *mdns.Msg) {
	var from netip.Addr
	if ap, err := netip.ParseAddrPort(w.RemoteAddr().String()); err == nil {
		from = ap.Addr().Unmap()
	}
	resp := s.handle(req, w.RemoteAddr().Network() == "udp", from)
	if err := w.WriteMsg(resp); err != nil {
		s.log.Debug("dns write", "err", err)
	}
}

// Handle answers req as the server does; udp selects the UDP size limit
// (512 bytes, or the EDNS0 buffer size the query advertises) and sets TC
// when the answer does not fit, so the client retries over TCP.
func (s *Server) Handle(req *mdns.Msg, udp bool) *mdns.Msg {
	return s.handle(req, udp, netip.Addr{})
}

// handle answers req from the address from, which IP-based (CIDR)
// routing matches unless the query carries an EDNS0 client subnet.
func (s *Server) handle(req *mdns.Msg, udp bool, from netip.Addr) *mdns.Msg {
	resp := new(mdns.Msg)
	resp.SetReply(req)
	opt := req.IsEdns0()
	if opt != nil && opt.Version() != 0 {
		resp.SetRcode(req, mdns.RcodeBadVers)
		resp.SetEdns0(1232, false)
		return resp
	}
	if req.Opcode != mdns.OpcodeQuery {
		resp.SetRcode(req, mdns.RcodeNotImplemented)
		return resp
	}
	if len(req.Question) != 1 {
		resp.SetRcode(req, mdns.RcodeFormatError)
		return resp
	}
	// A query that says its VPC (code niwa runs inside a VPC) sees that
	// VPC's view; any other comes from the host and sees the server's.
	vpc := VPCOf(req)
	if vpc == "" {
		vpc = s.view.asker()
	}
	asker, subnet := from, clientSubnetPrefix(req)
	if subnet.IsValid() {
		from = subnet.Addr()
	}
	ans, zone, answered, err := s.resolver.answerFrom(req.Question[0], vpc, from)
	if err == nil && answered && s.resolver.Logged != nil {
		proto := "TCP"
		if udp {
			proto = "UDP"
		}
		q := req.Question[0]
		typ, ok := mdns.TypeToString[q.Qtype]
		if !ok {
			typ = strconv.Itoa(int(q.Qtype))
		}
		rc, ok := mdns.RcodeToString[ans.Rcode]
		if !ok {
			rc = strconv.Itoa(ans.Rcode)
		}
		s.resolver.Logged(QueryLog{Zone: zone, Name: strings.TrimSuffix(q.Name, "."), Type: typ, Rcode: rc,
			Protocol: proto, Resolver: asker, Subnet: subnet})
	}
	if err != nil {
		s.log.Warn("dns resolve", "name", req.Question[0].Name, "err", err)
		resp.SetRcode(req, mdns.RcodeServerFailure)
		return resp
	}
	resp.Rcode = ans.Rcode
	resp.Authoritative = ans.Authoritative
	resp.RecursionAvailable = false
	resp.Answer, resp.Ns = ans.Answer, ans.Ns
	size := mdns.MinMsgSize
	if opt != nil {
		if n := int(opt.UDPSize()); n > size {
			size = n
		}
		resp.SetEdns0(1232, false)
	}
	if udp {
		resp.Truncate(size)
	}
	return resp
}

// clientSubnetPrefix is a query's EDNS0 client subnet with its source
// prefix length, or the zero Prefix.
func clientSubnetPrefix(m *mdns.Msg) netip.Prefix {
	opt := m.IsEdns0()
	if opt == nil {
		return netip.Prefix{}
	}
	for _, o := range opt.Option {
		if e, ok := o.(*mdns.EDNS0_SUBNET); ok {
			if a, ok := netip.AddrFromSlice(e.Address); ok {
				if p, err := a.Unmap().Prefix(int(e.SourceNetmask)); err == nil {
					return p
				}
			}
		}
	}
	return netip.Prefix{}
}

// VPCOf returns the VPC id a query says it comes from ("" for none): the
// data of its EDNS0 local option VPCOption.
func VPCOf(req *mdns.Msg) string {
	opt := req.IsEdns0()
	if opt == nil {
		return ""
	}
	for _, o := range opt.Option {
		if l, ok := o.(*mdns.EDNS0_LOCAL); ok && l.Code == VPCOption {
			return string(l.Data)
		}
	}
	return ""
}

// VPCQuery marks m as asked from inside vpc, adding EDNS0 if m has none.
func VPCQuery(m *mdns.Msg, vpc string) *mdns.Msg {
	opt := m.IsEdns0()
	if opt == nil {
		m.SetEdns0(1232, false)
		opt = m.IsEdns0()
	}
	opt.Option = append(opt.Option, &mdns.EDNS0_LOCAL{Code: VPCOption, Data: []byte(vpc)})
	return m
}
