package s3

import (
	"errors"
	"testing"
	"time"

	s3api "github.com/niwa-cloud/niwa/internal/api/s3"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// waitFor polls cond (timers of the fake clock run their functions on
// goroutines of their own).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestReplicationDeleteMarkers: with DeleteMarkerReplication Enabled, a
// delete marker reaches the destination with its version id; with it
// Disabled the replica stays readable.
func TestReplicationDeleteMarkers(t *testing.T) {
	f := newFixture(t)
	for _, b := range []string{"dm-src", "dm-dst", "dm-keep"} {
		f.bucket(t, b)
		if _, err := f.s.PutBucketVersioning(f.ctx(), &s3api.PutBucketVersioningInput{Bucket: ptr.To(b),
			VersioningConfiguration: &s3api.VersioningConfiguration{Status: ptr.To("Enabled")}}); err != nil {
			t.Fatal(err)
		}
	}
	rule := func(id, prefix, dest, markers string, prio int32) s3api.ReplicationRule {
		return s3api.ReplicationRule{ID: ptr.To(id), Status: ptr.To("Enabled"), Priority: ptr.To(prio), Filter: &s3api.ReplicationRuleFilter{Prefix: ptr.To(prefix)},
			DeleteMarkerReplication: &s3api.DeleteMarkerReplication{Status: ptr.To(markers)}, Destination: &s3api.Destination{Bucket: ptr.To("arn:aws:s3:::" + dest)}}
	}
	if _, err := f.s.PutBucketReplication(f.ctx(), &s3api.PutBucketReplicationInput{Bucket: ptr.To("dm-src"), ReplicationConfiguration: &s3api.ReplicationConfiguration{
		Role: ptr.To("arn:aws:iam::000000000000:role/r"), Rules: []s3api.ReplicationRule{rule("m", "m/", "dm-dst", "Enabled", 2), rule("k", "k/", "dm-keep", "Disabled", 1)}}}); err != nil {
		t.Fatal(err)
	}
	head := func(bucket, key string) error {
		_, err := f.s.HeadObject(f.ctx(), &s3api.HeadObjectInput{Bucket: ptr.To(bucket), Key: ptr.To(key)})
		return err
	}
	f.put(t, "dm-src", "m/a", "x")
	f.put(t, "dm-src", "k/a", "x")
	f.clk.Advance(2 * time.Second)
	waitFor(t, "replicas", func() bool { return head("dm-dst", "m/a") == nil && head("dm-keep", "k/a") == nil })
	out, err := f.s.DeleteObject(f.ctx(), &s3api.DeleteObjectInput{Bucket: ptr.To("dm-src"), Key: ptr.To("m/a")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.DeleteObject(f.ctx(), &s3api.DeleteObjectInput{Bucket: ptr.To("dm-src"), Key: ptr.To("k/a")}); err != nil {
		t.Fatal(err)
	}
	f.clk.Advance(2 * time.Second)
	waitFor(t, "the replicated delete marker", func() bool { return codeOf(head("dm-dst", "m/a")) == "NoSuchKey" })
	var e *awserr.Error
	if err := head("dm-dst", "m/a"); !errors.As(err, &e) || e.Code.Code != "NoSuchKey" || e.Header.Get("X-Amz-Version-Id") != ptr.Deref(out.VersionId) {
		t.Fatalf("destination marker: %v", err)
	}
	if err := head("dm-keep", "k/a"); err != nil {
		t.Fatalf("a marker of a rule without DeleteMarkerReplication was replicated: %v", err)
	}
}
