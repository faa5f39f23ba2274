package duckdb

import (
	"fmt"
	"strings"
)

// typ is a column type: a primitive (kind "string", "bigint",
// "decimal(10,2)", ...) or a struct, array or map of types. One tree
// serves Hive's spelling (table DDL: struct<a:string>) and DuckDB's
// (query results: STRUCT(a VARCHAR)).
type typ struct {
	kind   string // lower case: a primitive, "struct", "array" or "map"
	fields []field
	elem   *typ // array element, map value
	key    *typ // map key
}

type field struct {
	name string
	t    *typ
}

// maxTypeDepth bounds nesting so a hostile type string cannot recurse
// without end.
const maxTypeDepth = 64

// parseHive parses a Hive type (Glue's column types).
func parseHive(s string) (*typ, error) {
	p := &typeParser{s: s}
	t, err := p.hive(0)
	if err != nil {
		return nil, err
	}
	p.space()
	if p.i != len(p.s) {
		return nil, fmt.Errorf("unexpected %q in type %q", p.s[p.i:], s)
	}
	return t, nil
}

// parseDuck parses a DuckDB type as DESCRIBE prints it.
func parseDuck(s string) (*typ, error) {
	p := &typeParser{s: s}
	t, err := p.duck(0)
	if err != nil {
		return nil, err
	}
	p.space()
	if p.i != len(p.s) {
		return nil, fmt.Errorf("unexpected %q in type %q", p.s[p.i:], s)
	}
	return t, nil
}

type typeParser struct {
	s string
	i int
}

func (p *typeParser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n' || p.s[p.i] == '\r') {
		p.i++
	}
}

func (p *typeParser) eat(c byte) bool {
	p.space()
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

// word reads a name: letters, digits, underscores, or a quoted name
// ("x" or `x`).
func (p *typeParser) word() string {
	p.space()
	if p.i < len(p.s) && (p.s[p.i] == '"' || p.s[p.i] == '`') {
		q := p.s[p.i]
		var b strings.Builder
		for p.i++; p.i < len(p.s); p.i++ {
			if p.s[p.i] == q {
				if p.i+1 < len(p.s) && p.s[p.i+1] == q {
					b.WriteByte(q)
					p.i++
					continue
				}
				p.i++
				return b.String()
			}
			b.WriteByte(p.s[p.i])
		}
		return b.String()
	}
	start := p.i
	for p.i < len(p.s) {
		c := p.s[p.i]
		if c == '_' || c == '$' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80 {
			p.i++
			continue
		}
		break
	}
	return p.s[start:p.i]
}

// args reads "(p,s)" after decimal, char(n), varchar(n).
func (p *typeParser) args() string {
	p.space()
	if p.i >= len(p.s) || p.s[p.i] != '(' {
		return ""
	}
	end := strings.IndexByte(p.s[p.i:], ')')
	if end < 0 {
		return ""
	}
	a := strings.ReplaceAll(p.s[p.i:p.i+end+1], " ", "")
	p.i += end + 1
	return a
}

func (p *typeParser) hive(depth int) (*typ, error) {
	if depth > maxTypeDepth {
		return nil, fmt.Errorf("type nested too deeply")
	}
	name := strings.ToLower(p.word())
	switch name {
	case "":
		return nil, fmt.Errorf("missing type at %q", p.s[p.i:])
	case "struct":
		if !p.eat('<') {
			return nil, fmt.Errorf("struct without <")
		}
		t := &typ{kind: "struct"}
		if p.eat('>') {
			return t, nil
		}
		for {
			fname := p.word()
			if fname == "" || !p.eat(':') {
				return nil, fmt.Errorf("bad struct field at %q", p.s[p.i:])
			}
			ft, err := p.hive(depth + 1)
			if err != nil {
				return nil, err
			}
			t.fields = append(t.fields, field{fname, ft})
			if p.eat('>') {
				return t, nil
			}
			if !p.eat(',') {
				return nil, fmt.Errorf("expected , or > at %q", p.s[p.i:])
			}
		}
	case "array":
		if !p.eat('<') {
			return nil, fmt.Errorf("array without <")
		}
		e, err := p.hive(depth + 1)
		if err != nil {
			return nil, err
		}
		if !p.eat('>') {
			return nil, fmt.Errorf("expected > at %q", p.s[p.i:])
		}
		return &typ{kind: "array", elem: e}, nil
	case "map":
		if !p.eat('<') {
			return nil, fmt.Errorf("map without <")
		}
		k, err := p.hive(depth + 1)
		if err != nil {
			return nil, err
		}
		if !p.eat(',') {
			return nil, fmt.Errorf("expected , at %q", p.s[p.i:])
		}
		v, err := p.hive(depth + 1)
		if err != nil {
			return nil, err
		}
		if !p.eat('>') {
			return nil, fmt.Errorf("expected > at %q", p.s[p.i:])
		}
		return &typ{kind: "map", key: k, elem: v}, nil
	}
	switch name {
	case "string", "varchar", "char", "int", "integer", "bigint", "smallint", "tinyint", "double", "float", "real",
		"boolean", "date", "timestamp", "decimal", "binary":
	default:
		return nil, fmt.Errorf("unknown type %q", name)
	}
	return &typ{kind: name + p.args()}, nil
}

func (p *typeParser) duck(depth int) (*typ, error) {
	if depth > maxTypeDepth {
		return nil, fmt.Errorf("type nested too deeply")
	}
	name := strings.ToUpper(p.word())
	var t *typ
	switch name {
	case "":
		return nil, fmt.Errorf("missing type at %q", p.s[p.i:])
	case "STRUCT":
		if !p.eat('(') {
			return nil, fmt.Errorf("STRUCT without (")
		}
		t = &typ{kind: "struct"}
		if !p.eat(')') {
			for {
				fname := p.word()
				ft, err := p.duck(depth + 1)
				if err != nil {
					return nil, err
				}
				t.fields = append(t.fields, field{fname, ft})
				if p.eat(')') {
					break
				}
				if !p.eat(',') {
					return nil, fmt.Errorf("expected , or ) at %q", p.s[p.i:])
				}
			}
		}
	case "MAP":
		if !p.eat('(') {
			return nil, fmt.Errorf("MAP without (")
		}
		k, err := p.duck(depth + 1)
		if err != nil {
			return nil, err
		}
		if !p.eat(',') {
			return nil, fmt.Errorf("expected , at %q", p.s[p.i:])
		}
		v, err := p.duck(depth + 1)
		if err != nil {
			return nil, err
		}
		if !p.eat(')') {
			return nil, fmt.Errorf("expected ) at %q", p.s[p.i:])
		}
		t = &typ{kind: "map", key: k, elem: v}
	default:
		kind := strings.ToLower(name)
		if kind == "timestamp" || kind == "time" {
			// TIMESTAMP WITH TIME ZONE
			save := p.i
			if strings.EqualFold(p.word(), "with") {
				p.word()
				p.word()
				p.word()
				kind += " with time zone"
			} else {
				p.i = save
			}
		}
		t = &typ{kind: kind + strings.ToLower(p.args())}
	}
	for {
		// T[] and T[n] are lists and arrays.
		p.space()
		if p.i < len(p.s) && p.s[p.i] == '[' {
			end := strings.IndexByte(p.s[p.i:], ']')
			if end < 0 {
				return nil, fmt.Errorf("unclosed [ in type")
			}
			p.i += end + 1
			t = &typ{kind: "array", elem: t}
			continue
		}
		return t, nil
	}
}

// duckType spells a Hive type for DuckDB.
func (t *typ) duckType() string {
	switch t.kind {
	case "struct":
		parts := make([]string, len(t.fields))
		for i, f := range t.fields {
			parts[i] = quoteIdent(f.name) + " " + f.t.duckType()
		}
		if len(parts) == 0 {
			return "JSON"
		}
		return "STRUCT(" + strings.Join(parts, ", ") + ")"
	case "array":
		return t.elem.duckType() + "[]"
	case "map":
		return "MAP(" + t.key.duckType() + ", " + t.elem.duckType() + ")"
	}
	base, args, _ := strings.Cut(t.kind, "(")
	switch base {
	case "string", "varchar", "char":
		return "VARCHAR"
	case "int", "integer":
		return "INTEGER"
	case "bigint":
		return "BIGINT"
	case "smallint":
		return "SMALLINT"
	case "tinyint":
		return "TINYINT"
	case "double":
		return "DOUBLE"
	case "float", "real":
		return "FLOAT"
	case "boolean":
		return "BOOLEAN"
	case "date":
		return "DATE"
	case "timestamp":
		return "TIMESTAMP"
	case "decimal":
		if args == "" {
			return "DECIMAL(10,0)"
		}
		return "DECIMAL(" + args
	case "binary":
		return "BLOB"
	}
	return "VARCHAR"
}

// athena names a DuckDB result type as Athena's ColumnInfo.Type does.
func (t *typ) athena() string {
	switch t.kind {
	case "struct":
		return "row"
	case "array":
		return "array"
	case "map":
		return "map"
	}
	base, _, _ := strings.Cut(t.kind, "(")
	switch base {
	case "varchar", "char", "bpchar", "text", "string":
		return "varchar"
	case "integer", "int", "int4", "usmallint", "utinyint":
		return "integer"
	case "bigint", "int8", "hugeint", "ubigint", "uinteger", "uhugeint":
		return "bigint"
	case "smallint":
		return "smallint"
	case "tinyint":
		return "tinyint"
	case "double", "float8":
		return "double"
	case "float", "real", "float4":
		return "float"
	case "boolean", "bool":
		return "boolean"
	case "decimal", "numeric":
		return "decimal"
	case "blob", "bytea":
		return "varbinary"
	case "interval":
		return "interval day to second"
	}
	return base
}

// hive spells a DuckDB result type the way Glue stores columns (CTAS and
// views record their columns).
func (t *typ) hive() string {
	switch t.kind {
	case "struct":
		parts := make([]string, len(t.fields))
		for i, f := range t.fields {
			parts[i] = f.name + ":" + f.t.hive()
		}
		return "struct<" + strings.Join(parts, ",") + ">"
	case "array":
		return "array<" + t.elem.hive() + ">"
	case "map":
		return "map<" + t.key.hive() + "," + t.elem.hive() + ">"
	}
	switch a := t.athena(); a {
	case "varchar":
		return "string"
	case "timestamp with time zone":
		return "timestamp"
	case "varbinary":
		return "binary"
	case "decimal":
		if _, args, ok := strings.Cut(t.kind, "("); ok {
			return "decimal(" + args
		}
		return a
	default:
		return a
	}
}

// quoteIdent quotes a name for DuckDB.
func quoteIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// quoteString quotes a string literal for DuckDB.
func quoteString(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}
