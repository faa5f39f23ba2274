package events

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	eventsapi "github.com/niwa-cloud/niwa/internal/api/events"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// pathStep is one step of a JSONPath: an object key or an array index.
type pathStep struct {
	key   string
	index int
	isIdx bool
}

var errBadPath = errors.New("events: invalid JSONPath")

// parsePath parses the JSONPath subset EventBridge's InputPath and
// InputPathsMap use: $, $.a.b, $.a[0], $['a b'], $.a.b[*] is not allowed.
func parsePath(s string) ([]pathStep, error) {
	if !strings.HasPrefix(s, "$") {
		return nil, errBadPath
	}
	s = s[1:]
	var out []pathStep
	for s != "" {
		switch {
		case s[0] == '.':
			s = s[1:]
			i := strings.IndexAny(s, ".[")
			if i < 0 {
				i = len(s)
			}
			if i == 0 {
				return nil, errBadPath
			}
			out = append(out, pathStep{key: s[:i]})
			s = s[i:]
		case strings.HasPrefix(s, "['"):
			end := strings.Index(s, "']")
			if end < 0 {
				return nil, errBadPath
			}
			out = append(out, pathStep{key: s[2:end]})
			s = s[end+2:]
		case s[0] == '[':
			end := strings.IndexByte(s, ']')
			if end < 0 {
				return nil, errBadPath
			}
			n, err := strconv.Atoi(s[1:end])
			if err != nil || n < 0 {
				return nil, errBadPath
			}
			out = append(out, pathStep{index: n, isIdx: true})
			s = s[end+1:]
		default:
			return nil, errBadPath
		}
	}
	return out, nil
}

// lookup evaluates a path on a decoded document.
func lookup(doc any, steps []pathStep) (any, bool) {
	cur := doc
	for _, st := range steps {
		if st.isIdx {
			a, ok := cur.([]any)
			if !ok || st.index >= len(a) {
				return nil, false
			}
			cur = a[st.index]
			continue
		}
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[st.key]; !ok {
			return nil, false
		}
	}
	return cur, true
}

func decode(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	return v, err
}

func encode(v any) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return strings.TrimSuffix(buf.String(), "\n")
}

// transform computes what a target receives for an event: the event
// itself, the constant Input, the part InputPath selects, or the
// InputTransformer's template filled in.
func transform(t eventsapi.Target, event []byte, ruleArn, ruleName string, now time.Time) (string, error) {
	switch {
	case t.Input != nil:
		return *t.Input, nil
	case t.InputPath != nil:
		steps, err := parsePath(*t.InputPath)
		if err != nil {
			return "", err
		}
		doc, err := decode(event)
		if err != nil {
			return "", err
		}
		v, ok := lookup(doc, steps)
		if !ok {
			return "", nil
		}
		return encode(v), nil
	case t.InputTransformer != nil:
		return fillTemplate(t.InputTransformer, event, ruleArn, ruleName, now)
	}
	return string(event), nil
}

// fillTemplate applies an InputTransformer. AWS's quoting rules: a
// placeholder inside a JSON string literal of the template is replaced by
// the value's text (a string without its quotes, escaped for the string);
// outside string literals it is replaced by the value's JSON (strings
// quoted). A template that is not JSON (plain text) gets the values' text.
// A path that selects nothing gives an empty string inside quotes and
// null outside.
func fillTemplate(it *eventsapi.InputTransformer, event []byte, ruleArn, ruleName string, now time.Time) (string, error) {
	doc, err := decode(event)
	if err != nil {
		return "", err
	}
	vars := map[string]any{}
	for k, p := range it.InputPathsMap {
		steps, err := parsePath(p)
		if err != nil {
			return "", err
		}
		if v, ok := lookup(doc, steps); ok {
			vars[k] = v
		}
	}
	vars["aws.events.rule-arn"] = ruleArn
	vars["aws.events.rule-name"] = ruleName
	vars["aws.events.event.ingestion-time"] = now.UTC().Format("2006-01-02T15:04:05.000Z")
	var evJSON any
	_ = json.Unmarshal(event, &evJSON)
	vars["aws.events.event"] = evJSON
	vars["aws.events.event.json"] = evJSON

	tpl := ptr.Deref(it.InputTemplate)
	trimmed := strings.TrimSpace(tpl)
	jsonish := strings.HasPrefix(trimmed, "{") || strings.HasPrefix(trimmed, "[") || strings.HasPrefix(trimmed, "\"")
	var out strings.Builder
	inString := false
	for i := 0; i < len(tpl); i++ {
		c := tpl[i]
		if jsonish && c == '\\' && inString && i+1 < len(tpl) {
			out.WriteByte(c)
			out.WriteByte(tpl[i+1])
			i++
			continue
		}
		if jsonish && c == '"' {
			inString = !inString
			out.WriteByte(c)
			continue
		}
		if c == '<' {
			if end := strings.IndexByte(tpl[i+1:], '>'); end >= 0 {
				name := tpl[i+1 : i+1+end]
				if v, known := vars[name]; known || isVarName(name, it.InputPathsMap) {
					out.WriteString(render(v, known, jsonish && !inString, jsonish && inString))
					i += end + 1
					continue
				}
			}
		}
		out.WriteByte(c)
	}
	return out.String(), nil
}

func isVarName(name string, m map[string]string) bool {
	_, ok := m[name]
	return ok
}

// render writes a value for a placeholder.
func render(v any, present, asJSON, inString bool) string {
	if !present {
		if asJSON {
			return "null"
		}
		return ""
	}
	if asJSON {
		return encode(v)
	}
	s, isStr := v.(string)
	if !isStr {
		s = encode(v)
	}
	if inString {
		q := encode(s)
		return q[1 : len(q)-1]
	}
	return s
}
