package sqs

import (
	"github.com/niwa-cloud/niwa/internal/awserr"
	kmsseam "github.com/niwa-cloud/niwa/internal/kms"
	"github.com/niwa-cloud/niwa/internal/request"
)

// SSE-KMS queues: a queue with a KmsMasterKeyId (and SSE-SQS off) uses
// its key as the caller. Senders need kms:GenerateDataKey on it and
// receivers kms:Decrypt (through SQS: kms:ViaService
// sqs.<region>.amazonaws.com), and the key must be enabled; SQS does not
// check the key when it is set, only when it is used. niwa checks on
// every send and receive (AWS caches data keys for
// KmsDataKeyReusePeriodSeconds, so a disabled key stops it only once they
// expire) and encrypts bodies at rest (sse.go).

// KMS errors in SQS's words: the query code KMS's SDK would name, the
// shape JSON clients read.
var kmsErrors = map[string]awserr.Code{
	kmsseam.NotFound:        {Code: "KMS.NotFoundException", Shape: "KmsNotFound", Status: 400, Sender: true},
	kmsseam.Disabled:        {Code: "KMS.DisabledException", Shape: "KmsDisabled", Status: 400, Sender: true},
	kmsseam.InvalidState:    {Code: "KMS.InvalidStateException", Shape: "KmsInvalidState", Status: 400, Sender: true},
	kmsseam.AccessDenied:    {Code: "KMS.AccessDeniedException", Shape: "KmsAccessDenied", Status: 400, Sender: true},
	kmsseam.InvalidKeyUsage: {Code: "KMS.InvalidKeyUsageException", Shape: "KmsInvalidKeyUsage", Status: 400, Sender: true},
}

// kmsKey is the queue's KMS key ("" for none or SSE-SQS).
func kmsKey(q *queue) string {
	if q.Attrs["SqsManagedSseEnabled"] == "true" {
		return ""
	}
	return q.Attrs["KmsMasterKeyId"]
}

// checkKMS checks that the caller may use q's key for op now.
func (s *SQS) checkKMS(ctx *request.Context, q *queue, op string) error {
	key := kmsKey(q)
	if key == "" || s.opts.DataKeys == nil {
		return nil
	}
	if _, err := s.opts.DataKeys.Check(ctx, key, op); err != nil {
		return kmsError(err)
	}
	return nil
}
