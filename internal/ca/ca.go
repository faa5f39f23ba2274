// Package ca is niwa's local certificate authority: a root and an
// intermediate, made on first start and kept in a store (durable with
// --data-dir), that issue the leaf certificates ACM hands out and niwa's
// own HTTPS listener serves. Clients trust niwa by trusting the root
// (GET /_niwa/ca.pem, or <data-dir>/ca.pem).
//
// Keys are ECDSA P-256 for the authority (small, fast to make); leaves
// take the key algorithm their requester asks for.
package ca

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/niwa-cloud/niwa/internal/storage"
)

// Validity of the authority's certificates: long, so a kept data dir
// keeps working; leaves are short (Issue's caller says).
const (
	rootValidity         = 20 * 365 * 24 * time.Hour
	intermediateValidity = 10 * 365 * 24 * time.Hour
)

// Names of the authority, as they appear in Issuer fields.
const (
	rootName         = "niwa Local Root CA"
	intermediateName = "niwa Local Intermediate CA"
	organization     = "niwa"
)

// CA is the authority. It is safe for concurrent use (it never changes
// once loaded).
type CA struct {
	// load, set by Lazy, loads the authority on first use; lazy is what
	// it loaded (under mu; a failed load is tried again by the next use).
	load func() (*CA, error)
	mu   sync.Mutex
	lazy *CA

	root, inter       *x509.Certificate
	rootDER, interDER []byte
	interKey          crypto.Signer
	// kept is what Load stored, for Keep.
	kept state
}

// Lazy returns the authority kept in st as Load does, but loads (or
// makes) it on first use: making one is two ECDSA keys and two
// signatures, and the code that does it is pages of crypto/x509 niwa's
// start-up need not touch when no certificate is asked for. now is read
// then. Use Load when the root must exist at once (written to
// --data-dir for clients to trust before their first request).
func Lazy(st storage.Store, now func() time.Time) *CA {
	return &CA{load: func() (*CA, error) { return Load(st, now()) }}
}

// get is the loaded authority (c itself unless c is lazy).
func (c *CA) get() (*CA, error) {
	if c.load == nil {
		return c, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.lazy == nil {
		l, err := c.load()
		if err != nil {
			return nil, err
		}
		c.lazy = l
	}
	return c.lazy, nil
}

// loaded is the authority, or one without certificates (nil ones) when a
// lazy load failed: the methods without an error return then answer
// empty, Issue and Keep the error.
func (c *CA) loaded() *CA {
	l, err := c.get()
	if err != nil {
		return &CA{}
	}
	return l
}

// state is what the store keeps.
type state struct {
	RootDER  []byte `json:"root"`
	InterDER []byte `json:"intermediate"`
	InterKey []byte `json:"intermediateKey"` // PKCS#8
}

var table = storage.NewTable[state]("authority")

// scope is the store scope of the authority: one per niwa, not per
// account.
var scope = storage.Scope{}

// Load returns the authority kept in st, making and storing one first
// if there is none. now is the clock's time (the authority's NotBefore
// is an hour before it, so certificates are valid at once whatever the
// skew between niwa's clock and a client's).
func Load(st storage.Store, now time.Time) (*CA, error) {
	var s state
	var found bool
	err := st.Update(func(tx storage.Tx) error {
		var err error
		s, found, err = table.Get(tx, scope, "current")
		if err != nil || found {
			return err
		}
		s, err = create(now)
		if err != nil {
			return err
		}
		return table.Put(tx, scope, s, "current")
	})
	if err != nil {
		return nil, err
	}
	return fromState(s)
}

// Keep stores the authority in st again: after POST /_niwa/reset
// dropped every store, the authority clients already trust stays the one
// a restart loads.
func (c *CA) Keep(st storage.Store) error {
	if c.load != nil {
		c.mu.Lock()
		l := c.lazy
		c.mu.Unlock()
		if l == nil {
			return nil // never used, so never trusted: its first use makes one
		}
		return l.Keep(st)
	}
	return st.Update(func(tx storage.Tx) error { return table.Put(tx, scope, c.kept, "current") })
}

// Handler serves the root certificate (GET /_niwa/ca.pem), PEM-encoded.
func (c *CA) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := c.get(); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "GET "+RootPath+" returns niwa's root certificate", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Type", "application/x-pem-file")
		w.Write(c.RootPEM())
	})
}

// RootPath is where niwa serves the root certificate.
const RootPath = "/_niwa/ca.pem"

// RootFile is the root certificate's file name in --data-dir.
const RootFile = "ca.pem"

// New makes an authority kept nowhere (tests).
func New(now time.Time) (*CA, error) {
	s, err := create(now)
	if err != nil {
		return nil, err
	}
	return fromState(s)
}

func create(now time.Time) (state, error) {
	rootKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return state{}, err
	}
	interKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return state{}, err
	}
	start := now.Add(-time.Hour).UTC()
	root := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: rootName, Organization: []string{organization}},
		NotBefore:             start,
		NotAfter:              start.Add(rootValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	rootDER, err := x509.CreateCertificate(rand.Reader, root, root, &rootKey.PublicKey, rootKey)
	if err != nil {
		return state{}, err
	}
	root, err = x509.ParseCertificate(rootDER)
	if err != nil {
		return state{}, err
	}
	inter := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: intermediateName, Organization: []string{organization}},
		NotBefore:             start,
		NotAfter:              start.Add(intermediateValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	interDER, err := x509.CreateCertificate(rand.Reader, inter, root, &interKey.PublicKey, rootKey)
	if err != nil {
		return state{}, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(interKey)
	if err != nil {
		return state{}, err
	}
	// The root's key is not kept: the intermediate signs everything, so a
	// leaked data dir cannot mint new intermediates.
	return state{RootDER: rootDER, InterDER: interDER, InterKey: keyDER}, nil
}

func fromState(s state) (*CA, error) {
	root, err := x509.ParseCertificate(s.RootDER)
	if err != nil {
		return nil, fmt.Errorf("ca: stored root: %w", err)
	}
	inter, err := x509.ParseCertificate(s.InterDER)
	if err != nil {
		return nil, fmt.Errorf("ca: stored intermediate: %w", err)
	}
	k, err := x509.ParsePKCS8PrivateKey(s.InterKey)
	if err != nil {
		return nil, fmt.Errorf("ca: stored intermediate key: %w", err)
	}
	signer, ok := k.(crypto.Signer)
	if !ok {
		return nil, errors.New("ca: stored intermediate key cannot sign")
	}
	return &CA{root: root, inter: inter, rootDER: s.RootDER, interDER: s.InterDER, interKey: signer, kept: s}, nil
}

func serial() *big.Int {
	// 128 random bits, positive, as CAs make them (RFC 5280 allows 20 octets).
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return n.Add(n, big.NewInt(1))
}

// Root returns the root certificate.
func (c *CA) Root() *x509.Certificate { return c.loaded().root }

// RootPEM returns the root certificate, PEM-encoded: what clients trust.
func (c *CA) RootPEM() []byte {
	if c = c.loaded(); c.rootDER == nil {
		return nil
	}
	return encode(c.rootDER)
}

// ChainPEM returns the chain a server sends after its leaf: the
// intermediate, then the root (as ACM's GetCertificate returns it).
func (c *CA) ChainPEM() []byte {
	if c = c.loaded(); c.rootDER == nil {
		return nil
	}
	return append(encode(c.interDER), encode(c.rootDER)...)
}

// Pool returns a pool holding the root, for verifying.
func (c *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	if c = c.loaded(); c.root != nil {
		p.AddCert(c.root)
	}
	return p
}

// Intermediates returns a pool holding the intermediate.
func (c *CA) Intermediates() *x509.CertPool {
	p := x509.NewCertPool()
	if c = c.loaded(); c.inter != nil {
		p.AddCert(c.inter)
	}
	return p
}

func encode(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// Key algorithms a leaf may have, named as ACM names them.
const (
	RSA2048   = "RSA_2048"
	ECP256    = "EC_prime256v1"
	ECP384    = "EC_secp384r1"
	RSA3072   = "RSA_3072"
	RSA4096   = "RSA_4096"
	RSA1024   = "RSA_1024"
	ECP521    = "EC_secp521r1"
	ecUnknown = ""
)

// NewKey makes a private key of algorithm alg (an ACM key algorithm).
func NewKey(alg string) (crypto.Signer, error) {
	switch alg {
	case RSA2048:
		return rsa.GenerateKey(rand.Reader, 2048)
	case RSA3072:
		return rsa.GenerateKey(rand.Reader, 3072)
	case RSA4096:
		return rsa.GenerateKey(rand.Reader, 4096)
	case ECP256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case ECP384:
		return ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case ECP521:
		return ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	}
	return nil, fmt.Errorf("ca: unsupported key algorithm %q", alg)
}

// KeyAlgorithm names pub's algorithm as ACM does ("" when ACM has no
// name for it).
func KeyAlgorithm(pub any) string {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		switch k.N.BitLen() {
		case 1024:
			return RSA1024
		case 2048:
			return RSA2048
		case 3072:
			return RSA3072
		case 4096:
			return RSA4096
		}
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			return ECP256
		case elliptic.P384():
			return ECP384
		case elliptic.P521():
			return ECP521
		}
	}
	return ecUnknown
}

// Leaf is an issued certificate with its key.
type Leaf struct {
	Cert    *x509.Certificate
	CertPEM []byte
	// KeyPEM is the private key, PKCS#8 PEM.
	KeyPEM []byte
	Key    crypto.Signer
}

// Issue signs a server certificate for names (the first is the subject's
// common name; all are SANs — DNS names, or IP addresses when they parse
// as one) valid from notBefore for validity, with key.
func (c *CA) Issue(names []string, key crypto.Signer, notBefore time.Time, validity time.Duration) (*Leaf, error) {
	if len(names) == 0 {
		return nil, errors.New("ca: a certificate needs at least one name")
	}
	c, err := c.get()
	if err != nil {
		return nil, err
	}
	t := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: names[0]},
		NotBefore:             notBefore.UTC().Truncate(time.Second),
		NotAfter:              notBefore.Add(validity).UTC().Truncate(time.Second),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
	}
	if _, ok := key.Public().(*rsa.PublicKey); ok {
		// RSA key exchange (TLS 1.2 non-ECDHE suites) encrypts to the key.
		t.KeyUsage |= x509.KeyUsageKeyEncipherment
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			t.IPAddresses = append(t.IPAddresses, ip)
		} else {
			t.DNSNames = append(t.DNSNames, strings.ToLower(strings.TrimSuffix(n, ".")))
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, t, c.inter, key.Public(), c.interKey)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	return &Leaf{Cert: cert, CertPEM: encode(der), Key: key,
		KeyPEM: pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder})}, nil
}

// IsOurs reports whether cert was signed by this authority's intermediate.
func (c *CA) IsOurs(cert *x509.Certificate) bool {
	if c = c.loaded(); c.inter == nil {
		return false
	}
	return bytes.Equal(cert.RawIssuer, c.inter.RawSubject) && cert.CheckSignatureFrom(c.inter) == nil
}
