package xmlbody

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/niwa-cloud/niwa/internal/model"
)

// FormatScalar returns the text of a scalar value of ref's shape as the XML
// protocols print it in element text and attributes, and as the query
// protocols print it in parameters. It is exported so that the query codec
// parses and prints scalars with exactly the same rules as XML bodies.
//
// The dynamic value conventions are accepted, and leniently also other Go
// integer and float kinds, named string types, json.Number and, for blobs,
// strings, so a service that hands over an int or an enum type does not
// fail at the wire.
func FormatScalar(ref *model.Ref, v any) (string, error) {
	switch ref.Shape.Type {
	case model.String, model.Character:
		if s, ok := asString(v); ok {
			return s, nil
		}
	case model.Integer, model.Long:
		if n, ok := asInt(v); ok {
			return strconv.FormatInt(n, 10), nil
		}
	case model.Float, model.Double:
		if f, ok := asFloat(v); ok {
			bits := 64
			if ref.Shape.Type == model.Float {
				bits = 32
			}
			return FormatFloat(f, bits), nil
		}
	case model.Boolean:
		if b, ok := v.(bool); ok {
			return strconv.FormatBool(b), nil
		}
	case model.Timestamp:
		switch t := v.(type) {
		case time.Time:
			return FormatTimestamp(t, ref.TimestampFormatOr(model.ISO8601)), nil
		case *time.Time:
			if t != nil {
				return FormatTimestamp(*t, ref.TimestampFormatOr(model.ISO8601)), nil
			}
		}
	case model.Blob:
		switch b := v.(type) {
		case []byte:
			return base64.StdEncoding.EncodeToString(b), nil
		case string:
			return base64.StdEncoding.EncodeToString([]byte(b)), nil
		}
	case model.Document:
		if s, ok := asString(v); ok {
			return s, nil
		}
	default:
		return "", fmt.Errorf("shape %s of type %s is not a scalar", ref.Shape.Name, ref.Shape.Type)
	}
	return "", fmt.Errorf("want a %s value for shape %s, got %T", ref.Shape.Type, ref.Shape.Name, v)
}

// ParseScalar parses the text of a scalar of ref's shape: the inverse of
// FormatScalar, lenient where AWS's own parsers are (surrounding space
// around numbers, booleans in any case, any timestamp form, base64 with
// or without padding and line breaks).
func ParseScalar(ref *model.Ref, s string) (any, error) {
	switch ref.Shape.Type {
	case model.String, model.Character, model.Document:
		return s, nil
	case model.Integer, model.Long:
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("expected an integer")
		}
		if ref.Shape.Type == model.Integer && (n < math.MinInt32 || n > math.MaxInt32) {
			return nil, fmt.Errorf("integer out of range")
		}
		return n, nil
	case model.Float, model.Double:
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return nil, fmt.Errorf("expected a number")
		}
		return f, nil
	case model.Boolean:
		switch t := strings.TrimSpace(s); {
		case strings.EqualFold(t, "true"):
			return true, nil
		case strings.EqualFold(t, "false"):
			return false, nil
		}
		return nil, fmt.Errorf("expected true or false")
	case model.Timestamp:
		t, err := ParseTimestamp(s)
		if err != nil {
			return nil, err
		}
		return t, nil
	case model.Blob:
		return parseBase64(s)
	}
	return nil, fmt.Errorf("shape %s of type %s is not a scalar", ref.Shape.Name, ref.Shape.Type)
}

func parseBase64(s string) ([]byte, error) {
	if strings.ContainsAny(s, " \t\r\n") {
		s = strings.Map(func(r rune) rune {
			switch r {
			case ' ', '\t', '\r', '\n':
				return -1
			}
			return r
		}, s)
	}
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		return b, nil
	}
	b, err := base64.RawStdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("expected base64")
	}
	return b, nil
}

// FormatFloat prints f the way AWS services do: NaN, Infinity and
// -Infinity spelled out, no exponent for ordinary magnitudes, and the
// shortest text that parses back to the same value at the given bit size
// (32 for "float" shapes when f is exactly a float32, else 64).
func FormatFloat(f float64, bits int) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	if bits == 32 && float64(float32(f)) != f {
		bits = 64
	}
	if a := math.Abs(f); a != 0 && (a < 1e-6 || a >= 1e21) {
		return strconv.FormatFloat(f, 'e', -1, bits)
	}
	return strconv.FormatFloat(f, 'f', -1, bits)
}

// appendScalar appends FormatScalar's text of an integer or a timestamp
// (ISO 8601 or RFC 822) to b without making a string; ok is false for
// every other shape or value, which FormatScalar formats.
func appendScalar(b []byte, ref *model.Ref, v any) ([]byte, bool) {
	switch ref.Shape.Type {
	case model.Integer, model.Long:
		if n, ok := asInt(v); ok {
			return strconv.AppendInt(b, n, 10), true
		}
	case model.Timestamp:
		var t time.Time
		switch tv := v.(type) {
		case time.Time:
			t = tv
		case *time.Time:
			if tv == nil {
				return b, false
			}
			t = *tv
		default:
			return b, false
		}
		return appendTime(b, ref, t)
	}
	return b, false
}

// appendTime is appendScalar for the timestamp t (ok false for a format
// it does not append: epoch seconds).
func appendTime(b []byte, ref *model.Ref, t time.Time) ([]byte, bool) {
	t = t.UTC().Truncate(time.Millisecond)
	switch ref.TimestampFormatOr(model.ISO8601) {
	case model.RFC822:
		return t.AppendFormat(b, "Mon, 02 Jan 2006 15:04:05 GMT"), true
	case model.UnixTimestamp:
		return b, false
	}
	if t.Nanosecond() == 0 {
		return t.AppendFormat(b, "2006-01-02T15:04:05Z"), true
	}
	return t.AppendFormat(b, "2006-01-02T15:04:05.000Z"), true
}

// FormatTimestamp prints t in one of the model's timestamp formats (iso8601
// when format is empty or unknown), in UTC, with millisecond precision at
// most, as AWS emits timestamps.
func FormatTimestamp(t time.Time, format string) string {
	t = t.UTC().Truncate(time.Millisecond)
	switch format {
	case model.RFC822:
		return t.Format("Mon, 02 Jan 2006 15:04:05 GMT")
	case model.UnixTimestamp:
		ms := t.UnixMilli()
		sign := ""
		if ms < 0 {
			sign, ms = "-", -ms
		}
		if ms%1000 == 0 {
			return sign + strconv.FormatInt(ms/1000, 10)
		}
		return fmt.Sprintf("%s%d.%03d", sign, ms/1000, ms%1000)
	}
	if t.Nanosecond() == 0 {
		return t.Format("2006-01-02T15:04:05Z")
	}
	return t.Format("2006-01-02T15:04:05.000Z")
}

// ParseTimestamp reads a timestamp in any of the forms AWS clients send:
// ISO 8601 (with or without fractional seconds, Z or an offset, or in the
// basic form 20150125T080000Z), RFC 822/1123 dates, and epoch seconds
// (possibly fractional). The result is in UTC. Years outside 0000-9999 are
// rejected: no AWS format can print them back.
func ParseTimestamp(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	t, ok := parseEpoch(s)
	if !ok {
		for _, layout := range [...]string{
			time.RFC3339Nano,
			"2006-01-02T15:04:05.999999999Z0700",
			"2006-01-02T15:04:05.999999999",
			"20060102T150405Z",
			"2006-01-02",
			time.RFC1123,
			time.RFC1123Z,
			"Mon, 2 Jan 2006 15:04:05 MST",
			"Mon, 2 Jan 2006 15:04:05 -0700",
			time.RFC850,
			time.ANSIC,
		} {
			if p, err := time.Parse(layout, s); err == nil {
				t, ok = p, true
				break
			}
		}
	}
	if !ok {
		return time.Time{}, fmt.Errorf("expected a timestamp")
	}
	t = t.UTC()
	if y := t.Year(); y < 0 || y > 9999 {
		return time.Time{}, fmt.Errorf("timestamp out of range")
	}
	return t, nil
}

// parseEpoch reads epoch seconds ("1422172800", "-1.5", "1.4e9") exactly
// to the nanosecond where the text allows it.
func parseEpoch(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	body := strings.TrimLeft(s, "+-")
	if len(s)-len(body) > 1 || body == "" || body[0] < '0' || body[0] > '9' {
		return time.Time{}, false
	}
	if !strings.ContainsAny(body, "eE") {
		neg := s[0] == '-'
		whole, frac, _ := strings.Cut(body, ".")
		if len(whole) > 12 || strings.Trim(whole, "0123456789") != "" || strings.Trim(frac, "0123456789") != "" {
			return time.Time{}, false
		}
		sec, err := strconv.ParseInt(whole, 10, 64)
		if err != nil {
			return time.Time{}, false
		}
		if len(frac) > 9 {
			frac = frac[:9]
		}
		var nsec int64
		if frac != "" {
			nsec, _ = strconv.ParseInt(frac+strings.Repeat("0", 9-len(frac)), 10, 64)
		}
		if neg {
			sec, nsec = -sec, -nsec
		}
		return time.Unix(sec, nsec), true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1e12 {
		return time.Time{}, false
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(math.Round(frac*1e9))), true
}

func asString(v any) (string, bool) {
	switch s := v.(type) {
	case string:
		return s, true
	case *string:
		if s != nil {
			return *s, true
		}
		return "", false
	}
	// Enum types generated as named strings.
	if rv := reflect.ValueOf(v); rv.IsValid() && rv.Kind() == reflect.String {
		return rv.String(), true
	}
	return "", false
}

func asInt(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case json.Number:
		i, err := n.Int64()
		return i, err == nil
	case float64:
		if n == math.Trunc(n) && math.Abs(n) < 1<<63 {
			return int64(n), true
		}
		return 0, false
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int(), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if u := rv.Uint(); u <= math.MaxInt64 {
			return int64(u), true
		}
	}
	return 0, false
}

func asFloat(v any) (float64, bool) {
	switch f := v.(type) {
	case float64:
		return f, true
	case float32:
		return float64(f), true
	case json.Number:
		x, err := f.Float64()
		return x, err == nil
	}
	if n, ok := asInt(v); ok {
		return float64(n), true
	}
	return 0, false
}
