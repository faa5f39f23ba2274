// Package pattern is EventBridge's event pattern language: one compiler
// that validates a pattern with the reasons AWS gives in
// InvalidEventPatternException, one matcher used by rules, archives and
// TestEventPattern, and an Index that finds the rules an event may match
// without evaluating every rule.
//
// The semantics follow AWS's content filtering (and its open-source engine,
// aws/event-ruler): fields of a pattern are ANDed, the values of a field's
// array are ORed, nested objects descend into the event, "$or" forks
// alternatives, and a field whose event value is an array matches when any
// element matches.
package pattern

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/netip"
	"strconv"
	"strings"
)

// Error is an invalid pattern. Its text is what AWS puts in the message
// of InvalidEventPatternException.
type Error struct {
	Reason string
	Source string
	Line   int
	Column int
}

func (e *Error) Error() string {
	src := e.Source
	if len(src) > 500 {
		src = src[:500] + fmt.Sprintf("\"[truncated %d chars]", len(e.Source)-500)
	} else {
		src += "\""
	}
	return fmt.Sprintf("Event pattern is not valid. Reason: %s\n at [Source: (String)\"%s; line: %d, column: %d]",
		e.Reason, src, e.Line, e.Column)
}

// Pattern is a compiled event pattern. It is immutable and safe for
// concurrent use.
type Pattern struct {
	root *node
}

// node is an object of the pattern: every field must match and, for each
// "$or", at least one alternative.
type node struct {
	fields []field
	ors    [][]*node
}

type field struct {
	name string
	sub  *node      // nested object
	leaf []*matcher // array of values: any may match
}

type kind int

const (
	kExact kind = iota
	kPrefix
	kSuffix
	kEqualsIgnoreCase
	kWildcard
	kNumeric
	kExists
	kCIDR
	kAnythingBut
)

// value is a JSON scalar of the pattern or the event.
type value struct {
	typ byte // 's' string, 'n' number, 'b' bool, 'z' null
	str string
	num float64
	ok  bool // num is representable
}

type matcher struct {
	kind kind
	// exact, and anything-but's value set
	vals []value
	// prefix/suffix/wildcard/equals-ignore-case operand
	str        string
	ignoreCase bool
	// anything-but of a prefix/suffix/wildcard/equals-ignore-case
	sub []*matcher
	// numeric
	lo, hi         float64
	loOpen, hiOpen bool
	// exists
	exists bool
	// cidr
	prefix netip.Prefix
}

// Compile parses and validates an event pattern.
func Compile(src string) (*Pattern, error) {
	p := &parser{src: src, dec: json.NewDecoder(strings.NewReader(src))}
	p.dec.UseNumber()
	root, err := p.top()
	if err != nil {
		return nil, err
	}
	return &Pattern{root: root}, nil
}

type parser struct {
	src string
	dec *json.Decoder
	// depth is how many objects and arrays are open, bounded by MaxDepth.
	depth int
}

// MaxDepth bounds the nesting of a pattern's objects and arrays, as the
// JSON parser of AWS's engine bounds it (Jackson's default), so that no
// pattern can exhaust the stack. Patterns are also bounded in length by
// the APIs that take them (PutRule's EventPattern, a filter's Pattern),
// which keeps any real pattern far below it.
const MaxDepth = 1000

// nest opens one level of nesting.
func (p *parser) nest() error {
	p.depth++
	if p.depth > MaxDepth {
		return p.fail(fmt.Sprintf("Document nesting depth (%d) exceeds the maximum allowed (%d, from `StreamReadConstraints.getMaxNestingDepth()`)", p.depth, MaxDepth))
	}
	return nil
}

func (p *parser) fail(reason string) error {
	off := int(p.dec.InputOffset())
	if off > len(p.src) {
		off = len(p.src)
	}
	line, col := 1, 1
	for _, r := range p.src[:off] {
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return &Error{Reason: reason, Source: p.src, Line: line, Column: col}
}

func (p *parser) token() (json.Token, error) {
	t, err := p.dec.Token()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, p.fail("Unexpected end-of-input")
		}
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, p.fail(capitalize(se.Error()))
		}
		return nil, p.fail(capitalize(err.Error()))
	}
	return t, nil
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func (p *parser) top() (*node, error) {
	t, err := p.dec.Token()
	if err != nil || t != json.Delim('{') {
		return nil, p.fail("Filter is not an object")
	}
	n, err := p.object(false)
	if err != nil {
		return nil, err
	}
	if _, err := p.dec.Token(); !errors.Is(err, io.EOF) {
		return nil, p.fail("Unexpected content after the end of the pattern")
	}
	return n, nil
}

// reservedInOr are the operator names that cannot be field names inside
// "$or", where they would be ambiguous.
var reservedInOr = map[string]bool{
	"anything-but": true, "exists": true, "prefix": true, "suffix": true, "numeric": true,
	"cidr": true, "equals-ignore-case": true, "wildcard": true,
}

// object parses the members of an object whose '{' has been read.
func (p *parser) object(inOr bool) (*node, error) {
	if err := p.nest(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	n := &node{}
	for {
		t, err := p.token()
		if err != nil {
			return nil, err
		}
		if t == json.Delim('}') {
			break
		}
		name := t.(string)
		if name == "$or" {
			alts, err := p.or()
			if err != nil {
				return nil, err
			}
			n.ors = append(n.ors, alts)
			continue
		}
		if inOr && reservedInOr[name] {
			return nil, p.fail(name + " is Ruler reserved fieldName which cannot be used inside $or.")
		}
		t, err = p.token()
		if err != nil {
			return nil, err
		}
		switch t {
		case json.Delim('{'):
			sub, err := p.object(inOr)
			if err != nil {
				return nil, err
			}
			n.fields = append(n.fields, field{name: name, sub: sub})
		case json.Delim('['):
			leaf, err := p.values()
			if err != nil {
				return nil, err
			}
			n.fields = append(n.fields, field{name: name, leaf: leaf})
		default:
			return nil, p.fail(fmt.Sprintf("%q must be an object or an array", name))
		}
	}
	if len(n.fields) == 0 && len(n.ors) == 0 {
		return nil, p.fail("Empty objects are not allowed")
	}
	return n, nil
}

func (p *parser) or() ([]*node, error) {
	t, err := p.token()
	if err != nil {
		return nil, err
	}
	if t != json.Delim('[') {
		return nil, p.fail("It must be an Array followed with $or.")
	}
	if err := p.nest(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	var alts []*node
	for {
		t, err := p.token()
		if err != nil {
			return nil, err
		}
		if t == json.Delim(']') {
			break
		}
		if t != json.Delim('{') {
			return nil, p.fail("Only JSON object is allowed in array of $or relationship.")
		}
		alt, err := p.object(true)
		if err != nil {
			return nil, err
		}
		alts = append(alts, alt)
	}
	if len(alts) < 2 {
		return nil, p.fail("There must have at least 2 Objects in $or relationship.")
	}
	return alts, nil
}

func scalar(t json.Token) (value, bool) {
	switch v := t.(type) {
	case string:
		return value{typ: 's', str: v}, true
	case json.Number:
		f, err := strconv.ParseFloat(string(v), 64)
		return value{typ: 'n', str: string(v), num: f, ok: err == nil}, true
	case bool:
		return value{typ: 'b', str: strconv.FormatBool(v)}, true
	case nil:
		return value{typ: 'z', str: "null"}, true
	}
	return value{}, false
}

// values parses a field's array of match values, '[' read.
func (p *parser) values() ([]*matcher, error) {
	var out []*matcher
	for {
		t, err := p.token()
		if err != nil {
			return nil, err
		}
		if t == json.Delim(']') {
			break
		}
		if t == json.Delim('{') {
			m, err := p.expression()
			if err != nil {
				return nil, err
			}
			out = append(out, m)
			continue
		}
		v, ok := scalar(t)
		if !ok {
			return nil, p.fail("Match value must be String, number, true, false, or null")
		}
		out = append(out, &matcher{kind: kExact, vals: []value{v}})
	}
	if len(out) == 0 {
		return nil, p.fail("Empty arrays are not allowed")
	}
	return out, nil
}

func (p *parser) end() error {
	t, err := p.token()
	if err != nil {
		return err
	}
	if t != json.Delim('}') {
		return p.fail("Only one key allowed in match expression")
	}
	return nil
}

// stringOrIgnoreCase reads the operand of prefix/suffix: a string or
// {"equals-ignore-case": string}.
func (p *parser) stringOrIgnoreCase(op string) (string, bool, error) {
	t, err := p.token()
	if err != nil {
		return "", false, err
	}
	if s, ok := t.(string); ok {
		return s, false, nil
	}
	if t == json.Delim('{') {
		k, err := p.token()
		if err != nil {
			return "", false, err
		}
		if k != "equals-ignore-case" {
			return "", false, p.fail(fmt.Sprintf("Unsupported %s pattern: %v", op, k))
		}
		v, err := p.token()
		if err != nil {
			return "", false, err
		}
		s, ok := v.(string)
		if !ok {
			return "", false, p.fail("equals-ignore-case match pattern must be a string")
		}
		if err := p.end(); err != nil {
			return "", false, err
		}
		return s, true, nil
	}
	return "", false, p.fail(op + " match pattern must be a string")
}

// stringOperand reads an operator's string operand, failing with msg for
// anything else.
func (p *parser) stringOperand(msg string) (string, error) {
	t, err := p.token()
	if err != nil {
		return "", err
	}
	s, ok := t.(string)
	if !ok {
		return "", p.fail(msg)
	}
	return s, nil
}

// expression parses a match expression object, '{' read.
func (p *parser) expression() (*matcher, error) {
	op, err := p.stringOperand("Match expression name not found")
	if err != nil {
		return nil, err
	}
	var m *matcher
	switch op {
	case "prefix", "suffix":
		s, ic, err := p.stringOrIgnoreCase(op)
		if err != nil {
			return nil, err
		}
		m = &matcher{kind: kPrefix, str: s, ignoreCase: ic}
		if op == "suffix" {
			m.kind = kSuffix
		}
	case "equals-ignore-case":
		s, err := p.stringOperand("equals-ignore-case match pattern must be a string")
		if err != nil {
			return nil, err
		}
		m = &matcher{kind: kEqualsIgnoreCase, str: s}
	case "wildcard":
		s, err := p.stringOperand("wildcard match pattern must be a string")
		if err != nil {
			return nil, err
		}
		if err := checkWildcard(s); err != "" {
			return nil, p.fail(err)
		}
		m = &matcher{kind: kWildcard, str: s}
	case "exists":
		t, err := p.token()
		if err != nil {
			return nil, err
		}
		b, ok := t.(bool)
		if !ok {
			return nil, p.fail("exists match pattern must be either true or false.")
		}
		m = &matcher{kind: kExists, exists: b}
	case "cidr":
		// event-ruler's message for a non-string CIDR says "prefix".
		s, err := p.stringOperand("prefix match pattern must be a string")
		if err != nil {
			return nil, err
		}
		pf, perr := netip.ParsePrefix(s)
		if perr != nil || !strings.Contains(s, "/") {
			return nil, p.fail("Malformed CIDR, one '/' required")
		}
		m = &matcher{kind: kCIDR, prefix: pf.Masked()}
	case "numeric":
		t, err := p.token()
		if err != nil {
			return nil, err
		}
		if t != json.Delim('[') {
			return nil, p.fail("Value of numeric must be an array.")
		}
		m, err = p.numeric()
		if err != nil {
			return nil, err
		}
		t, err = p.token()
		if err != nil {
			return nil, err
		}
		if t != json.Delim('}') {
			return nil, p.fail("Too many elements in numeric expression")
		}
		return m, nil
	case "anything-but":
		m, err = p.anythingBut()
		if err != nil {
			return nil, err
		}
	default:
		return nil, p.fail("Unrecognized match type " + op)
	}
	if err := p.end(); err != nil {
		return nil, err
	}
	return m, nil
}

func (p *parser) anythingBut() (*matcher, error) {
	t, err := p.token()
	if err != nil {
		return nil, err
	}
	m := &matcher{kind: kAnythingBut}
	if t == json.Delim('{') {
		k, err := p.token()
		if err != nil {
			return nil, err
		}
		op, _ := k.(string)
		switch op {
		case "prefix", "suffix":
			v, err := p.token()
			if err != nil {
				return nil, err
			}
			s, ok := v.(string)
			if !ok {
				return nil, p.fail("prefix/suffix match pattern must be a string")
			}
			if s == "" {
				return nil, p.fail("Null prefix/suffix not allowed")
			}
			kk := kPrefix
			if op == "suffix" {
				kk = kSuffix
			}
			m.sub = []*matcher{{kind: kk, str: s}}
		case "equals-ignore-case", "wildcard":
			ss, err := p.stringOrList(op)
			if err != nil {
				return nil, err
			}
			kk := kEqualsIgnoreCase
			if op == "wildcard" {
				kk = kWildcard
			}
			for _, s := range ss {
				if kk == kWildcard {
					if e := checkWildcard(s); e != "" {
						return nil, p.fail(e)
					}
				}
				m.sub = append(m.sub, &matcher{kind: kk, str: s})
			}
		default:
			return nil, p.fail("Unsupported anything-but pattern: " + op)
		}
		if err := p.end(); err != nil {
			return nil, err
		}
		return m, nil
	}
	if t == json.Delim('[') {
		var hasNum, hasStr bool
		for {
			t, err := p.token()
			if err != nil {
				return nil, err
			}
			if t == json.Delim(']') {
				break
			}
			v, ok := scalar(t)
			if !ok || (v.typ != 's' && v.typ != 'n') {
				return nil, p.fail("Inside anything but list, start|null|boolean is not supported.")
			}
			hasNum = hasNum || v.typ == 'n'
			hasStr = hasStr || v.typ == 's'
			m.vals = append(m.vals, v)
		}
		if hasNum == hasStr {
			return nil, p.fail("Inside anything but list, either all values are number or string, mixed type is not supported")
		}
		return m, nil
	}
	v, ok := scalar(t)
	if !ok {
		return nil, p.fail("Value of anything-but must be an array or single string/number value.")
	}
	if v.typ != 's' && v.typ != 'n' {
		return nil, p.fail("Inside anything-but list, start|null|boolean is not supported.")
	}
	m.vals = []value{v}
	return m, nil
}

func (p *parser) stringOrList(op string) ([]string, error) {
	t, err := p.token()
	if err != nil {
		return nil, err
	}
	if s, ok := t.(string); ok {
		return []string{s}, nil
	}
	if t != json.Delim('[') {
		return nil, p.fail(fmt.Sprintf("Inside anything-but/%s list, number|start|null|boolean is not supported.", op))
	}
	var out []string
	for {
		t, err := p.token()
		if err != nil {
			return nil, err
		}
		if t == json.Delim(']') {
			return out, nil
		}
		s, ok := t.(string)
		if !ok {
			return nil, p.fail(fmt.Sprintf("Inside anything-but/%s list, number|start|null|boolean is not supported.", op))
		}
		out = append(out, s)
	}
}

func (p *parser) number(op string) (float64, error) {
	t, err := p.token()
	if err != nil {
		return 0, err
	}
	n, ok := t.(json.Number)
	if !ok {
		return 0, p.fail("Value of " + op + " must be numeric")
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || math.Abs(f) > 5e9 {
		return 0, p.fail("Value of " + op + " must be numeric")
	}
	return f, nil
}

// numeric parses a numeric expression's array, '[' read, up to and
// including its ']'.
func (p *parser) numeric() (*matcher, error) {
	t, err := p.token()
	if err != nil {
		return nil, err
	}
	op, ok := t.(string)
	if !ok {
		return nil, p.fail(fmt.Sprintf("Invalid member in numeric match: %v", t))
	}
	m := &matcher{kind: kNumeric, lo: math.Inf(-1), hi: math.Inf(1)}
	closeArr := func() error {
		t, err := p.token()
		if err != nil {
			return err
		}
		if t != json.Delim(']') {
			return p.fail("Too many elements in numeric expression")
		}
		return nil
	}
	switch op {
	case "=":
		v, err := p.number(op)
		if err != nil {
			return nil, err
		}
		m.lo, m.hi = v, v
		return m, closeArr()
	case "<", "<=":
		v, err := p.number(op)
		if err != nil {
			return nil, err
		}
		m.hi, m.hiOpen = v, op == "<"
		return m, closeArr()
	case ">", ">=":
		v, err := p.number(op)
		if err != nil {
			return nil, err
		}
		m.lo, m.loOpen = v, op == ">"
		t, err := p.token()
		if err != nil {
			return nil, err
		}
		if t == json.Delim(']') {
			return m, nil
		}
		op2, ok := t.(string)
		if !ok {
			return nil, p.fail(fmt.Sprintf("Bad value in numeric range: %v", t))
		}
		if op2 != "<" && op2 != "<=" {
			return nil, p.fail("Bad numeric range operator: " + op2)
		}
		v2, err := p.number(op2)
		if err != nil {
			return nil, err
		}
		m.hi, m.hiOpen = v2, op2 == "<"
		if m.hi < m.lo {
			return nil, p.fail("Bottom must be less than top")
		}
		t, err = p.token()
		if err != nil {
			return nil, err
		}
		if t != json.Delim(']') {
			return nil, p.fail("Too many terms in numeric range expression")
		}
		return m, nil
	}
	return nil, p.fail("Unrecognized numeric range operator: " + op)
}

// checkWildcard returns why a wildcard pattern is invalid, or "".
func checkWildcard(s string) string {
	prevStar := false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if i+1 >= len(s) || (s[i+1] != '*' && s[i+1] != '\\') {
				return fmt.Sprintf("Invalid escape character at pos %d", i)
			}
			i++
			prevStar = false
		case '*':
			if prevStar {
				return fmt.Sprintf("Consecutive wildcard characters at pos %d", i-1)
			}
			prevStar = true
		default:
			prevStar = false
		}
	}
	return ""
}

// Match reports whether the event (a JSON object) matches the pattern.
// An event that is not a JSON object matches nothing.
func (p *Pattern) Match(event []byte) bool {
	ev, err := ParseEvent(event)
	if err != nil {
		return false
	}
	return p.MatchParsed(ev)
}

// Event is an event decoded once for matching against many patterns.
type Event struct{ root map[string]any }

// ParseEvent decodes an event for MatchParsed and Index.Match.
func ParseEvent(event []byte) (*Event, error) {
	dec := json.NewDecoder(bytes.NewReader(event))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("event is not a JSON object")
	}
	return &Event{root: m}, nil
}

// Root returns the decoded event (numbers as json.Number).
func (e *Event) Root() map[string]any { return e.root }

// MatchParsed is Match on a decoded event.
func (p *Pattern) MatchParsed(e *Event) bool { return p.root.match(e.root) }

func (n *node) match(obj map[string]any) bool {
	for i := range n.fields {
		if !n.fields[i].match(obj) {
			return false
		}
	}
	for _, alts := range n.ors {
		ok := false
		for _, a := range alts {
			if a.match(obj) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// flatten appends v, or the elements of v (recursively) when v is an array.
func flatten(dst []any, v any) []any {
	if a, ok := v.([]any); ok {
		for _, e := range a {
			dst = flatten(dst, e)
		}
		return dst
	}
	return append(dst, v)
}

func (f *field) match(obj map[string]any) bool {
	raw, present := obj[f.name]
	var vals []any
	if present {
		vals = flatten(nil, raw)
	}
	if f.sub != nil {
		for _, v := range vals {
			if m, ok := v.(map[string]any); ok && f.sub.match(m) {
				return true
			}
		}
		return false
	}
	leaves := vals[:0:0]
	for _, v := range vals {
		if _, isObj := v.(map[string]any); !isObj {
			leaves = append(leaves, v)
		}
	}
	for _, m := range f.leaf {
		if m.kind == kExists {
			if m.exists == (len(leaves) > 0) {
				return true
			}
			continue
		}
		for _, v := range leaves {
			ev, _ := scalar(v)
			if m.matchValue(ev) {
				return true
			}
		}
	}
	return false
}

func equalValues(a, b value) bool {
	if a.typ != b.typ {
		return false
	}
	if a.typ == 'n' {
		if a.ok && b.ok {
			return a.num == b.num
		}
		return a.str == b.str
	}
	if a.typ == 's' && a.str != b.str {
		// IP addresses written differently are one address.
		x, err1 := netip.ParseAddr(a.str)
		y, err2 := netip.ParseAddr(b.str)
		return err1 == nil && err2 == nil && x == y
	}
	return a.str == b.str
}

func (m *matcher) matchValue(v value) bool {
	switch m.kind {
	case kExact:
		return equalValues(m.vals[0], v)
	case kPrefix:
		if v.typ != 's' {
			return false
		}
		if m.ignoreCase {
			return len(v.str) >= len(m.str) && strings.EqualFold(v.str[:len(m.str)], m.str)
		}
		return strings.HasPrefix(v.str, m.str)
	case kSuffix:
		if v.typ != 's' {
			return false
		}
		if m.ignoreCase {
			return len(v.str) >= len(m.str) && strings.EqualFold(v.str[len(v.str)-len(m.str):], m.str)
		}
		return strings.HasSuffix(v.str, m.str)
	case kEqualsIgnoreCase:
		return v.typ == 's' && strings.EqualFold(v.str, m.str)
	case kWildcard:
		return v.typ == 's' && wildcardMatch(m.str, v.str)
	case kNumeric:
		if v.typ != 'n' || !v.ok {
			return false
		}
		if v.num < m.lo || (m.loOpen && v.num == m.lo) || v.num > m.hi || (m.hiOpen && v.num == m.hi) {
			return false
		}
		return true
	case kCIDR:
		if v.typ != 's' {
			return false
		}
		a, err := netip.ParseAddr(v.str)
		return err == nil && m.prefix.Contains(a.Unmap())
	case kAnythingBut:
		if len(m.sub) > 0 {
			if v.typ != 's' {
				return true
			}
			for _, s := range m.sub {
				if s.matchValue(v) {
					return false
				}
			}
			return true
		}
		for _, x := range m.vals {
			if equalValues(x, v) {
				return false
			}
		}
		return true
	}
	return false
}

// wildcardMatch matches s against a pattern where '*' is any run of
// characters and "\*" and "\\" are a literal star and backslash.
func wildcardMatch(pat, s string) bool {
	// Split the pattern into literal segments around unescaped stars.
	var segs []string
	var cur strings.Builder
	for i := 0; i < len(pat); i++ {
		c := pat[i]
		if c == '\\' && i+1 < len(pat) {
			cur.WriteByte(pat[i+1])
			i++
			continue
		}
		if c == '*' {
			segs = append(segs, cur.String())
			cur.Reset()
			continue
		}
		cur.WriteByte(c)
	}
	segs = append(segs, cur.String())
	if len(segs) == 1 {
		return s == segs[0]
	}
	if !strings.HasPrefix(s, segs[0]) {
		return false
	}
	s = s[len(segs[0]):]
	last := segs[len(segs)-1]
	for _, seg := range segs[1 : len(segs)-1] {
		i := strings.Index(s, seg)
		if i < 0 {
			return false
		}
		s = s[i+len(seg):]
	}
	return len(s) >= len(last) && strings.HasSuffix(s, last)
}
