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
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/niwa-cloud/niwa/internal/sqlengine"
)

// The SerDes: each reads a table's files into rows of JSON, one object
// per line, keyed by the table's column names and shaped by their types,
// which DuckDB's JSON reader loads with the declared column types. What
// Hive's SerDes do on their own — match keys whatever their case, hand
// a nested object to a string column as its JSON text, turn what does
// not parse into NULL — happens here, once for every format; the SQL is
// all DuckDB's.
//
// Rows are written value by value into one reused buffer (row), with no
// map or encoding/json between the file and the line DuckDB reads: this
// conversion was most of a query's CPU. fromString and shape are the
// reference reading; appendText and jsonLine are the same reading
// without their allocations, held to the SerDe as it was before
// (serde_legacy_test.go) by the tests and fuzzers in serde_test.go.

// maxLine bounds one line (or one CloudTrail file's document) a SerDe
// reads.
const maxLine = 64 << 20

// serde is one table's reader.
type serde struct {
	table sqlengine.Table
	cols  []*typ
	// kinds say how a text value reads as each column's type.
	kinds []kind
	// keys are the columns' names as JSON object keys (`"name":`).
	keys [][]byte
	// lower maps the data columns' names in ASCII lower case to their
	// indexes; nil when a name is not ASCII (EqualFold then matches a
	// key, as it folds more than ASCII).
	lower map[string][]int
	re    *regexp.Regexp
}

// kind is how fromString reads a text value as a column's type.
type kind uint8

const (
	kindNull    kind = iota // no text value reads as it: NULL
	kindString              // string, varchar, char: the text
	kindInt                 // int, bigint, ...: a decimal integer
	kindFloat               // double, float, real
	kindDecimal             // decimal
	kindBool                // boolean
	kindTime                // date, timestamp: the text, NULL when blank
)

func kindOf(t *typ) kind {
	base, _, _ := strings.Cut(t.kind, "(")
	switch base {
	case "string", "varchar", "char":
		return kindString
	case "int", "integer", "bigint", "smallint", "tinyint":
		return kindInt
	case "double", "float", "real":
		return kindFloat
	case "decimal":
		return kindDecimal
	case "boolean":
		return kindBool
	case "date", "timestamp":
		return kindTime
	}
	return kindNull
}

func newSerde(t sqlengine.Table) (*serde, error) {
	s := &serde{table: t, lower: map[string][]int{}}
	for i, c := range t.Columns {
		ct, err := parseHive(c.Type)
		if err != nil {
			return nil, &sqlengine.QueryError{Message: fmt.Sprintf("table %s.%s, column %s: %v", t.Database, t.Name, c.Name, err)}
		}
		s.cols = append(s.cols, ct)
		s.kinds = append(s.kinds, kindOf(ct))
		s.keys = append(s.keys, append(appendJSONString(nil, c.Name), ':'))
		if i < s.dataColumns() && s.lower != nil {
			if !isASCII(c.Name) {
				s.lower = nil
				continue
			}
			l := strings.ToLower(c.Name)
			s.lower[l] = append(s.lower[l], i)
		}
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

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
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

// row is one row being converted: each column's value already in JSON,
// or unset (NULL: DuckDB's JSON reader reads a missing key as NULL, as
// it reads null).
type row struct {
	set  []bool
	span [][2]int
	vals []byte
}

func (s *serde) newRow() *row {
	return &row{set: make([]bool, len(s.cols)), span: make([][2]int, len(s.cols))}
}

func (r *row) reset() {
	clear(r.set)
	r.vals = r.vals[:0]
}

// text sets column i to the text value v read as the column's type
// (fromString's reading, without its allocations).
func (s *serde) text(r *row, i int, v string) {
	start := len(r.vals)
	var ok bool
	r.vals, ok = appendText(r.vals, v, s.kinds[i])
	r.set[i] = ok
	r.span[i] = [2]int{start, len(r.vals)}
}

// value sets column i to a decoded JSON value already shaped by shape
// (or fromString).
func (r *row) value(i int, v any) error {
	start := len(r.vals)
	switch x := v.(type) {
	case nil:
		r.set[i] = false
		return nil
	case string:
		r.vals = appendJSONString(r.vals, x)
	case int64:
		r.vals = strconv.AppendInt(r.vals, x, 10)
	case json.Number:
		r.vals = append(r.vals, x...)
	case bool:
		r.vals = strconv.AppendBool(r.vals, x)
	default:
		b, err := json.Marshal(x)
		if err != nil {
			return err
		}
		r.vals = append(r.vals, b...)
	}
	r.set[i] = true
	r.span[i] = [2]int{start, len(r.vals)}
	return nil
}

// write writes the row as one JSON object on a line.
func (s *serde) writeRow(w *bufio.Writer, r *row) error {
	_ = w.WriteByte('{')
	first := true
	for i, ok := range r.set {
		if !ok {
			continue
		}
		if !first {
			_ = w.WriteByte(',')
		}
		first = false
		_, _ = w.Write(s.keys[i])
		_, _ = w.Write(r.vals[r.span[i][0]:r.span[i][1]])
	}
	_, err := w.WriteString("}\n")
	return err
}

// write converts every file of the table into w, one JSON row a line.
func (s *serde) write(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 256<<10)
	r := s.newRow()
	for _, f := range s.table.Files {
		if err := s.file(f, bw, r); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// partition is a partition value to set in every row of a file.
type partition struct {
	col int
	val any
}

func (s *serde) file(f sqlengine.File, w *bufio.Writer, r *row) error {
	rc, err := open(f.Path)
	if err != nil {
		return err
	}
	defer func() { _ = rc.Close() }()
	var parts []partition
	for k, v := range f.Partition {
		for i, c := range s.table.Columns {
			if strings.EqualFold(c.Name, k) {
				parts = append(parts, partition{i, fromString(v, s.cols[i])})
			}
		}
	}
	emit := func() error {
		for _, p := range parts {
			if err := r.value(p.col, p.val); err != nil {
				return err
			}
		}
		return s.writeRow(w, r)
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
		for _, rec := range doc.Records {
			r.reset()
			if err := s.object(r, rec); err != nil {
				return err
			}
			if err := emit(); err != nil {
				return err
			}
		}
		return nil
	case sqlengine.FormatOpenCSV:
		cr := csv.NewReader(rc)
		cr.LazyQuotes = true
		cr.FieldsPerRecord = -1
		cr.ReuseRecord = true
		if d := []rune(s.table.Delimiter); len(d) == 1 {
			cr.Comma = d[0]
		}
		for n := 0; ; n++ {
			rec, err := cr.Read()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return &sqlengine.QueryError{Message: fmt.Sprintf("HIVE_BAD_DATA: %v", err)}
			}
			if n < s.table.SkipHeaderLines {
				continue
			}
			r.reset()
			for i := 0; i < s.dataColumns() && i < len(rec); i++ {
				s.text(r, i, rec[i])
			}
			if err := emit(); err != nil {
				return err
			}
		}
	}
	d := s.table.Delimiter
	if d == "" {
		d = "\x01"
	}
	sc := bufio.NewScanner(rc)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	for n := 0; sc.Scan(); n++ {
		if n < s.table.SkipHeaderLines {
			continue
		}
		// The line's bytes, not a copy: every value read from it is
		// copied into the row before the next Scan.
		b := sc.Bytes()
		line := strings.TrimSuffix(unsafe.String(unsafe.SliceData(b), len(b)), "\r")
		r.reset()
		switch s.table.Format {
		case sqlengine.FormatJSON:
			if strings.TrimSpace(line) == "" {
				continue
			}
			if !s.jsonLine(r, line) {
				// What the quick reader does not take (or is not valid
				// JSON) the general decoder reads, or words the error.
				r.reset()
				dec := json.NewDecoder(strings.NewReader(line))
				dec.UseNumber()
				var obj map[string]any
				if err := dec.Decode(&obj); err != nil {
					return &sqlengine.QueryError{Message: fmt.Sprintf("HIVE_CURSOR_ERROR: Row is not a valid JSON Object - JSONException: %v", err)}
				}
				if err := s.object(r, obj); err != nil {
					return err
				}
			}
		case sqlengine.FormatRegex:
			// Hive: a line that does not match is a row of NULLs.
			if m := s.re.FindStringSubmatch(line); m != nil {
				for i := 0; i < s.dataColumns() && i < len(m)-1; i++ {
					s.text(r, i, m[i+1])
				}
			}
		default: // delimited
			for i := 0; i < s.dataColumns(); i++ {
				field, rest, more := strings.Cut(line, d)
				if field != `\N` {
					s.text(r, i, field)
				}
				if !more {
					break
				}
				line = rest
			}
		}
		if err := emit(); err != nil {
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

// object sets the data columns from a JSON object's keys, whatever
// their case.
func (s *serde) object(r *row, obj map[string]any) error {
	for k, v := range obj {
		for i := 0; i < s.dataColumns(); i++ {
			if strings.EqualFold(s.table.Columns[i].Name, k) {
				if err := r.value(i, shape(v, s.cols[i])); err != nil {
					return err
				}
			}
		}
	}
	return nil
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
// Hive reads a bad field). appendText is the same reading, written as
// JSON.
func fromString(s string, t *typ) any {
	switch kindOf(t) {
	case kindString:
		return s
	case kindInt:
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			return nil
		}
		return n
	case kindFloat, kindDecimal:
		b, ok := appendText(nil, s, kindOf(t))
		if !ok {
			return nil
		}
		if b[0] == '"' {
			return nonFinite(b)
		}
		return json.Number(b)
	case kindBool:
		b, err := strconv.ParseBool(strings.TrimSpace(s))
		if err != nil {
			return nil
		}
		return b
	case kindTime:
		if strings.TrimSpace(s) == "" {
			return nil
		}
		return s
	}
	return nil
}

// nonFinite is the string a non-finite double is written as.
func nonFinite(b []byte) string { return string(b[1 : len(b)-1]) }

// appendText appends the text value s read as kind k, in JSON; false
// when it is NULL.
func appendText(dst []byte, s string, k kind) ([]byte, bool) {
	switch k {
	case kindString:
		return appendJSONString(dst, s), true
	case kindInt:
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			return dst, false
		}
		return strconv.AppendInt(dst, n, 10), true
	case kindFloat, kindDecimal:
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return dst, false
		}
		switch {
		case math.IsNaN(f) || math.IsInf(f, 0):
			// JSON has no number for them; DuckDB reads a double from
			// these strings (Hive reads NaN and Infinity), a decimal
			// has none.
			if k == kindDecimal {
				return dst, false
			}
			switch {
			case math.IsNaN(f):
				return append(dst, `"NaN"`...), true
			case f > 0:
				return append(dst, `"Infinity"`...), true
			}
			return append(dst, `"-Infinity"`...), true
		}
		return strconv.AppendFloat(dst, f, 'g', -1, 64), true
	case kindBool:
		b, err := strconv.ParseBool(strings.TrimSpace(s))
		if err != nil {
			return dst, false
		}
		return strconv.AppendBool(dst, b), true
	case kindTime:
		if strings.TrimSpace(s) == "" {
			return dst, false
		}
		return appendJSONString(dst, s), true
	}
	return dst, false
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string, as encoding/json writes
// it: invalid UTF-8 as U+FFFD.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
