package s3

import (
	"strings"
	"testing"
	"time"

	s3api "github.com/niwa-cloud/niwa/internal/api/s3"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// versionCount is how many versions (delete markers included) key has.
func (f *fixture) versionCount(t *testing.T, bucket, key string) int {
	t.Helper()
	n := 0
	err := f.s.store.View(func(tx storage.Tx) error {
		return versions.List(tx, globalScope(), []string{bucket, key}, storage.ListOptions{}, func(_ []string, _ objectRecord) bool {
			n++
			return true
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestObjectLockLifecycleOnClock: the default retention is counted on
// niwa's clock, and lifecycle expiration leaves a locked noncurrent
// version alone (without failing the sweep) until its date passes.
func TestObjectLockLifecycleOnClock(t *testing.T) {
	f := newFixture(t)
	_, err := f.s.CreateBucket(f.ctx(), &s3api.CreateBucketInput{Bucket: ptr.To("wormlc"), ObjectLockEnabledForBucket: ptr.To(true),
		CreateBucketConfiguration: &s3api.CreateBucketConfiguration{LocationConstraint: ptr.To("ap-northeast-1")}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.PutObjectLockConfiguration(f.ctx(), &s3api.PutObjectLockConfigurationInput{Bucket: ptr.To("wormlc"),
		ObjectLockConfiguration: &s3api.ObjectLockConfiguration{ObjectLockEnabled: ptr.To("Enabled"),
			Rule: &s3api.ObjectLockRule{DefaultRetention: &s3api.DefaultRetention{Mode: ptr.To("COMPLIANCE"), Days: ptr.To(int32(10))}}}}); err != nil {
		t.Fatal(err)
	}
	f.lifecycle(t, "wormlc", s3api.LifecycleRule{ID: ptr.To("old"), Status: ptr.To("Enabled"), Filter: &s3api.LifecycleRuleFilter{Prefix: ptr.To("")},
		NoncurrentVersionExpiration: &s3api.NoncurrentVersionExpiration{NoncurrentDays: ptr.To(int32(1))}})
	put := func(body string) {
		// With a default retention S3 requires Content-MD5 (or a checksum).
		md5 := map[string]string{"a": "DMF1ucDxtqgxw5niaXcmYQ==", "b": "kutf/uauL+w61xx3dTFXjw=="}[body]
		if _, err := f.s.PutObject(f.ctx(), &s3api.PutObjectInput{Bucket: ptr.To("wormlc"), Key: ptr.To("k"), Body: strings.NewReader(body), ContentMD5: ptr.To(md5)}); err != nil {
			t.Fatal(err)
		}
	}
	put("a")
	put("b")
	if _, err := f.s.PutObject(f.ctx(), &s3api.PutObjectInput{Bucket: ptr.To("wormlc"), Key: ptr.To("k"), Body: strings.NewReader("c")}); codeOf(err) != "InvalidRequest" {
		t.Fatalf("default retention without Content-MD5: %v", err)
	}
	f.clk.Advance(3 * 24 * time.Hour)
	f.sweep(t)
	if n := f.versionCount(t, "wormlc", "k"); n != 2 {
		t.Fatalf("after 3 days: %d versions, want 2 (locked noncurrent version kept)", n)
	}
	f.clk.Advance(8 * 24 * time.Hour)
	f.sweep(t)
	if n := f.versionCount(t, "wormlc", "k"); n != 1 {
		t.Fatalf("after the retention passed: %d versions, want 1", n)
	}
}

// TestObjectLockPartIntegrity: parts of an upload with lock parameters
// need Content-MD5 or a checksum, like PutObject.
func TestObjectLockPartIntegrity(t *testing.T) {
	f := newFixture(t)
	if _, err := f.s.CreateBucket(f.ctx(), &s3api.CreateBucketInput{Bucket: ptr.To("wormmp"), ObjectLockEnabledForBucket: ptr.To(true),
		CreateBucketConfiguration: &s3api.CreateBucketConfiguration{LocationConstraint: ptr.To("ap-northeast-1")}}); err != nil {
		t.Fatal(err)
	}
	until := f.clk.Now().Add(time.Hour)
	cr, err := f.s.CreateMultipartUpload(f.ctx(), &s3api.CreateMultipartUploadInput{Bucket: ptr.To("wormmp"), Key: ptr.To("k"),
		ObjectLockMode: ptr.To("GOVERNANCE"), ObjectLockRetainUntilDate: &until})
	if err != nil {
		t.Fatal(err)
	}
	part := func(md5 *string) error {
		_, err := f.s.UploadPart(f.ctx(), &s3api.UploadPartInput{Bucket: ptr.To("wormmp"), Key: ptr.To("k"), UploadId: cr.UploadId,
			PartNumber: ptr.To(int32(1)), Body: strings.NewReader("a"), ContentMD5: md5})
		return err
	}
	if err := part(nil); codeOf(err) != "InvalidRequest" {
		t.Fatalf("part without Content-MD5: %v", err)
	}
	if err := part(ptr.To("DMF1ucDxtqgxw5niaXcmYQ==")); err != nil {
		t.Fatalf("part with Content-MD5: %v", err)
	}
}

// TestObjectLockNullVersion: Object Lock enabled on an existing versioned
// bucket protects a version written before versioning ("null") too.
func TestObjectLockNullVersion(t *testing.T) {
	f := newFixture(t)
	f.bucket(t, "late-lock")
	f.put(t, "late-lock", "k", "old")
	if _, err := f.s.PutBucketVersioning(f.ctx(), &s3api.PutBucketVersioningInput{Bucket: ptr.To("late-lock"),
		VersioningConfiguration: &s3api.VersioningConfiguration{Status: ptr.To("Enabled")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.PutObjectLockConfiguration(f.ctx(), &s3api.PutObjectLockConfigurationInput{Bucket: ptr.To("late-lock"),
		ObjectLockConfiguration: &s3api.ObjectLockConfiguration{ObjectLockEnabled: ptr.To("Enabled")}}); err != nil {
		t.Fatal(err)
	}
	until := f.clk.Now().Add(time.Hour)
	if _, err := f.s.PutObjectRetention(f.ctx(), &s3api.PutObjectRetentionInput{Bucket: ptr.To("late-lock"), Key: ptr.To("k"), VersionId: ptr.To("null"),
		Retention: &s3api.ObjectLockRetention{Mode: ptr.To("COMPLIANCE"), RetainUntilDate: &until}}); err != nil {
		t.Fatal(err)
	}
	_, err := f.s.DeleteObject(f.ctx(), &s3api.DeleteObjectInput{Bucket: ptr.To("late-lock"), Key: ptr.To("k"), VersionId: ptr.To("null")})
	if codeOf(err) != "AccessDenied" {
		t.Fatalf("delete of the locked null version: %v", err)
	}
	f.clk.Advance(2 * time.Hour)
	if _, err := f.s.DeleteObject(f.ctx(), &s3api.DeleteObjectInput{Bucket: ptr.To("late-lock"), Key: ptr.To("k"), VersionId: ptr.To("null")}); err != nil {
		t.Fatalf("after the retention: %v", err)
	}
}
