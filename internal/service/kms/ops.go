package kms

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha512"
	"crypto/x509"
	"errors"

	kmsapi "github.com/niwa-cloud/niwa/internal/api/kms"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
)

// usableFor resolves keyID and checks the key is enabled and made for
// usage (op names the operation in the error).
func (s *KMS) usableFor(ctx *request.Context, keyID *string, usage, op string) (key, error) {
	k, err := s.read(ctx, keyID)
	if err != nil {
		return k, err
	}
	if err := usable(&k); err != nil {
		return k, err
	}
	if k.Usage != usage {
		return k, errUsage(&k, op)
	}
	return k, nil
}

func algorithmOr(alg *string, def string) string {
	if alg == nil {
		return def
	}
	return *alg
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// encrypt encrypts plaintext with k (already checked usable).
func encrypt(k *key, alg string, plaintext []byte, ec map[string]string) ([]byte, error) {
	si := specs[k.Spec]
	if !contains(si.encryption, alg) {
		return nil, errAlgorithm(alg, k.Spec)
	}
	if alg == "SYMMETRIC_DEFAULT" {
		return sealSymmetric(k, plaintext, ec)
	}
	pk, err := k.rsaKey()
	if err != nil {
		return nil, err
	}
	ct, err := rsa.EncryptOAEP(oaepHash(alg), rand.Reader, &pk.PublicKey, plaintext, nil)
	if errors.Is(err, rsa.ErrMessageTooLong) {
		return nil, validation("Plaintext is too long for algorithm %s with key spec %s.", alg, k.Spec)
	}
	return ct, err
}

// decrypt decrypts blob with k; every failure to authenticate is
// InvalidCiphertextException with no detail, as on AWS.
func decrypt(k *key, alg string, blob []byte, ec map[string]string) ([]byte, error) {
	si := specs[k.Spec]
	if !contains(si.encryption, alg) {
		return nil, errAlgorithm(alg, k.Spec)
	}
	if alg == "SYMMETRIC_DEFAULT" {
		pt, ok := openSymmetric(k, blob, ec)
		if !ok {
			return nil, kmsapi.ErrInvalidCiphertextException.New("")
		}
		return pt, nil
	}
	pk, err := k.rsaKey()
	if err != nil {
		return nil, err
	}
	pt, err := rsa.DecryptOAEP(oaepHash(alg), nil, pk, blob, nil)
	if err != nil {
		return nil, kmsapi.ErrInvalidCiphertextException.New("")
	}
	return pt, nil
}

// Encrypt encrypts up to 4096 bytes under a key.
func (s *KMS) Encrypt(ctx *request.Context, in *kmsapi.EncryptInput) (*kmsapi.EncryptOutput, error) {
	k, err := s.usableFor(ctx, in.KeyId, "ENCRYPT_DECRYPT", "Encrypt")
	if err != nil {
		return nil, err
	}
	alg := algorithmOr(in.EncryptionAlgorithm, "SYMMETRIC_DEFAULT")
	ct, err := encrypt(&k, alg, in.Plaintext, in.EncryptionContext)
	if err != nil {
		return nil, err
	}
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	return &kmsapi.EncryptOutput{CiphertextBlob: ct, KeyId: ptr.To(k.arn()), EncryptionAlgorithm: &alg}, nil
}

// sourceKey finds the key that decrypts blob: the KeyId given, which must
// be the key a symmetric blob names, or the key the blob names.
func (s *KMS) sourceKey(ctx *request.Context, keyID *string, blob []byte, alg string) (key, error) {
	h, isBlob := parseBlob(blob)
	if keyID == nil {
		if !isBlob || alg != "SYMMETRIC_DEFAULT" {
			return key{}, kmsapi.ErrInvalidCiphertextException.New("")
		}
		if h.Account != ctx.Account {
			arn := "arn:aws:kms:" + ctx.Region + ":" + h.Account + ":key/" + h.KeyID
			keyID = &arn
		} else {
			keyID = &h.KeyID
		}
	}
	k, err := s.read(ctx, keyID)
	if err != nil {
		return k, err
	}
	if specs[k.Spec].symmetric() && k.Usage == "ENCRYPT_DECRYPT" && (!isBlob || h.KeyID != k.ID || h.Account != k.Account) {
		if !isBlob {
			return k, kmsapi.ErrInvalidCiphertextException.New("")
		}
		return k, kmsapi.ErrIncorrectKeyException.New("The key ID in the request does not identify a CMK that can perform this operation.")
	}
	if err := usable(&k); err != nil {
		return k, err
	}
	if k.Usage != "ENCRYPT_DECRYPT" {
		return k, errUsage(&k, "Decrypt")
	}
	return k, nil
}

// Decrypt decrypts a ciphertext; a symmetric one names its key.
func (s *KMS) Decrypt(ctx *request.Context, in *kmsapi.DecryptInput) (*kmsapi.DecryptOutput, error) {
	if in.Recipient != nil {
		return nil, kmsapi.ErrUnsupportedOperationException.New("Recipient (Nitro Enclaves attestation) is not supported by niwa.")
	}
	alg := algorithmOr(in.EncryptionAlgorithm, "SYMMETRIC_DEFAULT")
	k, err := s.sourceKey(ctx, in.KeyId, in.CiphertextBlob, alg)
	if err != nil {
		return nil, err
	}
	pt, err := decrypt(&k, alg, in.CiphertextBlob, in.EncryptionContext)
	if err != nil {
		return nil, err
	}
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	return &kmsapi.DecryptOutput{KeyId: ptr.To(k.arn()), Plaintext: pt, EncryptionAlgorithm: &alg}, nil
}

// ReEncrypt decrypts under one key and encrypts under another without
// the plaintext leaving KMS.
func (s *KMS) ReEncrypt(ctx *request.Context, in *kmsapi.ReEncryptInput) (*kmsapi.ReEncryptOutput, error) {
	salg := algorithmOr(in.SourceEncryptionAlgorithm, "SYMMETRIC_DEFAULT")
	src, err := s.sourceKey(ctx, in.SourceKeyId, in.CiphertextBlob, salg)
	if err != nil {
		return nil, err
	}
	pt, err := decrypt(&src, salg, in.CiphertextBlob, in.SourceEncryptionContext)
	if err != nil {
		return nil, err
	}
	dst, err := s.usableFor(ctx, in.DestinationKeyId, "ENCRYPT_DECRYPT", "ReEncrypt")
	if err != nil {
		return nil, err
	}
	dalg := algorithmOr(in.DestinationEncryptionAlgorithm, "SYMMETRIC_DEFAULT")
	ct, err := encrypt(&dst, dalg, pt, in.DestinationEncryptionContext)
	if err != nil {
		return nil, err
	}
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	return &kmsapi.ReEncryptOutput{CiphertextBlob: ct, SourceKeyId: ptr.To(src.arn()), KeyId: ptr.To(dst.arn()),
		SourceEncryptionAlgorithm: &salg, DestinationEncryptionAlgorithm: &dalg}, nil
}

// dataKeySize applies GenerateDataKey's KeySpec / NumberOfBytes rule:
// exactly one of them.
func dataKeySize(spec *string, n *int32) (int, error) {
	switch {
	case spec != nil && n != nil:
		return 0, validation("Please specify either number of bytes or key spec.")
	case spec != nil && *spec == "AES_128":
		return 16, nil
	case spec != nil:
		return 32, nil
	case n != nil:
		return int(*n), nil
	}
	return 0, validation("Please specify either number of bytes or key spec.")
}

// symmetricKey resolves a key that generates data keys: enabled,
// symmetric, ENCRYPT_DECRYPT.
func (s *KMS) symmetricKey(ctx *request.Context, keyID *string, op string) (key, error) {
	k, err := s.usableFor(ctx, keyID, "ENCRYPT_DECRYPT", op)
	if err != nil {
		return k, err
	}
	if !specs[k.Spec].symmetric() {
		return k, kmsapi.ErrInvalidKeyUsageException.New("%s key spec is %s which is not valid for %s.", k.arn(), k.Spec, op)
	}
	return k, nil
}

// GenerateDataKey returns a random data key and its encryption.
func (s *KMS) GenerateDataKey(ctx *request.Context, in *kmsapi.GenerateDataKeyInput) (*kmsapi.GenerateDataKeyOutput, error) {
	if in.Recipient != nil {
		return nil, kmsapi.ErrUnsupportedOperationException.New("Recipient (Nitro Enclaves attestation) is not supported by niwa.")
	}
	n, err := dataKeySize(in.KeySpec, in.NumberOfBytes)
	if err != nil {
		return nil, err
	}
	k, err := s.symmetricKey(ctx, in.KeyId, "GenerateDataKey")
	if err != nil {
		return nil, err
	}
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	pt := randomBytes(n)
	ct, err := sealSymmetric(&k, pt, in.EncryptionContext)
	if err != nil {
		return nil, err
	}
	return &kmsapi.GenerateDataKeyOutput{CiphertextBlob: ct, Plaintext: pt, KeyId: ptr.To(k.arn())}, nil
}

// GenerateDataKeyWithoutPlaintext returns only the encrypted data key.
func (s *KMS) GenerateDataKeyWithoutPlaintext(ctx *request.Context, in *kmsapi.GenerateDataKeyWithoutPlaintextInput) (*kmsapi.GenerateDataKeyWithoutPlaintextOutput, error) {
	n, err := dataKeySize(in.KeySpec, in.NumberOfBytes)
	if err != nil {
		return nil, err
	}
	k, err := s.symmetricKey(ctx, in.KeyId, "GenerateDataKeyWithoutPlaintext")
	if err != nil {
		return nil, err
	}
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	ct, err := sealSymmetric(&k, randomBytes(n), in.EncryptionContext)
	if err != nil {
		return nil, err
	}
	return &kmsapi.GenerateDataKeyWithoutPlaintextOutput{CiphertextBlob: ct, KeyId: ptr.To(k.arn())}, nil
}

// dataKeyPair makes a key pair: private key PKCS#8 DER, public key DER
// SubjectPublicKeyInfo, the private key encrypted under k.
func dataKeyPair(k *key, spec string, ec map[string]string) (private, public, encrypted []byte, err error) {
	if _, ok := specs[spec]; !ok || specs[spec].symmetric() {
		return nil, nil, nil, kmsapi.ErrUnsupportedOperationException.New("KeyPairSpec %s is not supported in this region.", spec)
	}
	private, err = newPrivateKey(spec)
	if err != nil {
		return nil, nil, nil, err
	}
	public, err = publicKeyDER(spec, private)
	if err != nil {
		return nil, nil, nil, err
	}
	encrypted, err = sealSymmetric(k, private, ec)
	return private, public, encrypted, err
}

// GenerateDataKeyPair returns an asymmetric data key pair.
func (s *KMS) GenerateDataKeyPair(ctx *request.Context, in *kmsapi.GenerateDataKeyPairInput) (*kmsapi.GenerateDataKeyPairOutput, error) {
	if in.Recipient != nil {
		return nil, kmsapi.ErrUnsupportedOperationException.New("Recipient (Nitro Enclaves attestation) is not supported by niwa.")
	}
	k, err := s.symmetricKey(ctx, in.KeyId, "GenerateDataKeyPair")
	if err != nil {
		return nil, err
	}
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	var priv, pub, enc []byte
	err = s.rsaBound(ctx, func() (err error) {
		priv, pub, enc, err = dataKeyPair(&k, *in.KeyPairSpec, in.EncryptionContext)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &kmsapi.GenerateDataKeyPairOutput{PrivateKeyCiphertextBlob: enc, PrivateKeyPlaintext: priv, PublicKey: pub,
		KeyId: ptr.To(k.arn()), KeyPairSpec: in.KeyPairSpec}, nil
}

// GenerateDataKeyPairWithoutPlaintext returns a pair without the
// plaintext private key.
func (s *KMS) GenerateDataKeyPairWithoutPlaintext(ctx *request.Context, in *kmsapi.GenerateDataKeyPairWithoutPlaintextInput) (*kmsapi.GenerateDataKeyPairWithoutPlaintextOutput, error) {
	k, err := s.symmetricKey(ctx, in.KeyId, "GenerateDataKeyPairWithoutPlaintext")
	if err != nil {
		return nil, err
	}
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	var pub, enc []byte
	err = s.rsaBound(ctx, func() (err error) {
		_, pub, enc, err = dataKeyPair(&k, *in.KeyPairSpec, in.EncryptionContext)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &kmsapi.GenerateDataKeyPairWithoutPlaintextOutput{PrivateKeyCiphertextBlob: enc, PublicKey: pub,
		KeyId: ptr.To(k.arn()), KeyPairSpec: in.KeyPairSpec}, nil
}

// GenerateRandom returns random bytes.
func (s *KMS) GenerateRandom(ctx *request.Context, in *kmsapi.GenerateRandomInput) (*kmsapi.GenerateRandomOutput, error) {
	if in.CustomKeyStoreId != nil {
		return nil, kmsapi.ErrCustomKeyStoreNotFoundException.New("")
	}
	if in.Recipient != nil {
		return nil, kmsapi.ErrUnsupportedOperationException.New("Recipient (Nitro Enclaves attestation) is not supported by niwa.")
	}
	if in.NumberOfBytes == nil {
		return nil, validation("NumberOfBytes is required")
	}
	return &kmsapi.GenerateRandomOutput{Plaintext: randomBytes(int(*in.NumberOfBytes))}, nil
}

// signingDigest returns the digest to sign or verify: RAW messages are
// hashed with the algorithm's hash, DIGEST messages must already have
// its length.
func signingDigest(alg string, msgType *string, msg []byte) ([]byte, error) {
	digestType := msgType != nil && *msgType == "DIGEST"
	switch alg {
	case "ED25519_SHA_512":
		// Pure Ed25519 signs the message itself.
		if digestType {
			return nil, validation("ED25519_SHA_512 signing algorithm requires MessageType RAW.")
		}
		return msg, nil
	case "ED25519_PH_SHA_512":
		// The caller's SHA-512 digest is prehashed once more (FIPS 186-5
		// 7.8.1 step 1), as KMS does.
		if !digestType {
			return nil, validation("ED25519_PH_SHA_512 signing algorithm requires MessageType DIGEST.")
		}
		if len(msg) != sha512.Size {
			return nil, validation("Digest is invalid length for algorithm %s.", alg)
		}
		d := sha512.Sum512(msg)
		return d[:], nil
	}
	h := signingHash(alg)
	if msgType != nil && *msgType == "DIGEST" {
		if len(msg) != h.Size() {
			return nil, validation("Digest is invalid length for algorithm %s.", alg)
		}
		return msg, nil
	}
	return digest(h, msg), nil
}

func (s *KMS) signingKey(ctx *request.Context, keyID *string, alg, op string) (key, error) {
	k, err := s.usableFor(ctx, keyID, "SIGN_VERIFY", op)
	if err != nil {
		return k, err
	}
	if !contains(specs[k.Spec].signing, alg) {
		return k, errAlgorithm(alg, k.Spec)
	}
	return k, nil
}

// Sign signs a message or digest with an asymmetric key.
func (s *KMS) Sign(ctx *request.Context, in *kmsapi.SignInput) (*kmsapi.SignOutput, error) {
	alg := *in.SigningAlgorithm
	k, err := s.signingKey(ctx, in.KeyId, alg, "Sign")
	if err != nil {
		return nil, err
	}
	d, err := signingDigest(alg, in.MessageType, in.Message)
	if err != nil {
		return nil, err
	}
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	sig, err := sign(&k, alg, d)
	if err != nil {
		return nil, err
	}
	return &kmsapi.SignOutput{KeyId: ptr.To(k.arn()), Signature: sig, SigningAlgorithm: &alg}, nil
}

// Verify verifies a signature; an invalid one is
// KMSInvalidSignatureException, as on AWS, never SignatureValid false.
func (s *KMS) Verify(ctx *request.Context, in *kmsapi.VerifyInput) (*kmsapi.VerifyOutput, error) {
	alg := *in.SigningAlgorithm
	k, err := s.signingKey(ctx, in.KeyId, alg, "Verify")
	if err != nil {
		return nil, err
	}
	d, err := signingDigest(alg, in.MessageType, in.Message)
	if err != nil {
		return nil, err
	}
	ok, err := verify(&k, alg, d, in.Signature)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, kmsapi.ErrKMSInvalidSignatureException.New("")
	}
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	return &kmsapi.VerifyOutput{KeyId: ptr.To(k.arn()), SignatureValid: ptr.To(true), SigningAlgorithm: &alg}, nil
}

// GetPublicKey returns the public key of an asymmetric key as DER
// SubjectPublicKeyInfo.
func (s *KMS) GetPublicKey(ctx *request.Context, in *kmsapi.GetPublicKeyInput) (*kmsapi.GetPublicKeyOutput, error) {
	k, err := s.read(ctx, in.KeyId)
	if err != nil {
		return nil, err
	}
	if err := usable(&k); err != nil {
		return nil, err
	}
	if specs[k.Spec].symmetric() {
		return nil, kmsapi.ErrUnsupportedOperationException.New("%s key spec is %s which is not valid for GetPublicKey.", k.arn(), k.Spec)
	}
	der, err := publicKeyDER(k.Spec, k.current().Private)
	if err != nil {
		return nil, err
	}
	md := k.metadata()
	return &kmsapi.GetPublicKeyOutput{KeyId: ptr.To(k.arn()), PublicKey: der, CustomerMasterKeySpec: &k.Spec, KeySpec: &k.Spec,
		KeyUsage: &k.Usage, EncryptionAlgorithms: md.EncryptionAlgorithms, SigningAlgorithms: md.SigningAlgorithms,
		KeyAgreementAlgorithms: md.KeyAgreementAlgorithms}, nil
}

func (s *KMS) macKey(ctx *request.Context, keyID *string, alg, op string) (key, error) {
	k, err := s.usableFor(ctx, keyID, "GENERATE_VERIFY_MAC", op)
	if err != nil {
		return k, err
	}
	if specs[k.Spec].mac != alg {
		return k, errAlgorithm(alg, k.Spec)
	}
	return k, nil
}

// GenerateMac computes an HMAC with an HMAC key.
func (s *KMS) GenerateMac(ctx *request.Context, in *kmsapi.GenerateMacInput) (*kmsapi.GenerateMacOutput, error) {
	alg := *in.MacAlgorithm
	k, err := s.macKey(ctx, in.KeyId, alg, "GenerateMac")
	if err != nil {
		return nil, err
	}
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	return &kmsapi.GenerateMacOutput{Mac: computeMAC(k.current().Secret, alg, in.Message), MacAlgorithm: &alg, KeyId: ptr.To(k.arn())}, nil
}

// VerifyMac checks an HMAC; a wrong one is KMSInvalidMacException.
func (s *KMS) VerifyMac(ctx *request.Context, in *kmsapi.VerifyMacInput) (*kmsapi.VerifyMacOutput, error) {
	alg := *in.MacAlgorithm
	k, err := s.macKey(ctx, in.KeyId, alg, "VerifyMac")
	if err != nil {
		return nil, err
	}
	if !equalMAC(computeMAC(k.current().Secret, alg, in.Message), in.Mac) {
		return nil, kmsapi.ErrKMSInvalidMacException.New("")
	}
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	return &kmsapi.VerifyMacOutput{KeyId: ptr.To(k.arn()), MacValid: ptr.To(true), MacAlgorithm: &alg}, nil
}

// DeriveSharedSecret is ECDH between a KEY_AGREEMENT key's private key
// and a peer's public key (DER SubjectPublicKeyInfo on the same curve);
// the shared secret is the x coordinate, as KMS returns it.
func (s *KMS) DeriveSharedSecret(ctx *request.Context, in *kmsapi.DeriveSharedSecretInput) (*kmsapi.DeriveSharedSecretOutput, error) {
	if in.Recipient != nil {
		return nil, kmsapi.ErrUnsupportedOperationException.New("Recipient (Nitro Enclaves attestation) is not supported by niwa.")
	}
	k, err := s.usableFor(ctx, in.KeyId, "KEY_AGREEMENT", "DeriveSharedSecret")
	if err != nil {
		return nil, err
	}
	if *in.KeyAgreementAlgorithm != "ECDH" {
		return nil, errAlgorithm(*in.KeyAgreementAlgorithm, k.Spec)
	}
	priv, err := x509.ParsePKCS8PrivateKey(k.current().Private)
	if err != nil {
		return nil, err
	}
	ek, ok := priv.(*ecdsa.PrivateKey)
	if !ok {
		return nil, errUsage(&k, "DeriveSharedSecret")
	}
	pub, err := x509.ParsePKIXPublicKey(in.PublicKey)
	peer, isEC := pub.(*ecdsa.PublicKey)
	if err != nil || !isEC || peer.Curve != ek.Curve {
		return nil, validation("The public key is not a DER-encoded SubjectPublicKeyInfo on the curve of key spec %s.", k.Spec)
	}
	a, err := ek.ECDH()
	if err != nil {
		return nil, err
	}
	b, err := peer.ECDH()
	if err != nil {
		return nil, validation("The public key is not a valid point on the curve of key spec %s.", k.Spec)
	}
	secret, err := a.ECDH(b)
	if err != nil {
		return nil, validation("The public key is not a valid point on the curve of key spec %s.", k.Spec)
	}
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	return &kmsapi.DeriveSharedSecretOutput{KeyId: ptr.To(k.arn()), SharedSecret: secret, KeyAgreementAlgorithm: ptr.To("ECDH"), KeyOrigin: ptr.To(k.Origin)}, nil
}
