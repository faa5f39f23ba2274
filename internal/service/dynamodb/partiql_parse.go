package dynamodb

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// PartiQL for DynamoDB is translated into the service's own expression
// language (KeyConditionExpression, FilterExpression, UpdateExpression,
// ConditionExpression with placeholder names and values) and run through
// the ordinary item handlers, so storage, key checks, validation and
// condition evaluation are the ones every other API uses.

type pqTok struct {
	kind byte // 'i' ident, 'q' quoted ident, 's' string, 'n' number, 'p' punct, 0 EOF
	text string
}

func pqErr(format string, args ...any) error {
	return awserr.ValidationException.New("Statement wasn't well formed, can't be processed: %s", fmt.Sprintf(format, args...))
}

func pqLex(src string) ([]pqTok, error) {
	var out []pqTok
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '\'' || c == '"':
			var b strings.Builder
			j := i + 1
			for {
				if j >= len(src) {
					return nil, pqErr("Invalid literal at: %d", i)
				}
				if src[j] == c {
					if j+1 < len(src) && src[j+1] == c {
						b.WriteByte(c)
						j += 2
						continue
					}
					break
				}
				b.WriteByte(src[j])
				j++
			}
			k := byte('s')
			if c == '"' {
				k = 'q'
			}
			out = append(out, pqTok{k, b.String()})
			i = j + 1
		case c >= '0' && c <= '9':
			j := i
			for j < len(src) && (src[j] >= '0' && src[j] <= '9' || src[j] == '.' || src[j] == 'e' || src[j] == 'E' ||
				((src[j] == '+' || src[j] == '-') && (src[j-1] == 'e' || src[j-1] == 'E'))) {
				j++
			}
			out = append(out, pqTok{'n', src[i:j]})
			i = j
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			j := i
			for j < len(src) && (src[j] == '_' || src[j] == '$' || src[j] >= 'a' && src[j] <= 'z' || src[j] >= 'A' && src[j] <= 'Z' || src[j] >= '0' && src[j] <= '9') {
				j++
			}
			out = append(out, pqTok{'i', src[i:j]})
			i = j
		default:
			two := ""
			if i+1 < len(src) {
				two = src[i : i+2]
			}
			switch two {
			case "<=", ">=", "<>", "!=", "<<", ">>":
				out = append(out, pqTok{'p', two})
				i += 2
				continue
			}
			if strings.IndexByte("()[]{},.*?=<>+-:;", c) < 0 {
				return nil, pqErr("Unexpected character: %q", string(c))
			}
			out = append(out, pqTok{'p', string(c)})
			i++
		}
	}
	return append(out, pqTok{}), nil
}

// Statement syntax tree.

type pqPath []pqElem

type pqElem struct {
	name  string
	index int
	isIdx bool
}

// pqOperand is a pqPath, an AV, *pqArith or *pqCall.
type pqOperand any

type pqArith struct {
	op   string
	l, r pqOperand
}

type pqCall struct {
	name string
	args []pqOperand
}

type pqCond interface{}

type (
	pqCmp struct {
		op   string
		l, r pqOperand
	}
	pqAnd     struct{ l, r pqCond }
	pqOr      struct{ l, r pqCond }
	pqNot     struct{ c pqCond }
	pqBetween struct{ v, lo, hi pqOperand }
	pqIn      struct {
		v    pqOperand
		list []pqOperand
	}
	pqFuncCond struct{ call *pqCall }
	pqIs       struct {
		path    pqPath
		missing bool // IS MISSING (else IS NULL)
		not     bool
	}
)

type pqSet struct {
	path pqPath
	val  pqOperand
}

type pqStmt struct {
	kind      string // SELECT, INSERT, UPDATE, DELETE
	table     string
	index     string
	proj      []pqPath // nil means *
	where     pqCond
	item      AV
	sets      []pqSet
	removes   []pqPath
	returning string // e.g. ALL_OLD
}

type pqParser struct {
	toks   []pqTok
	i      int
	params []AV
	used   int
}

// parsePartiQL parses one statement, binding ? to params in order.
func parsePartiQL(src string, params []AV) (*pqStmt, error) {
	toks, err := pqLex(src)
	if err != nil {
		return nil, err
	}
	p := &pqParser{toks: toks, params: params}
	st, err := p.statement()
	if err != nil {
		return nil, err
	}
	if p.peek().kind == 'p' && p.peek().text == ";" {
		p.i++
	}
	if p.peek().kind != 0 {
		return nil, p.unexpected()
	}
	if p.used != len(params) {
		return nil, awserr.ValidationException.New("Number of parameters in request and statement don't match.")
	}
	return st, nil
}

func (p *pqParser) peek() pqTok { return p.toks[p.i] }

func (p *pqParser) next() pqTok {
	t := p.toks[p.i]
	if t.kind != 0 {
		p.i++
	}
	return t
}

func (p *pqParser) unexpected() error {
	t := p.peek()
	switch t.kind {
	case 0:
		return pqErr("Unexpected end of statement")
	case 'i':
		return pqErr("Unexpected keyword or identifier: %s", t.text)
	default:
		return pqErr("Unexpected token: %s", t.text)
	}
}

func (p *pqParser) isKw(kw string) bool {
	t := p.peek()
	return t.kind == 'i' && strings.EqualFold(t.text, kw)
}

func (p *pqParser) kw(kw string) error {
	if !p.isKw(kw) {
		return p.unexpected()
	}
	p.i++
	return nil
}

func (p *pqParser) isP(s string) bool {
	t := p.peek()
	return t.kind == 'p' && t.text == s
}

func (p *pqParser) punct(s string) error {
	if !p.isP(s) {
		return p.unexpected()
	}
	p.i++
	return nil
}

func (p *pqParser) statement() (*pqStmt, error) {
	st := &pqStmt{}
	switch {
	case p.isKw("SELECT"):
		p.i++
		st.kind = "SELECT"
		if p.isP("*") {
			p.i++
		} else {
			for {
				pa, err := p.path()
				if err != nil {
					return nil, err
				}
				st.proj = append(st.proj, pa)
				if !p.isP(",") {
					break
				}
				p.i++
			}
		}
		if err := p.kw("FROM"); err != nil {
			return nil, err
		}
		if err := p.tableRef(st, true); err != nil {
			return nil, err
		}
		if p.isKw("WHERE") {
			p.i++
			c, err := p.or()
			if err != nil {
				return nil, err
			}
			st.where = c
		}
	case p.isKw("INSERT"):
		p.i++
		st.kind = "INSERT"
		if err := p.kw("INTO"); err != nil {
			return nil, err
		}
		if err := p.tableRef(st, false); err != nil {
			return nil, err
		}
		if err := p.kw("VALUE"); err != nil {
			return nil, err
		}
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		if v.M == nil {
			return nil, pqErr("Expected a map value after VALUE")
		}
		st.item = v
	case p.isKw("UPDATE"):
		p.i++
		st.kind = "UPDATE"
		if err := p.tableRef(st, false); err != nil {
			return nil, err
		}
		for p.isKw("SET") || p.isKw("REMOVE") {
			set := p.isKw("SET")
			p.i++
			for {
				pa, err := p.path()
				if err != nil {
					return nil, err
				}
				if set {
					if err := p.punct("="); err != nil {
						return nil, err
					}
					v, err := p.setOperand()
					if err != nil {
						return nil, err
					}
					st.sets = append(st.sets, pqSet{pa, v})
				} else {
					st.removes = append(st.removes, pa)
				}
				if !p.isP(",") {
					break
				}
				p.i++
			}
		}
		if st.sets == nil && st.removes == nil {
			return nil, p.unexpected()
		}
		if err := p.where(st); err != nil {
			return nil, err
		}
		if err := p.returning(st, "ALL OLD", "MODIFIED OLD", "ALL NEW", "MODIFIED NEW"); err != nil {
			return nil, err
		}
	case p.isKw("DELETE"):
		p.i++
		st.kind = "DELETE"
		if err := p.kw("FROM"); err != nil {
			return nil, err
		}
		if err := p.tableRef(st, false); err != nil {
			return nil, err
		}
		if err := p.where(st); err != nil {
			return nil, err
		}
		if err := p.returning(st, "ALL OLD"); err != nil {
			return nil, err
		}
	default:
		return nil, p.unexpected()
	}
	return st, nil
}

func (p *pqParser) where(st *pqStmt) error {
	if err := p.kw("WHERE"); err != nil {
		return err
	}
	c, err := p.or()
	st.where = c
	return err
}

func (p *pqParser) returning(st *pqStmt, allowed ...string) error {
	if !p.isKw("RETURNING") {
		return nil
	}
	p.i++
	a, b := p.next(), p.next()
	if err := p.punct("*"); err != nil {
		return err
	}
	rv := strings.ToUpper(a.text) + " " + strings.ToUpper(b.text)
	for _, x := range allowed {
		if rv == x && a.kind == 'i' && b.kind == 'i' {
			st.returning = strings.Replace(strings.Replace(rv, "MODIFIED", "UPDATED", 1), " ", "_", 1)
			return nil
		}
	}
	return pqErr("Unsupported RETURNING clause: %s", rv)
}

func (p *pqParser) ident() (string, error) {
	t := p.peek()
	if t.kind != 'i' && t.kind != 'q' {
		return "", p.unexpected()
	}
	p.i++
	return t.text, nil
}

func (p *pqParser) tableRef(st *pqStmt, index bool) error {
	name, err := p.ident()
	if err != nil {
		return err
	}
	st.table = name
	if index && p.isP(".") {
		p.i++
		if st.index, err = p.ident(); err != nil {
			return err
		}
	}
	return nil
}

func (p *pqParser) path() (pqPath, error) {
	name, err := p.ident()
	if err != nil {
		return nil, err
	}
	pa := pqPath{{name: name}}
	for {
		switch {
		case p.isP("."):
			p.i++
			n, err := p.ident()
			if err != nil {
				return nil, err
			}
			pa = append(pa, pqElem{name: n})
		case p.isP("["):
			p.i++
			t := p.next()
			n, err := strconv.Atoi(t.text)
			if t.kind != 'n' || err != nil || n < 0 {
				return nil, pqErr("Invalid list index: %s", t.text)
			}
			if err := p.punct("]"); err != nil {
				return nil, err
			}
			pa = append(pa, pqElem{index: n, isIdx: true})
		default:
			return pa, nil
		}
	}
}

// value parses a literal (or a ? parameter).
func (p *pqParser) value() (AV, error) {
	t := p.peek()
	switch {
	case t.kind == 's':
		p.i++
		return AV{S: &t.text}, nil
	case t.kind == 'n':
		p.i++
		return AV{N: &t.text}, nil
	case t.kind == 'p' && t.text == "-" && p.toks[p.i+1].kind == 'n':
		p.i += 2
		v := "-" + p.toks[p.i-1].text
		return AV{N: &v}, nil
	case t.kind == 'p' && t.text == "?":
		p.i++
		if p.used >= len(p.params) {
			p.used++
			return AV{}, awserr.ValidationException.New("Number of parameters in request and statement don't match.")
		}
		p.used++
		return p.params[p.used-1], nil
	case t.kind == 'i' && (strings.EqualFold(t.text, "TRUE") || strings.EqualFold(t.text, "FALSE")):
		p.i++
		b := strings.EqualFold(t.text, "TRUE")
		return AV{BOOL: &b}, nil
	case t.kind == 'i' && strings.EqualFold(t.text, "NULL"):
		p.i++
		return AV{NULL: ptr.To(true)}, nil
	case t.kind == 'p' && t.text == "[":
		p.i++
		l := []AV{}
		for !p.isP("]") {
			v, err := p.value()
			if err != nil {
				return AV{}, err
			}
			l = append(l, v)
			if !p.isP(",") {
				break
			}
			p.i++
		}
		return AV{L: l}, p.punct("]")
	case t.kind == 'p' && t.text == "{":
		p.i++
		m := map[string]AV{}
		for !p.isP("}") {
			k := p.next()
			if k.kind != 's' && k.kind != 'q' {
				p.i--
				return AV{}, p.unexpected()
			}
			if err := p.punct(":"); err != nil {
				return AV{}, err
			}
			v, err := p.value()
			if err != nil {
				return AV{}, err
			}
			m[k.text] = v
			if !p.isP(",") {
				break
			}
			p.i++
		}
		return AV{M: m}, p.punct("}")
	case t.kind == 'p' && t.text == "<<":
		p.i++
		var set AV
		for !p.isP(">>") {
			v, err := p.value()
			if err != nil {
				return AV{}, err
			}
			switch {
			case v.S != nil && set.NS == nil && set.BS == nil:
				set.SS = append(set.SS, *v.S)
			case v.N != nil && set.SS == nil && set.BS == nil:
				set.NS = append(set.NS, *v.N)
			case v.B != nil && set.SS == nil && set.NS == nil:
				set.BS = append(set.BS, v.B)
			default:
				return AV{}, pqErr("A set must contain elements of one type: strings, numbers or binaries")
			}
			if !p.isP(",") {
				break
			}
			p.i++
		}
		if set.SS == nil && set.NS == nil && set.BS == nil {
			return AV{}, pqErr("Empty set is not supported")
		}
		return set, p.punct(">>")
	}
	return AV{}, p.unexpected()
}

func (p *pqParser) isValueStart() bool {
	t := p.peek()
	switch t.kind {
	case 's', 'n':
		return true
	case 'p':
		return t.text == "?" || t.text == "[" || t.text == "{" || t.text == "<<" || t.text == "-"
	case 'i':
		u := strings.ToUpper(t.text)
		return u == "TRUE" || u == "FALSE" || u == "NULL"
	}
	return false
}

// operand is a value, a path or a function call.
func (p *pqParser) operand() (pqOperand, error) {
	if p.isValueStart() {
		return p.value()
	}
	if t := p.peek(); t.kind == 'i' && p.toks[p.i+1].kind == 'p' && p.toks[p.i+1].text == "(" {
		return p.call()
	}
	return p.path()
}

func (p *pqParser) call() (*pqCall, error) {
	name := strings.ToLower(p.next().text)
	c := &pqCall{name: name}
	if err := p.punct("("); err != nil {
		return nil, err
	}
	for !p.isP(")") {
		a, err := p.operand()
		if err != nil {
			return nil, err
		}
		c.args = append(c.args, a)
		if !p.isP(",") {
			break
		}
		p.i++
	}
	return c, p.punct(")")
}

func (p *pqParser) setOperand() (pqOperand, error) {
	l, err := p.operand()
	if err != nil {
		return nil, err
	}
	if p.isP("+") || p.isP("-") {
		op := p.next().text
		r, err := p.operand()
		if err != nil {
			return nil, err
		}
		return &pqArith{op, l, r}, nil
	}
	return l, nil
}

func (p *pqParser) or() (pqCond, error) {
	l, err := p.and()
	for err == nil && p.isKw("OR") {
		p.i++
		var r pqCond
		if r, err = p.and(); err == nil {
			l = &pqOr{l, r}
		}
	}
	return l, err
}

func (p *pqParser) and() (pqCond, error) {
	l, err := p.not()
	for err == nil && p.isKw("AND") {
		p.i++
		var r pqCond
		if r, err = p.not(); err == nil {
			l = &pqAnd{l, r}
		}
	}
	return l, err
}

func (p *pqParser) not() (pqCond, error) {
	if p.isKw("NOT") {
		p.i++
		c, err := p.not()
		return &pqNot{c}, err
	}
	return p.primary()
}

func (p *pqParser) primary() (pqCond, error) {
	if p.isP("(") {
		p.i++
		c, err := p.or()
		if err != nil {
			return nil, err
		}
		return c, p.punct(")")
	}
	l, err := p.operand()
	if err != nil {
		return nil, err
	}
	if c, ok := l.(*pqCall); ok && !p.isCmp() {
		return &pqFuncCond{c}, nil
	}
	switch {
	case p.isCmp():
		op := p.next().text
		if op == "!=" {
			op = "<>"
		}
		r, err := p.operand()
		return &pqCmp{op, l, r}, err
	case p.isKw("BETWEEN"):
		p.i++
		lo, err := p.operand()
		if err != nil {
			return nil, err
		}
		if err := p.kw("AND"); err != nil {
			return nil, err
		}
		hi, err := p.operand()
		return &pqBetween{l, lo, hi}, err
	case p.isKw("IN"):
		p.i++
		closer := "]"
		if p.isP("(") {
			closer = ")"
		} else if !p.isP("[") {
			return nil, p.unexpected()
		}
		p.i++
		in := &pqIn{v: l}
		for !p.isP(closer) {
			o, err := p.operand()
			if err != nil {
				return nil, err
			}
			in.list = append(in.list, o)
			if !p.isP(",") {
				break
			}
			p.i++
		}
		if len(in.list) == 0 {
			return nil, p.unexpected()
		}
		return in, p.punct(closer)
	case p.isKw("IS"):
		p.i++
		pa, ok := l.(pqPath)
		if !ok {
			return nil, pqErr("IS requires an attribute path")
		}
		is := &pqIs{path: pa}
		if p.isKw("NOT") {
			p.i++
			is.not = true
		}
		switch {
		case p.isKw("MISSING"):
			is.missing = true
		case p.isKw("NULL"):
		default:
			return nil, p.unexpected()
		}
		p.i++
		return is, nil
	}
	return nil, p.unexpected()
}

func (p *pqParser) isCmp() bool {
	t := p.peek()
	if t.kind != 'p' {
		return false
	}
	switch t.text {
	case "=", "<>", "!=", "<", "<=", ">", ">=":
		return true
	}
	return false
}
