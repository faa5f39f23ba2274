package s3

import (
	"strings"
	"testing"

	s3api "github.com/niwa-cloud/niwa/internal/api/s3"
)

// PutObject, like GET and HEAD, tells the writer when a lifecycle rule
// will expire the object (x-amz-expiration), and says nothing otherwise.
func TestPutObjectExpirationHeader(t *testing.T) {
	f := newFixture(t)
	f.bucket(t, "lcput-bucket")
	f.lifecycle(t, "lcput-bucket",
		s3api.LifecycleRule{ID: ptr("logs"), Status: ptr("Enabled"), Filter: &s3api.LifecycleRuleFilter{Prefix: ptr("logs/")},
			Expiration: &s3api.LifecycleExpiration{Days: ptr(int32(1))}})
	out, err := f.s.PutObject(f.ctx(), &s3api.PutObjectInput{Bucket: ptr("lcput-bucket"), Key: ptr("logs/a"), Body: strings.NewReader("x")})
	if err != nil {
		t.Fatal(err)
	}
	_, got := f.get(t, &s3api.GetObjectInput{Bucket: ptr("lcput-bucket"), Key: ptr("logs/a")})
	if deref(out.Expiration) == "" || deref(out.Expiration) != deref(got.Expiration) ||
		!strings.Contains(deref(out.Expiration), `rule-id="logs"`) {
		t.Errorf("PutObject x-amz-expiration %q, GetObject %q", deref(out.Expiration), deref(got.Expiration))
	}
	out, err = f.s.PutObject(f.ctx(), &s3api.PutObjectInput{Bucket: ptr("lcput-bucket"), Key: ptr("keep/a"), Body: strings.NewReader("x")})
	if err != nil || out.Expiration != nil {
		t.Errorf("unmatched key: %v %q", err, deref(out.Expiration))
	}
}
