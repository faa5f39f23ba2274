package rdsdata

import (
	"strconv"
	"strings"

	rdsdataapi "github.com/niwa-cloud/niwa/internal/api/rdsdata"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// bind rewrites the Data API's named parameters (:name) into the
// driver's placeholders (? for MySQL, $n for PostgreSQL) and returns the
// values in order. Quoted strings, quoted identifiers, comments and
// PostgreSQL's :: casts and $tag$ strings are left alone. A parameter
// with a typeHint gets PostgreSQL's matching cast, as the Data API
// applies it.
func bind(sql string, params []rdsdataapi.SqlParameter, pg bool) (string, []any, error) {
	byName := map[string]rdsdataapi.SqlParameter{}
	for _, p := range params {
		n := ptr.Deref(p.Name)
		if n == "" {
			return "", nil, badRequest("Parameter name must not be empty.")
		}
		byName[n] = p
	}
	var out strings.Builder
	var args []any
	index := map[string]int{} // PostgreSQL reuses $n for a repeated name
	i := 0
	for i < len(sql) {
		c := sql[i]
		switch {
		case c == '\'' || c == '"' || c == '`':
			j := skipQuoted(sql, i)
			out.WriteString(sql[i:j])
			i = j
		case c == '-' && i+1 < len(sql) && sql[i+1] == '-', c == '#' && !pg:
			j := strings.IndexByte(sql[i:], '\n')
			if j < 0 {
				j = len(sql) - i
			}
			out.WriteString(sql[i : i+j])
			i += j
		case c == '/' && i+1 < len(sql) && sql[i+1] == '*':
			j := strings.Index(sql[i+2:], "*/")
			end := len(sql)
			if j >= 0 {
				end = i + 2 + j + 2
			}
			out.WriteString(sql[i:end])
			i = end
		case c == '$' && pg && dollarTag(sql, i) != "":
			tag := dollarTag(sql, i)
			j := strings.Index(sql[i+len(tag):], tag)
			end := len(sql)
			if j >= 0 {
				end = i + len(tag) + j + len(tag)
			}
			out.WriteString(sql[i:end])
			i = end
		case c == ':' && i+1 < len(sql) && sql[i+1] == ':':
			out.WriteString("::")
			i += 2
		case c == ':' && i+1 < len(sql) && identStart(sql[i+1]):
			j := i + 1
			for j < len(sql) && identPart(sql[j]) {
				j++
			}
			name := sql[i+1 : j]
			p, ok := byName[name]
			if !ok {
				return "", nil, badRequest("No value specified for parameter: %s", name)
			}
			if !pg {
				v, err := value(p, false)
				if err != nil {
					return "", nil, err
				}
				args = append(args, v)
				out.WriteByte('?')
			} else {
				n, seen := index[name]
				if !seen {
					v, err := value(p, true)
					if err != nil {
						return "", nil, err
					}
					args = append(args, v)
					n = len(args)
					index[name] = n
				}
				out.WriteString("$" + strconv.Itoa(n) + pgCast(ptr.Deref(p.TypeHint)))
			}
			i = j
		default:
			out.WriteByte(c)
			i++
		}
	}
	return out.String(), args, nil
}

func identStart(c byte) bool { return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func identPart(c byte) bool  { return identStart(c) || c >= '0' && c <= '9' }

// skipQuoted returns the index after the quoted text starting at i (a
// doubled quote or, in MySQL strings, a backslash escapes).
func skipQuoted(s string, i int) int {
	q := s[i]
	j := i + 1
	for j < len(s) {
		switch {
		case s[j] == '\\' && q != '`' && j+1 < len(s):
			j += 2
		case s[j] == q && j+1 < len(s) && s[j+1] == q:
			j += 2
		case s[j] == q:
			return j + 1
		default:
			j++
		}
	}
	return len(s)
}

// dollarTag is the $tag$ opening a PostgreSQL dollar-quoted string at i,
// or "".
func dollarTag(s string, i int) string {
	j := i + 1
	for j < len(s) && identPart(s[j]) {
		j++
	}
	if j < len(s) && s[j] == '$' && (j == i+1 || identStart(s[i+1])) {
		return s[i : j+1]
	}
	return ""
}

func pgCast(hint string) string {
	switch strings.ToUpper(hint) {
	case "DATE":
		return "::date"
	case "TIME":
		return "::time"
	case "TIMESTAMP":
		return "::timestamp"
	case "DECIMAL":
		return "::numeric"
	case "UUID":
		return "::uuid"
	case "JSON":
		return "::json"
	}
	return ""
}

// value is a parameter's Field as a driver value.
func value(p rdsdataapi.SqlParameter, pg bool) (any, error) {
	switch h := strings.ToUpper(ptr.Deref(p.TypeHint)); h {
	case "", "DATE", "TIME", "TIMESTAMP", "DECIMAL", "UUID", "JSON":
	default:
		return nil, badRequest("Invalid type hint: %s", ptr.Deref(p.TypeHint))
	}
	f := p.Value
	if f == nil {
		return nil, badRequest("Parameter %s has no value.", ptr.Deref(p.Name))
	}
	switch {
	case ptr.Deref(f.IsNull):
		return nil, nil
	case f.BooleanValue != nil:
		return *f.BooleanValue, nil
	case f.LongValue != nil:
		return *f.LongValue, nil
	case f.DoubleValue != nil:
		return *f.DoubleValue, nil
	case f.StringValue != nil:
		return *f.StringValue, nil
	case f.BlobValue != nil:
		return f.BlobValue, nil
	case f.ArrayValue != nil:
		if !pg {
			return nil, badRequest("Array parameters are not supported for MySQL.")
		}
		a := f.ArrayValue
		switch {
		case a.LongValues != nil:
			return a.LongValues, nil
		case a.DoubleValues != nil:
			return a.DoubleValues, nil
		case a.BooleanValues != nil:
			return a.BooleanValues, nil
		case a.StringValues != nil:
			return a.StringValues, nil
		}
		return nil, badRequest("Nested array parameters are not supported.")
	}
	return nil, badRequest("Parameter %s has no value.", ptr.Deref(p.Name))
}
