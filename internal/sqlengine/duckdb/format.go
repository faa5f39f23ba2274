package duckdb

import (
	"fmt"
	"math"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"
)

// format renders a value as Athena does in GetQueryResults and in result
// CSV files: timestamps "2006-01-02 15:04:05.000", rows "{a=1, b=x}",
// arrays "[1, 2]", maps "{k=v}", doubles with a decimal point.
func format(v any, t *typ) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return x
	case []byte:
		return fmt.Sprintf("%x", x)
	case bool:
		return strconv.FormatBool(x)
	case int8, int16, int32, int64, int, uint8, uint16, uint32, uint64, uint:
		return fmt.Sprint(x)
	case float32:
		return formatFloat(float64(x), 32)
	case float64:
		return formatFloat(x, 64)
	case *big.Int:
		return x.String()
	case time.Time:
		if t != nil {
			switch t.kind {
			case "date":
				return x.Format("2006-01-02")
			case "time":
				return x.Format("15:04:05.000")
			case "timestamp with time zone":
				return x.UTC().Format("2006-01-02 15:04:05.000 UTC")
			}
		}
		return x.Format("2006-01-02 15:04:05.000")
	case duckdb.Decimal:
		return x.String()
	case duckdb.Interval:
		d := time.Duration(x.Micros) * time.Microsecond
		return fmt.Sprintf("%d %02d:%02d:%02d.%03d", int(x.Days)+int(x.Months)*30, int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60, d.Milliseconds()%1000)
	case map[string]any:
		var names []string
		if t != nil && t.kind == "struct" {
			for _, f := range t.fields {
				names = append(names, f.name)
			}
		} else {
			for k := range x {
				names = append(names, k)
			}
			sort.Strings(names)
		}
		parts := make([]string, 0, len(names))
		for i, n := range names {
			var ft *typ
			if t != nil && i < len(t.fields) {
				ft = t.fields[i].t
			}
			parts = append(parts, n+"="+format(x[n], ft))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case []any:
		var et *typ
		if t != nil {
			et = t.elem
		}
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = format(e, et)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case duckdb.Map:
		var kt, vt *typ
		if t != nil {
			kt, vt = t.key, t.elem
		}
		parts := make([]string, 0, len(x))
		for k, e := range x {
			parts = append(parts, format(k, kt)+"="+format(e, vt))
		}
		sort.Strings(parts)
		return "{" + strings.Join(parts, ", ") + "}"
	case fmt.Stringer:
		return x.String()
	}
	return fmt.Sprint(v)
}

// formatFloat writes a double as Trino does: a decimal point always,
// scientific notation for very large or small magnitudes.
func formatFloat(f float64, bits int) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	a := math.Abs(f)
	if a != 0 && (a >= 1e7 || a < 1e-3) {
		s := strconv.FormatFloat(f, 'E', -1, bits)
		mant, exp, _ := strings.Cut(s, "E")
		if !strings.Contains(mant, ".") {
			mant += ".0"
		}
		return mant + "E" + strings.TrimPrefix(exp, "+")
	}
	s := strconv.FormatFloat(f, 'f', -1, bits)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}
