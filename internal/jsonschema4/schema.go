// Package jsonschema4 is a JSON Schema draft-4 validator that reports
// what API Gateway reports.
//
// API Gateway's REST API models are draft-4 schemas, and its request
// validator answers a body that does not match with the messages of the
// Java validator it runs ("object has missing required properties
// ([\"price\"])", "instance type (string) does not match any allowed
// primitive type (allowed: [\"integer\",\"number\"])", ...), in the order
// that validator finds them: the keywords of a schema in the order of
// their names, then, only while nothing has failed, the members of an
// object (by name) or the elements of an array. This package gives those
// messages and that order.
//
// It holds no package-level state and does nothing when niwa starts: a
// schema is parsed when Compile is called and a "pattern" is compiled
// the first time it is matched. "format" is asserted for draft 4's
// formats (format.go) and ignored for any other name; "$ref" resolves within a document and to the other
// documents Compile's loader returns (API Gateway: the API's other
// models, by their model URL); "id" does not change the base URI.
package jsonschema4

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"regexp/syntax"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// Decode reads one JSON value with numbers kept as json.Number, the form
// Validate takes. Anything after the value but white space is an error.
func Decode(data []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, errors.New("invalid JSON: data after the top-level value")
	}
	return v, nil
}

// Loader returns the text of the schema document at url, false if there
// is none.
type Loader func(url string) (string, bool)

// Schema is a compiled schema.
type Schema struct {
	root  *node
	nodes int
}

// node is one schema object.
type node struct {
	ref    *node // "$ref": the other keywords are ignored (draft 4)
	refURL string

	types      []string // sorted; "integer" added when "number" is there
	properties map[string]*node
	patterns   []patternSchema // patternProperties
	addProps   *node           // additionalProperties as a schema
	noAddProps bool            // additionalProperties: false
	items      *node           // items as one schema
	itemList   []*node         // items as an array
	addItems   *node
	noAddItems bool // additionalItems: false (with items an array)
	required   []string
	enum       []any
	enumKeys   map[string]bool // canonical forms of enum's values
	hasEnum    bool
	minimum    *number
	maximum    *number
	exclMin    bool
	exclMax    bool
	multipleOf *number
	minLength  int // -1 when absent, likewise below
	maxLength  int
	minItems   int
	maxItems   int
	minProps   int
	maxProps   int
	unique     bool
	pattern    *pattern
	format     string // a knownFormat; others are not asserted
	allOf      []*node
	anyOf      []*node
	oneOf      []*node
	not        *node
	propDeps   map[string][]string
	schemaDeps map[string]*node
}

type patternSchema struct {
	re *pattern
	n  *node
}

// pattern is a regular expression checked when the schema is compiled
// and compiled when first matched.
type pattern struct {
	src string
	re  func() (*regexp.Regexp, error)
}

func newPattern(src string) (*pattern, error) {
	if _, err := syntax.Parse(src, syntax.Perl); err != nil {
		return nil, err
	}
	return &pattern{src: src, re: sync.OnceValues(func() (*regexp.Regexp, error) { return regexp.Compile(src) })}, nil
}

func (p *pattern) match(s string) bool {
	re, err := p.re()
	// An expression that parses but is too large to compile matches
	// nothing.
	return err == nil && re.MatchString(s)
}

// SyntaxError is a schema that is not a valid draft-4 schema.
type SyntaxError struct {
	Pointer string // where in the document, a JSON pointer
	Message string
}

func (e *SyntaxError) Error() string {
	if e.Pointer == "" {
		return e.Message
	}
	return e.Pointer + ": " + e.Message
}

type compiler struct {
	load  Loader
	docs  map[string]any   // parsed documents by URL (no fragment)
	memo  map[string]*node // by URL#pointer
	refs  []*node          // nodes holding a $ref, resolved after the walk
	nodes int
	depth int // schemas being compiled, the one at hand included
}

// MaxDepth bounds how deeply schemas nest in a document ("properties" in
// "properties", "items" in "items", ...). Each nested schema's JSON
// pointer is longer than its parent's and is kept for the memo and the
// error messages, so without a bound a 160 KB model of 8,000 nested
// "properties" cost seconds of CPU and hundreds of megabytes to compile.
const MaxDepth = 128

// Compile parses the document at url (read through load) and every
// document its "$ref"s reach.
func Compile(rawURL string, load Loader) (*Schema, error) {
	c := &compiler{load: load, docs: map[string]any{}, memo: map[string]*node{}}
	root, err := c.at(rawURL, "")
	if err != nil {
		return nil, err
	}
	// Resolve the references, which may add documents (and references).
	for i := 0; i < len(c.refs); i++ {
		n := c.refs[i]
		base, frag, _ := strings.Cut(n.refURL, "#")
		t, err := c.at(base, frag)
		if err != nil {
			return nil, err
		}
		n.ref = t
	}
	// A chain of references that comes back to itself validates nothing.
	for _, n := range c.refs {
		seen := map[*node]bool{}
		for m := n; m.ref != nil; m = m.ref {
			if seen[m] {
				return nil, &SyntaxError{Message: "JSON Reference loop detected: " + n.refURL}
			}
			seen[m] = true
		}
	}
	return &Schema{root: root, nodes: c.nodes}, nil
}

// at compiles the schema at the JSON pointer ptr of the document docURL.
func (c *compiler) at(docURL, ptr string) (*node, error) {
	key := docURL + "#" + ptr
	if n, ok := c.memo[key]; ok {
		return n, nil
	}
	doc, ok := c.docs[docURL]
	if !ok {
		text, found := c.load(docURL)
		if !found {
			return nil, &SyntaxError{Message: "reference to " + docURL + ": only this API's models can be referenced"}
		}
		var err error
		if doc, err = Decode([]byte(text)); err != nil {
			return nil, &SyntaxError{Message: "invalid JSON: " + err.Error()}
		}
		c.docs[docURL] = doc
	}
	v, err := walk(doc, ptr)
	if err != nil {
		return nil, &SyntaxError{Message: "unresolvable reference " + key + ": " + err.Error()}
	}
	return c.compile(v, docURL, ptr)
}

// walk follows a JSON pointer.
func walk(v any, ptr string) (any, error) {
	if ptr == "" {
		return v, nil
	}
	if ptr[0] != '/' {
		return nil, errors.New("not a JSON pointer")
	}
	for _, tok := range strings.Split(ptr[1:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch x := v.(type) {
		case map[string]any:
			m, ok := x[tok]
			if !ok {
				return nil, fmt.Errorf("no member %q", tok)
			}
			v = m
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(x) {
				return nil, fmt.Errorf("no element %q", tok)
			}
			v = x[i]
		default:
			return nil, fmt.Errorf("no member %q", tok)
		}
	}
	return v, nil
}

// truncatePointer bounds a JSON pointer echoed in an error.
func truncatePointer(ptr string) string {
	if len(ptr) > 256 {
		return ptr[:256] + "..."
	}
	return ptr
}

func escapeToken(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

var primitiveTypes = map[string]bool{"array": true, "boolean": true, "integer": true, "null": true, "number": true, "object": true, "string": true}

// compile compiles the schema value v found at docURL#ptr.
func (c *compiler) compile(v any, docURL, ptr string) (*node, error) {
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, &SyntaxError{Pointer: ptr, Message: fmt.Sprintf("value has incorrect type (found %s, expected one of [object])", typeOf(v))}
	}
	if c.depth >= MaxDepth {
		return nil, &SyntaxError{Pointer: truncatePointer(ptr), Message: fmt.Sprintf("schemas are nested deeper than %d levels", MaxDepth)}
	}
	c.depth++
	defer func() { c.depth-- }()
	n := &node{minLength: -1, maxLength: -1, minItems: -1, maxItems: -1, minProps: -1, maxProps: -1}
	c.memo[docURL+"#"+ptr] = n
	c.nodes++
	bad := func(kw, format string, args ...any) error {
		return &SyntaxError{Pointer: ptr + "/" + escapeToken(kw), Message: fmt.Sprintf(format, args...)}
	}
	wrongType := func(kw string, val any, want ...string) error {
		return bad(kw, "value has incorrect type (found %s, expected one of [%s])", typeOf(val), strings.Join(want, ", "))
	}
	sub := func(val any, path ...string) (*node, error) {
		p := ptr
		for _, s := range path {
			p += "/" + escapeToken(s)
		}
		return c.compile(val, docURL, p)
	}
	schemaArray := func(kw string) ([]*node, error) {
		arr, ok := obj[kw].([]any)
		if !ok {
			return nil, wrongType(kw, obj[kw], "array")
		}
		if len(arr) == 0 {
			return nil, bad(kw, "array must have at least one element")
		}
		out := make([]*node, len(arr))
		for i, s := range arr {
			m, err := sub(s, kw, strconv.Itoa(i))
			if err != nil {
				return nil, err
			}
			out[i] = m
		}
		return out, nil
	}
	schemaMap := func(kw string) (map[string]*node, error) {
		m, ok := obj[kw].(map[string]any)
		if !ok {
			return nil, wrongType(kw, obj[kw], "object")
		}
		out := make(map[string]*node, len(m))
		for _, k := range sortedKeys(m) {
			s, err := sub(m[k], kw, k)
			if err != nil {
				return nil, err
			}
			out[k] = s
		}
		return out, nil
	}
	count := func(kw string) (int, error) {
		num, ok := obj[kw].(json.Number)
		if !ok {
			return 0, wrongType(kw, obj[kw], "integer")
		}
		if !isInteger(num) {
			return 0, wrongType(kw, num, "integer")
		}
		i, err := strconv.Atoi(string(num))
		if err != nil || i < 0 {
			return 0, bad(kw, "value must be a non-negative integer (found %s)", num)
		}
		return i, nil
	}
	numberOf := func(kw string) (*number, error) {
		num, ok := obj[kw].(json.Number)
		if !ok {
			return nil, wrongType(kw, obj[kw], "integer", "number")
		}
		return parseNumber(num), nil
	}

	if r, ok := obj["$ref"]; ok {
		s, ok := r.(string)
		if !ok {
			return nil, wrongType("$ref", r, "string")
		}
		base, err := url.Parse(docURL)
		if err != nil {
			return nil, bad("$ref", "invalid base URI %q", docURL)
		}
		u, err := url.Parse(s)
		if err != nil {
			return nil, bad("$ref", "invalid URI %q", s)
		}
		t := base.ResolveReference(u)
		frag := t.Fragment
		t.Fragment, t.RawFragment = "", ""
		n.refURL = t.String() + "#" + frag
		c.refs = append(c.refs, n)
		// Draft 4: the other keywords of a schema with $ref are ignored;
		// its definitions may still be referenced.
		if _, ok := obj["definitions"]; ok {
			if _, err := schemaMap("definitions"); err != nil {
				return nil, err
			}
		}
		return n, nil
	}

	for _, kw := range sortedKeys(obj) {
		val := obj[kw]
		var err error
		switch kw {
		case "type":
			var names []string
			switch t := val.(type) {
			case string:
				names = []string{t}
			case []any:
				if len(t) == 0 {
					return nil, bad(kw, "array must have at least one element")
				}
				for _, e := range t {
					s, ok := e.(string)
					if !ok {
						return nil, bad(kw, "array element has incorrect type (found %s, expected one of [string])", typeOf(e))
					}
					names = append(names, s)
				}
			default:
				return nil, wrongType(kw, val, "array", "string")
			}
			set := map[string]bool{}
			for _, s := range names {
				if !primitiveTypes[s] {
					return nil, bad(kw, "unknown simple type %q (known types: [array, boolean, integer, null, number, object, string])", s)
				}
				if set[s] {
					return nil, bad(kw, "elements in the array are not unique")
				}
				set[s] = true
			}
			if set["number"] {
				set["integer"] = true
			}
			n.types = sortedKeys(set)
		case "properties":
			n.properties, err = schemaMap(kw)
		case "patternProperties":
			var m map[string]*node
			if m, err = schemaMap(kw); err == nil {
				for _, src := range sortedKeys(m) {
					p, perr := newPattern(src)
					if perr != nil {
						return nil, bad(kw, "regular expression %q is invalid: %v", src, perr)
					}
					n.patterns = append(n.patterns, patternSchema{re: p, n: m[src]})
				}
			}
		case "definitions":
			_, err = schemaMap(kw)
		case "additionalProperties", "additionalItems":
			var s *node
			switch b := val.(type) {
			case bool:
				if kw == "additionalProperties" {
					n.noAddProps = !b
				} else {
					n.noAddItems = !b
				}
			case map[string]any:
				s, err = sub(b, kw)
			default:
				err = wrongType(kw, val, "boolean", "object")
			}
			if kw == "additionalProperties" {
				n.addProps = s
			} else {
				n.addItems = s
			}
		case "items":
			switch v := val.(type) {
			case map[string]any:
				n.items, err = sub(val, kw)
			case []any:
				if len(v) == 0 {
					n.itemList = []*node{}
					break
				}
				n.itemList, err = schemaArray(kw)
			default:
				err = wrongType(kw, val, "array", "object")
			}
		case "required":
			arr, ok := val.([]any)
			if !ok {
				return nil, wrongType(kw, val, "array")
			}
			if len(arr) == 0 {
				return nil, bad(kw, "array must have at least one element")
			}
			set := map[string]bool{}
			for _, e := range arr {
				s, ok := e.(string)
				if !ok {
					return nil, bad(kw, "array element has incorrect type (found %s, expected one of [string])", typeOf(e))
				}
				if set[s] {
					return nil, bad(kw, "elements in the array are not unique")
				}
				set[s] = true
			}
			n.required = sortedKeys(set)
		case "enum":
			arr, ok := val.([]any)
			if !ok {
				return nil, wrongType(kw, val, "array")
			}
			if len(arr) == 0 {
				return nil, bad(kw, "array must have at least one element")
			}
			seen := make(map[string]bool, len(arr))
			for _, e := range arr {
				k := canonical(e)
				if seen[k] {
					return nil, bad(kw, "elements in the array are not unique")
				}
				seen[k] = true
			}
			n.enum, n.enumKeys, n.hasEnum = arr, seen, true
		case "minimum":
			n.minimum, err = numberOf(kw)
		case "maximum":
			n.maximum, err = numberOf(kw)
		case "exclusiveMinimum", "exclusiveMaximum":
			b, ok := val.(bool)
			if !ok {
				return nil, wrongType(kw, val, "boolean")
			}
			bound := map[string]string{"exclusiveMinimum": "minimum", "exclusiveMaximum": "maximum"}[kw]
			if _, ok := obj[bound]; !ok {
				return nil, bad(kw, "attribute %q must be accompanied by %q", kw, bound)
			}
			if kw == "exclusiveMinimum" {
				n.exclMin = b
			} else {
				n.exclMax = b
			}
		case "multipleOf":
			if n.multipleOf, err = numberOf(kw); err == nil && n.multipleOf.sign() <= 0 {
				err = bad(kw, "value must be strictly greater than 0 (found %s)", n.multipleOf.text)
			}
		case "minLength":
			n.minLength, err = count(kw)
		case "maxLength":
			n.maxLength, err = count(kw)
		case "minItems":
			n.minItems, err = count(kw)
		case "maxItems":
			n.maxItems, err = count(kw)
		case "minProperties":
			n.minProps, err = count(kw)
		case "maxProperties":
			n.maxProps, err = count(kw)
		case "uniqueItems":
			b, ok := val.(bool)
			if !ok {
				return nil, wrongType(kw, val, "boolean")
			}
			n.unique = b
		case "format":
			s, ok := val.(string)
			if !ok {
				return nil, wrongType(kw, val, "string")
			}
			if knownFormat(s) {
				n.format = s
			}
		case "pattern":
			s, ok := val.(string)
			if !ok {
				return nil, wrongType(kw, val, "string")
			}
			if n.pattern, err = newPattern(s); err != nil {
				err = bad(kw, "regular expression %q is invalid: %v", s, err)
			}
		case "allOf":
			n.allOf, err = schemaArray(kw)
		case "anyOf":
			n.anyOf, err = schemaArray(kw)
		case "oneOf":
			n.oneOf, err = schemaArray(kw)
		case "not":
			n.not, err = sub(val, kw)
		case "dependencies":
			m, ok := val.(map[string]any)
			if !ok {
				return nil, wrongType(kw, val, "object")
			}
			for _, name := range sortedKeys(m) {
				switch d := m[name].(type) {
				case map[string]any:
					s, serr := sub(d, kw, name)
					if serr != nil {
						return nil, serr
					}
					if n.schemaDeps == nil {
						n.schemaDeps = map[string]*node{}
					}
					n.schemaDeps[name] = s
				case []any:
					if len(d) == 0 {
						return nil, bad(kw, "property dependency %q: array must have at least one element", name)
					}
					var names []string
					for _, e := range d {
						s, ok := e.(string)
						if !ok {
							return nil, bad(kw, "property dependency %q: array element has incorrect type (found %s, expected one of [string])", name, typeOf(e))
						}
						names = append(names, s)
					}
					if n.propDeps == nil {
						n.propDeps = map[string][]string{}
					}
					sort.Strings(names)
					n.propDeps[name] = names
				default:
					return nil, bad(kw, "dependency value %q has incorrect type (found %s, expected one of [array, object])", name, typeOf(d))
				}
			}
		}
		if err != nil {
			return nil, err
		}
	}
	if n.itemList == nil {
		// additionalItems only applies when items is an array.
		n.addItems, n.noAddItems = nil, false
	}
	return n, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// typeOf is the JSON type of a decoded value as the validator names it:
// a number is "integer" when written without a fraction or exponent.
func typeOf(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case json.Number:
		if isInteger(x) {
			return "integer"
		}
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "unknown"
}

func isInteger(n json.Number) bool {
	return !strings.ContainsAny(string(n), ".eE")
}

// quoteJSON writes v as compact JSON (no HTML escaping), as the messages
// show values.
func quoteJSON(v any) string {
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	if err := e.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func runeCount(s string) int {
	// Java counts code points; Go's rune count matches for valid UTF-8.
	return utf8.RuneCountInString(s)
}
