package jsonbody

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/niwa-cloud/niwa/internal/model"
)

// Decode reads one JSON value of ref's shape from data. An empty (or
// all-whitespace) data decodes to nil.
//
// The body is first parsed by encoding/json into generic values (numbers
// kept as json.Number) and then converted against the model; the benchmark
// in decode_test.go compares this with a token-stream walk and it is
// markedly faster, since Decoder.Token allocates per token.
func Decode(data []byte, ref *model.Ref) (any, error) {
	raw, err := parse(data)
	if err != nil || raw == nil {
		return nil, err
	}
	return convert(ref, raw, path{}, 0)
}

// DecodeStructure reads a JSON object of structure sh. An empty body is an
// empty structure. With bodyOnly, members bound elsewhere in the HTTP
// message are ignored even if the object has keys of the same name.
func DecodeStructure(data []byte, sh *model.Shape, bodyOnly bool) (map[string]any, error) {
	raw, err := parse(data)
	if err != nil {
		return nil, err
	}
	if raw == nil {
		return map[string]any{}, nil
	}
	obj, ok := raw.(map[string]any)
	if !ok {
		return nil, &Error{Msg: fmt.Sprintf("expected a JSON object for %s, got %s", sh.Name, kind(raw))}
	}
	return structure(sh, obj, bodyOnly, path{}, 0)
}

// DecodeDocument reads free JSON as encoding/json would (numbers as
// float64).
func DecodeDocument(data []byte) (any, error) {
	raw, err := parse(data)
	if err != nil || raw == nil {
		return nil, err
	}
	return document(raw, 0)
}

// Error is a body that does not fit the model (or is not JSON at all).
type Error struct {
	Path string
	Msg  string
}

func (e *Error) Error() string {
	if e.Path == "" {
		return e.Msg
	}
	return e.Path + ": " + e.Msg
}

func parse(data []byte) (any, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return nil, nil
	}
	if err := checkUTF8(data); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, &Error{Msg: "malformed JSON: " + err.Error()}
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &Error{Msg: "malformed JSON: trailing data after the top-level value"}
	}
	return v, nil
}

// checkUTF8 refuses a body that is not UTF-8, as AWS's JSON services do
// (SerializationException). encoding/json would otherwise turn each
// invalid byte into U+FFFD silently, and a service would store a string
// the client never sent.
func checkUTF8(data []byte) error {
	if !utf8.Valid(data) {
		return &Error{Msg: "malformed JSON: the body is not valid UTF-8"}
	}
	return nil
}

// path is the location of a value being converted, built lazily: only an
// error pays for formatting it.
type path struct {
	parent *path
	key    string
	index  int // -1 for a key
}

func (p *path) String() string {
	if p == nil || (p.parent == nil && p.key == "" && p.index == 0) {
		return ""
	}
	var parts []string
	for q := p; q != nil && q.parent != nil; q = q.parent {
		if q.index >= 0 {
			parts = append(parts, "["+strconv.Itoa(q.index)+"]")
		} else {
			parts = append(parts, "."+q.key)
		}
	}
	var b strings.Builder
	for i := len(parts) - 1; i >= 0; i-- {
		b.WriteString(parts[i])
	}
	return strings.TrimPrefix(b.String(), ".")
}

func errAt(p path, format string, args ...any) error {
	return &Error{Path: p.String(), Msg: fmt.Sprintf(format, args...)}
}

func kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case json.Number:
		return "number"
	case bool:
		return "boolean"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

func convert(ref *model.Ref, v any, p path, depth int) (any, error) {
	if depth > maxDepth {
		return nil, errAt(p, "nested deeper than %d", maxDepth)
	}
	if ref.JSONValue {
		s, ok := v.(string)
		if !ok {
			return nil, errAt(p, "expected a string holding JSON, got %s", kind(v))
		}
		var doc any
		if err := json.Unmarshal([]byte(s), &doc); err != nil {
			return nil, errAt(p, "jsonvalue is not JSON: %v", err)
		}
		return doc, nil
	}
	sh := ref.Shape
	switch sh.Type {
	case model.Structure:
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, errAt(p, "expected an object for %s, got %s", sh.Name, kind(v))
		}
		return structure(sh, obj, false, p, depth)
	case model.List:
		arr, ok := v.([]any)
		if !ok {
			return nil, errAt(p, "expected an array for %s, got %s", sh.Name, kind(v))
		}
		out := make([]any, len(arr))
		for i, el := range arr {
			if el == nil { // lists may be sparse
				continue
			}
			x, err := convert(sh.Member, el, path{parent: &p, index: i}, depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = x
		}
		return out, nil
	case model.Map:
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, errAt(p, "expected an object for %s, got %s", sh.Name, kind(v))
		}
		out := make(map[string]any, len(obj))
		for k, el := range obj {
			if el == nil {
				continue
			}
			x, err := convert(sh.Value, el, path{parent: &p, key: k, index: -1}, depth+1)
			if err != nil {
				return nil, err
			}
			out[k] = x
		}
		return out, nil
	case model.String, model.Character:
		s, ok := v.(string)
		if !ok {
			return nil, errAt(p, "expected a string, got %s", kind(v))
		}
		return s, nil
	case model.Integer, model.Long:
		n, ok := v.(json.Number)
		if !ok {
			return nil, errAt(p, "expected an integer, got %s", kind(v))
		}
		i, err := strconv.ParseInt(string(n), 10, 64)
		if err != nil {
			f, ferr := strconv.ParseFloat(string(n), 64)
			if ferr != nil || f != math.Trunc(f) || math.Abs(f) >= 1<<63 {
				return nil, errAt(p, "expected an integer, got %s", n)
			}
			i = int64(f)
		}
		if sh.Type == model.Integer && (i > math.MaxInt32 || i < math.MinInt32) {
			return nil, errAt(p, "integer %d out of range", i)
		}
		return i, nil
	case model.Float, model.Double:
		switch x := v.(type) {
		case json.Number:
			f, err := strconv.ParseFloat(string(x), 64)
			if err != nil {
				return nil, errAt(p, "expected a number, got %s", x)
			}
			return f, nil
		case string:
			switch x {
			case "NaN":
				return math.NaN(), nil
			case "Infinity":
				return math.Inf(1), nil
			case "-Infinity":
				return math.Inf(-1), nil
			}
		}
		return nil, errAt(p, "expected a number, got %s", kind(v))
	case model.Boolean:
		b, ok := v.(bool)
		if !ok {
			return nil, errAt(p, "expected a boolean, got %s", kind(v))
		}
		return b, nil
	case model.Timestamp:
		switch x := v.(type) {
		case json.Number:
			t, err := ParseEpoch(string(x))
			if err != nil {
				return nil, errAt(p, "invalid epoch timestamp %s", x)
			}
			return t, nil
		case string:
			t, err := ParseTimestamp(x)
			if err != nil {
				return nil, errAt(p, "invalid timestamp %q", x)
			}
			return t, nil
		}
		return nil, errAt(p, "expected a timestamp, got %s", kind(v))
	case model.Blob:
		s, ok := v.(string)
		if !ok {
			return nil, errAt(p, "expected a base64 string, got %s", kind(v))
		}
		b, err := DecodeBase64(s)
		if err != nil {
			return nil, errAt(p, "invalid base64: %v", err)
		}
		return b, nil
	case model.Document:
		return document(v, depth)
	}
	return nil, errAt(p, "shape %s has unsupported type %q", sh.Name, sh.Type)
}

func structure(sh *model.Shape, obj map[string]any, bodyOnly bool, p path, depth int) (map[string]any, error) {
	out := make(map[string]any, len(obj))
	for k, v := range obj {
		if v == nil {
			continue
		}
		mr := memberByWireName(sh, k)
		if mr == nil || (bodyOnly && mr.Location != model.LocationBody) {
			continue // unknown members are ignored, as AWS does
		}
		x, err := convert(mr, v, path{parent: &p, key: k, index: -1}, depth+1)
		if err != nil {
			return nil, err
		}
		out[mr.Name] = x
	}
	return out, nil
}

// memberByWireName finds the member whose JSON key is k.
func memberByWireName(sh *model.Shape, k string) *model.Ref {
	if mr, ok := sh.MemberByName(k); ok && mr.LocationName == "" {
		return mr
	}
	for _, mr := range sh.Members {
		if mr.LocationName == k {
			return mr
		}
	}
	return nil
}

// document converts generic JSON into the document convention: numbers as
// float64.
func document(v any, depth int) (any, error) {
	if depth > maxDepth {
		return nil, &Error{Msg: fmt.Sprintf("document nested deeper than %d", maxDepth)}
	}
	switch x := v.(type) {
	case json.Number:
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil {
			return nil, &Error{Msg: "invalid number " + string(x)}
		}
		return f, nil
	case []any:
		for i, el := range x {
			d, err := document(el, depth+1)
			if err != nil {
				return nil, err
			}
			x[i] = d
		}
		return x, nil
	case map[string]any:
		for k, el := range x {
			d, err := document(el, depth+1)
			if err != nil {
				return nil, err
			}
			x[k] = d
		}
		return x, nil
	}
	return v, nil
}

// DecodeBase64 reads standard base64, padded or not (clients differ).
func DecodeBase64(s string) ([]byte, error) {
	if strings.HasSuffix(s, "=") || len(s)%4 == 0 {
		return base64.StdEncoding.DecodeString(s)
	}
	return base64.RawStdEncoding.DecodeString(s)
}
