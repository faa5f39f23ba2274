package server

import (
	"context"
	"crypto/tls"
	"errors"
	"sync"
	"time"

	"github.com/niwa-cloud/niwa/internal/ca"
	"github.com/niwa-cloud/niwa/internal/clock"
)

// httpsNames are the names niwa's HTTPS certificate covers: niwa's own
// host names (S3 virtual hosts are <bucket>.s3.localhost, CloudFront
// distributions d<id>.cloudfront.localhost).
var httpsNames = []string{"localhost", "*.localhost", "*.s3.localhost", "*.cloudfront.localhost", "127.0.0.1", "::1"}

// httpsValidity is the listener certificate's lifetime; a new one is
// issued on the clock once it nears its end.
const httpsValidity = 395 * 24 * time.Hour

// tlsCerts issues (and re-issues, on the clock) the HTTPS listener's
// certificate from niwa's local CA.
type tlsCerts struct {
	authority *ca.CA
	clock     clock.Clock
	// services are the declarations' own certificates by server name
	// (kit.Declaration.ServerCertificate), asked first.
	services []func(ctx context.Context, serverName string) (*tls.Certificate, bool, error)

	mu   sync.Mutex
	cert *tls.Certificate
	end  time.Time
}

func (c *tlsCerts) get(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	if hello != nil && hello.ServerName != "" {
		for _, svc := range c.services {
			cert, ok, err := svc(hello.Context(), hello.ServerName)
			if err != nil {
				return nil, err
			}
			if ok {
				return cert, nil
			}
		}
	}
	if c.authority == nil {
		return nil, errors.New("https: no certificate authority")
	}
	now := c.clock.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cert != nil && now.Before(c.end.Add(-24*time.Hour)) {
		return c.cert, nil
	}
	key, err := ca.NewKey(ca.ECP256)
	if err != nil {
		return nil, err
	}
	// An hour back: a client whose clock is a little behind niwa's still
	// accepts it.
	leaf, err := c.authority.Issue(httpsNames, key, now.Add(-time.Hour), httpsValidity)
	if err != nil {
		return nil, err
	}
	pair, err := tls.X509KeyPair(append(leaf.CertPEM, c.authority.ChainPEM()...), leaf.KeyPEM)
	if err != nil {
		return nil, err
	}
	c.cert, c.end = &pair, leaf.Cert.NotAfter
	return c.cert, nil
}
