package s3_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/niwa-cloud/niwa/niwatest"
)

func TestSDKGetObjectAttributes(t *testing.T) {
	c := lockClient(niwatest.Start(t).AWSConfig())
	ctx := context.Background()
	sdkBucket(t, c, "attrs")
	b := aws.String("attrs")
	put, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("simple"), Body: strings.NewReader("hello"),
		ChecksumAlgorithm: types.ChecksumAlgorithmSha256, StorageClass: types.StorageClassStandardIa})
	if err != nil {
		t.Fatal(err)
	}
	all := []types.ObjectAttributes{"ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"}
	got, err := c.GetObjectAttributes(ctx, &s3.GetObjectAttributesInput{Bucket: b, Key: aws.String("simple"), ObjectAttributes: all})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(got.ETag) != strings.Trim(aws.ToString(put.ETag), `"`) || aws.ToInt64(got.ObjectSize) != 5 ||
		got.StorageClass != types.StorageClassStandardIa || got.Checksum == nil || aws.ToString(got.Checksum.ChecksumSHA256) != aws.ToString(put.ChecksumSHA256) ||
		got.ObjectParts != nil || got.LastModified == nil {
		t.Fatalf("simple object attributes: %+v", got)
	}
	// Only what was asked for.
	got, err = c.GetObjectAttributes(ctx, &s3.GetObjectAttributesInput{Bucket: b, Key: aws.String("simple"), ObjectAttributes: []types.ObjectAttributes{"ObjectSize"}})
	if err != nil || got.ETag != nil || got.Checksum != nil || got.StorageClass != "" || aws.ToInt64(got.ObjectSize) != 5 {
		t.Fatalf("ObjectSize only: %+v %v", got, err)
	}
	// (An empty list never leaves the SDK: TestParseObjectAttributes.)
	_, err = c.GetObjectAttributes(ctx, &s3.GetObjectAttributesInput{Bucket: b, Key: aws.String("simple"), ObjectAttributes: []types.ObjectAttributes{"ETag", "Colour"}})
	if code, status := sdkErr(err); code != "InvalidArgument" || status != 400 {
		t.Errorf("unknown attribute: %q %d", code, status)
	}
	_, err = c.GetObjectAttributes(ctx, &s3.GetObjectAttributesInput{Bucket: b, Key: aws.String("missing"), ObjectAttributes: all})
	if code, status := sdkErr(err); code != "NoSuchKey" || status != 404 {
		t.Fatalf("missing key: %q %d", code, status)
	}

	// A multipart object made with a checksum algorithm lists its parts,
	// paged.
	part := bytes.Repeat([]byte("p"), 5<<20)
	upload := func(key string, alg types.ChecksumAlgorithm) {
		cr, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: b, Key: aws.String(key), ChecksumAlgorithm: alg})
		if err != nil {
			t.Fatal(err)
		}
		var done []types.CompletedPart
		for i := int32(1); i <= 3; i++ {
			body := part
			if i == 3 {
				body = []byte("tail")
			}
			p, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: b, Key: aws.String(key), UploadId: cr.UploadId, PartNumber: aws.Int32(i),
				Body: bytes.NewReader(body), ChecksumAlgorithm: alg})
			if err != nil {
				t.Fatal(err)
			}
			done = append(done, types.CompletedPart{ETag: p.ETag, PartNumber: aws.Int32(i), ChecksumCRC32: p.ChecksumCRC32})
		}
		if _, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: b, Key: aws.String(key), UploadId: cr.UploadId,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: done}}); err != nil {
			t.Fatal(err)
		}
	}
	upload("mp", types.ChecksumAlgorithmCrc32)
	got, err = c.GetObjectAttributes(ctx, &s3.GetObjectAttributesInput{Bucket: b, Key: aws.String("mp"), ObjectAttributes: all, MaxParts: aws.Int32(2)})
	if err != nil {
		t.Fatal(err)
	}
	op := got.ObjectParts
	if op == nil || aws.ToInt32(op.TotalPartsCount) != 3 || len(op.Parts) != 2 || !aws.ToBool(op.IsTruncated) || aws.ToString(op.NextPartNumberMarker) != "2" ||
		aws.ToInt64(op.Parts[0].Size) != 5<<20 || op.Parts[0].ChecksumCRC32 == nil {
		t.Fatalf("first page of parts: %+v", op)
	}
	got, err = c.GetObjectAttributes(ctx, &s3.GetObjectAttributesInput{Bucket: b, Key: aws.String("mp"), ObjectAttributes: []types.ObjectAttributes{"ObjectParts"},
		PartNumberMarker: op.NextPartNumberMarker})
	if err != nil || len(got.ObjectParts.Parts) != 1 || aws.ToInt32(got.ObjectParts.Parts[0].PartNumber) != 3 || aws.ToBool(got.ObjectParts.IsTruncated) ||
		aws.ToInt64(got.ObjectParts.Parts[0].Size) != 4 {
		t.Fatalf("second page of parts: %+v %v", got.ObjectParts, err)
	}
}
