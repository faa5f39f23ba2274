package server

import (
	"net"
	"net/url"

	"github.com/niwa-cloud/niwa/internal/dns"
	"github.com/niwa-cloud/niwa/internal/service/route53"
)

// wireRoute53 wires Route53 and, when cfg.DNSAddr is set, the
// authoritative DNS server that serves its zones over UDP and TCP.
func wireRoute53(d *deps) (*wiring, error) {
	store, err := d.store("route53")
	if err != nil {
		return nil, err
	}
	svc := route53.New(store, route53.WithRegion(d.cfg.Region), route53.WithClock(d.clock), route53.WithBus(d.bus), route53.WithClient(d.cfg.DNSClient),
		route53.WithSelf(func() net.IP { return selfIP(d.endpoint()) }))
	// Health checks probe their endpoints on the injected clock.
	svc.StartHealthChecks()
	w := &wiring{Declaration: svc.Declare()}
	d.dnsResolver = svc.Resolver()
	// Names services hand out for what they serve (load balancers)
	// answer niwa's address too.
	svc.Resolver().Endpoints = d.names.owns
	svc.Resolver().EachEndpoint = d.names.each
	// Code inside a VPC sees its private zones and instances' names.
	wireVPCNames(d, svc)
	if d.cfg.DNSAddr == "" {
		return w, nil
	}
	srv, err := dns.Listen(d.cfg.DNSAddr, svc.Resolver(), d.log, dns.WithView(d.cfg.DNSView))
	if err != nil && d.cfg.DNSOptional {
		// The default port (5353) is mDNS's, often held by the desktop's
		// avahi: serve the API without DNS rather than refuse to start.
		d.log.Warn("Route53 DNS server disabled: cannot listen on the default address; set --dns-port", "addr", d.cfg.DNSAddr, "error", err)
		return w, nil
	}
	if err != nil {
		return nil, err
	}
	d.dnsAddr = srv.Addr()
	stopChecks := w.Close
	w.Close = func() error { _ = stopChecks(); return srv.Close() }
	return w, nil
}

// selfIP is the address aliases to AWS endpoints resolve to: the host
// niwa's HTTP listener is bound to, or loopback when it listens on every
// interface (or not yet).
func selfIP(endpoint string) net.IP {
	u, err := url.Parse(endpoint)
	if err != nil {
		return net.IPv4(127, 0, 0, 1)
	}
	ip := net.ParseIP(u.Hostname())
	if ip == nil || ip.IsUnspecified() {
		return net.IPv4(127, 0, 0, 1)
	}
	return ip
}
