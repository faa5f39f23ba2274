package expr

import (
	"bytes"
	"strings"
)

// Operand is one side of a comparison or a function argument.
type Operand interface{ operand() }

// PathOp is a document path operand.
type PathOp struct{ Path Path }

// ValueOp is an expression attribute value (":v").
type ValueOp struct {
	Name  string
	Value AV
}

// SizeOp is size(path).
type SizeOp struct{ Path Path }

func (*PathOp) operand()  {}
func (*ValueOp) operand() {}
func (*SizeOp) operand()  {}

// Cond is a parsed condition (also filter and key condition).
type Cond interface {
	// Eval reports whether the item satisfies the condition; a missing
	// item is an empty one.
	Eval(it Item) bool
}

// Compare is L Op R with Op one of = <> < <= > >=.
type Compare struct {
	Op   string
	L, R Operand
}

// Between is V BETWEEN Lo AND Hi.
type Between struct{ V, Lo, Hi Operand }

// In is V IN (List...).
type In struct {
	V    Operand
	List []Operand
}

// And, Or and Not combine conditions.
type (
	And struct{ L, R Cond }
	Or  struct{ L, R Cond }
	Not struct{ C Cond }
)

// Func is a boolean function: attribute_exists, attribute_not_exists,
// attribute_type, begins_with or contains.
type Func struct {
	Name string
	Args []Operand
}

// ParseCondition parses a condition, filter or key condition expression.
func ParseCondition(kind Kind, src string, env *Env) (Cond, error) {
	p, err := newParser(kind, src, env)
	if err != nil {
		return nil, err
	}
	c, err := p.or()
	if err != nil {
		return nil, err
	}
	if err := p.expectEOF(); err != nil {
		return nil, err
	}
	return c, nil
}

func (p *parser) or() (Cond, error) {
	l, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.isKeyword("OR") {
		p.next()
		if err := p.op(); err != nil {
			return nil, err
		}
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		l = &Or{l, r}
	}
	return l, nil
}

func (p *parser) and() (Cond, error) {
	l, err := p.not()
	if err != nil {
		return nil, err
	}
	for p.isKeyword("AND") {
		p.next()
		if err := p.op(); err != nil {
			return nil, err
		}
		r, err := p.not()
		if err != nil {
			return nil, err
		}
		l = &And{l, r}
	}
	return l, nil
}

func (p *parser) not() (Cond, error) {
	if p.isKeyword("NOT") {
		p.next()
		if err := p.op(); err != nil {
			return nil, err
		}
		c, err := p.not()
		if err != nil {
			return nil, err
		}
		return &Not{c}, nil
	}
	return p.primary()
}

var condFuncs = map[string]int{"attribute_exists": 1, "attribute_not_exists": 1, "attribute_type": 2, "begins_with": 2, "contains": 2}

var validTypes = map[string]bool{"S": true, "N": true, "B": true, "SS": true, "NS": true, "BS": true, "M": true, "L": true, "NULL": true, "BOOL": true}

func (p *parser) primary() (Cond, error) {
	if p.isOp("(") {
		p.next()
		c, err := p.or()
		if err != nil {
			return nil, err
		}
		if err := p.expectOp(")"); err != nil {
			return nil, err
		}
		return c, nil
	}
	t := p.peek()
	if t.kind == tIdent && p.toks[p.i+1].kind == tOp && p.toks[p.i+1].text == "(" && t.text != "size" {
		return p.condFunc()
	}
	l, err := p.operand()
	if err != nil {
		return nil, err
	}
	switch {
	case p.isKeyword("BETWEEN"):
		p.next()
		if err := p.op(); err != nil {
			return nil, err
		}
		lo, err := p.operand()
		if err != nil {
			return nil, err
		}
		if !p.isKeyword("AND") {
			return nil, p.syntaxErr()
		}
		p.next()
		hi, err := p.operand()
		if err != nil {
			return nil, err
		}
		if a, b, ok := bothValues(lo, hi); ok {
			if c, comparable := CompareValues(a, b); comparable && c > 0 {
				return nil, errf("Invalid %s: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {%s}, upper bound operand: AttributeValue: {%s}", p.kind, avString(a), avString(b))
			}
		}
		return &Between{l, lo, hi}, nil
	case p.isKeyword("IN"):
		p.next()
		if err := p.op(); err != nil {
			return nil, err
		}
		if err := p.expectOp("("); err != nil {
			return nil, err
		}
		var list []Operand
		for {
			o, err := p.operand()
			if err != nil {
				return nil, err
			}
			list = append(list, o)
			if p.isOp(",") {
				p.next()
				continue
			}
			break
		}
		if err := p.expectOp(")"); err != nil {
			return nil, err
		}
		if len(list) > MaxInOperands {
			return nil, errf("Invalid %s: The IN operator is provided with too many operands; number of operands: %d", p.kind, len(list))
		}
		return &In{l, list}, nil
	}
	t = p.peek()
	if t.kind == tOp {
		switch t.text {
		case "=", "<>", "<", "<=", ">", ">=":
			p.next()
			if err := p.op(); err != nil {
				return nil, err
			}
			r, err := p.operand()
			if err != nil {
				return nil, err
			}
			return &Compare{t.text, l, r}, nil
		}
	}
	return nil, p.syntaxErr()
}

func bothValues(a, b Operand) (AV, AV, bool) {
	va, ok1 := a.(*ValueOp)
	vb, ok2 := b.(*ValueOp)
	if !ok1 || !ok2 {
		return AV{}, AV{}, false
	}
	return va.Value, vb.Value, true
}

func avString(v AV) string {
	switch TypeOf(v) {
	case "S":
		return "S:" + *v.S
	case "N":
		return "N:" + *v.N
	}
	return TypeOf(v)
}

func (p *parser) condFunc() (Cond, error) {
	name := p.next().text
	arity, ok := condFuncs[name]
	if !ok {
		if name == "if_not_exists" || name == "list_append" {
			return nil, errf("Invalid %s: The function is not allowed to be used this way in an expression; function: %s", p.kind, name)
		}
		return nil, errf("Invalid %s: Invalid function name; function: %s", p.kind, name)
	}
	if p.kind == KindKey && name != "begins_with" {
		return nil, errf("Invalid %s: The function is not allowed in a key condition; function: %s", p.kind, name)
	}
	p.next() // (
	if err := p.op(); err != nil {
		return nil, err
	}
	var args []Operand
	for {
		o, err := p.operand()
		if err != nil {
			return nil, err
		}
		args = append(args, o)
		if p.isOp(",") {
			p.next()
			continue
		}
		break
	}
	if err := p.expectOp(")"); err != nil {
		return nil, err
	}
	if len(args) != arity {
		return nil, errf("Invalid %s: Incorrect number of operands for operator or function; operator or function: %s, number of operands: %d", p.kind, name, len(args))
	}
	if _, ok := args[0].(*PathOp); !ok {
		return nil, errf("Invalid %s: Operator or function requires a document path; operator or function: %s", p.kind, name)
	}
	switch name {
	case "attribute_type":
		if v, ok := args[1].(*ValueOp); ok {
			if v.Value.S == nil {
				return nil, errf("Invalid %s: Incorrect operand type for operator or function; operator or function: %s, operand type: %s", p.kind, name, TypeOf(v.Value))
			}
			if !validTypes[*v.Value.S] {
				return nil, errf("Invalid %s: Invalid attribute type name found; type: %s, valid types: { B,NULL,SS,BOOL,L,BS,N,NS,S,M }", p.kind, *v.Value.S)
			}
		}
	case "begins_with":
		if v, ok := args[1].(*ValueOp); ok {
			if tt := TypeOf(v.Value); tt != "S" && tt != "B" {
				return nil, errf("Invalid %s: Incorrect operand type for operator or function; operator or function: %s, operand type: %s", p.kind, name, tt)
			}
		}
	}
	return &Func{name, args}, nil
}

func (p *parser) operand() (Operand, error) {
	t := p.peek()
	switch t.kind {
	case tValue:
		name, err := p.value()
		if err != nil {
			return nil, err
		}
		return &ValueOp{Name: name, Value: p.env.Values[name]}, nil
	case tIdent:
		if p.toks[p.i+1].kind == tOp && p.toks[p.i+1].text == "(" {
			if t.text != "size" {
				if _, ok := condFuncs[t.text]; ok {
					return nil, errf("Invalid %s: The function is not allowed to be used this way in an expression; function: %s", p.kind, t.text)
				}
				return nil, errf("Invalid %s: Invalid function name; function: %s", p.kind, t.text)
			}
			if p.kind == KindKey {
				return nil, errf("Invalid %s: The function is not allowed in a key condition; function: size", p.kind)
			}
			p.next()
			p.next()
			if err := p.op(); err != nil {
				return nil, err
			}
			if p.peek().kind == tValue {
				name, err := p.value()
				if err != nil {
					return nil, err
				}
				return nil, errf("Invalid %s: Incorrect operand type for operator or function; operator or function: size, operand type: %s", p.kind, TypeOf(p.env.Values[name]))
			}
			pa, err := p.path()
			if err != nil {
				return nil, err
			}
			if err := p.expectOp(")"); err != nil {
				return nil, err
			}
			return &SizeOp{pa}, nil
		}
		fallthrough
	case tName:
		pa, err := p.path()
		if err != nil {
			return nil, err
		}
		return &PathOp{pa}, nil
	}
	return nil, p.syntaxErr()
}

// ---- evaluation ----

func evalOperand(o Operand, it Item) (AV, bool) {
	switch o := o.(type) {
	case *ValueOp:
		return o.Value, true
	case *PathOp:
		return Get(it, o.Path)
	case *SizeOp:
		v, ok := Get(it, o.Path)
		if !ok {
			return AV{}, false
		}
		n, ok := Size(v)
		if !ok {
			return AV{}, false
		}
		s := itoa(n)
		return AV{N: &s}, true
	}
	return AV{}, false
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

// Get follows a document path into an item.
func Get(it Item, pa Path) (AV, bool) {
	if len(pa) == 0 || pa[0].IsIndex {
		return AV{}, false
	}
	v, ok := it[pa[0].Name]
	if !ok {
		return AV{}, false
	}
	for _, e := range pa[1:] {
		switch {
		case e.IsIndex:
			if v.L == nil || e.Index >= len(v.L) {
				return AV{}, false
			}
			v = v.L[e.Index]
		default:
			if v.M == nil {
				return AV{}, false
			}
			if v, ok = v.M[e.Name]; !ok {
				return AV{}, false
			}
		}
	}
	return v, true
}

// Eval implements Cond.
func (c *Compare) Eval(it Item) bool {
	l, okl := evalOperand(c.L, it)
	r, okr := evalOperand(c.R, it)
	if !okl || !okr {
		// A missing attribute is unequal to everything.
		return c.Op == "<>" && (okl || okr)
	}
	switch c.Op {
	case "=":
		return Equal(l, r)
	case "<>":
		return !Equal(l, r)
	}
	n, ok := CompareValues(l, r)
	if !ok {
		return false
	}
	switch c.Op {
	case "<":
		return n < 0
	case "<=":
		return n <= 0
	case ">":
		return n > 0
	}
	return n >= 0
}

// Eval implements Cond.
func (c *Between) Eval(it Item) bool {
	v, ok := evalOperand(c.V, it)
	lo, ok2 := evalOperand(c.Lo, it)
	hi, ok3 := evalOperand(c.Hi, it)
	if !ok || !ok2 || !ok3 {
		return false
	}
	a, ok := CompareValues(v, lo)
	b, ok2 := CompareValues(v, hi)
	return ok && ok2 && a >= 0 && b <= 0
}

// Eval implements Cond.
func (c *In) Eval(it Item) bool {
	v, ok := evalOperand(c.V, it)
	if !ok {
		return false
	}
	for _, o := range c.List {
		if w, ok := evalOperand(o, it); ok && Equal(v, w) {
			return true
		}
	}
	return false
}

// Eval implements Cond.
func (c *And) Eval(it Item) bool { return c.L.Eval(it) && c.R.Eval(it) }

// Eval implements Cond.
func (c *Or) Eval(it Item) bool { return c.L.Eval(it) || c.R.Eval(it) }

// Eval implements Cond.
func (c *Not) Eval(it Item) bool { return !c.C.Eval(it) }

// Eval implements Cond.
func (c *Func) Eval(it Item) bool {
	v, ok := evalOperand(c.Args[0], it)
	switch c.Name {
	case "attribute_exists":
		return ok
	case "attribute_not_exists":
		return !ok
	}
	if !ok {
		return false
	}
	arg, ok := evalOperand(c.Args[1], it)
	if !ok {
		return false
	}
	switch c.Name {
	case "attribute_type":
		return arg.S != nil && TypeOf(v) == *arg.S
	case "begins_with":
		switch {
		case v.S != nil && arg.S != nil:
			return strings.HasPrefix(*v.S, *arg.S)
		case v.B != nil && arg.B != nil:
			return bytes.HasPrefix(v.B, arg.B)
		}
		return false
	case "contains":
		switch TypeOf(v) {
		case "S":
			return arg.S != nil && strings.Contains(*v.S, *arg.S)
		case "B":
			return arg.B != nil && bytes.Contains(v.B, arg.B)
		case "SS":
			return arg.S != nil && contains(v.SS, *arg.S)
		case "NS":
			if arg.N == nil {
				return false
			}
			for _, n := range v.NS {
				if cmpNum(n, *arg.N) == 0 {
					return true
				}
			}
		case "BS":
			if arg.B == nil {
				return false
			}
			for _, b := range v.BS {
				if bytes.Equal(b, arg.B) {
					return true
				}
			}
		case "L":
			for _, e := range v.L {
				if Equal(e, arg) {
					return true
				}
			}
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
