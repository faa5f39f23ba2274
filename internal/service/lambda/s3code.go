package lambda

import (
	"context"
	"io"

	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/request"
)

// ObjectSource is S3 as Lambda reads deployment packages from it
// (Code.S3Bucket/S3Key/S3ObjectVersion). Errors are S3's own.
type ObjectSource interface {
	OpenObject(ctx context.Context, bucket, key, versionID string) (io.ReadCloser, int64, error)
}

// SetObjectSource wires S3 for function code given as an S3 object. It is
// called once, before the service serves requests.
func (l *Lambda) SetObjectSource(o ObjectSource) { l.objects = o }

// codeFromS3 copies a deployment package out of S3, as AWS does at
// CreateFunction/UpdateFunctionCode: later changes to the object do not
// change the function. S3 errors come back as AWS words them.
func (l *Lambda) codeFromS3(ctx *request.Context, bucket, key, version string) (storedCode, error) {
	if l.objects == nil {
		return storedCode{}, errInvalidParam("Error occurred while GetObject. S3 Error Code: NoSuchBucket. S3 Error Message: The specified bucket does not exist")
	}
	rc, size, err := l.objects.OpenObject(ctx, bucket, key, version)
	if err != nil {
		e := awserr.As(err)
		return storedCode{}, errInvalidParam("Error occurred while GetObject. S3 Error Code: %s. S3 Error Message: %s", e.Code.Code, e.Message)
	}
	defer func() { _ = rc.Close() }()
	if size > maxUnzipped {
		return storedCode{}, errInvalidParam("Unzipped size must be smaller than 262144000 bytes")
	}
	data, err := io.ReadAll(io.LimitReader(rc, maxUnzipped+1))
	if err != nil {
		return storedCode{}, err
	}
	return l.storeZipMax(data, maxUnzipped)
}
