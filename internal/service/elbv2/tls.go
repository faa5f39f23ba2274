package elbv2

import (
	"context"
	"crypto/tls"
	"errors"
	"strings"

	elbv2api "github.com/niwa-cloud/niwa/internal/api/elbv2"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// tlsConfig terminates TLS on an HTTPS or TLS listener's port with the
// listener's ACM certificates: the one whose names match the client's
// SNI, else the default (first). Certificates are read at each handshake,
// so a certificate added or renewed is served at once. The SSL policy's
// protocol floor applies (TLS 1.2 for the TLS-1-2 and newer policies).
func (s *ELBv2) tlsConfig(sc storage.Scope, listenerARN string) *tls.Config {
	cfg := &tls.Config{NextProtos: []string{"h2", "http/1.1"}}
	cfg.GetConfigForClient = func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
		var l listenerRec
		if err := s.store.View(func(tx storage.Tx) (err error) {
			l, err = findListener(tx, sc, listenerARN)
			return err
		}); err != nil {
			return nil, err
		}
		certs, err := s.listenerCerts(hello.Context(), sc, l)
		if err != nil {
			return nil, err
		}
		c := &tls.Config{Certificates: certs, MinVersion: minVersion(l.SSL)}
		if l.Protocol == "HTTPS" {
			// routing.http2.enabled decides whether ALPN offers h2, as
			// on an ALB.
			c.NextProtos = []string{"http/1.1"}
			if s.http2(sc, l.LB) {
				c.NextProtos = []string{"h2", "http/1.1"}
			}
		}
		return c, nil
	}
	return cfg
}

// minVersion is the lowest TLS version a security policy allows.
func minVersion(policy string) uint16 {
	switch {
	case strings.Contains(policy, "TLS13-1-3"):
		return tls.VersionTLS13
	case strings.Contains(policy, "1-2"), strings.Contains(policy, "TLS13"):
		return tls.VersionTLS12
	case strings.Contains(policy, "1-1"):
		return tls.VersionTLS11
	}
	return tls.VersionTLS10
}

// listenerCerts loads a listener's certificates, the default first (Go
// picks by SNI among them and falls back to the first).
func (s *ELBv2) listenerCerts(ctx context.Context, sc storage.Scope, l listenerRec) ([]tls.Certificate, error) {
	if s.opt.Certificates == nil {
		return nil, errors.New("elbv2: no certificate source wired")
	}
	var out []tls.Certificate
	for _, c := range l.Certs {
		chain, key, err := s.opt.Certificates.KeyPair(ctx, sc.Account, sc.Region, ptr.Deref(c.CertificateArn))
		if err != nil {
			continue // a certificate not (yet) issued is skipped, as ELB serves the others
		}
		pair, err := tls.X509KeyPair(chain, key)
		if err != nil {
			continue
		}
		out = append(out, pair)
	}
	if len(out) == 0 {
		return nil, errors.New("elbv2: the listener has no usable certificate")
	}
	return out, nil
}

// markCerts records in ACM which load balancer uses the certificates
// (ACM's InUseBy), best effort: the listener exists either way.
func (s *ELBv2) markCerts(ctx *request.Context, lbARN string, certs []elbv2api.Certificate, inUse bool) {
	if s.opt.Certificates == nil {
		return
	}
	for _, c := range certs {
		arn := ptr.Deref(c.CertificateArn)
		if !strings.HasPrefix(arn, "arn:aws:acm:") {
			continue
		}
		if err := s.opt.Certificates.SetInUse(ctx, arn, lbARN, inUse); err != nil {
			s.log.Warn("elbv2: cannot record certificate use", "certificate", arn, "error", err)
		}
	}
}

// http2 reports whether a load balancer's routing.http2.enabled is on.
func (s *ELBv2) http2(sc storage.Scope, lbARN string) bool {
	var r lbRec
	if err := s.store.View(func(tx storage.Tx) (err error) {
		r, err = getLB(tx, sc, lbARN)
		return err
	}); err != nil {
		return false
	}
	return r.Attrs["routing.http2.enabled"] != "false"
}
