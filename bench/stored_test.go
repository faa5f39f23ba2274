package main

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/niwa-cloud/niwa/niwatest"
)

// TestStoreDataSet stores a small data set on an in-process niwa and
// checks that what storeDataSet says it stored is there: every object,
// item and message, and the byte count the growth per MiB divides by.
func TestStoreDataSet(t *testing.T) {
	n := niwatest.Start(t)
	cfg := n.AWSConfig()
	ctx := context.Background()
	plan := storedPlan{s3Bytes: 40 << 10, ddbBytes: 30 << 10, sqsBytes: 130 << 10, sqsMessage: 1024, prefix: "stored-test"}
	stored, records, err := storeDataSet(ctx, cfg, plan, 3)
	if err != nil {
		t.Fatal(err)
	}

	// The objects: sizes 1, 6, 3, 8, 5, 2, 7 KiB … until 40 KiB is reached.
	var wantObjects int
	var s3Bytes int64
	for s3Bytes < plan.s3Bytes {
		s3Bytes += int64(storedObjectSize(wantObjects))
		wantObjects++
	}
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	list, err := s3c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(plan.prefix)})
	if err != nil {
		t.Fatal(err)
	}
	var listed int64
	for _, o := range list.Contents {
		listed += aws.ToInt64(o.Size)
	}
	if len(list.Contents) != wantObjects || listed != s3Bytes {
		t.Errorf("bucket holds %d objects, %d bytes; want %d, %d", len(list.Contents), listed, wantObjects, s3Bytes)
	}
	obj, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(plan.prefix), Key: aws.String("obj/0000001")})
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	_, _ = body.ReadFrom(obj.Body)
	_ = obj.Body.Close()
	if !bytes.Equal(body.Bytes(), storedBody(1, storedObjectSize(1))) {
		t.Errorf("object 1 reads back %d bytes, not what was put", body.Len())
	}

	scan, err := dynamodb.NewFromConfig(cfg).Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(plan.prefix), Select: ddbtypes.SelectCount})
	if err != nil {
		t.Fatal(err)
	}
	itemSize := int64(len("pk") + len("item-0000000") + len("n") + len("data") + storedItemData) // + the number's digits
	wantItems := 0
	var ddbBytes int64
	for ddbBytes < plan.ddbBytes {
		ddbBytes += itemSize + int64(len(strconv.Itoa(wantItems)))
		wantItems++
	}
	if int(scan.Count) != wantItems {
		t.Errorf("table holds %d items, want %d", scan.Count, wantItems)
	}

	// 130 messages: 120 in the first queue, 10 in the second.
	sq := sqs.NewFromConfig(cfg)
	wantMessages := 0
	for q, want := range []int{storedPerQueue, 130 - storedPerQueue} {
		qurl, err := sq.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(fmt.Sprintf("%s-%03d", plan.prefix, q))})
		if err != nil {
			t.Fatal(err)
		}
		attrs, err := sq.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
			QueueUrl:       qurl.QueueUrl,
			AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages},
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := attrs.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessages)]; got != strconv.Itoa(want) {
			t.Errorf("queue %d holds %s messages, want %d", q, got, want)
		}
		wantMessages += want
	}
	if _, err := sq.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(plan.prefix + "-002")}); err == nil {
		t.Error("a third queue was made for 130 messages")
	}

	if want := s3Bytes + ddbBytes + int64(wantMessages*plan.sqsMessage); stored != want {
		t.Errorf("stored = %d bytes, want %d", stored, want)
	}
	if want := wantObjects + wantItems + wantMessages; records != want {
		t.Errorf("records = %d, want %d", records, want)
	}
}

// TestPrintStored pins the growth figures: RSS difference over the
// user bytes stored, overall and per kind of page.
func TestPrintStored(t *testing.T) {
	var out bytes.Buffer
	printStored(&out, []string{"niwa", "moto"}, map[string]storedResult{
		"niwa": {before: procMemory{rss: 20 << 10, anon: 12 << 10, file: 8 << 10}, after: procMemory{rss: 140 << 10, anon: 128 << 10, file: 12 << 10},
			settled: procMemory{rss: 110 << 10, anon: 100 << 10, file: 10 << 10}, stored: 60 << 20, records: 1000},
		"moto": {before: procMemory{rss: 130 << 10, anon: 110 << 10, file: 20 << 10}, after: procMemory{rss: 250 << 10, anon: 230 << 10, file: 20 << 10},
			settled: procMemory{rss: 250 << 10, anon: 230 << 10, file: 20 << 10}, stored: 60 << 20, records: 1000},
	})
	for _, want := range []string{
		"60.0 MiB of user data in 1000 records",
		"| RSS right after | 140.0 MiB (128.0 MiB + 12.0 MiB) | 250.0 MiB (230.0 MiB + 20.0 MiB) |",
		"| **RSS growth per stored MiB, right after** | **2.00 MiB** | **2.00 MiB** |",
		"| – anonymous / file-backed | 1.93 MiB / 0.07 MiB | 2.00 MiB / 0.00 MiB |",
		"| **RSS growth per stored MiB, 3 s later** | **1.50 MiB** | **2.00 MiB** |",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("missing %q in\n%s", want, out.String())
		}
	}
	if !selectStored("") || !selectStored("stored") || selectStored("S3") {
		t.Error("selectStored: the data set runs with no filter and with -workload stored only")
	}
}
