package sns

import (
	snsapi "github.com/niwa-cloud/niwa/internal/api/sns"
	"github.com/niwa-cloud/niwa/internal/awserr"
	kmsseam "github.com/niwa-cloud/niwa/internal/kms"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// SSE-KMS topics: a topic with a KmsMasterKeyId uses its key as the
// publisher, who needs kms:GenerateDataKey on it (through SNS:
// kms:ViaService sns.<region>.amazonaws.com), and the key must be
// enabled. SNS does not check the key when the attribute is set, only
// on Publish. niwa does not encrypt messages at rest (they are delivered
// at once); deliveries from other services are not checked.

var kmsErrors = map[string]awserr.Code{
	kmsseam.NotFound:     snsapi.ErrKMSNotFoundException,
	kmsseam.Disabled:     snsapi.ErrKMSDisabledException,
	kmsseam.InvalidState: snsapi.ErrKMSInvalidStateException,
	kmsseam.AccessDenied: snsapi.ErrKMSAccessDeniedException,
	// SNS has no code of its own for a key of the wrong kind.
	kmsseam.InvalidKeyUsage: snsapi.ErrKMSInvalidStateException,
}

// checkKMS checks that the caller may publish to the topic ref names
// under its key.
func (s *SNS) checkKMS(ctx *request.Context, ref topicRef) error {
	if s.opts.DataKeys == nil {
		return nil
	}
	var key string
	if err := s.store.View(func(tx storage.Tx) error {
		t, found, err := topics.Get(tx, ref.scope, ref.name)
		if found {
			key = t.Attrs["KmsMasterKeyId"]
		}
		return err
	}); err != nil || key == "" {
		return err
	}
	if _, err := s.opts.DataKeys.Check(ctx, key, "GenerateDataKey"); err != nil {
		code := kmsseam.Code(err)
		if c, ok := kmsErrors[code]; ok {
			return c.New("%s (Service: AWSKMS; Status Code: 400; Error Code: %s)", kmsseam.Message(err), code)
		}
		return err
	}
	return nil
}
