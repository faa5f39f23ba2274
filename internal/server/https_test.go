package server

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/niwa-cloud/niwa/internal/ca"
	"github.com/niwa-cloud/niwa/internal/clock"
)

// TestHTTPSListener: with HTTPSAddr niwa serves over TLS a certificate
// for localhost and *.s3.localhost that verifies against the root it
// serves at /_niwa/ca.pem, and re-issues it once niwa's clock nears its
// end; without HTTPSAddr there is no listener.
func TestHTTPSListener(t *testing.T) {
	clk := clock.NewFake(time.Now())
	s, err := New(Config{Port: 0, HTTPSAddr: "127.0.0.1:0", Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve() }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		s.Shutdown(ctx)
		<-done
	})
	resp, err := http.Get("http://" + s.Addr() + ca.RootPath)
	if err != nil {
		t.Fatal(err)
	}
	root, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(root) {
		t.Fatalf("root %q", root)
	}
	var dialer net.Dialer
	port := s.HTTPSAddr()[strings.LastIndex(s.HTTPSAddr(), ":"):]
	get := func(host string, now time.Time) (*x509.Certificate, error) {
		c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: host, Time: func() time.Time { return now }},
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return dialer.DialContext(ctx, network, s.HTTPSAddr())
			}}}
		defer c.CloseIdleConnections()
		r, err := c.Get("https://" + host + port + "/_niwa/health")
		if err != nil {
			return nil, err
		}
		r.Body.Close()
		// A bucket's virtual host answers S3 (NoSuchBucket) there.
		if r.StatusCode != 200 && host == "localhost" {
			t.Fatalf("health over https: %d", r.StatusCode)
		}
		return r.TLS.PeerCertificates[0], nil
	}
	first, err := get("localhost", clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := get("bucket.s3.localhost", clk.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := get("example.com", clk.Now()); err == nil {
		t.Fatal("a name the certificate does not cover verified")
	}
	clk.Advance(httpsValidity)
	second, err := get("localhost", clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	if first.SerialNumber.Cmp(second.SerialNumber) == 0 {
		t.Fatal("the certificate was not re-issued near its end on niwa's clock")
	}

	plain, err := New(Config{Port: 0})
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Shutdown(context.Background())
	if err := plain.Listen(); err != nil {
		t.Fatal(err)
	}
	if plain.HTTPSAddr() != "" {
		t.Fatal("HTTPS listener without HTTPSAddr")
	}
}
