package kms

import (
	"bytes"
	"crypto/aes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	kmsapi "github.com/niwa-cloud/niwa/internal/api/kms"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Imported key material (Origin EXTERNAL). GetParametersForImport hands
// out an RSA wrapping public key and an import token; ImportKeyMaterial
// unwraps the material with the matching private key (RSAES_OAEP_SHA_1/256
// directly, or RSA_AES_KEY_WRAP_SHA_1/256: an AES key under RSA-OAEP
// followed by the material under AES key wrap with padding, RFC 5649).
// The material may expire (ValidTo, on niwa's clock); without it the key
// is PendingImport until the same material is imported again.

const statePendingImport = "PendingImport"

// importParams is one GetParametersForImport answer, stored under (key id,
// token id) until it is used or expires.
type importParams struct {
	Token     string    `json:"token"`
	Algorithm string    `json:"algorithm"`
	Wrapping  []byte    `json:"wrapping"` // PKCS#8 DER RSA private key
	ValidTo   time.Time `json:"validTo"`
}

var imports = storage.NewTable[importParams]("import")

const importTokenPrefix = "niwa-import-token:"

// hasMaterial reports whether the key's material is present (imported
// material can be deleted or expire).
func (k *key) hasMaterial() bool {
	if len(k.Materials) == 0 {
		return false
	}
	m := k.current()
	return m.Secret != nil || m.Private != nil
}

// dropMaterial deletes imported material: the key waits for a reimport.
func (k *key) dropMaterial() {
	for i := range k.Materials {
		k.Materials[i].Secret, k.Materials[i].Private = nil, nil
	}
	k.ValidTo, k.ExpirationModel = nil, ""
	if k.State != statePendingDeletion {
		k.State = statePendingImport
	}
}

func wrappingBits(spec string) int {
	switch spec {
	case "RSA_3072":
		return 3072
	case "RSA_4096":
		return 4096
	}
	return 2048
}

// GetParametersForImport returns a wrapping public key and an import
// token, valid for 24 hours.
func (s *KMS) GetParametersForImport(ctx *request.Context, in *kmsapi.GetParametersForImportInput) (*kmsapi.GetParametersForImportOutput, error) {
	if err := keyOnly(in.KeyId); err != nil {
		return nil, err
	}
	alg, spec := *in.WrappingAlgorithm, *in.WrappingKeySpec
	switch alg {
	case "RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256", "RSA_AES_KEY_WRAP_SHA_1", "RSA_AES_KEY_WRAP_SHA_256":
	default:
		return nil, validation("Wrapping algorithm %s is not supported.", alg)
	}
	if spec == "SM2" {
		return nil, kmsapi.ErrUnsupportedOperationException.New("Wrapping key spec SM2 is only available in China Regions.")
	}
	k, err := s.read(ctx, in.KeyId)
	if err != nil {
		return nil, err
	}
	if k.Origin != "EXTERNAL" {
		return nil, kmsapi.ErrUnsupportedOperationException.New("%s origin is %s which is not valid for this operation.", k.arn(), k.Origin)
	}
	if err := notPendingDeletion(&k); err != nil {
		return nil, err
	}
	var wk *rsa.PrivateKey
	err = s.rsaBound(ctx, func() (err error) {
		wk, err = rsa.GenerateKey(rand.Reader, wrappingBits(spec))
		return err
	})
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(wk)
	if err != nil {
		return nil, err
	}
	pub, err := x509.MarshalPKIXPublicKey(&wk.PublicKey)
	if err != nil {
		return nil, err
	}
	p := importParams{Token: hex.EncodeToString(randomBytes(32)), Algorithm: alg, Wrapping: der, ValidTo: ctx.Now().Add(24 * time.Hour)}
	if err := s.store.Update(func(tx storage.Tx) error { return imports.Put(tx, k.scope(), p, k.ID, p.Token) }); err != nil {
		return nil, err
	}
	return &kmsapi.GetParametersForImportOutput{KeyId: ptr.To(k.arn()), ImportToken: []byte(importTokenPrefix + k.ID + ":" + p.Token),
		PublicKey: pub, ParametersValidTo: &p.ValidTo}, nil
}

// ImportKeyMaterial unwraps and installs key material.
func (s *KMS) ImportKeyMaterial(ctx *request.Context, in *kmsapi.ImportKeyMaterialInput) (*kmsapi.ImportKeyMaterialOutput, error) {
	if err := keyOnly(in.KeyId); err != nil {
		return nil, err
	}
	model := "KEY_MATERIAL_EXPIRES"
	if in.ExpirationModel != nil {
		model = *in.ExpirationModel
	}
	now := ctx.Now()
	switch {
	case model == "KEY_MATERIAL_EXPIRES" && in.ValidTo == nil:
		return nil, validation("A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES")
	case model == "KEY_MATERIAL_DOES_NOT_EXPIRE" && in.ValidTo != nil:
		return nil, validation("A validTo date may not be set if the ExpirationModel is KEY_MATERIAL_DOES_NOT_EXPIRE")
	case in.ValidTo != nil && (!in.ValidTo.After(now) || in.ValidTo.After(now.Add(365*24*time.Hour))):
		return nil, validation("The validTo date must be a future date no more than 365 days from now")
	}
	tokID, tokKey, ok := parseImportToken(in.ImportToken)
	if !ok {
		return nil, kmsapi.ErrInvalidImportTokenException.New("Import token is invalid.")
	}
	return &kmsapi.ImportKeyMaterialOutput{}, s.store.Update(func(tx storage.Tx) error {
		r, err := parseKeyRef(ctx, *in.KeyId)
		if err != nil {
			return err
		}
		k, _, _, err := lookup(tx, r, now)
		if err != nil {
			return err
		}
		if k.Origin != "EXTERNAL" {
			return kmsapi.ErrUnsupportedOperationException.New("%s origin is %s which is not valid for this operation.", k.arn(), k.Origin)
		}
		if err := notPendingDeletion(&k); err != nil {
			return err
		}
		if tokKey != k.ID {
			return kmsapi.ErrInvalidImportTokenException.New("Import token is invalid for key %s.", k.arn())
		}
		p, found, err := imports.Get(tx, k.scope(), k.ID, tokID)
		if err != nil {
			return err
		}
		if !found {
			return kmsapi.ErrInvalidImportTokenException.New("Import token is invalid.")
		}
		if !now.Before(p.ValidTo) {
			return kmsapi.ErrExpiredImportTokenException.New("Import token has expired.")
		}
		raw, err := unwrapMaterial(p, in.EncryptedKeyMaterial)
		if err != nil {
			return kmsapi.ErrInvalidCiphertextException.New("")
		}
		m, err := checkMaterial(k.Spec, raw)
		if err != nil {
			return err
		}
		fp := sha256.Sum256(raw)
		if k.Fingerprint != nil && subtle.ConstantTimeCompare(k.Fingerprint, fp[:]) != 1 {
			return kmsapi.ErrIncorrectKeyMaterialException.New("Key material is different from the key material previously imported into %s.", k.arn())
		}
		if k.hasMaterial() {
			return kmsapi.ErrKMSInvalidStateException.New("%s already has key material; delete it (DeleteImportedKeyMaterial) to reimport.", k.arn())
		}
		k.Fingerprint = fp[:]
		m.Created = now
		if len(k.Materials) == 0 {
			k.Materials = []material{m}
		} else {
			k.Materials[len(k.Materials)-1].Secret, k.Materials[len(k.Materials)-1].Private = m.Secret, m.Private
		}
		k.ExpirationModel, k.ValidTo = model, nil
		if in.ValidTo != nil {
			v := *in.ValidTo
			k.ValidTo = &v
		}
		k.State = stateEnabled
		if err := imports.Delete(tx, k.scope(), k.ID, tokID); err != nil {
			return err
		}
		return keys.Put(tx, k.scope(), k, k.ID)
	})
}

// DeleteImportedKeyMaterial deletes imported material; the key becomes
// PendingImport.
func (s *KMS) DeleteImportedKeyMaterial(ctx *request.Context, in *kmsapi.DeleteImportedKeyMaterialInput) (*kmsapi.DeleteImportedKeyMaterialOutput, error) {
	return &kmsapi.DeleteImportedKeyMaterialOutput{}, s.update(ctx, in.KeyId, func(k *key) error {
		if k.Origin != "EXTERNAL" {
			return kmsapi.ErrUnsupportedOperationException.New("%s origin is %s which is not valid for this operation.", k.arn(), k.Origin)
		}
		k.dropMaterial()
		return nil
	})
}

func parseImportToken(b []byte) (tokenID, keyID string, ok bool) {
	s, found := strings.CutPrefix(string(b), importTokenPrefix)
	if !found {
		return "", "", false
	}
	i := strings.LastIndexByte(s, ':')
	if i < 0 || !validKeyID(s[:i]) || len(s[i+1:]) != 64 {
		return "", "", false
	}
	return s[i+1:], s[:i], true
}

// unwrapMaterial undoes the wrapping algorithm of p.
func unwrapMaterial(p importParams, wrapped []byte) ([]byte, error) {
	priv, err := x509.ParsePKCS8PrivateKey(p.Wrapping)
	if err != nil {
		return nil, err
	}
	wk, ok := priv.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("kms: wrapping key is not RSA")
	}
	switch p.Algorithm {
	case "RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256":
		return rsa.DecryptOAEP(oaepHash(p.Algorithm), nil, wk, wrapped, nil)
	}
	// RSA_AES_KEY_WRAP_SHA_*: RSA-OAEP(AES key) || KWP(AES key, material).
	n := wk.Size()
	if len(wrapped) <= n {
		return nil, errors.New("kms: wrapped material too short")
	}
	h := "RSAES_OAEP_SHA_256"
	if p.Algorithm == "RSA_AES_KEY_WRAP_SHA_1" {
		h = "RSAES_OAEP_SHA_1"
	}
	aesKey, err := rsa.DecryptOAEP(oaepHash(h), nil, wk, wrapped[:n], nil)
	if err != nil {
		return nil, err
	}
	return kwpUnwrap(aesKey, wrapped[n:])
}

// kwpUnwrap is AES key unwrap with padding (RFC 5649).
func kwpUnwrap(kek, c []byte) ([]byte, error) {
	blk, err := aes.NewCipher(kek)
	if err != nil {
		return nil, err
	}
	if len(c)%8 != 0 || len(c) < 16 {
		return nil, errors.New("kms: bad wrapped length")
	}
	n := len(c)/8 - 1
	var a [8]byte
	r := make([]byte, 8*n)
	if n == 1 {
		var b [16]byte
		blk.Decrypt(b[:], c)
		copy(a[:], b[:8])
		copy(r, b[8:])
	} else {
		copy(a[:], c[:8])
		copy(r, c[8:])
		var b [16]byte
		for j := 5; j >= 0; j-- {
			for i := n; i >= 1; i-- {
				t := binary.BigEndian.Uint64(a[:]) ^ uint64(n*j+i)
				binary.BigEndian.PutUint64(b[:8], t)
				copy(b[8:], r[(i-1)*8:i*8])
				blk.Decrypt(b[:], b[:])
				copy(a[:], b[:8])
				copy(r[(i-1)*8:i*8], b[8:])
			}
		}
	}
	if !bytes.Equal(a[:4], []byte{0xA6, 0x59, 0x59, 0xA6}) {
		return nil, errors.New("kms: integrity check failed")
	}
	mli := int(binary.BigEndian.Uint32(a[4:]))
	if mli <= 8*(n-1) || mli > 8*n {
		return nil, errors.New("kms: bad length indicator")
	}
	for _, z := range r[mli:] {
		if z != 0 {
			return nil, errors.New("kms: bad padding")
		}
	}
	return r[:mli], nil
}

// hmacLengths are the key material lengths (bytes) KMS accepts per HMAC
// spec.
var hmacLengths = map[string][2]int{"HMAC_224": {28, 64}, "HMAC_256": {32, 64}, "HMAC_384": {48, 128}, "HMAC_512": {64, 128}}

// checkMaterial validates imported material for spec.
func checkMaterial(spec string, b []byte) (material, error) {
	bad := func() (material, error) {
		return material{}, kmsapi.ErrIncorrectKeyMaterialException.New("The key material is not valid for key spec %s.", spec)
	}
	si := specs[spec]
	switch {
	case spec == "SYMMETRIC_DEFAULT":
		if len(b) != 32 {
			return bad()
		}
		return material{Secret: b}, nil
	case si.hmacBytes > 0:
		if l := hmacLengths[spec]; len(b) < l[0] || len(b) > l[1] {
			return bad()
		}
		return material{Secret: b}, nil
	case si.k1:
		if _, err := parseK1(b); err != nil {
			return bad()
		}
		return material{Private: b}, nil
	}
	p, err := x509.ParsePKCS8PrivateKey(b)
	if err != nil {
		return bad()
	}
	switch pk := p.(type) {
	case *rsa.PrivateKey:
		if pk.N.BitLen() != si.rsaBits {
			return bad()
		}
	case *ecdsa.PrivateKey:
		if si.curve == nil || pk.Curve != si.curve {
			return bad()
		}
	case ed25519.PrivateKey:
		if !si.ed {
			return bad()
		}
	default:
		return bad()
	}
	return material{Private: b}, nil
}
