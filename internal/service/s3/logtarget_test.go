package s3

import (
	"testing"

	s3api "github.com/niwa-cloud/niwa/internal/api/s3"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// logDeliveryPolicy is the target bucket policy S3's User Guide gives for
// server access logs from source in account.
func logDeliveryPolicy(target, source, account string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"logging.s3.amazonaws.com"},` +
		`"Action":"s3:PutObject","Resource":"arn:aws:s3:::` + target + `/*",` +
		`"Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:s3:::` + source + `"},"StringEquals":{"aws:SourceAccount":"` + account + `"}}}]}`
}

func (f *fixture) allowLogDelivery(t *testing.T, target, source string) {
	t.Helper()
	if _, err := f.s.PutBucketPolicy(f.ctx(), &s3api.PutBucketPolicyInput{Bucket: ptr.To(target), Policy: ptr.To(logDeliveryPolicy(target, source, testAccount))}); err != nil {
		t.Fatal(err)
	}
}

// TestPutBucketLoggingTargetPermission: the target bucket must let the
// logging service (policy) or the LogDelivery group (ACL) write, and be
// in the source's region.
func TestPutBucketLoggingTargetPermission(t *testing.T) {
	f := newFixture(t)
	for _, b := range []string{"log-source", "log-none", "log-policy", "log-wrong-source", "log-acl"} {
		f.bucket(t, b)
	}
	f.allowLogDelivery(t, "log-policy", "log-source")
	f.allowLogDelivery(t, "log-wrong-source", "another-source")
	if _, err := f.s.PutBucketOwnershipControls(f.ctx(), &s3api.PutBucketOwnershipControlsInput{Bucket: ptr.To("log-acl"),
		OwnershipControls: &s3api.OwnershipControls{Rules: []s3api.OwnershipControlsRule{{ObjectOwnership: ptr.To("BucketOwnerPreferred")}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.PutBucketAcl(f.ctx(), &s3api.PutBucketAclInput{Bucket: ptr.To("log-acl"), ACL: ptr.To("log-delivery-write")}); err != nil {
		t.Fatal(err)
	}
	other := f.ctx()
	other.Region = "eu-west-1"
	if _, err := f.s.CreateBucket(other, &s3api.CreateBucketInput{Bucket: ptr.To("log-far"),
		CreateBucketConfiguration: &s3api.CreateBucketConfiguration{LocationConstraint: ptr.To("eu-west-1")}}); err != nil {
		t.Fatal(err)
	}
	f.allowLogDelivery(t, "log-far", "log-source")
	for target, want := range map[string]string{
		"log-none":         "InvalidTargetBucketForLogging",
		"log-wrong-source": "InvalidTargetBucketForLogging",
		"log-policy":       "",
		"log-acl":          "",
		"log-far":          "CrossLocationLoggingProhibited",
		"log-missing":      "InvalidTargetBucketForLogging",
	} {
		_, err := f.s.PutBucketLogging(f.ctx(), &s3api.PutBucketLoggingInput{Bucket: ptr.To("log-source"), BucketLoggingStatus: &s3api.BucketLoggingStatus{
			LoggingEnabled: &s3api.LoggingEnabled{TargetBucket: ptr.To(target), TargetPrefix: ptr.To("logs/")}}})
		if codeOf(err) != want {
			t.Errorf("target %s: %v, want %q", target, err, want)
		}
	}
}
