package s3

import (
	"strings"
	"testing"

	s3api "github.com/niwa-cloud/niwa/internal/api/s3"
	"github.com/niwa-cloud/niwa/internal/checksum"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

func TestChecksumCRC64NVME(t *testing.T) {
	h := checksum.New(checksum.CRC64NVME)
	h.Write([]byte("hello"))
	want := checksum.Sum(h)

	f := newFixture(t)
	f.bucket(t, "crc64-bucket")
	out, err := f.s.PutObject(f.ctx(), &s3api.PutObjectInput{Bucket: ptr.To("crc64-bucket"), Key: ptr.To("alg"),
		Body: strings.NewReader("hello"), ChecksumAlgorithm: ptr.To("CRC64NVME")})
	if err != nil || ptr.Deref(out.ChecksumCRC64NVME) != want {
		t.Fatalf("algorithm: %v %q want %q", err, ptr.Deref(out.ChecksumCRC64NVME), want)
	}
	ctx := f.ctx()
	ctx.HTTP.Header.Set("X-Amz-Checksum-Crc64nvme", want)
	if out, err = f.s.PutObject(ctx, &s3api.PutObjectInput{Bucket: ptr.To("crc64-bucket"), Key: ptr.To("k"), Body: strings.NewReader("hello")}); err != nil || ptr.Deref(out.ChecksumCRC64NVME) != want {
		t.Fatalf("header: %v %+v", err, out)
	}
	ctx.HTTP.Header.Set("X-Amz-Checksum-Crc64nvme", "AAAAAAAAAAA=")
	if _, err = f.s.PutObject(ctx, &s3api.PutObjectInput{Bucket: ptr.To("crc64-bucket"), Key: ptr.To("k"), Body: strings.NewReader("hello")}); codeOf(err) != "BadDigest" {
		t.Fatalf("wrong checksum: %v", err)
	}
	_, got := f.get(t, &s3api.GetObjectInput{Bucket: ptr.To("crc64-bucket"), Key: ptr.To("k"), ChecksumMode: ptr.To("ENABLED")})
	if ptr.Deref(got.ChecksumCRC64NVME) != want {
		t.Fatalf("checksum mode: %+v", got)
	}
}
