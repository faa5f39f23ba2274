package s3

import (
	"errors"
	"net/http"
	"strings"
	"time"

	s3api "github.com/niwa-cloud/niwa/internal/api/s3"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Object Lock (S3 User Guide, "Locking objects with Object Lock"): a
// bucket with Object Lock keeps versioning enabled for good; each object
// version may carry a retention (GOVERNANCE or COMPLIANCE until a date)
// and a legal hold. A locked version cannot be deleted — a plain DELETE
// still adds a delete marker, which is never locked. Retention dates are
// compared with niwa's clock.

var (
	errInvalidBucketStateCode  = awserr.Code{Code: "InvalidBucketState", Status: http.StatusConflict, Sender: true}
	errNoSuchObjectLockConfig  = awserr.Code{Code: "NoSuchObjectLockConfiguration", Status: http.StatusNotFound, Sender: true}
	errObjectLockConfigMissing = awserr.Code{Code: "ObjectLockConfigurationNotFoundError", Status: http.StatusNotFound, Sender: true}
)

const (
	lockGovernance = "GOVERNANCE"
	lockCompliance = "COMPLIANCE"
	// maxRetentionDays and maxRetentionYears bound a default retention
	// (S3: "1 to 36,500 days, or 1 to 100 years").
	maxRetentionDays  = 36500
	maxRetentionYears = 100
)

func errMissingLockConfig() error {
	return errInvalidRequest.New("Bucket is missing Object Lock Configuration")
}

// lockedMessage is S3's refusal of a change Object Lock forbids.
const lockedMessage = "Access Denied because object protected by object lock."

func errLocked() error { return errAccessDenied.New(lockedMessage) }

func malformedXML() error {
	return errMalformedXML.New("The XML you provided was not well-formed or did not validate against our published schema")
}

func validLockMode(m string) bool { return m == lockGovernance || m == lockCompliance }

// objectLockHeaders are the x-amz-object-lock-* headers of a write.
type objectLockHeaders struct {
	Mode      *string
	Until     *time.Time
	LegalHold *string
}

func (h objectLockHeaders) given() bool { return h.Mode != nil || h.Until != nil || h.LegalHold != nil }

// applyObjectLock validates a write's lock headers, as S3 does before it
// looks at the bucket (both mode and date or neither, a known mode, a
// date in the future, ON or OFF), then requires Object Lock on the
// bucket and records them on o.
func applyObjectLock(ctx *request.Context, b bucketRecord, o *objectRecord, h objectLockHeaders) error {
	if !h.given() {
		return nil
	}
	switch {
	case h.Mode != nil && h.Until == nil:
		return errInvalidArgument.New("x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied").
			With("ArgumentName", "x-amz-object-lock-retain-until-date")
	case h.Mode == nil && h.Until != nil:
		return errInvalidArgument.New("x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied").
			With("ArgumentName", "x-amz-object-lock-mode")
	}
	if h.Mode != nil && !validLockMode(*h.Mode) {
		return errInvalidArgument.New("Unknown wormMode directive.").With("ArgumentName", "x-amz-object-lock-mode").With("ArgumentValue", *h.Mode)
	}
	if h.Until != nil && !h.Until.After(ctx.Now()) {
		return errInvalidArgument.New("The retain until date must be in the future!").
			With("ArgumentName", "x-amz-object-lock-retain-until-date").With("ArgumentValue", h.Until.UTC().Format(time.RFC3339))
	}
	if h.LegalHold != nil && *h.LegalHold != "ON" && *h.LegalHold != "OFF" {
		return errInvalidArgument.New("Legal Hold must be either of 'ON' or 'OFF'").
			With("ArgumentName", "x-amz-object-lock-legal-hold").With("ArgumentValue", *h.LegalHold)
	}
	if !b.ObjectLock {
		return errMissingLockConfig()
	}
	if h.Mode != nil {
		until := h.Until.UTC()
		o.LockMode, o.LockUntil = *h.Mode, &until
	}
	if h.LegalHold != nil {
		o.LegalHold = *h.LegalHold
	}
	return nil
}

// applyDefaultRetention gives a new version without a retention of its
// own the bucket's default retention, counted from its creation (S3:
// "adding the specified duration to the object version's creation
// timestamp"). A year counts 365 days, as S3 counts it.
func applyDefaultRetention(b bucketRecord, o *objectRecord) {
	if !b.ObjectLock || o.DeleteMarker || o.LockMode != "" || b.LockRule == nil || b.LockRule.DefaultRetention == nil {
		return
	}
	d := b.LockRule.DefaultRetention
	days := int(ptr.Deref(d.Days)) + 365*int(ptr.Deref(d.Years))
	if days <= 0 {
		return
	}
	until := o.LastModified.UTC().AddDate(0, 0, days)
	o.LockMode, o.LockUntil = ptr.Deref(d.Mode), &until
}

// lockNeedsIntegrity reports whether a PutObject must carry Content-MD5
// or a checksum: S3 requires one for any upload with a retention period,
// the bucket's default included, or a legal hold.
func lockNeedsIntegrity(b bucketRecord, h objectLockHeaders) bool {
	return h.given() || (b.ObjectLock && b.LockRule != nil && b.LockRule.DefaultRetention != nil)
}

// hasIntegrity reports a Content-MD5 or an x-amz-checksum-* header or
// trailer on the request (a SigV4 payload hash does not count, as on S3).
func hasIntegrity(ctx *request.Context, contentMD5 *string) bool {
	if contentMD5 != nil {
		return true
	}
	if ctx == nil || ctx.HTTP == nil {
		return false
	}
	for k := range ctx.HTTP.Header {
		if strings.HasPrefix(strings.ToLower(k), "x-amz-checksum-") && !strings.EqualFold(k, "x-amz-checksum-type") {
			return true
		}
	}
	return strings.Contains(strings.ToLower(ctx.HTTP.Header.Get("X-Amz-Trailer")), "x-amz-checksum-")
}

// checkPartIntegrity holds the parts of an upload with Object Lock
// parameters (its own, or the bucket's default retention) to the same
// rule as PutObject: Content-MD5 or a checksum.
func (s *S3) checkPartIntegrity(ctx *request.Context, bucket string, tmpl objectRecord, contentMD5 *string) error {
	if hasIntegrity(ctx, contentMD5) {
		return nil
	}
	locked := tmpl.LockMode != "" || tmpl.LegalHold != ""
	if !locked {
		b, err := s.bucket(bucket)
		if err != nil {
			return err
		}
		locked = lockNeedsIntegrity(b, objectLockHeaders{})
	}
	if locked {
		return errInvalidRequest.New("Content-MD5 OR x-amz-checksum- HTTP header is required for Put Part requests with Object Lock parameters")
	}
	return nil
}

func errLockIntegrity() error {
	return errInvalidRequest.New("Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with Object Lock parameters")
}

// lockHeaders fills a GET or HEAD answer's x-amz-object-lock-* headers.
func lockHeaders(o objectRecord, mode **string, until **time.Time, hold **string) {
	if o.LockMode != "" {
		*mode = ptr.To(o.LockMode)
		*until = o.LockUntil
	}
	if o.LegalHold != "" {
		*hold = ptr.To(o.LegalHold)
	}
}

// deleteLock is how a permanent delete treats Object Lock.
type deleteLock struct {
	// bypass is x-amz-bypass-governance-retention: true; the gateway has
	// already checked s3:BypassGovernanceRetention.
	bypass bool
}

// isLockRefusal reports the refusal of a permanent delete by Object Lock.
func isLockRefusal(err error) bool {
	var e *awserr.Error
	return errors.As(err, &e) && e.Code == errAccessDenied && e.Message == lockedMessage
}

// protects reports whether o may not be removed for good now: a legal
// hold, or a retention date still ahead (GOVERNANCE yields to bypass).
func (d deleteLock) protects(o objectRecord, now time.Time) bool {
	if o.DeleteMarker {
		return false // delete markers are never WORM-protected
	}
	if o.LegalHold == "ON" {
		return true
	}
	if o.LockMode == "" || o.LockUntil == nil || !o.LockUntil.After(now) {
		return false
	}
	return o.LockMode == lockCompliance || !d.bypass
}

// checkBypassHeader refuses x-amz-bypass-governance-retention on a
// bucket without Object Lock, as S3 does (true or false alike).
func checkBypassHeader(b bucketRecord, bypass *bool) error {
	if bypass != nil && !b.ObjectLock {
		return errInvalidArgument.New("x-amz-bypass-governance-retention is only applicable to Object Lock enabled buckets.").
			With("ArgumentName", "x-amz-bypass-governance-retention")
	}
	return nil
}

func (s *S3) PutObjectLockConfiguration(ctx *request.Context, in *s3api.PutObjectLockConfigurationInput) (*s3api.PutObjectLockConfigurationOutput, error) {
	if _, err := s.bucket(ptr.Deref(in.Bucket)); err != nil {
		return nil, err
	}
	cfg := in.ObjectLockConfiguration
	if cfg == nil || ptr.Deref(cfg.ObjectLockEnabled) != "Enabled" {
		return nil, malformedXML()
	}
	if err := checkLockRule(cfg.Rule); err != nil {
		return nil, err
	}
	err := s.updateBucket(ptr.Deref(in.Bucket), func(b *bucketRecord) error {
		// Object Lock can be enabled on an existing bucket (since
		// 2023-11) when its versioning is enabled.
		if !b.ObjectLock && b.Versioning != "Enabled" {
			return errInvalidBucketStateCode.New("Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration")
		}
		b.ObjectLock, b.LockRule = true, cfg.Rule
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &s3api.PutObjectLockConfigurationOutput{}, nil
}

// checkLockRule validates a default retention: a mode and exactly one of
// Days or Years, each positive and at most S3's maximum.
func checkLockRule(r *s3api.ObjectLockRule) error {
	if r == nil {
		return nil
	}
	d := r.DefaultRetention
	if d == nil || !validLockMode(ptr.Deref(d.Mode)) || (d.Days == nil) == (d.Years == nil) {
		return malformedXML()
	}
	name, n, max := "Days", ptr.Deref(d.Days), int32(maxRetentionDays)
	if d.Years != nil {
		name, n, max = "Years", *d.Years, maxRetentionYears
	}
	if n <= 0 {
		return errInvalidArgument.New("Default retention period must be a positive integer value.").With("ArgumentName", name).With("ArgumentValue", n)
	}
	if n > max {
		return errInvalidArgument.New("Default retention period too large.").With("ArgumentName", name).With("ArgumentValue", n)
	}
	return nil
}

func (s *S3) GetObjectLockConfiguration(ctx *request.Context, in *s3api.GetObjectLockConfigurationInput) (*s3api.GetObjectLockConfigurationOutput, error) {
	b, err := s.bucket(ptr.Deref(in.Bucket))
	if err != nil {
		return nil, err
	}
	if !b.ObjectLock {
		return nil, errObjectLockConfigMissing.New("Object Lock configuration does not exist for this bucket").With("BucketName", b.Name)
	}
	return &s3api.GetObjectLockConfigurationOutput{ObjectLockConfiguration: &s3api.ObjectLockConfiguration{
		ObjectLockEnabled: ptr.To("Enabled"), Rule: b.LockRule,
	}}, nil
}

// updateLocked changes one object version of a bucket with Object Lock
// (the current one when versionID is ""); a delete marker answers 405.
func (s *S3) updateLocked(bucket, key, versionID string, fn func(o *objectRecord) error) (string, error) {
	var ver string
	err := s.store.Update(func(tx storage.Tx) error {
		b, err := getBucket(tx, bucket)
		if err != nil {
			return err
		}
		if !b.ObjectLock {
			return errMissingLockConfig()
		}
		o, err := currentObject(tx, bucket, key, versionID)
		if err != nil {
			return err
		}
		if o.DeleteMarker {
			return errMethodNotAllowed.New("The specified method is not allowed against this resource.").With("Method", "PUT").With("ResourceType", "DeleteMarker")
		}
		if err := fn(&o); err != nil {
			return err
		}
		ver = o.VersionID
		return putObjectRecord(tx, bucket, o)
	})
	return ver, err
}

// lockedVersion reads one object version of a bucket with Object Lock.
func (s *S3) lockedVersion(bucket, key, versionID string) (objectRecord, error) {
	var o objectRecord
	err := s.store.View(func(tx storage.Tx) error {
		b, ok, err := s.records.Get(tx, globalScope(), bucket)
		if err != nil {
			return err
		}
		if !ok {
			return noSuchBucket(bucket)
		}
		if !b.ObjectLock {
			return errMissingLockConfig()
		}
		o, err = currentObject(tx, bucket, key, versionID)
		if err == nil && o.DeleteMarker {
			err = errMethodNotAllowed.New("The specified method is not allowed against this resource.").With("Method", "GET").With("ResourceType", "DeleteMarker")
		}
		return err
	})
	return o, err
}

func (s *S3) PutObjectRetention(ctx *request.Context, in *s3api.PutObjectRetentionInput) (*s3api.PutObjectRetentionOutput, error) {
	if _, err := s.bucket(ptr.Deref(in.Bucket)); err != nil {
		return nil, err
	}
	r := in.Retention
	if r == nil || (r.Mode == nil) != (r.RetainUntilDate == nil) {
		return nil, malformedXML()
	}
	if r.Mode != nil && !validLockMode(*r.Mode) {
		return nil, malformedXML()
	}
	now := ctx.Now()
	if r.RetainUntilDate != nil && !r.RetainUntilDate.After(now) {
		return nil, errInvalidArgument.New("The retain until date must be in the future!").With("ArgumentName", "RetainUntilDate").
			With("ArgumentValue", r.RetainUntilDate.UTC().Format(time.RFC3339))
	}
	bypass := ptr.Deref(in.BypassGovernanceRetention)
	_, err := s.updateLocked(ptr.Deref(in.Bucket), ptr.Deref(in.Key), ptr.Deref(in.VersionId), func(o *objectRecord) error {
		if !retentionChangeAllowed(*o, r, bypass, now) {
			return errLocked()
		}
		if r.Mode == nil {
			o.LockMode, o.LockUntil = "", nil
			return nil
		}
		until := r.RetainUntilDate.UTC()
		o.LockMode, o.LockUntil = *r.Mode, &until
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &s3api.PutObjectRetentionOutput{}, nil
}

// retentionChangeAllowed applies S3's rules to a change of an active
// retention: anyone may extend it in the same mode; COMPLIANCE can never
// be shortened, removed or changed; GOVERNANCE can only with the bypass.
func retentionChangeAllowed(o objectRecord, r *s3api.ObjectLockRetention, bypass bool, now time.Time) bool {
	if o.LockMode == "" || o.LockUntil == nil || !o.LockUntil.After(now) {
		return true
	}
	extends := r.Mode != nil && *r.Mode == o.LockMode && !r.RetainUntilDate.Before(*o.LockUntil)
	if extends {
		return true
	}
	return o.LockMode == lockGovernance && bypass
}

func (s *S3) GetObjectRetention(ctx *request.Context, in *s3api.GetObjectRetentionInput) (*s3api.GetObjectRetentionOutput, error) {
	o, err := s.lockedVersion(ptr.Deref(in.Bucket), ptr.Deref(in.Key), ptr.Deref(in.VersionId))
	if err != nil {
		return nil, err
	}
	if o.LockMode == "" {
		return nil, errNoSuchObjectLockConfig.New("The specified object does not have a ObjectLock configuration")
	}
	return &s3api.GetObjectRetentionOutput{Retention: &s3api.ObjectLockRetention{Mode: ptr.To(o.LockMode), RetainUntilDate: o.LockUntil}}, nil
}

func (s *S3) PutObjectLegalHold(ctx *request.Context, in *s3api.PutObjectLegalHoldInput) (*s3api.PutObjectLegalHoldOutput, error) {
	if _, err := s.bucket(ptr.Deref(in.Bucket)); err != nil {
		return nil, err
	}
	if in.LegalHold == nil || (ptr.Deref(in.LegalHold.Status) != "ON" && ptr.Deref(in.LegalHold.Status) != "OFF") {
		return nil, malformedXML()
	}
	_, err := s.updateLocked(ptr.Deref(in.Bucket), ptr.Deref(in.Key), ptr.Deref(in.VersionId), func(o *objectRecord) error {
		o.LegalHold = *in.LegalHold.Status
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &s3api.PutObjectLegalHoldOutput{}, nil
}

func (s *S3) GetObjectLegalHold(ctx *request.Context, in *s3api.GetObjectLegalHoldInput) (*s3api.GetObjectLegalHoldOutput, error) {
	o, err := s.lockedVersion(ptr.Deref(in.Bucket), ptr.Deref(in.Key), ptr.Deref(in.VersionId))
	if err != nil {
		return nil, err
	}
	if o.LegalHold == "" {
		return nil, errNoSuchObjectLockConfig.New("The specified object does not have a ObjectLock configuration")
	}
	return &s3api.GetObjectLegalHoldOutput{LegalHold: &s3api.ObjectLockLegalHold{Status: ptr.To(o.LegalHold)}}, nil
}
