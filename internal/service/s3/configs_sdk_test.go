package s3_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/niwa-cloud/niwa/niwatest"
)

func TestSDKBucketIDConfigurations(t *testing.T) {
	c, _ := sdkClient(t)
	ctx := context.Background()
	sdkBucket(t, c, "cfgs")
	b := aws.String("cfgs")

	inv := func(id string) *types.InventoryConfiguration {
		return &types.InventoryConfiguration{Id: aws.String(id), IsEnabled: aws.Bool(true), IncludedObjectVersions: types.InventoryIncludedObjectVersionsCurrent,
			Schedule:    &types.InventorySchedule{Frequency: types.InventoryFrequencyDaily},
			Destination: &types.InventoryDestination{S3BucketDestination: &types.InventoryS3BucketDestination{Bucket: aws.String("arn:aws:s3:::reports"), Format: types.InventoryFormatCsv}}}
	}
	if _, err := c.PutBucketInventoryConfiguration(ctx, &s3.PutBucketInventoryConfigurationInput{Bucket: b, Id: aws.String("daily"), InventoryConfiguration: inv("daily")}); err != nil {
		t.Fatal(err)
	}
	got, err := c.GetBucketInventoryConfiguration(ctx, &s3.GetBucketInventoryConfigurationInput{Bucket: b, Id: aws.String("daily")})
	if err != nil || aws.ToString(got.InventoryConfiguration.Destination.S3BucketDestination.Bucket) != "arn:aws:s3:::reports" ||
		got.InventoryConfiguration.Schedule.Frequency != types.InventoryFrequencyDaily {
		t.Fatalf("GetBucketInventoryConfiguration: %+v %v", got, err)
	}
	_, err = c.PutBucketInventoryConfiguration(ctx, &s3.PutBucketInventoryConfigurationInput{Bucket: b, Id: aws.String("other"), InventoryConfiguration: inv("daily")})
	if code, _ := sdkErr(err); code != "InvalidArgument" {
		t.Fatalf("id mismatch: %q", code)
	}
	_, err = c.PutBucketInventoryConfiguration(ctx, &s3.PutBucketInventoryConfigurationInput{Bucket: b, Id: aws.String("bad id!"), InventoryConfiguration: inv("bad id!")})
	if code, _ := sdkErr(err); code != "InvalidArgument" {
		t.Fatalf("bad id: %q", code)
	}

	// Metrics: stored, paged by 100, NoSuchConfiguration once deleted.
	for i := 0; i < 105; i++ {
		id := fmt.Sprintf("m%03d", i)
		if _, err := c.PutBucketMetricsConfiguration(ctx, &s3.PutBucketMetricsConfigurationInput{Bucket: b, Id: aws.String(id),
			MetricsConfiguration: &types.MetricsConfiguration{Id: aws.String(id), Filter: &types.MetricsFilterMemberPrefix{Value: "logs/"}}}); err != nil {
			t.Fatal(err)
		}
	}
	page, err := c.ListBucketMetricsConfigurations(ctx, &s3.ListBucketMetricsConfigurationsInput{Bucket: b})
	if err != nil || len(page.MetricsConfigurationList) != 100 || !aws.ToBool(page.IsTruncated) || page.NextContinuationToken == nil {
		t.Fatalf("first metrics page: %d %v %v", len(page.MetricsConfigurationList), page.IsTruncated, err)
	}
	page, err = c.ListBucketMetricsConfigurations(ctx, &s3.ListBucketMetricsConfigurationsInput{Bucket: b, ContinuationToken: page.NextContinuationToken})
	if err != nil || len(page.MetricsConfigurationList) != 5 || aws.ToBool(page.IsTruncated) || aws.ToString(page.MetricsConfigurationList[0].Id) != "m100" {
		t.Fatalf("second metrics page: %+v %v", page, err)
	}
	if _, err := c.DeleteBucketMetricsConfiguration(ctx, &s3.DeleteBucketMetricsConfigurationInput{Bucket: b, Id: aws.String("m000")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetBucketMetricsConfiguration(ctx, &s3.GetBucketMetricsConfigurationInput{Bucket: b, Id: aws.String("m000")})
	if code, status := sdkErr(err); code != "NoSuchConfiguration" || status != 404 {
		t.Fatalf("deleted metrics configuration: %q %d", code, status)
	}
	_, err = c.DeleteBucketMetricsConfiguration(ctx, &s3.DeleteBucketMetricsConfigurationInput{Bucket: b, Id: aws.String("m000")})
	if code, _ := sdkErr(err); code != "NoSuchConfiguration" {
		t.Fatalf("deleting twice: %q", code)
	}

	// Analytics and Intelligent-Tiering.
	if _, err := c.PutBucketAnalyticsConfiguration(ctx, &s3.PutBucketAnalyticsConfigurationInput{Bucket: b, Id: aws.String("a"),
		AnalyticsConfiguration: &types.AnalyticsConfiguration{Id: aws.String("a"), StorageClassAnalysis: &types.StorageClassAnalysis{}}}); err != nil {
		t.Fatal(err)
	}
	al, err := c.ListBucketAnalyticsConfigurations(ctx, &s3.ListBucketAnalyticsConfigurationsInput{Bucket: b})
	if err != nil || len(al.AnalyticsConfigurationList) != 1 {
		t.Fatalf("analytics list: %+v %v", al, err)
	}
	tiering := func(days int32) *types.IntelligentTieringConfiguration {
		return &types.IntelligentTieringConfiguration{Id: aws.String("it"), Status: types.IntelligentTieringStatusEnabled,
			Tierings: []types.Tiering{{AccessTier: types.IntelligentTieringAccessTierArchiveAccess, Days: aws.Int32(days)}}}
	}
	_, err = c.PutBucketIntelligentTieringConfiguration(ctx, &s3.PutBucketIntelligentTieringConfigurationInput{Bucket: b, Id: aws.String("it"), IntelligentTieringConfiguration: tiering(30)})
	if code, _ := sdkErr(err); code != "InvalidArgument" {
		t.Fatalf("archive access after 30 days: %q", code)
	}
	if _, err := c.PutBucketIntelligentTieringConfiguration(ctx, &s3.PutBucketIntelligentTieringConfigurationInput{Bucket: b, Id: aws.String("it"), IntelligentTieringConfiguration: tiering(90)}); err != nil {
		t.Fatal(err)
	}
	it, err := c.GetBucketIntelligentTieringConfiguration(ctx, &s3.GetBucketIntelligentTieringConfigurationInput{Bucket: b, Id: aws.String("it")})
	if err != nil || aws.ToInt32(it.IntelligentTieringConfiguration.Tierings[0].Days) != 90 {
		t.Fatalf("intelligent tiering: %+v %v", it, err)
	}

	// Configurations go with their bucket.
	if _, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: b}); err != nil {
		t.Fatal(err)
	}
	sdkBucket(t, c, "cfgs")
	_, err = c.GetBucketInventoryConfiguration(ctx, &s3.GetBucketInventoryConfigurationInput{Bucket: b, Id: aws.String("daily")})
	if code, _ := sdkErr(err); code != "NoSuchConfiguration" {
		t.Fatalf("configuration of a deleted bucket: %q", code)
	}
}

func TestSDKAccelerateAndRequestPayment(t *testing.T) {
	c, _ := sdkClient(t)
	ctx := context.Background()
	sdkBucket(t, c, "fast")
	sdkBucket(t, c, "has.dots")
	if _, err := c.PutBucketAccelerateConfiguration(ctx, &s3.PutBucketAccelerateConfigurationInput{Bucket: aws.String("fast"),
		AccelerateConfiguration: &types.AccelerateConfiguration{Status: types.BucketAccelerateStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	acc, err := c.GetBucketAccelerateConfiguration(ctx, &s3.GetBucketAccelerateConfigurationInput{Bucket: aws.String("fast")})
	if err != nil || acc.Status != types.BucketAccelerateStatusEnabled {
		t.Fatalf("accelerate: %v %v", acc.Status, err)
	}
	_, err = c.PutBucketAccelerateConfiguration(ctx, &s3.PutBucketAccelerateConfigurationInput{Bucket: aws.String("has.dots"),
		AccelerateConfiguration: &types.AccelerateConfiguration{Status: types.BucketAccelerateStatusEnabled}})
	if code, status := sdkErr(err); code != "InvalidRequest" || status != 400 {
		t.Fatalf("accelerate on a dotted name: %q %d", code, status)
	}
	if _, err := c.PutBucketRequestPayment(ctx, &s3.PutBucketRequestPaymentInput{Bucket: aws.String("fast"),
		RequestPaymentConfiguration: &types.RequestPaymentConfiguration{Payer: types.PayerRequester}}); err != nil {
		t.Fatal(err)
	}
	rp, err := c.GetBucketRequestPayment(ctx, &s3.GetBucketRequestPaymentInput{Bucket: aws.String("fast")})
	if err != nil || rp.Payer != types.PayerRequester {
		t.Fatalf("request payment: %v %v", rp.Payer, err)
	}
}

// TestSDKExpectedBucketOwner: a request naming another expected owner is
// 403 AccessDenied, on bucket and object operations and a copy's source.
func TestSDKExpectedBucketOwner(t *testing.T) {
	c, _ := sdkClient(t)
	ctx := context.Background()
	sdkBucket(t, c, "owned")
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("owned"), Key: aws.String("k"), Body: strings.NewReader("x")}); err != nil {
		t.Fatal(err)
	}
	mine, other := aws.String(niwatest.Account), aws.String("999999999999")
	calls := map[string]func(owner *string) error{
		"GetBucketVersioning": func(o *string) error {
			_, err := c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String("owned"), ExpectedBucketOwner: o})
			return err
		},
		"ListObjectsV2": func(o *string) error {
			_, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("owned"), ExpectedBucketOwner: o})
			return err
		},
		"GetObject": func(o *string) error {
			out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("owned"), Key: aws.String("k"), ExpectedBucketOwner: o})
			if err == nil {
				out.Body.Close()
			}
			return err
		},
		"CopyObject source": func(o *string) error {
			_, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("owned"), Key: aws.String("k2"), CopySource: aws.String("owned/k"), ExpectedSourceBucketOwner: o})
			return err
		},
	}
	for name, call := range calls {
		if err := call(mine); err != nil {
			t.Errorf("%s with the right owner: %v", name, err)
		}
		if code, status := sdkErr(call(other)); code != "AccessDenied" || status != 403 {
			t.Errorf("%s with another owner: %q %d", name, code, status)
		}
	}
}

// TestSDKRequesterPays: another account reads a Requester Pays bucket only
// with x-amz-request-payer: requester; the owner needs no header.
func TestSDKRequesterPays(t *testing.T) {
	n := niwatest.Start(t, niwatest.WithAccessKey("AKIAOTHERACCOUNT0002", "othersecret", "222222222222"))
	mine := s3.NewFromConfig(n.AWSConfig(), func(o *s3.Options) { o.UsePathStyle = true })
	theirs := s3.NewFromConfig(n.AWSConfigWith("AKIAOTHERACCOUNT0002", "othersecret", ""), func(o *s3.Options) { o.UsePathStyle = true })
	ctx := context.Background()
	sdkBucket(t, mine, "payer")
	b := aws.String("payer")
	if _, err := mine.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("k"), Body: strings.NewReader("x")}); err != nil {
		t.Fatal(err)
	}
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::payer/*"}]}`
	if _, err := mine.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: b, Policy: aws.String(policy)}); err != nil {
		t.Fatal(err)
	}
	get := func(c *s3.Client, payer types.RequestPayer) error {
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: aws.String("k"), RequestPayer: payer})
		if err == nil {
			out.Body.Close()
		}
		return err
	}
	if err := get(theirs, ""); err != nil {
		t.Fatalf("cross-account read before Requester Pays: %v", err)
	}
	if _, err := mine.PutBucketRequestPayment(ctx, &s3.PutBucketRequestPaymentInput{Bucket: b,
		RequestPaymentConfiguration: &types.RequestPaymentConfiguration{Payer: types.PayerRequester}}); err != nil {
		t.Fatal(err)
	}
	if code, status := sdkErr(get(theirs, "")); code != "AccessDenied" || status != 403 {
		t.Fatalf("another account without x-amz-request-payer: %q %d", code, status)
	}
	if err := get(theirs, types.RequestPayerRequester); err != nil {
		t.Fatalf("another account accepting the charges: %v", err)
	}
	if err := get(mine, ""); err != nil {
		t.Fatalf("the owner: %v", err)
	}
}
