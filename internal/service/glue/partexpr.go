package glue

import (
	"fmt"
	"strconv"
	"strings"

	glueapi "github.com/niwa-cloud/niwa/internal/api/glue"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// GetPartitions' Expression is a SQL WHERE clause over the partition
// keys: comparisons (= <> != < <= > >=), LIKE, IN, BETWEEN, AND, OR, NOT
// and parentheses. Keys of integer types compare as numbers, others as
// strings.

// partExpr is a parsed expression node.
type partExpr struct {
	op          string // and, or, not, cmp, in, between, like
	left, right *partExpr
	key         int
	numeric     bool
	cmp         string
	vals        []string
	negate      bool
}

func (e *partExpr) eval(values []string) bool {
	switch e.op {
	case "and":
		return e.left.eval(values) && e.right.eval(values)
	case "or":
		return e.left.eval(values) || e.right.eval(values)
	case "not":
		return !e.left.eval(values)
	}
	if e.key >= len(values) {
		return false
	}
	v := values[e.key]
	var r bool
	switch e.op {
	case "cmp":
		c := compare(v, e.vals[0], e.numeric)
		switch e.cmp {
		case "=":
			r = c == 0
		case "<>", "!=":
			r = c != 0
		case "<":
			r = c < 0
		case "<=":
			r = c <= 0
		case ">":
			r = c > 0
		case ">=":
			r = c >= 0
		}
	case "in":
		for _, x := range e.vals {
			if compare(v, x, e.numeric) == 0 {
				r = true
			}
		}
	case "between":
		r = compare(v, e.vals[0], e.numeric) >= 0 && compare(v, e.vals[1], e.numeric) <= 0
	case "like":
		r = likeMatch(v, e.vals[0])
	}
	return r != e.negate
}

func compare(a, b string, numeric bool) int {
	if numeric {
		x, err1 := strconv.ParseFloat(a, 64)
		y, err2 := strconv.ParseFloat(b, 64)
		if err1 == nil && err2 == nil {
			switch {
			case x < y:
				return -1
			case x > y:
				return 1
			}
			return 0
		}
	}
	return strings.Compare(a, b)
}

// likeMatch is SQL LIKE: % any run, _ one character.
func likeMatch(s, pat string) bool {
	if pat == "" {
		return s == ""
	}
	switch pat[0] {
	case '%':
		for i := 0; i <= len(s); i++ {
			if likeMatch(s[i:], pat[1:]) {
				return true
			}
		}
		return false
	case '_':
		return s != "" && likeMatch(s[1:], pat[1:])
	}
	return s != "" && s[0] == pat[0] && likeMatch(s[1:], pat[1:])
}

type partParser struct {
	toks []string
	i    int
	keys []glueapi.Column
}

// maxExprTokens bounds an expression (Glue's limit is 2048 bytes anyway).
const maxExprTokens = 4096

func parsePartitionExpr(s string, keys []glueapi.Column) (*partExpr, error) {
	toks, err := lexPartition(s)
	if err != nil {
		return nil, err
	}
	if len(toks) > maxExprTokens {
		return nil, fmt.Errorf("expression too long")
	}
	p := &partParser{toks: toks, keys: keys}
	e, err := p.or(0)
	if err != nil {
		return nil, err
	}
	if p.i != len(p.toks) {
		return nil, fmt.Errorf("unexpected %q in expression", p.toks[p.i])
	}
	return e, nil
}

func lexPartition(s string) ([]string, error) {
	var out []string
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '\'':
			var b strings.Builder
			b.WriteByte('\'')
			j := i + 1
			for ; ; j++ {
				if j >= len(s) {
					return nil, fmt.Errorf("unterminated string in expression")
				}
				if s[j] == '\'' {
					if j+1 < len(s) && s[j+1] == '\'' {
						b.WriteByte('\'')
						j++
						continue
					}
					break
				}
				b.WriteByte(s[j])
			}
			out = append(out, b.String())
			i = j + 1
		case strings.ContainsRune("()=,", rune(c)):
			out = append(out, string(c))
			i++
		case c == '<' || c == '>' || c == '!':
			if i+1 < len(s) && (s[i+1] == '=' || c == '<' && s[i+1] == '>') {
				out = append(out, s[i:i+2])
				i += 2
			} else {
				out = append(out, string(c))
				i++
			}
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\n\r()=,<>!'", rune(s[j])) {
				j++
			}
			out = append(out, s[i:j])
			i = j
		}
	}
	return out, nil
}

func (p *partParser) peek() string {
	if p.i < len(p.toks) {
		return p.toks[p.i]
	}
	return ""
}

func (p *partParser) keyword(w string) bool {
	if strings.EqualFold(p.peek(), w) {
		p.i++
		return true
	}
	return false
}

func (p *partParser) or(depth int) (*partExpr, error) {
	if depth > 100 {
		return nil, fmt.Errorf("expression nested too deeply")
	}
	l, err := p.and(depth)
	if err != nil {
		return nil, err
	}
	for p.keyword("or") {
		r, err := p.and(depth)
		if err != nil {
			return nil, err
		}
		l = &partExpr{op: "or", left: l, right: r}
	}
	return l, nil
}

func (p *partParser) and(depth int) (*partExpr, error) {
	l, err := p.not(depth)
	if err != nil {
		return nil, err
	}
	for p.keyword("and") {
		r, err := p.not(depth)
		if err != nil {
			return nil, err
		}
		l = &partExpr{op: "and", left: l, right: r}
	}
	return l, nil
}

func (p *partParser) not(depth int) (*partExpr, error) {
	if p.keyword("not") {
		e, err := p.not(depth + 1)
		if err != nil {
			return nil, err
		}
		return &partExpr{op: "not", left: e}, nil
	}
	if p.peek() == "(" {
		p.i++
		e, err := p.or(depth + 1)
		if err != nil {
			return nil, err
		}
		if p.peek() != ")" {
			return nil, fmt.Errorf("missing ) in expression")
		}
		p.i++
		return e, nil
	}
	return p.predicate()
}

func (p *partParser) value() (string, error) {
	t := p.peek()
	if t == "" || strings.ContainsAny(t[:1], "()=,<>!") {
		return "", fmt.Errorf("expected a value at %q", t)
	}
	p.i++
	return strings.TrimPrefix(t, "'"), nil
}

func (p *partParser) predicate() (*partExpr, error) {
	name := strings.Trim(p.peek(), "`\"")
	key := -1
	for i, k := range p.keys {
		if strings.EqualFold(ptr.Deref(k.Name), name) {
			key = i
		}
	}
	if key < 0 {
		return nil, fmt.Errorf("unknown column '%s' (not a partition key)", name)
	}
	p.i++
	t := strings.ToLower(ptr.Deref(p.keys[key].Type))
	e := &partExpr{key: key, numeric: t == "int" || t == "integer" || t == "bigint" || t == "smallint" || t == "tinyint" || t == "double" || t == "float"}
	if p.keyword("not") {
		e.negate = true
	}
	switch {
	case p.keyword("in"):
		e.op = "in"
		if p.peek() != "(" {
			return nil, fmt.Errorf("expected ( after IN")
		}
		p.i++
		for {
			v, err := p.value()
			if err != nil {
				return nil, err
			}
			e.vals = append(e.vals, v)
			if p.peek() == ")" {
				p.i++
				return e, nil
			}
			if p.peek() != "," {
				return nil, fmt.Errorf("expected , or ) in IN list")
			}
			p.i++
		}
	case p.keyword("between"):
		e.op = "between"
		lo, err := p.value()
		if err != nil {
			return nil, err
		}
		if !p.keyword("and") {
			return nil, fmt.Errorf("expected AND in BETWEEN")
		}
		hi, err := p.value()
		if err != nil {
			return nil, err
		}
		e.vals = []string{lo, hi}
		return e, nil
	case p.keyword("like"):
		e.op = "like"
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		e.vals = []string{v}
		return e, nil
	}
	if e.negate {
		return nil, fmt.Errorf("expected IN, BETWEEN or LIKE after NOT")
	}
	switch op := p.peek(); op {
	case "=", "<>", "!=", "<", "<=", ">", ">=":
		p.i++
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		e.op, e.cmp, e.vals = "cmp", op, []string{v}
		return e, nil
	}
	return nil, fmt.Errorf("expected a comparison after %s", name)
}
