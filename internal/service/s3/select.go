package s3

import (
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	s3api "github.com/niwa-cloud/niwa/internal/api/s3"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/service/s3/selectsql"
	"github.com/niwa-cloud/niwa/internal/sqlengine"
)

// SQLEngine runs S3 Select's statements: the SQL engine cmd/niwa links
// (internal/sqlengine), which Athena runs on too. S3 loads an object's
// records into a table of JSON lines and hands the engine the statement
// selectsql translated; nil (in-process servers) answers NotImplemented.
type SQLEngine interface {
	Query(ctx context.Context, q sqlengine.Query) (*sqlengine.Result, error)
}

// selectMaxRows bounds the records one SelectObjectContent answers:
// the engine answers them in memory.
const selectMaxRows = 1_000_000

// recordsChunk is the most bytes one Records event carries.
const recordsChunk = 64 << 10

func selectErr(code string) awserr.Code {
	return awserr.Code{Code: code, Status: http.StatusBadRequest, Sender: true}
}

// selectRequest is a validated SelectObjectContent request.
type selectRequest struct {
	query      *selectsql.Query
	src        string
	in         inputFormat
	out        outputFormat
	rangeStart int64 // 0 when none
	rangeEnd   int64 // -1: to the end
	lastBytes  int64 // > 0: ScanRange gave End alone, the object's last bytes
	progress   bool
}

func oneOf(v *string, def string, allowed ...string) (string, bool) {
	s := strings.ToUpper(ptr.Deref(v))
	if s == "" {
		return def, true
	}
	for _, a := range allowed {
		if s == a {
			return s, true
		}
	}
	return s, false
}

// checkSelect validates a request as S3 does before it reads the object.
func checkSelect(in *s3api.SelectObjectContentRequest) (*selectRequest, error) {
	if in.Expression == nil || in.ExpressionType == nil || in.InputSerialization == nil || in.OutputSerialization == nil {
		return nil, selectErr("MissingRequiredParameter").New("The SelectRequest entity is missing a required parameter. Check the service documentation and try again.")
	}
	if !strings.EqualFold(*in.ExpressionType, "SQL") {
		return nil, selectErr("InvalidExpressionType").New("The ExpressionType is invalid. Only SQL expressions are supported.")
	}
	r := &selectRequest{src: *in.Expression, rangeEnd: -1, progress: in.RequestProgress != nil && ptr.Deref(in.RequestProgress.Enabled)}
	is, os := in.InputSerialization, in.OutputSerialization
	n := 0
	for _, set := range []bool{is.CSV != nil, is.JSON != nil, is.Parquet != nil} {
		if set {
			n++
		}
	}
	if n != 1 || os.CSV != nil && os.JSON != nil || os.CSV == nil && os.JSON == nil {
		return nil, selectErr("ObjectSerializationConflict").New("InputSerialization specifies more than one format (CSV, JSON, or Parquet), or OutputSerialization specifies more than one format (CSV or JSON). InputSerialization and OutputSerialization can only specify one format each.")
	}
	comp, ok := oneOf(is.CompressionType, "NONE", "NONE", "GZIP", "BZIP2")
	if !ok {
		return nil, selectErr("InvalidCompressionFormat").New("The file is not in a supported compression format. Only GZIP and BZIP2 are supported.")
	}
	r.in.compression = comp
	switch {
	case is.CSV != nil:
		c := is.CSV
		hdr, ok := oneOf(c.FileHeaderInfo, "NONE", "USE", "IGNORE", "NONE")
		if !ok {
			return nil, selectErr("InvalidFileHeaderInfo").New("The FileHeaderInfo is invalid. Only NONE, USE, and IGNORE are supported.")
		}
		r.in.csv = &csvOptions{header: hdr, field: orDefault(c.FieldDelimiter, ","), record: orDefault(c.RecordDelimiter, "\n"),
			quote: orDefault(c.QuoteCharacter, `"`), escape: orDefault(c.QuoteEscapeCharacter, `"`), comments: ptr.Deref(c.Comments),
			allowQuotedRecord: ptr.Deref(c.AllowQuotedRecordDelimiter)}
		if err := r.in.csv.check(); err != nil {
			return nil, err
		}
	case is.JSON != nil:
		t, ok := oneOf(is.JSON.Type, "", "DOCUMENT", "LINES")
		if !ok || t == "" {
			return nil, selectErr("InvalidJsonType").New("The JsonType is invalid. Only DOCUMENT and LINES are supported.")
		}
		r.in.jsonLines = t == "LINES"
		r.in.json = true
	default:
		if comp != "NONE" {
			return nil, selectErr("InvalidCompressionFormat").New("GZIP and BZIP2 compression are not supported for Parquet objects.")
		}
		r.in.parquet = true
	}
	if c := os.CSV; c != nil {
		qf, ok := oneOf(c.QuoteFields, "ASNEEDED", "ALWAYS", "ASNEEDED")
		if !ok {
			return nil, selectErr("InvalidQuoteFields").New("The QuoteFields is invalid. Only ALWAYS and ASNEEDED are supported.")
		}
		r.out.csv = &csvOut{always: qf == "ALWAYS", field: orDefault(c.FieldDelimiter, ","), record: orDefault(c.RecordDelimiter, "\n"),
			quote: orDefault(c.QuoteCharacter, `"`), escape: orDefault(c.QuoteEscapeCharacter, `"`)}
	} else {
		r.out.record = orDefault(os.JSON.RecordDelimiter, "\n")
	}
	if sr := in.ScanRange; sr != nil && (sr.Start != nil || sr.End != nil) {
		if r.in.parquet || r.in.json && !r.in.jsonLines || comp != "NONE" {
			return nil, selectErr("UnsupportedScanRangeInput").New("Scan range queries are not supported on this type of object.")
		}
		start, end := ptr.Deref(sr.Start), int64(-1)
		if sr.End != nil {
			end = *sr.End
		}
		if start < 0 || sr.End != nil && (end < 0 || sr.Start != nil && end < start) {
			return nil, selectErr("InvalidScanRange").New("The provided scan range is invalid.")
		}
		if sr.Start == nil {
			r.lastBytes = end
			end = -1
		}
		r.rangeStart, r.rangeEnd = start, end
	}
	q, err := selectsql.Parse(r.src)
	if err != nil {
		return nil, sqlError(err)
	}
	if len(q.From) > 0 && !r.in.json {
		return nil, selectErr("InvalidDataSource").New("A path after S3Object selects records of JSON objects only.")
	}
	// The functions and their arguments are checked before the stream
	// begins, over a table with no columns (the names are resolved over
	// the records' columns once they are read).
	if _, err := selectsql.Translate(q, r.src, selectsql.Schema{Table: "t", Record: recordColumn}); err != nil {
		return nil, sqlError(err)
	}
	r.query = q
	return r, nil
}

func orDefault(v *string, def string) string {
	if v == nil || *v == "" {
		return def
	}
	return *v
}

// sqlError answers a selectsql error as S3 Select's error.
func sqlError(err error) error {
	var se *selectsql.Error
	if errors.As(err, &se) {
		return selectErr(se.Code).New("%s", se.Message)
	}
	return err
}

// SelectObjectContent runs an S3 Select statement over an object's CSV
// or JSON records on the SQL engine, answering the records as an event
// stream (Records, Progress when asked, Stats, End). The request and
// the statement are checked before the stream begins (errors answer
// 400); what goes wrong reading the records or running the statement
// ends the stream with an error message, as S3 Select does.
func (s *S3) SelectObjectContent(ctx *request.Context, in *s3api.SelectObjectContentRequest) (*s3api.SelectObjectContentOutput, error) {
	if s.opts.SQLEngine == nil {
		return nil, awserr.Code{Code: "NotImplemented", Status: http.StatusNotImplemented, Sender: false}.New(
			"SelectObjectContent needs a SQL engine: %v", sqlengine.ErrNotLinked)
	}
	req, err := checkSelect(in)
	if err != nil {
		return nil, err
	}
	if err := checkReadHeaders(ctx); err != nil {
		return nil, err
	}
	bucket, key := ptr.Deref(in.Bucket), ptr.Deref(in.Key)
	o, err := s.conditionalRead(bucket, key, "", in.SSECustomerAlgorithm, in.SSECustomerKey, in.SSECustomerKeyMD5, conditions{})
	if err != nil {
		return nil, err
	}
	if err := s.checkObjectOwner(ctx, bucket, o, "READ"); err != nil {
		return nil, err
	}
	if err := checkReadable(o, ctx.Now()); err != nil {
		return nil, err
	}
	if req.in.parquet {
		return nil, selectErr("UnsupportedParquetType").New("niwa's S3 Select reads CSV and JSON objects; Parquet input is not supported yet.")
	}
	blobs, err := s.blobsOf(ctx, o)
	if err != nil {
		return nil, err
	}
	// The statement runs before the answer begins (its records are in
	// memory either way); what fails then is still sent as the stream's
	// error message, as S3 Select sends it.
	var events []*s3api.SelectObjectContentEventStream
	body := newPartsReader(blobs, o.Parts, 0, o.Size)
	runErr := runSelect(ctx, s.opts.SQLEngine, req, body, o.Size, func(e *s3api.SelectObjectContentEventStream) error {
		events = append(events, e)
		return nil
	})
	_ = body.Close()
	return &s3api.SelectObjectContentOutput{Payload: func(_ context.Context, send func(*s3api.SelectObjectContentEventStream) error) error {
		if runErr != nil {
			return runErr
		}
		for _, e := range events {
			if err := send(e); err != nil {
				return err
			}
		}
		return nil
	}}, nil
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// runSelect loads the records, runs the statement and sends the answer.
func runSelect(ctx context.Context, engine SQLEngine, req *selectRequest, body io.Reader, size int64,
	send func(*s3api.SelectObjectContentEventStream) error) error {
	scanned := &countingReader{r: body}
	var r io.Reader = scanned
	switch req.in.compression {
	case "GZIP":
		z, err := gzip.NewReader(scanned)
		if err != nil && !errors.Is(err, io.EOF) {
			return selectErr("InvalidCompressionFormat").New("The file is not in a supported compression format. Only GZIP and BZIP2 are supported.")
		}
		if z != nil {
			r = z
		} else {
			r = bytes.NewReader(nil)
		}
	case "BZIP2":
		r = bzip2.NewReader(scanned)
	}
	processed := &countingReader{r: r}
	dir, err := os.MkdirTemp("", "niwa-s3select-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(dir) }()
	path := filepath.Join(dir, "records.json")
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	start, end := req.rangeStart, req.rangeEnd
	if req.lastBytes > 0 {
		start = max(size-req.lastBytes, 0)
	}
	ld := &loader{start: start, end: end, from: req.query.From}
	if req.in.csv != nil {
		err = ld.loadCSV(processed, f, req.in.csv)
	} else {
		err = ld.loadJSON(processed, f, req.in.jsonLines)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	schema, cols := ld.schema()
	tr, err := selectsql.Translate(req.query, req.src, schema)
	if err != nil {
		return sqlError(err)
	}
	res, err := engine.Query(ctx, sqlengine.Query{
		SQL:      tr.SQL,
		Database: "s3select",
		Tables: []sqlengine.Table{{Database: "s3select", Name: schema.Table, Columns: cols,
			Format: sqlengine.FormatJSON, Files: []sqlengine.File{{Path: path}}}},
		MaxRows: selectMaxRows,
	})
	if err != nil {
		return engineError(err)
	}
	var returned int64
	var buf bytes.Buffer
	flush := func() error {
		if buf.Len() == 0 {
			return nil
		}
		returned += int64(buf.Len())
		p := bytes.Clone(buf.Bytes())
		buf.Reset()
		return send(&s3api.SelectObjectContentEventStream{Records: &s3api.RecordsEvent{Payload: p}})
	}
	for _, row := range res.Rows {
		req.out.write(&buf, row, res.Columns, tr.Outputs)
		if buf.Len() >= recordsChunk {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	stats := &s3api.Stats{BytesScanned: ptr.To(scanned.n), BytesProcessed: ptr.To(processed.n), BytesReturned: ptr.To(returned)}
	if req.progress {
		p := s3api.Progress(*stats)
		if err := send(&s3api.SelectObjectContentEventStream{Progress: &s3api.ProgressEvent{Details: &p}}); err != nil {
			return err
		}
	}
	if err := send(&s3api.SelectObjectContentEventStream{Stats: &s3api.StatsEvent{Details: stats}}); err != nil {
		return err
	}
	return send(&s3api.SelectObjectContentEventStream{End: &s3api.EndEvent{}})
}

// engineError answers an error of the engine as S3 Select's.
func engineError(err error) error {
	var qe *sqlengine.QueryError
	if !errors.As(err, &qe) {
		return err
	}
	msg := qe.Message
	switch {
	case strings.Contains(msg, "Conversion Error") || strings.Contains(msg, "Could not convert") || strings.Contains(msg, "Could not parse"):
		return selectErr("CastFailed").New("Attempt to convert from one data type to another using CAST failed in the SQL expression: %s", msg)
	case strings.Contains(msg, "Query exhausted resources"):
		return selectErr("ResourceExhausted").New("niwa answers at most %d records per SelectObjectContent.", selectMaxRows)
	case strings.Contains(msg, "No function matches") || strings.Contains(msg, "Cannot compare") || strings.Contains(msg, "Binder Error"):
		return selectErr("InvalidDataType").New("The SQL expression contains an invalid data type: %s", msg)
	}
	return selectErr("InvalidQuery").New("The SQL expression is invalid: %s", msg)
}
