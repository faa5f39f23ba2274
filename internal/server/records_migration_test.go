package server_test

import (
	"context"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/niwa-cloud/niwa/internal/storage"
	"github.com/niwa-cloud/niwa/niwatest"
)

// TestDataDirFromJSONRecords: a --data-dir written by niwa before stored
// records had a binary form (testdata/datadir-json: the dynamodb, s3 and
// sqs stores and blobs of niwa at commit 3c9e1cd, after a table with a GSI
// and three items of every attribute type, two buckets with objects,
// metadata, tags, versions and a delete marker, and a standard and a FIFO
// queue with messages) is served as it was; records written after the
// upgrade are binary, the ones never rewritten stay JSON and keep being
// read, across another restart.
func TestDataDirFromJSONRecords(t *testing.T) {
	dir := t.TempDir()
	copyDir(t, "testdata/datadir-json", dir)
	// The fixture's clock: its messages were sent at this time and would
	// have expired by the wall clock.
	at := time.Date(2026, 12, 1, 0, 1, 0, 0, time.UTC)
	start := func(t *testing.T) aws.Config {
		n := niwatest.Start(t, niwatest.WithDataDir(dir), niwatest.WithSkipSignatureValidation(),
			niwatest.WithClock(niwatest.NewFakeClock(at)))
		return n.AWSConfig()
	}
	ctx := context.Background()
	key := func(sk string) map[string]ddbtypes.AttributeValue {
		return map[string]ddbtypes.AttributeValue{"pk": &ddbtypes.AttributeValueMemberS{Value: "p"}, "sk": &ddbtypes.AttributeValueMemberN{Value: sk}}
	}
	var queueURL, fifoURL string

	t.Run("upgrade", func(t *testing.T) {
		cfg := start(t)
		db := dynamodb.NewFromConfig(cfg)
		got, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("legacy"), Key: key("2")})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]ddbtypes.AttributeValue{
			"pk": &ddbtypes.AttributeValueMemberS{Value: "p"}, "sk": &ddbtypes.AttributeValueMemberN{Value: "2"},
			"g": &ddbtypes.AttributeValueMemberS{Value: "g2"}, "bin": &ddbtypes.AttributeValueMemberB{Value: []byte{0, 1, 1}},
			"empty": &ddbtypes.AttributeValueMemberS{Value: ""}, "ss": &ddbtypes.AttributeValueMemberSS{Value: []string{"a", "b"}},
			"ns": &ddbtypes.AttributeValueMemberNS{Value: []string{"1", "-2.5"}}, "bs": &ddbtypes.AttributeValueMemberBS{Value: [][]byte{{1}, {2, 3}}},
			"nul": &ddbtypes.AttributeValueMemberNULL{Value: true}, "ok": &ddbtypes.AttributeValueMemberBOOL{Value: false},
			"m": &ddbtypes.AttributeValueMemberM{Value: map[string]ddbtypes.AttributeValue{
				"l": &ddbtypes.AttributeValueMemberL{Value: []ddbtypes.AttributeValue{&ddbtypes.AttributeValueMemberS{Value: "x"},
					&ddbtypes.AttributeValueMemberN{Value: "7"}, &ddbtypes.AttributeValueMemberM{Value: map[string]ddbtypes.AttributeValue{}}}},
				"eb":   &ddbtypes.AttributeValueMemberB{Value: []byte{}},
				"deep": &ddbtypes.AttributeValueMemberM{Value: map[string]ddbtypes.AttributeValue{"z": &ddbtypes.AttributeValueMemberBOOL{Value: false}}},
			}},
		}
		if !reflect.DeepEqual(got.Item, want) {
			t.Fatalf("old item read as\n%#v\nwant\n%#v", got.Item, want)
		}
		q, err := db.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("legacy"), IndexName: aws.String("byg"),
			KeyConditionExpression: aws.String("g = :g"), ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":g": &ddbtypes.AttributeValueMemberS{Value: "g3.5"}}})
		if err != nil || len(q.Items) != 1 {
			t.Fatalf("Query on the old GSI: %v, %v", q, err)
		}
		// Rewrite one old item, add a new one.
		if _, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String("legacy"), Key: key("1"),
			UpdateExpression: aws.String("SET ok = :f"), ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":f": &ddbtypes.AttributeValueMemberBOOL{Value: false}}}); err != nil {
			t.Fatal(err)
		}
		item := key("4")
		item["g"] = &ddbtypes.AttributeValueMemberS{Value: "g4"}
		if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("legacy"), Item: item}); err != nil {
			t.Fatal(err)
		}

		s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
		if body := getBody(t, s3c, "legacy", "plain.txt"); body != "hello, old world" {
			t.Errorf("old object body %q", body)
		}
		h, err := s3c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("legacy"), Key: aws.String("dir/meta.json"), ChecksumMode: "ENABLED"})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(h.ContentType) != "application/json" || aws.ToString(h.CacheControl) != "max-age=60" ||
			!reflect.DeepEqual(h.Metadata, map[string]string{"color": "blue", "x-y": "z"}) || aws.ToString(h.ChecksumSHA256) == "" || aws.ToInt32(h.TagCount) != 2 {
			t.Errorf("old object's headers: type %q, cache %q, metadata %v, sha256 %q, tags %d",
				aws.ToString(h.ContentType), aws.ToString(h.CacheControl), h.Metadata, aws.ToString(h.ChecksumSHA256), aws.ToInt32(h.TagCount))
		}
		v, err := s3c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String("legacy-versions")})
		if err != nil || len(v.Versions) != 2 || len(v.DeleteMarkers) != 1 {
			t.Fatalf("old versions: %v, %v", v, err)
		}
		old, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("legacy-versions"), Key: aws.String("v"), VersionId: v.Versions[1].VersionId})
		if err != nil {
			t.Fatal(err)
		}
		if b, _ := io.ReadAll(old.Body); string(b) != "one" {
			t.Errorf("oldest version %q", b)
		}
		old.Body.Close()
		if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("legacy"), Key: aws.String("new.txt"), Body: strings.NewReader("new"),
			Metadata: map[string]string{"k": "v"}}); err != nil {
			t.Fatal(err)
		}

		sq := sqs.NewFromConfig(cfg)
		u, err := sq.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("legacy")})
		if err != nil {
			t.Fatal(err)
		}
		queueURL = *u.QueueUrl
		r, err := sq.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: u.QueueUrl, MaxNumberOfMessages: 10, MessageAttributeNames: []string{"All"}, VisibilityTimeout: 600})
		if err != nil || len(r.Messages) != 2 {
			t.Fatalf("old messages: %v, %v", r, err)
		}
		bodies := map[string]sqstypes.Message{}
		for _, m := range r.Messages {
			bodies[*m.Body] = m
		}
		first, ok := bodies["first"]
		if _, ok2 := bodies["second"]; !ok || !ok2 {
			t.Fatalf("old message bodies: %v", bodies)
		}
		wantAttrs := map[string]sqstypes.MessageAttributeValue{
			"s": {DataType: aws.String("String"), StringValue: aws.String("v")},
			"b": {DataType: aws.String("Binary"), BinaryValue: []byte{9, 8}},
			"n": {DataType: aws.String("Number.int"), StringValue: aws.String("42")},
		}
		if !reflect.DeepEqual(first.MessageAttributes, wantAttrs) {
			t.Errorf("old message's attributes %#v", first.MessageAttributes)
		}
		fu, err := sq.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("legacy.fifo")})
		if err != nil {
			t.Fatal(err)
		}
		fifoURL = *fu.QueueUrl
	})

	t.Run("stored forms", func(t *testing.T) {
		forms := storedForms(t, dir)
		for rec, want := range map[string]bool{
			"dynamodb item legacy p 1": true, "dynamodb item legacy p 4": true, // rewritten, new
			"dynamodb item legacy p 2": false, "dynamodb item legacy p 35": false, // never rewritten
			"s3 object legacy new.txt": true, "s3 object legacy plain.txt": false,
			"sqs msg legacy":      true, // both received: rewritten
			"sqs msg legacy.fifo": false,
		} {
			got, ok := forms[rec]
			if !ok {
				t.Errorf("no stored record %q; have %v", rec, forms)
				continue
			}
			if got != want {
				t.Errorf("%s: binary=%v, want %v", rec, got, want)
			}
		}
	})

	t.Run("restart", func(t *testing.T) {
		cfg := start(t)
		db := dynamodb.NewFromConfig(cfg)
		s, err := db.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String("legacy")})
		if err != nil || len(s.Items) != 4 {
			t.Fatalf("Scan after restart: %v, %v", s, err)
		}
		got, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("legacy"), Key: key("1")})
		if err != nil || got.Item["ok"].(*ddbtypes.AttributeValueMemberBOOL).Value || len(got.Item) != 11 {
			t.Fatalf("rewritten item: %v, %v", got.Item, err)
		}
		s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
		if body := getBody(t, s3c, "legacy", "new.txt"); body != "new" {
			t.Errorf("new object body %q", body)
		}
		if body := getBody(t, s3c, "legacy", "plain.txt"); body != "hello, old world" {
			t.Errorf("old object body %q", body)
		}
		sq := sqs.NewFromConfig(cfg)
		a, err := sq.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(queueURL), AttributeNames: []sqstypes.QueueAttributeName{"All"}})
		if err != nil || a.Attributes["ApproximateNumberOfMessagesNotVisible"] != "2" {
			t.Fatalf("in-flight messages after restart: %v, %v", a, err)
		}
		r, err := sq.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(fifoURL), MaxNumberOfMessages: 10})
		if err != nil || len(r.Messages) != 1 || *r.Messages[0].Body != "fifo one" {
			t.Fatalf("old FIFO message: %v, %v", r, err)
		}
	})
}

// storedForms opens the data dir's stores and reports, per DynamoDB item
// ("dynamodb item TABLE PK SK", SK's printable bytes), S3 object ("s3 object BUCKET KEY") and SQS
// queue ("sqs msg QUEUE": binary only if all its messages are), whether the
// record is binary.
func storedForms(t *testing.T, dir string) map[string]bool {
	t.Helper()
	b, err := storage.Open(storage.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	out := map[string]bool{}
	for _, name := range []string{"dynamodb", "s3", "sqs"} {
		st, err := b.Store(name)
		if err != nil {
			t.Fatal(err)
		}
		err = st.View(func(tx storage.Tx) error {
			return tx.Scan(nil, storage.ScanOptions{}, func(k, v []byte) bool {
				parts, err := storage.SplitKey(k)
				if err != nil || len(parts) < 4 {
					return true
				}
				bin := storage.IsBinaryRecord(v)
				switch {
				case name == "dynamodb" && parts[2] == "item":
					// Number keys are stored as sortable bytes: keep their digits.
					out["dynamodb item "+strings.Map(func(r rune) rune {
						if r < ' ' || r > '~' {
							return -1
						}
						return r
					}, strings.Join(parts[3:], " "))] = bin
				case name == "s3" && parts[2] == "object":
					out["s3 object "+strings.Join(parts[3:], " ")] = bin
				case name == "sqs" && parts[2] == "msg":
					id := "sqs msg " + parts[3]
					if was, seen := out[id]; seen {
						bin = bin && was
					}
					out[id] = bin
				}
				return true
			})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func getBody(t *testing.T, c *s3.Client, bucket, key string) string {
	t.Helper()
	o, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("GetObject %s/%s: %v", bucket, key, err)
	}
	defer o.Body.Close()
	b, err := io.ReadAll(o.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	var files []string
	err := filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	for _, p := range files {
		rel, _ := filepath.Rel(from, p)
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(to, rel)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, rel), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}
