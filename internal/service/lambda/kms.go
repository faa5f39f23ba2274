package lambda

import (
	"strings"

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
