package s3

import (
	"fmt"
	"testing"

	s3api "github.com/niwa-cloud/niwa/internal/api/s3"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// TestBucketConfigLimit: the 1,001st configuration of a kind is refused;
// replacing an existing one is not a new one.
func TestBucketConfigLimit(t *testing.T) {
	f := newFixture(t)
	f.bucket(t, "many")
	put := func(id string) error {
		_, err := f.s.PutBucketMetricsConfiguration(f.ctx(), &s3api.PutBucketMetricsConfigurationInput{Bucket: ptr.To("many"), Id: ptr.To(id),
			MetricsConfiguration: &s3api.MetricsConfiguration{Id: ptr.To(id)}})
		return err
	}
	for i := 0; i < maxBucketConfigs; i++ {
		if err := put(fmt.Sprintf("id-%04d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := put("one-more"); codeOf(err) != "TooManyConfigurations" {
		t.Fatalf("1,001st configuration: %v", err)
	}
	if err := put("id-0000"); err != nil {
		t.Fatalf("replacing a configuration at the limit: %v", err)
	}
	// Other kinds have their own limit.
	if _, err := f.s.PutBucketAnalyticsConfiguration(f.ctx(), &s3api.PutBucketAnalyticsConfigurationInput{Bucket: ptr.To("many"), Id: ptr.To("a"),
		AnalyticsConfiguration: &s3api.AnalyticsConfiguration{Id: ptr.To("a"), StorageClassAnalysis: &s3api.StorageClassAnalysis{}}}); err != nil {
		t.Fatal(err)
	}
}

func TestCheckConfigID(t *testing.T) {
	long := fmt.Sprintf("%065d", 0)
	for _, c := range []struct {
		id   string
		body *string
		ok   bool
	}{
		{"a.b-c_1", nil, true}, {"x", ptr.To("x"), true}, {"x", ptr.To("y"), false}, {"", nil, false}, {"with space", nil, false}, {long, nil, false}, {long[:64], nil, true},
	} {
		if err := checkConfigID(c.id, c.body); (err == nil) != c.ok {
			t.Errorf("%q %v: %v", c.id, c.body, err)
		}
	}
}
