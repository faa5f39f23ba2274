package duckdb

import (
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// jsonLine reads one line of a JSON SerDe's file into r without
// decoding it into maps: a key that names no column is only checked, a
// scalar for a column is read from its text as the general path
// (decode, object, shape) reads it, a nested value for a column is
// decoded and shaped alone. It answers false, leaving r to be reset,
// for whatever it does not take in that form — anything but one JSON
// object with nothing after it, invalid JSON — and the caller reads
// the line with encoding/json, which reads it or words the error.
func (s *serde) jsonLine(r *row, line string) bool {
	p := jsonScan{s: line}
	p.space()
	if !p.eat('{') {
		return false
	}
	p.space()
	if !p.eat('}') {
		for {
			p.space()
			key, ok := p.str()
			if !ok {
				return false
			}
			p.space()
			if !p.eat(':') {
				return false
			}
			p.space()
			if !s.member(r, &p, key) {
				return false
			}
			p.space()
			if p.eat(',') {
				continue
			}
			if p.eat('}') {
				break
			}
			return false
		}
	}
	p.space()
	return p.i == len(p.s)
}

// member reads the value of key into the columns key names.
func (s *serde) member(r *row, p *jsonScan, key string) bool {
	var cols []int
	var one [1]int
	if s.lower != nil {
		var buf [64]byte
		if len(key) <= len(buf) && isASCII(key) {
			for i := 0; i < len(key); i++ {
				c := key[i]
				if c >= 'A' && c <= 'Z' {
					c += 'a' - 'A'
				}
				buf[i] = c
			}
			cols = s.lower[string(buf[:len(key)])]
		} else {
			cols = s.fold(key, one[:0])
		}
	} else {
		cols = s.fold(key, one[:0])
	}
	if p.i >= len(p.s) {
		return false
	}
	start := p.i
	switch c := p.s[p.i]; {
	case c == '"':
		v, ok := p.str()
		if !ok {
			return false
		}
		for _, i := range cols {
			s.scalar(r, i, v)
		}
	case c == '-' || c >= '0' && c <= '9':
		if !p.number() {
			return false
		}
		for _, i := range cols {
			s.scalar(r, i, p.s[start:p.i])
		}
	case c == 't', c == 'f', c == 'n':
		var lit string
		switch c {
		case 't':
			lit = "true"
		case 'f':
			lit = "false"
		default:
			lit = "null"
		}
		if !strings.HasPrefix(p.s[p.i:], lit) {
			return false
		}
		p.i += len(lit)
		for _, i := range cols {
			if c == 'n' {
				r.set[i] = false
			} else {
				s.scalar(r, i, lit)
			}
		}
	case c == '{' || c == '[':
		if !p.skipNested() {
			return false
		}
		raw := p.s[start:p.i]
		if len(cols) == 0 {
			return json.Valid([]byte(raw))
		}
		var v any
		dec := json.NewDecoder(strings.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			return false
		}
		for _, i := range cols {
			if r.value(i, shape(v, s.cols[i])) != nil {
				return false
			}
		}
	default:
		return false
	}
	return true
}

// fold answers the data columns key names, whatever its case, as
// object does.
func (s *serde) fold(key string, cols []int) []int {
	for i := 0; i < s.dataColumns(); i++ {
		if strings.EqualFold(s.table.Columns[i].Name, key) {
			cols = append(cols, i)
		}
	}
	return cols
}

// scalar sets column i from a JSON string's, number's or boolean's text,
// as shape does: a struct, array or map column reads none.
func (s *serde) scalar(r *row, i int, text string) {
	switch s.cols[i].kind {
	case "struct", "array", "map":
		r.set[i] = false
		return
	}
	s.text(r, i, text)
}

// jsonScan reads JSON text strictly (RFC 8259, as encoding/json).
type jsonScan struct {
	s string
	i int
}

func (p *jsonScan) space() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *jsonScan) eat(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

// str reads a string and answers its value: the text itself when it
// holds no escape and only valid UTF-8, else encoding/json's decoding.
func (p *jsonScan) str() (string, bool) {
	start := p.i
	plain, ok := p.skipStr()
	if !ok {
		return "", false
	}
	if v := p.s[start+1 : p.i-1]; plain && utf8.ValidString(v) {
		return v, true
	}
	var out string
	if json.Unmarshal([]byte(p.s[start:p.i]), &out) != nil {
		return "", false
	}
	return out, true
}

// skipStr moves past a string, checking its escapes; plain says it has
// none.
func (p *jsonScan) skipStr() (plain, ok bool) {
	if !p.eat('"') {
		return false, false
	}
	plain = true
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			return plain, true
		case c < 0x20:
			return false, false
		case c == '\\':
			plain = false
			p.i++
			if p.i >= len(p.s) {
				return false, false
			}
			switch p.s[p.i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				p.i++
			case 'u':
				if p.i+5 > len(p.s) {
					return false, false
				}
				for j := p.i + 1; j < p.i+5; j++ {
					if h := p.s[j]; !(h >= '0' && h <= '9' || h >= 'a' && h <= 'f' || h >= 'A' && h <= 'F') {
						return false, false
					}
				}
				p.i += 5
			default:
				return false, false
			}
		default:
			p.i++
		}
	}
	return false, false
}

// number reads a number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (p *jsonScan) number() bool {
	p.eat('-')
	switch {
	case p.eat('0'):
	case p.i < len(p.s) && p.s[p.i] >= '1' && p.s[p.i] <= '9':
		p.digits()
	default:
		return false
	}
	if p.eat('.') {
		if !p.digits() {
			return false
		}
	}
	if p.eat('e') || p.eat('E') {
		if !p.eat('+') {
			p.eat('-')
		}
		if !p.digits() {
			return false
		}
	}
	return true
}

func (p *jsonScan) digits() bool {
	start := p.i
	for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
		p.i++
	}
	return p.i > start
}

// maxNested is below encoding/json's limit on nesting (10000, counted
// from the line's object): deeper values go to the general decoder,
// which words its error.
const maxNested = 9000

// skipNested moves past an object or array (its validity is checked by
// whoever reads it).
func (p *jsonScan) skipNested() bool {
	depth := 0
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case '"':
			if _, ok := p.skipStr(); !ok {
				return false
			}
			continue
		case '{', '[':
			if depth++; depth > maxNested {
				return false
			}
		case '}', ']':
			depth--
			if depth == 0 {
				p.i++
				return true
			}
		}
		p.i++
	}
	return false
}
