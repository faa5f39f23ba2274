package jsonschema4

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Validate checks doc (as Decode returns it) against the schema and
// returns the messages of what does not match, in the order API Gateway
// reports them; nil when doc matches.
func (s *Schema) Validate(doc any) []string {
	steps := -countValues(doc) * 8 // a budget proportional to the document
	v := &validator{limit: s.nodes + 1, steps: &steps}
	v.validate(s.root, doc, 0)
	return v.msgs
}

type validator struct {
	msgs  []string
	limit int  // schemas entered for one instance before it is a loop
	steps *int // schemas entered in all, shared with the sub-reports
}

// maxSteps bounds the work of one Validate beyond eight schemas for each
// value of the document: a schema can nest allOf in allOf through
// references so that the work doubles at each level.
const maxSteps = 1 << 20

// countValues is the number of JSON values in v, v included.
func countValues(v any) int {
	switch x := v.(type) {
	case map[string]any:
		n := 1
		for _, e := range x {
			n += countValues(e)
		}
		return n
	case []any:
		n := 1
		for _, e := range x {
			n += countValues(e)
		}
		return n
	}
	return 1
}

func (v *validator) errorf(format string, args ...any) {
	v.msgs = append(v.msgs, fmt.Sprintf(format, args...))
}

// matches reports whether inst matches n, in a report of its own (as
// allOf, anyOf, oneOf and not count their schemas).
func (v *validator) matches(n *node, inst any, hops int) bool {
	sub := &validator{limit: v.limit, steps: v.steps}
	sub.validate(n, inst, hops+1)
	return len(sub.msgs) == 0
}

// validate checks inst against n; hops counts the schemas entered for
// this same instance (allOf, anyOf, oneOf, not, dependencies), which a
// schema that includes itself would make endless.
func (v *validator) validate(n *node, inst any, hops int) {
	if hops > v.limit {
		v.errorf("validation loop: schema references itself without descending into the instance")
		return
	}
	if *v.steps++; *v.steps > maxSteps {
		if *v.steps == maxSteps+1 || len(v.msgs) == 0 {
			v.errorf("validation aborted: the schema is too complex for the instance")
		}
		return
	}
	for n.ref != nil {
		n = n.ref
	}
	obj, isObj := inst.(map[string]any)
	arr, isArr := inst.([]any)
	str, isStr := inst.(string)
	num, isNum := inst.(json.Number)
	var inum *number
	if isNum {
		inum = parseNumber(num)
	}

	// The keywords in the order of their names.
	if isArr && n.noAddItems && len(arr) > len(n.itemList) {
		v.errorf("schema only allows %d elements in array but instance has %d elements", len(n.itemList), len(arr))
	}
	if isObj && n.noAddProps {
		var extra []string
		for _, k := range sortedKeys(obj) {
			if _, ok := n.properties[k]; ok {
				continue
			}
			if n.matchesPattern(k) {
				continue
			}
			extra = append(extra, k)
		}
		if len(extra) > 0 {
			v.errorf("object instance has properties which are not allowed by the schema: %s", quoteJSON(extra))
		}
	}
	if len(n.allOf) > 0 {
		matched := 0
		for _, s := range n.allOf {
			if v.matches(s, inst, hops) {
				matched++
			}
		}
		if matched < len(n.allOf) {
			v.errorf("instance failed to match all required schemas (matched only %d out of %d)", matched, len(n.allOf))
		}
	}
	if len(n.anyOf) > 0 {
		ok := false
		for _, s := range n.anyOf {
			if v.matches(s, inst, hops) {
				ok = true
				break
			}
		}
		if !ok {
			v.errorf("instance failed to match at least one required schema among %d", len(n.anyOf))
		}
	}
	if isObj && (n.propDeps != nil || n.schemaDeps != nil) {
		for _, name := range sortedKeys(obj) {
			if deps, ok := n.propDeps[name]; ok {
				var missing []string
				for _, d := range deps {
					if _, ok := obj[d]; !ok {
						missing = append(missing, d)
					}
				}
				if len(missing) > 0 {
					v.errorf("property \"%s\" of object has missing property dependencies (schema requires %s; missing: %s)", name, quoteJSON(deps), quoteJSON(missing))
				}
			}
			if s, ok := n.schemaDeps[name]; ok {
				v.validate(s, inst, hops+1)
			}
		}
	}
	if n.hasEnum {
		if !n.enumKeys[canonical(inst)] {
			v.errorf("instance value (%s) not found in enum (possible values: %s)", quoteJSON(inst), quoteJSON(n.enum))
		}
	}
	if isArr && n.maxItems >= 0 && len(arr) > n.maxItems {
		v.errorf("array is too long: must have at most %d elements but instance has %d elements", n.maxItems, len(arr))
	}
	if isStr && n.maxLength >= 0 {
		if l := runeCount(str); l > n.maxLength {
			v.errorf("string \"%s\" is too long (length: %d, maximum allowed: %d)", str, l, n.maxLength)
		}
	}
	if isObj && n.maxProps >= 0 && len(obj) > n.maxProps {
		v.errorf("object has too many properties (found %d but schema requires at most %d)", len(obj), n.maxProps)
	}
	if isNum && n.maximum != nil {
		switch c := inum.cmp(n.maximum); {
		case c > 0:
			v.errorf("numeric instance is greater than the required maximum (maximum: %s, found: %s)", n.maximum.text, num)
		case c == 0 && n.exclMax:
			v.errorf("numeric instance is not strictly lower than the required maximum %s", n.maximum.text)
		}
	}
	if isArr && n.minItems >= 0 && len(arr) < n.minItems {
		v.errorf("array is too short: must have at least %d elements but instance has %d elements", n.minItems, len(arr))
	}
	if isStr && n.minLength >= 0 {
		if l := runeCount(str); l < n.minLength {
			v.errorf("string \"%s\" is too short (length: %d, required minimum: %d)", str, l, n.minLength)
		}
	}
	if isObj && n.minProps >= 0 && len(obj) < n.minProps {
		v.errorf("object has too few properties (found %d but schema requires at least %d)", len(obj), n.minProps)
	}
	if isNum && n.minimum != nil {
		switch c := inum.cmp(n.minimum); {
		case c < 0:
			v.errorf("numeric instance is lower than the required minimum (minimum: %s, found: %s)", n.minimum.text, num)
		case c == 0 && n.exclMin:
			v.errorf("numeric instance is not strictly greater than the required minimum %s", n.minimum.text)
		}
	}
	if isNum && n.multipleOf != nil && !inum.multipleOf(n.multipleOf) {
		v.errorf("remainder of division is not zero (%s / %s)", num, n.multipleOf.text)
	}
	if n.not != nil && v.matches(n.not, inst, hops) {
		v.errorf("instance matched a schema which it should not have")
	}
	if len(n.oneOf) > 0 {
		matched := 0
		for _, s := range n.oneOf {
			if v.matches(s, inst, hops) {
				matched++
			}
		}
		if matched != 1 {
			v.errorf("instance failed to match exactly one schema (matched %d out of %d)", matched, len(n.oneOf))
		}
	}
	if isStr && n.pattern != nil && !n.pattern.match(str) {
		v.errorf("ECMA 262 regex \"%s\" does not match input string \"%s\"", n.pattern.src, str)
	}
	if isStr && n.format != "" {
		if msg := checkFormat(n.format, str); msg != "" {
			v.errorf("%s", msg)
		}
	}
	if isObj && len(n.required) > 0 {
		var missing []string
		for _, r := range n.required {
			if _, ok := obj[r]; !ok {
				missing = append(missing, r)
			}
		}
		if len(missing) > 0 {
			v.errorf("object has missing required properties (%s)", quoteJSON(missing))
		}
	}
	if n.types != nil {
		t := typeOf(inst)
		if i := sort.SearchStrings(n.types, t); i == len(n.types) || n.types[i] != t {
			v.errorf("instance type (%s) does not match any allowed primitive type (allowed: %s)", t, quoteJSON(n.types))
		}
	}
	if isArr && n.unique && len(arr) > 1 {
		seen := make(map[string]bool, len(arr))
		for _, e := range arr {
			k := canonical(e)
			if seen[k] {
				v.errorf("array must not contain duplicate elements")
				break
			}
			seen[k] = true
		}
	}

	// The members, only while nothing has failed.
	if len(v.msgs) > 0 {
		return
	}
	switch {
	case isArr:
		for i, e := range arr {
			switch {
			case n.items != nil:
				v.validate(n.items, e, 0)
			case i < len(n.itemList):
				v.validate(n.itemList[i], e, 0)
			case n.addItems != nil:
				v.validate(n.addItems, e, 0)
			}
		}
	case isObj:
		for _, k := range sortedKeys(obj) {
			e := obj[k]
			matched := false
			if s, ok := n.properties[k]; ok {
				matched = true
				v.validate(s, e, 0)
			}
			for _, p := range n.patterns {
				if p.re.match(k) {
					matched = true
					v.validate(p.n, e, 0)
				}
			}
			if !matched && n.addProps != nil {
				v.validate(n.addProps, e, 0)
			}
		}
	}
}

func (n *node) matchesPattern(name string) bool {
	for _, p := range n.patterns {
		if p.re.match(name) {
			return true
		}
	}
	return false
}

// canonical is a key equal for JSON-equal values (numbers by value).
func canonical(v any) string {
	var b strings.Builder
	writeCanonical(&b, v)
	return b.String()
}

func writeCanonical(b *strings.Builder, v any) {
	switch x := v.(type) {
	case json.Number:
		n := parseNumber(x)
		if n.rat != nil {
			b.WriteString("n" + n.rat.RatString())
		} else {
			b.WriteString("f" + strconv.FormatFloat(n.f, 'g', -1, 64))
		}
	case map[string]any:
		b.WriteString("{")
		for _, k := range sortedKeys(x) {
			b.WriteString(strconv.Quote(k))
			b.WriteString(":")
			writeCanonical(b, x[k])
			b.WriteString(",")
		}
		b.WriteString("}")
	case []any:
		b.WriteString("[")
		for _, e := range x {
			writeCanonical(b, e)
			b.WriteString(",")
		}
		b.WriteString("]")
	default:
		b.WriteString(quoteJSON(x))
	}
}
