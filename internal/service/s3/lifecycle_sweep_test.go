package s3

import (
	"strings"
	"testing"
	"time"

	s3api "github.com/niwa-cloud/niwa/internal/api/s3"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

func (f *fixture) lifecycle(t *testing.T, bucket string, rules ...s3api.LifecycleRule) {
	t.Helper()
	_, err := f.s.PutBucketLifecycleConfiguration(f.ctx(), &s3api.PutBucketLifecycleConfigurationInput{Bucket: ptr.To(bucket),
		LifecycleConfiguration: &s3api.BucketLifecycleConfiguration{Rules: rules}})
	if err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) exists(t *testing.T, bucket, key string) bool {
	t.Helper()
	_, err := f.s.HeadObject(f.ctx(), &s3api.HeadObjectInput{Bucket: ptr.To(bucket), Key: ptr.To(key)})
	return err == nil
}

func (f *fixture) sweep(t *testing.T) {
	t.Helper()
	if err := f.s.SweepLifecycle(); err != nil {
		t.Fatal(err)
	}
}

func TestLifecycleExpiryRoundsToMidnight(t *testing.T) {
	at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	if got := expiryAt(at, 1); !got.Equal(time.Date(2026, 5, 3, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("expiryAt(+1 day) = %v", got)
	}
	if got := expiryAt(time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC), 2); !got.Equal(time.Date(2026, 5, 3, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("expiryAt(midnight +2) = %v", got)
	}
}

func TestLifecycleExpirationDaysWithFilters(t *testing.T) {
	f := newFixture(t)
	f.bucket(t, "lc-bucket")
	f.lifecycle(t, "lc-bucket",
		s3api.LifecycleRule{ID: ptr.To("logs"), Status: ptr.To("Enabled"), Filter: &s3api.LifecycleRuleFilter{Prefix: ptr.To("logs/")},
			Expiration: &s3api.LifecycleExpiration{Days: ptr.To(int32(1))}},
		s3api.LifecycleRule{ID: ptr.To("tagged-big"), Status: ptr.To("Enabled"), Filter: &s3api.LifecycleRuleFilter{And: &s3api.LifecycleRuleAndOperator{
			Tags: []s3api.Tag{{Key: ptr.To("tmp"), Value: ptr.To("yes")}}, ObjectSizeGreaterThan: ptr.To(int64(3))}},
			Expiration: &s3api.LifecycleExpiration{Days: ptr.To(int32(1))}},
		s3api.LifecycleRule{ID: ptr.To("off"), Status: ptr.To("Disabled"), Filter: &s3api.LifecycleRuleFilter{Prefix: ptr.To("")},
			Expiration: &s3api.LifecycleExpiration{Days: ptr.To(int32(1))}},
	)
	f.put(t, "lc-bucket", "logs/a", "x")
	f.put(t, "lc-bucket", "keep/a", "x")
	for _, c := range []struct{ key, body string }{{"big", "12345"}, {"small", "12"}} {
		if _, err := f.s.PutObject(f.ctx(), &s3api.PutObjectInput{Bucket: ptr.To("lc-bucket"), Key: ptr.To(c.key),
			Body: strings.NewReader(c.body), Tagging: ptr.To("tmp=yes")}); err != nil {
			t.Fatal(err)
		}
	}
	_, out := f.get(t, &s3api.GetObjectInput{Bucket: ptr.To("lc-bucket"), Key: ptr.To("logs/a")})
	if want := `expiry-date="Sun, 03 May 2026 00:00:00 GMT", rule-id="logs"`; ptr.Deref(out.Expiration) != want {
		t.Errorf("x-amz-expiration %q, want %q", ptr.Deref(out.Expiration), want)
	}
	// 2026-05-01 12:00 + 1 day rounds up to 2026-05-03 00:00.
	f.clk.Advance(35 * time.Hour)
	f.sweep(t)
	if !f.exists(t, "lc-bucket", "logs/a") || !f.exists(t, "lc-bucket", "big") {
		t.Fatal("objects expired before their rule's midnight")
	}
	f.clk.Advance(time.Hour)
	f.sweep(t)
	for key, want := range map[string]bool{"logs/a": false, "big": false, "keep/a": true, "small": true} {
		if got := f.exists(t, "lc-bucket", key); got != want {
			t.Errorf("%s exists = %v, want %v", key, got, want)
		}
	}
}

func TestLifecycleVersionedBucket(t *testing.T) {
	f := newFixture(t)
	f.bucket(t, "ver")
	if _, err := f.s.PutBucketVersioning(f.ctx(), &s3api.PutBucketVersioningInput{Bucket: ptr.To("ver"),
		VersioningConfiguration: &s3api.VersioningConfiguration{Status: ptr.To("Enabled")}}); err != nil {
		t.Fatal(err)
	}
	f.lifecycle(t, "ver", s3api.LifecycleRule{ID: ptr.To("all"), Status: ptr.To("Enabled"), Filter: &s3api.LifecycleRuleFilter{Prefix: ptr.To("")},
		Expiration:                  &s3api.LifecycleExpiration{Days: ptr.To(int32(2))},
		NoncurrentVersionExpiration: &s3api.NoncurrentVersionExpiration{NoncurrentDays: ptr.To(int32(1))}})
	f.put(t, "ver", "k", "v1")
	versions := func() (objs, markers int) {
		out, err := f.s.ListObjectVersions(f.ctx(), &s3api.ListObjectVersionsInput{Bucket: ptr.To("ver")})
		if err != nil {
			t.Fatal(err)
		}
		return len(out.Versions), len(out.DeleteMarkers)
	}
	// Day 3 00:00 (2026-05-04): the current version expires into a
	// delete marker; it became noncurrent then, so it stays another day.
	f.clk.Set(time.Date(2026, 5, 4, 0, 0, 0, 0, time.UTC))
	f.sweep(t)
	if f.exists(t, "ver", "k") {
		t.Fatal("current version did not expire")
	}
	if o, m := versions(); o != 1 || m != 1 {
		t.Fatalf("after expiration: %d versions, %d markers; want 1, 1", o, m)
	}
	f.clk.Set(time.Date(2026, 5, 5, 0, 0, 0, 0, time.UTC))
	f.sweep(t)
	if o, m := versions(); o != 0 || m != 1 {
		t.Fatalf("after noncurrent expiration: %d versions, %d markers; want 0, 1", o, m)
	}
	// ExpiredObjectDeleteMarker removes the lone marker.
	f.lifecycle(t, "ver", s3api.LifecycleRule{ID: ptr.To("markers"), Status: ptr.To("Enabled"), Filter: &s3api.LifecycleRuleFilter{Prefix: ptr.To("")},
		Expiration: &s3api.LifecycleExpiration{ExpiredObjectDeleteMarker: ptr.To(true)}})
	f.sweep(t)
	if o, m := versions(); o != 0 || m != 0 {
		t.Fatalf("after marker expiration: %d versions, %d markers; want 0, 0", o, m)
	}
}

func TestLifecycleAbortsIncompleteUploads(t *testing.T) {
	f := newFixture(t)
	f.bucket(t, "mp-bucket")
	f.lifecycle(t, "mp-bucket", s3api.LifecycleRule{ID: ptr.To("abort"), Status: ptr.To("Enabled"), Filter: &s3api.LifecycleRuleFilter{Prefix: ptr.To("")},
		AbortIncompleteMultipartUpload: &s3api.AbortIncompleteMultipartUpload{DaysAfterInitiation: ptr.To(int32(1))}})
	up, err := f.s.CreateMultipartUpload(f.ctx(), &s3api.CreateMultipartUploadInput{Bucket: ptr.To("mp-bucket"), Key: ptr.To("big")})
	if err != nil {
		t.Fatal(err)
	}
	count := func() int {
		out, err := f.s.ListMultipartUploads(f.ctx(), &s3api.ListMultipartUploadsInput{Bucket: ptr.To("mp-bucket")})
		if err != nil {
			t.Fatal(err)
		}
		return len(out.Uploads)
	}
	f.clk.Advance(35 * time.Hour)
	f.sweep(t)
	if count() != 1 {
		t.Fatal("upload aborted early")
	}
	f.clk.Advance(time.Hour)
	f.sweep(t)
	if n := count(); n != 0 {
		t.Fatalf("%d uploads left after the rule; upload %s", n, ptr.Deref(up.UploadId))
	}
}

// The sweeper runs on the injected clock: nothing happens until the clock
// passes both the rule's midnight and a sweep.
func TestLifecycleSweeperOnClock(t *testing.T) {
	f := newFixture(t)
	f.bucket(t, "timed")
	f.lifecycle(t, "timed", s3api.LifecycleRule{ID: ptr.To("x"), Status: ptr.To("Enabled"), Filter: &s3api.LifecycleRuleFilter{Prefix: ptr.To("")},
		Expiration: &s3api.LifecycleExpiration{Days: ptr.To(int32(1))}})
	f.put(t, "timed", "k", "v")
	f.s.StartLifecycle(time.Hour)
	t.Cleanup(f.s.StopLifecycle)
	// tick moves the clock one sweep interval and waits (polling, with a
	// deadline) until the sweep has run and rescheduled itself.
	tick := func() {
		f.clk.Advance(time.Hour)
		deadline := time.Now().Add(time.Minute) // generous for a loaded machine; the loop ends as soon as the condition holds
		for f.clk.Waiters() != 1 {
			if time.Now().After(deadline) {
				t.Fatal("the sweeper did not reschedule")
			}
			time.Sleep(time.Millisecond)
		}
	}
	for i := 0; i < 35; i++ { // up to 2026-05-02 23:00
		tick()
	}
	if !f.exists(t, "timed", "k") {
		t.Fatal("expired before the rule's midnight")
	}
	tick()
	if f.exists(t, "timed", "k") {
		t.Fatal("the sweeper did not expire the object")
	}
}
