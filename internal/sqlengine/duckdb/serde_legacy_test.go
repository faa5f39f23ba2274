package duckdb

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/niwa-cloud/niwa/internal/sqlengine"
)

// legacySerde is the SerDe layer as it was before rows were written
// without maps and encoding/json (issue 28): every row decoded into a
// map, shaped, and encoded by a json.Encoder. The tests hold the new
// one to it, row for row.
type legacySerde struct{ *serde }

// write converts every file of the table into w, one JSON row a line.
func (s *legacySerde) write(w io.Writer) error {
	enc := json.NewEncoder(w)
	for _, f := range s.table.Files {
		if err := s.file(f, enc); err != nil {
			return err
		}
	}
	return nil
}

func (s *legacySerde) file(f sqlengine.File, enc *json.Encoder) error {
	rc, err := open(f.Path)
	if err != nil {
		return err
	}
	defer func() { _ = rc.Close() }()
	emit := func(vals map[string]any) error {
		for k, v := range f.Partition {
			for i, c := range s.table.Columns {
				if strings.EqualFold(c.Name, k) {
					vals[c.Name] = legacyFromString(v, s.cols[i])
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
func (s *legacySerde) dataColumns() int {
	return len(s.table.Columns) - len(s.table.PartitionKeys)
}

// fields maps positional text values to the data columns.
func (s *legacySerde) fields(vals []string, nullMarker bool) map[string]any {
	out := map[string]any{}
	for i := 0; i < s.dataColumns() && i < len(vals); i++ {
		if nullMarker && vals[i] == `\N` {
			continue
		}
		out[s.table.Columns[i].Name] = legacyFromString(vals[i], s.cols[i])
	}
	return out
}

// object maps a JSON object's keys to the data columns, whatever their
// case.
func (s *legacySerde) object(obj map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range obj {
		for i := 0; i < s.dataColumns(); i++ {
			if strings.EqualFold(s.table.Columns[i].Name, k) {
				out[s.table.Columns[i].Name] = legacyShape(v, s.cols[i])
			}
		}
	}
	return out
}

// shape fits a decoded JSON value to t: nested objects to their struct
// fields (any case), anything to a string column as its text, what does
// not fit to NULL.
func legacyShape(v any, t *typ) any {
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
					out[f.name] = legacyShape(fv, f.t)
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
			out[i] = legacyShape(e, t.elem)
		}
		return out
	case "map":
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		out := map[string]any{}
		for k, e := range m {
			out[k] = legacyShape(e, t.elem)
		}
		return out
	}
	switch x := v.(type) {
	case string:
		return legacyFromString(x, t)
	case json.Number:
		return legacyFromString(x.String(), t)
	case bool:
		return legacyFromString(strconv.FormatBool(x), t)
	default:
		if legacyIsString(t) {
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

func legacyIsString(t *typ) bool {
	base, _, _ := strings.Cut(t.kind, "(")
	return base == "string" || base == "varchar" || base == "char"
}

// fromString reads a text value as t: NULL when it does not parse (as
// Hive reads a bad field).
func legacyFromString(s string, t *typ) any {
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
