package s3

import (
	"context"
	"io"

	"github.com/niwa-cloud/niwa/internal/request"
)

// OpenObject opens the current version of bucket/key (or versionID when
// it is not "") for reading, as GetObject would, for other services that
// read objects directly (Lambda deployment packages). Errors are S3's
// (NoSuchBucket, NoSuchKey, ...). Buckets are global, so no account is
// needed; the caller closes the reader.
func (s *S3) OpenObject(ctx context.Context, bucket, key, versionID string) (io.ReadCloser, int64, error) {
	o, err := s.readable(bucket, key, versionID)
	if err != nil {
		return nil, 0, err
	}
	blobs := s.blobs
	if o.Seal != nil {
		// An SSE-KMS object is decrypted for the principal of the request
		// that reads it; without one, nobody may.
		rc, ok := ctx.(*request.Context)
		if !ok {
			return nil, 0, errAccessDenied.New(errKMSReadDenied)
		}
		if blobs, err = s.blobsOf(rc, o); err != nil {
			return nil, 0, err
		}
	}
	return newPartsReader(blobs, o.Parts, 0, o.Size), o.Size, nil
}
