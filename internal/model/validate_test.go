package model

import (
	"testing"
	"time"
)

// TestViolationEchoesValuesAsAWS checks the value part of a validation
// message: AWS's services echo lists and maps Java-style, and niwa used to
// leak Go's formatting ("[a b]", "map[k:v]") into the message.
func TestViolationEchoesValuesAsAWS(t *testing.T) {
	for _, c := range []struct {
		name  string
		value any
		want  string
	}{
		{"absent", nil, "Value null at 'p' failed to satisfy constraint: m"},
		{"string", "abc", "Value 'abc' at 'p' failed to satisfy constraint: m"},
		{"bytes", []byte("xy"), "Value 'xy' at 'p' failed to satisfy constraint: m"},
		{"time", time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), "Value '2026-01-02T03:04:05Z' at 'p' failed to satisfy constraint: m"},
		{"list", []any{"a", "b"}, "Value '[a, b]' at 'p' failed to satisfy constraint: m"},
		{"empty list", []any{}, "Value '[]' at 'p' failed to satisfy constraint: m"},
		{"map sorted", map[string]any{"b": "2", "a": "1"}, "Value '{a=1, b=2}' at 'p' failed to satisfy constraint: m"},
		{"nested", []any{map[string]any{"AttributeName": "id", "KeyType": "HASH"}},
			"Value '[{AttributeName=id, KeyType=HASH}]' at 'p' failed to satisfy constraint: m"},
		{"large float", float64(1000000), "Value '1000000' at 'p' failed to satisfy constraint: m"},
		{"int", int64(7), "Value '7' at 'p' failed to satisfy constraint: m"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := Violation{Path: "p", Value: c.value, Message: "m"}.String()
			if got != c.want {
				t.Errorf("got  %q\nwant %q", got, c.want)
			}
		})
	}
}

const constrainedModel = `{"metadata":{"protocol":"json"},"operations":{},"shapes":{
 "In":{"type":"structure","required":["Name","Missing"],"members":{"Name":{"shape":"Name"},"Tags":{"shape":"Tags"},"Free":{"shape":"Free"},"Deep":{"shape":"Deep"}}},
 "Name":{"type":"string","min":1,"max":3},
 "Tags":{"type":"map","key":{"shape":"Key"},"value":{"shape":"Name"}},
 "Key":{"type":"string","pattern":"^[a-z]+$"},
 "Free":{"type":"structure","members":{"S":{"shape":"Plain"},"L":{"shape":"Plains"},"Self":{"shape":"Free"}}},
 "Plain":{"type":"string"},
 "Plains":{"type":"list","member":{"shape":"Plain"}},
 "Deep":{"type":"structure","members":{"L":{"shape":"Outer"}}},
 "Outer":{"type":"list","member":{"shape":"Inner"}},
 "Inner":{"type":"structure","members":{"N":{"shape":"Count"}}},
 "Count":{"type":"integer","max":5}
}}`

// TestMapViolationsInKeyOrder: the violations of a map's entries are
// reported in key order, whatever order Go's map iteration takes, so the
// same request gets the same message (AWS's wording does not depend on
// the run).
func TestMapViolationsInKeyOrder(t *testing.T) {
	m, err := Load([]byte(constrainedModel))
	if err != nil {
		t.Fatal(err)
	}
	ref := &Ref{Shape: m.Shapes["In"]}
	in := map[string]any{"Name": "ok", "Tags": map[string]any{"B": "long1", "a": "ok", "C": "", "d": "long2", "e": "x"}}
	want := "6 validation errors detected: Value null at 'missing' failed to satisfy constraint: Member must not be null; " +
		"Value 'B' at 'tags.key' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-z]+$; " +
		"Value 'long1' at 'tags.B' failed to satisfy constraint: Member must have length less than or equal to 3; " +
		"Value 'C' at 'tags.key' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-z]+$; " +
		"Value '' at 'tags.C' failed to satisfy constraint: Member must have length greater than or equal to 1; " +
		"Value 'long2' at 'tags.d' failed to satisfy constraint: Member must have length less than or equal to 3"
	var v Validator
	for range 20 {
		if got := Summary(v.Validate(ref, in)); got != want {
			t.Fatalf("got  %s\nwant %s", got, want)
		}
	}
}

// TestUnconstrainedShapes: Load marks the shapes no constraint is
// reachable from (a validator skips their values), through members,
// list elements, map keys and values and recursion, and indexes the
// required members (-1 for one the structure lacks).
func TestUnconstrainedShapes(t *testing.T) {
	m, err := Load([]byte(constrainedModel))
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]bool{
		"In": false, "Name": false, "Tags": false, "Key": false, "Deep": false, "Outer": false, "Inner": false, "Count": false,
		"Free": true, "Plain": true, "Plains": true,
	} {
		if got := m.Shapes[name].Unconstrained(); got != want {
			t.Errorf("%s: Unconstrained = %v, want %v", name, got, want)
		}
	}
	if got := m.Shapes["In"].RequiredIndex(); len(got) != 2 || got[0] != 0 || got[1] != -1 {
		t.Errorf("RequiredIndex = %v, want [0 -1]", got)
	}
	hand := &Shape{Type: Structure, Members: []*Ref{{Name: "A"}, {Name: "B"}}, Required: []string{"B"}}
	if got := hand.RequiredIndex(); len(got) != 1 || got[0] != 1 || hand.Unconstrained() {
		t.Errorf("a shape built by hand: RequiredIndex = %v, Unconstrained = %v; want [1], false", got, hand.Unconstrained())
	}
}

// TestPathSpelling: a violation's path is spelled as AWS's services spell
// it: members lower-camel-cased and joined by dots, list elements
// counted from 1 as "n.member", map values by their key, map keys as
// "key".
func TestPathSpelling(t *testing.T) {
	for _, c := range []struct {
		walk func(p *Path)
		want string
	}{
		{func(p *Path) { p.Member("RoleName") }, "roleName"},
		{func(p *Path) { p.Member("ÉtatName") }, "étatName"},
		{func(p *Path) { p.Member("tags"); p.Key() }, "tags.key"},
		{func(p *Path) { p.Member("Tags"); p.Value("Env") }, "tags.Env"},
		{func(p *Path) { p.Member("Item"); p.Value("pk"); p.Member("L"); p.Elem(2); p.Member("S") }, "item.pk.l.3.member.s"},
		{func(p *Path) { p.Member("A"); p.Member("B"); p.Pop(); p.Member("C") }, "a.c"},
		{func(p *Path) { p.Member("Filters"); p.Elem(0); p.Member("Values"); p.Elem(9) }, "filters.1.member.values.10.member"},
	} {
		var p Path
		c.walk(&p)
		if got := p.String(); got != c.want {
			t.Errorf("got %q, want %q", got, c.want)
		}
	}
}

// TestJavaPatternsCompile: the models' patterns are Java regular
// expressions over UTF-16; the "any character" class of Glue's, Athena's,
// CloudTrail's and DynamoDB's names ends with a surrogate pair range
// (\uD800\uDC00-\uDBFF\uDFFF), which compiled as a backwards range and
// left the whole pattern unenforced. It now means U+10000 to U+10FFFF.
func TestJavaPatternsCompile(t *testing.T) {
	const glueName = `[\u0020-\uD7FF\uE000-\uFFFD\uD800\uDC00-\uDBFF\uDFFF\t]*`
	for _, c := range []struct {
		pattern, value string
		match          bool
	}{
		{glueName, "orders_2026", true},
		{glueName, "tab\there", true},
		{glueName, "日本語", true},
		{glueName, "emoji 😀", true},      // U+1F600: the surrogate pair range
		{glueName, "\U0010FFFF", true},   // the range's last code point
		{glueName, "a\x01b", false},      // a control character
		{glueName, "line\nbreak", false}, // \n is not in this class
		{`[\u0020-\uD7FF\uE000-\uFFFD\uD800\uDC00-\uDBFF\uDFFF\r\n\t]*`, "line\nbreak", true},
		{`\uD83D\uDE00`, "😀", true}, // a lone pair, outside a class
		{`[a-z]+`, "abc", true},
	} {
		var v Validator
		re := v.compile(c.pattern)
		if re == nil {
			t.Errorf("%q did not compile", c.pattern)
			continue
		}
		if got := re.MatchString(c.value); got != c.match {
			t.Errorf("%q matching %q = %v, want %v", c.pattern, c.value, got, c.match)
		}
	}
}
