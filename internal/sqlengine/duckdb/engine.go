// Package duckdb runs Athena's queries on DuckDB (github.com/duckdb/
// duckdb-go, cgo): each query gets a fresh in-memory database holding the
// tables it may read, loaded from the files Athena fetched, and then
// locked (no file system, no extensions, no settings) before the user's
// statement, translated from Trino's dialect (translate.go), runs.
package duckdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/niwa-cloud/niwa/internal/sqlengine"
)

// Options bound what one query may use.
type Options struct {
	// MemoryLimit is DuckDB's memory_limit ("1GB" when empty).
	MemoryLimit string
	// Threads is DuckDB's threads (2 when 0).
	Threads int
	// TempDir is where tables' files are converted ("" is the system's).
	TempDir string
}

// Engine is a sqlengine.Engine on DuckDB.
type Engine struct {
	opts Options

	// sessions counts the databases open; when the last one closes, trim
	// returns the C heap's free memory to the system (mallocTrim: only
	// then, so that queries running together are not slowed by it).
	mu       sync.Mutex
	sessions int
	trim     func()
}

var _ sqlengine.Engine = (*Engine)(nil)

// New returns an engine.
func New(opts Options) *Engine {
	if opts.MemoryLimit == "" {
		opts.MemoryLimit = "1GB"
	}
	if opts.Threads <= 0 {
		opts.Threads = 2
	}
	return &Engine{opts: opts, trim: mallocTrim}
}

// session is one query's database.
type session struct {
	e    *Engine
	db   *sql.DB
	conn *sql.Conn
	dir  string
}

func (s *session) close() {
	if s.conn != nil {
		_ = s.conn.Close()
	}
	if s.db != nil {
		_ = s.db.Close()
	}
	_ = os.RemoveAll(s.dir)
	s.e.closed()
}

// opened and closed count the open databases (sessions).
func (e *Engine) opened() {
	e.mu.Lock()
	e.sessions++
	e.mu.Unlock()
}

func (e *Engine) closed() {
	e.mu.Lock()
	e.sessions--
	last := e.sessions == 0
	e.mu.Unlock()
	if last && e.trim != nil {
		e.trim()
	}
}

func (s *session) exec(ctx context.Context, q string) error {
	_, err := s.conn.ExecContext(ctx, q)
	return err
}

// open makes the database for q: its tables loaded, its views defined,
// then locked.
func (e *Engine) open(ctx context.Context, q sqlengine.Query, writeDir string) (*session, error) {
	dir, err := os.MkdirTemp(e.opts.TempDir, "niwa-athena-")
	if err != nil {
		return nil, err
	}
	s := &session{e: e, dir: dir}
	e.opened()
	conn, err := duckdb.NewConnector("", nil)
	if err != nil {
		s.close()
		return nil, err
	}
	s.db = sql.OpenDB(conn)
	if s.conn, err = s.db.Conn(ctx); err != nil {
		s.close()
		return nil, err
	}
	setup := []string{
		"SET autoinstall_known_extensions=false",
		"SET autoload_known_extensions=false",
		"SET memory_limit=" + quoteString(e.opts.MemoryLimit),
		"SET threads=" + strconv.Itoa(e.opts.Threads),
		"SET temp_directory=" + quoteString(filepath.Join(dir, "spill")),
	}
	setup = append(setup, macros...)
	for _, st := range setup {
		if err := s.exec(ctx, st); err != nil {
			s.close()
			return nil, fmt.Errorf("duckdb setup %q: %w", st, err)
		}
	}
	schemas := map[string]bool{}
	schema := func(db string) error {
		if schemas[db] {
			return nil
		}
		schemas[db] = true
		return s.exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+quoteIdent(db))
	}
	if err := schema(q.Database); err != nil {
		s.close()
		return nil, err
	}
	var views []sqlengine.Table
	for i, t := range q.Tables {
		if err := schema(t.Database); err != nil {
			s.close()
			return nil, err
		}
		if t.Format == sqlengine.FormatView {
			views = append(views, t)
			continue
		}
		if err := s.load(ctx, t, i); err != nil {
			s.close()
			return nil, err
		}
	}
	lock := []string{"SET schema=" + quoteString(q.Database)}
	if writeDir != "" {
		// The one directory the statement may write (COPY ... TO).
		lock = append(lock, "SET allowed_directories=["+quoteString(strings.TrimSuffix(writeDir, "/")+"/")+"]")
	}
	lock = append(lock, "SET enable_external_access=false", "SET lock_configuration=true")
	for _, st := range lock {
		if err := s.exec(ctx, st); err != nil {
			s.close()
			return nil, err
		}
	}
	// Views may name views: define them until none is left or none more
	// can be.
	for len(views) > 0 {
		var left []sqlengine.Table
		var lastErr error
		for _, v := range views {
			body, err := Translate(v.SQL)
			if err != nil {
				s.close()
				return nil, queryError(err)
			}
			if err := s.exec(ctx, "CREATE VIEW "+quoteIdent(v.Database)+"."+quoteIdent(v.Name)+" AS "+body); err != nil {
				left, lastErr = append(left, v), err
			}
		}
		if len(left) == len(views) {
			s.close()
			return nil, queryError(lastErr)
		}
		views = left
	}
	return s, nil
}

// load creates table t and fills it from its files.
func (s *session) load(ctx context.Context, t sqlengine.Table, n int) error {
	sd, err := newSerde(t)
	if err != nil {
		return err
	}
	name := quoteIdent(t.Database) + "." + quoteIdent(t.Name)
	defs := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		defs[i] = quoteIdent(c.Name) + " " + sd.cols[i].duckType()
	}
	if err := s.exec(ctx, "CREATE TABLE "+name+" ("+strings.Join(defs, ", ")+")"); err != nil {
		return queryError(err)
	}
	if len(t.Files) == 0 {
		return nil
	}
	if t.Format == sqlengine.FormatParquet {
		for _, f := range t.Files {
			sel := make([]string, len(t.Columns))
			for i, c := range t.Columns {
				if v, ok := partitionValue(f, c.Name); ok {
					sel[i] = "TRY_CAST(" + quoteString(v) + " AS " + sd.cols[i].duckType() + ")"
				} else {
					sel[i] = "CAST(" + quoteIdent(c.Name) + " AS " + sd.cols[i].duckType() + ")"
				}
			}
			if err := s.exec(ctx, "INSERT INTO "+name+" SELECT "+strings.Join(sel, ", ")+" FROM read_parquet("+quoteString(f.Path)+")"); err != nil {
				return queryError(fmt.Errorf("HIVE_CANNOT_OPEN_SPLIT: %w", err))
			}
		}
		return nil
	}
	path := filepath.Join(s.dir, fmt.Sprintf("t%d.json", n))
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	werr := sd.write(f)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return werr
	}
	// Timestamps and dates are read as text and cast, so that a value
	// that does not parse is NULL (as Hive reads it), not an error.
	cols := make([]string, len(t.Columns))
	sel := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		dt := sd.cols[i].duckType()
		if dt == "TIMESTAMP" || dt == "DATE" {
			cols[i] = quoteString(c.Name) + ": 'VARCHAR'"
			sel[i] = "TRY_CAST(" + quoteIdent(c.Name) + " AS " + dt + ")"
			continue
		}
		cols[i] = quoteString(c.Name) + ": " + quoteString(dt)
		sel[i] = quoteIdent(c.Name)
	}
	q := "INSERT INTO " + name + " SELECT " + strings.Join(sel, ", ") + " FROM read_json(" + quoteString(path) +
		", format='newline_delimited', maximum_object_size=" + strconv.Itoa(maxLine) + ", columns={" + strings.Join(cols, ", ") + "})"
	if err := s.exec(ctx, q); err != nil {
		return queryError(fmt.Errorf("HIVE_BAD_DATA: %w", err))
	}
	return nil
}

func partitionValue(f sqlengine.File, col string) (string, bool) {
	for k, v := range f.Partition {
		if strings.EqualFold(k, col) {
			return v, true
		}
	}
	return "", false
}

// athenaNames names result columns as Athena does: a column or alias
// keeps its name (in lower case), an unnamed expression is _col<i>.
// DuckDB names an expression by its text ("count_star()", "1"), which is
// never a plain name; a quoted alias that is not plain keeps its name.
func athenaNames(cols []sqlengine.Column, sqlText string) {
	lower := strings.ToLower(sqlText)
	for i, c := range cols {
		if plainName(c.Name) || strings.Contains(lower, `"`+c.Name+`"`) {
			continue
		}
		cols[i].Name = fmt.Sprintf("_col%d", i)
	}
}

func plainName(s string) bool {
	if s == "" || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	for _, c := range s {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c >= 0x80) {
			return false
		}
	}
	return true
}

// queryError words a DuckDB error for the user.
func queryError(err error) error {
	if err == nil {
		return nil
	}
	var qe *sqlengine.QueryError
	if errors.As(err, &qe) {
		return qe
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return &sqlengine.QueryError{Message: err.Error()}
}

// statement is q's SQL translated, without a trailing semicolon.
func statement(q sqlengine.Query) (string, error) {
	sqlText := strings.TrimSpace(q.SQL)
	sqlText = strings.TrimSpace(strings.TrimSuffix(sqlText, ";"))
	out, err := Translate(sqlText)
	if err != nil {
		return "", &sqlengine.QueryError{Message: "line 1:1: " + err.Error()}
	}
	return out, nil
}

// describe answers the columns of stmt.
func (s *session) describe(ctx context.Context, stmt string) ([]sqlengine.Column, []*typ, error) {
	rows, err := s.conn.QueryContext(ctx, "DESCRIBE "+stmt)
	if err != nil {
		return nil, nil, queryError(err)
	}
	defer func() { _ = rows.Close() }()
	var cols []sqlengine.Column
	var types []*typ
	for rows.Next() {
		var name, ctype string
		var a, b, c, d any
		if err := rows.Scan(&name, &ctype, &a, &b, &c, &d); err != nil {
			return nil, nil, err
		}
		t, err := parseDuck(ctype)
		if err != nil {
			t = &typ{kind: strings.ToLower(ctype)}
		}
		// Athena names result columns in lower case.
		cols = append(cols, sqlengine.Column{Name: strings.ToLower(name), Type: t.athena()})
		types = append(types, t)
	}
	return cols, types, queryError(rows.Err())
}

// Columns implements sqlengine.Engine: the columns in Hive's spelling.
func (e *Engine) Columns(ctx context.Context, q sqlengine.Query) ([]sqlengine.Column, error) {
	stmt, err := statement(q)
	if err != nil {
		return nil, err
	}
	s, err := e.open(ctx, q, "")
	if err != nil {
		return nil, err
	}
	defer s.close()
	cols, types, err := s.describe(ctx, stmt)
	if err != nil {
		return nil, err
	}
	for i := range cols {
		cols[i].Type = types[i].hive()
	}
	return cols, nil
}

// Query implements sqlengine.Engine.
func (e *Engine) Query(ctx context.Context, q sqlengine.Query) (*sqlengine.Result, error) {
	stmt, err := statement(q)
	if err != nil {
		return nil, err
	}
	s, err := e.open(ctx, q, "")
	if err != nil {
		return nil, err
	}
	defer s.close()
	cols, types, err := s.describe(ctx, stmt)
	if err != nil {
		return nil, err
	}
	athenaNames(cols, q.SQL)
	rows, err := s.conn.QueryContext(ctx, stmt)
	if err != nil {
		return nil, queryError(err)
	}
	defer func() { _ = rows.Close() }()
	res := &sqlengine.Result{Columns: cols}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if q.MaxRows > 0 && len(res.Rows) >= q.MaxRows {
			return nil, &sqlengine.QueryError{Message: fmt.Sprintf("Query exhausted resources: more than %d result rows", q.MaxRows)}
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, queryError(err)
		}
		row := make([]*string, len(cols))
		for i, v := range vals {
			if v == nil {
				continue
			}
			var t *typ
			if i < len(types) {
				t = types[i]
			}
			s := format(v, t)
			row[i] = &s
		}
		res.Rows = append(res.Rows, row)
	}
	if err := rows.Err(); err != nil {
		return nil, queryError(err)
	}
	return res, nil
}

// Write implements sqlengine.Engine: COPY (statement) TO a file in
// w.Dir, the only directory the statement's database may write.
func (e *Engine) Write(ctx context.Context, q sqlengine.Query, w sqlengine.WriteSpec) (*sqlengine.WriteResult, error) {
	stmt, err := statement(q)
	if err != nil {
		return nil, err
	}
	if len(w.Columns) > 0 {
		// Positional, cast to the target table's types.
		alias := make([]string, len(w.Columns))
		sel := make([]string, len(w.Columns))
		for i, c := range w.Columns {
			t, err := parseHive(c.Type)
			if err != nil {
				return nil, &sqlengine.QueryError{Message: fmt.Sprintf("column %s: %v", c.Name, err)}
			}
			alias[i] = fmt.Sprintf("c%d", i)
			sel[i] = "CAST(" + alias[i] + " AS " + t.duckType() + ") AS " + quoteIdent(c.Name)
		}
		stmt = "SELECT " + strings.Join(sel, ", ") + " FROM (" + stmt + ") AS niwa_insert(" + strings.Join(alias, ", ") + ")"
	}
	s, err := e.open(ctx, q, w.Dir)
	if err != nil {
		return nil, err
	}
	defer s.close()
	cols, types, err := s.describe(ctx, stmt)
	if err != nil {
		return nil, err
	}
	for i := range cols {
		cols[i].Type = types[i].hive()
	}
	var opts, ext string
	switch w.Format {
	case "parquet":
		opts, ext = "FORMAT PARQUET", ".parquet"
	case "json":
		opts, ext = "FORMAT JSON", ".json"
	case "textfile":
		d := w.Delimiter
		if d == "" {
			d = "\x01"
		}
		opts, ext = "FORMAT CSV, HEADER false, QUOTE '', ESCAPE '', DELIMITER "+quoteString(d)+", NULLSTR '\\N'", ""
	default:
		return nil, &sqlengine.QueryError{Message: fmt.Sprintf("NOT_SUPPORTED: niwa writes PARQUET, JSON and TEXTFILE tables, not %s", strings.ToUpper(w.Format))}
	}
	path := filepath.Join(w.Dir, "data-00000"+ext)
	var n int64
	if err := s.conn.QueryRowContext(ctx, "COPY ("+stmt+") TO "+quoteString(path)+" ("+opts+")").Scan(&n); err != nil {
		return nil, queryError(err)
	}
	res := &sqlengine.WriteResult{Columns: cols, Rows: n}
	if n > 0 {
		res.Files = []string{path}
	}
	return res, nil
}
