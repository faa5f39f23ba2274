// Package niwatest starts niwa inside a Go test: a real HTTP listener on a
// free loopback port, in-memory state, and the default credentials, so a
// test points any AWS SDK at Endpoint and runs.
//
//	func TestUpload(t *testing.T) {
//		n := niwatest.Start(t)
//		cfg := n.AWSConfig()
//		client := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
//		...
//	}
package niwatest

import (
	"context"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/niwa-cloud/niwa/internal/auth"
	"github.com/niwa-cloud/niwa/internal/clock"
	"github.com/niwa-cloud/niwa/internal/server"
	"github.com/niwa-cloud/niwa/internal/sqlengine"
	"github.com/niwa-cloud/niwa/niwatest/sdkbody"
)

// Default credentials: the root of account 000000000000.
const (
	AccessKeyID     = "test"
	SecretAccessKey = "test"
	Account         = server.DefaultAccount
	Region          = "ap-northeast-1"
)

// Niwa is a running instance.
type Niwa struct {
	// Endpoint is the base URL, e.g. http://127.0.0.1:43121.
	Endpoint string
	Region   string
	srv      *server.Server
}

// Option adjusts the instance.
type Option func(*server.Config)

// WithClock makes niwa read time from c (e.g. a *clock.Fake the test moves).
func WithClock(c clock.Clock) Option { return func(cfg *server.Config) { cfg.Clock = c } }

// WithDataDir makes state durable in dir.
func WithDataDir(dir string) Option { return func(cfg *server.Config) { cfg.DataDir = dir } }

// WithSQLEngine links a SQL engine (Athena's queries, S3 Select), as the
// niwa binary links DuckDB; in-process servers have none by default, so
// that tests not about SQL link no C library.
func WithSQLEngine(e sqlengine.Engine) Option { return func(cfg *server.Config) { cfg.SQLEngine = e } }

// WithSkipSignatureValidation accepts any key and signature.
func WithSkipSignatureValidation() Option {
	return func(cfg *server.Config) { cfg.SkipSignatureValidation = true }
}

// WithAccessKey adds a static key that acts as the root of account (as
// `niwa --access-key KEY:SECRET:ACCOUNT` does). The default test/test key
// stays usable.
func WithAccessKey(accessKeyID, secretAccessKey, account string) Option {
	return func(cfg *server.Config) {
		if len(cfg.Keys) == 0 {
			cfg.Keys = []auth.Credential{auth.RootCredential(AccessKeyID, SecretAccessKey, Account)}
		}
		cfg.Keys = append(cfg.Keys, auth.RootCredential(accessKeyID, secretAccessKey, account))
	}
}

// NewFakeClock returns a fake clock at t for WithClock.
func NewFakeClock(t time.Time) *clock.Fake { return clock.NewFake(t) }

// Start runs niwa until the test ends.
func Start(t testing.TB, opts ...Option) *Niwa {
	t.Helper()
	cfg := server.Config{Host: "127.0.0.1", Port: 0, DNSAddr: "127.0.0.1:0", Region: Region, Version: "test",
		// NIWA_HTTP_SERVER=niwa runs a package's tests on niwa's own
		// HTTP/1.1 server, as it makes the binary serve with it.
		HTTPServer: os.Getenv("NIWA_HTTP_SERVER")}
	for _, o := range opts {
		o(&cfg)
	}
	srv, err := server.New(cfg)
	if err != nil {
		t.Fatalf("niwatest: %v", err)
	}
	if err := srv.Listen(); err != nil {
		t.Fatalf("niwatest: %v", err)
	}
	go func() { _ = srv.Serve() }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	return &Niwa{Endpoint: "http://" + srv.Addr(), Region: cfg.Region, srv: srv}
}

// DNSAddr is the address (UDP and TCP) of the instance's DNS server,
// which serves its Route53 zones, e.g. "127.0.0.1:53123".
func (n *Niwa) DNSAddr() string { return n.srv.DNSAddr() }

// Reset drops all state, for tests that share one instance.
func (n *Niwa) Reset(t testing.TB) {
	t.Helper()
	if err := n.srv.Reset(); err != nil {
		t.Fatalf("niwatest: reset: %v", err)
	}
}

// AWSConfig is an aws-sdk-go-v2 configuration pointing at this instance
// with the default credentials.
func (n *Niwa) AWSConfig() aws.Config {
	return n.AWSConfigWith(AccessKeyID, SecretAccessKey, "")
}

// AWSConfigWith is AWSConfig with other credentials.
func (n *Niwa) AWSConfigWith(accessKeyID, secret, sessionToken string) aws.Config {
	return aws.Config{
		Region:       n.Region,
		Credentials:  credentials.NewStaticCredentialsProvider(accessKeyID, secret, sessionToken),
		BaseEndpoint: aws.String(n.Endpoint),
		HTTPClient:   &http.Client{Timeout: 30 * time.Second, Transport: sdkbody.Transport(nil)},
	}
}
