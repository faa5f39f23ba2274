package dynamodb

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	dynamodbapi "github.com/niwa-cloud/niwa/internal/api/dynamodb"
	"github.com/niwa-cloud/niwa/internal/objects"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
)

// memObjects stands in for S3 behind the objects seam: buckets of an
// account, objects in memory. S3's own policy check is tested in
// internal/server (TestDynamoDBExportImportBucketPolicy).
type memObjects struct {
	mu      sync.Mutex
	buckets map[string]string // name → owner account
	objs    map[string][]byte // bucket/key → body
}

func (m *memObjects) access(bucket string, p objects.Principal) (string, error) {
	owner, ok := m.buckets[bucket]
	if !ok {
		return "", objects.ErrNoSuchBucket
	}
	if p.CallerAccount != owner {
		return owner, objects.ErrAccessDenied
	}
	return owner, nil
}

func (m *memObjects) CheckObjectAccess(_ context.Context, bucket, _ string, p objects.Principal, _ ...string) (string, string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	owner, err := m.access(bucket, p)
	return "us-east-1", owner, err
}

func (m *memObjects) PutServiceObject(_ context.Context, bucket, key string, body []byte, p objects.Principal) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, err := m.access(bucket, p); err != nil {
		return err
	}
	m.objs[bucket+"/"+key] = append([]byte(nil), body...)
	return nil
}

func (m *memObjects) ListServiceObjects(_ context.Context, bucket, prefix string, p objects.Principal) ([]objects.Object, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, err := m.access(bucket, p); err != nil {
		return nil, err
	}
	var out []objects.Object
	for k, v := range m.objs {
		if key, ok := strings.CutPrefix(k, bucket+"/"); ok && strings.HasPrefix(key, prefix) {
			out = append(out, objects.Object{Key: key, Size: int64(len(v))})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

func (m *memObjects) OpenServiceObject(_ context.Context, bucket, key string, p objects.Principal) (io.ReadCloser, int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, err := m.access(bucket, p); err != nil {
		return nil, 0, err
	}
	b, ok := m.objs[bucket+"/"+key]
	if !ok {
		return nil, 0, objects.ErrNoSuchKey
	}
	return io.NopCloser(bytes.NewReader(b)), int64(len(b)), nil
}

func (m *memObjects) get(key string) []byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.objs[key]
}

func (m *memObjects) has(key string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.objs[key]
	return ok
}

func (m *memObjects) put(key string, body []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.objs[key] = body
}

func gz(t *testing.T, text string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(text))
	zw.Close()
	return b.Bytes()
}

func gunzip(t *testing.T, data []byte) string {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(zr)
	return string(out)
}

// waitFor waits for what the clock's timer goroutine does, on a generous
// deadline, returning as soon as cond holds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func exportStatus(t *testing.T, svc *DynamoDB, ctx *request.Context, arn string) *dynamodbapi.ExportDescription {
	t.Helper()
	out, err := svc.DescribeExport(ctx, &dynamodbapi.DescribeExportInput{ExportArn: ptr.To(arn)})
	if err != nil {
		t.Fatal(err)
	}
	return out.ExportDescription
}

func importStatus(t *testing.T, svc *DynamoDB, ctx *request.Context, arn string) *dynamodbapi.ImportTableDescription {
	t.Helper()
	out, err := svc.DescribeImport(ctx, &dynamodbapi.DescribeImportInput{ImportArn: ptr.To(arn)})
	if err != nil {
		t.Fatal(err)
	}
	return out.ImportTableDescription
}

func newExportService(t *testing.T) (*DynamoDB, *memObjects, func(time.Duration), *request.Context) {
	svc, clk, ctx := newTestService(t)
	m := &memObjects{buckets: map[string]string{"exports": ctx.Account, "foreign": "111122223333"}, objs: map[string][]byte{}}
	svc.opts.Objects = m
	return svc, m, clk.Advance, ctx
}

// TestExportTableToPointInTime: an export needs point-in-time recovery
// and an export time in its window; it is IN_PROGRESS, then COMPLETED
// with AWS's layout (manifest-summary.json, manifest-files.json, gzip
// data of {"Item":...} lines) holding the items as they were at the
// export time; a bucket the caller cannot write (of another account, or
// missing) fails the export with AWS's failure code.
func TestExportTableToPointInTime(t *testing.T) {
	svc, m, advance, ctx := newExportService(t)
	createSimple(t, svc, ctx, "src", nil)
	d, _ := svc.DescribeTable(ctx, &dynamodbapi.DescribeTableInput{TableName: ptr.To("src")})
	arn := *d.Table.TableArn
	export := func(bucket string, at *time.Time) (*dynamodbapi.ExportTableToPointInTimeOutput, error) {
		return svc.ExportTableToPointInTime(ctx, &dynamodbapi.ExportTableToPointInTimeInput{TableArn: ptr.To(arn), S3Bucket: ptr.To(bucket), S3Prefix: ptr.To("snap"), ExportTime: at})
	}
	_, err := export("exports", nil)
	wantErr(t, err, "PointInTimeRecoveryUnavailableException", "Point in time recovery is not enabled for table 'src'")
	if _, err := svc.UpdateContinuousBackups(ctx, &dynamodbapi.UpdateContinuousBackupsInput{TableName: ptr.To("src"),
		PointInTimeRecoverySpecification: &dynamodbapi.PointInTimeRecoverySpecification{PointInTimeRecoveryEnabled: ptr.To(true)}}); err != nil {
		t.Fatal(err)
	}
	before := ctx.Now().Add(-time.Hour)
	_, err = export("exports", &before)
	wantErr(t, err, "InvalidExportTimeException", "")
	advance(time.Minute)
	for _, pk := range []string{"a", "b"} {
		if _, err := svc.PutItem(ctx, &dynamodbapi.PutItemInput{TableName: ptr.To("src"), Item: Item{"pk": s(pk), "v": n("1")}}); err != nil {
			t.Fatal(err)
		}
	}
	advance(time.Minute)
	mid := ctx.Now()
	advance(time.Minute)
	if _, err := svc.PutItem(ctx, &dynamodbapi.PutItemInput{TableName: ptr.To("src"), Item: Item{"pk": s("late"), "v": n("2")}}); err != nil {
		t.Fatal(err)
	}
	out, err := export("exports", &mid)
	if err != nil {
		t.Fatal(err)
	}
	e := out.ExportDescription
	if *e.ExportStatus != "IN_PROGRESS" || !strings.HasPrefix(*e.ExportArn, arn+"/export/") || *e.ExportFormat != "DYNAMODB_JSON" || *e.ExportType != "FULL_EXPORT" {
		t.Fatalf("started: %+v", e)
	}
	advance(transferDelay)
	waitFor(t, "export", func() bool { return *exportStatus(t, svc, ctx, *e.ExportArn).ExportStatus != "IN_PROGRESS" })
	done := exportStatus(t, svc, ctx, *e.ExportArn)
	id := (*e.ExportArn)[strings.LastIndex(*e.ExportArn, "/")+1:]
	base := "exports/snap/AWSDynamoDB/" + id + "/"
	if *done.ExportStatus != "COMPLETED" || *done.ItemCount != 2 || *done.ExportManifest != "snap/AWSDynamoDB/"+id+"/manifest-summary.json" || done.EndTime == nil {
		t.Fatalf("completed: %+v", done)
	}
	var summary map[string]any
	if err := json.Unmarshal(m.get(base+"manifest-summary.json"), &summary); err != nil {
		t.Fatal(err)
	}
	if summary["itemCount"] != 2.0 || summary["outputFormat"] != "DYNAMODB_JSON" || summary["exportArn"] != *e.ExportArn || summary["manifestFilesS3Key"] != "snap/AWSDynamoDB/"+id+"/manifest-files.json" {
		t.Fatalf("summary %v", summary)
	}
	var files struct {
		DataFileS3Key string `json:"dataFileS3Key"`
		ItemCount     int    `json:"itemCount"`
	}
	if err := json.Unmarshal(m.get(base+"manifest-files.json"), &files); err != nil || files.ItemCount != 2 || !strings.HasPrefix(files.DataFileS3Key, "snap/AWSDynamoDB/"+id+"/data/") {
		t.Fatalf("files %v %+v", err, files)
	}
	lines := strings.Split(strings.TrimSpace(gunzip(t, m.get("exports/"+files.DataFileS3Key))), "\n")
	sort.Strings(lines)
	if len(lines) != 2 || lines[0] != `{"Item":{"pk":{"S":"a"},"v":{"N":"1"}}}` || lines[1] != `{"Item":{"pk":{"S":"b"},"v":{"N":"1"}}}` {
		t.Fatalf("data %q", lines)
	}
	if !m.has(base+"_started") || !m.has(base+"manifest-summary.md5") {
		t.Fatal("no _started or md5")
	}
	for bucket, code := range map[string]string{"foreign": "S3AccessDenied", "missing": "S3NoSuchBucket"} {
		out, err := export(bucket, nil)
		if err != nil {
			t.Fatal(err)
		}
		advance(transferDelay)
		waitFor(t, bucket, func() bool {
			return *exportStatus(t, svc, ctx, *out.ExportDescription.ExportArn).ExportStatus != "IN_PROGRESS"
		})
		if f := exportStatus(t, svc, ctx, *out.ExportDescription.ExportArn); *f.ExportStatus != "FAILED" || ptr.Deref(f.FailureCode) != code {
			t.Fatalf("%s: %+v", bucket, f)
		}
	}
	list, err := svc.ListExports(ctx, &dynamodbapi.ListExportsInput{TableArn: ptr.To(arn), MaxResults: ptr.To(int32(2))})
	if err != nil || len(list.ExportSummaries) != 2 || list.NextToken == nil || *list.ExportSummaries[0].ExportArn != *e.ExportArn {
		t.Fatalf("list: %v %+v", err, list)
	}
	list, err = svc.ListExports(ctx, &dynamodbapi.ListExportsInput{NextToken: list.NextToken})
	if err != nil || len(list.ExportSummaries) != 1 || list.NextToken != nil {
		t.Fatalf("list page 2: %v %+v", err, list)
	}
	_, err = svc.DescribeExport(ctx, &dynamodbapi.DescribeExportInput{ExportArn: ptr.To(arn + "/export/01700000000000-deadbeef")})
	wantErr(t, err, "ExportNotFoundException", "")

	// An incremental export holds the period's changes with new and old
	// images; ION writes Ion text.
	advance(time.Hour)
	from := ctx.Now()
	advance(time.Minute)
	if _, err := svc.PutItem(ctx, &dynamodbapi.PutItemInput{TableName: ptr.To("src"), Item: Item{"pk": s("a"), "v": n("9")}}); err != nil {
		t.Fatal(err)
	}
	advance(20 * time.Minute)
	to := ctx.Now()
	inc, err := svc.ExportTableToPointInTime(ctx, &dynamodbapi.ExportTableToPointInTimeInput{TableArn: ptr.To(arn), S3Bucket: ptr.To("exports"),
		ExportType: ptr.To("INCREMENTAL_EXPORT"), IncrementalExportSpecification: &dynamodbapi.IncrementalExportSpecification{ExportFromTime: &from, ExportToTime: &to}})
	if err != nil {
		t.Fatal(err)
	}
	ion, err := svc.ExportTableToPointInTime(ctx, &dynamodbapi.ExportTableToPointInTimeInput{TableArn: ptr.To(arn), S3Bucket: ptr.To("exports"), S3Prefix: ptr.To("ion"), ExportFormat: ptr.To("ION")})
	if err != nil {
		t.Fatal(err)
	}
	advance(transferDelay)
	for _, x := range []*dynamodbapi.ExportTableToPointInTimeOutput{inc, ion} {
		waitFor(t, "export", func() bool {
			return *exportStatus(t, svc, ctx, *x.ExportDescription.ExportArn).ExportStatus == "COMPLETED"
		})
	}
	dataOf := func(arn, prefix string) string {
		id := arn[strings.LastIndex(arn, "/")+1:]
		var files struct {
			DataFileS3Key string `json:"dataFileS3Key"`
		}
		json.Unmarshal(m.get("exports/"+prefix+"AWSDynamoDB/"+id+"/manifest-files.json"), &files)
		return gunzip(t, m.get("exports/"+files.DataFileS3Key))
	}
	incData := dataOf(*inc.ExportDescription.ExportArn, "")
	if !strings.Contains(incData, `"Keys":{"pk":{"S":"a"}}`) || !strings.Contains(incData, `"NewImage":{"pk":{"S":"a"},"v":{"N":"9"}}`) ||
		!strings.Contains(incData, `"OldImage":{"pk":{"S":"a"},"v":{"N":"1"}}`) || strings.Count(incData, "\n") != 1 {
		t.Fatalf("incremental %q", incData)
	}
	if ionData := dataOf(*ion.ExportDescription.ExportArn, "ion/"); !strings.Contains(ionData, `{Item:{"pk":"a","v":9.}}`) {
		t.Fatalf("ion %q", ionData)
	}
}

// TestImportTable: ImportTable creates the table and imports DynamoDB
// JSON (gzip) and CSV (header list, delimiter); lines that do not parse
// or lack the key count as errors; an unreadable source fails the import.
func TestImportTable(t *testing.T) {
	svc, m, advance, ctx := newExportService(t)
	m.put("exports/in/json/part1.json.gz", gz(t, "{\"Item\":{\"pk\":{\"S\":\"a\"},\"n\":{\"N\":\"1\"}}}\nnot json\n{\"Item\":{\"other\":{\"S\":\"x\"}}}\n"))
	m.put("exports/in/json/part2.json.gz", gz(t, "{\"Item\":{\"pk\":{\"S\":\"b\"},\"l\":{\"L\":[{\"BOOL\":true}]}}}\n"))
	m.put("exports/in/csv/data.csv", []byte("a;1;x\nb;2;\n;3;y\n"))
	params := func(name string) *dynamodbapi.TableCreationParameters {
		return &dynamodbapi.TableCreationParameters{TableName: ptr.To(name), BillingMode: ptr.To("PAY_PER_REQUEST"),
			AttributeDefinitions: []dynamodbapi.AttributeDefinition{{AttributeName: ptr.To("pk"), AttributeType: ptr.To("S")}},
			KeySchema:            []dynamodbapi.KeySchemaElement{{AttributeName: ptr.To("pk"), KeyType: ptr.To("HASH")}}}
	}
	start := func(in *dynamodbapi.ImportTableInput) *dynamodbapi.ImportTableDescription {
		t.Helper()
		out, err := svc.ImportTable(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if *out.ImportTableDescription.ImportStatus != "IN_PROGRESS" {
			t.Fatalf("started: %+v", out.ImportTableDescription)
		}
		advance(transferDelay)
		arn := *out.ImportTableDescription.ImportArn
		waitFor(t, "import", func() bool { return *importStatus(t, svc, ctx, arn).ImportStatus != "IN_PROGRESS" })
		return importStatus(t, svc, ctx, arn)
	}
	j := start(&dynamodbapi.ImportTableInput{S3BucketSource: &dynamodbapi.S3BucketSource{S3Bucket: ptr.To("exports"), S3KeyPrefix: ptr.To("in/json/")},
		InputFormat: ptr.To("DYNAMODB_JSON"), InputCompressionType: ptr.To("GZIP"), TableCreationParameters: params("fromjson")})
	if *j.ImportStatus != "COMPLETED" || *j.ImportedItemCount != 2 || *j.ErrorCount != 2 || *j.ProcessedItemCount != 4 || j.CloudWatchLogGroupArn != nil {
		t.Fatalf("json import: %+v", j)
	}
	if it := getPK(t, svc, ctx, "fromjson", "b"); it == nil || !*it["l"].L[0].BOOL {
		t.Fatalf("b = %v", it)
	}
	c := start(&dynamodbapi.ImportTableInput{S3BucketSource: &dynamodbapi.S3BucketSource{S3Bucket: ptr.To("exports"), S3KeyPrefix: ptr.To("in/csv/")},
		InputFormat:             ptr.To("CSV"),
		InputFormatOptions:      &dynamodbapi.InputFormatOptions{Csv: &dynamodbapi.CsvOptions{Delimiter: ptr.To(";"), HeaderList: []string{"pk", "count", "tag"}}},
		TableCreationParameters: params("fromcsv")})
	if *c.ImportStatus != "COMPLETED" || *c.ImportedItemCount != 2 || *c.ErrorCount != 1 {
		t.Fatalf("csv import: %+v", c)
	}
	if it := getPK(t, svc, ctx, "fromcsv", "a"); it == nil || *it["count"].S != "1" || *it["tag"].S != "x" {
		t.Fatalf("csv a = %v", it)
	}
	if it := getPK(t, svc, ctx, "fromcsv", "b"); it == nil || it["tag"].S != nil {
		t.Fatalf("csv b (empty value left out) = %v", it)
	}
	f := start(&dynamodbapi.ImportTableInput{S3BucketSource: &dynamodbapi.S3BucketSource{S3Bucket: ptr.To("foreign")},
		InputFormat: ptr.To("CSV"), TableCreationParameters: params("denied")})
	if *f.ImportStatus != "FAILED" || ptr.Deref(f.FailureCode) != "S3AccessDenied" {
		t.Fatalf("foreign bucket: %+v", f)
	}
	// More items than one write batch.
	var big strings.Builder
	for i := 0; i < 2*importBatch+5; i++ {
		fmt.Fprintf(&big, "{\"Item\":{\"pk\":{\"S\":\"k%d\"}}}\n", i)
	}
	m.put("exports/big/all.json", []byte(big.String()))
	b := start(&dynamodbapi.ImportTableInput{S3BucketSource: &dynamodbapi.S3BucketSource{S3Bucket: ptr.To("exports"), S3KeyPrefix: ptr.To("big/")},
		InputFormat: ptr.To("DYNAMODB_JSON"), TableCreationParameters: params("big")})
	if *b.ImportStatus != "COMPLETED" || *b.ImportedItemCount != 2*importBatch+5 {
		t.Fatalf("big import: %+v", b)
	}
	if getPK(t, svc, ctx, "big", fmt.Sprintf("k%d", 2*importBatch+4)) == nil {
		t.Fatal("last item missing")
	}
	_, err := svc.ImportTable(ctx, &dynamodbapi.ImportTableInput{S3BucketSource: &dynamodbapi.S3BucketSource{S3Bucket: ptr.To("exports")},
		InputFormat: ptr.To("CSV"), TableCreationParameters: params("fromcsv")})
	wantErr(t, err, "ResourceInUseException", "")
	_, err = svc.ImportTable(ctx, &dynamodbapi.ImportTableInput{S3BucketSource: &dynamodbapi.S3BucketSource{S3Bucket: ptr.To("exports")},
		InputFormat: ptr.To("XML"), TableCreationParameters: params("x")})
	wantErr(t, err, "ValidationException", "")
	list, err := svc.ListImports(ctx, &dynamodbapi.ListImportsInput{PageSize: ptr.To(int32(3))})
	if err != nil || len(list.ImportSummaryList) != 3 || list.NextToken == nil {
		t.Fatalf("list: %v %+v", err, list)
	}
	_, err = svc.DescribeImport(ctx, &dynamodbapi.DescribeImportInput{ImportArn: ptr.To(*j.TableArn + "/import/01700000000000-deadbeef")})
	wantErr(t, err, "ImportNotFoundException", "")
}

// FuzzImportParsers: any object body, in either format, is parsed
// without a panic, and every line read is either an item or an error.
func FuzzImportParsers(f *testing.F) {
	f.Add([]byte("{\"Item\":{\"pk\":{\"S\":\"a\"}}}\nnot json\n"), ";")
	f.Add([]byte("pk,n\na,1\n\"b,2\n"), ",")
	f.Add([]byte("{\"Item\":{\"pk\":{\"L\":[{\"M\":{}}]}}}"), "\t")
	f.Fuzz(func(t *testing.T, body []byte, delim string) {
		params := &dynamodbapi.TableCreationParameters{AttributeDefinitions: []dynamodbapi.AttributeDefinition{{AttributeName: ptr.To("pk"), AttributeType: ptr.To("N")}}}
		var items int64
		count := func(Item) bool { items++; return true }
		rec := &importRecord{Params: params}
		jsonItems(rec, bytes.NewReader(body), count)
		if items > rec.Processed || items+rec.Errors < rec.Processed {
			t.Fatalf("json: %d items, %d processed, %d errors", items, rec.Processed, rec.Errors)
		}
		svc := &DynamoDB{}
		items = 0
		rec = &importRecord{Params: params, Options: &dynamodbapi.InputFormatOptions{Csv: &dynamodbapi.CsvOptions{Delimiter: ptr.To(delim)}}}
		svc.csvItems(rec, bytes.NewReader(body), count)
		if items > rec.Processed {
			t.Fatalf("csv: %d items, %d processed", items, rec.Processed)
		}
	})
}
