// Package expr is DynamoDB's expression language: condition and filter
// expressions, key conditions, projections and update expressions, parsed
// by hand (recursive descent) and evaluated against items, with the
// validation errors DynamoDB answers with.
package expr

import (
	"fmt"
	"strconv"
	"strings"
)

// Kind names the request parameter an expression came from; it prefixes
// DynamoDB's messages ("Invalid UpdateExpression: ...").
type Kind string

// Expression kinds.
const (
	KindCondition  Kind = "ConditionExpression"
	KindFilter     Kind = "FilterExpression"
	KindKey        Kind = "KeyConditionExpression"
	KindProjection Kind = "ProjectionExpression"
	KindUpdate     Kind = "UpdateExpression"
)

// Error is a validation failure with DynamoDB's message; the service answers
// it as a ValidationException.
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

func errf(format string, args ...any) *Error { return &Error{Msg: fmt.Sprintf(format, args...)} }

// Env holds the ExpressionAttributeNames and ExpressionAttributeValues of
// one request and records which of them the request's expressions used, so
// that unused ones are reported as DynamoDB does.
type Env struct {
	Names      map[string]string
	Values     map[string]AV
	usedNames  map[string]bool
	usedValues map[string]bool
}

// NewEnv returns an environment over a request's names and values.
func NewEnv(names map[string]string, values map[string]AV) *Env {
	// The used sets are made at the first use: most requests name none.
	return &Env{Names: names, Values: values}
}

// CheckUnused reports names or values no expression used.
func (e *Env) CheckUnused() error {
	var un []string
	for _, k := range SortedKeys(e.Names) {
		if !e.usedNames[k] {
			un = append(un, k)
		}
	}
	if len(un) > 0 {
		return errf("Value provided in ExpressionAttributeNames unused in expressions: keys: {%s}", strings.Join(un, ", "))
	}
	var uv []string
	for _, k := range SortedKeys(e.Values) {
		if !e.usedValues[k] {
			uv = append(uv, k)
		}
	}
	if len(uv) > 0 {
		return errf("Value provided in ExpressionAttributeValues unused in expressions: keys: {%s}", strings.Join(uv, ", "))
	}
	return nil
}

// ---- lexer ----

type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tName  // #name
	tValue // :value
	tNum   // digits, inside [ ]
	tOp    // punctuation and comparators
)

type token struct {
	kind tokKind
	text string
	pos  int
}

func lex(kind Kind, s string) ([]token, error) {
	var toks []token
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case isIdentStart(c):
			j := i + 1
			for j < len(s) && isIdentChar(s[j]) {
				j++
			}
			toks = append(toks, token{tIdent, s[i:j], i})
			i = j
		case c >= '0' && c <= '9':
			j := i + 1
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			toks = append(toks, token{tNum, s[i:j], i})
			i = j
		case c == '#' || c == ':':
			j := i + 1
			for j < len(s) && isIdentChar(s[j]) {
				j++
			}
			if j == i+1 {
				return nil, syntaxErrAt(kind, s, toks, token{tOp, s[i : i+1], i})
			}
			k := tName
			if c == ':' {
				k = tValue
			}
			toks = append(toks, token{k, s[i:j], i})
			i = j
		case c == '<' || c == '>':
			if i+1 < len(s) && (s[i+1] == '=' || (c == '<' && s[i+1] == '>')) {
				toks = append(toks, token{tOp, s[i : i+2], i})
				i += 2
			} else {
				toks = append(toks, token{tOp, s[i : i+1], i})
				i++
			}
		case strings.IndexByte("=(),.[]+-", c) >= 0:
			toks = append(toks, token{tOp, s[i : i+1], i})
			i++
		default:
			return nil, errf("Invalid %s: Invalid character encountered; token: %q", kind, string(c))
		}
	}
	toks = append(toks, token{tEOF, "<EOF>", len(s)})
	return toks, nil
}

func isIdentStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}

func isIdentChar(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' }

func syntaxErrAt(kind Kind, src string, toks []token, t token) error {
	start := t.pos
	if n := len(toks); n > 0 && toks[n-1].pos < t.pos {
		start = toks[n-1].pos
	}
	end := min(len(src), t.pos+len(t.text))
	if t.kind == tEOF {
		end = len(src)
	}
	return errf("Invalid %s: Syntax error; token: %q, near: %q", kind, t.text, src[start:end])
}

// ---- parser ----

type parser struct {
	kind Kind
	src  string
	toks []token
	i    int
	env  *Env
	// ops counts operators and functions against MaxOperators.
	ops int
}

// DynamoDB's documented expression limits ("Expression parameters" in the
// DynamoDB quotas). MaxExpressionSize is counted in bytes of the string as
// sent, before any #name is substituted; it also bounds how deep the
// recursive descent below can go and how much the lexer allocates, so no
// expression can exhaust the stack or the heap.
const (
	MaxExpressionSize = 4096
	MaxOperators      = 300
	MaxInOperands     = 100
)

func newParser(kind Kind, src string, env *Env) (*parser, error) {
	if len(src) > MaxExpressionSize {
		return nil, errf("Invalid %s: Expression size has exceeded the maximum allowed size; expression size: %d", kind, len(src))
	}
	if strings.TrimSpace(src) == "" {
		return nil, errf("Invalid %s: The expression can not be empty;", kind)
	}
	toks, err := lex(kind, src)
	if err != nil {
		return nil, err
	}
	return &parser{kind: kind, src: src, toks: toks, env: env}, nil
}

func (p *parser) peek() token { return p.toks[p.i] }

// op counts one operator or function against DynamoDB's limit of
// MaxOperators per expression.
func (p *parser) op() error {
	p.ops++
	if p.ops > MaxOperators {
		return errf("Invalid %s: The expression contains too many operators; operator count: %d", p.kind, p.ops)
	}
	return nil
}

func (p *parser) next() token {
	t := p.toks[p.i]
	if p.i < len(p.toks)-1 {
		p.i++
	}
	return t
}

func (p *parser) isOp(s string) bool { t := p.peek(); return t.kind == tOp && t.text == s }

func (p *parser) isKeyword(s string) bool {
	t := p.peek()
	return t.kind == tIdent && strings.EqualFold(t.text, s)
}

// syntaxErr reports the current token with DynamoDB's "near" context: the
// text from the previous token to the end of the next one.
func (p *parser) syntaxErr() error {
	t := p.peek()
	start := t.pos
	if p.i > 0 {
		start = p.toks[p.i-1].pos
	}
	end := len(p.src)
	if t.kind != tEOF {
		end = t.pos + len(t.text)
		if p.i+1 < len(p.toks) && p.toks[p.i+1].kind != tEOF {
			n := p.toks[p.i+1]
			end = n.pos + len(n.text)
		}
	}
	return errf("Invalid %s: Syntax error; token: %q, near: %q", p.kind, t.text, p.src[start:end])
}

func (p *parser) expectOp(s string) error {
	if !p.isOp(s) {
		return p.syntaxErr()
	}
	p.next()
	return nil
}

func (p *parser) expectEOF() error {
	if p.peek().kind != tEOF {
		return p.syntaxErr()
	}
	return nil
}

// PathElem is one step of a document path: an attribute or map key, or a
// list index.
type PathElem struct {
	Name    string
	Index   int
	IsIndex bool
}

// Path is a document path such as a.b[2].c.
type Path []PathElem

func (pa Path) String() string {
	var b strings.Builder
	for i, e := range pa {
		switch {
		case e.IsIndex:
			fmt.Fprintf(&b, "[%d]", e.Index)
		case i > 0:
			b.WriteString("." + e.Name)
		default:
			b.WriteString(e.Name)
		}
	}
	return b.String()
}

// msgString renders the path as DynamoDB's overlap messages do: [a, b, [0]].
func (pa Path) msgString() string {
	parts := make([]string, len(pa))
	for i, e := range pa {
		if e.IsIndex {
			parts[i] = fmt.Sprintf("[%d]", e.Index)
		} else {
			parts[i] = e.Name
		}
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func (p *parser) pathElemName() (string, error) {
	t := p.peek()
	switch t.kind {
	case tIdent:
		if _, ok := reserved[strings.ToUpper(t.text)]; ok {
			return "", errf("Invalid %s: Attribute name is a reserved keyword; reserved keyword: %s", p.kind, t.text)
		}
		p.next()
		return t.text, nil
	case tName:
		v, ok := p.env.Names[t.text]
		if !ok {
			return "", errf("Invalid %s: An expression attribute name used in the document path is not defined; attribute name: %s", p.kind, t.text)
		}
		if p.env.usedNames == nil {
			p.env.usedNames = map[string]bool{}
		}
		p.env.usedNames[t.text] = true
		p.next()
		return v, nil
	}
	return "", p.syntaxErr()
}

func (p *parser) path() (Path, error) {
	name, err := p.pathElemName()
	if err != nil {
		return nil, err
	}
	pa := Path{{Name: name}}
	for {
		switch {
		case p.isOp("."):
			p.next()
			name, err := p.pathElemName()
			if err != nil {
				return nil, err
			}
			pa = append(pa, PathElem{Name: name})
		case p.isOp("["):
			p.next()
			t := p.peek()
			if t.kind != tNum {
				return nil, p.syntaxErr()
			}
			n, err := strconv.Atoi(t.text)
			if err != nil {
				return nil, errf("Invalid %s: List index is not within the allowable range; index: [%s]", p.kind, t.text)
			}
			p.next()
			if err := p.expectOp("]"); err != nil {
				return nil, err
			}
			pa = append(pa, PathElem{Index: n, IsIndex: true})
		default:
			return pa, nil
		}
	}
}

func (p *parser) value() (string, error) {
	t := p.peek()
	if t.kind != tValue {
		return "", p.syntaxErr()
	}
	if _, ok := p.env.Values[t.text]; !ok {
		return "", errf("Invalid %s: An expression attribute value used in expression is not defined; attribute value: %s", p.kind, t.text)
	}
	if p.env.usedValues == nil {
		p.env.usedValues = map[string]bool{}
	}
	p.env.usedValues[t.text] = true
	p.next()
	return t.text, nil
}
