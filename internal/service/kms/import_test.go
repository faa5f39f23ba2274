package kms

import (
	"bytes"
	"crypto/aes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"testing"
	"time"

	kmsapi "github.com/niwa-cloud/niwa/internal/api/kms"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// kwpWrap is AES key wrap with padding (RFC 5649), what users run (openssl
// id-aes256-wrap-pad) before ImportKeyMaterial with RSA_AES_KEY_WRAP.
func kwpWrap(kek, p []byte) []byte {
	blk, _ := aes.NewCipher(kek)
	var a [8]byte
	copy(a[:4], []byte{0xA6, 0x59, 0x59, 0xA6})
	binary.BigEndian.PutUint32(a[4:], uint32(len(p)))
	r := append(append([]byte{}, p...), make([]byte, (8-len(p)%8)%8)...)
	n := len(r) / 8
	if n == 1 {
		b := append(a[:], r...)
		blk.Encrypt(b, b)
		return b
	}
	b := make([]byte, 16)
	for j := 0; j <= 5; j++ {
		for i := 1; i <= n; i++ {
			copy(b, a[:])
			copy(b[8:], r[(i-1)*8:i*8])
			blk.Encrypt(b, b)
			binary.BigEndian.PutUint64(a[:], binary.BigEndian.Uint64(b[:8])^uint64(n*j+i))
			copy(r[(i-1)*8:i*8], b[8:])
		}
	}
	return append(a[:], r...)
}

func unhex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// TestKWPVectors: RFC 5649's own test vectors.
func TestKWPVectors(t *testing.T) {
	kek := unhex("5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8")
	for _, v := range []struct{ key, wrapped string }{
		{"c37b7e64925843 40bed12207808941155068f738", "138bdeaa9b8fa7fc61f97742e72248ee5ae6ae5360d1ae6a5f54f373fa543b6a"},
		{"466f7250617369", "afbeb0f07dfbf5419200f2ccb50bb24f"},
	} {
		key := unhex(string(bytes.ReplaceAll([]byte(v.key), []byte(" "), nil)))
		got, err := kwpUnwrap(kek, unhex(v.wrapped))
		if err != nil || !bytes.Equal(got, key) {
			t.Errorf("unwrap %s = %x, %v", v.wrapped, got, err)
		}
		if w := kwpWrap(kek, key); hex.EncodeToString(w) != v.wrapped {
			t.Errorf("wrap = %x", w)
		}
		bad := unhex(v.wrapped)
		bad[3] ^= 1
		if _, err := kwpUnwrap(kek, bad); err == nil {
			t.Error("tampered wrap unwrapped")
		}
	}
}

func (f *fixture) importParams(id *string, alg string) (*rsa.PublicKey, []byte) {
	f.t.Helper()
	out, err := f.GetParametersForImport(f.ctx(), &kmsapi.GetParametersForImportInput{KeyId: id, WrappingAlgorithm: &alg, WrappingKeySpec: ptr.To("RSA_2048")})
	if err != nil {
		f.t.Fatal(err)
	}
	if !out.ParametersValidTo.Equal(f.clock.Now().Add(24 * time.Hour)) {
		f.t.Errorf("ParametersValidTo %v", out.ParametersValidTo)
	}
	pub, err := x509.ParsePKIXPublicKey(out.PublicKey)
	if err != nil {
		f.t.Fatal(err)
	}
	return pub.(*rsa.PublicKey), out.ImportToken
}

func wrap(t testing.TB, pub *rsa.PublicKey, alg string, material []byte) []byte {
	var h hash.Hash = sha256.New()
	if alg == "RSAES_OAEP_SHA_1" || alg == "RSA_AES_KEY_WRAP_SHA_1" {
		h = sha1.New()
	}
	if alg == "RSAES_OAEP_SHA_1" || alg == "RSAES_OAEP_SHA_256" {
		w, err := rsa.EncryptOAEP(h, rand.Reader, pub, material, nil)
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	aesKey := randomBytes(32)
	w, err := rsa.EncryptOAEP(h, rand.Reader, pub, aesKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	return append(w, kwpWrap(aesKey, material)...)
}

func TestImportSymmetric(t *testing.T) {
	f := newFixture(t)
	out, err := f.CreateKey(f.ctx(), &kmsapi.CreateKeyInput{Origin: ptr.To("EXTERNAL")})
	if err != nil {
		t.Fatal(err)
	}
	md := out.KeyMetadata
	if *md.KeyState != "PendingImport" || *md.Enabled || *md.Origin != "EXTERNAL" {
		t.Fatalf("metadata %+v", md)
	}
	_, err = f.Encrypt(f.ctx(), &kmsapi.EncryptInput{KeyId: md.KeyId, Plaintext: []byte("x")})
	wantErr(t, err, kmsapi.ErrKMSInvalidStateException, *md.Arn+" is pending import.")
	_, err = f.EnableKey(f.ctx(), &kmsapi.EnableKeyInput{KeyId: md.KeyId})
	wantErr(t, err, kmsapi.ErrKMSInvalidStateException, "is pending import.")

	secret := randomBytes(32)
	pub, token := f.importParams(md.KeyId, "RSAES_OAEP_SHA_256")
	validTo := t0.Add(48 * time.Hour)
	// Wrong length material, wrong wrapping, wrong expiration settings.
	_, err = f.ImportKeyMaterial(f.ctx(), &kmsapi.ImportKeyMaterialInput{KeyId: md.KeyId, ImportToken: token, EncryptedKeyMaterial: wrap(t, pub, "RSAES_OAEP_SHA_256", secret[:16]), ValidTo: &validTo})
	wantErr(t, err, kmsapi.ErrIncorrectKeyMaterialException, "")
	_, err = f.ImportKeyMaterial(f.ctx(), &kmsapi.ImportKeyMaterialInput{KeyId: md.KeyId, ImportToken: token, EncryptedKeyMaterial: wrap(t, pub, "RSAES_OAEP_SHA_1", secret), ValidTo: &validTo})
	wantErr(t, err, kmsapi.ErrInvalidCiphertextException, "")
	_, err = f.ImportKeyMaterial(f.ctx(), &kmsapi.ImportKeyMaterialInput{KeyId: md.KeyId, ImportToken: token, EncryptedKeyMaterial: wrap(t, pub, "RSAES_OAEP_SHA_256", secret)})
	wantErr(t, err, awserr.ValidationException, "validTo")
	_, err = f.ImportKeyMaterial(f.ctx(), &kmsapi.ImportKeyMaterialInput{KeyId: md.KeyId, ImportToken: []byte("forged"), EncryptedKeyMaterial: wrap(t, pub, "RSAES_OAEP_SHA_256", secret), ValidTo: &validTo})
	wantErr(t, err, kmsapi.ErrInvalidImportTokenException, "")

	if _, err := f.ImportKeyMaterial(f.ctx(), &kmsapi.ImportKeyMaterialInput{KeyId: md.KeyId, ImportToken: token,
		EncryptedKeyMaterial: wrap(t, pub, "RSAES_OAEP_SHA_256", secret), ValidTo: &validTo}); err != nil {
		t.Fatal(err)
	}
	d, _ := f.DescribeKey(f.ctx(), &kmsapi.DescribeKeyInput{KeyId: md.KeyId})
	if *d.KeyMetadata.KeyState != "Enabled" || !d.KeyMetadata.ValidTo.Equal(validTo) || *d.KeyMetadata.ExpirationModel != "KEY_MATERIAL_EXPIRES" {
		t.Fatalf("after import %+v", d.KeyMetadata)
	}
	ct := f.encrypt(*md.KeyId, []byte("imported"), nil)
	// The ciphertext is AES-256-GCM under exactly the imported material.
	if _, ok := openSymmetric(&key{ID: *md.KeyId, Account: account, Materials: []material{{Secret: secret}}}, ct, nil); !ok {
		t.Error("ciphertext is not under the imported material")
	}

	// The material expires on the clock: PendingImport until reimported.
	f.clock.Set(validTo)
	_, err = f.Decrypt(f.ctx(), &kmsapi.DecryptInput{CiphertextBlob: ct})
	wantErr(t, err, kmsapi.ErrKMSInvalidStateException, "is pending import.")
	// A used token is spent; the same material with a new token restores
	// the key, other material does not.
	pub, token2 := f.importParams(md.KeyId, "RSAES_OAEP_SHA_1")
	_, err = f.ImportKeyMaterial(f.ctx(), &kmsapi.ImportKeyMaterialInput{KeyId: md.KeyId, ImportToken: token2,
		EncryptedKeyMaterial: wrap(t, pub, "RSAES_OAEP_SHA_1", randomBytes(32)), ExpirationModel: ptr.To("KEY_MATERIAL_DOES_NOT_EXPIRE")})
	wantErr(t, err, kmsapi.ErrIncorrectKeyMaterialException, "")
	if _, err := f.ImportKeyMaterial(f.ctx(), &kmsapi.ImportKeyMaterialInput{KeyId: md.KeyId, ImportToken: token2,
		EncryptedKeyMaterial: wrap(t, pub, "RSAES_OAEP_SHA_1", secret), ExpirationModel: ptr.To("KEY_MATERIAL_DOES_NOT_EXPIRE")}); err != nil {
		t.Fatal(err)
	}
	if dec, err := f.Decrypt(f.ctx(), &kmsapi.DecryptInput{CiphertextBlob: ct}); err != nil || string(dec.Plaintext) != "imported" {
		t.Fatalf("Decrypt after reimport: %v", err)
	}
	_, err = f.ImportKeyMaterial(f.ctx(), &kmsapi.ImportKeyMaterialInput{KeyId: md.KeyId, ImportToken: token2,
		EncryptedKeyMaterial: wrap(t, pub, "RSAES_OAEP_SHA_1", secret), ExpirationModel: ptr.To("KEY_MATERIAL_DOES_NOT_EXPIRE")})
	wantErr(t, err, kmsapi.ErrInvalidImportTokenException, "")

	if _, err := f.DeleteImportedKeyMaterial(f.ctx(), &kmsapi.DeleteImportedKeyMaterialInput{KeyId: md.KeyId}); err != nil {
		t.Fatal(err)
	}
	_, err = f.Decrypt(f.ctx(), &kmsapi.DecryptInput{CiphertextBlob: ct})
	wantErr(t, err, kmsapi.ErrKMSInvalidStateException, "is pending import.")

	// Tokens expire after 24 hours.
	pub, token3 := f.importParams(md.KeyId, "RSAES_OAEP_SHA_256")
	f.clock.Advance(24 * time.Hour)
	_, err = f.ImportKeyMaterial(f.ctx(), &kmsapi.ImportKeyMaterialInput{KeyId: md.KeyId, ImportToken: token3,
		EncryptedKeyMaterial: wrap(t, pub, "RSAES_OAEP_SHA_256", secret), ExpirationModel: ptr.To("KEY_MATERIAL_DOES_NOT_EXPIRE")})
	wantErr(t, err, kmsapi.ErrExpiredImportTokenException, "")

	// Only EXTERNAL keys import.
	own := f.create("", "")
	_, err = f.GetParametersForImport(f.ctx(), &kmsapi.GetParametersForImportInput{KeyId: own.KeyId, WrappingAlgorithm: ptr.To("RSAES_OAEP_SHA_256"), WrappingKeySpec: ptr.To("RSA_2048")})
	wantErr(t, err, kmsapi.ErrUnsupportedOperationException, "")
}

func TestImportAsymmetricAndHMAC(t *testing.T) {
	f := newFixture(t)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecDER, _ := x509.MarshalPKCS8PrivateKey(ecKey)
	out, err := f.CreateKey(f.ctx(), &kmsapi.CreateKeyInput{Origin: ptr.To("EXTERNAL"), KeySpec: ptr.To("ECC_NIST_P256"), KeyUsage: ptr.To("SIGN_VERIFY")})
	if err != nil {
		t.Fatal(err)
	}
	id := out.KeyMetadata.KeyId
	pub, token := f.importParams(id, "RSA_AES_KEY_WRAP_SHA_256")
	// A P-384 key does not fit a P-256 KMS key.
	other, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	otherDER, _ := x509.MarshalPKCS8PrivateKey(other)
	_, err = f.ImportKeyMaterial(f.ctx(), &kmsapi.ImportKeyMaterialInput{KeyId: id, ImportToken: token, EncryptedKeyMaterial: wrap(t, pub, "RSA_AES_KEY_WRAP_SHA_256", otherDER), ExpirationModel: ptr.To("KEY_MATERIAL_DOES_NOT_EXPIRE")})
	wantErr(t, err, kmsapi.ErrIncorrectKeyMaterialException, "ECC_NIST_P256")
	if _, err := f.ImportKeyMaterial(f.ctx(), &kmsapi.ImportKeyMaterialInput{KeyId: id, ImportToken: token,
		EncryptedKeyMaterial: wrap(t, pub, "RSA_AES_KEY_WRAP_SHA_256", ecDER), ExpirationModel: ptr.To("KEY_MATERIAL_DOES_NOT_EXPIRE")}); err != nil {
		t.Fatal(err)
	}
	sig, err := f.Sign(f.ctx(), &kmsapi.SignInput{KeyId: id, Message: []byte("m"), SigningAlgorithm: ptr.To("ECDSA_SHA_256")})
	if err != nil {
		t.Fatal(err)
	}
	d := sha256.Sum256([]byte("m"))
	if !ecdsa.VerifyASN1(&ecKey.PublicKey, d[:], sig.Signature) {
		t.Error("signature is not by the imported key")
	}

	hout, err := f.CreateKey(f.ctx(), &kmsapi.CreateKeyInput{Origin: ptr.To("EXTERNAL"), KeySpec: ptr.To("HMAC_256"), KeyUsage: ptr.To("GENERATE_VERIFY_MAC")})
	if err != nil {
		t.Fatal(err)
	}
	hid := hout.KeyMetadata.KeyId
	secret := randomBytes(40)
	pub, token = f.importParams(hid, "RSAES_OAEP_SHA_1")
	if _, err := f.ImportKeyMaterial(f.ctx(), &kmsapi.ImportKeyMaterialInput{KeyId: hid, ImportToken: token,
		EncryptedKeyMaterial: wrap(t, pub, "RSAES_OAEP_SHA_1", secret), ExpirationModel: ptr.To("KEY_MATERIAL_DOES_NOT_EXPIRE")}); err != nil {
		t.Fatal(err)
	}
	mac, err := f.GenerateMac(f.ctx(), &kmsapi.GenerateMacInput{KeyId: hid, Message: []byte("m"), MacAlgorithm: ptr.To("HMAC_SHA_256")})
	if err != nil || !bytes.Equal(mac.Mac, computeMAC(secret, "HMAC_SHA_256", []byte("m"))) {
		t.Fatalf("MAC is not under the imported secret: %v", err)
	}
	_, err = f.EnableKeyRotation(f.ctx(), &kmsapi.EnableKeyRotationInput{KeyId: hid})
	wantErr(t, err, kmsapi.ErrUnsupportedOperationException, "")
}

// FuzzKWPUnwrap: any bytes unwrap or are refused, never panic.
func FuzzKWPUnwrap(f *testing.F) {
	kek := unhex("5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8")
	f.Add(unhex("afbeb0f07dfbf5419200f2ccb50bb24f"))
	f.Add(unhex("138bdeaa9b8fa7fc61f97742e72248ee5ae6ae5360d1ae6a5f54f373fa543b6a"))
	f.Fuzz(func(t *testing.T, c []byte) {
		p, err := kwpUnwrap(kek, c)
		if err == nil && !bytes.Equal(kwpWrap(kek, p), c) {
			t.Fatalf("unwrap of %x is %x, which wraps differently", c, p)
		}
	})
}
