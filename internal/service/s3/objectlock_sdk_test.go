package s3_test

// Object Lock through aws-sdk-go-v2: what a real client sends (checksums,
// header timestamps, the bypass header) and reads.

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/niwa-cloud/niwa/niwatest"
)

// lockClient is an S3 client that sends a checksum with every upload, as
// clients configured by config.LoadDefaultConfig do (WhenSupported): S3
// requires one on uploads with Object Lock parameters.
func lockClient(cfg aws.Config) *s3.Client {
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.UsePathStyle = true
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenSupported
	})
}

// lockBucket creates a bucket with Object Lock enabled at creation.
func lockBucket(t *testing.T, c *s3.Client, name string) {
	t.Helper()
	if _, err := c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(name), ObjectLockEnabledForBucket: aws.Bool(true),
		CreateBucketConfiguration: &types.CreateBucketConfiguration{LocationConstraint: types.BucketLocationConstraint(niwatest.Region)}}); err != nil {
		t.Fatal(err)
	}
}

func TestSDKObjectLockBucketConfiguration(t *testing.T) {
	c, _ := sdkClient(t)
	ctx := context.Background()
	lockBucket(t, c, "locked")
	sdkBucket(t, c, "plain")
	b := aws.String("locked")

	v, err := c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: b})
	if err != nil || v.Status != types.BucketVersioningStatusEnabled {
		t.Fatalf("versioning of a lock bucket: %v %v", v.Status, err)
	}
	_, err = c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: b, VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusSuspended}})
	if code, status := sdkErr(err); code != "InvalidBucketState" || status != 409 {
		t.Fatalf("suspending versioning: %q %d", code, status)
	}
	got, err := c.GetObjectLockConfiguration(ctx, &s3.GetObjectLockConfigurationInput{Bucket: b})
	if err != nil || got.ObjectLockConfiguration.ObjectLockEnabled != types.ObjectLockEnabledEnabled || got.ObjectLockConfiguration.Rule != nil {
		t.Fatalf("GetObjectLockConfiguration: %+v %v", got, err)
	}
	_, err = c.GetObjectLockConfiguration(ctx, &s3.GetObjectLockConfigurationInput{Bucket: aws.String("plain")})
	if code, status := sdkErr(err); code != "ObjectLockConfigurationNotFoundError" || status != 404 {
		t.Fatalf("no configuration: %q %d", code, status)
	}

	rule := func(mode types.ObjectLockRetentionMode, days, years *int32) *types.ObjectLockConfiguration {
		return &types.ObjectLockConfiguration{ObjectLockEnabled: types.ObjectLockEnabledEnabled,
			Rule: &types.ObjectLockRule{DefaultRetention: &types.DefaultRetention{Mode: mode, Days: days, Years: years}}}
	}
	cases := []struct {
		name   string
		bucket string
		cfg    *types.ObjectLockConfiguration
		code   string
		status int
	}{
		{"days and years", "locked", rule("GOVERNANCE", aws.Int32(1), aws.Int32(1)), "MalformedXML", 400},
		{"neither", "locked", rule("GOVERNANCE", nil, nil), "MalformedXML", 400},
		{"bad mode", "locked", rule("governance", aws.Int32(1), nil), "MalformedXML", 400},
		{"zero days", "locked", rule("GOVERNANCE", aws.Int32(0), nil), "InvalidArgument", 400},
		{"negative years", "locked", rule("COMPLIANCE", nil, aws.Int32(-1)), "InvalidArgument", 400},
		{"too many days", "locked", rule("COMPLIANCE", aws.Int32(36501), nil), "InvalidArgument", 400},
		{"disabled", "locked", &types.ObjectLockConfiguration{ObjectLockEnabled: "Disabled"}, "MalformedXML", 400},
		{"unversioned bucket", "plain", &types.ObjectLockConfiguration{ObjectLockEnabled: types.ObjectLockEnabledEnabled}, "InvalidBucketState", 409},
		{"default retention", "locked", rule("GOVERNANCE", aws.Int32(2), nil), "", 200},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.PutObjectLockConfiguration(ctx, &s3.PutObjectLockConfigurationInput{Bucket: aws.String(tc.bucket), ObjectLockConfiguration: tc.cfg})
			if code, status := sdkErr(err); code != tc.code || status != tc.status {
				t.Fatalf("got %q %d (%v), want %q %d", code, status, err, tc.code, tc.status)
			}
		})
	}
	got, err = c.GetObjectLockConfiguration(ctx, &s3.GetObjectLockConfigurationInput{Bucket: b})
	if err != nil || got.ObjectLockConfiguration.Rule == nil || aws.ToInt32(got.ObjectLockConfiguration.Rule.DefaultRetention.Days) != 2 ||
		got.ObjectLockConfiguration.Rule.DefaultRetention.Mode != types.ObjectLockRetentionModeGovernance {
		t.Fatalf("stored rule: %+v %v", got, err)
	}

	// Enabling Object Lock on an existing versioned bucket is allowed.
	if _, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String("plain"), VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutObjectLockConfiguration(ctx, &s3.PutObjectLockConfigurationInput{Bucket: aws.String("plain"),
		ObjectLockConfiguration: &types.ObjectLockConfiguration{ObjectLockEnabled: types.ObjectLockEnabledEnabled}}); err != nil {
		t.Fatalf("enabling on a versioned bucket: %v", err)
	}
	_, err = c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String("plain"), VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusSuspended}})
	if code, _ := sdkErr(err); code != "InvalidBucketState" {
		t.Fatalf("suspending after enabling: %q", code)
	}
}

func TestSDKObjectLockRetention(t *testing.T) {
	start := time.Now().UTC().Truncate(time.Second)
	clk := niwatest.NewFakeClock(start)
	n := niwatest.Start(t, niwatest.WithClock(clk))
	c := lockClient(n.AWSConfig())
	ctx := context.Background()
	lockBucket(t, c, "worm")
	sdkBucket(t, c, "nolock")
	b := aws.String("worm")
	until := start.Add(10 * time.Minute)

	// Lock headers: both or neither, a known mode, a future date, and a
	// bucket with Object Lock.
	putCases := []struct {
		name   string
		bucket string
		fn     func(*s3.PutObjectInput)
		code   string
	}{
		{"mode only", "worm", func(in *s3.PutObjectInput) { in.ObjectLockMode = types.ObjectLockModeGovernance }, "InvalidArgument"},
		{"date only", "worm", func(in *s3.PutObjectInput) { in.ObjectLockRetainUntilDate = aws.Time(until) }, "InvalidArgument"},
		{"bad mode", "worm", func(in *s3.PutObjectInput) {
			in.ObjectLockMode, in.ObjectLockRetainUntilDate = "FOREVER", aws.Time(until)
		}, "InvalidArgument"},
		{"past date", "worm", func(in *s3.PutObjectInput) {
			in.ObjectLockMode, in.ObjectLockRetainUntilDate = types.ObjectLockModeGovernance, aws.Time(start.Add(-time.Hour))
		}, "InvalidArgument"},
		{"bad legal hold", "worm", func(in *s3.PutObjectInput) { in.ObjectLockLegalHoldStatus = "MAYBE" }, "InvalidArgument"},
		{"bucket without lock", "nolock", func(in *s3.PutObjectInput) {
			in.ObjectLockMode, in.ObjectLockRetainUntilDate = types.ObjectLockModeGovernance, aws.Time(until)
		}, "InvalidRequest"},
	}
	for _, tc := range putCases {
		t.Run(tc.name, func(t *testing.T) {
			in := &s3.PutObjectInput{Bucket: aws.String(tc.bucket), Key: aws.String("refused"), Body: strings.NewReader("x")}
			tc.fn(in)
			_, err := c.PutObject(ctx, in)
			if code, status := sdkErr(err); code != tc.code || status != 400 {
				t.Fatalf("got %q %d (%v), want %q 400", code, status, err, tc.code)
			}
		})
	}

	// Without Content-MD5 or a checksum, S3 refuses lock parameters.
	bare := s3.NewFromConfig(n.AWSConfig(), func(o *s3.Options) {
		o.UsePathStyle = true
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
	})
	_, err := bare.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("bare"), Body: strings.NewReader("x"),
		ObjectLockMode: types.ObjectLockModeGovernance, ObjectLockRetainUntilDate: aws.Time(until)})
	if code, status := sdkErr(err); code != "InvalidRequest" || status != 400 {
		t.Fatalf("lock parameters without an integrity header: %q %d (%v)", code, status, err)
	}

	gov, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("gov"), Body: strings.NewReader("governed"),
		ObjectLockMode: types.ObjectLockModeGovernance, ObjectLockRetainUntilDate: aws.Time(until)})
	if err != nil {
		t.Fatal(err)
	}
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: b, Key: aws.String("gov")})
	if err != nil || head.ObjectLockMode != types.ObjectLockModeGovernance || !aws.ToTime(head.ObjectLockRetainUntilDate).Equal(until) ||
		head.ObjectLockLegalHoldStatus != "" {
		t.Fatalf("HEAD lock headers: %v %v %q (%v)", head.ObjectLockMode, head.ObjectLockRetainUntilDate, head.ObjectLockLegalHoldStatus, err)
	}
	r, err := c.GetObjectRetention(ctx, &s3.GetObjectRetentionInput{Bucket: b, Key: aws.String("gov")})
	if err != nil || r.Retention.Mode != types.ObjectLockRetentionModeGovernance || !aws.ToTime(r.Retention.RetainUntilDate).Equal(until) {
		t.Fatalf("GetObjectRetention: %+v %v", r, err)
	}
	_, err = c.GetObjectLegalHold(ctx, &s3.GetObjectLegalHoldInput{Bucket: b, Key: aws.String("gov")})
	if code, status := sdkErr(err); code != "NoSuchObjectLockConfiguration" || status != 404 {
		t.Fatalf("legal hold never placed: %q %d", code, status)
	}

	// Deleting the locked version is refused; a plain delete adds a marker.
	_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: b, Key: aws.String("gov"), VersionId: gov.VersionId})
	if code, status := sdkErr(err); code != "AccessDenied" || status != 403 {
		t.Fatalf("delete locked version: %q %d", code, status)
	}
	del, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: b, Key: aws.String("gov")})
	if err != nil || !aws.ToBool(del.DeleteMarker) {
		t.Fatalf("plain delete: %+v %v", del, err)
	}
	// The marker itself is not locked; its retention is a 405.
	_, err = c.GetObjectRetention(ctx, &s3.GetObjectRetentionInput{Bucket: b, Key: aws.String("gov"), VersionId: del.VersionId})
	if code, status := sdkErr(err); code != "MethodNotAllowed" || status != 405 {
		t.Fatalf("retention of a delete marker: %q %d", code, status)
	}
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: b, Key: aws.String("gov"), VersionId: del.VersionId}); err != nil {
		t.Fatalf("deleting the marker: %v", err)
	}

	// Retention changes: extend yes, shorten or switch mode only with the
	// bypass (GOVERNANCE); COMPLIANCE never.
	retain := func(key string, vid *string, mode types.ObjectLockRetentionMode, at time.Time, bypass bool) error {
		in := &s3.PutObjectRetentionInput{Bucket: b, Key: aws.String(key), VersionId: vid,
			Retention: &types.ObjectLockRetention{Mode: mode, RetainUntilDate: aws.Time(at)}}
		if bypass {
			in.BypassGovernanceRetention = aws.Bool(true)
		}
		_, err := c.PutObjectRetention(ctx, in)
		return err
	}
	steps := []struct {
		name   string
		mode   types.ObjectLockRetentionMode
		at     time.Time
		bypass bool
		code   string
	}{
		{"shorten governance", "GOVERNANCE", until.Add(-time.Minute), false, "AccessDenied"},
		{"governance to compliance", "COMPLIANCE", until.Add(time.Minute), false, "AccessDenied"},
		{"extend governance", "GOVERNANCE", until.Add(2 * time.Minute), false, ""},
		{"shorten with bypass", "GOVERNANCE", until, true, ""},
		{"past date", "GOVERNANCE", start.Add(-time.Minute), true, "InvalidArgument"},
		{"to compliance with bypass", "COMPLIANCE", until, true, ""},
		{"shorten compliance", "COMPLIANCE", until.Add(-time.Minute), true, "AccessDenied"},
		{"compliance to governance", "GOVERNANCE", until.Add(time.Hour), true, "AccessDenied"},
		{"extend compliance", "COMPLIANCE", until.Add(time.Minute), false, ""},
	}
	for _, st := range steps {
		if code, _ := sdkErr(retain("gov", gov.VersionId, st.mode, st.at, st.bypass)); code != st.code {
			t.Fatalf("%s: got %q, want %q", st.name, code, st.code)
		}
	}
	_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: b, Key: aws.String("gov"), VersionId: gov.VersionId, BypassGovernanceRetention: aws.Bool(true)})
	if code, _ := sdkErr(err); code != "AccessDenied" {
		t.Fatalf("bypass on COMPLIANCE: %q", code)
	}
	// Once the date passes on niwa's clock the version may go.
	clk.Advance(12 * time.Minute)
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: b, Key: aws.String("gov"), VersionId: gov.VersionId}); err != nil {
		t.Fatalf("delete after the retention passed: %v", err)
	}

	// GOVERNANCE yields to the bypass header; legal holds do not.
	now := clk.Now()
	g2, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("g2"), Body: strings.NewReader("x"),
		ObjectLockMode: types.ObjectLockModeGovernance, ObjectLockRetainUntilDate: aws.Time(now.Add(time.Hour)), ObjectLockLegalHoldStatus: types.ObjectLockLegalHoldStatusOn})
	if err != nil {
		t.Fatal(err)
	}
	lh, err := c.GetObjectLegalHold(ctx, &s3.GetObjectLegalHoldInput{Bucket: b, Key: aws.String("g2")})
	if err != nil || lh.LegalHold.Status != types.ObjectLockLegalHoldStatusOn {
		t.Fatalf("GetObjectLegalHold: %+v %v", lh, err)
	}
	_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: b, Key: aws.String("g2"), VersionId: g2.VersionId, BypassGovernanceRetention: aws.Bool(true)})
	if code, _ := sdkErr(err); code != "AccessDenied" {
		t.Fatalf("bypass under a legal hold: %q", code)
	}
	// DeleteObjects answers per key.
	dout, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: b, Delete: &types.Delete{Objects: []types.ObjectIdentifier{{Key: aws.String("g2"), VersionId: g2.VersionId}}}})
	if err != nil || len(dout.Errors) != 1 || aws.ToString(dout.Errors[0].Code) != "AccessDenied" {
		t.Fatalf("DeleteObjects of a held version: %+v %v", dout, err)
	}
	if _, err := c.PutObjectLegalHold(ctx, &s3.PutObjectLegalHoldInput{Bucket: b, Key: aws.String("g2"), VersionId: g2.VersionId,
		LegalHold: &types.ObjectLockLegalHold{Status: types.ObjectLockLegalHoldStatusOff}}); err != nil {
		t.Fatal(err)
	}
	_, err = c.PutObjectLegalHold(ctx, &s3.PutObjectLegalHoldInput{Bucket: b, Key: aws.String("g2"), LegalHold: &types.ObjectLockLegalHold{Status: "on"}})
	if code, _ := sdkErr(err); code != "MalformedXML" {
		t.Fatalf("legal hold 'on': %q", code)
	}
	dout, err = c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: b, BypassGovernanceRetention: aws.Bool(true),
		Delete: &types.Delete{Objects: []types.ObjectIdentifier{{Key: aws.String("g2"), VersionId: g2.VersionId}}}})
	if err != nil || len(dout.Errors) != 0 || len(dout.Deleted) != 1 {
		t.Fatalf("DeleteObjects with bypass: %+v %v", dout, err)
	}

	// Lock operations on a bucket without Object Lock.
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("nolock"), Key: aws.String("k"), Body: strings.NewReader("x")}); err != nil {
		t.Fatal(err)
	}
	for name, err := range map[string]error{
		"GetObjectRetention": func() error {
			_, err := c.GetObjectRetention(ctx, &s3.GetObjectRetentionInput{Bucket: aws.String("nolock"), Key: aws.String("k")})
			return err
		}(),
		"PutObjectLegalHold": func() error {
			_, err := c.PutObjectLegalHold(ctx, &s3.PutObjectLegalHoldInput{Bucket: aws.String("nolock"), Key: aws.String("k"), LegalHold: &types.ObjectLockLegalHold{Status: "ON"}})
			return err
		}(),
		"PutObjectRetention": func() error {
			_, err := c.PutObjectRetention(ctx, &s3.PutObjectRetentionInput{Bucket: aws.String("nolock"), Key: aws.String("k"),
				Retention: &types.ObjectLockRetention{Mode: "GOVERNANCE", RetainUntilDate: aws.Time(clk.Now().Add(time.Hour))}})
			return err
		}(),
	} {
		if code, status := sdkErr(err); code != "InvalidRequest" || status != 400 {
			t.Errorf("%s on a bucket without lock: %q %d", name, code, status)
		}
	}
	_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("nolock"), Key: aws.String("k"), BypassGovernanceRetention: aws.Bool(true)})
	if code, _ := sdkErr(err); code != "InvalidArgument" {
		t.Fatalf("bypass header on a bucket without lock: %q", code)
	}
}

// TestSDKObjectLockDefaultsAndCopies: the bucket's default retention
// stamps new versions (PutObject, CopyObject, multipart), a copy keeps
// none of its source's lock, and lock headers on CreateMultipartUpload
// reach the completed object.
func TestSDKObjectLockDefaultsAndCopies(t *testing.T) {
	c := lockClient(niwatest.Start(t).AWSConfig())
	ctx := context.Background()
	lockBucket(t, c, "deflock")
	b := aws.String("deflock")
	if _, err := c.PutObjectLockConfiguration(ctx, &s3.PutObjectLockConfigurationInput{Bucket: b, ObjectLockConfiguration: &types.ObjectLockConfiguration{
		ObjectLockEnabled: types.ObjectLockEnabledEnabled,
		Rule:              &types.ObjectLockRule{DefaultRetention: &types.DefaultRetention{Mode: types.ObjectLockRetentionModeCompliance, Days: aws.Int32(1)}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("d"), Body: strings.NewReader("x")}); err != nil {
		t.Fatal(err)
	}
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: b, Key: aws.String("d")})
	if err != nil || head.ObjectLockMode != types.ObjectLockModeCompliance ||
		!aws.ToTime(head.ObjectLockRetainUntilDate).Equal(aws.ToTime(head.LastModified).AddDate(0, 0, 1)) {
		t.Fatalf("default retention: %v %v (last modified %v) %v", head.ObjectLockMode, head.ObjectLockRetainUntilDate, head.LastModified, err)
	}
	// A copy with its own headers overrides the default.
	until := time.Now().UTC().Add(48 * time.Hour).Truncate(time.Second)
	if _, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: b, Key: aws.String("c"), CopySource: aws.String("deflock/d"),
		ObjectLockMode: types.ObjectLockModeGovernance, ObjectLockRetainUntilDate: aws.Time(until), ObjectLockLegalHoldStatus: types.ObjectLockLegalHoldStatusOn}); err != nil {
		t.Fatal(err)
	}
	head, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: b, Key: aws.String("c")})
	if err != nil || head.ObjectLockMode != types.ObjectLockModeGovernance || !aws.ToTime(head.ObjectLockRetainUntilDate).Equal(until) ||
		head.ObjectLockLegalHoldStatus != types.ObjectLockLegalHoldStatusOn {
		t.Fatalf("copy with lock headers: %v %v %v %v", head.ObjectLockMode, head.ObjectLockRetainUntilDate, head.ObjectLockLegalHoldStatus, err)
	}
	cr, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: b, Key: aws.String("m"),
		ObjectLockMode: types.ObjectLockModeGovernance, ObjectLockRetainUntilDate: aws.Time(until)})
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: b, Key: aws.String("m"), UploadId: cr.UploadId, PartNumber: aws.Int32(1),
		Body: strings.NewReader("part"), ChecksumAlgorithm: types.ChecksumAlgorithmCrc32})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: b, Key: aws.String("m"), UploadId: cr.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{ETag: p.ETag, PartNumber: aws.Int32(1)}}}}); err != nil {
		t.Fatal(err)
	}
	g, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: aws.String("m")})
	if err != nil {
		t.Fatal(err)
	}
	g.Body.Close()
	if g.ObjectLockMode != types.ObjectLockModeGovernance || !aws.ToTime(g.ObjectLockRetainUntilDate).Equal(until) {
		t.Fatalf("multipart lock headers on GET: %v %v", g.ObjectLockMode, g.ObjectLockRetainUntilDate)
	}
}

// TestSDKBypassGovernancePermission: the bypass header needs
// s3:BypassGovernanceRetention; without it S3 refuses the request.
func TestSDKBypassGovernancePermission(t *testing.T) {
	n := niwatest.Start(t)
	c := lockClient(n.AWSConfig())
	ctx := context.Background()
	lockBucket(t, c, "govperm")
	b := aws.String("govperm")
	ic := iam.NewFromConfig(n.AWSConfig())
	for _, u := range []string{"keeper", "admin"} {
		if _, err := ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(u)}); err != nil {
			t.Fatal(err)
		}
	}
	allowS3 := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},` +
		`{"Effect":"Deny","Action":"s3:BypassGovernanceRetention","Resource":"*"}]}`
	if _, err := ic.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("keeper"), PolicyName: aws.String("p"), PolicyDocument: aws.String(allowS3)}); err != nil {
		t.Fatal(err)
	}
	if _, err := ic.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("admin"), PolicyName: aws.String("p"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	client := func(user string) *s3.Client {
		k, err := ic.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(user)})
		if err != nil {
			t.Fatal(err)
		}
		return lockClient(n.AWSConfigWith(aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey), ""))
	}
	keeper, admin := client("keeper"), client("admin")
	put, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("k"), Body: strings.NewReader("x"),
		ObjectLockMode: types.ObjectLockModeGovernance, ObjectLockRetainUntilDate: aws.Time(time.Now().Add(time.Hour))})
	if err != nil {
		t.Fatal(err)
	}
	del := &s3.DeleteObjectInput{Bucket: b, Key: aws.String("k"), VersionId: put.VersionId, BypassGovernanceRetention: aws.Bool(true)}
	_, err = keeper.DeleteObject(ctx, del)
	if code, status := sdkErr(err); code != "AccessDenied" || status != 403 {
		t.Fatalf("bypass without the permission: %q %d", code, status)
	}
	if _, err := admin.DeleteObject(ctx, del); err != nil {
		t.Fatalf("bypass with the permission: %v", err)
	}
}
