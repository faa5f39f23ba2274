package jsonschema4

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// compileOne compiles schema as the document "https://m/models/Root", with
// the other documents of docs (name → text) at "https://m/models/<name>".
func compileOne(schema string, docs map[string]string) (*Schema, error) {
	return Compile("https://m/models/Root", func(url string) (string, bool) {
		name, ok := strings.CutPrefix(url, "https://m/models/")
		if !ok {
			return "", false
		}
		if name == "Root" {
			return schema, true
		}
		s, ok := docs[name]
		return s, ok
	})
}

func TestValidate(t *testing.T) {
	docs := map[string]string{
		"Owner": `{"type": "object", "required": ["id"], "properties": {"id": {"type": "integer"}},
			"definitions": {"tag": {"type": "string", "maxLength": 3}}}`,
	}
	for _, tc := range []struct {
		name, schema, doc string
		want              []string
	}{
		{"empty schema accepts anything", `{}`, `[1, "a", null]`, nil},
		{"type", `{"type": "string"}`, `3`, []string{`instance type (integer) does not match any allowed primitive type (allowed: ["string"])`}},
		{"number admits integers", `{"type": "number"}`, `"3"`, []string{`instance type (string) does not match any allowed primitive type (allowed: ["integer","number"])`}},
		{"integer refuses 1.0", `{"type": "integer"}`, `1.0`, []string{`instance type (number) does not match any allowed primitive type (allowed: ["integer"])`}},
		{"integer", `{"type": "integer"}`, `-12`, nil},
		{"type list sorted", `{"type": ["string", "null", "boolean"]}`, `{}`, []string{`instance type (object) does not match any allowed primitive type (allowed: ["boolean","null","string"])`}},
		{"required sorted, only missing", `{"required": ["zeta", "alpha", "mid"]}`, `{"mid": 1}`, []string{`object has missing required properties (["alpha","zeta"])`}},
		{"required ignores non-objects", `{"required": ["a"]}`, `"x"`, nil},
		{"additionalProperties false", `{"properties": {"a": {}}, "patternProperties": {"^x-": {}}, "additionalProperties": false}`, `{"a": 1, "x-y": 2, "z": 3, "b": 4}`,
			[]string{`object instance has properties which are not allowed by the schema: ["b","z"]`}},
		{"additionalProperties schema", `{"properties": {"a": {}}, "additionalProperties": {"type": "string"}}`, `{"a": 1, "b": 2}`,
			[]string{`instance type (integer) does not match any allowed primitive type (allowed: ["string"])`}},
		{"patternProperties", `{"patternProperties": {"^n": {"type": "number"}}}`, `{"n1": "x", "m": "y"}`,
			[]string{`instance type (string) does not match any allowed primitive type (allowed: ["integer","number"])`}},
		{"enum", `{"enum": ["RED", "BLUE", 1]}`, `"AZURE"`, []string{`instance value ("AZURE") not found in enum (possible values: ["RED","BLUE",1])`}},
		{"enum numbers by value", `{"enum": [1, 2]}`, `1.0`, nil},
		{"enum objects", `{"enum": [{"a": [1]}]}`, `{"a": [1]}`, nil},
		{"minimum", `{"minimum": 18}`, `17`, []string{`numeric instance is lower than the required minimum (minimum: 18, found: 17)`}},
		{"exclusiveMinimum", `{"minimum": 18, "exclusiveMinimum": true}`, `18`, []string{`numeric instance is not strictly greater than the required minimum 18`}},
		{"maximum", `{"maximum": 100}`, `1000`, []string{`numeric instance is greater than the required maximum (maximum: 100, found: 1000)`}},
		{"exclusiveMaximum", `{"maximum": 1.5, "exclusiveMaximum": true}`, `1.50`, []string{`numeric instance is not strictly lower than the required maximum 1.5`}},
		{"maximum exact beyond float64", `{"maximum": 9007199254740993}`, `9007199254740992`, nil},
		{"multipleOf decimal exact", `{"multipleOf": 0.01}`, `0.07`, nil},
		{"multipleOf", `{"multipleOf": 0.01}`, `100.001`, []string{`remainder of division is not zero (100.001 / 0.01)`}},
		{"huge exponent", `{"maximum": 1}`, `1e999999999`, []string{`numeric instance is greater than the required maximum (maximum: 1, found: 1e999999999)`}},
		{"minLength counts characters", `{"minLength": 3}`, `"né"`, []string{`string "né" is too short (length: 2, required minimum: 3)`}},
		{"maxLength", `{"maxLength": 2}`, `"fffffff"`, []string{`string "fffffff" is too long (length: 7, maximum allowed: 2)`}},
		{"pattern is a search", `{"pattern": "[0-9]"}`, `"ab1"`, nil},
		{"pattern", `{"pattern": "^[A-Za-z0-9]+$"}`, `"pi*lot"`, []string{`ECMA 262 regex "^[A-Za-z0-9]+$" does not match input string "pi*lot"`}},
		{"minItems", `{"minItems": 2}`, `[1]`, []string{`array is too short: must have at least 2 elements but instance has 1 elements`}},
		{"maxItems", `{"maxItems": 1}`, `[1, 2]`, []string{`array is too long: must have at most 1 elements but instance has 2 elements`}},
		{"uniqueItems", `{"uniqueItems": true}`, `[1, {"a": 2}, 1.0]`, []string{`array must not contain duplicate elements`}},
		{"uniqueItems distinct", `{"uniqueItems": true}`, `[1, "1", [1], {"a": 1}, {"a": "1"}]`, nil},
		{"minProperties", `{"minProperties": 2}`, `{"a": 1}`, []string{`object has too few properties (found 1 but schema requires at least 2)`}},
		{"maxProperties", `{"maxProperties": 0}`, `{"a": 1}`, []string{`object has too many properties (found 1 but schema requires at most 0)`}},
		{"items", `{"items": {"type": "integer"}}`, `[1, "a", 2.5]`, []string{
			`instance type (string) does not match any allowed primitive type (allowed: ["integer"])`,
			`instance type (number) does not match any allowed primitive type (allowed: ["integer"])`}},
		{"tuple items, additionalItems false", `{"items": [{}, {}], "additionalItems": false}`, `[1, 2, 3]`, []string{`schema only allows 2 elements in array but instance has 3 elements`}},
		{"tuple items, additionalItems schema", `{"items": [{"type": "string"}], "additionalItems": {"type": "integer"}}`, `["a", 1, "b"]`,
			[]string{`instance type (string) does not match any allowed primitive type (allowed: ["integer"])`}},
		{"additionalItems without a tuple", `{"items": {}, "additionalItems": false}`, `[1, 2, 3]`, nil},
		{"allOf", `{"allOf": [{"type": "integer"}, {"minimum": 5}]}`, `3`, []string{`instance failed to match all required schemas (matched only 1 out of 2)`}},
		{"anyOf", `{"anyOf": [{"type": "string"}, {"type": "boolean"}]}`, `3`, []string{`instance failed to match at least one required schema among 2`}},
		{"oneOf both", `{"oneOf": [{"type": "integer"}, {"minimum": 1}]}`, `3`, []string{`instance failed to match exactly one schema (matched 2 out of 2)`}},
		{"oneOf one", `{"oneOf": [{"type": "integer"}, {"type": "string"}]}`, `3`, nil},
		{"not", `{"not": {"type": "null"}}`, `null`, []string{`instance matched a schema which it should not have`}},
		{"dependencies", `{"dependencies": {"card": ["billing", "address"], "x": {"required": ["y"]}}}`, `{"card": 1, "billing": 2, "x": 0}`, []string{
			`property "card" of object has missing property dependencies (schema requires ["address","billing"]; missing: ["address"])`,
			`object has missing required properties (["y"])`}},
		{"format email", `{"format": "email"}`, `"asdf"`, []string{`string "asdf" is not a valid email address`}},
		{"format email valid", `{"format": "email"}`, `"ann@example.com"`, nil},
		{"format email with a name", `{"format": "email"}`, `"Ann <ann@example.com>"`, []string{`string "Ann <ann@example.com>" is not a valid email address`}},
		{"format date-time", `{"format": "date-time"}`, `"2024-01-02"`, []string{`string "2024-01-02" is invalid against requested date format(s) [yyyy-MM-dd'T'HH:mm:ssZ, yyyy-MM-dd'T'HH:mm:ss.[0-9]{1,12}Z]`}},
		{"format date-time valid", `{"format": "date-time"}`, `"2024-01-02T03:04:05.123Z"`, nil},
		{"format ipv4", `{"format": "ipv4"}`, `"10.0.0.256"`, []string{`string "10.0.0.256" is not a valid IPv4 address`}},
		{"format ipv6", `{"format": "ipv6"}`, `"10.0.0.1"`, []string{`string "10.0.0.1" is not a valid IPv6 address`}},
		{"format ipv6 valid", `{"format": "ipv6"}`, `"2001:db8::1"`, nil},
		{"format hostname", `{"format": "hostname"}`, `"-bad.example"`, []string{`string "-bad.example" is not a valid hostname`}},
		{"format uri", `{"format": "uri"}`, `"a b"`, []string{`string "a b" is not a valid URI`}},
		{"format only on strings", `{"format": "email"}`, `7`, nil},
		{"format of another name is ignored", `{"format": "phone"}`, `"x"`, nil},
		{"keywords by name, members only when they pass", `{"type": "object", "required": ["b"], "properties": {"a": {"type": "string"}}}`, `{"a": 1}`,
			[]string{`object has missing required properties (["b"])`}},
		{"members by name, depth first", `{"properties": {"b": {"type": "string"}, "a": {"properties": {"c": {"type": "string"}}}, "d": {"type": "string"}}}`,
			`{"d": 1, "b": 2, "a": {"c": 3}}`, []string{
				`instance type (integer) does not match any allowed primitive type (allowed: ["string"])`,
				`instance type (integer) does not match any allowed primitive type (allowed: ["string"])`,
				`instance type (integer) does not match any allowed primitive type (allowed: ["string"])`}},
		{"no descent after a failure", `{"properties": {"a": {"type": "string"}, "b": {"properties": {"c": {"type": "string"}}}}}`,
			`{"a": 1, "b": {"c": 3}}`, []string{`instance type (integer) does not match any allowed primitive type (allowed: ["string"])`}},
		{"$ref within the document", `{"definitions": {"pos": {"minimum": 0}}, "properties": {"n": {"$ref": "#/definitions/pos"}}}`, `{"n": -1}`,
			[]string{`numeric instance is lower than the required minimum (minimum: 0, found: -1)`}},
		{"$ref to another model", `{"properties": {"o": {"$ref": "https://m/models/Owner"}}}`, `{"o": {"id": "x"}}`,
			[]string{`instance type (string) does not match any allowed primitive type (allowed: ["integer"])`}},
		{"relative $ref with a fragment", `{"properties": {"t": {"$ref": "Owner#/definitions/tag"}}}`, `{"t": "abcd"}`,
			[]string{`string "abcd" is too long (length: 4, maximum allowed: 3)`}},
		{"$ref overrides its siblings", `{"definitions": {"s": {"type": "string"}}, "properties": {"a": {"$ref": "#/definitions/s", "type": "integer"}}}`, `{"a": "x"}`, nil},
		{"recursive $ref", `{"type": "object", "properties": {"child": {"$ref": "#"}, "n": {"type": "integer"}}}`, `{"child": {"child": {"n": "x"}}}`,
			[]string{`instance type (string) does not match any allowed primitive type (allowed: ["integer"])`}},
		{"escaped pointer", `{"definitions": {"a/b~c": {"type": "null"}}, "$ref": "#/definitions/a~1b~0c"}`, `1`,
			[]string{`instance type (integer) does not match any allowed primitive type (allowed: ["null"])`}},
		{"self-including allOf is a loop, not a hang", `{"allOf": [{"$ref": "#"}]}`, `1`,
			[]string{`instance failed to match all required schemas (matched only 0 out of 1)`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := compileOne(tc.schema, docs)
			if err != nil {
				t.Fatalf("Compile: %v", err)
			}
			doc, err := Decode([]byte(tc.doc))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if got := s.Validate(doc); !slices.Equal(got, tc.want) {
				t.Errorf("Validate(%s) =\n  %q\nwant\n  %q", tc.doc, got, tc.want)
			}
		})
	}
}

func TestCompileRefuses(t *testing.T) {
	for _, tc := range []struct{ name, schema, want string }{
		{"not JSON", `{"type": `, "invalid JSON"},
		{"not an object", `[]`, "value has incorrect type (found array, expected one of [object])"},
		{"type of wrong kind", `{"type": 7}`, "/type: value has incorrect type (found integer, expected one of [array, string])"},
		{"unknown type", `{"type": "nonsense"}`, `unknown simple type "nonsense"`},
		{"empty required", `{"required": []}`, "/required: array must have at least one element"},
		{"negative minLength", `{"minLength": -1}`, "/minLength: value must be a non-negative integer"},
		{"fractional maxItems", `{"maxItems": 1.5}`, "/maxItems: value has incorrect type"},
		{"zero multipleOf", `{"multipleOf": 0}`, "/multipleOf: value must be strictly greater than 0"},
		{"bad pattern", `{"pattern": "("}`, `/pattern: regular expression "(" is invalid`},
		{"bad nested schema", `{"properties": {"a/b": {"type": 1}}}`, "/properties/a~1b/type: value has incorrect type"},
		{"exclusiveMinimum alone", `{"exclusiveMinimum": true}`, `must be accompanied by "minimum"`},
		{"duplicate enum", `{"enum": [1, 1.0]}`, "/enum: elements in the array are not unique"},
		{"external $ref", `{"$ref": "http://example.com/x"}`, "reference to http://example.com/x: only this API's models can be referenced"},
		{"missing model", `{"$ref": "https://m/models/Nope"}`, "reference to https://m/models/Nope"},
		{"dangling pointer", `{"$ref": "#/definitions/none"}`, "unresolvable reference"},
		{"reference loop", `{"definitions": {"a": {"$ref": "#/definitions/b"}, "b": {"$ref": "#/definitions/a"}}, "$ref": "#/definitions/a"}`, "JSON Reference loop"},
		{"$ref to itself", `{"$ref": "#"}`, "JSON Reference loop"},
		{"nested too deeply", strings.Repeat(`{"properties": {"a": `, MaxDepth) + `{}` + strings.Repeat(`}}`, MaxDepth), "nested deeper than 128 levels"},
		{"items nested too deeply", strings.Repeat(`{"items": `, 9000) + `{}` + strings.Repeat(`}`, 9000), "nested deeper than 128 levels"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := compileOne(tc.schema, nil)
			var se *SyntaxError
			if !errors.As(err, &se) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Compile(%s) = %v, want a SyntaxError containing %q", tc.schema, err, tc.want)
			}
		})
	}
}

// TestDeepestSchemaCompiles: MaxDepth nested schemas (the root one
// included) compile.
func TestDeepestSchemaCompiles(t *testing.T) {
	schema := strings.Repeat(`{"properties": {"a": `, MaxDepth-1) + `{"type": "string"}` + strings.Repeat(`}}`, MaxDepth-1)
	if _, err := compileOne(schema, nil); err != nil {
		t.Fatal(err)
	}
}

func TestDecode(t *testing.T) {
	for _, in := range []string{``, `{`, `{} {}`, `1 x`} {
		if _, err := Decode([]byte(in)); err == nil {
			t.Errorf("Decode(%q) accepted", in)
		}
	}
	v, err := Decode([]byte(" {\"a\": 1.50}\n"))
	if err != nil || typeOf(v.(map[string]any)["a"]) != "number" {
		t.Fatalf("Decode = %v, %v", v, err)
	}
}

// FuzzCompile: any schema text compiles or is refused, and a compiled
// schema validates any document, without a panic or a hang.
func FuzzCompile(f *testing.F) {
	for _, s := range []string{`{}`, `{"type": ["string", "null"], "maxLength": 3}`,
		`{"properties": {"a": {"$ref": "#/definitions/x"}}, "definitions": {"x": {"enum": [1, "a"]}}}`,
		`{"items": [{"type": "integer"}], "additionalItems": false, "uniqueItems": true}`,
		`{"allOf": [{"$ref": "#"}], "anyOf": [{"minimum": 1, "exclusiveMinimum": true}], "not": {"multipleOf": 0.5}}`,
		`{"patternProperties": {"^x": {"pattern": "a+"}}, "dependencies": {"a": ["b"], "c": {"required": ["d"]}}}`,
		`{"$ref": "https://m/models/Other#/definitions/y"}`} {
		f.Add(s, `{"a": [1, 2.5, "x", null, true, {"b": {}}]}`)
	}
	docs := map[string]string{"Other": `{"definitions": {"y": {"oneOf": [{"type": "object"}, {"maxProperties": 2}]}}}`}
	f.Fuzz(func(t *testing.T, schema, doc string) {
		s, err := compileOne(schema, docs)
		if err != nil {
			return
		}
		v, err := Decode([]byte(doc))
		if err != nil {
			return
		}
		s.Validate(v)
	})
}

// TestLargeEnumCompiles: a 400 KB schema (API Gateway's bound) of one
// enum compiles in linear time, not by comparing every pair.
func TestLargeEnumCompiles(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"enum": [`)
	for i := 0; b.Len() < 400<<10; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(strconv.Itoa(i))
	}
	b.WriteString(`]}`)
	done := make(chan error, 1)
	go func() { _, err := compileOne(b.String(), nil); done <- err }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("compiling a 400 KB enum took more than 10 s")
	}
}

// TestDoublingSchemaIsBounded: allOf of two references to the next level,
// 60 levels deep, would be 2^60 checks; the budget stops it with a
// failure instead of a hang.
func TestDoublingSchemaIsBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"$ref": "#/definitions/d0", "definitions": {`)
	for i := 0; i < 60; i++ {
		fmt.Fprintf(&b, `"d%d": {"allOf": [{"$ref": "#/definitions/d%d"}, {"$ref": "#/definitions/d%d"}]},`, i, i+1, i+1)
	}
	b.WriteString(`"d60": {"type": "string"}}}`)
	s, err := compileOne(b.String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan []string, 1)
	go func() { done <- s.Validate("x") }()
	select {
	case msgs := <-done:
		if len(msgs) == 0 {
			t.Fatal("validation past its budget passed")
		}
	case <-time.After(20 * time.Second):
		t.Fatal("validation did not stop")
	}
}
