package kms

import (
	"encoding/asn1"
	"errors"
	"math/big"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	k1ecdsa "github.com/decred/dcrd/dcrec/secp256k1/v4/ecdsa"
)

// ECC_SECG_P256K1 keys. Go's standard library has no secp256k1, so the
// curve arithmetic comes from decred's secp256k1 module (see
// docs/dependencies.md); the encodings around it (PKCS#8, SEC 1,
// SubjectPublicKeyInfo) are written here with encoding/asn1 so that
// openssl and every SDK read them as they read AWS's.

var (
	oidECPublicKey = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidSecp256k1   = asn1.ObjectIdentifier{1, 3, 132, 0, 10}
)

type pkcs8 struct {
	Version    int
	Algorithm  algorithmIdentifier
	PrivateKey []byte
}

type algorithmIdentifier struct {
	Algorithm  asn1.ObjectIdentifier
	Parameters asn1.ObjectIdentifier `asn1:"optional"`
}

// ecPrivateKey is SEC 1's ECPrivateKey (RFC 5915).
type ecPrivateKey struct {
	Version    int
	PrivateKey []byte
	PublicKey  asn1.BitString `asn1:"optional,explicit,tag:1"`
}

type spki struct {
	Algorithm algorithmIdentifier
	PublicKey asn1.BitString
}

func newK1PrivateKey() ([]byte, error) {
	k, err := secp256k1.GeneratePrivateKey()
	if err != nil {
		return nil, err
	}
	pub := k.PubKey().SerializeUncompressed()
	inner, err := asn1.Marshal(ecPrivateKey{Version: 1, PrivateKey: k.Serialize(), PublicKey: asn1.BitString{Bytes: pub, BitLength: 8 * len(pub)}})
	if err != nil {
		return nil, err
	}
	return asn1.Marshal(pkcs8{Algorithm: algorithmIdentifier{Algorithm: oidECPublicKey, Parameters: oidSecp256k1}, PrivateKey: inner})
}

func parseK1(der []byte) (*secp256k1.PrivateKey, error) {
	var p pkcs8
	if rest, err := asn1.Unmarshal(der, &p); err != nil || len(rest) > 0 {
		return nil, errors.New("kms: bad secp256k1 private key")
	}
	if !p.Algorithm.Algorithm.Equal(oidECPublicKey) || !p.Algorithm.Parameters.Equal(oidSecp256k1) {
		return nil, errors.New("kms: not a secp256k1 private key")
	}
	var ec ecPrivateKey
	if _, err := asn1.Unmarshal(p.PrivateKey, &ec); err != nil || len(ec.PrivateKey) != 32 {
		return nil, errors.New("kms: bad secp256k1 private key")
	}
	return secp256k1.PrivKeyFromBytes(ec.PrivateKey), nil
}

func k1PublicDER(private []byte) ([]byte, error) {
	k, err := parseK1(private)
	if err != nil {
		return nil, err
	}
	pub := k.PubKey().SerializeUncompressed()
	return asn1.Marshal(spki{Algorithm: algorithmIdentifier{Algorithm: oidECPublicKey, Parameters: oidSecp256k1}, PublicKey: asn1.BitString{Bytes: pub, BitLength: 8 * len(pub)}})
}

// k1Sign signs a 32-byte digest; the signature is DER (r, s) as KMS
// returns it.
func k1Sign(private, dgst []byte) ([]byte, error) {
	k, err := parseK1(private)
	if err != nil {
		return nil, err
	}
	return k1ecdsa.Sign(k, dgst).Serialize(), nil
}

type ecdsaSig struct{ R, S *big.Int }

// k1Verify verifies a DER signature. It reads (r, s) with encoding/asn1
// rather than decred's strict parser so that any valid DER signature
// (openssl's high-S ones included) verifies, as on KMS.
func k1Verify(private, dgst, sig []byte) (bool, error) {
	k, err := parseK1(private)
	if err != nil {
		return false, err
	}
	var rs ecdsaSig
	if rest, err := asn1.Unmarshal(sig, &rs); err != nil || len(rest) > 0 || rs.R == nil || rs.S == nil {
		return false, nil
	}
	if rs.R.Sign() <= 0 || rs.S.Sign() <= 0 || rs.R.BitLen() > 256 || rs.S.BitLen() > 256 {
		return false, nil
	}
	var r, s secp256k1.ModNScalar
	if r.SetByteSlice(rs.R.Bytes()) || s.SetByteSlice(rs.S.Bytes()) {
		return false, nil // not below the group order
	}
	return k1ecdsa.NewSignature(&r, &s).Verify(dgst, k.PubKey()), nil
}
