package authz

import (
	"reflect"
	"testing"

	s3api "github.com/niwa-cloud/niwa/internal/api/s3"
)

// TestS3ObjectLockAndAttributesChecks: the governance bypass and
// GetObjectAttributes ask a second question, as S3 does; the Intelligent-
// Tiering operations use their IAM action names.
func TestS3ObjectLockAndAttributesChecks(t *testing.T) {
	tr := true
	env := Env{Account: "123456789012", Region: "us-east-1"}
	for _, tc := range []struct {
		op   string
		in   any
		want []string // action@resource of every check
	}{
		{"DeleteObject", &s3api.DeleteObjectInput{Bucket: sp("b"), Key: sp("k")}, []string{"s3:DeleteObject@arn:aws:s3:::b/k"}},
		{"DeleteObject", &s3api.DeleteObjectInput{Bucket: sp("b"), Key: sp("k"), BypassGovernanceRetention: &tr},
			[]string{"s3:DeleteObject@arn:aws:s3:::b/k", "s3:BypassGovernanceRetention@arn:aws:s3:::b/k"}},
		{"DeleteObjects", &s3api.DeleteObjectsInput{Bucket: sp("b"), BypassGovernanceRetention: &tr},
			[]string{"s3:DeleteObject@arn:aws:s3:::b/*", "s3:BypassGovernanceRetention@arn:aws:s3:::b/*"}},
		{"PutObjectRetention", &s3api.PutObjectRetentionInput{Bucket: sp("b"), Key: sp("k"), BypassGovernanceRetention: &tr},
			[]string{"s3:PutObjectRetention@arn:aws:s3:::b/k", "s3:BypassGovernanceRetention@arn:aws:s3:::b/k"}},
		{"GetObjectAttributes", &s3api.GetObjectAttributesInput{Bucket: sp("b"), Key: sp("k")},
			[]string{"s3:GetObject@arn:aws:s3:::b/k", "s3:GetObjectAttributes@arn:aws:s3:::b/k"}},
		{"PutBucketIntelligentTieringConfiguration", &s3api.PutBucketIntelligentTieringConfigurationInput{Bucket: sp("b")},
			[]string{"s3:PutIntelligentTieringConfiguration@arn:aws:s3:::b"}},
		{"ListBucketIntelligentTieringConfigurations", &s3api.ListBucketIntelligentTieringConfigurationsInput{Bucket: sp("b")},
			[]string{"s3:GetIntelligentTieringConfiguration@arn:aws:s3:::b"}},
	} {
		var got []string
		for _, c := range For("s3", tc.op, tc.in, env) {
			got = append(got, c.Action+"@"+c.Resource)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.op, got, tc.want)
		}
	}
}
