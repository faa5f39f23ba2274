package expr

import (
	"sort"
	"strings"

	"github.com/niwa-cloud/niwa/internal/service/dynamodb/decimal"
)

// ParseProjection parses a ProjectionExpression: comma-separated paths.
func ParseProjection(src string, env *Env) ([]Path, error) {
	p, err := newParser(KindProjection, src, env)
	if err != nil {
		return nil, err
	}
	var out []Path
	for {
		pa, err := p.path()
		if err != nil {
			return nil, err
		}
		out = append(out, pa)
		if p.isOp(",") {
			p.next()
			continue
		}
		break
	}
	if err := p.expectEOF(); err != nil {
		return nil, err
	}
	if err := checkOverlap(KindProjection, out); err != nil {
		return nil, err
	}
	return out, nil
}

// Project returns the parts of it the paths name. List elements keep their
// relative order and are compacted, as DynamoDB returns them.
func Project(it Item, paths []Path) Item {
	out := Item{}
	for _, pa := range paths {
		v, ok := Get(it, pa)
		if !ok {
			continue
		}
		projectInto(out, pa, v)
	}
	return out
}

// projectInto places v at pa inside out, building maps and lists on the way.
func projectInto(out Item, pa Path, v AV) {
	cur, ok := out[pa[0].Name]
	if len(pa) == 1 {
		out[pa[0].Name] = Clone(v)
		return
	}
	if !ok {
		cur = emptyLike(pa[1])
	}
	out[pa[0].Name] = projectValue(cur, pa[1:], v)
}

func emptyLike(e PathElem) AV {
	if e.IsIndex {
		return AV{L: []AV{}}
	}
	return AV{M: map[string]AV{}}
}

// projected lists remember the source indexes of their elements through
// this side table so that [3] then [1] still come out in source order.
func projectValue(cur AV, pa Path, v AV) AV {
	e := pa[0]
	if e.IsIndex {
		// Elements are appended; an element projected twice (a[1].x and
		// a[1].y) merges into the last one when it is the same index.
		child := v
		if len(pa) > 1 {
			child = projectValue(emptyLike(pa[1]), pa[1:], v)
		}
		cur.L = append(cur.L, child)
		return cur
	}
	if cur.M == nil {
		cur.M = map[string]AV{}
	}
	if len(pa) == 1 {
		cur.M[e.Name] = Clone(v)
		return cur
	}
	next, ok := cur.M[e.Name]
	if !ok {
		next = emptyLike(pa[1])
	}
	cur.M[e.Name] = projectValue(next, pa[1:], v)
	return cur
}

// checkOverlap reports the first pair of paths (in the order DynamoDB
// reports them: the earliest later path, then the earliest earlier one)
// that overlap or conflict. Paths go into a trie as they are checked so
// that the work is linear in the total length of the paths; comparing
// every pair was quadratic, and an UpdateExpression of many SET actions
// took seconds.
func checkOverlap(kind Kind, paths []Path) error {
	root := newPathNode()
	for i, pa := range paths {
		j, conflict := root.firstClash(pa)
		if j >= 0 {
			if conflict {
				return errf("Invalid %s: Two document paths conflict with each other; must remove or rewrite one of these paths; path one: %s, path two: %s", kind, paths[j].msgString(), paths[i].msgString())
			}
			return errf("Invalid %s: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: %s, path two: %s", kind, paths[j].msgString(), paths[i].msgString())
		}
		root.insert(pa, i)
	}
	return nil
}

// pathNode is a trie node over path elements. Every index is the position
// of a path in the expression; -1 is none.
type pathNode struct {
	children map[PathElem]*pathNode
	end      int // the first path that ends here
	sub      int // the first path through or ending at this node
	byName   int // the first path continuing with a name element
	byIndex  int // the first path continuing with a list index
}

func newPathNode() *pathNode { return &pathNode{end: -1, sub: -1, byName: -1, byIndex: -1} }

// firstClash returns the first earlier path that overlaps pa (one is a
// prefix of the other) or conflicts with it (the same prefix followed by a
// name in one and a list index in the other), and which of the two.
func (n *pathNode) firstClash(pa Path) (j int, conflict bool) {
	j = -1
	take := func(k int, c bool) {
		if k >= 0 && (j < 0 || k < j) {
			j, conflict = k, c
		}
	}
	for _, e := range pa {
		take(n.end, false)
		if e.IsIndex {
			take(n.byName, true)
		} else {
			take(n.byIndex, true)
		}
		c, ok := n.children[e]
		if !ok {
			return j, conflict
		}
		n = c
	}
	take(n.sub, false)
	return j, conflict
}

func (n *pathNode) insert(pa Path, i int) {
	first := func(p *int) {
		if *p < 0 {
			*p = i
		}
	}
	first(&n.sub)
	for _, e := range pa {
		if e.IsIndex {
			first(&n.byIndex)
		} else {
			first(&n.byName)
		}
		c, ok := n.children[e]
		if !ok {
			if n.children == nil {
				n.children = map[PathElem]*pathNode{}
			}
			c = newPathNode()
			n.children[e] = c
		}
		n = c
		first(&n.sub)
	}
	first(&n.end)
}

// ---- update expressions ----

// Update is a parsed UpdateExpression.
type Update struct {
	Set    []SetAction
	Remove []Path
	Add    []ValueAction
	Delete []ValueAction
}

// SetAction is path = value.
type SetAction struct {
	Path  Path
	Value UpdateOperand
}

// ValueAction is ADD or DELETE path :value.
type ValueAction struct {
	Path  Path
	Value *ValueOp
}

// UpdateOperand is the right side of a SET action.
type UpdateOperand interface{ updateOperand() }

// Arith is a + b or a - b.
type Arith struct {
	Op   byte
	L, R UpdateOperand
}

// IfNotExists is if_not_exists(path, value).
type IfNotExists struct {
	Path    Path
	Default UpdateOperand
}

// ListAppend is list_append(a, b).
type ListAppend struct{ L, R UpdateOperand }

// Plain wraps a path or value operand.
type Plain struct{ Op Operand }

func (*Arith) updateOperand()       {}
func (*IfNotExists) updateOperand() {}
func (*ListAppend) updateOperand()  {}
func (*Plain) updateOperand()       {}

// ParseUpdate parses an UpdateExpression.
func ParseUpdate(src string, env *Env) (*Update, error) {
	p, err := newParser(KindUpdate, src, env)
	if err != nil {
		return nil, err
	}
	u := &Update{}
	seen := map[string]bool{}
	for p.peek().kind != tEOF {
		t := p.peek()
		if t.kind != tIdent {
			return nil, p.syntaxErr()
		}
		kw := strings.ToUpper(t.text)
		switch kw {
		case "SET", "REMOVE", "ADD", "DELETE":
		default:
			return nil, p.syntaxErr()
		}
		if seen[kw] {
			return nil, errf("Invalid UpdateExpression: The \"%s\" section can only be used once in an update expression;", kw)
		}
		seen[kw] = true
		p.next()
		for {
			if err := p.updateAction(kw, u); err != nil {
				return nil, err
			}
			if p.isOp(",") {
				p.next()
				continue
			}
			break
		}
	}
	var all []Path
	for _, a := range u.Set {
		all = append(all, a.Path)
	}
	all = append(all, u.Remove...)
	for _, a := range u.Add {
		all = append(all, a.Path)
	}
	for _, a := range u.Delete {
		all = append(all, a.Path)
	}
	if err := checkOverlap(KindUpdate, all); err != nil {
		return nil, err
	}
	return u, nil
}

func (p *parser) updateAction(kw string, u *Update) error {
	pa, err := p.path()
	if err != nil {
		return err
	}
	switch kw {
	case "SET":
		if err := p.expectOp("="); err != nil {
			return err
		}
		v, err := p.setValue()
		if err != nil {
			return err
		}
		u.Set = append(u.Set, SetAction{pa, v})
	case "REMOVE":
		u.Remove = append(u.Remove, pa)
	case "ADD", "DELETE":
		if p.peek().kind != tValue {
			return p.syntaxErr()
		}
		name, err := p.value()
		if err != nil {
			return err
		}
		v := p.env.Values[name]
		tt := TypeOf(v)
		allowed := tt == "SS" || tt == "NS" || tt == "BS" || (kw == "ADD" && tt == "N")
		if !allowed {
			set := "ALLOWED_FOR_ADD_OPERAND"
			if kw == "DELETE" {
				set = "ALLOWED_FOR_DELETE_OPERAND"
			}
			return errf("Invalid UpdateExpression: Incorrect operand type for operator or function; operator: %s, operand type: %s, typeSet: %s", kw, typeWord(tt), set)
		}
		act := ValueAction{pa, &ValueOp{Name: name, Value: v}}
		if kw == "ADD" {
			u.Add = append(u.Add, act)
		} else {
			u.Delete = append(u.Delete, act)
		}
	}
	return nil
}

// typeWord is the long type name DynamoDB uses in update messages.
func typeWord(t string) string {
	switch t {
	case "S":
		return "STRING"
	case "N":
		return "NUMBER"
	case "B":
		return "BINARY"
	case "SS":
		return "STRING SET"
	case "NS":
		return "NUMBER SET"
	case "BS":
		return "BINARY SET"
	case "M":
		return "MAP"
	case "L":
		return "LIST"
	case "BOOL":
		return "BOOLEAN"
	}
	return t
}

func (p *parser) setValue() (UpdateOperand, error) {
	l, err := p.setOperand()
	if err != nil {
		return nil, err
	}
	if p.isOp("+") || p.isOp("-") {
		op := p.next().text[0]
		if err := p.op(); err != nil {
			return nil, err
		}
		r, err := p.setOperand()
		if err != nil {
			return nil, err
		}
		return &Arith{op, l, r}, nil
	}
	return l, nil
}

func (p *parser) setOperand() (UpdateOperand, error) {
	t := p.peek()
	if t.kind == tIdent && p.toks[p.i+1].kind == tOp && p.toks[p.i+1].text == "(" {
		switch t.text {
		case "if_not_exists":
			p.next()
			p.next()
			if err := p.op(); err != nil {
				return nil, err
			}
			pa, err := p.path()
			if err != nil {
				return nil, err
			}
			if err := p.expectOp(","); err != nil {
				return nil, err
			}
			d, err := p.setValue()
			if err != nil {
				return nil, err
			}
			if err := p.expectOp(")"); err != nil {
				return nil, err
			}
			return &IfNotExists{pa, d}, nil
		case "list_append":
			p.next()
			p.next()
			if err := p.op(); err != nil {
				return nil, err
			}
			a, err := p.setValue()
			if err != nil {
				return nil, err
			}
			if err := p.expectOp(","); err != nil {
				return nil, err
			}
			b, err := p.setValue()
			if err != nil {
				return nil, err
			}
			if err := p.expectOp(")"); err != nil {
				return nil, err
			}
			for _, o := range []UpdateOperand{a, b} {
				if pl, ok := o.(*Plain); ok {
					if v, ok := pl.Op.(*ValueOp); ok && v.Value.L == nil {
						return nil, errf("Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: list_append, operand type: %s", TypeOf(v.Value))
					}
				}
			}
			return &ListAppend{a, b}, nil
		}
		if _, ok := condFuncs[t.text]; ok || t.text == "size" {
			return nil, errf("Invalid UpdateExpression: The function is not allowed in an update expression; function: %s", t.text)
		}
		return nil, errf("Invalid UpdateExpression: Invalid function name; function: %s", t.text)
	}
	switch t.kind {
	case tValue:
		name, err := p.value()
		if err != nil {
			return nil, err
		}
		return &Plain{&ValueOp{Name: name, Value: p.env.Values[name]}}, nil
	case tIdent, tName:
		pa, err := p.path()
		if err != nil {
			return nil, err
		}
		return &Plain{&PathOp{pa}}, nil
	}
	return nil, p.syntaxErr()
}

// errBadOperand is DynamoDB's message when an update's operands have the
// wrong types at run time.
var errBadOperand = &Error{Msg: "An operand in the update expression has an incorrect data type"}

// errInvalidPath is DynamoDB's message for a SET into a missing parent.
var errInvalidPath = &Error{Msg: "The document path provided in the update expression is invalid for update"}

func (u *Update) evalOperand(o UpdateOperand, it Item) (AV, error) {
	switch o := o.(type) {
	case *Plain:
		v, ok := evalOperand(o.Op, it)
		if !ok {
			return AV{}, errf("The provided expression refers to an attribute that does not exist in the item")
		}
		return v, nil
	case *IfNotExists:
		if v, ok := Get(it, o.Path); ok {
			return v, nil
		}
		return u.evalOperand(o.Default, it)
	case *ListAppend:
		a, err := u.evalOperand(o.L, it)
		if err != nil {
			return AV{}, err
		}
		b, err := u.evalOperand(o.R, it)
		if err != nil {
			return AV{}, err
		}
		if a.L == nil || b.L == nil {
			return AV{}, errBadOperand
		}
		l := make([]AV, 0, len(a.L)+len(b.L))
		l = append(append(l, a.L...), b.L...)
		return AV{L: l}, nil
	case *Arith:
		a, err := u.evalOperand(o.L, it)
		if err != nil {
			return AV{}, err
		}
		b, err := u.evalOperand(o.R, it)
		if err != nil {
			return AV{}, err
		}
		if a.N == nil || b.N == nil {
			return AV{}, errBadOperand
		}
		da, err1 := decimal.Parse(*a.N)
		db, err2 := decimal.Parse(*b.N)
		if err1 != nil || err2 != nil {
			return AV{}, errBadOperand
		}
		op := decimal.Add
		if o.Op == '-' {
			op = decimal.Sub
		}
		r, aerr := op(da, db)
		if aerr != nil {
			return AV{}, &Error{Msg: aerr.Error()}
		}
		s := r.String()
		return AV{N: &s}, nil
	}
	return AV{}, errBadOperand
}

// Apply returns the item after the update. Every right-hand side is
// evaluated against the item as it was before the update, as DynamoDB does.
// it is not modified.
func (u *Update) Apply(it Item) (Item, error) {
	vals := make([]AV, len(u.Set))
	for i, a := range u.Set {
		v, err := u.evalOperand(a.Value, it)
		if err != nil {
			return nil, err
		}
		vals[i] = v
	}
	out := CloneItem(it)
	if out == nil {
		out = Item{}
	}
	for i, a := range u.Set {
		if err := setPath(out, a.Path, Clone(vals[i])); err != nil {
			return nil, err
		}
	}
	// Removes from one list use the indexes of the list before the
	// update: apply them from the highest index down.
	rem := append([]Path(nil), u.Remove...)
	sort.SliceStable(rem, func(i, j int) bool {
		a, b := rem[i], rem[j]
		if len(a) == len(b) && a[len(a)-1].IsIndex && b[len(b)-1].IsIndex {
			return a[len(a)-1].Index > b[len(b)-1].Index
		}
		return false
	})
	for _, pa := range rem {
		removePath(out, pa)
	}
	for _, a := range u.Add {
		cur, ok := Get(out, a.Path)
		v := a.Value.Value
		if !ok {
			if err := setPath(out, a.Path, Clone(v)); err != nil {
				return nil, err
			}
			continue
		}
		var nv AV
		switch {
		case v.N != nil && cur.N != nil:
			da, err1 := decimal.Parse(*cur.N)
			db, err2 := decimal.Parse(*v.N)
			if err1 != nil || err2 != nil {
				return nil, errBadOperand
			}
			r, err := decimal.Add(da, db)
			if err != nil {
				return nil, &Error{Msg: err.Error()}
			}
			s := r.String()
			nv = AV{N: &s}
		case v.SS != nil && cur.SS != nil:
			nv = AV{SS: union(cur.SS, v.SS, strKey)}
		case v.NS != nil && cur.NS != nil:
			nv = AV{NS: union(cur.NS, v.NS, numKey)}
		case v.BS != nil && cur.BS != nil:
			nv = AV{BS: union(cur.BS, v.BS, bytesKey)}
		default:
			return nil, errBadOperand
		}
		if err := setPath(out, a.Path, nv); err != nil {
			return nil, err
		}
	}
	for _, a := range u.Delete {
		cur, ok := Get(out, a.Path)
		if !ok {
			continue
		}
		v := a.Value.Value
		var nv AV
		var n int
		switch {
		case v.SS != nil && cur.SS != nil:
			nv.SS = minus(cur.SS, v.SS, strKey)
			n = len(nv.SS)
		case v.NS != nil && cur.NS != nil:
			nv.NS = minus(cur.NS, v.NS, numKey)
			n = len(nv.NS)
		case v.BS != nil && cur.BS != nil:
			nv.BS = minus(cur.BS, v.BS, bytesKey)
			n = len(nv.BS)
		default:
			return nil, errBadOperand
		}
		if n == 0 {
			removePath(out, a.Path)
			continue
		}
		if err := setPath(out, a.Path, nv); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// union and minus work on the elements' keys so that ADD and DELETE on
// large sets stay linear.
func union[T any](a, b []T, key func(T) string) []T {
	out := append([]T(nil), a...)
	seen := make(map[string]struct{}, len(a)+len(b))
	for _, x := range a {
		seen[key(x)] = struct{}{}
	}
	for _, x := range b {
		k := key(x)
		if _, ok := seen[k]; !ok {
			seen[k] = struct{}{}
			out = append(out, x)
		}
	}
	return out
}

func minus[T any](a, b []T, key func(T) string) []T {
	drop := make(map[string]struct{}, len(b))
	for _, y := range b {
		drop[key(y)] = struct{}{}
	}
	var out []T
	for _, x := range a {
		if _, ok := drop[key(x)]; !ok {
			out = append(out, x)
		}
	}
	return out
}

// setPath stores v at pa; every parent must exist with the right type.
func setPath(it Item, pa Path, v AV) error {
	if len(pa) == 1 {
		it[pa[0].Name] = v
		return nil
	}
	parent, ok := it[pa[0].Name]
	if !ok {
		return errInvalidPath
	}
	np, err := setIn(parent, pa[1:], v)
	if err != nil {
		return err
	}
	it[pa[0].Name] = np
	return nil
}

func setIn(cur AV, pa Path, v AV) (AV, error) {
	e := pa[0]
	if e.IsIndex {
		if cur.L == nil {
			return AV{}, errInvalidPath
		}
		if len(pa) == 1 {
			if e.Index >= len(cur.L) {
				cur.L = append(cur.L, v)
			} else {
				cur.L[e.Index] = v
			}
			return cur, nil
		}
		if e.Index >= len(cur.L) {
			return AV{}, errInvalidPath
		}
		nv, err := setIn(cur.L[e.Index], pa[1:], v)
		if err != nil {
			return AV{}, err
		}
		cur.L[e.Index] = nv
		return cur, nil
	}
	if cur.M == nil {
		return AV{}, errInvalidPath
	}
	if len(pa) == 1 {
		cur.M[e.Name] = v
		return cur, nil
	}
	child, ok := cur.M[e.Name]
	if !ok {
		return AV{}, errInvalidPath
	}
	nv, err := setIn(child, pa[1:], v)
	if err != nil {
		return AV{}, err
	}
	cur.M[e.Name] = nv
	return cur, nil
}

// removePath deletes the element at pa; a missing one is not an error.
func removePath(it Item, pa Path) {
	if len(pa) == 1 {
		delete(it, pa[0].Name)
		return
	}
	parent, ok := it[pa[0].Name]
	if !ok {
		return
	}
	it[pa[0].Name] = removeIn(parent, pa[1:])
}

func removeIn(cur AV, pa Path) AV {
	e := pa[0]
	if e.IsIndex {
		if cur.L == nil || e.Index >= len(cur.L) {
			return cur
		}
		if len(pa) == 1 {
			cur.L = append(cur.L[:e.Index:e.Index], cur.L[e.Index+1:]...)
			return cur
		}
		cur.L[e.Index] = removeIn(cur.L[e.Index], pa[1:])
		return cur
	}
	if cur.M == nil {
		return cur
	}
	if len(pa) == 1 {
		delete(cur.M, e.Name)
		return cur
	}
	if child, ok := cur.M[e.Name]; ok {
		cur.M[e.Name] = removeIn(child, pa[1:])
	}
	return cur
}

// UpdatedPaths returns the top-level attribute names the update touches,
// for ReturnValues UPDATED_OLD/UPDATED_NEW and key-attribute checks.
func (u *Update) UpdatedPaths() []Path {
	var out []Path
	for _, a := range u.Set {
		out = append(out, a.Path)
	}
	out = append(out, u.Remove...)
	for _, a := range u.Add {
		out = append(out, a.Path)
	}
	for _, a := range u.Delete {
		out = append(out, a.Path)
	}
	return out
}
