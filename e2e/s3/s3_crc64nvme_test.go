package s3

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/niwa-cloud/niwa/e2e/framework"
	"github.com/niwa-cloud/niwa/e2e/framework/inprocess"
	"github.com/niwa-cloud/niwa/internal/checksum"
)

func crc64nvme(data []byte) string {
	h := checksum.New(checksum.CRC64NVME)
	h.Write(data)
	return checksum.Sum(h)
}

// TestS3GoSDKCRC64NVME has aws-sdk-go-v2 upload with the CRC64NVME
// checksum algorithm (the SDK's default since 2025) and read the
// checksum back, for a simple object and a multipart one (whose
// CRC64NVME checksum is of the full object, never composite).
func TestS3GoSDKCRC64NVME(t *testing.T) {
	t.Parallel()
	for _, target := range framework.Targets {
		t.Run(fmt.Sprint(target), func(t *testing.T) {
			n := inprocess.Start(t, target)
			c := framework.S3Client(n, false)
			ctx := context.Background()
			b := "crc64-bucket"
			if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b),
				CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(n.Region)}}); err != nil {
				t.Fatal(err)
			}
			body := []byte(strings.Repeat("niwa crc64 ", 1000))
			want := crc64nvme(body)
			put, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("k"),
				Body: bytes.NewReader(body), ChecksumAlgorithm: s3types.ChecksumAlgorithmCrc64nvme})
			if err != nil {
				t.Fatal(err)
			}
			if got := aws.ToString(put.ChecksumCRC64NVME); got != want {
				t.Fatalf("PutObject ChecksumCRC64NVME %q, want %q", got, want)
			}
			get, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("k"), ChecksumMode: s3types.ChecksumModeEnabled})
			if err != nil {
				t.Fatal(err)
			}
			data, err := io.ReadAll(get.Body) // the SDK validates the checksum as it reads
			get.Body.Close()
			if err != nil || !bytes.Equal(data, body) || aws.ToString(get.ChecksumCRC64NVME) != want {
				t.Fatalf("GetObject: %v, %d bytes, checksum %q want %q", err, len(data), aws.ToString(get.ChecksumCRC64NVME), want)
			}
			head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("k"), ChecksumMode: s3types.ChecksumModeEnabled})
			if err != nil || aws.ToString(head.ChecksumCRC64NVME) != want {
				t.Fatalf("HeadObject: %v checksum %v", err, head)
			}

			// Multipart: a full-object checksum over both parts.
			up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("mp"),
				ChecksumAlgorithm: s3types.ChecksumAlgorithmCrc64nvme})
			if err != nil {
				t.Fatal(err)
			}
			parts := [][]byte{bytes.Repeat([]byte("a"), 5<<20), []byte("tail")}
			var done []s3types.CompletedPart
			for i, p := range parts {
				out, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(b), Key: aws.String("mp"), UploadId: up.UploadId,
					PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(p), ChecksumAlgorithm: s3types.ChecksumAlgorithmCrc64nvme})
				if err != nil {
					t.Fatal(err)
				}
				if got := aws.ToString(out.ChecksumCRC64NVME); got != crc64nvme(p) {
					t.Fatalf("UploadPart %d checksum %q want %q", i+1, got, crc64nvme(p))
				}
				done = append(done, s3types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: out.ETag, ChecksumCRC64NVME: out.ChecksumCRC64NVME})
			}
			comp, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("mp"), UploadId: up.UploadId,
				MultipartUpload: &s3types.CompletedMultipartUpload{Parts: done}})
			if err != nil {
				t.Fatal(err)
			}
			whole := crc64nvme(append(append([]byte{}, parts[0]...), parts[1]...))
			if got := aws.ToString(comp.ChecksumCRC64NVME); got != whole {
				t.Fatalf("CompleteMultipartUpload checksum %q want %q", got, whole)
			}
			head, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("mp"), ChecksumMode: s3types.ChecksumModeEnabled})
			if err != nil || aws.ToString(head.ChecksumCRC64NVME) != whole {
				t.Fatalf("HeadObject mp: %v checksum %q want %q", err, aws.ToString(head.ChecksumCRC64NVME), whole)
			}
		})
	}
}
