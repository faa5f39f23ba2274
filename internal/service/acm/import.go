package acm

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"time"

	acmapi "github.com/niwa-cloud/niwa/internal/api/acm"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/ca"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Size limits of ImportCertificate's members (the model's).
const (
	maxCertLen  = 32768
	maxKeyLen   = 5120
	maxChainLen = 2097152
)

// imported is a parsed, checked import.
type imported struct {
	cert      *x509.Certificate
	certPEM   string
	chainPEM  string
	keyPEM    string
	algorithm string
}

// parseImport checks an import as ACM does: one PEM certificate, an
// unencrypted PEM private key of a supported type that matches it, a
// PEM chain, and a certificate valid at now.
func parseImport(certPEM, keyPEM, chainPEM []byte, now time.Time) (*imported, error) {
	if len(certPEM) == 0 || len(certPEM) > maxCertLen {
		return nil, awserr.ValidationException.New("1 validation error detected: Value at 'certificate' failed to satisfy constraint: Member must have length between 1 and %d", maxCertLen)
	}
	if len(keyPEM) == 0 || len(keyPEM) > maxKeyLen {
		return nil, awserr.ValidationException.New("1 validation error detected: Value at 'privateKey' failed to satisfy constraint: Member must have length between 1 and %d", maxKeyLen)
	}
	if len(chainPEM) > maxChainLen {
		return nil, awserr.ValidationException.New("1 validation error detected: Value at 'certificateChain' failed to satisfy constraint: Member must have length less than or equal to %d", maxChainLen)
	}
	blocks := pemBlocks(certPEM)
	if len(blocks) == 0 || blocks[0].Type != "CERTIFICATE" {
		return nil, awserr.ValidationException.New("Unable to parse certificate. Please ensure the certificate is in PEM format.")
	}
	if len(blocks) > 1 {
		return nil, awserr.ValidationException.New("The certificate field contains more than one certificate. You can specify only one certificate in this field.")
	}
	x, err := x509.ParseCertificate(blocks[0].Bytes)
	if err != nil {
		return nil, awserr.ValidationException.New("Unable to parse certificate. Please ensure the certificate is in PEM format.")
	}
	kb := pemBlocks(keyPEM)
	if len(kb) != 1 || !strings.HasSuffix(kb[0].Type, "PRIVATE KEY") {
		return nil, awserr.ValidationException.New("Unable to parse key; the key may be corrupted or in an unsupported format.")
	}
	if kb[0].Type == "ENCRYPTED PRIVATE KEY" || kb[0].Headers["Proc-Type"] != "" {
		return nil, awserr.ValidationException.New("The private key is encrypted: import an unencrypted private key.")
	}
	key, err := parseKey(kb[0])
	if err != nil {
		return nil, err
	}
	alg := ca.KeyAlgorithm(key.Public())
	if alg == "" || alg != ca.KeyAlgorithm(x.PublicKey) {
		if alg == "" {
			return nil, awserr.ValidationException.New("The private key is not supported: ACM imports RSA (1024, 2048, 3072, 4096 bits) and ECDSA (P-256, P-384, P-521) keys.")
		}
		return nil, awserr.ValidationException.New("The private key did not match the public key in the certificate.")
	}
	if !publicEqual(key.Public(), x.PublicKey) {
		return nil, awserr.ValidationException.New("The private key did not match the public key in the certificate.")
	}
	if now.After(x.NotAfter) {
		return nil, awserr.ValidationException.New("The certificate has expired (its NotAfter is %s).", x.NotAfter.UTC().Format(time.RFC3339))
	}
	if now.Before(x.NotBefore) {
		return nil, awserr.ValidationException.New("The certificate is not yet valid (its NotBefore is %s).", x.NotBefore.UTC().Format(time.RFC3339))
	}
	var chain bytes.Buffer
	if len(bytes.TrimSpace(chainPEM)) > 0 {
		cb := pemBlocks(chainPEM)
		if len(cb) == 0 {
			return nil, awserr.ValidationException.New("Unable to parse certificate chain. Please ensure the chain is in PEM format.")
		}
		for _, b := range cb {
			if b.Type != "CERTIFICATE" {
				return nil, awserr.ValidationException.New("Unable to parse certificate chain. Please ensure the chain is in PEM format.")
			}
			if _, err := x509.ParseCertificate(b.Bytes); err != nil {
				return nil, awserr.ValidationException.New("Unable to parse certificate chain. Please ensure the chain is in PEM format.")
			}
			_ = pem.Encode(&chain, &pem.Block{Type: "CERTIFICATE", Bytes: b.Bytes})
		}
	}
	return &imported{cert: x, algorithm: alg,
		certPEM:  string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: x.Raw})),
		keyPEM:   string(pem.EncodeToMemory(&pem.Block{Type: kb[0].Type, Bytes: kb[0].Bytes})),
		chainPEM: chain.String()}, nil
}

// pemBlocks decodes every PEM block of b; text that is not PEM (or is
// left after the last block, beyond whitespace) makes the answer nil.
func pemBlocks(b []byte) []*pem.Block {
	var out []*pem.Block
	rest := b
	for {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			break
		}
		out = append(out, blk)
	}
	if len(bytes.TrimSpace(rest)) > 0 {
		return nil
	}
	return out
}

func parseKey(b *pem.Block) (crypto.Signer, error) {
	var k any
	var err error
	switch b.Type {
	case "RSA PRIVATE KEY":
		k, err = x509.ParsePKCS1PrivateKey(b.Bytes)
	case "EC PRIVATE KEY":
		k, err = x509.ParseECPrivateKey(b.Bytes)
	case "PRIVATE KEY":
		k, err = x509.ParsePKCS8PrivateKey(b.Bytes)
	default:
		return nil, awserr.ValidationException.New("Unable to parse key; the key may be corrupted or in an unsupported format.")
	}
	if err != nil {
		return nil, awserr.ValidationException.New("Unable to parse key; the key may be corrupted or in an unsupported format.")
	}
	switch s := k.(type) {
	case *rsa.PrivateKey:
		return s, nil
	case *ecdsa.PrivateKey:
		return s, nil
	}
	return nil, awserr.ValidationException.New("The private key is not supported: ACM imports RSA (1024, 2048, 3072, 4096 bits) and ECDSA (P-256, P-384, P-521) keys.")
}

func publicEqual(a, b crypto.PublicKey) bool {
	type equaler interface{ Equal(crypto.PublicKey) bool }
	e, ok := a.(equaler)
	return ok && e.Equal(b)
}

// ImportCertificate imports a certificate made elsewhere, or re-imports
// one over an imported certificate's ARN (keeping its ARN, tags and
// users).
func (a *ACM) ImportCertificate(ctx *request.Context, in *acmapi.ImportCertificateRequest) (*acmapi.ImportCertificateResponse, error) {
	now := ctx.Now()
	imp, err := parseImport(in.Certificate, in.PrivateKey, in.CertificateChain, now)
	if err != nil {
		return nil, err
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	domain := imp.cert.Subject.CommonName
	sans := append([]string{}, imp.cert.DNSNames...)
	for _, ip := range imp.cert.IPAddresses {
		sans = append(sans, ip.String())
	}
	if domain == "" && len(sans) > 0 {
		domain = sans[0]
	}
	if len(sans) == 0 && domain != "" {
		sans = []string{domain}
	}
	fill := func(c *cert) {
		c.Domain, c.SANs, c.Status, c.Type, c.KeyAlgorithm = domain, sans, statusIssued, typeImported, imp.algorithm
		c.ImportedAt, c.CertPEM, c.ChainPEM, c.KeyPEM = now, imp.certPEM, imp.chainPEM, imp.keyPEM
		c.CTLogging = "DISABLED"
	}
	if in.CertificateArn != nil {
		if len(in.Tags) > 0 {
			return nil, awserr.ValidationException.New("Tags cannot be specified while reimporting a certificate: use AddTagsToCertificate.")
		}
		err := a.update(ctx, in.CertificateArn, func(c *cert) error {
			if c.Type != typeImported {
				return awserr.ValidationException.New("Certificate ARN: %s is not an imported certificate; only imported certificates can be reimported.", c.ARN)
			}
			fill(c)
			return nil
		})
		if err != nil {
			return nil, err
		}
		return &acmapi.ImportCertificateResponse{CertificateArn: in.CertificateArn}, nil
	}
	arn, id := newARN(ctx)
	c := cert{ARN: arn, CreatedAt: now}
	fill(&c)
	setTags(&c, in.Tags)
	err = a.opt.Store.Update(func(tx storage.Tx) error { return certs.Put(tx, scope(ctx), c, id) })
	if err != nil {
		return nil, err
	}
	return &acmapi.ImportCertificateResponse{CertificateArn: ptr.To(arn)}, nil
}
