package selectsql

import (
	"fmt"
	"strconv"
	"strings"
)

// Column is a column of the table the records were loaded into.
type Column struct {
	// Name is the table's column name.
	Name string
	// Key is the name the statement uses: a CSV header or a JSON key.
	Key string
	// JSON is set when the column holds JSON text (a nested object or
	// array, or values of mixed types).
	JSON bool
}

// Schema is the table the statement runs over.
type Schema struct {
	// Table is the table's name.
	Table string
	// Columns are its columns, in the order of the records' fields.
	Columns []Column
	// CSV is set for CSV records: _N names the N-th field, and a name
	// needs a header (Headers).
	CSV     bool
	Headers bool
	// Record names the column holding each JSON record's whole text
	// (SELECT *).
	Record string
}

// Output is one column of the statement's answer.
type Output struct {
	// Name is the column's name in JSON output.
	Name string
	// JSON is set when the engine answers the value as JSON text.
	JSON bool
	// Record is set when the value is a whole JSON record (SELECT * over
	// JSON): CSV output writes its top-level values.
	Record bool
}

// Translation is a statement in the engine's dialect.
type Translation struct {
	SQL     string
	Outputs []Output
}

type translator struct {
	s   Schema
	src string
}

// Translate translates q, parsed from src, over the table s into the SQL
// engine's dialect (Trino's).
func Translate(q *Query, src string, s Schema) (*Translation, error) {
	t := &translator{s: s, src: src}
	out := &Translation{}
	var sel []string
	switch {
	case q.Star && s.Record != "":
		sel = []string{quoteIdent(s.Record)}
		out.Outputs = []Output{{Name: "_1", JSON: true, Record: true}}
	case q.Star:
		for i, c := range s.Columns {
			sel = append(sel, quoteIdent(c.Name))
			name := c.Key
			if !s.Headers || name == "" {
				name = "_" + strconv.Itoa(i+1)
			}
			out.Outputs = append(out.Outputs, Output{Name: name, JSON: c.JSON})
		}
		if len(sel) == 0 {
			sel = []string{"NULL"}
			out.Outputs = []Output{{Name: "_1"}}
		}
	default:
		for i, it := range q.Items {
			o := Output{Name: it.As}
			var x string
			var err error
			if r, ok := it.X.(*Ref); ok {
				x, o.JSON, err = t.ref(r, true)
				if o.Name == "" {
					last := r.Path[len(r.Path)-1]
					if !last.IsIndex {
						o.Name = last.Name
					}
				}
			} else {
				x, err = t.expr(it.X)
			}
			if err != nil {
				return nil, err
			}
			if o.Name == "" {
				o.Name = "_" + strconv.Itoa(i+1)
			}
			sel = append(sel, x)
			out.Outputs = append(out.Outputs, o)
		}
	}
	var b strings.Builder
	b.WriteString("SELECT " + strings.Join(sel, ", ") + " FROM " + quoteIdent(s.Table))
	if q.Where != nil {
		w, err := t.expr(q.Where)
		if err != nil {
			return nil, err
		}
		b.WriteString(" WHERE " + w)
	}
	if q.Limit >= 0 {
		b.WriteString(" LIMIT " + strconv.FormatInt(q.Limit, 10))
	}
	out.SQL = b.String()
	return out, nil
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func quoteString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// column resolves a reference's first name.
func (t *translator) column(r *Ref) (*Column, error) {
	e := r.Path[0]
	if t.s.CSV && !e.Quoted && len(e.Name) > 1 && e.Name[0] == '_' {
		if n, err := strconv.Atoi(e.Name[1:]); err == nil {
			if n < 1 {
				return nil, errAt(t.src, r.pos, "InvalidColumnIndex", "The column index "+e.Name+" is invalid")
			}
			if n > len(t.s.Columns) {
				return nil, nil // a field no record has: MISSING
			}
			return &t.s.Columns[n-1], nil
		}
	}
	if t.s.CSV && !t.s.Headers {
		return nil, errAt(t.src, r.pos, "MissingHeaders", "Some headers in the query are missing from the file. Check the file and try again")
	}
	var found *Column
	for i := range t.s.Columns {
		c := &t.s.Columns[i]
		if c.Key == e.Name {
			return c, nil
		}
		if !e.Quoted && strings.EqualFold(c.Key, e.Name) {
			if found != nil {
				return nil, errAt(t.src, r.pos, "AmbiguousFieldName", "Field name matches to multiple fields in the file. Check the SQL expression and the file, and try again")
			}
			found = c
		}
	}
	return found, nil
}

// ref translates a column reference; project is set when it is a
// selected item (a nested value is then answered as JSON text).
func (t *translator) ref(r *Ref, project bool) (string, bool, error) {
	c, err := t.column(r)
	if err != nil {
		return "", false, err
	}
	if c == nil {
		return "NULL", false, nil
	}
	if len(r.Path) == 1 {
		return quoteIdent(c.Name), c.JSON, nil
	}
	if !c.JSON {
		return "NULL", false, nil // a path into a scalar: MISSING
	}
	path := "$"
	for _, e := range r.Path[1:] {
		switch {
		case e.IsIndex:
			path += "[" + strconv.Itoa(e.Index) + "]"
		case e.Wildcard:
			return "", false, errAt(t.src, r.pos, "UnsupportedSqlStructure", "The SQL expression's path wildcards are supported only in FROM")
		default:
			path += `."` + strings.ReplaceAll(e.Name, `"`, `\"`) + `"`
		}
	}
	if project {
		return "json_extract(" + quoteIdent(c.Name) + ", " + quoteString(path) + ")", true, nil
	}
	return "json_extract_scalar(" + quoteIdent(c.Name) + ", " + quoteString(path) + ")", false, nil
}

// functions maps S3 Select's functions to the engine's, with their
// argument counts (min, max; -1 any).
var functions = map[string]struct {
	name     string
	min, max int
}{
	"count": {"count", 1, 1}, "sum": {"sum", 1, 1}, "avg": {"avg", 1, 1}, "min": {"min", 1, 1}, "max": {"max", 1, 1},
	"lower": {"lower", 1, 1}, "upper": {"upper", 1, 1},
	"char_length": {"length", 1, 1}, "character_length": {"length", 1, 1},
	"coalesce": {"coalesce", 1, -1}, "nullif": {"nullif", 2, 2},
	"date_add": {"date_add", 3, 3}, "date_diff": {"date_diff", 3, 3},
	"utcnow": {"current_timestamp", 0, 0}, "to_timestamp": {"from_iso8601_timestamp", 1, 1},
	"abs": {"abs", 1, 1},
}

func (t *translator) expr(x Expr) (string, error) {
	switch e := x.(type) {
	case *Lit:
		switch e.Kind {
		case "string":
			return quoteString(e.Text), nil
		case "null":
			return "NULL", nil
		case "bool":
			return strings.ToUpper(e.Text), nil
		}
		return e.Text, nil
	case *Ref:
		s, _, err := t.ref(e, false)
		return s, err
	case *Unary:
		s, err := t.expr(e.X)
		if e.Op == "NOT" {
			return "(NOT " + s + ")", err
		}
		return "(-" + s + ")", err
	case *Binary:
		l, err := t.expr(e.L)
		if err != nil {
			return "", err
		}
		r, err := t.expr(e.R)
		if err != nil {
			return "", err
		}
		if e.Op == "||" {
			// S3 Select concatenates strings; the operands are cast so
			// that a number concatenates as its text.
			return "concat(CAST(" + l + " AS varchar), CAST(" + r + " AS varchar))", nil
		}
		return "(" + l + " " + e.Op + " " + r + ")", nil
	case *Cast:
		s, err := t.expr(e.X)
		return "CAST(" + s + " AS " + e.Type + ")", err
	case *Case:
		var b strings.Builder
		b.WriteString("CASE")
		if e.Operand != nil {
			s, err := t.expr(e.Operand)
			if err != nil {
				return "", err
			}
			b.WriteString(" " + s)
		}
		for _, w := range e.Whens {
			c, err := t.expr(w[0])
			if err != nil {
				return "", err
			}
			v, err := t.expr(w[1])
			if err != nil {
				return "", err
			}
			b.WriteString(" WHEN " + c + " THEN " + v)
		}
		if e.Else != nil {
			s, err := t.expr(e.Else)
			if err != nil {
				return "", err
			}
			b.WriteString(" ELSE " + s)
		}
		return b.String() + " END", nil
	case *Like:
		s, err := t.expr(e.X)
		if err != nil {
			return "", err
		}
		p, err := t.expr(e.Pattern)
		if err != nil {
			return "", err
		}
		op := " LIKE "
		if e.Not {
			op = " NOT LIKE "
		}
		out := "(CAST(" + s + " AS varchar)" + op + p
		if e.Escape != nil {
			esc, err := t.expr(e.Escape)
			if err != nil {
				return "", err
			}
			out += " ESCAPE " + esc
		}
		return out + ")", nil
	case *Between:
		s, err := t.expr(e.X)
		if err != nil {
			return "", err
		}
		lo, err := t.expr(e.Lo)
		if err != nil {
			return "", err
		}
		hi, err := t.expr(e.Hi)
		if err != nil {
			return "", err
		}
		op := " BETWEEN "
		if e.Not {
			op = " NOT BETWEEN "
		}
		return "(" + s + op + lo + " AND " + hi + ")", nil
	case *In:
		s, err := t.expr(e.X)
		if err != nil {
			return "", err
		}
		list := make([]string, len(e.List))
		for i, v := range e.List {
			if list[i], err = t.expr(v); err != nil {
				return "", err
			}
		}
		op := " IN ("
		if e.Not {
			op = " NOT IN ("
		}
		return "(" + s + op + strings.Join(list, ", ") + "))", nil
	case *Is:
		s, err := t.expr(e.X)
		if e.Not {
			return "(" + s + " IS NOT NULL)", err
		}
		return "(" + s + " IS NULL)", err
	case *Extract:
		s, err := t.expr(e.X)
		return "extract(" + e.Part + " FROM " + s + ")", err
	case *Trim:
		s, err := t.expr(e.X)
		if err != nil {
			return "", err
		}
		fn := map[string]string{"both": "trim", "leading": "ltrim", "trailing": "rtrim"}[e.Where]
		if e.Chars == nil {
			return fn + "(" + s + ")", nil
		}
		c, err := t.expr(e.Chars)
		return fn + "(" + s + ", " + c + ")", err
	case *Substring:
		s, err := t.expr(e.X)
		if err != nil {
			return "", err
		}
		from, err := t.expr(e.From)
		if err != nil {
			return "", err
		}
		// S3 Select counts a start before 1 into the length, as SQL-92
		// does; substr does not, so the start is clamped and the length
		// shortened.
		if e.For == nil {
			return "substr(CAST(" + s + " AS varchar), greatest(" + from + ", 1))", nil
		}
		n, err := t.expr(e.For)
		if err != nil {
			return "", err
		}
		return "substr(CAST(" + s + " AS varchar), greatest(" + from + ", 1), greatest(" + n + " + least(" + from + ", 1) - 1, 0))", nil
	case *Func:
		f, ok := functions[e.Name]
		if !ok {
			return "", errf("UnsupportedFunction", "The SQL expression contains an unsupported function %s.", strings.ToUpper(e.Name))
		}
		if e.Star {
			return "count(*)", nil
		}
		if len(e.Args) < f.min || f.max >= 0 && len(e.Args) > f.max {
			return "", errf("IncorrectSqlFunctionArgumentType", "The SQL expression calls %s with %d arguments.", strings.ToUpper(e.Name), len(e.Args))
		}
		if f.max == 0 {
			return f.name, nil
		}
		args := make([]string, len(e.Args))
		for i, a := range e.Args {
			s, err := t.expr(a)
			if err != nil {
				return "", err
			}
			args[i] = s
		}
		return f.name + "(" + strings.Join(args, ", ") + ")", nil
	}
	return "", fmt.Errorf("selectsql: unknown expression %T", x)
}
