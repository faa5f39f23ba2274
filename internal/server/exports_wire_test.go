package server_test

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
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/niwa-cloud/niwa/niwatest"
)

// logsCall sends one CloudWatch Logs JSON request (go.mod carries no Logs
// SDK client) and decodes the answer into out.
func logsCall(t *testing.T, n *niwatest.Niwa, op string, in any, out any) rawResponse {
	t.Helper()
	body, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	r := signed(t, n, time.Now(), rootCreds, "logs", "POST", "/",
		map[string]string{"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "Logs_20140328." + op}, string(body))
	if r.status == 200 && out != nil {
		if err := json.Unmarshal([]byte(r.body), out); err != nil {
			t.Fatalf("%s: %v: %s", op, err, r.body)
		}
	}
	return r
}

// exportPolicy is the bucket policy AWS documents for Logs export tasks
// (CloudWatch Logs user guide, "Set permissions on an Amazon S3 bucket"),
// with the given account in its conditions.
func exportPolicy(bucket, region, account string) string {
	return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[
{"Effect":"Allow","Principal":{"Service":"logs.%[2]s.amazonaws.com"},"Action":"s3:GetBucketAcl","Resource":"arn:aws:s3:::%[1]s",
 "Condition":{"StringEquals":{"aws:SourceAccount":["%[3]s"]},"ArnLike":{"aws:SourceArn":["arn:aws:logs:%[2]s:%[3]s:log-group:*"]}}},
{"Effect":"Allow","Principal":{"Service":"logs.%[2]s.amazonaws.com"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::%[1]s/*",
 "Condition":{"StringEquals":{"s3:x-amz-acl":"bucket-owner-full-control","aws:SourceAccount":["%[3]s"]},"ArnLike":{"aws:SourceArn":["arn:aws:logs:%[2]s:%[3]s:log-group:*"]}}}]}`,
		bucket, region, account)
}

// TestLogsExportBucketPolicy: a Logs export task writes to S3 only when
// the bucket policy grants the Logs service principal, with the
// aws:SourceAccount and aws:SourceArn conditions AWS documents; without
// it (or with another account in the condition) CreateExportTask answers
// AWS's InvalidParameterException. With it the task completes and the
// gzip object lands at <prefix>/<taskId>/<stream>/000000.gz.
func TestLogsExportBucketPolicy(t *testing.T) {
	n := niwatest.Start(t)
	ctx := context.Background()
	s3c := s3.NewFromConfig(n.AWSConfig(), func(o *s3.Options) { o.UsePathStyle = true })
	const bucket = "export-wire"
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket),
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(n.Region)}}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		op string
		in any
	}{
		{"CreateLogGroup", map[string]any{"logGroupName": "/app"}},
		{"CreateLogStream", map[string]any{"logGroupName": "/app", "logStreamName": "web-1"}},
	} {
		if r := logsCall(t, n, c.op, c.in, nil); r.status != 200 {
			t.Fatalf("%s: %d %s", c.op, r.status, r.body)
		}
	}
	now := time.Now().UnixMilli()
	if r := logsCall(t, n, "PutLogEvents", map[string]any{"logGroupName": "/app", "logStreamName": "web-1",
		"logEvents": []map[string]any{{"timestamp": now, "message": "hello"}, {"timestamp": now + 1, "message": "world"}}}, nil); r.status != 200 {
		t.Fatalf("put events: %d %s", r.status, r.body)
	}
	create := map[string]any{"logGroupName": "/app", "from": now - 1000, "to": now + 1000, "destination": bucket, "destinationPrefix": "logs"}
	wantRefused := func(why string) {
		t.Helper()
		r := logsCall(t, n, "CreateExportTask", create, nil)
		if r.status != 400 || !strings.Contains(r.body, "InvalidParameterException") || !strings.Contains(r.body, "GetBucketAcl call on the given bucket failed") {
			t.Fatalf("%s: %d %s", why, r.status, r.body)
		}
	}
	wantRefused("no bucket policy")
	// A bucket of another region is refused even with the policy: the
	// bucket must be in the log group's region.
	far := s3.NewFromConfig(n.AWSConfig(), func(o *s3.Options) { o.UsePathStyle = true; o.Region = "eu-west-1" })
	if _, err := far.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("export-far"),
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: "eu-west-1"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := far.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("export-far"), Policy: aws.String(exportPolicy("export-far", n.Region, niwatest.Account))}); err != nil {
		t.Fatal(err)
	}
	farTask := map[string]any{"logGroupName": "/app", "from": now - 1000, "to": now + 1000, "destination": "export-far"}
	if r := logsCall(t, n, "CreateExportTask", farTask, nil); r.status != 400 || !strings.Contains(r.body, "different region") {
		t.Fatalf("bucket in another region: %d %s", r.status, r.body)
	}
	if _, err := s3c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(exportPolicy(bucket, n.Region, "111122223333"))}); err != nil {
		t.Fatal(err)
	}
	wantRefused("policy for another source account")
	if _, err := s3c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(exportPolicy(bucket, n.Region, niwatest.Account))}); err != nil {
		t.Fatal(err)
	}
	var task struct {
		TaskID string `json:"taskId"`
	}
	if r := logsCall(t, n, "CreateExportTask", create, &task); r.status != 200 || task.TaskID == "" {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		var d struct {
			ExportTasks []struct {
				Status struct{ Code, Message string } `json:"status"`
			} `json:"exportTasks"`
		}
		logsCall(t, n, "DescribeExportTasks", map[string]any{"taskId": task.TaskID}, &d)
		if len(d.ExportTasks) == 1 && d.ExportTasks[0].Status.Code == "COMPLETED" {
			break
		}
		if len(d.ExportTasks) == 1 && d.ExportTasks[0].Status.Code == "FAILED" || time.Now().After(deadline) {
			t.Fatalf("task: %+v", d)
		}
		time.Sleep(20 * time.Millisecond)
	}
	obj, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("logs/" + task.TaskID + "/web-1/000000.gz")})
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Body.Close()
	raw, _ := io.ReadAll(obj.Body)
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	text, _ := io.ReadAll(zr)
	stamp := time.UnixMilli(now).UTC().Format("2006-01-02T15:04:05.000Z")
	if !strings.HasPrefix(string(text), stamp+" hello\n") || !strings.HasSuffix(string(text), " world\n") {
		t.Fatalf("object text %q", text)
	}
	if _, err := s3c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("logs/aws-logs-write-test")}); err != nil {
		t.Fatalf("write test object: %v", err)
	}
}

// TestDynamoDBExportImportThroughS3: a DynamoDB export lands in a real
// S3 bucket in AWS's layout, and ImportTable reads its data files back
// into a new table.
func TestDynamoDBExportImportThroughS3(t *testing.T) {
	n := niwatest.Start(t)
	ctx := context.Background()
	s3c := s3.NewFromConfig(n.AWSConfig(), func(o *s3.Options) { o.UsePathStyle = true })
	db := dynamodb.NewFromConfig(n.AWSConfig())
	const bucket = "ddb-exports"
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket),
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(n.Region)}}); err != nil {
		t.Fatal(err)
	}
	key := []ddbtypes.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: ddbtypes.KeyTypeHash}}
	defs := []ddbtypes.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: ddbtypes.ScalarAttributeTypeS}}
	created, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{TableName: aws.String("orders"), BillingMode: ddbtypes.BillingModePayPerRequest, KeySchema: key, AttributeDefinitions: defs})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.UpdateContinuousBackups(ctx, &dynamodb.UpdateContinuousBackupsInput{TableName: aws.String("orders"),
		PointInTimeRecoverySpecification: &ddbtypes.PointInTimeRecoverySpecification{PointInTimeRecoveryEnabled: aws.Bool(true)}}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"o-1", "o-2", "o-3"} {
		if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("orders"), Item: map[string]ddbtypes.AttributeValue{
			"id": &ddbtypes.AttributeValueMemberS{Value: id}, "qty": &ddbtypes.AttributeValueMemberN{Value: "2"}}}); err != nil {
			t.Fatal(err)
		}
	}
	exp, err := db.ExportTableToPointInTime(ctx, &dynamodb.ExportTableToPointInTimeInput{TableArn: created.TableDescription.TableArn, S3Bucket: aws.String(bucket), S3Prefix: aws.String("nightly")})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	var done *ddbtypes.ExportDescription
	for {
		d, err := db.DescribeExport(ctx, &dynamodb.DescribeExportInput{ExportArn: exp.ExportDescription.ExportArn})
		if err != nil {
			t.Fatal(err)
		}
		if done = d.ExportDescription; done.ExportStatus != ddbtypes.ExportStatusInProgress || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if done.ExportStatus != ddbtypes.ExportStatusCompleted || aws.ToInt64(done.ItemCount) != 3 {
		t.Fatalf("export: %s %s %s", done.ExportStatus, aws.ToString(done.FailureCode), aws.ToString(done.FailureMessage))
	}
	arn := aws.ToString(done.ExportArn)
	dataPrefix := "nightly/AWSDynamoDB/" + arn[strings.LastIndex(arn, "/")+1:] + "/data/"
	list, err := s3c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(dataPrefix)})
	if err != nil || len(list.Contents) != 1 || !strings.HasSuffix(aws.ToString(list.Contents[0].Key), ".json.gz") {
		t.Fatalf("data files: %v %+v", err, list)
	}
	imp, err := db.ImportTable(ctx, &dynamodb.ImportTableInput{InputFormat: ddbtypes.InputFormatDynamodbJson, InputCompressionType: ddbtypes.InputCompressionTypeGzip,
		S3BucketSource:          &ddbtypes.S3BucketSource{S3Bucket: aws.String(bucket), S3KeyPrefix: aws.String(dataPrefix)},
		TableCreationParameters: &ddbtypes.TableCreationParameters{TableName: aws.String("orders-copy"), BillingMode: ddbtypes.BillingModePayPerRequest, KeySchema: key, AttributeDefinitions: defs}})
	if err != nil {
		t.Fatal(err)
	}
	var idone *ddbtypes.ImportTableDescription
	for {
		d, err := db.DescribeImport(ctx, &dynamodb.DescribeImportInput{ImportArn: imp.ImportTableDescription.ImportArn})
		if err != nil {
			t.Fatal(err)
		}
		if idone = d.ImportTableDescription; idone.ImportStatus != ddbtypes.ImportStatusInProgress || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if idone.ImportStatus != ddbtypes.ImportStatusCompleted || idone.ImportedItemCount != 3 || idone.ErrorCount != 0 {
		t.Fatalf("import: %+v", idone)
	}
	scan, err := db.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String("orders-copy")})
	if err != nil || scan.Count != 3 {
		t.Fatalf("scan: %v %+v", err, scan)
	}
}

// TestDynamoDBExportCrossAccountBucket: an export acts with the caller's
// identity, so a bucket of another account takes it only when its bucket
// policy grants the caller; otherwise the export fails S3AccessDenied.
func TestDynamoDBExportCrossAccountBucket(t *testing.T) {
	n := niwatest.Start(t, niwatest.WithAccessKey("OTHERACCOUNTKEY", "other-secret", "111122223333"))
	ctx := context.Background()
	owner := s3.NewFromConfig(n.AWSConfigWith("OTHERACCOUNTKEY", "other-secret", ""), func(o *s3.Options) { o.UsePathStyle = true })
	db := dynamodb.NewFromConfig(n.AWSConfig())
	const bucket = "shared-exports"
	if _, err := owner.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket),
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(n.Region)}}); err != nil {
		t.Fatal(err)
	}
	created, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{TableName: aws.String("t"), BillingMode: ddbtypes.BillingModePayPerRequest,
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: ddbtypes.KeyTypeHash}},
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: ddbtypes.ScalarAttributeTypeS}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.UpdateContinuousBackups(ctx, &dynamodb.UpdateContinuousBackupsInput{TableName: aws.String("t"),
		PointInTimeRecoverySpecification: &ddbtypes.PointInTimeRecoverySpecification{PointInTimeRecoveryEnabled: aws.Bool(true)}}); err != nil {
		t.Fatal(err)
	}
	export := func() *ddbtypes.ExportDescription {
		t.Helper()
		out, err := db.ExportTableToPointInTime(ctx, &dynamodb.ExportTableToPointInTimeInput{TableArn: created.TableDescription.TableArn,
			S3Bucket: aws.String(bucket), S3BucketOwner: aws.String("111122223333")})
		if err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(60 * time.Second)
		for {
			d, err := db.DescribeExport(ctx, &dynamodb.DescribeExportInput{ExportArn: out.ExportDescription.ExportArn})
			if err != nil {
				t.Fatal(err)
			}
			if d.ExportDescription.ExportStatus != ddbtypes.ExportStatusInProgress || time.Now().After(deadline) {
				return d.ExportDescription
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	if d := export(); d.ExportStatus != ddbtypes.ExportStatusFailed || aws.ToString(d.FailureCode) != "S3AccessDenied" {
		t.Fatalf("without a grant: %s %s", d.ExportStatus, aws.ToString(d.FailureCode))
	}
	grant := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::%s:root"},
"Action":["s3:PutObject","s3:AbortMultipartUpload","s3:PutObjectAcl"],"Resource":"arn:aws:s3:::%s/*"}]}`, niwatest.Account, bucket)
	if _, err := owner.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(grant)}); err != nil {
		t.Fatal(err)
	}
	if d := export(); d.ExportStatus != ddbtypes.ExportStatusCompleted {
		t.Fatalf("with a grant: %s %s %s", d.ExportStatus, aws.ToString(d.FailureCode), aws.ToString(d.FailureMessage))
	}
}
