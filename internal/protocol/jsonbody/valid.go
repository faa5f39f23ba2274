package jsonbody

// valid reports what encoding/json.Valid reports — whether data is one
// JSON value with only white space around it — in one plain pass over
// the bytes where encoding/json's scanner calls a state function per
// byte: DecodeTyped checks every body with it before walking it, so it
// is on every JSON request's path. Like encoding/json it accepts any
// byte from 0x20 up in a string (UTF-8 is checked apart) and refuses
// nesting deeper than 10000 arrays and objects.
func valid(data []byte) bool {
	v := validator{data: data}
	v.ws()
	if !v.value(0) {
		return false
	}
	v.ws()
	return v.pos == len(v.data)
}

// maxValidDepth is encoding/json's scanner's maxNestingDepth.
const maxValidDepth = 10000

type validator struct {
	data []byte
	pos  int
}

func (v *validator) ws() {
	for v.pos < len(v.data) {
		switch v.data[v.pos] {
		case ' ', '\t', '\n', '\r':
			v.pos++
		default:
			return
		}
	}
}

// peek is the byte at pos, 0 at the end (no JSON token starts with 0).
func (v *validator) peek() byte {
	if v.pos < len(v.data) {
		return v.data[v.pos]
	}
	return 0
}

// value checks the value at pos, inside depth arrays and objects.
func (v *validator) value(depth int) bool {
	switch c := v.peek(); {
	case c == '{':
		return v.object(depth + 1)
	case c == '[':
		return v.array(depth + 1)
	case c == '"':
		return v.str()
	case c == '-' || ('0' <= c && c <= '9'):
		return v.number()
	case c == 't':
		return v.literal("true")
	case c == 'f':
		return v.literal("false")
	case c == 'n':
		return v.literal("null")
	}
	return false
}

func (v *validator) literal(lit string) bool {
	if len(v.data)-v.pos < len(lit) || string(v.data[v.pos:v.pos+len(lit)]) != lit {
		return false
	}
	v.pos += len(lit)
	return true
}

func (v *validator) object(depth int) bool {
	if depth > maxValidDepth {
		return false
	}
	v.pos++ // '{'
	v.ws()
	if v.peek() == '}' {
		v.pos++
		return true
	}
	for {
		if v.peek() != '"' || !v.str() {
			return false
		}
		v.ws()
		if v.peek() != ':' {
			return false
		}
		v.pos++
		v.ws()
		if !v.value(depth) {
			return false
		}
		v.ws()
		switch v.peek() {
		case ',':
			v.pos++
			v.ws()
		case '}':
			v.pos++
			return true
		default:
			return false
		}
	}
}

func (v *validator) array(depth int) bool {
	if depth > maxValidDepth {
		return false
	}
	v.pos++ // '['
	v.ws()
	if v.peek() == ']' {
		v.pos++
		return true
	}
	for {
		if !v.value(depth) {
			return false
		}
		v.ws()
		switch v.peek() {
		case ',':
			v.pos++
			v.ws()
		case ']':
			v.pos++
			return true
		default:
			return false
		}
	}
}

// str checks the string at pos (its opening quote).
func (v *validator) str() bool {
	d := v.data
	i := v.pos + 1
	for i < len(d) {
		c := d[i]
		switch {
		case c == '"':
			v.pos = i + 1
			return true
		case c < 0x20:
			return false
		case c == '\\':
			if i+1 >= len(d) {
				return false
			}
			switch d[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(d) {
					return false
				}
				for _, h := range d[i+2 : i+6] {
					if !isHex(h) {
						return false
					}
				}
				i += 6
			default:
				return false
			}
		default:
			i++
		}
	}
	return false
}

func isHex(c byte) bool {
	return ('0' <= c && c <= '9') || ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F')
}

// number checks the number at pos: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (v *validator) number() bool {
	if v.peek() == '-' {
		v.pos++
	}
	switch c := v.peek(); {
	case c == '0':
		v.pos++
	case '1' <= c && c <= '9':
		v.digits()
	default:
		return false
	}
	if v.peek() == '.' {
		v.pos++
		if !v.digits() {
			return false
		}
	}
	if c := v.peek(); c == 'e' || c == 'E' {
		v.pos++
		if c := v.peek(); c == '+' || c == '-' {
			v.pos++
		}
		if !v.digits() {
			return false
		}
	}
	return true
}

// digits reads [0-9]+, reporting whether there was one.
func (v *validator) digits() bool {
	start := v.pos
	for v.pos < len(v.data) && '0' <= v.data[v.pos] && v.data[v.pos] <= '9' {
		v.pos++
	}
	return v.pos > start
}
