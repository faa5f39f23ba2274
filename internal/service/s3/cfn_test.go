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

// TestCfnBucketSettings: CORS, website, logging, acceleration, object
// lock and EventBridge notifications in the template's shapes (CorsRules,
// IndexDocument as a name, DestinationBucketName, ...) become the API's
// configurations; an update changes CORS in place and removing the
// properties removes the settings.
func TestCfnBucketSettings(t *testing.T) {
	f := newFixture(t)
	ctx := f.ctx()
	p := f.s.cfnResources()["AWS::S3::Bucket"]
	cors := func(origin string) map[string]any {
		return map[string]any{"CorsRules": []any{map[string]any{"Id": "web", "AllowedMethods": []any{"GET", "PUT"},
			"AllowedOrigins": []any{origin}, "ExposedHeaders": []any{"ETag"}, "MaxAge": "3000"}}}
	}
	props := map[string]any{"BucketName": "site", "ObjectLockEnabled": true,
		"CorsConfiguration":       cors("https://a.example.com"),
		"WebsiteConfiguration":    map[string]any{"IndexDocument": "index.html", "ErrorDocument": "error.html"},
		"LoggingConfiguration":    map[string]any{"DestinationBucketName": "logs", "LogFilePrefix": "access/"},
		"AccelerateConfiguration": map[string]any{"AccelerationStatus": "Enabled"},
		"ObjectLockConfiguration": map[string]any{"ObjectLockEnabled": "Enabled", "Rule": map[string]any{
			"DefaultRetention": map[string]any{"Mode": "GOVERNANCE", "Days": 1}}},
		"NotificationConfiguration": map[string]any{"EventBridgeConfiguration": map[string]any{"EventBridgeEnabled": true}},
	}
	// The log bucket lets the logging service deliver (as AWS requires).
	if _, err := p.Create(ctx, kit.ResourceRequest{LogicalID: "Logs", Properties: map[string]any{"BucketName": "logs"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.cfnResources()["AWS::S3::BucketPolicy"].Create(ctx, kit.ResourceRequest{LogicalID: "LogsPolicy", Properties: map[string]any{
		"Bucket": "logs", "PolicyDocument": map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow",
			"Principal": map[string]any{"Service": "logging.s3.amazonaws.com"}, "Action": "s3:PutObject", "Resource": "arn:aws:s3:::logs/*"}}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Create(ctx, kit.ResourceRequest{LogicalID: "Site", StackName: "s", Properties: props}); err != nil {
		t.Fatal(err)
	}
	b := ptr.To("site")
	c, err := f.s.GetBucketCors(ctx, &s3api.GetBucketCorsInput{Bucket: b})
	if err != nil || len(c.CORSRules) != 1 || *c.CORSRules[0].ID != "web" || *c.CORSRules[0].MaxAgeSeconds != 3000 || c.CORSRules[0].ExposeHeaders[0] != "ETag" {
		t.Fatalf("cors %+v %v", c, err)
	}
	w, err := f.s.GetBucketWebsite(ctx, &s3api.GetBucketWebsiteInput{Bucket: b})
	if err != nil || *w.IndexDocument.Suffix != "index.html" || *w.ErrorDocument.Key != "error.html" {
		t.Fatalf("website %+v %v", w, err)
	}
	l, err := f.s.GetBucketLogging(ctx, &s3api.GetBucketLoggingInput{Bucket: b})
	if err != nil || l.LoggingEnabled == nil || *l.LoggingEnabled.TargetBucket != "logs" || *l.LoggingEnabled.TargetPrefix != "access/" {
		t.Fatalf("logging %+v %v", l, err)
	}
	a, err := f.s.GetBucketAccelerateConfiguration(ctx, &s3api.GetBucketAccelerateConfigurationInput{Bucket: b})
	if err != nil || ptr.Deref(a.Status) != "Enabled" {
		t.Fatalf("accelerate %+v %v", a, err)
	}
	ol, err := f.s.GetObjectLockConfiguration(ctx, &s3api.GetObjectLockConfigurationInput{Bucket: b})
	if err != nil || *ol.ObjectLockConfiguration.Rule.DefaultRetention.Mode != "GOVERNANCE" {
		t.Fatalf("object lock %+v %v", ol, err)
	}
	n, err := f.s.GetBucketNotificationConfiguration(ctx, &s3api.GetBucketNotificationConfigurationInput{Bucket: b})
	if err != nil || n.EventBridgeConfiguration == nil {
		t.Fatalf("notifications %+v %v", n, err)
	}

	next := map[string]any{"BucketName": "site", "ObjectLockEnabled": true, "CorsConfiguration": cors("https://b.example.com")}
	if _, err := p.Update(ctx, kit.ResourceRequest{PhysicalID: "site", Properties: next, OldProperties: props}); err != nil {
		t.Fatal(err)
	}
	if c, err = f.s.GetBucketCors(ctx, &s3api.GetBucketCorsInput{Bucket: b}); err != nil || c.CORSRules[0].AllowedOrigins[0] != "https://b.example.com" {
		t.Fatalf("cors after update %+v %v", c, err)
	}
	if _, err := f.s.GetBucketWebsite(ctx, &s3api.GetBucketWebsiteInput{Bucket: b}); err == nil {
		t.Fatal("the website stayed after its property went")
	}
	if l, _ = f.s.GetBucketLogging(ctx, &s3api.GetBucketLoggingInput{Bucket: b}); l.LoggingEnabled != nil {
		t.Fatalf("logging after its property went %+v", l)
	}
	if a, _ = f.s.GetBucketAccelerateConfiguration(ctx, &s3api.GetBucketAccelerateConfigurationInput{Bucket: b}); ptr.Deref(a.Status) != "Suspended" {
		t.Fatalf("accelerate after its property went %+v", a)
	}
	if n, _ = f.s.GetBucketNotificationConfiguration(ctx, &s3api.GetBucketNotificationConfigurationInput{Bucket: b}); n.EventBridgeConfiguration != nil {
		t.Fatalf("notifications after the property went %+v", n)
	}
}
