package model

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/niwa-cloud/niwa/internal/lazyre"
)

// Violation is one failed constraint, worded as AWS words it: "Value 'x' at
// 'roleName' failed to satisfy constraint: Member must have length less
// than or equal to 64".
type Violation struct {
	Path    string
	Value   any
	Message string
}

func (v Violation) String() string {
	val := "null"
	if v.Value != nil {
		val = "'" + echo(v.Value) + "'"
	}
	return fmt.Sprintf("Value %s at '%s' failed to satisfy constraint: %s", val, v.Path, v.Message)
}

// echo renders a value the way AWS's (Java) services echo it in a
// validation message: lists as "[a, b]", maps and structures as
// "{k=v, k2=v2}" with keys sorted (so the message is stable), never Go's
// "[a b]" or "map[k:v]".
func echo(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return x
	case []byte:
		return string(x)
	case time.Time:
		return x.Format(time.RFC3339)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = echo(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + "=" + echo(x[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

// Summary joins violations the way AWS reports them: "2 validation errors
// detected: ...; ...".
func Summary(vs []Violation) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = v.String()
	}
	noun := "errors"
	if len(vs) == 1 {
		noun = "error"
	}
	return fmt.Sprintf("%d validation %s detected: %s", len(vs), noun, strings.Join(parts, "; "))
}

// Validator checks dynamic values against a model's constraints: required
// members, lengths and ranges, enums and patterns. It caches compiled
// patterns; one Validator serves any number of goroutines.
type Validator struct {
	patterns sync.Map  // pattern string -> *regexp.Regexp (nil when not RE2-compatible)
	paths    sync.Pool // *Path, reused by Validate
}

// Validate checks a structure value for ref and returns its violations.
func (v *Validator) Validate(ref *Ref, value map[string]any) []Violation {
	if ref == nil {
		return nil
	}
	p, _ := v.paths.Get().(*Path)
	if p == nil {
		p = &Path{segs: make([]pathSeg, 0, 16)}
	}
	var out []Violation
	v.structure(ref.Shape, value, p, &out)
	p.segs = p.segs[:0]
	v.paths.Put(p)
	return out
}

// Path is where a value is in an input, kept as the segments a validator
// pushes and pops as it walks and spelled as AWS spells it (String) only
// for a violation: "member.sub", a list element "list.3.member", a map
// value "map.key1", a map key "map.key".
type Path struct {
	segs []pathSeg
}

type pathSeg struct {
	name string // a member's name, a map key
	i    int    // a list element's index
	kind uint8
}

const (
	segMember uint8 = iota
	segElem
	segValue
	segKey
)

// Member enters structure member name.
func (p *Path) Member(name string) { p.segs = append(p.segs, pathSeg{name: name}) }

// Elem enters list element i (from 0).
func (p *Path) Elem(i int) { p.segs = append(p.segs, pathSeg{i: i, kind: segElem}) }

// Value enters the value of map key k.
func (p *Path) Value(k string) { p.segs = append(p.segs, pathSeg{name: k, kind: segValue}) }

// Key enters a map's key.
func (p *Path) Key() { p.segs = append(p.segs, pathSeg{kind: segKey}) }

// Pop leaves what the last Member, Elem, Value or Key entered.
func (p *Path) Pop() { p.segs = p.segs[:len(p.segs)-1] }

// String spells the path.
func (p *Path) String() string {
	var b strings.Builder
	for k, s := range p.segs {
		switch s.kind {
		case segMember:
			if k > 0 {
				b.WriteByte('.')
			}
			b.WriteString(lowerFirst(s.name))
		case segElem:
			b.WriteByte('.')
			b.WriteString(strconv.Itoa(s.i + 1))
			b.WriteString(".member")
		case segValue:
			b.WriteByte('.')
			b.WriteString(s.name)
		case segKey:
			b.WriteString(".key")
		}
	}
	return b.String()
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	if c := s[0]; c < utf8.RuneSelf {
		if 'a' <= c && c <= 'z' || c < 'A' || c > 'Z' {
			return s
		}
	}
	r, n := utf8.DecodeRuneInString(s)
	return strings.ToLower(string(r)) + s[n:]
}

func (v *Validator) structure(sh *Shape, value map[string]any, p *Path, out *[]Violation) {
	for _, req := range sh.Required {
		if x, ok := value[req]; !ok || x == nil {
			p.Member(req)
			*out = append(*out, Violation{Path: p.String(), Message: "Member must not be null"})
			p.Pop()
		}
	}
	for _, m := range sh.Members {
		if m.Shape.unchecked {
			continue // nothing to find
		}
		x, ok := value[m.Name]
		if !ok || x == nil {
			continue
		}
		p.Member(m.Name)
		v.value(m, x, p, out)
		p.Pop()
	}
}

func (v *Validator) value(ref *Ref, x any, p *Path, out *[]Violation) {
	sh := ref.Shape
	switch sh.Type {
	case Structure:
		if m, ok := x.(map[string]any); ok {
			v.structure(sh, m, p, out)
		}
	case List:
		l, _ := x.([]any)
		if !LengthValid(sh, len(l)) {
			LengthViolations(sh, len(l), p.String(), x, out)
		}
		if sh.Member.Shape.unchecked {
			return
		}
		for i, e := range l {
			if e != nil {
				p.Elem(i)
				v.value(sh.Member, e, p, out)
				p.Pop()
			}
		}
	case Map:
		m, _ := x.(map[string]any)
		if !LengthValid(sh, len(m)) {
			LengthViolations(sh, len(m), p.String(), x, out)
		}
		if sh.Key.Shape.unchecked && sh.Value.Shape.unchecked {
			return
		}
		mark := len(*out)
		for k, e := range m {
			v.mapEntry(sh, k, e, p, out)
		}
		if len(*out) > mark && len(m) > 1 {
			// A map has no order; the violations of its entries are
			// reported in key order, so the message is the same for the
			// same request (the walk above costs no sort when there are
			// none).
			*out = (*out)[:mark]
			for _, k := range SortedKeys(m) {
				v.mapEntry(sh, k, m[k], p, out)
			}
		}
	case String:
		if s, ok := x.(string); ok && !v.StringValid(sh, s) {
			v.StringViolations(sh, s, p.String(), out)
		}
	case Blob:
		if b, ok := x.([]byte); ok && !LengthValid(sh, len(b)) {
			LengthViolations(sh, len(b), p.String(), x, out)
		}
	case Integer, Long:
		if n, ok := x.(int64); ok && !RangeValid(sh, n) {
			RangeViolations(sh, n, p.String(), out)
		}
	}
}

func (v *Validator) mapEntry(sh *Shape, k string, e any, p *Path, out *[]Violation) {
	if ksh := sh.Key.Shape; ksh.Type != String {
		p.Key()
		v.value(sh.Key, k, p, out)
		p.Pop()
	} else if !ksh.unchecked && !v.StringValid(ksh, k) {
		p.Key()
		v.StringViolations(ksh, k, p.String(), out)
		p.Pop()
	}
	if e != nil && !sh.Value.Shape.unchecked {
		p.Value(k)
		v.value(sh.Value, e, p, out)
		p.Pop()
	}
}

// ValidateValue checks one value x of ref, at path p, as Validate checks
// a member's value, appending its violations to out: what a typed
// validator (internal/api) uses for a value it holds in the dynamic form
// (a document, a jsonvalue member).
func (v *Validator) ValidateValue(ref *Ref, x any, p *Path, out *[]Violation) {
	v.value(ref, x, p, out)
}

// SortedKeys returns m's keys, sorted.
func SortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// The checks of one value, each a test that allocates nothing and the
// violations it words (only when the test fails): Validate runs them on
// the dynamic tree, the typed validator in internal/api on values read in
// place, so both word a violation the same way.

// LengthValid reports whether n (a list's or map's length, a blob's
// bytes, a string's characters) is within sh's min and max.
func LengthValid(sh *Shape, n int) bool {
	return (sh.Min == nil || float64(n) >= *sh.Min) && (sh.Max == nil || float64(n) <= *sh.Max)
}

// LengthViolations appends the violations of length n of value x at path.
func LengthViolations(sh *Shape, n int, path string, x any, out *[]Violation) {
	if sh.Min != nil && float64(n) < *sh.Min {
		*out = append(*out, Violation{Path: path, Value: x, Message: "Member must have length greater than or equal to " + bound(*sh.Min)})
	}
	if sh.Max != nil && float64(n) > *sh.Max {
		*out = append(*out, Violation{Path: path, Value: x, Message: "Member must have length less than or equal to " + bound(*sh.Max)})
	}
}

// RangeValid reports whether the integer n is within sh's min and max.
func RangeValid(sh *Shape, n int64) bool {
	return (sh.Min == nil || float64(n) >= *sh.Min) && (sh.Max == nil || float64(n) <= *sh.Max)
}

// RangeViolations appends the violations of the integer n at path.
func RangeViolations(sh *Shape, n int64, path string, out *[]Violation) {
	if sh.Min != nil && float64(n) < *sh.Min {
		*out = append(*out, Violation{Path: path, Value: n, Message: "Member must have value greater than or equal to " + bound(*sh.Min)})
	}
	if sh.Max != nil && float64(n) > *sh.Max {
		*out = append(*out, Violation{Path: path, Value: n, Message: "Member must have value less than or equal to " + bound(*sh.Max)})
	}
}

// StringValid reports whether s satisfies sh's length (in characters),
// enum and pattern.
func (v *Validator) StringValid(sh *Shape, s string) bool {
	if sh.Min != nil || sh.Max != nil {
		// A string has at most as many characters as bytes, and at
		// least one when it has a byte: count them only when the bytes
		// cannot tell.
		n := len(s)
		if (sh.Max != nil && float64(n) > *sh.Max) || (sh.Min != nil && *sh.Min > 1 && float64(n) >= *sh.Min) {
			n = utf8.RuneCountInString(s)
		}
		if !LengthValid(sh, n) {
			return false
		}
	}
	if len(sh.Enum) > 0 && !contains(sh.Enum, s) {
		return false
	}
	if sh.Pattern != "" {
		if re := v.compile(sh.Pattern); re != nil && !re.MatchString(s) {
			return false
		}
	}
	return true
}

// StringViolations appends the violations of string s at path.
func (v *Validator) StringViolations(sh *Shape, s string, path string, out *[]Violation) {
	LengthViolations(sh, utf8.RuneCountInString(s), path, s, out)
	if len(sh.Enum) > 0 && !contains(sh.Enum, s) {
		*out = append(*out, Violation{Path: path, Value: s, Message: "Member must satisfy enum value set: [" + strings.Join(sh.Enum, ", ") + "]"})
	}
	if sh.Pattern != "" {
		if re := v.compile(sh.Pattern); re != nil && !re.MatchString(s) {
			*out = append(*out, Violation{Path: path, Value: s, Message: "Member must satisfy regular expression pattern: " + sh.Pattern})
		}
	}
}

// javaUnicodeEscape matches \uXXXX, which Java regexes accept and RE2
// spells \x{XXXX}.
var javaUnicodeEscape = lazyre.New(`\\u([0-9A-Fa-f]{4})`)

// javaSurrogatePair matches a UTF-16 surrogate pair written as two
// escapes, \uD800\uDC00: Java matches strings as UTF-16, so the models'
// "any character" classes end with the range \uD800\uDC00-\uDBFF\uDFFF
// (U+10000 to U+10FFFF), which RE2, matching code points, reads as a
// backwards range and refuses — the whole pattern then went unenforced.
var javaSurrogatePair = lazyre.New(`\\u([dD][89abAB][0-9A-Fa-f]{2})\\u([dD][c-fC-F][0-9A-Fa-f]{2})`)

// rewriteSurrogatePairs writes each surrogate pair escape as the code
// point it encodes, \x{10000}.
func rewriteSurrogatePairs(pattern string) string {
	return javaSurrogatePair.ReplaceAllStringFunc(pattern, func(pair string) string {
		hi, _ := strconv.ParseUint(pair[2:6], 16, 32)
		lo, _ := strconv.ParseUint(pair[8:12], 16, 32)
		return fmt.Sprintf(`\x{%X}`, 0x10000+(hi-0xD800)<<10+(lo-0xDC00))
	})
}

// compile turns a model pattern (Java syntax, matched against the whole
// value) into an RE2 regexp, or nil when RE2 cannot express it — such a
// pattern is then not enforced rather than enforced wrongly.
func (v *Validator) compile(pattern string) *regexp.Regexp {
	if re, ok := v.patterns.Load(pattern); ok {
		return re.(*regexp.Regexp)
	}
	src := javaUnicodeEscape.ReplaceAllString(rewriteSurrogatePairs(pattern), `\x{$1}`)
	re, err := regexp.Compile(`^(?:` + src + `)$`)
	if err != nil {
		re = nil
	}
	v.patterns.Store(pattern, re)
	return re
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// bound formats a constraint bound as AWS does: an integer, never
// 2.147483647e+09.
func bound(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
