package duckdb

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/niwa-cloud/niwa/internal/sqlengine"
)

// The SerDes: each reads a table's files into rows of JSON, one object
// per line, keyed by the table's column names and shaped by their types,
// which DuckDB's JSON reader loads with the declared column types. What
// Hive's SerDes do on their own — match keys whatever their case, hand
// a nested object to a string column as its JSON text, turn what does
// not parse into NULL — happens here, once for every format; the SQL is
// all DuckDB's.

// maxLine bounds one line (or one CloudTrail file's document) a SerDe
// reads.
const maxLine = 64 << 20

// serde is one table's reader.
type serde struct {
	table sqlengine.Table
	cols  []*typ
	re    *regexp.Regexp
}

func newSerde(t sqlengine.Table) (*serde, error) {
	s := &serde{table: t}
	for _, c := range t.Columns {
		ct, err := parseHive(c.Type)
		if err != nil {
			return nil, &sqlengine.QueryError{Message: fmt.Sprintf("table %s.%s, column %s: %v", t.Database, t.Name, c.Name, err)}
		}
		s.cols = append(s.cols, ct)
	}
	if t.Format == sqlengine.FormatRegex {
		re, err := regexp.Compile(`^(?:` + t.Regex + `)$`)
		if err != nil {
			return nil, &sqlengine.QueryError{Message: fmt.Sprintf("HIVE_CURSOR_ERROR: table %s.%s: input.regex does not compile: %v", t.Database, t.Name, err)}
		}
		s.re = re
	}
	return s, nil
}

// open opens a file, decompressing .gz.
func open(path string) (io.ReadCloser, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	if !strings.HasSuffix(path, ".gz") {
		return f, nil
	}
	z, err := gzip.NewReader(f)
	if errors.Is(err, io.EOF) {
		return f, nil // an empty object: no rows
	}
	if err != nil {
		_ = f.Close()
		return nil, &sqlengine.QueryError{Message: fmt.Sprintf("HIVE_CURSOR_ERROR: %s is not gzip: %v", path, err)}
	}
	return struct {
		io.Reader
		io.Closer
	}{z, f}, nil
}

// write converts every file of the table into w, one JSON row a line.
func (s *serde) write(w io.Writer) error {
	enc := json.NewEncoder(w)
	for _, f := range s.table.Files {
		if err := s.file(f, enc); err != nil {
			return err
		}
	}
	return nil
}

func (s *serde) file(f sqlengine.File, enc *json.Encoder) error {
	rc, err := open(f.Path)
	if err != nil {
		return err
	}
	defer func() { _ = rc.Close() }()
	emit := func(vals map[string]any) error {
		for k, v := range f.Partition {
			for i, c := range s.table.Columns {
				if strings.EqualFold(c.Name, k) {
					vals[c.Name] = fromString(v, s.cols[i])
				}
			}
		}
		return enc.Encode(vals)
	}
	switch s.table.Format {
	case sqlengine.FormatCloudTrail:
		dec := json.NewDecoder(io.LimitReader(rc, maxLine))
		dec.UseNumber()
		var doc struct {
			Records []map[string]any
		}
		if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
			return nil // an empty file holds no records
		} else if err != nil {
			return &sqlengine.QueryError{Message: fmt.Sprintf("HIVE_CURSOR_ERROR: %s is not a CloudTrail log file: %v", f.Path, err)}
		}
		for _, r := range doc.Records {
			if err := emit(s.object(r)); err != nil {
				return err
			}
		}
		return nil
	case sqlengine.FormatOpenCSV:
		r := csv.NewReader(rc)
		r.LazyQuotes = true
		r.FieldsPerRecord = -1
		if d := []rune(s.table.Delimiter); len(d) == 1 {
			r.Comma = d[0]
		}
		for n := 0; ; n++ {
			rec, err := r.Read()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return &sqlengine.QueryError{Message: fmt.Sprintf("HIVE_BAD_DATA: %v", err)}
			}
			if n < s.table.SkipHeaderLines {
				continue
			}
			if err := emit(s.fields(rec, false)); err != nil {
				return err
			}
		}
	}
	sc := bufio.NewScanner(rc)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	for n := 0; sc.Scan(); n++ {
		line := strings.TrimSuffix(sc.Text(), "\r")
		if n < s.table.SkipHeaderLines {
			continue
		}
		var vals map[string]any
		switch s.table.Format {
		case sqlengine.FormatJSON:
			if strings.TrimSpace(line) == "" {
				continue
			}
			dec := json.NewDecoder(strings.NewReader(line))
			dec.UseNumber()
			var obj map[string]any
			if err := dec.Decode(&obj); err != nil {
				return &sqlengine.QueryError{Message: fmt.Sprintf("HIVE_CURSOR_ERROR: Row is not a valid JSON Object - JSONException: %v", err)}
			}
			vals = s.object(obj)
		case sqlengine.FormatRegex:
			m := s.re.FindStringSubmatch(line)
			if m == nil {
				vals = map[string]any{} // Hive: a line that does not match is a row of NULLs
			} else {
				vals = s.fields(m[1:], false)
			}
		default: // delimited
			d := s.table.Delimiter
			if d == "" {
				d = "\x01"
			}
			vals = s.fields(strings.Split(line, d), true)
		}
		if err := emit(vals); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return &sqlengine.QueryError{Message: fmt.Sprintf("HIVE_CURSOR_ERROR: %v", err)}
	}
	return nil
}

// dataColumns are the columns the files hold (not the partition keys).
func (s *serde) dataColumns() int {
	return len(s.table.Columns) - len(s.table.PartitionKeys)
}

// fields maps positional text values to the data columns.
func (s *serde) fields(vals []string, nullMarker bool) map[string]any {
	out := map[string]any{}
	for i := 0; i < s.dataColumns() && i < len(vals); i++ {
		if nullMarker && vals[i] == `\N` {
			continue
		}
		out[s.table.Columns[i].Name] = fromString(vals[i], s.cols[i])
	}
	return out
}

// object maps a JSON object's keys to the data columns, whatever their
// case.
func (s *serde) object(obj map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range obj {
		for i := 0; i < s.dataColumns(); i++ {
			if strings.EqualFold(s.table.Columns[i].Name, k) {
				out[s.table.Columns[i].Name] = shape(v, s.cols[i])
			}
		}
	}
	return out
}

// shape fits a decoded JSON value to t: nested objects to their struct
// fields (any case), anything to a string column as its text, what does
// not fit to NULL.
func shape(v any, t *typ) any {
	if v == nil {
		return nil
	}
	switch t.kind {
	case "struct":
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		out := map[string]any{}
		for k, fv := range m {
			for _, f := range t.fields {
				if strings.EqualFold(f.name, k) {
					out[f.name] = shape(fv, f.t)
				}
			}
		}
		return out
	case "array":
		a, ok := v.([]any)
		if !ok {
			return nil
		}
		out := make([]any, len(a))
		for i, e := range a {
			out[i] = shape(e, t.elem)
		}
		return out
	case "map":
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		out := map[string]any{}
		for k, e := range m {
			out[k] = shape(e, t.elem)
		}
		return out
	}
	switch x := v.(type) {
	case string:
		return fromString(x, t)
	case json.Number:
		return fromString(x.String(), t)
	case bool:
		return fromString(strconv.FormatBool(x), t)
	default:
		if isString(t) {
			var b bytes.Buffer
			enc := json.NewEncoder(&b)
			enc.SetEscapeHTML(false)
			if err := enc.Encode(x); err != nil {
				return nil
			}
			return strings.TrimSuffix(b.String(), "\n")
		}
		return nil
	}
}

func isString(t *typ) bool {
	base, _, _ := strings.Cut(t.kind, "(")
	return base == "string" || base == "varchar" || base == "char"
}

// fromString reads a text value as t: NULL when it does not parse (as
// Hive reads a bad field).
func fromString(s string, t *typ) any {
	base, _, _ := strings.Cut(t.kind, "(")
	switch base {
	case "string", "varchar", "char":
		return s
	case "int", "integer", "bigint", "smallint", "tinyint":
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			return nil
		}
		return n
	case "double", "float", "real", "decimal":
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return nil
		}
		return json.Number(strconv.FormatFloat(f, 'g', -1, 64))
	case "boolean":
		b, err := strconv.ParseBool(strings.TrimSpace(s))
		if err != nil {
			return nil
		}
		return b
	case "date", "timestamp":
		if strings.TrimSpace(s) == "" {
			return nil
		}
		return s
	}
	return nil
}
