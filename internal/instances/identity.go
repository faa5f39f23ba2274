package instances

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// identity is the key that signs instance identity documents, with its
// self-signed certificate. AWS signs with a per-region key whose public
// certificate it publishes; niwa keeps one key in its work directory
// (durable with --data-dir) and serves the certificate at
// /_niwa/ec2/instance-identity.pem.
type identity struct {
	key     *rsa.PrivateKey
	cert    *x509.Certificate
	certPEM []byte
}

const identityFile = "instance-identity.pem"

// loadIdentity reads the key from dir, or makes one.
func loadIdentity(dir string, now time.Time) (*identity, error) {
	path := filepath.Join(dir, identityFile)
	if b, err := os.ReadFile(path); err == nil {
		return parseIdentity(b)
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(now.UnixNano()),
		Subject:      pkix.Name{CommonName: "niwa EC2 instance identity", Organization: []string{"niwa"}},
		NotBefore:    now.Add(-time.Hour), NotAfter: now.AddDate(30, 0, 0),
		KeyUsage: x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	out := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	out = append(out, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})...)
	if err := os.WriteFile(path, out, 0o600); err != nil {
		return nil, err
	}
	return parseIdentity(out)
}

func parseIdentity(b []byte) (*identity, error) {
	id := &identity{}
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			break
		}
		switch blk.Type {
		case "CERTIFICATE":
			c, err := x509.ParseCertificate(blk.Bytes)
			if err != nil {
				return nil, err
			}
			id.cert, id.certPEM = c, pem.EncodeToMemory(blk)
		case "RSA PRIVATE KEY":
			k, err := x509.ParsePKCS1PrivateKey(blk.Bytes)
			if err != nil {
				return nil, err
			}
			id.key = k
		}
	}
	if id.key == nil || id.cert == nil {
		return nil, errors.New("instances: " + identityFile + " lacks its key or certificate")
	}
	return id, nil
}

// identityDocument is dynamic/instance-identity/document, as EC2 writes
// it (two-space indented JSON).
func identityDocument(in Instance) []byte {
	arch := in.Architecture
	if arch == "" {
		arch = "x86_64"
	}
	doc := struct {
		AccountID               string   `json:"accountId"`
		Architecture            string   `json:"architecture"`
		AvailabilityZone        string   `json:"availabilityZone"`
		BillingProducts         []string `json:"billingProducts"`
		DevpayProductCodes      []string `json:"devpayProductCodes"`
		MarketplaceProductCodes []string `json:"marketplaceProductCodes"`
		ImageID                 string   `json:"imageId"`
		InstanceID              string   `json:"instanceId"`
		InstanceType            string   `json:"instanceType"`
		KernelID                *string  `json:"kernelId"`
		PendingTime             string   `json:"pendingTime"`
		PrivateIP               string   `json:"privateIp"`
		RamdiskID               *string  `json:"ramdiskId"`
		Region                  string   `json:"region"`
		Version                 string   `json:"version"`
	}{in.Account, arch, in.AZ, nil, nil, nil, in.ImageID, in.ID, in.InstanceType, nil,
		imdsTime(in.LaunchTime), in.PrivateIP, nil, in.Region, "2017-09-30"}
	b, _ := json.MarshalIndent(doc, "", "  ")
	return b
}

// signature is dynamic/instance-identity/signature: RSA (PKCS #1 v1.5)
// over the document's SHA-256, base64.
func (id *identity) signature(doc []byte) (string, error) {
	sum := sha256.Sum256(doc)
	sig, err := rsa.SignPKCS1v15(rand.Reader, id.key, crypto.SHA256, sum[:])
	if err != nil {
		return "", err
	}
	return wrap64(base64.StdEncoding.EncodeToString(sig)), nil
}

var (
	oidData       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	oidSignedData = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidSHA256     = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidRSA        = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
)

type algorithmID struct {
	Algorithm asn1.ObjectIdentifier
	Params    asn1.RawValue
}

type issuerSerial struct {
	Issuer asn1.RawValue
	Serial *big.Int
}

type signerInfo struct {
	Version      int
	IssuerSerial issuerSerial
	Digest       algorithmID
	SignatureAlg algorithmID
	Signature    []byte
}

type dataContent struct {
	Type    asn1.ObjectIdentifier
	Content []byte `asn1:"explicit,tag:0"`
}

type signedData struct {
	Version     int
	Digests     []algorithmID `asn1:"set"`
	Content     dataContent
	SignerInfos []signerInfo `asn1:"set"`
}

type contentInfo struct {
	Type    asn1.ObjectIdentifier
	Content signedData `asn1:"explicit,tag:0"`
}

// pkcs7 is dynamic/instance-identity/pkcs7 (and rsa2048): a PKCS #7
// SignedData holding the document, signed with SHA-256 and RSA, without
// the certificate (the verifier supplies it, as with AWS's), base64 in
// 64-column lines without PEM armour. Verify with
//
//	openssl smime -verify -inform PEM -in <(echo "-----BEGIN PKCS7-----"; cat pkcs7; echo "-----END PKCS7-----") \
//	  -certfile instance-identity.pem -noverify
func (id *identity) pkcs7(doc []byte) (string, error) {
	sum := sha256.Sum256(doc)
	sig, err := rsa.SignPKCS1v15(rand.Reader, id.key, crypto.SHA256, sum[:])
	if err != nil {
		return "", err
	}
	null := asn1.RawValue{Tag: asn1.TagNull}
	sha := algorithmID{Algorithm: oidSHA256, Params: null}
	ci := contentInfo{Type: oidSignedData, Content: signedData{
		Version: 1, Digests: []algorithmID{sha},
		Content: dataContent{Type: oidData, Content: doc},
		SignerInfos: []signerInfo{{
			Version:      1,
			IssuerSerial: issuerSerial{Issuer: asn1.RawValue{FullBytes: id.cert.RawIssuer}, Serial: id.cert.SerialNumber},
			Digest:       sha, SignatureAlg: algorithmID{Algorithm: oidRSA, Params: null}, Signature: sig,
		}},
	}}
	der, err := asn1.Marshal(ci)
	if err != nil {
		return "", err
	}
	return wrap64(base64.StdEncoding.EncodeToString(der)), nil
}

func wrap64(s string) string {
	var b strings.Builder
	for len(s) > 64 {
		b.WriteString(s[:64])
		b.WriteByte('\n')
		s = s[64:]
	}
	b.WriteString(s)
	return b.String()
}
