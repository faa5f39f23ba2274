package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// s3PathClient is an S3 client addressing buckets in the path, as the
// workloads' endpoint (an IP and port) needs.
func s3PathClient(cfg aws.Config) *s3.Client {
	return s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
}

// s3Bucket creates a bucket in the configuration's region.
func s3Bucket(ctx context.Context, cfg aws.Config, name string) error {
	_, err := s3PathClient(cfg).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name),
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(cfg.Region)}})
	return err
}

// s3Object creates a bucket holding one object, the GET rows' fixture.
func s3Object(ctx context.Context, cfg aws.Config, bucket, key string, body []byte) error {
	if err := s3Bucket(ctx, cfg, bucket); err != nil {
		return err
	}
	_, err := s3PathClient(cfg).PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)})
	return err
}

// s3GetAll gets an object and reads its body, which must be want bytes
// long.
func s3GetAll(ctx context.Context, c *s3.Client, bucket, key string, want int) error {
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return err
	}
	defer func() { _ = out.Body.Close() }()
	n, err := io.Copy(io.Discard, out.Body)
	if err == nil && n != int64(want) {
		err = fmt.Errorf("read %d bytes", n)
	}
	return err
}

// s3Workloads are small-object PUT and GET (1 KiB), the calls that
// dominate test suites using S3 as a fixture store.
func s3Workloads() []workload {
	body := bytes.Repeat([]byte("x"), 1024)
	return append([]workload{
		{name: "S3 PutObject 1KiB", stored: 1024, setup: func(ctx context.Context, cfg aws.Config) error {
			return s3Bucket(ctx, cfg, "bench-put")
		}, op: func(ctx context.Context, cfg aws.Config, i int) error {
			_, err := s3PathClient(cfg).PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bench-put"), Key: aws.String(fmt.Sprintf("k/%d", i)), Body: bytes.NewReader(body)})
			return err
		}},
	}, withReplay(workload{name: "S3 GetObject 1KiB", setup: func(ctx context.Context, cfg aws.Config) error {
		return s3Object(ctx, cfg, "bench-get", "obj", body)
	}, op: func(ctx context.Context, cfg aws.Config, i int) error {
		return s3GetAll(ctx, s3PathClient(cfg), "bench-get", "obj", len(body))
	}}, func(status int, got []byte) error {
		if status != http.StatusOK || !bytes.Equal(got, body) {
			return fmt.Errorf("replayed GetObject answered %d %.200q, want 200 with the object", status, got)
		}
		return nil
	})...)
}
