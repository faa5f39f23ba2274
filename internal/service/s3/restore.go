package s3

import (
	"fmt"
	"net/http"
	"time"

	s3api "github.com/niwa-cloud/niwa/internal/api/s3"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Archived storage classes and restores (S3 User Guide, "Restoring an
// archived object"): an object in GLACIER or DEEP_ARCHIVE cannot be read
// until RestoreObject has made a temporary copy of it. The restore takes
// the time its tier takes on AWS, on niwa's clock (Options.RestoreDelay
// overrides it for every tier); its state is derived from the clock when
// the object is read, so no timer runs.

var errRestoreInProgress = awserr.Code{Code: "RestoreAlreadyInProgress", Status: http.StatusConflict, Sender: true}

// archived reports the storage classes whose objects need a restore.
func archived(storageClass string) bool {
	return storageClass == "GLACIER" || storageClass == "DEEP_ARCHIVE"
}

// restoreDelay is how long a restore of class takes at tier: the
// shortest time AWS documents (Flexible Retrieval: Expedited 1–5
// minutes, Standard 3–5 hours, Bulk 5–12 hours; Deep Archive: Standard
// within 12 hours, Bulk within 48 hours).
func (s *S3) restoreDelay(class, tier string) time.Duration {
	if s.opts.RestoreDelay > 0 {
		return s.opts.RestoreDelay
	}
	if class == "DEEP_ARCHIVE" {
		if tier == "Bulk" {
			return 48 * time.Hour
		}
		return 12 * time.Hour
	}
	switch tier {
	case "Expedited":
		return time.Minute
	case "Bulk":
		return 5 * time.Hour
	}
	return 3 * time.Hour
}

// restoreState is where o's restore stands at now.
func restoreState(o objectRecord, now time.Time) (ongoing, restored bool) {
	if o.RestoreReady == nil {
		return false, false
	}
	if now.Before(*o.RestoreReady) {
		return true, false
	}
	return false, o.RestoreExpiry != nil && now.Before(*o.RestoreExpiry)
}

// restoreHeader is x-amz-restore for o at now (nil when no restore was
// asked for, or its copy has expired).
func restoreHeader(o objectRecord, now time.Time) *string {
	ongoing, restored := restoreState(o, now)
	switch {
	case ongoing:
		return ptr.To(`ongoing-request="true"`)
	case restored:
		return ptr.To(fmt.Sprintf(`ongoing-request="false", expiry-date="%s"`, o.RestoreExpiry.UTC().Format(http.TimeFormat)))
	}
	return nil
}

// checkReadable refuses to read the body of an archived object that has
// no restored copy, as S3 does (GET, and the source of a copy).
func checkReadable(o objectRecord, now time.Time) error {
	if !archived(o.StorageClass) {
		return nil
	}
	if _, restored := restoreState(o, now); restored {
		return nil
	}
	return s3api.ErrInvalidObjectState.New("The operation is not valid for the object's storage class").With("StorageClass", o.StorageClass)
}

func (s *S3) RestoreObject(ctx *request.Context, in *s3api.RestoreObjectInput) (*s3api.RestoreObjectOutput, error) {
	rr := in.RestoreRequest
	if rr == nil {
		return nil, malformedXML()
	}
	if rr.Type != nil || rr.SelectParameters != nil || rr.OutputLocation != nil {
		// Select restores were retired by AWS in 2024.
		return nil, awserr.NotImplemented.New("A header you provided implies functionality that is not implemented").With("Header", "RestoreRequest.Type")
	}
	if rr.Days == nil {
		return nil, errInvalidArgument.New("Days is required for restoring an archived object").With("ArgumentName", "Days")
	}
	if *rr.Days < 1 {
		return nil, errInvalidArgument.New("The restore days must be a positive integer").With("ArgumentName", "Days").With("ArgumentValue", *rr.Days)
	}
	tier := ptr.Deref(rr.Tier)
	if rr.GlacierJobParameters != nil && rr.GlacierJobParameters.Tier != nil {
		tier = *rr.GlacierJobParameters.Tier
	}
	now := ctx.Now().UTC()
	status := int32(http.StatusAccepted)
	var b bucketRecord
	var o objectRecord
	err := s.store.Update(func(tx storage.Tx) error {
		var err error
		if b, err = getBucket(tx, ptr.Deref(in.Bucket)); err != nil {
			return err
		}
		if o, err = currentObject(tx, ptr.Deref(in.Bucket), ptr.Deref(in.Key), ptr.Deref(in.VersionId)); err != nil {
			return err
		}
		if o.DeleteMarker {
			return errMethodNotAllowed.New("The specified method is not allowed against this resource.").With("Method", "POST").With("ResourceType", "DeleteMarker")
		}
		if !archived(o.StorageClass) {
			return s3api.ErrInvalidObjectState.New("Restore is not allowed for the object's current storage class").With("StorageClass", storageClassOf(o))
		}
		ongoing, restored := restoreState(o, now)
		switch {
		case ongoing:
			return errRestoreInProgress.New("Object restore is already in progress")
		case restored:
			// A restored copy's life is extended from now (200).
			status = http.StatusOK
			exp := expiryAt(now, *rr.Days)
			o.RestoreExpiry = &exp
		default:
			ready := now.Add(s.restoreDelay(o.StorageClass, tier))
			exp := expiryAt(ready, *rr.Days)
			o.RestoreReady, o.RestoreExpiry = &ready, &exp
		}
		return putObjectRecord(tx, ptr.Deref(in.Bucket), o)
	})
	if err != nil {
		return nil, err
	}
	if status == http.StatusAccepted {
		// s3:ObjectRestore:Post now, s3:ObjectRestore:Completed when the
		// copy is ready (and EventBridge's "Object Restore Initiated" /
		// "Object Restore Completed").
		s.notify(ctx, b, "ObjectRestore:Post", o)
		s.clock.AfterFunc(o.RestoreReady.Sub(now), func() {
			s.notify(s.lifecycleContext(b), b, "ObjectRestore:Completed", o)
		})
	}
	return &s3api.RestoreObjectOutput{StatusCode: ptr.To(status)}, nil
}

// restoreDetailType is the EventBridge detail-type of a restore event.
func restoreDetailType(name string) string {
	if name == "ObjectRestore:Completed" {
		return "Object Restore Completed"
	}
	return "Object Restore Initiated"
}

func storageClassOf(o objectRecord) string {
	if o.StorageClass == "" {
		return "STANDARD"
	}
	return o.StorageClass
}

// classOrder ranks storage classes from hot to cold: lifecycle
// transitions only move an object colder, as S3's waterfall allows.
var classOrder = map[string]int{"STANDARD": 0, "REDUCED_REDUNDANCY": 0, "INTELLIGENT_TIERING": 1, "STANDARD_IA": 2, "ONEZONE_IA": 3,
	"GLACIER_IR": 4, "GLACIER": 5, "DEEP_ARCHIVE": 6}

// transitionTarget is the storage class rule moves o to at now (the
// coldest transition whose time has come), "" for none. noncurrentSince
// is when o stopped being current (zero for a current version).
func transitionTarget(rule s3api.LifecycleRule, o objectRecord, noncurrentSince time.Time, now time.Time) string {
	if o.DeleteMarker || !ruleMatches(rule, o) {
		return ""
	}
	best := ""
	consider := func(class string, at time.Time) {
		if class == "" || now.Before(at) || classOrder[class] <= classOrder[storageClassOf(o)] {
			return
		}
		if best == "" || classOrder[class] > classOrder[best] {
			best = class
		}
	}
	if noncurrentSince.IsZero() {
		for _, t := range rule.Transitions {
			switch {
			case t.Days != nil:
				consider(ptr.Deref(t.StorageClass), expiryAt(o.LastModified, *t.Days))
			case t.Date != nil:
				consider(ptr.Deref(t.StorageClass), t.Date.UTC())
			}
		}
		return best
	}
	for _, t := range rule.NoncurrentVersionTransitions {
		if t.NoncurrentDays != nil {
			consider(ptr.Deref(t.StorageClass), expiryAt(noncurrentSince, *t.NoncurrentDays))
		}
	}
	return best
}

// sweepTransitions applies b's Transitions and NoncurrentVersionTransitions
// at now: the versions they reach change storage class in place (niwa
// keeps one copy of the data; an archived class makes it unreadable until
// restored). It runs with the lifecycle sweep.
func (s *S3) sweepTransitions(b bucketRecord, now time.Time) error {
	if b.Lifecycle == nil {
		return nil
	}
	var rules []s3api.LifecycleRule
	for _, r := range b.Lifecycle.Rules {
		if ptr.Deref(r.Status) == "Enabled" && (len(r.Transitions) > 0 || len(r.NoncurrentVersionTransitions) > 0) {
			rules = append(rules, r)
		}
	}
	if len(rules) == 0 {
		return nil
	}
	type move struct {
		o     objectRecord
		class string
	}
	var moves []move
	target := func(o objectRecord, since time.Time) string {
		best := ""
		for _, r := range rules {
			if c := transitionTarget(r, o, since, now); c != "" && (best == "" || classOrder[c] > classOrder[best]) {
				best = c
			}
		}
		return best
	}
	err := s.store.View(func(tx storage.Tx) error {
		if b.Versioning == "" {
			return objects.List(tx, globalScope(), []string{b.Name}, storage.ListOptions{}, func(_ []string, o objectRecord) bool {
				if c := target(o, time.Time{}); c != "" {
					moves = append(moves, move{o, c})
				}
				return true
			})
		}
		var key string
		var newer time.Time // when the next newer version of key was written
		return versions.List(tx, globalScope(), []string{b.Name}, storage.ListOptions{}, func(k []string, v objectRecord) bool {
			since := newer
			if k[1] != key {
				key, since = k[1], time.Time{}
			}
			newer = v.LastModified
			if c := target(v, since); c != "" {
				moves = append(moves, move{v, c})
			}
			return true
		})
	})
	if err != nil {
		return err
	}
	ctx := s.lifecycleContext(b)
	for _, m := range moves {
		var moved *objectRecord
		err := s.store.Update(func(tx storage.Tx) error {
			o, err := currentObject(tx, b.Name, m.o.Key, m.o.VersionID)
			if err != nil || o.Seq != m.o.Seq {
				return nil // changed meanwhile
			}
			o.StorageClass, o.RestoreReady, o.RestoreExpiry = m.class, nil, nil
			moved = &o
			return putObjectRecord(tx, b.Name, o)
		})
		if err != nil {
			return err
		}
		if moved != nil {
			// s3:LifecycleTransition, and EventBridge's "Object Storage
			// Class Changed".
			s.notify(ctx, b, "LifecycleTransition", *moved)
		}
	}
	return nil
}

// listedRestoreStatus is a listing entry's RestoreStatus: present when the
// request asks for it (x-amz-optional-object-attributes: RestoreStatus)
// and the object has a restore running or a restored copy.
func listedRestoreStatus(optional []string, o objectRecord, now time.Time) *s3api.RestoreStatus {
	asked := false
	for _, a := range optional {
		asked = asked || a == "RestoreStatus"
	}
	if !asked {
		return nil
	}
	ongoing, restored := restoreState(o, now)
	switch {
	case ongoing:
		return &s3api.RestoreStatus{IsRestoreInProgress: ptr.To(true)}
	case restored:
		return &s3api.RestoreStatus{IsRestoreInProgress: ptr.To(false), RestoreExpiryDate: o.RestoreExpiry}
	}
	return nil
}
