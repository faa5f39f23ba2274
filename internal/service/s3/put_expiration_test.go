package s3

import (
	"strings"
	"testing"

	s3api "github.com/niwa-cloud/niwa/internal/api/s3"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// PutObject, like GET and HEAD, tells the writer when a lifecycle rule
// will expire the object (x-amz-expiration), and says nothing otherwise.
func TestPutObjectExpirationHeader(t *testing.T) {
	f := newFixture(t)
	f.bucket(t, "lcput-bucket")
	f.lifecycle(t, "lcput-bucket",
		s3api.LifecycleRule{ID: ptr.To("logs"), Status: ptr.To("Enabled"), Filter: &s3api.LifecycleRuleFilter{Prefix: ptr.To("logs/")},
			Expiration: &s3api.LifecycleExpiration{Days: ptr.To(int32(1))}})
	out, err := f.s.PutObject(f.ctx(), &s3api.PutObjectInput{Bucket: ptr.To("lcput-bucket"), Key: ptr.To("logs/a"), Body: strings.NewReader("x")})
	if err != nil {
		t.Fatal(err)
	}
	_, got := f.get(t, &s3api.GetObjectInput{Bucket: ptr.To("lcput-bucket"), Key: ptr.To("logs/a")})
	if ptr.Deref(out.Expiration) == "" || ptr.Deref(out.Expiration) != ptr.Deref(got.Expiration) ||
		!strings.Contains(ptr.Deref(out.Expiration), `rule-id="logs"`) {
		t.Errorf("PutObject x-amz-expiration %q, GetObject %q", ptr.Deref(out.Expiration), ptr.Deref(got.Expiration))
	}
	out, err = f.s.PutObject(f.ctx(), &s3api.PutObjectInput{Bucket: ptr.To("lcput-bucket"), Key: ptr.To("keep/a"), Body: strings.NewReader("x")})
	if err != nil || out.Expiration != nil {
		t.Errorf("unmatched key: %v %q", err, ptr.Deref(out.Expiration))
	}
}
