package s3

import (
	"net/http"
	"strings"

	s3api "github.com/niwa-cloud/niwa/internal/api/s3"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

var errOperationAborted = awserr.Code{Code: "OperationAborted", Status: http.StatusConflict, Sender: true}

// UpdateObjectEncryption moves an SSE-S3 or SSE-KMS object to SSE-KMS
// under another key (S3 API Reference, UpdateObjectEncryption): the
// version keeps its ETag, dates, checksums, storage class and version id.
// An SSE-KMS object's data key is decrypted and encrypted again under the
// new key as the caller (kms:Decrypt, kms:Encrypt); an SSE-S3 object,
// which niwa stores as sent, is sealed under a new data key
// (kms:GenerateDataKey) part by part, so that its part layout stays.
func (s *S3) UpdateObjectEncryption(ctx *request.Context, in *s3api.UpdateObjectEncryptionInput) (*s3api.UpdateObjectEncryptionOutput, error) {
	keyARN, bucketKey, err := updateEncryptionTarget(in.ObjectEncryption)
	if err != nil {
		return nil, err
	}
	name, key := ptr.Deref(in.Bucket), ptr.Deref(in.Key)
	b, err := s.bucket(name)
	if err != nil {
		return nil, err
	}
	if arnAccount(keyARN) != b.Account {
		return nil, errAccessDenied.New("The AWS KMS key in the request must be owned by the same account as the bucket. Modify the request to specify a KMS key from the same account, and then try again.")
	}
	var o objectRecord
	if err := s.store.View(func(tx storage.Tx) error {
		o, err = currentObject(tx, name, key, ptr.Deref(in.VersionId))
		return err
	}); err != nil {
		return nil, err
	}
	if o.DeleteMarker {
		return nil, errMethodNotAllowed.New("The specified method is not allowed against this resource.").With("Method", "PUT").With("ResourceType", "DeleteMarker")
	}
	switch {
	case o.SSECAlg != "" || o.SSE == "aws:kms:dsse":
		return nil, errInvalidRequest.New("The UpdateObjectEncryption operation doesn't support source objects with the encryption type DSSE-KMS or SSE-C. Only source objects encrypted with SSE-S3 or SSE-KMS are supported.")
	case o.SSE == "":
		return nil, errInvalidRequest.New("The UpdateObjectEncryption operation doesn't supported unencrypted source objects. Only source objects encrypted with SSE-S3 or SSE-KMS are supported.")
	}
	if (deleteLock{}).protects(o, ctx.Now()) {
		return nil, errAccessDenied.New("The encryption type for the specified object can't be updated because that object is protected by S3 Object Lock.")
	}
	updated, fresh, err := s.rekey(ctx, b, o, keyARN, bucketKey)
	if err != nil {
		return nil, err
	}
	err = s.store.Update(func(tx storage.Tx) error {
		cur, err := currentObject(tx, name, key, o.VersionID)
		if err != nil {
			return err
		}
		if cur.Seq != o.Seq || cur.KMSKeyID != o.KMSKeyID || cur.SSE != o.SSE {
			return errOperationAborted.New("A conflicting conditional operation is currently in progress against this resource. Please try again.")
		}
		return putObjectRecord(tx, name, updated)
	})
	if err != nil {
		s.deleteBlobs(fresh)
		return nil, err
	}
	if len(fresh) > 0 {
		s.deleteBlobs(o.Parts) // the plaintext parts the sealed ones replace
	}
	return &s3api.UpdateObjectEncryptionOutput{}, nil
}

// updateEncryptionTarget reads the request's new encryption, answering
// S3's InvalidRequest messages for what it lacks.
func updateEncryptionTarget(e *s3api.ObjectEncryption) (keyARN string, bucketKey bool, err error) {
	if e == nil || e.SSEKMS == nil {
		return "", false, errInvalidRequest.New("Requests that modify an object encryption configuration require a valid new encryption type. Valid values are SSEKMS. Modify the request to specify SSE-KMS for the updated encryption type, and then try again.")
	}
	keyARN = ptr.Deref(e.SSEKMS.KMSKeyArn)
	if keyARN == "" {
		return "", false, errInvalidRequest.New("Requests that modify an object's encryption type to SSE-KMS require an AWS KMS key Amazon Resource Name (ARN). Modify the request to specify a KMS key ARN, and then try again.")
	}
	if !isKeyARN(keyARN) {
		return "", false, errInvalidRequest.New("Requests that modify an object's encryption type to SSE-KMS require a valid AWS KMS key Amazon Resource Name (ARN). Confirm that you have a correctly formatted KMS key ARN in your request, and then try again.")
	}
	return keyARN, ptr.Deref(e.SSEKMS.BucketKeyEnabled), nil
}

// isKeyARN reports whether v is a KMS key ARN
// (arn:<partition>:kms:<region>:<account>:key/<id>), not an alias.
func isKeyARN(v string) bool {
	f := strings.SplitN(v, ":", 6)
	if len(f) != 6 || f[0] != "arn" || !strings.HasPrefix(f[1], "aws") || f[2] != "kms" || f[3] == "" || !isAccountID(f[4]) {
		return false
	}
	id, ok := strings.CutPrefix(f[5], "key/")
	return ok && id != "" && strings.Trim(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") == ""
}

func arnAccount(arn string) string {
	if f := strings.SplitN(arn, ":", 6); len(f) == 6 {
		return f[4]
	}
	return ""
}

// rekey is o under keyARN: its data key wrapped again, or, for an SSE-S3
// object, its parts sealed under a new data key (fresh: the new parts'
// blobs, which the caller frees if the update does not commit).
func (s *S3) rekey(ctx *request.Context, b bucketRecord, o objectRecord, keyARN string, bucketKey bool) (updated objectRecord, fresh []blobPart, err error) {
	updated = o
	updated.SSE, updated.BucketKey = "aws:kms", bucketKey
	if s.opts.DataKeys == nil {
		// No KMS (a unit test's S3): the key is recorded, not used.
		updated.KMSKeyID = keyARN
		return updated, nil, nil
	}
	ec := map[string]string{"aws:s3:arn": "arn:aws:s3:::" + b.Name + "/" + o.Key}
	if bucketKey {
		ec["aws:s3:arn"] = "arn:aws:s3:::" + b.Name
	}
	if o.Seal != nil {
		pt, _, err := s.opts.DataKeys.Decrypt(ctx, o.Seal.DataKey, o.Seal.Context)
		if err != nil {
			return o, nil, kmsError(err, true)
		}
		blob, arn, err := s.opts.DataKeys.Encrypt(ctx, keyARN, pt, ec)
		if err != nil {
			return o, nil, kmsError(err, false)
		}
		updated.KMSKeyID, updated.Seal = arn, &kmsSeal{DataKey: blob, Context: ec}
		return updated, nil, nil
	}
	dk, err := s.opts.DataKeys.GenerateDataKey(ctx, keyARN, ec)
	if err != nil {
		return o, nil, kmsError(err, false)
	}
	sealed, err := newSealedBlobs(s.blobs, dk.Plaintext)
	if err != nil {
		return o, nil, err
	}
	updated.Parts = nil
	for _, p := range o.Parts {
		np, err := s.copyBody(sealed, s.blobs, []blobPart{p}, 0, p.Size)
		if err != nil {
			s.deleteBlobs(fresh)
			return o, nil, err
		}
		np.Checksums = p.Checksums
		fresh = append(fresh, np)
		updated.Parts = append(updated.Parts, np)
	}
	updated.KMSKeyID, updated.Seal = dk.KeyARN, &kmsSeal{DataKey: dk.Ciphertext, Context: ec}
	return updated, fresh, nil
}
