package logs

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	logsapi "github.com/niwa-cloud/niwa/internal/api/logs"
)

// pattern is a compiled CloudWatch Logs filter pattern. Three syntaxes
// exist (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html):
//
//   - terms: `ERROR`, `ERROR Exception` (all), `?ERROR ?WARN` (any),
//     `"exact phrase"`, `-term` (exclude); case-sensitive substrings;
//   - JSON: `{ $.level = "error" && $.latency > 100 }` with =, !=, <, <=,
//     >, >=, string wildcards (*), IS TRUE/FALSE/NULL, EXISTS, && and ||;
//   - space-delimited: `[ip, user, status = 404, ...]`.
type pattern struct {
	match func(msg string) bool
	// extract, for the space-delimited syntax, returns the named fields
	// of a matching message ("$ip" → "10.0.0.1"): what TestMetricFilter
	// reports and what metric values and dimensions refer to.
	extract func(msg string) (map[string]string, bool)
}

// matches returns whether msg matches and the values it extracted.
func (p *pattern) matches(msg string) (map[string]string, bool) {
	if p.extract != nil {
		return p.extract(msg)
	}
	if p.match(msg) {
		return map[string]string{}, true
	}
	return nil, false
}

// resolve evaluates a metric value or dimension reference against a
// matched message: "$.a.b" selects from the JSON message, "$name" names
// an extracted field, anything else is a literal.
func resolve(ref, msg string, extracted map[string]string) (string, bool) {
	switch {
	case strings.HasPrefix(ref, "$."):
		var doc any
		if json.Unmarshal([]byte(msg), &doc) != nil {
			return "", false
		}
		v, ok := selectPath(doc, ref)
		if !ok {
			return "", false
		}
		switch x := v.(type) {
		case string:
			return x, true
		case float64:
			return strconv.FormatFloat(x, 'f', -1, 64), true
		case bool:
			return strconv.FormatBool(x), true
		}
		return "", false
	case strings.HasPrefix(ref, "$"):
		v, ok := extracted[ref]
		return v, ok
	}
	return ref, true
}

func badPattern(p string) error {
	return logsapi.ErrInvalidParameterException.New("Invalid filter pattern: %s", p)
}

func compilePattern(p string) (*pattern, error) {
	// Wildcards compile to regular expressions, which need valid UTF-8.
	if !utf8.ValidString(p) {
		return nil, badPattern(p)
	}
	// AWS allows two regular expressions in one filter pattern.
	if strings.Count(p, "%") > 4 {
		return nil, logsapi.ErrInvalidParameterException.New("A filter pattern can contain at most 2 regular expressions.")
	}
	s := strings.TrimSpace(p)
	switch {
	case s == "" || s == `""`:
		return &pattern{match: func(string) bool { return true }}, nil
	case strings.HasPrefix(s, "{"):
		if !strings.HasSuffix(s, "}") {
			return nil, badPattern(p)
		}
		expr, err := parseJSONExpr(strings.TrimSpace(s[1 : len(s)-1]))
		if err != nil {
			return nil, badPattern(p)
		}
		return &pattern{match: func(msg string) bool {
			var doc any
			if json.Unmarshal([]byte(msg), &doc) != nil {
				return false
			}
			return expr(doc)
		}}, nil
	case strings.HasPrefix(s, "["):
		if !strings.HasSuffix(s, "]") {
			return nil, badPattern(p)
		}
		return compileSpaced(strings.TrimSpace(s[1:len(s)-1]), p)
	}
	return compileTerms(s, p)
}

// compileTerms handles the term syntax. A term between percent signs is
// a regular expression (%ERROR [0-9]+%).
func compileTerms(s, orig string) (*pattern, error) {
	var all, anyOf, none []func(string) bool
	for s != "" {
		s = strings.TrimLeft(s, " \t")
		if s == "" {
			break
		}
		kind := byte(0)
		if s[0] == '?' || s[0] == '-' {
			kind, s = s[0], s[1:]
		}
		var term func(string) bool
		switch {
		case strings.HasPrefix(s, "%"):
			end := strings.IndexByte(s[1:], '%')
			if end < 0 {
				return nil, badPattern(orig)
			}
			re, err := regexp.Compile(s[1 : end+1])
			if err != nil {
				return nil, badPattern(orig)
			}
			term, s = re.MatchString, s[end+2:]
		case strings.HasPrefix(s, `"`):
			end := strings.IndexByte(s[1:], '"')
			if end < 0 {
				return nil, badPattern(orig)
			}
			term, s = substring(s[1:end+1]), s[end+2:]
		default:
			end := strings.IndexAny(s, " \t")
			if end < 0 {
				end = len(s)
			}
			term, s = substring(s[:end]), s[end:]
		}
		switch kind {
		case '?':
			anyOf = append(anyOf, term)
		case '-':
			none = append(none, term)
		default:
			all = append(all, term)
		}
	}
	return &pattern{match: func(msg string) bool {
		for _, t := range none {
			if t(msg) {
				return false
			}
		}
		for _, t := range all {
			if !t(msg) {
				return false
			}
		}
		if len(anyOf) > 0 {
			for _, t := range anyOf {
				if t(msg) {
					return true
				}
			}
			return false
		}
		return true
	}}, nil
}

func substring(term string) func(string) bool {
	return func(msg string) bool { return strings.Contains(msg, term) }
}

// compileSpaced handles the space-delimited syntax: fields named in
// order, optional conditions, "..." matching any number of fields.
func compileSpaced(body, orig string) (*pattern, error) {
	type field struct {
		rest bool
		name string
		cond func(string) bool
	}
	var fields []field
	for n, part := range splitOp(body, ",") {
		part = strings.TrimSpace(part)
		if part == "..." {
			fields = append(fields, field{rest: true})
			continue
		}
		f := field{name: part}
		for _, op := range []string{"!=", ">=", "<=", "=", ">", "<"} {
			if i := strings.Index(part, op); i > 0 {
				want := strings.Trim(strings.TrimSpace(part[i+len(op):]), `"`)
				if !validRegexValue(want) {
					return nil, badPattern(orig)
				}
				f.cond = compare(op, want)
				f.name = strings.TrimSpace(part[:i])
				break
			}
		}
		// An unnamed field is known by its position, as AWS numbers them.
		if f.name == "" {
			f.name = strconv.Itoa(n + 1)
		}
		f.name = "$" + strings.TrimPrefix(f.name, "$")
		fields = append(fields, f)
	}
	extract := func(msg string) (map[string]string, bool) {
		words := splitSpaced(msg)
		vals := map[string]string{}
		wi := 0
		for i, f := range fields {
			if f.rest {
				// "..." swallows what the remaining fields do not need.
				need := len(fields) - i - 1
				if len(words)-wi < need {
					return nil, false
				}
				wi = len(words) - need
				continue
			}
			if wi >= len(words) {
				return nil, false
			}
			if f.cond != nil && !f.cond(words[wi]) {
				return nil, false
			}
			vals[f.name] = words[wi]
			wi++
		}
		if wi == len(words) || (len(fields) > 0 && fields[len(fields)-1].rest) {
			return vals, true
		}
		return nil, false
	}
	return &pattern{extract: extract, match: func(msg string) bool {
		_, ok := extract(msg)
		return ok
	}}, nil
}

// splitSpaced splits a log line into fields, keeping "quoted" and
// [bracketed] runs together.
func splitSpaced(msg string) []string {
	var out []string
	for i := 0; i < len(msg); {
		switch msg[i] {
		case ' ', '\t':
			i++
		case '"':
			j := strings.IndexByte(msg[i+1:], '"')
			if j < 0 {
				out = append(out, msg[i+1:])
				return out
			}
			out = append(out, msg[i+1:i+1+j])
			i += j + 2
		case '[':
			j := strings.IndexByte(msg[i+1:], ']')
			if j < 0 {
				out = append(out, msg[i+1:])
				return out
			}
			out = append(out, msg[i+1:i+1+j])
			i += j + 2
		default:
			j := strings.IndexAny(msg[i:], " \t")
			if j < 0 {
				out = append(out, msg[i:])
				return out
			}
			out = append(out, msg[i:i+j])
			i += j
		}
	}
	return out
}

// validRegexValue reports whether a %regex% value compiles (any other
// value is fine).
func validRegexValue(want string) bool {
	if len(want) >= 2 && strings.HasPrefix(want, "%") && strings.HasSuffix(want, "%") {
		_, err := regexp.Compile(want[1 : len(want)-1])
		return err == nil
	}
	return true
}

// compare returns a predicate for "value op want": numeric when both
// sides are numbers, otherwise string equality with * wildcards.
func compare(op, want string) func(string) bool {
	wn, werr := strconv.ParseFloat(want, 64)
	var re *regexp.Regexp
	if len(want) >= 2 && strings.HasPrefix(want, "%") && strings.HasSuffix(want, "%") {
		// %regex%: a match anywhere in the value.
		re, _ = regexp.Compile(want[1 : len(want)-1])
		werr = errBad
	} else if strings.Contains(want, "*") {
		re, _ = regexp.Compile("^" + strings.ReplaceAll(regexp.QuoteMeta(want), `\*`, ".*") + "$")
	}
	return func(v string) bool {
		if vn, err := strconv.ParseFloat(v, 64); err == nil && werr == nil {
			switch op {
			case "=":
				return vn == wn
			case "!=":
				return vn != wn
			case ">":
				return vn > wn
			case ">=":
				return vn >= wn
			case "<":
				return vn < wn
			case "<=":
				return vn <= wn
			}
		}
		eq := v == want
		if re != nil {
			eq = re.MatchString(v)
		}
		switch op {
		case "=":
			return eq
		case "!=":
			return !eq
		}
		return false
	}
}

// JSON expressions.

type jsonExpr func(doc any) bool

func parseJSONExpr(s string) (jsonExpr, error) {
	s = strings.TrimSpace(s)
	// || binds looser than &&.
	if parts := splitOp(s, "||"); len(parts) > 1 {
		var subs []jsonExpr
		for _, p := range parts {
			e, err := parseJSONExpr(p)
			if err != nil {
				return nil, err
			}
			subs = append(subs, e)
		}
		return func(d any) bool {
			for _, e := range subs {
				if e(d) {
					return true
				}
			}
			return false
		}, nil
	}
	if parts := splitOp(s, "&&"); len(parts) > 1 {
		var subs []jsonExpr
		for _, p := range parts {
			e, err := parseJSONExpr(p)
			if err != nil {
				return nil, err
			}
			subs = append(subs, e)
		}
		return func(d any) bool {
			for _, e := range subs {
				if !e(d) {
					return false
				}
			}
			return true
		}, nil
	}
	if strings.HasPrefix(s, "(") && strings.HasSuffix(s, ")") {
		return parseJSONExpr(s[1 : len(s)-1])
	}
	if !strings.HasPrefix(s, "$") {
		return nil, errBad
	}
	upper := strings.ToUpper(s)
	for _, suffix := range []string{" IS TRUE", " IS FALSE", " IS NULL", " NOT EXISTS", " EXISTS"} {
		if strings.HasSuffix(upper, suffix) {
			sel := strings.TrimSpace(s[:len(s)-len(suffix)])
			return func(d any) bool {
				v, ok := selectPath(d, sel)
				switch suffix {
				case " IS TRUE":
					return ok && v == true
				case " IS FALSE":
					return ok && v == false
				case " IS NULL":
					return ok && v == nil
				case " EXISTS":
					return ok
				}
				return !ok
			}, nil
		}
	}
	for _, op := range []string{"!=", ">=", "<=", "=", ">", "<"} {
		if i := strings.Index(s, op); i > 0 {
			sel := strings.TrimSpace(s[:i])
			want := strings.TrimSpace(s[i+len(op):])
			quoted := strings.HasPrefix(want, `"`)
			want = strings.Trim(want, `"`)
			if !validRegexValue(want) {
				return nil, errBad
			}
			cmp := compare(op, want)
			return func(d any) bool {
				v, ok := selectPath(d, sel)
				if !ok {
					return false
				}
				switch x := v.(type) {
				case string:
					return cmp(x)
				case float64:
					if quoted {
						return false
					}
					return cmp(strconv.FormatFloat(x, 'f', -1, 64))
				case bool:
					return cmp(strconv.FormatBool(x))
				case nil:
					return op == "=" && want == "null"
				}
				return false
			}, nil
		}
	}
	return nil, errBad
}

var errBad = badPattern("")

// splitOp splits s at op where op is outside quotes, parentheses and
// brackets.
func splitOp(s, op string) []string {
	var out []string
	depth, start := 0, 0
	inQ := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			inQ = !inQ
		case inQ:
		case c == '(' || c == '[':
			depth++
		case c == ')' || c == ']':
			depth--
		case depth == 0 && strings.HasPrefix(s[i:], op):
			out = append(out, s[start:i])
			start = i + len(op)
			i += len(op) - 1
		}
	}
	return append(out, s[start:])
}

// selectPath follows $.a.b[0].c through a decoded JSON document.
func selectPath(doc any, sel string) (any, bool) {
	sel = strings.TrimPrefix(sel, "$")
	cur := doc
	for sel != "" {
		switch {
		case strings.HasPrefix(sel, "."):
			sel = sel[1:]
			end := strings.IndexAny(sel, ".[")
			if end < 0 {
				end = len(sel)
			}
			key := sel[:end]
			sel = sel[end:]
			m, ok := cur.(map[string]any)
			if !ok {
				return nil, false
			}
			if cur, ok = m[key]; !ok {
				return nil, false
			}
		case strings.HasPrefix(sel, "["):
			end := strings.IndexByte(sel, ']')
			if end < 0 {
				return nil, false
			}
			n, err := strconv.Atoi(sel[1:end])
			sel = sel[end+1:]
			a, ok := cur.([]any)
			if err != nil || !ok || n < 0 || n >= len(a) {
				return nil, false
			}
			cur = a[n]
		default:
			return nil, false
		}
	}
	return cur, true
}
