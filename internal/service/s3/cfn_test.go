package s3

import (
	"testing"

	s3api "github.com/niwa-cloud/niwa/internal/api/s3"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// TestCfnBucketConfiguration: AWS::S3::Bucket's BucketEncryption and
// LifecycleConfiguration, written as CloudFormation writes them (CDK's
// staging bucket), become the API's configurations, and leave with the
// properties on update.
func TestCfnBucketConfiguration(t *testing.T) {
	f := newFixture(t)
	ctx := f.ctx()
	p := f.s.cfnResources()["AWS::S3::Bucket"]
	props := map[string]any{
		"BucketName": "staging",
		"BucketEncryption": map[string]any{"ServerSideEncryptionConfiguration": []any{map[string]any{
			"ServerSideEncryptionByDefault": map[string]any{"SSEAlgorithm": "aws:kms"}, "BucketKeyEnabled": true}}},
		"LifecycleConfiguration": map[string]any{"Rules": []any{
			map[string]any{"Id": "CleanupOldVersions", "Status": "Enabled", "NoncurrentVersionExpiration": map[string]any{"NoncurrentDays": 30}},
			map[string]any{"Id": "AbortIncompleteMultipartUploads", "Status": "Enabled", "AbortIncompleteMultipartUpload": map[string]any{"DaysAfterInitiation": "1"}},
			map[string]any{"Id": "Logs", "Status": "Enabled", "Prefix": "logs/", "ExpirationInDays": 7,
				"TagFilters": []any{map[string]any{"Key": "keep", "Value": "no"}}},
		}},
	}
	if _, err := p.Create(ctx, kit.ResourceRequest{LogicalID: "StagingBucket", StackName: "CDKToolkit", Properties: props}); err != nil {
		t.Fatal(err)
	}
	enc, err := f.s.GetBucketEncryption(ctx, &s3api.GetBucketEncryptionInput{Bucket: ptr.To("staging")})
	if err != nil {
		t.Fatal(err)
	}
	r := enc.ServerSideEncryptionConfiguration.Rules[0]
	if r.ApplyServerSideEncryptionByDefault == nil || *r.ApplyServerSideEncryptionByDefault.SSEAlgorithm != "aws:kms" || !*r.BucketKeyEnabled {
		t.Fatalf("encryption %+v", r)
	}
	lc, err := f.s.GetBucketLifecycleConfiguration(ctx, &s3api.GetBucketLifecycleConfigurationInput{Bucket: ptr.To("staging")})
	if err != nil || len(lc.Rules) != 3 {
		t.Fatalf("%v %+v", err, lc)
	}
	if r := lc.Rules[0]; *r.ID != "CleanupOldVersions" || *r.NoncurrentVersionExpiration.NoncurrentDays != 30 || *r.Filter.Prefix != "" {
		t.Fatalf("rule 0 %+v", r)
	}
	if r := lc.Rules[1]; *r.AbortIncompleteMultipartUpload.DaysAfterInitiation != 1 {
		t.Fatalf("rule 1 %+v", r)
	}
	if r := lc.Rules[2]; *r.Expiration.Days != 7 || r.Filter.And == nil || *r.Filter.And.Prefix != "logs/" || *r.Filter.And.Tags[0].Key != "keep" {
		t.Fatalf("rule 2 %+v", r)
	}

	// Both properties removed: both configurations go.
	if _, err := p.Update(ctx, kit.ResourceRequest{PhysicalID: "staging", Properties: map[string]any{"BucketName": "staging"}, OldProperties: props}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.GetBucketLifecycleConfiguration(ctx, &s3api.GetBucketLifecycleConfigurationInput{Bucket: ptr.To("staging")}); err == nil {
		t.Fatal("lifecycle configuration left after its property went")
	}
	enc, err = f.s.GetBucketEncryption(ctx, &s3api.GetBucketEncryptionInput{Bucket: ptr.To("staging")})
	if err != nil || *enc.ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm != "AES256" {
		t.Fatalf("encryption after removal: %v %+v", err, enc)
	}
}
