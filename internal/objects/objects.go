// Package objects is the seam through which a service reads and writes S3
// objects as AWS's own services do: CloudWatch Logs export tasks write as
// the service principal logs.amazonaws.com, which the bucket policy must
// grant; DynamoDB exports and imports act with the caller's identity,
// which a bucket of another account must grant. Services never import S3
// (internal/layers); internal/server hands them S3's implementation of
// Store.
//
// Writes of a whole object and reads of whole objects are enough for the
// services using it (export files are built in memory, bounded by the
// service; imports read objects bounded by MaxObjectSize).
package objects

import (
	"context"
	"errors"
	"io"
)

// Principal is who a service acts as.
type Principal struct {
	// Service is the service principal ("logs.amazonaws.com") when the
	// service acts on its own behalf; the bucket policy must allow it
	// (the regional form "logs.<Region>.amazonaws.com" matches too).
	Service string
	// Region is the region of the acting service's resource.
	Region string
	// CallerARN and CallerAccount are the IAM principal a service acts
	// for when Service is empty (DynamoDB export and import): a bucket
	// of the same account lets its own principals in, one of another
	// account only by its bucket policy.
	CallerARN, CallerAccount string
	// SourceAccount and SourceARN are what aws:SourceAccount and
	// aws:SourceArn conditions of the bucket policy see.
	SourceAccount, SourceARN string
}

// Object is one listed object.
type Object struct {
	Key  string
	Size int64
}

// Errors a Store answers, for the calling service to turn into its own
// AWS error (each service words these differently).
var (
	ErrNoSuchBucket = errors.New("objects: the bucket does not exist")
	ErrNoSuchKey    = errors.New("objects: the object does not exist")
	ErrAccessDenied = errors.New("objects: access denied by the bucket policy")
	ErrTooLarge     = errors.New("objects: object too large")
)

// MaxObjectSize bounds what Open lets a service read whole.
const MaxObjectSize = 512 << 20

// Store reads and writes objects for a service.
type Store interface {
	// CheckObjectAccess reports whether p may perform every action
	// ("s3:GetBucketAcl", "s3:PutObject", "s3:GetObject", "s3:ListBucket")
	// on bucket (object actions on keys under prefix), and returns the
	// bucket's region and owning account.
	CheckObjectAccess(ctx context.Context, bucket, prefix string, p Principal, actions ...string) (region, owner string, err error)
	// PutServiceObject stores body at bucket/key, owned by the bucket
	// owner (as a write with bucket-owner-full-control is).
	PutServiceObject(ctx context.Context, bucket, key string, body []byte, p Principal) error
	// ListServiceObjects lists the objects under prefix, in key order.
	ListServiceObjects(ctx context.Context, bucket, prefix string, p Principal) ([]Object, error)
	// OpenServiceObject opens an object for reading; the caller closes it.
	OpenServiceObject(ctx context.Context, bucket, key string, p Principal) (io.ReadCloser, int64, error)
}

// PutOptions are what a service sets on an object it writes besides its
// body.
type PutOptions struct {
	// ContentType is the object's Content-Type
	// ("application/octet-stream" when empty).
	ContentType string
	// Metadata is the object's user metadata (x-amz-meta-<key>, keys
	// lower-cased): CloudTrail's digest files carry their signature there.
	Metadata map[string]string
	// KMS, when set, stores the object SSE-KMS under a data key the
	// writing service generated with KMS (CloudTrail encrypts log files
	// with the trail's key): readers then need kms:Decrypt on the key.
	KMS *SealKey
}

// SealKey is a KMS data key an object is encrypted under.
type SealKey struct {
	// KeyARN is the KMS key's ARN.
	KeyARN string
	// Plaintext encrypts the object; Ciphertext is what is stored, for
	// readers to decrypt with KMS under Context.
	Plaintext, Ciphertext []byte
	Context               map[string]string
}

// OptionsWriter is a Store that also writes objects with PutOptions (S3
// implements it; kept apart from Store so that the fakes of services that
// need no options stay as they are).
type OptionsWriter interface {
	Store
	// PutServiceObjectWith is PutServiceObject with opts.
	PutServiceObjectWith(ctx context.Context, bucket, key string, body []byte, p Principal, opts PutOptions) error
}
