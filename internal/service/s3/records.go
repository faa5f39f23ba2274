package s3

import (
	"time"

	s3api "github.com/niwa-cloud/niwa/internal/api/s3"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// bucketRecord is a bucket with every sub-resource configuration. The
// configurations are kept as the API's own shapes: what was put is what
// is got.
type bucketRecord struct {
	Name    string    `json:"name"`
	Account string    `json:"account"`
	Region  string    `json:"region"`
	Created time.Time `json:"created"`
	// Versioning is "", "Enabled" or "Suspended".
	Versioning string `json:"versioning,omitempty"`
	// Abac is the bucket's ABAC status ("" until PutBucketAbac).
	Abac      string `json:"abac,omitempty"`
	MFADelete string `json:"mfaDelete,omitempty"`

	Tags              []s3api.Tag                              `json:"tags,omitempty"`
	CORS              *s3api.CORSConfiguration                 `json:"cors,omitempty"`
	Website           *s3api.WebsiteConfiguration              `json:"website,omitempty"`
	Logging           *s3api.LoggingEnabled                    `json:"logging,omitempty"`
	Notification      *s3api.NotificationConfiguration         `json:"notification,omitempty"`
	Encryption        *s3api.ServerSideEncryptionConfiguration `json:"encryption,omitempty"`
	Lifecycle         *s3api.BucketLifecycleConfiguration      `json:"lifecycle,omitempty"`
	Ownership         *s3api.OwnershipControls                 `json:"ownership,omitempty"`
	PublicAccessBlock *s3api.PublicAccessBlockConfiguration    `json:"publicAccessBlock,omitempty"`
	Policy            string                                   `json:"policy,omitempty"`
	ACL               *s3api.AccessControlPolicy               `json:"acl,omitempty"`
	ObjectLock        bool                                     `json:"objectLock,omitempty"`
	// LockRule is the Object Lock default retention (objectlock.go).
	LockRule *s3api.ObjectLockRule `json:"lockRule,omitempty"`
	// Replication is the replication configuration (replication.go).
	Replication  *s3api.ReplicationConfiguration `json:"replication,omitempty"`
	Accelerate   string                          `json:"accelerate,omitempty"`
	RequestPayer string                          `json:"requestPayer,omitempty"`
}

// blobPart is one stored piece of an object body.
type blobPart struct {
	Blob string `json:"blob"`
	Size int64  `json:"size"`
	// Checksums of a completed multipart upload's part, when the upload
	// had a checksum algorithm (GetObjectAttributes lists them).
	Checksums map[string]string `json:"checksums,omitempty"`
}

// objectRecord is one version of an object (or a delete marker).
type objectRecord struct {
	Key          string     `json:"key"`
	VersionID    string     `json:"versionId,omitempty"` // "" in a never-versioned bucket
	Seq          int64      `json:"seq"`
	DeleteMarker bool       `json:"deleteMarker,omitempty"`
	LastModified time.Time  `json:"lastModified"`
	Size         int64      `json:"size"`
	ETag         string     `json:"etag"` // quoted
	Parts        []blobPart `json:"parts,omitempty"`
	// PartsCount is the number of parts of a multipart object.
	PartsCount   int               `json:"partsCount,omitempty"`
	Owner        string            `json:"owner"`
	ContentType  string            `json:"contentType,omitempty"`
	CacheControl string            `json:"cacheControl,omitempty"`
	Disposition  string            `json:"disposition,omitempty"`
	Encoding     string            `json:"encoding,omitempty"`
	Language     string            `json:"language,omitempty"`
	Expires      *time.Time        `json:"expires,omitempty"`
	Metadata     map[string]string `json:"metadata,omitempty"`
	StorageClass string            `json:"storageClass,omitempty"`
	Redirect     string            `json:"redirect,omitempty"`
	SSE          string            `json:"sse,omitempty"`
	KMSKeyID     string            `json:"kmsKeyId,omitempty"`
	BucketKey    bool              `json:"bucketKey,omitempty"`
	SSECAlg      string            `json:"ssecAlg,omitempty"`
	SSECKeyMD5   string            `json:"ssecKeyMD5,omitempty"`
	// Seal decrypts an SSE-KMS object's bytes (ssekms.go).
	Seal *kmsSeal `json:"seal,omitempty"`
	// Checksums by algorithm name (CRC32, SHA256, ...), base64.
	Checksums map[string]string          `json:"checksums,omitempty"`
	Tags      []s3api.Tag                `json:"tags,omitempty"`
	ACL       *s3api.AccessControlPolicy `json:"acl,omitempty"`
	// Object Lock (objectlock.go): the retention mode and date, and the
	// legal hold ("ON", "OFF", or "" when none was ever placed).
	LockMode  string     `json:"lockMode,omitempty"`
	LockUntil *time.Time `json:"lockUntil,omitempty"`
	LegalHold string     `json:"legalHold,omitempty"`
	// A restore of an archived object (restore.go): when its copy is
	// ready and when it expires.
	RestoreReady  *time.Time `json:"restoreReady,omitempty"`
	RestoreExpiry *time.Time `json:"restoreExpiry,omitempty"`
	// ReplicationStatus is PENDING, COMPLETED or FAILED on a replicated
	// source version, REPLICA on its copy (replication.go).
	ReplicationStatus string `json:"replicationStatus,omitempty"`
	// UploadID and UploadParts (a digest of the listed parts) name the
	// multipart upload and request that made the object, so that the
	// same CompleteMultipartUpload repeated is answered again (complete.go).
	UploadID    string `json:"uploadId,omitempty"`
	UploadParts string `json:"uploadParts,omitempty"`
}

// uploadRecord is a multipart upload in progress.
type uploadRecord struct {
	UploadID  string       `json:"uploadId"`
	Key       string       `json:"key"`
	Initiated time.Time    `json:"initiated"`
	Owner     string       `json:"owner"`
	Template  objectRecord `json:"template"` // headers given at creation
	Algorithm string       `json:"algorithm,omitempty"`
	// Seq orders the upload's creation among writes to its key: a
	// conditional Complete that fails because of a later write conflicts.
	Seq int64 `json:"seq,omitempty"`
}

// partRecord is one uploaded part.
type partRecord struct {
	Number       int32             `json:"number"`
	ETag         string            `json:"etag"`
	MD5          string            `json:"md5"` // hex, for the composite ETag
	Size         int64             `json:"size"`
	Blob         string            `json:"blob"`
	LastModified time.Time         `json:"lastModified"`
	Checksums    map[string]string `json:"checksums,omitempty"`
}

// logLine is one pending server access log line.
type logLine struct {
	TargetBucket string `json:"targetBucket"`
	TargetPrefix string `json:"targetPrefix"`
	Line         string `json:"line"`
}

var (
	buckets  = storage.NewTable[bucketRecord]("bucket")
	objects  = storage.NewTable[objectRecord]("object")
	versions = storage.NewTable[objectRecord]("version")
	uploads  = storage.NewTable[uploadRecord]("upload")
	parts    = storage.NewTable[partRecord]("part")
	logq     = storage.NewTable[logLine]("logq")
)
