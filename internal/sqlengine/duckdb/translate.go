package duckdb

import (
	"fmt"
	"strings"
)

// Athena's SQL is Trino's. DuckDB reads most of it as it is (struct
// field access, arrays and maps subscripted from 1, UNNEST, LIKE,
// window functions, double-quoted names); what the two spell differently
// is translated here and only here: function names in renames, the
// functions in macros (defined in every query's database), the datetime
// format strings of date_parse and date_format, the `default` schema and
// the AwsDataCatalog prefix.

// renames are Trino functions DuckDB has under another name.
var renames = map[string]string{
	"json_extract_scalar":  "json_extract_string",
	"regexp_like":          "regexp_matches",
	"arbitrary":            "any_value",
	"approx_distinct":      "approx_count_distinct",
	"approx_percentile":    "approx_quantile",
	"cardinality":          "len",
	"from_unixtime":        "to_timestamp",
	"to_unixtime":          "epoch",
	"transform":            "list_transform",
	"filter":               "list_filter",
	"reduce":               "list_reduce",
	"contains":             "list_contains",
	"array_join":           "array_to_string",
	"split":                "string_split",
	"date_format":          "strftime",
	"date_parse":           "strptime",
	"format_datetime":      "strftime",
	"parse_datetime":       "strptime",
	"date_add":             "niwa_date_add",
	"array_position":       "list_position",
	"array_max":            "list_max",
	"array_min":            "list_min",
	"array_distinct":       "list_distinct",
	"array_sort":           "list_sort",
	"codepoint":            "unicode",
	"levenshtein_distance": "levenshtein",
	"hamming_distance":     "hamming",
	"to_hex":               "hex",
	"from_hex":             "unhex",
	"is_nan":               "isnan",
	"is_finite":            "isfinite",
	"is_infinite":          "isinf",
}

// dateFormatFns take a format string as their second argument: MySQL's
// (date_parse, date_format) or Java's (format_datetime, parse_datetime),
// converted to strftime's when it is a literal.
var dateFormatFns = map[string]func(string) string{
	"date_parse": mysqlFormat, "date_format": mysqlFormat,
	"format_datetime": javaFormat, "parse_datetime": javaFormat,
}

// macros define Trino functions DuckDB lacks, in every query's database.
var macros = []string{
	`CREATE MACRO from_iso8601_timestamp(s) AS CAST(s AS TIMESTAMPTZ)`,
	`CREATE MACRO from_iso8601_date(s) AS CAST(CAST(s AS TIMESTAMP) AS DATE)`,
	`CREATE MACRO url_extract_host(u) AS regexp_extract(u, '^[a-zA-Z][a-zA-Z0-9+.-]*://([^/:?#]*)', 1)`,
	`CREATE MACRO url_extract_path(u) AS regexp_extract(u, '^[a-zA-Z][a-zA-Z0-9+.-]*://[^/?#]*([^?#]*)', 1)`,
	// Trino's date_add(unit, value, timestamp); DuckDB's date_add adds
	// an interval.
	`CREATE MACRO niwa_date_add(unit, n, ts) AS CASE lower(unit)
		WHEN 'millisecond' THEN ts + to_milliseconds(n) WHEN 'second' THEN ts + to_seconds(n)
		WHEN 'minute' THEN ts + to_minutes(n) WHEN 'hour' THEN ts + to_hours(n)
		WHEN 'day' THEN ts + to_days(n) WHEN 'week' THEN ts + to_weeks(n)
		WHEN 'month' THEN ts + to_months(n) WHEN 'quarter' THEN ts + to_months(3 * n)
		WHEN 'year' THEN ts + to_years(n) END`,
}

// javaFormat converts a Java (Joda) datetime pattern — format_datetime,
// parse_datetime — to strftime's; 'quoted' text is literal.
func javaFormat(f string) string {
	var b strings.Builder
	for i := 0; i < len(f); {
		c := f[i]
		if c == '\'' {
			j := strings.IndexByte(f[i+1:], '\'')
			if j < 0 {
				b.WriteString(strings.ReplaceAll(f[i+1:], "%", "%%"))
				break
			}
			if j == 0 {
				b.WriteByte('\'') // '' is a quote
			} else {
				b.WriteString(strings.ReplaceAll(f[i+1:i+1+j], "%", "%%"))
			}
			i += j + 2
			continue
		}
		n := 1
		for i+n < len(f) && f[i+n] == c {
			n++
		}
		run := f[i : i+n]
		switch {
		case c == 'y' && n == 2:
			b.WriteString("%y")
		case c == 'y' || c == 'Y':
			b.WriteString("%Y")
		case c == 'M' && n >= 4:
			b.WriteString("%B")
		case c == 'M' && n == 3:
			b.WriteString("%b")
		case c == 'M':
			b.WriteString("%m")
		case c == 'd':
			b.WriteString("%d")
		case c == 'H':
			b.WriteString("%H")
		case c == 'h':
			b.WriteString("%I")
		case c == 'm':
			b.WriteString("%M")
		case c == 's':
			b.WriteString("%S")
		case c == 'S':
			b.WriteString("%g") // milliseconds
		case c == 'a':
			b.WriteString("%p")
		case c == 'E' && n >= 4:
			b.WriteString("%A")
		case c == 'E':
			b.WriteString("%a")
		case c == 'Z' || c == 'z' || c == 'X':
			b.WriteString("%z")
		case c == '%':
			b.WriteString("%%")
		default:
			b.WriteString(run)
		}
		i += n
	}
	return b.String()
}

// mysqlFormat converts a MySQL datetime format (Trino's date_parse and
// date_format) to strftime's: only the specifiers that differ change.
func mysqlFormat(f string) string {
	var b strings.Builder
	for i := 0; i < len(f); i++ {
		if f[i] != '%' || i+1 == len(f) {
			b.WriteByte(f[i])
			continue
		}
		i++
		switch f[i] {
		case 'i':
			b.WriteString("%M") // minutes
		case 's':
			b.WriteString("%S") // seconds
		case 'h':
			b.WriteString("%I")
		case 'k':
			b.WriteString("%-H")
		case 'l':
			b.WriteString("%-I")
		case 'M':
			b.WriteString("%B") // month name
		case 'W':
			b.WriteString("%A")
		case 'D':
			b.WriteString("%-d")
		case 'e':
			b.WriteString("%-d")
		case 'c':
			b.WriteString("%-m")
		case 'r':
			b.WriteString("%I:%M:%S %p")
		case 'T':
			b.WriteString("%H:%M:%S")
		case 'v':
			b.WriteString("%V")
		case 'x':
			b.WriteString("%G")
		default:
			b.WriteByte('%')
			b.WriteByte(f[i])
		}
	}
	return b.String()
}

// token kinds.
const (
	tokIdent = iota
	tokQuoted
	tokString
	tokNumber
	tokSymbol
	tokSpace
)

type token struct {
	kind int
	text string
}

// tokenize splits SQL into tokens; spaces and comments are kept as
// tokSpace so that the translation keeps the statement's shape.
func tokenize(sql string) ([]token, error) {
	var out []token
	for i := 0; i < len(sql); {
		c := sql[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			j := i
			for j < len(sql) && (sql[j] == ' ' || sql[j] == '\t' || sql[j] == '\n' || sql[j] == '\r') {
				j++
			}
			out = append(out, token{tokSpace, sql[i:j]})
			i = j
		case c == '-' && i+1 < len(sql) && sql[i+1] == '-':
			j := strings.IndexByte(sql[i:], '\n')
			if j < 0 {
				j = len(sql) - i
			}
			out = append(out, token{tokSpace, " "})
			i += j
		case c == '/' && i+1 < len(sql) && sql[i+1] == '*':
			j := strings.Index(sql[i+2:], "*/")
			if j < 0 {
				return nil, fmt.Errorf("unterminated comment")
			}
			out = append(out, token{tokSpace, " "})
			i += j + 4
		case c == '\'':
			j := i + 1
			for {
				if j >= len(sql) {
					return nil, fmt.Errorf("unterminated string literal")
				}
				if sql[j] == '\'' {
					if j+1 < len(sql) && sql[j+1] == '\'' {
						j += 2
						continue
					}
					break
				}
				j++
			}
			out = append(out, token{tokString, sql[i : j+1]})
			i = j + 1
		case c == '"' || c == '`':
			j := i + 1
			for {
				if j >= len(sql) {
					return nil, fmt.Errorf("unterminated quoted identifier")
				}
				if sql[j] == c {
					if j+1 < len(sql) && sql[j+1] == c {
						j += 2
						continue
					}
					break
				}
				j++
			}
			name := strings.ReplaceAll(sql[i+1:j], string([]byte{c, c}), string(c))
			out = append(out, token{tokQuoted, quoteIdent(name)})
			i = j + 1
		case c >= '0' && c <= '9':
			j := i
			for j < len(sql) && (sql[j] >= '0' && sql[j] <= '9' || sql[j] == '.' || sql[j] == 'e' || sql[j] == 'E') {
				j++
			}
			out = append(out, token{tokNumber, sql[i:j]})
			i = j
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80:
			j := i
			for j < len(sql) && (sql[j] == '_' || sql[j] == '$' || sql[j] >= '0' && sql[j] <= '9' || sql[j] >= 'a' && sql[j] <= 'z' || sql[j] >= 'A' && sql[j] <= 'Z' || sql[j] >= 0x80) {
				j++
			}
			out = append(out, token{tokIdent, sql[i:j]})
			i = j
		default:
			out = append(out, token{tokSymbol, string(c)})
			i++
		}
	}
	return out, nil
}

// next returns the index of the first non-space token after i (len when
// none).
func next(toks []token, i int) int {
	for i++; i < len(toks) && toks[i].kind == tokSpace; i++ {
	}
	return i
}

// prev returns the index of the last non-space token before i (-1 when
// none).
func prev(toks []token, i int) int {
	for i--; i >= 0 && toks[i].kind == tokSpace; i-- {
	}
	return i
}

// Translate rewrites a statement in Trino's dialect into DuckDB's.
func Translate(sql string) (string, error) {
	toks, err := tokenize(sql)
	if err != nil {
		return "", err
	}
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if t.kind != tokIdent {
			continue
		}
		lower := strings.ToLower(t.text)
		n := next(toks, i)
		p := prev(toks, i)
		afterDot := p >= 0 && toks[p].text == "."
		// AwsDataCatalog.db.table: niwa has the one catalog.
		if lower == "awsdatacatalog" && !afterDot && n < len(toks) && toks[n].text == "." {
			for j := i; j <= n; j++ {
				toks[j] = token{tokSpace, ""}
			}
			continue
		}
		// default is a keyword in DuckDB, a schema name in Athena.
		if lower == "default" && !afterDot && n < len(toks) && toks[n].text == "." {
			toks[i] = token{tokQuoted, `"default"`}
			continue
		}
		if lower == "values" && !afterDot && n < len(toks) && toks[n].text != "(" {
			wrapValues(toks, n)
			continue
		}
		if afterDot || n >= len(toks) || toks[n].text != "(" {
			continue
		}
		if conv, ok := dateFormatFns[lower]; ok {
			// The format argument: the first string literal at depth 1
			// after a comma.
			depth := 0
			comma := false
			for j := n; j < len(toks); j++ {
				switch toks[j].text {
				case "(":
					depth++
				case ")":
					depth--
				case ",":
					if depth == 1 {
						comma = true
					}
				}
				if depth == 0 {
					break
				}
				if comma && depth == 1 && toks[j].kind == tokString {
					lit := toks[j].text[1 : len(toks[j].text)-1]
					toks[j].text = quoteString(conv(strings.ReplaceAll(lit, "''", "'")))
					break
				}
			}
		}
		if r, ok := renames[lower]; ok {
			toks[i].text = r
		}
	}
	var b strings.Builder
	for _, t := range toks {
		b.WriteString(t.text)
	}
	return b.String(), nil
}

// valuesEnd are the words that end a VALUES list.
var valuesEnd = map[string]bool{"as": true, "order": true, "limit": true, "union": true, "except": true,
	"intersect": true, "offset": true, "fetch": true}

// wrapValues puts each row of Trino's VALUES 1, 2 (rows of one column
// need no parentheses there) in the parentheses DuckDB needs, from token
// i on.
func wrapValues(toks []token, i int) {
	depth := 0
	start := i
	for j := i; j <= len(toks); j++ {
		end := j == len(toks)
		if !end {
			t := toks[j]
			switch {
			case t.text == "(" || t.text == "[":
				depth++
				continue
			case (t.text == ")" || t.text == "]") && depth > 0:
				depth--
				continue
			case depth > 0:
				continue
			case t.text == ",":
			case t.text == ")" || t.text == ";" || t.kind == tokIdent && valuesEnd[strings.ToLower(t.text)]:
				end = true
			default:
				continue
			}
		}
		// toks[start:j] is one row: wrap its first and last non-space
		// tokens.
		first, last := start, j-1
		for first < j && toks[first].kind == tokSpace {
			first++
		}
		for last > first && toks[last].kind == tokSpace {
			last--
		}
		if first < j {
			toks[first].text = "(" + toks[first].text
			toks[last].text += ")"
		}
		if end {
			return
		}
		start = j + 1
	}
}
