// Package vtl is a small Apache Velocity engine for API Gateway's mapping
// templates: references ($a.b.c(...), $!a, ${a}), #set, #if/#elseif/#else,
// #foreach (with $foreach.hasNext and $foreach.index), ## and #* *#
// comments, string, number, boolean, list and map literals, comparison
// and logical operators, and Java-like methods on strings, lists and maps.
// API Gateway's $input, $context, $util and $stageVariables are values the
// caller passes in (Object for the ones with methods).
//
// Rendering is bounded: Limits caps the output, the work done (loop
// iterations and evaluations) and nesting, so no template hangs or
// exhausts memory.
package vtl

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Object is a value with methods ($input, $util): Call answers the
// method name with args; ok false when it has no such method.
type Object interface {
	Call(name string, args []any) (v any, ok bool, err error)
}

// Limits bounds a rendering.
type Limits struct {
	// MaxOutput is the most bytes a rendering (or any string it builds) may
	// have.
	MaxOutput int
	// MaxSteps is the most evaluations and loop iterations.
	MaxSteps int
}

// DefaultLimits: 1 MiB of output (more than API Gateway's 10 MB payload
// would allow a template to multiply), a million steps.
var DefaultLimits = Limits{MaxOutput: 1 << 20, MaxSteps: 1_000_000}

// ErrLimit is returned when a rendering exceeds its Limits.
var ErrLimit = errors.New("vtl: template exceeds its limits")

const maxDepth = 64

// Template is a parsed template.
type Template struct{ nodes []node }

type node interface{}

type textNode string

type refNode struct {
	r   *ref
	src string
}

type setNode struct {
	target *ref
	val    expr
}

type ifNode struct {
	conds  []expr
	bodies [][]node
	els    []node
}

type foreachNode struct {
	name string
	list expr
	body []node
}

type expr interface{}

type lit struct{ v any }

type listExpr []expr

type mapExpr struct{ keys, vals []expr }

type rangeExpr struct{ from, to expr }

type binExpr struct {
	op   string
	l, r expr
}

type notExpr struct{ e expr }

type strTemplate struct{ nodes []node } // "..." with interpolation

// ref is $name followed by .prop, .method(args) or [index] segments.
type ref struct {
	silent bool
	name   string
	segs   []seg
}

type seg struct {
	name  string
	call  bool
	args  []expr
	index expr
	isIdx bool
}

// Parse parses a template.
func Parse(src string) (*Template, error) {
	p := &parser{s: src}
	nodes, end, err := p.block(0)
	if err != nil {
		return nil, err
	}
	if end != "" {
		return nil, fmt.Errorf("vtl: unexpected #%s at %d", end, p.i)
	}
	return &Template{nodes: nodes}, nil
}

type parser struct {
	s string
	i int
}

func (p *parser) errf(format string, a ...any) error {
	return fmt.Errorf("vtl: at %d: %s", p.i, fmt.Sprintf(format, a...))
}

func isIdentStart(c byte) bool { return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isIdent(c byte) bool      { return isIdentStart(c) || c >= '0' && c <= '9' || c == '-' }

// directive reads #name or #{name} at p.i, returning "" when there is none.
func (p *parser) directive() (string, int) {
	j := p.i + 1
	brace := j < len(p.s) && p.s[j] == '{'
	if brace {
		j++
	}
	k := j
	for k < len(p.s) && p.s[k] >= 'a' && p.s[k] <= 'z' {
		k++
	}
	name := p.s[j:k]
	if brace {
		if k >= len(p.s) || p.s[k] != '}' {
			return "", 0
		}
		k++
	}
	switch name {
	case "set", "if", "elseif", "else", "end", "foreach", "break", "stop":
		return name, k
	}
	return "", 0
}

// block parses nodes until #end, #else or #elseif (returned) or the end.
func (p *parser) block(depth int) ([]node, string, error) {
	if depth > maxDepth {
		return nil, "", p.errf("nesting too deep")
	}
	var nodes []node
	var text strings.Builder
	flush := func() {
		if text.Len() > 0 {
			nodes = append(nodes, textNode(text.String()))
			text.Reset()
		}
	}
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case strings.HasPrefix(p.s[p.i:], "##"):
			// A line comment takes its newline with it.
			for p.i < len(p.s) && p.s[p.i] != '\n' {
				p.i++
			}
			p.eatNewline()
		case strings.HasPrefix(p.s[p.i:], "#*"):
			end := strings.Index(p.s[p.i+2:], "*#")
			if end < 0 {
				p.i = len(p.s)
			} else {
				p.i += end + 4
			}
		case c == '#':
			name, next := p.directive()
			if name == "" {
				text.WriteByte(c)
				p.i++
				continue
			}
			flush()
			p.i = next
			switch name {
			case "end", "else", "break", "stop":
				// Velocity 1.7 (API Gateway's) drops the newline right after
				// a directive.
				p.eatNewline()
			}
			switch name {
			case "end", "else":
				return nodes, name, nil
			case "elseif":
				return nodes, name, nil
			case "break", "stop":
				nodes = append(nodes, textNode(""))
			case "set":
				n, err := p.set(depth)
				if err != nil {
					return nil, "", err
				}
				nodes = append(nodes, n)
			case "if":
				n, err := p.ifDirective(depth)
				if err != nil {
					return nil, "", err
				}
				nodes = append(nodes, n)
			case "foreach":
				n, err := p.foreach(depth)
				if err != nil {
					return nil, "", err
				}
				nodes = append(nodes, n)
			}
		case c == '$':
			start := p.i
			r, ok, err := p.reference(depth)
			if err != nil {
				return nil, "", err
			}
			if !ok {
				text.WriteByte(c)
				p.i = start + 1
				continue
			}
			flush()
			nodes = append(nodes, refNode{r: r, src: p.s[start:p.i]})
		case c == '\\' && p.i+1 < len(p.s) && (p.s[p.i+1] == '$' || p.s[p.i+1] == '#'):
			// \$ and \# escape a reference or directive.
			text.WriteByte(p.s[p.i+1])
			p.i += 2
		default:
			text.WriteByte(c)
			p.i++
		}
	}
	flush()
	return nodes, "", nil
}

func (p *parser) skipSpace() {
	for p.i < len(p.s) && strings.IndexByte(" \t\r\n", p.s[p.i]) >= 0 {
		p.i++
	}
}

func (p *parser) expect(c byte) error {
	p.skipSpace()
	if p.i >= len(p.s) || p.s[p.i] != c {
		return p.errf("expected %q", c)
	}
	p.i++
	return nil
}

// eatLine drops the rest of a line holding only a directive, as Velocity
// does for #set, #end... followed by a newline.
func (p *parser) eatNewline() {
	if strings.HasPrefix(p.s[p.i:], "\r\n") {
		p.i += 2
	} else if p.i < len(p.s) && p.s[p.i] == '\n' {
		p.i++
	}
}

func (p *parser) set(depth int) (node, error) {
	if err := p.expect('('); err != nil {
		return nil, err
	}
	p.skipSpace()
	r, ok, err := p.reference(depth)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, p.errf("#set needs a reference")
	}
	if err := p.expect('='); err != nil {
		return nil, err
	}
	v, err := p.expr(depth + 1)
	if err != nil {
		return nil, err
	}
	if err := p.expect(')'); err != nil {
		return nil, err
	}
	p.eatNewline()
	return setNode{target: r, val: v}, nil
}

func (p *parser) ifDirective(depth int) (node, error) {
	n := ifNode{}
	for {
		if err := p.expect('('); err != nil {
			return nil, err
		}
		cond, err := p.expr(depth + 1)
		if err != nil {
			return nil, err
		}
		if err := p.expect(')'); err != nil {
			return nil, err
		}
		p.eatNewline()
		body, end, err := p.block(depth + 1)
		if err != nil {
			return nil, err
		}
		n.conds = append(n.conds, cond)
		n.bodies = append(n.bodies, body)
		switch end {
		case "elseif":
			continue
		case "else":
			els, end, err := p.block(depth + 1)
			if err != nil {
				return nil, err
			}
			if end != "end" {
				return nil, p.errf("#else without #end")
			}
			n.els = els
			return n, nil
		case "end":
			return n, nil
		default:
			return nil, p.errf("#if without #end")
		}
	}
}

func (p *parser) foreach(depth int) (node, error) {
	if err := p.expect('('); err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.i >= len(p.s) || p.s[p.i] != '$' {
		return nil, p.errf("#foreach needs a variable")
	}
	p.i++
	start := p.i
	for p.i < len(p.s) && isIdent(p.s[p.i]) {
		p.i++
	}
	name := p.s[start:p.i]
	p.skipSpace()
	if !strings.HasPrefix(p.s[p.i:], "in") {
		return nil, p.errf("#foreach needs 'in'")
	}
	p.i += 2
	list, err := p.expr(depth + 1)
	if err != nil {
		return nil, err
	}
	if err := p.expect(')'); err != nil {
		return nil, err
	}
	p.eatNewline()
	body, end, err := p.block(depth + 1)
	if err != nil {
		return nil, err
	}
	if end != "end" {
		return nil, p.errf("#foreach without #end")
	}
	return foreachNode{name: name, list: list, body: body}, nil
}

// reference parses $name..., ok false when '$' does not start one.
func (p *parser) reference(depth int) (*ref, bool, error) {
	j := p.i + 1
	r := &ref{}
	if j < len(p.s) && p.s[j] == '!' {
		r.silent = true
		j++
	}
	brace := j < len(p.s) && p.s[j] == '{'
	if brace {
		j++
	}
	if j >= len(p.s) || !isIdentStart(p.s[j]) {
		return nil, false, nil
	}
	k := j
	for k < len(p.s) && isIdent(p.s[k]) {
		k++
	}
	r.name = p.s[j:k]
	p.i = k
	for p.i < len(p.s) {
		c := p.s[p.i]
		if c == '.' && p.i+1 < len(p.s) && isIdentStart(p.s[p.i+1]) {
			k := p.i + 1
			for k < len(p.s) && isIdent(p.s[k]) {
				k++
			}
			sg := seg{name: p.s[p.i+1 : k]}
			p.i = k
			if p.i < len(p.s) && p.s[p.i] == '(' {
				p.i++
				args, err := p.args(')', depth)
				if err != nil {
					return nil, false, err
				}
				sg.call, sg.args = true, args
			}
			r.segs = append(r.segs, sg)
			continue
		}
		if c == '[' {
			p.i++
			ix, err := p.expr(depth + 1)
			if err != nil {
				return nil, false, err
			}
			if err := p.expect(']'); err != nil {
				return nil, false, err
			}
			r.segs = append(r.segs, seg{isIdx: true, index: ix})
			continue
		}
		break
	}
	if brace {
		if p.i >= len(p.s) || p.s[p.i] != '}' {
			return nil, false, p.errf("expected }")
		}
		p.i++
	}
	return r, true, nil
}

func (p *parser) args(closer byte, depth int) ([]expr, error) {
	var out []expr
	p.skipSpace()
	if p.i < len(p.s) && p.s[p.i] == closer {
		p.i++
		return out, nil
	}
	for {
		e, err := p.expr(depth + 1)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
		p.skipSpace()
		if p.i < len(p.s) && p.s[p.i] == ',' {
			p.i++
			continue
		}
		if err := p.expect(closer); err != nil {
			return nil, err
		}
		return out, nil
	}
}

var binOps = [][]string{{"||", "or"}, {"&&", "and"}, {"==", "!=", "<=", ">=", "<", ">", "eq", "ne", "lt", "gt", "le", "ge"}, {"+", "-"}, {"*", "/", "%"}}

func (p *parser) expr(depth int) (expr, error) { return p.binary(0, depth) }

func (p *parser) binary(level, depth int) (expr, error) {
	if depth > maxDepth {
		return nil, p.errf("expression too deep")
	}
	if level == len(binOps) {
		return p.unary(depth)
	}
	l, err := p.binary(level+1, depth+1)
	if err != nil {
		return nil, err
	}
	for {
		p.skipSpace()
		op := ""
		for _, o := range binOps[level] {
			if strings.HasPrefix(p.s[p.i:], o) {
				word := isIdentStart(o[0])
				if word && (p.i+len(o) < len(p.s) && isIdent(p.s[p.i+len(o)])) {
					continue
				}
				op = o
				break
			}
		}
		if op == "" {
			return l, nil
		}
		p.i += len(op)
		r, err := p.binary(level+1, depth+1)
		if err != nil {
			return nil, err
		}
		l = binExpr{op: op, l: l, r: r}
	}
}

func (p *parser) unary(depth int) (expr, error) {
	p.skipSpace()
	if p.i >= len(p.s) {
		return nil, p.errf("expression expected")
	}
	c := p.s[p.i]
	switch {
	case c == '!':
		p.i++
		e, err := p.unary(depth + 1)
		return notExpr{e}, err
	case strings.HasPrefix(p.s[p.i:], "not "):
		p.i += 4
		e, err := p.unary(depth + 1)
		return notExpr{e}, err
	case c == '(':
		p.i++
		e, err := p.expr(depth + 1)
		if err != nil {
			return nil, err
		}
		return e, p.expect(')')
	case c == '\'' || c == '"':
		end := strings.IndexByte(p.s[p.i+1:], c)
		if end < 0 {
			return nil, p.errf("unterminated string")
		}
		s := p.s[p.i+1 : p.i+1+end]
		p.i += end + 2
		if c == '\'' {
			return lit{s}, nil
		}
		sub := &parser{s: s}
		nodes, endd, err := sub.block(depth + 1)
		if err != nil || endd != "" {
			return lit{s}, nil
		}
		return strTemplate{nodes}, nil
	case c == '$':
		r, ok, err := p.reference(depth)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, p.errf("reference expected")
		}
		return r, nil
	case c == '[':
		p.i++
		p.skipSpace()
		if p.i < len(p.s) && p.s[p.i] == ']' {
			p.i++
			return listExpr{}, nil
		}
		first, err := p.expr(depth + 1)
		if err != nil {
			return nil, err
		}
		p.skipSpace()
		if strings.HasPrefix(p.s[p.i:], "..") {
			p.i += 2
			to, err := p.expr(depth + 1)
			if err != nil {
				return nil, err
			}
			return rangeExpr{first, to}, p.expect(']')
		}
		rest := []expr{first}
		if p.i < len(p.s) && p.s[p.i] == ',' {
			p.i++
			more, err := p.args(']', depth)
			if err != nil {
				return nil, err
			}
			rest = append(rest, more...)
		} else if err := p.expect(']'); err != nil {
			return nil, err
		}
		return listExpr(rest), nil
	case c == '{':
		p.i++
		m := mapExpr{}
		p.skipSpace()
		if p.i < len(p.s) && p.s[p.i] == '}' {
			p.i++
			return m, nil
		}
		for {
			k, err := p.expr(depth + 1)
			if err != nil {
				return nil, err
			}
			if err := p.expect(':'); err != nil {
				return nil, err
			}
			v, err := p.expr(depth + 1)
			if err != nil {
				return nil, err
			}
			m.keys, m.vals = append(m.keys, k), append(m.vals, v)
			p.skipSpace()
			if p.i < len(p.s) && p.s[p.i] == ',' {
				p.i++
				continue
			}
			return m, p.expect('}')
		}
	case c == '-' || c >= '0' && c <= '9':
		j := p.i + 1
		for j < len(p.s) && (p.s[j] >= '0' && p.s[j] <= '9' || p.s[j] == '.' && !strings.HasPrefix(p.s[j:], "..")) {
			j++
		}
		num := p.s[p.i:j]
		p.i = j
		if n, err := strconv.ParseInt(num, 10, 64); err == nil {
			return lit{n}, nil
		}
		f, err := strconv.ParseFloat(num, 64)
		if err != nil {
			return nil, p.errf("bad number %q", num)
		}
		return lit{f}, nil
	}
	for _, w := range []struct {
		s string
		v any
	}{{"true", true}, {"false", false}, {"null", nil}} {
		if strings.HasPrefix(p.s[p.i:], w.s) {
			p.i += len(w.s)
			return lit{w.v}, nil
		}
	}
	return nil, p.errf("unexpected %q", c)
}

// Render renders t with vars (the template's top-level references).
func (t *Template) Render(vars map[string]any, lim Limits) (string, error) {
	r := &renderer{vars: map[string]any{}, lim: lim}
	for k, v := range vars {
		r.vars[k] = v
	}
	var b strings.Builder
	err := r.nodes(&b, t.nodes)
	if errors.Is(err, errStop) {
		err = nil
	}
	return b.String(), err
}

type renderer struct {
	vars  map[string]any
	lim   Limits
	steps int
}

var errStop = errors.New("stop")

func (r *renderer) step() error {
	r.steps++
	if r.steps > r.lim.MaxSteps {
		return ErrLimit
	}
	return nil
}

func (r *renderer) write(b *strings.Builder, s string) error {
	if b.Len()+len(s) > r.lim.MaxOutput {
		return ErrLimit
	}
	b.WriteString(s)
	return nil
}

func (r *renderer) nodes(b *strings.Builder, ns []node) error {
	for _, n := range ns {
		if err := r.step(); err != nil {
			return err
		}
		switch n := n.(type) {
		case textNode:
			if err := r.write(b, string(n)); err != nil {
				return err
			}
		case refNode:
			v, defined, err := r.ref(n.r)
			if err != nil {
				return err
			}
			s := ""
			if v != nil {
				s = String(v)
			} else if !defined && !n.r.silent {
				// Velocity renders an unresolved reference as written.
				s = n.src
			}
			if err := r.write(b, s); err != nil {
				return err
			}
		case setNode:
			v, err := r.eval(n.val)
			if err != nil {
				return err
			}
			if err := r.assign(n.target, v); err != nil {
				return err
			}
		case ifNode:
			done := false
			for i, c := range n.conds {
				v, err := r.eval(c)
				if err != nil {
					return err
				}
				if truthy(v) {
					if err := r.nodes(b, n.bodies[i]); err != nil {
						return err
					}
					done = true
					break
				}
			}
			if !done {
				if err := r.nodes(b, n.els); err != nil {
					return err
				}
			}
		case foreachNode:
			v, err := r.eval(n.list)
			if err != nil {
				return err
			}
			items := iterate(v)
			saved, had := r.vars[n.name]
			savedLoop, hadLoop := r.vars["foreach"]
			for i, it := range items {
				if err := r.step(); err != nil {
					return err
				}
				r.vars[n.name] = it
				r.vars["foreach"] = map[string]any{"index": int64(i), "count": int64(i + 1), "hasNext": i+1 < len(items), "first": i == 0, "last": i+1 == len(items)}
				r.vars["velocityCount"] = int64(i + 1)
				if err := r.nodes(b, n.body); err != nil {
					return err
				}
			}
			restore(r.vars, n.name, saved, had)
			restore(r.vars, "foreach", savedLoop, hadLoop)
		}
	}
	return nil
}

func restore(m map[string]any, k string, v any, had bool) {
	if had {
		m[k] = v
	} else {
		delete(m, k)
	}
}

func iterate(v any) []any {
	switch v := v.(type) {
	case []any:
		return v
	case map[string]any:
		// Velocity iterates a map's values.
		keys := sortedKeys(v)
		out := make([]any, len(keys))
		for i, k := range keys {
			out[i] = v[k]
		}
		return out
	}
	return nil
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func (r *renderer) assign(t *ref, v any) error {
	if len(t.segs) == 0 {
		r.vars[t.name] = v
		return nil
	}
	// $a.b = v sets key b of map $a.
	parent, _, err := r.walk(&ref{name: t.name, segs: t.segs[:len(t.segs)-1]})
	if err != nil {
		return err
	}
	last := t.segs[len(t.segs)-1]
	if m, ok := parent.(map[string]any); ok && !last.call {
		key := last.name
		if last.isIdx {
			k, err := r.eval(last.index)
			if err != nil {
				return err
			}
			key = String(k)
		}
		m[key] = v
	}
	return nil
}

func (r *renderer) ref(x *ref) (any, bool, error) { return r.walk(x) }

// walk evaluates a reference; defined is false when its root variable is
// unknown.
func (r *renderer) walk(x *ref) (any, bool, error) {
	v, ok := r.vars[x.name]
	if !ok {
		return nil, false, nil
	}
	for _, s := range x.segs {
		if err := r.step(); err != nil {
			return nil, true, err
		}
		if v == nil {
			return nil, true, nil
		}
		if s.isIdx {
			ix, err := r.eval(s.index)
			if err != nil {
				return nil, true, err
			}
			v = index(v, ix)
			continue
		}
		var args []any
		for _, a := range s.args {
			av, err := r.eval(a)
			if err != nil {
				return nil, true, err
			}
			args = append(args, av)
		}
		var err error
		v, err = r.member(v, s.name, s.call, args)
		if err != nil {
			return nil, true, err
		}
	}
	return v, true, nil
}

func index(v, ix any) any {
	switch v := v.(type) {
	case []any:
		if n, ok := toInt(ix); ok && n >= 0 && n < int64(len(v)) {
			return v[n]
		}
	case map[string]any:
		return v[String(ix)]
	}
	return nil
}

func (r *renderer) member(v any, name string, call bool, args []any) (any, error) {
	if o, ok := v.(Object); ok {
		out, ok, err := o.Call(name, args)
		if ok || err != nil {
			return out, err
		}
		if !call {
			// A property of an object is its getter: $context.x is getX().
			out, ok, err := o.Call("get"+strings.ToUpper(name[:1])+name[1:], args)
			if ok || err != nil {
				return out, err
			}
		}
		return nil, nil
	}
	if !call {
		if m, ok := v.(map[string]any); ok {
			return m[name], nil
		}
		return nil, nil
	}
	return r.method(v, name, args)
}

// method is a Java method on a string, list or map.
func (r *renderer) method(v any, name string, args []any) (any, error) {
	arg := func(i int) any {
		if i < len(args) {
			return args[i]
		}
		return nil
	}
	switch v := v.(type) {
	case string:
		switch name {
		case "length", "size":
			return int64(len([]rune(v))), nil
		case "isEmpty":
			return v == "", nil
		case "toLowerCase":
			return strings.ToLower(v), nil
		case "toUpperCase":
			return strings.ToUpper(v), nil
		case "trim":
			return strings.TrimSpace(v), nil
		case "contains":
			return strings.Contains(v, String(arg(0))), nil
		case "startsWith":
			return strings.HasPrefix(v, String(arg(0))), nil
		case "endsWith":
			return strings.HasSuffix(v, String(arg(0))), nil
		case "equals":
			return v == String(arg(0)), nil
		case "indexOf":
			return int64(strings.Index(v, String(arg(0)))), nil
		case "replace":
			return r.bounded(strings.ReplaceAll(v, String(arg(0)), String(arg(1))))
		case "replaceAll":
			return r.replaceAll(v, String(arg(0)), String(arg(1)))
		case "split":
			parts := strings.Split(v, String(arg(0)))
			out := make([]any, len(parts))
			for i, p := range parts {
				out[i] = p
			}
			return out, nil
		case "substring":
			rs := []rune(v)
			from, _ := toInt(arg(0))
			to := int64(len(rs))
			if len(args) > 1 {
				to, _ = toInt(arg(1))
			}
			if from < 0 || to > int64(len(rs)) || from > to {
				return nil, nil
			}
			return string(rs[from:to]), nil
		case "toString":
			return v, nil
		}
	case []any:
		switch name {
		case "size":
			return int64(len(v)), nil
		case "isEmpty":
			return len(v) == 0, nil
		case "get":
			return index(v, arg(0)), nil
		case "contains":
			for _, x := range v {
				if equal(x, arg(0)) {
					return true, nil
				}
			}
			return false, nil
		case "add":
			// Lists are values here: add does not grow the original.
			return true, nil
		}
	case map[string]any:
		switch name {
		case "size":
			return int64(len(v)), nil
		case "isEmpty":
			return len(v) == 0, nil
		case "get":
			return v[String(arg(0))], nil
		case "containsKey":
			_, ok := v[String(arg(0))]
			return ok, nil
		case "keySet":
			keys := sortedKeys(v)
			out := make([]any, len(keys))
			for i, k := range keys {
				out[i] = k
			}
			return out, nil
		case "put":
			old := v[String(arg(0))]
			v[String(arg(0))] = arg(1)
			return old, nil
		}
	}
	return nil, nil
}

func (r *renderer) bounded(s string) (any, error) {
	if len(s) > r.lim.MaxOutput {
		return nil, ErrLimit
	}
	return s, nil
}

func (r *renderer) eval(e expr) (any, error) {
	if err := r.step(); err != nil {
		return nil, err
	}
	switch e := e.(type) {
	case lit:
		return e.v, nil
	case *ref:
		v, _, err := r.walk(e)
		return v, err
	case strTemplate:
		var b strings.Builder
		if err := r.nodes(&b, e.nodes); err != nil {
			return nil, err
		}
		return b.String(), nil
	case listExpr:
		out := make([]any, 0, len(e))
		for _, x := range e {
			v, err := r.eval(x)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case mapExpr:
		out := map[string]any{}
		for i := range e.keys {
			k, err := r.eval(e.keys[i])
			if err != nil {
				return nil, err
			}
			v, err := r.eval(e.vals[i])
			if err != nil {
				return nil, err
			}
			out[String(k)] = v
		}
		return out, nil
	case rangeExpr:
		fv, err := r.eval(e.from)
		if err != nil {
			return nil, err
		}
		tv, err := r.eval(e.to)
		if err != nil {
			return nil, err
		}
		from, _ := toInt(fv)
		to, _ := toInt(tv)
		var out []any
		for i := from; ; {
			if err := r.step(); err != nil {
				return nil, err
			}
			out = append(out, i)
			if i == to {
				break
			}
			if from < to {
				i++
			} else {
				i--
			}
		}
		return out, nil
	case notExpr:
		v, err := r.eval(e.e)
		return !truthy(v), err
	case binExpr:
		l, err := r.eval(e.l)
		if err != nil {
			return nil, err
		}
		switch e.op {
		case "&&", "and":
			if !truthy(l) {
				return false, nil
			}
			rv, err := r.eval(e.r)
			return truthy(rv), err
		case "||", "or":
			if truthy(l) {
				return true, nil
			}
			rv, err := r.eval(e.r)
			return truthy(rv), err
		}
		rv, err := r.eval(e.r)
		if err != nil {
			return nil, err
		}
		return r.binary(e.op, l, rv)
	}
	return nil, nil
}

func (r *renderer) binary(op string, l, rv any) (any, error) {
	switch op {
	case "==", "eq":
		return equal(l, rv), nil
	case "!=", "ne":
		return !equal(l, rv), nil
	case "+":
		if ls, ok := l.(string); ok {
			return r.bounded(ls + String(rv))
		}
		if rs, ok := rv.(string); ok {
			return r.bounded(String(l) + rs)
		}
	}
	li, lint := toInt(l)
	ri, rint := toInt(rv)
	lf, lok := toFloat(l)
	rf, rok := toFloat(rv)
	if !lok || !rok {
		return nil, nil
	}
	ints := lint && rint
	switch op {
	case "<", "lt":
		return lf < rf, nil
	case ">", "gt":
		return lf > rf, nil
	case "<=", "le":
		return lf <= rf, nil
	case ">=", "ge":
		return lf >= rf, nil
	case "+":
		if ints {
			return li + ri, nil
		}
		return lf + rf, nil
	case "-":
		if ints {
			return li - ri, nil
		}
		return lf - rf, nil
	case "*":
		if ints {
			return li * ri, nil
		}
		return lf * rf, nil
	case "/":
		if ints {
			if ri == 0 {
				return nil, nil
			}
			return li / ri, nil
		}
		return lf / rf, nil
	case "%":
		if ints && ri != 0 {
			return li % ri, nil
		}
	}
	return nil, nil
}

func toInt(v any) (int64, bool) {
	switch v := v.(type) {
	case int64:
		return v, true
	case int:
		return int64(v), true
	case float64:
		if v == float64(int64(v)) {
			return int64(v), true
		}
	case string:
		n, err := strconv.ParseInt(v, 10, 64)
		return n, err == nil
	}
	return 0, false
}

func toFloat(v any) (float64, bool) {
	switch v := v.(type) {
	case int64:
		return float64(v), true
	case int:
		return float64(v), true
	case float64:
		return v, true
	}
	return 0, false
}

func equal(a, b any) bool {
	if af, ok := toFloat(a); ok {
		if bf, ok := toFloat(b); ok {
			return af == bf
		}
	}
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return String(a) == String(b)
}

// truthy is Velocity's condition: false and null are false, everything
// else true.
func truthy(v any) bool {
	switch v := v.(type) {
	case nil:
		return false
	case bool:
		return v
	}
	return true
}

// String renders a value as Velocity (Java's toString) does: lists as
// [a, b], maps as {k=v}.
func String(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case bool:
		return strconv.FormatBool(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case int:
		return strconv.Itoa(v)
	case float64:
		if v == float64(int64(v)) {
			return strconv.FormatFloat(v, 'f', 1, 64)
		}
		return strconv.FormatFloat(v, 'g', -1, 64)
	case []any:
		parts := make([]string, len(v))
		for i, x := range v {
			parts[i] = String(x)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		keys := sortedKeys(v)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + "=" + String(v[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case fmt.Stringer:
		return v.String()
	}
	return fmt.Sprint(v)
}
