package s3

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	s3api "github.com/niwa-cloud/niwa/internal/api/s3"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Lifecycle expiration. A sweeper on the injected clock applies every
// bucket's enabled rules: Expiration (Days, Date, ExpiredObjectDeleteMarker),
// NoncurrentVersionExpiration (NoncurrentDays, NewerNoncurrentVersions) and
// AbortIncompleteMultipartUpload, filtered by Prefix, Tag, size and And.
// Transitions are accepted and kept but change nothing: niwa has one
// storage class.
//
// AWS computes an expiry as the object's creation (or, for noncurrent
// versions, the time it became noncurrent) plus the days, rounded up to
// the next midnight UTC, and removes objects asynchronously after that.
// niwa rounds the same way and removes them at the first sweep after that
// instant. Deletions go through the ordinary delete path: in a versioned
// bucket an expiring current version gets a delete marker.

// DefaultLifecycleInterval is how often the sweeper runs: AWS applies
// rules once a day; hourly keeps the delay after midnight short.
const DefaultLifecycleInterval = time.Hour

// StartLifecycle runs the sweeper every interval on the service's clock
// until StopLifecycle.
func (s *S3) StartLifecycle(interval time.Duration) {
	if interval <= 0 {
		interval = DefaultLifecycleInterval
	}
	s.lifecycleMu.Lock()
	defer s.lifecycleMu.Unlock()
	if s.lifecycleStop {
		return
	}
	s.lifecycleTimer = s.clock.AfterFunc(interval, func() {
		if err := s.SweepLifecycle(); err != nil {
			s.opts.Log.Error("lifecycle sweep", "error", err)
		}
		s.StartLifecycle(interval)
	})
}

// StopLifecycle stops the sweeper.
func (s *S3) StopLifecycle() {
	s.lifecycleMu.Lock()
	defer s.lifecycleMu.Unlock()
	s.lifecycleStop = true
	if s.lifecycleTimer != nil {
		s.lifecycleTimer.Stop()
	}
}

// expiryAt is AWS's expiry instant: from plus days, rounded up to the next
// midnight UTC.
func expiryAt(from time.Time, days int32) time.Time {
	t := from.UTC().Add(time.Duration(days) * 24 * time.Hour)
	day := t.Truncate(24 * time.Hour)
	if day.Equal(t) {
		return day
	}
	return day.Add(24 * time.Hour)
}

// ruleMatches reports whether o is in the scope of rule's filter.
func ruleMatches(rule s3api.LifecycleRule, o objectRecord) bool {
	if rule.Prefix != nil && !strings.HasPrefix(o.Key, *rule.Prefix) {
		return false
	}
	f := rule.Filter
	if f == nil {
		return true
	}
	prefix, tags, gt, lt := f.Prefix, []s3api.Tag(nil), f.ObjectSizeGreaterThan, f.ObjectSizeLessThan
	if f.Tag != nil {
		tags = append(tags, *f.Tag)
	}
	if a := f.And; a != nil {
		prefix, tags, gt, lt = a.Prefix, a.Tags, a.ObjectSizeGreaterThan, a.ObjectSizeLessThan
	}
	if prefix != nil && !strings.HasPrefix(o.Key, *prefix) {
		return false
	}
	if gt != nil && o.Size <= *gt {
		return false
	}
	if lt != nil && o.Size >= *lt {
		return false
	}
	for _, t := range tags {
		found := false
		for _, ot := range o.Tags {
			if ptr.Deref(ot.Key) == ptr.Deref(t.Key) && ptr.Deref(ot.Value) == ptr.Deref(t.Value) {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// currentExpiry returns when current version o expires under rule, if
// it does.
func currentExpiry(rule s3api.LifecycleRule, o objectRecord) (time.Time, bool) {
	e := rule.Expiration
	if e == nil || o.DeleteMarker || !ruleMatches(rule, o) {
		return time.Time{}, false
	}
	switch {
	case e.Days != nil && *e.Days > 0:
		return expiryAt(o.LastModified, *e.Days), true
	case e.Date != nil:
		return e.Date.UTC(), true
	}
	return time.Time{}, false
}

// objectExpiration is the x-amz-expiration header for o in bucket b: the
// earliest expiry among the enabled rules, "" when none applies.
func objectExpiration(b bucketRecord, o objectRecord) string {
	if b.Lifecycle == nil {
		return ""
	}
	var best time.Time
	id := ""
	for _, r := range b.Lifecycle.Rules {
		if ptr.Deref(r.Status) != "Enabled" {
			continue
		}
		if t, ok := currentExpiry(r, o); ok && (best.IsZero() || t.Before(best)) {
			best, id = t, ptr.Deref(r.ID)
		}
	}
	if best.IsZero() {
		return ""
	}
	return fmt.Sprintf(`expiry-date="%s", rule-id="%s"`, best.Format(http.TimeFormat), id)
}

// lifecycleVictim is one thing a sweep removes.
type lifecycleVictim struct {
	key, versionID string
	uploadID       string
}

// SweepLifecycle applies every bucket's lifecycle rules at the clock's
// current time.
func (s *S3) SweepLifecycle() error {
	now := s.clock.Now().UTC()
	var bs []bucketRecord
	err := s.store.View(func(tx storage.Tx) error {
		return buckets.List(tx, globalScope(), nil, storage.ListOptions{}, func(_ []string, b bucketRecord) bool {
			bs = append(bs, b)
			return true
		})
	})
	if err != nil {
		return err
	}
	for _, b := range bs {
		// Inventory reports ride on the same pass (inventory.go).
		if err := s.sweepInventories(b, now); err != nil {
			return err
		}
		if b.Lifecycle == nil {
			continue
		}
		if err := s.sweepTransitions(b, now); err != nil {
			return err
		}
		victims, err := s.lifecycleVictims(b, now)
		if err != nil {
			return err
		}
		ctx := s.lifecycleContext(b)
		for _, v := range victims {
			if v.uploadID != "" {
				err = s.store.Update(func(tx storage.Tx) error {
					if _, err := getUpload(tx, b.Name, v.key, v.uploadID); err != nil {
						return nil // completed or aborted meanwhile
					}
					return s.dropUpload(tx, b.Name, v.uploadID)
				})
			} else {
				_, _, err = s.deleteAs(ctx, b.Name, v.key, v.versionID, true, writeCond{}, deleteLock{})
				if isLockRefusal(err) {
					err = nil // lifecycle does not act on locked versions
				}
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// lifecycleContext is the request context of deletions S3 makes itself.
func (s *S3) lifecycleContext(b bucketRecord) *request.Context {
	return &request.Context{
		Context: context.Background(), RequestID: strings.ToUpper(awsid.Hex(16)), Service: "s3", Operation: "Lifecycle",
		Account: b.Account, Region: b.Region, Clock: s.clock, Log: s.opts.Log,
		Caller: request.Caller{Account: b.Account, ARN: "arn:aws:iam::" + b.Account + ":root", UserID: "s3.amazonaws.com"},
	}
}

// lifecycleVictims lists what b's rules remove at now.
func (s *S3) lifecycleVictims(b bucketRecord, now time.Time) ([]lifecycleVictim, error) {
	var out []lifecycleVictim
	seen := map[string]bool{}
	add := func(v lifecycleVictim) {
		id := v.key + "\x00" + v.versionID + "\x00" + v.uploadID
		if !seen[id] {
			seen[id] = true
			out = append(out, v)
		}
	}
	err := s.store.View(func(tx storage.Tx) error {
		for _, rule := range b.Lifecycle.Rules {
			if ptr.Deref(rule.Status) != "Enabled" {
				continue
			}
			if rule.Expiration != nil {
				err := objects.List(tx, globalScope(), []string{b.Name}, storage.ListOptions{}, func(_ []string, o objectRecord) bool {
					if t, ok := currentExpiry(rule, o); ok && !now.Before(t) {
						add(lifecycleVictim{key: o.Key})
					}
					return true
				})
				if err != nil {
					return err
				}
			}
			if b.Versioning != "" && (rule.NoncurrentVersionExpiration != nil || expiredMarkers(rule)) {
				if err := s.versionVictims(tx, b, rule, now, add); err != nil {
					return err
				}
			}
			if a := rule.AbortIncompleteMultipartUpload; a != nil && a.DaysAfterInitiation != nil {
				err := uploads.List(tx, globalScope(), []string{b.Name}, storage.ListOptions{}, func(_ []string, u uploadRecord) bool {
					if ruleMatches(rule, objectRecord{Key: u.Key, Tags: nil, Size: 0}) && !now.Before(expiryAt(u.Initiated, *a.DaysAfterInitiation)) {
						add(lifecycleVictim{key: u.Key, uploadID: u.UploadID})
					}
					return true
				})
				if err != nil {
					return err
				}
			}
		}
		return nil
	})
	return out, err
}

func expiredMarkers(rule s3api.LifecycleRule) bool {
	return rule.Expiration != nil && ptr.Deref(rule.Expiration.ExpiredObjectDeleteMarker)
}

// versionVictims walks b's version history key by key (newest first) and
// adds the noncurrent versions past NoncurrentDays (beyond the newest
// NewerNoncurrentVersions kept) and delete markers left as a key's only
// version.
func (s *S3) versionVictims(tx storage.Tx, b bucketRecord, rule s3api.LifecycleRule, now time.Time, add func(lifecycleVictim)) error {
	var key string
	var hist []objectRecord
	flush := func() {
		if len(hist) == 0 {
			return
		}
		if expiredMarkers(rule) && len(hist) == 1 && hist[0].DeleteMarker && ruleMatches(rule, hist[0]) {
			add(lifecycleVictim{key: key, versionID: hist[0].VersionID})
		}
		if nve := rule.NoncurrentVersionExpiration; nve != nil && nve.NoncurrentDays != nil {
			keep := int(ptr.Deref(nve.NewerNoncurrentVersions))
			for i := 1; i < len(hist); i++ {
				if i <= keep || !ruleMatches(rule, hist[i]) {
					continue
				}
				// A version became noncurrent when the next newer one
				// was written.
				if !now.Before(expiryAt(hist[i-1].LastModified, *nve.NoncurrentDays)) {
					add(lifecycleVictim{key: key, versionID: hist[i].VersionID})
				}
			}
		}
		hist = hist[:0]
	}
	err := versions.List(tx, globalScope(), []string{b.Name}, storage.ListOptions{}, func(k []string, v objectRecord) bool {
		if k[1] != key {
			flush()
			key = k[1]
		}
		hist = append(hist, v)
		return true
	})
	flush()
	return err
}

// expirationHeader is x-amz-expiration for o in the named bucket (nil when
// no rule expires it).
func (s *S3) expirationHeader(bucket string, o objectRecord) *string {
	b, err := s.bucket(bucket)
	if err != nil {
		return nil
	}
	return nonEmpty(objectExpiration(b, o))
}
