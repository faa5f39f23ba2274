package s3

import (
	"strings"

	s3api "github.com/niwa-cloud/niwa/internal/api/s3"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
)

// niwa serves general purpose buckets only. Directory buckets (S3 Express
// One Zone: names ending in --x-s3, sessions from CreateSession) are
// refused clearly rather than created as general purpose buckets that
// would behave differently.

// directoryBucketSuffix ends every directory bucket name
// ("name--usw2-az1--x-s3"); S3 reserves it.
const directoryBucketSuffix = "--x-s3"

func errNoDirectoryBuckets() error {
	return awserr.NotImplemented.New("niwa does not provide directory buckets (S3 Express One Zone); use a general purpose bucket, whose name may not end in %s", directoryBucketSuffix)
}

// checkNotDirectoryBucket refuses a directory bucket name at CreateBucket.
func checkNotDirectoryBucket(name string) error {
	if strings.HasSuffix(name, directoryBucketSuffix) {
		return errNoDirectoryBuckets()
	}
	return nil
}

// CreateSession opens a session on a directory bucket: niwa has none.
func (s *S3) CreateSession(ctx *request.Context, in *s3api.CreateSessionInput) (*s3api.CreateSessionOutput, error) {
	if _, err := s.bucket(ptr.Deref(in.Bucket)); err != nil && !strings.HasSuffix(ptr.Deref(in.Bucket), directoryBucketSuffix) {
		return nil, err
	}
	return nil, errNoDirectoryBuckets()
}
