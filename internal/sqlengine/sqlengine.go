// Package sqlengine is the seam between Athena and the SQL engine that
// runs its queries. The engine (internal/sqlengine/duckdb, DuckDB through
// cgo) is linked only into the niwa binary and the tests that need it:
// cmd/niwa hands it to the server, so that internal/server and every
// in-process niwatest server link no C library. Without an engine Athena
// still serves its API and answers queries FAILED, saying why.
//
// A query reaches the engine as Athena's SQL (Trino's dialect) with the
// tables it may read: each a Glue table whose objects Athena has already
// fetched from S3 as the caller into local files, with the SerDe that
// reads them. The engine answers rows already formatted as Athena
// formats them in GetQueryResults and in the result CSV.
package sqlengine

import (
	"context"
	"errors"
)

// Engine runs Athena queries.
type Engine interface {
	// Query runs one SELECT (or WITH, VALUES) statement in Trino's
	// dialect over tables. An error the user caused (a syntax error, an
	// unknown column, a value that does not parse) is a *QueryError.
	Query(ctx context.Context, q Query) (*Result, error)
	// Columns answers the columns a SELECT statement would return,
	// without running it (CREATE VIEW records them in the catalog).
	Columns(ctx context.Context, q Query) ([]Column, error)
	// Write runs a SELECT statement and writes its rows as files into a
	// local directory (CREATE TABLE AS SELECT, INSERT INTO).
	Write(ctx context.Context, q Query, w WriteSpec) (*WriteResult, error)
}

// WriteSpec is where and how Write writes.
type WriteSpec struct {
	// Dir is a local directory the files go into.
	Dir string
	// Format is "parquet", "json" (one object per line) or "textfile"
	// (Delimiter-separated, \001 when empty).
	Format    string
	Delimiter string
	// Columns, when given, name and type the rows positionally (the
	// columns of the table INSERT INTO fills, in Hive's spelling).
	Columns []Column
}

// WriteResult is what Write wrote.
type WriteResult struct {
	// Columns are the rows' columns in Hive's spelling.
	Columns []Column
	Rows    int64
	// Files are the files written, under WriteSpec.Dir.
	Files []string
}

// ErrNotLinked is the answer of a niwa built without an engine.
var ErrNotLinked = errors.New("no SQL engine is linked into this niwa (in-process servers run without one; the niwa binary has DuckDB)")

// Query is one statement with what it may read.
type Query struct {
	// SQL is the statement in Trino's dialect.
	SQL string
	// Database is the schema unqualified names resolve in.
	Database string
	// Tables are the tables (and views) the statement may name.
	Tables []Table
	// MaxRows bounds the rows answered; more fail the query.
	MaxRows int
}

// Format is how a table's files are read (its SerDe or input format).
type Format string

// The formats the engine reads.
const (
	// FormatCloudTrail reads CloudTrail log files: one JSON document with
	// a "Records" array (com.amazon.emr.hive.serde.CloudTrailSerde).
	FormatCloudTrail Format = "cloudtrail"
	// FormatJSON reads one JSON object per line (the OpenX and HCatalog
	// JSON SerDes).
	FormatJSON Format = "json"
	// FormatDelimited reads lines split on Delimiter (LazySimpleSerDe).
	FormatDelimited Format = "delimited"
	// FormatOpenCSV reads quoted CSV (OpenCSVSerde): every column a string.
	FormatOpenCSV Format = "opencsv"
	// FormatRegex reads lines matched whole by Regex, one column per
	// group (RegexSerDe).
	FormatRegex Format = "regex"
	// FormatParquet reads Parquet files.
	FormatParquet Format = "parquet"
	// FormatView is a view: SQL is its query.
	FormatView Format = "view"
)

// Column is a column with its type in Hive's spelling (string, bigint,
// array<struct<a:int>>) for tables, or Athena's (varchar, row(...)) in
// results.
type Column struct {
	Name string
	Type string
}

// Table is a table the statement may read.
type Table struct {
	Database string
	Name     string
	// Columns are the data columns, then the partition keys.
	Columns []Column
	// PartitionKeys are the names of the partition columns (also in
	// Columns), whose values come from File.Partition.
	PartitionKeys []string
	Format        Format
	// Delimiter (FormatDelimited, FormatOpenCSV), Quote and Escape
	// (FormatOpenCSV), Regex (FormatRegex).
	Delimiter, Quote, Escape, Regex string
	// SkipHeaderLines skips the first lines of each file
	// (skip.header.line.count).
	SkipHeaderLines int
	// Files are the table's objects, fetched into local files.
	Files []File
	// SQL is a view's query (FormatView).
	SQL string
}

// File is one object of a table.
type File struct {
	// Path is a local file holding the object's bytes (gzip-compressed
	// objects are named *.gz and decompressed by the engine).
	Path string
	// Partition are the values of the partition keys for this object.
	Partition map[string]string
}

// Result is a query's answer.
type Result struct {
	// Columns are named and typed as Athena types them (varchar,
	// bigint, row(...), array(...)).
	Columns []Column
	// Rows are the values formatted as Athena formats them; nil is NULL.
	Rows [][]*string
}

// QueryError is an error in the statement or the data, worded for the
// user (Athena's StateChangeReason).
type QueryError struct {
	Message string
}

func (e *QueryError) Error() string { return e.Message }
