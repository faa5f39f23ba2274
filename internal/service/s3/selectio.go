package s3

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/service/s3/selectsql"
	"github.com/niwa-cloud/niwa/internal/sqlengine"
)

// The records of a SelectObjectContent: read from the object (CSV as
// the request's options spell it, or JSON), written one JSON object a
// line for the engine, and the engine's answer written back as CSV or
// JSON.

// maxSelectRecord is S3 Select's limit on one record (1 MB).
const maxSelectRecord = 1 << 20

// maxSelectColumns bounds the fields of a CSV record and the distinct
// keys of JSON records: each is a column of the engine's table.
const maxSelectColumns = 1000

// maxSelectDocument bounds one JSON value of a DOCUMENT object (whose
// records may be the elements of one large array).
const maxSelectDocument = 256 << 20

type inputFormat struct {
	compression string
	csv         *csvOptions
	json        bool
	jsonLines   bool
	parquet     bool
}

type csvOptions struct {
	header                                 string
	field, record, quote, escape, comments string
	allowQuotedRecord                      bool
}

func (c *csvOptions) check() error {
	for _, d := range []struct{ name, v string }{{"FieldDelimiter", c.field}, {"RecordDelimiter", c.record}} {
		if d.v == "" || len(d.v) > 2 {
			return selectErr("InvalidRequestParameter").New("The %s is invalid: it must be one character (or \\r\\n).", d.name)
		}
	}
	if c.field == c.record {
		return selectErr("InvalidRequestParameter").New("The FieldDelimiter and the RecordDelimiter must differ.")
	}
	if utf8.RuneCountInString(c.quote) > 1 || utf8.RuneCountInString(c.escape) > 1 || utf8.RuneCountInString(c.comments) > 1 {
		return selectErr("InvalidRequestParameter").New("QuoteCharacter, QuoteEscapeCharacter and Comments are one character each.")
	}
	return nil
}

type outputFormat struct {
	csv    *csvOut
	record string // JSON's record delimiter
}

type csvOut struct {
	always                       bool
	field, record, quote, escape string
}

// loader writes records for the engine and learns their columns.
type loader struct {
	start, end int64 // the scan range over the (uncompressed) object; end -1: none
	from       []selectsql.PathElem

	// CSV: the header, and the most fields a record had.
	csv     bool
	header  []string
	nfields int
	// JSON: the keys in order of appearance and what their values were.
	keys  []string
	index map[string]int
	kinds []kindSet
}

// kindSet is the kinds of JSON value a key held.
type kindSet struct{ ints, floats, bools, strings, nested bool }

func (l *loader) inRange(off int64) bool {
	return off >= l.start && (l.end < 0 || off <= l.end)
}

// csvReader reads CSV records as SelectObjectContent's options spell
// them, counting the offset where each begins.
type csvReader struct {
	r   *bufio.Reader
	off int64
	o   *csvOptions
}

// at consumes d when the input continues with it.
func (c *csvReader) at(d string) bool {
	if d == "" {
		return false
	}
	b, err := c.r.Peek(len(d))
	if err != nil || string(b) != d {
		return false
	}
	_, _ = c.r.Discard(len(d))
	c.off += int64(len(d))
	return true
}

// record reads one record: its fields, the offset it began at, io.EOF at
// the end. An empty line is no record.
func (c *csvReader) record() ([]string, int64, error) {
	for {
		start := c.off
		if _, err := c.r.Peek(1); err != nil {
			if errors.Is(err, io.EOF) {
				return nil, start, io.EOF
			}
			return nil, start, errTruncated(err)
		}
		if c.o.comments != "" && c.at(c.o.comments) {
			if err := c.skipLine(); err != nil {
				return nil, start, err
			}
			continue
		}
		var fields []string
		var f []byte
		inQuote, size := false, 0
		end := func() bool {
			return c.o.record == "\n" && c.at("\r\n") || c.at(c.o.record)
		}
		for {
			if size > maxSelectRecord {
				return nil, start, selectErr("OverMaxRecordSize").New("The character number in one record is more than our max threshold, maxCharsPerRecord: 1,048,576")
			}
			if inQuote {
				if c.o.escape != c.o.quote && c.at(c.o.escape+c.o.quote) || c.o.escape == c.o.quote && c.at(c.o.quote+c.o.quote) {
					f = append(f, c.o.quote...)
					size++
					continue
				}
				if c.at(c.o.quote) {
					inQuote = false
					continue
				}
				if !c.o.allowQuotedRecord && end() {
					break
				}
			} else {
				if end() {
					break
				}
				if c.at(c.o.field) {
					fields = append(fields, string(f))
					f = f[:0]
					size++
					continue
				}
				if len(f) == 0 && c.at(c.o.quote) {
					inQuote = true
					continue
				}
			}
			b, err := c.r.ReadByte()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, start, errTruncated(err)
			}
			c.off++
			size++
			f = append(f, b)
		}
		fields = append(fields, string(f))
		if len(fields) == 1 && fields[0] == "" {
			continue // a blank line
		}
		return fields, start, nil
	}
}

func (c *csvReader) skipLine() error {
	for {
		if c.o.record == "\n" && c.at("\r\n") || c.at(c.o.record) {
			return nil
		}
		if _, err := c.r.ReadByte(); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return errTruncated(err)
		}
		c.off++
	}
}

func errTruncated(err error) error {
	return selectErr("TruncatedInput").New("Object decompression failed. Check that the object is properly compressed using the format specified in the request: %v", err)
}

// loadCSV writes r's CSV records to w.
func (l *loader) loadCSV(r io.Reader, w io.Writer, o *csvOptions) error {
	l.csv = true
	cr := &csvReader{r: bufio.NewReaderSize(r, 64<<10), o: o}
	bw := bufio.NewWriter(w)
	first := true
	for {
		fields, off, err := cr.record()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if first && o.header != "NONE" {
			first = false
			if o.header == "USE" {
				l.header = fields
			}
			continue
		}
		first = false
		if !l.inRange(off) {
			continue
		}
		if len(fields) > maxSelectColumns {
			return selectErr("CSVParsingError").New("A record has %d fields; niwa's S3 Select reads at most %d.", len(fields), maxSelectColumns)
		}
		l.nfields = max(l.nfields, len(fields))
		rec := make(map[string]string, len(fields))
		for i, v := range fields {
			rec["_"+strconv.Itoa(i+1)] = v
		}
		b, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		_, _ = bw.Write(b)
		_ = bw.WriteByte('\n')
	}
	return bw.Flush()
}

// limitedReader fails once more than n bytes were read since the last
// reset: one JSON value of a DOCUMENT may not exceed it.
type limitedReader struct {
	r    io.Reader
	n, k int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.k >= l.n {
		return 0, selectErr("OverMaxRecordSize").New("A JSON document is larger than niwa's S3 Select reads (%d bytes).", l.n)
	}
	n, err := l.r.Read(p)
	l.k += int64(n)
	return n, err
}

// loadJSON writes r's JSON records to w: one a line (LINES), or the
// successive values of a DOCUMENT, each through the FROM path.
func (l *loader) loadJSON(r io.Reader, w io.Writer, lines bool) error {
	l.index = map[string]int{}
	bw := bufio.NewWriter(w)
	emit := func(v any) error {
		for _, rec := range follow(v, l.from) {
			if err := l.writeJSON(bw, rec); err != nil {
				return err
			}
		}
		return nil
	}
	if lines {
		br := bufio.NewReaderSize(r, 64<<10)
		var off int64
		for {
			line, err := readLine(br)
			start := off
			off += int64(len(line))
			if len(line) == 0 && errors.Is(err, io.EOF) {
				break
			}
			if err != nil && !errors.Is(err, io.EOF) {
				return err
			}
			if t := bytes.TrimSpace(line); len(t) > 0 && l.inRange(start) {
				dec := json.NewDecoder(bytes.NewReader(t))
				dec.UseNumber()
				var v any
				if derr := dec.Decode(&v); derr != nil || dec.More() {
					return selectErr("JSONParsingError").New("Error parsing JSON file. Please check the file and try again.")
				}
				if err := emit(v); err != nil {
					return err
				}
			}
			if errors.Is(err, io.EOF) {
				break
			}
		}
		return bw.Flush()
	}
	lr := &limitedReader{r: r, n: maxSelectDocument}
	dec := json.NewDecoder(lr)
	dec.UseNumber()
	for {
		lr.k = 0
		var v any
		err := dec.Decode(&v)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var ae *awserr.Error
			if errors.As(err, &ae) {
				return err // the document is too large
			}
			return selectErr("JSONParsingError").New("Error parsing JSON file. Please check the file and try again.")
		}
		if err := emit(v); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// readLine reads a line of at most maxSelectRecord bytes, with its '\n'.
func readLine(br *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		frag, err := br.ReadSlice('\n')
		line = append(line, frag...)
		if len(line) > maxSelectRecord {
			return nil, selectErr("OverMaxRecordSize").New("The character number in one record is more than our max threshold, maxCharsPerRecord: 1,048,576")
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return line, err
	}
}

// follow applies a FROM path to a document: names step into objects, an
// index into arrays, [*] iterates an array (a value that is not one is
// its own single record).
func follow(v any, path []selectsql.PathElem) []any {
	if len(path) == 0 {
		return []any{v}
	}
	e := path[0]
	switch {
	case e.Wildcard:
		if a, ok := v.([]any); ok {
			var out []any
			for _, x := range a {
				out = append(out, follow(x, path[1:])...)
			}
			return out
		}
		return follow(v, path[1:])
	case e.IsIndex:
		if a, ok := v.([]any); ok && e.Index < len(a) {
			return follow(a[e.Index], path[1:])
		}
	default:
		if m, ok := v.(map[string]any); ok {
			for k, x := range m {
				if k == e.Name || !e.Quoted && strings.EqualFold(k, e.Name) {
					return follow(x, path[1:])
				}
			}
		}
	}
	return nil
}

// recordColumn is the column holding each JSON record's text.
const recordColumn = "record"

func (l *loader) writeJSON(w *bufio.Writer, v any) error {
	text, err := marshalJSON(v)
	if err != nil {
		return err
	}
	if len(text) > maxSelectRecord {
		return selectErr("OverMaxRecordSize").New("The character number in one record is more than our max threshold, maxCharsPerRecord: 1,048,576")
	}
	row := map[string]any{recordColumn: string(text)}
	if m, ok := v.(map[string]any); ok {
		for k, x := range m {
			i, ok := l.index[k]
			if !ok {
				if len(l.keys) >= maxSelectColumns {
					return selectErr("JSONParsingError").New("The records have more than %d distinct keys, which niwa's S3 Select reads at most.", maxSelectColumns)
				}
				i = len(l.keys)
				l.index[k] = i
				l.keys = append(l.keys, k)
				l.kinds = append(l.kinds, kindSet{})
			}
			ks := &l.kinds[i]
			switch t := x.(type) {
			case json.Number:
				if _, err := strconv.ParseInt(t.String(), 10, 64); err == nil {
					ks.ints = true
				} else {
					ks.floats = true
				}
			case bool:
				ks.bools = true
			case string:
				ks.strings = true
			case map[string]any, []any:
				ks.nested = true
			}
			row["c"+strconv.Itoa(i+1)] = x
		}
	}
	b, err := marshalJSON(row)
	if err != nil {
		return err
	}
	_, _ = w.Write(b)
	return w.WriteByte('\n')
}

func marshalJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// schema is the table the records were loaded into, for the translator
// and for the engine.
func (l *loader) schema() (selectsql.Schema, []sqlengine.Column) {
	s := selectsql.Schema{Table: "s3object", CSV: l.csv, Headers: l.header != nil}
	var cols []sqlengine.Column
	if l.csv {
		n := max(l.nfields, len(l.header))
		for i := range n {
			name := "_" + strconv.Itoa(i+1)
			c := selectsql.Column{Name: name}
			if i < len(l.header) {
				c.Key = l.header[i]
			}
			s.Columns = append(s.Columns, c)
			cols = append(cols, sqlengine.Column{Name: name, Type: "string"})
		}
		return s, cols
	}
	s.Record = recordColumn
	cols = append(cols, sqlengine.Column{Name: recordColumn, Type: "string"})
	for i, k := range l.keys {
		name := "c" + strconv.Itoa(i+1)
		ks := l.kinds[i]
		typ, nested := "string", false
		switch {
		case ks.nested && !ks.ints && !ks.floats && !ks.bools && !ks.strings:
			nested = true
		case ks.nested || ks.strings:
		case ks.bools && !ks.ints && !ks.floats:
			typ = "boolean"
		case ks.ints && !ks.floats && !ks.bools:
			typ = "bigint"
		case (ks.ints || ks.floats) && !ks.bools:
			typ = "double"
		}
		s.Columns = append(s.Columns, selectsql.Column{Name: name, Key: k, JSON: nested})
		cols = append(cols, sqlengine.Column{Name: name, Type: typ})
	}
	return s, cols
}

// write writes one answered row.
func (o *outputFormat) write(b *bytes.Buffer, row []*string, cols []sqlengine.Column, outs []selectsql.Output) {
	if o.csv != nil {
		var fields []string
		for i, v := range row {
			if i < len(outs) && outs[i].Record && v != nil {
				fields = append(fields, recordValues(*v)...)
				continue
			}
			s := ""
			if v != nil {
				s = *v
				if i < len(outs) && outs[i].JSON {
					s = jsonScalarText(s)
				}
			}
			fields = append(fields, s)
		}
		for i, f := range fields {
			if i > 0 {
				b.WriteString(o.csv.field)
			}
			o.csv.writeField(b, f)
		}
		b.WriteString(o.csv.record)
		return
	}
	if len(outs) == 1 && outs[0].Record && len(row) == 1 && row[0] != nil {
		b.WriteString(*row[0])
		b.WriteString(o.record)
		return
	}
	b.WriteByte('{')
	n := 0
	for i, v := range row {
		if v == nil || i >= len(outs) {
			continue // NULL and MISSING values are left out
		}
		if n > 0 {
			b.WriteByte(',')
		}
		n++
		k, _ := marshalJSON(outs[i].Name)
		b.Write(k)
		b.WriteByte(':')
		b.Write(jsonValue(*v, outs[i].JSON, cols[i].Type))
	}
	b.WriteByte('}')
	b.WriteString(o.record)
}

// jsonValue is a value as JSON, by the engine's type of its column.
func jsonValue(v string, raw bool, typ string) []byte {
	if raw && json.Valid([]byte(v)) {
		return []byte(v)
	}
	base, _, _ := strings.Cut(typ, "(")
	switch base {
	case "bigint", "integer", "smallint", "tinyint", "double", "float", "real", "decimal":
		if _, err := strconv.ParseFloat(v, 64); err == nil && json.Valid([]byte(v)) {
			return []byte(v)
		}
	case "boolean":
		if v == "true" || v == "false" {
			return []byte(v)
		}
	}
	s, _ := marshalJSON(v)
	return s
}

// jsonScalarText is a JSON value's text in a CSV field: a string
// unquoted, anything else as it is.
func jsonScalarText(v string) string {
	var s string
	if json.Unmarshal([]byte(v), &s) == nil {
		return s
	}
	return v
}

// recordValues are a JSON record's top-level values in their order, for
// CSV output of SELECT *.
func recordValues(text string) []string {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return []string{jsonScalarText(text)}
	}
	var out []string
	for dec.More() {
		if _, err := dec.Token(); err != nil { // the key
			break
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			break
		}
		out = append(out, jsonScalarText(string(raw)))
	}
	return out
}

func (c *csvOut) writeField(b *bytes.Buffer, f string) {
	need := c.always || c.quote != "" && (strings.Contains(f, c.field) || strings.Contains(f, c.record) ||
		strings.Contains(f, c.quote) || strings.ContainsAny(f, "\r\n"))
	if !need {
		b.WriteString(f)
		return
	}
	b.WriteString(c.quote)
	b.WriteString(strings.ReplaceAll(f, c.quote, c.escape+c.quote))
	b.WriteString(c.quote)
}
