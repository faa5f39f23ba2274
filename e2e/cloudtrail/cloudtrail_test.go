package cloudtrail

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

const account = "000000000000"

// trailPolicy is the bucket policy the CloudTrail user guide documents
// ("Amazon S3 bucket policy for CloudTrail"), scoped to one trail.
func trailPolicy(bucket, trailARN string) string {
	return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[
{"Sid":"AWSCloudTrailAclCheck20150319","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},
 "Action":"s3:GetBucketAcl","Resource":"arn:aws:s3:::%[1]s","Condition":{"StringEquals":{"aws:SourceArn":"%[2]s"}}},
{"Sid":"AWSCloudTrailWrite20150319","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},
 "Action":"s3:PutObject","Resource":"arn:aws:s3:::%[1]s/AWSLogs/%[3]s/*",
 "Condition":{"StringEquals":{"s3:x-amz-acl":"bucket-owner-full-control","aws:SourceArn":"%[2]s"}}}]}`, bucket, trailARN, account)
}

// keys lists the bucket's keys under prefix.
func keys(t *testing.T, c *s3.Client, bucket, prefix string) []string {
	t.Helper()
	out, err := c.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	if err != nil {
		t.Fatal(err)
	}
	var ks []string
	for _, o := range out.Contents {
		ks = append(ks, aws.ToString(o.Key))
	}
	return ks
}

// gunzipObject downloads an object and inflates it.
func gunzipObject(t *testing.T, c *s3.Client, bucket, key string) []byte {
	t.Helper()
	out, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = out.Body.Close() }()
	zr, err := gzip.NewReader(out.Body)
	if err != nil {
		t.Fatalf("%s is not gzip: %v", key, err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return plain
}

// TestTrailDeliversAndValidates is the CloudTrail tutorial with each CLI
// (the buckets, the IAM user and the upload are made with the Go SDK, to
// keep the test quick): a trail is refused without AWS's bucket policy,
// created with it, logs S3 data events; an upload by an IAM user is in
// the gzip log file the trail delivers once niwa's clock has moved five
// minutes, and lookup-events finds the buckets' creation. With CLI v1,
// validate-logs accepts the digest chain an hour later and reports the
// log file once it is tampered with. (CLI v2 before 2.13, Debian's, sends
// validate-logs' S3 calls to AWS whatever --endpoint-url says, so it
// cannot validate against niwa.)
func TestTrailDeliversAndValidates(t *testing.T) {
	for _, cli := range framework.CLIs {
		t.Run(cli.Name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			n := framework.StartBinary(t)
			s3c := framework.S3Client(n, false)
			start := n.ClockNow(t).Add(-time.Minute)
			bucket, data := "trail-logs-"+cli.Name, "hane-test-bucket-"+cli.Name
			name := "management-events"
			trailARN := fmt.Sprintf("arn:aws:cloudtrail:%s:%s:trail/%s", n.Region, account, name)
			for _, b := range []string{bucket, data} {
				if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b),
					CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(n.Region)}}); err != nil {
					t.Fatal(err)
				}
			}
			putPolicy := func(p string) {
				t.Helper()
				if _, err := s3c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(p)}); err != nil {
					t.Fatal(err)
				}
			}

			// Without a policy, and with one for another service, CreateTrail
			// refuses as AWS does.
			_, stderr, err := n.RunCLI(t, cli, nil, "cloudtrail", "create-trail", "--name", name, "--s3-bucket-name", bucket)
			if err == nil || !strings.Contains(stderr, "InsufficientS3BucketPolicyException") {
				t.Fatalf("create-trail without a bucket policy: %v\n%s", err, stderr)
			}
			putPolicy(strings.ReplaceAll(trailPolicy(bucket, trailARN), "cloudtrail.amazonaws.com", "logs.amazonaws.com"))
			_, stderr, err = n.RunCLI(t, cli, nil, "cloudtrail", "create-trail", "--name", name, "--s3-bucket-name", bucket)
			if err == nil || !strings.Contains(stderr, "InsufficientS3BucketPolicyException") || !strings.Contains(stderr, bucket) {
				t.Fatalf("create-trail with a policy for logs.amazonaws.com: %v\n%s", err, stderr)
			}

			putPolicy(trailPolicy(bucket, trailARN))
			var created struct{ TrailARN string }
			framework.CLIJSON(t, n, cli, &created, "cloudtrail", "create-trail", "--name", name, "--s3-bucket-name", bucket,
				"--enable-log-file-validation")
			if created.TrailARN != trailARN {
				t.Fatalf("TrailARN %q, want %q", created.TrailARN, trailARN)
			}
			n.MustCLI(t, cli, "cloudtrail", "put-event-selectors", "--trail-name", name, "--event-selectors",
				`[{"ReadWriteType":"All","IncludeManagementEvents":true,"DataResources":[{"Type":"AWS::S3::Object","Values":["arn:aws:s3:::`+data+`/"]}]}]`)
			n.MustCLI(t, cli, "cloudtrail", "start-logging", "--name", name)

			// An IAM user uploads hane.jpg.
			hane := s3.NewFromConfig(framework.IAMUser(t, n, "hane", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:PutObject","Resource":"*"}]}`),
				func(o *s3.Options) { o.UsePathStyle = true })
			if _, err := hane.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(data), Key: aws.String("hane.jpg"),
				Body: bytes.NewReader([]byte("\xff\xd8\xff\xe0 not really a jpeg"))}); err != nil {
				t.Fatal(err)
			}

			// Five minutes later on niwa's clock the log file is there.
			n.AdvanceClock(t, 6*time.Minute)
			logPrefix := "AWSLogs/" + account + "/CloudTrail/" + n.Region + "/"
			var logs []string
			framework.WaitUntil(t, 60*time.Second, func() bool {
				logs = keys(t, s3c, bucket, logPrefix)
				return len(logs) > 0
			}, "the trail's log file")
			var doc struct {
				Records []struct {
					EventName         string         `json:"eventName"`
					EventSource       string         `json:"eventSource"`
					EventCategory     string         `json:"eventCategory"`
					RequestParameters map[string]any `json:"requestParameters"`
					UserIdentity      struct {
						Type, UserName, ARN string
					} `json:"userIdentity"`
				}
			}
			if err := json.Unmarshal(gunzipObject(t, s3c, bucket, logs[0]), &doc); err != nil {
				t.Fatal(err)
			}
			found := false
			for _, r := range doc.Records {
				if r.EventName == "PutObject" && r.RequestParameters["key"] == "hane.jpg" {
					found = true
					if r.UserIdentity.Type != "IAMUser" || r.UserIdentity.UserName != "hane" || r.EventSource != "s3.amazonaws.com" || r.EventCategory != "Data" {
						t.Fatalf("PutObject record %+v", r)
					}
				}
			}
			if !found {
				t.Fatalf("no PutObject record of hane.jpg in %s: %+v", logs[0], doc.Records)
			}
			var status struct {
				IsLogging          bool
				LatestDeliveryTime any
			}
			framework.CLIJSON(t, n, cli, &status, "cloudtrail", "get-trail-status", "--name", name)
			if !status.IsLogging || status.LatestDeliveryTime == nil {
				t.Fatalf("get-trail-status %+v", status)
			}

			var looked struct {
				Events []struct{ EventName, Username, CloudTrailEvent string }
			}
			framework.CLIJSON(t, n, cli, &looked, "cloudtrail", "lookup-events", "--lookup-attributes",
				"AttributeKey=EventName,AttributeValue=CreateBucket")
			if len(looked.Events) != 2 || looked.Events[0].Username != "root" || !strings.Contains(looked.Events[0].CloudTrailEvent, `"eventName":"CreateBucket"`) {
				t.Fatalf("lookup-events: %+v", looked)
			}

			if cli.Name != "v1" {
				return
			}
			// An hour later the digest is written; the clock moves on until
			// a delivery pass has run past the hour.
			digestPrefix := "AWSLogs/" + account + "/CloudTrail-Digest/" + n.Region + "/"
			n.AdvanceClock(t, time.Hour)
			framework.WaitUntil(t, 60*time.Second, func() bool {
				if len(keys(t, s3c, bucket, digestPrefix)) > 0 {
					return true
				}
				n.AdvanceClock(t, 5*time.Minute)
				return false
			}, "the digest file")
			end := n.ClockNow(t).Add(time.Minute)
			args := []string{"cloudtrail", "validate-logs", "--trail-arn", trailARN,
				"--start-time", start.UTC().Format(time.RFC3339), "--end-time", end.UTC().Format(time.RFC3339), "--verbose"}
			out, stderr, err := n.RunCLI(t, cli, nil, args...)
			if err != nil || !strings.Contains(out, "1/1 digest files valid") || !strings.Contains(out, "log files valid") || strings.Contains(out, "INVALID") {
				t.Fatalf("validate-logs: %v\n%s\n%s", err, out, stderr)
			}

			// Tampering with the log file is found.
			var buf bytes.Buffer
			zw := gzip.NewWriter(&buf)
			_, _ = zw.Write([]byte(`{"Records":[]}`))
			_ = zw.Close()
			if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(logs[0]), Body: bytes.NewReader(buf.Bytes())}); err != nil {
				t.Fatal(err)
			}
			out, stderr, err = n.RunCLI(t, cli, nil, args...)
			if err == nil || !strings.Contains(out+stderr, "INVALID: hash value doesn't match") {
				t.Fatalf("validate-logs after tampering: %v\n%s\n%s", err, out, stderr)
			}
		})
	}
}
