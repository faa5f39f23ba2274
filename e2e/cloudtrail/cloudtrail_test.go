package cloudtrail

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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

// listKeys lists the bucket's keys under prefix.
func listKeys(t *testing.T, n *framework.Niwa, cli framework.CLI, bucket, prefix string) []string {
	t.Helper()
	var out struct {
		Contents []struct{ Key string }
	}
	framework.CLIJSON(t, n, cli, &out, "s3api", "list-objects-v2", "--bucket", bucket, "--prefix", prefix)
	var keys []string
	for _, c := range out.Contents {
		keys = append(keys, c.Key)
	}
	return keys
}

// getGunzip downloads an object and inflates it.
func getGunzip(t *testing.T, n *framework.Niwa, cli framework.CLI, bucket, key string) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "obj.gz")
	n.MustCLI(t, cli, "s3api", "get-object", "--bucket", bucket, "--key", key, path)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s is not gzip: %v", key, err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return plain
}

// TestTrailDeliversAndValidates is the CloudTrail tutorial with each CLI:
// a trail is refused without AWS's bucket policy, created with it, logs
// S3 data events; an upload by an IAM user is in the gzip log file the
// trail delivers once niwa's clock has moved five minutes, and
// lookup-events finds the bucket's creation. With CLI v1, validate-logs
// accepts the digest chain an hour later and reports the log file once it
// is tampered with. (CLI v2 before 2.13, Debian's, sends validate-logs'
// S3 calls to AWS whatever --endpoint-url says, so it cannot validate
// against niwa.)
func TestTrailDeliversAndValidates(t *testing.T) {
	for _, cli := range framework.CLIs {
		t.Run(cli.Name, func(t *testing.T) {
			t.Parallel()
			n := framework.StartBinary(t)
			start := n.ClockNow(t).Add(-time.Minute)
			bucket := "trail-logs-" + cli.Name
			name := "management-events"
			trailARN := fmt.Sprintf("arn:aws:cloudtrail:%s:%s:trail/%s", n.Region, account, name)
			for _, b := range []string{bucket, "hane-test-bucket-" + cli.Name} {
				n.MustCLI(t, cli, "s3api", "create-bucket", "--bucket", b, "--create-bucket-configuration", "LocationConstraint="+n.Region)
			}

			// Without a policy, and with one for another service, CreateTrail
			// refuses as AWS does.
			_, stderr, err := n.RunCLI(t, cli, nil, "cloudtrail", "create-trail", "--name", name, "--s3-bucket-name", bucket)
			if err == nil || !strings.Contains(stderr, "InsufficientS3BucketPolicyException") {
				t.Fatalf("create-trail without a bucket policy: %v\n%s", err, stderr)
			}
			if cli.Name == "v1" {
				n.MustCLI(t, cli, "s3api", "put-bucket-policy", "--bucket", bucket, "--policy",
					strings.ReplaceAll(trailPolicy(bucket, trailARN), "cloudtrail.amazonaws.com", "logs.amazonaws.com"))
				_, stderr, err = n.RunCLI(t, cli, nil, "cloudtrail", "create-trail", "--name", name, "--s3-bucket-name", bucket)
				if err == nil || !strings.Contains(stderr, "InsufficientS3BucketPolicyException") || !strings.Contains(stderr, bucket) {
					t.Fatalf("create-trail with a policy for logs.amazonaws.com: %v\n%s", err, stderr)
				}
			}

			n.MustCLI(t, cli, "s3api", "put-bucket-policy", "--bucket", bucket, "--policy", trailPolicy(bucket, trailARN))
			var created struct{ TrailARN string }
			framework.CLIJSON(t, n, cli, &created, "cloudtrail", "create-trail", "--name", name, "--s3-bucket-name", bucket,
				"--enable-log-file-validation")
			if created.TrailARN != trailARN {
				t.Fatalf("TrailARN %q, want %q", created.TrailARN, trailARN)
			}
			n.MustCLI(t, cli, "cloudtrail", "put-event-selectors", "--trail-name", name, "--event-selectors",
				`[{"ReadWriteType":"All","IncludeManagementEvents":true,"DataResources":[{"Type":"AWS::S3::Object","Values":["arn:aws:s3:::hane-test-bucket-`+cli.Name+`/"]}]}]`)
			n.MustCLI(t, cli, "cloudtrail", "start-logging", "--name", name)

			// An IAM user uploads hane.jpg.
			n.MustCLI(t, cli, "iam", "create-user", "--user-name", "hane")
			n.MustCLI(t, cli, "iam", "put-user-policy", "--user-name", "hane", "--policy-name", "upload", "--policy-document",
				`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:PutObject","Resource":"*"}]}`)
			var key struct {
				AccessKey struct{ AccessKeyId, SecretAccessKey string }
			}
			framework.CLIJSON(t, n, cli, &key, "iam", "create-access-key", "--user-name", "hane")
			img := filepath.Join(t.TempDir(), "hane.jpg")
			if err := os.WriteFile(img, []byte("\xff\xd8\xff\xe0 not really a jpeg"), 0o644); err != nil {
				t.Fatal(err)
			}
			framework.WaitUntil(t, 30*time.Second, func() bool {
				// A new key is usable at once; the wait covers a loaded machine.
				_, _, err := n.RunCLI(t, cli, []string{"AWS_ACCESS_KEY_ID=" + key.AccessKey.AccessKeyId, "AWS_SECRET_ACCESS_KEY=" + key.AccessKey.SecretAccessKey},
					"s3api", "put-object", "--bucket", "hane-test-bucket-"+cli.Name, "--key", "hane.jpg", "--body", img)
				return err == nil
			}, "hane's upload")

			// Five minutes later on niwa's clock the log file is there.
			n.AdvanceClock(t, 6*time.Minute)
			logPrefix := "AWSLogs/" + account + "/CloudTrail/" + n.Region + "/"
			var logs []string
			framework.WaitUntil(t, 60*time.Second, func() bool {
				logs = listKeys(t, n, cli, bucket, logPrefix)
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
			if err := json.Unmarshal(getGunzip(t, n, cli, bucket, logs[0]), &doc); err != nil {
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
				if len(listKeys(t, n, cli, bucket, digestPrefix)) > 0 {
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
			forged := filepath.Join(t.TempDir(), "forged.json.gz")
			if err := os.WriteFile(forged, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			n.MustCLI(t, cli, "s3api", "put-object", "--bucket", bucket, "--key", logs[0], "--body", forged)
			out, stderr, err = n.RunCLI(t, cli, nil, args...)
			if err == nil || !strings.Contains(out+stderr, "INVALID: hash value doesn't match") {
				t.Fatalf("validate-logs after tampering: %v\n%s\n%s", err, out, stderr)
			}
		})
	}
}
