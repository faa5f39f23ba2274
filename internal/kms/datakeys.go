// Package kms is the seam through which services use KMS keys on behalf
// of the principal that called them, as AWS services do for SSE-KMS: S3
// encrypting an object, SQS a message, Secrets Manager a secret. Services
// may not import the KMS service (internal/layers), so they take a
// DataKeys in their Options; internal/server implements it over the KMS
// service and the IAM engine.
//
// Every call acts as the caller of ctx (ctx.Caller) through the service
// that handles ctx (ctx.Service): KMS authorizes the caller on the key
// with the key policy, the caller's identity policies and the key's
// grants, and the condition key kms:ViaService is
// "<ctx.Service>.<ctx.Region>.amazonaws.com" (what the AWS managed keys'
// policies require). Errors are KMS's own (NotFoundException,
// DisabledException, KMSInvalidStateException, AccessDeniedException,
// InvalidCiphertextException...) as awserr errors, for the service to
// answer in its own words (S3 says KMS.NotFoundException); Code reads
// their code.
package kms

import (
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/request"
)

// DataKeys uses KMS keys on a caller's behalf.
type DataKeys interface {
	// Key resolves keyID (key id, key ARN, alias name or alias ARN) to
	// its key without using it: what a service checks when a resource is
	// configured with a key. An empty keyID, or alias/aws/<service>,
	// names the AWS managed key of the service, created on first use. It
	// does not authorize the caller.
	Key(ctx *request.Context, keyID string) (Key, error)
	// GenerateDataKey makes a 256-bit data key under keyID (as Key
	// resolves it) bound to encCtx, after checking that the caller may
	// call kms:GenerateDataKey on the key.
	GenerateDataKey(ctx *request.Context, keyID string, encCtx map[string]string) (DataKey, error)
	// Decrypt decrypts a blob GenerateDataKey (or Encrypt) made, after
	// checking that the caller may call kms:Decrypt on the key it names.
	Decrypt(ctx *request.Context, blob []byte, encCtx map[string]string) (plaintext []byte, keyARN string, err error)
	// Encrypt encrypts up to 4096 bytes under keyID, after checking that
	// the caller may call kms:Encrypt on the key.
	Encrypt(ctx *request.Context, keyID string, plaintext []byte, encCtx map[string]string) (blob []byte, keyARN string, err error)
}

// Keys is DataKeys with the checks of services that use a key without
// needing a data key from every call (kept apart so that DataKeys, which
// other services and their test fakes implement, stays as it was).
type Keys interface {
	DataKeys
	// Check resolves keyID as Key does and checks that the caller may
	// call op (GenerateDataKey, Decrypt, ...) on it and that the key can
	// serve it now (enabled, symmetric): what a service checks when it
	// would use the key without needing a data key this time (SQS's
	// cached data keys).
	Check(ctx *request.Context, keyID, op string) (Key, error)
	// CheckService is Check for a service principal
	// ("logs.us-east-1.amazonaws.com") acting by itself: the key policy
	// (and grants) must allow it, as for CloudWatch Logs, which uses a
	// log group's key as its own principal.
	CheckService(ctx *request.Context, keyID, principal, op string, encCtx map[string]string) (Key, error)
}

// Key describes a KMS key.
type Key struct {
	ARN string
	// ID is the key id (a UUID or mrk-...).
	ID string
	// State is Enabled, Disabled, PendingDeletion, PendingImport...
	State string
	// Manager is CUSTOMER or AWS.
	Manager string
	// Spec and Usage: SYMMETRIC_DEFAULT and ENCRYPT_DECRYPT for the keys
	// that encrypt data at rest.
	Spec  string
	Usage string
}

// Symmetric reports whether the key can protect data at rest: the
// services' SSE accepts only symmetric encryption keys.
func (k Key) Symmetric() bool { return k.Spec == "SYMMETRIC_DEFAULT" && k.Usage == "ENCRYPT_DECRYPT" }

// DataKey is a data key in plain text and encrypted under its KMS key.
type DataKey struct {
	Plaintext  []byte
	Ciphertext []byte
	KeyARN     string
}

// KMS error codes services map to their own answers.
const (
	NotFound             = "NotFoundException"
	Disabled             = "DisabledException"
	InvalidState         = "KMSInvalidStateException"
	AccessDenied         = "AccessDeniedException"
	InvalidCiphertext    = "InvalidCiphertextException"
	InvalidKeyUsage      = "InvalidKeyUsageException"
	KeyUnavailable       = "KeyUnavailableException"
	IncorrectKey         = "IncorrectKeyException"
	InvalidGrantToken    = "InvalidGrantTokenException"
	UnsupportedOperation = "UnsupportedOperationException"
)

// Code is the AWS error code of err ("" for nil).
func Code(err error) string {
	if err == nil {
		return ""
	}
	return awserr.As(err).Code.Code
}

// Message is the message of err as KMS gave it.
func Message(err error) string {
	if err == nil {
		return ""
	}
	return awserr.As(err).Message
}

// ViaService is the kms:ViaService value for a request served by
// service in region.
func ViaService(service, region string) string {
	return service + "." + region + ".amazonaws.com"
}
