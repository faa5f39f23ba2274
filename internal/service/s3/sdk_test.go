package s3_test

// Tests through aws-sdk-go-v2 against an in-process niwa: what a real
// client sends and reads, headers included.

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/niwa-cloud/niwa/niwatest"
)

func sdkClient(t *testing.T) (*s3.Client, *niwatest.Niwa) {
	t.Helper()
	n := niwatest.Start(t)
	return s3.NewFromConfig(n.AWSConfig(), func(o *s3.Options) { o.UsePathStyle = true }), n
}

func sdkBucket(t *testing.T, c *s3.Client, name string) {
	t.Helper()
	if _, err := c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(name),
		CreateBucketConfiguration: &types.CreateBucketConfiguration{LocationConstraint: types.BucketLocationConstraint(niwatest.Region)}}); err != nil {
		t.Fatal(err)
	}
}

// sdkErr is the error code and HTTP status of err ("" and 200 for nil).
func sdkErr(err error) (string, int) {
	if err == nil {
		return "", 200
	}
	code := ""
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code = ae.ErrorCode()
	}
	status := 0
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	return code, status
}

func TestSDKConditionalWrites(t *testing.T) {
	c, _ := sdkClient(t)
	ctx := context.Background()
	sdkBucket(t, c, "cond")
	put := func(key, body string, fn func(*s3.PutObjectInput)) (*s3.PutObjectOutput, error) {
		in := &s3.PutObjectInput{Bucket: aws.String("cond"), Key: aws.String(key), Body: strings.NewReader(body)}
		if fn != nil {
			fn(in)
		}
		return c.PutObject(ctx, in)
	}
	first, err := put("k", "one", func(in *s3.PutObjectInput) { in.IfNoneMatch = aws.String("*") })
	if err != nil {
		t.Fatalf("If-None-Match on a new key: %v", err)
	}
	cases := []struct {
		name   string
		key    string
		fn     func(*s3.PutObjectInput)
		code   string
		status int
	}{
		{"if-none-match exists", "k", func(in *s3.PutObjectInput) { in.IfNoneMatch = aws.String("*") }, "PreconditionFailed", 412},
		{"if-match wrong etag", "k", func(in *s3.PutObjectInput) { in.IfMatch = aws.String(`"0123"`) }, "PreconditionFailed", 412},
		{"if-match missing key", "nokey", func(in *s3.PutObjectInput) { in.IfMatch = first.ETag }, "NoSuchKey", 404},
		{"if-none-match etag", "k", func(in *s3.PutObjectInput) { in.IfNoneMatch = first.ETag }, "NotImplemented", 501},
		{"if-match right etag", "k", func(in *s3.PutObjectInput) { in.IfMatch = first.ETag }, "", 200},
	}
	for _, tc := range cases {
		_, err := put(tc.key, "two", tc.fn)
		if code, status := sdkErr(err); code != tc.code || status != tc.status {
			t.Errorf("%s: got %q %d, want %q %d (%v)", tc.name, code, status, tc.code, tc.status, err)
		}
	}
	got, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("cond"), Key: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	buf.ReadFrom(got.Body)
	got.Body.Close()
	if buf.String() != "two" {
		t.Fatalf("body %q: only the If-Match write with the right ETag may land", buf.String())
	}

	// Conditional deletes.
	cur, _ := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("cond"), Key: aws.String("k")})
	_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("cond"), Key: aws.String("k"), IfMatch: first.ETag})
	if code, status := sdkErr(err); code != "PreconditionFailed" || status != 412 {
		t.Fatalf("delete with a stale ETag: %q %d", code, status)
	}
	_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("cond"), Key: aws.String("k"), IfMatch: cur.ETag})
	if err != nil {
		t.Fatalf("delete with the current ETag: %v", err)
	}
	_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("cond"), Key: aws.String("k"), IfMatch: aws.String("*")})
	if code, status := sdkErr(err); code != "NoSuchKey" || status != 404 {
		t.Fatalf("conditional delete of a missing key: %q %d", code, status)
	}
}

// TestSDKConditionalWriteRace: of twenty racing If-None-Match: * uploads
// to one key exactly one wins; the others get 412 or 409.
func TestSDKConditionalWriteRace(t *testing.T) {
	c, _ := sdkClient(t)
	ctx := context.Background()
	sdkBucket(t, c, "race")
	const n = 20
	results := make([]string, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("race"), Key: aws.String("k"),
				Body: bytes.NewReader(bytes.Repeat([]byte{byte('a' + i)}, 64<<10)), IfNoneMatch: aws.String("*")})
			code, status := sdkErr(err)
			results[i] = http.StatusText(status) + " " + code
		}(i)
	}
	wg.Wait()
	wins := 0
	for _, r := range results {
		switch r {
		case "OK ":
			wins++
		case "Precondition Failed PreconditionFailed", "Conflict ConditionalRequestConflict":
		default:
			t.Errorf("unexpected answer %q", r)
		}
	}
	if wins != 1 {
		t.Fatalf("%d winners, want exactly 1: %v", wins, results)
	}
}

func TestSDKConditionalComplete(t *testing.T) {
	c, _ := sdkClient(t)
	ctx := context.Background()
	sdkBucket(t, c, "mpu")
	upload := func() (*string, types.CompletedMultipartUpload) {
		cr, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("mpu"), Key: aws.String("k")})
		if err != nil {
			t.Fatal(err)
		}
		p, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("mpu"), Key: aws.String("k"), UploadId: cr.UploadId,
			PartNumber: aws.Int32(1), Body: strings.NewReader("part")})
		if err != nil {
			t.Fatal(err)
		}
		return cr.UploadId, types.CompletedMultipartUpload{Parts: []types.CompletedPart{{ETag: p.ETag, PartNumber: aws.Int32(1)}}}
	}
	complete := func(id *string, parts types.CompletedMultipartUpload, fn func(*s3.CompleteMultipartUploadInput)) error {
		in := &s3.CompleteMultipartUploadInput{Bucket: aws.String("mpu"), Key: aws.String("k"), UploadId: id, MultipartUpload: &parts}
		fn(in)
		_, err := c.CompleteMultipartUpload(ctx, in)
		return err
	}
	// Created before the key existed; the key is then written: the
	// conditional Complete lost a race.
	early, earlyParts := upload()
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("mpu"), Key: aws.String("k"), Body: strings.NewReader("x")}); err != nil {
		t.Fatal(err)
	}
	err := complete(early, earlyParts, func(in *s3.CompleteMultipartUploadInput) { in.IfNoneMatch = aws.String("*") })
	if code, status := sdkErr(err); code != "ConditionalRequestConflict" || status != 409 {
		t.Fatalf("Complete after a racing write: %q %d (%v)", code, status, err)
	}
	// Created after: a plain precondition failure.
	late, lateParts := upload()
	err = complete(late, lateParts, func(in *s3.CompleteMultipartUploadInput) { in.IfNoneMatch = aws.String("*") })
	if code, status := sdkErr(err); code != "PreconditionFailed" || status != 412 {
		t.Fatalf("Complete If-None-Match on an existing key: %q %d", code, status)
	}
	err = complete(late, lateParts, func(in *s3.CompleteMultipartUploadInput) { in.IfMatch = aws.String(`"nope"`) })
	if code, status := sdkErr(err); code != "PreconditionFailed" || status != 412 {
		t.Fatalf("Complete If-Match wrong ETag: %q %d", code, status)
	}
	head, _ := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("mpu"), Key: aws.String("k")})
	if err := complete(late, lateParts, func(in *s3.CompleteMultipartUploadInput) { in.IfMatch = head.ETag }); err != nil {
		t.Fatalf("Complete If-Match right ETag: %v", err)
	}
}
