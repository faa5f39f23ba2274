package kms

import (
	"bytes"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"hash"
	"sort"
	"strconv"
	"time"

	"github.com/niwa-cloud/niwa/internal/kms/ciphertext"
)

// specInfo describes what a key spec is for.
type specInfo struct {
	usages     []string // allowed key usages, default first
	encryption []string // encryption algorithms for ENCRYPT_DECRYPT
	signing    []string // signing algorithms for SIGN_VERIFY
	mac        string   // MAC algorithm for GENERATE_VERIFY_MAC
	rsaBits    int
	curve      elliptic.Curve
	k1         bool // secp256k1
	ed         bool // Ed25519
	hmacBytes  int
}

var rsaSigning = []string{"RSASSA_PSS_SHA_256", "RSASSA_PSS_SHA_384", "RSASSA_PSS_SHA_512", "RSASSA_PKCS1_V1_5_SHA_256", "RSASSA_PKCS1_V1_5_SHA_384", "RSASSA_PKCS1_V1_5_SHA_512"}
var rsaEncryption = []string{"RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"}

// specs are the key specs niwa makes (SM2 is China-Regions only on AWS).
var specs = map[string]specInfo{
	"SYMMETRIC_DEFAULT": {usages: []string{"ENCRYPT_DECRYPT"}, encryption: []string{"SYMMETRIC_DEFAULT"}},
	"RSA_2048":          {usages: []string{"ENCRYPT_DECRYPT", "SIGN_VERIFY"}, encryption: rsaEncryption, signing: rsaSigning, rsaBits: 2048},
	"RSA_3072":          {usages: []string{"ENCRYPT_DECRYPT", "SIGN_VERIFY"}, encryption: rsaEncryption, signing: rsaSigning, rsaBits: 3072},
	"RSA_4096":          {usages: []string{"ENCRYPT_DECRYPT", "SIGN_VERIFY"}, encryption: rsaEncryption, signing: rsaSigning, rsaBits: 4096},
	"ECC_NIST_P256":     {usages: []string{"SIGN_VERIFY", "KEY_AGREEMENT"}, signing: []string{"ECDSA_SHA_256"}, curve: elliptic.P256()},
	"ECC_NIST_P384":     {usages: []string{"SIGN_VERIFY", "KEY_AGREEMENT"}, signing: []string{"ECDSA_SHA_384"}, curve: elliptic.P384()},
	"ECC_NIST_P521":     {usages: []string{"SIGN_VERIFY", "KEY_AGREEMENT"}, signing: []string{"ECDSA_SHA_512"}, curve: elliptic.P521()},
	"ECC_SECG_P256K1":   {usages: []string{"SIGN_VERIFY"}, signing: []string{"ECDSA_SHA_256"}, k1: true},
	// ED25519_SHA_512 is pure Ed25519 over a RAW message;
	// ED25519_PH_SHA_512 is Ed25519ph over a SHA-512 DIGEST (see
	// signingDigest).
	"ECC_NIST_EDWARDS25519": {usages: []string{"SIGN_VERIFY"}, signing: []string{"ED25519_SHA_512", "ED25519_PH_SHA_512"}, ed: true},
	"HMAC_224":              {usages: []string{"GENERATE_VERIFY_MAC"}, mac: "HMAC_SHA_224", hmacBytes: 28},
	"HMAC_256":              {usages: []string{"GENERATE_VERIFY_MAC"}, mac: "HMAC_SHA_256", hmacBytes: 32},
	"HMAC_384":              {usages: []string{"GENERATE_VERIFY_MAC"}, mac: "HMAC_SHA_384", hmacBytes: 48},
	"HMAC_512":              {usages: []string{"GENERATE_VERIFY_MAC"}, mac: "HMAC_SHA_512", hmacBytes: 64},
}

func (si specInfo) symmetric() bool { return si.rsaBits == 0 && si.curve == nil && !si.k1 && !si.ed }

// newMaterial makes fresh key material for spec.
func newMaterial(spec string, now time.Time) (material, error) {
	si := specs[spec]
	m := material{Created: now}
	switch {
	case spec == "SYMMETRIC_DEFAULT":
		m.Secret = randomBytes(32)
	case si.hmacBytes > 0:
		m.Secret = randomBytes(si.hmacBytes)
	default:
		der, err := newPrivateKey(spec)
		if err != nil {
			return m, err
		}
		m.Private = der
	}
	return m, nil
}

// newPrivateKey returns a private key of spec as PKCS#8 DER.
func newPrivateKey(spec string) ([]byte, error) {
	si := specs[spec]
	switch {
	case si.rsaBits > 0:
		k, err := rsa.GenerateKey(rand.Reader, si.rsaBits)
		if err != nil {
			return nil, err
		}
		return x509.MarshalPKCS8PrivateKey(k)
	case si.curve != nil:
		k, err := ecdsa.GenerateKey(si.curve, rand.Reader)
		if err != nil {
			return nil, err
		}
		return x509.MarshalPKCS8PrivateKey(k)
	case si.k1:
		return newK1PrivateKey()
	case si.ed:
		_, k, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, err
		}
		return x509.MarshalPKCS8PrivateKey(k)
	}
	return nil, errors.New("kms: no private key for spec " + spec)
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// rotate appends new key material (symmetric keys only rotate).
//
// Rotated material is derived from the key's Seed and the material's index
// (HKDF-SHA256), not drawn at random: the rotation a lazy access computes
// is the same whoever computes it first, and a multi-Region key's replicas
// rotate to the same material as their primary without copying it.
func (k *key) rotate(at time.Time, typ string) error {
	m, err := newMaterial(k.Spec, at)
	if err != nil {
		return err
	}
	if k.Seed != nil && m.Secret != nil {
		m.Secret, err = hkdf.Key(sha256.New, k.Seed, nil, "niwa kms key material "+strconv.Itoa(len(k.Materials)), len(m.Secret))
		if err != nil {
			return err
		}
	}
	k.Materials = append(k.Materials, m)
	k.Rotations = append(k.Rotations, rotation{Date: at, Type: typ})
	return nil
}

// Symmetric ciphertexts are a header (package ciphertext: account, key id,
// material index), a 12-byte nonce and the AES-256-GCM ciphertext with its
// 16-byte tag. The additional authenticated data is the header followed by
// the canonical encryption context, so neither the key reference nor the
// context can be changed without Decrypt failing.
const (
	headerLen = ciphertext.HeaderLen
	nonceLen  = 12
	blobMin   = headerLen + nonceLen + 16
)

// parseBlob reads a symmetric ciphertext's header; ok is false when blob
// is not one niwa made.
func parseBlob(blob []byte) (ciphertext.Header, bool) {
	if len(blob) < blobMin {
		return ciphertext.Header{}, false
	}
	return ciphertext.Parse(blob)
}

// canonicalContext encodes an encryption context independently of map
// order: pairs sorted by key, each part length-prefixed.
func canonicalContext(ec map[string]string) []byte {
	ks := make([]string, 0, len(ec))
	for k := range ec {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	var b bytes.Buffer
	for _, k := range ks {
		b.Write(binary.AppendUvarint(nil, uint64(len(k))))
		b.WriteString(k)
		b.Write(binary.AppendUvarint(nil, uint64(len(ec[k]))))
		b.WriteString(ec[k])
	}
	return b.Bytes()
}

func gcm(secret []byte) (cipher.AEAD, error) {
	blk, err := aes.NewCipher(secret)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(blk)
}

// sealSymmetric encrypts plaintext under the key's current material.
func sealSymmetric(k *key, plaintext []byte, ec map[string]string) ([]byte, error) {
	idx := len(k.Materials) - 1
	h := ciphertext.Header{Account: k.Account, KeyID: k.ID, Material: uint32(idx)}
	aead, err := gcm(k.Materials[idx].Secret)
	if err != nil {
		return nil, err
	}
	hdr := h.Bytes()
	aad := append(append([]byte{}, hdr...), canonicalContext(ec)...)
	nonce := randomBytes(nonceLen)
	out := append(hdr, nonce...)
	return aead.Seal(out, nonce, plaintext, aad), nil
}

// openSymmetric decrypts a blob made by sealSymmetric with k; ok is false
// when the blob, the material or the context does not match.
func openSymmetric(k *key, blob []byte, ec map[string]string) ([]byte, bool) {
	h, ok := parseBlob(blob)
	if !ok || h.KeyID != k.ID || h.Account != k.Account || int(h.Material) >= len(k.Materials) {
		return nil, false
	}
	aead, err := gcm(k.Materials[h.Material].Secret)
	if err != nil {
		return nil, false
	}
	aad := append(append([]byte{}, blob[:headerLen]...), canonicalContext(ec)...)
	pt, err := aead.Open(nil, blob[headerLen:headerLen+nonceLen], blob[headerLen+nonceLen:], aad)
	if err != nil {
		return nil, false
	}
	if pt == nil {
		pt = []byte{}
	}
	return pt, true
}

func (k *key) current() material { return k.Materials[len(k.Materials)-1] }

func (k *key) rsaKey() (*rsa.PrivateKey, error) {
	p, err := x509.ParsePKCS8PrivateKey(k.current().Private)
	if err != nil {
		return nil, err
	}
	r, ok := p.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("kms: not an RSA key")
	}
	return r, nil
}

func oaepHash(alg string) hash.Hash {
	if alg == "RSAES_OAEP_SHA_1" {
		return sha1.New()
	}
	return sha256.New()
}

// signer returns the hash a signing algorithm uses.
func signingHash(alg string) crypto.Hash {
	switch alg {
	case "RSASSA_PSS_SHA_384", "RSASSA_PKCS1_V1_5_SHA_384", "ECDSA_SHA_384":
		return crypto.SHA384
	case "RSASSA_PSS_SHA_512", "RSASSA_PKCS1_V1_5_SHA_512", "ECDSA_SHA_512":
		return crypto.SHA512
	}
	return crypto.SHA256
}

func digest(h crypto.Hash, msg []byte) []byte {
	switch h {
	case crypto.SHA384:
		d := sha512.Sum384(msg)
		return d[:]
	case crypto.SHA512:
		d := sha512.Sum512(msg)
		return d[:]
	}
	d := sha256.Sum256(msg)
	return d[:]
}

// sign signs a digest with the key's private key. RSA-PSS uses a salt as
// long as the digest, as KMS does.
func sign(k *key, alg string, dgst []byte) ([]byte, error) {
	if specs[k.Spec].k1 {
		return k1Sign(k.current().Private, dgst)
	}
	p, err := x509.ParsePKCS8PrivateKey(k.current().Private)
	if err != nil {
		return nil, err
	}
	h := signingHash(alg)
	switch pk := p.(type) {
	case *rsa.PrivateKey:
		if len(alg) > 10 && alg[:10] == "RSASSA_PSS" {
			return rsa.SignPSS(rand.Reader, pk, h, dgst, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
		}
		return rsa.SignPKCS1v15(rand.Reader, pk, h, dgst)
	case *ecdsa.PrivateKey:
		return ecdsa.SignASN1(rand.Reader, pk, dgst)
	case ed25519.PrivateKey:
		return pk.Sign(nil, dgst, edOptions(alg))
	}
	return nil, errors.New("kms: not a signing key")
}

// verify checks a signature over a digest with the key's public key.
func verify(k *key, alg string, dgst, sig []byte) (bool, error) {
	if specs[k.Spec].k1 {
		return k1Verify(k.current().Private, dgst, sig)
	}
	p, err := x509.ParsePKCS8PrivateKey(k.current().Private)
	if err != nil {
		return false, err
	}
	h := signingHash(alg)
	switch pk := p.(type) {
	case *rsa.PrivateKey:
		if len(alg) > 10 && alg[:10] == "RSASSA_PSS" {
			return rsa.VerifyPSS(&pk.PublicKey, h, dgst, sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}) == nil, nil
		}
		return rsa.VerifyPKCS1v15(&pk.PublicKey, h, dgst, sig) == nil, nil
	case *ecdsa.PrivateKey:
		return ecdsa.VerifyASN1(&pk.PublicKey, dgst, sig), nil
	case ed25519.PrivateKey:
		return ed25519.VerifyWithOptions(pk.Public().(ed25519.PublicKey), dgst, sig, edOptions(alg)) == nil, nil
	}
	return false, errors.New("kms: not a signing key")
}

// edOptions are the Ed25519 variant of alg: Ed25519ph signs a SHA-512
// prehash, pure Ed25519 the message.
func edOptions(alg string) *ed25519.Options {
	if alg == "ED25519_PH_SHA_512" {
		return &ed25519.Options{Hash: crypto.SHA512}
	}
	return &ed25519.Options{}
}

// publicKeyDER returns the DER SubjectPublicKeyInfo of a private key.
func publicKeyDER(spec string, private []byte) ([]byte, error) {
	if specs[spec].k1 {
		return k1PublicDER(private)
	}
	p, err := x509.ParsePKCS8PrivateKey(private)
	if err != nil {
		return nil, err
	}
	s, ok := p.(crypto.Signer)
	if !ok {
		return nil, errors.New("kms: no public key")
	}
	return x509.MarshalPKIXPublicKey(s.Public())
}

func macHash(alg string) func() hash.Hash {
	switch alg {
	case "HMAC_SHA_224":
		return sha256.New224
	case "HMAC_SHA_384":
		return sha512.New384
	case "HMAC_SHA_512":
		return sha512.New
	}
	return sha256.New
}

func computeMAC(secret []byte, alg string, msg []byte) []byte {
	m := hmac.New(macHash(alg), secret)
	m.Write(msg)
	return m.Sum(nil)
}

func equalMAC(a, b []byte) bool { return subtle.ConstantTimeCompare(a, b) == 1 }
