package s3

import (
	"net/http"

	s3api "github.com/niwa-cloud/niwa/internal/api/s3"
	"github.com/niwa-cloud/niwa/internal/awserr"
)

// S3's error codes beyond the few its model declares, with the statuses S3
// answers them with (S3 API Reference, "Error responses").
var (
	errAccessDenied         = awserr.Code{Code: "AccessDenied", Status: http.StatusForbidden, Sender: true}
	errBadDigest            = awserr.Code{Code: "BadDigest", Status: http.StatusBadRequest, Sender: true}
	errBucketNotEmpty       = awserr.Code{Code: "BucketNotEmpty", Status: http.StatusConflict, Sender: true}
	errEntityTooSmall       = awserr.Code{Code: "EntityTooSmall", Status: http.StatusBadRequest, Sender: true}
	errEntityTooLarge       = awserr.Code{Code: "EntityTooLarge", Status: http.StatusBadRequest, Sender: true}
	errIllegalLocation      = awserr.Code{Code: "IllegalLocationConstraintException", Status: http.StatusBadRequest, Sender: true}
	errInvalidArgument      = awserr.Code{Code: "InvalidArgument", Status: http.StatusBadRequest, Sender: true}
	errInvalidBucketName    = awserr.Code{Code: "InvalidBucketName", Status: http.StatusBadRequest, Sender: true}
	errInvalidDigest        = awserr.Code{Code: "InvalidDigest", Status: http.StatusBadRequest, Sender: true}
	errInvalidLocation      = awserr.Code{Code: "InvalidLocationConstraint", Status: http.StatusBadRequest, Sender: true}
	errInvalidPart          = awserr.Code{Code: "InvalidPart", Status: http.StatusBadRequest, Sender: true}
	errInvalidPartOrder     = awserr.Code{Code: "InvalidPartOrder", Status: http.StatusBadRequest, Sender: true}
	errInvalidRange         = awserr.Code{Code: "InvalidRange", Status: http.StatusRequestedRangeNotSatisfiable, Sender: true}
	errInvalidRequest       = awserr.Code{Code: "InvalidRequest", Status: http.StatusBadRequest, Sender: true}
	errInvalidTag           = awserr.Code{Code: "InvalidTag", Status: http.StatusBadRequest, Sender: true}
	errInvalidTargetBucket  = awserr.Code{Code: "InvalidTargetBucketForLogging", Status: http.StatusBadRequest, Sender: true}
	errMalformedACL         = awserr.Code{Code: "MalformedACLError", Status: http.StatusBadRequest, Sender: true}
	errMalformedPolicy      = awserr.Code{Code: "MalformedPolicy", Status: http.StatusBadRequest, Sender: true}
	errMalformedXML         = awserr.Code{Code: "MalformedXML", Status: http.StatusBadRequest, Sender: true}
	errNotModified          = awserr.Code{Code: "NotModified", Status: http.StatusNotModified, Sender: true}
	errNoSuchBucketPolicy   = awserr.Code{Code: "NoSuchBucketPolicy", Status: http.StatusNotFound, Sender: true}
	errNoSuchCORS           = awserr.Code{Code: "NoSuchCORSConfiguration", Status: http.StatusNotFound, Sender: true}
	errNoSuchLifecycle      = awserr.Code{Code: "NoSuchLifecycleConfiguration", Status: http.StatusNotFound, Sender: true}
	errNoSuchTagSet         = awserr.Code{Code: "NoSuchTagSet", Status: http.StatusNotFound, Sender: true}
	errNoSuchVersion        = awserr.Code{Code: "NoSuchVersion", Status: http.StatusNotFound, Sender: true}
	errNoSuchWebsite        = awserr.Code{Code: "NoSuchWebsiteConfiguration", Status: http.StatusNotFound, Sender: true}
	errNoSuchOwnership      = awserr.Code{Code: "OwnershipControlsNotFoundError", Status: http.StatusNotFound, Sender: true}
	errNoSuchPAB            = awserr.Code{Code: "NoSuchPublicAccessBlockConfiguration", Status: http.StatusNotFound, Sender: true}
	errMethodNotAllowed     = awserr.Code{Code: "MethodNotAllowed", Status: http.StatusMethodNotAllowed, Sender: true}
	errPreconditionFailed   = awserr.Code{Code: "PreconditionFailed", Status: http.StatusPreconditionFailed, Sender: true}
	errKeyTooLong           = awserr.Code{Code: "KeyTooLongError", Status: http.StatusBadRequest, Sender: true}
	errInvalidStorageClass  = awserr.Code{Code: "InvalidStorageClass", Status: http.StatusBadRequest, Sender: true}
	errInvalidEncryptionAlg = awserr.Code{Code: "InvalidEncryptionAlgorithmError", Status: http.StatusBadRequest, Sender: true}
	errMetadataTooLarge     = awserr.Code{Code: "MetadataTooLarge", Status: http.StatusBadRequest, Sender: true}
)

func noSuchBucket(name string) error {
	return s3api.ErrNoSuchBucket.New("The specified bucket does not exist").With("BucketName", name)
}

func noSuchKey(key string) error {
	return s3api.ErrNoSuchKey.New("The specified key does not exist.").With("Key", key)
}

func noSuchUpload(id string) error {
	return s3api.ErrNoSuchUpload.New("The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.").With("UploadId", id)
}

var (
	errAccessControlListNotSupported = awserr.Code{Code: "AccessControlListNotSupported", Status: http.StatusBadRequest, Sender: true}
	errInvalidBucketACLOwnership     = awserr.Code{Code: "InvalidBucketAclWithObjectOwnership", Status: http.StatusBadRequest, Sender: true}
	errUnexpectedContent             = awserr.Code{Code: "UnexpectedContent", Status: http.StatusBadRequest, Sender: true}
)

var errIncompleteBody = awserr.Code{Code: "IncompleteBody", Status: http.StatusBadRequest, Sender: true}

var errInvalidPartNumber = awserr.Code{Code: "InvalidPartNumber", Status: http.StatusRequestedRangeNotSatisfiable, Sender: true}
