package athena

import (
	"fmt"
	"strconv"
	"strings"
)

// Athena's statements are tokenized here for what Athena itself does
// with them — DDL against the Glue catalog, SHOW and DESCRIBE, finding
// the tables a query reads, prepared statement parameters. SELECT
// statements themselves go to the engine as written.

type tokKind int

const (
	tIdent  tokKind = iota // a name or keyword
	tQuoted                // "name" or `name`
	tString                // 'text' (val is the unescaped text)
	tNumber
	tSymbol
	tParam // ?
)

type tok struct {
	kind tokKind
	val  string // unescaped value; keywords keep their case
	pos  int    // byte offset in the statement
	end  int
}

// is reports whether t is the keyword kw (case-insensitive).
func (t tok) is(kw string) bool { return t.kind == tIdent && strings.EqualFold(t.val, kw) }

// name is t as a name: lower case unless quoted (Athena lower-cases
// names; Glue stores them so).
func (t tok) name() string { return strings.ToLower(t.val) }

// maxTokens bounds a statement (Athena's limit is 262144 bytes).
const maxTokens = 200_000

// lex tokenizes a statement. String literals unescape both SQL's ”
// and Hive's backslash escapes when hive is set (DDL).
func lex(s string, hive bool) ([]tok, error) {
	var out []tok
	for i := 0; i < len(s); {
		if len(out) > maxTokens {
			return nil, fmt.Errorf("statement too long")
		}
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
			i++
		case c == '-' && i+1 < len(s) && s[i+1] == '-':
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(s) && s[i+1] == '*':
			j := strings.Index(s[i+2:], "*/")
			if j < 0 {
				return nil, fmt.Errorf("line %s: unterminated comment", lineCol(s, i))
			}
			i += j + 4
		case c == '\'':
			var b strings.Builder
			j := i + 1
			for ; ; j++ {
				if j >= len(s) {
					return nil, fmt.Errorf("line %s: unterminated string literal", lineCol(s, i))
				}
				if s[j] == '\'' {
					if j+1 < len(s) && s[j+1] == '\'' {
						b.WriteByte('\'')
						j++
						continue
					}
					break
				}
				if hive && s[j] == '\\' && j+1 < len(s) {
					j++
					switch s[j] {
					case 'n':
						b.WriteByte('\n')
					case 't':
						b.WriteByte('\t')
					case 'r':
						b.WriteByte('\r')
					case '0', '1', '2', '3':
						// \001: an octal byte (Hive's default delimiter).
						k := j
						for k < len(s) && k < j+3 && s[k] >= '0' && s[k] <= '7' {
							k++
						}
						n, _ := strconv.ParseUint(s[j:k], 8, 8)
						b.WriteByte(byte(n))
						j = k - 1
					default:
						b.WriteByte(s[j])
					}
					continue
				}
				b.WriteByte(s[j])
			}
			out = append(out, tok{kind: tString, val: b.String(), pos: i, end: j + 1})
			i = j + 1
		case c == '"' || c == '`':
			var b strings.Builder
			j := i + 1
			for ; ; j++ {
				if j >= len(s) {
					return nil, fmt.Errorf("line %s: unterminated quoted identifier", lineCol(s, i))
				}
				if s[j] == c {
					if j+1 < len(s) && s[j+1] == c {
						b.WriteByte(c)
						j++
						continue
					}
					break
				}
				b.WriteByte(s[j])
			}
			out = append(out, tok{kind: tQuoted, val: b.String(), pos: i, end: j + 1})
			i = j + 1
		case c >= '0' && c <= '9':
			j := i
			for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == '.') {
				j++
			}
			out = append(out, tok{kind: tNumber, val: s[i:j], pos: i, end: j})
			i = j
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80:
			j := i
			for j < len(s) && (s[j] == '_' || s[j] == '$' || s[j] >= '0' && s[j] <= '9' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z' || s[j] >= 0x80) {
				j++
			}
			out = append(out, tok{kind: tIdent, val: s[i:j], pos: i, end: j})
			i = j
		case c == '?':
			out = append(out, tok{kind: tParam, val: "?", pos: i, end: i + 1})
			i++
		default:
			out = append(out, tok{kind: tSymbol, val: string(c), pos: i, end: i + 1})
			i++
		}
	}
	return out, nil
}

// lineCol is "L:C" of byte offset i, as Athena words positions.
func lineCol(s string, i int) string {
	line, col := 1, 1
	for _, c := range s[:i] {
		if c == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return fmt.Sprintf("%d:%d", line, col)
}

// parser walks tokens.
type parser struct {
	src  string
	toks []tok
	i    int
}

func (p *parser) peek() tok {
	if p.i < len(p.toks) {
		return p.toks[p.i]
	}
	return tok{kind: tSymbol, val: "", pos: len(p.src), end: len(p.src)}
}

func (p *parser) done() bool {
	return p.i >= len(p.toks) || (p.i == len(p.toks)-1 && p.toks[p.i].val == ";")
}

// accept consumes the keywords kws in sequence if they all come next.
func (p *parser) accept(kws ...string) bool {
	for k, kw := range kws {
		if p.i+k >= len(p.toks) {
			return false
		}
		t := p.toks[p.i+k]
		if !(t.is(kw) || t.kind == tSymbol && t.val == kw) {
			return false
		}
	}
	p.i += len(kws)
	return true
}

func (p *parser) errorf(format string, args ...any) error {
	t := p.peek()
	return fmt.Errorf("line %s: %s", lineCol(p.src, t.pos), fmt.Sprintf(format, args...))
}

func (p *parser) expect(kws ...string) error {
	if !p.accept(kws...) {
		got := p.peek().val
		if got == "" {
			got = "<EOF>"
		}
		return p.errorf("mismatched input '%s'. Expecting: '%s'", got, strings.Join(kws, " "))
	}
	return nil
}

// ident reads a name.
func (p *parser) ident() (string, error) {
	t := p.peek()
	if t.kind != tIdent && t.kind != tQuoted {
		got := t.val
		if got == "" {
			got = "<EOF>"
		}
		return "", p.errorf("mismatched input '%s'. Expecting: <identifier>", got)
	}
	p.i++
	return t.name(), nil
}

// qualified reads [db.]name, db defaulting to def.
func (p *parser) qualified(def string) (db, name string, err error) {
	quoted := p.peek().kind == tQuoted
	first, err := p.ident()
	if err != nil {
		return "", "", err
	}
	if db, name, ok := strings.Cut(first, "."); ok && quoted && p.peek().val != "." {
		// `db.table` in one pair of backticks, as AWS's documented S3
		// access log DDL writes it.
		return db, name, nil
	}
	if p.accept(".") {
		second, err := p.ident()
		if err != nil {
			return "", "", err
		}
		if p.accept(".") {
			// catalog.db.table: the one catalog.
			third, err := p.ident()
			if err != nil {
				return "", "", err
			}
			return second, third, nil
		}
		return first, second, nil
	}
	return def, first, nil
}

func (p *parser) str() (string, error) {
	t := p.peek()
	if t.kind != tString {
		got := t.val
		if got == "" {
			got = "<EOF>"
		}
		return "", p.errorf("mismatched input '%s'. Expecting: <string>", got)
	}
	p.i++
	return t.val, nil
}

// props reads ('k'='v', ...).
func (p *parser) props() (map[string]string, error) {
	if err := p.expect("("); err != nil {
		return nil, err
	}
	m := map[string]string{}
	for !p.accept(")") {
		k, err := p.str()
		if err != nil {
			return nil, err
		}
		if err := p.expect("="); err != nil {
			return nil, err
		}
		v, err := p.str()
		if err != nil {
			return nil, err
		}
		m[k] = v
		if !p.accept(",") && p.peek().val != ")" {
			return nil, p.expect(")")
		}
	}
	return m, nil
}

// typeText reads a Hive column type up to a top-level , or ), spelled as
// Glue stores it (lower case, no spaces).
func (p *parser) typeText() (string, error) {
	var b strings.Builder
	depth := 0
	for !p.done() {
		t := p.peek()
		if depth == 0 && t.kind == tSymbol && (t.val == "," || t.val == ")") {
			break
		}
		if depth == 0 && t.is("comment") {
			break
		}
		switch t.val {
		case "<", "(":
			depth++
		case ">", ")":
			depth--
		}
		switch t.kind {
		case tQuoted:
			b.WriteString(strings.ToLower(t.val))
		case tIdent:
			b.WriteString(strings.ToLower(t.val))
		default:
			b.WriteString(t.val)
		}
		p.i++
	}
	if b.Len() == 0 {
		return "", p.errorf("missing column type")
	}
	return b.String(), nil
}

// columns reads (name type [COMMENT 'c'], ...).
func (p *parser) columns() ([]column, error) {
	if err := p.expect("("); err != nil {
		return nil, err
	}
	var cols []column
	for {
		name, err := p.ident()
		if err != nil {
			return nil, err
		}
		typ, err := p.typeText()
		if err != nil {
			return nil, err
		}
		c := column{Name: name, Type: typ}
		if p.accept("comment") {
			if c.Comment, err = p.str(); err != nil {
				return nil, err
			}
		}
		cols = append(cols, c)
		if p.accept(")") {
			return cols, nil
		}
		if err := p.expect(","); err != nil {
			return nil, err
		}
	}
}

type column struct {
	Name, Type, Comment string
}

// identList reads (a, b, ...).
func (p *parser) identList() ([]string, error) {
	if err := p.expect("("); err != nil {
		return nil, err
	}
	var out []string
	for {
		n, err := p.ident()
		if err != nil {
			return nil, err
		}
		out = append(out, n)
		if p.accept(")") {
			return out, nil
		}
		if err := p.expect(","); err != nil {
			return nil, err
		}
	}
}
