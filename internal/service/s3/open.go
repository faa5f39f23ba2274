package s3

import (
	"context"
	"io"
)

// OpenObject opens the current version of bucket/key (or versionID when
// it is not "") for reading, as GetObject would, for other services that
// read objects directly (Lambda deployment packages). Errors are S3's
// (NoSuchBucket, NoSuchKey, ...). Buckets are global, so no account is
// needed; the caller closes the reader.
func (s *S3) OpenObject(_ context.Context, bucket, key, versionID string) (io.ReadCloser, int64, error) {
	o, err := s.readable(bucket, key, versionID)
	if err != nil {
		return nil, 0, err
	}
	return newPartsReader(s.blobs, o.Parts, 0, o.Size), o.Size, nil
}
