package cloudwatch

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Metric math: a small expression language over time series, as
// GetMetricData and metric-math alarms evaluate it. Arithmetic (+ - * /
// ^), comparisons and logic (> < >= <= == != AND OR NOT, && || !), and
// the functions SUM AVG MIN MAX ABS CEIL FLOOR METRICS FILL IF SEARCH.
//
// A value is a scalar or an array of series; a query id names the
// series of that query. Series are sparse (timestamp → value): arithmetic
// between two series keeps the timestamps both have, as CloudWatch does.

// node is a parsed expression.
type node struct {
	op   string // "num", "str", "id", "call", "neg", "not", or a binary operator
	num  float64
	str  string
	args []*node
}

type token struct {
	kind string // "num", "str", "id", "op", "eof"
	text string
	num  float64
	pos  int
}

const maxExprLen = 1024

// maxFilledPoints bounds what one FILL may create.
const maxFilledPoints = 1_000_000

// parseExpr parses a metric math expression.
func parseExpr(s string) (*node, error) {
	if len(s) > maxExprLen {
		return nil, fmt.Errorf("expression longer than %d characters", maxExprLen)
	}
	toks, err := lex(s)
	if err != nil {
		return nil, err
	}
	p := &exprParser{toks: toks}
	n, err := p.or(0)
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != "eof" {
		return nil, fmt.Errorf("unexpected %q at position %d", t.text, t.pos)
	}
	return n, nil
}

func lex(s string) ([]token, error) {
	var out []token
	for i := 0; i < len(s); {
		ch := s[i]
		switch {
		case ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r':
			i++
		case ch >= '0' && ch <= '9' || ch == '.':
			j := i
			for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == '.') {
				j++
			}
			if j < len(s) && (s[j] == 'e' || s[j] == 'E') {
				k := j + 1
				if k < len(s) && (s[k] == '+' || s[k] == '-') {
					k++
				}
				if k < len(s) && s[k] >= '0' && s[k] <= '9' {
					for k < len(s) && s[k] >= '0' && s[k] <= '9' {
						k++
					}
					j = k
				}
			}
			v, err := strconv.ParseFloat(s[i:j], 64)
			if err != nil {
				return nil, fmt.Errorf("invalid number %q at position %d", s[i:j], i)
			}
			out = append(out, token{kind: "num", text: s[i:j], num: v, pos: i})
			i = j
		case ch == '_' || ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z':
			j := i
			for j < len(s) && (s[j] == '_' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z' || s[j] >= '0' && s[j] <= '9') {
				j++
			}
			out = append(out, token{kind: "id", text: s[i:j], pos: i})
			i = j
		case ch == '\'' || ch == '"':
			j := i + 1
			var b strings.Builder
			for j < len(s) && s[j] != ch {
				if s[j] == '\\' && j+1 < len(s) {
					j++
				}
				b.WriteByte(s[j])
				j++
			}
			if j >= len(s) {
				return nil, fmt.Errorf("unterminated string at position %d", i)
			}
			out = append(out, token{kind: "str", text: b.String(), pos: i})
			i = j + 1
		default:
			two := ""
			if i+1 < len(s) {
				two = s[i : i+2]
			}
			switch two {
			case ">=", "<=", "==", "!=", "&&", "||":
				out = append(out, token{kind: "op", text: two, pos: i})
				i += 2
				continue
			}
			if strings.IndexByte("+-*/^()<>,!", ch) < 0 {
				return nil, fmt.Errorf("unexpected character %q at position %d", ch, i)
			}
			out = append(out, token{kind: "op", text: string(ch), pos: i})
			i++
		}
	}
	return append(out, token{kind: "eof", pos: len(s)}), nil
}

type exprParser struct {
	toks []token
	i    int
}

// maxDepth bounds nesting so a hostile expression cannot exhaust the stack.
const maxDepth = 64

func (p *exprParser) peek() token { return p.toks[p.i] }
func (p *exprParser) next() token { t := p.toks[p.i]; p.i++; return t }

func (p *exprParser) isOp(texts ...string) (string, bool) {
	t := p.peek()
	for _, x := range texts {
		if (t.kind == "op" && t.text == x) || (t.kind == "id" && strings.EqualFold(t.text, x) && (x == "AND" || x == "OR" || x == "NOT")) {
			return x, true
		}
	}
	return "", false
}

func (p *exprParser) binary(depth int, ops []string, sub func(int) (*node, error)) (*node, error) {
	l, err := sub(depth)
	if err != nil {
		return nil, err
	}
	for {
		op, ok := p.isOp(ops...)
		if !ok {
			return l, nil
		}
		p.next()
		r, err := sub(depth)
		if err != nil {
			return nil, err
		}
		switch op {
		case "AND":
			op = "&&"
		case "OR":
			op = "||"
		}
		l = &node{op: op, args: []*node{l, r}}
	}
}

func (p *exprParser) or(d int) (*node, error) {
	if d > maxDepth {
		return nil, fmt.Errorf("expression nested too deeply")
	}
	return p.binary(d, []string{"||", "OR"}, p.and)
}
func (p *exprParser) and(d int) (*node, error) {
	return p.binary(d, []string{"&&", "AND"}, p.cmp)
}
func (p *exprParser) cmp(d int) (*node, error) {
	return p.binary(d, []string{">=", "<=", "==", "!=", ">", "<"}, p.add)
}
func (p *exprParser) add(d int) (*node, error) { return p.binary(d, []string{"+", "-"}, p.mul) }
func (p *exprParser) mul(d int) (*node, error) { return p.binary(d, []string{"*", "/"}, p.pow) }
func (p *exprParser) pow(d int) (*node, error) { return p.binary(d, []string{"^"}, p.unary) }

func (p *exprParser) unary(d int) (*node, error) {
	if op, ok := p.isOp("-", "!", "NOT"); ok {
		p.next()
		x, err := p.unary(d + 1)
		if err != nil {
			return nil, err
		}
		if op == "-" {
			return &node{op: "neg", args: []*node{x}}, nil
		}
		return &node{op: "not", args: []*node{x}}, nil
	}
	return p.primary(d)
}

func (p *exprParser) primary(d int) (*node, error) {
	if d > maxDepth {
		return nil, fmt.Errorf("expression nested too deeply")
	}
	t := p.next()
	switch t.kind {
	case "num":
		return &node{op: "num", num: t.num}, nil
	case "str":
		return &node{op: "str", str: t.text}, nil
	case "id":
		if nt := p.peek(); nt.kind == "op" && nt.text == "(" {
			p.next()
			call := &node{op: "call", str: strings.ToUpper(t.text)}
			if nt := p.peek(); nt.kind == "op" && nt.text == ")" {
				p.next()
				return call, nil
			}
			for {
				a, err := p.or(d + 1)
				if err != nil {
					return nil, err
				}
				call.args = append(call.args, a)
				nt := p.next()
				if nt.kind == "op" && nt.text == ")" {
					return call, nil
				}
				if nt.kind != "op" || nt.text != "," {
					return nil, fmt.Errorf("expected , or ) at position %d", nt.pos)
				}
			}
		}
		return &node{op: "id", str: t.text}, nil
	case "op":
		if t.text == "(" {
			n, err := p.or(d + 1)
			if err != nil {
				return nil, err
			}
			if c := p.next(); c.kind != "op" || c.text != ")" {
				return nil, fmt.Errorf("expected ) at position %d", c.pos)
			}
			return n, nil
		}
	case "eof":
		return nil, fmt.Errorf("unexpected end of expression")
	}
	return nil, fmt.Errorf("unexpected %q at position %d", t.text, t.pos)
}

// ---- values ----

type series struct {
	label  string
	period int64
	pts    map[int64]float64
}

// value is a scalar (arr nil, isScalar) or an array of series.
type value struct {
	scalar   float64
	isScalar bool
	arr      []*series
}

// evalEnv is what an evaluation can read.
type evalEnv struct {
	start, end int64
	// now is the request's time: the grid aligns as GetMetricStatistics
	// does for the start time's age.
	now    time.Time
	period int64
	// ref returns the value of another query by id.
	ref func(id string) (value, error)
	// metrics is METRICS(): the series of the request's MetricStat queries.
	metrics func() ([]*series, error)
	// search runs SEARCH over the stored metrics.
	search func(expr, stat string, period int64) ([]*series, error)
}

func (e *evalEnv) eval(n *node) (value, error) {
	switch n.op {
	case "num":
		return value{scalar: n.num, isScalar: true}, nil
	case "str":
		return value{}, fmt.Errorf("unexpected string %q", n.str)
	case "id":
		return e.ref(n.str)
	case "neg":
		x, err := e.eval(n.args[0])
		if err != nil {
			return value{}, err
		}
		return mapValue(x, func(v float64) float64 { return -v }), nil
	case "not":
		x, err := e.eval(n.args[0])
		if err != nil {
			return value{}, err
		}
		return mapValue(x, func(v float64) float64 { return b2f(v == 0) }), nil
	case "call":
		return e.call(n)
	}
	l, err := e.eval(n.args[0])
	if err != nil {
		return value{}, err
	}
	r, err := e.eval(n.args[1])
	if err != nil {
		return value{}, err
	}
	f := binop(n.op)
	return combine(l, r, f)
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func binop(op string) func(a, b float64) float64 {
	switch op {
	case "+":
		return func(a, b float64) float64 { return a + b }
	case "-":
		return func(a, b float64) float64 { return a - b }
	case "*":
		return func(a, b float64) float64 { return a * b }
	case "/":
		return func(a, b float64) float64 { return a / b }
	case "^":
		return math.Pow
	case ">":
		return func(a, b float64) float64 { return b2f(a > b) }
	case "<":
		return func(a, b float64) float64 { return b2f(a < b) }
	case ">=":
		return func(a, b float64) float64 { return b2f(a >= b) }
	case "<=":
		return func(a, b float64) float64 { return b2f(a <= b) }
	case "==":
		return func(a, b float64) float64 { return b2f(a == b) }
	case "!=":
		return func(a, b float64) float64 { return b2f(a != b) }
	case "&&":
		return func(a, b float64) float64 { return b2f(a != 0 && b != 0) }
	}
	return func(a, b float64) float64 { return b2f(a != 0 || b != 0) }
}

func mapValue(x value, f func(float64) float64) value {
	if x.isScalar {
		return value{scalar: f(x.scalar), isScalar: true}
	}
	out := value{arr: make([]*series, len(x.arr))}
	for i, s := range x.arr {
		n := &series{label: s.label, period: s.period, pts: make(map[int64]float64, len(s.pts))}
		for t, v := range s.pts {
			n.pts[t] = f(v)
		}
		out.arr[i] = n
	}
	return out
}

func combine(l, r value, f func(a, b float64) float64) (value, error) {
	switch {
	case l.isScalar && r.isScalar:
		return value{scalar: f(l.scalar, r.scalar), isScalar: true}, nil
	case l.isScalar:
		return mapValue(r, func(v float64) float64 { return f(l.scalar, v) }), nil
	case r.isScalar:
		return mapValue(l, func(v float64) float64 { return f(v, r.scalar) }), nil
	}
	if len(l.arr) != 1 && len(r.arr) != 1 {
		return value{}, fmt.Errorf("arithmetic between two arrays of time series is not supported")
	}
	if len(l.arr) == 1 && len(r.arr) == 1 {
		return value{arr: []*series{zip(l.arr[0], r.arr[0], f, l.arr[0].label)}}, nil
	}
	out := value{}
	if len(l.arr) == 1 {
		for _, s := range r.arr {
			out.arr = append(out.arr, zip(l.arr[0], s, f, s.label))
		}
		return out, nil
	}
	for _, s := range l.arr {
		out.arr = append(out.arr, zip(s, r.arr[0], f, s.label))
	}
	return out, nil
}

// zip keeps the timestamps both series have.
func zip(a, b *series, f func(x, y float64) float64, label string) *series {
	out := &series{label: label, period: a.period, pts: map[int64]float64{}}
	for t, x := range a.pts {
		if y, ok := b.pts[t]; ok {
			out.pts[t] = f(x, y)
		}
	}
	return out
}

func (e *evalEnv) call(n *node) (value, error) {
	argc := func(min, max int) error {
		if len(n.args) < min || len(n.args) > max {
			return fmt.Errorf("function %s takes %d to %d arguments, got %d", n.str, min, max, len(n.args))
		}
		return nil
	}
	switch n.str {
	case "METRICS":
		if err := argc(0, 1); err != nil {
			return value{}, err
		}
		all, err := e.metrics()
		if err != nil {
			return value{}, err
		}
		if len(n.args) == 1 {
			if n.args[0].op != "str" {
				return value{}, fmt.Errorf("METRICS takes a string")
			}
			var keep []*series
			for _, s := range all {
				if strings.Contains(s.label, n.args[0].str) {
					keep = append(keep, s)
				}
			}
			all = keep
		}
		return value{arr: all}, nil
	case "SEARCH":
		if err := argc(3, 3); err != nil {
			return value{}, err
		}
		if n.args[0].op != "str" || n.args[1].op != "str" || n.args[2].op != "num" {
			return value{}, fmt.Errorf("SEARCH takes a search expression string, a statistic string and a period")
		}
		p := int64(n.args[2].num)
		if p <= 0 || float64(p) != n.args[2].num || (p%60 != 0 && p != 1 && p != 5 && p != 10 && p != 30) {
			return value{}, fmt.Errorf("invalid SEARCH period %v", n.args[2].num)
		}
		if !validStat(n.args[1].str) {
			return value{}, fmt.Errorf("invalid SEARCH statistic %q", n.args[1].str)
		}
		arr, err := e.search(n.args[0].str, n.args[1].str, p)
		return value{arr: arr}, err
	}
	args := make([]value, len(n.args))
	for i, a := range n.args {
		if n.str == "FILL" && i == 1 && a.op == "id" && (strings.EqualFold(a.str, "REPEAT") || strings.EqualFold(a.str, "LINEAR")) {
			args[i] = value{}
			continue
		}
		v, err := e.eval(a)
		if err != nil {
			return value{}, err
		}
		args[i] = v
	}
	switch n.str {
	case "SUM", "AVG", "MIN", "MAX":
		if err := argc(1, 1); err != nil {
			return value{}, err
		}
		return reduce(n.str, args[0]), nil
	case "ABS", "CEIL", "FLOOR":
		if err := argc(1, 1); err != nil {
			return value{}, err
		}
		f := map[string]func(float64) float64{"ABS": math.Abs, "CEIL": math.Ceil, "FLOOR": math.Floor}[n.str]
		return mapValue(args[0], f), nil
	case "FILL":
		if err := argc(2, 2); err != nil {
			return value{}, err
		}
		if args[0].isScalar {
			return value{}, fmt.Errorf("FILL takes a time series")
		}
		mode := "value"
		if n.args[1].op == "id" && args[1].arr == nil && !args[1].isScalar {
			mode = strings.ToUpper(n.args[1].str)
		}
		// Filling writes every grid point of every series: bounded, so
		// a FILL of a wide SEARCH over a long range cannot exhaust memory.
		total := 0
		for _, s := range args[0].arr {
			total += len(e.grid(s.period))
		}
		if total > maxFilledPoints {
			return value{}, fmt.Errorf("FILL would produce more than %d datapoints; narrow the time range or the search, or increase the period", maxFilledPoints)
		}
		out := value{}
		for _, s := range args[0].arr {
			out.arr = append(out.arr, e.fill(s, mode, args[1]))
		}
		return out, nil
	case "IF":
		if err := argc(2, 3); err != nil {
			return value{}, err
		}
		return e.ifValue(args)
	case "ANOMALY_DETECTION_BAND":
		if err := argc(1, 2); err != nil {
			return value{}, err
		}
		width := 2.0
		if len(args) == 2 {
			if !args[1].isScalar || args[1].scalar <= 0 {
				return value{}, fmt.Errorf("ANOMALY_DETECTION_BAND takes a positive band width")
			}
			width = args[1].scalar
		}
		if args[0].isScalar || len(args[0].arr) != 1 {
			return value{}, fmt.Errorf("ANOMALY_DETECTION_BAND takes one time series")
		}
		return band(args[0].arr[0], width), nil
	}
	return value{}, fmt.Errorf("unknown function %s", n.str)
}

// band is ANOMALY_DETECTION_BAND without a trained model: the series'
// mean ± width standard deviations over the range, as two series (lower,
// upper) at the series' timestamps. niwa trains no anomaly model; this is
// the band a model with no seasonality would draw.
func band(s *series, width float64) value {
	var sum, sq float64
	for _, v := range s.pts {
		sum += v
	}
	n := float64(len(s.pts))
	mean := sum / n
	for _, v := range s.pts {
		sq += (v - mean) * (v - mean)
	}
	dev := 0.0
	if n > 0 {
		dev = math.Sqrt(sq / n)
	}
	lo := &series{label: s.label + " (lower)", period: s.period, pts: map[int64]float64{}}
	hi := &series{label: s.label + " (upper)", period: s.period, pts: map[int64]float64{}}
	for t := range s.pts {
		lo.pts[t], hi.pts[t] = mean-width*dev, mean+width*dev
	}
	return value{arr: []*series{lo, hi}}
}

// reduce is SUM/AVG/MIN/MAX: of one series, a scalar over its points; of
// an array, one series over the array at each timestamp.
func reduce(fn string, x value) value {
	if x.isScalar {
		return x
	}
	fold := func(vals []float64) float64 {
		switch fn {
		case "SUM":
			s := 0.0
			for _, v := range vals {
				s += v
			}
			return s
		case "AVG":
			s := 0.0
			for _, v := range vals {
				s += v
			}
			return s / float64(len(vals))
		case "MIN":
			m := math.Inf(1)
			for _, v := range vals {
				m = math.Min(m, v)
			}
			return m
		}
		m := math.Inf(-1)
		for _, v := range vals {
			m = math.Max(m, v)
		}
		return m
	}
	if len(x.arr) == 1 {
		s := x.arr[0]
		if len(s.pts) == 0 {
			return value{arr: []*series{{label: s.label, period: s.period, pts: map[int64]float64{}}}}
		}
		vals := make([]float64, 0, len(s.pts))
		for _, v := range s.pts {
			vals = append(vals, v)
		}
		return value{scalar: fold(vals), isScalar: true}
	}
	by := map[int64][]float64{}
	var period int64
	for _, s := range x.arr {
		period = s.period
		for t, v := range s.pts {
			by[t] = append(by[t], v)
		}
	}
	out := &series{period: period, pts: map[int64]float64{}}
	for t, vals := range by {
		out.pts[t] = fold(vals)
	}
	return value{arr: []*series{out}}
}

// grid is every period timestamp of the request's range.
func (e *evalEnv) grid(period int64) []int64 {
	if period <= 0 {
		period = e.period
	}
	var out []int64
	for t := alignStart(time.Unix(e.start, 0), period, e.now); t < e.end && len(out) < 100800; t += period {
		out = append(out, t)
	}
	return out
}

func (e *evalEnv) fill(s *series, mode string, with value) *series {
	out := &series{label: s.label, period: s.period, pts: make(map[int64]float64, len(s.pts))}
	for t, v := range s.pts {
		out.pts[t] = v
	}
	grid := e.grid(s.period)
	known := make([]int64, 0, len(s.pts))
	for t := range s.pts {
		known = append(known, t)
	}
	sort.Slice(known, func(i, j int) bool { return known[i] < known[j] })
	for _, t := range grid {
		if _, ok := s.pts[t]; ok {
			continue
		}
		switch mode {
		case "REPEAT", "LINEAR":
			i := sort.Search(len(known), func(i int) bool { return known[i] > t })
			switch {
			case i == 0 && len(known) > 0:
				out.pts[t] = s.pts[known[0]]
			case i == len(known) && len(known) > 0:
				out.pts[t] = s.pts[known[i-1]]
			case len(known) > 0:
				a, b := known[i-1], known[i]
				if mode == "REPEAT" {
					out.pts[t] = s.pts[a]
				} else {
					out.pts[t] = s.pts[a] + (s.pts[b]-s.pts[a])*float64(t-a)/float64(b-a)
				}
			}
		default:
			if with.isScalar {
				out.pts[t] = with.scalar
			} else if len(with.arr) == 1 {
				if v, ok := with.arr[0].pts[t]; ok {
					out.pts[t] = v
				}
			}
		}
	}
	return out
}

func (e *evalEnv) ifValue(args []value) (value, error) {
	cond, a := args[0], args[1]
	b := value{}
	hasB := len(args) == 3
	if hasB {
		b = args[2]
	}
	at := func(v value, s int, t int64) (float64, bool) {
		if v.isScalar {
			return v.scalar, true
		}
		if len(v.arr) == 0 {
			return 0, false
		}
		if s >= len(v.arr) {
			s = 0
		}
		x, ok := v.arr[s].pts[t]
		return x, ok
	}
	if cond.isScalar && a.isScalar && (!hasB || b.isScalar) {
		if cond.scalar != 0 {
			return a, nil
		}
		if hasB {
			return b, nil
		}
		return value{arr: []*series{}}, nil
	}
	// The timestamps come from whichever arguments are series.
	var shape []*series
	for _, v := range args {
		if !v.isScalar && len(v.arr) > len(shape) {
			shape = v.arr
		}
	}
	out := value{}
	for i, s := range shape {
		r := &series{label: s.label, period: s.period, pts: map[int64]float64{}}
		ts := map[int64]bool{}
		for _, v := range args {
			if !v.isScalar && len(v.arr) > 0 {
				src := v.arr[0]
				if i < len(v.arr) {
					src = v.arr[i]
				}
				for t := range src.pts {
					ts[t] = true
				}
			}
		}
		for t := range ts {
			c, ok := at(cond, i, t)
			if !ok {
				continue
			}
			if c != 0 {
				if x, ok := at(a, i, t); ok {
					r.pts[t] = x
				}
			} else if hasB {
				if x, ok := at(b, i, t); ok {
					r.pts[t] = x
				}
			}
		}
		out.arr = append(out.arr, r)
	}
	return out, nil
}

// ---- SEARCH expressions ----

// searchQuery is a parsed SEARCH expression:
// '{Namespace,DimName,...} MetricName="x" term ...'.
type searchQuery struct {
	schema   []string // namespace then dimension names; nil: any metric
	exact    map[string]string
	partials []string
}

func parseSearch(s string) (*searchQuery, error) {
	q := &searchQuery{exact: map[string]string{}}
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "{") {
		end := strings.IndexByte(s, '}')
		if end < 0 {
			return nil, fmt.Errorf("unterminated schema in SEARCH expression")
		}
		for _, part := range strings.Split(s[1:end], ",") {
			part = strings.Trim(strings.TrimSpace(part), `"`)
			if part == "" {
				return nil, fmt.Errorf("empty name in SEARCH schema")
			}
			q.schema = append(q.schema, part)
		}
		s = s[end+1:]
	}
	for s = strings.TrimSpace(s); s != ""; s = strings.TrimSpace(s) {
		key, rest := "", s
		if i := strings.IndexAny(s, "= "); i >= 0 && s[i] == '=' {
			key = strings.Trim(s[:i], `"`)
			rest = s[i+1:]
		}
		var val string
		if strings.HasPrefix(rest, `"`) {
			end := strings.IndexByte(rest[1:], '"')
			if end < 0 {
				return nil, fmt.Errorf("unterminated string in SEARCH expression")
			}
			val, s = rest[1:1+end], rest[end+2:]
		} else {
			end := strings.IndexByte(rest, ' ')
			if end < 0 {
				end = len(rest)
			}
			val, s = rest[:end], rest[end:]
		}
		if strings.EqualFold(val, "AND") && key == "" {
			continue
		}
		if key != "" {
			q.exact[key] = val
		} else if val != "" {
			q.partials = append(q.partials, val)
		}
	}
	return q, nil
}

func (q *searchQuery) matches(m metricRecord) bool {
	if q.schema != nil {
		if m.Namespace != q.schema[0] || len(m.Dimensions) != len(q.schema)-1 {
			return false
		}
		for _, name := range q.schema[1:] {
			found := false
			for _, d := range m.Dimensions {
				found = found || d.N == name
			}
			if !found {
				return false
			}
		}
	}
	for k, v := range q.exact {
		switch k {
		case "MetricName":
			if m.Name != v {
				return false
			}
		case "Namespace":
			if m.Namespace != v {
				return false
			}
		default:
			found := false
			for _, d := range m.Dimensions {
				found = found || (d.N == k && d.V == v)
			}
			if !found {
				return false
			}
		}
	}
	for _, p := range q.partials {
		hay := []string{m.Namespace, m.Name}
		for _, d := range m.Dimensions {
			hay = append(hay, d.N, d.V)
		}
		found := false
		for _, h := range hay {
			found = found || strings.Contains(strings.ToLower(h), strings.ToLower(p))
		}
		if !found {
			return false
		}
	}
	return true
}
