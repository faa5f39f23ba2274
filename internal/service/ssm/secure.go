package ssm

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"

	ssmapi "github.com/niwa-cloud/niwa/internal/api/ssm"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// SecureString values are encrypted with a data key KMS generates under
// the parameter's key (envelope encryption, as AWS does for advanced
// parameters: KMS Encrypt takes only 4 KB), AES-256-GCM with the
// parameter's ARN as additional data; the data key itself is encrypted by
// KMS with the encryption context {"PARAMETER_ARN": arn}, which is what
// makes a caller's kms:Decrypt permission (and key policy conditions on
// kms:EncryptionContext:PARAMETER_ARN) decide who reads the value.

// defaultKey is the AWS managed key of Parameter Store.
const defaultKey = "alias/aws/ssm"

func encryptionContext(parameterARN string) map[string]string {
	return map[string]string{"PARAMETER_ARN": parameterARN}
}

// seal encrypts value for the parameter name under keyID as the caller.
func (s *SSM) seal(ctx *request.Context, name, keyID, value string) (sealed, dataKey []byte, err error) {
	if s.opts.Keys == nil {
		return nil, nil, ssmapi.ErrUnsupportedParameterType.New("SecureString parameters need KMS, which is not wired in this niwa.")
	}
	a := arn(scope(ctx), name)
	dk, err := s.opts.Keys.GenerateDataKey(ctx, keyID, encryptionContext(a))
	if err != nil {
		return nil, nil, kmsError(err, keyID)
	}
	key, encKey := dk.Plaintext, dk.Ciphertext
	aead, err := gcm(key)
	if err != nil {
		return nil, nil, err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, nil, err
	}
	return aead.Seal(nonce, nonce, []byte(value), []byte(a)), encKey, nil
}

// open decrypts a SecureString version as the caller.
func (s *SSM) open(ctx *request.Context, sc storage.Scope, name string, v *version) (string, error) {
	if s.opts.Keys == nil {
		return "", ssmapi.ErrUnsupportedParameterType.New("SecureString parameters need KMS, which is not wired in this niwa.")
	}
	a := arn(sc, name)
	key, _, err := s.opts.Keys.Decrypt(ctx, v.DataKey, encryptionContext(a))
	if err != nil {
		return "", kmsError(err, v.KeyID)
	}
	aead, err := gcm(key)
	if err != nil {
		return "", err
	}
	if len(v.Sealed) < aead.NonceSize() {
		return "", errors.New("ssm: stored SecureString value is truncated")
	}
	pt, err := aead.Open(nil, v.Sealed[:aead.NonceSize()], v.Sealed[aead.NonceSize():], []byte(a))
	if err != nil {
		return "", errors.New("ssm: stored SecureString value does not authenticate")
	}
	return string(pt), nil
}

// ciphertext is what a SecureString shows without decryption: an opaque
// base64 string, as AWS shows its ciphertext.
func ciphertext(v *version) string {
	return base64.StdEncoding.EncodeToString(append(append([]byte{byte(len(v.DataKey) >> 8), byte(len(v.DataKey))}, v.DataKey...), v.Sealed...))
}

func gcm(key []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

// kmsError turns what KMS answered into what Parameter Store answers:
// access denied passes through (the caller lacks kms:GenerateDataKey or
// kms:Decrypt on the key); a key that does not exist, is disabled or
// cannot encrypt is InvalidKeyId with KMS's reason.
func kmsError(err error, keyID string) error {
	var e *awserr.Error
	if !errors.As(err, &e) {
		return err
	}
	switch e.Code.Code {
	case "AccessDeniedException", "AccessDenied":
		return awserr.AccessDeniedException.New("%s", e.Message)
	case "ThrottlingException":
		return e
	}
	msg := e.Message
	if msg == "" {
		msg = e.Code.Code
	}
	return ssmapi.ErrInvalidKeyId.New("%s (Service: AWSKMS; Error Code: %s)", msg, e.Code.Code)
}
