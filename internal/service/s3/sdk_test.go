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
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
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

	// CopyObject's conditions apply to the destination.
	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("cond"), Key: aws.String("k"), CopySource: aws.String("cond/k"),
		MetadataDirective: types.MetadataDirectiveReplace, IfNoneMatch: aws.String("*")})
	if code, status := sdkErr(err); code != "PreconditionFailed" || status != 412 {
		t.Fatalf("copy If-None-Match onto an existing key: %q %d", code, status)
	}
	if _, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("cond"), Key: aws.String("copy"), CopySource: aws.String("cond/k"),
		IfNoneMatch: aws.String("*")}); err != nil {
		t.Fatalf("copy If-None-Match onto a new key: %v", err)
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

// rawStatus is the HTTP status and headers an SDK call got.
func rawStatus(t *testing.T, md middleware.Metadata) (int, http.Header) {
	t.Helper()
	r, ok := awsmiddleware.GetRawResponse(md).(*smithyhttp.Response)
	if !ok {
		t.Fatal("no raw response")
	}
	return r.StatusCode, r.Header
}

func TestSDKAnswers(t *testing.T) {
	c, _ := sdkClient(t)
	ctx := context.Background()
	sdkBucket(t, c, "answers")
	b := aws.String("answers")
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("k"), Body: strings.NewReader("0123456789"),
		Tagging: aws.String("a=1&b=2")}); err != nil {
		t.Fatal(err)
	}

	t.Run("HeadObject Range is 206", func(t *testing.T) {
		out, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: b, Key: aws.String("k"), Range: aws.String("bytes=2-5")})
		if err != nil {
			t.Fatal(err)
		}
		status, _ := rawStatus(t, out.ResultMetadata)
		if status != 206 || aws.ToString(out.ContentRange) != "bytes 2-5/10" || aws.ToInt64(out.ContentLength) != 4 {
			t.Fatalf("status %d range %q length %d", status, aws.ToString(out.ContentRange), aws.ToInt64(out.ContentLength))
		}
	})
	t.Run("HeadObject carries the tag count", func(t *testing.T) {
		out, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: b, Key: aws.String("k")})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToInt32(out.TagCount) != 2 {
			t.Fatalf("TagCount %v", out.TagCount)
		}
	})
	t.Run("HEAD error is labelled application/xml", func(t *testing.T) {
		_, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: b, Key: aws.String("missing")})
		var re *smithyhttp.ResponseError
		if !errors.As(err, &re) || re.HTTPStatusCode() != 404 || re.Response.Header.Get("Content-Type") != "application/xml" {
			t.Fatalf("%v", err)
		}
	})
	t.Run("PutBucketTagging and PutBucketPolicy answer 204", func(t *testing.T) {
		tag, err := c.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: b, Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}})
		if err != nil {
			t.Fatal(err)
		}
		if status, _ := rawStatus(t, tag.ResultMetadata); status != 204 {
			t.Fatalf("PutBucketTagging %d", status)
		}
		if _, err := c.DeletePublicAccessBlock(ctx, &s3.DeletePublicAccessBlockInput{Bucket: b}); err != nil {
			t.Fatal(err)
		}
		pol, err := c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: b, Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::answers/*"}]}`)})
		if err != nil {
			t.Fatal(err)
		}
		if status, _ := rawStatus(t, pol.ResultMetadata); status != 204 {
			t.Fatalf("PutBucketPolicy %d", status)
		}
	})
	t.Run("ListObjectsV2 with an empty continuation token lists from the start", func(t *testing.T) {
		out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: b, ContinuationToken: aws.String("")})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Contents) != 1 {
			t.Fatalf("%d keys", len(out.Contents))
		}
	})
	t.Run("Content-Encoding without aws-chunked", func(t *testing.T) {
		for enc, want := range map[string]string{"aws-chunked,gzip": "gzip", "aws-chunked": "", "gzip, br": "gzip, br"} {
			if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("enc"), Body: strings.NewReader("x"),
				ContentEncoding: aws.String(enc)}); err != nil {
				t.Fatal(err)
			}
			out, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: b, Key: aws.String("enc")})
			if err != nil {
				t.Fatal(err)
			}
			if got := aws.ToString(out.ContentEncoding); got != want {
				t.Errorf("%q stored as %q, want %q", enc, got, want)
			}
		}
	})
}

func TestSDKDeleteMarkerHead(t *testing.T) {
	c, _ := sdkClient(t)
	ctx := context.Background()
	sdkBucket(t, c, "markers")
	b := aws.String("markers")
	if _, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: b, VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("k"), Body: strings.NewReader("x")}); err != nil {
		t.Fatal(err)
	}
	del, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: b, Key: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		version *string
		status  int
	}{{nil, 404}, {del.VersionId, 405}} {
		_, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: b, Key: aws.String("k"), VersionId: tc.version})
		var re *smithyhttp.ResponseError
		if !errors.As(err, &re) || re.HTTPStatusCode() != tc.status {
			t.Fatalf("version %v: %v", tc.version, err)
		}
		h := re.Response.Header
		if h.Get("X-Amz-Delete-Marker") != "true" || h.Get("X-Amz-Version-Id") != aws.ToString(del.VersionId) {
			t.Fatalf("version %v: headers %v", tc.version, h)
		}
	}
}

func TestSDKListBucketsPages(t *testing.T) {
	c, _ := sdkClient(t)
	ctx := context.Background()
	for _, n := range []string{"page-a", "page-b", "page-c", "other-d"} {
		sdkBucket(t, c, n)
	}
	var names []string
	var token *string
	pages := 0
	for {
		out, err := c.ListBuckets(ctx, &s3.ListBucketsInput{MaxBuckets: aws.Int32(2), Prefix: aws.String("page-"), ContinuationToken: token})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if aws.ToString(out.Prefix) != "page-" {
			t.Fatalf("prefix %q", aws.ToString(out.Prefix))
		}
		for _, bk := range out.Buckets {
			names = append(names, aws.ToString(bk.Name))
			if aws.ToString(bk.BucketRegion) != niwatest.Region {
				t.Fatalf("BucketRegion %q", aws.ToString(bk.BucketRegion))
			}
		}
		if out.ContinuationToken == nil {
			break
		}
		token = out.ContinuationToken
		if pages > 3 {
			t.Fatal("no end")
		}
	}
	if strings.Join(names, ",") != "page-a,page-b,page-c" || pages != 2 {
		t.Fatalf("%d pages: %v", pages, names)
	}
	for _, in := range []*s3.ListBucketsInput{{MaxBuckets: aws.Int32(0)}, {MaxBuckets: aws.Int32(10001)}, {ContinuationToken: aws.String("garbage!")}} {
		if _, err := c.ListBuckets(ctx, in); func() bool { code, status := sdkErr(err); return code != "InvalidArgument" || status != 400 }() {
			t.Errorf("%+v: %v", in, err)
		}
	}
	all, err := c.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil || len(all.Buckets) != 4 || all.ContinuationToken != nil {
		t.Fatalf("unpaged: %v %+v", err, all)
	}
}

func TestSDKCompleteChecksumType(t *testing.T) {
	c, _ := sdkClient(t)
	ctx := context.Background()
	sdkBucket(t, c, "cktype")
	b, k := aws.String("cktype"), aws.String("k")
	cr, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: b, Key: k, ChecksumAlgorithm: types.ChecksumAlgorithmCrc32})
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: b, Key: k, UploadId: cr.UploadId, PartNumber: aws.Int32(1),
		Body: strings.NewReader("part"), ChecksumAlgorithm: types.ChecksumAlgorithmCrc32})
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: b, Key: k, UploadId: cr.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{ETag: p.ETag, PartNumber: aws.Int32(1), ChecksumCRC32: p.ChecksumCRC32}}}})
	if err != nil {
		t.Fatal(err)
	}
	if out.ChecksumType != types.ChecksumTypeComposite || out.ChecksumCRC32 == nil {
		t.Fatalf("ChecksumType %q CRC32 %v", out.ChecksumType, out.ChecksumCRC32)
	}
}

// TestSDKBucketOfAnotherAccount: a name another account owns is 409
// BucketAlreadyExists, not a 403.
func TestSDKBucketOfAnotherAccount(t *testing.T) {
	n := niwatest.Start(t, niwatest.WithAccessKey("AKIAOTHERACCOUNT0001", "othersecret", "222222222222"))
	mine := s3.NewFromConfig(n.AWSConfig(), func(o *s3.Options) { o.UsePathStyle = true })
	theirs := s3.NewFromConfig(n.AWSConfigWith("AKIAOTHERACCOUNT0001", "othersecret", ""), func(o *s3.Options) { o.UsePathStyle = true })
	sdkBucket(t, mine, "taken-name")
	_, err := theirs.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String("taken-name"),
		CreateBucketConfiguration: &types.CreateBucketConfiguration{LocationConstraint: types.BucketLocationConstraint(niwatest.Region)}})
	if code, status := sdkErr(err); code != "BucketAlreadyExists" || status != 409 {
		t.Fatalf("got %q %d (%v)", code, status, err)
	}
}

// TestSDKSuspendedVersionHeader: a write to a versioning-suspended bucket
// answers without x-amz-version-id; reading it back names "null".
func TestSDKSuspendedVersionHeader(t *testing.T) {
	c, _ := sdkClient(t)
	ctx := context.Background()
	sdkBucket(t, c, "suspended")
	b := aws.String("suspended")
	if _, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: b, VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusSuspended}}); err != nil {
		t.Fatal(err)
	}
	put, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("k"), Body: strings.NewReader("x")})
	if err != nil {
		t.Fatal(err)
	}
	if _, h := rawStatus(t, put.ResultMetadata); h.Get("X-Amz-Version-Id") != "" {
		t.Fatalf("PutObject answered x-amz-version-id %q", h.Get("X-Amz-Version-Id"))
	}
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: b, Key: aws.String("k")})
	if err != nil || aws.ToString(head.VersionId) != "null" {
		t.Fatalf("HeadObject version %q %v", aws.ToString(head.VersionId), err)
	}
}
