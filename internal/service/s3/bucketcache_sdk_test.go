package s3_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestSDKBucketCacheReset: a bucket read (and so cached) before
// niwa's reset is gone for the very next request after it, and a bucket
// of the same name made then is seen; a bucket policy's Deny binds the
// next GET of the owner itself.
func TestSDKBucketCacheReset(t *testing.T) {
	c, n := sdkClient(t)
	ctx := context.Background()
	sdkBucket(t, c, "kept")
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("kept"), Key: aws.String("k")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("kept"), Key: aws.String("k")}); err != nil {
		t.Fatal(err)
	}
	deny := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::kept/*"}]}`
	if _, err := c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("kept"), Policy: aws.String(deny)}); err != nil {
		t.Fatal(err)
	}
	_, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("kept"), Key: aws.String("k")})
	if code, status := sdkErr(err); code != "AccessDenied" || status != 403 {
		t.Fatalf("GET after a Deny policy: %s %d", code, status)
	}
	n.Reset(t)
	_, err = c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("kept")})
	if _, status := sdkErr(err); status != 404 {
		t.Fatalf("HeadBucket after the reset: %d (%v)", status, err)
	}
	sdkBucket(t, c, "kept")
	if _, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("kept")}); err != nil {
		t.Fatalf("HeadBucket of the bucket made again: %v", err)
	}
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("kept"), Key: aws.String("k")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("kept"), Key: aws.String("k")}); err != nil {
		t.Fatalf("GET in the new bucket (no policy): %v", err)
	}
}
