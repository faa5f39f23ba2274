package acm

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"testing"
	"time"
)

// FuzzParseImport feeds ImportCertificate's parser arbitrary certificate,
// key and chain bytes: it must answer an AWS error or a parsed import,
// never panic.
func FuzzParseImport(f *testing.F) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	cert := selfSigned(f, k, &k.PublicKey, now.Add(-time.Hour), now.Add(time.Hour))
	key := keyPEM(f, k)
	f.Add(cert, key, []byte(nil))
	f.Add(cert, key, cert)
	f.Add([]byte("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n"), key, []byte("x"))
	f.Add(cert, []byte("-----BEGIN RSA PRIVATE KEY-----\nMA==\n-----END RSA PRIVATE KEY-----\n"), []byte(nil))
	f.Fuzz(func(t *testing.T, c, k, chain []byte) {
		imp, err := parseImport(c, k, chain, now)
		if err == nil && (imp == nil || imp.algorithm == "") {
			t.Fatal("accepted an import without a key algorithm")
		}
	})
}
