package s3

import (
	"testing"

	s3api "github.com/niwa-cloud/niwa/internal/api/s3"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

func TestDirectoryBucketsRefused(t *testing.T) {
	f := newFixture(t)
	create := func(name string) error {
		_, err := f.s.CreateBucket(f.ctx(), &s3api.CreateBucketInput{Bucket: ptr.To(name),
			CreateBucketConfiguration: &s3api.CreateBucketConfiguration{LocationConstraint: ptr.To("ap-northeast-1")}})
		return err
	}
	for name, code := range map[string]string{
		"data--apne1-az4--x-s3": "NotImplemented",
		"sthree-data":           "InvalidBucketName",
		"data--ol-s3":           "InvalidBucketName",
		"data.mrap":             "InvalidBucketName",
		"ordinary-data":         "",
	} {
		if err := create(name); codeOf(err) != code {
			t.Errorf("CreateBucket %q: %v, want %q", name, err, code)
		}
	}
	if _, err := f.s.CreateSession(f.ctx(), &s3api.CreateSessionInput{Bucket: ptr.To("ordinary-data")}); codeOf(err) != "NotImplemented" {
		t.Errorf("CreateSession on a general purpose bucket: %v", err)
	}
	if _, err := f.s.CreateSession(f.ctx(), &s3api.CreateSessionInput{Bucket: ptr.To("missing")}); codeOf(err) != "NoSuchBucket" {
		t.Errorf("CreateSession on a missing bucket: %v", err)
	}
}
