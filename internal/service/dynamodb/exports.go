package dynamodb

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	dynamodbapi "github.com/niwa-cloud/niwa/internal/api/dynamodb"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/objects"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Exports to S3 (ExportTableToPointInTime): the table's items as of the
// export time, read from the point-in-time history (pitr.go), written as
// AWS lays them out under <S3Prefix>/AWSDynamoDB/<exportId>/:
//
//	_started
//	manifest-summary.json, manifest-summary.md5
//	manifest-files.json, manifest-files.md5
//	data/<id>.json.gz      one {"Item":{...}} line per item (DYNAMODB_JSON)
//	                       or $ion_1_0 {Item:{...}} (ION)
//
// The export acts with the caller's identity (AWS needs s3:PutObject on
// the bucket); a bucket of another account must grant it in its policy.
// An export is IN_PROGRESS, then COMPLETED or FAILED (S3NoSuchBucket,
// S3AccessDenied) on the clock.

// exportRecord is a stored export.
type exportRecord struct {
	ARN          string     `json:"arn"`
	ID           string     `json:"id"`
	Status       string     `json:"status"`
	TableARN     string     `json:"tableArn"`
	TableID      string     `json:"tableId"`
	ExportTime   time.Time  `json:"exportTime"`
	Start        time.Time  `json:"start"`
	End          *time.Time `json:"end,omitempty"`
	ClientToken  string     `json:"clientToken,omitempty"`
	Bucket       string     `json:"bucket"`
	BucketOwner  string     `json:"bucketOwner,omitempty"`
	Prefix       string     `json:"prefix,omitempty"`
	SSEAlgorithm string     `json:"sse,omitempty"`
	SSEKeyID     string     `json:"sseKey,omitempty"`
	Format       string     `json:"format"`
	Type         string     `json:"type"`
	From, To     *time.Time `json:",omitempty"`
	ViewType     string     `json:"viewType,omitempty"`
	Manifest     string     `json:"manifest,omitempty"`
	ItemCount    int64      `json:"items"`
	Billed       int64      `json:"billed"`
	FailureCode  string     `json:"failureCode,omitempty"`
	FailureMsg   string     `json:"failureMessage,omitempty"`
	CallerARN    string     `json:"caller"`
}

var exports = storage.NewTable[exportRecord]("export")

// transferDelay is how long (clock time) an export or import stays
// IN_PROGRESS before it runs, so a caller sees AWS's states.
const transferDelay = time.Second

// transferID is AWS's export/import id: the start time in milliseconds
// and eight hex digits.
func transferID(now time.Time) string {
	return fmt.Sprintf("%014d-%s", now.UnixMilli(), awsid.Hex(8))
}

// callerPrincipal is who an export or import acts as.
func callerPrincipal(ctx *request.Context, sourceARN string) objects.Principal {
	return objects.Principal{CallerARN: ctx.Caller.ARN, CallerAccount: ctx.Account, Region: ctx.Region,
		SourceAccount: ctx.Account, SourceARN: sourceARN}
}

// detached is ctx for work that outlives the request (a task run by the
// clock): same account, region, caller and clock.
func detached(ctx *request.Context) *request.Context {
	c := *ctx
	c.Context = context.Background()
	c.HTTP = nil
	return &c
}

// ExportTableToPointInTime starts an export of a table with
// point-in-time recovery on.
func (s *DynamoDB) ExportTableToPointInTime(ctx *request.Context, in *dynamodbapi.ExportTableToPointInTimeInput) (*dynamodbapi.ExportTableToPointInTimeOutput, error) {
	sc := scopeOf(ctx)
	arn := ptr.Deref(in.TableArn)
	i := strings.LastIndex(arn, ":table/")
	if i < 0 || !strings.HasPrefix(arn, "arn:") {
		return nil, validation("Invalid TableArn: %s", arn)
	}
	name := arn[i+len(":table/"):]
	format := ptr.Deref(in.ExportFormat)
	if format == "" {
		format = "DYNAMODB_JSON"
	}
	typ := ptr.Deref(in.ExportType)
	if typ == "" {
		typ = "FULL_EXPORT"
	}
	if sse := ptr.Deref(in.S3SseAlgorithm); sse != "" && sse != "AES256" && sse != "KMS" {
		return nil, validation("1 validation error detected: Value '%s' at 's3SseAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: [AES256, KMS]", sse)
	}
	now := ctx.Now()
	at := now
	var spec *dynamodbapi.IncrementalExportSpecification
	switch typ {
	case "FULL_EXPORT":
		if in.IncrementalExportSpecification != nil {
			return nil, validation("IncrementalExportSpecification is only valid for ExportType INCREMENTAL_EXPORT")
		}
		if in.ExportTime != nil {
			at = *in.ExportTime
		}
	case "INCREMENTAL_EXPORT":
		spec = in.IncrementalExportSpecification
		if spec == nil || spec.ExportFromTime == nil || spec.ExportToTime == nil {
			return nil, validation("IncrementalExportSpecification with ExportFromTime and ExportToTime is required for ExportType INCREMENTAL_EXPORT")
		}
		if in.ExportTime != nil {
			return nil, validation("ExportTime is not valid for ExportType INCREMENTAL_EXPORT")
		}
		if d := spec.ExportToTime.Sub(*spec.ExportFromTime); d < 15*time.Minute || d > 24*time.Hour {
			return nil, dynamodbapi.ErrInvalidExportTimeException.New("Incremental export period must be between 15 minutes and 24 hours")
		}
		if v := ptr.Deref(spec.ExportViewType); v != "" && v != "NEW_IMAGE" && v != "NEW_AND_OLD_IMAGES" {
			return nil, validation("1 validation error detected: Value '%s' at 'incrementalExportSpecification.exportViewType' failed to satisfy constraint: Member must satisfy enum value set: [NEW_AND_OLD_IMAGES, NEW_IMAGE]", v)
		}
		at = *spec.ExportToTime
	}
	token := ptr.Deref(in.ClientToken)
	id := transferID(now)
	rec := exportRecord{ID: id, Status: "IN_PROGRESS", ExportTime: at, Start: now, ClientToken: token,
		Bucket: ptr.Deref(in.S3Bucket), BucketOwner: ptr.Deref(in.S3BucketOwner), Prefix: ptr.Deref(in.S3Prefix),
		SSEAlgorithm: ptr.Deref(in.S3SseAlgorithm), SSEKeyID: ptr.Deref(in.S3SseKmsKeyId), Format: format, Type: typ, CallerARN: ctx.Caller.ARN}
	if rec.SSEAlgorithm == "" {
		rec.SSEAlgorithm = "AES256"
	}
	if spec != nil {
		rec.From, rec.To = spec.ExportFromTime, spec.ExportToTime
		rec.ViewType = ptr.Deref(spec.ExportViewType)
		if rec.ViewType == "" {
			rec.ViewType = "NEW_AND_OLD_IMAGES"
		}
	}
	var existing *exportRecord
	err := s.store.Update(func(tx storage.Tx) error {
		t, ok, err := tables.Get(tx, sc, name)
		if err != nil {
			return err
		}
		if !ok {
			return pitrTableNotFound(name)()
		}
		if t.PITR == nil || !t.PITR.Enabled {
			return dynamodbapi.ErrPointInTimeRecoveryUnavailableException.New("Point in time recovery is not enabled for table '%s'", name)
		}
		p := continuousBackups(&t, now).PointInTimeRecoveryDescription
		from := at
		if rec.From != nil {
			from = *rec.From
		}
		if from.Before(*p.EarliestRestorableDateTime) || at.After(*p.LatestRestorableDateTime) {
			return dynamodbapi.ErrInvalidExportTimeException.New("Export time must be between %s and %s",
				p.EarliestRestorableDateTime.UTC().Format(time.RFC3339), p.LatestRestorableDateTime.UTC().Format(time.RFC3339))
		}
		if token != "" {
			if err := exports.List(tx, sc, nil, storage.ListOptions{}, func(_ []string, e exportRecord) bool {
				if e.ClientToken == token && e.TableARN == t.ARN {
					existing = &e
				}
				return existing == nil
			}); err != nil {
				return err
			}
			if existing != nil {
				if existing.Bucket != rec.Bucket || existing.Prefix != rec.Prefix || existing.Format != rec.Format || existing.Type != rec.Type {
					return dynamodbapi.ErrExportConflictException.New("There was a conflict when attempting to export to S3: ClientToken %s was used with different parameters", token)
				}
				return nil
			}
		}
		rec.TableARN, rec.TableID = t.ARN, t.ID
		rec.ARN = t.ARN + "/export/" + id
		return exports.Put(tx, sc, rec, id)
	})
	if err != nil {
		return nil, err
	}
	if existing != nil {
		return &dynamodbapi.ExportTableToPointInTimeOutput{ExportDescription: exportDescription(*existing)}, nil
	}
	run := detached(ctx)
	s.clock.AfterFunc(transferDelay, func() { s.runExport(run, name, id) })
	return &dynamodbapi.ExportTableToPointInTimeOutput{ExportDescription: exportDescription(rec)}, nil
}

// runExport writes the export's objects and records the outcome.
func (s *DynamoDB) runExport(ctx *request.Context, table, id string) {
	sc := scopeOf(ctx)
	var rec exportRecord
	var lines [][]byte
	err := s.store.View(func(tx storage.Tx) error {
		var ok bool
		var err error
		if rec, ok, err = exports.Get(tx, sc, id); err != nil || !ok {
			if err == nil {
				err = errors.New("export vanished")
			}
			return err
		}
		if rec.Type == "INCREMENTAL_EXPORT" {
			t, ok, err := tables.Get(tx, sc, table)
			if err != nil || !ok {
				return pitrTableNotFound(table)()
			}
			lines, err = incrementalLines(tx, sc, &t, *rec.From, *rec.To, rec.ViewType, rec.Format)
			return err
		}
		items, err := itemsAt(tx, sc, table, rec.ExportTime)
		if err != nil {
			return err
		}
		for _, it := range items {
			line, err := exportLine(it, rec.Format)
			if err != nil {
				return err
			}
			lines = append(lines, line)
		}
		return nil
	})
	if err != nil {
		s.finishExport(sc, id, func(r *exportRecord) { r.Status, r.FailureCode, r.FailureMsg = "FAILED", "UNKNOWN", err.Error() })
		return
	}
	code, msg := s.writeExport(ctx, &rec, lines)
	s.finishExport(sc, id, func(r *exportRecord) {
		if code != "" {
			r.Status, r.FailureCode, r.FailureMsg = "FAILED", code, msg
			return
		}
		r.Status, r.Manifest, r.ItemCount, r.Billed = "COMPLETED", rec.Manifest, rec.ItemCount, rec.Billed
	})
}

func (s *DynamoDB) finishExport(sc storage.Scope, id string, f func(*exportRecord)) {
	now := s.clock.Now()
	_ = s.store.Update(func(tx storage.Tx) error {
		r, ok, err := exports.Get(tx, sc, id)
		if err != nil || !ok {
			return err
		}
		f(&r)
		r.End = &now
		return exports.Put(tx, sc, r, id)
	})
}

// objectFailure turns a store error into AWS's export/import failure
// code and message.
func objectFailure(err error) (string, string) {
	switch {
	case errors.Is(err, objects.ErrNoSuchBucket):
		return "S3NoSuchBucket", "The specified bucket does not exist"
	case errors.Is(err, objects.ErrAccessDenied):
		return "S3AccessDenied", "Access Denied"
	case errors.Is(err, objects.ErrNoSuchKey):
		return "S3NoSuchKey", "The specified key does not exist."
	}
	return "UNKNOWN", err.Error()
}

// writeExport writes the objects; it returns a failure code and message,
// or "" when done.
func (s *DynamoDB) writeExport(ctx *request.Context, rec *exportRecord, lines [][]byte) (string, string) {
	if s.opts.Objects == nil {
		return "UNKNOWN", "niwa was started without S3, so exports cannot write their objects."
	}
	p := callerPrincipal(ctx, rec.TableARN)
	base := "AWSDynamoDB/" + rec.ID + "/"
	if rec.Prefix != "" {
		base = strings.TrimSuffix(rec.Prefix, "/") + "/" + base
	}
	if _, owner, err := s.opts.Objects.CheckObjectAccess(ctx, rec.Bucket, base, p, "s3:PutObject"); err != nil {
		return objectFailure(err)
	} else if rec.BucketOwner != "" && owner != rec.BucketOwner {
		return "S3AccessDenied", "Access Denied"
	}
	put := func(key string, body []byte) error {
		return s.opts.Objects.PutServiceObject(ctx, rec.Bucket, key, body, p)
	}
	if err := put(base+"_started", nil); err != nil {
		return objectFailure(err)
	}
	var data bytes.Buffer
	zw := gzip.NewWriter(&data)
	if rec.Format == "ION" {
		fmt.Fprintln(zw, "$ion_1_0 ")
	}
	var billed int64
	for _, l := range lines {
		// Into memory: zw.Close reports any failure.
		_, _ = zw.Write(l)
		_, _ = zw.Write([]byte("\n"))
		billed += int64(len(l))
	}
	if err := zw.Close(); err != nil {
		return "UNKNOWN", err.Error()
	}
	ext := ".json.gz"
	if rec.Format == "ION" {
		ext = ".ion.gz"
	}
	dataKey := base + "data/" + awsid.String(dataFileAlphabet, 26) + ext
	if err := put(dataKey, data.Bytes()); err != nil {
		return objectFailure(err)
	}
	sum := md5.Sum(data.Bytes())
	files, _ := json.Marshal(map[string]any{"itemCount": len(lines), "md5Checksum": base64.StdEncoding.EncodeToString(sum[:]),
		"etag": hex.EncodeToString(sum[:]), "dataFileS3Key": dataKey})
	files = append(files, '\n')
	rec.Manifest = base + "manifest-summary.json"
	rec.ItemCount, rec.Billed = int64(len(lines)), billed
	summary, _ := json.Marshal(manifestSummary{Version: "2020-06-30", ExportARN: rec.ARN, StartTime: rec.Start.UTC().Format(manifestTime),
		EndTime: s.clock.Now().UTC().Format(manifestTime), TableARN: rec.TableARN, TableID: rec.TableID, ExportTime: rec.ExportTime.UTC().Format(manifestTime),
		S3Bucket: rec.Bucket, S3Prefix: nilIfBlank(rec.Prefix), S3SseAlgorithm: rec.SSEAlgorithm, S3SseKmsKeyID: nilIfBlank(rec.SSEKeyID),
		ManifestFilesS3Key: base + "manifest-files.json", BilledSizeBytes: billed, ItemCount: int64(len(lines)), OutputFormat: rec.Format, ExportType: rec.Type})
	for _, o := range []struct {
		key  string
		body []byte
	}{{base + "manifest-files.json", files}, {base + "manifest-summary.json", summary}} {
		if err := put(o.key, o.body); err != nil {
			return objectFailure(err)
		}
		m := md5.Sum(o.body)
		if err := put(strings.TrimSuffix(o.key, ".json")+".md5", []byte(hex.EncodeToString(m[:]))); err != nil {
			return objectFailure(err)
		}
	}
	return "", ""
}

const manifestTime = "2006-01-02T15:04:05.000Z"

// manifestSummary is manifest-summary.json as AWS writes it.
type manifestSummary struct {
	Version            string  `json:"version"`
	ExportARN          string  `json:"exportArn"`
	StartTime          string  `json:"startTime"`
	EndTime            string  `json:"endTime"`
	TableARN           string  `json:"tableArn"`
	TableID            string  `json:"tableId"`
	ExportTime         string  `json:"exportTime"`
	S3Bucket           string  `json:"s3Bucket"`
	S3Prefix           *string `json:"s3Prefix"`
	S3SseAlgorithm     string  `json:"s3SseAlgorithm"`
	S3SseKmsKeyID      *string `json:"s3SseKmsKeyId"`
	ManifestFilesS3Key string  `json:"manifestFilesS3Key"`
	BilledSizeBytes    int64   `json:"billedSizeBytes"`
	ItemCount          int64   `json:"itemCount"`
	OutputFormat       string  `json:"outputFormat"`
	ExportType         string  `json:"exportType"`
}

func nilIfBlank(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// exportLine is one item as the export format writes it.
func exportLine(it Item, format string) ([]byte, error) {
	if format == "ION" {
		var b strings.Builder
		b.WriteString("{Item:")
		ionItem(&b, it)
		b.WriteString("}")
		return []byte(b.String()), nil
	}
	data, err := itemJSON(it)
	if err != nil {
		return nil, err
	}
	return []byte(`{"Item":` + string(data) + `}`), nil
}

// dataFileAlphabet spells data file names as AWS's look.
const dataFileAlphabet = "abcdefghijklmnopqrstuvwxyz234567"

// incrementalLines are the changes of (from, to]: per item changed, its
// keys, its image at to (absent when deleted) and, for
// NEW_AND_OLD_IMAGES, its image at from, with the time of its last
// write, as AWS's incremental export writes them.
func incrementalLines(tx storage.Tx, sc storage.Scope, t *tableRecord, from, to time.Time, view, format string) ([][]byte, error) {
	type change struct {
		old, new []byte
		changed  bool
		at       string
	}
	byItem := map[string]*change{}
	var order []string
	fromKey, toKey := fmt.Sprintf("%020d", from.UnixNano()), fmt.Sprintf("%020d", to.UnixNano())
	var ferr error
	err := tx.Scan(sc.Prefix("phist", t.Name), storage.ScanOptions{}, func(k, v []byte) bool {
		parts, err := storage.SplitKey(k)
		if err != nil || len(parts) != 6 {
			return true
		}
		ts, item := parts[4], parts[5]
		if ts > toKey {
			return false
		}
		var e historyEntry
		if err := json.Unmarshal(v, &e); err != nil {
			ferr = err
			return false
		}
		c := byItem[item]
		if c == nil {
			c = &change{}
			byItem[item] = c
			order = append(order, item)
		}
		if ts <= fromKey {
			c.old = e.Item
		} else {
			c.new, c.changed, c.at = e.Item, true, ts
		}
		return true
	})
	if err == nil {
		err = ferr
	}
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for _, id := range order {
		c := byItem[id]
		if !c.changed {
			continue
		}
		rec := map[string]any{}
		var keysFrom Item
		for _, data := range [][]byte{c.new, c.old} {
			if data == nil {
				continue
			}
			it, err := decodeItem(data)
			if err != nil {
				return nil, err
			}
			if keysFrom == nil {
				keysFrom = it
			}
		}
		if keysFrom == nil {
			continue // created and deleted within the period
		}
		keys := Item{}
		for _, n := range t.keyNames() {
			keys[n] = keysFrom[n]
		}
		nanos, _ := strconv.ParseInt(c.at, 10, 64)
		rec["Metadata"] = map[string]any{"WriteTimestampMicros": map[string]string{"N": fmt.Sprint(nanos / 1000)}}
		kj, _ := itemJSON(keys)
		rec["Keys"] = json.RawMessage(kj)
		if c.new != nil {
			img, err := storedItemJSON(c.new)
			if err != nil {
				return nil, err
			}
			rec["NewImage"] = json.RawMessage(img)
		}
		if c.old != nil && view == "NEW_AND_OLD_IMAGES" {
			img, err := storedItemJSON(c.old)
			if err != nil {
				return nil, err
			}
			rec["OldImage"] = json.RawMessage(img)
		}
		line, err := json.Marshal(rec)
		if err != nil {
			return nil, err
		}
		out = append(out, line)
	}
	return out, nil
}

// ionItem writes an item in Amazon Ion text as DynamoDB's ION export
// does: strings, decimals (1. or 1.5), {{base64}} blobs, sets annotated
// $dynamodb_SS/NS/BS, lists, structs, null and booleans.
func ionItem(b *strings.Builder, it Item) {
	names := make([]string, 0, len(it))
	for n := range it {
		names = append(names, n)
	}
	sort.Strings(names)
	b.WriteByte('{')
	for i, n := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Quote(n))
		b.WriteByte(':')
		ionValue(b, it[n])
	}
	b.WriteByte('}')
}

func ionValue(b *strings.Builder, v AV) {
	switch {
	case v.S != nil:
		b.WriteString(strconv.Quote(*v.S))
	case v.N != nil:
		b.WriteString(ionDecimal(*v.N))
	case v.B != nil:
		b.WriteString("{{" + base64.StdEncoding.EncodeToString(v.B) + "}}")
	case v.BOOL != nil:
		fmt.Fprint(b, *v.BOOL)
	case v.NULL != nil:
		b.WriteString("null")
	case v.SS != nil:
		b.WriteString("$dynamodb_SS::[")
		for i, e := range v.SS {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Quote(e))
		}
		b.WriteByte(']')
	case v.NS != nil:
		b.WriteString("$dynamodb_NS::[")
		for i, e := range v.NS {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(ionDecimal(e))
		}
		b.WriteByte(']')
	case v.BS != nil:
		b.WriteString("$dynamodb_BS::[")
		for i, e := range v.BS {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString("{{" + base64.StdEncoding.EncodeToString(e) + "}}")
		}
		b.WriteByte(']')
	case v.M != nil:
		ionItem(b, v.M)
	case v.L != nil:
		b.WriteByte('[')
		for i, e := range v.L {
			if i > 0 {
				b.WriteByte(',')
			}
			ionValue(b, e)
		}
		b.WriteByte(']')
	default:
		b.WriteString("null")
	}
}

// ionDecimal spells a DynamoDB number as an Ion decimal: an exponent
// becomes d, an integer gets a trailing point.
func ionDecimal(n string) string {
	if i := strings.IndexAny(n, "eE"); i >= 0 {
		return n[:i] + "d" + n[i+1:]
	}
	if !strings.Contains(n, ".") {
		return n + "."
	}
	return n
}

func exportDescription(r exportRecord) *dynamodbapi.ExportDescription {
	d := &dynamodbapi.ExportDescription{ExportArn: ptr.To(r.ARN), ExportStatus: ptr.To(r.Status), StartTime: ptr.To(r.Start), EndTime: r.End,
		TableArn: ptr.To(r.TableARN), TableId: ptr.To(r.TableID), ExportTime: ptr.To(r.ExportTime), ClientToken: nilIfBlank(r.ClientToken),
		S3Bucket: ptr.To(r.Bucket), S3BucketOwner: nilIfBlank(r.BucketOwner), S3Prefix: nilIfBlank(r.Prefix), S3SseAlgorithm: ptr.To(r.SSEAlgorithm),
		S3SseKmsKeyId: nilIfBlank(r.SSEKeyID), FailureCode: nilIfBlank(r.FailureCode), FailureMessage: nilIfBlank(r.FailureMsg),
		ExportFormat: ptr.To(r.Format), ExportType: ptr.To(r.Type), ExportManifest: nilIfBlank(r.Manifest)}
	if r.Status == "COMPLETED" {
		d.ItemCount, d.BilledSizeBytes = ptr.To(r.ItemCount), ptr.To(r.Billed)
	}
	if r.From != nil {
		d.IncrementalExportSpecification = &dynamodbapi.IncrementalExportSpecification{ExportFromTime: r.From, ExportToTime: r.To, ExportViewType: ptr.To(r.ViewType)}
	}
	return d
}

// exportByARN finds an export by its ARN.
func (s *DynamoDB) exportByARN(ctx *request.Context, arn string) (exportRecord, error) {
	sc := scopeOf(ctx)
	i := strings.LastIndex(arn, "/export/")
	var r exportRecord
	var ok bool
	if i >= 0 {
		err := s.store.View(func(tx storage.Tx) error {
			var err error
			r, ok, err = exports.Get(tx, sc, arn[i+len("/export/"):])
			return err
		})
		if err != nil {
			return r, err
		}
	}
	if !ok || r.ARN != arn {
		return r, dynamodbapi.ErrExportNotFoundException.New("Export not found: %s", arn)
	}
	return r, nil
}

// DescribeExport describes an export.
func (s *DynamoDB) DescribeExport(ctx *request.Context, in *dynamodbapi.DescribeExportInput) (*dynamodbapi.DescribeExportOutput, error) {
	r, err := s.exportByARN(ctx, ptr.Deref(in.ExportArn))
	if err != nil {
		return nil, err
	}
	return &dynamodbapi.DescribeExportOutput{ExportDescription: exportDescription(r)}, nil
}

// ListExports lists exports, of one table when TableArn is given, in
// the order they started.
func (s *DynamoDB) ListExports(ctx *request.Context, in *dynamodbapi.ListExportsInput) (*dynamodbapi.ListExportsOutput, error) {
	max := 25
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > 25 {
			return nil, validation("1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 25", *in.MaxResults)
		}
		max = int(*in.MaxResults)
	}
	sc := scopeOf(ctx)
	var all []exportRecord
	err := s.store.View(func(tx storage.Tx) error {
		return exports.List(tx, sc, nil, storage.ListOptions{}, func(_ []string, r exportRecord) bool {
			if in.TableArn == nil || *in.TableArn == r.TableARN {
				all = append(all, r)
			}
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	page, next, err := pageByID(all, func(r exportRecord) string { return r.ID }, in.NextToken, max)
	if err != nil {
		return nil, err
	}
	out := &dynamodbapi.ListExportsOutput{ExportSummaries: []dynamodbapi.ExportSummary{}, NextToken: next}
	for _, r := range page {
		out.ExportSummaries = append(out.ExportSummaries, dynamodbapi.ExportSummary{ExportArn: ptr.To(r.ARN), ExportStatus: ptr.To(r.Status), ExportType: ptr.To(r.Type)})
	}
	return out, nil
}

// pageByID pages a listing whose NextToken is the id of the first item of
// the next page (ListExports, ListImports).
func pageByID[T any](all []T, id func(T) string, token *string, max int) ([]T, *string, error) {
	start := 0
	if tok := ptr.Deref(token); tok != "" {
		start = -1
		for i, r := range all {
			if id(r) == tok {
				start = i
			}
		}
		if start < 0 {
			return nil, nil, validation("Invalid NextToken")
		}
	}
	if len(all)-start > max {
		return all[start : start+max], ptr.To(id(all[start+max])), nil
	}
	return all[start:], nil, nil
}
