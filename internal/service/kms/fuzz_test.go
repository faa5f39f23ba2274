package kms

import (
	"bytes"
	"testing"

	kmsapi "github.com/niwa-cloud/niwa/internal/api/kms"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// FuzzDecrypt: any ciphertext blob, with or without a KeyId, is either the
// one Encrypt made (and decrypts to its plaintext) or refused with an AWS
// error — never a panic, never another plaintext.
func FuzzDecrypt(f *testing.F) {
	fx := newFixture(f)
	md := fx.create("", "")
	rsaKey := fx.create("RSA_2048", "ENCRYPT_DECRYPT")
	pt := []byte("fuzz plaintext")
	ct := fx.encrypt(*md.KeyId, pt, map[string]string{"a": "b"})
	f.Add(ct, "b", false)
	f.Add(ct[:len(ct)-1], "b", true)
	f.Add([]byte{1, 0, '0', '0'}, "", false)
	f.Fuzz(func(t *testing.T, blob []byte, ecv string, withKey bool) {
		in := &kmsapi.DecryptInput{CiphertextBlob: blob, EncryptionContext: map[string]string{"a": ecv}}
		if withKey {
			in.KeyId = md.KeyId
		}
		out, err := fx.Decrypt(fx.ctx(), in)
		if err == nil {
			if !bytes.Equal(blob, ct) || ecv != "b" || !bytes.Equal(out.Plaintext, pt) {
				t.Fatalf("decrypted a forged ciphertext %x to %q", blob, out.Plaintext)
			}
			return
		}
		if e := awserr.As(err); e.Code.Status != 400 {
			t.Fatalf("unexpected error %v", err)
		}
		_, err = fx.Decrypt(fx.ctx(), &kmsapi.DecryptInput{CiphertextBlob: blob, KeyId: rsaKey.KeyId, EncryptionAlgorithm: ptr.To("RSAES_OAEP_SHA_256")})
		if err != nil && awserr.As(err).Code.Status != 400 {
			t.Fatalf("RSA: unexpected error %v", err)
		}
	})
}

// FuzzVerify: any signature bytes are verified or refused with
// KMSInvalidSignatureException (the DER parsers of every curve included).
func FuzzVerify(f *testing.F) {
	fx := newFixture(f)
	keys := map[string]*string{}
	for _, spec := range []string{"ECC_SECG_P256K1", "ECC_NIST_P256", "RSA_2048"} {
		keys[spec] = fx.create(spec, "SIGN_VERIFY").KeyId
	}
	sig, err := fx.Sign(fx.ctx(), &kmsapi.SignInput{KeyId: keys["ECC_SECG_P256K1"], Message: []byte("m"), SigningAlgorithm: ptr.To("ECDSA_SHA_256")})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sig.Signature, uint8(0))
	f.Add([]byte{0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01}, uint8(1))
	f.Fuzz(func(t *testing.T, s []byte, which uint8) {
		spec, alg := "ECC_SECG_P256K1", "ECDSA_SHA_256"
		switch which % 3 {
		case 1:
			spec = "ECC_NIST_P256"
		case 2:
			spec, alg = "RSA_2048", "RSASSA_PSS_SHA_256"
		}
		_, err := fx.Verify(fx.ctx(), &kmsapi.VerifyInput{KeyId: keys[spec], Message: []byte("m"), Signature: s, SigningAlgorithm: &alg})
		if err != nil && !kmsapi.ErrKMSInvalidSignatureException.Is(err) {
			t.Fatalf("unexpected error %v", err)
		}
	})
}
