package athena

import (
	"errors"
	"fmt"
	"os"
	"path"
	"regexp"
	"strings"

	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/objects"
	"github.com/niwa-cloud/niwa/internal/sqlengine"
)

// ddl runs CREATE, DROP, ALTER, MSCK, SHOW and DESCRIBE against the Glue
// catalog.
func (r *run) ddl(p *parser) (*resultRecord, error) {
	res, err := r.ddlStatement(p)
	if err != nil {
		var f *failure
		if errors.As(err, &f) {
			return nil, err
		}
		var e *awserr.Error
		if errors.As(err, &e) {
			return nil, r.catalogError(err)
		}
		return nil, userError(1006, err.Error())
	}
	return res, nil
}

func strRow(vals ...string) []*string {
	row := make([]*string, len(vals))
	for i := range vals {
		row[i] = &vals[i]
	}
	return row
}

func (r *run) ddlStatement(p *parser) (*resultRecord, error) {
	cat := r.a.opts.Catalog
	if cat == nil {
		return nil, &failure{msg: "the Glue Data Catalog is not available", category: 1, typ: 204}
	}
	db := r.rec.Database
	switch {
	case p.accept("create", "database") || p.accept("create", "schema"):
		ifNot := p.accept("if", "not", "exists")
		name, err := p.ident()
		if err != nil {
			return nil, err
		}
		var comment, location string
		var props map[string]string
		for !p.done() {
			switch {
			case p.accept("comment"):
				if comment, err = p.str(); err != nil {
					return nil, err
				}
			case p.accept("location"):
				if location, err = p.str(); err != nil {
					return nil, err
				}
			case p.accept("with", "dbproperties"), p.accept("with"):
				if props, err = p.props(); err != nil {
					return nil, err
				}
			default:
				return nil, p.errorf("mismatched input '%s'. Expecting: 'COMMENT', 'LOCATION', 'WITH', <EOF>", p.peek().val)
			}
		}
		err = cat.CreateDatabase(r.ctx, name, comment, location, props)
		if err != nil && ifNot && isCode(err, "AlreadyExistsException") {
			err = nil
		}
		if err != nil && isCode(err, "AlreadyExistsException") {
			return nil, userError(1003, fmt.Sprintf("FAILED: SemanticException [Error 10072]: Database %s already exists", name))
		}
		return &resultRecord{}, err
	case p.accept("drop", "database") || p.accept("drop", "schema"):
		ifExists := p.accept("if", "exists")
		name, err := p.ident()
		if err != nil {
			return nil, err
		}
		cascade := p.accept("cascade")
		p.accept("restrict")
		if !cascade {
			ts, err := cat.Tables(r.ctx, name)
			if err == nil && len(ts) > 0 {
				return nil, userError(1003, fmt.Sprintf("FAILED: InvalidOperationException(message:Database %s is not empty. One or more tables exist.)", name))
			}
		}
		err = cat.DeleteDatabase(r.ctx, name)
		if err != nil && ifExists && isCode(err, "EntityNotFoundException") {
			err = nil
		}
		return &resultRecord{}, err
	case p.accept("create", "external", "table"), p.accept("create", "table"):
		return r.createTable(p, db)
	case p.accept("create", "or", "replace", "view"):
		return r.createView(p, db, true)
	case p.accept("create", "view"):
		return r.createView(p, db, false)
	case p.accept("drop", "table"), p.accept("drop", "view"):
		ifExists := p.accept("if", "exists")
		tdb, name, err := p.qualified(db)
		if err != nil {
			return nil, err
		}
		err = cat.DeleteTable(r.ctx, tdb, name)
		if err != nil && ifExists && isCode(err, "EntityNotFoundException") {
			err = nil
		}
		return &resultRecord{}, err
	case p.accept("msck", "repair", "table"):
		tdb, name, err := p.qualified(db)
		if err != nil {
			return nil, err
		}
		return r.repair(tdb, name)
	case p.accept("alter", "table"):
		tdb, name, err := p.qualified(db)
		if err != nil {
			return nil, err
		}
		return r.alter(p, tdb, name)
	case p.accept("show", "databases"), p.accept("show", "schemas"):
		like := ""
		if p.accept("like") || !p.done() {
			var err error
			if like, err = p.str(); err != nil {
				return nil, err
			}
		}
		names, err := cat.Databases(r.ctx)
		if err != nil {
			return nil, err
		}
		res := &resultRecord{Columns: []sqlengine.Column{{Name: "database_name", Type: "string"}}}
		for _, n := range names {
			if like == "" || hiveLike(like, n) {
				res.Rows = append(res.Rows, strRow(n))
			}
		}
		return res, nil
	case p.accept("show", "tables"), p.accept("show", "views"):
		views := p.toks[p.i-1].is("views")
		if p.accept("in") || p.accept("from") {
			var err error
			if db, err = p.ident(); err != nil {
				return nil, err
			}
		}
		like := ""
		if p.accept("like") || !p.done() {
			var err error
			if like, err = p.str(); err != nil {
				return nil, err
			}
		}
		ts, err := cat.Tables(r.ctx, db)
		if err != nil {
			return nil, err
		}
		col := "tab_name"
		if views {
			col = "views"
		}
		res := &resultRecord{Columns: []sqlengine.Column{{Name: col, Type: "string"}}}
		for _, t := range ts {
			if views != (t.TableType == "VIRTUAL_VIEW") {
				continue
			}
			if like == "" || hiveLike(like, t.Name) {
				res.Rows = append(res.Rows, strRow(t.Name))
			}
		}
		return res, nil
	case p.accept("show", "partitions"):
		tdb, name, err := p.qualified(db)
		if err != nil {
			return nil, err
		}
		t, err := cat.Table(r.ctx, tdb, name)
		if err != nil {
			return nil, err
		}
		if len(t.PartitionKeys) == 0 {
			return nil, userError(1003, fmt.Sprintf("FAILED: SemanticException Table %s is not a partitioned table", name))
		}
		parts, err := cat.Partitions(r.ctx, tdb, name)
		if err != nil {
			return nil, err
		}
		res := &resultRecord{Columns: []sqlengine.Column{{Name: "partition", Type: "string"}}}
		for _, pt := range parts {
			kv := make([]string, len(t.PartitionKeys))
			for i, k := range t.PartitionKeys {
				if i < len(pt.Values) {
					kv[i] = k.Name + "=" + pt.Values[i]
				}
			}
			res.Rows = append(res.Rows, strRow(strings.Join(kv, "/")))
		}
		return res, nil
	case p.accept("show", "columns"):
		if !p.accept("in") && !p.accept("from") {
			return nil, p.expect("in")
		}
		tdb, name, err := p.qualified(db)
		if err != nil {
			return nil, err
		}
		t, err := cat.Table(r.ctx, tdb, name)
		if err != nil {
			return nil, err
		}
		res := &resultRecord{Columns: []sqlengine.Column{{Name: "field", Type: "string"}}}
		for _, c := range append(append([]sqlengine.Column{}, t.Columns...), t.PartitionKeys...) {
			res.Rows = append(res.Rows, strRow(c.Name))
		}
		return res, nil
	case p.accept("describe"), p.accept("desc"):
		p.accept("formatted")
		p.accept("extended")
		tdb, name, err := p.qualified(db)
		if err != nil {
			return nil, err
		}
		t, err := cat.Table(r.ctx, tdb, name)
		if err != nil {
			return nil, err
		}
		res := &resultRecord{Columns: []sqlengine.Column{{Name: "col_name", Type: "string"}, {Name: "data_type", Type: "string"}, {Name: "comment", Type: "string"}}}
		for _, c := range t.Columns {
			res.Rows = append(res.Rows, strRow(c.Name, c.Type, ""))
		}
		for _, c := range t.PartitionKeys {
			res.Rows = append(res.Rows, strRow(c.Name, c.Type, ""))
		}
		if len(t.PartitionKeys) > 0 {
			res.Rows = append(res.Rows, strRow("", "", ""), strRow("# Partition Information", "", ""), strRow("# col_name", "data_type", "comment"), strRow("", "", ""))
			for _, c := range t.PartitionKeys {
				res.Rows = append(res.Rows, strRow(c.Name, c.Type, ""))
			}
		}
		return res, nil
	}
	return nil, userError(1200, fmt.Sprintf("NOT_SUPPORTED: niwa's Athena does not run this statement: %s", firstWords(p.src, 3)))
}

func firstWords(s string, n int) string {
	f := strings.Fields(s)
	if len(f) > n {
		f = f[:n]
	}
	return strings.Join(f, " ")
}

func isCode(err error, code string) bool {
	var e *awserr.Error
	return errors.As(err, &e) && e.Code.Code == code
}

// hiveLike matches SHOW's patterns: * any run, | alternatives.
func hiveLike(pat, s string) bool {
	for _, alt := range strings.Split(pat, "|") {
		var b strings.Builder
		for _, part := range strings.Split(strings.TrimSpace(alt), "*") {
			if b.Len() > 0 {
				b.WriteString(".*")
			}
			b.WriteString(regexp.QuoteMeta(part))
		}
		if re, err := regexp.Compile("(?i)^" + b.String() + "$"); err == nil && re.MatchString(s) {
			return true
		}
	}
	return false
}

// Input and output formats, as Athena's DDL writes them into Glue.
const (
	textInput     = "org.apache.hadoop.mapred.TextInputFormat"
	textOutput    = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
	parquetInput  = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
	parquetOutput = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
	parquetSerDe  = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
	lazySimple    = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"
)

func toColumns(cs []column) []sqlengine.Column {
	out := make([]sqlengine.Column, len(cs))
	for i, c := range cs {
		out[i] = sqlengine.Column{Name: c.Name, Type: c.Type}
	}
	return out
}

// createTable runs CREATE [EXTERNAL] TABLE (Hive DDL) and CREATE TABLE
// AS SELECT.
func (r *run) createTable(p *parser, db string) (*resultRecord, error) {
	ifNot := p.accept("if", "not", "exists")
	tdb, name, err := p.qualified(db)
	if err != nil {
		return nil, err
	}
	if p.peek().is("with") || p.peek().is("as") {
		return r.ctas(p, tdb, name, ifNot)
	}
	cols, err := p.columns()
	if err != nil {
		return nil, err
	}
	t := Table{Database: tdb, Name: name, Columns: toColumns(cols), TableType: "EXTERNAL_TABLE",
		SerDeParams: map[string]string{}, Parameters: map[string]string{"EXTERNAL": "TRUE"}}
	stored := ""
	for !p.done() {
		switch {
		case p.accept("comment"):
			if t.Description, err = p.str(); err != nil {
				return nil, err
			}
		case p.accept("partitioned", "by"):
			pc, err := p.columns()
			if err != nil {
				return nil, err
			}
			t.PartitionKeys = toColumns(pc)
		case p.accept("clustered", "by"):
			if _, err := p.columns(); err != nil {
				return nil, err
			}
			if p.accept("sorted", "by") {
				if _, err := p.columns(); err != nil {
					return nil, err
				}
			}
			if err := p.expect("into"); err != nil {
				return nil, err
			}
			p.i++
			if err := p.expect("buckets"); err != nil {
				return nil, err
			}
		case p.accept("row", "format", "serde"):
			if t.SerDe, err = p.str(); err != nil {
				return nil, err
			}
			if p.accept("with", "serdeproperties") {
				props, err := p.props()
				if err != nil {
					return nil, err
				}
				for k, v := range props {
					t.SerDeParams[k] = v
				}
			}
		case p.accept("row", "format", "delimited"):
			t.SerDe = lazySimple
			for {
				switch {
				case p.accept("fields", "terminated", "by"):
					v, err := p.str()
					if err != nil {
						return nil, err
					}
					t.SerDeParams["field.delim"], t.SerDeParams["serialization.format"] = v, v
					if p.accept("escaped", "by") {
						if t.SerDeParams["escape.delim"], err = p.str(); err != nil {
							return nil, err
						}
					}
					continue
				case p.accept("collection", "items", "terminated", "by"):
					if t.SerDeParams["collection.delim"], err = p.str(); err != nil {
						return nil, err
					}
					continue
				case p.accept("map", "keys", "terminated", "by"):
					if t.SerDeParams["mapkey.delim"], err = p.str(); err != nil {
						return nil, err
					}
					continue
				case p.accept("lines", "terminated", "by"):
					if t.SerDeParams["line.delim"], err = p.str(); err != nil {
						return nil, err
					}
					continue
				case p.accept("null", "defined", "as"):
					if t.SerDeParams["serialization.null.format"], err = p.str(); err != nil {
						return nil, err
					}
					continue
				}
				break
			}
		case p.accept("stored", "as", "inputformat"):
			if t.InputFormat, err = p.str(); err != nil {
				return nil, err
			}
			if err := p.expect("outputformat"); err != nil {
				return nil, err
			}
			if t.OutputFormat, err = p.str(); err != nil {
				return nil, err
			}
		case p.accept("stored", "as"):
			if stored, err = p.ident(); err != nil {
				return nil, err
			}
		case p.accept("location"):
			if t.Location, err = p.str(); err != nil {
				return nil, err
			}
		case p.accept("tblproperties"):
			props, err := p.props()
			if err != nil {
				return nil, err
			}
			for k, v := range props {
				t.Parameters[k] = v
			}
		default:
			return nil, p.errorf("mismatched input '%s'. Expecting: 'COMMENT', 'PARTITIONED', 'ROW', 'STORED', 'LOCATION', 'TBLPROPERTIES', <EOF>", p.peek().val)
		}
	}
	switch stored {
	case "parquet":
		t.InputFormat, t.OutputFormat = parquetInput, parquetOutput
		if t.SerDe == "" {
			t.SerDe = parquetSerDe
		}
	case "textfile", "":
		if t.InputFormat == "" {
			t.InputFormat, t.OutputFormat = textInput, textOutput
		}
	default:
		t.InputFormat = "stored as " + stored
	}
	if t.SerDe == "" {
		t.SerDe = lazySimple
		if t.SerDeParams["serialization.format"] == "" {
			t.SerDeParams["serialization.format"] = "1"
		}
	}
	if t.Location == "" {
		return nil, userError(1100, "FAILED: SemanticException External table must have a LOCATION (niwa's Athena reads tables from S3 only)")
	}
	if _, _, ok := parseS3(t.Location); !ok {
		return nil, userError(1100, fmt.Sprintf("FAILED: SemanticException Invalid S3 location %s", t.Location))
	}
	err = r.a.opts.Catalog.CreateTable(r.ctx, t)
	if err != nil && ifNot && isCode(err, "AlreadyExistsException") {
		err = nil
	}
	if err != nil && isCode(err, "AlreadyExistsException") {
		return nil, userError(1003, fmt.Sprintf("FAILED: AlreadyExistsException: Table %s already exists", name))
	}
	return &resultRecord{}, err
}

// createView runs CREATE [OR REPLACE] VIEW: the engine checks the query
// and answers its columns; Glue keeps the view as Athena does.
func (r *run) createView(p *parser, db string, replace bool) (*resultRecord, error) {
	vdb, name, err := p.qualified(db)
	if err != nil {
		return nil, err
	}
	if err := p.expect("as"); err != nil {
		return nil, err
	}
	if p.i >= len(p.toks) {
		return nil, p.errorf("mismatched input '<EOF>'. Expecting: <query>")
	}
	body := strings.TrimSpace(p.src[p.toks[p.i].pos:])
	if r.a.opts.Engine == nil {
		return nil, &failure{msg: "NOT_SUPPORTED: " + sqlengine.ErrNotLinked.Error(), category: 1, typ: 1200}
	}
	btoks, err := lex(body, false)
	if err != nil {
		return nil, userError(1006, err.Error())
	}
	tables, err := r.tables(btoks)
	if err != nil {
		return nil, err
	}
	cols, err := r.a.opts.Engine.Columns(r.ctx, sqlengine.Query{SQL: body, Database: vdb, Tables: tables})
	if err != nil {
		return nil, r.engineError(err)
	}
	pv := prestoView{OriginalSQL: body, Catalog: "awsdatacatalog", Schema: vdb, Owner: r.ctx.Caller.ARN}
	for _, c := range cols {
		pv.Columns = append(pv.Columns, map[string]string{"name": c.Name, "type": c.Type})
	}
	t := Table{Database: vdb, Name: name, TableType: "VIRTUAL_VIEW", Columns: cols, ViewOriginalText: encodeView(pv),
		ViewExpandedText: "/* Presto View */", Parameters: map[string]string{"presto_view": "true", "comment": "Presto View"}}
	err = r.a.opts.Catalog.CreateTable(r.ctx, t)
	if err != nil && replace && isCode(err, "AlreadyExistsException") {
		err = r.a.opts.Catalog.UpdateTable(r.ctx, t)
	}
	if err != nil && isCode(err, "AlreadyExistsException") {
		return nil, userError(1003, fmt.Sprintf("line 1:1: View '%s.%s' already exists", vdb, name))
	}
	return &resultRecord{}, err
}

// partitionSpec reads (k='v', ...) in the table's key order.
func partitionSpec(p *parser, t Table) ([]string, error) {
	if err := p.expect("("); err != nil {
		return nil, err
	}
	got := map[string]string{}
	for !p.accept(")") {
		k, err := p.ident()
		if err != nil {
			return nil, err
		}
		if err := p.expect("="); err != nil {
			return nil, err
		}
		tk := p.peek()
		if tk.kind != tString && tk.kind != tNumber {
			return nil, p.errorf("mismatched input '%s'. Expecting: <literal>", tk.val)
		}
		p.i++
		got[k] = tk.val
		if !p.accept(",") && p.peek().val != ")" {
			return nil, p.expect(")")
		}
	}
	vals := make([]string, len(t.PartitionKeys))
	for i, k := range t.PartitionKeys {
		v, ok := got[k.Name]
		if !ok {
			return nil, userError(1003, fmt.Sprintf("FAILED: SemanticException [Error 10006]: Partition not found: missing value for partition key %s", k.Name))
		}
		vals[i] = v
	}
	if len(got) != len(t.PartitionKeys) {
		return nil, userError(1003, "FAILED: SemanticException Partition spec contains non-partition columns")
	}
	return vals, nil
}

// defaultLocation is where Hive puts a partition: <table>/k=v/...
func defaultLocation(t Table, vals []string) string {
	loc := strings.TrimSuffix(t.Location, "/")
	for i, k := range t.PartitionKeys {
		loc += "/" + k.Name + "=" + vals[i]
	}
	return loc + "/"
}

// alter runs ALTER TABLE ADD/DROP PARTITION and SET LOCATION/TBLPROPERTIES.
func (r *run) alter(p *parser, db, name string) (*resultRecord, error) {
	cat := r.a.opts.Catalog
	t, err := cat.Table(r.ctx, db, name)
	if err != nil {
		return nil, err
	}
	switch {
	case p.accept("add"):
		ifNot := p.accept("if", "not", "exists")
		var parts []Partition
		for p.accept("partition") {
			vals, err := partitionSpec(p, t)
			if err != nil {
				return nil, err
			}
			pt := Partition{Values: vals, Location: defaultLocation(t, vals)}
			if p.accept("location") {
				if pt.Location, err = p.str(); err != nil {
					return nil, err
				}
			}
			parts = append(parts, pt)
		}
		if len(parts) == 0 {
			return nil, p.expect("partition")
		}
		if err := cat.AddPartitions(r.ctx, db, name, parts, ifNot); err != nil {
			if isCode(err, "AlreadyExistsException") {
				return nil, userError(1003, "FAILED: AlreadyExistsException: Partition already exists.")
			}
			return nil, err
		}
		return &resultRecord{}, nil
	case p.accept("drop"):
		ifExists := p.accept("if", "exists")
		for p.accept("partition") {
			vals, err := partitionSpec(p, t)
			if err != nil {
				return nil, err
			}
			if err := cat.DeletePartition(r.ctx, db, name, vals); err != nil && !(ifExists && isCode(err, "EntityNotFoundException")) {
				return nil, err
			}
			p.accept(",")
		}
		return &resultRecord{}, nil
	case p.accept("set", "location"):
		if t.Location, err = p.str(); err != nil {
			return nil, err
		}
		return &resultRecord{}, cat.UpdateTable(r.ctx, t)
	case p.accept("set", "tblproperties"):
		props, err := p.props()
		if err != nil {
			return nil, err
		}
		if t.Parameters == nil {
			t.Parameters = map[string]string{}
		}
		for k, v := range props {
			t.Parameters[k] = v
		}
		return &resultRecord{}, cat.UpdateTable(r.ctx, t)
	}
	return nil, userError(1200, "NOT_SUPPORTED: niwa's Athena runs ALTER TABLE ADD PARTITION, DROP PARTITION, SET LOCATION and SET TBLPROPERTIES")
}

// repair runs MSCK REPAIR TABLE: every Hive-style key=value/... folder
// under the table's location becomes a partition.
func (r *run) repair(db, name string) (*resultRecord, error) {
	cat := r.a.opts.Catalog
	t, err := cat.Table(r.ctx, db, name)
	if err != nil {
		return nil, err
	}
	if len(t.PartitionKeys) == 0 {
		return nil, userError(1003, fmt.Sprintf("FAILED: Execution Error, return code 1 from org.apache.hadoop.hive.ql.exec.DDLTask. Table %s is not partitioned", name))
	}
	bucket, objs, err := r.listing(t.Location)
	if err != nil {
		return nil, err
	}
	_, prefix, _ := parseS3(t.Location)
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	existing, err := cat.Partitions(r.ctx, db, name)
	if err != nil {
		return nil, err
	}
	have := map[string]bool{}
	for _, pt := range existing {
		have[strings.Join(pt.Values, "\x00")] = true
	}
	var parts []Partition
	var lines []string
	for _, o := range objs {
		dir := path.Dir(strings.TrimPrefix(o.Key, prefix))
		segs := strings.Split(dir, "/")
		if len(segs) < len(t.PartitionKeys) {
			continue
		}
		vals := make([]string, len(t.PartitionKeys))
		ok := true
		for i, k := range t.PartitionKeys {
			kv, v, found := strings.Cut(segs[i], "=")
			if !found || !strings.EqualFold(kv, k.Name) {
				ok = false
				break
			}
			vals[i] = v
		}
		key := strings.Join(vals, "\x00")
		if !ok || have[key] {
			continue
		}
		have[key] = true
		pt := Partition{Values: vals, Location: "s3://" + bucket + "/" + prefix + strings.Join(segs[:len(t.PartitionKeys)], "/") + "/"}
		parts = append(parts, pt)
		lines = append(lines, "Partitions not in metastore:\t"+name+":"+strings.Join(segs[:len(t.PartitionKeys)], "/"))
	}
	if len(parts) > 0 {
		if err := cat.AddPartitions(r.ctx, db, name, parts, true); err != nil {
			return nil, err
		}
	}
	res := &resultRecord{Columns: []sqlengine.Column{{Name: "result", Type: "string"}}}
	for _, l := range lines {
		res.Rows = append(res.Rows, strRow(l))
	}
	for _, pt := range parts {
		kv := make([]string, len(pt.Values))
		for i, k := range t.PartitionKeys {
			kv[i] = k.Name + "=" + pt.Values[i]
		}
		res.Rows = append(res.Rows, strRow("Repair: Added partition to metastore "+name+":"+strings.Join(kv, "/")))
	}
	return res, nil
}

// writeFormat is how CTAS and INSERT INTO write a table's format.
func writeFormat(t Table) (format, delim string, err error) {
	f, err := formatOf(t)
	if err != nil {
		return "", "", err
	}
	switch f {
	case sqlengine.FormatParquet:
		return "parquet", "", nil
	case sqlengine.FormatJSON:
		return "json", "", nil
	case sqlengine.FormatDelimited:
		d := t.SerDeParams["field.delim"]
		if d == "" {
			d = "\x01"
		}
		return "textfile", d, nil
	}
	return "", "", userError(1200, fmt.Sprintf("NOT_SUPPORTED: niwa's Athena writes PARQUET, JSON and TEXTFILE tables, not table %s.%s's SerDe %s", t.Database, t.Name, t.SerDe))
}

// body is the statement's text from token i on, without a trailing
// WITH [NO] DATA (CTAS), and whether NO DATA was asked.
func body(p *parser) (string, bool) {
	end := len(p.toks)
	noData := false
	if end >= 2 && p.toks[end-1].is("data") {
		if p.toks[end-2].is("with") {
			end -= 2
		} else if end >= 3 && p.toks[end-2].is("no") && p.toks[end-3].is("with") {
			end -= 3
			noData = true
		}
	}
	stop := len(p.src)
	if end < len(p.toks) {
		stop = p.toks[end].pos
	}
	return strings.TrimSpace(p.src[p.toks[p.i].pos:stop]), noData
}

// upload puts a written file's objects under an S3 location.
func (r *run) upload(loc string, files []string) error {
	bucket, prefix, ok := parseS3(loc)
	if !ok {
		return userError(1100, "Invalid S3 location "+loc)
	}
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	for i, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		key := fmt.Sprintf("%s%s_%05d%s", prefix, r.rec.ID, i, path.Ext(f))
		err = r.a.opts.Objects.Put(r.ctx, bucket, key, b)
		switch {
		case err == nil:
		case errors.Is(err, objects.ErrNoSuchBucket):
			return userError(1306, fmt.Sprintf("The specified bucket does not exist (Bucket: %s)", bucket))
		case isAccessDenied(err):
			return userError(1501, fmt.Sprintf("Access Denied when writing to s3://%s/%s", bucket, key))
		default:
			return err
		}
	}
	return nil
}

// ctas runs CREATE TABLE ... WITH (...) AS SELECT: the rows written to
// the table's location in its format, the table created in Glue.
func (r *run) ctas(p *parser, db, name string, ifNot bool) (*resultRecord, error) {
	cat := r.a.opts.Catalog
	props := map[string]string{}
	if p.accept("with") {
		if err := p.expect("("); err != nil {
			return nil, err
		}
		for !p.accept(")") {
			k, err := p.ident()
			if err != nil {
				return nil, err
			}
			if err := p.expect("="); err != nil {
				return nil, err
			}
			t := p.peek()
			switch {
			case t.is("array"):
				return nil, userError(1200, fmt.Sprintf("NOT_SUPPORTED: niwa's Athena does not write partitioned or bucketed tables (%s)", k))
			case t.kind == tString || t.kind == tNumber || t.kind == tIdent:
				p.i++
				props[k] = t.val
			default:
				return nil, p.errorf("mismatched input '%s'. Expecting: <expression>", t.val)
			}
			if !p.accept(",") && p.peek().val != ")" {
				return nil, p.expect(")")
			}
		}
	}
	if err := p.expect("as"); err != nil {
		return nil, err
	}
	if p.i >= len(p.toks) {
		return nil, p.errorf("mismatched input '<EOF>'. Expecting: <query>")
	}
	if _, err := cat.Table(r.ctx, db, name); err == nil {
		if ifNot {
			return &resultRecord{}, nil
		}
		return nil, userError(1003, fmt.Sprintf("line 1:1: Table 'awsdatacatalog.%s.%s' already exists", db, name))
	}
	format := strings.ToLower(props["format"])
	if format == "" {
		format = "parquet"
	}
	t := Table{Database: db, Name: name, TableType: "EXTERNAL_TABLE", SerDeParams: map[string]string{}, Parameters: map[string]string{"EXTERNAL": "TRUE", "has_encrypted_data": "false"}}
	delim := ""
	switch format {
	case "parquet":
		t.InputFormat, t.OutputFormat, t.SerDe = parquetInput, parquetOutput, parquetSerDe
	case "json":
		t.InputFormat, t.OutputFormat, t.SerDe = textInput, textOutput, "org.openx.data.jsonserde.JsonSerDe"
	case "textfile":
		delim = props["field_delimiter"]
		if delim == "" {
			delim = "\x01"
		}
		t.InputFormat, t.OutputFormat, t.SerDe = textInput, textOutput, lazySimple
		t.SerDeParams["field.delim"], t.SerDeParams["serialization.format"] = delim, delim
	default:
		return nil, userError(1101, fmt.Sprintf("NOT_SUPPORTED: niwa's Athena writes PARQUET, JSON and TEXTFILE tables, not %s", strings.ToUpper(format)))
	}
	t.Location = props["external_location"]
	if t.Location == "" {
		t.Location = strings.TrimSuffix(r.rec.OutputLocation, "/") + "/tables/" + r.rec.ID + "/"
	} else {
		bucket, objs, err := r.listing(t.Location)
		if err != nil {
			return nil, err
		}
		if len(objs) > 0 {
			return nil, userError(1003, fmt.Sprintf("HIVE_PATH_ALREADY_EXISTS: Target directory for table '%s.%s' already exists: s3://%s/%s", db, name, bucket, objs[0].Key))
		}
	}
	q, noData := body(p)
	res, err := r.write(q, sqlengine.WriteSpec{Format: format, Delimiter: delim})
	if err != nil {
		return nil, err
	}
	if !noData {
		if err := r.upload(t.Location, res.Files); err != nil {
			return nil, err
		}
		r.rec.UpdateCount = res.Rows
	}
	r.rec.HasUpdateCount = true
	t.Columns = res.Columns
	if err := cat.CreateTable(r.ctx, t); err != nil {
		return nil, err
	}
	return &resultRecord{}, nil
}

// write runs q on the engine into a directory of the run.
func (r *run) write(q string, w sqlengine.WriteSpec) (*sqlengine.WriteResult, error) {
	if r.a.opts.Engine == nil {
		return nil, &failure{msg: "NOT_SUPPORTED: " + sqlengine.ErrNotLinked.Error(), category: 1, typ: 1200}
	}
	toks, err := lex(q, false)
	if err != nil {
		return nil, userError(1006, err.Error())
	}
	tables, err := r.tables(toks)
	if err != nil {
		return nil, err
	}
	base, err := r.tempDir()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(base, "out-")
	if err != nil {
		return nil, err
	}
	w.Dir = dir
	res, err := r.a.opts.Engine.Write(r.ctx, sqlengine.Query{SQL: q, Database: r.rec.Database, Tables: tables}, w)
	return res, r.engineError(err)
}

// insert runs INSERT INTO table [(columns)] SELECT ...: the rows written
// as new objects under the table's location, in its format.
func (r *run) insert(p *parser) (*resultRecord, error) {
	if err := p.expect("insert", "into"); err != nil {
		return nil, userError(1006, err.Error())
	}
	db, name, err := p.qualified(r.rec.Database)
	if err != nil {
		return nil, userError(1006, err.Error())
	}
	t, err := r.a.opts.Catalog.Table(r.ctx, db, name)
	if err != nil {
		if isCode(err, "EntityNotFoundException") {
			return nil, userError(1110, fmt.Sprintf("TABLE_NOT_FOUND: line 1:1: Table 'awsdatacatalog.%s.%s' does not exist", db, name))
		}
		return nil, r.catalogError(err)
	}
	if len(t.PartitionKeys) > 0 || t.TableType == "VIRTUAL_VIEW" {
		return nil, userError(1200, "NOT_SUPPORTED: niwa's Athena inserts into unpartitioned tables only")
	}
	if p.peek().val == "(" {
		cols, err := p.identList()
		if err != nil {
			return nil, userError(1006, err.Error())
		}
		if len(cols) != len(t.Columns) {
			return nil, userError(1200, "NOT_SUPPORTED: niwa's Athena inserts every column of the table, in order")
		}
		for i, c := range cols {
			if c != t.Columns[i].Name {
				return nil, userError(1200, "NOT_SUPPORTED: niwa's Athena inserts every column of the table, in order")
			}
		}
	}
	if p.i >= len(p.toks) {
		return nil, userError(1006, "line 1:1: mismatched input '<EOF>'. Expecting: <query>")
	}
	format, delim, err := writeFormat(t)
	if err != nil {
		return nil, err
	}
	q, _ := body(p)
	res, err := r.write(q, sqlengine.WriteSpec{Format: format, Delimiter: delim, Columns: t.Columns})
	if err != nil {
		return nil, err
	}
	if err := r.upload(t.Location, res.Files); err != nil {
		return nil, err
	}
	r.rec.UpdateCount, r.rec.HasUpdateCount = res.Rows, true
	return &resultRecord{}, nil
}
