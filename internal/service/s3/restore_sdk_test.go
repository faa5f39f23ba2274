package s3_test

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/niwa-cloud/niwa/niwatest"
)

// TestSDKRestoreObject: a GLACIER object refuses GET until restored; the
// restore answers 202, then 409 while it runs, x-amz-restore follows it on
// niwa's clock, and a restore of a restored object answers 200.
func TestSDKRestoreObject(t *testing.T) {
	start := time.Now().UTC().Truncate(time.Second)
	clk := niwatest.NewFakeClock(start)
	n := niwatest.Start(t, niwatest.WithClock(clk))
	c := lockClient(n.AWSConfig())
	ctx := context.Background()
	sdkBucket(t, c, "cold")
	b, k := aws.String("cold"), aws.String("archive.txt")
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: k, Body: strings.NewReader("frozen"), StorageClass: types.StorageClassGlacier}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("warm"), Body: strings.NewReader("x")}); err != nil {
		t.Fatal(err)
	}
	_, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: k})
	if code, status := sdkErr(err); code != "InvalidObjectState" || status != 403 {
		t.Fatalf("GET of an archived object: %q %d", code, status)
	}
	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: b, Key: aws.String("copy"), CopySource: aws.String("cold/archive.txt")})
	if code, _ := sdkErr(err); code != "InvalidObjectState" {
		t.Fatalf("copy of an archived object: %q", code)
	}
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: b, Key: k})
	if err != nil || head.StorageClass != types.StorageClassGlacier || head.Restore != nil {
		t.Fatalf("HEAD before restore: %v %v %v", head.StorageClass, head.Restore, err)
	}
	_, err = c.RestoreObject(ctx, &s3.RestoreObjectInput{Bucket: b, Key: aws.String("warm"), RestoreRequest: &types.RestoreRequest{Days: aws.Int32(1)}})
	if code, status := sdkErr(err); code != "InvalidObjectState" || status != 403 {
		t.Fatalf("restore of a STANDARD object: %q %d", code, status)
	}

	restore := func() (int, error) {
		out, err := c.RestoreObject(ctx, &s3.RestoreObjectInput{Bucket: b, Key: k, RestoreRequest: &types.RestoreRequest{Days: aws.Int32(2),
			GlacierJobParameters: &types.GlacierJobParameters{Tier: types.TierExpedited}}})
		if err != nil {
			return 0, err
		}
		st, _ := rawStatus(t, out.ResultMetadata)
		return st, nil
	}
	if st, err := restore(); err != nil || st != 202 {
		t.Fatalf("first restore: %d %v", st, err)
	}
	if _, err := restore(); err == nil {
		t.Fatal("second restore while in progress succeeded")
	} else if code, status := sdkErr(err); code != "RestoreAlreadyInProgress" || status != 409 {
		t.Fatalf("restore in progress: %q %d", code, status)
	}
	head, _ = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: b, Key: k})
	if aws.ToString(head.Restore) != `ongoing-request="true"` {
		t.Fatalf("x-amz-restore while ongoing: %q", aws.ToString(head.Restore))
	}
	// Expedited takes a minute on niwa's clock.
	clk.Advance(2 * time.Minute)
	head, _ = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: b, Key: k})
	if !strings.HasPrefix(aws.ToString(head.Restore), `ongoing-request="false", expiry-date="`) {
		t.Fatalf("x-amz-restore once done: %q", aws.ToString(head.Restore))
	}
	g, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: k})
	if err != nil {
		t.Fatalf("GET of the restored object: %v", err)
	}
	body, _ := io.ReadAll(g.Body)
	g.Body.Close()
	if string(body) != "frozen" || g.StorageClass != types.StorageClassGlacier {
		t.Fatalf("restored body %q class %v", body, g.StorageClass)
	}
	if st, err := restore(); err != nil || st != 200 {
		t.Fatalf("restore of a restored object: %d %v", st, err)
	}
}

// TestSDKListRestoreStatus: listings answer RestoreStatus when asked for
// it (x-amz-optional-object-attributes).
func TestSDKListRestoreStatus(t *testing.T) {
	c := lockClient(niwatest.Start(t).AWSConfig())
	ctx := context.Background()
	sdkBucket(t, c, "cold-list")
	b := aws.String("cold-list")
	for _, k := range []string{"a", "b"} {
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String(k), Body: strings.NewReader("x"), StorageClass: types.StorageClassGlacier}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.RestoreObject(ctx, &s3.RestoreObjectInput{Bucket: b, Key: aws.String("a"), RestoreRequest: &types.RestoreRequest{Days: aws.Int32(1)}}); err != nil {
		t.Fatal(err)
	}
	out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: b, OptionalObjectAttributes: []types.OptionalObjectAttributes{types.OptionalObjectAttributesRestoreStatus}})
	if err != nil || len(out.Contents) != 2 {
		t.Fatalf("%+v %v", out, err)
	}
	if rs := out.Contents[0].RestoreStatus; rs == nil || !aws.ToBool(rs.IsRestoreInProgress) || out.Contents[1].RestoreStatus != nil {
		t.Fatalf("restore statuses: %+v %+v", out.Contents[0].RestoreStatus, out.Contents[1].RestoreStatus)
	}
	plain, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: b})
	if err != nil || plain.Contents[0].RestoreStatus != nil {
		t.Fatalf("not asked for: %+v %v", plain.Contents[0].RestoreStatus, err)
	}
}
