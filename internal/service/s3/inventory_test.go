package s3

import (
	"compress/gzip"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	s3api "github.com/niwa-cloud/niwa/internal/api/s3"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// TestInventoryDeliveredOnClock: a daily CSV inventory is delivered at the
// first sweep, then once a day on niwa's clock, with S3's layout.
func TestInventoryDeliveredOnClock(t *testing.T) {
	f := newFixture(t)
	f.bucket(t, "inv-src")
	f.bucket(t, "inv-dst")
	f.put(t, "inv-src", "logs/a b.txt", "hello")
	f.put(t, "inv-src", "other", "x")
	if _, err := f.s.PutBucketInventoryConfiguration(f.ctx(), &s3api.PutBucketInventoryConfigurationInput{Bucket: ptr.To("inv-src"), Id: ptr.To("daily"),
		InventoryConfiguration: &s3api.InventoryConfiguration{Id: ptr.To("daily"), IsEnabled: ptr.To(true), IncludedObjectVersions: ptr.To("Current"),
			Filter: &s3api.InventoryFilter{Prefix: ptr.To("logs/")}, OptionalFields: []string{"Size", "ETag"},
			Schedule: &s3api.InventorySchedule{Frequency: ptr.To("Daily")},
			Destination: &s3api.InventoryDestination{S3BucketDestination: &s3api.InventoryS3BucketDestination{
				Bucket: ptr.To("arn:aws:s3:::inv-dst"), Format: ptr.To("CSV"), Prefix: ptr.To("reports")}}}}); err != nil {
		t.Fatal(err)
	}
	list := func() []string {
		out, err := f.s.ListObjectsV2(f.ctx(), &s3api.ListObjectsV2Input{Bucket: ptr.To("inv-dst")})
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, o := range out.Contents {
			keys = append(keys, ptr.Deref(o.Key))
		}
		return keys
	}
	f.sweep(t)
	keys := list()
	if len(keys) != 3 {
		t.Fatalf("first delivery: %v", keys)
	}
	var manifestKey, dataKey string
	for _, k := range keys {
		switch {
		case strings.HasSuffix(k, "/manifest.json"):
			manifestKey = k
		case strings.HasPrefix(k, "reports/inv-src/daily/data/") && strings.HasSuffix(k, ".csv.gz"):
			dataKey = k
		}
	}
	if manifestKey == "" || dataKey == "" || !strings.HasPrefix(manifestKey, "reports/inv-src/daily/") {
		t.Fatalf("layout: %v", keys)
	}
	body, _ := f.get(t, &s3api.GetObjectInput{Bucket: ptr.To("inv-dst"), Key: ptr.To(manifestKey)})
	var m inventoryManifest
	if err := json.Unmarshal([]byte(body), &m); err != nil || m.SourceBucket != "inv-src" || m.FileSchema != "Bucket, Key, Size, ETag" ||
		len(m.Files) != 1 || m.Files[0].Key != dataKey {
		t.Fatalf("manifest %s: %+v %v", body, m, err)
	}
	gz, _ := f.get(t, &s3api.GetObjectInput{Bucket: ptr.To("inv-dst"), Key: ptr.To(dataKey)})
	zr, err := gzip.NewReader(strings.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := io.ReadAll(zr)
	if want := "\"inv-src\",\"logs/a+b.txt\",\"5\",\"5d41402abc4b2a76b9719d911017c592\"\n"; string(rows) != want {
		t.Fatalf("data file:\n%q\nwant\n%q", rows, want)
	}
	f.clk.Advance(2 * time.Hour)
	f.sweep(t)
	if n := len(list()); n != 3 {
		t.Fatalf("delivered again within the day: %d objects", n)
	}
	f.clk.Advance(23 * time.Hour)
	f.sweep(t)
	if n := len(list()); n != 6 {
		t.Fatalf("second day: %d objects, want 6", n)
	}
}
