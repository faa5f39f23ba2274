package s3

import (
	"encoding/json"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	s3api "github.com/niwa-cloud/niwa/internal/api/s3"
	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// TestRestoreExpiresOnClock: a Standard restore of a DEEP_ARCHIVE object
// takes 12 hours on niwa's clock and its copy expires Days later (at
// midnight UTC); then GET is refused again.
func TestRestoreExpiresOnClock(t *testing.T) {
	f := newFixture(t)
	f.bucket(t, "deep")
	if _, err := f.s.PutObject(f.ctx(), &s3api.PutObjectInput{Bucket: ptr.To("deep"), Key: ptr.To("k"), Body: strings.NewReader("x"), StorageClass: ptr.To("DEEP_ARCHIVE")}); err != nil {
		t.Fatal(err)
	}
	get := func() error {
		out, err := f.s.GetObject(f.ctx(), &s3api.GetObjectInput{Bucket: ptr.To("deep"), Key: ptr.To("k")})
		if err == nil {
			io.Copy(io.Discard, out.Body)
			out.Body.(io.Closer).Close()
		}
		return err
	}
	out, err := f.s.RestoreObject(f.ctx(), &s3api.RestoreObjectInput{Bucket: ptr.To("deep"), Key: ptr.To("k"), RestoreRequest: &s3api.RestoreRequest{Days: ptr.To(int32(1))}})
	if err != nil || ptr.Deref(out.StatusCode) != 202 {
		t.Fatalf("restore: %v %v", out, err)
	}
	f.clk.Advance(11 * time.Hour)
	if codeOf(get()) != "InvalidObjectState" {
		t.Fatal("readable before the 12 hours of a Deep Archive Standard restore")
	}
	f.clk.Advance(2 * time.Hour)
	if err := get(); err != nil {
		t.Fatalf("GET after the restore: %v", err)
	}
	f.clk.Advance(49 * time.Hour)
	if codeOf(get()) != "InvalidObjectState" {
		t.Fatal("restored copy still readable after its Days")
	}
	for name, rr := range map[string]*s3api.RestoreRequest{"no days": {}, "zero days": {Days: ptr.To(int32(0))}} {
		if _, err := f.s.RestoreObject(f.ctx(), &s3api.RestoreObjectInput{Bucket: ptr.To("deep"), Key: ptr.To("k"), RestoreRequest: rr}); codeOf(err) != "InvalidArgument" {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestLifecycleTransitions: Transitions and NoncurrentVersionTransitions
// move versions to colder classes on the sweep's clock; an object moved to
// GLACIER needs a restore to be read.
func TestLifecycleTransitions(t *testing.T) {
	f := newFixture(t)
	f.bucket(t, "tiers")
	if _, err := f.s.PutBucketVersioning(f.ctx(), &s3api.PutBucketVersioningInput{Bucket: ptr.To("tiers"),
		VersioningConfiguration: &s3api.VersioningConfiguration{Status: ptr.To("Enabled")}}); err != nil {
		t.Fatal(err)
	}
	f.lifecycle(t, "tiers", s3api.LifecycleRule{ID: ptr.To("tiers"), Status: ptr.To("Enabled"), Filter: &s3api.LifecycleRuleFilter{Prefix: ptr.To("logs/")},
		Transitions:                  []s3api.Transition{{Days: ptr.To(int32(30)), StorageClass: ptr.To("STANDARD_IA")}, {Days: ptr.To(int32(90)), StorageClass: ptr.To("GLACIER")}},
		NoncurrentVersionTransitions: []s3api.NoncurrentVersionTransition{{NoncurrentDays: ptr.To(int32(10)), StorageClass: ptr.To("DEEP_ARCHIVE")}}})
	old := f.put(t, "tiers", "logs/a", "v1")
	f.put(t, "tiers", "other", "x")
	f.clk.Advance(24 * time.Hour)
	f.put(t, "tiers", "logs/a", "v2")
	class := func(key, version string) string {
		out, err := f.s.HeadObject(f.ctx(), &s3api.HeadObjectInput{Bucket: ptr.To("tiers"), Key: ptr.To(key), VersionId: nonEmpty(version)})
		if err != nil {
			t.Fatal(err)
		}
		return ptr.Deref(out.StorageClass)
	}
	f.sweep(t)
	if c := class("logs/a", ""); c != "" {
		t.Fatalf("current version moved after a day: %q", c)
	}
	f.clk.Advance(31 * 24 * time.Hour)
	f.sweep(t)
	if c, nc, other := class("logs/a", ""), class("logs/a", ptr.Deref(old.VersionId)), class("other", ""); c != "STANDARD_IA" || nc != "DEEP_ARCHIVE" || other != "" {
		t.Fatalf("after 32 days: current %q noncurrent %q other %q", c, nc, other)
	}
	f.clk.Advance(60 * 24 * time.Hour)
	f.sweep(t)
	if c := class("logs/a", ""); c != "GLACIER" {
		t.Fatalf("after 92 days: %q", c)
	}
	if _, err := f.s.GetObject(f.ctx(), &s3api.GetObjectInput{Bucket: ptr.To("tiers"), Key: ptr.To("logs/a")}); codeOf(err) != "InvalidObjectState" {
		t.Fatalf("GET after the GLACIER transition: %v", err)
	}
}

// TestRestoreEvents: a restore publishes EventBridge's "Object Restore
// Initiated" at once and "Object Restore Completed" when the copy is
// ready on niwa's clock.
func TestRestoreEvents(t *testing.T) {
	f := newFixture(t)
	f.bucket(t, "restore-events")
	if _, err := f.s.PutBucketNotificationConfiguration(f.ctx(), &s3api.PutBucketNotificationConfigurationInput{Bucket: ptr.To("restore-events"),
		NotificationConfiguration: &s3api.NotificationConfiguration{EventBridgeConfiguration: &s3api.EventBridgeConfiguration{}}}); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var types []string
	f.bus.Subscribe(func(e events.Event) {
		mu.Lock()
		defer mu.Unlock()
		types = append(types, e.DetailType)
	})
	seen := func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), types...)
	}
	if _, err := f.s.PutObject(f.ctx(), &s3api.PutObjectInput{Bucket: ptr.To("restore-events"), Key: ptr.To("k"), Body: strings.NewReader("x"), StorageClass: ptr.To("GLACIER")}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.RestoreObject(f.ctx(), &s3api.RestoreObjectInput{Bucket: ptr.To("restore-events"), Key: ptr.To("k"),
		RestoreRequest: &s3api.RestoreRequest{Days: ptr.To(int32(1)), Tier: ptr.To("Expedited")}}); err != nil {
		t.Fatal(err)
	}
	if got := seen(); len(got) != 2 || got[1] != "Object Restore Initiated" {
		t.Fatalf("after the request: %v", got)
	}
	f.clk.Advance(2 * time.Minute)
	// The timer's function runs on its own goroutine.
	for deadline := time.Now().Add(30 * time.Second); len(seen()) < 3 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if got := seen(); len(got) != 3 || got[2] != "Object Restore Completed" {
		t.Fatalf("after the restore: %v", got)
	}
}

// TestTransitionEvents: a lifecycle transition publishes EventBridge's
// "Object Storage Class Changed" with the new class and S3 as requester
// (S3 User Guide, EventBridge event message structure).
func TestTransitionEvents(t *testing.T) {
	f := newFixture(t)
	f.bucket(t, "moving")
	if _, err := f.s.PutBucketNotificationConfiguration(f.ctx(), &s3api.PutBucketNotificationConfigurationInput{Bucket: ptr.To("moving"),
		NotificationConfiguration: &s3api.NotificationConfiguration{EventBridgeConfiguration: &s3api.EventBridgeConfiguration{}}}); err != nil {
		t.Fatal(err)
	}
	f.lifecycle(t, "moving", s3api.LifecycleRule{ID: ptr.To("ia"), Status: ptr.To("Enabled"), Filter: &s3api.LifecycleRuleFilter{Prefix: ptr.To("")},
		Transitions: []s3api.Transition{{Days: ptr.To(int32(30)), StorageClass: ptr.To("STANDARD_IA")}}})
	var mu sync.Mutex
	var got []events.Event
	f.bus.Subscribe(func(e events.Event) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, e)
	})
	put := f.put(t, "moving", "k", "hello")
	f.clk.Advance(32 * 24 * time.Hour)
	f.sweep(t)
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 || got[1].DetailType != "Object Storage Class Changed" {
		t.Fatalf("events: %+v", got)
	}
	var d struct {
		Object struct {
			Key  string `json:"key"`
			Size int64  `json:"size"`
			ETag string `json:"etag"`
		} `json:"object"`
		Requester string  `json:"requester"`
		Class     string  `json:"destination-storage-class"`
		SourceIP  *string `json:"source-ip-address"`
	}
	if err := json.Unmarshal(got[1].Detail, &d); err != nil {
		t.Fatal(err)
	}
	if d.Object.Key != "k" || d.Object.Size != 5 || d.Object.ETag != strings.Trim(ptr.Deref(put.ETag), `"`) ||
		d.Requester != "s3.amazonaws.com" || d.Class != "STANDARD_IA" || d.SourceIP != nil {
		t.Fatalf("detail: %s", got[1].Detail)
	}
}
