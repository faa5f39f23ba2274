package selectsql

import (
	"strconv"
	"strings"
)

// Query is a parsed S3 Select statement.
type Query struct {
	// Star is SELECT *; otherwise Items are the selected expressions.
	Star  bool
	Items []Item
	// Alias is the table alias (FROM S3Object s), "" when none.
	Alias string
	// From is the path after S3Object ([*], .key, [*]...), which selects
	// the records of a JSON document.
	From []PathElem
	// Where is nil when the statement has none.
	Where Expr
	// Limit is -1 when the statement has none.
	Limit int64
}

// Item is one selected expression.
type Item struct {
	X  Expr
	As string
}

// PathElem is one step of a column reference or a FROM path: a name
// (Quoted when it was "double-quoted": matched with its case), an array
// index, or [*] (Wildcard).
type PathElem struct {
	Name     string
	Quoted   bool
	Index    int
	IsIndex  bool
	Wildcard bool
}

// Expr is an expression.
type Expr interface{ expr() }

type (
	// Lit is a literal: Kind is "number", "string", "bool" or "null".
	Lit struct{ Kind, Text string }
	// Ref is a column reference, its table alias already removed.
	Ref struct {
		Path []PathElem
		pos  int
	}
	// Unary is -x or NOT x.
	Unary struct {
		Op string
		X  Expr
	}
	// Binary is an arithmetic, comparison, logical or || operation.
	Binary struct {
		Op   string
		L, R Expr
	}
	// Func is a function call; Star is COUNT(*).
	Func struct {
		Name string
		Args []Expr
		Star bool
	}
	// Cast is CAST(x AS type).
	Cast struct {
		X    Expr
		Type string
	}
	// Case is CASE [operand] WHEN ... THEN ... [ELSE ...] END.
	Case struct {
		Operand Expr
		Whens   [][2]Expr
		Else    Expr
	}
	// Like is x [NOT] LIKE pattern [ESCAPE escape].
	Like struct {
		X, Pattern, Escape Expr
		Not                bool
	}
	// Between is x [NOT] BETWEEN lo AND hi.
	Between struct {
		X, Lo, Hi Expr
		Not       bool
	}
	// In is x [NOT] IN (list).
	In struct {
		X    Expr
		List []Expr
		Not  bool
	}
	// Is is x IS [NOT] NULL or MISSING.
	Is struct {
		X   Expr
		Not bool
	}
	// Extract is EXTRACT(part FROM x).
	Extract struct {
		Part string
		X    Expr
	}
	// Trim is TRIM([LEADING|TRAILING|BOTH] [chars] FROM x).
	Trim struct {
		Where string
		Chars Expr
		X     Expr
	}
	// Substring is SUBSTRING(x FROM start [FOR n]) or SUBSTRING(x, start[, n]).
	Substring struct {
		X, From, For Expr
	}
)

func (Lit) expr()       {}
func (Ref) expr()       {}
func (Unary) expr()     {}
func (Binary) expr()    {}
func (Func) expr()      {}
func (Cast) expr()      {}
func (Case) expr()      {}
func (Like) expr()      {}
func (Between) expr()   {}
func (In) expr()        {}
func (Is) expr()        {}
func (Extract) expr()   {}
func (Trim) expr()      {}
func (Substring) expr() {}

// maxDepth bounds the nesting of expressions, so that a hostile
// expression cannot exhaust the stack.
const maxDepth = 200

type parser struct {
	src   string
	toks  []token
	i     int
	depth int
}

// Parse parses an S3 Select expression.
func Parse(src string) (*Query, error) {
	if len(src) > MaxExpression {
		return nil, errf("ExpressionTooLong", "The SQL expression is too long: The maximum byte-length for the SQL expression is 256 KB.")
	}
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{src: src, toks: toks}
	q, err := p.query()
	if err != nil {
		return nil, err
	}
	return q, nil
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

// back undoes next() of t.
func (p *parser) back(t token) {
	if t.kind != tEOF {
		p.i--
	}
}

// kw reports whether the next token is keyword k (any case).
func (p *parser) kw(k string) bool {
	t := p.peek()
	return t.kind == tIdent && strings.EqualFold(t.text, k)
}

func (p *parser) acceptKw(k string) bool {
	if p.kw(k) {
		p.i++
		return true
	}
	return false
}

func (p *parser) punct(s string) bool {
	t := p.peek()
	return t.kind == tPunct && t.text == s
}

func (p *parser) acceptPunct(s string) bool {
	if p.punct(s) {
		p.i++
		return true
	}
	return false
}

func (p *parser) unexpected() error {
	t := p.peek()
	if t.kind == tEOF {
		return errAt(p.src, t.pos, "ParseUnexpectedTerm", "The SQL expression ends unexpectedly")
	}
	return errAt(p.src, t.pos, "ParseUnexpectedToken", "The SQL expression contains an unexpected token "+strconv.Quote(t.text))
}

func (p *parser) expectKw(k, code string) error {
	if !p.acceptKw(k) {
		if p.peek().kind == tEOF || code == "" {
			return p.unexpected()
		}
		return errAt(p.src, p.peek().pos, code, "The SQL expression is missing the keyword "+k)
	}
	return nil
}

func (p *parser) expectPunct(s string) error {
	if !p.acceptPunct(s) {
		if s == ")" && p.peek().kind == tEOF {
			return errAt(p.src, p.peek().pos, "ParseExpectedRightParenBuiltinFunctionCall", "The SQL expression is missing a right parenthesis")
		}
		return p.unexpected()
	}
	return nil
}

// reserved are the keywords that cannot be a bare name or alias.
var reserved = map[string]bool{
	"select": true, "from": true, "where": true, "limit": true, "and": true, "or": true, "not": true,
	"as": true, "like": true, "between": true, "in": true, "is": true, "null": true, "missing": true,
	"case": true, "when": true, "then": true, "else": true, "end": true, "true": true, "false": true,
	"escape": true, "group": true, "order": true, "having": true, "join": true, "union": true,
}

// unsupported are the keywords of SQL S3 Select does not have.
var unsupported = map[string]bool{"group": true, "order": true, "having": true, "join": true, "union": true, "distinct": true}

func (p *parser) query() (*Query, error) {
	q := &Query{Limit: -1}
	if !p.acceptKw("select") {
		if p.kw("insert") || p.kw("update") || p.kw("delete") || p.kw("create") || p.kw("drop") || p.kw("with") {
			return nil, errAt(p.src, p.peek().pos, "UnsupportedSqlOperation", "The SQL expression contains an unsupported operation; only SELECT is supported")
		}
		return nil, errAt(p.src, p.peek().pos, "ParseExpectedKeyword", "The SQL expression must begin with SELECT")
	}
	if p.kw("distinct") {
		return nil, errAt(p.src, p.peek().pos, "UnsupportedSqlOperation", "The SQL expression contains an unsupported operation DISTINCT")
	}
	if p.acceptPunct("*") {
		q.Star = true
	} else {
		for {
			x, err := p.expr()
			if err != nil {
				return nil, err
			}
			it := Item{X: x}
			if p.acceptKw("as") {
				t := p.next()
				if t.kind != tIdent && t.kind != tQuoted {
					p.back(t)
					return nil, p.unexpected()
				}
				it.As = t.text
			} else if t := p.peek(); t.kind == tQuoted || t.kind == tIdent && !reserved[strings.ToLower(t.text)] {
				p.i++
				it.As = t.text
			}
			q.Items = append(q.Items, it)
			if !p.acceptPunct(",") {
				break
			}
		}
	}
	if !p.acceptKw("from") {
		if p.peek().kind == tEOF {
			return nil, errAt(p.src, p.peek().pos, "ParseSelectMissingFrom", "The SQL expression is missing FROM")
		}
		return nil, errAt(p.src, p.peek().pos, "ParseExpectedKeywordFrom", "The SQL expression is missing the keyword FROM")
	}
	t := p.next()
	if t.kind != tIdent || !strings.EqualFold(t.text, "s3object") {
		return nil, errAt(p.src, t.pos, "InvalidDataSource", "The SQL expression's data source must be S3Object")
	}
	for {
		if p.acceptPunct("[") {
			if p.acceptPunct("*") {
				q.From = append(q.From, PathElem{Wildcard: true})
			} else if n := p.peek(); n.kind == tNumber {
				p.i++
				i, err := strconv.Atoi(n.text)
				if err != nil || i < 0 {
					return nil, errAt(p.src, n.pos, "InvalidDataSource", "The SQL expression's data source path has an invalid index")
				}
				q.From = append(q.From, PathElem{Index: i, IsIndex: true})
			} else {
				return nil, p.unexpected()
			}
			if err := p.expectPunct("]"); err != nil {
				return nil, err
			}
			continue
		}
		if p.acceptPunct(".") {
			n := p.next()
			if n.kind != tIdent && n.kind != tQuoted {
				p.back(n)
				return nil, p.unexpected()
			}
			q.From = append(q.From, PathElem{Name: n.text, Quoted: n.kind == tQuoted})
			continue
		}
		break
	}
	if p.acceptKw("as") {
		t := p.next()
		if t.kind != tIdent && t.kind != tQuoted {
			p.back(t)
			return nil, p.unexpected()
		}
		q.Alias = t.text
	} else if t := p.peek(); t.kind == tIdent && !reserved[strings.ToLower(t.text)] {
		p.i++
		q.Alias = t.text
	}
	if p.acceptKw("where") {
		x, err := p.expr()
		if err != nil {
			return nil, err
		}
		q.Where = x
	}
	if p.acceptKw("limit") {
		t := p.next()
		if t.kind == tPunct && t.text == "-" {
			return nil, errAt(p.src, t.pos, "EvaluatorNegativeLimit", "The SQL expression contains a negative LIMIT")
		}
		n, err := strconv.ParseInt(t.text, 10, 64)
		if t.kind != tNumber || err != nil {
			p.back(t)
			return nil, errAt(p.src, t.pos, "ParseInvalidTypeParam", "The SQL expression's LIMIT must be an integer")
		}
		q.Limit = n
	}
	p.acceptPunct(";")
	if t := p.peek(); t.kind != tEOF {
		if t.kind == tIdent && unsupported[strings.ToLower(t.text)] {
			return nil, errAt(p.src, t.pos, "UnsupportedSqlOperation", "The SQL expression contains an unsupported operation "+strings.ToUpper(t.text))
		}
		return nil, p.unexpected()
	}
	if err := q.checkRefs(p.src); err != nil {
		return nil, err
	}
	return q, nil
}

// checkRefs strips the alias from column references.
func (q *Query) checkRefs(src string) error {
	var err error
	walk(q, func(x Expr) Expr {
		r, ok := x.(*Ref)
		if !ok || err != nil {
			return x
		}
		if len(r.Path) > 1 && !r.Path[0].Quoted && (q.Alias != "" && strings.EqualFold(r.Path[0].Name, q.Alias) ||
			q.Alias == "" && strings.EqualFold(r.Path[0].Name, "s3object")) {
			r.Path = r.Path[1:]
		}
		if r.Path[0].IsIndex || r.Path[0].Wildcard {
			err = errAt(src, r.pos, "InvalidColumnIndex", "The SQL expression contains an invalid column reference")
		}
		return x
	})
	return err
}

// walk calls f on every expression of q, replacing each with f's answer.
func walk(q *Query, f func(Expr) Expr) {
	var w func(Expr) Expr
	w = func(x Expr) Expr {
		switch e := x.(type) {
		case nil:
			return nil
		case *Unary:
			e.X = w(e.X)
		case *Binary:
			e.L, e.R = w(e.L), w(e.R)
		case *Func:
			for i := range e.Args {
				e.Args[i] = w(e.Args[i])
			}
		case *Cast:
			e.X = w(e.X)
		case *Case:
			e.Operand = w(e.Operand)
			for i := range e.Whens {
				e.Whens[i][0], e.Whens[i][1] = w(e.Whens[i][0]), w(e.Whens[i][1])
			}
			e.Else = w(e.Else)
		case *Like:
			e.X, e.Pattern, e.Escape = w(e.X), w(e.Pattern), w(e.Escape)
		case *Between:
			e.X, e.Lo, e.Hi = w(e.X), w(e.Lo), w(e.Hi)
		case *In:
			e.X = w(e.X)
			for i := range e.List {
				e.List[i] = w(e.List[i])
			}
		case *Is:
			e.X = w(e.X)
		case *Extract:
			e.X = w(e.X)
		case *Trim:
			e.Chars, e.X = w(e.Chars), w(e.X)
		case *Substring:
			e.X, e.From, e.For = w(e.X), w(e.From), w(e.For)
		}
		return f(x)
	}
	for i := range q.Items {
		q.Items[i].X = w(q.Items[i].X)
	}
	q.Where = w(q.Where)
}

func (p *parser) expr() (Expr, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxDepth {
		return nil, errAt(p.src, p.peek().pos, "ParseUnsupportedSyntax", "The SQL expression is nested too deeply")
	}
	return p.or()
}

func (p *parser) or() (Expr, error) {
	l, err := p.and()
	for err == nil && p.acceptKw("or") {
		var r Expr
		if r, err = p.and(); err == nil {
			l = &Binary{"OR", l, r}
		}
	}
	return l, err
}

func (p *parser) and() (Expr, error) {
	l, err := p.not()
	for err == nil && p.acceptKw("and") {
		var r Expr
		if r, err = p.not(); err == nil {
			l = &Binary{"AND", l, r}
		}
	}
	return l, err
}

func (p *parser) not() (Expr, error) {
	if p.acceptKw("not") {
		p.depth++
		defer func() { p.depth-- }()
		if p.depth > maxDepth {
			return nil, errAt(p.src, p.peek().pos, "ParseUnsupportedSyntax", "The SQL expression is nested too deeply")
		}
		x, err := p.not()
		if err != nil {
			return nil, err
		}
		return &Unary{"NOT", x}, nil
	}
	return p.predicate()
}

func (p *parser) predicate() (Expr, error) {
	l, err := p.concat()
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		if t.kind == tPunct {
			switch t.text {
			case "=", "<>", "!=", "<", "<=", ">", ">=":
				p.i++
				r, err := p.concat()
				if err != nil {
					return nil, err
				}
				op := t.text
				if op == "!=" {
					op = "<>"
				}
				l = &Binary{op, l, r}
				continue
			}
		}
		if p.acceptKw("is") {
			not := p.acceptKw("not")
			if !p.acceptKw("null") && !p.acceptKw("missing") {
				return nil, p.unexpected()
			}
			l = &Is{l, not}
			continue
		}
		not := false
		if p.kw("not") && p.i+1 < len(p.toks) {
			n := p.toks[p.i+1]
			if n.kind == tIdent && (strings.EqualFold(n.text, "like") || strings.EqualFold(n.text, "between") || strings.EqualFold(n.text, "in")) {
				p.i++
				not = true
			}
		}
		switch {
		case p.acceptKw("like"):
			pat, err := p.concat()
			if err != nil {
				return nil, err
			}
			lk := &Like{X: l, Pattern: pat, Not: not}
			if p.acceptKw("escape") {
				if lk.Escape, err = p.concat(); err != nil {
					return nil, err
				}
			}
			l = lk
		case p.acceptKw("between"):
			lo, err := p.concat()
			if err != nil {
				return nil, err
			}
			if err := p.expectKw("and", ""); err != nil {
				return nil, err
			}
			hi, err := p.concat()
			if err != nil {
				return nil, err
			}
			l = &Between{l, lo, hi, not}
		case p.acceptKw("in"):
			if err := p.expectPunct("("); err != nil {
				return nil, err
			}
			in := &In{X: l, Not: not}
			for {
				x, err := p.expr()
				if err != nil {
					return nil, err
				}
				in.List = append(in.List, x)
				if !p.acceptPunct(",") {
					break
				}
			}
			if err := p.expectPunct(")"); err != nil {
				return nil, err
			}
			l = in
		default:
			return l, nil
		}
	}
}

func (p *parser) concat() (Expr, error) {
	l, err := p.additive()
	for err == nil && p.acceptPunct("||") {
		var r Expr
		if r, err = p.additive(); err == nil {
			l = &Binary{"||", l, r}
		}
	}
	return l, err
}

func (p *parser) additive() (Expr, error) {
	l, err := p.multiplicative()
	for err == nil && (p.punct("+") || p.punct("-")) {
		op := p.next().text
		var r Expr
		if r, err = p.multiplicative(); err == nil {
			l = &Binary{op, l, r}
		}
	}
	return l, err
}

func (p *parser) multiplicative() (Expr, error) {
	l, err := p.unary()
	for err == nil && (p.punct("*") || p.punct("/") || p.punct("%")) {
		op := p.next().text
		var r Expr
		if r, err = p.unary(); err == nil {
			l = &Binary{op, l, r}
		}
	}
	return l, err
}

func (p *parser) unary() (Expr, error) {
	if p.punct("-") || p.punct("+") {
		op := p.next().text
		p.depth++
		defer func() { p.depth-- }()
		if p.depth > maxDepth {
			return nil, errAt(p.src, p.peek().pos, "ParseUnsupportedSyntax", "The SQL expression is nested too deeply")
		}
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		if op == "+" {
			return x, nil
		}
		return &Unary{"-", x}, nil
	}
	return p.primary()
}

// castTypes are the types CAST accepts, in Trino's spelling.
var castTypes = map[string]string{
	"bool": "boolean", "boolean": "boolean",
	"int": "bigint", "integer": "bigint", "bigint": "bigint", "smallint": "bigint", "tinyint": "bigint",
	"float": "double", "double": "double", "real": "double", "decimal": "double", "numeric": "double",
	"string": "varchar", "varchar": "varchar", "char": "varchar", "character": "varchar",
	"timestamp": "timestamp",
}

// extractParts are EXTRACT's and DATE_ADD's/DATE_DIFF's date parts.
var extractParts = map[string]bool{
	"year": true, "month": true, "day": true, "hour": true, "minute": true, "second": true,
	"timezone_hour": true, "timezone_minute": true,
}

func (p *parser) primary() (Expr, error) {
	t := p.next()
	switch t.kind {
	case tNumber:
		return &Lit{"number", t.text}, nil
	case tString:
		return &Lit{"string", t.text}, nil
	case tQuoted:
		p.i--
		return p.ref()
	case tPunct:
		if t.text == "(" {
			x, err := p.expr()
			if err != nil {
				return nil, err
			}
			if err := p.expectPunct(")"); err != nil {
				return nil, err
			}
			return x, nil
		}
		p.i--
		return nil, p.unexpected()
	case tIdent:
	default:
		p.back(t)
		return nil, p.unexpected()
	}
	name := strings.ToLower(t.text)
	switch name {
	case "null", "missing":
		return &Lit{"null", ""}, nil
	case "true", "false":
		return &Lit{"bool", name}, nil
	case "case":
		return p.caseExpr()
	}
	if !p.punct("(") {
		if reserved[name] {
			p.i--
			return nil, p.unexpected()
		}
		p.i--
		return p.ref()
	}
	p.i++ // (
	switch name {
	case "cast":
		x, err := p.expr()
		if err != nil {
			return nil, err
		}
		if err := p.expectKw("as", "ParseExpectedKeyword"); err != nil {
			return nil, err
		}
		tt := p.next()
		ty, ok := castTypes[strings.ToLower(tt.text)]
		if tt.kind != tIdent || !ok {
			return nil, errAt(p.src, tt.pos, "ParseExpectedTypeName", "The SQL expression casts to an unknown type")
		}
		if p.acceptPunct("(") { // DECIMAL(10, 2), VARCHAR(20): the precision does not change S3 Select's values
			for !p.acceptPunct(")") {
				if p.peek().kind == tEOF {
					return nil, p.unexpected()
				}
				p.i++
			}
		}
		if err := p.expectPunct(")"); err != nil {
			return nil, err
		}
		return &Cast{x, ty}, nil
	case "extract":
		pt := p.next()
		if pt.kind != tIdent || !extractParts[strings.ToLower(pt.text)] {
			return nil, errAt(p.src, pt.pos, "ParseExpectedDatePart", "The SQL expression's EXTRACT needs a date part")
		}
		if err := p.expectKw("from", "ParseExpectedKeyword"); err != nil {
			return nil, err
		}
		x, err := p.expr()
		if err != nil {
			return nil, err
		}
		if err := p.expectPunct(")"); err != nil {
			return nil, err
		}
		return &Extract{strings.ToLower(pt.text), x}, nil
	case "trim":
		tr := &Trim{Where: "both"}
		for _, w := range []string{"leading", "trailing", "both"} {
			if p.acceptKw(w) {
				tr.Where = w
			}
		}
		if !p.acceptKw("from") {
			x, err := p.expr()
			if err != nil {
				return nil, err
			}
			if p.acceptKw("from") {
				tr.Chars = x
				if tr.X, err = p.expr(); err != nil {
					return nil, err
				}
			} else {
				tr.X = x
			}
		} else {
			x, err := p.expr()
			if err != nil {
				return nil, err
			}
			tr.X = x
		}
		if err := p.expectPunct(")"); err != nil {
			return nil, err
		}
		return tr, nil
	case "substring":
		x, err := p.expr()
		if err != nil {
			return nil, err
		}
		s := &Substring{X: x}
		if p.acceptKw("from") || p.acceptPunct(",") {
			if s.From, err = p.expr(); err != nil {
				return nil, err
			}
			if p.acceptKw("for") || p.acceptPunct(",") {
				if s.For, err = p.expr(); err != nil {
					return nil, err
				}
			}
		} else {
			return nil, p.unexpected()
		}
		if err := p.expectPunct(")"); err != nil {
			return nil, err
		}
		return s, nil
	}
	f := &Func{Name: name}
	if name == "count" && p.acceptPunct("*") {
		f.Star = true
		if err := p.expectPunct(")"); err != nil {
			return nil, err
		}
		return f, nil
	}
	if p.acceptPunct(")") {
		return f, nil
	}
	if name == "date_add" || name == "date_diff" {
		pt := p.next()
		if pt.kind != tIdent || !extractParts[strings.ToLower(pt.text)] {
			return nil, errAt(p.src, pt.pos, "ParseExpectedDatePart", "The SQL expression's "+strings.ToUpper(name)+" needs a date part")
		}
		f.Args = append(f.Args, &Lit{"string", strings.ToLower(pt.text)})
		if err := p.expectPunct(","); err != nil {
			return nil, err
		}
	}
	for {
		x, err := p.expr()
		if err != nil {
			return nil, err
		}
		f.Args = append(f.Args, x)
		if !p.acceptPunct(",") {
			break
		}
	}
	if err := p.expectPunct(")"); err != nil {
		return nil, err
	}
	return f, nil
}

func (p *parser) caseExpr() (Expr, error) {
	c := &Case{}
	if p.kw("end") {
		return nil, errAt(p.src, p.peek().pos, "ParseExpectedWhenClause", "The SQL expression's CASE has no WHEN clause")
	}
	if !p.kw("when") {
		x, err := p.expr()
		if err != nil {
			return nil, err
		}
		c.Operand = x
	}
	for p.acceptKw("when") {
		w, err := p.expr()
		if err != nil {
			return nil, err
		}
		if err := p.expectKw("then", "ParseExpectedKeyword"); err != nil {
			return nil, err
		}
		th, err := p.expr()
		if err != nil {
			return nil, err
		}
		c.Whens = append(c.Whens, [2]Expr{w, th})
	}
	if len(c.Whens) == 0 {
		return nil, errAt(p.src, p.peek().pos, "ParseExpectedWhenClause", "The SQL expression's CASE has no WHEN clause")
	}
	if p.acceptKw("else") {
		x, err := p.expr()
		if err != nil {
			return nil, err
		}
		c.Else = x
	}
	if err := p.expectKw("end", "ParseExpectedKeyword"); err != nil {
		return nil, err
	}
	return c, nil
}

// ref parses a column reference: name(.name | [index] | [*])*.
func (p *parser) ref() (Expr, error) {
	t := p.next()
	r := &Ref{Path: []PathElem{{Name: t.text, Quoted: t.kind == tQuoted}}, pos: t.pos}
	for {
		if p.acceptPunct(".") {
			n := p.next()
			if n.kind != tIdent && n.kind != tQuoted {
				p.back(n)
				return nil, p.unexpected()
			}
			r.Path = append(r.Path, PathElem{Name: n.text, Quoted: n.kind == tQuoted})
			continue
		}
		if p.acceptPunct("[") {
			n := p.next()
			switch {
			case n.kind == tNumber:
				i, err := strconv.Atoi(n.text)
				if err != nil || i < 0 {
					return nil, errAt(p.src, n.pos, "InvalidColumnIndex", "The SQL expression contains an invalid array index")
				}
				r.Path = append(r.Path, PathElem{Index: i, IsIndex: true})
			case n.kind == tString:
				r.Path = append(r.Path, PathElem{Name: n.text, Quoted: true})
			default:
				p.back(n)
				return nil, p.unexpected()
			}
			if err := p.expectPunct("]"); err != nil {
				return nil, err
			}
			continue
		}
		return r, nil
	}
}
