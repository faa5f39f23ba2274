package athena

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/lazyre"
	"github.com/niwa-cloud/niwa/internal/objects"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/sqlengine"
)

// run is one query execution at work.
type run struct {
	a       *Athena
	ctx     *request.Context
	rec     *execRecord
	cutoff  int64
	scanned int64
	dir     string
}

// classify names a statement's StatementType and SubstatementType.
func classify(q string) (string, string) {
	toks, err := lex(q, true)
	if err != nil || len(toks) == 0 {
		return "DML", "SELECT"
	}
	word := func(i int) string {
		if i < len(toks) && toks[i].kind == tIdent {
			return strings.ToUpper(toks[i].val)
		}
		return ""
	}
	switch word(0) {
	case "CREATE":
		i := 1
		if word(i) == "OR" {
			i += 2
		}
		if word(i) == "EXTERNAL" {
			i++
		}
		switch word(i) {
		case "DATABASE", "SCHEMA":
			return "DDL", "CREATE_DATABASE"
		case "VIEW":
			return "DDL", "CREATE_VIEW"
		case "TABLE":
			for _, t := range toks {
				if t.is("as") {
					return "DDL", "CREATE_TABLE_AS_SELECT"
				}
			}
			return "DDL", "CREATE_TABLE"
		}
		return "DDL", "CREATE_TABLE"
	case "DROP":
		switch word(1) {
		case "DATABASE", "SCHEMA":
			return "DDL", "DROP_DATABASE"
		case "VIEW":
			return "DDL", "DROP_VIEW"
		}
		return "DDL", "DROP_TABLE"
	case "ALTER":
		for _, t := range toks {
			if t.is("add") {
				return "DDL", "ALTER_TABLE_ADD_PARTITION"
			}
			if t.is("drop") {
				return "DDL", "ALTER_TABLE_DROP_PARTITION"
			}
		}
		return "DDL", "ALTER_TABLE"
	case "MSCK":
		return "DDL", "REPAIR_TABLE"
	case "SHOW":
		switch word(1) {
		case "DATABASES", "SCHEMAS":
			return "DDL", "SHOW_DATABASES"
		case "PARTITIONS":
			return "DDL", "SHOW_PARTITIONS"
		case "COLUMNS":
			return "DDL", "SHOW_COLUMNS"
		case "VIEWS":
			return "DDL", "SHOW_VIEWS"
		case "CREATE":
			return "DDL", "SHOW_CREATE_TABLE"
		case "TBLPROPERTIES":
			return "DDL", "SHOW_TABLE_PROPERTIES"
		}
		return "DDL", "SHOW_TABLES"
	case "DESCRIBE", "DESC":
		return "DDL", "DESCRIBE_TABLE"
	case "INSERT":
		return "DML", "INSERT"
	case "EXPLAIN":
		return "DML", "EXPLAIN"
	case "PREPARE", "EXECUTE", "DEALLOCATE":
		return "UTILITY", strings.ToUpper(word(0))
	}
	return "DML", "SELECT"
}

// statement runs the statement and answers its result (nil for none).
func (r *run) statement() (*resultRecord, error) {
	if !strings.EqualFold(r.rec.Catalog, awsDataCatalog) {
		return nil, userError(1301, fmt.Sprintf("CATALOG_NOT_FOUND: line 1:1: Catalog '%s' does not exist", strings.ToLower(r.rec.Catalog)))
	}
	q := strings.TrimSpace(r.rec.Query)
	q = strings.TrimSpace(strings.TrimSuffix(q, ";"))
	if len(r.rec.Params) > 0 {
		var err error
		if q, err = bind(q, r.rec.Params); err != nil {
			return nil, userError(1100, err.Error())
		}
	}
	toks, err := lex(q, true)
	if err != nil {
		return nil, userError(1006, err.Error())
	}
	if len(toks) == 0 {
		return nil, userError(1006, "line 1:1: mismatched input '<EOF>'. Expecting: <statement>")
	}
	for _, t := range toks {
		if t.kind == tSymbol && t.val == ";" {
			return nil, userError(1006, "Only one sql statement is allowed. Got: "+q)
		}
	}
	p := &parser{src: q, toks: toks}
	switch {
	case toks[0].is("create"), toks[0].is("drop"), toks[0].is("alter"), toks[0].is("msck"),
		toks[0].is("show"), toks[0].is("describe"), toks[0].is("desc"):
		return r.ddl(p)
	case toks[0].is("execute"):
		return r.execute(p)
	case toks[0].is("prepare"), toks[0].is("deallocate"):
		return r.prepare(p)
	case toks[0].is("insert"):
		return r.insert(p)
	case toks[0].is("explain"), toks[0].is("unload"), toks[0].is("merge"), toks[0].is("update"), toks[0].is("delete"),
		toks[0].is("vacuum"), toks[0].is("optimize"):
		return nil, userError(1200, fmt.Sprintf("NOT_SUPPORTED: %s statements are not supported by niwa's Athena", strings.ToUpper(toks[0].val)))
	}
	res, err := r.query(q, toks)
	if err != nil {
		return nil, err
	}
	return &resultRecord{Columns: res.Columns, Header: true, Rows: res.Rows}, nil
}

// query runs a SELECT (or WITH, VALUES) on the engine.
func (r *run) query(q string, toks []tok) (*sqlengine.Result, error) {
	if r.a.opts.Engine == nil {
		return nil, &failure{msg: "NOT_SUPPORTED: " + sqlengine.ErrNotLinked.Error(), category: 1, typ: 1200}
	}
	tables, err := r.tables(toks)
	if err != nil {
		return nil, err
	}
	res, err := r.a.opts.Engine.Query(r.ctx, sqlengine.Query{SQL: q, Database: r.rec.Database, Tables: tables, MaxRows: r.a.opts.MaxResultRows})
	return res, r.engineError(err)
}

// tableMissing finds the table DuckDB did not find.
var tableMissing = lazyre.New(`Table with name (\S+) does not exist`)

// engineError words an engine error as Athena's failure.
func (r *run) engineError(err error) error {
	var qe *sqlengine.QueryError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &qe):
		msg := qe.Message
		typ := int32(1000)
		switch {
		case strings.Contains(msg, "Parser Error"), strings.Contains(msg, "syntax error"):
			typ = 1006
		case strings.Contains(msg, "Catalog Error: Table"):
			typ = 1110
			if m := tableMissing.FindStringSubmatch(msg); m != nil {
				name := m[1]
				if !strings.Contains(name, ".") {
					name = r.rec.Database + "." + name
				}
				msg = fmt.Sprintf("TABLE_NOT_FOUND: line 1:1: Table 'awsdatacatalog.%s' does not exist", strings.ReplaceAll(name, `"`, ""))
			}
		case strings.HasPrefix(msg, "HIVE_BAD_DATA"), strings.HasPrefix(msg, "HIVE_CURSOR_ERROR"):
			typ = 1001
		}
		return userError(typ, msg)
	}
	return err
}

// tempDir is the run's directory for fetched objects, made on first use.
func (r *run) tempDir() (string, error) {
	if r.dir != "" {
		return r.dir, nil
	}
	d, err := os.MkdirTemp(r.a.opts.TempDir, "niwa-athena-data-")
	if err != nil {
		return "", err
	}
	r.dir = d
	return d, nil
}

// cleanup removes what the run fetched.
func (r *run) cleanup() {
	if r.dir != "" {
		_ = os.RemoveAll(r.dir)
		r.dir = ""
	}
}

// writeResult writes the result file to the output location: a SELECT's
// rows as <id>.csv with <id>.csv.metadata, other statements' as <id>.txt.
func (r *run) writeResult(res *resultRecord) error {
	loc := r.rec.OutputLocation
	if !strings.HasSuffix(loc, "/") {
		loc += "/"
	}
	bucket, prefix, ok := parseS3(loc)
	if !ok {
		return userError(1100, "outputLocation is not a valid S3 path. Provided "+r.rec.OutputLocation)
	}
	if res == nil {
		res = &resultRecord{}
	}
	var body bytes.Buffer
	var name string
	if r.rec.StatementType == "DML" && r.rec.SubstatementType == "SELECT" || r.rec.SubstatementType == "EXECUTE" && res.Header {
		name = r.rec.ID + ".csv"
		header := make([]string, len(res.Columns))
		for i, c := range res.Columns {
			header[i] = c.Name
		}
		writeCSVRow(&body, header, nil)
		for _, row := range res.Rows {
			vals := make([]string, len(row))
			nulls := make([]bool, len(row))
			for i, v := range row {
				if v == nil {
					nulls[i] = true
				} else {
					vals[i] = *v
				}
			}
			writeCSVRow(&body, vals, nulls)
		}
		meta, err := json.Marshal(map[string]any{"ColumnInfo": columnInfo(res.Columns)})
		if err != nil {
			return err
		}
		if err := r.put(bucket, prefix+name+".metadata", meta); err != nil {
			return err
		}
	} else {
		name = r.rec.ID + ".txt"
		for _, row := range res.Rows {
			vals := make([]string, len(row))
			for i, v := range row {
				if v != nil {
					vals[i] = *v
				}
			}
			body.WriteString(strings.Join(vals, "\t"))
			body.WriteByte('\n')
		}
	}
	if err := r.put(bucket, prefix+name, body.Bytes()); err != nil {
		return err
	}
	r.rec.Output = "s3://" + bucket + "/" + prefix + name
	return nil
}

// writeCSVRow writes one row as Athena does: every value quoted, NULL as
// an empty unquoted field.
func writeCSVRow(b *bytes.Buffer, vals []string, nulls []bool) {
	for i, v := range vals {
		if i > 0 {
			b.WriteByte(',')
		}
		if nulls != nil && nulls[i] {
			continue
		}
		b.WriteByte('"')
		b.WriteString(strings.ReplaceAll(v, `"`, `""`))
		b.WriteByte('"')
	}
	b.WriteByte('\n')
}

// put writes a result object as the caller.
func (r *run) put(bucket, key string, body []byte) error {
	if r.a.opts.Objects == nil {
		return &failure{msg: "S3 is not available to write query results", category: 1, typ: 401}
	}
	err := r.a.opts.Objects.Put(r.ctx, bucket, key, body)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, objects.ErrNoSuchBucket):
		return userError(1306, fmt.Sprintf("Unable to verify/create output bucket %s", bucket))
	case isAccessDenied(err):
		return userError(1501, fmt.Sprintf("Access denied when writing output to url: s3://%s/%s . Please ensure you are allowed to access the S3 bucket. If you are encrypting query results with KMS key, please ensure you are allowed to access your KMS key", bucket, key))
	}
	return &failure{msg: "Failed to write query results to Amazon S3: " + err.Error(), category: 1, typ: 401}
}

func isAccessDenied(err error) bool {
	if errors.Is(err, objects.ErrAccessDenied) {
		return true
	}
	var e *awserr.Error
	return errors.As(err, &e) && (e.Code.Code == "AccessDenied" || e.Code.Code == "AccessDeniedException")
}

// fetch copies an object into the run's directory and counts it as
// scanned.
func (r *run) fetch(bucket, key string, size int64) (string, error) {
	if r.scanned+size > r.a.opts.MaxScanBytes {
		return "", userError(1, fmt.Sprintf("Query exhausted resources at this scale factor: niwa reads at most %d bytes per query", r.a.opts.MaxScanBytes))
	}
	if r.cutoff > 0 && r.scanned+size > r.cutoff {
		return "", userError(1008, "Query cancelled! Bytes scanned limit was exceeded. The limit is set in the workgroup configuration.")
	}
	dir, err := r.tempDir()
	if err != nil {
		return "", err
	}
	rc, n, err := r.a.opts.Objects.Open(r.ctx, bucket, key)
	switch {
	case err == nil:
	case errors.Is(err, objects.ErrNoSuchKey):
		return "", nil // deleted meanwhile
	case isAccessDenied(err):
		return "", userError(1501, fmt.Sprintf("Permission denied on S3 path: s3://%s/%s", bucket, key))
	default:
		return "", userError(1302, fmt.Sprintf("HIVE_CANNOT_OPEN_SPLIT: Error opening Hive split s3://%s/%s: %v", bucket, key, err))
	}
	defer func() { _ = rc.Close() }()
	name := fmt.Sprintf("f%d", r.scanned)
	if strings.HasSuffix(key, ".gz") {
		name += ".gz"
	}
	f, err := os.CreateTemp(dir, "obj-*-"+name)
	if err != nil {
		return "", err
	}
	path := f.Name()
	_, err = f.ReadFrom(rc)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", err
	}
	r.scanned += n
	return path, nil
}
