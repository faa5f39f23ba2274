// Package sns is Amazon Simple Notification Service: standard and FIFO
// topics, subscriptions (SQS, Lambda, HTTP/HTTPS with the confirmation
// handshake, email recorded for inspection), filter policies on message
// attributes and bodies, raw delivery, and notifications signed the way
// SNS signs them (SignatureVersion 1 SHA1withRSA, 2 SHA256withRSA) with a
// signing certificate niwa serves itself.
//
// SNS reaches its subscribers only through the event bus (events.Bus
// Deliver to the queue or function ARN) or over HTTP: it never imports the
// services it delivers to.
package sns

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	kmsseam "github.com/niwa-cloud/niwa/internal/kms"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/clock"
	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Deliverer is the part of the event bus SNS uses.
type Deliverer interface {
	Deliver(ctx context.Context, m events.Message) error
}

// SNS implements the SNS API. Bind it with snsapi.Bind.
type SNS struct {
	// docs writes the SubscribeURL and UnsubscribeURL answers.
	docs   *apiDocs
	store  storage.Store
	clock  clock.Clock
	bus    Deliverer
	client *http.Client
	opts   Options
	// key signs notifications; certPEM is its self-signed certificate,
	// served at SigningCertURL. Generated per process: a verifier fetches
	// the certificate from the URL in each message, as with AWS. Made on
	// first use (see signer): an RSA key costs tens of milliseconds of CPU,
	// which every start-up paid.
	keyOnce sync.Once
	key     *rsa.PrivateKey
	certPEM []byte
	keyErr  error
	certID  string
	// pending tracks HTTP deliveries in flight so Close can wait; done,
	// closed by Close, ends their retries.
	pending   sync.WaitGroup
	done      chan struct{}
	closeOnce sync.Once
	// recorded numbers the recorded deliveries (email, SMS, push) so
	// that those of one instant keep their order.
	recorded atomic.Uint64
}

// recordKey is the key of a recorded delivery: its time, then its order.
func (s *SNS) recordKey(now time.Time) string {
	return fmt.Sprintf("%020d.%012d", now.UnixNano(), s.recorded.Add(1))
}

// New returns the SNS service. client makes HTTP/HTTPS deliveries.
func New(store storage.Store, clk clock.Clock, bus Deliverer, client *http.Client, opts ...Options) (*SNS, error) {
	if clk == nil {
		clk = clock.Real{}
	}
	if client == nil {
		client = &http.Client{Timeout: 15 * time.Second}
	}
	var id [16]byte
	rand.Read(id[:])
	s := &SNS{store: store, clock: clk, bus: bus, client: client, certID: hex.EncodeToString(id[:]), done: make(chan struct{}), docs: newAPIDocs()}
	for _, o := range opts {
		s.opts = o
	}
	return s, nil
}

// Options are the collaborators SNS may be given.
type Options struct {
	// DataKeys checks SSE-KMS topics' keys as the publisher (kms.go);
	// nil checks nothing.
	DataKeys kmsseam.Keys
}

// signer returns the signing key and its certificate, made on first use.
func (s *SNS) signer() (*rsa.PrivateKey, []byte, error) {
	s.keyOnce.Do(func() {
		key, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			s.keyErr = err
			return
		}
		now := s.clock.Now()
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(now.UnixNano()),
			Subject:      pkix.Name{CommonName: "sns.amazonaws.com", Organization: []string{"niwa"}},
			NotBefore:    now.Add(-time.Hour),
			NotAfter:     now.AddDate(10, 0, 0),
			KeyUsage:     x509.KeyUsageDigitalSignature,
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		if err != nil {
			s.keyErr = err
			return
		}
		s.key, s.certPEM = key, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	})
	return s.key, s.certPEM, s.keyErr
}

// Close ends pending retries and waits for HTTP deliveries in flight.
func (s *SNS) Close() error {
	s.closeOnce.Do(func() { close(s.done) })
	s.pending.Wait()
	return nil
}

// CertPath is the path of the signing certificate niwa serves.
func (s *SNS) CertPath() string {
	return "/_niwa/sns/SimpleNotificationService-" + s.certID + ".pem"
}

// CertPEM returns the signing certificate.
func (s *SNS) CertPEM() []byte {
	_, cert, _ := s.signer()
	return cert
}

// topicRef names a topic.
type topicRef struct {
	scope storage.Scope
	name  string
}

func (r topicRef) arn() string {
	return "arn:aws:sns:" + r.scope.Region + ":" + r.scope.Account + ":" + r.name
}

func parseTopicARN(arn string) (topicRef, bool) {
	p := strings.Split(arn, ":")
	if len(p) != 6 || p[0] != "arn" || p[2] != "sns" || p[3] == "" || p[4] == "" || p[5] == "" {
		return topicRef{}, false
	}
	return topicRef{scope: storage.Scope{Account: p[4], Region: p[3]}, name: p[5]}, true
}

// parseSubARN splits a subscription ARN (topic ARN + ":" + id).
func parseSubARN(arn string) (topicRef, string, bool) {
	i := strings.LastIndexByte(arn, ':')
	if i < 0 {
		return topicRef{}, "", false
	}
	t, ok := parseTopicARN(arn[:i])
	return t, arn[i+1:], ok && arn[i+1:] != ""
}

func newToken() string {
	return awsid.Hex(128)
}

func timestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
