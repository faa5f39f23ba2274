package s3

import (
	"net/http"
	"strings"
	"time"

	s3api "github.com/niwa-cloud/niwa/internal/api/s3"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Replication (S3 User Guide, "Replicating objects"): a bucket's
// replication configuration is validated as S3 does (versioning enabled
// on the source and on every destination, which must exist) and applied
// to the object versions written after it: each new version matching an
// enabled rule is marked PENDING, copied to the destination bucket (any
// niwa bucket, in any region) with the same version id, metadata and
// tags and the status REPLICA, then marked COMPLETED (FAILED when the
// destination is gone or no longer versioned). The copy runs
// Options.ReplicationDelay after the write, on niwa's clock.

var errNoReplication = awserr.Code{Code: "ReplicationConfigurationNotFoundError", Status: http.StatusNotFound, Sender: true}

const (
	replicationPending   = "PENDING"
	replicationCompleted = "COMPLETED"
	replicationFailed    = "FAILED"
	replicationReplica   = "REPLICA"
	// maxReplicationRules is S3's limit of rules per configuration.
	maxReplicationRules = 1000
)

// destinationBucket is the bucket name of a destination ARN.
func destinationBucket(arn string) (string, bool) {
	name, ok := strings.CutPrefix(arn, "arn:aws:s3:::")
	return name, ok && name != "" && !strings.Contains(name, "/")
}

func (s *S3) PutBucketReplication(ctx *request.Context, in *s3api.PutBucketReplicationInput) (*s3api.PutBucketReplicationOutput, error) {
	c := in.ReplicationConfiguration
	if c == nil || len(c.Rules) == 0 || len(c.Rules) > maxReplicationRules {
		return nil, malformedXML()
	}
	if !strings.HasPrefix(ptr.Deref(c.Role), "arn:aws:iam::") {
		return nil, errInvalidArgument.New("Invalid Role specified in replication configuration").With("ArgumentName", "Role").With("ArgumentValue", ptr.Deref(c.Role))
	}
	ids := map[string]bool{}
	priorities := map[int32]bool{}
	for _, r := range c.Rules {
		if r.Destination == nil || r.Status == nil {
			return nil, malformedXML()
		}
		if id := ptr.Deref(r.ID); id != "" {
			if ids[id] {
				return nil, errInvalidArgument.New("Rule Id must be unique").With("ArgumentName", "ID").With("ArgumentValue", id)
			}
			ids[id] = true
		}
		if r.Filter != nil {
			// The V2 schema (Filter) requires DeleteMarkerReplication
			// and distinct priorities.
			if r.DeleteMarkerReplication == nil {
				return nil, errInvalidRequest.New("DeleteMarkerReplication must be specified for this version of Cross Region Replication configuration schema.")
			}
			if p := ptr.Deref(r.Priority); priorities[p] {
				return nil, errInvalidRequest.New("Found overlapping priority for rules")
			} else {
				priorities[p] = true
			}
		}
		if _, ok := destinationBucket(ptr.Deref(r.Destination.Bucket)); !ok {
			return nil, errInvalidArgument.New("Invalid bucket ARN.").With("ArgumentName", "Bucket").With("ArgumentValue", ptr.Deref(r.Destination.Bucket))
		}
	}
	err := s.updateBuckets(func(tx storage.Tx) error {
		b, err := getBucket(tx, ptr.Deref(in.Bucket))
		if err != nil {
			return err
		}
		if b.Versioning != "Enabled" {
			return errInvalidRequest.New("Versioning must be 'Enabled' on the bucket to apply a replication configuration")
		}
		for _, r := range c.Rules {
			// SSE-KMS objects are replicated only when a rule selects them,
			// and then under the key it names for the replicas.
			switch hasKey := r.Destination.EncryptionConfiguration != nil && ptr.Deref(r.Destination.EncryptionConfiguration.ReplicaKmsKeyID) != ""; {
			case hasKey && !selectsKMS(r):
				return errInvalidRequest.New("SseKmsEncryptedObjects must be specified if EncryptionConfiguration is present.")
			case !hasKey && selectsKMS(r):
				return errInvalidRequest.New("ReplicaKmsKeyID must be specified if SseKmsEncryptedObjects tag is present.")
			}
			name, _ := destinationBucket(ptr.Deref(r.Destination.Bucket))
			d, ok, err := buckets.Get(tx, globalScope(), name)
			if err != nil {
				return err
			}
			if !ok {
				return errInvalidRequest.New("Destination bucket must exist.")
			}
			if d.Versioning != "Enabled" {
				return errInvalidRequest.New("Destination bucket must have versioning enabled.")
			}
		}
		b.Replication = c
		return buckets.Put(tx, globalScope(), b, b.Name)
	})
	if err != nil {
		return nil, err
	}
	return &s3api.PutBucketReplicationOutput{}, nil
}

func (s *S3) GetBucketReplication(ctx *request.Context, in *s3api.GetBucketReplicationInput) (*s3api.GetBucketReplicationOutput, error) {
	b, err := s.bucket(ptr.Deref(in.Bucket))
	if err != nil {
		return nil, err
	}
	if b.Replication == nil {
		return nil, errNoReplication.New("The replication configuration was not found").With("BucketName", b.Name)
	}
	return &s3api.GetBucketReplicationOutput{ReplicationConfiguration: b.Replication}, nil
}

func (s *S3) DeleteBucketReplication(ctx *request.Context, in *s3api.DeleteBucketReplicationInput) (*s3api.DeleteBucketReplicationOutput, error) {
	return &s3api.DeleteBucketReplicationOutput{}, s.updateBucket(ptr.Deref(in.Bucket), func(b *bucketRecord) error {
		b.Replication = nil
		return nil
	})
}

// replicationRule is the enabled rule of b that replicates o (the one of
// highest priority), if any.
func replicationRule(b bucketRecord, o objectRecord) (s3api.ReplicationRule, bool) {
	var best s3api.ReplicationRule
	found := false
	if b.Replication == nil || o.DeleteMarker || o.ReplicationStatus == replicationReplica {
		return best, false
	}
	for _, r := range b.Replication.Rules {
		if ptr.Deref(r.Status) != "Enabled" || !replicationMatches(r, o) {
			continue
		}
		if !found || ptr.Deref(r.Priority) > ptr.Deref(best.Priority) {
			best, found = r, true
		}
	}
	return best, found
}

// selectsKMS reports whether r replicates SSE-KMS (and DSSE-KMS) objects:
// S3 leaves them alone unless SourceSelectionCriteria.SseKmsEncryptedObjects
// is Enabled.
func selectsKMS(r s3api.ReplicationRule) bool {
	c := r.SourceSelectionCriteria
	return c != nil && c.SseKmsEncryptedObjects != nil && ptr.Deref(c.SseKmsEncryptedObjects.Status) == "Enabled"
}

func replicationMatches(r s3api.ReplicationRule, o objectRecord) bool {
	if isKMS(o.SSE) && !selectsKMS(r) {
		return false
	}
	if r.Prefix != nil && !strings.HasPrefix(o.Key, *r.Prefix) {
		return false
	}
	f := r.Filter
	if f == nil {
		return true
	}
	prefix, tags := f.Prefix, []s3api.Tag(nil)
	if f.Tag != nil {
		tags = append(tags, *f.Tag)
	}
	if f.And != nil {
		prefix, tags = f.And.Prefix, f.And.Tags
	}
	if prefix != nil && !strings.HasPrefix(o.Key, *prefix) {
		return false
	}
	for _, t := range tags {
		has := false
		for _, ot := range o.Tags {
			has = has || (ptr.Deref(ot.Key) == ptr.Deref(t.Key) && ptr.Deref(ot.Value) == ptr.Deref(t.Value))
		}
		if !has {
			return false
		}
	}
	return true
}

// markReplication marks a new version a rule will replicate PENDING
// (commitObject, in the write's transaction).
func markReplication(b bucketRecord, o *objectRecord) {
	if o.ReplicationStatus == replicationReplica {
		return
	}
	o.ReplicationStatus = ""
	if _, ok := replicationRule(b, *o); ok && o.VersionID != "" {
		o.ReplicationStatus = replicationPending
	}
}

// scheduleReplication starts the copy of a PENDING version (called after
// the write has committed).
func (s *S3) scheduleReplication(bucket string, o objectRecord) {
	if o.ReplicationStatus != replicationPending {
		return
	}
	delay := s.opts.ReplicationDelay
	if delay <= 0 {
		delay = time.Second
	}
	// The closure captures copies: capturing o would move it to the heap
	// on every call, pending or not.
	key, version := o.Key, o.VersionID
	s.clock.AfterFunc(delay, func() {
		if err := s.replicate(bucket, key, version); err != nil {
			s.opts.Log.Warn("s3 replication", "bucket", bucket, "key", key, "version", version, "error", err)
		}
	})
}

// replicate copies one version to its rule's destination and records the
// outcome on the source version.
func (s *S3) replicate(bucket, key, versionID string) error {
	var src objectRecord
	var srcBucket bucketRecord
	var rule s3api.ReplicationRule
	err := s.store.View(func(tx storage.Tx) error {
		b, err := getBucket(tx, bucket)
		if err != nil {
			return err
		}
		srcBucket = b
		if src, err = currentObject(tx, bucket, key, versionID); err != nil {
			return err
		}
		var ok bool
		if rule, ok = replicationRule(b, src); !ok {
			return errNoReplication.New("no rule")
		}
		return nil
	})
	if err != nil {
		return s.setReplicationStatus(bucket, key, versionID, replicationFailed)
	}
	dest, _ := destinationBucket(ptr.Deref(rule.Destination.Bucket))
	// The replica's body is one blob (a multipart source's part layout is
	// not kept); its ETag, version id, metadata and tags are the source's.
	replica := src
	from, to, err := s.replicaBlobs(srcBucket, dest, rule, src, &replica)
	if err != nil {
		s.opts.Log.Warn("s3 replication: KMS refused", "bucket", bucket, "key", key, "version", versionID, "error", err)
		return s.setReplicationStatus(bucket, key, versionID, replicationFailed)
	}
	part, err := s.copyBody(to, from, src.Parts, 0, src.Size)
	if err != nil {
		return err
	}
	replica.Parts, replica.PartsCount = []blobPart{part}, 0
	replica.ReplicationStatus = replicationReplica
	if sc := ptr.Deref(rule.Destination.StorageClass); sc != "" && sc != "STANDARD" {
		replica.StorageClass = sc
	}
	status := replicationCompleted
	var garbage []blobPart
	err = s.store.Update(func(tx storage.Tx) error {
		d, ok, err := buckets.Get(tx, globalScope(), dest)
		if err != nil {
			return err
		}
		if !ok || d.Versioning != "Enabled" {
			status = replicationFailed
			return nil
		}
		replica.Owner = d.Account
		replica.Seq = s.nextSeq(s.clock.Now())
		old, hadOld, err := objects.Get(tx, globalScope(), dest, key)
		if err != nil {
			return err
		}
		if hadOld && old.VersionID == "" {
			old.VersionID = "null"
			if err := versions.Put(tx, globalScope(), old, dest, key, seqKey(old.Seq)); err != nil {
				return err
			}
		}
		if err := versions.Put(tx, globalScope(), replica, dest, key, seqKey(replica.Seq)); err != nil {
			return err
		}
		return objects.Put(tx, globalScope(), replica, dest, key)
	})
	if err != nil || status == replicationFailed {
		garbage = append(garbage, replica.Parts...)
	}
	s.deleteBlobs(garbage)
	if err != nil {
		status = replicationFailed
	}
	if serr := s.setReplicationStatus(bucket, key, versionID, status); serr != nil {
		return serr
	}
	return err
}

// markerRule is the enabled rule of b that replicates a delete marker on
// key: one with DeleteMarkerReplication Enabled (S3 does not replicate
// markers for rules filtering on tags).
func markerRule(b bucketRecord, key string) (s3api.ReplicationRule, bool) {
	var best s3api.ReplicationRule
	found := false
	if b.Replication == nil {
		return best, false
	}
	for _, r := range b.Replication.Rules {
		if ptr.Deref(r.Status) != "Enabled" || r.DeleteMarkerReplication == nil || ptr.Deref(r.DeleteMarkerReplication.Status) != "Enabled" {
			continue
		}
		if f := r.Filter; f != nil && (f.Tag != nil || (f.And != nil && len(f.And.Tags) > 0)) {
			continue
		}
		if !replicationMatches(r, objectRecord{Key: key}) {
			continue
		}
		if !found || ptr.Deref(r.Priority) > ptr.Deref(best.Priority) {
			best, found = r, true
		}
	}
	return best, found
}

// scheduleMarkerReplication copies a new delete marker to the
// destination of a rule that replicates markers, with the same version id.
func (s *S3) scheduleMarkerReplication(b bucketRecord, key, versionID string) {
	rule, ok := markerRule(b, key)
	if !ok || versionID == "" {
		return
	}
	dest, _ := destinationBucket(ptr.Deref(rule.Destination.Bucket))
	delay := s.opts.ReplicationDelay
	if delay <= 0 {
		delay = time.Second
	}
	s.clock.AfterFunc(delay, func() {
		now := s.clock.Now().UTC()
		err := s.store.Update(func(tx storage.Tx) error {
			d, ok, err := buckets.Get(tx, globalScope(), dest)
			if err != nil || !ok || d.Versioning != "Enabled" {
				return err
			}
			dm := objectRecord{Key: key, VersionID: versionID, DeleteMarker: true, LastModified: now.Truncate(time.Second),
				Owner: d.Account, Seq: s.nextSeq(now), ReplicationStatus: replicationReplica}
			if old, had, err := objects.Get(tx, globalScope(), dest, key); err != nil {
				return err
			} else if had && old.VersionID == "" {
				// A version written before versioning joins the history.
				old.VersionID = "null"
				if err := versions.Put(tx, globalScope(), old, dest, key, seqKey(old.Seq)); err != nil {
					return err
				}
			}
			if err := versions.Put(tx, globalScope(), dm, dest, key, seqKey(dm.Seq)); err != nil {
				return err
			}
			return objects.Delete(tx, globalScope(), dest, key)
		})
		if err != nil {
			s.opts.Log.Warn("s3 replication", "bucket", b.Name, "key", key, "marker", versionID, "error", err)
		}
	})
}

func (s *S3) setReplicationStatus(bucket, key, versionID, status string) error {
	return s.store.Update(func(tx storage.Tx) error {
		o, err := currentObject(tx, bucket, key, versionID)
		if err != nil {
			return nil // the version is gone
		}
		o.ReplicationStatus = status
		return putObjectRecord(tx, bucket, o)
	})
}

// replicaBlobs are the blob stores a replication copies src's bytes
// between, and settles replica's encryption: an SSE-KMS source is
// decrypted with its data key and the replica sealed with a new data key
// under the rule's ReplicaKmsKeyID, bound to the replica's ARN. S3 uses
// the keys as the source bucket's account (niwa does not act as the
// rule's IAM role; docs/s3.md).
func (s *S3) replicaBlobs(b bucketRecord, dest string, rule s3api.ReplicationRule, src objectRecord, replica *objectRecord) (from, to storage.BlobStore, err error) {
	if src.Seal == nil {
		return s.blobs, s.blobs, nil
	}
	if s.opts.DataKeys == nil {
		return nil, nil, errKMSUnavailable.New("KMS is not available.")
	}
	ctx := s.lifecycleContext(b)
	ctx.Operation = "Replication"
	pt, _, err := s.opts.DataKeys.Decrypt(ctx, src.Seal.DataKey, src.Seal.Context)
	if err != nil {
		return nil, nil, err
	}
	if from, err = newSealedBlobs(s.blobs, pt); err != nil {
		return nil, nil, err
	}
	var d bucketRecord
	if err := s.store.View(func(tx storage.Tx) error {
		d, err = getBucket(tx, dest)
		return err
	}); err != nil {
		return nil, nil, err
	}
	// The replica's key is used in the destination's region.
	dctx := *ctx
	dctx.Region = d.Region
	ec := map[string]string{"aws:s3:arn": "arn:aws:s3:::" + dest + "/" + src.Key}
	dk, err := s.opts.DataKeys.GenerateDataKey(&dctx, ptr.Deref(rule.Destination.EncryptionConfiguration.ReplicaKmsKeyID), ec)
	if err != nil {
		return nil, nil, err
	}
	if to, err = newSealedBlobs(s.blobs, dk.Plaintext); err != nil {
		return nil, nil, err
	}
	replica.KMSKeyID, replica.BucketKey = dk.KeyARN, false
	replica.Seal = &kmsSeal{DataKey: dk.Ciphertext, Context: ec}
	return from, to, nil
}
