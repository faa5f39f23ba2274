package dynamodb

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	dynamodbapi "github.com/niwa-cloud/niwa/internal/api/dynamodb"
	"github.com/niwa-cloud/niwa/internal/objects"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Imports from S3 (ImportTable): a new table is created from
// TableCreationParameters, then every object under the source prefix is
// read (GZIP or uncompressed), parsed as CSV or DynamoDB JSON, and its
// items written. A line that does not parse or lacks the table's key is
// counted in ErrorCount and skipped, as AWS does; AWS also writes each
// such error to the CloudWatch Logs group /aws-dynamodb/imports, which
// niwa does not (CloudWatchLogGroupArn is absent). ZSTD and ION input
// are refused with a failed import saying so.

// importRecord is a stored import.
type importRecord struct {
	ARN         string                               `json:"arn"`
	ID          string                               `json:"id"`
	Status      string                               `json:"status"`
	Table       string                               `json:"table"`
	TableARN    string                               `json:"tableArn"`
	TableID     string                               `json:"tableId"`
	ClientToken string                               `json:"clientToken,omitempty"`
	Source      dynamodbapi.S3BucketSource           `json:"source"`
	Format      string                               `json:"format"`
	Options     *dynamodbapi.InputFormatOptions      `json:"options,omitempty"`
	Compression string                               `json:"compression"`
	Params      *dynamodbapi.TableCreationParameters `json:"params"`
	Start       time.Time                            `json:"start"`
	End         *time.Time                           `json:"end,omitempty"`
	Errors      int64                                `json:"errors"`
	Processed   int64                                `json:"processed"`
	Imported    int64                                `json:"imported"`
	Bytes       int64                                `json:"bytes"`
	FailureCode string                               `json:"failureCode,omitempty"`
	FailureMsg  string                               `json:"failureMessage,omitempty"`
}

var imports = storage.NewTable[importRecord]("import")

// maxImportLine bounds one line (an item is at most 400 KB; DynamoDB
// JSON spells it in somewhat more).
const maxImportLine = 4 << 20

// ImportTable creates a table and fills it from S3.
func (s *DynamoDB) ImportTable(ctx *request.Context, in *dynamodbapi.ImportTableInput) (*dynamodbapi.ImportTableOutput, error) {
	sc := scopeOf(ctx)
	src, params := in.S3BucketSource, in.TableCreationParameters
	if src == nil || ptr.Deref(src.S3Bucket) == "" {
		return nil, validation("1 validation error detected: Value null at 's3BucketSource.s3Bucket' failed to satisfy constraint: Member must not be null")
	}
	if params == nil || ptr.Deref(params.TableName) == "" {
		return nil, validation("1 validation error detected: Value null at 'tableCreationParameters.tableName' failed to satisfy constraint: Member must not be null")
	}
	format := ptr.Deref(in.InputFormat)
	switch format {
	case "CSV", "DYNAMODB_JSON", "ION":
	default:
		return nil, validation("1 validation error detected: Value '%s' at 'inputFormat' failed to satisfy constraint: Member must satisfy enum value set: [DYNAMODB_JSON, ION, CSV]", format)
	}
	compression := ptr.Deref(in.InputCompressionType)
	if compression == "" {
		compression = "NONE"
	}
	switch compression {
	case "GZIP", "ZSTD", "NONE":
	default:
		return nil, validation("1 validation error detected: Value '%s' at 'inputCompressionType' failed to satisfy constraint: Member must satisfy enum value set: [GZIP, ZSTD, NONE]", compression)
	}
	if o := in.InputFormatOptions; o != nil && o.Csv != nil {
		if format != "CSV" {
			return nil, validation("InputFormatOptions with Csv is only valid for InputFormat CSV")
		}
		if d := ptr.Deref(o.Csv.Delimiter); d != "" && !strings.Contains(",\t:; |", d) || utf8.RuneCountInString(ptr.Deref(o.Csv.Delimiter)) > 1 {
			return nil, validation("1 validation error detected: Value '%s' at 'inputFormatOptions.csv.delimiter' failed to satisfy constraint: Member must satisfy regular expression pattern: [,;:|\\t ]", d)
		}
	}
	name := *params.TableName
	token := ptr.Deref(in.ClientToken)
	if token != "" {
		var found *importRecord
		if err := s.store.View(func(tx storage.Tx) error {
			return imports.List(tx, sc, nil, storage.ListOptions{}, func(_ []string, r importRecord) bool {
				if r.ClientToken == token {
					found = &r
				}
				return found == nil
			})
		}); err != nil {
			return nil, err
		}
		if found != nil {
			if found.Table != name || ptr.Deref(found.Source.S3Bucket) != *src.S3Bucket || found.Format != format {
				return nil, dynamodbapi.ErrImportConflictException.New("There was a conflict when importing from the specified S3 source: ClientToken %s was used with different parameters", token)
			}
			return &dynamodbapi.ImportTableOutput{ImportTableDescription: importDescription(*found)}, nil
		}
	}
	create := &dynamodbapi.CreateTableInput{TableName: params.TableName, AttributeDefinitions: params.AttributeDefinitions, KeySchema: params.KeySchema,
		BillingMode: params.BillingMode, ProvisionedThroughput: params.ProvisionedThroughput, OnDemandThroughput: params.OnDemandThroughput,
		SSESpecification: params.SSESpecification, GlobalSecondaryIndexes: params.GlobalSecondaryIndexes}
	out, err := s.CreateTable(ctx, create)
	if err != nil {
		return nil, err
	}
	now := ctx.Now()
	id := transferID(now)
	rec := importRecord{ID: id, ARN: *out.TableDescription.TableArn + "/import/" + id, Status: "IN_PROGRESS", Table: name,
		TableARN: *out.TableDescription.TableArn, TableID: ptr.Deref(out.TableDescription.TableId), ClientToken: token, Source: *src,
		Format: format, Options: in.InputFormatOptions, Compression: compression, Params: params, Start: now}
	if err := s.store.Update(func(tx storage.Tx) error { return imports.Put(tx, sc, rec, id) }); err != nil {
		return nil, err
	}
	run := detached(ctx)
	s.clock.AfterFunc(transferDelay, func() { s.runImport(run, id) })
	return &dynamodbapi.ImportTableOutput{ImportTableDescription: importDescription(rec)}, nil
}

// runImport reads the source objects into the table and records the
// outcome.
func (s *DynamoDB) runImport(ctx *request.Context, id string) {
	sc := scopeOf(ctx)
	var rec importRecord
	if err := s.store.View(func(tx storage.Tx) error {
		var err error
		rec, _, err = imports.Get(tx, sc, id)
		return err
	}); err != nil {
		return
	}
	code, msg := s.importObjects(ctx, &rec)
	now := s.clock.Now()
	_ = s.store.Update(func(tx storage.Tx) error {
		r, ok, err := imports.Get(tx, sc, id)
		if err != nil || !ok {
			return err
		}
		r.Errors, r.Processed, r.Imported, r.Bytes = rec.Errors, rec.Processed, rec.Imported, rec.Bytes
		r.Status, r.End = "COMPLETED", &now
		if code != "" {
			r.Status, r.FailureCode, r.FailureMsg = "FAILED", code, msg
		}
		return imports.Put(tx, sc, r, id)
	})
}

// importObjects reads every source object; it returns a failure code and
// message, or "" when the import completed.
func (s *DynamoDB) importObjects(ctx *request.Context, rec *importRecord) (string, string) {
	if s.opts.Objects == nil {
		return "UNKNOWN", "niwa was started without S3, so imports cannot read their objects."
	}
	switch {
	case rec.Compression == "ZSTD":
		return "InvalidCompressionType", "niwa does not decompress ZSTD input; use GZIP or NONE."
	case rec.Format == "ION":
		return "InvalidInputFormat", "niwa does not read ION input; use DYNAMODB_JSON or CSV."
	}
	p := callerPrincipal(ctx, rec.TableARN)
	bucket, prefix := ptr.Deref(rec.Source.S3Bucket), ptr.Deref(rec.Source.S3KeyPrefix)
	if _, owner, err := s.opts.Objects.CheckObjectAccess(ctx, bucket, prefix, p, "s3:ListBucket", "s3:GetObject"); err != nil {
		return objectFailure(err)
	} else if o := ptr.Deref(rec.Source.S3BucketOwner); o != "" && o != owner {
		return "S3AccessDenied", "Access Denied"
	}
	list, err := s.opts.Objects.ListServiceObjects(ctx, bucket, prefix, p)
	if err != nil {
		return objectFailure(err)
	}
	if len(list) == 0 {
		return "S3NoSuchKey", fmt.Sprintf("No objects found under s3://%s/%s", bucket, prefix)
	}
	for _, o := range list {
		if strings.HasSuffix(o.Key, "/") && o.Size == 0 {
			continue // a "folder" marker
		}
		if code, msg := s.importObject(ctx, rec, bucket, o.Key, p); code != "" {
			return code, msg
		}
	}
	return "", ""
}

// importObject imports one object.
func (s *DynamoDB) importObject(ctx *request.Context, rec *importRecord, bucket, key string, p objects.Principal) (string, string) {
	rc, n, err := s.opts.Objects.OpenServiceObject(ctx, bucket, key, p)
	if err != nil {
		return objectFailure(err)
	}
	defer func() { _ = rc.Close() }()
	rec.Bytes += n
	var r io.Reader = rc
	if rec.Compression == "GZIP" {
		zr, err := gzip.NewReader(rc)
		if err != nil {
			return "InvalidCompressionType", fmt.Sprintf("Unable to decompress s3://%s/%s as GZIP", bucket, key)
		}
		defer func() { _ = zr.Close() }()
		r = zr
	}
	// Items are written in batches, so an object's size never decides
	// how much is held in memory.
	var batch []Item
	var code, msg string
	emit := func(it Item) bool {
		batch = append(batch, it)
		if len(batch) == importBatch {
			code, msg = s.putImported(ctx, rec, batch)
			batch = batch[:0]
		}
		return code == ""
	}
	if rec.Format == "CSV" {
		s.csvItems(rec, r, emit)
	} else {
		jsonItems(rec, r, emit)
	}
	if code == "" && len(batch) > 0 {
		code, msg = s.putImported(ctx, rec, batch)
	}
	return code, msg
}

// importBatch is how many items one storage transaction of an import
// writes.
const importBatch = 1000

// jsonItems parses DynamoDB JSON lines ({"Item":{...}}); a line that is
// not one counts as an error.
func jsonItems(rec *importRecord, r io.Reader, emit func(Item) bool) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxImportLine)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		rec.Processed++
		var doc struct {
			Item map[string]wav `json:"Item"`
		}
		if err := json.Unmarshal(line, &doc); err != nil || doc.Item == nil {
			rec.Errors++
			continue
		}
		it := make(Item, len(doc.Item))
		for k, w := range doc.Item {
			it[k] = fromWav(w)
		}
		if !emit(it) {
			return
		}
	}
	if sc.Err() != nil {
		rec.Errors++ // a line over the limit or a broken stream ends the object
	}
}

// csvItems parses CSV: the header is HeaderList or the first line; key
// attributes take the table's types, every other value is a string, and
// empty values are left out, as AWS imports CSV.
func (s *DynamoDB) csvItems(rec *importRecord, r io.Reader, emit func(Item) bool) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = false
	if o := rec.Options; o != nil && o.Csv != nil {
		if d := ptr.Deref(o.Csv.Delimiter); d != "" {
			cr.Comma, _ = utf8.DecodeRuneInString(d)
		}
	}
	var header []string
	if o := rec.Options; o != nil && o.Csv != nil && len(o.Csv.HeaderList) > 0 {
		header = o.Csv.HeaderList
	}
	types := map[string]string{}
	for _, d := range rec.Params.AttributeDefinitions {
		types[ptr.Deref(d.AttributeName)] = ptr.Deref(d.AttributeType)
	}
	for {
		row, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				rec.Errors++
				break
			}
			rec.Processed++
			rec.Errors++
			continue
		}
		if header == nil {
			header = row
			continue
		}
		rec.Processed++
		if len(row) > len(header) {
			rec.Errors++
			continue
		}
		it := Item{}
		bad := false
		for i, v := range row {
			if v == "" {
				continue
			}
			name := header[i]
			switch types[name] {
			case "N":
				it[name] = AV{N: ptr.To(v)}
			case "B":
				b, err := base64.StdEncoding.DecodeString(v)
				if err != nil {
					bad = true
				}
				it[name] = AV{B: b}
			default:
				it[name] = AV{S: ptr.To(v)}
			}
		}
		if bad {
			rec.Errors++
			continue
		}
		if !emit(it) {
			return
		}
	}
}

// putImported writes parsed items; an item DynamoDB would refuse (no
// key, a key of the wrong type, too large) counts as an error.
func (s *DynamoDB) putImported(ctx *request.Context, rec *importRecord, items []Item) (string, string) {
	sc := scopeOf(ctx)
	now := s.clock.Now()
	err := s.store.Update(func(tx storage.Tx) error {
		t, ok, err := tables.Get(tx, sc, rec.Table)
		if err != nil {
			return err
		}
		if !ok {
			return tableNotFound(rec.Table)
		}
		for _, it := range items {
			if validateItem(it) != nil || checkSize(it) != nil || t.checkIndexKeys(it) != nil {
				rec.Errors++
				continue
			}
			k, err := t.keyOfItem(it)
			if err != nil {
				rec.Errors++
				continue
			}
			old, err := getItem(tx, sc, &t, k)
			if err != nil {
				return err
			}
			if err := s.write(tx, sc, &t, k, old, it, nil, now); err != nil {
				return err
			}
			rec.Imported++
		}
		return nil
	})
	if err != nil {
		return objectFailure(err)
	}
	return "", ""
}

func importDescription(r importRecord) *dynamodbapi.ImportTableDescription {
	src := r.Source
	d := &dynamodbapi.ImportTableDescription{ImportArn: ptr.To(r.ARN), ImportStatus: ptr.To(r.Status), TableArn: ptr.To(r.TableARN),
		TableId: ptr.To(r.TableID), ClientToken: nilIfBlank(r.ClientToken), S3BucketSource: &src, ErrorCount: ptr.To(r.Errors),
		InputFormat: ptr.To(r.Format), InputFormatOptions: r.Options, InputCompressionType: ptr.To(r.Compression),
		TableCreationParameters: r.Params, StartTime: ptr.To(r.Start), EndTime: r.End, ProcessedSizeBytes: ptr.To(r.Bytes),
		ProcessedItemCount: ptr.To(r.Processed), ImportedItemCount: ptr.To(r.Imported),
		FailureCode: nilIfBlank(r.FailureCode), FailureMessage: nilIfBlank(r.FailureMsg)}
	return d
}

// DescribeImport describes an import.
func (s *DynamoDB) DescribeImport(ctx *request.Context, in *dynamodbapi.DescribeImportInput) (*dynamodbapi.DescribeImportOutput, error) {
	arn := ptr.Deref(in.ImportArn)
	sc := scopeOf(ctx)
	var r importRecord
	var ok bool
	if i := strings.LastIndex(arn, "/import/"); i >= 0 {
		if err := s.store.View(func(tx storage.Tx) error {
			var err error
			r, ok, err = imports.Get(tx, sc, arn[i+len("/import/"):])
			return err
		}); err != nil {
			return nil, err
		}
	}
	if !ok || r.ARN != arn {
		return nil, dynamodbapi.ErrImportNotFoundException.New("Import not found: %s", arn)
	}
	return &dynamodbapi.DescribeImportOutput{ImportTableDescription: importDescription(r)}, nil
}

// ListImports lists imports, of one table when TableArn is given, in the
// order they started.
func (s *DynamoDB) ListImports(ctx *request.Context, in *dynamodbapi.ListImportsInput) (*dynamodbapi.ListImportsOutput, error) {
	max := 25
	if in.PageSize != nil {
		if *in.PageSize < 1 || *in.PageSize > 25 {
			return nil, validation("1 validation error detected: Value '%d' at 'pageSize' failed to satisfy constraint: Member must have value less than or equal to 25", *in.PageSize)
		}
		max = int(*in.PageSize)
	}
	sc := scopeOf(ctx)
	var all []importRecord
	if err := s.store.View(func(tx storage.Tx) error {
		return imports.List(tx, sc, nil, storage.ListOptions{}, func(_ []string, r importRecord) bool {
			if in.TableArn == nil || *in.TableArn == r.TableARN {
				all = append(all, r)
			}
			return true
		})
	}); err != nil {
		return nil, err
	}
	page, next, err := pageByID(all, func(r importRecord) string { return r.ID }, in.NextToken, max)
	if err != nil {
		return nil, err
	}
	out := &dynamodbapi.ListImportsOutput{ImportSummaryList: []dynamodbapi.ImportSummary{}, NextToken: next}
	for _, r := range page {
		src := r.Source
		out.ImportSummaryList = append(out.ImportSummaryList, dynamodbapi.ImportSummary{ImportArn: ptr.To(r.ARN), ImportStatus: ptr.To(r.Status),
			TableArn: ptr.To(r.TableARN), S3BucketSource: &src, InputFormat: ptr.To(r.Format), StartTime: ptr.To(r.Start), EndTime: r.End})
	}
	return out, nil
}
