// Package jsonbody is the schema-driven JSON document codec shared by the
// json (1.0/1.1) and rest-json protocols: it writes dynamic values (see
// internal/model) as the JSON AWS sends and reads the JSON clients send back
// into dynamic values, following the model's traits.
//
// Rules (botocore serialize.py/parsers.py, aws-sdk-go private/protocol/json):
//   - structure members are keyed by their locationName, else the member
//     name; unknown keys are ignored on decode, nulls are skipped;
//   - timestamps default to epoch seconds as a JSON number (fractional
//     milliseconds when present), or follow timestampFormat;
//   - blobs are base64 (standard alphabet, padded);
//   - floats NaN and ±Infinity travel as the strings "NaN", "Infinity",
//     "-Infinity";
//   - jsonvalue members carry a JSON document serialized into a string;
//   - documents are free JSON.
package jsonbody

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/niwa-cloud/niwa/internal/api"
	"github.com/niwa-cloud/niwa/internal/model"
)

// maxDepth bounds nesting on both encode and decode so that hostile or
// cyclic input cannot exhaust the stack.
const maxDepth = 512

// Encode appends the JSON form of v, a dynamic value of ref's shape, to w.
func Encode(w *bytes.Buffer, ref *model.Ref, v any) error {
	e := encoder{w: w}
	return e.value(ref, v, 0)
}

// EncodeStructure appends the JSON object of structure sh with the members
// of v. With bodyOnly, members bound elsewhere in the HTTP message (uri,
// querystring, header, headers, statusCode) are left out: the rest-json
// body of an input or output.
func EncodeStructure(w *bytes.Buffer, sh *model.Shape, v map[string]any, bodyOnly bool) error {
	e := encoder{w: w}
	return e.structure(sh, v, bodyOnly, 0)
}

// WireName is a member's JSON key: its locationName, else its name.
func WireName(r *model.Ref) string {
	if r.LocationName != "" {
		return r.LocationName
	}
	return r.Name
}

type encoder struct {
	w       *bytes.Buffer
	scratch [64]byte
	// maps are the typed encoder's map readers, one per nesting level.
	maps api.MapReaders
}

func (e *encoder) value(ref *model.Ref, v any, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("jsonbody: value nested deeper than %d", maxDepth)
	}
	if v == nil {
		e.w.WriteString("null")
		return nil
	}
	if ref.JSONValue {
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("jsonbody: jsonvalue: %w", err)
		}
		e.string(string(b))
		return nil
	}
	sh := ref.Shape
	switch sh.Type {
	case model.Structure:
		m, ok := v.(map[string]any)
		if !ok {
			return mismatch(sh, v)
		}
		return e.structure(sh, m, false, depth)
	case model.List:
		return e.list(sh, v, depth)
	case model.Map:
		return e.mapValue(sh, v, depth)
	case model.String, model.Character:
		s, ok := v.(string)
		if !ok {
			return mismatch(sh, v)
		}
		e.string(s)
	case model.Integer, model.Long:
		n, ok := Int64(v)
		if !ok {
			return mismatch(sh, v)
		}
		e.w.Write(strconv.AppendInt(e.scratch[:0], n, 10))
	case model.Float, model.Double:
		f, ok := Float64(v)
		if !ok {
			return mismatch(sh, v)
		}
		e.float(f)
	case model.Boolean:
		b, ok := v.(bool)
		if !ok {
			return mismatch(sh, v)
		}
		if b {
			e.w.WriteString("true")
		} else {
			e.w.WriteString("false")
		}
	case model.Timestamp:
		t, ok := v.(time.Time)
		if !ok {
			return mismatch(sh, v)
		}
		e.timestamp(ref, t)
	case model.Blob:
		var b []byte
		switch x := v.(type) {
		case []byte:
			b = x
		case string:
			b = []byte(x)
		default:
			return mismatch(sh, v)
		}
		e.blob(b)
	case model.Document:
		return e.document(v, depth)
	default:
		return fmt.Errorf("jsonbody: shape %s has unsupported type %q", sh.Name, sh.Type)
	}
	return nil
}

func (e *encoder) structure(sh *model.Shape, m map[string]any, bodyOnly bool, depth int) error {
	e.w.WriteByte('{')
	first := true
	seen := 0
	for _, mr := range sh.Members {
		mv, ok := m[mr.Name]
		if !ok {
			continue
		}
		seen++
		if mv == nil || (bodyOnly && mr.Location != model.LocationBody) {
			continue
		}
		if !first {
			e.w.WriteByte(',')
		}
		first = false
		e.string(WireName(mr))
		e.w.WriteByte(':')
		if err := e.value(mr, mv, depth+1); err != nil {
			return err
		}
	}
	e.w.WriteByte('}')
	if seen != len(m) {
		for k := range m {
			if _, ok := sh.MemberByName(k); !ok {
				return fmt.Errorf("jsonbody: structure %s has no member %q", sh.Name, k)
			}
		}
	}
	return nil
}

func (e *encoder) list(sh *model.Shape, v any, depth int) error {
	e.w.WriteByte('[')
	switch l := v.(type) {
	case []any:
		for i, x := range l {
			if i > 0 {
				e.w.WriteByte(',')
			}
			if err := e.value(sh.Member, x, depth+1); err != nil {
				return err
			}
		}
	case []string:
		for i, x := range l {
			if i > 0 {
				e.w.WriteByte(',')
			}
			if err := e.value(sh.Member, x, depth+1); err != nil {
				return err
			}
		}
	case []map[string]any:
		for i, x := range l {
			if i > 0 {
				e.w.WriteByte(',')
			}
			if err := e.value(sh.Member, x, depth+1); err != nil {
				return err
			}
		}
	default:
		return mismatch(sh, v)
	}
	e.w.WriteByte(']')
	return nil
}

func (e *encoder) mapValue(sh *model.Shape, v any, depth int) error {
	e.w.WriteByte('{')
	switch m := v.(type) {
	case map[string]any:
		// Sorted keys: responses are byte-for-byte reproducible.
		keys := make([]string, 0, len(m))
		for k, x := range m {
			if x != nil {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for i, k := range keys {
			if i > 0 {
				e.w.WriteByte(',')
			}
			e.string(k)
			e.w.WriteByte(':')
			if err := e.value(sh.Value, m[k], depth+1); err != nil {
				return err
			}
		}
	case map[string]string:
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for i, k := range keys {
			if i > 0 {
				e.w.WriteByte(',')
			}
			e.string(k)
			e.w.WriteByte(':')
			if err := e.value(sh.Value, m[k], depth+1); err != nil {
				return err
			}
		}
	default:
		return mismatch(sh, v)
	}
	e.w.WriteByte('}')
	return nil
}

// document writes a free JSON value (document shapes, and error fields the
// model does not describe).
func (e *encoder) document(v any, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("jsonbody: document nested deeper than %d", maxDepth)
	}
	switch x := v.(type) {
	case nil:
		e.w.WriteString("null")
	case string:
		e.string(x)
	case bool:
		if x {
			e.w.WriteString("true")
		} else {
			e.w.WriteString("false")
		}
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("jsonbody: document number %v", x)
		}
		e.float(x)
	case int64:
		e.w.Write(strconv.AppendInt(e.scratch[:0], x, 10))
	case int:
		e.w.Write(strconv.AppendInt(e.scratch[:0], int64(x), 10))
	case json.Number:
		e.w.WriteString(x.String())
	case time.Time:
		e.w.WriteString(FormatTimestamp(x, model.UnixTimestamp))
	case []byte:
		e.string(base64.StdEncoding.EncodeToString(x))
	case []any:
		e.w.WriteByte('[')
		for i, el := range x {
			if i > 0 {
				e.w.WriteByte(',')
			}
			if err := e.document(el, depth+1); err != nil {
				return err
			}
		}
		e.w.WriteByte(']')
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		e.w.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				e.w.WriteByte(',')
			}
			e.string(k)
			e.w.WriteByte(':')
			if err := e.document(x[k], depth+1); err != nil {
				return err
			}
		}
		e.w.WriteByte('}')
	default:
		b, err := json.Marshal(x)
		if err != nil {
			return fmt.Errorf("jsonbody: document: %w", err)
		}
		e.w.Write(b)
	}
	return nil
}

// EncodeDocument appends v as free JSON.
func EncodeDocument(w *bytes.Buffer, v any) error {
	e := encoder{w: w}
	return e.document(v, 0)
}

func (e *encoder) float(f float64) {
	switch {
	case math.IsNaN(f):
		e.w.WriteString(`"NaN"`)
	case math.IsInf(f, 1):
		e.w.WriteString(`"Infinity"`)
	case math.IsInf(f, -1):
		e.w.WriteString(`"-Infinity"`)
	default:
		e.w.Write(AppendFloat(e.scratch[:0], f))
	}
}

// AppendFloat formats a finite float the way encoding/json does (shortest
// representation, exponent only for very large or small magnitudes).
func AppendFloat(b []byte, f float64) []byte {
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

const hexDigits = "0123456789abcdef"

// string writes s as a JSON string. Invalid UTF-8 becomes U+FFFD; HTML
// characters are not escaped (AWS does not).
func (e *encoder) string(s string) {
	AppendString(e.w, s)
}

// AppendString writes s to w as a quoted JSON string in AWS's wire
// form (AppendQuoted's, marshal false).
func AppendString(w *bytes.Buffer, s string) {
	w.Write(AppendQuoted(w.AvailableBuffer(), s, false))
}

// AppendQuoted appends s to b as a quoted JSON string. Invalid UTF-8
// becomes U+FFFD and U+2028/U+2029 are escaped either way. With marshal
// false it is AWS's wire form: no HTML escaped, control characters other
// than \n \r \t as \u00XX. With marshal true it is the bytes
// encoding/json.Marshal writes (CloudTrail's record JSON is held to
// them): <, > and & as \u003c, \u003e, \u0026, and \b \f as such.
func AppendQuoted(b []byte, s string, marshal bool) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && (!marshal || c != '<' && c != '>' && c != '&') {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case marshal && c == '\b':
				b = append(b, '\\', 'b')
			case marshal && c == '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// Int64 converts the integer kinds a handler may use to int64.
func Int64(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case int:
		return int64(n), true
	case int32:
		return int64(n), true
	case int16:
		return int64(n), true
	case int8:
		return int64(n), true
	case uint32:
		return int64(n), true
	case uint16:
		return int64(n), true
	case uint8:
		return int64(n), true
	case uint64:
		if n > math.MaxInt64 {
			return 0, false
		}
		return int64(n), true
	case uint:
		if uint64(n) > math.MaxInt64 {
			return 0, false
		}
		return int64(n), true
	case float64:
		if n == math.Trunc(n) && math.Abs(n) < 1<<63 {
			return int64(n), true
		}
	case json.Number:
		i, err := n.Int64()
		return i, err == nil
	}
	return 0, false
}

// Float64 converts the numeric kinds a handler may use to float64.
func Float64(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case float32:
		return float64(n), true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	if i, ok := Int64(v); ok {
		return float64(i), true
	}
	return 0, false
}

func mismatch(sh *model.Shape, v any) error {
	if _, ok := v.(io.Reader); ok && sh.Type == model.Blob {
		return fmt.Errorf("jsonbody: streaming value for non-payload blob %s", sh.Name)
	}
	return fmt.Errorf("jsonbody: shape %s (%s) cannot hold %T", sh.Name, sh.Type, v)
}
