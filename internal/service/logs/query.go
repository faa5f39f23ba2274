package logs

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	logsapi "github.com/niwa-cloud/niwa/internal/api/logs"
	"github.com/niwa-cloud/niwa/internal/lazyre"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// This file is the Logs Insights query language
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CWL_QuerySyntax.html),
// its common commands: fields, display, filter, parse, stats (count, sum,
// avg, min, max, count_distinct by fields and bin()), sort, limit and
// dedup. A query compiles to a list of stages run over rows of fields.

// row is one record: field name → value as text.
type row map[string]string

// queryPlan is a compiled query.
type queryPlan struct {
	stages []stage
	// cols are the fields shown, in order; nil shows the defaults.
	cols []string
	// aggregated is set by stats: no @ptr in the results.
	aggregated bool
}

type stage func(p *queryPlan, rows []row) []row

func malformed(format string, a ...any) error {
	return logsapi.ErrMalformedQueryException.New(format, a...)
}

// Tokens.

type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tString
	tNumber
	tRegex
	tOp
)

type qtoken struct {
	kind tokKind
	text string
	pos  int
}

func tokenize(s string, base int) ([]qtoken, error) {
	var out []qtoken
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '"' || c == '\'':
			j := i + 1
			var b strings.Builder
			for j < len(s) && s[j] != c {
				if s[j] == '\\' && j+1 < len(s) {
					j++
				}
				b.WriteByte(s[j])
				j++
			}
			if j >= len(s) {
				return nil, malformed("unexpected symbol found %s at line 1 and position %d", s[i:], base+i+1)
			}
			out = append(out, qtoken{tString, b.String(), base + i})
			i = j + 1
		case c == '`':
			j := strings.IndexByte(s[i+1:], '`')
			if j < 0 {
				return nil, malformed("unexpected symbol found %s at line 1 and position %d", s[i:], base+i+1)
			}
			out = append(out, qtoken{tIdent, s[i+1 : i+1+j], base + i})
			i += j + 2
		case c == '/' && regexAllowed(out):
			j := i + 1
			for j < len(s) && s[j] != '/' {
				if s[j] == '\\' && j+1 < len(s) {
					j++
				}
				j++
			}
			if j >= len(s) {
				return nil, malformed("unexpected symbol found %s at line 1 and position %d", s[i:], base+i+1)
			}
			out = append(out, qtoken{tRegex, s[i+1 : j], base + i})
			i = j + 1
		case c >= '0' && c <= '9' || (c == '-' && !afterOperand(out) || c == '.') && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9':
			j := i + 1
			for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == '.' || unicode.IsLetter(rune(s[j]))) {
				j++
			}
			out = append(out, qtoken{tNumber, s[i:j], base + i})
			i = j
		case c == '@' || c == '_' || c == '$' || unicode.IsLetter(rune(c)):
			j := i + 1
			for j < len(s) && (s[j] == '_' || s[j] == '.' || s[j] == '@' || s[j] == '$' || s[j] == '-' && j+1 < len(s) && isWordByte(s[j+1]) || isWordByte(s[j])) {
				j++
			}
			out = append(out, qtoken{tIdent, s[i:j], base + i})
			i = j
		default:
			for _, op := range []string{"!=", "<=", ">=", "=~", "=", "<", ">", "(", ")", ",", "[", "]", "*", "/", "+", "-", "%", "|"} {
				if strings.HasPrefix(s[i:], op) {
					out = append(out, qtoken{tOp, op, base + i})
					i += len(op)
					goto next
				}
			}
			return nil, malformed("unexpected symbol found %c at line 1 and position %d", c, base+i+1)
		next:
		}
	}
	return append(out, qtoken{kind: tEOF, pos: base + len(s)}), nil
}

// regexAllowed tells a /regex/ from division: a regex follows like, =~,
// not like, parse, or parse's source field.
func regexAllowed(out []qtoken) bool {
	// Only the current command counts.
	for i := len(out) - 1; i >= 0; i-- {
		if out[i].kind == tOp && out[i].text == "|" {
			out = out[i+1:]
			break
		}
	}
	n := len(out)
	if n == 0 {
		return true
	}
	last := out[n-1]
	switch {
	case last.kind == tOp && (last.text == "=~" || last.text == "("):
		return true
	case last.kind == tIdent && (strings.EqualFold(last.text, "like") || strings.EqualFold(last.text, "parse")):
		return true
	case last.kind == tIdent && n == 2 && strings.EqualFold(out[0].text, "parse"):
		return true
	}
	return false
}

// afterOperand reports whether the previous token ends an operand, so a
// following "-" is subtraction rather than a negative number's sign.
func afterOperand(out []qtoken) bool {
	if len(out) == 0 {
		return false
	}
	last := out[len(out)-1]
	switch last.kind {
	case tNumber, tString, tRegex:
		return true
	case tIdent:
		return !isKeyword(last.text)
	case tOp:
		return last.text == ")" || last.text == "]"
	}
	return false
}

func isKeyword(w string) bool {
	switch strings.ToLower(w) {
	case "and", "or", "not", "like", "in", "as", "by", "filter", "fields", "display", "stats", "sort", "limit", "parse", "dedup":
		return true
	}
	return false
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

type parser struct {
	toks []qtoken
	i    int
	// src is the command's text, which starts at offset base of the
	// query: what names an expression's column.
	src  string
	base int
}

// textFrom returns the command's text from position start up to the
// next token.
func (p *parser) textFrom(start int) string {
	end := p.peek().pos - p.base
	if end > len(p.src) {
		end = len(p.src)
	}
	return strings.TrimSpace(p.src[start-p.base : end])
}

// simpleField reports whether the next tokens are a lone field name
// (followed by a comma, as, ) or the end).
func (p *parser) simpleField() bool {
	if p.peek().kind != tIdent || p.i+1 >= len(p.toks) {
		return false
	}
	n := p.toks[p.i+1]
	return n.kind == tEOF || n.kind == tOp && (n.text == "," || n.text == ")") || n.kind == tIdent && strings.EqualFold(n.text, "as")
}

func (p *parser) peek() qtoken { return p.toks[p.i] }
func (p *parser) next() qtoken {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}
func (p *parser) isWord(w string) bool {
	t := p.peek()
	return t.kind == tIdent && strings.EqualFold(t.text, w)
}
func (p *parser) isOp(op string) bool {
	t := p.peek()
	return t.kind == tOp && t.text == op
}
func (p *parser) fail() error {
	t := p.peek()
	if t.kind == tEOF {
		return malformed("unexpected end of query at line 1 and position %d", t.pos+1)
	}
	return malformed("unexpected symbol found %s at line 1 and position %d", t.text, t.pos+1)
}
func (p *parser) expectOp(op string) error {
	if !p.isOp(op) {
		return p.fail()
	}
	p.next()
	return nil
}
func (p *parser) field() (string, error) {
	t := p.peek()
	if t.kind != tIdent {
		return "", p.fail()
	}
	p.next()
	return t.text, nil
}

const maxQueryLength = 10000

// compileQuery parses a query string.
func compileQuery(q string) (*queryPlan, error) {
	if strings.TrimSpace(q) == "" {
		return nil, malformed("Query string must not be empty.")
	}
	if len(q) > maxQueryLength {
		return nil, logsapi.ErrInvalidParameterException.New("Query string is longer than %d characters.", maxQueryLength)
	}
	if !utf8.ValidString(q) {
		return nil, malformed("Query string is not valid UTF-8.")
	}
	plan := &queryPlan{}
	all, err := tokenize(q, 0)
	if err != nil {
		return nil, err
	}
	// Commands are separated by | outside strings and regexes.
	var cmds [][]qtoken
	start := 0
	for i, t := range all {
		if t.kind == tOp && t.text == "|" || t.kind == tEOF {
			cmd := append(append([]qtoken(nil), all[start:i]...), qtoken{kind: tEOF, pos: t.pos})
			cmds = append(cmds, cmd)
			start = i + 1
		}
	}
	for _, toks := range cmds {
		p := &parser{toks: toks, src: q}
		head := p.next()
		if head.kind != tIdent {
			return nil, malformed("unexpected symbol found %s at line 1 and position %d", head.text, head.pos+1)
		}
		var st stage
		switch strings.ToLower(head.text) {
		case "fields", "display":
			st, err = p.fieldsCmd(strings.ToLower(head.text) == "display")
		case "filter":
			var e expr
			e, err = p.expr()
			st = func(_ *queryPlan, rows []row) []row {
				var out []row
				for _, r := range rows {
					if truthy(e(r)) {
						out = append(out, r)
					}
				}
				return out
			}
		case "parse":
			st, err = p.parseCmd()
		case "stats":
			st, err = p.statsCmd()
		case "sort":
			st, err = p.sortCmd()
		case "limit":
			t := p.next()
			n, perr := strconv.Atoi(t.text)
			if t.kind != tNumber || perr != nil || n < 1 || n > 10000 {
				return nil, malformed("unexpected symbol found %s at line 1 and position %d", t.text, t.pos+1)
			}
			st = func(_ *queryPlan, rows []row) []row {
				if len(rows) > n {
					rows = rows[:n]
				}
				return rows
			}
		case "dedup":
			var fs []string
			for {
				f, ferr := p.field()
				if ferr != nil {
					return nil, ferr
				}
				fs = append(fs, f)
				if !p.isOp(",") {
					break
				}
				p.next()
			}
			st = func(_ *queryPlan, rows []row) []row {
				seen := map[string]bool{}
				var out []row
				for _, r := range rows {
					var k []string
					for _, f := range fs {
						k = append(k, r[f])
					}
					key := strings.Join(k, "\x00")
					if !seen[key] {
						seen[key] = true
						out = append(out, r)
					}
				}
				return out
			}
		default:
			return nil, malformed("unexpected symbol found %s at line 1 and position %d", head.text, head.pos+1)
		}
		if err != nil {
			return nil, err
		}
		if p.peek().kind != tEOF {
			return nil, p.fail()
		}
		plan.stages = append(plan.stages, st)
	}
	return plan, nil
}

func (p *parser) fieldsCmd(display bool) (stage, error) {
	type col struct {
		src, as string
		e       expr // nil for a plain field
	}
	var cols []col
	for {
		var c col
		start := p.peek().pos
		if p.simpleField() {
			f, _ := p.field()
			c = col{src: f, as: f}
		} else {
			e, err := p.arith()
			if err != nil {
				return nil, err
			}
			c = col{e: e}
			c.src = p.textFrom(start)
			c.as = c.src
		}
		if p.isWord("as") {
			p.next()
			var err error
			if c.as, err = p.field(); err != nil {
				return nil, err
			}
		}
		cols = append(cols, c)
		if !p.isOp(",") {
			break
		}
		p.next()
	}
	return func(plan *queryPlan, rows []row) []row {
		if display {
			plan.cols = nil
		}
		for _, c := range cols {
			switch {
			case c.e != nil:
				for _, r := range rows {
					if v, ok := text(c.e(r)); ok {
						r[c.as] = v
					}
				}
			case c.as != c.src:
				for _, r := range rows {
					if v, ok := r[c.src]; ok {
						r[c.as] = v
					}
				}
			}
			if !contains(plan.cols, c.as) {
				plan.cols = append(plan.cols, c.as)
			}
		}
		return rows
	}, nil
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// parse @message "glob * with * wildcards" as a, b, or parse @message
// /(?<name>regex)/.
func (p *parser) parseCmd() (stage, error) {
	src := "@message"
	if p.peek().kind == tIdent {
		src = p.next().text
	}
	t := p.next()
	var re *regexp.Regexp
	var names []string
	switch t.kind {
	case tString:
		parts := strings.Split(t.text, "*")
		var b strings.Builder
		for i, part := range parts {
			if i > 0 {
				if i == len(parts)-1 {
					b.WriteString("(.*)")
				} else {
					b.WriteString("(.*?)")
				}
			}
			b.WriteString(regexp.QuoteMeta(part))
		}
		var err error
		if re, err = regexp.Compile(b.String()); err != nil {
			return nil, malformed("Invalid parse pattern: %s", t.text)
		}
		if !p.isWord("as") {
			return nil, p.fail()
		}
		p.next()
		for {
			f, err := p.field()
			if err != nil {
				return nil, err
			}
			names = append(names, f)
			if !p.isOp(",") {
				break
			}
			p.next()
		}
		if len(names) != len(parts)-1 {
			return nil, malformed("The number of fields in the parse pattern (%d) does not match the number of names after 'as' (%d).", len(parts)-1, len(names))
		}
	case tRegex:
		var err error
		if re, err = regexp.Compile(t.text); err != nil {
			return nil, malformed("Invalid regular expression: %s", t.text)
		}
		names = re.SubexpNames()[1:]
		for _, n := range names {
			if n == "" {
				return nil, malformed("Every group of a parse regular expression must be named: %s", t.text)
			}
		}
	default:
		return nil, malformed("unexpected symbol found %s at line 1 and position %d", t.text, t.pos+1)
	}
	return func(_ *queryPlan, rows []row) []row {
		for _, r := range rows {
			m := re.FindStringSubmatch(r[src])
			if m == nil {
				continue
			}
			for i, n := range names {
				r[n] = m[i+1]
			}
		}
		return rows
	}, nil
}

func (p *parser) sortCmd() (stage, error) {
	type key struct {
		f    string
		desc bool
	}
	var keys []key
	for {
		f, err := p.field()
		if err != nil {
			return nil, err
		}
		k := key{f: f, desc: true} // Insights sorts descending unless told
		if p.isWord("asc") {
			p.next()
			k.desc = false
		} else if p.isWord("desc") {
			p.next()
		}
		keys = append(keys, k)
		if !p.isOp(",") {
			break
		}
		p.next()
	}
	return func(_ *queryPlan, rows []row) []row {
		sort.SliceStable(rows, func(i, j int) bool {
			for _, k := range keys {
				c := compareValues(rows[i][k.f], rows[j][k.f])
				if c == 0 {
					continue
				}
				return (c < 0) != k.desc
			}
			return false
		})
		return rows
	}, nil
}

// compareValues orders numbers numerically and anything else as text.
func compareValues(a, b string) int {
	an, aerr := strconv.ParseFloat(a, 64)
	bn, berr := strconv.ParseFloat(b, 64)
	if aerr == nil && berr == nil {
		switch {
		case an < bn:
			return -1
		case an > bn:
			return 1
		}
		return 0
	}
	return strings.Compare(a, b)
}

// Expressions.

// value is an expression's result: a string, a float64, a bool, or nil
// for a missing field.
type value any
type expr func(r row) value

func truthy(v value) bool {
	switch x := v.(type) {
	case bool:
		return x
	case nil:
		return false
	case string:
		return x != ""
	case float64:
		return x != 0
	}
	return false
}

func text(v value) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case bool:
		return strconv.FormatBool(x), true
	}
	return "", false
}

func (p *parser) expr() (expr, error) {
	left, err := p.andExpr()
	if err != nil {
		return nil, err
	}
	for p.isWord("or") {
		p.next()
		right, err := p.andExpr()
		if err != nil {
			return nil, err
		}
		l := left
		left = func(r row) value { return truthy(l(r)) || truthy(right(r)) }
	}
	return left, nil
}

func (p *parser) andExpr() (expr, error) {
	left, err := p.notExpr()
	if err != nil {
		return nil, err
	}
	for p.isWord("and") {
		p.next()
		right, err := p.notExpr()
		if err != nil {
			return nil, err
		}
		l := left
		left = func(r row) value { return truthy(l(r)) && truthy(right(r)) }
	}
	return left, nil
}

func (p *parser) notExpr() (expr, error) {
	if p.isWord("not") {
		p.next()
		e, err := p.notExpr()
		if err != nil {
			return nil, err
		}
		return func(r row) value { return !truthy(e(r)) }, nil
	}
	return p.cmpExpr()
}

func (p *parser) cmpExpr() (expr, error) {
	left, err := p.arith()
	if err != nil {
		return nil, err
	}
	negate := false
	if p.isWord("not") {
		p.next()
		negate = true
		if !p.isWord("like") && !p.isWord("in") {
			return nil, p.fail()
		}
	}
	switch {
	case p.isWord("like") || p.isOp("=~"):
		p.next()
		t := p.next()
		var re *regexp.Regexp
		switch t.kind {
		case tRegex:
			if re, err = regexp.Compile(t.text); err != nil {
				return nil, malformed("Invalid regular expression: %s", t.text)
			}
		case tString:
			re = regexp.MustCompile(regexp.QuoteMeta(t.text))
		default:
			return nil, malformed("unexpected symbol found %s at line 1 and position %d", t.text, t.pos+1)
		}
		return func(r row) value {
			s, ok := text(left(r))
			return ok && re.MatchString(s) != negate
		}, nil
	case p.isWord("in"):
		p.next()
		if err := p.expectOp("["); err != nil {
			return nil, err
		}
		var set []string
		for !p.isOp("]") {
			t := p.next()
			if t.kind != tString && t.kind != tNumber {
				return nil, malformed("unexpected symbol found %s at line 1 and position %d", t.text, t.pos+1)
			}
			set = append(set, t.text)
			if p.isOp(",") {
				p.next()
			}
		}
		p.next()
		return func(r row) value {
			s, ok := text(left(r))
			if !ok {
				return false
			}
			for _, v := range set {
				if compareValues(s, v) == 0 {
					return !negate
				}
			}
			return negate
		}, nil
	}
	t := p.peek()
	if t.kind != tOp {
		return left, nil
	}
	op := t.text
	switch op {
	case "=", "!=", "<", "<=", ">", ">=":
	default:
		return left, nil
	}
	p.next()
	right, err := p.arith()
	if err != nil {
		return nil, err
	}
	return func(r row) value {
		a, aok := text(left(r))
		b, bok := text(right(r))
		if !aok || !bok {
			return op == "!=" && aok != bok
		}
		c := compareValues(a, b)
		switch op {
		case "=":
			return c == 0
		case "!=":
			return c != 0
		case "<":
			return c < 0
		case "<=":
			return c <= 0
		case ">":
			return c > 0
		}
		return c >= 0
	}, nil
}

// arith parses + and - over terms of *, / and %.
func (p *parser) arith() (expr, error) {
	left, err := p.term()
	if err != nil {
		return nil, err
	}
	for p.isOp("+") || p.isOp("-") {
		op := p.next().text
		right, err := p.term()
		if err != nil {
			return nil, err
		}
		left = arithmetic(op, left, right)
	}
	return left, nil
}

func (p *parser) term() (expr, error) {
	left, err := p.operand()
	if err != nil {
		return nil, err
	}
	for p.isOp("*") || p.isOp("/") || p.isOp("%") {
		op := p.next().text
		right, err := p.operand()
		if err != nil {
			return nil, err
		}
		left = arithmetic(op, left, right)
	}
	return left, nil
}

// arithmetic combines two numeric expressions; a missing or non-numeric
// side, or a division by zero, gives no value.
func arithmetic(op string, left, right expr) expr {
	num := func(v value) (float64, bool) {
		s, ok := text(v)
		if !ok {
			return 0, false
		}
		n, err := strconv.ParseFloat(s, 64)
		return n, err == nil
	}
	return func(r row) value {
		a, aok := num(left(r))
		b, bok := num(right(r))
		if !aok || !bok {
			return nil
		}
		switch op {
		case "+":
			return a + b
		case "-":
			return a - b
		case "*":
			return a * b
		case "/":
			if b == 0 {
				return nil
			}
			return a / b
		}
		if b == 0 {
			return nil
		}
		return math.Mod(a, b)
	}
}

func (p *parser) operand() (expr, error) {
	t := p.next()
	switch t.kind {
	case tString:
		s := t.text
		return func(row) value { return s }, nil
	case tNumber:
		n, err := strconv.ParseFloat(t.text, 64)
		if err != nil {
			return nil, malformed("unexpected symbol found %s at line 1 and position %d", t.text, t.pos+1)
		}
		return func(row) value { return n }, nil
	case tOp:
		if t.text == "(" {
			e, err := p.expr()
			if err != nil {
				return nil, err
			}
			return e, p.expectOp(")")
		}
	case tIdent:
		if p.isOp("(") {
			return p.call(t)
		}
		name := t.text
		switch strings.ToLower(name) {
		case "true":
			return func(row) value { return true }, nil
		case "false":
			return func(row) value { return false }, nil
		}
		return func(r row) value {
			v, ok := r[name]
			if !ok {
				return nil
			}
			return v
		}, nil
	}
	return nil, malformed("unexpected symbol found %s at line 1 and position %d", t.text, t.pos+1)
}

// call parses the functions filter commonly uses.
func (p *parser) call(fn qtoken) (expr, error) {
	p.next() // (
	var args []expr
	for !p.isOp(")") {
		a, err := p.expr()
		if err != nil {
			return nil, err
		}
		args = append(args, a)
		if p.isOp(",") {
			p.next()
		} else if !p.isOp(")") {
			return nil, p.fail()
		}
	}
	p.next()
	arity := func(n int) error {
		if len(args) != n {
			return malformed("%s takes %d argument(s), not %d", fn.text, n, len(args))
		}
		return nil
	}
	switch strings.ToLower(fn.text) {
	case "ispresent":
		if err := arity(1); err != nil {
			return nil, err
		}
		return func(r row) value { return args[0](r) != nil }, nil
	case "isempty":
		if err := arity(1); err != nil {
			return nil, err
		}
		return func(r row) value { s, _ := text(args[0](r)); return s == "" }, nil
	case "strcontains":
		if err := arity(2); err != nil {
			return nil, err
		}
		return func(r row) value {
			a, aok := text(args[0](r))
			b, bok := text(args[1](r))
			return aok && bok && strings.Contains(a, b)
		}, nil
	case "tolower", "toupper":
		if err := arity(1); err != nil {
			return nil, err
		}
		up := strings.ToLower(fn.text) == "toupper"
		return func(r row) value {
			s, ok := text(args[0](r))
			if !ok {
				return nil
			}
			if up {
				return strings.ToUpper(s)
			}
			return strings.ToLower(s)
		}, nil
	}
	return nil, malformed("unexpected symbol found %s at line 1 and position %d", fn.text, fn.pos+1)
}

// stats.

type agg struct {
	fn, field, name string
	arg             float64 // pct's percentile
	expr            expr    // when the argument is an expression, not a field
}

type groupKey struct {
	field string
	bin   time.Duration // > 0 for bin(...) of @timestamp
	name  string
}

func (p *parser) statsCmd() (stage, error) {
	var aggs []agg
	for {
		start := p.peek().pos
		t := p.next()
		if t.kind != tIdent || !p.isOp("(") {
			return nil, malformed("unexpected symbol found %s at line 1 and position %d", t.text, t.pos+1)
		}
		a := agg{fn: strings.ToLower(t.text)}
		switch a.fn {
		case "count", "sum", "avg", "min", "max", "count_distinct", "pct", "stddev", "earliest", "latest":
		default:
			return nil, malformed("unexpected symbol found %s at line 1 and position %d", t.text, t.pos+1)
		}
		p.next()
		switch {
		case p.isOp("*"):
			p.next()
			a.field = "*"
		case p.isOp(")"):
			a.field = "*"
		case p.simpleField():
			a.field, _ = p.field()
		default:
			// An expression: @memorySize / 1000 / 1000.
			at := p.peek().pos
			e, err := p.arith()
			if err != nil {
				return nil, err
			}
			a.field, a.expr = p.textFrom(at), e
		}
		if a.field == "*" && a.fn != "count" {
			return nil, malformed("%s needs a field", a.fn)
		}
		argText := ""
		if a.fn == "pct" {
			if err := p.expectOp(","); err != nil {
				return nil, err
			}
			n := p.next()
			v, err := strconv.ParseFloat(n.text, 64)
			if n.kind != tNumber || err != nil || v < 0 || v > 100 {
				return nil, malformed("unexpected symbol found %s at line 1 and position %d", n.text, n.pos+1)
			}
			a.arg, argText = v, ", "+n.text
		}
		end := p.peek().pos
		if err := p.expectOp(")"); err != nil {
			return nil, err
		}
		a.name = fmt.Sprintf("%s(%s%s)", t.text, a.field, argText)
		if a.field == "*" && end == start+len(t.text)+1 {
			a.name = t.text + "()"
		}
		if p.isWord("as") {
			p.next()
			f, err := p.field()
			if err != nil {
				return nil, err
			}
			a.name = f
		}
		aggs = append(aggs, a)
		if !p.isOp(",") {
			break
		}
		p.next()
	}
	var by []groupKey
	if p.isWord("by") {
		p.next()
		for {
			t := p.next()
			if t.kind != tIdent {
				return nil, malformed("unexpected symbol found %s at line 1 and position %d", t.text, t.pos+1)
			}
			k := groupKey{field: t.text, name: t.text}
			if strings.EqualFold(t.text, "bin") && p.isOp("(") {
				p.next()
				d := p.next()
				dur, err := binPeriod(d.text)
				if d.kind != tNumber || err != nil {
					return nil, malformed("unexpected symbol found %s at line 1 and position %d", d.text, d.pos+1)
				}
				if err := p.expectOp(")"); err != nil {
					return nil, err
				}
				k = groupKey{field: "@timestamp", bin: dur, name: "bin(" + d.text + ")"}
			}
			if p.isWord("as") {
				p.next()
				f, err := p.field()
				if err != nil {
					return nil, err
				}
				k.name = f
			}
			by = append(by, k)
			if !p.isOp(",") {
				break
			}
			p.next()
		}
	}
	return func(plan *queryPlan, rows []row) []row {
		return runStats(plan, rows, aggs, by)
	}, nil
}

// binPeriod reads 5m, 1h, 30s, 100ms, 1d, 1w.
func binPeriod(s string) (time.Duration, error) {
	i := strings.IndexFunc(s, unicode.IsLetter)
	if i <= 0 {
		return 0, fmt.Errorf("no unit")
	}
	n, err := strconv.Atoi(s[:i])
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("bad period")
	}
	units := map[string]time.Duration{"ms": time.Millisecond, "s": time.Second, "m": time.Minute, "min": time.Minute,
		"h": time.Hour, "d": 24 * time.Hour, "w": 7 * 24 * time.Hour}
	u, ok := units[s[i:]]
	if !ok {
		return 0, fmt.Errorf("bad unit")
	}
	return time.Duration(n) * u, nil
}

type accum struct {
	count    float64
	sum      float64
	min, max float64
	seen     bool
	distinct map[string]bool
	vals     []float64 // pct, stddev
	// at and pick are earliest's or latest's timestamp and value.
	at, pick string
}

func runStats(plan *queryPlan, rows []row, aggs []agg, by []groupKey) []row {
	type group struct {
		keys row
		acc  []accum
	}
	var order []string
	groups := map[string]*group{}
	for _, r := range rows {
		keys := row{}
		var parts []string
		skip := false
		for _, k := range by {
			v, ok := r[k.field]
			if !ok {
				skip = true
				break
			}
			if k.bin > 0 {
				t, err := time.Parse(insightsTime, v)
				if err != nil {
					skip = true
					break
				}
				v = t.Truncate(k.bin).Format(insightsTime)
			}
			keys[k.name] = v
			parts = append(parts, v)
		}
		if skip {
			continue
		}
		id := strings.Join(parts, "\x00")
		g, ok := groups[id]
		if !ok {
			g = &group{keys: keys, acc: make([]accum, len(aggs))}
			groups[id] = g
			order = append(order, id)
		}
		for i, a := range aggs {
			ac := &g.acc[i]
			if a.field == "*" {
				ac.count++
				continue
			}
			v, ok := r[a.field]
			if a.expr != nil {
				v, ok = text(a.expr(r))
			}
			if !ok {
				continue
			}
			switch a.fn {
			case "count":
				ac.count++
				continue
			case "count_distinct":
				if ac.distinct == nil {
					ac.distinct = map[string]bool{}
				}
				ac.distinct[v] = true
				continue
			case "earliest", "latest":
				ts := r["@timestamp"]
				if ac.at == "" || a.fn == "earliest" && ts < ac.at || a.fn == "latest" && ts >= ac.at {
					ac.at, ac.pick = ts, v
				}
				continue
			}
			n, err := strconv.ParseFloat(v, 64)
			if err != nil {
				continue
			}
			ac.count++
			ac.sum += n
			if a.fn == "pct" || a.fn == "stddev" {
				ac.vals = append(ac.vals, n)
			}
			if !ac.seen || n < ac.min {
				ac.min = n
			}
			if !ac.seen || n > ac.max {
				ac.max = n
			}
			ac.seen = true
		}
	}
	if len(by) == 0 && len(groups) == 0 {
		groups[""] = &group{keys: row{}, acc: make([]accum, len(aggs))}
		order = append(order, "")
	}
	plan.cols = nil
	for _, k := range by {
		plan.cols = append(plan.cols, k.name)
	}
	for _, a := range aggs {
		plan.cols = append(plan.cols, a.name)
	}
	plan.aggregated = true
	out := make([]row, 0, len(order))
	for _, id := range order {
		g := groups[id]
		r := row{}
		for k, v := range g.keys {
			r[k] = v
		}
		for i, a := range aggs {
			ac := g.acc[i]
			var v float64
			switch a.fn {
			case "count":
				v = ac.count
			case "count_distinct":
				v = float64(len(ac.distinct))
			case "sum":
				v = ac.sum
			case "avg":
				if ac.count == 0 {
					continue
				}
				v = ac.sum / ac.count
			case "min":
				if !ac.seen {
					continue
				}
				v = ac.min
			case "max":
				if !ac.seen {
					continue
				}
				v = ac.max
			case "pct":
				if len(ac.vals) == 0 {
					continue
				}
				// Nearest rank.
				sort.Float64s(ac.vals)
				i := int(math.Ceil(a.arg/100*float64(len(ac.vals)))) - 1
				v = ac.vals[max(0, min(i, len(ac.vals)-1))]
			case "stddev":
				if len(ac.vals) == 0 {
					continue
				}
				mean := ac.sum / ac.count
				var ss float64
				for _, x := range ac.vals {
					ss += (x - mean) * (x - mean)
				}
				v = math.Sqrt(ss / float64(len(ac.vals)))
			case "earliest", "latest":
				if ac.at != "" {
					r[a.name] = ac.pick
				}
				continue
			}
			r[a.name] = formatNumber(v)
		}
		out = append(out, r)
	}
	return out
}

func formatNumber(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatInt(int64(v), 10)
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// insightsTime is how Insights prints @timestamp.
const insightsTime = "2006-01-02 15:04:05.000"

// flatten adds a JSON message's fields to r as Insights discovers them:
// nested keys joined with dots, array elements by index.
func flatten(r row, prefix string, v any, depth int) {
	if depth > 10 {
		return
	}
	switch x := v.(type) {
	case map[string]any:
		for k, sub := range x {
			name := k
			if prefix != "" {
				name = prefix + "." + k
			}
			flatten(r, name, sub, depth+1)
		}
	case []any:
		for i, sub := range x {
			flatten(r, prefix+"."+strconv.Itoa(i), sub, depth+1)
		}
	default:
		if prefix == "" {
			return
		}
		if s, ok := text(x); ok {
			r[prefix] = s
		} else if x == nil {
			r[prefix] = "null"
		}
	}
}

// eventRow makes the row of a stored event.
func eventRow(account, gname, sname string, e event) row {
	r := row{}
	msg := strings.TrimSpace(e.Message)
	if strings.HasPrefix(msg, "{") {
		var doc any
		if json.Unmarshal([]byte(msg), &doc) == nil {
			flatten(r, "", doc, 0)
		}
	}
	lambdaFields(r, e.Message)
	r["@timestamp"] = time.UnixMilli(e.Timestamp).UTC().Format(insightsTime)
	r["@message"] = e.Message
	r["@logStream"] = sname
	r["@log"] = account + ":" + gname
	r["@ingestionTime"] = time.UnixMilli(e.Ingestion).UTC().Format(insightsTime)
	r["@ptr"] = recordPointer(gname, sname, e)
	return r
}

// run evaluates the plan over rows and returns the result rows as fields
// in the order shown, at most max.
func (plan *queryPlan) run(rows []row, max int) ([][]logsapi.ResultField, int) {
	// Newest first unless a sort says otherwise, so a limit keeps the
	// latest events, as the Insights console shows them.
	sort.SliceStable(rows, func(i, j int) bool { return rows[i]["@timestamp"] > rows[j]["@timestamp"] })
	for _, st := range plan.stages {
		rows = st(plan, rows)
	}
	matched := len(rows)
	if len(rows) > max {
		rows = rows[:max]
	}
	cols := plan.cols
	if cols == nil {
		cols = []string{"@timestamp", "@message", "@logStream", "@log"}
	}
	out := make([][]logsapi.ResultField, 0, len(rows))
	for _, r := range rows {
		fields := []logsapi.ResultField{}
		for _, c := range cols {
			if v, ok := r[c]; ok {
				fields = append(fields, logsapi.ResultField{Field: ptr.To(c), Value: ptr.To(v)})
			}
		}
		if !plan.aggregated {
			fields = append(fields, logsapi.ResultField{Field: ptr.To("@ptr"), Value: ptr.To(r["@ptr"])})
		}
		out = append(out, fields)
	}
	return out, matched
}

// lambdaReport matches the fields of a Lambda REPORT line.
var lambdaReport = lazyre.New(`(Duration|Billed Duration|Memory Size|Max Memory Used|Init Duration): ([0-9.]+) (ms|MB)`)

// lambdaFields discovers what Insights finds in Lambda's own lines:
// @type and @requestId on START, END and REPORT, and on REPORT @duration,
// @billedDuration, @memorySize, @maxMemoryUsed (bytes, as AWS reports
// them) and @initDuration, so the usual
// `filter @type = "REPORT" | stats avg(@duration)` works.
func lambdaFields(r row, msg string) {
	for _, typ := range []string{"START", "END", "REPORT"} {
		rest, ok := strings.CutPrefix(msg, typ+" RequestId: ")
		if !ok {
			continue
		}
		r["@type"] = typ
		if i := strings.IndexAny(rest, " \t"); i >= 0 {
			rest = rest[:i]
		}
		r["@requestId"] = rest
		if typ != "REPORT" {
			return
		}
		names := map[string]string{"Duration": "@duration", "Billed Duration": "@billedDuration", "Memory Size": "@memorySize",
			"Max Memory Used": "@maxMemoryUsed", "Init Duration": "@initDuration"}
		for _, m := range lambdaReport.Regexp().FindAllStringSubmatch(msg, -1) {
			v := m[2]
			if m[3] == "MB" {
				if n, err := strconv.ParseFloat(v, 64); err == nil {
					v = formatNumber(n * 1000 * 1000)
				}
			}
			r[names[m[1]]] = v
		}
		return
	}
}
