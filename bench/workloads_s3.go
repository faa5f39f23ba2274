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

// s3Workloads are small-object PUT and GET (1 KiB), the calls that
// dominate test suites using S3 as a fixture store.
func s3Workloads() []workload {
	body := bytes.Repeat([]byte("x"), 1024)
	client := func(cfg aws.Config) *s3.Client {
		return s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	}
	mkBucket := func(name string) func(ctx context.Context, cfg aws.Config) error {
		return func(ctx context.Context, cfg aws.Config) error {
			_, err := client(cfg).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name),
				CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(cfg.Region)}})
			return err
		}
	}
	return append([]workload{
		{name: "S3 PutObject 1KiB", stored: 1024, setup: mkBucket("bench-put"), op: func(ctx context.Context, cfg aws.Config, i int) error {
			_, err := client(cfg).PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bench-put"), Key: aws.String(fmt.Sprintf("k/%d", i)), Body: bytes.NewReader(body)})
			return err
		}},
	}, withReplay(workload{name: "S3 GetObject 1KiB", setup: func(ctx context.Context, cfg aws.Config) error {
		if err := mkBucket("bench-get")(ctx, cfg); err != nil {
			return err
		}
		_, err := client(cfg).PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bench-get"), Key: aws.String("obj"), Body: bytes.NewReader(body)})
		return err
	}, op: func(ctx context.Context, cfg aws.Config, i int) error {
		out, err := client(cfg).GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bench-get"), Key: aws.String("obj")})
		if err != nil {
			return err
		}
		defer func() { _ = out.Body.Close() }()
		n, err := io.Copy(io.Discard, out.Body)
		if err == nil && n != int64(len(body)) {
			err = fmt.Errorf("read %d bytes", n)
		}
		return err
	}}, func(status int, got []byte) error {
		if status != http.StatusOK || !bytes.Equal(got, body) {
			return fmt.Errorf("replayed GetObject answered %d %.200q, want 200 with the object", status, got)
		}
		return nil
	})...)
}
