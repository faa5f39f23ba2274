package lambda

import (
	"strings"

	lambdaapi "github.com/niwa-cloud/niwa/internal/api/lambda"
	kmsseam "github.com/niwa-cloud/niwa/internal/kms"
	"github.com/niwa-cloud/niwa/internal/request"
)

// checkKMSKey checks a function's KMSKeyArn (the key of its environment
// variables) as Lambda does when it is set: Lambda makes a grant on the
// key for the function as the caller, so the key must be named by its
// ARN (no aliases: CreateGrant takes none), exist, be a usable symmetric
// key, and the caller must be allowed kms:CreateGrant on it. Refusals are
// InvalidParameterValueException quoting KMS's exception. niwa keeps
// environment variables unencrypted at rest and does not make the grant.
func (l *Lambda) checkKMSKey(ctx *request.Context, key *string) error {
	if key == nil || *key == "" || l.opt.DataKeys == nil {
		return nil
	}
	refuse := func(code, msg string) error {
		return errInvalidParam("Lambda was unable to configure access to your environment variables because the KMS key is invalid for CreateGrant. Please check your KMS key settings. KMS Exception: %s KMS Message: %s", code, msg)
	}
	if strings.HasPrefix(*key, "alias/") || strings.Contains(*key, ":alias/") {
		return refuse("InvalidArnException", "Key Aliases are not supported for this operation.")
	}
	if _, err := l.opt.DataKeys.Check(ctx, *key, "CreateGrant"); err != nil {
		return refuse(kmsseam.Code(err), kmsseam.Message(err))
	}
	return nil
}

// checkEnvKey is what Lambda does with a function's KMSKeyArn when it
// starts an invocation: it decrypts the environment variables with the
// key (through the grant made when the key was configured), so a key
// that has since been disabled, scheduled for deletion or deleted fails
// the invocation with KMSDisabledException, KMSInvalidStateException or
// KMSNotFoundException (HTTP 502) before the function runs. A function
// without environment variables has nothing to decrypt and runs.
func (l *Lambda) checkEnvKey(ctx *request.Context, t target) error {
	cfg := t.v.Config
	if cfg.KMSKeyArn == nil || *cfg.KMSKeyArn == "" || l.opt.DataKeys == nil ||
		cfg.Environment == nil || len(cfg.Environment.Variables) == 0 {
		return nil
	}
	k, err := l.opt.DataKeys.Key(ctx, *cfg.KMSKeyArn)
	switch {
	case kmsseam.Code(err) == kmsseam.NotFound:
		return lambdaapi.ErrKMSNotFoundException.New("Lambda was unable to decrypt the environment variables because the KMS key was not found. Please check the function's KMS key settings. KMS Exception: NotFoundException KMS Message: %s", kmsseam.Message(err)).With("Type", "User")
	case err != nil:
		return lambdaapi.ErrKMSAccessDeniedException.New("Lambda was unable to decrypt the environment variables because KMS access was denied. Please check the function's KMS key settings. KMS Exception: %s KMS Message: %s", kmsseam.Code(err), kmsseam.Message(err)).With("Type", "User")
	case k.State == "Disabled":
		return lambdaapi.ErrKMSDisabledException.New("Lambda was unable to decrypt the environment variables because the KMS key used is disabled. Please check the function's KMS key settings.").With("Type", "User")
	case k.State != "Enabled":
		return lambdaapi.ErrKMSInvalidStateException.New("Lambda was unable to decrypt the environment variables because the KMS key used is in an invalid state for Decrypt. Please check the function's KMS key settings.").With("Type", "User")
	}
	return nil
}
