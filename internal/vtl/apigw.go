package vtl

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// replaceAll is Java's String.replaceAll with Go's regexp (RE2: the
// common Java syntax; $1 group references work the same).
func (r *renderer) replaceAll(s, pattern, repl string) (any, error) {
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, nil
	}
	return r.bounded(re.ReplaceAllString(s, repl))
}

// Params are a request's parameters as API Gateway's $input.params sees
// them.
type Params struct {
	Path, Query, Header map[string]string
}

// Input is API Gateway's $input: the request body and parameters.
type Input struct {
	Body   string
	Params Params
}

func strMap(m map[string]string) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Call implements $input.body, $input.params(), $input.params(name),
// $input.json(path), $input.path(path).
func (in *Input) Call(name string, args []any) (any, bool, error) {
	arg := ""
	if len(args) > 0 {
		arg = String(args[0])
	}
	switch name {
	case "body", "getBody":
		return in.Body, true, nil
	case "params":
		if len(args) == 0 {
			return map[string]any{"path": strMap(in.Params.Path), "querystring": strMap(in.Params.Query), "header": strMap(in.Params.Header)}, true, nil
		}
		// Path, then query string, then header; an absent parameter is "".
		for _, m := range []map[string]string{in.Params.Path, in.Params.Query} {
			if v, ok := m[arg]; ok {
				return v, true, nil
			}
		}
		for k, v := range in.Params.Header {
			if strings.EqualFold(k, arg) {
				return v, true, nil
			}
		}
		return "", true, nil
	case "path":
		v, ok := jsonPath(in.Body, arg)
		if !ok {
			return "", true, nil
		}
		return v, true, nil
	case "json":
		v, ok := jsonPath(in.Body, arg)
		if !ok {
			return "", true, nil
		}
		return jsonString(v), true, nil
	}
	return nil, false, nil
}

// jsonString encodes a value as JSON the way $input.json does (no HTML
// escaping).
func jsonString(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(fromVTL(v)); err != nil {
		return ""
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func fromVTL(v any) any {
	switch v := v.(type) {
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = fromVTL(x)
		}
		return out
	case map[string]any:
		out := map[string]any{}
		for k, x := range v {
			out[k] = fromVTL(x)
		}
		return out
	}
	return v
}

// ParseJSON decodes JSON into template values (numbers as int64 or
// float64).
func ParseJSON(s string) (any, bool) {
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, false
	}
	return toVTL(v), true
}

func toVTL(v any) any {
	switch v := v.(type) {
	case json.Number:
		if n, err := v.Int64(); err == nil {
			return n
		}
		f, _ := v.Float64()
		return f
	case []any:
		for i := range v {
			v[i] = toVTL(v[i])
		}
	case map[string]any:
		for k := range v {
			v[k] = toVTL(v[k])
		}
	}
	return v
}

// jsonPath evaluates the JSONPath subset API Gateway templates use:
// $, .name, ['name'], [n].
func jsonPath(body, path string) (any, bool) {
	if strings.TrimSpace(body) == "" {
		body = "{}"
	}
	v, ok := ParseJSON(body)
	if !ok {
		return nil, false
	}
	if !strings.HasPrefix(path, "$") {
		return nil, false
	}
	p := path[1:]
	for p != "" {
		switch {
		case p[0] == '.':
			j := 1
			for j < len(p) && p[j] != '.' && p[j] != '[' {
				j++
			}
			m, ok := v.(map[string]any)
			if !ok {
				return nil, false
			}
			if v, ok = m[p[1:j]]; !ok {
				return nil, false
			}
			p = p[j:]
		case p[0] == '[':
			end := strings.IndexByte(p, ']')
			if end < 0 {
				return nil, false
			}
			key := p[1:end]
			p = p[end+1:]
			if len(key) >= 2 && (key[0] == '\'' || key[0] == '"') {
				m, ok := v.(map[string]any)
				if !ok {
					return nil, false
				}
				if v, ok = m[key[1:len(key)-1]]; !ok {
					return nil, false
				}
				continue
			}
			n, err := strconv.Atoi(key)
			l, ok := v.([]any)
			if err != nil || !ok || n < 0 || n >= len(l) {
				return nil, false
			}
			v = l[n]
		default:
			return nil, false
		}
	}
	return v, true
}

// Util is API Gateway's $util.
type Util struct{}

// Call implements $util's functions.
func (Util) Call(name string, args []any) (any, bool, error) {
	arg := ""
	if len(args) > 0 {
		arg = String(args[0])
	}
	switch name {
	case "escapeJavaScript":
		return EscapeJavaScript(arg), true, nil
	case "parseJson":
		v, ok := ParseJSON(arg)
		if !ok {
			return nil, true, nil
		}
		return v, true, nil
	case "urlEncode":
		return strings.ReplaceAll(url.QueryEscape(arg), "%7E", "~"), true, nil
	case "urlDecode":
		s, err := url.QueryUnescape(arg)
		if err != nil {
			return nil, true, nil
		}
		return s, true, nil
	case "base64Encode":
		return base64.StdEncoding.EncodeToString([]byte(arg)), true, nil
	case "base64Decode":
		b, err := base64.StdEncoding.DecodeString(arg)
		if err != nil {
			return nil, true, nil
		}
		return string(b), true, nil
	}
	return nil, false, nil
}

// EscapeJavaScript is Apache Commons' StringEscapeUtils.escapeJavaScript,
// which API Gateway's $util.escapeJavaScript is: quotes (single ones too),
// backslash and slash escaped, control and non-ASCII characters as \uXXXX.
func EscapeJavaScript(s string) string {
	var b strings.Builder
	for _, c := range s {
		switch c {
		case '"':
			b.WriteString(`\"`)
		case '\'':
			b.WriteString(`\'`)
		case '\\':
			b.WriteString(`\\`)
		case '/':
			b.WriteString(`\/`)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		case '\r':
			b.WriteString(`\r`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			switch {
			case c < 0x20 || c > 0x7e && c < utf8.RuneSelf:
				fmt.Fprintf(&b, `\u%04X`, c)
			case c >= utf8.RuneSelf && c <= 0xffff:
				fmt.Fprintf(&b, `\u%04X`, c)
			case c > 0xffff:
				// UTF-16 surrogate pair, as Java strings hold it.
				c -= 0x10000
				fmt.Fprintf(&b, `\u%04X\u%04X`, 0xd800+(c>>10), 0xdc00+(c&0x3ff))
			default:
				b.WriteRune(c)
			}
		}
	}
	return b.String()
}
